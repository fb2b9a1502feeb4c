"""Checking gradients against finite differences.

:func:`check_grads` compares reverse-mode derivatives with central differences in
float64, along one random direction per argument, for first order and (by default)
second order: the second-order check differentiates ``x -> <grad f(x), w>`` for a
random ``w``, so it exercises the gradient rules' own gradients.
"""

from __future__ import annotations

import numpy as _onp

from minpy.core import Array

from .api import grad
from .tracer import stop_gradient

__all__ = ["check_grads", "check_jvp", "check_complex_grads", "GradientCheckError"]


class GradientCheckError(AssertionError):
    pass


def _np():
    import minpy.numpy as np
    return np


def _as_float64(x):
    if isinstance(x, (float, int)) and not isinstance(x, bool):
        return float(x)
    if isinstance(x, (Array, _onp.ndarray)):
        return _np().array(_onp.asarray(x.asnumpy() if isinstance(x, Array) else x,
                                        dtype=_onp.float64))
    raise TypeError(f"check_grads: arguments must be arrays or floats, not {type(x)}")


def _random_like(x, rng):
    if isinstance(x, float):
        return float(rng.standard_normal())
    return _np().array(rng.standard_normal(x.shape))


def _axpy(a, v, x):
    """x + a * v, for Arrays and floats, outside any tape."""
    return x + a * v


def _to_host(x):
    if isinstance(x, Array):
        return x.asnumpy()
    if hasattr(x, "asnumpy"):
        return x.asnumpy()
    return _onp.asarray(x, dtype=float)


def _vdot(a, b):
    """Sum of a * b, traced when they are (for the second-order function)."""
    np = _np()
    return np.sum(np.multiply(a, b))


def _scalarize(fun, rng, args):
    """``fun`` made scalar: the sum of its output(s) times fixed random weights."""
    out = stop_gradient(fun(*args))
    outs = out if isinstance(out, (tuple, list)) else (out,)
    weights = [None if not _is_float_output(o) else
               _np().array(rng.standard_normal(_onp.shape(_to_host(o)))) for o in outs]
    multi = isinstance(out, (tuple, list))

    def scalar(*a):
        res = fun(*a)
        res = res if multi else (res,)
        total = 0.0
        for r, w in zip(res, weights):
            if w is not None:
                total = total + _vdot(r, w)
        return total
    return scalar


def _is_float_output(o):
    dt = getattr(o, "dtype", None)
    if dt is None:
        return isinstance(o, float)
    return _onp.dtype(dt).kind == "f"


def _as_number(x):
    return float(_to_host(x))


def _check_first(scalar, args, eps, rtol, atol, rng, what):
    argnums = tuple(range(len(args)))
    grads = grad(scalar, argnums)(*args)
    dirs = [_random_like(a, rng) for a in args]
    analytic = sum(_as_number(_vdot(g, d)) if not isinstance(g, float) else g * d
                   for g, d in zip(grads, dirs))
    plus = [_axpy(eps, d, a) for a, d in zip(args, dirs)]
    minus = [_axpy(-eps, d, a) for a, d in zip(args, dirs)]
    numeric = (_as_number(scalar(*plus)) - _as_number(scalar(*minus))) / (2 * eps)
    if not abs(analytic - numeric) <= atol + rtol * abs(numeric):
        raise GradientCheckError(
            f"{what}: directional derivative from reverse mode {analytic!r} != finite "
            f"differences {numeric!r} (difference {abs(analytic - numeric):.3g})")


def check_grads(fun, *args, order=2, eps=1e-6, rtol=1e-5, atol=1e-6, seed=0):
    """Check the derivatives of ``fun`` at ``args`` (every positional argument is
    differentiated; they are converted to float64) up to ``order``, against central
    finite differences. Raises :class:`GradientCheckError` on a mismatch.

    ``fun`` may return an array, a scalar, or a tuple/list of arrays (non-float outputs
    are ignored): it is made scalar with fixed random output weights.
    """
    rng = _onp.random.default_rng(seed)
    args = tuple(_as_float64(a) for a in args)
    scalar = _scalarize(fun, rng, args)
    for k in range(1, order + 1):
        _check_first(scalar, args, eps, rtol, atol, rng, f"order {k}")
        if k == order:
            break
        prev = scalar
        weights = [_random_like(a, rng) for a in args]
        argnums = tuple(range(len(args)))

        def scalar(*a, prev=prev, weights=weights, argnums=argnums):
            gs = grad(prev, argnums)(*a)
            total = 0.0
            for g, w in zip(gs, weights):
                total = total + _vdot(g, w)
            return total


# -- forward mode -----------------------------------------------------------------------
def _outputs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def check_jvp(fun, *args, eps=1e-6, rtol=1e-5, atol=1e-6, seed=0):
    """Check forward mode (:func:`~minpy.autograd.jvp`) of ``fun`` at ``args`` along a
    random direction: every float output's ``J v`` against central finite differences,
    and ``<w, J v>`` against ``<J^T w, v>`` from reverse mode for random output weights
    ``w`` (the transpose identity, which ties forward mode to :func:`jacobian`'s rows).
    Raises :class:`GradientCheckError` on a mismatch."""
    from .forward import jvp
    rng = _onp.random.default_rng(seed)
    args = tuple(_as_float64(a) for a in args)
    dirs = tuple(_random_like(a, rng) for a in args)
    ans, tangent = jvp(fun, args, dirs)
    plus = _outputs(fun(*[_axpy(eps, d, a) for a, d in zip(args, dirs)]))
    minus = _outputs(fun(*[_axpy(-eps, d, a) for a, d in zip(args, dirs)]))
    outs, tangents = _outputs(ans), _outputs(tangent)
    forward_total = 0.0
    weights = []
    for k, (o, t, p, m) in enumerate(zip(outs, tangents, plus, minus)):
        if not _is_float_output(o):
            weights.append(None)
            continue
        analytic = _onp.asarray(_to_host(t))
        hp, hm = _onp.asarray(_to_host(p)), _onp.asarray(_to_host(m))
        if analytic.shape != _onp.shape(_to_host(o)):
            raise GradientCheckError(f"forward mode, output {k}: J v has shape "
                                     f"{analytic.shape}, the output {_onp.shape(o)}")
        # An output whose shape changes around the point (polymul trimming leading
        # zeros) has no derivative to compare; the transpose identity still applies.
        if hp.shape == hm.shape == analytic.shape:
            numeric = (hp - hm) / (2 * eps)
            if not _onp.allclose(analytic, numeric, rtol=rtol, atol=atol):
                raise GradientCheckError(
                    f"forward mode, output {k}: J v {analytic!r} != finite differences "
                    f"{numeric!r}")
        w = rng.standard_normal(analytic.shape)
        weights.append(_np().array(w))
        forward_total += float(_onp.sum(w * analytic))
    if not any(w is not None for w in weights):
        return
    multi = isinstance(ans, (tuple, list))

    def scalar(*a):
        res = _outputs(fun(*a)) if multi else [fun(*a)]
        total = 0.0
        for r, w in zip(res, weights):
            if w is not None:
                total = total + _vdot(r, w)
        return total

    grads = grad(scalar, tuple(range(len(args))))(*args)
    reverse_total = sum(_as_number(_vdot(g, d)) if not isinstance(g, float) else g * d
                        for g, d in zip(grads, dirs))
    if not abs(forward_total - reverse_total) <= atol + rtol * abs(reverse_total):
        raise GradientCheckError(
            f"forward mode: <w, J v> = {forward_total!r} but reverse mode gives "
            f"<J^T w, v> = {reverse_total!r}")


# -- complex inputs ---------------------------------------------------------------------
def _as_c128(x):
    """float64 or complex128 copies of the arguments (complex stays complex)."""
    host = _onp.asarray(x.asnumpy() if isinstance(x, Array) else x)
    dt = _onp.complex128 if host.dtype.kind == "c" else _onp.float64
    return _np().array(host.astype(dt))


def _direction(x, rng):
    shape = x.shape
    d = rng.standard_normal(shape)
    if x.dtype.kind == "c":
        d = d + 1j * rng.standard_normal(shape)
    return _np().array(d)


def _real_scalar(fun, rng, args):
    """``fun`` made real and scalar: Re(sum(out * w)) with fixed complex weights."""
    np = _np()
    out = stop_gradient(fun(*args))
    multi = isinstance(out, (tuple, list))
    outs = out if multi else (out,)
    weights = []
    for o in outs:
        dt = getattr(o, "dtype", None)
        if dt is None or _onp.dtype(dt).kind not in "fc":
            weights.append(None)
            continue
        shape = _onp.shape(_to_host(o)) if _onp.dtype(dt).kind == "f" else o.shape
        weights.append(np.array(rng.standard_normal(shape) + 1j * rng.standard_normal(shape)))

    def scalar(*a):
        res = fun(*a)
        res = res if multi else (res,)
        total = 0.0
        for r, w in zip(res, weights):
            if w is not None:
                total = total + np.sum(np.real(np.multiply(r, w)))
        return total
    return scalar


def check_complex_grads(fun, *args, order=2, eps=1e-6, rtol=1e-5, atol=1e-6, seed=0):
    """:func:`check_grads` for functions of complex (and real) arrays, in HIPS
    Autograd's convention: for a real ``L`` of ``z = x + iy`` the gradient is
    ``dL/dx - i dL/dy``, so the directional derivative along ``d`` is
    ``Re(sum(grad * d))``. Complex outputs are made real with random complex weights;
    the second order differentiates ``Re(<grad, w>)``."""
    rng = _onp.random.default_rng(seed)
    args = tuple(_as_c128(a) for a in args)
    np = _np()
    scalar = _real_scalar(fun, rng, args)
    argnums = tuple(range(len(args)))
    for k in range(1, order + 1):
        grads = grad(scalar, argnums)(*args)
        dirs = [_direction(a, rng) for a in args]
        analytic = sum(float(np.real(np.sum(g * d)).asnumpy()) for g, d in zip(grads, dirs))
        plus = [a + eps * d for a, d in zip(args, dirs)]
        minus = [a - eps * d for a, d in zip(args, dirs)]
        numeric = (_as_number(scalar(*plus)) - _as_number(scalar(*minus))) / (2 * eps)
        if not abs(analytic - numeric) <= atol + rtol * abs(numeric):
            raise GradientCheckError(
                f"order {k} (complex): directional derivative from reverse mode "
                f"{analytic!r} != finite differences {numeric!r}")
        if k == order:
            break
        prev = scalar
        weights = [_direction(a, rng) for a in args]

        def scalar(*a, prev=prev, weights=weights):
            gs = grad(prev, argnums)(*a)
            total = 0.0
            for g, w in zip(gs, weights):
                total = total + np.sum(np.real(g * w))
            return total
