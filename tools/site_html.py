"""Sphinx extension: the website's own fixes to what Jupyter Book 1.x and its theme put on every page.

* **No thebe.** Jupyter Book 1.0.4 always loads ``sphinx_thebe`` (it is in its fixed extension list),
  and sphinx-thebe 0.3.1 then adds to every page an inline ``const THEBE_JS_URL = ...`` script (twice:
  its handler runs on every ``env-before-read-docs``, so the second copy throws "already declared"),
  its loader script, its CSS and a thebe configuration naming a Binder repository. Live code is off in
  ``_config.yml`` (``launch_buttons: thebe: false``), so this extension disconnects sphinx-thebe's
  event handlers and drops its CSS before anything is written: no thebe script, no console error.
* **A page title without repetition**: the title of a page is "page — book", except where the page
  title *is* the book title (the landing page), which gets it once (``_templates/layout.html``).
* **MathJax only where there is math**: Sphinx decides per page with ``has_equations``, which counts
  every page below the landing page's table of contents, so the landing page loaded MathJax's 1.2 MB
  for no formula; pages whose body holds no ``math`` element do not load it.
* **Links on issues, pull requests and commits** named in the prose: "keras-retinanet issue #1073",
  "PR #1075", "fizyr/keras-retinanet @7ac91df" and "`keras_retinanet/models/vgg.py` @50d07a0" become
  links to GitHub (code and printed output are left as they are).
* **No 1.5 MB icon script**: pydata-sphinx-theme 0.15.4 loads FontAwesome twice, as a CSS web font
  (100 kB + one 156 kB font) and as a 1.5 MB script that redraws the same icons as SVG. The CSS alone
  draws every icon the theme uses (all ``fa-solid``), so after the build the script tag and the
  preloads of the unused brand and regular fonts are removed from every page.
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)

_FONTAWESOME_SCRIPT = re.compile(
    r'\s*<script src="[^"]*_static/vendor/fontawesome/[^"]*/js/all\.min\.js[^"]*"></script>'
)
_UNUSED_FONT_PRELOAD = re.compile(
    r'\s*<link rel="preload" as="font" type="font/woff2" crossorigin '
    r'href="[^"]*/webfonts/fa-(?:brands|regular)-400\.woff2" />'
)


# The repositories the book cites by short name, and by the first folder of a file path.
_PROJECTS = {
    "keras-retinanet": "fizyr/keras-retinanet",
    "torchvision": "pytorch/vision",
    "mmdetection": "open-mmlab/mmdetection",
    "detectron2": "facebookresearch/detectron2",
    "YOLOv5": "ultralytics/yolov5",
    "py-faster-rcnn": "rbgirshick/py-faster-rcnn",
}
_PATH_PREFIXES = {
    "keras_retinanet/": "fizyr/keras-retinanet",
    "torchvision/": "pytorch/vision",
    "detectron2/": "facebookresearch/detectron2",
    "mmdet/": "open-mmlab/mmdetection",
    "configs/_base_/": "open-mmlab/mmdetection",
}
_LINKABLE = re.compile(
    r"(?P<project>" + "|".join(map(re.escape, _PROJECTS)) + r")(?:'s unmerged)?"
    r"(?P<kind> issue| pull request| PR)? (?P<refs>#\d+(?:(?:/| and |, )#\d+)*)"
    r"|(?P<repo>[\w-]+/[\w.-]+) @(?P<sha>[0-9a-f]{7,40})\b"
    r"|^\s+@(?P<file_sha>[0-9a-f]{7,40})\b"
)
_NUMBER = re.compile(r"#(\d+)")


def _link(text: str, url: str) -> nodes.reference:
    return nodes.reference("", text, refuri=url, internal=False, classes=["reference", "external"])


def _linked(text: str, previous: nodes.Node | None) -> list[nodes.Node] | None:
    """``text`` split into text and links, or None when it names nothing linkable."""
    parts: list[nodes.Node] = []
    done = 0
    for match in _LINKABLE.finditer(text):
        if match["file_sha"]:  # " @sha" right after an inline-code file path
            path = previous.astext() if isinstance(previous, nodes.literal) else ""
            repo = next((repo for prefix, repo in _PATH_PREFIXES.items() if path.startswith(prefix)), None)
            if repo is None:
                continue
            at = match.start("file_sha") - 1  # the "@"
            parts += [nodes.Text(text[done:at]),
                      _link(text[at:match.end()], f"https://github.com/{repo}/blob/{match['file_sha']}/{path}")]
        elif match["sha"]:
            parts += [nodes.Text(text[done:match.start()]),
                      _link(match.group(), f"https://github.com/{match['repo']}/tree/{match['sha']}")]
        else:
            repo = _PROJECTS[match["project"]]
            kind = "pull" if match["kind"] in (" pull request", " PR") else "issues"  # GitHub redirects
            parts.append(nodes.Text(text[done:match.start("refs")]))
            refs, at = match["refs"], 0
            for number in _NUMBER.finditer(refs):
                parts += [nodes.Text(refs[at:number.start()]),
                          _link(number.group(), f"https://github.com/{repo}/{kind}/{number[1]}")]
                at = number.end()
            parts.append(nodes.Text(refs[at:]))
        done = match.end()
    if not parts:
        return None
    parts.append(nodes.Text(text[done:]))
    return [part for part in parts if not (isinstance(part, nodes.Text) and not part.astext())]


def _link_references(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Turn issue, pull request and commit names in running text into links to GitHub."""
    skip = (nodes.literal, nodes.literal_block, nodes.reference, nodes.raw, nodes.math, nodes.math_block,
            nodes.FixedTextElement, nodes.title)
    for text in list(doctree.findall(nodes.Text)):
        parent = text.parent
        if parent is None or isinstance(parent, skip) or any(isinstance(a, skip) for a in _ancestors(parent)):
            continue
        index = parent.index(text)
        parts = _linked(text.astext(), parent[index - 1] if index else None)
        if parts:
            parent.replace(text, parts)


def _ancestors(node: nodes.Node):
    while node.parent is not None:
        node = node.parent
        yield node


def _disable_thebe(app: Sphinx, config: Config) -> None:
    """Disconnect every sphinx-thebe event handler and drop its style sheet (thebe is off)."""
    for listeners in app.events.listeners.values():
        for listener in list(listeners):
            if getattr(listener.handler, "__module__", "").startswith("sphinx_thebe"):
                app.disconnect(listener.id)
    app.registry.css_files = [(name, attrs) for name, attrs in app.registry.css_files
                              if not name.startswith("sphinx-thebe")]


def _page_context(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if doctree is not None and 'class="math' not in context.get("body", ""):
        mathjax = app.config.mathjax_path
        context["script_files"] = [
            script for script in context.get("script_files", [])
            if not str(getattr(script, "filename", script) or "").endswith(mathjax)
            and not getattr(script, "attributes", {}).get("body", "").startswith("window.MathJax")
        ]


def _strip_icon_script(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    pages = 0
    for page in outdir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        slimmer = _UNUSED_FONT_PRELOAD.sub("", _FONTAWESOME_SCRIPT.sub("", text))
        if slimmer != text:
            page.write_text(slimmer, encoding="utf-8")
            pages += 1
    for script in outdir.glob("_static/vendor/fontawesome/*/js/all.min.js*"):
        script.unlink()
    LOGGER.info("site_html: FontAwesome's icon script removed from %d pages", pages)


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _disable_thebe, priority=900)
    app.connect("html-page-context", _page_context, priority=900)
    app.connect("doctree-resolved", _link_references)
    app.connect("build-finished", _strip_icon_script)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
