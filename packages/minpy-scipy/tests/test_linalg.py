"""minpy.scipy.linalg: SciPy's values; every rule against finite differences to second
order."""

from __future__ import annotations

import numpy as onp
import pytest
import scipy.linalg as sla

import minpy.numpy as np
from conftest import host, normal
from minpy.autograd import grad
from minpy.autograd.testing import check_grads
from minpy.scipy import linalg


def _tri(rng, n=4, lower=True):
    m = rng.standard_normal((n, n)) + 3 * onp.eye(n)
    return np.array(onp.tril(m) if lower else onp.triu(m))


@pytest.mark.parametrize("trans", [0, 1, 2, "T"])
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("b_shape", [(4,), (4, 2)])
def test_solve_triangular(trans, lower, b_shape, seed):
    rng = onp.random.default_rng(seed)
    a, b = _tri(rng, lower=lower), normal(rng, b_shape)
    want = sla.solve_triangular(host(a), host(b), trans=trans, lower=lower)
    assert onp.allclose(host(linalg.solve_triangular(a, b, trans, lower)), want)
    check_grads(lambda a, b: linalg.solve_triangular(a, b, trans, lower), a, b, order=2)


def test_solve_triangular_reads_one_triangle():
    rng = onp.random.default_rng(1)
    a = np.array(rng.standard_normal((3, 3)) + 3 * onp.eye(3))
    b = normal(rng, (3,))
    g = grad(lambda a: np.sum(linalg.solve_triangular(a, b, lower=True)))(a)
    assert onp.all(onp.triu(host(g), 1) == 0)
    g = grad(lambda a: np.sum(linalg.solve_triangular(a, b, lower=True,
                                                      unit_diagonal=True)))(a)
    assert onp.all(onp.diag(host(g)) == 0)


def test_sylvester_sqrtm_expm(seed):
    rng = onp.random.default_rng(seed)
    a, b, q = normal(rng, (3, 3)), normal(rng, (3, 3)), normal(rng, (3, 3))
    assert onp.allclose(host(linalg.solve_sylvester(a, b, q)),
                        sla.solve_sylvester(host(a), host(b), host(q)))
    check_grads(linalg.solve_sylvester, a, b, q, order=2)
    m = rng.standard_normal((3, 3))
    spd = np.array(m @ m.T + 3 * onp.eye(3))
    assert onp.allclose(host(linalg.sqrtm(spd)), sla.sqrtm(host(spd)))
    check_grads(lambda x: linalg.sqrtm(0.5 * (x + x.T)), spd, order=2)
    # a general (not symmetric) matrix, eigenvalues in the right half-plane: a rule
    # that drops a transpose is exact on symmetric ones only
    general = np.array(m + 4 * onp.eye(3))
    assert onp.allclose(host(linalg.sqrtm(general)), sla.sqrtm(host(general)))
    check_grads(linalg.sqrtm, general, order=1)
    assert onp.allclose(host(linalg.expm(a)), sla.expm(host(a)))
    check_grads(linalg.expm, 0.5 * a, order=2)


def test_solve_banded(seed):
    rng = onp.random.default_rng(seed)
    ab = np.array(rng.standard_normal((3, 5)) + onp.array([[0], [4], [0]]))
    b = normal(rng, (5,))
    assert onp.allclose(host(linalg.solve_banded((1, 1), ab, b)),
                        sla.solve_banded((1, 1), host(ab), host(b)))
    check_grads(lambda ab, b: linalg.solve_banded((1, 1), ab, b), ab, b, order=2)


@pytest.mark.parametrize("lower", [True, False])
def test_cholesky_family(lower, seed):
    rng = onp.random.default_rng(seed)
    m = rng.standard_normal((4, 4))
    spd = np.array(m @ m.T + 4 * onp.eye(4))
    b = normal(rng, (4, 2))
    assert onp.allclose(host(linalg.cholesky(spd, lower=lower)),
                        sla.cholesky(host(spd), lower=lower))
    check_grads(lambda a: linalg.cholesky(0.5 * (a + a.T), lower=lower), spd, order=2)
    c, low = linalg.cho_factor(spd, lower=lower)
    want_c, _ = sla.cho_factor(host(spd), lower=lower)
    assert low == lower and onp.allclose(host(c), want_c)
    x = linalg.cho_solve((c, low), b)
    assert onp.allclose(host(x), sla.cho_solve((want_c, lower), host(b)))
    check_grads(lambda a, b: linalg.cho_solve(linalg.cho_factor(0.5 * (a + a.T), lower), b),
                spd, b, order=2)


def test_other_names_resolve_without_rules():
    lu = linalg.lu_factor(np.array([[4.0, 1.0], [1.0, 3.0]]))
    assert onp.allclose(host(lu[0]), sla.lu_factor(onp.array([[4.0, 1.0], [1.0, 3.0]]))[0])
    with pytest.raises(AttributeError):
        linalg.no_such_function
