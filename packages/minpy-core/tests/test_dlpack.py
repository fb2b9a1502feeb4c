"""DLPack both ways between MinPy Arrays and NumPy, MXNet (and PyTorch where installed),
without copies where the memory allows."""

from __future__ import annotations

import numpy
import pytest

from minpy.core import Array, cpu, from_dlpack


def _host_array(values):
    return Array._from_host(numpy.array(values, dtype=numpy.float64))


def test_array_protocol():
    x = _host_array([[1.0, 2.0], [3.0, 4.0]])
    assert x.__dlpack_device__() == (1, 0)
    assert type(x.__dlpack__()).__name__ == "PyCapsule"


def test_numpy_consumes_without_copy():
    x = _host_array([1.0, 2.0, 3.0])
    y = numpy.from_dlpack(x)
    assert numpy.shares_memory(y, x._host_value())
    assert not y.flags.writeable  # DLPack 1.0's read-only flag (see the deviations)
    numpy.testing.assert_array_equal(y, [1.0, 2.0, 3.0])
    # the Array's later writes reach the shared memory (as NumPy's), and its cached
    # MXNet form is not read stale after them
    x[0] = 9.0
    assert y[0] == 9.0 and float(x[0]) == 9.0


def test_minpy_consumes_numpy_without_copy():
    a = numpy.arange(4.0)
    x = from_dlpack(a)
    assert isinstance(x, Array) and x.device == cpu()
    assert numpy.shares_memory(x._host_value(), a)
    a[1] = 7.0  # the producer's writes are seen, as with numpy.from_dlpack
    assert float(x[1]) == 7.0


def test_round_trip_numpy():
    a = numpy.arange(6, dtype=numpy.int32).reshape(2, 3)
    back = numpy.from_dlpack(from_dlpack(a))
    assert back.dtype == numpy.int32 and numpy.shares_memory(back, a)


@pytest.fixture
def mx():
    from minpy.core import _mxnet
    if not _mxnet.available():
        pytest.skip(f"MXNet is not available: {_mxnet.unavailable_reason()}")
    return _mxnet.load()


def test_mxnet_consumes_an_array(mx):
    x = _host_array([[1.0, 2.0], [3.0, 4.0]])
    m = mx.nd.from_dlpack(x)  # MinPy lets MXNet 1.9.1 take a producer, not only a capsule
    numpy.testing.assert_array_equal(m.asnumpy(), x.asnumpy())
    a = numpy.arange(3.0)
    m = mx.nd.from_dlpack(a)
    a[0] = 5.0  # zero copy: MXNet sees the producer's memory
    assert m.asnumpy()[0] == 5.0
    capsule = mx.nd.from_dlpack(x.__dlpack__())  # the capsule form still works
    assert capsule.shape == (2, 2)


def test_minpy_consumes_mxnet(mx):
    m = mx.nd.array([1.0, 2.0, 3.0])
    x = from_dlpack(m)
    assert isinstance(x, Array) and x.forms == ("mxnet",)  # wrapped, not copied
    numpy.testing.assert_array_equal(x.asnumpy(), [1.0, 2.0, 3.0])
    import minpy.numpy as mp
    y = mp.from_dlpack(m)
    assert float(mp.sum(y)) == 6.0
    # an Array holding only its MXNet form exports its host form
    z = Array._from_mx(mx.np.array([1.0, 2.0]))
    numpy.testing.assert_array_equal(numpy.from_dlpack(z), [1.0, 2.0])


def test_torch_both_ways():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed here")
    x = _host_array([1.0, 2.0])
    t = torch.from_dlpack(x)
    assert t.tolist() == [1.0, 2.0]
    back = from_dlpack(torch.arange(3.0))
    numpy.testing.assert_array_equal(back.asnumpy(), [0.0, 1.0, 2.0])


def test_jax_both_ways():
    jnp = pytest.importorskip("jax.numpy", reason="JAX is not installed here")
    x = _host_array([0.0, 1.0, 2.0])
    numpy.testing.assert_array_equal(numpy.asarray(jnp.from_dlpack(x)), [0.0, 1.0, 2.0])
    back = from_dlpack(jnp.arange(3, dtype=jnp.int32))
    assert back.dtype == numpy.int32 and back.tolist() == [0, 1, 2]


def test_write_after_export_reaches_every_form(mx):
    """Export pins the host buffer: the Array's later write goes into it and its cached
    MXNet form is made again, never read stale."""
    import minpy.numpy as mp
    x = mp.ones(3)
    with mp.policy("only_mxnet"):
        assert float(mp.sum(x)) == 3.0  # x now caches an MXNet form
    y = numpy.from_dlpack(x)
    x[0] = 5.0
    assert y.tolist() == [5.0, 1.0, 1.0]
    with mp.policy("only_mxnet"):
        assert float(mp.sum(x)) == 7.0
