"""Rules of the order statistics and the statistics built from other ops: ``median``,
``quantile``, ``percentile`` and their NaN-ignoring forms (every ``method``), ``ptp``,
``nanstd``, ``nanvar``, ``nanprod``, ``nancumsum``, ``nancumprod``, ``cov``,
``corrcoef``.

Every quantile method of NumPy is, for a fixed order of the values, a fixed
combination ``(1 - t) x_(j) + t x_(j+1)`` of two order statistics, where ``j`` and ``t``
depend only on the count and ``q``: NumPy itself computes them, from the quantile of
``0, 1, ..., n - 1`` (which is ``j + t``). The gradient puts ``(1 - t) g`` and ``t g`` on
the two values that sat at sorted positions ``j`` and ``j + 1``; ties share nothing
special (the gradient of one valid ordering), as for ``sort``.
"""

from __future__ import annotations

import numpy as _onp

from minpy.core.tracing import unbox_all

from ._util import composite, defvjp, normalize_axes, np, shape_of


def _host(x):
    v = unbox_all(x)
    return v.asnumpy() if hasattr(v, "asnumpy") else _onp.asarray(v)


def _weights(n_valid, n, qs, method):
    """``W[r, k, i]``: the weight of sorted position ``k`` of row ``r`` in quantile
    ``qs[i]`` (rows with ``n_valid[r]`` values that are not NaN)."""
    w = _onp.zeros((len(n_valid), n, len(qs)))
    for count in _onp.unique(n_valid):
        rows = _onp.nonzero(n_valid == count)[0]
        if count == 0:
            continue
        pos = _onp.asarray(_onp.quantile(_onp.arange(count, dtype=float), qs,
                                         **_method_kw(method)), dtype=float)
        j = _onp.clip(_onp.floor(pos).astype(int), 0, count - 1)
        t = pos - j
        cols = _onp.arange(len(qs))
        for r in rows:
            w[r, j, cols] += 1.0 - t
            nxt = _onp.minimum(j + 1, count - 1)
            w[r, nxt, cols] += t
    return w


def _method_kw(method):
    if method in (None, "linear"):
        return {}
    try:
        _onp.quantile([0.0, 1.0], 0.5, method=method)
        return {"method": method}
    except TypeError:   # NumPy < 1.22 called it interpolation
        return {"interpolation": method}


def _quantile_vjp(x, qs_shape, qs, axis, keepdims, method, nan):
    shape = shape_of(x)
    nd = len(shape)
    axes = normalize_axes(axis, nd)
    rest = [i for i in range(nd) if i not in axes]
    rest_shape = tuple(shape[i] for i in rest)
    n = int(_onp.prod([shape[a] for a in axes], dtype=int)) if axes else 1
    order = rest + list(axes)
    host = _onp.transpose(_host(x), order).reshape(rest_shape + (n,))
    flat = host.reshape(-1, n)
    perm = _onp.argsort(flat, axis=-1, kind="stable")       # NaNs sort last
    n_valid = (n - _onp.isnan(flat).sum(axis=-1)) if nan else _onp.full(len(flat), n)
    w = _weights(n_valid, n, _onp.ravel(qs), method)        # (rows, n, Q)
    inv = _onp.argsort(perm, axis=-1)
    # the weight of each original position: w taken at the position's sorted rank
    w_orig = _onp.take_along_axis(w, inv[:, :, None], axis=1)   # (rows, n, Q)
    nq = int(_onp.prod(qs_shape, dtype=int))

    def vjp(g):
        gq = np.reshape(g, (nq,) + rest_shape if not keepdims else (nq,) + tuple(
            1 if i in axes else s for i, s in enumerate(shape)))
        gq = np.reshape(gq, (nq, -1))                                  # (Q, rows)
        contrib = np.sum(np.array(w_orig) * np.reshape(np.transpose(gq), (-1, 1, nq)),
                         axis=-1)                                      # (rows, n)
        full = np.reshape(contrib, rest_shape + tuple(shape[a] for a in axes))
        return np.transpose(full, tuple(_onp.argsort(order)))
    return vjp


def _quantile_maker(scale, nan, median=False):
    def maker(ans, a, *args, **kwargs):
        if median:
            q = 0.5
            axis = args[0] if args else kwargs.get("axis")
            keepdims = kwargs.get("keepdims", args[3] if len(args) > 3 else False)
            method = "linear"
        else:
            q = args[0] if args else kwargs["q"]
            axis = args[1] if len(args) > 1 else kwargs.get("axis")
            keepdims = kwargs.get("keepdims", args[5] if len(args) > 5 else False)
            method = kwargs.get("method", kwargs.get("interpolation",
                                                     args[4] if len(args) > 4 else "linear"))
            if kwargs.get("weights") is not None:
                raise NotImplementedError("no gradient rule for weighted quantiles")
        qs = _onp.asarray(_host(q), dtype=float) / scale
        return _quantile_vjp(a, qs.shape, qs, axis, keepdims, method, nan)
    return maker


defvjp("quantile", _quantile_maker(1.0, False))
defvjp("percentile", _quantile_maker(100.0, False))
defvjp("median", _quantile_maker(1.0, False, median=True))
defvjp("nanquantile", _quantile_maker(1.0, True))
defvjp("nanpercentile", _quantile_maker(100.0, True))
defvjp("nanmedian", _quantile_maker(1.0, True, median=True))


# -- compositions ---------------------------------------------------------------------
def _ptp(a, axis=None, out=None, keepdims=False):
    return np.max(a, axis=axis, keepdims=keepdims) - np.min(a, axis=axis, keepdims=keepdims)


composite("ptp", _ptp, (0,))


def _nan_zeroed(a, fill=0.0):
    return np.where(np.isnan(a), fill, a)


def _nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kw):
    present = 1.0 - np.isnan(a).astype("float64")
    count = np.sum(present, axis=axis, keepdims=True)
    mean = np.sum(_nan_zeroed(a), axis=axis, keepdims=True) / count
    dev = _nan_zeroed(a - mean)
    sq = dev * np.conj(dev) if a.dtype.kind == "c" else dev * dev
    out_ = np.sum(sq, axis=axis, keepdims=True) / (count - ddof)
    out_ = np.real(out_) if a.dtype.kind == "c" else out_
    if not keepdims:
        out_ = np.reshape(out_, shape_of(np.sum(present, axis=axis)))
    return out_


def _nanstd(a, *args, **kwargs):
    return np.sqrt(_nanvar(a, *args, **kwargs))


composite("nanvar", _nanvar, (0,))
composite("nanstd", _nanstd, (0,))
composite("nanprod", lambda a, axis=None, dtype=None, out=None, keepdims=False, **kw:
          np.prod(_nan_zeroed(a, 1.0), axis=axis, keepdims=keepdims), (0,))
composite("nancumsum", lambda a, axis=None, dtype=None, out=None:
          np.cumsum(_nan_zeroed(a), axis=axis), (0,))
composite("nancumprod", lambda a, axis=None, dtype=None, out=None:
          np.cumprod(_nan_zeroed(a, 1.0), axis=axis), (0,))


def _cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None,
         **kw):
    """NumPy's ``cov`` in ``minpy.numpy`` operations (its weighting formulas too)."""
    x = np.atleast_2d(m)
    if not rowvar and shape_of(x)[0] != 1:
        x = np.transpose(x)
    if y is not None:
        yy = np.atleast_2d(y)
        if not rowvar and shape_of(yy)[0] != 1:
            yy = np.transpose(yy)
        x = np.concatenate([x, yy], axis=0)
    n = shape_of(x)[1]
    if ddof is None:
        ddof = 0 if bias else 1
    w = None
    if fweights is not None:
        w = np.asarray(fweights, dtype=float)
    if aweights is not None:
        w = aweights if w is None else w * aweights
    if w is None:
        xc = x - np.mean(x, axis=1, keepdims=True)
        c = np.matmul(xc, np.conj(np.transpose(xc))) / (n - ddof)
    else:
        w_sum = np.sum(w)
        xc = x - np.reshape(np.sum(x * w, axis=1) / w_sum, (-1, 1))
        if ddof == 0:
            fact = w_sum
        elif aweights is None:
            fact = w_sum - ddof
        else:
            fact = w_sum - ddof * np.sum(w * aweights) / w_sum
        c = np.matmul(xc * w, np.conj(np.transpose(xc))) / fact
    return np.squeeze(c) if shape_of(c) == (1, 1) else c


def _corrcoef(x, y=None, rowvar=True, *args, **kwargs):
    c = _cov(x, y, rowvar)
    if len(shape_of(c)) == 0:
        return c / c
    d = np.sqrt(np.real(np.diagonal(c)))
    c = c / np.reshape(d, (-1, 1)) / np.reshape(d, (1, -1))
    return c     # (NumPy clips to [-1, 1] against rounding only: no effect on the gradient)


composite("cov", _cov, (0, 1, 6))  # 6: aweights (fweights are integers)
composite("corrcoef", _corrcoef, (0, 1))
