"""minpy.scipy.stats: each method is SciPy's on the host; its gradient differentiates a
formula, so the formula must give SciPy's values (checked here) and the gradient must
match finite differences of SciPy's function (to second order)."""

from __future__ import annotations

import importlib

import numpy as onp
import pytest
import scipy.stats as sst

import minpy.numpy as np
from conftest import host, normal, thorough, uniform
from minpy.autograd import grad
from minpy.autograd.testing import check_grads
from minpy.core import Array
from minpy.scipy import stats

U = uniform
POS = lambda r: U(r, 0.5, 2.0)  # noqa: E731
# dist -> (argument makers, {method: differentiable argnums})
LOCSCALE = {"pdf": (0, 1, 2), "logpdf": (0, 1, 2), "cdf": (0, 1, 2), "logcdf": (0, 1, 2),
            "sf": (0, 1, 2), "logsf": (0, 1, 2)}
DISTS = {
    "norm": ([normal, normal, POS], dict(LOCSCALE, ppf=(1, 2), isf=(1, 2))),
    "t": ([normal, lambda r: U(r, 2.1, 5.0), normal, POS],
          {"pdf": (0, 1, 2, 3), "logpdf": (0, 1, 2, 3), "cdf": (0, 2, 3),
           "logcdf": (0, 2, 3), "sf": (0, 2, 3), "logsf": (0, 2, 3)}),
    "beta": ([lambda r: U(r, 0.1, 0.9), lambda r: U(r, 1.1, 3.0), lambda r: U(r, 1.1, 3.0)],
             {"pdf": (0, 1, 2), "logpdf": (0, 1, 2), "cdf": (0,), "logcdf": (0,),
              "sf": (0,), "logsf": (0,)}),
    "gamma": ([lambda r: U(r, 0.5, 3.0), lambda r: U(r, 1.1, 3.0)],
              {"pdf": (0, 1), "logpdf": (0, 1), "cdf": (0,), "logcdf": (0,), "sf": (0,),
               "logsf": (0,)}),
    "chi2": ([lambda r: U(r, 0.5, 3.0), lambda r: U(r, 1.5, 4.0)],
             {"pdf": (0, 1), "logpdf": (0, 1), "cdf": (0,), "logcdf": (0,), "sf": (0,),
              "logsf": (0,)}),
    "poisson": ([lambda r: np.array(onp.round(r.uniform(0, 6, 4))), POS],
                {m: (1,) for m in ("pmf", "logpmf", "cdf", "logcdf", "sf", "logsf")}),
    "expon": ([lambda r: U(r, 1.1, 3.0), lambda r: U(r, -1.0, 1.0), POS], LOCSCALE),
    "laplace": ([normal, lambda r: U(r, -0.1, 0.1) + 3.0, POS], LOCSCALE),
    "logistic": ([normal, normal, POS], LOCSCALE),
    "cauchy": ([normal, normal, POS], LOCSCALE),
}
CASES = [(d, m) for d, (_, methods) in sorted(DISTS.items()) for m in sorted(methods)]


def _args(dist, method, seed):
    rng = onp.random.default_rng(seed)
    makers, _ = DISTS[dist]
    args = [m(rng) for m in makers]
    if method in ("ppf", "isf"):
        args[0] = uniform(rng, 0.05, 0.95)
    return args


def _module(dist):
    return importlib.import_module(f"minpy.scipy.stats.{dist}")


@pytest.mark.parametrize("dist, method", CASES)
def test_formula_gives_scipys_values(dist, method):
    """The formula the rule differentiates equals SciPy's function."""
    mod = _module(dist)
    formula = getattr(mod, "_" + method, None)
    if formula is None:  # the location-scale families share their module's formulas
        formula = getattr(getattr(mod, method), "op").signature
    args = _args(dist, method, 11)
    want = getattr(getattr(sst, dist), method)(*[host(a) for a in args])
    got = getattr(mod, method)(*args)
    assert isinstance(got, Array)
    assert onp.allclose(host(got), want, rtol=1e-12, atol=0)
    assert onp.allclose(host(formula(*args)), want, rtol=1e-9, atol=1e-300)


@pytest.mark.parametrize("dist, method", CASES)
def test_gradient_matches_finite_differences(dist, method, seed):
    args = _args(dist, method, seed)
    fn = getattr(_module(dist), method)
    for i in DISTS[dist][1][method]:
        def along(x, i=i):
            a = list(args)
            a[i] = x
            return fn(*a)
        check_grads(along, args[i], order=2)


def test_keyword_loc_and_scale_are_traced():
    x = np.array([0.3, -1.2])
    g_loc, g_scale = grad(lambda m, s: np.sum(stats.norm.logpdf(x, loc=m, scale=s)),
                          (0, 1))(0.5, 2.0)
    z = (host(x) - 0.5) / 2.0
    assert g_loc == pytest.approx(onp.sum(z / 2.0))
    assert g_scale == pytest.approx(onp.sum((z * z - 1) / 2.0))


def test_no_rule_for_shape_parameters_of_cdfs():
    with pytest.raises(NotImplementedError):
        grad(lambda df: stats.t.cdf(0.5, df))(3.0)
    with pytest.raises(NotImplementedError):
        grad(lambda a: stats.gamma.cdf(0.5, a))(2.0)


def _psd(rng, d=4):
    m = rng.standard_normal((d, d))
    return np.array(m @ m.T + onp.eye(d))


@pytest.mark.parametrize("method", ["pdf", "logpdf"])
def test_multivariate_normal(method, seed):
    rng = onp.random.default_rng(seed)
    x, mean, cov = normal(rng, (5, 4)), normal(rng, (4,)), _psd(rng)
    fn = getattr(stats.multivariate_normal, method)
    want = getattr(sst.multivariate_normal, method)(host(x), host(mean), host(cov))
    assert onp.allclose(host(fn(x, mean, cov)), want, rtol=1e-12)
    formula = getattr(stats.multivariate_normal, "_" + method)
    assert onp.allclose(host(formula(x, mean, cov)), want, rtol=1e-9)
    check_grads(lambda x: fn(x, mean, cov), x, order=2)
    check_grads(lambda m: fn(x[0], m, cov), mean, order=2)
    check_grads(lambda c: fn(x[:2], mean, c), cov, order=2)
    # SciPy reads the lower triangle only: no gradient above the diagonal
    g = grad(lambda c: np.sum(fn(x, mean, c)))(cov)
    assert onp.all(onp.triu(host(g), 1) == 0)


def test_multivariate_normal_singular_and_entropy():
    rng = onp.random.default_rng(3)
    cov = np.array(onp.diag([1.0, 2.0, 0.0, 0.0]))
    mean = np.array(onp.r_[rng.standard_normal(2), 0.0, 0.0])
    x = np.array(onp.r_[rng.standard_normal(2), 0.0, 0.0])
    mvn = stats.multivariate_normal
    want = sst.multivariate_normal.logpdf(host(x), host(mean), host(cov), allow_singular=True)
    assert onp.allclose(host(mvn._logpdf(x, mean, cov, True)), want)

    def f(x2):
        return mvn.logpdf(np.concatenate([x2, mean[2:]]), mean, cov, allow_singular=True)
    check_grads(f, x[:2], order=2)
    with pytest.raises(NotImplementedError, match="singular"):
        grad(lambda c: mvn.logpdf(x, mean, c, allow_singular=True))(cov)
    c = _psd(rng)
    assert float(mvn.entropy(mean, c)) == pytest.approx(sst.multivariate_normal.entropy(
        host(mean), host(c)))
    check_grads(lambda c: mvn.entropy(mean, c), c, order=2)


def test_dirichlet():
    rng = onp.random.default_rng(4)
    alpha = np.array(rng.uniform(1.2, 3.0, 4))
    x = stats.dirichlet.rvs(alpha, size=1, random_state=5)[0]
    assert isinstance(x, Array)
    for method in ("pdf", "logpdf"):
        fn = getattr(stats.dirichlet, method)
        assert float(fn(x, alpha)) == pytest.approx(
            getattr(sst.dirichlet, method)(host(x), host(alpha)))
        check_grads(lambda a: fn(x, a), alpha, order=2)
        check_grads(lambda v: fn(v / np.sum(v), alpha), x, order=2)


@pytest.mark.skipif(not thorough(), reason="thorough profile only: broadcast shapes")
def test_broadcast_shapes():
    rng = onp.random.default_rng(8)
    x, loc, scale = normal(rng, (4, 3)), normal(rng, (1, 3)), uniform(rng, 0.5, 2, (4, 1))
    for method in ("logpdf", "cdf", "logsf"):
        fn = getattr(stats.norm, method)
        check_grads(fn, x, loc, scale, order=2)
    check_grads(stats.t.logpdf, x, uniform(rng, 2.1, 4.0, (1, 3)), loc, scale, order=2)
