"""Open every page of the built documentation in headless Chromium and check it as a
reader's browser renders it.

    python docs/browser_check.py [docs/_build/html] [--out docs/_build/browser]

Serves the build folder on 127.0.0.1 and, in Debian's Chromium driven by Playwright
(``executable_path``; Playwright never downloads a browser here), opens every ``.html``
page and fails on:

* a console error or an uncaught script error;
* a request that fails or answers 400 or more (a missing image, script, style sheet);
* an image that does not decode (``naturalWidth`` 0);
* a link to a page or file of the build that does not exist, or to an anchor that the
  target page, as rendered, does not have;
* a search for ``grad`` that finds no page about it.

It saves screenshots of the front page (light and dark), a tutorial and the benchmarks
page into ``--out``. Without Chromium (or Playwright) it says so loudly and exits 0,
except in CI (``CI`` set) or with ``MINPY_REQUIRE_BROWSER=1``, where that is a failure.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

HERE = Path(__file__).resolve().parent
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
# The flags this machine's closed network needs (without the background-networking ones
# Chromium keeps trying to reach Google's hosts), and a fresh profile every run.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]
SEARCH_TERM = "grad"
SEARCH_TIMEOUT_MS = 20000   # Sphinx's search loads its index, then lists the results
SCREENSHOTS = {  # file name: (page, colour scheme, whole page)
    "index.png": ("index.html", "light", False),
    "index-dark.png": ("index.html", "dark", False),
    "index-full.png": ("index.html", "light", True),
    "tutorial.png": ("tutorials/training_with_nn.html", "light", True),
    "tutorial-dark.png": ("tutorials/training_with_nn.html", "dark", False),
    "benchmarks.png": ("benchmarks.html", "light", False),
}

# Every image of the page, lazy ones included, loaded or failed; the broken ones' URLs.
_BROKEN_IMAGES_JS = """async () => {
  const imgs = Array.from(document.images);
  imgs.forEach(i => { i.loading = "eager"; });
  await Promise.all(imgs.map(i => i.complete ? null : new Promise(r => {
    i.addEventListener("load", r, {once: true});
    i.addEventListener("error", r, {once: true});
    setTimeout(r, 5000);
  })));
  return imgs.filter(i => !(i.complete && i.naturalWidth > 0))
             .map(i => i.currentSrc || i.src || i.outerHTML.slice(0, 120));
}"""
_IDS_JS = """() => Array.from(document.querySelectorAll("[id], a[name]"))
                 .map(e => e.id || e.getAttribute("name"))"""
_LINKS_JS = """() => Array.from(document.querySelectorAll("a[href]"))
                 .map(a => a.href)"""


def required() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("MINPY_REQUIRE_BROWSER") == "1"


def missing(what: str) -> int:
    """Chromium or Playwright is not there: a failure where the check is required."""
    bar = "!" * 78
    print(f"\n{bar}\n!! BROWSER CHECK NOT RUN: {what}\n"
          "!! The built pages were NOT opened in a browser (console errors, images,\n"
          "!! anchors and search are unchecked). Install Debian's Chromium:\n"
          "!!     apt-get install -y chromium chromium-driver\n"
          f"{bar}\n", flush=True)
    if required():
        print("browser check: FAILED (CI or MINPY_REQUIRE_BROWSER=1 requires it)", flush=True)
        return 1
    return 0


def find_chromium() -> str | None:
    for candidate in (os.environ.get("MINPY_CHROMIUM"), *CHROMIUM_CANDIDATES,
                      shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


class _Handler(http.server.SimpleHTTPRequestHandler):
    errors: list = []

    def log_message(self, format, *args):  # quiet; failures are collected instead
        pass

    def send_error(self, code, message=None, explain=None):
        self.errors.append(f"HTTP {code} for {unquote(self.path)}")
        super().send_error(code, message, explain)


def serve(root: Path):
    handler = type("Handler", (_Handler,), {"errors": []})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, handler.errors


class Checker:
    def __init__(self, root: Path, base: str):
        self.root, self.base = root, base
        self.problems: list[str] = []
        self.ids: dict[str, set] = {}
        self.links: list[tuple[str, str]] = []
        self.images = 0

    def page_name(self, url: str) -> str:
        path = unquote(urlparse(url).path).lstrip("/")
        return path or "index.html"

    def watch(self, page, label):
        def on_console(msg):
            if msg.type == "error":
                self.problems.append(f"{label()}: console error: {msg.text}")
        page.on("console", on_console)
        page.on("pageerror", lambda exc: self.problems.append(
            f"{label()}: script error: {exc}"))
        # ERR_ABORTED: a fetch cancelled by the next navigation, not a missing resource
        # (those answer 404 and are caught below, and by the server).
        page.on("requestfailed", lambda req: "ERR_ABORTED" not in (req.failure or "")
                and self.problems.append(f"{label()}: request failed: {req.url} "
                                         f"({req.failure})"))
        page.on("response", lambda resp: resp.status >= 400 and self.problems.append(
            f"{label()}: HTTP {resp.status} for {resp.url}"))

    def visit(self, page, name: str):
        page.goto(self.base + name, wait_until="load")
        broken = page.evaluate(_BROKEN_IMAGES_JS)
        self.images += page.evaluate("() => document.images.length")
        for src in broken:
            self.problems.append(f"{name}: image does not load: {src}")
        self.ids[name] = set(page.evaluate(_IDS_JS))
        for href in page.evaluate(_LINKS_JS):
            if href.startswith(self.base):
                self.links.append((name, href))

    def check_links(self):
        for source, href in self.links:
            url, fragment = urldefrag(href)
            target = self.page_name(url)
            if target.endswith("/"):
                target += "index.html"
            if target.endswith(".html"):
                if target not in self.ids:
                    self.problems.append(f"{source}: link to a missing page {href}")
                elif fragment and unquote(fragment) not in self.ids[target]:
                    self.problems.append(f"{source}: link to a missing anchor {href}")
            elif not (self.root / target).exists():
                self.problems.append(f"{source}: link to a missing file {href}")

    def search(self, page) -> list[str]:
        page.goto(self.base + f"search.html?q={SEARCH_TERM}", wait_until="load")
        try:
            page.wait_for_function(
                "() => document.querySelectorAll('#search-results ul.search li').length > 0",
                timeout=SEARCH_TIMEOUT_MS)
        except Exception as exc:  # noqa: BLE001 - reported as the check's failure
            self.problems.append(f"search.html?q={SEARCH_TERM}: no result ({exc})")
            return []
        hits = page.evaluate("""() => Array.from(
            document.querySelectorAll('#search-results ul.search li a'))
            .map(a => a.textContent + ' ' + a.getAttribute('href'))""")
        if not any(SEARCH_TERM in h.lower() for h in hits):
            self.problems.append(f"search for {SEARCH_TERM!r}: no result names it: {hits[:5]}")
        return hits


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("html", nargs="?", default=str(HERE / "_build" / "html"))
    p.add_argument("--out", default=None, help="screenshots (default: <html>/../browser)")
    args = p.parse_args(argv)
    root = Path(args.html).resolve()
    out = Path(args.out) if args.out else root.parent / "browser"
    if not (root / "index.html").exists():
        print(f"browser check: no built documentation in {root}", flush=True)
        return 1
    chromium = find_chromium()
    if chromium is None:
        return missing("Chromium is not installed (looked for "
                       + ", ".join(CHROMIUM_CANDIDATES) + ", $MINPY_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return missing("the Python package playwright is not installed")
    # _static/ holds the theme's assets (a template fragment among them), not pages.
    pages = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.html")
                   if p.relative_to(root).parts[0] != "_static")
    server, server_errors = serve(root)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    checker = Checker(root, base)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    profile = tempfile.mkdtemp(prefix="minpy-docs-chromium-")
    try:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                profile, executable_path=chromium, headless=True, args=CHROMIUM_FLAGS,
                viewport={"width": 1280, "height": 900}, color_scheme="light")
            page = context.new_page()
            current = {"name": "?"}
            checker.watch(page, lambda: current["name"])
            for name in pages:
                current["name"] = name
                checker.visit(page, name)
            current["name"] = "search"
            hits = checker.search(page)
            for file, (name, scheme, full) in SCREENSHOTS.items():
                current["name"] = f"screenshot {file}"
                page.emulate_media(color_scheme=scheme)
                page.goto(base + name, wait_until="load")
                page.evaluate(_BROKEN_IMAGES_JS)
                page.screenshot(path=str(out / file), full_page=full)
            context.close()
    finally:
        server.shutdown()
        shutil.rmtree(profile, ignore_errors=True)
    checker.check_links()
    problems = list(dict.fromkeys(checker.problems + server_errors))
    print(f"browser check: {len(pages)} pages, {len(checker.links)} links within the "
          f"build, {checker.images} images, search {SEARCH_TERM!r}: {len(hits)} results; "
          f"{time.perf_counter() - t0:.1f} s in {chromium}; screenshots in {out}",
          flush=True)
    if problems:
        print(f"browser check: FAILED, {len(problems)} problem(s):")
        for line in problems:
            print("  " + line)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
