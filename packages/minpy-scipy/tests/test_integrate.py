"""minpy.scipy.integrate.odeint: SciPy's solution, and the adjoint gradient against
finite differences (y0, times, parameters; second order in the thorough profile)."""

from __future__ import annotations

import numpy as onp
import pytest
import scipy.integrate as sint

import minpy.numpy as np
from conftest import host, normal, thorough
from minpy.autograd import grad
from minpy.autograd.testing import check_grads
from minpy.scipy.integrate import odeint


def dynamics(y, t, a, b):
    return -np.sqrt(t) - y + a - np.mean((y + b) ** 2)


def test_forward_is_scipys():
    rng = onp.random.default_rng(0)
    y0, a, b = normal(rng, (3,)), normal(rng, (3,)), normal(rng, (3,))
    t = np.linspace(0.1, 0.5, 5)
    want = sint.odeint(lambda y, t, a, b: host(dynamics(y, t, a, b)), host(y0), host(t),
                       args=(host(a), host(b)))
    got = odeint(dynamics, y0, t, (a, b))
    assert onp.array_equal(host(got), want)


def test_adjoint_gradients_match_finite_differences():
    rng = onp.random.default_rng(1)
    y0, a, b = normal(rng, (3,)), normal(rng, (3,)), normal(rng, (3,))
    t = np.linspace(0.1, 0.2, 4)
    order = 2 if thorough() else 1
    check_grads(lambda y0: odeint(dynamics, y0, t, (a, b)), y0, order=order, rtol=1e-5)
    check_grads(lambda t: odeint(dynamics, y0, t, (a, b)), t, order=order, rtol=1e-5)
    check_grads(lambda a, b: odeint(dynamics, y0, t, (a, b)), a, b, order=order, rtol=1e-5)


def test_tfirst_and_a_scalar_parameter():
    def decay(t, y, k):
        return -k * y
    t = np.linspace(0.0, 1.0, 3)
    y = odeint(decay, np.array([2.0]), t, (0.7,), tfirst=True)
    assert onp.allclose(host(y)[:, 0], 2.0 * onp.exp(-0.7 * host(t)), rtol=1e-6)
    # d y(1) / dk = -t y(t) at t = 1
    gk = grad(lambda k: odeint(decay, np.array([2.0]), t, (k,), tfirst=True)[-1, 0])(0.7)
    assert gk == pytest.approx(-2.0 * onp.exp(-0.7), rel=1e-6)


def test_traced_closure_is_refused():
    t = np.linspace(0.0, 1.0, 3)
    with pytest.raises(TypeError, match="traced"):
        grad(lambda k: np.sum(odeint(lambda y, s: -k * y, np.ones(1), t)))(0.5)
