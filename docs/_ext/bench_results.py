"""Sphinx extension: the benchmarks page, built from the run that ``nox -s bench`` (that
is, ``bench/run_all.py``) published into ``docs/benchmarks/``: ``results.json`` and the
plots. Nothing on the page is typed by hand, so it cannot disagree with the run.

``.. benchmark-run::``
    The run: date, command, duration, machine and versions, whether it measured the
    code these pages document (the fingerprint of ``packages/*/src`` then and now), the
    overview plot and one line per benchmark.
``.. benchmark:: NAME``
    One benchmark (``bench/bench_NAME.py``): its plot, every row as a table (MinPy's time,
    the reference's, the ratio, the target, met or missed) and the rows' notes. Without
    NAME: every benchmark of the run that no earlier ``benchmark`` directive showed,
    each under a heading of its own (nothing when there is none).

A NAME the run does not have is a warning (an error under ``-W``), unless the directive
has the ``:optional:`` flag (a benchmark newer than the published run: the page says so);
a benchmark whose script failed in the run shows the failure.
"""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)
_SHOWN = "bench_results_shown"


def _load(env):
    path = Path(env.srcdir) / env.config.bench_results_file
    env.note_dependency(str(path))
    try:
        return json.loads(path.read_text()), path
    except (OSError, ValueError) as exc:
        return exc, path


def _fingerprint_now(srcdir: Path):
    """The fingerprint of the code in this checkout (bench/_provenance.py), or None."""
    module_path = srcdir.parent / "bench" / "_provenance.py"
    if not module_path.exists():
        return None
    spec = importlib.util.spec_from_file_location("_minpy_bench_provenance", module_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.code_fingerprint(srcdir.parent)


def _para(*parts, classes=()):
    p = nodes.paragraph(classes=list(classes))
    for part in parts:
        p += part if isinstance(part, nodes.Node) else nodes.Text(str(part))
    return p


def _table(headers, rows, widths, classes=()):
    """A docutils table of plain-text (or node) cells."""
    table = nodes.table(classes=["bench-table", *classes])
    group = nodes.tgroup(cols=len(headers))
    table += group
    for w in widths:
        group += nodes.colspec(colwidth=w)
    head = nodes.thead()
    group += head
    body = nodes.tbody()
    group += body
    for target, cells in ((head, [headers]), (body, rows)):
        for cells_of_row in cells:
            row = nodes.row()
            for cell in cells_of_row:
                entry = nodes.entry()
                entry += cell if isinstance(cell, nodes.Node) else _para(cell)
                row += entry
            target += row
    return table


def _fmt_time(x, unit="us"):
    if x is None:
        return "-"
    if unit != "us":
        return f"{x:,.3g} {unit}" if abs(x) < 1000 else f"{x:,.0f} {unit}"
    if x >= 1e5:
        return f"{x / 1e3:,.0f} ms"
    if x >= 100:
        return f"{x:,.0f} us"
    return f"{x:.3g} us"


def _verdict(row):
    if row.get("passed") is None:
        return _para("reported", classes=["bench-none"])
    ok = bool(row["passed"])
    badge = nodes.inline(text="\u2713 met" if ok else "\u2717 missed",
                         classes=["bench-met" if ok else "bench-missed"])
    return _para(badge)


def _target(row):
    if row.get("target") is None:
        return "-"
    sign = {"<": "<", "<=": "\u2264", "value<=": "\u2264"}.get(row.get("cmp"), "")
    unit = row.get("unit") or "us"
    if row.get("cmp") == "value<=":
        return f"{sign} {_fmt_time(row['target'], unit)}"
    return f"{sign} {row['target']:g}x"


def _ratio(row):
    if row.get("cmp") == "value<=":
        return _fmt_time(row.get("minpy_us"), row.get("unit") or "us")
    r = row.get("ratio")
    return "-" if r is None else f"{r:.2f}x"


def _when(doc):
    try:
        t = time.strptime(doc["generated"], "%Y-%m-%dT%H:%M:%S%z")
        return time.strftime("%Y-%m-%d %H:%M", t) + " (UTC" + doc["generated"][-5:] + ")"
    except (KeyError, ValueError):
        return str(doc.get("generated", "?"))


def _machine(m):
    m = m or {}
    parts = [f"{m.get('cpu_count', '?')} CPU cores ({m.get('cpu', '?')})",
             str(m.get("platform", "?"))]
    if m.get("loadavg_at_start"):
        parts.append("load average at start " + ", ".join(map(str, m["loadavg_at_start"])))
    return "; ".join(parts)


def _versions(m):
    m = m or {}
    out = [f"Python {m.get('python', '?')}", f"NumPy {m.get('numpy', '?')}",
           f"MXNet {m.get('mxnet', '?')}", f"MinPy {m.get('minpy.numpy', '?')}"]
    for key, name in (("hips_autograd", "HIPS Autograd"), ("jax", "JAX")):
        if m.get(key):
            out.append(f"{name} {m[key]}")
    if m.get("default_policy"):
        out.append(f"default policy '{m['default_policy']}'")
    env = [f"{k}={m[k + '_user']}" for k in ("MXNET_ENGINE_TYPE", "OMP_NUM_THREADS")
           if m.get(k + "_user")]
    if env:
        out.append("environment " + " ".join(env))
    return ", ".join(out)


def _counts(b):
    rows = b.get("rows") or []
    return (sum(r.get("passed") is True for r in rows),
            sum(r.get("passed") is False for r in rows),
            sum(r.get("passed") is None for r in rows))


def _image(uri, alt):
    return nodes.image(uri=uri, alt=alt, classes=["bench-plot"])


class _Base(SphinxDirective):
    def results(self):
        doc, path = _load(self.env)
        if isinstance(doc, Exception):
            logger.warning(f"no benchmark results: {path} ({doc}); run `nox -s bench`",
                           location=(self.env.docname, self.lineno))
            return None
        return doc

    def uri(self, name):
        # "/..." is relative to the source folder, wherever the page is
        return "/" + (Path(self.env.config.bench_results_file).parent / name).as_posix()


class BenchmarkRun(_Base):
    has_content = False

    def run(self):
        doc = self.results()
        if doc is None:
            return []
        out = []
        if doc.get("quick"):
            warn = nodes.warning()
            warn += _para("This is a quick (smoke) run: the pipeline ran end to end, "
                          "but the numbers are not meaningful. ",
                          nodes.literal(text="nox -s bench"), " makes a full run.")
            out.append(warn)
        code = doc.get("code") or {}
        now = _fingerprint_now(Path(self.env.srcdir))
        commit = (code.get("commit") or "?")[:12] + (
            " with uncommitted changes" if code.get("dirty") else "")
        if now is not None and now == code.get("fingerprint"):
            code_line = (f"the code documented here (commit {commit}; the fingerprint of "
                         "packages/*/src is the same now as in the run)")
        elif now is None:
            code_line = (f"commit {commit} (this checkout has no bench/_provenance.py: "
                         "whether that is the code documented here is not known)")
        else:
            code_line = f"commit {commit}"
            note = nodes.caution()
            note += _para("MinPy's code has changed since this run (the fingerprint of "
                          f"packages/*/src differs): it measured commit {commit}. Rerun ",
                          nodes.literal(text="nox -s bench"),
                          " to measure the code documented here.")
            out.append(note)
        fields = nodes.field_list(classes=["bench-run"])
        for name, value in (
                ("Measured", _when(doc)),
                ("Code", code_line),
                ("Machine", _machine(doc.get("machine"))),
                ("Versions", _versions(doc.get("machine"))),
                ("Command", _para(nodes.literal(text=doc.get("command", "?")),
                                  f" (all benchmarks: {doc.get('elapsed_s', 0) / 60:.1f} "
                                  "minutes)"))):
            field = nodes.field()
            field += nodes.field_name(text=name)
            body = nodes.field_body()
            body += value if isinstance(value, nodes.Node) else _para(value)
            field += body
            fields += field
        out.append(fields)
        if doc.get("overview_plot"):
            out.append(_image(self.uri(doc["overview_plot"]), "targets met per benchmark"))
        rows = []
        for b in doc.get("benchmarks", []):
            met, missed, none = _counts(b)
            status = "ok" if b.get("ok") else f"FAILED: {b.get('status')}"
            secs = b.get("seconds")
            rows.append([_para(nodes.literal(text=f"bench_{b['name']}.py")), b["title"],
                         str(met), str(missed), str(none),
                         "-" if secs is None else f"{secs:.0f} s", status])
        out.append(_table(["script", "benchmark", "targets met", "missed",
                           "reported", "time", "status"], rows,
                          [18, 18, 10, 10, 10, 8, 12]))
        return out


class Benchmark(_Base):
    optional_arguments = 1
    has_content = False
    option_spec = {"no-plot": directives.flag, "optional": directives.flag}

    def run(self):
        doc = self.results()
        if doc is None:
            return []
        shown = self.env.temp_data.setdefault(_SHOWN, set())
        by_name = {b["name"]: b for b in doc.get("benchmarks", [])}
        if self.arguments:
            name = self.arguments[0]
            if name not in by_name:
                if "optional" in self.options:  # a benchmark newer than the run
                    note = nodes.note()
                    note += _para(nodes.literal(text=f"bench_{name}.py"),
                                  " is not in this run (it is newer than the run); ",
                                  nodes.literal(text="nox -s bench"), " measures it.")
                    return [note]
                logger.warning(f"the benchmark run has no {name!r} (it has "
                               f"{sorted(by_name)}); run `nox -s bench`",
                               location=(self.env.docname, self.lineno))
                return []
            chosen = [by_name[name]]
        else:
            chosen = [b for b in doc.get("benchmarks", []) if b["name"] not in shown]
        out = []
        for b in chosen:
            shown.add(b["name"])
            if not self.arguments:  # a benchmark the page has no prose for yet
                out.append(nodes.rubric(text=f"{b['title']} (bench_{b['name']}.py)"))
            out.extend(self.one(b))
        return out

    def one(self, b):
        out = []
        if not b.get("ok"):
            err = nodes.error()
            err += _para(f"bench_{b['name']}.py failed in this run: {b.get('status')}; "
                         "its log is bench/results/" + b["name"] + ".log of that run.")
            out.append(err)
        if b.get("plot") and "no-plot" not in self.options:
            out.append(_image(self.uri(b["plot"]), f"{b['title']}: ratios and targets"))
        rows = b.get("rows") or []
        if not rows:
            return out
        table_rows = []
        for r in rows:
            unit = r.get("unit") or "us"
            ref = r.get("ref") or ""
            table_rows.append([
                f"{r.get('section', '')}: {r.get('name', '')}",
                _fmt_time(r.get("minpy_us"), unit),
                _fmt_time(r.get("ref_us"), unit) + (f" ({ref})" if ref and
                                                    r.get("ref_us") is not None else ""),
                _ratio(r), _target(r), _verdict(r)])
        out.append(_table(["comparison", "MinPy", "reference", "ratio", "target",
                           "result"], table_rows, [40, 11, 22, 9, 9, 9]))
        notes = [r for r in rows if r.get("note")]
        if notes:
            items = nodes.bullet_list()
            for r in notes:
                item = nodes.list_item()
                item += _para(nodes.emphasis(text=f"{r.get('section')}: {r.get('name')}"),
                              f": {r['note']}")
                items += item
            box = nodes.container(classes=["bench-notes"])
            box += _para(nodes.strong(text="Notes on these rows"))
            box += items
            out.append(box)
        return out


def _clear(app, env, docname):
    env.temp_data.pop(_SHOWN, None)


def setup(app):
    app.add_config_value("bench_results_file", "benchmarks/results.json", "env")
    app.add_directive("benchmark-run", BenchmarkRun)
    app.add_directive("benchmark", Benchmark)
    app.connect("source-read", lambda app, docname, source: _clear(app, app.env, docname))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
