"""``jit``: capture a function once per input signature, replay the program after.

A call's *signature* is what the captured program depends on beyond the arrays'
values: every array argument's shape, dtype, device, memory layout (strides),
writability and view-family membership; every other argument's value (Python scalars,
strings, None, hashable objects by equality; lists, tuples and dicts are walked); the
policy, the default float dtype and the current device. The first call of a signature
captures (:mod:`._capture`); later calls replay the program with the engine of the
backend its ops ran on (:mod:`.engines`).

A guard that fails (a value read into Python came out differently) tries the other
programs captured for that signature, then captures a new one; past
``max_variants`` programs the signature runs eagerly (one :class:`JitWarning`). A
capture that cannot be replayed (a value printed or converted to NumPy, a traced
value kept after the call, random numbers drawn outside ``minpy.numpy``) makes the
function eager from then on, with one warning saying why. An exception during a
replay restores the inputs and runs the function eagerly, so it is raised at the
statement eager MinPy raises it, as eager MinPy raises it.
"""

from __future__ import annotations

import functools
import sys
import threading
import time
import warnings
import weakref
from collections import OrderedDict

import numpy as onp

from minpy.core import Array, current_device, get_default_float_dtype
from minpy.core import tracing as _tracing
from minpy.core.tracing import Box

from . import _capture
from ._capture import Capture, JitWarning
from ._codegen import GuardFail
from .engines import compile_program

__all__ = ["jit", "JitFunction", "stats", "reset_stats"]

#: Signatures kept per function (least recently used dropped first).
DEFAULT_CACHE_SIZE = 32
#: Programs kept per signature (one per path through value-dependent control flow).
DEFAULT_MAX_VARIANTS = 4
#: New signatures in a row after which a function runs eagerly: its signature changes
#: on every call (a Python number argument that changes), so every call would capture.
CHURN_LIMIT = 8

_FUNCTIONS = weakref.WeakSet()
_CAPTURE_LOCK = threading.Lock()
_SCALARS = (int, float, bool, complex, str, bytes, type(None))


class _Inline(Exception):
    """An argument is a traced value: run the function inline, in its trace."""


def _policy_module():
    """``minpy.numpy``'s policy module (the package's ``policy`` is the context
    manager of that name)."""
    global _POLICY, _get_policy, _BUILTIN_POLICIES
    if _POLICY is None:
        import minpy.numpy  # noqa: F401
        _POLICY = sys.modules["minpy.numpy.policy"]
        _get_policy = _POLICY.get_policy
        _BUILTIN_POLICIES = frozenset(
            t for t in _POLICY._NAMED.values() if t is not _POLICY.AutoBlacklistPolicy)
    return _POLICY


_POLICY = _get_policy = None
_BUILTIN_POLICIES = frozenset()


def _policy_key(pol):
    """A built-in policy by its name (``with policy('auto')`` makes a new object each
    time); any other (a learning one, a user's) by itself."""
    return pol.name if type(pol) in _BUILTIN_POLICIES else pol


def _flatten(x, key, leaves):
    """Append ``x``'s signature to ``key`` and its array leaves to ``leaves``."""
    t = type(x)
    if t is Array:
        h = x._host
        key.append((x.shape, x.dtype, x._device,
                    None if h is None else (h.strides, h.flags.writeable)))
        leaves.append(x)
    elif t is onp.ndarray:
        key.append(("nd", x.shape, x.dtype, x.strides, x.flags.writeable))
        leaves.append(x)
    elif t in _SCALARS:
        # 0.0 and -0.0 are equal (and NaN is not itself): numbers by their text
        key.append((t, x) if t is not float and t is not complex or (x == x and x)
                   else (t, repr(x)))
    elif isinstance(x, onp.generic):
        key.append((t, x.tobytes()))
    elif t is tuple or t is list:
        key.append((t, len(x)))
        for a in x:
            _flatten(a, key, leaves)
    elif t is dict:
        key.append((t, tuple(x)))
        for a in x.values():
            _flatten(a, key, leaves)
    elif isinstance(x, Box):
        raise _Inline
    elif isinstance(x, Array):  # a subclass
        key.append((t, x.shape, x.dtype, x._device))
        leaves.append(x)
    elif isinstance(x, tuple) and hasattr(x, "_fields"):
        key.append((t, len(x)))
        for a in x:
            _flatten(a, key, leaves)
    else:
        hash(x)  # TypeError: an unhashable object cannot be part of a signature
        key.append((t, x))


def _rebuild(x, it):
    """``x`` with its array leaves replaced, in order, by ``next(it)``."""
    t = type(x)
    if t is Array or t is onp.ndarray or isinstance(x, Array):
        return next(it)
    if t is tuple or t is list:
        return t(_rebuild(a, it) for a in x)
    if t is dict:
        return {k: _rebuild(v, it) for k, v in x.items()}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return t(*[_rebuild(a, it) for a in x])
    return x


def _has_box(x):
    t = type(x)
    if isinstance(x, Box):
        return True
    if t is tuple or t is list:
        return any(_has_box(a) for a in x)
    if t is dict:
        return any(_has_box(a) for a in x.values())
    return False


class _Entry:
    """The programs of one signature."""

    __slots__ = ("variants", "eager")

    def __init__(self):
        self.variants = []
        self.eager = False


class Stats(dict):
    """Counters of one jitted function (a dict; also readable as attributes)."""

    __getattr__ = dict.__getitem__


def _new_stats():
    return Stats(calls=0, replays=0, captures=0, recaptures=0, guard_failures=0,
                 eager_calls=0, inlined=0, replay_errors=0, evictions=0, signatures=0,
                 engines={}, fallbacks={}, eager_reason=None)


class JitFunction:
    """A jitted function (see :func:`jit`). ``stats`` counts what its calls did;
    :meth:`programs` lists what it captured."""

    def __init__(self, fun, static_argnums=(), static_argnames=(), cache_size=None,
                 max_variants=None, engine=None):
        functools.update_wrapper(self, fun)
        self.fun = fun
        if isinstance(static_argnums, int):
            static_argnums = (static_argnums,)
        if isinstance(static_argnames, str):
            static_argnames = (static_argnames,)
        self.static_argnums = frozenset(static_argnums)
        self.static_argnames = frozenset(static_argnames)
        self.cache_size = DEFAULT_CACHE_SIZE if cache_size is None else int(cache_size)
        if self.cache_size < 1:
            raise ValueError(f"cache_size must be at least 1, not {cache_size!r}")
        self.max_variants = (DEFAULT_MAX_VARIANTS if max_variants is None
                             else int(max_variants))
        self.engine = engine
        if engine is not None:
            from .engines import by_name
            by_name(engine)  # a clear error now for an unknown name
        self._cache = OrderedDict()
        self.stats = _new_stats()
        self._eager_reason = None
        self._warned = False
        self._streak = 0  # new signatures captured in a row
        self._name = getattr(fun, "__qualname__", getattr(fun, "__name__", repr(fun)))
        _policy_module()
        _FUNCTIONS.add(self)

    def __get__(self, obj, objtype=None):
        """A jitted method: the instance is a (static) argument."""
        if obj is None:
            return self
        return functools.partial(self, obj)

    # -- the call ----------------------------------------------------------------------
    def _signature(self, args, kwargs):
        key = []
        leaves = []
        sn = self.static_argnums
        for i, a in enumerate(args):
            if i in sn:
                hash(a)
                key.append(("static", a))
            else:
                _flatten(a, key, leaves)
        if kwargs:
            for k in sorted(kwargs):
                v = kwargs[k]
                key.append(k)
                if k in self.static_argnames:
                    hash(v)
                    key.append(("static", v))
                else:
                    _flatten(v, key, leaves)
        pol = _get_policy()
        key.append((pol.name if type(pol) in _BUILTIN_POLICIES else pol,
                    get_default_float_dtype(), current_device()))
        return tuple(key), leaves

    def __call__(self, *args, **kwargs):
        st = self.stats
        st["calls"] += 1
        if _tracing._open_traces and (_capture.active() is not None
                                      or _has_box(args) or _has_box(kwargs)):
            # Inside another capture (it records these ops itself) or on traced values
            # (grad(jitted)): the function runs inline, seen by those traces.
            st["inlined"] += 1
            return self.fun(*args, **kwargs)
        if self._eager_reason is not None:
            st["eager_calls"] += 1
            return self.fun(*args, **kwargs)
        try:
            key, leaves = self._signature(args, kwargs)
        except _Inline:
            st["inlined"] += 1
            return self.fun(*args, **kwargs)
        except TypeError as exc:  # an unhashable argument
            self._go_eager(f"an argument cannot be part of a signature ({exc}); mark "
                           "it static only if it is hashable")
            st["eager_calls"] += 1
            return self.fun(*args, **kwargs)
        entry = self._cache.get(key)
        if entry is not None:
            self._cache.move_to_end(key)
            if entry.eager:
                st["eager_calls"] += 1
                return self.fun(*args, **kwargs)
            variants = entry.variants
            rec = _POLICY._recorder.active
            for k, comp in enumerate(variants):
                t0 = time.perf_counter() if rec else 0.0
                try:
                    out = comp.run(leaves)
                except GuardFail:
                    st["guard_failures"] += 1
                    continue
                except Exception:  # noqa: BLE001 - eager MinPy says what it is
                    st["replay_errors"] += 1
                    st["eager_calls"] += 1
                    return self.fun(*args, **kwargs)
                if k:
                    variants.insert(0, variants.pop(k))  # most recently used first
                st["replays"] += 1
                self._streak = 0
                if rec:
                    _POLICY.record(f"jit({self._name})", comp.engine,
                                   time.perf_counter() - t0)
                return out
            if len(variants) >= self.max_variants:
                entry.eager = True
                self._warn(f"value-dependent control flow took more than "
                           f"{self.max_variants} paths for one signature (or a value "
                           "read into Python changes on every call): that signature runs "
                           "eagerly")
                st["eager_calls"] += 1
                return self.fun(*args, **kwargs)
            st["recaptures"] += 1
        else:
            self._streak += 1
            if self._streak > CHURN_LIMIT:
                self._go_eager(
                    f"captured a new signature on each of {CHURN_LIMIT} calls in a row: an "
                    "argument that is part of the signature (a Python number, a shape) "
                    "changes on every call; pass numbers that change as arrays")
                st["eager_calls"] += 1
                return self.fun(*args, **kwargs)
        return self._capture(key, entry, args, kwargs, leaves)

    def _capture(self, key, entry, args, kwargs, leaves):
        st = self.stats
        if not _CAPTURE_LOCK.acquire(blocking=False):
            st["eager_calls"] += 1  # another thread is capturing: this call runs eagerly
            return self.fun(*args, **kwargs)
        cap = Capture(self._name)
        try:
            with _tracing.trace_scope() as tid:
                cap.start(tid)
                try:
                    boxes = iter([cap.box_input(v) for v in leaves])
                    sn = self.static_argnums
                    bargs = [a if i in sn else _rebuild(a, boxes) for i, a in enumerate(args)]
                    bkw = {k: (kwargs[k] if k in self.static_argnames
                               else _rebuild(kwargs[k], boxes)) for k in sorted(kwargs)}
                    ans = self.fun(*bargs, **bkw)
                    out_t, out_v = cap.output(ans)
                finally:
                    cap.stop()
            del bargs, bkw, ans, boxes
            cap.prog.output = out_t
            prog = cap.finish()
        finally:
            _CAPTURE_LOCK.release()
        st["captures"] += 1
        if prog is None:
            self._go_eager(cap.spoiled)
            return out_v
        comp, note = compile_program(prog, self.engine)
        st["engines"][comp.engine] = st["engines"].get(comp.engine, 0) + 1
        if note:
            st["fallbacks"][note] = st["fallbacks"].get(note, 0) + 1
        if entry is None:
            entry = _Entry()
            self._cache[key] = entry
            st["signatures"] += 1
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
                st["evictions"] += 1
        entry.variants.insert(0, comp)
        return out_v

    # -- eager ----------------------------------------------------------------------------
    def _go_eager(self, reason):
        self._eager_reason = reason
        self.stats["eager_reason"] = reason
        self._cache.clear()
        self._warn(f"runs eagerly from now on: {reason}")

    def _warn(self, message):
        if not self._warned:
            self._warned = True
            warnings.warn(f"minpy.jit: {self._name} {message}", JitWarning, stacklevel=4)

    # -- introspection -------------------------------------------------------------------
    def programs(self):
        """``[(signature, [compiled, ...]), ...]``, most recently used last."""
        return [(k, list(e.variants)) for k, e in self._cache.items()]

    def explain(self) -> str:
        """What was captured: per signature, each program's listing and engine."""
        lines = [f"jit({self._name}): {dict(self.stats)}"]
        for k, variants in self.programs():
            for comp in variants:
                lines.append(f"[{comp.engine}] " + comp.prog.dump())
        return "\n".join(lines)

    def clear_cache(self):
        self._cache.clear()
        self._eager_reason = None
        self._warned = False

    def __repr__(self):
        return f"<minpy.jit.JitFunction {self._name}>"


def jit(fun=None, *, static_argnums=(), static_argnames=(), cache_size=None,
        max_variants=None, engine=None):
    """Compile ``fun``: its first call for each input signature is captured, later
    calls replay the captured program.

    Parameters
    ----------
    fun : callable
        A function of ``minpy.numpy`` arrays (and anything else: lists, dicts, Python
        numbers, objects), which may call ``grad``/``value_and_grad`` and update arrays
        in place.
    static_argnums, static_argnames : int or str, or tuples of them
        Arguments that are part of the signature by value (hashable), never traced
        (arrays among them are not allowed to change between calls).
    cache_size : int
        Signatures kept (default 32), least recently used dropped first.
    max_variants : int
        Programs per signature (paths through value-dependent control flow, default
        4); past that the signature runs eagerly.
    engine : str, optional
        Force an engine ('numpy', 'numpy-unplanned', 'dispatch', 'mxnet', ...);
        default: the engine of the backend the ops ran on (:mod:`minpy.jit.engines`).

    Usable as ``@jit`` or as ``@jit(static_argnames="train")``.
    """
    if fun is None:
        return lambda f: jit(f, static_argnums=static_argnums, static_argnames=static_argnames,
                             cache_size=cache_size, max_variants=max_variants, engine=engine)
    return JitFunction(fun, static_argnums, static_argnames, cache_size, max_variants, engine)


def stats() -> dict:
    """Counters of every live jitted function, summed, and per function
    (``'functions'``: name -> its :attr:`JitFunction.stats`)."""
    total = {k: 0 for k in ("calls", "replays", "captures", "recaptures", "guard_failures",
                            "eager_calls", "inlined", "replay_errors", "evictions",
                            "signatures")}
    per = {}
    for f in list(_FUNCTIONS):
        for k in total:
            total[k] += f.stats[k]
        per[f._name] = dict(f.stats)
    total["functions"] = per
    return total


def reset_stats():
    for f in list(_FUNCTIONS):
        engines = {}
        f.stats.clear()
        f.stats.update(_new_stats())
        f.stats["engines"] = engines
