"""Every gradient rule, checked against finite differences to second order under both
the MXNet-preferring and the NumPy-only policies."""

import numpy as onp
import pytest

import minpy.numpy as np
from minpy.autograd.rules import BUILTIN
from minpy.autograd.testing import check_grads

R = onp.random.default_rng(42)


def rand(*shape):
    return R.standard_normal(shape)


_CONST = {}


def W(*shape):
    """A fixed weight array of this shape (the same on every call)."""
    if shape not in _CONST:
        _CONST[shape] = onp.random.default_rng(len(_CONST)).standard_normal(shape)
    return _CONST[shape]


def pos(*shape):
    return R.uniform(0.5, 2.0, shape)


def unit(*shape):
    return R.uniform(-0.8, 0.8, shape)


def spd(n):
    a = R.standard_normal((n, n))
    return a @ a.T + n * onp.eye(n)


def distinct(*shape):
    """Values with no ties (for max/min/sort)."""
    n = int(onp.prod(shape))
    return (R.permutation(n) + R.uniform(0.1, 0.4, n)).reshape(shape) / n


# (rule name, function, argument arrays). Several cases per rule where the rule has
# several code paths.
CASES = []


def case(name, fun, *args, id=None):
    CASES.append(pytest.param(name, fun, args, id=id or name))


# -- elementwise unary ---------------------------------------------------------------
for _n in ("negative", "positive", "exp", "expm1", "sin", "cos", "tan", "arctan", "sinh",
           "cosh", "tanh", "arcsinh", "square", "cbrt", "degrees", "radians", "rad2deg",
           "deg2rad", "conjugate", "conj", "real", "exp2", "sinc"):
    case(_n, getattr(np, _n), unit(3, 2))
for _n in ("log", "log2", "log10", "log1p", "sqrt", "reciprocal", "absolute", "abs",
           "fabs"):
    case(_n, getattr(np, _n), pos(3, 2))
case("abs", lambda x: np.abs(x), rand(4) + onp.sign(rand(4)), id="abs-mixed-sign")
for _n in ("arcsin", "arccos", "arctanh"):
    case(_n, getattr(np, _n), unit(3, 2))
case("arccosh", np.arccosh, pos(3) + 1.0)
for _n in ("sign", "floor", "ceil", "trunc", "rint", "fix", "round", "around"):
    case(_n, lambda x, f=getattr(np, _n): f(x) * x, rand(3) + 0.3, id=_n)
case("nan_to_num", np.nan_to_num, rand(3))
case("zeros_like", lambda x: np.zeros_like(x) + x * x, rand(3))
case("ones_like", lambda x: np.ones_like(x) * x, rand(3))
case("full_like", lambda x: np.full_like(x, 2.0) * x, rand(3))
case("empty_like", lambda x: np.sum(np.empty_like(x) * 0.0) + x, rand(3))
case("heaviside", lambda x: np.heaviside(x, 0.5) * x, rand(3))
case("floor_divide", lambda x, y: np.floor_divide(x, y) * x, pos(3) * 3, pos(3))

# -- binary -------------------------------------------------------------------------
for _n in ("add", "subtract", "multiply", "logaddexp", "logaddexp2", "maximum", "minimum",
           "fmax", "fmin", "hypot", "arctan2"):
    case(_n, getattr(np, _n), rand(3, 2), rand(3, 2))
    case(_n, getattr(np, _n), rand(3, 2), rand(2), id=_n + "-broadcast")
for _n in ("true_divide", "divide"):
    case(_n, getattr(np, _n), rand(3, 2), pos(1, 2))
for _n in ("power", "float_power"):
    case(_n, getattr(np, _n), pos(3, 2), rand(3, 2))
    case(_n, lambda x, f=getattr(np, _n): f(x, 3), rand(3, 2), id=_n + "-int-exponent")
case("power", lambda x: x ** 2.5, pos(4), id="power-operator")
case("power", lambda y: 2.0 ** y, rand(4), id="power-rpow")
for _n in ("mod", "remainder", "fmod"):
    case(_n, getattr(np, _n), pos(4) * 3, pos(4))
case("maximum", lambda x: np.maximum(x, 0.0), rand(5), id="maximum-relu")
case("copysign", np.copysign, pos(4), rand(4))
case("ldexp", lambda x: np.ldexp(x, 3), rand(4))
case("clip", lambda x: np.clip(x, -0.5, 0.5), rand(6) * 0.3 + 0.6 * onp.sign(rand(6)))
case("clip", lambda x, lo, hi: np.clip(x, lo, hi), onp.array([-2., 0.1, 2.]),
     onp.array([-1.0]), onp.array([1.0]), id="clip-bounds")
case("where", lambda x, y: np.where(x > 0, x, y), rand(5), rand(5))
case("where", lambda x, y: np.where(x > 0, x * 2.0, y), rand(2, 3), rand(3),
     id="where-broadcast")

# -- reductions ---------------------------------------------------------------------
for _n in ("sum", "mean"):
    f = getattr(np, _n)
    case(_n, f, rand(3, 4))
    case(_n, lambda x, f=f: f(x, axis=1), rand(3, 4), id=_n + "-axis")
    case(_n, lambda x, f=f: f(x, axis=(0, 2), keepdims=True), rand(2, 3, 2),
         id=_n + "-keepdims")
    case(_n, lambda x, m=_n: getattr(x, m)(axis=-1), rand(3, 4), id=_n + "-method")
case("prod", np.prod, pos(3, 2))
case("prod", lambda x: np.prod(x, axis=0), pos(3, 2), id="prod-axis")
for _n in ("max", "min", "amax", "amin", "nanmax", "nanmin"):
    case(_n, getattr(np, _n), distinct(3, 4))
    case(_n, lambda x, f=getattr(np, _n): f(x, axis=1), distinct(3, 4), id=_n + "-axis")
for _n in ("std", "var"):
    case(_n, getattr(np, _n), rand(3, 4))
    case(_n, lambda x, f=getattr(np, _n): f(x, axis=0, ddof=1), rand(3, 4),
         id=_n + "-axis-ddof")
case("cumsum", np.cumsum, rand(3, 2))
case("cumsum", lambda x: np.cumsum(x, axis=1), rand(3, 2), id="cumsum-axis")
case("cumprod", np.cumprod, pos(3, 2))
case("cumprod", lambda x: np.cumprod(x, axis=0), pos(3, 2), id="cumprod-axis")
case("trace", np.trace, rand(3, 3))
case("trace", lambda x: np.trace(x, 1, 1, 2), rand(2, 3, 4), id="trace-offset-axes")
case("linalg.norm", np.linalg.norm, rand(3, 2))
case("linalg.norm", lambda x: np.linalg.norm(x, axis=1), rand(3, 2), id="norm-axis")
case("average", np.average, rand(3, 2))
for _n in ("nansum", "nanmean"):
    case(_n, lambda x, f=getattr(np, _n): f(x) ** 2, rand(3, 4))
    case(_n, lambda x, f=getattr(np, _n): f(x, axis=(0, 2), keepdims=True) ** 2,
         rand(2, 3, 2), id=_n + "-axis-keepdims")
case("polyval", np.polyval, rand(4), rand(2, 3))
case("polyval", lambda p: np.polyval(p, 0.7), rand(3), id="polyval-scalar-x")
case("polyval", np.polyval, rand(1), rand(3), id="polyval-constant")

# -- products and linalg ------------------------------------------------------------
case("dot", np.dot, rand(3, 4), rand(4, 2))
case("dot", np.dot, rand(4), rand(4), id="dot-vec")
case("dot", np.dot, rand(3, 4), rand(4), id="dot-mat-vec")
case("dot", np.dot, rand(2, 3, 4), rand(5, 4, 2), id="dot-nd")
case("dot", np.dot, rand(3), rand(), id="dot-scalar")
case("dot", lambda a, b: a.dot(b), rand(2, 3), rand(3, 2), id="dot-method")
case("matmul", np.matmul, rand(3, 4), rand(4, 2))
case("matmul", lambda a, b: a @ b, rand(2, 3, 4), rand(4, 2), id="matmul-batch")
case("matmul", np.matmul, rand(4), rand(2, 4, 3), id="matmul-vec-left")
case("matmul", np.matmul, rand(2, 3, 4), rand(4), id="matmul-vec-right")
case("matmul", np.matmul, rand(4), rand(4), id="matmul-vec-vec")
case("tensordot", np.tensordot, rand(2, 3, 4), rand(3, 4, 5))
case("tensordot", lambda a, b: np.tensordot(a, b, axes=([0, 2], [2, 0])), rand(2, 3, 4),
     rand(4, 5, 2), id="tensordot-axes")
case("tensordot", lambda a, b: np.tensordot(a, b, axes=0), rand(2), rand(3),
     id="tensordot-outer")
case("einsum", lambda a, b: np.einsum("ij,jk->ik", a, b), rand(2, 3), rand(3, 4))
case("einsum", lambda a, b: np.einsum("ij,ij->i", a, b), rand(2, 3), rand(2, 3),
     id="einsum-rowdot")
case("einsum", lambda a: np.einsum("ij->", a), rand(2, 3), id="einsum-sum")
case("einsum", lambda a, b: np.einsum("ij,k", a, b), rand(2, 3), rand(2),
     id="einsum-implicit")
case("einsum", lambda a, b, c: np.einsum("ab,bc,cd->ad", a, b, c), rand(2, 3), rand(3, 2),
     rand(2, 2), id="einsum-chain")
case("einsum", lambda a, b: np.einsum("ij,jk->i", a, b), rand(2, 3), rand(3, 4),
     id="einsum-summed-only")
case("inner", np.inner, rand(3, 4), rand(2, 4))
case("inner", np.inner, rand(4), rand(4), id="inner-vec")
case("outer", np.outer, rand(3), rand(2, 2))
case("vdot", np.vdot, rand(2, 3), rand(6))
case("linalg.inv", np.linalg.inv, spd(3))
case("linalg.inv", np.linalg.inv, onp.stack([spd(3), spd(3)]), id="inv-batch")
case("linalg.det", np.linalg.det, spd(3))
case("linalg.det", np.linalg.det, onp.stack([spd(2), spd(2)]), id="det-batch")
case("linalg.slogdet", lambda a: np.linalg.slogdet(a)[1], spd(3))
case("linalg.slogdet", lambda a: np.linalg.slogdet(a), rand(3, 3), id="slogdet-tuple")
case("linalg.solve", np.linalg.solve, spd(3), rand(3))
case("linalg.solve", np.linalg.solve, spd(3), rand(3, 2), id="solve-matrix")
case("linalg.solve", np.linalg.solve, onp.stack([spd(3), spd(3)]), rand(2, 3, 2),
     id="solve-batch")
case("linalg.cholesky", lambda x: np.linalg.cholesky(x @ x.T + 3.0 * np.eye(3)), rand(3, 3))
case("linalg.eigh", lambda x: _eig_loss(x), rand(3, 3))
case("linalg.eigvalsh", lambda x: np.linalg.eigvalsh(x + x.T), rand(3, 3))

_C = rand(3, 3)


def _eig_loss(x):
    w, v = np.linalg.eigh(x + x.T)
    return np.sum(w * np.array([1.0, 2.0, 3.0])) + np.sum(v * v * _C)


case("kron", np.kron, rand(2, 3), rand(3, 2))
case("kron", lambda a, b: np.kron(a, b) ** 2, rand(3), rand(2, 1, 2), id="kron-ndim")
case("linalg.multi_dot", lambda a, b, c: np.linalg.multi_dot([a, b, c]), rand(2, 3),
     rand(3, 4), rand(4, 2))
case("linalg.multi_dot", lambda a, b, c: np.linalg.multi_dot([a, b, c]), rand(3),
     rand(3, 2), rand(2), id="multi_dot-vec-ends")
for _k in (0, 1, 3, -1, -2):
    case("linalg.matrix_power", lambda a, k=_k: np.linalg.matrix_power(a, k), spd(3),
         id=f"matrix_power-{_k}")
case("linalg.matrix_power", lambda a: np.linalg.matrix_power(a, 2), rand(2, 3, 3),
     id="matrix_power-batch")
case("cross", np.cross, rand(2, 3), rand(3))
case("cross", lambda a, b: np.cross(a, b, axisa=0, axisb=1, axisc=0), rand(3, 2),
     rand(2, 3), id="cross-axes")
case("linalg.svd", lambda x: _svd_loss(x), rand(3, 3))
case("linalg.svd", lambda x: _svd_loss(x), rand(4, 2), id="svd-tall")
case("linalg.svd", lambda x: _svd_loss(x), rand(2, 2, 3), id="svd-wide-batch")
case("linalg.svd", lambda x: np.linalg.svd(x, compute_uv=False), rand(3, 2),
     id="svd-values-only")
case("linalg.svd", lambda x: _usv(*np.linalg.svd(x, full_matrices=False)), rand(3, 2),
     id="svd-reconstruct")
case("linalg.pinv", np.linalg.pinv, rand(3, 2))
case("linalg.pinv", np.linalg.pinv, rand(2, 2, 3), id="pinv-wide-batch")
case("linalg.qr", lambda x: _qr_loss(x), rand(3, 3) + 3.0 * onp.eye(3))
case("linalg.qr", lambda x: _qr_loss(x), rand(4, 2), id="qr-tall")


def _svd_loss(x):
    """Invariant to the signs of the singular vectors."""
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    k = s.shape[-1]
    return (np.sum(s * np.arange(1.0, k + 1)) + np.sum(u * u * W(*u.shape))
            + np.sum(vh * vh * W(*vh.shape)))


def _usv(u, s, vh):
    return np.matmul(u * s[..., None, :], vh) ** 2


def _qr_loss(x):
    q, r = np.linalg.qr(x)
    return np.sum(q * W(*q.shape)) + np.sum(r * r * W(*r.shape))


# -- shape ------------------------------------------------------------------------------
case("reshape", lambda x: np.reshape(x, (3, 2)) * np.arange(6.0).reshape(3, 2), rand(2, 3))
case("reshape", lambda x: x.reshape(6, order="F") * np.arange(6.0), rand(2, 3),
     id="reshape-F")
case("transpose", lambda x: x.T * W(3, 2), rand(2, 3))
case("transpose", lambda x: np.transpose(x, (2, 0, 1)) * W(4, 2, 3), rand(2, 3, 4),
     id="transpose-axes")
case("swapaxes", lambda x: np.swapaxes(x, 0, 2) * W(4, 3, 2), rand(2, 3, 4))
case("moveaxis", lambda x: np.moveaxis(x, 0, -1) * W(3, 4, 2), rand(2, 3, 4))
case("expand_dims", lambda x: np.expand_dims(x, 1) * W(2, 1, 3), rand(2, 3))
case("squeeze", lambda x: np.squeeze(x) * W(2, 3), rand(2, 1, 3))
case("ravel", lambda x: np.ravel(x) * W(6), rand(2, 3))
case("atleast_2d", lambda x: np.atleast_2d(x) * W(1, 3), rand(3))
case("flip", lambda x: np.flip(x, 0) * W(2, 3), rand(2, 3))
case("fliplr", lambda x: np.fliplr(x) * W(2, 3), rand(2, 3))
case("flipud", lambda x: np.flipud(x) * W(2, 3), rand(2, 3))
case("rot90", lambda x: np.rot90(x) * W(3, 2), rand(2, 3))
case("broadcast_to", lambda x: np.broadcast_to(x, (4, 3)) * W(4, 3), rand(3))
case("tile", lambda x: np.tile(x, (2, 3)) * W(4, 9), rand(2, 3))
case("tile", lambda x: np.tile(x, 2) * W(2, 6), rand(2, 3), id="tile-int")
case("repeat", lambda x: np.repeat(x, 2) * W(12), rand(2, 3))
case("repeat", lambda x: np.repeat(x, 2, axis=1) * W(2, 6), rand(2, 3), id="repeat-axis")
case("repeat", lambda x: np.repeat(x, [1, 3], axis=0) * W(4, 3), rand(2, 3),
     id="repeat-list")
case("roll", lambda x: np.roll(x, 1) * W(2, 3), rand(2, 3))
case("roll", lambda x: np.roll(x, (1, 2), axis=(0, 1)) * W(2, 3), rand(2, 3),
     id="roll-axes")
case("concatenate", lambda a, b: np.concatenate([a, b], axis=1) * W(2, 5), rand(2, 3),
     rand(2, 2))
case("concatenate", lambda a, b: np.concatenate([a, b], axis=None) * W(10), rand(2, 3),
     rand(2, 2), id="concatenate-none")
case("stack", lambda a, b: np.stack([a, b], axis=1) * W(2, 2, 3), rand(2, 3), rand(2, 3))
case("vstack", lambda a, b: np.vstack([a, b]) * W(3, 3), rand(3), rand(2, 3))
case("row_stack", lambda a, b: np.vstack((a, b)) * W(3, 3), rand(3), rand(2, 3))
case("hstack", lambda a, b: np.hstack([a, b]) * W(5), rand(3), rand(2))
case("hstack", lambda a, b: np.hstack([a, b]) * W(2, 5), rand(2, 3), rand(2, 2),
     id="hstack-2d")
case("dstack", lambda a, b: np.dstack([a, b]) * W(2, 3, 2), rand(2, 3), rand(2, 3))
case("column_stack", lambda a, b: np.column_stack([a, b]) * W(3, 3), rand(3),
     rand(3, 2))
case("split", lambda x: np.split(x, 3, axis=1)[0] * 2.0 + np.split(x, 3, axis=1)[2],
     rand(2, 6))
case("split", lambda x: np.split(x, [1, 3]), rand(5), id="split-all-outputs")
case("array_split", lambda x: np.array_split(x, 2)[1], rand(5))
case("hsplit", lambda x: np.hsplit(x, 2)[1], rand(2, 4))
case("vsplit", lambda x: np.vsplit(x, 2)[0], rand(4, 2))
case("dsplit", lambda x: np.dsplit(x, 2)[1], rand(2, 2, 4))
case("append", lambda a, b: np.append(a, b) * W(7), rand(2, 2), rand(3))
case("append", lambda a, b: np.append(a, b, axis=0) * W(3, 2), rand(2, 2), rand(1, 2),
     id="append-axis")
case("pad", lambda x: np.pad(x, 1) * W(4, 5), rand(2, 3))
case("pad", lambda x: np.pad(x, ((1, 0), (0, 2))) * W(3, 5), rand(2, 3), id="pad-widths")
case("tril", lambda x: np.tril(x) * W(3, 3), rand(3, 3))
case("triu", lambda x: np.triu(x, 1) * W(3, 3), rand(3, 3))
case("diagonal", lambda x: np.diagonal(x) * W(3), rand(3, 4))
case("diagonal", lambda x: np.diagonal(x, 1, 2, 0) * W(3, 2), rand(3, 3, 4),
     id="diagonal-axes")
case("diag", lambda x: np.diag(x) * W(3, 3), rand(3))
case("diag", lambda x: np.diag(x, -1) * W(2), rand(3, 3), id="diag-extract")
case("diagflat", lambda x: np.diagflat(x) * W(4, 4), rand(2, 2))
case("diagflat", lambda x: np.diagflat(x, -1) * W(4, 4), rand(3), id="diagflat-k")
case("diff", lambda x: np.diff(x) ** 2, rand(3, 4))
case("diff", lambda x: np.diff(x, 2, axis=0) ** 2, rand(4, 3), id="diff-n-axis")
case("diff", lambda x: np.diff(x, prepend=1.0, append=onp.ones((3, 2))) ** 2, rand(3, 4),
     id="diff-prepend-append")
case("ediff1d", lambda x: np.ediff1d(x) ** 2, rand(2, 3))
case("ediff1d", lambda x: np.ediff1d(x, to_end=[1.0, 2.0], to_begin=3.0) ** 2, rand(4),
     id="ediff1d-ends")
case("copy", lambda x: np.copy(x) * x, rand(3))
case("array", lambda x: np.array(x) * x, rand(3))
case("astype", lambda x: x.astype(np.float64) * x, rand(3))
case("ascontiguousarray", lambda x: np.ascontiguousarray(x) * x, rand(3))
case("asfortranarray", lambda x: np.asfortranarray(x) * x, rand(2, 2))
case("atleast_1d", lambda x: np.atleast_1d(x) * 2.0, rand())
case("atleast_3d", lambda x: np.atleast_3d(x) * W(1, 3, 1), rand(3))

# -- indexing ----------------------------------------------------------------------
case("getitem", lambda x: x[1:, ::2], rand(3, 4))
case("getitem", lambda x: x[onp.array([0, 2, 0])], rand(3, 2), id="getitem-advanced-repeat")
case("getitem", lambda x: x[x > 0], rand(6), id="getitem-mask")
case("getitem", lambda x: x[..., None, 1], rand(2, 3), id="getitem-ellipsis")
case("getitem", lambda x: x[np.array([1, 0]), 1:], rand(3, 3), id="getitem-mixed")
case("take", lambda x: np.take(x, [0, 2, 2]), rand(2, 2))
case("take", lambda x: np.take(x, onp.array([1, 0]), axis=1), rand(2, 3), id="take-axis")
case("take_along_axis", lambda x: np.take_along_axis(x, onp.array([[0, 0], [1, 0]]), axis=1),
     rand(2, 2))
case("sort", lambda x: np.sort(x) * W(2, 4), distinct(2, 4))
case("sort", lambda x: np.sort(x, axis=0) * W(2, 4), distinct(2, 4), id="sort-axis0")
case("sort", lambda x: np.sort(x, axis=None) * W(8), distinct(2, 4), id="sort-none")
case("msort", lambda x: np.sort(x, axis=0) * W(3, 2), distinct(3, 2))


def _index_add_fn(a, v):
    from minpy.autograd import index_add
    return index_add(a, (onp.array([0, 1, 0]),), v) ** 2


def _index_update_fn(a, v):
    from minpy.autograd import index_update
    return index_update(a, (slice(1, 3),), v) ** 2


case("autograd.index_add", _index_add_fn, rand(3, 2), rand(3, 2))
case("autograd.index_update", _index_update_fn, rand(4, 2), rand(2))


# -- NumPy 2 aliases (the rule of the op they alias) ----------------------------------
if hasattr(onp, "acos"):
    for _n in ("asin", "acos", "atanh"):
        case(_n, getattr(np, _n), unit(3, 2))
    case("acosh", np.acosh, pos(3) + 1.0)
    for _n in ("asinh", "atan"):
        case(_n, getattr(np, _n), rand(3, 2))
    case("atan2", np.atan2, rand(3, 2), rand(2))
    case("pow", np.pow, pos(3, 2), rand(3, 2))
    case("concat", lambda a, b: np.concat([a, b], axis=1) * W(2, 5), rand(2, 3), rand(2, 2))
    case("permute_dims", lambda x: np.permute_dims(x, (2, 0, 1)) * W(4, 2, 3),
         rand(2, 3, 4))


@pytest.mark.parametrize("name, fun, args", CASES)
def test_rule(name, fun, args, policy):
    check_grads(fun, *args, order=2)


def test_every_rule_is_checked():
    covered = {c.values[0] for c in CASES}
    from minpy.autograd.rules.aliases import ALIASES
    absent = {a for a in ALIASES if not hasattr(onp, a)}   # NumPy 1 has no acos, ...
    missing = sorted(BUILTIN - covered - absent)
    assert not missing, f"rules without a finite-difference case: {missing}"
