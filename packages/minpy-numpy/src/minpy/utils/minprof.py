"""``minprof``: the original MinPy's light-weight profiler, with what ran where.

Usage, as in the original::

    from minpy.utils.minprof import minprof

    @minprof                      # time every call of a function
    def step(...): ...

    with minprof():               # time a block (labelled by its first line)
        ...
    with minprof('forward'):      # ... or by a string
        ...

    minprof.print_stats()         # calls, total and per-call milliseconds per region

Beyond the original's wall-clock times, each region also reports the ``minpy.numpy``
operations that ran inside it: per operation and backend (``numpy``, ``mxnet``,
``cupy``: where each op ran), the number of calls and their time, and the time per
backend. These come from :mod:`minpy.numpy`'s op statistics
(:func:`minpy.numpy.record_op_stat`), which are switched on while a region runs.
Regions nest; each region's numbers include its nested regions'.

``python -m minpy.utils.minprof [-o FILE] [-v] script.py [args ...]`` profiles a whole
script (one region) and pickles the statistics to ``FILE`` (default
``<script>.fprof``); ``-v`` prints them too.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pickle
import runpy
import sys
import time
from collections import defaultdict

# The module (``minpy.numpy.policy`` the attribute is the ``policy`` context manager).
_opstat = importlib.import_module("minpy.numpy.policy")

__all__ = ["minprof", "FuncCallProfiler", "FuncCallStats", "MINPROF_FLAG", "main"]

#: When False, ``@minprof`` returns functions unwrapped (no profiling cost at all).
MINPROF_FLAG = True


def label(code):
    """``(filename, first_lineno, name)`` for a code object, a string or such a tuple."""
    if isinstance(code, str):
        return ("~", 0, code)
    if isinstance(code, tuple):
        return code
    return (code.co_filename, code.co_firstlineno, code.co_name)


class FuncCallStats:
    """Profiling statistics.

    Attributes
    ----------
    timings : dict
        ``(filename, first_lineno, name)`` -> list of ``(1, begin_time, end_time)``, one
        per call (the original's format).
    op_timings : dict
        The same keys -> ``{(op, backend): [calls, seconds]}``: the ``minpy.numpy``
        operations that ran inside the region, summed over its calls.
    """

    def __init__(self, timings, op_timings=None):
        self.timings = timings
        self.op_timings = op_timings or {}

    def backend_times(self, key):
        """``{backend: seconds}`` of the operations that ran inside region ``key``."""
        out = defaultdict(float)
        for (_, backend), (_, secs) in self.op_timings.get(key, {}).items():
            out[backend] += secs
        return dict(out)


class _OpWindow:
    """The ``minpy.numpy`` op statistics of one running region: switches recording on
    for the outermost region (unless the user records already) and diffs the counts."""

    depth = 0
    scope = None

    @classmethod
    def open(cls):
        if cls.depth == 0 and not _opstat.recording():
            cls.scope = _opstat.record_op_stat()
        cls.depth += 1
        return {k: tuple(v) for k, v in _opstat._recorder.calls.items()}

    @classmethod
    def close(cls, before):
        after = _opstat._recorder.calls
        delta = {}
        for k, (n, secs) in after.items():
            n0, s0 = before.get(k, (0, 0.0))
            if n != n0:
                delta[k] = (n - n0, secs - s0)
        cls.depth -= 1
        if cls.depth == 0 and cls.scope is not None:
            cls.scope.__exit__(None, None, None)
            cls.scope = None
        return delta


def _read_lines(filename, begin, end):
    try:
        with open(filename) as f:
            return [ln.rstrip() for i, ln in enumerate(f, 1) if begin <= i <= end]
    except OSError:
        return []


class FuncCallProfiler:
    """Profiler of function calls and code blocks (``minprof`` is the shared instance)."""

    class Timer:
        """A ``with`` block timed as one region."""

        def __init__(self, profiler, info=None):
            self.profiler = profiler
            self.info = info
            self.filename = self.begin_lineno = self.begin_time = None
            self._ops = None

        def __enter__(self):
            frame = sys._getframe(1)
            self.filename, self.begin_lineno = frame.f_code.co_filename, frame.f_lineno
            self._ops = _OpWindow.open()
            self.begin_time = time.perf_counter()
            return self

        def __exit__(self, *exc):
            end_time = time.perf_counter()
            ops = _OpWindow.close(self._ops)
            end_lineno = sys._getframe(1).f_lineno
            if self.info is None:
                lines = _read_lines(self.filename, self.begin_lineno, end_lineno)
                first = lines[0].strip() if lines else "<block>"
                code = (self.filename, self.begin_lineno, first + "...")
            else:
                code = (self.filename, self.begin_lineno, self.info)
            self.profiler._record(code, self.begin_time, end_time, ops)
            return False

    def __init__(self, *funcs):
        self.code_map = {}
        self.op_map = {}
        for func in funcs:
            self.add_function(func)

    def __call__(self, func=None):
        if func is None:
            return FuncCallProfiler.Timer(self)
        if isinstance(func, str):
            return FuncCallProfiler.Timer(self, info=func)
        self.add_function(func)
        return self.wrap_function(func)

    @staticmethod
    def _code(func):
        code = getattr(func, "__code__", None)
        if code is not None:
            return code
        return ("~", 0, getattr(func, "__qualname__", repr(func)))

    def add_function(self, func):
        """Register ``func`` (it shows in the statistics even if never called)."""
        self.code_map.setdefault(self._code(func), [])

    def _record(self, code, begin, end, ops):
        self.code_map.setdefault(code, []).append((1, begin, end))
        acc = self.op_map.setdefault(code, {})
        for k, (n, secs) in ops.items():
            cur = acc.setdefault(k, [0, 0.0])
            cur[0] += n
            cur[1] += secs

    def wrap_function(self, func):
        """``func`` wrapped so that each call is timed (``func`` itself when
        :data:`MINPROF_FLAG` is False)."""
        if not MINPROF_FLAG:
            return func
        code = self._code(func)
        import functools

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            ops = _OpWindow.open()
            begin = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                end = time.perf_counter()
                self._record(code, begin, end, _OpWindow.close(ops))
        return wrapper

    def reset(self):
        """Forget every recorded call."""
        self.code_map.clear()
        self.op_map.clear()

    def get_stats(self):
        """The statistics so far, as a :class:`FuncCallStats`."""
        return FuncCallStats({label(c): list(t) for c, t in self.code_map.items()},
                             {label(c): {k: list(v) for k, v in ops.items()}
                              for c, ops in self.op_map.items()})

    def dump_stats(self, filename):
        """Pickle :meth:`get_stats` to ``filename``."""
        with open(filename, "wb") as f:
            pickle.dump(self.get_stats(), f, pickle.HIGHEST_PROTOCOL)

    def print_stats(self, stream=None):
        """Print the statistics (see :func:`show_text`)."""
        show_text(self.get_stats(), stream=stream)

    def runctx(self, cmd, globals_env, locals_env):
        """Run statement ``cmd`` in the given namespaces as one region."""
        with FuncCallProfiler.Timer(self, info=cmd if len(cmd) < 60 else cmd[:57] + "..."):
            exec(cmd, globals_env, locals_env)


def show_func(filename, first_lineno, func_name, timings, stream=None, ops=None):
    """One region's line (calls, total ms, ms per call, where), then its operations."""
    stream = stream or sys.stdout
    nhits = len(timings)
    if nhits == 0:
        return
    total = sum(end - begin for _, begin, end in timings)
    if len(filename) > 40:
        filename = "..." + filename[-40:]
    stream.write("%10s %10.4f %10.4f    %-s:%s(%s)\n" % (
        nhits, total * 1000, total / nhits * 1000, filename, first_lineno, func_name))
    if ops:
        backends = defaultdict(float)
        for (op, backend), (n, secs) in sorted(ops.items()):
            backends[backend] += secs
            stream.write("%10s %10.4f %10s      %s on %s\n" % (n, secs * 1000, "", op,
                                                               backend))
        stream.write("%10s %10s %10s      by backend: %s\n" % (
            "", "", "", ", ".join(f"{b} {s * 1000:.4f} ms" for b, s in
                                  sorted(backends.items()))))


def show_text(stats, stream=None):
    """Print ``stats`` (a :class:`FuncCallStats`): one line per region with its calls,
    total and per-call milliseconds, and below it the ``minpy.numpy`` operations that
    ran inside, with their backend, calls and milliseconds."""
    stream = stream or sys.stdout
    stream.write("\nMINPROF_FLAG: %s\n" % MINPROF_FLAG)
    if not MINPROF_FLAG:
        return
    stream.write("Timer unit: %g s\n\n" % 1e-03)
    stream.write("%10.8s %10.8s %10.8s    %-s:%s(%s)::%s\n" % (
        "ncalls", "tottime", "percall", "filename", "lineno", "function", "info"))
    for key in sorted(stats.timings):
        show_func(*key, stats.timings[key], stream=stream, ops=stats.op_timings.get(key))
    stream.write("\n\n")


minprof = FuncCallProfiler()


def main(argv=None):
    """``python -m minpy.utils.minprof [-o FILE] [-v] script.py [args ...]``."""
    parser = argparse.ArgumentParser(prog="python -m minpy.utils.minprof")
    parser.add_argument("-o", "--outfile", default=None,
                        help="save the statistics to this file (default <script>.fprof)")
    parser.add_argument("-v", "--view", action="store_true",
                        help="print the statistics too")
    parser.add_argument("script")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    opts = parser.parse_args(argv)
    outfile = opts.outfile or os.path.basename(opts.script) + ".fprof"
    sys.argv = [opts.script, *opts.args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(opts.script)))
    try:
        with FuncCallProfiler.Timer(minprof, info=opts.script):
            runpy.run_path(opts.script, run_name="__main__")
    except SystemExit:
        pass
    finally:
        minprof.dump_stats(outfile)
        print(f"Wrote profile results to {outfile}")
        if opts.view:
            minprof.print_stats()


if __name__ == "__main__":
    main()
