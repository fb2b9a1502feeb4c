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


@needs_mxnet
def test_mxnet_floats_within_tolerance():
    ref = numpy.linspace(-3, 3, 101)
    for dtype, rtol in (("float64", 1e-7), ("float32", 1e-5), ("float16", 1e-3)):
        x = np.array(ref.astype(dtype))
        with np.policy("prefer_mxnet"):
            got = np.tanh(np.exp(x) * 0.1)
        assert got.forms == ("mxnet",) and got.dtype == numpy.dtype(dtype)
        want = numpy.tanh(numpy.exp(ref.astype(dtype)) * numpy.asarray(0.1, dtype))
        numpy.testing.assert_allclose(got.asnumpy(), want, rtol=rtol)
    with np.policy("only_numpy"):
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
