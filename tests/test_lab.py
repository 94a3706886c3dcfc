"""A course-pack chapter opened in the real JupyterLab, in Chromium: what a student sees.

The course pack (tools/course_pack.py; built by `make html`, else here) is unpacked into a temporary
folder and served by `jupyter lab` from this environment on 127.0.0.1 with a token (as root with
--allow-root, news and the extension manager's index switched off); Playwright drives Debian's
Chromium with every request outside 127.0.0.1 aborted, so no network is needed. A chapter opens with

* the book's MyST markup rendered by jupyterlab-myst (an admonition is drawn, no raw `:::` fence);
* no solution in sight (the pack's notebooks carry a pointer to the website instead);
* no "modified" marker on its tab once the kernel is up (JupyterLab rewrites kernelspec and
  language_info on open; tools/notebooks.py stores what the kernel reports).

A screenshot lands in `_build/screenshots/lab-<chapter>.png`. Skipped with the reason on a developer
machine without Chromium or Playwright; on CI (CI=true) that fails instead (as tests/test_site.py).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from browsers import unavailable as _unavailable

from tools.course_pack import SOLUTION_NOTE

pytestmark = pytest.mark.slow  # a JupyterLab server and a browser: `make test`, not `make unit`

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "_build" / "screenshots"
CHAPTER = "small_objects.ipynb"  # admonitions, four exercises, figures
TOKEN = "anchors-lab-test"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def lab(pack_zip, tmp_path_factory):
    jupyter = Path(sys.executable).with_name("jupyter")
    if not jupyter.exists():
        _unavailable(f"{jupyter} is missing (pip install -r requirements.txt)")
    home = tmp_path_factory.mktemp("lab")
    with zipfile.ZipFile(pack_zip) as zipped:
        zipped.extractall(home)
    folder = home / "anchors-course-pack"
    settings = home / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # Render every cell, not only those in view (JupyterLab 4 renders lazily), so the checks see all.
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    port = _free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_RUNTIME_DIR=str(home / "runtime"))
    command = [str(jupyter), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={folder}",
               f"--LabApp.user_settings_dir={home / 'settings'}", f"--LabApp.workspaces_dir={home / 'workspaces'}",
               "--LabApp.news_url=", "--LabServerApp.extension_manager=readonly"]
    if os.getuid() == 0:
        command.append("--allow-root")
    log = open(home / "lab.log", "w")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        for _ in range(200):
            if server.poll() is not None:
                pytest.fail(f"jupyter lab exited: {(home / 'lab.log').read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", folder
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_a_chapter_renders_with_no_solution_and_opens_unmodified(lab, browser):
    url, folder = lab
    before = (folder / CHAPTER).read_bytes()
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, service_workers="block")
    blocked: list[str] = []

    def route(request_route):
        if request_route.request.url.startswith(url):
            request_route.continue_()
        else:
            blocked.append(request_route.request.url)
            request_route.abort()

    context.route("**/*", route)
    page = context.new_page()
    try:
        page.goto(f"{url}/lab/tree/{CHAPTER}?token={TOKEN}", timeout=60_000)
        notebook = page.locator(".jp-NotebookPanel .jp-Notebook")
        notebook.wait_for(timeout=60_000)
        page.locator("aside.myst-admonition").first.wait_for(timeout=30_000)  # jupyterlab-myst drew it
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle'], "
                     ".jp-StatusBar-TextItem:text-is('Python 3 (ipykernel) | Idle')").first.wait_for(timeout=60_000)
        time.sleep(2)  # let JupyterLab apply the kernel's metadata, which is what marks a notebook modified
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"lab-{Path(CHAPTER).stem}.png"))
        text = notebook.inner_text()
        tab = page.locator(".lm-DockPanel .lm-TabBar-tab", has_text=CHAPTER)
        assert tab.count() == 1
        assert "jp-mod-dirty" not in (tab.get_attribute("class") or ""), "the chapter opened as modified"
        assert page.locator("aside.myst-admonition").count() >= 1
        assert ":::" not in text and "{solution-start}" not in text and "{exercise}" not in text
        assert text.count(SOLUTION_NOTE.strip("*")) == 4  # one pointer per exercise, no solution
        assert (folder / CHAPTER).read_bytes() == before  # nothing was saved behind the student's back
    finally:
        context.close()
