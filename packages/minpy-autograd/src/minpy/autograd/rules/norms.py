"""Rules of the norms: ``linalg.norm`` for every ``ord`` NumPy accepts (vector: any
real ``p``, ``inf``, ``-inf``, 0; matrix: ``'fro'``, ``'nuc'``, 1, -1, 2, -2, ``inf``,
``-inf``), ``linalg.vector_norm``, ``linalg.matrix_norm`` and ``linalg.cond``.

Where the norm is a max or a min (``inf``, ``1``, ``2`` ...) ties share the gradient
equally, as for ``max``; where ``|x|`` is 0 the gradient is 0 (a subgradient). Complex
input follows HIPS Autograd's convention: ``|z|``'s gradient is ``conj(z) / |z|``.
"""

from __future__ import annotations

import math

from ._util import defvjp, expand_reduced, keep_reduced, np, shape_of


def _sgn(x):
    """The gradient of ``|x|`` elementwise: sign(x), conj(x) / |x| for complex x."""
    if x.dtype.kind == "c":
        mag = np.abs(x)
        return np.conj(x) / np.where(mag == 0, 1.0, mag)
    return np.sign(x)


def _share(values, extremum, axis):
    """1 / (number of ties) where ``values`` equals its ``extremum`` along ``axis``."""
    mask = np.equal(values, extremum).astype(values.dtype)
    return mask / np.sum(mask, axis=axis, keepdims=True)


def _two_norm_vjp(g, x, axes, keepdims, ans):
    """The 2-norm's (Frobenius norm's) gradient ``g conj(x) / norm`` (0 where the norm
    is 0): the division on the reduced values, then one full-size product."""
    xs = np.conj(x) if x.dtype.kind == "c" else x
    scale = g / np.where(ans == 0, 1.0, ans)
    return xs * keep_reduced(scale, shape_of(x), axes, keepdims)


def _vector_vjp(g, x, ord, axis, keepdims, ans):
    if ord == 2 or ord is None:
        return _two_norm_vjp(g, x, axis, keepdims, ans)
    shape = shape_of(x)
    ge = expand_reduced(g, shape, axis, keepdims)
    ae = expand_reduced(ans, shape, axis, keepdims)
    return _flat_vector_vjp(ge, ae, x, ord, axis)


def _matrix_vjp(g, x, ord, axes, keepdims, ans):
    shape = shape_of(x)
    nd = len(shape)
    r, c = axes[0] % nd, axes[1] % nd
    if ord is None or ord == "fro":
        return _two_norm_vjp(g, x, (r, c), keepdims, ans)
    ge = expand_reduced(g, shape, (r, c), keepdims)
    if ord in ("nuc", 2, -2):
        xm = np.moveaxis(x, (r, c), (-2, -1))
        u, s, vh = np.linalg.svd(xm, full_matrices=False)
        if ord == "nuc":
            d = np.matmul(u, vh)
        else:
            k = 0 if ord == 2 else shape_of(s)[-1] - 1
            d = np.matmul(u[..., :, k:k + 1], vh[..., k:k + 1, :])
        if x.dtype.kind == "c":
            d = np.conj(d)
        return ge * np.moveaxis(d, (-2, -1), (r, c))
    mag = np.abs(x)
    if ord in (1, -1):       # max / min over columns of the column sums of |x|
        sums = np.sum(mag, axis=r, keepdims=True)
    elif ord in (math.inf, -math.inf):   # over rows of the row sums
        sums = np.sum(mag, axis=c, keepdims=True)
    else:
        raise ValueError(f"Invalid norm order {ord!r} for matrices.")
    other = c if ord in (1, -1) else r
    best = np.max(sums, axis=other, keepdims=True) if ord in (1, math.inf) else np.min(
        sums, axis=other, keepdims=True)
    return ge * _share(sums, best, other) * _sgn(x)


def _norm_vjp(ans, x, ord, axis, keepdims):
    nd = len(shape_of(x))
    if axis is None:
        if ord is None:      # the 2-norm of all elements
            return lambda g: _vector_vjp(g, x, None, None, keepdims, ans)
        axis = tuple(range(nd))
    if isinstance(axis, int) or len(tuple(axis)) == 1:
        ax = axis if isinstance(axis, int) else tuple(axis)[0]
        return lambda g: _vector_vjp(g, x, ord, ax % nd, keepdims, ans)
    return lambda g: _matrix_vjp(g, x, ord, tuple(axis), keepdims, ans)


def _norm(ans, x, ord=None, axis=None, keepdims=False):
    return _norm_vjp(ans, x, ord, axis, keepdims)


def _vector_norm(ans, x, *, axis=None, keepdims=False, ord=2):
    nd = len(shape_of(x))
    if axis is None or (not isinstance(axis, int) and len(tuple(axis)) != 1):
        # several axes: the vector norm of those axes flattened
        axes = tuple(range(nd)) if axis is None else tuple(a % nd for a in axis)

        def vjp(g):
            if ord == 2 or ord is None:
                return _two_norm_vjp(g, x, axes, keepdims, ans)
            ge = expand_reduced(g, shape_of(x), axes, keepdims)
            ae = expand_reduced(ans, shape_of(x), axes, keepdims)
            return _flat_vector_vjp(ge, ae, x, ord, axes)
        return vjp
    ax = axis if isinstance(axis, int) else tuple(axis)[0]
    return lambda g: _vector_vjp(g, x, ord, ax % nd, keepdims, ans)


def _flat_vector_vjp(ge, ae, x, ord, axes):
    """The vector-norm gradient over several axes, given the expanded g and norm."""
    if ord == 2 or ord is None:
        xs = np.conj(x) if x.dtype.kind == "c" else x
        return ge * xs / np.where(ae == 0, 1.0, ae)
    if ord == 0:
        return ge * 0.0 * x
    mag = np.abs(x)
    if ord == 1:
        return ge * _sgn(x)
    if ord in (math.inf, -math.inf):
        return ge * _share(mag, ae, axes) * _sgn(x)
    p = float(ord)
    # d (sum |x|^p)^(1/p) = |x|^(p-1) sgn(x) / norm^(p-1); 0 where |x| = 0.
    safe = np.where(mag == 0, 1.0, mag)
    scale = np.where(mag == 0, 0.0, safe ** (p - 1.0)) / np.where(ae == 0, 1.0, ae) ** (
        p - 1.0)
    return ge * scale * _sgn(x)


def _matrix_norm(ans, x, *, keepdims=False, ord="fro"):
    return lambda g: _matrix_vjp(g, x, ord, (-2, -1), keepdims, ans)


defvjp("linalg.norm", _norm)
defvjp("linalg.vector_norm", _vector_norm)
defvjp("linalg.matrix_norm", _matrix_norm)
