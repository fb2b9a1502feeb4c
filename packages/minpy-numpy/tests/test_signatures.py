"""Every public function of minpy.numpy, linalg, fft and random presents NumPy's
signature and docstring (inspect.signature, help(), IDEs), at no cost on the call path."""

from __future__ import annotations

import inspect
import warnings

import numpy
import pytest

import minpy.numpy as mp
from minpy.numpy._namespace import public_names

# Written by hand in MinPy (their own docstrings say what MinPy adds: copy rules, both
# generators seeded, a Generator on Arrays, from_dlpack of any producer); their
# signatures match NumPy's.
_HAND_WRITTEN = {"array", "asarray", "asanyarray", "random.seed", "random.default_rng",
                 "from_dlpack"}
# MinPy's sort/argsort add the array API standard's ``descending=``.
_EXTENDED = {"sort": ["descending"], "argsort": ["descending"]}


def _functions():
    found = []
    for prefix, nmod in (("", numpy), ("linalg.", numpy.linalg), ("fft.", numpy.fft),
                         ("random.", numpy.random)):
        for name in public_names(nmod):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                obj = getattr(nmod, name, None)
            if obj is None or isinstance(obj, (type, numpy.dtype)) or inspect.ismodule(
                    obj) or not callable(obj):
                continue
            found.append(prefix + name)
    return found


FUNCTIONS = _functions()


def _minpy(name):
    obj = mp
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def _numpy(name):
    obj = numpy
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def _params(sig):
    return [(p.name, p.kind) for p in sig.parameters.values()
            if p.kind is not inspect.Parameter.VAR_KEYWORD]


def test_enough_functions_checked():
    assert len(FUNCTIONS) > 450  # numpy 2: ~500 public functions in these four modules


@pytest.mark.parametrize("name", FUNCTIONS)
def test_signature_and_docstring(name):
    theirs = _numpy(name)
    ours = _minpy(name)
    try:
        their_sig = inspect.signature(theirs)
    except (TypeError, ValueError):
        pytest.skip(f"NumPy gives numpy.{name} no signature either")
    our_sig = inspect.signature(ours)
    expected = _params(their_sig)
    got = _params(our_sig)
    extra = _EXTENDED.get(name, [])
    assert [p for p in got if p[0] not in extra] == expected
    assert [p[0] for p in got if p[0] in extra] == extra
    if name not in _HAND_WRITTEN and name not in _EXTENDED:
        assert str(our_sig) == str(their_sig)
    doc = inspect.getdoc(ours)
    assert doc
    if name in _HAND_WRITTEN:
        return
    their_doc = inspect.getdoc(theirs)
    if their_doc:
        assert doc.startswith(their_doc[:200])
        assert "MinPy" in doc.splitlines()[-1]  # where MinPy runs it, last


def test_named_examples():
    assert list(inspect.signature(mp.sum).parameters) == [
        "a", "axis", "dtype", "out", "keepdims", "initial", "where"]
    assert "x1" in inspect.signature(mp.add).parameters
    assert list(inspect.signature(mp.linalg.norm).parameters) == [
        "x", "ord", "axis", "keepdims"]
    assert "Sum of array elements" in mp.sum.__doc__
    # help() renders it (pydoc reads the same attributes)
    import pydoc
    text = pydoc.render_doc(mp.mean, renderer=pydoc.plaintext)
    assert "axis=None" in text and "Compute the arithmetic mean" in text


def test_no_cost_on_the_call_path():
    """The signature is NumPy's function reached through __wrapped__ (set once at
    creation); the call path is the same function object as before."""
    assert mp.sum.__wrapped__ is numpy.sum
    assert not hasattr(mp.sum, "__signature__")
    x = mp.ones(3)
    assert float(mp.sum(x)) == 3.0
