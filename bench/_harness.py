"""Shared timing, reporting and JSON helpers of the MinPy benchmarks.

Timing is timeit-style and built to survive a busy machine:

* every compared variant is warmed up, then calibrated to a loop count ``number`` that
  makes one *sample* last about ``sample_s`` seconds;
* samples of the variants are taken **interleaved** (A B, B A, A B, ...), so load from
  other processes hits all of them alike;
* the figure kept for each variant is the **minimum** over the samples, divided by
  ``number`` (the least-disturbed run; noise only ever adds time);
* the garbage collector is off during a sample, as in :mod:`timeit`;
* if MXNet runs an asynchronous engine, ``mx.nd.waitall()`` closes every sample, so the
  work of the sample is inside it (MinPy selects the synchronous ``NaiveEngine`` unless
  ``MXNET_ENGINE_TYPE`` says otherwise).

A benchmark builds :class:`Row` objects (name, MinPy time, reference time, target) and
hands them to :func:`report`, which prints the table and writes the JSON document that
``run_all.py`` reads (schema in ``bench/README.md``).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import math
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = 1


# -- timing -----------------------------------------------------------------------------
@dataclass
class Variant:
    """One thing to time: ``fn()`` is one call; ``context()`` (optional) is entered
    around each whole sample (e.g. a policy), never per call."""

    fn: callable
    context: callable = None


class Timer:
    """Interleaved min-of-repeats timing with a time budget per comparison."""

    def __init__(self, budget_s=0.4, sample_s=0.001, min_repeat=5, max_repeat=500,
                 sync=None, clock=time.perf_counter):
        self.budget_s = budget_s
        self.sample_s = sample_s
        self.min_repeat = min_repeat
        self.max_repeat = max_repeat
        self.sync = sync  # called at the end of every sample (MXNet async engines)
        # what a sample is measured with: wall time (default), or the CPU time of this
        # thread (time.thread_time) for single-threaded work on a loaded machine, where
        # waiting for a core is not the work's cost
        self.clock = clock

    def _sample(self, variant, number):
        ctx = variant.context() if variant.context else contextlib.nullcontext()
        fn = variant.fn
        sync = self.sync
        clock = self.clock
        gc_was = gc.isenabled()
        gc.disable()
        try:
            with ctx:
                t0 = clock()
                for _ in range(number):
                    fn()
                if sync is not None:
                    sync()
                t1 = clock()
        finally:
            if gc_was:
                gc.enable()
        return (t1 - t0) / number

    def compare(self, *variants):
        """Seconds per call of each variant (min over interleaved samples)."""
        variants = [v if isinstance(v, Variant) else Variant(v) for v in variants]
        numbers = []
        for v in variants:
            self._sample(v, 1)  # warm-up: caches, lazy conversions, first-call plans
            t = self._sample(v, 1)
            if t < self.sample_s:  # refine: a tiny call is below the clock's resolution
                n = max(1, int(self.sample_s / max(t, 1e-9)))
                t = self._sample(v, min(n, 1000))
            numbers.append(max(1, int(self.sample_s / max(t, 1e-9))))
        # one round costs about the sum of the variants' samples
        per_call = [self._sample(v, n) for v, n in zip(variants, numbers)]
        round_s = sum(n * t for n, t in zip(numbers, per_call))
        repeat = int(self.budget_s / max(round_s, 1e-9))
        repeat = max(self.min_repeat, min(self.max_repeat, repeat))
        best = list(per_call)
        for r in range(repeat):
            order = range(len(variants)) if r % 2 else reversed(range(len(variants)))
            for i in order:
                best[i] = min(best[i], self._sample(variants[i], numbers[i]))
        return best


def blas_limit(threads):
    """Limit NumPy's BLAS to ``threads`` (threadpoolctl): ``(context, description)``;
    a null context for ``threads`` 0 (the library's default) or without
    threadpoolctl."""
    if not threads:
        return contextlib.nullcontext(), "library default"
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext(), "unlimited (threadpoolctl not installed)"
    return threadpool_limits(limits=threads, user_api="blas"), str(threads)


def mxnet_sync():
    """``mx.nd.waitall`` when MXNet's engine is asynchronous, else ``None``."""
    if os.environ.get("MXNET_ENGINE_TYPE", "NaiveEngine") == "NaiveEngine":
        return None
    from minpy.core import _mxnet
    mx = _mxnet.load()
    return mx.nd.waitall if mx is not None else None


# -- results ----------------------------------------------------------------------------
@dataclass
class Row:
    section: str
    name: str
    minpy_us: float | None
    ref_us: float | None
    ref: str = ""                 # what the reference is ("mx.np", "numpy", ...)
    target: float | None = None   # ratio threshold; None: reported, no target
    cmp: str = "<="               # ratio <= target, ratio < target, or "value<="
    #                               (minpy_us itself, in ``unit``, <= target)
    note: str = ""
    ratio: float | None = field(default=None)
    passed: bool | None = field(default=None)
    unit: str = "us"

    def __post_init__(self):
        if self.ratio is None and self.minpy_us is not None and self.ref_us:
            self.ratio = self.minpy_us / self.ref_us
        if self.passed is None and self.target is not None:
            if self.cmp == "value<=":  # an absolute figure (e.g. MiB), not a ratio
                self.passed = self.minpy_us is not None and self.minpy_us <= self.target
            elif self.ratio is not None:
                self.passed = (self.ratio <= self.target if self.cmp == "<="
                               else self.ratio < self.target)


def machine() -> dict:
    """A description of where the numbers were taken."""
    info = {
        "cpu_count": os.cpu_count(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_at_start": _loadavg(),
        # as the user set them; MinPy's loader fills in its defaults (below)
        "MXNET_ENGINE_TYPE_user": os.environ.get("MXNET_ENGINE_TYPE"),
        "OMP_NUM_THREADS_user": os.environ.get("OMP_NUM_THREADS"),
    }
    import numpy
    info["numpy"] = numpy.__version__
    try:
        from minpy.core import _mxnet
        mx = _mxnet.load()
        info["mxnet"] = (mx.__version__ if mx is not None
                         else f"unavailable ({_mxnet.unavailable_reason()})")
        # what MinPy's loader set up for the MXNet in this process
        info["MXNET_ENGINE_TYPE"] = os.environ.get("MXNET_ENGINE_TYPE")
        info["OMP_NUM_THREADS"] = os.environ.get("OMP_NUM_THREADS")
    except Exception as exc:  # noqa: BLE001 - report, never fail here
        info["mxnet"] = f"unavailable ({exc})"
    try:
        import minpy.numpy as mnp
        info["minpy.numpy"] = getattr(mnp, "__version__", "?")
        info["default_policy"] = mnp.get_policy().name
    except Exception as exc:  # noqa: BLE001
        info["minpy.numpy"] = f"unavailable ({exc})"
    return info


def machine_line(info: dict) -> str:
    return (f"{info.get('cpu_count')} CPUs ({info.get('cpu', '?')}), "
            f"numpy {info.get('numpy')}, mxnet {info.get('mxnet')}, "
            f"python {info.get('python')}, load {info.get('loadavg_at_start')}")


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _loadavg():
    try:
        return tuple(round(x, 2) for x in os.getloadavg())
    except OSError:
        return None


def fmt_us(x):
    if x is None:
        return "-"
    if x >= 1e5:
        return f"{x / 1e3:,.0f}ms"
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def table(rows) -> str:
    """The plain-text table of ``rows``."""
    head = ("section", "name", "MinPy", "ref", "reference", "ratio", "target", "result")
    body = []
    for r in rows:
        unit = "" if r.unit == "us" else f" {r.unit}"
        body.append((
            r.section, r.name, fmt_us(r.minpy_us) + unit,
            fmt_us(r.ref_us) + (unit if r.ref_us is not None else ""), r.ref,
            "-" if r.ratio is None else f"{r.ratio:.3f}",
            "-" if r.target is None else f"{r.cmp} {r.target:g}",
            "-" if r.passed is None else ("PASS" if r.passed else "FAIL"),
        ))
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    line = "  ".join(f"{{:<{w}}}" if i < 2 or i == 4 else f"{{:>{w}}}"
                     for i, w in enumerate(widths))
    out = [line.format(*head), "  ".join("-" * w for w in widths)]
    out += [line.format(*b) for b in body]
    notes = [f"  [{r.section}/{r.name}] {r.note}" for r in rows if r.note]
    if notes:
        out.append("notes:")
        out += notes
    return "\n".join(out)


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p.add_argument("--budget", type=float, default=None,
                   help="seconds of timing per comparison (default: the script's own)")
    p.add_argument("--quick", action="store_true",
                   help="a smoke run: tiny budgets (numbers are not meaningful)")
    return p


def report(benchmark: str, rows, info: dict, args, extra: dict | None = None,
           started: float | None = None) -> int:
    """Print the table and the summary line, write JSON if asked; the exit status."""
    print(f"\n== {benchmark} ==")
    print("machine:", machine_line(info))
    print("times in microseconds per call (min over interleaved repeats); "
          "ratio = MinPy / reference\n")
    print(table(rows))
    judged = [r for r in rows if r.passed is not None]
    npass = sum(r.passed for r in judged)
    elapsed = time.perf_counter() - started if started else None
    print(f"\n{npass}/{len(judged)} targets met"
          + (f"; {elapsed:.1f} s" if elapsed is not None else ""))
    if args.json:
        doc = {"schema": SCHEMA, "benchmark": benchmark, "machine": info,
               "quick": bool(getattr(args, "quick", False)),
               "elapsed_s": elapsed, "rows": [asdict(r) for r in rows]}
        if extra:
            doc.update(extra)
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as fh:
            json.dump(doc, fh, indent=1, default=_json_default)
        print("wrote", args.json)
    sys.stdout.flush()
    return 0


def _json_default(x):
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return str(x)


def rss_mb() -> float:
    """Resident set size of this process in MiB, from /proc/self/status (VmRSS)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise OSError("no VmRSS in /proc/self/status")


# -- the MLP step the autograd and GPU benchmarks share ------------------------------
def mlp_loss(xp):
    """Softmax cross-entropy of a 2-layer relu MLP, written against namespace ``xp``."""
    def loss(w1, b1, w2, b2, x, onehot):
        h = xp.maximum(xp.dot(x, w1) + b1, 0.0)
        logits = xp.dot(h, w2) + b2
        z = logits - xp.max(logits, axis=1, keepdims=True)
        logp = z - xp.log(xp.sum(xp.exp(z), axis=1, keepdims=True))
        return -xp.sum(onehot * logp) / x.shape[0]
    return loss


def mlp_grads_by_hand(xp, params, x, onehot):
    """``((dw1, db1, dw2, db2), loss)`` of :func:`mlp_loss`, forward and backward written
    by hand in namespace ``xp`` (NumPy, CuPy): the floor for an eager implementation."""
    w1, b1, w2, b2 = params
    a = x @ w1 + b1
    h = xp.maximum(a, 0.0)
    logits = h @ w2 + b2
    z = logits - logits.max(axis=1, keepdims=True)
    e = xp.exp(z)
    s = e.sum(axis=1, keepdims=True)
    n = x.shape[0]
    loss = -xp.sum(onehot * (z - xp.log(s))) / n
    g = (e / s * onehot.sum(axis=1, keepdims=True) - onehot) / n
    dh = (g @ w2.T) * (a > 0)
    return (x.T @ dh, dh.sum(axis=0), h.T @ g, g.sum(axis=0)), loss
