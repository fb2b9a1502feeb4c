"""Every public numpy.ndarray attribute exists on Array, with a compatible signature and
NumPy's meaning."""

from __future__ import annotations

import inspect
import io
import pickle
import sys

import numpy
import pytest

import minpy.numpy as np
from minpy.core import Array

# Issue 11 item 4 (the array API standard) adds these; until then they may be missing.
PENDING = {"mT", "to_device"}


def _public():
    return sorted(n for n in dir(numpy.ndarray) if not n.startswith("_"))


def _accepts(theirs: inspect.Signature, ours: inspect.Signature) -> list:
    """What a call NumPy's signature allows would fail to bind to ours."""
    problems = []
    mine = ours.parameters
    var_pos = any(p.kind is p.VAR_POSITIONAL for p in mine.values())
    var_kw = any(p.kind is p.VAR_KEYWORD for p in mine.values())
    positional = [p for p in mine.values() if p.kind in (p.POSITIONAL_ONLY,
                                                         p.POSITIONAL_OR_KEYWORD)]
    n_theirs = 0
    for p in theirs.parameters.values():
        if p.name == "self":
            continue
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            n_theirs += 1
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and not var_kw:
            q = mine.get(p.name)
            if q is None or q.kind is q.POSITIONAL_ONLY:
                problems.append(f"keyword {p.name!r}")
    if not var_pos and n_theirs > len(positional) - 1:
        problems.append(f"{n_theirs} positional arguments")
    return problems


@pytest.mark.parametrize("name", _public())
def test_attribute_exists_with_compatible_signature(name):
    if not hasattr(Array, name):
        if name in PENDING:
            pytest.skip(f"{name}: the array API part of issue 11 (item 4) adds it")
        pytest.fail(f"Array lacks numpy.ndarray.{name}")
    theirs = getattr(numpy.ndarray, name)
    ours = inspect.getattr_static(Array, name)
    if not callable(theirs) or isinstance(ours, property):
        assert not callable(getattr(Array, name)) or isinstance(ours, property), name
        return
    try:
        their_sig = inspect.signature(theirs)
    except (TypeError, ValueError):
        pytest.skip(f"numpy.ndarray.{name} has no introspectable signature here")
    assert _accepts(their_sig, inspect.signature(getattr(Array, name))) == []


def test_flags_view_and_settable_attributes():
    ref = numpy.arange(6, dtype=numpy.int32)
    a = np.arange(6, dtype=np.int32)
    v, w = a.view(np.float32), ref.view(numpy.float32)
    assert v.dtype == w.dtype and np.shares_memory(v, a)
    v[0] = 1.5
    w[0] = 1.5
    assert a.tolist() == ref.tolist()
    a.shape = (2, 3)
    ref.shape = (2, 3)
    assert a.shape == (2, 3) and a.tolist() == ref.tolist()
    with pytest.raises(AttributeError):
        a.T.shape = (6,)
    z = np.zeros(3, dtype=complex)
    z.real = np.arange(3.0)
    z.imag = 1
    assert z.tolist() == [1j, 1 + 1j, 2 + 1j]
    with pytest.raises(TypeError):
        np.zeros(2).imag = 1
    f = a.flags
    assert f["C_CONTIGUOUS"] and f.c_contiguous and f.writeable and f.owndata
    assert a.strides == ref.strides and a.__array_interface__["shape"] == (2, 3)
    assert a.__array_interface__["data"][1] is True   # read-only, as numpy.asarray(a)


def test_resize_partition_put_and_fields():
    a = np.array([5, 1, 4, 2, 3])
    a.partition(2)
    assert sorted(a.tolist()[:2]) == [1, 2] and a.tolist()[2] == 3
    assert a.argpartition(1).shape == (5,)
    a.put([0, 1], [10, 11])
    assert a.tolist()[:2] == [10, 11]
    b = np.arange(4)
    b.resize(6, refcheck=False)
    assert b.tolist() == [0, 1, 2, 3, 0, 0]
    c = np.arange(4)
    d = c[1:]
    with pytest.raises(ValueError):
        c.resize(8)
    with pytest.raises(ValueError):
        d.resize(2)
    e = np.arange(3, dtype=np.int32)
    assert e.byteswap().tolist() == numpy.arange(3, dtype=numpy.int32).byteswap().tolist()
    e.byteswap(inplace=True)
    assert e.tolist() == numpy.arange(3, dtype=numpy.int32).byteswap().tolist()
    g = np.zeros(2, dtype=np.int64)
    g.setfield(np.ones(2, dtype=np.int32), np.int32, 4)
    assert g.getfield(np.int32, 4).tolist() == [1, 1]


def test_files_pickles_and_buffers(tmp_path):
    a = np.arange(6.0).reshape(2, 3)
    path = tmp_path / "a.bin"
    a.tofile(str(path))
    assert numpy.fromfile(str(path)).tolist() == a.ravel().tolist()
    a.dump(tmp_path / "a.pkl")
    with open(tmp_path / "a.pkl", "rb") as fh:
        assert pickle.load(fh).tolist() == a.tolist()
    assert pickle.loads(a.dumps()).tolist() == a.tolist()
    buf = io.BytesIO()
    a.dump(buf)
    assert pickle.loads(buf.getvalue()).tolist() == a.tolist()
    assert bytes(a.data) == a.tobytes() and a.ctypes.data == a.__array_interface__["data"][0]
    if sys.version_info >= (3, 12):
        assert memoryview(a).tobytes() == a.tobytes()
    else:
        with pytest.raises(TypeError):  # no Python-level buffer protocol before 3.12
            memoryview(a)


def test_out_and_dtype_conflicts_raise_type_error():
    a = np.ones(2)
    for fn in (np.concatenate, np.stack):
        with pytest.raises(TypeError):
            fn([a, a], out=np.zeros(4 if fn is np.concatenate else (2, 2)), dtype=float)


def test_positional_out():
    a = np.array([0, 1, 1])
    out = np.zeros(3, dtype=a.dtype)
    np.choose(a, [np.array([1, 2, 3]), np.array([4, 5, 6])], out)
    assert out.tolist() == [1, 5, 6]
    r = np.zeros(3)
    np.add(np.ones(3), 1, r)
    assert r.tolist() == [2, 2, 2]


def test_ndarray_constructor_and_flat():
    assert np.ndarray((2, 3)).shape == (2, 3) and np.ndarray(4, np.int32).dtype == np.int32
    x = np.arange(6.0)
    v = np.ndarray((2,), dtype=np.float64, buffer=x, offset=8, strides=(16,))
    assert v.tolist() == [1.0, 3.0] and np.shares_memory(v, x)
    v[0] = 100
    assert x.tolist()[1] == 100
    r = np.ndarray((2,), np.uint8, b"ab")
    assert r.tolist() == [97, 98] and not r.flags.writeable
    assert np.array((1, 2)).tolist() == [1, 2] and np.array(5).shape == ()
    a = np.arange(6.0).reshape(2, 3)
    ref = numpy.arange(6.0).reshape(2, 3)
    for arr in (a, ref):
        arr.flat[::2] = 0
        arr[:, 1].flat[0] = 9
    assert a.tolist() == ref.tolist() and float(a.flat[4]) == ref.flat[4]
    assert len(a.flat) == 6 and [float(e) for e in a.flat] == list(ref.flat)
