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
* **No 1.5 MB icon script**: pydata-sphinx-theme 0.15.4 loads FontAwesome twice, as a CSS web font
  (100 kB + one 156 kB font) and as a 1.5 MB script that redraws the same icons as SVG. The CSS alone
  draws every icon the theme uses (all ``fa-solid``), so after the build the script tag and the
  preloads of the unused brand and regular fonts are removed from every page.
"""

from __future__ import annotations

import re
from pathlib import Path

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
    app.connect("build-finished", _strip_icon_script)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
