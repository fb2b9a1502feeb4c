"""DLPack both ways between MinPy Arrays and NumPy, MXNet, PyTorch and JAX, without
copies where the memory allows. PyTorch and JAX are not among the test dependencies:
their tests skip where they are missing, and ``nox -s dlpack`` installs both (the CPU
wheel of PyTorch) and runs this file with ``MINPY_REQUIRE_DLPACK_PEERS=1``, where a
missing one fails."""

from __future__ import annotations

import importlib
import os

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


def _peer(module):
    """PyTorch or JAX, or a skip where it is not installed; a failure under
    ``MINPY_REQUIRE_DLPACK_PEERS=1`` (``nox -s dlpack`` installs both: nothing may skip)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("MINPY_REQUIRE_DLPACK_PEERS") == "1":
            raise
        pytest.skip(f"{module} is not installed here (nox -s dlpack installs it)")


PEER_DTYPES = ["float32", "float64", "float16", "int8", "int32", "int64", "uint8", "bool",
               "complex64"]


def _values(dtype, shape=(2, 3)):
    return (numpy.arange(int(numpy.prod(shape))).reshape(shape) % 5 - 1).astype(dtype)


@pytest.mark.parametrize("dtype", PEER_DTYPES)
def test_torch_round_trips_without_copies(dtype):
    torch = _peer("torch")
    host = _values(dtype)
    x = Array._from_host(host.copy())
    t = torch.from_dlpack(x)
    assert str(t.dtype) == f"torch.{dtype}" and tuple(t.shape) == host.shape
    numpy.testing.assert_array_equal(t.numpy(), host)
    assert t.data_ptr() == x._host_value().ctypes.data          # no copy
    # ... and back: the same memory again, torch's writes seen by the Array
    back = from_dlpack(t)
    assert isinstance(back, Array) and back.dtype == host.dtype and back.shape == host.shape
    assert back._host_value().ctypes.data == t.data_ptr()
    tensor = torch.from_numpy(_values(dtype, (3, 4)))
    y = from_dlpack(tensor)
    assert y._host_value().ctypes.data == tensor.data_ptr()
    tensor[1, 2] = tensor[0, 0] if dtype != "bool" else True
    numpy.testing.assert_array_equal(y.asnumpy(), tensor.numpy())
    # strided tensors (a transpose, a step) keep their layout's values
    numpy.testing.assert_array_equal(from_dlpack(tensor.T).asnumpy(), tensor.T.numpy())
    numpy.testing.assert_array_equal(from_dlpack(tensor[:, ::2]).asnumpy(),
                                     tensor[:, ::2].numpy())


def test_torch_0d_empty_and_mxnet_resident():
    torch = _peer("torch")
    import minpy.numpy as mp
    assert from_dlpack(torch.tensor(2.5)).shape == () and float(from_dlpack(
        torch.tensor(2.5))) == 2.5
    assert from_dlpack(torch.zeros((0, 3))).shape == (0, 3)
    assert tuple(torch.from_dlpack(Array._from_host(numpy.zeros((2, 0)))).shape) == (2, 0)
    with mp.policy("prefer_mxnet"):
        z = mp.exp(mp.ones((2, 2), dtype="float32"))      # an MXNet result
    numpy.testing.assert_array_equal(torch.from_dlpack(z).numpy(), z.asnumpy())
    # a tensor imported runs through minpy.numpy as any Array
    assert float(mp.sum(mp.from_dlpack(torch.arange(5.0)))) == 10.0


@pytest.mark.parametrize("dtype", PEER_DTYPES)
def test_jax_round_trips(dtype):
    jax = _peer("jax")
    jnp = jax.numpy
    jax.config.update("jax_enable_x64", True)   # 64-bit dtypes stay 64-bit
    host = _values(dtype)
    j = jnp.from_dlpack(Array._from_host(host.copy()))
    assert str(j.dtype) == dtype and j.shape == host.shape
    numpy.testing.assert_array_equal(numpy.asarray(j), host)
    back = from_dlpack(jnp.asarray(host))
    assert back.dtype == host.dtype and back.shape == host.shape
    numpy.testing.assert_array_equal(back.asnumpy(), host)
    # (JAX's buffers are read-only: JAX itself, asking for DLPack 0.x, refuses them back,
    # from MinPy as from NumPy; NumPy takes them)
    numpy.testing.assert_array_equal(numpy.from_dlpack(back), host)


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
