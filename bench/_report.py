"""Plots of a benchmark run, and the run published for the documentation.

``plot_ratios`` draws one benchmark's ratio targets: a bar from 1x (the reference) to
each ratio on a log scale, so that left means MinPy is faster and right slower, the
target as a black tick, green when it is met, red when missed, and the verdict written
at the end of the bar. ``plot_overview`` draws the targets met and missed per
benchmark. ``publish`` writes ``results.json`` (the run: date, command, machine, code,
every row) and copies the plots into a folder, ``docs/benchmarks/`` for the
documentation's benchmarks page.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
import textwrap
import time
from dataclasses import asdict

import _harness as H
import _provenance

GREEN, RED, GREY = "#2e7d32", "#c62828", "#9e9e9e"
SCHEMA = 1


def _pyplot():
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def _x_ticks(lo, hi):
    """Ratios worth a label between lo and hi: powers of two, and 1.5x and 0.75x near 1."""
    ticks = [2.0 ** k for k in range(-12, 13)]
    if hi / lo < 16:
        ticks += [0.75, 1.5]
    return sorted(t for t in ticks if lo <= t <= hi)


def _fmt_ratio(x):
    return f"{x:.2f}x" if x < 10 else f"{x:.0f}x"


def _verdict(r):
    if r.passed is None:
        return _fmt_ratio(r.ratio), GREY
    sign = "<" if r.cmp == "<" else "\u2264"
    mark = "\u2713 met" if r.passed else "\u2717 missed"
    return (f"{_fmt_ratio(r.ratio)}  {mark} (target {sign} {r.target:g})",
            GREEN if r.passed else RED)


def _quick_mark(fig):
    fig.text(0.5, 0.5, "QUICK RUN: numbers not meaningful", rotation=15, alpha=0.18,
             fontsize=26, ha="center", va="center", color=RED, weight="bold")


def plot_ratios(rows, path, title, subtitle="", quick=False):
    """The ratio chart of one benchmark into ``path``; False if there is nothing to
    plot (no row with a ratio) or no matplotlib.

    Only the rows that have a ratio target are drawn, so that the chart answers "met or
    missed?" at a glance; rows with an absolute target (``cmp`` ``value<=``:
    microseconds, MiB, bytes) and rows reported without a target are counted in the
    title and listed in the table. A benchmark without any ratio target draws all its
    ratios, in grey."""
    plt = _pyplot()
    judged = [r for r in rows if r.passed is not None]
    met = sum(bool(r.passed) for r in judged)
    ratios = [r for r in rows if r.ratio is not None and r.ratio > 0 and r.cmp != "value<="]
    drawn = [r for r in ratios if r.target is not None] or ratios
    if plt is None or not drawn:
        return False
    absolute = sum(r.cmp == "value<=" for r in judged)
    untargeted = sum(r.target is None for r in rows)
    n = len(drawn)
    height = 2.3 + 0.42 * n
    fig, ax = plt.subplots(figsize=(8.5, height))
    values = [r.ratio for r in drawn] + [r.target for r in drawn if r.target]
    lo = min(0.5, min(values) / 1.6)
    hi = max(2.0, max(values) * 1.2)
    span = math.log(hi / lo)
    text_room = hi * math.exp(0.75 * span)      # room on the right for the verdicts
    ys = list(range(n))[::-1]
    previous = None
    for y, r in zip(ys, drawn):
        color = GREEN if r.passed else RED if r.passed is False else GREY
        ax.barh(y, r.ratio - 1.0, left=1.0, height=0.62, color=color, alpha=0.85)
        ax.plot([r.ratio], [y], "o", color=color, ms=6)   # visible when the bar is not
        if r.target is not None:
            ax.plot([r.target, r.target], [y - 0.42, y + 0.42], color="black", lw=2.6,
                    solid_capstyle="butt")
        text, tcolor = _verdict(r)
        at = max(r.ratio, r.target or 0.0, 1.0) * math.exp(0.03 * span)
        ax.text(at, y, text, va="center", fontsize=9.5, color=tcolor,
                weight="bold" if r.passed is False else "normal")
        if previous is not None and r.section != previous:
            ax.axhline(y + 0.5, color="#dddddd", lw=0.8)
        previous = r.section
    ax.axvline(1.0, color="#333333", lw=1.0)
    ax.set_xscale("log")
    ax.set_xlim(lo, text_room)
    ticks = _x_ticks(lo, hi)
    ax.set_xticks(ticks, [f"{t:g}x" for t in ticks], fontsize=9)
    ax.minorticks_off()
    ax.set_ylim(-0.7, n - 0.3)
    labels = [textwrap.fill(f"{r.section}: {r.name}", 42) for r in drawn]
    ax.set_yticks(ys, labels, fontsize=9.5)
    ax.set_xlabel("MinPy time / reference time, log scale: left of 1x MinPy is faster",
                  fontsize=9.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    head = f"{title}: {met} of {len(judged)} targets met" if judged else f"{title}: no targets"
    rest = []
    if absolute:
        rest.append(f"{absolute} absolute target{'s' * (absolute > 1)}")
    if untargeted and drawn is not ratios:
        rest.append(f"{untargeted} row{'s' * (untargeted > 1)} without a target")
    if rest:
        head += "\n(" + " and ".join(rest) + ": in the table, not drawn)"
    fig.suptitle(head + (f"\n{subtitle}" if subtitle else ""), fontsize=10.5, x=0.01,
                 ha="left")
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    fig.legend(handles=[Patch(color=GREEN, label="target met"),
                        Patch(color=RED, label="target missed"),
                        Patch(color=GREY, label="no target"),
                        Line2D([], [], color="black", lw=2.6, label="target")],
               loc="lower center", fontsize=9, frameon=False, ncol=4)
    if quick:
        _quick_mark(fig)
    fig.tight_layout(rect=(0, 0.4 / height, 1, 1))
    fig.savefig(path, dpi=110, bbox_inches="tight", pad_inches=0.15)
    plt.close(fig)
    return True


def plot_overview(benchmarks, path, subtitle="", quick=False):
    """Targets met / missed / rows without a target, one bar per benchmark."""
    plt = _pyplot()
    shown = [b for b in benchmarks if b["rows"] or not b["ok"]]
    if plt is None or not shown:
        return False
    fig, ax = plt.subplots(figsize=(9, 1.4 + 0.42 * len(shown)))
    ys = list(range(len(shown)))[::-1]
    for y, b in zip(ys, shown):
        met = sum(r["passed"] is True for r in b["rows"])
        missed = sum(r["passed"] is False for r in b["rows"])
        none = sum(r["passed"] is None for r in b["rows"])
        left = 0
        for count, color in ((met, GREEN), (missed, RED), (none, GREY)):
            if count:
                ax.barh(y, count, left=left, color=color, height=0.6)
                ax.text(left + count / 2, y, str(count), ha="center", va="center",
                        color="white", fontsize=9, weight="bold")
            left += count
        if not b["ok"]:
            ax.text(left + 0.3, y, f"script failed: {b['status']}", va="center",
                    color=RED, fontsize=9)
    ax.set_yticks(ys, [b["title"] for b in shown])
    ax.set_xlabel("rows of each benchmark: green target met, red target missed, "
                  "grey reported without a target", fontsize=9)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title("Targets met in this run" + (f"\n{subtitle}" if subtitle else ""),
                 fontsize=10, loc="left")
    if quick:
        _quick_mark(fig)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight", pad_inches=0.15)
    plt.close(fig)
    return True


def subtitle(machine, when):
    return f"{when}; " + H.machine_line(machine)


def publish(folder, benchmarks, machine, argv, elapsed_s, quick):
    """Write ``results.json`` and the plots of this run into ``folder`` (replacing what
    an earlier run left there). ``benchmarks``: dicts with name, title, ok, status,
    seconds, quick, rows (Row objects) and plot (a PNG path or None)."""
    os.makedirs(folder, exist_ok=True)
    for old in os.listdir(folder):  # a benchmark that is gone must not stay on the page
        if old.endswith((".png", ".json")):
            os.remove(os.path.join(folder, old))
    now = time.localtime()
    doc = {
        "schema": SCHEMA,
        "generated": time.strftime("%Y-%m-%dT%H:%M:%S%z", now),
        "command": "python bench/run_all.py" + "".join(f" {a}" for a in argv),
        "python_executable": sys.executable,
        "quick": bool(quick),
        "elapsed_s": round(elapsed_s, 1),
        "code": {"fingerprint": _provenance.code_fingerprint(), **_provenance.git_state()},
        "machine": machine,
        "benchmarks": [],
    }
    for b in benchmarks:
        plot = None
        if b.get("plot") and os.path.exists(b["plot"]):
            plot = os.path.basename(b["plot"])
            shutil.copyfile(b["plot"], os.path.join(folder, plot))
        doc["benchmarks"].append({
            "name": b["name"], "title": b["title"], "ok": b["ok"], "status": b["status"],
            "seconds": None if b["seconds"] is None else round(b["seconds"], 1),
            "quick": b["quick"], "machine": b.get("machine"), "plot": plot,
            "rows": [r if isinstance(r, dict) else asdict(r) for r in b["rows"]],
        })
    for b in doc["benchmarks"]:
        b["rows"] = [{k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                      for k, v in r.items()} for r in b["rows"]]
    if plot_overview(doc["benchmarks"], os.path.join(folder, "overview.png"),
                     subtitle(machine, time.strftime("%Y-%m-%d %H:%M", now)), quick):
        doc["overview_plot"] = "overview.png"
    path = os.path.join(folder, "results.json")
    with open(path, "w") as fh:
        json.dump(doc, fh, indent=1, default=str)
        fh.write("\n")
    return path
