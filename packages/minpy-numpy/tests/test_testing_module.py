"""minpy.numpy.testing: all of numpy.testing, working on Arrays and mixed arguments."""

from __future__ import annotations

import numpy
import pytest

import minpy.numpy as np
from minpy.numpy import testing


def test_every_public_name_exists():
    public = set(getattr(numpy.testing, "__all__", ()))
    public.update(n for n in dir(numpy.testing) if not n.startswith("_"))
    assert public <= set(dir(testing))
    assert np.testing is testing


def test_comparisons_on_arrays_and_mixed_arguments():
    a, b, n = np.arange(4.0), np.arange(4.0), numpy.arange(4.0)
    testing.assert_equal(a, b)
    testing.assert_equal(a, n)
    testing.assert_equal({"k": [a, (b,)]}, {"k": [n, (n,)]})
    testing.assert_array_equal(a, b, strict=True)
    testing.assert_allclose(a + 1e-12, n, atol=1e-9)
    testing.assert_almost_equal(a, b)
    testing.assert_array_almost_equal(a, n)
    testing.assert_array_less(a, b + 1)
    testing.assert_approx_equal(a.sum(), 6.0)
    testing.assert_array_max_ulp(a, b)
    testing.assert_array_almost_equal_nulp(a, b)
    testing.assert_equal(a.sum(), 6.0)
    testing.assert_(a.sum() == 6)
    for bad in (lambda: testing.assert_equal(a, b + 1),
                lambda: testing.assert_allclose(a, n + 1),
                lambda: testing.assert_array_less(b, a),
                lambda: testing.assert_array_equal(a, a.astype("float32"), strict=True)):
        with pytest.raises(AssertionError):
            bad()


def test_callers_receive_arguments_unchanged():
    seen = []

    def f(x):
        seen.append(type(x))
        raise ValueError
    testing.assert_raises(ValueError, f, np.ones(2))
    with testing.assert_raises(ZeroDivisionError):
        1 / 0
    assert seen == [np.ndarray]
    with testing.suppress_warnings() as sup:
        sup.filter(RuntimeWarning)
        np.log(np.zeros(1))
