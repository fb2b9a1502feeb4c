"""The Array of minpy.core on its own (no minpy.numpy loaded: operators run in NumPy)."""

import pickle
import threading

import numpy as np
import pytest

from minpy.core import (
    Array,
    DeviceError,
    array,
    asarray,
    cpu,
    current_device,
    default_float_dtype,
    device,
    get_default_float_dtype,
    gpu,
    mxnet_available,
    num_gpus,
    set_device,
    transfer,
    transfer_guard,
)

needs_mxnet = pytest.mark.skipif(not mxnet_available(), reason="MXNet is not installed")

MX_DTYPES = ["bool", "int8", "uint8", "int32", "int64", "float16", "float32", "float64"]


def mx_only(host):
    """An Array whose only form is MXNet's."""
    a = array(host)
    a.asmxnet()
    a._host = None
    return a


# -- devices -----------------------------------------------------------------------
def test_cpu_device_and_repr():
    assert cpu() == cpu(0)
    assert repr(cpu()) == "cpu(0)"
    assert hash(cpu()) == hash(cpu(0))


def test_missing_gpu_error_names_what_exists():
    with pytest.raises(DeviceError) as err:
        gpu(num_gpus())
    assert f"gpu({num_gpus()}) does not exist" in str(err.value)
    assert "cpu(0)" in str(err.value)
    assert isinstance(err.value, ValueError)


def test_device_context_is_thread_local_and_global_default():
    seen = {}
    other = Array.__new__(Array)  # noqa: F841 (keeps import used in all paths)
    fake = type(cpu())("cpu", 1)

    def worker():
        seen["thread"] = current_device()

    with device(fake):
        assert current_device() == fake
        t = threading.Thread(target=worker)
        t.start()
        t.join()
    assert seen["thread"] == cpu()
    assert current_device() == cpu()
    set_device(fake)
    try:
        assert current_device() == fake
    finally:
        set_device(cpu())
    with pytest.raises(TypeError):
        set_device("gpu")


# -- forms and conversions -----------------------------------------------------------
@needs_mxnet
def test_conversion_is_lazy_cached_and_counted():
    transfer.reset_stats()
    a = array(np.arange(6.0).reshape(2, 3))
    assert a.forms == ("host",)
    assert transfer.stats().total == 0
    a.asmxnet()
    a.asmxnet()
    assert transfer.stats().to_mxnet == 1
    assert transfer.stats().to_mxnet_bytes == 48
    assert a.forms == ("host", "mxnet")
    a.asnumpy()
    assert transfer.stats().to_host == 0  # the host form was still current


@needs_mxnet
def test_write_through_host_drops_mxnet_form():
    a = array(np.zeros(4))
    a.asmxnet()
    a[1] = 5
    assert a.forms == ("host",)
    assert a.asmxnet().asnumpy().tolist() == [0, 5, 0, 0]


@needs_mxnet
def test_mxnet_only_array_reads_convert_once():
    a = mx_only(np.arange(3, dtype=np.int64))
    transfer.reset_stats()
    assert a.shape == (3,) and a.dtype == np.int64
    assert transfer.stats().total == 0  # metadata needs no conversion
    assert repr(a) == repr(np.arange(3))
    assert a.tolist() == [0, 1, 2]
    assert transfer.stats().to_host == 1


@needs_mxnet
def test_transfer_guard_disallow_and_log(caplog):
    a = array(np.ones(3))
    with transfer_guard("disallow"):
        with pytest.raises(transfer.TransferError):
            a.asmxnet()
    with transfer_guard("log"), caplog.at_level("INFO", logger="minpy.transfer"):
        a.asmxnet()
    assert "to_mxnet copy" in caplog.text
    with pytest.raises(ValueError):
        with transfer_guard("sometimes"):
            pass


@needs_mxnet
@pytest.mark.parametrize("dtype", MX_DTYPES)
def test_mx_dtypes_round_trip_exactly(dtype):
    host = (np.arange(-3, 5) * 1.25).astype(dtype)
    a = mx_only(host)
    assert a.dtype == np.dtype(dtype)
    back = a.asnumpy()
    assert back.dtype == host.dtype
    np.testing.assert_array_equal(back, host)


@pytest.mark.parametrize("value", [
    np.array([1 + 2j, 3 - 1j]), np.array(["a", "bc"]), np.array([{"k": 1}, None]),
    np.arange(4, dtype=np.int16), np.arange(3, dtype=np.uint64),
    np.array(["2020-01-01"], dtype="datetime64[D]")])
def test_dtypes_mxnet_cannot_hold_stay_on_host(value):
    a = array(value)
    assert a.dtype == value.dtype
    if mxnet_available():
        with pytest.raises(TypeError):
            a.asmxnet()
    assert a.forms == ("host",)
    assert a.tolist() == value.tolist()


# -- NumPy behaviour ----------------------------------------------------------------
def test_attributes_match_numpy():
    ref = np.arange(24.0).reshape(2, 3, 4)
    a = array(ref)
    assert a.shape == ref.shape and a.ndim == 3 and a.size == 24
    assert a.dtype == ref.dtype and isinstance(a.dtype, np.dtype)
    assert a.itemsize == 8 and a.nbytes == ref.nbytes
    assert len(a) == 2
    assert a.T.shape == (4, 3, 2)
    assert [x.shape for x in a] == [(3, 4), (3, 4)]
    with pytest.raises(TypeError):
        len(array(1.0))
    with pytest.raises(TypeError):
        iter(array(1.0))


def test_truth_and_scalar_conversions():
    assert bool(array([1.0]) >= 0)
    assert not bool(array(0.0))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(array([1.0, 2.0]))
    assert float(array(2.5)) == 2.5
    assert int(array(7)) == 7
    assert [10, 20, 30][array(1)] == 20
    with pytest.raises(TypeError):
        [1, 2][array(1.0)]


def test_repr_and_str_are_numpy_s():
    ref = np.array([[1.5, 2.0], [3.0, 4.25]])
    assert repr(array(ref)) == repr(ref)
    assert str(array(ref)) == str(ref)
    assert f"{array(np.float64(2.5)):.2f}" == "2.50"


def test_pickle_round_trip():
    a = array(np.arange(5, dtype=np.int32))
    b = pickle.loads(pickle.dumps(a))
    assert isinstance(b, Array) and b.dtype == np.int32
    np.testing.assert_array_equal(b.asnumpy(), np.arange(5))


def test_asnumpy_is_a_private_copy():
    a = array(np.zeros(3))
    h = a.asnumpy()
    h[0] = 9
    assert a.tolist() == [0, 0, 0]


def test_array_protocol_is_read_only_view():
    a = array(np.zeros(3))
    view = np.asarray(a)
    assert not view.flags.writeable
    assert np.array(a).flags.writeable


def test_numpy_functions_on_arrays():
    a = array(np.arange(4.0))
    r = np.exp(a)
    assert isinstance(r, Array)
    np.testing.assert_allclose(r.asnumpy(), np.exp(np.arange(4.0)))
    c = np.concatenate([a, a])
    assert isinstance(c, Array) and c.shape == (8,)
    assert float(np.sum(a)) == 6.0
    out = np.zeros(4)
    np.add(a, 1, out=out)
    np.testing.assert_array_equal(out, np.arange(4.0) + 1)


def test_operators_and_mixed_ndarray():
    a = array(np.arange(3.0))
    assert (a + 1).tolist() == [1, 2, 3]
    assert (np.ones(3) + a).tolist() == [1, 2, 3]
    assert isinstance(np.ones(3) + a, Array)
    assert (2 ** a).tolist() == [1, 2, 4]
    assert (-a).tolist() == [0, -1, -2]
    assert (a @ a).item() == 5.0


def test_slices_are_views_as_in_numpy():
    base = array(np.zeros(4))
    view = base[1:3]
    view[0] = 7
    assert base.tolist() == [0, 7, 0, 0]
    base[2] = 1
    assert view.tolist() == [7, 1]
    assert view.base is base and base.base is None
    assert not view.flags.owndata and base.flags.owndata


def test_inplace_operators_update_the_object_with_numpy_casting():
    a = array(np.arange(3))
    alias = a
    a += 2
    assert alias.tolist() == [2, 3, 4] and alias.dtype == np.int64
    with pytest.raises(TypeError):
        a += 0.5
    with pytest.raises(ValueError):
        a += np.ones((2, 3), dtype=np.int64)


def test_setitem_broadcasting_and_advanced():
    a = array(np.zeros((3, 3)))
    a[1] = [1, 2, 3]
    a[a > 2] = -1
    a[[0, 2], 0] = 5
    ref = np.zeros((3, 3))
    ref[1] = [1, 2, 3]
    ref[ref > 2] = -1
    ref[[0, 2], 0] = 5
    np.testing.assert_array_equal(a.asnumpy(), ref)


def test_to_device_and_asarray_no_copy():
    a = array(np.ones(2))
    assert a.to(cpu()) is a
    assert asarray(a) is a
    assert asarray(np.ones(2)).tolist() == [1, 1]


def test_default_float_dtype_setting():
    assert get_default_float_dtype() == np.float64
    with default_float_dtype("float32"):
        assert get_default_float_dtype() == np.float32
    with pytest.raises(ValueError):
        with default_float_dtype("int32"):
            pass


@needs_mxnet
def test_mxnet_ndarray_input_is_wrapped():
    from minpy.core import _mxnet
    mx = _mxnet.load()
    a = Array(mx.nd.array([1, 2, 3], dtype="float64"))
    assert a.dtype == np.float64 and a.tolist() == [1, 2, 3]
