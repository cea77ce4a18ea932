"""Screens per page: how long each page of the built book is, as a reader at 1280x1000 sees it.

    python tools/screens.py [SITE] [--json OUT]

SITE is a built site (default `_build/html`, from `jupyter-book build .`). Each page of `_toc.yml`
is opened in headless Chromium (Debian's `/usr/bin/chromium` through Playwright, never a download)
with the network off, at a 1280x1000 viewport, with every collapsed cell left collapsed (the
state a reader first sees). The page's document height divided by 1000 is its number of screens.
DEVELOPERS.md's budget: at most 16 screens a chapter, 12 for the appendix.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import re
import shutil
import sys
import threading
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT = 1280, 1000
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update"]
BUDGET = {"book/appendix_performance": 12}
CHAPTER_BUDGET = 16
TIMEOUT_MS = 300_000


def toc_pages(toc_file: Path = ROOT / "_toc.yml") -> list[str]:
    """Every page of the book in _toc.yml order, as paths without suffix."""
    toc = yaml.safe_load(toc_file.read_text())
    pages = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                pages.append(node["file"])
            for key, value in node.items():
                if key != "root":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in toc.items() if k != "root"})
    return [re.sub(r"\.(md|ipynb)$", "", page) for page in pages]


def chromium() -> str:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    raise SystemExit("no Chromium found (apt-get install chromium)")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


# Height of the document as laid out, with collapsed cells (<details> closed) left closed.
_HEIGHT_JS = """() => Math.max(document.documentElement.scrollHeight,
                                document.body.scrollHeight)"""
_SETTLE_JS = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  await Promise.all(Array.from(document.images).map(img => img.complete ? null :
      new Promise(done => { img.onload = img.onerror = done; })));
}"""


def measure(site: Path, pages: list[str]) -> dict[str, float]:
    """Screens (document height / 1000 px) of each page at 1280x1000."""
    from playwright.sync_api import sync_playwright

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/"
    screens = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium(),
                                                 args=CHROMIUM_ARGS)
            for page_name in pages:
                context = browser.new_context(
                    viewport={"width": WIDTH, "height": HEIGHT},
                    service_workers="block")
                context.route("**/*", lambda route: route.continue_()
                              if route.request.url.startswith((base, "data:", "blob:"))
                              else route.abort("internetdisconnected"))
                page = context.new_page()
                page.set_default_timeout(TIMEOUT_MS)  # a loaded machine is slow
                page.goto(base + page_name + ".html", wait_until="load")
                page.evaluate(_SETTLE_JS)
                page.wait_for_timeout(500)
                screens[page_name] = page.evaluate(_HEIGHT_JS) / HEIGHT
                context.close()
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return screens


def budget(page: str) -> float | None:
    """The page's screen budget: 12 for the appendix, 16 for a chapter, none otherwise."""
    if page in BUDGET:
        return BUDGET[page]
    return CHAPTER_BUDGET if re.match(r"book/\d\d_", page) else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", default=str(ROOT / "_build" / "html"))
    parser.add_argument("--json", help="also write {page: screens} to this file")
    args = parser.parse_args(argv)
    site = Path(args.site)
    if not (site / "index.html").is_file():
        raise SystemExit(f"{site} holds no index.html: build the book first")
    pages = [p for p in toc_pages() if (site / f"{p}.html").is_file()]
    screens = measure(site, pages)
    over = 0
    for page, value in screens.items():
        limit = budget(page)
        flag = "" if limit is None or value <= limit else f"  OVER {limit}"
        over += bool(flag)
        print(f"{page:40s} {value:6.1f}{flag}")
    if args.json:
        Path(args.json).write_text(json.dumps(screens, indent=1) + "\n")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
