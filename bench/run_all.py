"""Run every ``bench/bench_*.py``, then summarise: ``bench/results/<name>.json`` (one per
benchmark), ``<name>.log`` (its printed output), ``summary.md`` (all tables) and, when
matplotlib is installed, ``<name>.png`` (a bar chart of its ratios).

    python bench/run_all.py                 # everything, ~3-4 minutes
    python bench/run_all.py --quick         # smoke run: seconds, numbers meaningless
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


def scripts(only=None):
    found = sorted(glob.glob(os.path.join(HERE, "bench_*.py")))
    names = {os.path.basename(p)[len("bench_"):-3]: p for p in found}
    if only:
        wanted = [w.strip() for w in only.split(",") if w.strip()]
        missing = [w for w in wanted if w not in names]
        if missing:
            raise SystemExit(f"no bench_{missing[0]}.py; have {sorted(names)}")
        names = {w: names[w] for w in wanted}
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
    """A horizontal bar chart of the ratios of one benchmark; the PNG's path or None."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    doc = load(os.path.join(out_dir, f"{name}.json"))
    rows = _rows(doc) if doc else None
    rows = [r for r in rows or () if r.ratio is not None]
    if not rows:
        return None
    labels = [f"{r.section.split()[0]}: {r.name}" for r in rows]
    ratios = [r.ratio for r in rows]
    colors = ["#2e7d32" if r.passed else "#c62828" if r.passed is False else "#9e9e9e"
              for r in rows]
    height = 1.2 + 0.32 * len(rows)
    fig, ax = plt.subplots(figsize=(11, height))
    ys = list(range(len(rows)))[::-1]
    ax.barh(ys, ratios, color=colors, height=0.7)
    log = max(ratios) / max(min(ratios), 1e-9) > 30
    if log:
        ax.set_xscale("log")
    for y, r in zip(ys, rows):
        if r.target is not None:
            ax.plot([r.target, r.target], [y - 0.42, y + 0.42], color="black", lw=2)
        at = max(r.ratio, r.target or 0.0) * (1.03 if log else 1.0)
        ax.text(at, y, f" {r.ratio:.2f}", va="center", fontsize=8)
    ax.axvline(1.0, color="#555555", lw=0.8, ls="--")
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_yticks(ys)
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_xlabel("ratio MinPy / reference (lower is better; black tick = target; "
                  "green pass, red fail, grey no target)" + ("; log scale" if log else ""),
                  fontsize=8)
    info = _machine_of(doc, machine)
    ax.set_title(f"{doc.get('benchmark', name)}" + (" (QUICK RUN)" if doc.get("quick") else "")
                 + "\n" + H.machine_line(info), fontsize=9)
    ax.set_xlim(right=max(ratios) * (3 if log else 1.15))
    fig.tight_layout()
    path = os.path.join(out_dir, f"{name}.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", help="comma-separated benchmark names (bench_<name>.py)")
    p.add_argument("--out", default=os.path.join(HERE, "results"), help="results folder")
    p.add_argument("--quick", action="store_true", help="pass --quick to every script")
    p.add_argument("--timeout", type=float, default=600, help="seconds per script")
    p.add_argument("--summary-only", action="store_true",
                   help="do not run anything: rebuild summary.md and plots from the JSON")
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
    failed = [r["name"] for r in runs.values() if not r["ok"]]
    print(f"all benchmarks: {time.perf_counter() - t0:.0f} s"
          + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
