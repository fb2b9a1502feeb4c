"""One test per row of docs/deviations.rst: each documented deviation from NumPy is
exactly what happens, no more."""

import numpy
import pytest

import minpy.numpy as np
from minpy.core import Array, mxnet_available

needs_mxnet = pytest.mark.skipif(not mxnet_available(), reason="MXNet is not installed")


def test_reductions_return_0d_arrays():
    a = np.arange(6.0).reshape(2, 3)
    for scalar in (a.sum(), np.max(a), a[1, 2]):
        assert isinstance(scalar, Array) and scalar.shape == ()
        assert not isinstance(scalar, float)
    assert float(a.sum()) == 15.0 and a.sum() == 15.0 and f"{a[1, 2]:.1f}" == "5.0"
    assert type(a[1, 2].item()) is float
    assert str(a.sum()) == str(numpy.arange(6.0).sum())


def test_ndarray_is_array():
    assert np.ndarray is Array
    assert isinstance(np.zeros(2), np.ndarray)
    assert not isinstance(numpy.zeros(2), np.ndarray)
    assert not isinstance(np.zeros(2), numpy.ndarray)


def test_asarray_is_read_only():
    x = np.zeros(3)
    view = numpy.asarray(x)
    with pytest.raises(ValueError):
        view[0] = 1
    copy = x.asnumpy()
    copy[0] = 1
    assert x.tolist() == [0, 0, 0]


#: The tolerances docs/deviations.rst states for MXNet's float results (the conformance
#: suite's constants, conformance/harness.py; conformance/test_coverage.py checks the page
#: against them): results within ULPS ulps of NumPy's at inputs perturbed by at most
#: BACKWARD_ULPS ulps (elementwise), within ACCUMULATE n eps f(|x|) (sums, dot-like
#: ops), within LINALG n eps cond(A) ||result|| (linear algebra).
ULPS, BACKWARD_ULPS, ACCUMULATE, LINALG = 4, 4, 2, 10


def _on_mxnet(name, *arrays, fn=None):
    """MinPy's ``name`` run on MXNet and NumPy's: (MinPy's values in float64, NumPy's
    result), after checking dtype and shape are exactly NumPy's."""
    mine = fn or getattr(np, name.split(".")[0])
    ref_fn = fn or getattr(numpy, name.split(".")[0])
    for part in name.split(".")[1:]:
        mine, ref_fn = getattr(mine, part), getattr(ref_fn, part)
    with np.policy("prefer_mxnet"):
        got = mine(*[np.array(a) for a in arrays])
    ref = numpy.asarray(ref_fn(*arrays))
    assert got.forms == ("mxnet",), (name, got.forms)
    assert got.dtype == ref.dtype and got.shape == ref.shape, name
    return got.asnumpy().astype(numpy.float64), ref


def _ulps(ref):
    return ULPS * numpy.spacing(numpy.abs(ref)).astype(numpy.float64)


def _backward_bound(f, x, ref):
    """ULPS ulp(ref) + max over x (1 +- BACKWARD_ULPS eps) of |f - f(x)|, in float64
    (float16 inputs: float32 eps, the precision both backends compute them in)."""
    eps = min(numpy.finfo(x.dtype).eps, numpy.finfo(numpy.float32).eps)
    wide = x.astype(numpy.float64)
    spread = numpy.maximum(*[numpy.abs(f(wide * (1 + s * BACKWARD_ULPS * eps)) - f(wide))
                             for s in (-1, 1)])
    return _ulps(ref) + spread


@needs_mxnet
@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
def test_mxnet_floats_within_tolerance(dtype):
    """The tolerances the page states, op kind by op kind (NumPy's result the reference),
    with exact dtypes and shapes."""
    x = numpy.linspace(-3, 3, 101).astype(dtype)
    eps = float(numpy.finfo(dtype).eps)
    # elementwise: backward stable
    for name in ("exp", "tanh", "sin", "arctan"):
        got, ref = _on_mxnet(name, x)
        f = getattr(numpy, name)
        assert (numpy.abs(got - ref) <= _backward_bound(f, x, ref)).all(), name
    # sums and dot-like ops: ACCUMULATE n eps f(|x|), n terms
    got, ref = _on_mxnet("sum", x)
    wide = numpy.abs(x.astype(numpy.float64))
    assert abs(got - ref) <= ACCUMULATE * x.size * eps * wide.sum() + _ulps(ref)
    # exact: indexing, max/min
    assert numpy.array_equal(*_on_mxnet("max", x))
    assert numpy.array_equal(*_on_mxnet("getitem", x, fn=lambda a: a[3:40:3]))
    if dtype == "float16":
        return      # MXNet's BLAS/LAPACK kernels are float32/float64 only (NumPy runs)
    mat = x[:16].reshape(4, 4)
    got, ref = _on_mxnet("matmul", mat, mat)
    absm = numpy.abs(mat.astype(numpy.float64))
    assert (numpy.abs(got - ref) <= ACCUMULATE * 4 * eps * (absm @ absm) + _ulps(ref)).all()
    # linear algebra: LINALG n eps cond(A) ||result||
    a = (numpy.arange(16.0).reshape(4, 4) % 5 + 4 * numpy.eye(4)).astype(dtype)
    got, ref = _on_mxnet("linalg.inv", a)
    cond = numpy.linalg.cond(a.astype(numpy.float64))
    assert numpy.abs(got - ref).max() <= LINALG * 4 * eps * cond * numpy.abs(ref).max()


def test_numpy_policies_give_numpys_own_floats():
    ref = numpy.linspace(-3, 3, 101)
    for pol in ("only_numpy", "auto"):
        with np.policy(pol):
            exact = np.tanh(np.exp(np.array(ref)) * 0.1)
        assert numpy.array_equal(exact.asnumpy(), numpy.tanh(numpy.exp(ref) * 0.1))


@needs_mxnet
def test_random_streams_per_implementation():
    draws = {}
    for pol in ("prefer_mxnet", "only_numpy"):
        with np.policy(pol):
            np.random.seed(7)
            first = np.random.uniform(size=5).asnumpy()
            np.random.seed(7)
            second = np.random.uniform(size=5).asnumpy()
        numpy.testing.assert_array_equal(first, second)
        draws[pol] = first
    assert not numpy.array_equal(draws["prefer_mxnet"], draws["only_numpy"])


def test_traced_value_into_untraced_array():
    grad = pytest.importorskip("minpy.autograd").grad

    def f(x):
        buf = np.zeros(3)
        buf[0] = x
        return np.sum(buf)

    with pytest.raises(TypeError, match="traced"):
        grad(f)(np.array(1.0))


def test_dlpack_export_is_read_only():
    x = np.arange(3.0)
    y = numpy.from_dlpack(x)
    assert numpy.shares_memory(y, numpy.asarray(x)) and not y.flags.writeable
    with pytest.raises(ValueError):
        y[0] = 1.0
    z = numpy.from_dlpack(x, copy=True)
    z[0] = 7.0
    assert x.tolist() == [0.0, 1.0, 2.0]
    x[1] = 5.0  # the Array's own writes reach the shared memory, as NumPy's
    assert y.tolist() == [0.0, 5.0, 2.0]


def test_sort_descending_puts_nan_first():
    a = numpy.array([1.0, numpy.nan, 3.0, 1.0])
    out = np.sort(np.asarray(a), descending=True).asnumpy()
    numpy.testing.assert_array_equal(out, [numpy.nan, 3.0, 1.0, 1.0])
    numpy.testing.assert_array_equal(out, numpy.sort(a)[::-1])
    assert np.argsort(np.asarray(a), descending=True).tolist() == [1, 2, 0, 3]


def test_dlpack_import_writes_copy_first():
    t = numpy.arange(3.0)
    x = np.from_dlpack(t)
    assert numpy.shares_memory(x._host_value(), t)
    t[0] = 4.0  # the producer's write is seen
    assert float(x[0]) == 4.0
    x[1] = 9.0  # the Array's is not seen by the producer
    assert t.tolist() == [4.0, 1.0, 2.0] and x.tolist() == [4.0, 9.0, 2.0]


def test_buffer_protocol_needs_python_312():
    import sys
    x = np.arange(4.0)
    view = x.data
    assert view.readonly and view.tolist() == [0.0, 1.0, 2.0, 3.0]
    if sys.version_info >= (3, 12):
        assert memoryview(x).tolist() == [0.0, 1.0, 2.0, 3.0]
    else:
        with pytest.raises(TypeError):
            memoryview(x)


def test_in_place_functions_under_grad():
    grad = pytest.importorskip("minpy.autograd").grad

    def recorded(x):
        y = x * 1.0
        np.multiply(x, x, out=y)
        return np.sum(y)
    assert grad(recorded)(np.array([1.0, 2.0])).tolist() == [2.0, 4.0]
    for write in (lambda y, x: np.copyto(y, x), lambda y, x: np.add.at(y, [0], x[:1]),
                  lambda y, x: np.multiply(x, 2.0, out=np.zeros(2))):
        def f(x, write=write):
            y = x * 1.0
            write(y, x)
            return np.sum(y)
        with pytest.raises(TypeError):
            grad(f)(np.array([1.0, 2.0]))


def test_numpy_objects_see_arrays_read_only():
    x = np.arange(4.0)
    view = numpy.lib.stride_tricks.as_strided(x, (2,), (8,), writeable=True)
    assert isinstance(view, numpy.ndarray) and not view.flags.writeable
    rows = np.arange(6.0).reshape(3, 2)
    with pytest.warns(UserWarning, match="not a subclass of 'Sequence'"):
        numpy.random.default_rng(0).shuffle(rows)  # NumPy's own generator
    assert len({tuple(r) for r in rows.tolist()}) < 3  # a row duplicated
    rows = np.arange(6.0).reshape(3, 2)
    np.random.default_rng(0).shuffle(rows)  # minpy.numpy.random's: as NumPy on ndarrays
    ref = numpy.arange(6.0).reshape(3, 2)
    numpy.random.default_rng(0).shuffle(ref)
    assert rows.tolist() == ref.tolist()


def test_dtype_and_strides_cannot_be_set():
    x = np.zeros(4)
    with pytest.raises(AttributeError):
        x.dtype = numpy.int64
    with pytest.raises(AttributeError):
        x.strides = (16,)
    assert x.view(numpy.int64).dtype == numpy.int64


@needs_mxnet
def test_mxnet_results_are_c_ordered():
    with np.policy("prefer_mxnet"):
        # an operand on the host out of C order: NumPy runs, with NumPy's order
        t = np.array(numpy.zeros((3, 4))).T
        y = np.negative(t)
        assert y.flags.f_contiguous and not y.flags.c_contiguous
        assert not np.shares_memory(y, y.reshape(-1))
        # an operand only MXNet holds: MXNet runs, C order (the deviation)
        x = np.zeros((3, 4))
        assert x._host is None and "mxnet" in x.forms
        y = np.negative(x.T)
        assert y.flags.c_contiguous and not y.flags.f_contiguous
        assert np.shares_memory(y, y.reshape(-1))
        assert not numpy.negative(numpy.zeros((3, 4)).T).flags.c_contiguous
