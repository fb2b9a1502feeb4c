"""Every rule that accepts complex input, against complex finite differences to second
order, in HIPS Autograd's convention (for real ``L`` of ``z = x + iy`` the gradient is
``dL/dx - i dL/dy``): :func:`minpy.autograd.testing.check_complex_grads`.

:data:`REAL_ONLY` lists the rules whose NumPy function takes no complex input (or
orders values, which complex numbers do not allow), with the reason;
``test_every_complex_rule_is_checked`` fails when a rule is in neither."""

import numpy as onp
import pytest

import minpy.numpy as np
from minpy.autograd import grad
from minpy.autograd.rules import BUILTIN
from minpy.autograd.testing import check_complex_grads

R = onp.random.default_rng(7)


def c(*shape):
    return R.standard_normal(shape) + 1j * R.standard_normal(shape)


def gen(n, *batch):
    """A general complex square matrix (neither symmetric nor Hermitian), well
    conditioned: a rule missing a transpose or a conjugate is wrong on it."""
    return c(*batch, n, n) + 2 * n * onp.eye(n)


def r(*shape):
    return R.standard_normal(shape)


def herm(n):
    a = c(n, n)
    return a + a.conj().T + 2 * n * onp.eye(n)


_W = {}


def W(*shape):
    if shape not in _W:
        _W[shape] = onp.random.default_rng(len(_W)).standard_normal(shape) * (1 + 0.5j)
    return _W[shape]


CASES = []


def case(name, fun, *args, id=None):
    CASES.append(pytest.param(name, fun, args, id=id or name))


_ORDERED = "ordering or rounding: complex numbers have no order (NumPy rejects them)"
_REAL = "NumPy's function takes real input only"
REAL_ONLY = {n: _ORDERED for n in """
    sign floor ceil trunc rint fix round around round_ floor_divide heaviside maximum
    minimum fmax fmin mod remainder fmod divmod clip max min amax amin nanmax nanmin
    sort msort partition ptp median quantile percentile nanmedian nanquantile
    nanpercentile unique unique_values unique_all unique_counts unique_inverse union1d
    intersect1d setdiff1d setxor1d copysign nextafter spacing frexp modf i0 unwrap
    interp cummax histogram""".split()}
REAL_ONLY.update({n: _REAL for n in """
    arctan2 atan2 hypot logaddexp logaddexp2 ldexp cbrt degrees rad2deg radians deg2rad
    fabs nan_to_num kaiser arange linalg.cond fft.rfft fft.rfft2 fft.rfftn fft.ihfft
    fft.fftfreq fft.rfftfreq random.normal random.laplace random.logistic random.gumbel
    random.uniform random.lognormal random.exponential random.rayleigh geomspace
    logspace linspace bincount gradient polyfit roots poly vander trapezoid trapz
    polydiv""".split()})

# elementwise
for _n in ("negative", "positive", "conjugate", "conj", "real", "imag", "angle", "abs",
           "absolute", "exp", "exp2", "expm1", "sin", "cos", "tan", "arctan", "sinh", "cosh",
           "tanh", "arcsinh", "square", "reciprocal", "log", "log2", "log10", "log1p",
           "sqrt", "arcsin", "arccos", "arctanh", "arccosh", "sinc", "real_if_close",
           "asin", "acos", "atan", "asinh", "acosh", "atanh"):
    case(_n, getattr(np, _n, None) or (lambda z: z), c(3) * 0.5 + 0.3)
for _n in ("add", "subtract", "multiply", "divide", "true_divide", "power", "float_power",
           "pow"):
    case(_n, getattr(np, _n, None) or (lambda a, b: a), c(2, 3), c(3) + 2.0)
case("where", lambda a, b: np.where(onp.array([True, False, True]), a, b), c(3), c(3))
case("real_if_close", lambda z: np.real_if_close(z * 1.0), c(3), id="real_if_close-complex")

# reductions
for _n in ("sum", "mean", "prod", "var", "std", "cumsum", "cumprod", "nansum", "nanmean",
           "nanprod", "nancumsum", "nancumprod", "nanvar", "nanstd", "average",
           "cumulative_sum", "cumulative_prod"):
    case(_n, lambda z, f=getattr(np, _n): f(z, axis=0), c(3, 2))
case("trace", np.trace, c(3, 3))
case("linalg.trace", np.linalg.trace, c(2, 3, 3))
for _o in (None, 1, 3, onp.inf, "fro", "nuc", 2, -2):
    case("linalg.norm", lambda z, o=_o: np.linalg.norm(z, o, axis=None if o in (
        None, "fro", "nuc", 2, -2) else 1), c(3, 3), id=f"norm-{_o}")
case("linalg.vector_norm", lambda z: np.linalg.vector_norm(z, ord=3), c(4))
case("linalg.matrix_norm", lambda z: np.linalg.matrix_norm(z, ord="nuc"), c(2, 3))
case("cov", np.cov, c(2, 4))
case("corrcoef", np.corrcoef, c(2, 4))

# products and linear algebra
case("vdot", np.vdot, c(2, 3), c(6))
for _n in ("dot", "matmul", "inner", "kron", "linalg.matmul"):
    case(_n, lambda a, b, f=_n: eval("np." + f)(a, b), c(2, 3), c(3, 3))
case("outer", np.outer, c(3), c(2))
case("linalg.outer", np.linalg.outer, c(3), c(2))
case("tensordot", lambda a, b: np.tensordot(a, b, 1), c(2, 3), c(3, 2))
case("linalg.tensordot", lambda a, b: np.linalg.tensordot(a, b, axes=1), c(2, 3), c(3, 2))
case("einsum", lambda a, b: np.einsum("...ij,jk->...ik", a, b), c(2, 2, 3), c(3, 2))
case("cross", np.cross, c(3), c(2, 3))
case("linalg.cross", np.linalg.cross, c(3), c(2, 3))
case("vecdot", np.vecdot, c(2, 3), c(3))
case("linalg.vecdot", np.linalg.vecdot, c(2, 3), c(3))
case("matvec", np.matvec, c(2, 3), c(3))
case("vecmat", np.vecmat, c(2), c(2, 3))
case("linalg.multi_dot", lambda a, b, d: np.linalg.multi_dot([a, b, d]), c(2, 3), c(3, 3),
     c(3))
case("linalg.inv", np.linalg.inv, herm(3))
case("linalg.det", np.linalg.det, herm(3))
case("linalg.slogdet", lambda a: np.linalg.slogdet(a)[1], herm(3))
case("linalg.solve", np.linalg.solve, herm(3), c(3, 2))
case("linalg.matrix_power", lambda a: np.linalg.matrix_power(a, -2), herm(2))
case("linalg.inv", np.linalg.inv, gen(3), id="inv-general")
case("linalg.inv", np.linalg.inv, gen(2, 2), id="inv-general-batch")
case("linalg.det", np.linalg.det, gen(3), id="det-general")
case("linalg.det", np.linalg.det, gen(2, 2), id="det-general-batch")
case("linalg.slogdet", lambda a: np.linalg.slogdet(a)[1], gen(3), id="slogdet-general")
case("linalg.slogdet", lambda a: np.linalg.slogdet(a)[0], gen(3), id="slogdet-sign-general")
case("linalg.solve", np.linalg.solve, gen(3), c(3), id="solve-general")
case("linalg.solve", np.linalg.solve, gen(3, 2), c(2, 3, 2), id="solve-general-batch")
for _k in (2, 3, -1, -2):
    case("linalg.matrix_power", lambda a, k=_k: np.linalg.matrix_power(a, k), gen(2),
         id=f"matrix_power-general-{_k}")
case("linalg.pinv", np.linalg.pinv, gen(3), id="pinv-general-square")
case("linalg.cholesky", np.linalg.cholesky, herm(3))
case("linalg.eigh", lambda a: (lambda w, v: (w, np.abs(v) ** 2))(*np.linalg.eigh(a)),
     herm(3))
case("linalg.eigvalsh", lambda a: np.linalg.eigvalsh(a, "U"), herm(3))
case("linalg.eig", lambda a: (lambda w, v: (w, np.abs(v) ** 2))(*np.linalg.eig(a)), c(3, 3))
case("linalg.eigvals", np.linalg.eigvals, c(3, 3))
case("linalg.svd", lambda a: (lambda u, s, vh: (np.abs(u) ** 2, s, np.abs(vh) ** 2))(
    *np.linalg.svd(a, full_matrices=False)), c(3, 2))
case("linalg.svdvals", np.linalg.svdvals, c(2, 3))
case("linalg.pinv", np.linalg.pinv, c(3, 2))
case("linalg.lstsq", lambda a, b: np.linalg.lstsq(a, b, rcond=None)[:2], c(4, 2), c(4))
case("linalg.qr", lambda a: np.linalg.qr(a)[1].real, r(3, 2))   # real rule, complex out
case("linalg.tensorinv", lambda a: np.linalg.tensorinv(a, 1), c(4, 2, 2) + onp.eye(
    4).reshape(4, 2, 2) * 3)
case("linalg.tensorsolve", np.linalg.tensorsolve, c(2, 2, 4) + onp.eye(4).reshape(
    2, 2, 4) * 3, c(2, 2))
case("polyval", np.polyval, c(3), c(2))
for _n in ("polyadd", "polysub", "polymul"):
    case(_n, getattr(np, _n), c(3), c(2))
case("polyder", np.polyder, c(4))
case("polyint", np.polyint, c(3))
case("convolve", np.convolve, c(4), c(2))
case("correlate", lambda a, v: np.correlate(a, v, "same"), c(2), c(4))

# fft
for _n in ("fft", "ifft"):
    case("fft." + _n, lambda z, f=getattr(np.fft, _n): f(z, 5, norm="ortho"), c(4))
for _n in ("fft2", "ifft2", "fftn", "ifftn"):
    case("fft." + _n, lambda z, f=getattr(np.fft, _n): f(z, s=(2, 4)), c(3, 3))
case("fft.irfft", lambda z: np.fft.irfft(z, 5), c(4))
case("fft.irfft2", lambda z: np.fft.irfft2(z, s=(3, 4), norm="forward"), c(3, 3))
case("fft.irfftn", lambda z: np.fft.irfftn(z), c(2, 3))
case("fft.hfft", lambda z: np.fft.hfft(z, 6), c(4))
case("fft.fftshift", np.fft.fftshift, c(3, 4))
case("fft.ifftshift", np.fft.ifftshift, c(3, 4))

# shape, joins, indexing: linear maps, the same rules for complex values
for _n, _f in {
        "reshape": lambda z: np.reshape(z, (3, 2)), "ravel": np.ravel,
        "transpose": np.transpose, "permute_dims": lambda z: np.permute_dims(z, (1, 0)),
        "swapaxes": lambda z: np.swapaxes(z, 0, 1), "moveaxis": lambda z: np.moveaxis(z, 0, 1),
        "rollaxis": lambda z: np.rollaxis(z, 1), "expand_dims": lambda z: np.expand_dims(z, 0),
        "squeeze": lambda z: np.squeeze(z[None]), "atleast_1d": np.atleast_1d,
        "atleast_2d": np.atleast_2d, "atleast_3d": np.atleast_3d,
        "ascontiguousarray": np.ascontiguousarray, "asfortranarray": np.asfortranarray,
        "copy": np.copy, "asarray_chkfinite": np.asarray_chkfinite, "require": np.require,
        "astype": lambda z: z.astype(complex, copy=True), "flip": np.flip,
        "fliplr": np.fliplr, "flipud": np.flipud, "rot90": np.rot90,
        "broadcast_to": lambda z: np.broadcast_to(z, (2, 2, 3)),
        "tile": lambda z: np.tile(z, 2), "repeat": lambda z: np.repeat(z, 2, axis=0),
        "roll": lambda z: np.roll(z, 1), "tril": np.tril, "triu": np.triu,
        "diagonal": np.diagonal, "linalg.diagonal": np.linalg.diagonal, "diag": np.diag,
        "diagflat": np.diagflat, "diff": np.diff, "ediff1d": np.ediff1d,
        "pad": lambda z: np.pad(z, 1, mode="reflect"), "matrix_transpose": np.matrix_transpose,
        "linalg.matrix_transpose": np.linalg.matrix_transpose,
        "getitem": lambda z: z[onp.array([1, 1, 0]), 1:],
        "take": lambda z: np.take(z, [0, 5, 5]),
        "take_along_axis": lambda z: np.take_along_axis(z, onp.array([[0, 2]]), 1),
        "sort_complex": lambda z: np.sort_complex(z[0]), "delete": lambda z: np.delete(z, 1, 1),
        "resize": lambda z: np.resize(z, (4, 2)), "trim_zeros": lambda z: np.trim_zeros(z[0]),
        "compress": lambda z: np.compress([1, 0], z, axis=0),
        "extract": lambda z: np.extract(onp.array([[1, 0, 1], [0, 1, 1]]), z),
        "unstack": np.unstack, "block": lambda z: np.block([z[0], z[1]]),
        "split": lambda z: np.split(z, 3, axis=1), "array_split": lambda z: np.array_split(z, 2),
        "hsplit": lambda z: np.hsplit(z, 3), "vsplit": lambda z: np.vsplit(z, 2),
        "broadcast_arrays": lambda z: np.broadcast_arrays(z, z[:1]),
        "full_like": lambda z: np.full_like(z, 2.0) * z,
        "zeros_like": lambda z: np.zeros_like(z) + z, "ones_like": lambda z: np.ones_like(z) * z,
        "empty_like": lambda z: np.empty_like(z) * 0 + z}.items():
    case(_n, _f, c(2, 3))
case("dsplit", lambda z: np.dsplit(z, 2), c(1, 2, 4))
for _n in ("concatenate", "concat", "stack", "vstack", "row_stack", "hstack", "dstack",
           "column_stack"):
    if hasattr(onp, _n):
        case(_n, lambda a, b, f=getattr(np, _n): f([a, b]), c(2, 3), c(2, 3))
case("append", np.append, c(2, 2), c(3))
case("insert", lambda a, v: np.insert(a, 1, v), c(3), c(2))
case("select", lambda a, b: np.select([onp.array([1, 0, 0]) > 0], [a], b), c(3), c(3))
case("choose", lambda a, b: np.choose(onp.array([0, 1, 1]), [a, b]), c(3), c(3))
case("meshgrid", np.meshgrid, c(3), c(2))
case("full", lambda v: np.full((2, 2), v), c(2))
case("autograd.index_add", lambda a, v: __import__("minpy.autograd").autograd.index_add(
    a, (onp.array([0, 1, 0]),), v), c(3, 2), c(3, 2))
case("autograd.scatter_add", lambda v: __import__(
    "minpy.autograd._indexops").autograd._indexops.scatter_add(
    v, (onp.array([0, 1, 0]),), (2, 2)), c(3, 2))
case("autograd.index_update", lambda a, v: __import__(
    "minpy.autograd").autograd.index_update(a, (slice(1, 3),), v), c(4, 2), c(2))


@pytest.mark.parametrize("name, fun, args", CASES)
def test_complex_rule(name, fun, args):
    check_complex_grads(fun, *args, order=2)


def test_every_complex_rule_is_checked():
    from minpy.numpy._table import numpy_function
    covered = {p.values[0] for p in CASES}
    absent = {n for n in BUILTIN if numpy_function(n) is None and not n.startswith(
        "autograd.") and n != "getitem" and n != "astype"}
    missing = sorted(BUILTIN - covered - set(REAL_ONLY) - absent)
    assert not missing, f"rules neither checked with complex input nor real-only: {missing}"
    both = sorted(covered & set(REAL_ONLY))
    assert not both, f"listed as real-only but checked with complex input: {both}"


def test_the_issue_repros():
    """The convention on the issue's examples (values from HIPS Autograd)."""
    g = grad(np.abs)(1.1 + 1.2j)
    assert abs(g - (0.6757246285173464 - 0.7371541402007414j)) < 1e-12
    assert grad(lambda z: np.real(z * np.conj(z)))(1.1 + 1.2j) == 2.2 - 2.4j
    z = onp.array([1 + 2j, -0.5 + 0.1j, 0.3 - 1j])
    g = grad(lambda z: np.var(z))(z)
    assert onp.allclose(g.asnumpy(), 2 * onp.conj(z - z.mean()) / 3)
