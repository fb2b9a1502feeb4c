"""NumPy's ``copy=`` rules for array, asarray, astype and reshape."""

from __future__ import annotations

import numpy
import pytest

import minpy.numpy as np

NUMPY2 = int(numpy.__version__.split(".")[0]) >= 2


def test_arrays_are_not_copied_without_need():
    x = np.arange(3.0)
    assert np.asarray(x) is x and np.asanyarray(x) is x
    assert np.array(x, copy=None) is x
    assert np.asarray(x, dtype=np.float64) is x
    assert x.astype(np.float64, copy=False) is x
    assert np.shares_memory(x.reshape(3, 1, copy=False), x)


def test_copy_true_always_copies():
    x = np.arange(3.0)
    for c in (np.asarray(x, copy=True), np.array(x), np.array(x, copy=True),
              x.astype(np.float64), x.reshape(3, copy=True), np.copy(x)):
        assert c is not x and not np.shares_memory(c, x)
        c += 1
    assert x.tolist() == [0.0, 1.0, 2.0]


def test_copy_false_raises_where_a_copy_is_needed():
    x = np.arange(6.0)
    cases = [lambda: np.asarray(x, dtype=np.float32, copy=False),
             lambda: np.asarray([1, 2], copy=False),
             lambda: x.reshape(2, 3).T.reshape(6, copy=False)]
    if NUMPY2:  # NumPy 1's array(copy=False) means "copy if needed"
        cases += [lambda: np.array([1, 2], copy=False),
                  lambda: np.array(x, dtype=np.int32, copy=False)]
    for case in cases:
        with pytest.raises(ValueError, match="copy"):
            case()
    if not NUMPY2:
        assert np.array(x, dtype=np.int32, copy=False).dtype == np.int32


def test_ndarray_sources_are_shared_as_numpy_shares_them():
    nd = numpy.arange(3.0)
    a = np.asarray(nd)
    a[0] = 9
    assert nd[0] == 9 and np.shares_memory(a, nd)
    assert np.shares_memory(np.asarray(nd, copy=False), nd)
    c = np.array(nd)
    c[1] = 5
    assert nd[1] == 1
    assert not np.shares_memory(np.asarray(nd, copy=True), nd)


def test_order_and_ndmin():
    x = np.arange(6.0).reshape(2, 3)
    f = np.array(x, order="F")
    assert f.flags.f_contiguous and not np.shares_memory(f, x)
    assert np.asarray(x, order="C") is x
    assert np.array(x, ndmin=4, copy=None).shape == (1, 1, 2, 3)
    assert np.shares_memory(np.array(x, ndmin=3, copy=None), x)
    with pytest.raises(ValueError):
        np.asarray(x.T, order="C", copy=False)
