"""A scan for NumPy functions and methods that write into their arguments (used by
``test_writers.py``; run as a script it prints its findings as JSON).

Every public callable of NumPy's namespaces, of its random generators' and ``ndarray``'s
methods and of two ufuncs' methods is called on fresh arrays in a set of argument
patterns. A finding is an argument that a successful call changed, or a call that
succeeded on writable arrays and failed on read-only ones ("... is read-only"). It
imports nothing but NumPy: the test runs it in a child process, so that a NumPy bug that
crashes on a made-up call (``negative.at(a, i, b)`` on NumPy 1.23) fails the test with
the function's name instead of killing the session. (Named ``*_test`` for the reason
``regressions_test.py`` gives: Hypothesis leaves test files' literals alone.)
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import json
import re
import sys
import warnings

import numpy as np

_READ_ONLY = re.compile(r"read-only|readonly|not writeable", re.I)
MARK = "writer-scan-findings: "

#: Never called by the scan: they touch files, global state or the console, or can read
#: memory out of bounds (as_strided on made-up shapes).
_SKIP = frozenset(
    "test show_config show_runtime info save savez savez_compressed savetxt load loadtxt "
    "genfromtxt fromfile fromregex memmap set_printoptions seterr setbufsize seterrcall "
    "set_string_function printoptions errstate as_strided lookfor source get_include "
    "set_state seed set_bit_generator _set_promotion_state tofile dump dumps "
    "__setstate__ __init__ __new__ __reduce__ __reduce_ex__ __del__ __init_subclass__ "
    "__array_finalize__ __class_getitem__ __dlpack__ __buffer__ __release_buffer__".split())
_MODULES = ("", "linalg", "fft", "random", "lib.stride_tricks", "lib.recfunctions",
            "lib.array_utils", "lib.scimath", "char", "strings", "rec", "testing")


def _arrays():
    a = np.arange(1.0, 10.0).reshape(3, 3)
    a[2, 2] = np.nan  # so that nan_to_num(copy=False) has something to change
    return {"A": a, "B": a[::-1].copy() * 2, "V": np.arange(1.0, 4.0), "I": np.array([0, 2]),
            "J": np.array([[0], [2], [1]]), "M": (np.arange(9).reshape(3, 3) % 2 == 0),
            "Z": np.zeros((3, 3)), "R": np.zeros(3, dtype=[("a", "f8"), ("b", "i8")]),
            "K": np.array(5)}


#: Argument patterns: names are fresh arrays of _arrays(), other values are themselves.
_PATTERNS = ((), ("A",), ("A", "B"), ("A", 1), ("A", 0), ("A", 2.5), ("A", "I", "V"),
             ("A", "I", 7.0), ("A", "M", "B"), ("A", "M", 7.0), ("A", "J", 7.0, 1),
             ("V", "I", 7.0), ("V",), ("A", "V"), ("R", "R"), ("I",), ("A", "K"))
_KEYWORDS = ({}, {"out": "Z"})


def _callables():
    """(dotted name, callable, the object whose signature tells its ``out``) for every
    public callable of NumPy's namespaces, of its random generators' and ``ndarray``'s
    methods (bound to a fresh array given as the first pattern element), and of two
    ufuncs' methods. Ufuncs themselves are left out: they write only their outputs."""
    for prefix in _MODULES:
        try:
            mod = importlib.import_module("numpy." + prefix if prefix else "numpy")
        except ImportError:
            continue
        for n in sorted(set(dir(mod)) - _SKIP):
            if n.startswith("_"):
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                obj = getattr(mod, n, None)
            if obj is None or isinstance(obj, (type, np.ufunc)) or inspect.ismodule(
                    obj) or not callable(obj):
                continue
            yield f"{prefix}.{n}".lstrip("."), obj, obj
    for cls, inst in ((np.random.Generator, np.random.default_rng(0)),
                      (np.random.RandomState, np.random.RandomState(0))):
        prefix = f"random.{cls.__name__}"
        for n in sorted(set(dir(inst)) - _SKIP):
            if not n.startswith("_") and callable(getattr(inst, n)):
                yield f"{prefix}.{n}", getattr(inst, n), None
    for uf in (np.add, np.negative):
        for m in ("at", "reduce", "accumulate", "reduceat", "outer"):
            yield f"{uf.__name__}.{m}", getattr(uf, m), None
    for n in sorted(set(dir(np.ndarray)) - _SKIP):
        if callable(getattr(np.ndarray, n)) and (not n.startswith("__") or n.startswith(
                "__i") or n in ("__setitem__",)):
            yield f"ndarray.{n}", n, None


def _call(fn, args, kwargs):
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if isinstance(fn, str):  # an ndarray method: bound to the first argument
            return getattr(args[0], fn)(*args[1:], **kwargs)
        return fn(*args, **kwargs)


def _changed(before, after):
    if before.shape != after.shape or before.dtype != after.dtype:
        return True
    if after.dtype.names is not None:
        return before.tobytes() != after.tobytes()
    return not np.array_equal(before, after, equal_nan=True)


def _scan(progress=None):
    """name -> set of (pattern, keywords, written places): the positions/keywords of
    the arguments a successful call changed, or ``None`` for a call that failed only
    on read-only arrays."""
    found: dict = {}
    for name, fn, _ in _callables():
        if progress is not None:
            print(name, file=progress, flush=True)  # the last one names a crash
        for pattern in _PATTERNS:
            if isinstance(fn, str) and not pattern:
                continue
            if getattr(getattr(fn, "__self__", None), "nin", 2) == 1 and len(pattern) > 2:
                continue  # a unary ufunc's at(a, i, b): NumPy 1.23 crashes
            for kw in _KEYWORDS:
                made = _arrays()
                args = [made[p] if isinstance(p, str) else p for p in pattern]
                kwargs = {k: made[v] for k, v in kw.items()}
                before = {k: v.copy() for k, v in made.items()}
                try:
                    _call(fn, args, kwargs)
                except Exception:  # noqa: BLE001 (only successful calls are evidence)
                    continue
                for key, arr in made.items():
                    if not _changed(before[key], arr):
                        continue
                    places = [i for i, p in enumerate(pattern) if p == key]
                    places += [k for k, v in kw.items() if v == key]
                    found.setdefault(name, set()).add((pattern, tuple(kw), tuple(places)))
                ro = _arrays()
                for v in ro.values():
                    v.flags.writeable = False
                try:
                    _call(fn, [ro[p] if isinstance(p, str) else p for p in pattern],
                          {k: ro[v] for k, v in kw.items()})
                except ValueError as exc:
                    if _READ_ONLY.search(str(exc)):
                        found.setdefault(name, set()).add((pattern, tuple(kw), None))
                except Exception:  # noqa: BLE001
                    pass
    return found



def main():
    found = _scan(progress=sys.stderr)
    # one marked line: LAPACK writes its complaints about made-up calls to stdout too
    print(MARK + json.dumps({name: [[list(p), list(k), None if w is None else list(w)]
                                    for p, k, w in f] for name, f in found.items()}))


if __name__ == "__main__":
    main()
