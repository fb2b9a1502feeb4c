"""The browser check fails on what it promises to catch, and passes a clean site.

Each defect is planted in a small site of hand-written pages (no Sphinx), so that the
test shows the check can fail: a console error, an uncaught script error, an image that
does not load, a link to a missing page, file or anchor, a search without a result.
"""

from __future__ import annotations

import browser_check
import pytest

CLEAN_SEARCH = """<html><body><div id="search-results"><ul class="search">
<li><a href="api.html#minpy.autograd.grad">minpy.autograd.grad</a></li></ul></div>
</body></html>"""
# A search page whose results arrive after the page loaded, as Sphinx's do.
LATE_SEARCH = """<html><body><div id="search-results"></div><script>
setTimeout(() => { document.getElementById("search-results").innerHTML =
  '<ul class="search"><li><a href="api.html">grad</a></li></ul>'; }, 300);
</script></body></html>"""
PIXEL = bytes.fromhex(  # a 1x1 PNG
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")


def _need_browser():
    if browser_check.find_chromium() is None:
        if browser_check.required():
            pytest.fail("Chromium is required here (CI or MINPY_REQUIRE_BROWSER=1)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    pytest.importorskip("playwright", reason="the Python package playwright is absent")


def _page(body):
    # with an icon: without one, Chromium asks for /favicon.ico (a 404, an error)
    return f"<html><head><link rel=icon href=pixel.png></head><body>{body}</body></html>"


def _site(tmp_path, pages, search=CLEAN_SEARCH):
    root = tmp_path / "html"
    root.mkdir()
    (root / "search.html").write_text(search.replace("<html>", "<html><head><link "
                                                     "rel=icon href=pixel.png></head>"))
    (root / "pixel.png").write_bytes(PIXEL)
    (root / "api.html").write_text(_page('<h1 id="minpy.autograd.grad">grad</h1>'))
    for name, body in pages.items():
        (root / name).write_text(_page(body))
    return root


def _run(root, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(browser_check, "SCREENSHOTS", {"front.png": ("index.html",
                                                                     "dark", False)})
    rc = browser_check.main([str(root), "--out", str(tmp_path / "shots")])
    return rc, capsys.readouterr().out


def test_a_clean_site_passes_and_is_photographed(tmp_path, capsys, monkeypatch):
    _need_browser()
    root = _site(tmp_path, {
        "index.html": '<img src="pixel.png"><a href="api.html#minpy.autograd.grad">g</a>'
                      '<a href="#top" id="top">top</a><a href="pixel.png">file</a>'},
        search=LATE_SEARCH)    # the results come after the page loaded: waited for
    rc, out = _run(root, tmp_path, capsys, monkeypatch)
    assert rc == 0, out
    assert "3 pages" in out and "search 'grad': 1 results" in out
    assert (tmp_path / "shots" / "front.png").stat().st_size > 1000


# One page per defect, all in one site (one browser run): each must be reported,
# against its page.
DEFECTS = {
    "console.html": ('<script>console.error("boom")</script>', "console error: boom"),
    "script.html": ("<script>undefined_function()</script>", "script error"),
    "image.html": ('<img src="missing.png">', "image does not load"),
    "http.html": ('<img src="pixel.png"><img src="gone.png">', "HTTP 404"),
    "page.html": ('<a href="nowhere.html">x</a>', "link to a missing page"),
    "anchor.html": ('<a href="api.html#not-there">x</a>', "link to a missing anchor"),
    "local.html": ('<a href="#nor-here">x</a>', "link to a missing anchor"),
    "file.html": ('<a href="_sources/gone.md">x</a>', "link to a missing file"),
}


def test_each_planted_defect_fails_the_check(tmp_path, capsys, monkeypatch):
    _need_browser()
    empty_search = '<html><body><div id="search-results"></div></body></html>'
    pages = {"index.html": "<p>front</p>", **{n: body for n, (body, _) in DEFECTS.items()}}
    root = _site(tmp_path, pages, search=empty_search)
    monkeypatch.setattr(browser_check, "SEARCH_TIMEOUT_MS", 1500)
    rc, out = _run(root, tmp_path, capsys, monkeypatch)
    assert rc == 1, out
    lines = out.splitlines()
    for name, (_, expected) in DEFECTS.items():
        assert any(line.strip().startswith(name) and expected in line for line in lines), (
            f"{name}: no {expected!r} in\n{out}")
    assert "search.html?q=grad: no result" in out
    assert not any(line.strip().startswith(("index.html", "api.html")) for line in lines)


@pytest.mark.parametrize("env, rc", [({}, 0), ({"CI": "true"}, 1),
                                     ({"MINPY_REQUIRE_BROWSER": "1"}, 1)])
def test_without_chromium_it_says_so_and_fails_only_where_required(
        tmp_path, capsys, monkeypatch, env, rc):
    for var in ("CI", "MINPY_REQUIRE_BROWSER"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    monkeypatch.setattr(browser_check, "find_chromium", lambda: None)
    root = _site(tmp_path, {"index.html": "<p>front</p>"})
    assert browser_check.main([str(root)]) == rc
    out = capsys.readouterr().out
    assert "BROWSER CHECK NOT RUN: Chromium is not installed" in out
    assert ("FAILED" in out) == bool(rc)
