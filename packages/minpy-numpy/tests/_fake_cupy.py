"""A TEST DOUBLE of CuPy, backed by NumPy on the host. It proves nothing about GPUs.

It exists so that MinPy's CuPy *plumbing* can be tested on machines without a GPU:
form conversions, dispatch to ``impls['cupy']``, policy choice, transfer counting and
the guard, view-family staleness, DLPack paths. Its arrays refuse NumPy's implicit
conversion (``np.asarray(fake)`` raises TypeError, as CuPy's do), so host code that
receives a device array by mistake fails here as it would on a GPU. It is injected
only by the fixtures of ``test_cupy_backend.py`` (``minpy.core._cupy._reset_for_tests``)
and removed after each test; the conformance suite's GPU leg never sees it.
"""

from __future__ import annotations

import contextlib
import types

import numpy as np

CALLS: list = []  # names of the functions called, in order


class ndarray:
    """A 'device' array: a private NumPy array that NumPy cannot read implicitly."""

    __array_priority__ = 1000

    def __init__(self, a):
        self._a = np.asarray(a)

    # what MinPy uses of cupy.ndarray
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)

    def get(self):
        return np.array(self._a, copy=True)

    def copy(self):
        return ndarray(self._a.copy())

    def astype(self, dtype, **kw):
        return ndarray(self._a.astype(dtype, **kw))

    def __getitem__(self, key):
        return _wrap(self._a[_unwrap(key)])

    def __setitem__(self, key, value):
        self._a[_unwrap(key)] = _unwrap(value)

    def __array__(self, *args, **kwargs):
        raise TypeError("Implicit conversion to a NumPy array is not allowed (test "
                        "double of cupy.ndarray)")

    def __dlpack__(self, **kwargs):
        return self._a.__dlpack__()

    def __dlpack_device__(self):
        return (2, 0)

    def __repr__(self):
        return f"fake_cupy.ndarray({self._a!r})"


def _unwrap(x):
    if isinstance(x, ndarray):
        return x._a
    if type(x) in (tuple, list):
        return type(x)(_unwrap(e) for e in x)
    if isinstance(x, dict):
        return {k: _unwrap(v) for k, v in x.items()}
    if isinstance(x, np.ndarray):
        raise TypeError("test double: a host NumPy array reached a 'device' function")
    return x


def _wrap(x):
    if isinstance(x, np.ndarray):
        return ndarray(x)
    if isinstance(x, np.generic):
        return ndarray(np.asarray(x))
    if type(x) in (tuple, list):
        return type(x)(_wrap(e) for e in x)
    if isinstance(x, tuple):  # named tuples (SlogdetResult...): CuPy returns plain ones
        return tuple(_wrap(e) for e in x)
    return x


def _delegate(name, fn):
    def run(*args, **kwargs):
        CALLS.append(name)
        return _wrap(fn(*_unwrap(args), **_unwrap(kwargs)))
    run.__name__ = name
    return run


class _Namespace(types.ModuleType):
    def __init__(self, name, source, prefix=""):
        super().__init__(name)
        self._source, self._prefix = source, prefix

    def __getattr__(self, attr):
        fn = getattr(self._source, attr)  # AttributeError: "CuPy lacks it"
        if not callable(fn):
            return fn
        return _delegate(self._prefix + attr, fn)


class _Device:
    def __init__(self, index=0):
        self.id = index
        self.compute_capability = "90"  # pretend Hopper: MXNet's kernels stop at sm_86

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def synchronize(self):
        pass


def make(compute_capability="90"):
    """A fresh fake ``cupy`` module (a GPU of ``compute_capability``)."""
    cp = _Namespace("cupy", np)
    cp.ndarray = ndarray
    cp.random = _Namespace("cupy.random", np.random, "random.")
    cp.linalg = _Namespace("cupy.linalg", np.linalg, "linalg.")
    cp.fft = _Namespace("cupy.fft", np.fft, "fft.")

    class Device(_Device):
        def __init__(self, index=0):
            super().__init__(index)
            self.compute_capability = compute_capability

    cp.cuda = types.SimpleNamespace(
        Device=Device, runtime=types.SimpleNamespace(getDeviceCount=lambda: 1))

    def asarray(x, dtype=None):
        CALLS.append("asarray")
        if isinstance(x, ndarray):
            return x if dtype is None else x.astype(dtype)
        return ndarray(np.array(x, dtype=dtype, copy=True))  # a 'host to device' copy

    def array(x, dtype=None, copy=True):
        return ndarray(np.array(_unwrap(x), dtype=dtype, copy=copy))

    def from_dlpack(obj):
        CALLS.append("from_dlpack")
        if isinstance(obj, ndarray):
            return obj
        return ndarray(np.from_dlpack(obj))

    cp.asarray, cp.array, cp.from_dlpack = asarray, array, from_dlpack
    return cp


@contextlib.contextmanager
def installed(compute_capability="90"):
    """Inject the double as MinPy's CuPy for the ``with`` block; undo everything."""
    import importlib

    from minpy.core import _cupy
    device = importlib.import_module("minpy.core.device")
    from minpy.numpy import _cupy_ops
    from minpy.numpy._table import TABLE

    def forget():
        device._backends.clear()
        _cupy_ops._plans.clear()
        for op in TABLE.values():
            op._loaded.pop("cupy", None)  # loaded functions of the double
        CALLS.clear()

    forget()
    _cupy._reset_for_tests(make(compute_capability), ngpus=1)
    try:
        yield
    finally:
        _cupy._reset_for_tests(None)
        forget()
