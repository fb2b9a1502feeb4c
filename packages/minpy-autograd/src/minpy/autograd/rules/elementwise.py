"""Rules of the elementwise (ufunc-like) operations.

Binary rules sum the cotangent back over broadcast dimensions (:func:`unbroadcast`).
``maximum``/``minimum``/``fmax``/``fmin`` split the gradient equally between the two
arguments where they are equal. ``polyval`` has rules for both the coefficients and ``x``.
"""

from __future__ import annotations

import math

import numpy as _onp

from ._util import defvjp, np, rule, shape_of, unbroadcast, zero_rule

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
    "tan": lambda ans, x: lambda g: g / np.cos(x) ** 2,
    "arcsin": lambda ans, x: lambda g: g / np.sqrt(1.0 - x * x),
    "arccos": lambda ans, x: lambda g: -g / np.sqrt(1.0 - x * x),
    "arctan": lambda ans, x: lambda g: g / (1.0 + x * x),
    "sinh": lambda ans, x: lambda g: g * np.cosh(x),
    "cosh": lambda ans, x: lambda g: g * np.sinh(x),
    "tanh": lambda ans, x: lambda g: g * (1.0 - ans * ans),
    "arcsinh": lambda ans, x: lambda g: g / np.sqrt(x * x + 1.0),
    # sqrt(x - 1) sqrt(x + 1), not sqrt(x^2 - 1): the same for real x > 1, and the right
    # branch for complex x
    "arccosh": lambda ans, x: lambda g: g / (np.sqrt(x - 1.0) * np.sqrt(x + 1.0)),
    "arctanh": lambda ans, x: lambda g: g / (1.0 - x * x),
    "fabs": lambda ans, x: lambda g: g * np.sign(x),
    "degrees": lambda ans, x: lambda g: g * (180.0 / math.pi),
    "rad2deg": lambda ans, x: lambda g: g * (180.0 / math.pi),
    "radians": lambda ans, x: lambda g: g * (math.pi / 180.0),
    "deg2rad": lambda ans, x: lambda g: g * (math.pi / 180.0),
    "sinc": lambda ans, x: lambda g: g * np.where(
        x == 0, 0.0, (np.cos(math.pi * x) - ans) / np.where(x == 0, 1.0, x)),
}
for _name, _maker in _UNARY.items():
    defvjp(_name, _maker)


def _is_complex(x):
    return getattr(x, "dtype", None) is not None and x.dtype.kind == "c" or isinstance(
        x, complex)


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


_binary("add", lambda g, ans, x, y: g, lambda g, ans, x, y: g)
_binary("subtract", lambda g, ans, x, y: g, lambda g, ans, x, y: -g)
_binary("multiply", lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x)
for _name in ("true_divide", "divide"):
    _binary(_name, lambda g, ans, x, y: g / y, lambda g, ans, x, y: -g * x / (y * y))


def _log_base(x):
    # log(x) where it is defined; 0 ** y has no useful derivative in y: use log(1) = 0.
    return np.log(np.where(x == 0, 1.0, x))


def _power_exponent(x, y):
    # y - 1, except at 0 ** 0, where 0 ** -1 = inf would make y * x ** (y - 1) = nan:
    # there 1 (the derivative is 0). Guarding on y == 0 alone would change the
    # derivative of this gradient in y (second order) at every x.
    return np.where(np.logical_and(x == 0, y == 0), 1.0, y - 1.0)


def _power_base(g, ans, x, y):
    if isinstance(y, (int, float)):
        # A constant exponent: 0 for y == 0 (x ** 0 is 1 everywhere, 0 ** -1 is inf).
        return g * 0.0 if y == 0 else g * y * x ** (y - 1)
    return g * y * x ** _power_exponent(x, y)


for _name in ("power", "float_power"):
    _binary(_name, _power_base, lambda g, ans, x, y: g * _log_base(x) * ans)


def _split_eq(win, tie):
    """Cotangent share: all of it where ``win``, half where ``tie``."""
    return lambda g, ans, x, y: np.where(win(x, y), g, np.where(tie(x, y), g * 0.5, 0.0))


for _name in ("maximum", "fmax"):
    _binary(_name, _split_eq(lambda x, y: x > y, lambda x, y: x == y),
            _split_eq(lambda x, y: y > x, lambda x, y: x == y))
for _name in ("minimum", "fmin"):
    _binary(_name, _split_eq(lambda x, y: x < y, lambda x, y: x == y),
            _split_eq(lambda x, y: y < x, lambda x, y: x == y))
for _name in ("mod", "remainder"):
    _binary(_name, lambda g, ans, x, y: g, lambda g, ans, x, y: -g * np.floor_divide(x, y))
_binary("fmod", lambda g, ans, x, y: g, lambda g, ans, x, y: -g * np.trunc(x / y))
_binary("hypot", lambda g, ans, x, y: g * x / ans, lambda g, ans, x, y: g * y / ans)
_binary("arctan2", lambda g, ans, x, y: g * y / (x * x + y * y),
        lambda g, ans, x, y: -g * x / (x * x + y * y))
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
        return g if inside is None else unbroadcast(np.where(inside, g, 0.0), x)
    return vjp


def _clip_lo(ans, x, lo, *args, **kwargs):
    return lambda g: unbroadcast(np.where(x < lo, g, 0.0), lo)


def _clip_hi(ans, x, lo, hi, *args, **kwargs):
    return lambda g: unbroadcast(np.where(x > hi, g, 0.0), hi)


defvjp("clip", _clip_x, _clip_lo, _clip_hi)


def _where_x(ans, c, x, y):
    return lambda g: unbroadcast(np.where(c, g, 0.0), x)


def _where_y(ans, c, x, y):
    return lambda g: unbroadcast(np.where(c, 0.0, g), y)


defvjp("where", _where_x, _where_y, argnums=(1, 2))


@rule("nan_to_num")
def _nan_to_num(ans, x, *args, **kwargs):
    return lambda g: np.where(np.isfinite(x), g, 0.0)


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
