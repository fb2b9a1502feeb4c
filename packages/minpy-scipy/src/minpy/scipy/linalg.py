"""``scipy.linalg``'s differentiable functions: ``solve_triangular``, ``sqrtm``,
``solve_sylvester``, ``solve_banded``, ``expm``, ``cholesky``, ``cho_factor``,
``cho_solve``. Every other ``scipy.linalg`` name resolves too, as a function on host
forms without a gradient rule.

Gradients follow HIPS Autograd's convention for complex matrices (plain transposes:
the cotangent ``C`` of ``W`` means ``dL = Re(sum(C * dW))``).
"""

from __future__ import annotations

import minpy.numpy as np
from minpy.autograd.rules._util import composite, unbroadcast
from minpy.autograd.tracer import defvjp

from ._backends import OPS, scipy_function, scipy_has

__all__ = ["solve_triangular", "sqrtm", "solve_sylvester", "solve_banded", "expm",
           "cholesky", "cho_factor", "cho_solve"]


def _fn(name, **options):
    return scipy_function("linalg." + name, kind="linalg", **options)


def _t(x):
    return np.swapaxes(x, -1, -2)


# -- solve_triangular -------------------------------------------------------------------
solve_triangular = _fn("solve_triangular", arrays=(0, 1))
_TRANS = {0: "N", 1: "T", 2: "C", "N": "N", "T": "T", "C": "C"}


def _solve_tri_b(ans, a, b, trans=0, lower=False, unit_diagonal=False, **kw):
    t = _TRANS[trans]

    def vjp(g):
        if t == "N":   # x = A^-1 b: b's cotangent is A^-T g
            return solve_triangular(a, g, 1, lower, unit_diagonal)
        if t == "T":
            return solve_triangular(a, g, 0, lower, unit_diagonal)
        return np.conj(solve_triangular(a, np.conj(g), 0, lower, unit_diagonal))
    return vjp


def _solve_tri_a(ans, a, b, trans=0, lower=False, unit_diagonal=False, **kw):
    t = _TRANS[trans]
    gb_of = _solve_tri_b(ans, a, b, trans, lower, unit_diagonal)

    def vjp(g):
        gb = gb_of(g)
        gb2, x2 = (gb, ans) if np.ndim(ans) == 2 else (gb[:, None], ans[:, None])
        gm = -np.matmul(gb2, _t(x2))   # cotangent of the matrix that was solved with
        ga = gm if t == "N" else (_t(gm) if t == "T" else np.conj(_t(gm)))
        k = -1 if unit_diagonal else 0   # a unit diagonal is not read
        read = np.tril(ga, k) if lower else np.triu(ga, -k)
        return unbroadcast(read, a)
    return vjp


defvjp(solve_triangular, _solve_tri_a, _solve_tri_b)

# -- Sylvester equations and square roots -------------------------------------------------
solve_sylvester = _fn("solve_sylvester")


def _sylvester(argnum):
    def maker(ans, a, b, q):
        def vjp(g):
            gq = solve_sylvester(_t(a), _t(b), g)   # AX + XB = Q, transposed
            if argnum == 2:
                return unbroadcast(gq, q)
            if argnum == 0:
                return unbroadcast(-np.matmul(gq, _t(ans)), a)
            return unbroadcast(-np.matmul(_t(ans), gq), b)
        return vjp
    return maker


defvjp(solve_sylvester, _sylvester(0), _sylvester(1), _sylvester(2))

sqrtm = _fn("sqrtm")


def _sqrtm(ans, a, *args, **kwargs):
    # X X = A: dX X + X dX = dA, so A's cotangent solves X^T G + G X^T = g.
    return lambda g: unbroadcast(solve_sylvester(_t(ans), _t(ans), g), a)


defvjp(sqrtm, _sqrtm)

# -- matrix exponential ---------------------------------------------------------------------
expm = _fn("expm")


def _expm(ans, a):
    def vjp(g):
        # The adjoint of the Frechet derivative: the upper-right block of
        # expm([[A^T, G], [0, A^T]]) (Najfeld and Havel, 1995).
        n = np.shape(a)[-1]
        at = _t(a)
        zero = np.zeros_like(at)
        big = np.concatenate([np.concatenate([at, g], axis=-1),
                              np.concatenate([zero, at], axis=-1)], axis=-2)
        return unbroadcast(expm(big)[..., :n, n:], a)
    return vjp


defvjp(expm, _expm)


# -- banded systems ----------------------------------------------------------------------
solve_banded = _fn("solve_banded", arrays=(1, 2))


def _banded_full(l_and_u, ab):
    """The square matrix that banded storage ``ab`` holds (``A[i, j] = ab[u + i - j,
    j]``)."""
    lo, up = l_and_u
    n = np.shape(ab)[-1]
    full = 0.0
    for k in range(-lo, up + 1):   # diagonal k of A is row up - k of ab
        row = ab[up - k]
        diag = row[k:] if k >= 0 else row[:n + k]
        full = full + np.diag(diag, k)
    return full


def _solve_banded_formula(l_and_u, ab, b, *args, **kwargs):
    return np.linalg.solve(_banded_full(l_and_u, ab), b)


composite(solve_banded.primitive_name, _solve_banded_formula, (1, 2))


# -- Cholesky ------------------------------------------------------------------------------
cholesky = _fn("cholesky")


def _cholesky_formula(a, lower=False, *args, **kwargs):
    if lower:
        return np.linalg.cholesky(a)
    # the upper factor U (A = U^H U) from a's upper triangle: the conjugate transpose of
    # the lower factor of a^H, whose lower triangle is that upper one
    return np.conj(_t(np.linalg.cholesky(np.conj(_t(a)))))


composite(cholesky.primitive_name, _cholesky_formula, (0,))

_cho_factor_c = scipy_function(
    "linalg.cho_factor", kind="linalg",
    host=lambda a, lower=False, **kw: _host_cho_factor(a, lower, **kw)[0])


def _host_cho_factor(*args, **kwargs):
    from scipy.linalg import cho_factor as host
    return host(*args, **kwargs)


def _cho_factor_formula(a, lower=False, *args, **kwargs):
    # SciPy leaves a's own entries in the triangle the factor does not use
    factor = _cholesky_formula(a, lower)
    return factor + (np.triu(a, 1) if lower else np.tril(a, -1))


composite(_cho_factor_c.primitive_name, _cho_factor_formula, (0,))


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """``(c, lower)``: SciPy's Cholesky factor of ``a`` in one triangle of ``c`` (``a``'s
    own entries in the other), differentiable in ``a``."""
    return _cho_factor_c(a, lower, check_finite=check_finite), lower


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """The solution of ``A x = b`` from ``cho_factor(A)``: two triangular solves (as
    SciPy's, reading only the factor's triangle of ``c``), differentiable in ``c`` and
    ``b``."""
    c, lower = c_and_lower
    if lower:   # A = L L^H
        return solve_triangular(c, solve_triangular(c, b, 0, True), 2, True)
    return solve_triangular(c, solve_triangular(c, b, 2, False), 0, False)


def __getattr__(name):
    """Any other public ``scipy.linalg`` function, on host forms (no gradient rule)."""
    if name.startswith("_"):
        raise AttributeError(name)
    if not scipy_has("linalg." + name):
        raise AttributeError(f"module 'minpy.scipy.linalg' has no attribute {name!r}")
    fn = OPS.get("linalg." + name) or _fn(name)
    globals()[name] = fn
    return fn
