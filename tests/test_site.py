"""The website works in a real browser, offline, at desktop, tablet and phone widths.

`make test` builds `_build/html` first; this module serves it on 127.0.0.1 (an ephemeral port, in a
thread) and drives Debian's Chromium headless through Playwright, with every request that does not go
to that server aborted, so a page that needs the network fails here. No console error is allowed
(nothing is allow-listed). It checks, for every page of `_toc.yml`:

* at 1366 px: the page loads, every image shows, every formula is typeset by the locally served
  MathJax, "previous"/"next" follow the table of contents, the title does not repeat itself;
  a notebook page offers its `.ipynb`; a chapter has a figure and exercises whose solutions open
  only on a click; every figure has a numbered caption, alt text that is not a file name, and is
  shown at least at half its natural width with its smallest text at least 11 px; no output block
  is wider than its column (code source may scroll);
* at 390 px (a phone, at 3x density): the page is no wider than the screen and the navigation is
  hidden; each figure is saved as the reader sees it;
* the navigation buttons: the chapter drawer (☰) at 390 px, the on-page contents at 1024 px, and
  collapsing and reopening the chapter list at 1366 px;
* the search, the numbering, the citations and their links, and the API reference.

Screenshots land in `_build/screenshots/` for a person to look at.

`make test` (and so `.ci/run`) installs Chromium (`make browser`); without it, or without a built
site, the tests fail on CI (CI=true) and are skipped with the reason locally.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from browsers import unavailable as _unavailable

from tools.toc import toc_pages, toc_parts

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
DESKTOP = {"width": 1366, "height": 900}
WIDE = DESKTOP
TABLET = {"width": 1024, "height": 1366}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 15_000

# No console error is allowed: sphinx-thebe's doubly injected script, the one error every page used to
# log, is removed at its source (tools/site_html.py), and the favicon exists.


pytestmark = pytest.mark.slow  # needs the built site and a browser

PAGES = toc_pages()  # every page, in reading order
NOTEBOOK_PAGES = [entry for entry in PAGES if (ROOT / f"{entry}.ipynb").exists()]
CHAPTERS = toc_parts()["Chapters"]  # appendices (explorer, ...) need no exercises


@pytest.fixture(scope="module")
def site_url():
    if not (SITE / "index.html").exists():
        _unavailable("no built site in _build/html (run `make html`)")

    class QuietHandler(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    class QuietServer(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address):
            pass  # the browser drops connections it no longer needs when it navigates away

    server = QuietServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(SITE)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


class Visit:
    """One browser context with the network cut off and every console error recorded."""

    def __init__(self, browser, site_url: str, viewport: dict, scale: float = 1):
        self.origin = urlsplit(site_url).netloc
        self.context = browser.new_context(viewport=viewport, device_scale_factor=scale, service_workers="block")
        self.context.set_default_timeout(TIMEOUT_MS)
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        self.page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def _route(self, route):
        url = urlsplit(route.request.url)
        if (url.scheme in ("http", "https") and url.netloc == self.origin) or url.scheme in ("data", "blob"):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def goto(self, url: str):
        self.blocked.clear()
        self.errors.clear()
        response = self.page.goto(url, wait_until="load")
        assert response is not None and response.ok, f"{url}: HTTP {response and response.status}"
        return response

    def assert_offline_and_clean(self, what: str):
        assert not self.blocked, f"{what} asked for resources outside the site: {self.blocked}"
        assert not self.errors, f"{what}: console errors {self.errors}"


@pytest.fixture(scope="module")
def desktop(browser, site_url):
    """One desktop-sized tab for the whole module: its HTTP cache keeps page loads fast."""
    view = Visit(browser, site_url, DESKTOP)
    yield view
    view.context.close()


@pytest.fixture
def phone(browser, site_url):
    view = Visit(browser, site_url, PHONE, scale=3)  # a phone's screen: 390 CSS px on 1170 pixels
    yield view
    view.context.close()


def _wait_for_math(page) -> dict:
    """Wait until MathJax has typeset the page; count formulas and rendered ones."""
    count = page.locator(".math").count()
    if count:
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
        page.evaluate("() => MathJax.startup.promise")
    return page.evaluate(
        """() => ({
            formulas: document.querySelectorAll('.math').length,
            typeset: Array.from(document.querySelectorAll('.math'))
                .filter(el => el.querySelector('mjx-container')).length,
            errors: document.querySelectorAll('mjx-merror').length,
            mathjax: window.MathJax && MathJax.version,
        })"""
    )


def _images(page) -> list[dict]:
    page.wait_for_function("() => Array.from(document.images).every(img => img.complete)")
    return page.evaluate(
        "() => Array.from(document.images).map(img => ({src: img.currentSrc || img.src,"
        " width: img.naturalWidth, height: img.naturalHeight}))"
    )


def _shot_name(entry: str, suffix: str = "") -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS / f"{Path(entry).name}{suffix}.png"


def _neighbour(page, selector: str) -> str | None:
    link = page.locator(selector)
    return link.evaluate("a => a.href") if link.count() else None


@pytest.mark.parametrize("entry", PAGES)
def test_page_renders_offline_without_errors(desktop, site_url, entry):
    desktop.goto(f"{site_url}{entry}.html")
    math = _wait_for_math(desktop.page)
    images = _images(desktop.page)
    notebook = entry in NOTEBOOK_PAGES
    desktop.page.screenshot(path=_shot_name(entry), full_page=notebook)

    desktop.assert_offline_and_clean(entry)
    title = desktop.page.title()
    assert title, f"{entry} has no title"
    assert len(set(title.split(" — "))) == len(title.split(" — ")), f"{entry}: the title repeats: {title!r}"
    assert "thebe" not in desktop.page.content().lower(), f"{entry}: thebe is loaded though it is off"
    assert all(image["width"] > 0 and image["height"] > 0 for image in images), images
    assert math["typeset"] == math["formulas"] and not math["errors"], f"{entry}: {math}"
    if math["formulas"]:
        assert math["mathjax"].startswith("3."), math  # the locally served MathJax, not a CDN copy
    # "previous" and "next" follow the table of contents
    index = PAGES.index(entry)
    expected_prev = f"{site_url}{PAGES[index - 1]}.html" if index > 0 else None
    expected_next = f"{site_url}{PAGES[index + 1]}.html" if index + 1 < len(PAGES) else None
    assert _neighbour(desktop.page, "a.left-prev") == expected_prev
    assert _neighbour(desktop.page, "a.right-next") == expected_next
    if notebook:  # the page offers its notebook for download
        links = desktop.page.eval_on_selector_all(
            "a[href$='.ipynb']", "links => links.map(a => a.href)"
        )
        assert links, f"{entry}: no .ipynb download link"
        download = desktop.page.request.get(links[0])
        assert download.ok, f"{links[0]}: HTTP {download.status}"
        stored = json.loads(download.text())
        assert stored["nbformat"] == 4 and stored["cells"], links[0]
    if entry in CHAPTERS:  # a figure, and exercises whose solutions open only on a click
        assert any("/_images/" in image["src"] for image in images), f"{entry}: no figure"
        assert desktop.page.locator(".exercise").count() >= 3, f"{entry}: fewer than three exercises"
        solution = desktop.page.locator(".solution").first
        body = solution.locator(":scope > :not(.admonition-title)").first
        assert not body.is_visible(), f"{entry}: the first solution is shown before it is clicked"
        solution.locator("button.toggle-button").click()
        body.wait_for(state="visible")


def test_next_and_previous_links_navigate(desktop, site_url):
    desktop.goto(f"{site_url}{PAGES[0]}.html")
    with desktop.page.expect_navigation(wait_until="load"):
        desktop.page.locator("a.right-next").click()
    assert desktop.page.url == f"{site_url}{PAGES[1]}.html"
    with desktop.page.expect_navigation(wait_until="load"):
        desktop.page.locator("a.left-prev").click()
    assert desktop.page.url == f"{site_url}{PAGES[0]}.html"
    desktop.assert_offline_and_clean("navigation")


def test_search_finds_stride(desktop, site_url):
    # as a reader does it: the search button in the header, type, Enter, read the results page
    desktop.goto(f"{site_url}{PAGES[0]}.html")
    desktop.page.locator("button.search-button-field").first.click()
    field = desktop.page.locator(".search-button__search-container input[name=q]")
    field.fill("stride")
    with desktop.page.expect_navigation(wait_until="load"):
        field.press("Enter")
    assert desktop.page.url == f"{site_url}search.html?q=stride"
    desktop.page.wait_for_selector("#search-results ul.search li")
    # Sphinx appends the results one by one (searchtools.js _displayNextItem) and writes the summary
    # line only when the last is shown: wait for it, or a long result list is read half-built.
    desktop.page.wait_for_function(
        "() => (document.querySelector('#search-results p.search-summary')?.textContent || '').length > 0"
    )
    hits = desktop.page.eval_on_selector_all(
        "#search-results ul.search li a", "links => links.map(a => a.getAttribute('href'))"
    )
    desktop.page.screenshot(path=_shot_name("search"))
    assert any("base_size_scale_ratio" in href for href in hits), hits
    desktop.assert_offline_and_clean("search")


_FIGURES = """() => Array.from(document.querySelectorAll('article img'))
    .filter(img => img.currentSrc.includes('/_images/'))
    .map(img => {
        const caption = img.closest('figure')?.querySelector('figcaption');
        return {src: img.currentSrc, alt: img.alt, caption: caption ? caption.innerText.trim() : '',
                natural: img.naturalWidth, rendered: img.getBoundingClientRect().width};
    })"""

# Output blocks (printed text, tables, figures) wider than their column; code *source* may scroll.
_WIDE_OUTPUTS = """() => {
    const column = document.querySelector('article.bd-article').getBoundingClientRect().width;
    const blocks = 'div.cell_output, div.output, pre, img, table, figure';
    return Array.from(document.querySelectorAll('article div.cell_output'))
        .flatMap(output => [output, ...output.querySelectorAll(blocks)])
        .filter(el => el.scrollWidth > el.clientWidth + 1 || el.getBoundingClientRect().width > column + 1)
        .map(el => `${el.tagName.toLowerCase()}.${el.className}: ${el.scrollWidth} px in ${el.clientWidth} px`
                   + ` (column ${Math.round(column)} px): ${(el.innerText || '').slice(0, 60)}`);
}"""


@pytest.mark.parametrize("entry", NOTEBOOK_PAGES)
def test_figures_have_captions_alt_text_and_legible_size(desktop, site_url, entry):
    desktop.goto(f"{site_url}{entry}.html")
    _images(desktop.page)
    figures = desktop.page.evaluate(_FIGURES)
    from anchorlib import plot

    for figure in figures:
        name = figure["src"].rsplit("/", 1)[-1]
        alt = figure["alt"]
        assert alt and len(alt.split()) >= 8, f"{entry}: {name} has no real alt text: {alt!r}"
        assert not re.search(r"[0-9a-f]{32}|\.(svg|png)\b|_images/", alt), f"{entry}: alt text is a file name: {alt!r}"
        assert re.match(r"Fig\. \d+(\.\d+)* ", figure["caption"]), f"{entry}: {name} has no numbered caption"
        # Never shrunk below half its natural width, and (for the book's SVG figures, whose natural
        # width is the figure's width in CSS pixels) its smallest text at least 11 px on screen.
        assert figure["rendered"] >= figure["natural"] / 2, f"{entry}: {name} shrunk: {figure}"
        if name.endswith(".svg"):
            smallest = plot.SMALLEST_FONT * 96 / 72 * figure["rendered"] / figure["natural"]
            assert smallest >= 11, f"{entry}: {name}: its smallest text is {smallest:.1f} px: {figure}"
    assert not desktop.page.evaluate(_WIDE_OUTPUTS), f"{entry}: output wider than its column"


def test_notebooks_draw_no_small_text():
    # The figure style sets every font size (anchorlib.plot.STYLE); a chapter that passed a smaller
    # size to a figure would undo it, so none may.
    from anchorlib import plot

    for entry in NOTEBOOK_PAGES:
        for match in re.finditer(r"(?:fontsize|labelsize|size)=([0-9.]+)", (ROOT / f"{entry}.ipynb").read_text()):
            context = (ROOT / f"{entry}.ipynb").read_text()[max(0, match.start() - 30):match.start()]
            if "font" in match.group(0) or "label" in match.group(0):
                assert float(match.group(1)) >= plot.SMALLEST_FONT, f"{entry}: {context}{match.group(0)}"


@pytest.mark.parametrize("entry", PAGES)
def test_pages_fit_a_phone(phone, site_url, entry):
    phone.goto(f"{site_url}{entry}.html")
    math = _wait_for_math(phone.page)
    images = _images(phone.page)
    # what a reader sees of each figure on a phone, at the phone's pixel density
    for k, figure in enumerate(phone.page.locator("article figure").all()):
        figure.scroll_into_view_if_needed()
        figure.screenshot(path=_shot_name(entry, f"-phone-figure-{k + 1}"))
    if entry in CHAPTERS[:1]:
        phone.page.screenshot(path=_shot_name(entry, "-phone"))
    layout = phone.page.evaluate(
        """() => ({
            page: document.documentElement.scrollWidth,
            viewport: window.innerWidth,
            article: document.querySelector('article').getBoundingClientRect().width,
            sidebar: getComputedStyle(document.querySelector('.bd-sidebar-primary')).visibility,
            widest: Array.from(document.querySelectorAll('article *'))
                .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1
                              && !el.closest('[style*="overflow"], pre, div.math, table, figure, '
                                             + '.cell_output, mjx-container'))
                .slice(0, 3).map(el => el.tagName + '.' + el.className + ': ' + (el.innerText || '').slice(0, 50)),
        })"""
    )
    assert layout["page"] <= layout["viewport"], f"{entry} scrolls sideways: {layout}"
    assert layout["article"] <= layout["viewport"], layout
    assert layout["sidebar"] == "hidden", f"the navigation covers the text: {layout}"
    assert all(image["width"] > 0 for image in images)
    assert math["typeset"] == math["formulas"], math
    # a display formula wider than the screen scrolls in its own box, with a shadow at the cut edge
    cut = phone.page.evaluate(
        """() => Array.from(document.querySelectorAll('mjx-container[display="true"]'))
            .filter(el => el.scrollWidth > el.clientWidth + 1)
            .map(el => ({overflow: getComputedStyle(el).overflowX, shadow: getComputedStyle(el).backgroundImage}))"""
    )
    assert all(c["overflow"] == "auto" and "gradient" in c["shadow"] for c in cut), cut
    phone.assert_offline_and_clean(f"{entry} at phone width")


_SIDEBARS = """() => {
    const shown = selector => {
        const el = document.querySelector(selector);
        const box = el.getBoundingClientRect();
        const style = getComputedStyle(el);
        return style.visibility !== 'hidden' && style.display !== 'none' && box.width > 0
            && box.right > 0 && box.left < window.innerWidth;
    };
    return {chapters: shown('.bd-sidebar-primary'), contents: shown('.bd-sidebar-secondary')};
}"""


def _click_and_wait(page, selector: str, expected: dict) -> None:
    """Click the visible button matching ``selector`` and wait until the sidebars are as ``expected``."""
    page.locator(f"{selector}:visible").first.click()
    wanted = json.dumps(json.dumps(expected, separators=(",", ":")))  # a JS string of compact JSON
    page.wait_for_function(f"() => JSON.stringify(({_SIDEBARS})()) === {wanted}")


@pytest.mark.parametrize("viewport", [PHONE, TABLET, WIDE], ids=["phone", "tablet", "desktop"])
def test_navigation_buttons_work(browser, site_url, viewport):
    # The reader's three buttons, by width: on a phone the chapter list (☰) and the page's contents
    # are drawers; on a portrait tablet the on-page contents is a drawer; on a desktop both sidebars
    # are shown and ☰ collapses and reopens the chapter list.
    view = Visit(browser, site_url, viewport)
    try:
        entry = CHAPTERS[0]
        view.goto(f"{site_url}{entry}.html")
        page = view.page
        width = viewport["width"]
        start = page.evaluate(_SIDEBARS)
        if width < 960:  # pydata-sphinx-theme's breakpoint for the primary sidebar
            assert start == {"chapters": False, "contents": False}, start
            _click_and_wait(page, ".primary-toggle", {"chapters": True, "contents": False})
            # The drawer slides in (a CSS transition): once it is in, every entry starts inside the
            # screen. A screenshot taken during the slide shows the first letters cut off.
            page.wait_for_function(
                "() => document.querySelector('.bd-sidebar-primary').getBoundingClientRect().left >= 0")
            lefts = page.eval_on_selector_all(
                ".bd-sidebar-primary p.caption, .bd-sidebar-primary a.reference",
                "els => els.filter(e => e.offsetParent).map(e => e.getBoundingClientRect().left)")
            assert lefts and min(lefts) >= 0, lefts
            page.screenshot(path=_shot_name(entry, f"-{width}-chapters"))
            assert page.locator(".bd-sidebar-primary a.reference", has_text="Bibliography").is_visible()
            page.locator("label.overlay-primary").click(position={"x": width - 10, "y": 400})
            page.wait_for_function(f"() => !({_SIDEBARS})().chapters")
            _click_and_wait(page, ".secondary-toggle", {"chapters": False, "contents": True})
        elif width < 1200:  # chapter list shown; the page's contents behind its button
            assert start == {"chapters": True, "contents": False}, start
            _click_and_wait(page, ".secondary-toggle", {"chapters": True, "contents": True})
            page.screenshot(path=_shot_name(entry, f"-{width}-contents"))
        else:  # both shown; ☰ collapses the chapter list and brings it back
            assert start == {"chapters": True, "contents": True}, start
            _click_and_wait(page, ".primary-toggle", {"chapters": False, "contents": True})
            page.screenshot(path=_shot_name(entry, f"-{width}-collapsed"))
            _click_and_wait(page, ".primary-toggle", {"chapters": True, "contents": True})
        view.assert_offline_and_clean(f"navigation at {width} px")
    finally:
        view.context.close()


def test_citations_tell_works_apart_and_link_their_sources(desktop, site_url):
    # Two 2017 papers by Lin et al. (FPN, focal loss) and two by Zhang et al. (S3FD, FaceBoxes): the
    # citations and the bibliography give them a and b (tools/citations.py); names keep their accents.
    desktop.goto(f"{site_url}book/bibliography.html")
    labels = desktop.page.eval_on_selector_all(
        "div.citation span.label", "spans => spans.map(s => s.innerText.replace(/[\\[\\]]/g, ''))"
    )
    for label in ("Lin et al., 2017a", "Lin et al., 2017b", "Zhang et al., 2017a", "Zhang et al., 2017b"):
        assert label in labels, labels
    assert len(set(labels)) == len(labels), labels
    text = desktop.page.locator("article").inner_text()
    assert "Dollár" in text and "Dollar" not in text
    arxiv = desktop.page.eval_on_selector_all("a[href^='https://arxiv.org/abs/']", "links => links.length")
    assert arxiv >= 10, "arXiv numbers are not links"
    desktop.goto(f"{site_url}book/shifts_offsets.html")
    links = desktop.page.eval_on_selector_all("article a.external", "links => links.map(a => a.href)")
    assert "https://github.com/fizyr/keras-retinanet/issues/1073" in links, links
    assert "https://github.com/fizyr/keras-retinanet/pull/1075" in links, links


def test_chapters_sections_figures_and_exercises_are_numbered(desktop, site_url):
    desktop.goto(f"{site_url}{CHAPTERS[0]}.html")
    heading = desktop.page.locator("article h1").first.inner_text()
    assert re.match(r"1\.? ", heading), heading
    sections = desktop.page.eval_on_selector_all("article h2", "hs => hs.map(h => h.innerText)")
    assert sections and all(re.match(r"1\.\d+\.? ", s) for s in sections), sections
    exercises = desktop.page.eval_on_selector_all(".exercise .admonition-title", "ts => ts.map(t => t.innerText)")
    assert exercises and all(re.match(r"Exercise 1\.\d+", e) for e in exercises), exercises
    captions = desktop.page.eval_on_selector_all("figcaption", "cs => cs.map(c => c.innerText)")
    assert captions and all(re.match(r"Fig\. 1\.\d+ ", c) for c in captions), captions
    # the solution opens when its title bar is clicked, "Exercise 1.n" link included
    solution = desktop.page.locator(".solution").first
    body = solution.locator(":scope > :not(.admonition-title)").first
    assert not body.is_visible()
    solution.locator(".admonition-title a").click(force=True)  # a click on the words "Exercise 1.n"
    body.wait_for(state="visible")
    assert desktop.page.url.endswith(f"{CHAPTERS[0]}.html"), "the title link jumped away instead"


def test_api_reference_is_usable(desktop, site_url):
    desktop.goto(f"{site_url}book/api.html")
    text = desktop.page.locator("article").inner_text()
    assert "_SupportsArray" not in text and "ArrayLike" in text  # numpy's alias, not its expansion
    assert "Built-in immutable sequence" not in text  # a constant showing tuple's documentation
    # every public constant has its own description, and the summary table links every public name
    import anchorlib

    summary = desktop.page.eval_on_selector_all(
        "table.autosummary a.reference", "links => links.map(a => a.getAttribute('href'))"
    )
    assert {f"#anchorlib.{name}" for name in anchorlib.__all__} <= set(summary), "names missing from the summary"
    for name in [name for name in anchorlib.__all__ if name.isupper()]:
        description = desktop.page.locator(f"dt[id='anchorlib.{name}'] + dd").inner_text().strip()
        assert len(description.split()) >= 5, f"{name} is not documented: {description!r}"
    # numpy-style sections in their fixed order wherever they occur
    order = ["Parameters", "Returns", "Raises", "Notes", "Examples"]
    for sections in desktop.page.eval_on_selector_all(
        "dl.py > dd", "dds => dds.map(dd => Array.from(dd.querySelectorAll(':scope > dl.field-list > dt,"
        " :scope > p.rubric')).map(x => x.innerText.replace(':', '').trim()))"
    ):
        known = [order.index(s) for s in sections if s in order]
        assert known == sorted(known), sections
