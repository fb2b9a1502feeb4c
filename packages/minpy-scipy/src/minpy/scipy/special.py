"""``scipy.special``'s differentiable functions, on MinPy Arrays, with gradients.

Every function here runs SciPy's own on the host, and the device backend's where it
has the function (see :mod:`minpy.scipy._backends`); its gradient rules are written
with ``minpy.numpy`` and these functions, so they differentiate again, to any order.
Gradients follow HIPS Autograd's convention for complex arguments (``g * f'(z)`` for a
holomorphic ``f``).

Arguments without a rule are an order or a parameter whose derivative has no closed
form here (the order ``v`` of ``iv``, ``a`` of ``gammainc``, ``a, b`` of
``betainc``...): differentiating with respect to one raises NotImplementedError naming
the function, never a silent zero.
"""

from __future__ import annotations

import math

import minpy.numpy as np
from minpy.autograd.rules._util import expand_reduced, unbroadcast
from minpy.autograd.tracer import NUMPY_RULES, defvjp

from ._backends import scipy_function

_AXIS_KW = ("axis", "keepdims")


def _fn(name, **options):
    return scipy_function("special." + name, **options)


# -- the functions --------------------------------------------------------------------
# Gamma family
gamma = _fn("gamma")
gammaln = _fn("gammaln")
loggamma = _fn("loggamma")
digamma = _fn("digamma")
psi = _fn("psi")
polygamma = _fn("polygamma")
rgamma = _fn("rgamma")
gammasgn = _fn("gammasgn")
multigammaln = _fn("multigammaln", arrays=(0,))
gammainc = _fn("gammainc")
gammaincc = _fn("gammaincc")
gammaincinv = _fn("gammaincinv")
gammainccinv = _fn("gammainccinv")
poch = _fn("poch")
# Beta family
beta = _fn("beta")
betaln = _fn("betaln")
betainc = _fn("betainc")
betaincinv = _fn("betaincinv")
binom = _fn("binom")
# Error functions and the normal distribution
erf = _fn("erf")
erfc = _fn("erfc")
erfinv = _fn("erfinv")
erfcinv = _fn("erfcinv")
erfcx = _fn("erfcx")
erfi = _fn("erfi")
dawsn = _fn("dawsn")
wofz = _fn("wofz")
ndtr = _fn("ndtr")
log_ndtr = _fn("log_ndtr")
ndtri = _fn("ndtri")
stdtr = _fn("stdtr")
# Logistic
expit = _fn("expit")
logit = _fn("logit")
log_expit = _fn("log_expit")
# Bessel functions
j0 = _fn("j0")
j1 = _fn("j1")
jn = _fn("jn")
jv = _fn("jv")
y0 = _fn("y0")
y1 = _fn("y1")
yn = _fn("yn")
yv = _fn("yv")
i0 = _fn("i0")
i1 = _fn("i1")
i0e = _fn("i0e")
i1e = _fn("i1e")
iv = _fn("iv")
ive = _fn("ive")
k0 = _fn("k0")
k1 = _fn("k1")
k0e = _fn("k0e")
k1e = _fn("k1e")
kv = _fn("kv")
kve = _fn("kve")
# Exponential integrals, zeta
exp1 = _fn("exp1")
expi = _fn("expi")
expn = _fn("expn")
zeta = _fn("zeta")
# Information theory
xlogy = _fn("xlogy")
xlog1py = _fn("xlog1py")
entr = _fn("entr")
rel_entr = _fn("rel_entr")
kl_div = _fn("kl_div")
# Box-Cox
boxcox = _fn("boxcox")
boxcox1p = _fn("boxcox1p")
# Reductions over axes
logsumexp = _fn("logsumexp", arrays=(0,), kwargs=("axis", "b", "keepdims"), kind="reduction")
softmax = _fn("softmax", arrays=(0,), kwargs=("axis",), kind="reduction")
log_softmax = _fn("log_softmax", arrays=(0,), kwargs=("axis",), kind="reduction")

__all__ = [name for name, obj in list(globals().items())
           if getattr(obj, "primitive_name", "").startswith("scipy.special.")]

# -- the rules ----------------------------------------------------------------------------
_RULES = []
_SQRT_PI = math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2 * math.pi)


def _rule(fn, *makers):
    """Register ``makers`` (``None``: no rule for that argument) for ``fn``."""
    defvjp(fn, *makers)
    _RULES.extend(m for m in makers if m is not None)


def _unary(fn, deriv):
    """``fn(x)`` with ``fn'(x) = deriv(ans, x)``."""
    _rule(fn, lambda ans, x: lambda g: g * deriv(ans, x))


def _of_x(fn, deriv, nargs=2):
    """``fn(p, x)`` (or ``fn(p, q, x)``): the derivative along the last argument only,
    ``deriv(ans, *args)``; the others have no rule."""
    def maker(ans, *args):
        return lambda g: unbroadcast(g * deriv(ans, *args), args[-1])
    _rule(fn, *([None] * (nargs - 1)), maker)


def _binary(fn, d0, d1):
    """``fn(a, b)`` with partial derivatives ``d0(ans, a, b)`` and ``d1(ans, a, b)``."""
    _rule(fn, lambda ans, a, b: lambda g: unbroadcast(g * d0(ans, a, b), a),
          lambda ans, a, b: lambda g: unbroadcast(g * d1(ans, a, b), b))


# gamma family
_unary(gamma, lambda ans, x: ans * psi(x))
_unary(gammaln, lambda ans, x: psi(x))
_unary(loggamma, lambda ans, x: psi(x))
_unary(digamma, lambda ans, x: polygamma(1, x))
_unary(psi, lambda ans, x: polygamma(1, x))
_of_x(polygamma, lambda ans, n, x: polygamma(n + 1, x))
_unary(rgamma, lambda ans, x: -ans * psi(x))
_unary(gammasgn, lambda ans, x: np.zeros_like(ans))
_rule(multigammaln, lambda ans, a, d: lambda g: g * np.sum(
    digamma(np.expand_dims(a, -1) - np.arange(d) / 2.0), axis=-1))


def _gammainc_density(a, x):
    # x^(a-1) e^-x / Gamma(a), in logs (no overflow for large a or x)
    return np.exp((a - 1) * np.log(x) - x - gammaln(a))


_of_x(gammainc, lambda ans, a, x: _gammainc_density(a, x))
_of_x(gammaincc, lambda ans, a, x: -_gammainc_density(a, x))
_of_x(gammaincinv, lambda ans, a, y: 1 / _gammainc_density(a, ans))
_of_x(gammainccinv, lambda ans, a, y: -1 / _gammainc_density(a, ans))
_binary(poch, lambda ans, z, m: ans * (psi(z + m) - psi(z)),
        lambda ans, z, m: ans * psi(z + m))

# beta family
_binary(beta, lambda ans, a, b: ans * (psi(a) - psi(a + b)),
        lambda ans, a, b: ans * (psi(b) - psi(a + b)))
_binary(betaln, lambda ans, a, b: psi(a) - psi(a + b),
        lambda ans, a, b: psi(b) - psi(a + b))


def _beta_density(a, b, x):
    return np.exp((a - 1) * np.log(x) + (b - 1) * np.log1p(-x) - betaln(a, b))


_of_x(betainc, lambda ans, a, b, x: _beta_density(a, b, x), nargs=3)
_of_x(betaincinv, lambda ans, a, b, y: 1 / _beta_density(a, b, ans), nargs=3)
_binary(binom, lambda ans, n, k: ans * (psi(n + 1) - psi(n - k + 1)),
        lambda ans, n, k: ans * (psi(n - k + 1) - psi(k + 1)))

# error functions
_unary(erf, lambda ans, x: (2 / _SQRT_PI) * np.exp(-x * x))
_unary(erfc, lambda ans, x: (-2 / _SQRT_PI) * np.exp(-x * x))
_unary(erfinv, lambda ans, x: (_SQRT_PI / 2) * np.exp(ans * ans))
_unary(erfcinv, lambda ans, x: (-_SQRT_PI / 2) * np.exp(ans * ans))
_unary(erfcx, lambda ans, x: 2 * x * ans - 2 / _SQRT_PI)
_unary(erfi, lambda ans, x: (2 / _SQRT_PI) * np.exp(x * x))
_unary(dawsn, lambda ans, x: 1 - 2 * x * ans)
_unary(wofz, lambda ans, z: 2j / _SQRT_PI - 2 * z * ans)
_unary(ndtr, lambda ans, x: np.exp(-0.5 * x * x) / _SQRT_2PI)
# pdf / cdf, formed in logs: exact far in the lower tail where both underflow
_unary(log_ndtr, lambda ans, x: np.exp(-0.5 * x * x - ans) / _SQRT_2PI)
_unary(ndtri, lambda ans, x: _SQRT_2PI * np.exp(0.5 * ans * ans))


def t_logpdf_standard(t, df):
    """log of Student's t density with ``df`` degrees of freedom at ``t``."""
    return (gammaln((df + 1) / 2) - gammaln(df / 2) - 0.5 * np.log(df * math.pi)
            - (df + 1) / 2 * np.log1p(t * t / df))


_of_x(stdtr, lambda ans, df, t: np.exp(t_logpdf_standard(t, df)))

# logistic
_unary(expit, lambda ans, x: ans * (1 - ans))
_unary(logit, lambda ans, x: 1 / (x * (1 - x)))
_unary(log_expit, lambda ans, x: expit(-x))

# Bessel functions
_unary(j0, lambda ans, x: -j1(x))
_unary(j1, lambda ans, x: (j0(x) - jn(2, x)) / 2)
_of_x(jn, lambda ans, n, x: (jn(n - 1, x) - jn(n + 1, x)) / 2)
_of_x(jv, lambda ans, v, x: (jv(v - 1, x) - jv(v + 1, x)) / 2)
_unary(y0, lambda ans, x: -y1(x))
_unary(y1, lambda ans, x: (y0(x) - yn(2, x)) / 2)
_of_x(yn, lambda ans, n, x: (yn(n - 1, x) - yn(n + 1, x)) / 2)
_of_x(yv, lambda ans, v, x: (yv(v - 1, x) - yv(v + 1, x)) / 2)
_unary(i0, lambda ans, x: i1(x))
_unary(i1, lambda ans, x: (i0(x) + iv(2, x)) / 2)
_of_x(iv, lambda ans, v, x: (iv(v - 1, x) + iv(v + 1, x)) / 2)
# the exponentially scaled ones: e^-|x| I(x), e^x K(x)
_unary(i0e, lambda ans, x: i1e(x) - np.sign(x) * ans)
_unary(i1e, lambda ans, x: (i0e(x) + ive(2, x)) / 2 - np.sign(x) * ans)
_of_x(ive, lambda ans, v, x: (ive(v - 1, x) + ive(v + 1, x)) / 2 - np.sign(x) * ans)
_unary(k0, lambda ans, x: -k1(x))
_unary(k1, lambda ans, x: -(k0(x) + kv(2, x)) / 2)
_of_x(kv, lambda ans, v, x: -(kv(v - 1, x) + kv(v + 1, x)) / 2)
_unary(k0e, lambda ans, x: ans - k1e(x))
_unary(k1e, lambda ans, x: ans - (k0e(x) + kve(2, x)) / 2)
_of_x(kve, lambda ans, v, x: ans - (kve(v - 1, x) + kve(v + 1, x)) / 2)

# exponential integrals, zeta
_unary(exp1, lambda ans, x: -np.exp(-x) / x)
_unary(expi, lambda ans, x: np.exp(x) / x)
_of_x(expn, lambda ans, n, x: -expn(n - 1, x))
_of_x(zeta, lambda ans, s, q: -s * zeta(s + 1, q))

# information theory
_binary(xlogy, lambda ans, x, y: np.log(y), lambda ans, x, y: x / y)
_binary(xlog1py, lambda ans, x, y: np.log1p(y), lambda ans, x, y: x / (1 + y))
_unary(entr, lambda ans, x: -np.log(x) - 1)
_binary(rel_entr, lambda ans, x, y: np.log(x / y) + 1, lambda ans, x, y: -x / y)
_binary(kl_div, lambda ans, x, y: np.log(x / y), lambda ans, x, y: 1 - x / y)


# Box-Cox: (x^l - 1) / l, log(x) at l = 0
def _boxcox_dlambda(ans, x, lmbda, log_x):
    safe = np.where(lmbda == 0, 1.0, lmbda)
    general = (ans * lmbda + 1) * log_x / safe - ans / safe
    return np.where(lmbda == 0, 0.5 * log_x * log_x, general)


_binary(boxcox, lambda ans, x, l: np.power(x, l - 1),
        lambda ans, x, l: _boxcox_dlambda(ans, x, l, np.log(x)))
_binary(boxcox1p, lambda ans, x, l: np.power(1 + x, l - 1),
        lambda ans, x, l: _boxcox_dlambda(ans, x, l, np.log1p(x)))


# reductions over axes
def _logsumexp_weights(ans, a, axis, b, keepdims):
    """exp(a - logsumexp), broadcast back to ``a``'s shape."""
    return np.exp(a - expand_reduced(ans, np.shape(a), axis, keepdims))


def _logsumexp_a(ans, a, axis=None, b=None, keepdims=False, return_sign=False):
    if return_sign:
        raise NotImplementedError("minpy.scipy.special.logsumexp: no gradient rule with "
                                  "return_sign=True")

    def vjp(g):
        w = _logsumexp_weights(ans, a, axis, b, keepdims)
        if b is not None:
            w = w * b
        return unbroadcast(expand_reduced(g, np.shape(a), axis, keepdims) * w, a)
    return vjp


def _logsumexp_b(ans, a, axis=None, b=None, keepdims=False, return_sign=False):
    if return_sign:
        raise NotImplementedError("minpy.scipy.special.logsumexp: no gradient rule with "
                                  "return_sign=True")

    def vjp(g):
        shape = np.broadcast_shapes(np.shape(a), np.shape(b))
        full = np.broadcast_to(a, shape)
        w = _logsumexp_weights(ans, full, axis, None, keepdims)
        return unbroadcast(expand_reduced(g, shape, axis, keepdims) * w, b)
    return vjp


defvjp(logsumexp, _logsumexp_a, None, _logsumexp_b)
_RULES.extend((_logsumexp_a, _logsumexp_b))


def _softmax(ans, x, axis=None):
    return lambda g: ans * (g - np.sum(g * ans, axis=axis, keepdims=True))


def _log_softmax(ans, x, axis=None):
    return lambda g: g - np.exp(ans) * np.sum(g, axis=axis, keepdims=True)


_rule(softmax, _softmax)
_rule(log_softmax, _log_softmax)

# Written with minpy.numpy and these functions only: a first-order backward pass may run
# them on NumPy arrays (minpy.autograd.tracer.NUMPY_RULES).
NUMPY_RULES.update(_RULES)
