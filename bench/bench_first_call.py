"""Benchmark of the first MXNet call of a process (issue 11, item 7: "first calls of
outer and vecdot took over a second under prefer_mxnet").

That first call loads MXNet. While it loads, MinPy defers the imports MXNet makes only
for rarely used parts (``scipy.stats`` for quantization calibration, scikit-learn for
the legacy ``FeedForward`` base class; ``minpy.core._mxnet._DEFERRED``). Each figure
comes from a fresh child process; the two configurations alternate, and the minimum
over the rounds is kept.

Rows
  first outer, CPU   CPU seconds of the first ``np.outer(x, x)`` under 'prefer_mxnet'
                     with the deferral vs without it (``_DEFERRED = ()``): target <= 0.8.
  first outer, wall  the same, wall-clock: reported (a busy machine stretches it).
  outer after load   ``np.outer``'s own first call once MXNet is loaded (by ``np.add``)
                     vs its second call: reported.

Run ``python bench/bench_first_call.py [--json PATH] [--quick]``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness as H  # noqa: E402


def child(eager: bool) -> dict:
    """Measure in this process: its first MXNet call, then outer's first call."""
    import minpy.core._mxnet as loader
    if eager:
        loader._DEFERRED = ()
    import minpy.numpy as np

    x = np.ones(3)
    with np.policy("prefer_mxnet"):
        w, c = time.perf_counter(), time.process_time()
        np.add(x, x)  # loads MXNet
        load_wall, load_cpu = time.perf_counter() - w, time.process_time() - c
        t = time.perf_counter()
        np.outer(x, x)
        outer_first = time.perf_counter() - t
        t = time.perf_counter()
        np.outer(x, x)
        outer_second = time.perf_counter() - t
    return {"wall_s": load_wall, "cpu_s": load_cpu, "outer_first_us": outer_first * 1e6,
            "outer_second_us": outer_second * 1e6,
            "deferred_imported": [m for m in ("scipy.stats", "sklearn") if m in sys.modules]}


def run_child(eager: bool) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--child"] + (
        ["--eager"] if eager else [])
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    p = H.parser(__doc__.splitlines()[0])
    p.add_argument("--child", action="store_true", help=H.argparse.SUPPRESS)
    p.add_argument("--eager", action="store_true", help=H.argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(child(args.eager)))
        return 0
    started = time.perf_counter()
    info = H.machine()
    rounds = 1 if args.quick else 4
    runs = {"deferred": [], "eager": []}
    for _ in range(rounds):  # alternate, so load from other processes hits both alike
        runs["deferred"].append(run_child(False))
        runs["eager"].append(run_child(True))
    best = {k: {f: min(r[f] for r in v) for f in ("wall_s", "cpu_s", "outer_first_us",
                                                     "outer_second_us")}
            for k, v in runs.items()}
    d, e = best["deferred"], best["eager"]
    rows = [
        H.Row("load", "first MXNet call, CPU: deferred vs eager imports", d["cpu_s"] * 1e6,
              e["cpu_s"] * 1e6, ref="eager imports", target=0.8,
              note=f"{d['cpu_s']:.2f} s vs {e['cpu_s']:.2f} s"),
        H.Row("load", "first MXNet call, wall: deferred vs eager imports",
              d["wall_s"] * 1e6, e["wall_s"] * 1e6, ref="eager imports",
              note=f"{d['wall_s']:.2f} s vs {e['wall_s']:.2f} s"),
        H.Row("outer", "outer: first call after the load vs second call",
              d["outer_first_us"], d["outer_second_us"], ref="second call"),
    ]
    return H.report("minpy-first-call", rows, info, args,
                    extra={"runs": runs}, started=started)


if __name__ == "__main__":
    sys.exit(main())
