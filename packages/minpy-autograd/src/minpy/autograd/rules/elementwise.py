"""Rules of the elementwise (ufunc-like) operations.

Binary rules sum the cotangent back over broadcast dimensions (:func:`unbroadcast`).
``maximum``/``minimum``/``fmax``/``fmin`` split the gradient equally between the two
arguments where they are equal. ``polyval`` has rules for both the coefficients and ``x``.
"""

from __future__ import annotations

import math

import numpy as _onp

from ._util import (
    defvjp,
    defvjp_joint,
    np,
    on_host,
    rule,
    select,
    shape_of,
    unbroadcast,
    zero_rule,
)

# -- unary --------------------------------------------------------------------------
_UNARY = {
    "negative": lambda ans, x: lambda g: -g,
    "positive": lambda ans, x: lambda g: g,
    "conjugate": lambda ans, x: lambda g: np.conj(g),
    "conj": lambda ans, x: lambda g: np.conj(g),
    "real": lambda ans, x: lambda g: unbroadcast(np.real(g), x),
    "exp": lambda ans, x: lambda g: g * ans,
    "exp2": lambda ans, x: lambda g: g * ans * math.log(2.0),
    "expm1": lambda ans, x: lambda g: g * (ans + 1.0),
    "log": lambda ans, x: lambda g: g / x,
    "log2": lambda ans, x: lambda g: g / (x * math.log(2.0)),
    "log10": lambda ans, x: lambda g: g / (x * math.log(10.0)),
    "log1p": lambda ans, x: lambda g: g / (x + 1.0),
    "sqrt": lambda ans, x: lambda g: g * 0.5 / ans,
    "cbrt": lambda ans, x: lambda g: g / (3.0 * ans * ans),
    "square": lambda ans, x: lambda g: g * 2.0 * x,
    "reciprocal": lambda ans, x: lambda g: -g * ans * ans,
    "sin": lambda ans, x: lambda g: g * np.cos(x),
    "cos": lambda ans, x: lambda g: -g * np.sin(x),
    # 1 + tan^2 = 1 / cos^2: three cheap passes over the answer, no cosine
    "tan": lambda ans, x: lambda g: g * (1.0 + ans * ans),
    "arcsin": lambda ans, x: lambda g: g / np.sqrt(1.0 - x * x),
    "arccos": lambda ans, x: lambda g: -g / np.sqrt(1.0 - x * x),
    "arctan": lambda ans, x: lambda g: g / (1.0 + x * x),
    "sinh": lambda ans, x: lambda g: g * np.cosh(x),
    "cosh": lambda ans, x: lambda g: g * np.sinh(x),
    "tanh": lambda ans, x: lambda g: g * (1.0 - ans * ans),
    "arcsinh": lambda ans, x: lambda g: g / np.sqrt(x * x + 1.0),
    # sqrt(x - 1) sqrt(x + 1), not sqrt(x^2 - 1): the right branch for complex x (for
    # real x > 1 one square root of the product does, see _arccosh)
    "arctanh": lambda ans, x: lambda g: g / (1.0 - x * x),
    "fabs": lambda ans, x: lambda g: g * np.sign(x),
    "degrees": lambda ans, x: lambda g: g * (180.0 / math.pi),
    "rad2deg": lambda ans, x: lambda g: g * (180.0 / math.pi),
    "radians": lambda ans, x: lambda g: g * (math.pi / 180.0),
    "deg2rad": lambda ans, x: lambda g: g * (math.pi / 180.0),
}
for _name, _maker in _UNARY.items():
    defvjp(_name, _maker)


def _is_complex(x):
    return getattr(x, "dtype", None) is not None and x.dtype.kind == "c" or isinstance(
        x, complex)


@rule("arccosh")
def _arccosh(ans, x):
    if _is_complex(x):
        return lambda g: g / (np.sqrt(x - 1.0) * np.sqrt(x + 1.0))
    # (x - 1)(x + 1), not x^2 - 1: no cancellation near x = 1
    return lambda g: g / np.sqrt((x - 1.0) * (x + 1.0))


def _any_zero(x):
    """Whether ``x`` may hold a 0: on the host, whether it does (one compare over x);
    elsewhere True (the guarded form, branch-free: see ``on_host``)."""
    return not on_host(x) or bool((x == 0).any())


@rule("sinc")
def _sinc(ans, x):
    # d/dx sin(pi x) / (pi x) = (cos(pi x) - sinc(x)) / x, and 0 at x = 0; the guards
    # only where x has a zero
    def vjp(g):
        if not _any_zero(x):
            return g * ((np.cos(math.pi * x) - ans) / x)
        return g * np.where(x == 0, 0.0, (np.cos(math.pi * x) - ans) / np.where(x == 0, 1.0,
                                                                                 x))
    return vjp


def _safe(d):
    """``d`` with zeros replaced by ones (a divisor where the quotient is masked)."""
    return np.where(d == 0, 1.0, d)


@rule("absolute", "abs")
def _abs(ans, x):
    # |z| = sqrt(x^2 + y^2): d/dx - i d/dy = conj(z) / |z| (0 at 0, a subgradient).
    if _is_complex(x):
        return lambda g: g * np.conj(x) / _safe(ans)
    return lambda g: g * np.sign(x)


@rule("imag")
def _imag(ans, x):
    # Im z = y: d/dx - i d/dy = -i. A real x has no imaginary direction: zero.
    if _is_complex(x):
        return lambda g: -1j * np.real(g)
    return lambda g: unbroadcast(0.0 * g, x)


@rule("angle")
def _angle(ans, z, deg=False):
    # arg z = atan2(y, x): d/dx - i d/dy = -i conj(z) / |z|^2; on the real axis it is
    # piecewise constant (0 or pi).
    scale = 180.0 / math.pi if deg else 1.0
    if _is_complex(z):
        return lambda g: (-1j * scale) * np.real(g) * np.conj(z) / _safe(np.real(
            z * np.conj(z)))
    return lambda g: unbroadcast(0.0 * g, z)


@rule("real_if_close")
def _real_if_close(ans, a, tol=100):
    # The identity, or the real part when NumPy dropped a negligible imaginary part.
    if _is_complex(a) and not _is_complex(ans):
        return lambda g: np.real(g) + 0j
    return lambda g: g

#: Piecewise-constant ops: zero gradient (not an error).
ZERO_GRAD = ("sign", "floor", "ceil", "trunc", "rint", "fix", "round", "around",
             "floor_divide", "zeros_like", "ones_like", "empty_like", "full_like",
             "heaviside")
for _name in ZERO_GRAD:
    defvjp(_name, zero_rule, lambda ans, x, y, *a, **k: (lambda g: unbroadcast(0.0 * g, y)),
           argnums=(0, 1))


# -- binary ---------------------------------------------------------------------------
def _binary(name, gx, gy):
    """``gx(g, ans, x, y)`` / ``gy(...)``: the cotangents before unbroadcasting."""
    defvjp(name,
           lambda ans, x, y, *a, **k: lambda g: unbroadcast(gx(g, ans, x, y), x),
           lambda ans, x, y, *a, **k: lambda g: unbroadcast(gy(g, ans, x, y), y))


def _joint(name, fn):
    """Register ``fn(g, ans, x, y) -> (x's cotangent, y's cotangent)`` (unbroadcast) as
    the joint rule of binary op ``name``, whose per-argument rules are defined already:
    for a node that needs both, the work they share is done once."""
    def maker(argnums, ans, x, y, *a, **k):
        def vjp(g):
            both = fn(g, ans, x, y)
            return [both[i] for i in argnums]
        return vjp
    defvjp_joint(name, maker)


_binary("add", lambda g, ans, x, y: g, lambda g, ans, x, y: g)
# subtract: y's cotangent negated after unbroadcasting (a broadcast y's sum is small)
defvjp("subtract", lambda ans, x, y, *a, **k: lambda g: unbroadcast(g, x),
       lambda ans, x, y, *a, **k: lambda g: -unbroadcast(g, y))
_binary("multiply", lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x)


def _divide_both(g, ans, x, y):
    # d(x/y)/dy = -x / y^2 = -(g / y) (x / y): y's cotangent from x's and the answer,
    # negated after unbroadcasting (on the small sum when y was broadcast)
    gx = g / y
    return unbroadcast(gx, x), -unbroadcast(gx * ans, y)


for _name in ("true_divide", "divide"):
    defvjp(_name, lambda ans, x, y, *a, **k: lambda g: unbroadcast(g / y, x),
           lambda ans, x, y, *a, **k: lambda g: -unbroadcast((g / y) * ans, y))
    _joint(_name, _divide_both)


# The guards of power's rules only where x has a zero (the same values; one compare over
# x tells, once for both arguments when both are traced).
def _log_base(x, zero=None):
    # log(x) where it is defined; 0 ** y has no useful derivative in y: use log(1) = 0.
    zero = _any_zero(x) if zero is None else zero
    return np.log(np.where(x == 0, 1.0, x)) if zero else np.log(x)


def _power_exponent(x, y, zero=None):
    # y - 1, except at 0 ** 0, where 0 ** -1 = inf would make y * x ** (y - 1) = nan:
    # there 1 (the derivative is 0). Guarding on y == 0 alone would change the
    # derivative of this gradient in y (second order) at every x.
    if not (_any_zero(x) if zero is None else zero):
        return y - 1.0
    # (two wheres, not logical_and: MXNet has no logical_and, and would read x and y
    # back to the host for it)
    ym1 = y - 1.0
    return np.where(x == 0, np.where(y == 0, 1.0, ym1), ym1)


def _power_base(g, ans, x, y, zero=None):
    if isinstance(y, (int, float)):
        # A constant exponent: 0 for y == 0 (x ** 0 is 1 everywhere, 0 ** -1 is inf);
        # x itself for y == 2 (x ** 1 would be a copy of it).
        if y == 0:
            return g * 0.0
        return g * y * x if y == 2 else g * y * x ** (y - 1)
    return g * y * x ** _power_exponent(x, y, zero)


def _power_both(g, ans, x, y):
    zero = _any_zero(x)
    return (unbroadcast(_power_base(g, ans, x, y, zero), x),
            unbroadcast(g * _log_base(x, zero) * ans, y))


for _name in ("power", "float_power"):
    _binary(_name, _power_base, lambda g, ans, x, y: g * _log_base(x) * ans)
    _joint(_name, _power_both)


def _halve_ties(shares, g, tie, any_tie):
    """``shares`` with half of ``g`` where ``tie`` (HIPS's convention: ties split the
    gradient), if ``any_tie``."""
    if not any_tie:
        return shares
    half = g * 0.5
    return [np.where(tie, half, r) for r in shares]


def _ties(tie):
    """Whether to split ties: on the host, whether there are any (looked for right
    after the masks, while the arguments are in the cache, before the products read g:
    on 2e6 float32 that order costs a third less); elsewhere always (branch-free)."""
    return not on_host(tie) or bool(tie.any())


def _split_eq(wins):
    """Cotangent share of one argument of a maximum/minimum: all of ``g`` where
    ``wins(x, y, ans)`` (ties included), half of it where ``x == y``, 0 elsewhere."""
    def share(g, ans, x, y):
        mask, tie = wins(x, y, ans), x == y
        any_tie = _ties(tie)
        return _halve_ties([select(mask, g)], g, tie, any_tie)[0]
    return share


def _extremum_op(name, wins_x, wins_y):
    _binary(name, _split_eq(wins_x), _split_eq(wins_y))

    def both(g, ans, x, y):
        # each argument's mask includes the ties: on the host they are where both
        # masks hold (a NaN is in neither), found without a compare of x and y of its
        # own (MXNet has no logical_and: there x == y)
        mx, my = wins_x(x, y, ans), wins_y(x, y, ans)
        tie = np.logical_and(mx, my) if on_host(mx) else x == y
        any_tie = _ties(tie)
        gx, gy = _halve_ties([select(mx, g), select(my, g)], g, tie, any_tie)
        return unbroadcast(gx, x), unbroadcast(gy, y)
    _joint(name, both)


_extremum_op("maximum", lambda x, y, ans: x >= y, lambda x, y, ans: y >= x)
_extremum_op("minimum", lambda x, y, ans: x <= y, lambda x, y, ans: y <= x)
# fmax/fmin return the other argument where one is NaN: the gradient goes to the one
# returned (x == ans fails only for a NaN x, or where y was returned)
for _name in ("fmax", "fmin"):
    _extremum_op(_name, lambda x, y, ans: x == ans, lambda x, y, ans: y == ans)
for _name in ("mod", "remainder"):
    _binary(_name, lambda g, ans, x, y: g, lambda g, ans, x, y: -g * np.floor_divide(x, y))
_binary("fmod", lambda g, ans, x, y: g, lambda g, ans, x, y: -g * np.trunc(x / y))
_binary("hypot", lambda g, ans, x, y: g * x / ans, lambda g, ans, x, y: g * y / ans)
_joint("hypot", lambda g, ans, x, y: (lambda s: (unbroadcast(s * x, x),
                                                 unbroadcast(s * y, y)))(g / ans))
_binary("arctan2", lambda g, ans, x, y: g * y / (x * x + y * y),
        lambda g, ans, x, y: -g * x / (x * x + y * y))
_joint("arctan2", lambda g, ans, x, y: (lambda d: (unbroadcast(d * y, x),
                                                   -unbroadcast(d * x, y)))(
    g / (x * x + y * y)))
_binary("logaddexp", lambda g, ans, x, y: g * np.exp(x - ans),
        lambda g, ans, x, y: g * np.exp(y - ans))
_binary("logaddexp2", lambda g, ans, x, y: g * np.exp2(x - ans),
        lambda g, ans, x, y: g * np.exp2(y - ans))
_binary("copysign", lambda g, ans, x, y: g * np.sign(x) * np.sign(ans),
        lambda g, ans, x, y: 0.0 * g)
_binary("ldexp", lambda g, ans, x, y: g * np.exp2(y), lambda g, ans, x, y: 0.0 * g)


# -- clip and where ---------------------------------------------------------------------
def _bound(args, kwargs, i, key):
    if len(args) > i:
        return args[i]
    return kwargs.get(key)


def _clip_inside(x, lo, hi):
    inside = None
    if lo is not None:
        inside = x >= lo
    if hi is not None:
        upper = x <= hi
        inside = upper if inside is None else np.logical_and(inside, upper)
    return inside


def _clip_x(ans, x, *args, **kwargs):
    lo, hi = _bound(args, kwargs, 0, "a_min"), _bound(args, kwargs, 1, "a_max")
    def vjp(g):
        inside = _clip_inside(x, lo, hi)
        return g if inside is None else unbroadcast(select(inside, g), x)
    return vjp


def _clip_lo(ans, x, lo, *args, **kwargs):
    return lambda g: unbroadcast(select(x < lo, g), lo)


def _clip_hi(ans, x, lo, hi, *args, **kwargs):
    return lambda g: unbroadcast(select(x > hi, g), hi)


defvjp("clip", _clip_x, _clip_lo, _clip_hi)


def _where_x(ans, c, x, y):
    return lambda g: unbroadcast(select(c, g), x)


def _where_y(ans, c, x, y):
    return lambda g: unbroadcast(select(c, g, invert=True), y)


defvjp("where", _where_x, _where_y, argnums=(1, 2))


@rule("nan_to_num")
def _nan_to_num(ans, x, *args, **kwargs):
    return lambda g: select(np.isfinite(x), g)


def _polyval_p(ans, p, x):
    def vjp(g):
        terms = [g]   # g * x^k for k = 0 .. n-1 (products, not powers: no 0 ** 0)
        for _ in range(shape_of(p)[0] - 1):
            terms.append(terms[-1] * x)
        return np.stack([np.sum(t) for t in terms[::-1]])
    return vjp


def _polyval_x(ans, p, x):
    # d/dx polyval(p, x) = polyval(p', x), p' = p[:-1] * (n-1, ..., 1)
    n = shape_of(p)[0]
    if n < 2:
        return lambda g: unbroadcast(g * 0.0, x)
    scale = _onp.arange(n - 1, 0, -1, dtype=float)
    return lambda g: unbroadcast(g * np.polyval(p[:-1] * scale, x), x)


defvjp("polyval", _polyval_p, _polyval_x)
