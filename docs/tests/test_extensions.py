"""The tutorial gallery and the benchmarks page, built by Sphinx from small projects,
and a benchmark run published by ``bench/run_all.py`` the way the page reads it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import tutorials

DOCS = Path(__file__).resolve().parent.parent
ROOT = DOCS.parent

FRONT = """---
kernelspec:
  name: python3
  display_name: Python 3
minpy_tutorial:
  order: {order}
  summary: {summary}
---

```python
# not the title: a comment in a code block
```

# {title}

Text.
"""


def _tutorial(folder, name, title, order, summary="What it shows."):
    (folder / f"{name}.md").write_text(FRONT.format(title=title, order=order,
                                                     summary=summary))


def test_tutorials_are_read_from_their_front_matter_in_order(tmp_path):
    _tutorial(tmp_path, "b_second", "Second", 20)
    _tutorial(tmp_path, "a_third", "Third", 30)
    _tutorial(tmp_path, "z_first", "First", 10)
    found = tutorials.tutorials_in(tmp_path)
    assert [t["name"] for t in found] == ["z_first", "b_second", "a_third"]
    assert found[0]["title"] == "First" and found[0]["summary"] == "What it shows."


def test_an_ipynb_tutorial_is_read_from_its_metadata(tmp_path):
    nb = {"cells": [{"cell_type": "markdown", "source": ["# From a notebook\n"]}],
          "metadata": {"minpy_tutorial": {"order": 5, "summary": "Cells."}}}
    (tmp_path / "nb.ipynb").write_text(json.dumps(nb))
    assert tutorials.tutorials_in(tmp_path) == [
        {"name": "nb", "path": str(tmp_path / "nb.ipynb"), "title": "From a notebook",
         "order": 5, "summary": "Cells."}]


CONF = """
extensions = ["myst_nb", "sphinx_design", "tutorials", "bench_results"]
nb_execution_mode = "off"
exclude_patterns = ["benchmarks"]
"""


def _sphinx(src: Path, out: Path):
    """Build ``src`` to HTML with warnings as errors; (ok, warnings text)."""
    from io import StringIO

    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace

    warnings = StringIO()
    # docutils registers directives process-wide: each build in a namespace of its own
    with docutils_namespace():
        try:
            app = Sphinx(str(src), str(src), str(out), str(out / ".doctrees"), "html",
                         status=None, warning=warnings, warningiserror=True,
                         freshenv=True)
            app.build()
        except Exception as exc:  # noqa: BLE001 - SphinxError, or myst-nb's ExecutionError
            chain = f"\n{type(exc).__name__}: {exc}\ncause: {exc.__cause__}"
            return False, warnings.getvalue() + chain
    return app.statuscode == 0, warnings.getvalue()


@pytest.fixture
def project(tmp_path):
    """A documentation folder ``src`` in a checkout-like ``tmp_path`` (with
    bench/_provenance.py and a package source, which the benchmarks page fingerprints)."""
    (tmp_path / "bench").mkdir()
    shutil.copy(ROOT / "bench" / "_provenance.py", tmp_path / "bench")
    (tmp_path / "packages" / "p" / "src").mkdir(parents=True)
    (tmp_path / "packages" / "p" / "src" / "m.py").write_text("x = 1\n")
    src = tmp_path / "src"
    (src / "tutorials").mkdir(parents=True)
    (src / "conf.py").write_text(CONF)
    (src / "index.rst").write_text("Home\n====\n\n.. toctree::\n\n   tutorials/index\n"
                                   "   benchmarks\n")
    (src / "tutorials" / "index.rst").write_text("Tutorials\n=========\n\n"
                                                 ".. tutorial-gallery::\n")
    _tutorial(src / "tutorials", "one", "The first one", 10)
    _tutorial(src / "tutorials", "two", "The second one", 20)
    (src / "benchmarks").mkdir()
    (src / "benchmarks.rst").write_text("Benchmarks\n==========\n\n.. benchmark-run::\n\n"
                                        "One\n---\n\n.. benchmark:: numpy\n\n"
                                        ".. benchmark::\n")
    return src


def _results(src, *, fingerprint=None, quick=False, missed=True):
    rows = [{"section": "a", "name": "add", "minpy_us": 13.0, "ref_us": 10.0, "ref": "mx.np",
             "target": 1.2, "cmp": "<=", "ratio": 1.3, "passed": not missed, "note": "n1",
             "unit": "us"},
            {"section": "m", "name": "rss", "minpy_us": 0.5, "ref_us": None, "ref": "",
             "target": 10, "cmp": "value<=", "ratio": None, "passed": True, "note": "",
             "unit": "MiB"}]
    doc = {"schema": 1, "generated": "2026-12-01T10:00:00+0000", "command": "python x",
           "quick": quick, "elapsed_s": 60.0, "machine": {"cpu_count": 2, "numpy": "2.4"},
           "code": {"fingerprint": fingerprint or "0" * 64, "commit": "abc", "dirty": False},
           "benchmarks": [
               {"name": "numpy", "title": "minpy-numpy", "ok": True, "status": "ok",
                "seconds": 30, "quick": quick, "machine": None, "plot": None, "rows": rows},
               {"name": "newbench", "title": "minpy-new", "ok": False,
                "status": "exit status 1", "seconds": 2, "quick": quick, "machine": None,
                "plot": None, "rows": []}]}
    (src / "benchmarks" / "results.json").write_text(json.dumps(doc))


def test_gallery_and_benchmarks_page_render(project, tmp_path):
    _results(project)
    ok, warnings = _sphinx(project, tmp_path / "out")
    assert ok, warnings
    gallery = (tmp_path / "out" / "tutorials" / "index.html").read_text()
    assert gallery.index("The first one") < gallery.index("The second one")
    assert 'href="one.html"' in gallery and "What it shows." in gallery
    page = (tmp_path / "out" / "benchmarks.html").read_text()
    assert "\u2717 missed" in page and "\u2713 met" in page and "1.30x" in page
    assert "\u2264 10 MiB" in page and "n1" in page
    # the code these pages document is not what the run measured (fingerprint 0...0)
    assert "changed since this run" in page
    # a benchmark without a section of its own, whose script failed, still shows
    assert "minpy-new" in page and "failed in this run: exit status 1" in page


def test_benchmarks_page_says_when_it_documents_the_measured_code(project, tmp_path):
    import _provenance
    # the page fingerprints the checkout it belongs to: srcdir/.. is tmp_path here
    _results(project, fingerprint=_provenance.code_fingerprint(tmp_path), quick=True)
    ok, warnings = _sphinx(project, tmp_path / "out")
    assert ok, warnings
    page = (tmp_path / "out" / "benchmarks.html").read_text()
    assert "the code documented here" in page and "changed since" not in page
    assert "quick (smoke) run" in page


def test_a_tutorial_without_a_summary_fails_the_build(project, tmp_path):
    _results(project)
    _tutorial(project / "tutorials", "three", "Third", 30, summary="")
    ok, warnings = _sphinx(project, tmp_path / "out")
    assert not ok and "tutorial 'three' has no summary" in warnings


def test_a_benchmark_the_run_lacks_fails_the_build(project, tmp_path):
    _results(project)
    (project / "benchmarks.rst").write_text("Benchmarks\n==========\n\n"
                                            ".. benchmark:: autograd\n")
    ok, warnings = _sphinx(project, tmp_path / "out")
    assert not ok and "the benchmark run has no 'autograd'" in warnings


def test_an_optional_benchmark_newer_than_the_run_is_announced(project, tmp_path):
    _results(project)
    (project / "benchmarks.rst").write_text("Benchmarks\n==========\n\n"
                                            ".. benchmark:: jit\n   :optional:\n")
    ok, warnings = _sphinx(project, tmp_path / "out")
    assert ok, warnings
    assert "is not in this run" in (tmp_path / "out" / "benchmarks.html").read_text()


def test_run_all_publishes_what_the_page_reads(tmp_path):
    import run_all
    results = tmp_path / "results"
    results.mkdir()
    row = {"section": "a dispatch", "name": "add n=10", "minpy_us": 13.0, "ref_us": 10.0,
           "ref": "mx.np", "target": 1.3, "cmp": "<=", "note": "", "unit": "us"}
    (results / "numpy.json").write_text(json.dumps({
        "schema": 1, "benchmark": "minpy-numpy", "machine": {"cpu_count": 2},
        "quick": False, "elapsed_s": 3.0, "rows": [row, {**row, "name": "exp n=10",
                                                          "minpy_us": 20.0}]}))
    (results / "symbol.json").write_text(json.dumps({  # bench_symbol's own format
        "benchmark": "bench_symbol", "results_us": {"f": {"us_min": 11.0},
                                                    "c": {"us_min": 10.0}},
        "ratios": [{"pass": "forward", "numerator": "f", "denominator": "c",
                    "ratio_min": 1.1, "target": 1.05}]}))
    published = tmp_path / "published"
    (published).mkdir()
    (published / "stale.png").write_bytes(b"old")  # a benchmark that is gone
    assert run_all.main(["--summary-only", "--only", "numpy,symbol", "--out", str(results),
                         "--publish", str(published)]) == 0
    doc = json.loads((published / "results.json").read_text())
    assert [b["name"] for b in doc["benchmarks"]] == ["numpy", "symbol"]
    numpy_rows = doc["benchmarks"][0]["rows"]
    assert [r["passed"] for r in numpy_rows] == [True, False]
    assert doc["benchmarks"][1]["rows"][0]["passed"] is False   # 1.1 > 1.05
    assert len(doc["code"]["fingerprint"]) == 64 and doc["generated"]
    assert {p.name for p in published.iterdir()} == {
        "results.json", "numpy.png", "symbol.png", "overview.png"}


def test_a_benchmark_with_its_own_chart_reaches_the_page(project, tmp_path):
    """bench_soak.py draws its RSS curve itself ("plot" in its JSON): run_all publishes
    that chart (not a ratio chart) and the page shows it (issue 23)."""
    import run_all
    results = tmp_path / "results"
    results.mkdir()
    shutil.copy(DOCS / "benchmarks" / "overview.png", results / "soak_rss.png")
    row = {"section": "soak", "name": "RSS spread after warm-up", "minpy_us": 1.6,
           "ref_us": None, "ref": "", "target": 5.0, "cmp": "value<=", "note": "",
           "unit": "%"}
    (results / "soak.json").write_text(json.dumps({
        "schema": 1, "benchmark": "memory soak", "machine": {"cpu_count": 2},
        "quick": False, "elapsed_s": 180.0, "rows": [row], "plot": "soak_rss.png",
        "series": {"step": [0, 500], "rss_mib": [150.0, 151.0]}}))
    published = project / "benchmarks"
    assert run_all.main(["--summary-only", "--only", "soak", "--out", str(results),
                         "--publish", str(published)]) == 0
    doc = json.loads((published / "results.json").read_text())
    assert [(b["name"], b["plot"]) for b in doc["benchmarks"]] == [("soak", "soak_rss.png")]
    assert (published / "soak_rss.png").read_bytes() == (results / "soak_rss.png").read_bytes()
    (project / "benchmarks.rst").write_text("Benchmarks\n==========\n\n"
                                            ".. benchmark:: soak\n")
    ok, warnings = _sphinx(project, tmp_path / "out")
    assert ok, warnings
    page = (tmp_path / "out" / "benchmarks.html").read_text()
    assert "soak_rss.png" in page and "\u2264 5 %" in page
    assert (tmp_path / "out" / "_images" / "soak_rss.png").exists()


NOTEBOOK = """---
jupytext:
  text_representation:
    format_name: myst
kernelspec:
  name: python3
  display_name: Python 3
---

# {title}

```{{code-cell}} python
print("before")
{code}
```
"""


@pytest.mark.parametrize("code, ok", [("raise ValueError('planted failure')", False),
                                      ("print('fine')", True)])
def test_a_failing_cell_fails_the_build(tmp_path, code, ok):
    """With the documentation's own configuration (docs/conf.py), a notebook whose cell
    raises fails the build; the same notebook without the error builds."""
    src = tmp_path / "src"
    for folder in ("_static", "_templates"):
        shutil.copytree(DOCS / folder, src / folder)
    # (not "index": the front page's column links the real guides)
    (src / "conf.py").write_text(f"__file__ = {str(DOCS / 'conf.py')!r}\n"
                                 "exec(open(__file__).read())\nroot_doc = 'start'\n")
    (src / "start.md").write_text(NOTEBOOK.format(title="Home", code=code))
    built, warnings = _sphinx(src, tmp_path / "out")
    assert built == ok, warnings
    if not ok:
        assert "planted failure" in warnings
    else:
        assert "fine" in (tmp_path / "out" / "start.html").read_text()
