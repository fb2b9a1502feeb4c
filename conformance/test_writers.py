"""NumPy functions and methods that write into their arguments, after a cached device
form exists, against NumPy (issue 26).

* ``test_program``: every program of ``regressions_test.py`` (issue 26's snippets, and one
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

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import minpy.numpy as mnp
import regressions_test as regressions
from minpy.core import Array, _handoff
from writer_scan_test import MARK, _callables

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


def _scan_in_a_child():
    """The scan's findings (``writer_scan_test.py`` in a child process: a NumPy that crashes
    on one of its made-up calls fails this test, naming the function)."""
    here = os.path.dirname(os.path.abspath(__file__))
    proc = subprocess.run([sys.executable, os.path.join(here, "writer_scan_test.py")],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        last = proc.stderr.strip().splitlines()[-3:]
        pytest.fail(f"the writer scan crashed (exit {proc.returncode}) in: {last}")
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith(MARK)][-1]
    return {name: {(tuple(p), tuple(k), None if w is None else tuple(w)) for p, k, w in f}
            for name, f in json.loads(line[len(MARK):]).items()}


def test_declared_writers_are_complete():
    found = _scan_in_a_child()
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
