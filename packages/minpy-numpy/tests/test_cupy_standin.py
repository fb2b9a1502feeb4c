"""The CuPy stand-in (``conformance/cupy_standin.py``) behaves as CuPy 14 does where
MinPy could get it wrong, and has nothing CuPy 14 lacks: the tests that use it can only
be as honest as it is. (It is NOT a GPU: NumPy runs every kernel on the host.)"""

from __future__ import annotations

import inspect
import pickle

import numpy as onp
import pytest

from _standin import cupy_standin


@pytest.fixture(scope="module")
def real():
    reason = cupy_standin.unavailable_reason()
    if reason:
        pytest.skip(reason)
    return cupy_standin.real_cupy()


@pytest.fixture
def cp(real):
    with cupy_standin.installed(devices=2) as mod:
        yield mod


NAMESPACES = ("", "linalg", "fft", "random", "cuda", "cuda.runtime")


def _ns(mod, path):
    for part in filter(None, path.split(".")):
        mod = getattr(mod, part)
    return mod


# -- names and signatures -------------------------------------------------------------------
@pytest.mark.parametrize("path", NAMESPACES)
def test_every_name_is_a_real_cupy_name(cp, real, path):
    mine, theirs = _ns(cp, path), _ns(real, path)
    extra = [n for n in dir(mine) if not n.startswith("_") and not hasattr(theirs, n)]
    assert not extra, f"cupy.{path}: names CuPy 14 does not have: {extra}"


@pytest.mark.parametrize("path", ("", "linalg", "fft", "random"))
def test_functions_have_the_real_signatures(cp, real, path):
    mine, theirs = _ns(cp, path), _ns(real, path)
    checked = 0
    for name in dir(mine):
        fn = getattr(mine, name)
        if not isinstance(fn, cupy_standin._Function):
            continue
        ref = cupy_standin._signature(getattr(theirs, name), name)
        assert inspect.signature(fn) == ref, f"cupy.{path}.{name}"
        checked += 1
    assert checked > (100 if not path else 5)


def test_ndarray_methods_have_the_real_signatures(cp, real):
    checked = 0
    for name in dir(real.ndarray):
        ref = getattr(real.ndarray, name)
        if name.startswith("_") or not callable(ref):
            continue
        sig = cupy_standin._signature(ref, name)
        mine = inspect.signature(getattr(cp.ndarray, name))
        params = [p for p in mine.parameters.values() if p.name != "self"]
        want = [p for p in sig.parameters.values() if p.name != "self"]
        assert [(p.name, p.kind) for p in params] == [(p.name, p.kind) for p in want], name
        checked += 1
    assert checked > 40
    assert not hasattr(cp.ndarray, "__index__") and not hasattr(real.ndarray, "__index__")


def test_what_cupy_14_lacks_is_missing_or_rejected(cp):
    x = cp.arange(4.0)
    assert not hasattr(cp.linalg, "multi_dot")
    with pytest.raises(TypeError, match="Wrong arguments"):
        cp.add(x, x, where=x > 1)
    with pytest.raises(TypeError, match="Wrong arguments"):
        cp.exp(x, subok=True)
    for call in (lambda: cp.sum(x, where=x > 1), lambda: cp.clip(x, min=0, max=1),
                 lambda: cp.sort(x, stable=True), lambda: cp.take(x, [0], mode="clip"),
                 lambda: cp.linalg.cholesky(cp.eye(2), upper=True),
                 lambda: cp.std(x, correction=1)):
        with pytest.raises(TypeError, match="unexpected keyword"):
            call()
    cp.add(x, x, out=cp.empty(4), dtype="f8", casting="same_kind")  # CuPy's keywords


def test_ufunc_operands_are_cupy_arrays_or_scalars(cp):
    x = cp.arange(3)
    for bad in ([1, 2, 3], onp.arange(3)):
        with pytest.raises(TypeError, match="Unsupported type"):
            cp.add(x, bad)
    with pytest.raises(TypeError, match="Unsupported type"):
        x + onp.arange(3)
    assert cp.add(x, 1).dtype == x.dtype
    with pytest.raises(TypeError, match="Unsupported type"):
        cp.concatenate([x, onp.arange(3)])


# -- host conversion ----------------------------------------------------------------------------
def test_no_implicit_host_conversion(cp):
    x = cp.arange(3.0)
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array"):
        onp.asarray(x)
    with pytest.raises(TypeError):
        range(3)[cp.asarray(onp.array(1))]  # no __index__
    got = x.get()
    assert type(got) is onp.ndarray and got.tolist() == [0.0, 1.0, 2.0]
    assert cp.asnumpy(x).tolist() == [0.0, 1.0, 2.0]
    assert pickle.loads(pickle.dumps(x)).get().tolist() == [0.0, 1.0, 2.0]
    assert type(cp.sum(x)) is cp.ndarray and cp.sum(x).ndim == 0  # 0-d arrays, no scalars


# -- indexing ---------------------------------------------------------------------------------
def test_integer_array_indices_wrap_as_on_cupy(cp):
    a = cp.array([0, 1, 2])
    assert a[[1, 3]].get().tolist() == [1, 0]
    assert a[cp.array([-4, 5])].get().tolist() == [2, 2]
    assert cp.take(a, [4]).get().tolist() == [1]
    assert cp.take_along_axis(a, cp.array([3]), 0).get().tolist() == [0]
    a[[1, 3]] = 10
    assert a.get().tolist() == [10, 10, 2]
    cp.put(a, [5], 7)
    assert a.get().tolist() == [10, 10, 7]
    with pytest.raises(IndexError):
        a[3]  # a scalar index is checked
    with pytest.raises(IndexError):
        a[cp.array([True, False])]  # a mask of the wrong shape


def test_views_share_memory(cp):
    a = cp.arange(6.0).reshape(2, 3)
    v = a.T
    v[0, 1] = 9.0
    assert a[1, 0].get() == 9.0 and not v.flags.c_contiguous
    assert a.reshape(-1).data.ptr == a.data.ptr


# -- promotion -----------------------------------------------------------------------------------
def test_promotion_is_cupy_14s(cp):
    h = cp.ones(3, dtype=onp.float16)
    assert (h + onp.float32(1e-4)).dtype == onp.float32  # NumPy scalars are strong
    assert (h + 1e-4).dtype == onp.float16                # Python scalars are weak
    assert (h + 1e-4).get()[0] == 1.0
    assert (cp.arange(3, dtype=onp.int8) + onp.int64(1)).dtype == onp.int64
    assert (cp.arange(3, dtype=onp.uint8) + 1.5).dtype == onp.float64


# -- random ---------------------------------------------------------------------------------------
def test_random_streams_are_cupys_own(cp):
    cp.random.seed(5)
    a = cp.random.uniform(size=4).get()
    cp.random.seed(5)
    assert (cp.random.uniform(size=4).get() == a).all()
    onp.random.seed(5)
    assert not (onp.random.uniform(size=4) == a).any()  # not NumPy's stream
    assert cp.random.rand(3, dtype=onp.float32).dtype == onp.float32
    with pytest.raises(TypeError):
        cp.random.rand(3, dtype=onp.float16)
    with pytest.raises(TypeError, match="integer"):
        cp.random.seed(1.5)
    with pytest.raises(ValueError):
        cp.random.seed(-1)
    with cp.cuda.Device(1):  # one generator per device: device 0's is not reseeded
        cp.random.seed(5)
    cp.random.seed(5)
    cp.random.uniform(size=4)
    with cp.cuda.Device(1):
        assert (cp.random.uniform(size=4).get() == a).all()


# -- DLPack -----------------------------------------------------------------------------------
def test_dlpack_says_cuda_and_host_consumers_refuse_it(cp):
    x = cp.arange(4.0)
    assert x.__dlpack_device__() == (2, 0)
    with pytest.raises((RuntimeError, BufferError, ValueError)):
        onp.from_dlpack(x)
    y = cp.from_dlpack(x)
    assert y.data.ptr == x.data.ptr and y.get().tolist() == [0.0, 1.0, 2.0, 3.0]
    cap = x.toDlpack()
    cp.fromDlpack(cap)
    with pytest.raises(ValueError, match="consumed multiple times"):
        cp.fromDlpack(cap)
    with pytest.raises(TypeError, match="CPU arrays cannot be directly imported"):
        cp.from_dlpack(onp.arange(3.0))
    host = onp.from_dlpack(type("H", (), {  # an explicit copy to the host is allowed
        "__dlpack__": lambda s, **kw: x.__dlpack__(dl_device=(1, 0), copy=True),
        "__dlpack_device__": lambda s: (1, 0)})())
    assert host.tolist() == [0.0, 1.0, 2.0, 3.0]


# -- devices ---------------------------------------------------------------------------------------
def test_devices_and_peer_access(cp):
    assert cp.cuda.runtime.getDeviceCount() == 2
    x = cp.arange(3.0)
    assert x.device.id == 0
    with cp.cuda.Device(1):
        y = cp.arange(3.0)
        assert y.device.id == 1 and cp.cuda.runtime.getDevice() == 1
        with pytest.raises(ValueError, match="Peer access is unavailable"):
            cp.exp(x)
    assert cp.cuda.Device(0).compute_capability == "90"
    cp.cuda.Device(0).synchronize()
    cp.cuda.get_current_stream().synchronize()
    with pytest.raises(cupy_standin.real_cupy().cuda.runtime.CUDARuntimeError):
        cp.cuda.Device(2)
    with pytest.raises(NotImplementedError):
        cp.ElementwiseKernel("T x", "T y", "y = x", "copy")
