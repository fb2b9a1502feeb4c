"""Every public name of numpy, numpy.linalg, numpy.random and numpy.fft resolves in
minpy.numpy; table entries dispatch, the rest are NumPy fallbacks returning Arrays."""

from __future__ import annotations

import warnings

import numpy
import pytest

import minpy.numpy as np
from minpy.core import Array
from minpy.numpy._namespace import public_names
from minpy.numpy._table import TABLE

MODULES = [(numpy, np, ""), (numpy.linalg, np.linalg, "linalg."),
           (numpy.random, np.random, "random."), (numpy.fft, np.fft, "fft.")]


def _numpy_has(module, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            getattr(module, name)
        except AttributeError:   # listed in dir() but removed (NumPy 2 expired names)
            return False
    return True


@pytest.mark.parametrize("module,mine,prefix", MODULES, ids=lambda m: getattr(
    m, "__name__", None) if not isinstance(m, str) else None)
def test_every_public_name_resolves(module, mine, prefix):
    unresolved = []
    names = [n for n in public_names(module) if _numpy_has(module, n)]
    assert len(names) > 10
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in names:
            try:
                getattr(mine, name)
            except Exception as exc:  # noqa: BLE001
                unresolved.append(f"{name} ({type(exc).__name__}: {exc})")
    assert not unresolved, f"{module.__name__}: unresolved names: {unresolved}"
    assert set(names) <= set(dir(mine))


def test_constants_dtypes_and_classes_are_numpys():
    assert np.pi is numpy.pi and np.float32 is numpy.float32 and np.newaxis is None
    assert np.dtype is numpy.dtype and np.inf == numpy.inf
    assert np.ndarray is Array


def test_table_entries_dispatch_and_others_fall_back():
    for name in ("add", "sum", "reshape"):
        assert getattr(np, name).op is TABLE[name]
    assert "mxnet" not in np.logaddexp.op.impls
    r = np.polyval(np.array([1.0, 2.0]), 3.0)     # a name with no table entry
    assert isinstance(r, Array) and float(r) == 5.0
    r = np.fft.fft(np.ones(4))
    assert isinstance(r, Array) and r.dtype == numpy.complex128
    assert np.linalg.inv.op is TABLE["linalg.inv"]


def test_unknown_name_raises_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'not_a_numpy_name'"):
        np.not_a_numpy_name  # noqa: B018
