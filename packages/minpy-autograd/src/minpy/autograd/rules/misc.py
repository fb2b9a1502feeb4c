"""Rules of the remaining differentiable functions: ``gradient``, ``convolve``,
``correlate``, ``interp``, ``trapezoid``, ``vander``, the ``poly*`` family, ``i0``,
``frexp``, ``modf``, ``divmod``, ``nextafter``, ``spacing``, ``unwrap``,
``cumulative_sum``/``cumulative_prod``, ``block``, ``broadcast_arrays``, ``meshgrid``,
``unstack`` and the array-likes (``asarray_chkfinite``, ``require``, ``asmatrix``).
Most are compositions of ops with rules (:func:`composite`)."""

from __future__ import annotations

import inspect as _inspect

import numpy as _onp

from minpy.core.tracing import Box

from ._util import (
    composite,
    composite_maker,
    defvjp,
    identity_rule,
    np,
    shape_of,
    unbroadcast,
    zero_rule,
)


# -- gradient: a linear map along each axis -----------------------------------------
def _gradient_matrix(n, spacing, edge_order):
    """``M`` with ``numpy.gradient(f, spacing)[k] = sum_j M[k, j] f[j]`` (NumPy's own
    stencil, read off by applying it to the identity)."""
    return _onp.gradient(_onp.eye(n), spacing, axis=0, edge_order=edge_order)


def _gradient_axes(nd, varargs, axis):
    """``numpy.gradient``'s axes (non-negative) and one spacing per axis."""
    axes = tuple(range(nd)) if axis is None else (
        (axis,) if isinstance(axis, int) else tuple(axis))
    axes = tuple(a % nd for a in axes)
    if not varargs:
        spacings = [1.0] * len(axes)
    elif len(varargs) == 1 and _onp.ndim(varargs[0]) == 0:
        spacings = [varargs[0]] * len(axes)
    else:
        spacings = list(varargs)
    return axes, spacings


def _gradient(ans, f, *varargs, axis=None, edge_order=1):
    if any(isinstance(h, Box) for h in varargs):  # traced spacings (higher orders)
        return composite_maker(_gradient_composed, 0)(ans, f, *varargs, axis=axis,
                                                      edge_order=edge_order)
    shape = shape_of(f)
    axes, spacings = _gradient_axes(len(shape), varargs, axis)
    mats = [_onp.asarray(_gradient_matrix(shape[a], _onp.asarray(s, dtype=float)
                                          if _onp.ndim(s) else float(s), edge_order))
            for a, s in zip(axes, spacings)]

    def vjp(g):
        gs = g if isinstance(g, (list, tuple)) else [g]
        total = None
        for gi, m, a in zip(gs, mats, axes):
            r = np.moveaxis(np.tensordot(np.array(m.T), np.moveaxis(gi, a, 0), axes=1), 0, a)
            total = r if total is None else total + r
        return total
    return vjp


def _gradient_along(f, h, a, edge_order):
    """``numpy.gradient`` of ``f`` along axis ``a`` for spacing ``h`` (a scalar or the
    coordinates), in ``minpy.numpy`` operations: NumPy's stencils, written out."""
    nd = len(shape_of(f))
    n = shape_of(f)[a]

    def part(start, stop):
        return f[(slice(None),) * a + (slice(start, stop),)]

    def along(v):  # a 1-D array of coefficients, aligned with axis a
        return np.reshape(v, (-1,) + (1,) * (nd - 1 - a))

    if _onp.ndim(h) == 0:
        inner = (part(2, None) - part(None, -2)) / (2.0 * h)
        if edge_order == 1:
            first = (part(1, 2) - part(0, 1)) / h
            last = (part(n - 1, n) - part(n - 2, n - 1)) / h
        else:
            first = (-1.5 * part(0, 1) + 2.0 * part(1, 2) - 0.5 * part(2, 3)) / h
            last = (0.5 * part(n - 3, n - 2) - 2.0 * part(n - 2, n - 1)
                    + 1.5 * part(n - 1, n)) / h
    else:
        dx = np.diff(h)
        d1, d2 = dx[:-1], dx[1:]
        inner = (along(-d2 / (d1 * (d1 + d2))) * part(None, -2)
                 + along((d2 - d1) / (d1 * d2)) * part(1, -1)
                 + along(d1 / (d2 * (d1 + d2))) * part(2, None))
        if edge_order == 1:
            first = (part(1, 2) - part(0, 1)) / dx[0]
            last = (part(n - 1, n) - part(n - 2, n - 1)) / dx[-1]
        else:
            d1, d2 = dx[0], dx[1]
            first = (-(2.0 * d1 + d2) / (d1 * (d1 + d2)) * part(0, 1)
                     + (d1 + d2) / (d1 * d2) * part(1, 2)
                     - d1 / (d2 * (d1 + d2)) * part(2, 3))
            d1, d2 = dx[-2], dx[-1]
            last = (d2 / (d1 * (d1 + d2)) * part(n - 3, n - 2)
                    - (d2 + d1) / (d1 * d2) * part(n - 2, n - 1)
                    + (2.0 * d2 + d1) / (d2 * (d1 + d2)) * part(n - 1, n))
    return np.concatenate([first, inner, last], axis=a)


def _gradient_composed(f, *varargs, axis=None, edge_order=1):
    """``numpy.gradient`` in ``minpy.numpy`` operations: the rule of the spacings."""
    axes, spacings = _gradient_axes(len(shape_of(f)), varargs, axis)
    outs = [_gradient_along(f, h, a, edge_order) for a, h in zip(axes, spacings)]
    return outs[0] if len(outs) == 1 else tuple(outs)


defvjp("gradient", _gradient)
# the spacings (positions 1, 2, ...: one per axis, or one for all)
defvjp("gradient", *[composite_maker(_gradient_composed, i) for i in range(1, 33)],
       argnums=range(1, 33))


# -- histogram: the counts are linear in the weights -----------------------------------
def _histogram(a, bins=10, range=None, density=None, weights=None):
    """``numpy.histogram`` in ``minpy.numpy`` operations, as a function of ``weights``
    (the bins each element falls in are fixed: NumPy's own edges and bin rule)."""
    host = _onp.asarray(_host(a))
    edges = _onp.histogram_bin_edges(host, bins, range)
    nbins = len(edges) - 1
    flat = _onp.ravel(host)
    idx = _onp.searchsorted(edges, flat, side="right") - 1
    idx[flat == edges[-1]] = nbins - 1  # the last bin is closed
    keep = _onp.nonzero((flat >= edges[0]) & (flat <= edges[-1]))[0]
    counts = np.bincount(idx[keep], np.take(np.ravel(weights), keep), nbins)
    if density:
        counts = counts / np.array(_onp.diff(edges)) / np.sum(counts)
    return counts, edges


def _histogram_normed(a, bins=10, range=None, normed=None, weights=None, density=None):
    """:func:`_histogram` with NumPy < 1.24's signature (``normed`` fourth, ``density``
    last): traced arguments are placed by the installed NumPy's signature. ``density``
    overrides ``normed``, whose normalisation is NumPy's old one."""
    if density is None and normed:
        counts, edges = _histogram(a, bins, range, None, weights)
        return counts / np.sum(counts * np.array(_onp.diff(edges))), edges
    return _histogram(a, bins, range, density, weights)


composite("histogram", _histogram_normed if "normed" in _inspect.signature(
    _onp.histogram).parameters else _histogram, (4,))


# -- convolution and correlation -------------------------------------------------------
def _convolve(a, v, mode="full"):
    n, m = shape_of(a)[0], shape_of(v)[0]
    k = _onp.arange(n + m - 1)[:, None] - _onp.arange(n)[None, :]   # v index for (k, i)
    valid = (k >= 0) & (k < m)
    toeplitz = np.where(valid, v[_onp.clip(k, 0, m - 1)], 0.0)
    full = np.matmul(toeplitz, a)
    if mode == "full":
        return full
    if mode == "same":
        size = max(n, m)
        start = (n + m - 1 - size) // 2
        return full[start:start + size]
    size = max(n, m) - min(n, m) + 1          # 'valid'
    start = min(n, m) - 1
    return full[start:start + size]


def _correlate(a, v, mode="valid"):
    # correlate(a, v) = convolve(a, conj(v)[::-1]), except that 'same' centres the
    # window one later when a is the shorter input (NumPy swaps the inputs then)
    vv = np.conj(v) if v.dtype.kind == "c" else v
    n, m = shape_of(a)[0], shape_of(v)[0]
    if mode != "same" or n >= m:
        return _convolve(a, vv[::-1], mode)
    full = _convolve(a, vv[::-1], "full")
    start = n // 2
    return full[start:start + m]


composite("convolve", _convolve, (0, 1))
composite("correlate", _correlate, (0, 1))


# -- interpolation and integration -----------------------------------------------------
def _interp(x, xp, fp, left=None, right=None, period=None):
    """``interp`` written with ops that have rules: the segment of each ``x`` is found
    on the host, the interpolation itself is traced (in ``x``, ``xp`` and ``fp``)."""
    if period is not None:
        raise NotImplementedError("no gradient rule for minpy.numpy.interp with period")
    xh, xph = _onp.asarray(_host(x)), _onp.asarray(_host(xp))
    n = len(xph)
    idx = _onp.clip(_onp.searchsorted(xph, xh, side="right") - 1, 0, max(n - 2, 0))
    xa, xpa, fpa = np.asarray(x), np.asarray(xp), np.asarray(fp)
    if n == 1:
        inner = fpa[idx] + 0.0 * xa
    else:
        lo, hi = xpa[idx], xpa[idx + 1]
        inner = fpa[idx] + (fpa[idx + 1] - fpa[idx]) * ((xa - lo) / (hi - lo))
    below = fpa[0] if left is None else left
    above = fpa[-1] if right is None else right
    return np.where(xh < xph[0], below, np.where(xh > xph[-1], above, inner))


composite("interp", _interp, (0, 1, 2))


def _host(x):
    from minpy.core.tracing import unbox_all
    v = unbox_all(x)
    return v.asnumpy() if hasattr(v, "asnumpy") else v


def _trapezoid(y, x=None, dx=1.0, axis=-1):
    nd = len(shape_of(y))
    ax = axis % nd
    n = shape_of(y)[ax]

    def sl(a, b):
        return (slice(None),) * ax + (slice(a, b),)
    if x is None:
        d = dx
    else:
        d = np.diff(x, axis=axis if len(shape_of(x)) > 1 else 0)
        if len(shape_of(x)) == 1 and nd > 1:
            d = np.reshape(d, (n - 1,) + (1,) * (nd - 1 - ax))
    return np.sum(d * (y[sl(1, None)] + y[sl(None, n - 1)]) / 2.0, axis=ax)


for _name in ("trapezoid", "trapz"):
    composite(_name, _trapezoid, (0, 1))


def _vander(x, N=None, increasing=False):
    n = shape_of(x)[0] if N is None else N
    cols = [np.ones(shape_of(x), dtype=x.dtype)]
    for _ in range(n - 1):
        cols.append(cols[-1] * x)
    out = np.stack(cols, axis=1) if cols else np.zeros((shape_of(x)[0], 0))
    return out if increasing else out[:, ::-1]


composite("vander", _vander, (0,))


# -- polynomials (coefficients highest power first) -----------------------------------
def _poly(seq_of_zeros):
    r = seq_of_zeros
    if len(shape_of(r)) == 2:        # a matrix: its characteristic polynomial
        r = np.linalg.eigvals(r)
    c = np.ones((1,), dtype=r.dtype)
    for k in range(shape_of(r)[0]):
        c = _convolve(c, np.stack([np.ones((), dtype=r.dtype), -r[k]]))
    return c


def _pad_left(p, n):
    k = shape_of(p)[0]
    return np.pad(p, ((n - k, 0),)) if k < n else p


def _polyadd(a1, a2):
    a1, a2 = np.atleast_1d(a1), np.atleast_1d(a2)
    n = max(shape_of(a1)[0], shape_of(a2)[0])
    return _pad_left(a1, n) + _pad_left(a2, n)


def _polysub(a1, a2):
    a1, a2 = np.atleast_1d(a1), np.atleast_1d(a2)
    n = max(shape_of(a1)[0], shape_of(a2)[0])
    return _pad_left(a1, n) - _pad_left(a2, n)


def _polymul(a1, a2):
    return _convolve(np.atleast_1d(a1), np.atleast_1d(a2))


def _polyder(p, m=1):
    p = np.atleast_1d(p)
    for _ in range(m):
        n = shape_of(p)[0] - 1
        if n <= 0:
            return p[:1] * 0.0
        p = p[:-1] * np.array(_onp.arange(n, 0, -1, dtype=float))
    return p


def _polyint(p, m=1, k=None):
    p = np.atleast_1d(p)
    ks = _onp.zeros(m) if k is None else _onp.atleast_1d(_onp.asarray(k, dtype=float))
    if len(ks) == 1 and m > 1:
        ks = _onp.full(m, ks[0])
    for i in range(m):
        n = shape_of(p)[0]
        p = np.concatenate([p / np.array(_onp.arange(n, 0, -1, dtype=float)),
                            np.array([ks[i]])])
    return p


def _polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
    if full or cov or w is not None:
        raise NotImplementedError("no gradient rule for minpy.numpy.polyfit with full, "
                                  "cov or w")
    a = _vander(x, deg + 1)
    return np.matmul(np.linalg.pinv(a), y)


def _polydiv(u, v):
    # long division, as NumPy does it: each quotient coefficient is a rational function
    u, v = np.atleast_1d(u) + 0.0, np.atleast_1d(v) + 0.0
    m, n = shape_of(u)[0] - 1, shape_of(v)[0] - 1
    scale = 1.0 / v[0]
    q = []
    r = u
    for k in range(0, m - n + 1):
        d = scale * r[k]
        q.append(d)
        r = r - np.pad(d * v, ((k, m - n - k),))
    q = np.stack(q) if q else np.zeros((1,))
    rem = r[m - n + 1:] if m >= n else r
    return q, rem


composite("poly", _poly, (0,))
composite("polyadd", _polyadd, (0, 1))
composite("polysub", _polysub, (0, 1))
composite("polymul", _polymul, (0, 1))
composite("polyder", _polyder, (0,))
composite("polyint", _polyint, (0,))
composite("polyfit", _polyfit, (0, 1))
composite("polydiv", _polydiv, (0, 1))


def _roots(ans, p):
    # p(r) = 0: dr = -(sum_j dp_j r^(n-j)) / p'(r), per root (coefficients without
    # leading or trailing zeros, which NumPy trims).
    def vjp(g):
        pp = np.atleast_1d(p)
        n = shape_of(pp)[0] - 1
        deriv = np.polyval(_polyder(pp), ans)
        powers = np.stack([ans ** (n - j) for j in range(n + 1)])     # (n + 1, roots)
        r = np.sum(powers * (-g / deriv), axis=1)
        return np.real(r) if pp.dtype.kind != "c" else r
    return vjp


defvjp("roots", _roots)


# -- special functions and float decompositions ------------------------------------------
def _i1(x):
    """The modified Bessel function I1 (i0's derivative) by its power series."""
    xmax = float(_onp.max(_onp.abs(_host(x)))) if shape_of(x) else abs(float(_host(x)))
    terms = int(max(20, 2 * xmax + 20))
    half = x * 0.5
    term = half
    total = term
    sq = half * half
    for k in range(1, terms):
        term = term * sq / (k * (k + 1.0))
        total = total + term
    return total


defvjp("i0", lambda ans, x: lambda g: g * _i1(x))


def _frexp(ans, x):
    # x = m * 2**e with e piecewise constant: dm/dx = 2**-e
    e = ans[1]
    return lambda g: g[0] * np.exp2(-e.astype("float64"))


defvjp("frexp", _frexp)
defvjp("modf", lambda ans, x: lambda g: g[0])      # (fractional, integral) parts
defvjp("divmod", lambda ans, x, y: lambda g: unbroadcast(g[1], x),
       lambda ans, x, y: lambda g: unbroadcast(-g[1] * np.floor_divide(x, y), y))
defvjp("nextafter", lambda ans, x, y: lambda g: unbroadcast(g, x),
       lambda ans, x, y: lambda g: unbroadcast(0.0 * g, y))
defvjp("spacing", zero_rule)
defvjp("unwrap", lambda ans, p, *a, **k: lambda g: g)   # p plus a piecewise constant


# -- cumulative_*, joins and splits -------------------------------------------------------
def _cumulative(op):
    def fun(x, axis=None, dtype=None, out=None, include_initial=False):
        r = op(x, axis=axis)
        if include_initial:
            ax = 0 if axis is None else axis
            first = np.zeros_like(np.take(r, [0], axis=ax)) + (1.0 if op is np.cumprod
                                                               else 0.0)
            r = np.concatenate([first, r], axis=ax)
        return r
    return fun


composite("cumulative_sum", _cumulative(np.cumsum), (0,))
composite("cumulative_prod", _cumulative(np.cumprod), (0,))


def _block(arrays):
    def depth(a):
        return 1 + depth(a[0]) if isinstance(a, list) else 0
    d = depth(arrays)

    def rec(a, level):
        if not isinstance(a, list):
            return a
        parts = [rec(x, level + 1) for x in a]
        nd = max(d, max(len(shape_of(p)) for p in parts))
        parts = [np.reshape(p, (1,) * (nd - len(shape_of(p))) + shape_of(p)) for p in parts]
        return np.concatenate(parts, axis=-(d - level))
    return rec(arrays, 0)


composite("block", _block, (0,))


def _broadcast_arrays_arg(i):
    def maker(ans, *args, **kwargs):
        return lambda g: unbroadcast(g[i], args[i])
    return maker


defvjp("broadcast_arrays", *[_broadcast_arrays_arg(i) for i in range(32)],
       argnums=tuple(range(32)))


def _meshgrid_arg(i):
    def maker(ans, *xi, indexing="xy", **kwargs):
        n = len(xi)
        ax = i
        if indexing == "xy" and n > 1 and i < 2:
            ax = 1 - i
        axes = tuple(k for k in range(n) if k != ax)
        return lambda g: np.reshape(np.sum(g[i], axis=axes), shape_of(xi[i]))
    return maker


defvjp("meshgrid", *[_meshgrid_arg(i) for i in range(32)], argnums=tuple(range(32)))
defvjp("unstack", lambda ans, x, axis=0: lambda g: np.stack(list(g), axis=axis))

for _name in ("asarray_chkfinite", "require"):
    defvjp(_name, identity_rule)


def _kaiser(M, beta):
    n = _onp.arange(0, M)
    alpha = (M - 1) / 2.0
    arg = np.sqrt(np.array(1.0 - ((n - alpha) / alpha) ** 2) if M > 1 else np.ones(M))
    return np.i0(beta * arg) / np.i0(beta)


composite("kaiser", _kaiser, (1,))


def _bincount_weights(ans, x, weights=None, minlength=0):
    idx = _onp.asarray(_host(x))
    return lambda g: g[idx]


defvjp("bincount", _bincount_weights, argnums=(1,))


# -- unique values and set operations: a gather; equal values share the gradient -------
def _unique_maker(values_first):
    def maker(ans, ar, *args, **kwargs):
        host = _onp.ravel(_onp.asarray(_host(ar)))
        if kwargs.get("axis", args[3] if len(args) > 3 else None) is not None:
            raise NotImplementedError("no gradient rule for minpy.numpy.unique with axis")
        _, inverse, counts = _onp.unique(host, return_inverse=True, return_counts=True)
        inverse = _onp.ravel(inverse)
        share = 1.0 / counts[inverse]
        shape = shape_of(ar)

        def vjp(g):
            gv = g[0] if isinstance(g, (tuple, list)) or hasattr(g, "_fields") else g
            return np.reshape(gv[inverse] * share, shape)
        return vjp
    return maker


for _name in ("unique", "unique_values", "unique_all", "unique_counts", "unique_inverse"):
    defvjp(_name, _unique_maker(True))


def _set_values(fun):
    """Rules of a set operation whose result values are unique values of the inputs:
    each result value's cotangent goes to every element of the inputs equal to it,
    shared equally (the subgradient of a tie)."""
    def maker_for(argnum):
        def maker(ans, ar1, ar2, *args, **kwargs):
            out = _onp.asarray(_host(ans[0] if isinstance(ans, tuple) else ans))
            a1, a2 = (_onp.ravel(_onp.asarray(_host(v))) for v in (ar1, ar2))
            me = a1 if argnum == 0 else a2
            both = _onp.concatenate([a1, a2])
            pos = _onp.searchsorted(out, me)
            pos = _onp.clip(pos, 0, max(len(out) - 1, 0))
            hit = (len(out) > 0) & (out[pos] == me) if len(out) else _onp.zeros(len(me), bool)
            ties = _onp.array([_onp.sum(both == v) for v in me]) if len(me) else me
            weight = _onp.where(hit, 1.0 / _onp.maximum(ties, 1), 0.0)
            shape = shape_of(ar1 if argnum == 0 else ar2)

            def vjp(g):
                gg = g[0] if isinstance(g, (tuple, list)) else g
                return np.reshape(gg[pos] * weight, shape)
            return vjp
        return maker
    return [maker_for(0), maker_for(1)]


for _name in ("union1d", "intersect1d", "setdiff1d", "setxor1d"):
    defvjp(_name, *_set_values(_name))
