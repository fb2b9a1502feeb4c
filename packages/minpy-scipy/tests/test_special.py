"""minpy.scipy.special: SciPy's values, and every rule against finite differences to
second order (complex where SciPy's function takes complex input)."""

from __future__ import annotations

import numpy as onp
import pytest
import scipy.special as ss

import minpy.numpy as np
from conftest import host, normal, thorough, uniform
from minpy.autograd import grad
from minpy.autograd.testing import check_complex_grads, check_grads
from minpy.core import Array
from minpy.scipy import special

# name -> (function of the differentiated arguments, argument makers (rng -> value))
U = uniform
CASES = {
    "gamma": (special.gamma, [lambda r: U(r, 0.3, 3.0)]),
    "gammaln": (special.gammaln, [lambda r: U(r, 0.3, 5.0)]),
    "loggamma": (special.loggamma, [lambda r: U(r, 0.3, 5.0)]),
    "digamma": (special.digamma, [lambda r: U(r, 0.3, 3.0)]),
    "psi": (special.psi, [lambda r: U(r, 0.3, 3.0)]),
    "polygamma": (lambda x: special.polygamma(1, x), [lambda r: U(r, 0.5, 3.0)]),
    "rgamma": (special.rgamma, [lambda r: U(r, 0.3, 3.0)]),
    "gammasgn": (special.gammasgn, [lambda r: U(r, 0.3, 3.0)]),
    "multigammaln": (lambda a: special.multigammaln(a, 3), [lambda r: U(r, 4.0, 5.0, (2, 3))]),
    "gammainc": (lambda x: special.gammainc(1.7, x), [lambda r: U(r, 0.3, 4.0)]),
    "gammaincc": (lambda x: special.gammaincc(1.7, x), [lambda r: U(r, 0.3, 4.0)]),
    "gammaincinv": (lambda y: special.gammaincinv(1.7, y), [lambda r: U(r, 0.1, 0.9)]),
    "gammainccinv": (lambda y: special.gammainccinv(1.7, y), [lambda r: U(r, 0.1, 0.9)]),
    "poch": (special.poch, [lambda r: U(r, 0.5, 3.0), lambda r: U(r, 0.5, 2.0)]),
    "beta": (special.beta, [lambda r: U(r, 1.1, 3.0), lambda r: U(r, 1.1, 3.0)]),
    "betaln": (special.betaln, [lambda r: U(r, 1.1, 3.0), lambda r: U(r, 1.1, 3.0)]),
    "betainc": (lambda x: special.betainc(1.5, 2.5, x), [lambda r: U(r, 0.1, 0.9)]),
    "betaincinv": (lambda y: special.betaincinv(1.5, 2.5, y), [lambda r: U(r, 0.1, 0.9)]),
    "binom": (special.binom, [lambda r: U(r, 4.0, 6.0), lambda r: U(r, 1.0, 3.0)]),
    "erf": (special.erf, [lambda r: U(r, -2.0, 2.0)]),
    "erfc": (special.erfc, [lambda r: U(r, -2.0, 2.0)]),
    "erfinv": (special.erfinv, [lambda r: U(r, -0.9, 0.9)]),
    "erfcinv": (special.erfcinv, [lambda r: U(r, 0.1, 1.9)]),
    "erfcx": (special.erfcx, [lambda r: U(r, -1.0, 3.0)]),
    "erfi": (special.erfi, [lambda r: U(r, -1.5, 1.5)]),
    "dawsn": (special.dawsn, [lambda r: U(r, -2.0, 2.0)]),
    "ndtr": (special.ndtr, [lambda r: U(r, -3.0, 3.0)]),
    "log_ndtr": (special.log_ndtr, [lambda r: U(r, -8.0, 3.0)]),
    "ndtri": (special.ndtri, [lambda r: U(r, 0.05, 0.95)]),
    "stdtr": (lambda t: special.stdtr(3.5, t), [lambda r: U(r, -3.0, 3.0)]),
    "expit": (special.expit, [lambda r: U(r, -4.0, 4.0)]),
    "logit": (special.logit, [lambda r: U(r, 0.1, 0.9)]),
    "log_expit": (special.log_expit, [lambda r: U(r, -4.0, 4.0)]),
    "j0": (special.j0, [lambda r: U(r, 0.2, 10.0)]),
    "j1": (special.j1, [lambda r: U(r, 0.2, 10.0)]),
    "jn": (lambda x: special.jn(2, x), [lambda r: U(r, 0.2, 10.0)]),
    "jv": (lambda x: special.jv(1.5, x), [lambda r: U(r, 0.2, 10.0)]),
    "y0": (special.y0, [lambda r: U(r, 0.2, 10.0)]),
    "y1": (special.y1, [lambda r: U(r, 0.2, 10.0)]),
    "yn": (lambda x: special.yn(2, x), [lambda r: U(r, 0.5, 10.0)]),
    "yv": (lambda x: special.yv(1.5, x), [lambda r: U(r, 0.5, 10.0)]),
    "i0": (special.i0, [lambda r: U(r, 0.2, 5.0)]),
    "i1": (special.i1, [lambda r: U(r, 0.2, 5.0)]),
    "i0e": (special.i0e, [lambda r: U(r, -5.0, 5.0)]),
    "i1e": (special.i1e, [lambda r: U(r, -5.0, 5.0)]),
    "iv": (lambda x: special.iv(1.3, x), [lambda r: U(r, 0.2, 5.0)]),
    "ive": (lambda x: special.ive(1.3, x), [lambda r: U(r, 0.2, 5.0)]),
    "k0": (special.k0, [lambda r: U(r, 0.3, 5.0)]),
    "k1": (special.k1, [lambda r: U(r, 0.3, 5.0)]),
    "k0e": (special.k0e, [lambda r: U(r, 0.3, 5.0)]),
    "k1e": (special.k1e, [lambda r: U(r, 0.3, 5.0)]),
    "kv": (lambda x: special.kv(1.3, x), [lambda r: U(r, 0.3, 5.0)]),
    "kve": (lambda x: special.kve(1.3, x), [lambda r: U(r, 0.3, 5.0)]),
    "exp1": (special.exp1, [lambda r: U(r, 0.2, 3.0)]),
    "expi": (special.expi, [lambda r: U(r, 0.2, 3.0)]),
    "expn": (lambda x: special.expn(2, x), [lambda r: U(r, 0.2, 3.0)]),
    "zeta": (lambda q: special.zeta(2.5, q), [lambda r: U(r, 0.5, 3.0)]),
    "xlogy": (special.xlogy, [lambda r: U(r, -1.0, 1.0), lambda r: U(r, 0.5, 2.0)]),
    "xlog1py": (special.xlog1py, [lambda r: U(r, -1.0, 1.0), lambda r: U(r, -0.5, 2.0)]),
    "entr": (special.entr, [lambda r: U(r, 0.1, 2.0)]),
    "rel_entr": (special.rel_entr, [lambda r: U(r, 0.1, 2.0), lambda r: U(r, 0.1, 2.0)]),
    "kl_div": (special.kl_div, [lambda r: U(r, 0.1, 2.0), lambda r: U(r, 0.1, 2.0)]),
    "boxcox": (special.boxcox, [lambda r: U(r, 0.5, 2.0), lambda r: U(r, -1.0, 1.0)]),
    "boxcox1p": (special.boxcox1p, [lambda r: U(r, -0.5, 2.0), lambda r: U(r, -1.0, 1.0)]),
    "logsumexp": (lambda a: special.logsumexp(a, axis=1), [lambda r: normal(r, (3, 4))]),
    "logsumexp_b": (lambda a, b: special.logsumexp(a, axis=0, b=b, keepdims=True),
                    [lambda r: normal(r, (3, 4)), lambda r: U(r, 0.5, 2.0, (3, 1))]),
    "softmax": (lambda x: special.softmax(x, axis=-1), [lambda r: normal(r, (2, 3))]),
    "log_softmax": (lambda x: special.log_softmax(x, axis=0), [lambda r: normal(r, (2, 3))]),
}


def _args(makers, seed):
    rng = onp.random.default_rng(seed)
    return [m(rng) for m in makers]


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_matches_finite_differences(name, seed):
    fun, makers = CASES[name]
    check_grads(fun, *_args(makers, seed), order=2)


def test_every_differentiable_function_is_checked():
    """Every function of the module with a rule is in CASES (or checked below)."""
    from minpy.autograd.tracer import VJPS
    names = {n for n in special.__all__
             if VJPS.get(getattr(special, n).primitive_name)}
    others = {"wofz"}  # complex-only: checked by test_complex_rules
    assert names - others <= {k.split("_b")[0] for k in CASES}, \
        sorted(names - others - set(CASES))


# Functions SciPy evaluates for complex input (holomorphic there): checked in HIPS
# Autograd's convention (the cotangent of a holomorphic f is g * f'(z)). The gamma
# family to first order only: its second derivative needs polygamma(1, z), which SciPy
# evaluates for real z only (and digamma's first derivative is that).
COMPLEX = {
    "erf": special.erf, "erfc": special.erfc, "erfcx": special.erfcx,
    "erfi": special.erfi, "dawsn": special.dawsn, "wofz": special.wofz,
    "exp1": special.exp1, "expi": special.expi,
    "ndtr": special.ndtr, "log_ndtr": special.log_ndtr,
    "jv": lambda z: special.jv(1.5, z), "iv": lambda z: special.iv(1.5, z),
    "kv": lambda z: special.kv(1.5, z),
}


COMPLEX_FIRST_ORDER = {"gamma": special.gamma, "loggamma": special.loggamma,
                       "rgamma": special.rgamma}


@pytest.mark.parametrize("name", sorted(COMPLEX) + sorted(COMPLEX_FIRST_ORDER))
def test_complex_rules(name, seed):
    rng = onp.random.default_rng(seed)
    z = np.array(rng.uniform(0.5, 2.0, 3) + 1j * rng.uniform(-0.5, 0.5, 3))
    fun = COMPLEX.get(name) or COMPLEX_FIRST_ORDER[name]
    check_complex_grads(fun, z, order=2 if name in COMPLEX else 1)


def test_values_and_types_are_scipys():
    x = np.array([0.5, 1.5, 2.5])
    for name in ("gammaln", "erf", "expit", "i0e", "digamma"):
        res = getattr(special, name)(x)
        assert isinstance(res, Array) and res.dtype == onp.float64
        assert onp.array_equal(host(res), getattr(ss, name)(host(x)))
    f32 = special.gammaln(np.array([0.5, 1.5], dtype=np.float32))
    assert f32.dtype == onp.float32
    assert float(special.logsumexp(x)) == ss.logsumexp(host(x))
    assert special.gammaln(2.5) == pytest.approx(ss.gammaln(2.5))


@pytest.mark.parametrize("fun, arg", [
    (lambda v: special.iv(v, 2.0), 1.5),          # the order of a Bessel function
    (lambda a: special.gammainc(a, 2.0), 1.5),    # the shape of the incomplete gamma
    (lambda n: special.polygamma(n, 2.0), 1.0),
])
def test_no_rule_means_not_implemented(fun, arg):
    with pytest.raises(NotImplementedError, match="scipy.special"):
        grad(fun)(arg)


def test_logsumexp_gradient_is_softmax():
    x = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 4.0]])
    g = grad(lambda x: np.sum(special.logsumexp(x, axis=1)))(x)
    assert onp.allclose(host(g), ss.softmax(host(x), axis=1))
    with pytest.raises(NotImplementedError, match="return_sign"):
        grad(lambda x: special.logsumexp(x, return_sign=True)[0])(x)


def test_logsumexp_traced_weights_by_keyword():
    a, b = np.array([0.1, 0.2, 0.3]), np.array([1.0, 2.0, 0.5])
    gb = grad(lambda b: special.logsumexp(a, b=b), 0)(b)
    w = onp.exp(host(a)) / onp.sum(host(b) * onp.exp(host(a)))
    assert onp.allclose(host(gb), w)


@pytest.mark.skipif(not thorough(), reason="thorough profile only: broadcasting shapes")
def test_broadcasting_rules():
    rng = onp.random.default_rng(7)
    for fun in (special.beta, special.xlogy, special.kl_div, special.poch):
        check_grads(fun, uniform(rng, 1.1, 2.0, (3, 1)), uniform(rng, 1.1, 2.0, (1, 4)))
