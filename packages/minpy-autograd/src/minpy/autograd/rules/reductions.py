"""Rules of the reductions: sum, mean, prod, max/min (ties share the gradient
equally), std, var, cumsum, cumprod, trace, linalg.norm (default ord), nansum and nanmean
(NaNs get a zero gradient)."""

from __future__ import annotations

import numpy as _onp

from ._util import (
    defvjp,
    expand_reduced,
    keep_reduced,
    normalize_axes,
    np,
    on_host,
    onto_diagonal,
    rule,
    select,
    shape_of,
    size_of,
)


def _count(shape, axis):
    axes = normalize_axes(axis, len(shape))
    return int(_onp.prod([shape[a] for a in axes])) if axes else 1


def _cast(g, x):
    return g if g.dtype == x.dtype else g.astype(x.dtype)


# The cotangent of a sum or mean is a broadcast view of the reduced one: scaled and cast
# while it is small, never materialised at full size.
@rule("sum")
def _sum(ans, x, axis=None, dtype=None, out=None, keepdims=False, **kw):
    return lambda g: expand_reduced(_cast(g, x), x.shape, axis, keepdims)


@rule("mean")
def _mean(ans, x, axis=None, dtype=None, out=None, keepdims=False, **kw):
    n = _count(x.shape, axis)
    return lambda g: expand_reduced(_cast(g / n, x), x.shape, axis, keepdims)


@rule("prod")
def _prod(ans, x, axis=None, dtype=None, out=None, keepdims=False, **kw):
    # d prod / d x_i is the product of the other elements of x_i's slice. prod / x_i
    # gives it only without zeros (0 / 0 = nan at a zero, found by the program fuzzer):
    # the products before and after x_i, multiplied, give it everywhere.
    # On the host, where every product is finite and non-zero (one look at the small
    # result, see on_host: a zero in a slice makes its product 0, and an under- or
    # overflowed product is no longer the product of the others times x_i), prod / x_i
    # is that product for one division: the prefix and suffix products cost ~35x more.
    def vjp(g):
        if (on_host(x) and (on_host(ans) or isinstance(ans, _onp.generic))
                and _onp.all(_onp.isfinite(ans) & (ans != 0))):
            return _cast(expand_reduced(g * ans, x.shape, axis, keepdims) / x, x)
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
    if 0 in shape:
        # no elements, nothing to multiply (and a reshape to (..., -1) would be
        # ambiguous with a 0 among the kept axes; found by the program fuzzer)
        return np.zeros_like(x)
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
        mask = np.equal(x, keep_reduced(ans, x.shape, axis, keepdims))
        gfull = keep_reduced(g, x.shape, axis, keepdims)
        # Without a NaN among the extrema each reduced slice holds its extremum at least
        # once, so as many matches as slices means exactly one each: no ties to share,
        # the share is the mask itself (the same values as mask / 1). Looked at on the
        # host only (see on_host).
        if (on_host(mask) and _onp.count_nonzero(mask) == size_of(ans)
                and not _onp.isnan(ans).any()):
            return gfull * mask
        mask = mask.astype(x.dtype)
        share = mask / np.sum(mask, axis=axis, keepdims=True)
        return gfull * share
    return vjp


for _name in ("max", "min", "amax", "amin", "nanmax", "nanmin"):
    defvjp(_name, _extremum)


def _centered_conj(x, axis):
    """``conj(x - mean(x))`` over ``axis``: the mean kept as a 0-d value when every axis
    is reduced (see :func:`keep_reduced`). Returned unnamed, so that NumPy can reuse it
    as the output of the product it goes into (a named temporary costs a new array)."""
    full = len(normalize_axes(axis, len(x.shape))) == len(x.shape)
    if x.dtype.kind == "c":
        return np.conj(x - np.mean(x, axis=None if full else axis, keepdims=not full))
    return x - np.mean(x, axis=None if full else axis, keepdims=not full)


@rule("var")
def _var(ans, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kw):
    # var = mean |x - mean|^2: d/dx - i d/dy = 2 conj(x - mean) / n (the constant
    # folded into the small cotangent: one full-size product).
    n = _count(x.shape, axis) - ddof
    return lambda g: _centered_conj(x, axis) * keep_reduced(g * (2.0 / n), x.shape, axis,
                                                            keepdims)


@rule("std")
def _std(ans, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kw):
    # d std = d var / (2 std); where std is 0 (all values equal) every direction has
    # the same one-sided slope magnitude and no derivative exists: 0, the subgradient.
    n = _count(x.shape, axis) - ddof

    def vjp(g):
        scale = np.where(ans == 0, 0.0, g / np.where(ans == 0, 1.0, ans)) * (1.0 / n)
        return _centered_conj(x, axis) * keep_reduced(scale, x.shape, axis, keepdims)
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
    # g (one value per diagonal) spread along its diagonal, zeros elsewhere
    return lambda g: onto_diagonal(np.reshape(g, shape_of(g) + (1,)), shape, offset, ax1,
                                   ax2)


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
                return expand_reduced(g0 / n, x.shape, axis, keepdims)
            return vjp
        from ._util import composite_maker
        return composite_maker(_weighted_average, argnum)(
            ans, x, axis, weights, returned, keepdims)
    return maker


defvjp("average", _average_maker(0), _average_maker(2), argnums=(0, 2))


# -- NaN-ignoring reductions: NaNs get a zero gradient --------------------------------
@rule("nansum")
def _nansum(ans, x, axis=None, dtype=None, out=None, keepdims=False, **kw):
    return lambda g: select(np.isnan(x), expand_reduced(_cast(g, x), x.shape, axis, keepdims),
                            invert=True)


@rule("nanmean")
def _nanmean(ans, x, axis=None, dtype=None, out=None, keepdims=False, **kw):
    def vjp(g):
        present = np.logical_not(np.isnan(x))
        count = np.sum(present, axis=axis, keepdims=True, dtype=x.dtype)
        return present * _cast(keep_reduced(g, x.shape, axis, keepdims) / count, x)
    return vjp
