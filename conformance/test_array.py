"""The Array itself against ``numpy.ndarray``: attributes, Python protocols, the NumPy
interop protocols, indexing and assignment, dtype round trips and host-only dtypes.

Every test takes both starting forms of an Array (host-resident and MXNet-resident,
``form``) where MXNet can hold the dtype, and runs on each device.
"""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_array_equal

import harness
import minpy.core as core
import minpy.numpy as mnp
import strategies
from minpy.core import Array

try:
    AxisError = np.exceptions.AxisError
except AttributeError:  # NumPy < 1.25
    AxisError = np.AxisError

MX_DTYPES = strategies.MX
ALL_DTYPES = strategies.MX + ["int16", "uint16", "uint32", "uint64", "complex64",
                              "complex128"]


@pytest.fixture(params=["host", "mxnet"])
def form(request):
    return request.param


def make(x, device, form="host"):
    """``x`` (a NumPy array) as an Array on ``device`` in the given starting form."""
    with core.device(device):
        a = harness.to_minpy(np.asarray(x), device, resident=(form == "mxnet"))
    return a


def same(res, ref):
    """``res`` (an Array or value) equals ``ref`` exactly, with NumPy's dtype and shape."""
    if isinstance(ref, np.ndarray) or isinstance(res, Array):
        host = res.asnumpy() if isinstance(res, Array) else np.asarray(res)
        ref = np.asarray(ref)
        assert host.dtype == ref.dtype, (host.dtype, ref.dtype)
        assert host.shape == ref.shape, (host.shape, ref.shape)
        assert_array_equal(host, ref)
    else:
        assert type(res) is type(ref) and res == ref, (res, ref)


ARRAYS = st.sampled_from(MX_DTYPES).flatmap(
    lambda dt: hnp.arrays(np.dtype(dt), strategies.SHAPES,
                          elements=strategies.elements(dt, finite=True, lo=-50, hi=50)))


# -- attributes ---------------------------------------------------------------------------
@given(x=ARRAYS)
def test_attributes(x, device, form):
    a = make(x, device, form)
    assert a.shape == x.shape and type(a.shape) is tuple
    assert a.dtype == x.dtype and isinstance(a.dtype, np.dtype)
    assert a.ndim == x.ndim and a.size == x.size and a.itemsize == x.itemsize
    assert a.nbytes == x.nbytes
    same(a.T, x.T)
    same(np.asarray(a), x)
    assert a.tolist() == x.tolist()


@given(x=ARRAYS)
def test_len_iter(x, device, form):
    a = make(x, device, form)
    if x.ndim == 0:
        with pytest.raises(TypeError):
            len(a)
        with pytest.raises(TypeError):
            iter(a)
        return
    assert len(a) == len(x)
    rows = list(a)
    assert len(rows) == len(x)
    for r, ref in zip(rows, x):
        same(r, ref)


@pytest.mark.parametrize("dtype", MX_DTYPES)
def test_scalar_conversions(dtype, device, form):
    x = np.array(3, dtype=dtype)
    a = make(x, device, form)
    assert bool(a) == bool(x)
    assert float(a) == float(x) and type(float(a)) is float
    assert int(a) == int(x) and type(int(a)) is int
    if np.dtype(dtype).kind in "iu":
        assert [10, 20, 30, 40][a] == [10, 20, 30, 40][x]       # __index__
        assert a.__index__() == x.__index__()
    else:                                            # NumPy: floats and bools are no index
        with pytest.raises(TypeError):
            [1, 2, 3, 4][x]
        with pytest.raises(TypeError):
            [1, 2, 3, 4][a]
    assert a.item() == x.item() and type(a.item()) is type(x.item())


def test_truth_value(device, form):
    assert bool(make(np.array([1]), device, form)) is True
    assert bool(make(np.array([0.0]), device, form)) is False
    with pytest.raises(ValueError):
        bool(make(np.array([1, 2]), device, form))
    with pytest.raises(ValueError):
        if make(np.zeros((2, 2)), device, form):
            pass
    try:                                # NumPy 2 raises; NumPy 1 says False
        want = bool(np.zeros((0,)))
    except ValueError:
        with pytest.raises(ValueError):
            bool(make(np.zeros((0,)), device, form))
    else:
        assert bool(make(np.zeros((0,)), device, form)) is want
    with pytest.raises(TypeError):
        float(make(np.ones(3), device, form))


@given(x=ARRAYS)
def test_repr_str_format(x, device, form):
    a = make(x, device, form)
    assert repr(a) == repr(x)
    assert str(a) == str(x)
    if x.ndim == 0 and x.dtype.kind == "f":
        assert f"{a:.3f}" == f"{x[()]:.3f}"


@given(x=ARRAYS)
def test_pickle_and_copy(x, device, form):
    a = make(x, device, form)
    b = pickle.loads(pickle.dumps(a))
    assert isinstance(b, Array)
    same(b, x)
    for c in (copy.copy(a), copy.deepcopy(a)):
        assert c is not a
        same(c, x)


# -- NumPy interop ------------------------------------------------------------------------
def test_array_ufunc_and_function(device, form):
    x = np.linspace(-2, 2, 12).reshape(3, 4)
    a = make(x, device, form)
    r = np.exp(a)                                  # __array_ufunc__
    assert isinstance(r, Array)
    np.testing.assert_allclose(r.asnumpy(), np.exp(x), rtol=1e-12)
    r = np.add(x, a)                               # ndarray first: Array still wins
    assert isinstance(r, Array)
    same(r, x + x)
    r = np.concatenate([a, a])                     # __array_function__
    assert isinstance(r, Array)
    same(r, np.concatenate([x, x]))
    r = np.concatenate([a, x], axis=1)
    same(r, np.concatenate([x, x], axis=1))
    r = np.sum(a, axis=0)
    assert isinstance(r, Array)
    np.testing.assert_allclose(r.asnumpy(), x.sum(axis=0), rtol=1e-12)
    r = np.linalg.norm(a)                          # a NumPy submodule function
    np.testing.assert_allclose(np.asarray(r), np.linalg.norm(x), rtol=1e-12)
    out = np.empty_like(x)
    np.multiply(a, 2, out=out)                     # out= a NumPy array
    same(out, x * 2)
    r = np.add.reduce(a, axis=1)                   # ufunc methods
    np.testing.assert_allclose(np.asarray(r), np.add.reduce(x, axis=1), rtol=1e-12)
    assert np.shape(a) == x.shape and np.ndim(a) == x.ndim


def test_operators_match_numpy(device, form):
    x = np.arange(-6, 6, dtype=np.int32).reshape(3, 4)
    y = np.array([1, 2, 3, 5], dtype=np.int32)
    a, b = make(x, device, form), make(y, device, form)
    for op in ("__add__", "__sub__", "__mul__", "__floordiv__", "__mod__", "__pow__",
               "__and__", "__or__", "__xor__", "__lt__", "__le__", "__gt__", "__ge__",
               "__eq__", "__ne__", "__truediv__", "__radd__", "__rsub__", "__rmul__"):
        same(getattr(a, op)(b), getattr(x, op)(y))
        same(getattr(a, op)(3), getattr(x, op)(3))
    same(-a, -x)
    same(abs(a), abs(x))
    same(~a, ~x)
    same(a @ make(x.T.copy(), device, form), x @ x.T)
    c = make(x.astype(np.float64), device, form)
    c += 1.5
    same(c, x + 1.5)
    d = make(x, device, form)
    with pytest.raises(TypeError):                 # same_kind: float into int32
        d += 1.5
    with pytest.raises(ValueError):
        d += make(np.ones((2, 3, 4), np.int32), device, form)


# -- indexing and assignment --------------------------------------------------------------
@given(data=st.data())
def test_getitem_matches_numpy(data, device, form):
    x = data.draw(ARRAYS)
    key = data.draw(st.one_of(strategies.basic_key(x.shape), strategies.adv_key(x)))
    a = make(x, device, form)
    try:
        ref = x[key]
    except Exception as exc:  # noqa: BLE001
        with pytest.raises(type(exc)):
            a[key]
        return
    same(a[key], ref)


INDEX_CASES = [
    (slice(None), ), (0,), (-1,), (slice(1, None, 2),), (Ellipsis, 0), (None, 0),
    (0, None, slice(None)), (Ellipsis,), (np.array([0, 2, 0]),), ([1, 0],),
    (np.array([True, False, True]),), (slice(None), np.array([3, 0])),
    (np.array([[0, 1], [2, 2]]),), (Ellipsis, np.newaxis),
]


@pytest.mark.parametrize("key", INDEX_CASES, ids=repr)
def test_index_cases(key, device, form):
    x = np.arange(12.0).reshape(3, 4)
    a = make(x, device, form)
    key = key[0] if len(key) == 1 else key
    same(a[key], x[key])
    if isinstance(key, np.ndarray):                  # an Array as the index
        same(a[make(key, device, form)], x[key])


@pytest.mark.parametrize("key,value", [
    ((0,), 7.0), ((slice(None), 1), np.array([1.0, 2.0, 3.0])),
    ((Ellipsis, 0), 5), ((slice(None, None, 2),), np.array([9.0, 8.0, 7.0, 6.0])),
    ((np.array([0, 2]),), -1.0), ((np.array([True, False, True]),), np.arange(4.0)),
    ((slice(None), np.array([3, 0])), np.array([[1.0], [2.0], [3.0]])),
    ((1, 2), np.float64(4.5)), ((None, 0), 3.0), ((slice(None),), 0),
], ids=repr)
def test_setitem_matches_numpy(key, value, device, form):
    x = np.arange(12.0).reshape(3, 4)
    a = make(x, device, form)
    key = key[0] if len(key) == 1 else key
    x[key] = value
    a[key] = make(value, device, form) if isinstance(value, np.ndarray) else value
    same(a, x)


def test_setitem_errors_match_numpy(device, form):
    x = np.zeros((3, 4))
    a = make(x, device, form)
    for key, value, exc in [((5,), 1.0, IndexError), ((slice(None),), np.ones(3), ValueError),
                            ((0, 0, 0), 1.0, IndexError)]:
        with pytest.raises(exc):
            x[key[0] if len(key) == 1 else key] = value
        with pytest.raises(exc):
            a[key[0] if len(key) == 1 else key] = value


def test_setitem_does_not_leak_into_other_arrays(device, form):
    x = np.arange(6.0)
    a = make(x, device, form)
    b = a[1:4]
    c = mnp.asarray(a)
    b[0] = 100.0
    same(a, np.array([0.0, 100.0, 2.0, 3.0, 4.0, 5.0]))  # basic slices are views
    c[0] = -1.0
    assert float(a[0]) == -1.0           # asarray of an Array is the same Array


# -- dtypes ---------------------------------------------------------------------------
@pytest.mark.parametrize("src", MX_DTYPES)
@pytest.mark.parametrize("dst", MX_DTYPES)
def test_astype_round_trips(src, dst, device, form):
    x = np.array([0, 1, 2, 5, 100, 127], dtype=src)
    a = make(x, device, form)
    b = a.astype(dst)
    same(b, x.astype(dst))
    same(b.astype(src), x.astype(dst).astype(src))


@pytest.mark.parametrize("dtype", MX_DTYPES + ["int16", "uint16", "uint32", "uint64"])
def test_dtype_preserved_through_creation(dtype, device):
    x = np.array([[1, 0], [3, 4]], dtype=dtype)
    with core.device(device):
        a = mnp.array(x)
        same(a, x)
        same(mnp.asarray(x), x)
        same(mnp.zeros(3, dtype=dtype), np.zeros(3, dtype=dtype))
        same(a + a, x + x)
        same(a.sum(), x.sum())


@pytest.mark.parametrize("value,dtype", [
    ([1 + 2j, 3 - 1j], "complex128"), ([1 + 2j], "complex64"), (["ab", "c"], None),
    ([b"xy", b"z"], None), ([{"a": 1}, None], object), ([1, 2], "int16"),
    ([2 ** 63 + 5, 1], "uint64"), (["2020-01-01"], "datetime64[D]"),
    ([1.5, 2.5], "float64"),
])
def test_host_only_dtypes_without_loss(value, dtype, device):
    x = np.array(value, dtype=dtype)
    with core.device(device):
        a = mnp.array(x)
    assert a.dtype == x.dtype
    if not core.mx_holdable(x.dtype):
        assert a.forms == ("host",)
    assert repr(a) == repr(x)
    assert_array_equal(a.asnumpy(), x)
    assert a.asnumpy().tolist() == x.tolist()
    same(a[::-1], x[::-1])
    same(mnp.concatenate([a, a]), np.concatenate([x, x]))
    b = pickle.loads(pickle.dumps(a))
    assert b.dtype == x.dtype and b.tolist() == x.tolist()
    if x.dtype.kind == "c":
        same(a * 2, x * 2)
        same(mnp.abs(a), np.abs(x))
        same(a.real, x.real)
        same(a.imag, x.imag)
    for name in ("prefer_mxnet", "auto", "only_numpy"):
        with mnp.policy(name):
            same(mnp.reshape(a, (-1,)), x.reshape(-1))


def test_default_float_dtype_of_python_floats(device):
    with core.device(device):
        same(mnp.array([1.5, 2.0]), np.array([1.5, 2.0]))
        with core.default_float_dtype("float32"):
            same(mnp.array([1.5, 2.0]), np.array([1.5, 2.0], dtype=np.float32))
            same(mnp.array(np.array([1.5])), np.array([1.5]))    # data keeps its dtype


@pytest.mark.parametrize("pol", ["prefer_mxnet", "only_numpy", "auto", "only_mxnet"])
def test_creation_follows_the_default_float_dtype(pol, device):
    """The dtype an Array reports is its data's, whatever the default float dtype was
    when an earlier call of the same signature ran (a cached-plan regression)."""
    makers = [lambda: mnp.zeros(3), lambda: mnp.ones((2, 2)), lambda: mnp.eye(2),
              lambda: mnp.identity(2), lambda: mnp.full(2, 1.5), lambda: mnp.empty(2),
              lambda: mnp.linspace(0, 1, 3), lambda: mnp.arange(0.0, 2.0),
              lambda: mnp.random.rand(2), lambda: mnp.random.normal(size=2),
              lambda: mnp.random.uniform(size=2), lambda: mnp.random.gamma(2.0, 1.0, size=2)]
    with core.device(device):
        for dtype in ("float64", "float32", "float16", "float64"):
            with core.default_float_dtype(dtype), mnp.policy(pol):
                for make_one in makers:
                    try:
                        a = make_one()
                    except NotImplementedError:
                        assert pol == "only_mxnet"
                        continue
                    assert a.dtype == np.dtype(dtype), (dtype, a)
                    assert a.asnumpy().dtype == np.dtype(dtype), (dtype, a)
