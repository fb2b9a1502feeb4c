"""Rules of the reductions: sum, mean, prod, max/min (ties share the gradient
equally), std, var, cumsum, cumprod, trace, linalg.norm (default ord), nansum and nanmean
(NaNs get a zero gradient)."""

from __future__ import annotations

import numpy as _onp

from ._util import defvjp, expand_reduced, normalize_axes, np, rule, shape_of


def _count(shape, axis):
    axes = normalize_axes(axis, len(shape))
    return int(_onp.prod([shape[a] for a in axes])) if axes else 1


def _cast(g, x):
    return g if g.dtype == x.dtype else g.astype(x.dtype)


@rule("sum")
def _sum(ans, x, axis=None, dtype=None, out=None, keepdims=False, **kw):
    return lambda g: _cast(expand_reduced(g, x.shape, axis, keepdims), x)


@rule("mean")
def _mean(ans, x, axis=None, dtype=None, out=None, keepdims=False, **kw):
    n = _count(x.shape, axis)
    return lambda g: _cast(expand_reduced(g, x.shape, axis, keepdims) / n, x)


@rule("prod")
def _prod(ans, x, axis=None, dtype=None, out=None, keepdims=False, **kw):
    # d prod / d x_i is the product of the other elements of x_i's slice. prod / x_i
    # gives it only without zeros (0 / 0 = nan at a zero, found by the program fuzzer):
    # the products before and after x_i, multiplied, give it everywhere.
    def vjp(g):
        return _cast(expand_reduced(g, x.shape, axis, keepdims) * _others(x, axis), x)
    return vjp


def _others(x, axis):
    """For each element of ``x``, the product of the other elements of its slice along
    ``axis`` (None: all of them): exclusive prefix times exclusive suffix products, in
    ``minpy.numpy`` (so they differentiate again)."""
    shape = shape_of(x)
    axes = normalize_axes(axis, len(shape))
    if not axes:
        return np.ones_like(x)
    kept = [a for a in range(len(shape)) if a not in axes]
    order = kept + list(axes)
    flat = np.reshape(np.transpose(x, order), [shape[a] for a in kept] + [-1])
    one = np.ones(shape_of(flat)[:-1] + (1,), dtype=flat.dtype)
    before = np.cumprod(np.concatenate([one, flat[..., :-1]], axis=-1), axis=-1)
    after = np.flip(np.cumprod(np.flip(np.concatenate([flat[..., 1:], one], axis=-1),
                                       axis=-1), axis=-1), axis=-1)
    others = np.reshape(before * after, [shape[a] for a in order])
    return np.transpose(others, list(_onp.argsort(order)))


def _extremum(ans, x, axis=None, out=None, keepdims=False, *args, **kw):
    def vjp(g):
        full = expand_reduced(ans, x.shape, axis, keepdims)
        mask = np.equal(x, full).astype(x.dtype)
        share = mask / np.sum(mask, axis=axis, keepdims=True)
        return expand_reduced(g, x.shape, axis, keepdims) * share
    return vjp


for _name in ("max", "min", "amax", "amin", "nanmax", "nanmin"):
    defvjp(_name, _extremum)


def _moments(x, axis, ddof, keepdims):
    n = _count(x.shape, axis) - ddof
    centered = x - np.mean(x, axis=axis, keepdims=True)
    return n, centered


def _conj_if_complex(x):
    return np.conj(x) if x.dtype.kind == "c" else x


@rule("var")
def _var(ans, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kw):
    # var = mean |x - mean|^2: d/dx - i d/dy = 2 conj(x - mean) / n.
    def vjp(g):
        n, centered = _moments(x, axis, ddof, keepdims)
        return (expand_reduced(g, x.shape, axis, keepdims) * _conj_if_complex(centered)
                * (2.0 / n))
    return vjp


@rule("std")
def _std(ans, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kw):
    # d std = d var / (2 std); where std is 0 (all values equal) every direction has
    # the same one-sided slope magnitude and no derivative exists: 0, the subgradient.
    def vjp(g):
        n, centered = _moments(x, axis, ddof, keepdims)
        scale = np.where(ans == 0, 0.0, g / np.where(ans == 0, 1.0, ans))
        return (expand_reduced(scale, x.shape, axis, keepdims)
                * _conj_if_complex(centered)) * (1.0 / n)
    return vjp


def _reverse_cumsum(g, axis):
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


@rule("cumsum")
def _cumsum(ans, x, axis=None, dtype=None, out=None):
    def vjp(g):
        if axis is None:
            return np.reshape(_reverse_cumsum(g, 0), x.shape)
        return _reverse_cumsum(g, axis)
    return vjp


@rule("cumprod")
def _cumprod(ans, x, axis=None, dtype=None, out=None):
    # d/dx_i sum_j g_j prod_{k<=j} x_k = sum_{j>=i} g_j ans_j / x_i (x without zeros).
    def vjp(g):
        if axis is None:
            return np.reshape(_reverse_cumsum(g * ans, 0), x.shape) / x
        return _reverse_cumsum(g * ans, axis) / x
    return vjp


@rule("trace")
def _trace(ans, a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    shape = a.shape
    ax1, ax2 = axis1 % len(shape), axis2 % len(shape)
    eye = np.eye(shape[ax1], shape[ax2], offset, dtype=a.dtype)

    def vjp(g):
        full = np.reshape(g, shape_of(g) + (1, 1)) * eye
        return np.moveaxis(full, (-2, -1), (ax1, ax2))
    return vjp


def _weighted_average(x, axis=None, weights=None, returned=False, keepdims=False):
    """sum(w x) / sum(w), with 1-D weights along a single axis as NumPy allows."""
    w = weights
    if len(shape_of(w)) != len(shape_of(x)):
        ax = axis % len(shape_of(x))
        w = np.reshape(w, (-1,) + (1,) * (len(shape_of(x)) - 1 - ax))
    w = np.broadcast_to(w, shape_of(x)) if shape_of(w) != shape_of(x) else w
    total = np.sum(w, axis=axis, keepdims=keepdims)
    avg = np.sum(w * x, axis=axis, keepdims=keepdims) / total
    return (avg, total) if returned else avg


def _average_maker(argnum):
    def maker(ans, x, axis=None, weights=None, returned=False, keepdims=False):
        if weights is None and argnum == 0:
            n = _count(x.shape, axis)

            def vjp(g):
                g0 = g[0] if returned else g
                return expand_reduced(g0, x.shape, axis, keepdims) / n
            return vjp
        from ._util import composite_maker
        return composite_maker(_weighted_average, argnum)(
            ans, x, axis, weights, returned, keepdims)
    return maker


defvjp("average", _average_maker(0), _average_maker(2), argnums=(0, 2))


# -- NaN-ignoring reductions: NaNs get a zero gradient --------------------------------
@rule("nansum")
def _nansum(ans, x, axis=None, dtype=None, out=None, keepdims=False, **kw):
    return lambda g: _cast(np.where(np.isnan(x), 0.0,
                                    expand_reduced(g, x.shape, axis, keepdims)), x)


@rule("nanmean")
def _nanmean(ans, x, axis=None, dtype=None, out=None, keepdims=False, **kw):
    def vjp(g):
        present = 1.0 - np.isnan(x).astype(x.dtype)
        count = np.sum(present, axis=axis, keepdims=True)
        return _cast(present * expand_reduced(g, x.shape, axis, keepdims) / count, x)
    return vjp
