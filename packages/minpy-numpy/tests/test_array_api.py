"""The array API standard (2024.12): the Array's and the namespace's names, device=
in creation functions, DLPack through the namespace, sort/argsort descending/stable."""

from __future__ import annotations

import numpy
import pytest

import minpy.numpy as mp
from minpy.core import Array, DeviceError, cpu
from minpy.core.array_api import as_device


def test_array_attributes():
    x = mp.arange(6.0).reshape(2, 3)
    assert x.__array_namespace__() is mp
    assert x.__array_namespace__(api_version="2024.12") is mp
    assert x.__array_namespace__(api_version="2022.12") is mp
    with pytest.raises(ValueError):
        x.__array_namespace__(api_version="2099.01")
    assert x.device == cpu()
    assert x.to_device(x.device) is x
    assert x.to_device("cpu") is x
    with pytest.raises(ValueError):
        x.to_device("cpu", stream=1)


def test_mT_is_a_view():
    x = mp.arange(24.0).reshape(2, 3, 4)
    t = x.mT
    assert t.shape == (2, 4, 3)
    numpy.testing.assert_array_equal(t.asnumpy(), numpy.swapaxes(x.asnumpy(), -1, -2))
    t[0, 0, 0] = 100.0  # NumPy's mT is a view: the write reaches x
    assert float(x[0, 0, 0]) == 100.0
    with pytest.raises(ValueError):
        mp.ones(3).mT


def test_namespace_names():
    assert mp.__array_api_version__ == "2024.12"
    info = mp.__array_namespace_info__()
    assert info.devices() == [cpu()]
    assert info.default_device() == cpu()
    assert info.capabilities()["boolean indexing"] is True
    dd = info.default_dtypes()
    assert dd["real floating"] == numpy.float64 and dd["indexing"] == numpy.int64
    assert dd["complex floating"] == numpy.complex128
    with mp.default_float_dtype("float32"):
        dd = info.default_dtypes(device=cpu())
        assert dd["real floating"] == numpy.float32
        assert dd["complex floating"] == numpy.complex64
    assert set(info.dtypes(kind="signed integer")) == {"int8", "int16", "int32", "int64"}
    assert set(info.dtypes(kind=("bool", "complex floating"))) == {
        "bool", "complex64", "complex128"}
    assert len(info.dtypes()) == 13
    # NumPy's own inspection object agrees on the dtypes
    assert set(info.dtypes()) == set(numpy.__array_namespace_info__().dtypes())
    with pytest.raises(ValueError):
        info.dtypes(kind="strings")
    with pytest.raises(ValueError):
        info.default_dtypes(device="tpu")


@pytest.mark.parametrize("policy", ["only_numpy", "prefer_mxnet"])
def test_device_keyword_in_creation(policy):
    x = mp.ones(3)
    with mp.policy(policy):
        for dev in (x.device, "cpu", "cpu:0", cpu(), None):
            z = mp.zeros(2, device=dev)
            assert isinstance(z, Array) and z.device == cpu()
            numpy.testing.assert_array_equal(z.asnumpy(), numpy.zeros(2))
        assert mp.ones((2, 2), device=x.device).shape == (2, 2)
        assert mp.full(2, 7, device="cpu").asnumpy().tolist() == [7, 7]
        assert mp.arange(4, device="cpu").asnumpy().tolist() == [0, 1, 2, 3]
        assert mp.linspace(0, 1, 3, device="cpu").asnumpy().tolist() == [0, 0.5, 1]
        assert mp.eye(2, device="cpu").shape == (2, 2)
        assert mp.empty(2, device="cpu").shape == (2,)
        assert mp.zeros_like(x, device="cpu").device == cpu()
        assert mp.full_like(x, 2, device=x.device).asnumpy().tolist() == [2, 2, 2]
        assert mp.asarray([1], device="cpu").device == cpu()
        assert mp.asarray(x, device="cpu") is x
        assert mp.fft.fftfreq(4, device="cpu").shape == (4,)
    with pytest.raises(ValueError, match="Device not understood"):
        mp.zeros(2, device="tpu")
    with pytest.raises(DeviceError):
        mp.zeros(2, device="gpu:7")


def test_as_device_spellings():
    assert as_device("CPU") == cpu() and as_device((1, 0)) == cpu()
    mx = pytest.importorskip("mxnet")
    assert as_device(mx.cpu()) == cpu()
    for bad in ("cpu:x", "", 3):
        with pytest.raises(ValueError):
            as_device(bad)


def test_from_dlpack_namespace():
    a = numpy.arange(6.0).reshape(2, 3)
    x = mp.from_dlpack(a)
    assert isinstance(x, Array)
    assert numpy.shares_memory(x._host_value(), a)  # no copy
    y = mp.from_dlpack(a, copy=True)
    assert not numpy.shares_memory(y._host_value(), a)
    numpy.testing.assert_array_equal(y.asnumpy(), a)
    assert mp.from_dlpack(a, device="cpu").device == cpu()
    assert mp.from_dlpack(x) is x
    # MinPy's own writes never reach the producer's memory (the Array copies first)
    x[0, 0] = 5.0
    assert a[0, 0] == 0.0
    with pytest.raises(TypeError):
        mp.from_dlpack([1, 2])


@pytest.mark.parametrize("policy", ["only_numpy", "prefer_mxnet"])
@pytest.mark.parametrize("dtype", ["int64", "float64"])
def test_sort_descending_stable(policy, dtype):
    rng = numpy.random.default_rng(0)
    a = rng.integers(0, 4, size=(5, 7)).astype(dtype)
    x = mp.asarray(a)
    with mp.policy(policy):
        for axis in (-1, 0, None):
            got = mp.argsort(x, axis=axis, descending=True, stable=True).asnumpy()
            flat = a.ravel() if axis is None else a
            ax = -1 if axis is None else axis
            # stable descending: by value, largest first; ties in their original order
            keys = numpy.moveaxis(flat, ax, -1)
            want = numpy.array([sorted(range(k.shape[-1]), key=lambda i, k=k: -k[i])
                                for k in keys.reshape(-1, keys.shape[-1])])
            want = numpy.moveaxis(want.reshape(keys.shape), -1, ax)
            numpy.testing.assert_array_equal(got, want)
            numpy.testing.assert_array_equal(
                mp.sort(x, axis=axis, descending=True).asnumpy(),
                numpy.flip(numpy.sort(flat, axis=ax), ax))
        # descending=False is NumPy's sort, stable or not
        numpy.testing.assert_array_equal(mp.sort(x, descending=False, stable=True).asnumpy(),
                                         numpy.sort(a, stable=True))
        numpy.testing.assert_array_equal(mp.argsort(x, stable=True).asnumpy(),
                                         numpy.argsort(a, stable=True))


def test_array_api_strict_style_smoke():
    """A few calls written the array-API way, through x.__array_namespace__()."""
    x = mp.asarray([[3.0, 1.0], [2.0, 4.0]])
    xp = x.__array_namespace__()
    y = xp.matmul(x, x.mT)
    numpy.testing.assert_allclose(y.asnumpy(), x.asnumpy() @ x.asnumpy().T)
    assert xp.sum(x, axis=0, keepdims=True).shape == (1, 2)
    assert xp.astype(x, xp.int32).dtype == numpy.int32
    assert xp.concat([x, x], axis=0).shape == (4, 2)
    assert xp.permute_dims(x, (1, 0)).shape == (2, 2)
    assert xp.sort(xp.reshape(x, (-1,)), descending=True).asnumpy().tolist() == [4, 3, 2, 1]
    assert xp.zeros(2, device=x.device, dtype=xp.float32).dtype == numpy.float32


def test_grad_of_descending_sort():
    autograd = pytest.importorskip("minpy.autograd", reason="minpy-autograd not installed")
    w = mp.arange(3.0)
    g = autograd.grad(lambda x: mp.sum(mp.sort(x, descending=True) * w))(
        mp.asarray([3.0, 1.0, 2.0]))
    assert g.tolist() == [0.0, 2.0, 1.0]
    g = autograd.grad(lambda x: mp.sum(mp.sort(x, axis=None, descending=True)
                                       * mp.arange(4.0)))(mp.asarray([[3.0, 1.0],
                                                                     [2.0, 5.0]]))
    assert g.tolist() == [[1.0, 3.0], [2.0, 0.0]]


# The 2024.12 standard's names (https://data-apis.org/array-api/2024.12/API_specification/)
_STANDARD = """
arange asarray empty empty_like eye from_dlpack full full_like linspace meshgrid ones
ones_like tril triu zeros zeros_like astype can_cast finfo iinfo isdtype result_type abs
acos acosh add asin asinh atan atan2 atanh bitwise_and bitwise_left_shift bitwise_invert
bitwise_or bitwise_right_shift bitwise_xor ceil clip conj copysign cos cosh divide equal
exp expm1 floor floor_divide greater greater_equal hypot imag isfinite isinf isnan less
less_equal log log1p log2 log10 logaddexp logical_and logical_not logical_or logical_xor
maximum minimum multiply negative nextafter not_equal positive pow real reciprocal
remainder round sign signbit sin sinh square sqrt subtract tan tanh trunc take
take_along_axis matmul matrix_transpose tensordot vecdot broadcast_arrays broadcast_to
concat expand_dims flip moveaxis permute_dims repeat reshape roll squeeze stack tile
unstack argmax argmin count_nonzero nonzero searchsorted where unique_all unique_counts
unique_inverse unique_values argsort sort cumulative_prod cumulative_sum max mean min prod
std sum var all any diff""".split()
_LINALG = """cholesky cross det diagonal eigh eigvalsh inv matmul matrix_norm matrix_power
matrix_rank matrix_transpose outer pinv qr slogdet solve svd svdvals tensordot trace vecdot
vector_norm""".split()
_FFT = """fft ifft fftn ifftn rfft irfft rfftn irfftn hfft ihfft fftfreq rfftfreq fftshift
ifftshift""".split()
_DTYPES = """bool int8 int16 int32 int64 uint8 uint16 uint32 uint64 float32 float64 complex64
complex128""".split()


def test_every_standard_name_resolves():
    missing = [n for n in _STANDARD if not callable(getattr(mp, n, None))]
    missing += ["linalg." + n for n in _LINALG if not callable(getattr(mp.linalg, n, None))]
    missing += ["fft." + n for n in _FFT if not callable(getattr(mp.fft, n, None))]
    missing += [n for n in _DTYPES if getattr(mp, n, None) is None]
    missing += [n for n in ("e", "inf", "nan", "newaxis", "pi") if not hasattr(mp, n)]
    assert missing == []
    for n in _DTYPES:
        assert numpy.dtype(getattr(mp, n)) == numpy.dtype(n)


def test_standard_calls_give_arrays():
    x = mp.asarray([[3.0, 1.0], [1.0, 4.0]])
    assert mp.isdtype(mp.float32, "real floating") is True
    assert mp.unique_values(x).tolist() == [1.0, 3.0, 4.0]
    counts = mp.unique_counts(x)
    assert isinstance(counts.counts, Array) and counts.counts.tolist() == [2, 1, 1]
    assert mp.cumulative_sum(mp.asarray([1, 2, 3]), include_initial=True).tolist() == [
        0, 1, 3, 6]
    numpy.testing.assert_allclose(float(mp.linalg.matrix_norm(x)), numpy.sqrt(27.0))
    assert isinstance(mp.linalg.svdvals(x), Array)
    assert [u.tolist() for u in mp.unstack(x)] == [[3.0, 1.0], [1.0, 4.0]]
    assert float(mp.std(x, correction=1)) == pytest.approx(numpy.std(
        x.asnumpy(), ddof=1))
    assert mp.matrix_transpose(x).tolist() == [[3.0, 1.0], [1.0, 4.0]]
    assert float(mp.vecdot(x, x)[0]) == 10.0
