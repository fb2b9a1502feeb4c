"""Run every ``bench/bench_*.py``, then summarise: ``bench/results/<name>.json`` (one per
benchmark), ``<name>.log`` (its printed output), ``summary.md`` (all tables) and, when
matplotlib is installed, ``<name>.png`` (a chart of its ratios against their targets).
A run of every benchmark also publishes itself for the documentation: ``results.json``
(date, command, machine, the code measured, every row) and the plots, into
``docs/benchmarks/`` (``--publish DIR`` elsewhere or for any run, ``--no-publish`` not).

    python bench/run_all.py                 # everything, ~10-12 minutes on 2 cores
    python bench/run_all.py --only rules    # the gradient rules alone (~2 minutes)
    python bench/run_all.py --quick         # smoke run: ~1 minute, numbers meaningless
    python bench/run_all.py --only numpy    # bench_numpy.py alone
    python bench/run_all.py --only distributed  # a 2-worker KVStore job (~2 minutes)
    python bench/run_all.py --only threads  # MXNet's threads, quiet vs one busy core
    python bench/run_all.py --summary-only  # re-draw summary and plots from the JSON

The exit status is non-zero when a benchmark script fails (crashes or times out), not
when a performance target is missed: targets are reported, machines differ.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import _harness as H  # noqa: E402
import _report  # noqa: E402

DOCS_FOLDER = os.path.join(os.path.dirname(HERE), "docs", "benchmarks")
# Benchmarks that need hardware a plain run does not have; they run when named in --only
# (bench_gpu.py: through bench/gpu_check.sh, on a machine with a GPU).
NOT_BY_DEFAULT = {"gpu": "needs a GPU; bench/gpu_check.sh runs it"}


def scripts(only=None):
    found = sorted(glob.glob(os.path.join(HERE, "bench_*.py")))
    names = {os.path.basename(p)[len("bench_"):-3]: p for p in found}
    if only:
        wanted = [w.strip() for w in only.split(",") if w.strip()]
        missing = [w for w in wanted if w not in names]
        if missing:
            raise SystemExit(f"no bench_{missing[0]}.py; have {sorted(names)}")
        return {w: names[w] for w in wanted}
    for name, why in NOT_BY_DEFAULT.items():
        if names.pop(name, None):
            print(f"### {name}: not run ({why}; --only {name} runs it)", flush=True)
    return names


def run_one(name, path, out_dir, extra, timeout):
    """Run one benchmark, teeing its output to the console and to ``<name>.log``."""
    json_path = os.path.join(out_dir, f"{name}.json")
    log_path = os.path.join(out_dir, f"{name}.log")
    if os.path.exists(json_path):
        os.remove(json_path)  # a stale result must not pass for this run's
    with open(path) as fh:
        source = fh.read()
    # a script that does not know an option is run without it (and says so)
    dropped = [a for a in extra if a.startswith("--") and a.split("=")[0] not in source]
    extra = [a for a in extra if a not in dropped]
    cmd = [sys.executable, path, "--json", json_path, *extra]
    if dropped:
        print(f"### {name}: does not take {' '.join(dropped)}; run without", flush=True)
    print(f"\n### {name}: {' '.join(cmd)}", flush=True)
    t0 = time.perf_counter()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, cwd=os.path.dirname(HERE))
        killed = []
        watchdog = threading.Timer(timeout, lambda: (killed.append(1), proc.kill()))
        watchdog.start()
        try:
            for line in proc.stdout:
                log.write(line)
                if not _chatter(line):  # MXNet's import chatter goes to the log only
                    sys.stdout.write(line)
                    sys.stdout.flush()
            rc = proc.wait()
        finally:
            watchdog.cancel()
        if killed:
            rc = -9
    elapsed = time.perf_counter() - t0
    ok = rc == 0 and os.path.exists(json_path)
    status = "ok" if ok else (f"timed out after {timeout} s" if rc == -9 else f"exit status {rc}")
    print(f"### {name}: {status}, {elapsed:.1f} s", flush=True)
    return {"name": name, "ok": ok, "status": status, "seconds": elapsed,
            "json": json_path, "log": log_path}


def _chatter(line):
    return ("engine.cc" in line or "DeprecationWarning" in line or "UserWarning" in line
            or line.startswith("  warnings.warn") or line.startswith("  _np."))


# -- summary ----------------------------------------------------------------------------
def load(path):
    try:
        with open(path) as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def _rows(doc):
    """The document's rows as Row objects; None if it follows no format known here.

    Besides this harness's schema (``rows``), a document with ``ratios`` entries of the
    form {numerator, denominator, ratio_min, pass} and ``results_us`` {name: {us_min}}
    (bench_symbol.py's own format) is shown as rows, with the ``target`` each ratio
    carries (judged on ``ratio_min``)."""
    if not isinstance(doc, dict):
        return None
    rows = doc.get("rows")
    if isinstance(rows, list):
        fields = set(H.Row.__dataclass_fields__)
        try:
            return [H.Row(**{k: v for k, v in r.items() if k in fields}) for r in rows]
        except TypeError:
            return None
    ratios, results = doc.get("ratios"), doc.get("results_us") or {}
    if isinstance(ratios, list) and all(isinstance(r, dict) and "ratio_min" in r
                                        for r in ratios):
        def us(name):
            r = results.get(name)
            return r.get("us_min") if isinstance(r, dict) else None
        return [H.Row(str(r.get("pass", "")), f"{r.get('numerator')} / {r.get('denominator')}",
                      us(r.get("numerator")), us(r.get("denominator")),
                      ref=str(r.get("denominator", "")), ratio=r["ratio_min"],
                      target=r.get("target"))
                for r in ratios]
    return None


def _machine_of(doc, fallback):
    info = doc.get("machine") if isinstance(doc, dict) else None
    return info if isinstance(info, dict) else fallback


def markdown_table(rows):
    head = "| section | name | MinPy | reference | ref | ratio | target | result |"
    out = [head, "|---|---|--:|--:|---|--:|--:|:-:|"]
    for r in rows:
        unit = "" if r.unit == "us" else f" {r.unit}"
        out.append("| " + " | ".join([
            r.section, r.name, H.fmt_us(r.minpy_us) + unit,
            H.fmt_us(r.ref_us) + (unit if r.ref_us is not None else ""), r.ref or "",
            "-" if r.ratio is None else f"{r.ratio:.3f}",
            "-" if r.target is None else f"{r.cmp} {r.target:g}",
            "-" if r.passed is None else ("**PASS**" if r.passed else "**FAIL**"),
        ]).replace("<", "&lt;") + " |")
    notes = [f"- *{r.section} / {r.name}*: {r.note}" for r in rows if r.note]
    if notes:
        out += ["", *notes]
    return "\n".join(out)


def write_summary(out_dir, runs, names):
    lines = ["# MinPy benchmark results", "",
             f"Generated {time.strftime('%Y-%m-%d %H:%M:%S')} by `bench/run_all.py`. Times are "
             "microseconds per call (minimum over interleaved repeats) unless a unit says "
             "otherwise; ratio = MinPy / reference, lower is better. See `bench/README.md`.",
             ""]
    machine_done = False
    for name in names:
        doc = load(os.path.join(out_dir, f"{name}.json"))
        run = runs.get(name)
        lines.append(f"## {doc.get('benchmark', name) if isinstance(doc, dict) else name}")
        lines.append("")
        if run is not None and not run["ok"]:
            lines += [f"**The script failed: {run['status']}** (see `{name}.log`).", ""]
        if doc is None:
            lines += ["No results.", ""]
            continue
        info = doc.get("machine") if isinstance(doc, dict) else None
        if isinstance(info, dict) and not machine_done:
            lines += ["Machine: " + H.machine_line(info), "",
                      "```", json.dumps(info, indent=1), "```", ""]
            machine_done = True
        if not isinstance(doc, dict):
            lines += ["```json", json.dumps(doc, indent=1)[:20000], "```", ""]
            continue
        if doc.get("quick"):
            lines += ["*Quick (smoke) run: the numbers are not meaningful.*", ""]
        rows = _rows(doc)
        if rows is None:  # a benchmark with its own format: show it as it is
            lines += ["```json", json.dumps(doc, indent=1)[:20000], "```", ""]
            continue
        judged = [r for r in rows if r.passed is not None]
        lines += [markdown_table(rows), "",
                  f"{sum(r.passed for r in judged)}/{len(judged)} targets met"
                  + (f"; {doc['elapsed_s']:.0f} s" if doc.get("elapsed_s") else ""), ""]
        if os.path.exists(os.path.join(out_dir, f"{name}.png")):
            lines += [f"![{name} ratios]({name}.png)", ""]
    path = os.path.join(out_dir, "summary.md")
    with open(path, "w") as fh:
        fh.write("\n".join(lines))
    return path


def plot(out_dir, name, machine):
    """The chart of one benchmark's ratios, ``<name>.png``; its path or None. A
    benchmark that draws its own chart names it in its JSON (``"plot"``: a PNG beside
    the JSON, e.g. bench_soak.py's memory curve): that one is used instead."""
    doc = load(os.path.join(out_dir, f"{name}.json"))
    own = doc.get("plot") if isinstance(doc, dict) else None
    if isinstance(own, str) and os.path.exists(os.path.join(out_dir, own)):
        return os.path.join(out_dir, own)
    rows = _rows(doc) if doc else None
    if not rows:
        return None
    path = os.path.join(out_dir, f"{name}.png")
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(os.path.getmtime(
        os.path.join(out_dir, f"{name}.json"))))
    if not _report.plot_ratios(rows, path, doc.get("benchmark", name),
                               _report.subtitle(_machine_of(doc, machine), when),
                               quick=bool(doc.get("quick"))):
        return None
    return path


def publish(folder, out_dir, names, runs, pngs, machine, argv, elapsed, quick):
    """The run, as the documentation's benchmarks page reads it (``_report.publish``)."""
    benchmarks = []
    for name, png in zip(names, pngs):
        doc = load(os.path.join(out_dir, f"{name}.json"))
        run = runs.get(name) or {"ok": doc is not None,
                                 "status": "ok" if doc is not None else "no results",
                                 "seconds": None}
        benchmarks.append({
            "name": name, "title": doc.get("benchmark", name) if isinstance(doc, dict) else name,
            "ok": run["ok"], "status": run["status"], "seconds": run["seconds"],
            "quick": bool(doc.get("quick")) if isinstance(doc, dict) else quick,
            "machine": _machine_of(doc, None) if doc else None,
            "rows": (_rows(doc) or []) if doc else [], "plot": png})
    quick = quick or any(b["quick"] for b in benchmarks)
    return _report.publish(folder, benchmarks, machine, argv, elapsed, quick)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", help="comma-separated benchmark names (bench_<name>.py)")
    p.add_argument("--out", default=os.path.join(HERE, "results"), help="results folder")
    p.add_argument("--quick", action="store_true", help="pass --quick to every script")
    p.add_argument("--timeout", type=float, default=600, help="seconds per script")
    p.add_argument("--summary-only", action="store_true",
                   help="do not run anything: rebuild summary.md and plots from the JSON")
    p.add_argument("--publish", metavar="DIR", default=None,
                   help="write results.json and the plots for the docs into DIR "
                   f"(default for a full run of every benchmark: {DOCS_FOLDER})")
    p.add_argument("--no-publish", action="store_true", help="publish nothing")
    raw_argv = list(sys.argv[1:] if argv is None else argv)
    args, extra = p.parse_known_args(argv)
    if args.quick:
        extra.append("--quick")
    os.makedirs(args.out, exist_ok=True)
    names = scripts(args.only)
    runs = {}
    t0 = time.perf_counter()
    if not args.summary_only:
        for name, path in names.items():
            runs[name] = run_one(name, path, args.out, extra, args.timeout)
    machine = H.machine()  # for documents that do not describe their machine
    pngs = [plot(args.out, name, machine) for name in names]
    summary = write_summary(args.out, runs, names)
    print(f"\nwrote {summary}")
    for png in filter(None, pngs):
        print(f"wrote {png}")
    if not any(pngs):
        print("(no plots: matplotlib is not installed)")
    elapsed = time.perf_counter() - t0
    folder = args.publish
    if folder is None and not (args.only or args.quick or args.summary_only):
        folder = DOCS_FOLDER
    if folder and not args.no_publish:
        path = publish(folder, args.out, list(names), runs, pngs, machine, raw_argv,
                       elapsed, args.quick)
        print(f"published the run for the documentation: {path}")
    failed = [r["name"] for r in runs.values() if not r["ok"]]
    print(f"all benchmarks: {elapsed:.0f} s"
          + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
