"""Writes under ``grad`` (issue 26): slice assignment whose value has extra leading
length-1 axes, ``out=`` into traced and untraced arrays, the ``**`` operator's special
exponents, and NumPy's in-place functions. Gradients are checked against central
differences of the same function in NumPy."""

from __future__ import annotations

import numpy as onp
import pytest

import minpy.numpy as np
from minpy.autograd import grad


def _numeric(f, x, eps=1e-6):
    """Central differences of NumPy function ``f`` at ``x``."""
    g = onp.zeros_like(x)
    for i in onp.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        g[i] = (f(up) - f(down)) / (2 * eps)
    return g


def _slice_assign_extra_axis(xp):
    def f(x):
        y = x * 1.0
        y[-1] = x[::2] * 3.0  # x[::2] has shape (1, 3), y[-1] shape (3,)
        return xp.sum(y * y)
    return f


def test_slice_assignment_with_an_extra_leading_axis(policy):
    def f(x):
        y = x * 1.0
        y[-1] = x[::2] * 3.0
        return np.sum(y)
    x = onp.ones((2, 3))
    assert float(f(np.array(x))) == 12.0
    onp.testing.assert_array_equal(grad(f)(np.array(x)).asnumpy(),
                                   [[4.0, 4.0, 4.0], [0.0, 0.0, 0.0]])
    x = onp.random.default_rng(1).normal(size=(2, 3))
    onp.testing.assert_allclose(grad(_slice_assign_extra_axis(np))(np.array(x)).asnumpy(),
                                _numeric(_slice_assign_extra_axis(onp), x), rtol=1e-6)


def test_augmented_slice_assignment_with_an_extra_axis_raises_as_numpy(policy):
    def f(xp, x):
        y = x * 1.0
        y[0] += x[1:] * 2.0  # NumPy: the output (3,) cannot take the (1, 3) result
        return xp.sum(y)
    x = onp.ones((2, 3))
    with pytest.raises(ValueError, match="non-broadcastable output"):
        f(onp, x)
    with pytest.raises(ValueError, match="non-broadcastable output"):
        grad(lambda v: f(np, v))(np.array(x))


def test_out_into_a_traced_array_is_recorded(policy):
    def f(x):
        y = x * 1.0
        np.multiply(x, x, out=y)  # y = x**2, written through out=
        return np.sum(y * x)
    x = onp.array([1.0, 2.0, 3.0])
    onp.testing.assert_allclose(grad(f)(np.array(x)).asnumpy(), 3 * x ** 2)

    def g(x):
        y = x * 1.0
        np.add(x, 1.0, y)  # out by position
        return np.sum(y * y)
    onp.testing.assert_allclose(grad(g)(np.array(x)).asnumpy(), 2 * (x + 1))


def test_out_of_a_traced_value_into_an_untraced_array_raises():
    def f(x):
        y = np.zeros(3)
        np.multiply(x, 2.0, out=y)  # y is not traced: its gradient would be lost
        return np.sum(y * x)
    with pytest.raises(TypeError, match="traced value"):
        grad(f)(np.ones(3))


@pytest.mark.parametrize("write", [
    lambda y, x: np.copyto(y, x),
    lambda y, x: np.put(y, [0], x[:1]),
    lambda y, x: np.place(y, y > 0, x),
    lambda y, x: np.add.at(y, [0], x[:1]),
    lambda y, x: np.fill_diagonal(np.reshape(y, (1, 3)), x[0]),
])
def test_numpy_in_place_functions_refuse_traced_values(write):
    def f(x):
        y = x * 1.0
        write(y, x)
        return np.sum(y)
    with pytest.raises(TypeError, match="in place"):
        grad(f)(np.ones(3))


def test_power_operator_special_exponents(policy):
    x = onp.array([0.5, 1.5, 2.0])
    for e, d in ((2, lambda v: 2 * v), (0.5, lambda v: 0.5 / onp.sqrt(v)),
                 (-1, lambda v: -1 / v ** 2), (3, lambda v: 3 * v ** 2)):
        onp.testing.assert_allclose(grad(lambda v: np.sum(v ** e))(np.array(x)).asnumpy(),
                                    d(x), rtol=1e-12)
