"""The rendered book, read the way a reader reads it: headless Chromium over every page, network off.

The site is the one the README's build command makes (`jupyter-book build . -W -n --keep-going`).
This test reuses `_build/html` when it is newer than every source of the book; otherwise it runs
that build once, after nbval has run every notebook of this session: conftest.py stores each
notebook that passed, outputs and widget state included, in the build's cache
(`_build/.jupyter_cache`), so the build renders those executions and executes no notebook a second
time (the `executed_notebooks` fixture waits for them, and refuses to build over one that failed).
conftest.py sorts this file after the notebooks. It serves the pages from a local HTTP server, aborts
every request that leaves this machine, and checks each page: no JavaScript error, every equation
typeset by MathJax (no raw `\\[`), every image loaded, every figure numbered and captioned, the
launch and repository buttons present, widgets rendered; on the two live pages, the live cart-pole
(dtcart.live) plays in real time and answers its dial (by keyboard, mid-episode) and a shove, with no
kernel. Screenshots go to `_build/screenshots/`.

Skipped, with the reason, when Playwright or a Chromium binary is missing (CI installs Debian's
`chromium`; Playwright never downloads a browser here). Environment knobs:
`DTCART_CHROMIUM` (browser binary), `DTCART_SITE` (an already built `_build/html` to test as is),
`DTCART_NOTEBOOK_WAIT` (seconds to wait for the notebooks, default 1800).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
REPOSITORY = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]  # the one setting
LIVE_PAGES = ("book/02_control_and_data", "book/06_decision_transformer")  # dtcart.live elements
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
BUILD_COMMAND = ["build", ".", "-W", "-n", "--keep-going"]
# what the site is built from: newer than the last build means the build is stale
SOURCES = ("_config.yml", "_toc.yml", "book", "dtcart")


def chromium_executable() -> str | None:
    """The system Chromium: $DTCART_CHROMIUM, else Debian's /usr/bin/chromium, else one on PATH."""
    for candidate in (os.environ.get("DTCART_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")
CHROMIUM = chromium_executable()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium found (apt-get install chromium, or set DTCART_CHROMIUM); "
                             "the browser test never downloads one")


sys.path.insert(0, str(ROOT / "tools"))
try:
    # the book's pages in _toc.yml order, and their screen budgets, as tools/screens.py reads them
    from screens import HEIGHT, budget, toc_pages
finally:
    sys.path.pop(0)


PAGES = toc_pages()


def newest_source_mtime() -> float:
    newest = 0.0
    for name in SOURCES:
        path = ROOT / name
        files = [path] if path.is_file() else [
            p for p in path.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts]
        newest = max([newest] + [p.stat().st_mtime for p in files])
    return newest


def jupyter_book() -> list[str]:
    script = Path(sys.executable).with_name("jupyter-book")
    if script.exists():
        return [str(script)]
    found = shutil.which("jupyter-book")
    if found is None:
        pytest.fail("jupyter-book is not installed (it is in requirements.txt)")
    return [found]


@pytest.fixture(scope="module")
def site(request) -> Path:
    """The built site: $DTCART_SITE, a fresh _build/html, or the README's build run now.

    Before building, waits until nbval has run every notebook of this session (``executed_notebooks``,
    in conftest.py), which stores each notebook that passed in the build's cache: the build then
    renders those executions and executes none of them again."""
    if os.environ.get("DTCART_SITE"):
        site = Path(os.environ["DTCART_SITE"])
        assert (site / "index.html").is_file(), f"DTCART_SITE={site} holds no index.html"
        return site
    stamp = SITE / ".buildinfo"
    if stamp.is_file() and stamp.stat().st_mtime >= newest_source_mtime():
        return SITE
    request.getfixturevalue("executed_notebooks")
    start = time.perf_counter()
    result = subprocess.run(jupyter_book() + BUILD_COMMAND, cwd=ROOT, capture_output=True, text=True)
    took = time.perf_counter() - start
    if result.returncode != 0:
        def tail(text, n):
            return "\n".join(re.sub(r"\x1b\[[0-9;]*m", "", text).splitlines()[-n:])

        pytest.fail(f"`jupyter-book {' '.join(BUILD_COMMAND)}` failed after {took:.0f} s.\n"
                    f"stdout (end):\n{tail(result.stdout, 50)}\nstderr (end):\n{tail(result.stderr, 25)}",
                    pytrace=False)
    executed = result.stdout.count("Executing notebook using")
    print(f"built the site in {took:.0f} s, executing {executed} notebook(s) nbval had not cached")
    return SITE


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def base_url(site):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)  # this run's screenshots only
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Reader:
    """One page in a fresh browser context, with the network cut off and every problem recorded."""

    def __init__(self, browser, base_url: str):
        self.base_url = base_url
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
        self.offsite, self.errors, self.broken = [], [], []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        self.page.on("console", self._console)
        self.page.on("response", self._response)
        self.page.on("requestfailed", self._failed)

    def _local(self, url: str) -> bool:
        return url.startswith((self.base_url, "blob:", "data:"))

    def _route(self, route):
        if self._local(route.request.url):
            route.continue_()
        else:
            self.offsite.append(route.request.url)
            route.abort("internetdisconnected")

    def _console(self, message):
        if message.type == "error":
            where = (message.location or {}).get("url", "")
            self.errors.append(f"console.error: {message.text} ({where})")

    def _response(self, response):
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            self.broken.append(f"{response.status} {response.url}")

    def _failed(self, request):
        if self._local(request.url):
            self.broken.append(f"failed {request.url}: {request.failure}")

    def open(self, page: str):
        response = self.page.goto(self.base_url + page + ".html", wait_until="load")
        assert response is not None and response.ok, f"{page}: {response and response.status}"
        # MathJax 3 typesets after load: its startup promise resolves once the page is typeset
        if self.page.locator(".math").count():
            self.page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                                        timeout=30_000)
            self.page.evaluate("() => MathJax.startup.promise.then(() => true)")
        self.page.wait_for_function("() => Array.from(document.images).every(img => img.complete)", timeout=30_000)
        # widgets render at window load from the embedded state
        self.page.wait_for_function(
            "() => document.querySelectorAll('script[type=\"application/vnd.jupyter.widget-view+json\"]').length"
            " <= document.querySelectorAll('.jupyter-widgets.widget-container, .jupyter-widgets.widget-inline-hbox,"
            " .jupyter-widgets.widget-output, .jupyter-widgets.widget-image').length", timeout=30_000)

    def close(self):
        self.context.close()


@pytest.fixture
def reader(browser, base_url):
    reader = Reader(browser, base_url)
    yield reader
    reader.close()


def shot_name(page: str, suffix: str = "") -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{page.replace('/', '_')}{suffix}.png"


def screenshot_whole_page(page, path: Path) -> None:
    """Screenshot the whole page by growing the viewport to it (Chromium's full_page capture
    misplaces the theme's sticky sidebar), then restore the viewport."""
    size = page.viewport_size
    height = page.evaluate("() => document.documentElement.scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(height, 20_000))})
    page.screenshot(path=str(path))
    page.set_viewport_size(size)


MATH_STATE = """() => {
  const maths = Array.from(document.querySelectorAll('.math'));
  const untypeset = maths.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.slice(0, 80));
  const walker = document.createTreeWalker(document.querySelector('main') || document.body, NodeFilter.SHOW_TEXT, {
    acceptNode: n => n.parentElement.closest('pre, code, script, style, textarea, mjx-container')
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
  const raw = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (/\\\\\\[|\\\\\\(|\\$\\$/.test(n.textContent)) raw.push(n.textContent.trim().slice(0, 80));
  }
  return {count: maths.length, typeset: document.querySelectorAll('mjx-container').length, untypeset, raw};
}"""

# What renders raw or cut. Text outside code and typeset math must hold no markdown-table rows and no
# `$...$` (a Markdown output rendered as CommonMark leaves both raw); a code block, a displayed equation
# or a table must not be wider than its box (its end would be cut off or need scrolling at 1280 px).
RAW_OR_CUT = r"""() => {
  const main = document.querySelector('main') || document.body;
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT, {
    acceptNode: n => n.parentElement.closest('pre, code, script, style, textarea, mjx-container, .math')
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
  const table = [], dollar = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.textContent;
    if (/\|\s*:?-{3,}:?\s*\|/.test(text) || /^\s*\|[^|\n]*\|[^|\n]*\|/m.test(text))
      table.push(text.trim().slice(0, 80));
    if (/\$[^$\s][^$]*\$/.test(text)) dollar.push(text.trim().slice(0, 80));
  }
  const shown = el => el.offsetParent !== null;
  const wide = el => el.scrollWidth > el.clientWidth + 1;
  const code = Array.from(main.querySelectorAll('pre')).filter(shown).filter(wide)
    .map(p => `${p.scrollWidth} > ${p.clientWidth} px: ${p.textContent.trim().slice(0, 60)}`);
  const maths = Array.from(main.querySelectorAll('mjx-container[display="true"]')).filter(shown).filter(wide)
    .map(m => `${m.scrollWidth} > ${m.clientWidth} px: ${(m.closest('.math') || m).id || m.textContent.slice(0, 40)}`);
  const tables = Array.from(main.querySelectorAll('table')).filter(shown)
    .filter(t => t.getBoundingClientRect().width > t.parentElement.clientWidth + 1)
    .map(t => `${Math.round(t.getBoundingClientRect().width)} > ${t.parentElement.clientWidth} px: `
              + t.textContent.trim().slice(0, 40));
  return {table, dollar, code, maths, tables};
}"""

# Figures whose text would be too small to read. A PNG records its resolution (matplotlib writes the
# pHYs chunk), so its text of size `pt` points is drawn pt * dpi / 72 pixels high, and the page shows it
# at that times (displayed width / natural width). The smallest size on a page's figures is taken from
# the code that draws them (see smallest_font_pt); at that size, text must come out at least
# MIN_TEXT_PX CSS pixels high.
MIN_TEXT_PX = 8.0
FIGURE_SCALES = """async () => {
  const dpi = async src => {
    const bytes = new Uint8Array(await (await fetch(src)).arrayBuffer());
    const png = [137, 80, 78, 71, 13, 10, 26, 10].every((b, i) => bytes[i] === b);
    for (let i = 8; png && i + 8 < bytes.length;) {
      const view = new DataView(bytes.buffer, i);
      const length = view.getUint32(0), type = String.fromCharCode(...bytes.slice(i + 4, i + 8));
      if (type === 'pHYs') return bytes[i + 16] === 1 ? view.getUint32(8) * 0.0254 : null;
      if (type === 'IDAT') return null;
      i += 12 + length;
    }
    return null;
  };
  const images = Array.from((document.querySelector('main') || document.body).querySelectorAll('img'))
    .filter(img => img.offsetParent !== null && img.naturalWidth > 0);
  return Promise.all(images.map(async img => ({src: img.currentSrc.split('/').pop().slice(0, 24),
    natural: img.naturalWidth, shown: img.getBoundingClientRect().width, dpi: await dpi(img.currentSrc)})));
}"""
# matplotlib's named font sizes, in points at its default 10 pt
NAMED_SIZES = {"xx-small": 5.79, "x-small": 6.94, "small": 8.33}
FONT_SIZE = re.compile(r"\b(?:fontsize|labelsize|size)['\"]?\s*[=:]\s*['\"]?([0-9]+(?:\.[0-9]+)?|xx-small|x-small|small)\b")


def smallest_font_pt(page: str) -> float:
    """The smallest text size [pt] the figures of a page can hold: matplotlib's 10 pt default, or the
    smallest size written as a literal (`fontsize=7`, `labelsize="small"`, `size=8`) in the page's
    source nbsrc/<page>.py or in any dtcart module (the drawing helpers the pages call)."""
    sources = [ROOT / "nbsrc" / f"{Path(page).name}.py", *sorted((ROOT / "dtcart").glob("*.py"))]
    sizes = [10.0]
    for source in sources:
        if source.is_file():
            sizes += [NAMED_SIZES.get(m, None) or float(m) for m in FONT_SIZE.findall(source.read_text())]
    return min(sizes)


IMAGES = """() => Array.from(document.images).map(img => ({src: img.currentSrc.slice(0, 120), width: img.naturalWidth,
  alt: img.alt}))"""


@pytest.mark.parametrize("page", PAGES)
def test_page_reads_offline(reader, page):
    """Each page reads offline, and nothing on it renders raw or cut: no markdown table or `$...$` left
    as text, no `<... at 0x...>` repr or "Figure size" in an output, no code block, equation or table
    wider than its box at 1280 px, no figure whose text shows below MIN_TEXT_PX, and no page longer
    than its budget of screens (16 a chapter, 12 the appendix) with its collapsed cells closed."""
    reader.open(page)
    screenshot_whole_page(reader.page, shot_name(page))
    problems = []

    screens = reader.page.evaluate(
        "() => Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)") / HEIGHT
    limit = budget(page)
    if limit is not None and screens > limit:
        problems.append(f"{screens:.1f} screens long at 1280 px, over its budget of {limit}")

    math = reader.page.evaluate(MATH_STATE)
    if math["untypeset"]:
        problems.append(f"{len(math['untypeset'])} of {math['count']} equations not typeset: {math['untypeset'][:3]}")
    if math["raw"]:
        problems.append(f"raw TeX in the text: {math['raw'][:3]}")

    uncaptioned = reader.page.evaluate(
        "() => Array.from(document.querySelectorAll('main figure'))"
        ".filter(f => !f.querySelector('figcaption .caption-number')).map(f => f.id || f.outerHTML.slice(0, 80))")
    if uncaptioned:
        problems.append(f"figures without a numbered caption: {uncaptioned}")

    images = reader.page.evaluate(IMAGES)
    unloaded = [img for img in images if img["width"] == 0]
    if unloaded:
        problems.append(f"images not loaded: {unloaded}")

    if reader.page.locator(f'a[href="{REPOSITORY}"]').count() == 0:
        problems.append("no repository button")
    notebook = (ROOT / f"{page}.ipynb").exists()
    if notebook:
        binder = reader.page.locator(
            f'a[href^="https://mybinder.org/v2/gh/dtcart/dtcart/main?urlpath=lab/tree/{page}.ipynb"]')
        colab = reader.page.locator(
            f'a[href="https://colab.research.google.com/github/dtcart/dtcart/blob/main/{page}.ipynb"]')
        thebe = reader.page.locator(".btn-launch-thebe")
        for name, locator in (("Binder", binder), ("Colab", colab), ("Live Code (Thebe)", thebe)):
            if locator.count() == 0:
                problems.append(f"no {name} launch button")

    text = reader.page.inner_text("main")
    for leak in ("Figure size", "Traceback (most recent call last)", "Error displaying widget"):
        if leak in text:
            problems.append(f"{leak!r} shows on the page")
    reprs = re.findall(r"<[^<>\n]{1,120} at 0x[0-9a-fA-F]+>", text)
    if reprs:
        problems.append(f"object reprs in the output: {reprs[:3]}")

    raw = reader.page.evaluate(RAW_OR_CUT)
    if raw["table"]:
        problems.append(f"raw markdown table in the text: {raw['table'][:3]}")
    if raw["dollar"]:
        problems.append(f"raw $...$ in the text: {raw['dollar'][:3]}")
    if raw["code"]:
        problems.append(f"{len(raw['code'])} code blocks wider than their box: {raw['code'][:5]}")
    if raw["maths"]:
        problems.append(f"displayed equations wider than their box: {raw['maths'][:3]}")
    if raw["tables"]:
        problems.append(f"tables wider than the text: {raw['tables'][:3]}")

    smallest = smallest_font_pt(page)
    for figure in reader.page.evaluate(FIGURE_SCALES):
        if figure["dpi"] is None:
            continue  # no recorded resolution: not a matplotlib figure, nothing to judge
        text_px = smallest * figure["dpi"] / 72 * figure["shown"] / figure["natural"]
        if text_px < MIN_TEXT_PX:
            problems.append(
                f"figure {figure['src']}: {smallest:g} pt text shows at {text_px:.1f} px (natural width"
                f" {figure['natural']} px at {figure['dpi']:.0f} dpi, shown {figure['shown']:.0f} px wide)")

    problems += reader.errors + [f"broken: {b}" for b in reader.broken]
    problems += [f"off-site request: {url}" for url in reader.offsite]
    assert not problems, f"{page} ({len(images)} images, {math['typeset']} equations):\n  " + "\n  ".join(problems)


VISIBLE_FRAME = """box => {
  const shown = Array.from(box.querySelectorAll('img')).filter(img => img.offsetParent !== null);
  return {count: shown.length, src: shown.length ? shown[0].currentSrc : null,
          width: shown.length ? shown[0].naturalWidth : 0,
          readout: (box.querySelector('.widget-readout') || {}).textContent};
}"""


LIVE_STEP = """box => Number(/step (\\d+)/.exec(box.querySelector('.dtcart-live-readout').textContent)[1])"""
# steps per second of wall time, measured in the page over one second
LIVE_RATE = f"""box => new Promise(done => {{ const step = {LIVE_STEP}, s0 = step(box), t0 = performance.now();
  setTimeout(() => done(1000 * (step(box) - s0) / (performance.now() - t0)), 1000); }})"""


def play_live(reader, box, name: str) -> int:
    """Play the live element ``box`` by keyboard, move its dial mid-episode, shove it; returns the
    steps it played a second (50 in real time)."""
    box.scroll_into_view_if_needed()
    readout = box.locator(".dtcart-live-readout")
    box.get_by_label("play", exact=True).focus()
    reader.page.keyboard.press("Enter")
    rate = box.evaluate(LIVE_RATE)
    played = box.evaluate(LIVE_STEP)
    before = readout.text_content()
    box.get_by_label("gain K", exact=True).or_(box.get_by_label("target return", exact=True)).focus()
    reader.page.keyboard.press("Home")  # the dial to its low end, mid-episode
    reader.page.wait_for_timeout(100)
    assert readout.text_content() != before, f"{name}: the dial did not reach the readout"
    box.get_by_label("shove", exact=True).click()
    reader.page.wait_for_timeout(300)
    box.screenshot(path=str(shot_name(name, "-live")))
    assert box.evaluate(LIVE_STEP) > played or "running" not in readout.text_content(), readout.text_content()
    return rate


@pytest.mark.parametrize("page", LIVE_PAGES)
def test_live_element_plays_without_a_kernel(reader, page):
    reader.open(page)
    boxes = reader.page.locator(".dtcart-live")
    assert boxes.count() >= 1, f"{page}: no dtcart.live element on the page"
    for i in range(boxes.count()):
        rate = play_live(reader, boxes.nth(i), f"{page}-{i}")
        assert 25 <= rate <= 52, f"{page} live {i}: {rate:.1f} steps a second (real time is 50)"
    assert not reader.errors and not reader.offsite, reader.errors + reader.offsite


def test_site_reads_from_a_folder(browser, site):
    """The README's way: open _build/html/index.html as a file. It forwards to the landing page, and a
    live page typesets its math and plays its cart-pole with no server and no network."""
    reader = Reader(browser, site.resolve().as_uri() + "/")
    try:
        reader.page.goto(reader.base_url + "index.html", wait_until="load")
        reader.page.wait_for_url("**/book/index.html", timeout=10_000)
        reader.open(LIVE_PAGES[0])
        math = reader.page.evaluate(MATH_STATE)
        assert math["count"] and not math["untypeset"] and not math["raw"], math
        assert play_live(reader, reader.page.locator(".dtcart-live").first, "from-a-folder") > 0
        assert not reader.errors and not reader.offsite and not reader.broken, \
            reader.errors + reader.offsite + reader.broken
    finally:
        reader.close()


# --- animations (dtcart.display.frame_player): play, scrub, and the weight budget ---

ANIMATION_PAGES = ("book/01_physics", "book/02_control_and_data", "book/06_decision_transformer")
ANIMATION_BUDGET = 1_000_000  # bytes one animation may add to its page (its widget state, frames included)
SITE_BUDGET = 30_000_000  # bytes, the whole built site
PAGE_WEIGHTS = ROOT / "_build" / "page_weights.json"
PLAYER_CLASS = "dtcart-frame-player"
WIDGET_STATE = re.compile(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', re.S)

FRAME_CHANGES = """(box, [src, limit]) => new Promise(resolve => {
  const t0 = performance.now();
  (function poll() {
    const shown = Array.from(box.querySelectorAll('img')).filter(i => i.offsetParent !== null);
    if (shown.length === 1 && shown[0].currentSrc !== src) resolve(performance.now() - t0);
    else if (performance.now() - t0 > limit) resolve(null);
    else setTimeout(poll, 25);
  })();
})"""

LOADED_BYTES = """() => performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
  .reduce((sum, e) => sum + (e.encodedBodySize || e.transferSize || 0), 0)"""


def animation_weights(html: str, css_class: str = PLAYER_CLASS) -> list[int]:
    """Bytes each frame player (or other widget of ``css_class``) of a built page adds to it: the embedded widget state (JSON, frames
    included) of the player and of every model it refers to, each model counted once."""
    weights = []
    for block in WIDGET_STATE.findall(html):
        models = json.loads(block)["state"]

        def refers_to(model: dict) -> list[str]:
            found = re.findall(r'"IPY_MODEL_([0-9a-f]+)"', json.dumps(model["state"]))
            return [m for m in found if m in models]

        for model_id, model in models.items():
            if css_class not in model["state"].get("_dom_classes", []):
                continue
            seen, todo = set(), [model_id]
            while todo:
                current = todo.pop()
                if current not in seen:
                    seen.add(current)
                    todo += refers_to(models[current])
            weights.append(sum(len(json.dumps(models[m])) for m in seen))
    return weights


def live_weights(html: str) -> list[int]:
    """Bytes each dtcart.live element adds to a built page: its <div>, script and inlined weights."""
    return [len(m.encode()) for m in re.findall(r'<div class="dtcart-live".*?</script>', html, re.S)]


def site_bytes(site: Path) -> int:
    return sum(p.stat().st_size for p in site.rglob("*") if p.is_file())


@pytest.mark.parametrize("page", ANIMATION_PAGES)
def test_animation_plays_and_scrubs_without_a_kernel(reader, site, page):
    """Network off: play changes the frame within 2 s, pause holds it, the scrubber moves it; every
    animation's frames fit its budget, and the page's weight is recorded in _build/page_weights.json."""
    reader.open(page)
    players = reader.page.locator(f".{PLAYER_CLASS}")
    assert players.count() >= 1, f"{page}: no dtcart.display.frame_player on the page"
    for i in range(players.count()):
        box = players.nth(i)
        box.scroll_into_view_if_needed()
        before = box.evaluate(VISIBLE_FRAME)
        assert before["count"] == 1 and before["width"] > 0, f"{page} animation {i}: no first frame: {before}"
        box.screenshot(path=str(shot_name(page, f"-animation{i}-start")))

        play = box.locator(".widget-play button").first  # play, and pause when playing
        play.click()
        waited = box.evaluate(FRAME_CHANGES, [before["src"], 2000])
        assert waited is not None, f"{page} animation {i}: play did not change the frame within 2 s"
        reader.page.wait_for_timeout(400)
        play.click()  # pause
        paused = box.evaluate(VISIBLE_FRAME)
        reader.page.wait_for_timeout(400)
        assert box.evaluate(VISIBLE_FRAME)["src"] == paused["src"], f"{page} animation {i}: pause did not hold"
        box.screenshot(path=str(shot_name(page, f"-animation{i}-playing")))

        handle = box.locator(".noUi-handle")
        handle.focus()
        reader.page.keyboard.press("End")
        moved = box.evaluate(FRAME_CHANGES, [paused["src"], 2000])
        end = box.evaluate(VISIBLE_FRAME)
        assert moved is not None and end["readout"] != paused["readout"], (paused, end)
        assert handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
        box.screenshot(path=str(shot_name(page, f"-animation{i}-end")))
        print(f"{page} animation {i}: play changed the frame after {waited:.0f} ms")

    html = (site / f"{page}.html").read_text()
    weights = animation_weights(html)
    assert len(weights) == players.count()
    record = json.loads(PAGE_WEIGHTS.read_text()) if PAGE_WEIGHTS.is_file() else {}
    record[page] = {"html_bytes": len(html.encode()), "loaded_bytes": reader.page.evaluate(LOADED_BYTES),
                    "animation_bytes": weights, "live_bytes": live_weights(html),
                    "site_bytes": site_bytes(site)}
    PAGE_WEIGHTS.write_text(json.dumps(record, indent=1))
    print(f"{page}: {record[page]}")
    over = [w for w in weights + record[page]["live_bytes"] if w > ANIMATION_BUDGET]
    assert not over, f"{page}: animations over {ANIMATION_BUDGET} bytes: {weights}"
    assert record[page]["site_bytes"] < SITE_BUDGET, f"the built site is {record[page]['site_bytes']} bytes"
    assert not reader.errors and not reader.offsite, reader.errors + reader.offsite
