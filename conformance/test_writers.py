"""NumPy functions and methods that write into their arguments, after a cached device
form exists, against NumPy (issue 26).

* ``test_program``: every program of ``regressions.py`` (issue 26's snippets, and one
  or more programs per writer) under every policy: the writing step runs under the
  policy, device forms are made before it and read back through MXNet after it; every
  observation must be NumPy's.
* ``test_every_writer_has_a_program``: each declared writer
  (``minpy.core._handoff.WRITERS``, ``ARRAY_WRITERS``) and ``out=`` is run by a program.
* ``test_declared_writers_are_complete``: a scan calls every public function of NumPy's
  namespaces (and the methods of its random generators, ufuncs and ``ndarray``) on
  fresh arrays, in a set of argument patterns, and notes which arguments a successful
  call changed, or which call succeeded on writable arrays but failed on read-only ones.
  Each such writer must be declared (or be an ``out`` parameter): a NumPy that grows a
  new writer fails here until it is added to the table.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import warnings

import numpy as np
import pytest

import minpy.numpy as mnp
import regressions
from minpy.core import Array, _handoff

POLICIES = ("auto", "prefer_mxnet", "only_numpy", "only_mxnet")


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("name", sorted(regressions.PROGRAMS))
def test_program(name, policy):
    _, program = regressions.PROGRAMS[name]
    ref = regressions.run(program, np, regressions.NumpyEnv())
    env = regressions.MinpyEnv(mnp, policy)
    # the program's own set-up under a policy that runs everything; its steps under
    # ``policy`` (see MinpyEnv.step)
    with mnp.policy("prefer_mxnet" if policy == "only_mxnet" else policy):
        got = regressions.run(program, mnp, env)
    regressions.same(ref, got, name)


def test_every_writer_has_a_program():
    covered = {c for covers, _ in regressions.PROGRAMS.values() for c in covers}
    declared = set(_handoff.WRITERS) | set(_handoff.ARRAY_WRITERS) | {"out"}
    if not hasattr(np.ndarray, "itemset"):  # NumPy 2 has no ndarray.itemset
        declared.discard("itemset")
        covered.discard("itemset")
    assert declared - covered == set()
    assert covered - declared == set()


def test_array_writers_write_through_the_array():
    """Every ndarray attribute NumPy lets one set is either written through the Array
    (declared) or refused by it (AttributeError: loud, never a stale form)."""
    for name in dir(np.ndarray):
        if type(getattr(np.ndarray, name)).__name__ != "getset_descriptor":
            continue
        ref = np.arange(6.0)
        try:
            setattr(ref, name, getattr(ref, name))
        except (AttributeError, TypeError, ValueError):
            continue  # NumPy does not set it here either
        a = mnp.arange(6.0)
        if name in _handoff.ARRAY_WRITERS:
            setattr(a, name, getattr(a, name))
        else:
            with pytest.raises(AttributeError):
                setattr(a, name, getattr(a, name))


# -- the scan ---------------------------------------------------------------------------
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


def _scan():
    """name -> set of written places ('out', 'self', or a position/keyword)."""
    found: dict = {}
    for name, fn, sig in _callables():
        for pattern in _PATTERNS:
            if isinstance(fn, str) and not pattern:
                continue
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
                    if _handoff._READ_ONLY.search(str(exc)):
                        found.setdefault(name, set()).add((pattern, tuple(kw), None))
                except Exception:  # noqa: BLE001
                    pass
    return found


def _explained(name, fn, findings) -> bool:
    """Whether every write found is declared: in WRITERS (through writer_of) or
    ARRAY_WRITERS, or ``out`` (keyword, or the positional ``out`` parameter)."""
    if name.startswith("ndarray."):
        method = name.split(".", 1)[1]
        declared = method in _handoff.ARRAY_WRITERS or (
            method.startswith("__i") and "__i<op>__" in _handoff.ARRAY_WRITERS) or (
            not hasattr(Array, method))  # Array lacks it: an AttributeError, loud
        for pattern, keywords, places in findings:
            # a write into the array itself must be declared; into another argument it
            # is the method's ``out`` (ndarray.dot(b, out), conj(out), ...)
            if places is None:
                if not declared and not keywords and not any(
                        isinstance(p, str) for p in pattern[1:]):
                    return False
            elif 0 in places and not declared:
                return False
        return True
    spec = _handoff.writer_of(fn)
    out_pos = _handoff.out_position(fn)[0]
    for pattern, keywords, places in findings:
        if places is None:  # a read-only failure: which argument is not known
            positional_out = out_pos < len(pattern) and isinstance(pattern[out_pos], str)
            if spec is None and "out" not in keywords and not positional_out:
                return False
            continue
        for place in places:
            if place == "out" or place == out_pos:
                continue
            if spec is None or (place not in spec.args and place not in spec.kwargs):
                return False
    return True


def test_declared_writers_are_complete():
    found = _scan()
    callables = {name: fn for name, fn, _ in _callables()}
    undeclared = {name: sorted(map(str, found[name])) for name in found
                  if not _explained(name, callables[name], found[name])}
    assert undeclared == {}, (
        "NumPy functions that write into an argument but are not declared in "
        f"minpy.core._handoff.WRITERS: {undeclared}")
    # ... and the table is not stale: each declared function writes in this scan (or
    # is one the scan cannot call meaningfully: iterators write after the call, the
    # Generator methods only with ``out`` of their dtype, structured-array helpers)
    detected = {name for name in found}
    for name in _handoff.WRITERS:
        if name.startswith(("ufunc.", "random.Generator.standard", "random.Generator.random",
                            "nditer", "nested_iters", "lib.recfunctions.")):
            continue
        assert name in detected or name.replace("RandomState.", "") in detected, name
