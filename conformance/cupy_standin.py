"""A STAND-IN for CuPy 14 on machines without a GPU. It is NOT a GPU and proves nothing
about one: NumPy runs every kernel on the host, behind CuPy's names.

It exists because MinPy's CuPy backend must be checked on CI machines that have no GPU,
and a NumPy double that behaves like NumPy hides exactly the places where CuPy is not
NumPy. So the stand-in is built, at test time, from the real CuPy 14 module (``pip
install cupy-cuda13x==14.2.0`` imports on a machine without a GPU; only device work
fails there), and behaves as CuPy does where MinPy could get it wrong:

* **names and signatures**: only the names the real module has (``cupy``,
  ``cupy.linalg``, ``cupy.fft``, ``cupy.random``, ``cupy.cuda``), each with the real
  signature (``inspect.signature``, or for Cython functions and methods the signature
  line CuPy embeds in their docstring). A keyword CuPy lacks (``clip(min=)``,
  ``sum(where=)``, ``take(mode=)``) is a TypeError; ``cupy.linalg.multi_dot`` does not
  exist;
* **ufuncs** take CuPy's keywords only, read from the real ufunc by asking it (``out``,
  ``dtype``, ``casting``, ``_where``: no ``where=``, no ``subok``), and only CuPy arrays
  or scalars as operands (a list or a NumPy array is ``TypeError: Unsupported type``);
* **indexing** as CuPy's ``_prepare_slice_list``/``_take``: out-of-range integer-array
  indices (reads, ``__setitem__``, ``take``, ``put``, ``take_along_axis``) WRAP around
  instead of raising IndexError; a scalar index out of range raises;
* **promotion**: CuPy 14's, which is NumPy 2's (NEP 50): Python scalars are weak, NumPy
  scalars and 0-d arrays strong. NumPy executes the kernels with the operands it is
  given, so a NumPy scalar turned into a Python one before the call changes the result
  dtype here as it would on a GPU;
* **random**: one generator per device (``seed`` reseeds the current device's only; an
  unseeded generator starts from ``CUPY_SEED`` or ``os.urandom``, as CuPy's), drawing a
  stream of its own (Philox), never NumPy's global stream; ``dtype=`` as CuPy's;
* **no implicit host conversion**: ``numpy.asarray(x)`` raises CuPy's TypeError;
  ``x.get()`` and ``cupy.asnumpy(x)`` copy; there is no ``__index__``;
* **honest DLPack**: ``__dlpack_device__`` is ``(kDLCUDA, device)`` and ``__dlpack__``
  hands out a capsule that says kDLCUDA, which no host consumer can import
  (``numpy.from_dlpack`` refuses it); ``cupy.from_dlpack`` imports only such capsules
  (CPU memory is CuPy's TypeError) and shares memory;
* **devices**: ``cuda.Device`` (a context manager; the current device is per thread),
  ``cuda.runtime.getDeviceCount``/``getDevice``/``setDevice``/``getDeviceProperties``,
  streams and events that have nothing to wait for. Arrays live on the device that was
  current when they were made; an operation on an array of another device raises
  CuPy's peer-access ValueError (the stand-in has no peer access).

* **float16 reductions** in float32, rounded once (``sum``, ``prod``, ``nansum``,
  ``nanprod``, ``var``, ``std``, ``linalg.norm`` along axes), as CuPy's kernels do;
* **out of memory**: an allocation the host refuses is CuPy's ``OutOfMemoryError``.

What it cannot show: speed, kernel compilation, the GPU's own memory limit, CUDA
errors, asynchrony, float rounding of CUDA's math library. Names CuPy has but NumPy cannot execute
(``ElementwiseKernel``, ``RawKernel``, memory pools, ...) exist and raise
NotImplementedError when used.

Use::

    with installed(devices=1):   # a block: sys.modules['cupy'] is the stand-in and
        ...                      # MinPy's CuPy loader starts afresh (package tests)
    install()                    # the rest of the process (conformance, gpu_check)
    python conformance/cupy_standin.py -m pytest ...   # a program under the stand-in
    python conformance/cupy_standin.py script.py args

Where the real CuPy 14 cannot be imported, :func:`unavailable_reason` says why and the
tests that use the stand-in skip with that reason.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import inspect
import os
import re
import sys
import threading
import types
import weakref

import numpy

__all__ = ["build", "install", "installed", "unavailable_reason", "real_cupy",
           "is_standin", "CALLS", "REQUIRED"]

#: The CuPy release line the stand-in is built from and checked against.
REQUIRED = "14."
#: Qualified names of the stand-in functions called, in order (for tests; cleared by
#: :func:`installed`). Not part of the stand-in's own namespace: real CuPy has no such name.
CALLS: list = []

_REAL = None       # the real cupy module, once imported
_REAL_ERROR = None
_BUILT = None      # the stand-in module (built once per process)

KDL_CPU, KDL_CUDA = 1, 2


# -- the real CuPy ------------------------------------------------------------------------
def real_cupy():
    """The real ``cupy`` module (imported once, even while the stand-in sits in
    ``sys.modules['cupy']``); raises ImportError saying why it cannot be used."""
    global _REAL, _REAL_ERROR
    if _REAL is not None:
        return _REAL
    if _REAL_ERROR is not None:
        raise ImportError(_REAL_ERROR)
    saved = {k: v for k, v in sys.modules.items() if k == "cupy" or k.startswith("cupy.")}
    standin = saved.get("cupy")
    if standin is not None and is_standin(standin):
        for k in saved:
            del sys.modules[k]
    try:
        import cupy as real  # noqa: PLC0415
    except Exception as exc:  # not installed, or a broken install
        _REAL_ERROR = f"the real CuPy cannot be imported ({type(exc).__name__}: {exc})"
        raise ImportError(_REAL_ERROR) from exc
    finally:
        if standin is not None and is_standin(standin):
            sys.modules.update(saved)
    if not real.__version__.startswith(REQUIRED):
        _REAL_ERROR = (f"the stand-in is built from CuPy {REQUIRED}x, found "
                       f"{real.__version__}")
        raise ImportError(_REAL_ERROR)
    _REAL = real
    return real


def unavailable_reason():
    """``None`` when the stand-in can be built here, else why not (for skip reasons)."""
    try:
        real_cupy()
    except ImportError as exc:
        return (f"CuPy stand-in unavailable: {exc} (nox -s gpu_standin installs "
                "cupy-cuda13x==14.2.0)")
    if int(numpy.__version__.split(".")[0]) < 2:
        return "CuPy stand-in unavailable: CuPy 14 needs NumPy 2"
    return None


def is_standin(module) -> bool:
    return bool(getattr(module, "__standin__", False))


# -- signatures read from the real CuPy ---------------------------------------------------
_TYPE_PREFIX = re.compile(r"^(?:[A-Za-z_][\w.]*(?:\[[^\]]*\])?\s+)+(?=\**[A-Za-z_])")


def _split_params(text):
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def _doc_signature(obj, name):
    """The signature CuPy's Cython embeds as the first docstring line
    (``_ndarray_base.take(self, indices, axis=None, out=None)``), without ``self`` and
    Cython types; ``None`` if there is none."""
    doc = (getattr(obj, "__doc__", None) or "").lstrip()
    first = doc.splitlines()[0] if doc else ""
    m = re.match(r"^[\w.]*?\b" + re.escape(name) + r"\((.*)\)\s*(->.*)?$", first)
    if not m:
        return None
    params = [_TYPE_PREFIX.sub("", p) for p in _split_params(m.group(1))]
    params = [p for p in params if p != "self"]
    ns: dict = {"numpy": numpy, "float": float, "int": int, "bool": bool}
    for text in (params, [_no_default(p) for p in params]):
        try:  # the real defaults where they evaluate, else None (binding needs names only)
            exec(f"def _f({', '.join(text)}): pass", ns)  # noqa: S102 (text from CuPy)
            return inspect.signature(ns["_f"])
        except (SyntaxError, NameError, AttributeError):
            continue
    return None


def _no_default(param):
    if "=" in param and not param.startswith("*"):
        return param.split("=", 1)[0].strip() + "=None"
    return param


def _signature(obj, name):
    try:
        return inspect.signature(obj)
    except (TypeError, ValueError):
        return _doc_signature(obj, name)


# -- the runtime: devices, current device, random state --------------------------------------
class _Runtime(threading.local):
    pass


class _State:
    """The stand-in's mutable state: how many devices, their architecture, the current
    device (per thread), the per-device random generators."""

    def __init__(self):
        self.devices = 1
        self.compute_capability = "90"
        self.local = _Runtime()
        self.default_device = 0
        self.rngs: dict = {}

    def reset(self, devices=1, compute_capability="90"):
        self.devices = devices
        self.compute_capability = str(compute_capability)
        self.local = _Runtime()
        self.default_device = 0
        self.rngs = {}

    @property
    def current(self) -> int:
        stack = getattr(self.local, "stack", None)
        return stack[-1] if stack else self.default_device


STATE = _State()


def _cuda_error(status, text):
    real = real_cupy()
    err = real.cuda.runtime.CUDARuntimeError(status)
    err.args = (text,)
    return err


# -- arrays ------------------------------------------------------------------------------
def _peer_check(arr):
    dev = STATE.current
    if arr._dev != dev:
        raise ValueError(
            f"The device where the array resides ({arr._dev}) is different from the "
            f"current device ({dev}). Peer access is unavailable between these devices.")


def _unsupported(x):
    return TypeError(f"Unsupported type {type(x)}")


def _host(x):
    """Stand-in arrays (also inside lists and tuples) as their NumPy data; a NumPy array
    is CuPy's TypeError (CuPy never reads host memory implicitly)."""
    if isinstance(x, ndarray):
        _peer_check(x)
        return x._a
    if isinstance(x, numpy.ndarray):
        raise _unsupported(x)
    t = type(x)
    if t is list or t is tuple:
        return t(_host(e) for e in x)
    if hasattr(x, "__cuda_array_interface__"):
        return _from_cai(x)._a
    return x


_SCALARS = (bool, int, float, complex, numpy.generic)


def _operand(x):
    """A ufunc operand as CuPy's ``_preprocess_arg`` takes it: a CuPy array (or an object
    with ``__cuda_array_interface__``) on the current device, or a Python/NumPy scalar;
    anything else (a list, a NumPy array) is TypeError."""
    if isinstance(x, ndarray):
        _peer_check(x)
        return x._a
    if isinstance(x, _SCALARS):
        return x
    if hasattr(x, "__cuda_array_interface__"):
        return _from_cai(x)._a
    raise _unsupported(x)


def _from_cai(x):
    """An object exposing ``__cuda_array_interface__`` as a stand-in array over the same
    memory (only memory the stand-in handed out: it has no other)."""
    iface = x.__cuda_array_interface__
    ptr = int(iface["data"][0])
    owner = _EXPORTED.get(ptr)
    shape = tuple(iface["shape"])
    if owner is None and (int(numpy.prod(shape)) if shape else 1):
        raise TypeError(f"Unsupported type {type(x)} (the CuPy stand-in reads only "
                        "__cuda_array_interface__ memory it handed out)")
    host = numpy.asarray(_Interface({"shape": shape, "typestr": iface["typestr"],
                                     "data": (ptr, bool(iface["data"][1])),
                                     "strides": iface.get("strides"), "version": 3},
                                    owner)) if owner is not None else numpy.empty(
        shape, numpy.dtype(iface["typestr"]))
    return ndarray._of(host, STATE.current)


def _host_lenient(x):
    """As :func:`_host`, but host data passes (functions that copy host data in)."""
    if isinstance(x, ndarray):
        return x._a
    t = type(x)
    if t is list or t is tuple:
        return t(_host_lenient(e) for e in x)
    return x


def _wrap(res, dev=None):
    """NumPy results as stand-in results: arrays on the current device, NumPy scalars as
    0-d arrays (CuPy's reductions return arrays), sequences element by element (CuPy
    returns plain tuples where NumPy 2 returns named ones)."""
    if isinstance(res, numpy.ndarray):
        return ndarray._of(res, STATE.current if dev is None else dev)
    if isinstance(res, numpy.generic):
        return ndarray._of(numpy.asarray(res), STATE.current if dev is None else dev)
    if isinstance(res, tuple):
        return tuple(_wrap(r, dev) for r in res)
    if isinstance(res, list):
        return [_wrap(r, dev) for r in res]
    return res


class _Flags:
    """CuPy's ``ndarray.flags``: C_CONTIGUOUS, F_CONTIGUOUS, OWNDATA."""

    def __init__(self, a):
        self.c_contiguous = bool(a._a.flags.c_contiguous)
        self.f_contiguous = bool(a._a.flags.f_contiguous)
        self.owndata = a._base is None

    def __getitem__(self, name):
        return {"C_CONTIGUOUS": self.c_contiguous, "F_CONTIGUOUS": self.f_contiguous,
                "OWNDATA": self.owndata}[name]

    def __repr__(self):
        return (f"  C_CONTIGUOUS : {self.c_contiguous}\n  F_CONTIGUOUS : "
                f"{self.f_contiguous}\n  OWNDATA : {self.owndata}")


class _MemoryPointer:
    """``ndarray.data``: the address (HOST memory of the stand-in: compare it, never
    dereference it as a device pointer) and the device."""

    def __init__(self, a):
        self.ptr = int(a._a.__array_interface__["data"][0]) if a._a.size else 0
        self.device_id = a._dev

    @property
    def device(self):
        return Device(self.device_id)

    def __int__(self):
        return self.ptr


class ndarray:
    """``cupy.ndarray`` of the stand-in: the data is a NumPy array on the host, which
    NumPy never gets implicitly."""

    __slots__ = ("_a", "_dev", "_base", "__weakref__")
    __array_priority__ = 100.0  # as CuPy's

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        if memptr is not None or strides is not None:
            raise NotImplementedError("the CuPy stand-in makes no arrays over raw memory")
        self._a = numpy.empty(shape, dtype=dtype, order=order)
        self._dev, self._base = STATE.current, None

    @classmethod
    def _of(cls, a, dev, base=None):
        self = object.__new__(cls)
        self._a, self._dev, self._base = a, dev, base
        return self

    # -- attributes ------------------------------------------------------------------
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    base = property(lambda self: self._base)
    flags = property(lambda self: _Flags(self))
    data = property(lambda self: _MemoryPointer(self))

    @shape.setter
    def shape(self, value):
        view = self._a.view()
        view.shape = value  # NumPy's AttributeError where a copy would be needed
        self._a = view

    @property
    def device(self):
        return Device(self._dev)

    @property
    def T(self):
        return self._view(self._a.T)

    @property
    def mT(self):
        return self._view(numpy.swapaxes(self._a, -1, -2))

    @property
    def real(self):
        return self._view(self._a.real)

    @real.setter
    def real(self, value):
        self._a.real = _host(value)

    @property
    def imag(self):
        return self._view(self._a.imag)

    @imag.setter
    def imag(self, value):
        self._a.imag = _host(value)

    @property
    def flat(self):
        raise NotImplementedError("the CuPy stand-in does not emulate ndarray.flat")

    @property
    def cstruct(self):
        raise NotImplementedError("the CuPy stand-in has no CUDA struct view")

    def mdspan(self, *, index_type=None, allow_unsafe=None):
        raise NotImplementedError("the CuPy stand-in has no mdspan")

    def _view(self, a):
        return ndarray._of(a, self._dev, self if self._base is None else self._base)

    @property
    def __cuda_array_interface__(self):
        """CuPy's version 3 interface; the pointer is the stand-in's HOST address (the
        same for every array sharing the memory: compare it, never dereference it)."""
        a = self._a
        ptr = _MemoryPointer(self).ptr
        if ptr:
            _EXPORTED[ptr] = a
        return {"shape": a.shape, "typestr": a.dtype.str, "descr": a.dtype.descr,
                "data": (ptr, False), "version": 3,
                "strides": None if a.flags.c_contiguous else a.strides, "stream": 1}

    # -- host conversion: only explicit ----------------------------------------------
    def __array__(self, dtype=None, copy=None):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. Please use "
                        "`.get()` to construct a NumPy array explicitly.")

    def get(self, stream=None, order="C", out=None, blocking=True):
        if out is not None:
            if not isinstance(out, numpy.ndarray):
                raise TypeError("Only numpy.ndarray can be obtained from cupy.ndarray")
            if out.shape != self.shape or out.dtype != self.dtype:
                raise ValueError("Shape or dtype mismatch")
            out[...] = self._a
            return out
        return numpy.array(self._a, order=order, copy=True)

    def set(self, arr, stream=None):
        if not isinstance(arr, numpy.ndarray):
            raise TypeError(f"Only numpy.ndarray can be set to cupy.ndarray, not "
                            f"{type(arr)}")
        if arr.shape != self.shape or arr.dtype != self.dtype:
            raise ValueError("Shape or dtype mismatch")
        self._a[...] = arr

    def tolist(self):
        return self._a.tolist()

    def item(self):
        if self.size != 1:
            raise ValueError("can only convert an array of size 1 to a Python scalar")
        return self._a.item()

    def tobytes(self, order="C"):
        return self._a.tobytes(order)

    def __bool__(self):
        return bool(self._a)

    def __int__(self):
        return int(self._a)

    def __float__(self):
        return float(self._a)

    def __complex__(self):
        return complex(self._a)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.shape[0]))

    def __repr__(self):
        return repr(self._a)

    def __str__(self):
        return str(self._a)

    def __format__(self, spec):
        return format(self._a[()] if self.ndim == 0 else self._a, spec)

    __hash__ = None

    def __reduce__(self):
        return (_rebuild, (self.get(), self._dev))

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        return self.copy()

    # -- DLPack ------------------------------------------------------------------------
    def __dlpack_device__(self):
        return (KDL_CUDA, self._dev)

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        if dl_device is None or tuple(dl_device) == self.__dlpack_device__():
            if copy is True:
                raise BufferError("copy=True only supported for copy to CPU.")
            return _cuda_capsule(self, max_version)
        if tuple(dl_device) == (KDL_CPU, 0):  # an explicit host copy (CuPy 14 does it)
            if copy is False:
                raise ValueError("GPU memory cannot be exported to CPU without copy.")
            host = numpy.array(self._a, copy=True)
            kw = {} if max_version is None else {"max_version": max_version}
            return host.__dlpack__(**kw)
        raise BufferError("unsupported device requested.")

    def toDlpack(self):
        return _cuda_capsule(self, None)

    # -- NumPy's protocols: CuPy's answers -------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        mine = getattr(_BUILT, ufunc.__name__, None) if _BUILT is not None else None
        if mine is None or (method != "__call__" and not isinstance(mine, _Ufunc)):
            return NotImplemented
        for x in inputs + tuple(kwargs.get("out", ())):
            if not isinstance(x, (ndarray, numpy.ndarray) + _SCALARS) and not hasattr(
                    x, "__cuda_array_interface__"):
                return NotImplemented
        if "out" in kwargs:
            out = kwargs["out"]
            kwargs["out"] = out[0] if len(out) == 1 else out
        if method == "__call__":
            return mine(*inputs, **kwargs)
        return getattr(mine, method)(*inputs, **kwargs)

    def __array_function__(self, func, types_, args, kwargs):
        mod = _BUILT
        for part in (func.__module__ or "numpy").split(".")[1:]:
            if part in ("linalg", "fft", "random"):
                mod = getattr(mod, part, None)
        fn = getattr(mod, func.__name__, None) if mod is not None else None
        if fn is None:
            return NotImplemented
        return fn(*args, **kwargs)

    # -- indexing: CuPy's rules --------------------------------------------------------
    def __getitem__(self, slices):
        _peer_check(self)
        key, basic = _cupy_key(self, slices)
        res = self._a[key]
        if basic:
            return self._view(res)
        return ndarray._of(numpy.array(res, copy=True), self._dev)

    def __setitem__(self, slices, value):
        _peer_check(self)
        key, _ = _cupy_key(self, slices)
        self._a[key] = _host_lenient(value) if not isinstance(value, ndarray) else value._a

    # -- methods with CuPy's own semantics ---------------------------------------------
    def copy(self, order="C"):
        _peer_check(self)
        return ndarray._of(numpy.array(self._a, order=order, copy=True), STATE.current)

    def astype(self, dtype, order="K", casting=None, subok=None, copy=True):
        _peer_check(self)
        kw = {"order": order, "copy": copy}
        if casting is not None:
            kw["casting"] = casting
        res = _float_to_int_cast(self._a, dtype, kw)
        return self if res is self._a else ndarray._of(res, self._dev)

    def view(self, dtype=None, type=None):  # noqa: A002 (CuPy's parameter name)
        return self._view(self._a.view() if dtype is None else self._a.view(dtype))

    def take(self, indices, axis=None, out=None):
        return _take(self, indices, axis, out)

    def put(self, indices, values, mode="wrap"):
        _put(self, indices, values, mode)

    def fill(self, value):
        _peer_check(self)
        self._a.fill(value._a if isinstance(value, ndarray) else value)

    def sort(self, axis=-1, kind=None):
        _peer_check(self)
        self._a.sort(axis=axis, kind=kind)

    def argmax(self, axis=None, out=None, dtype=None, keepdims=False):
        return _arg_extreme(numpy.argmax, self, axis, out, dtype, keepdims)

    def argmin(self, axis=None, out=None, dtype=None, keepdims=False):
        return _arg_extreme(numpy.argmin, self, axis, out, dtype, keepdims)

    def ptp(self, axis=None, out=None, keepdims=False):
        _peer_check(self)
        return _wrap(numpy.ptp(self._a, axis=axis, out=_host(out), keepdims=keepdims))

    def reduced_view(self, dtype=None):
        return self._view(self._a)

    def scatter_add(self, slices, value):
        _scatter(numpy.add, self, slices, value)

    def scatter_max(self, slices, value):
        _scatter(numpy.maximum, self, slices, value)

    def scatter_min(self, slices, value):
        _scatter(numpy.minimum, self, slices, value)

    def dot(self, b, out=None):
        _peer_check(self)
        res = numpy.dot(self._a, _host(b), out=None if out is None else _host(out))
        return out if out is not None else _wrap(res)


# -- operators and the remaining methods, from the real ndarray -----------------------------
def _should_use_rop(x, y):
    """CuPy's ``_should_use_rop``: defer to ``y`` (NEP 13, then ``__array_priority__``)."""
    y_ufunc = getattr(y, "__array_ufunc__", _should_use_rop)
    if y_ufunc is not _should_use_rop:
        return y_ufunc is None
    return getattr(x, "__array_priority__", 0) < getattr(y, "__array_priority__", 0)


def _binary(uname):
    def op(self, other):
        if isinstance(other, ndarray):
            return getattr(_BUILT, uname)(self, other)
        if _should_use_rop(self, other):
            return NotImplemented
        return getattr(numpy, uname)(self, other)  # NumPy's dispatch: __array_ufunc__

    def rop(self, other):
        if _should_use_rop(self, other):
            return NotImplemented
        return getattr(numpy, uname)(other, self)

    def iop(self, other):
        return getattr(_BUILT, uname)(self, other, out=self)
    return op, rop, iop


_BINARY = {"add": "add", "sub": "subtract", "mul": "multiply", "truediv": "true_divide",
           "floordiv": "floor_divide", "mod": "remainder", "pow": "power",
           "matmul": "matmul", "and": "bitwise_and", "or": "bitwise_or",
           "xor": "bitwise_xor", "lshift": "left_shift", "rshift": "right_shift",
           "divmod": "divmod"}
for _op, _uname in _BINARY.items():
    _f, _r, _i = _binary(_uname)
    setattr(ndarray, f"__{_op}__", _f)
    setattr(ndarray, f"__r{_op}__", _r)
    if _op not in ("divmod", "matmul"):
        setattr(ndarray, f"__i{_op}__", _i)

for _op, _uname in {"neg": "negative", "pos": "positive", "abs": "absolute",
                    "invert": "invert"}.items():
    setattr(ndarray, f"__{_op}__", (lambda u: lambda self: getattr(_BUILT, u)(self))(_uname))


def _compare(uname, none_fill):
    def op(self, other):
        if isinstance(other, ndarray):
            return getattr(_BUILT, uname)(self, other)
        if _should_use_rop(self, other):
            return NotImplemented
        if none_fill is not None and (other is None or type(other).__eq__ is object.__eq__):
            return ndarray._of(numpy.full(self.shape, none_fill), self._dev)
        return getattr(numpy, uname)(self, other)
    return op


for _op, (_uname, _fill_value) in {"lt": ("less", None), "le": ("less_equal", None),
                                   "gt": ("greater", None),
                                   "ge": ("greater_equal", None),
                                   "eq": ("equal", False),
                                   "ne": ("not_equal", True)}.items():
    setattr(ndarray, f"__{_op}__", _compare(_uname, _fill_value))


def _delegate(name, sig):
    """An ndarray method the stand-in has no code of its own for: the real signature,
    NumPy's method on the data (views stay views)."""
    np_method = getattr(numpy.ndarray, name, None)

    def method(self, *args, **kwargs):
        CALLS.append(f"ndarray.{name}")
        if sig is not None:
            _bind(name, sig, args, kwargs)
        if np_method is None:
            raise NotImplementedError(f"cupy.ndarray.{name}: not emulated by the stand-in")
        _peer_check(self)
        out = kwargs.get("out")
        with numpy.errstate(all="ignore"):
            res = np_method(self._a, *_host(args), **{k: _host(v) for k, v in kwargs.items()})
        if out is not None:
            return out
        if isinstance(res, numpy.ndarray) and numpy.may_share_memory(res, self._a):
            return self._view(res)
        return _wrap(res, self._dev)
    method.__name__ = name
    if sig is not None:
        method.__signature__ = inspect.Signature(
            [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
            + list(sig.parameters.values()))
    return method


def _complete_ndarray(real):
    """Every public method of the real ``cupy.ndarray`` that the stand-in's class does not
    define delegates to NumPy with the real signature; attributes it lacks are left out
    (an AttributeError, as for a name CuPy does not have)."""
    for name in dir(real.ndarray):
        if name.startswith("_") or name in ndarray.__dict__:
            continue
        obj = getattr(real.ndarray, name)
        if callable(obj):
            setattr(ndarray, name, _delegate(name, _signature(obj, name)))


def _rebuild(host, dev):
    return ndarray._of(numpy.array(host), dev if dev < STATE.devices else 0)


def _arg_extreme(fn, a, axis, out, dtype, keepdims):
    _peer_check(a)
    res = fn(a._a, axis=axis, keepdims=keepdims)
    if dtype is not None:
        res = numpy.asarray(res).astype(dtype)
    if out is not None:
        out._a[...] = res
        return out
    return _wrap(res)


def _float_to_int_cast(a, dtype, kw):
    """``a.astype(dtype)``, with CUDA's float -> integer conversion where NumPy's is
    undefined (C++ leaves it so; CuPy's 'Differences' page): a negative float becomes 0
    in an unsigned type, an infinity or an out-of-range value saturates."""
    dt = numpy.dtype(dtype)
    if a.dtype.kind != "f" or dt.kind not in "iu":
        with numpy.errstate(invalid="ignore"):
            return a.astype(dt, **kw)
    info = numpy.iinfo(dt)
    with numpy.errstate(invalid="ignore"):
        clipped = numpy.clip(numpy.nan_to_num(a, nan=0.0), info.min, info.max)
        out = a.astype(dt, **kw)
        bad = ~numpy.isfinite(a) | (a < info.min) | (a > info.max)
        if bad.any():
            out = numpy.array(out, copy=True)
            out[bad] = clipped[bad].astype(dt)
    return out


# -- CuPy's indexing rules ----------------------------------------------------------------
def _cupy_key(a, slices):
    """``slices`` as NumPy will apply them with CuPy's semantics (``_prepare_slice_list``
    and ``_view_getitem``): lists, tuples and NumPy arrays become index arrays (copied to
    the device: allowed), a scalar int is bounds-checked, an integer array is taken
    modulo its axis (CuPy WRAPS out-of-range indices). Returns ``(key, basic)``."""
    items = list(slices) if isinstance(slices, tuple) else [slices]
    basic = True
    for i, s in enumerate(items):
        if s is None or s is Ellipsis or isinstance(s, slice):
            continue
        if isinstance(s, ndarray):
            _peer_check(s)
            s = s._a
        elif isinstance(s, (list, tuple)):
            arr = numpy.asarray(_host_lenient(s))
            s = arr.astype(numpy.int32) if arr.size == 0 else arr
        elif numpy.isscalar(s) and not isinstance(s, (bool, numpy.bool_)):
            continue  # a scalar int: bounds-checked, a view
        elif not isinstance(s, numpy.ndarray):
            s = numpy.asarray(s)
        if s.dtype.kind not in "biu":
            raise IndexError("arrays used as indices must be of integer or boolean type. "
                             f"(actual: {s.dtype.type})")
        items[i] = s
        basic = False
    # Which axis of ``a`` each index consumes.
    consumed = sum(1 if not isinstance(s, numpy.ndarray) or s.dtype.kind != "b" else s.ndim
                   for s in items if s is not None and s is not Ellipsis)
    if consumed > a.ndim:
        raise IndexError(f"too many indices for array: array is {a.ndim}-dimensional, "
                         f"but {consumed} were indexed")
    axis = 0
    for i, s in enumerate(items):
        if s is None:
            continue
        if s is Ellipsis:
            axis += a.ndim - consumed
            continue
        if isinstance(s, numpy.ndarray):
            if s.dtype.kind == "b":
                axis += s.ndim
                continue
            n = a.shape[axis]
            if n == 0:
                if s.size:
                    raise IndexError("cannot do a non-empty take from an empty axes.")
            else:
                items[i] = numpy.mod(s, n)  # CuPy wraps out-of-range indices
        axis += 1
    return tuple(items), basic


def _take(a, indices, axis, out):
    _peer_check(a)
    ind = indices._a if isinstance(indices, ndarray) else numpy.asarray(
        _host_lenient(indices))
    if ind.dtype.kind not in "iub":
        ind = ind.astype(int)
    src = a._a
    n = src.size if axis is None else src.shape[axis]
    if n == 0 and ind.size:
        raise IndexError("cannot do a non-empty take from an empty axes.")
    res = numpy.take(src, ind, axis=axis, mode="wrap") if n else numpy.take(src, ind, axis)
    if out is not None:
        out._a[...] = res
        return out
    return _wrap(res, a._dev)


def _put(a, indices, values, mode):
    _peer_check(a)
    if mode not in ("raise", "wrap", "clip"):
        raise ValueError("clipmode not understood")
    ind = indices._a if isinstance(indices, ndarray) else numpy.asarray(
        _host_lenient(indices))
    vals = values._a if isinstance(values, ndarray) else numpy.asarray(
        _host_lenient(values), dtype=a.dtype)
    if vals.size == 0:
        return
    if mode == "raise" and ind.size and (ind.min() < -a.size or ind.max() >= a.size):
        raise IndexError("invalid entry in indices array")
    numpy.put(a._a, ind, vals, mode="wrap" if mode == "raise" else mode)


def _scatter(ufunc, a, slices, value):
    _peer_check(a)
    key, _ = _cupy_key(a, slices)
    ufunc.at(a._a, key, value._a if isinstance(value, ndarray) else value)


# -- DLPack capsules that say CUDA ----------------------------------------------------------
class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8),
                ("lanes", ctypes.c_uint16)]


class _DLTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", _DLDevice), ("ndim", ctypes.c_int32),
                ("dtype", _DLDataType), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("strides", ctypes.POINTER(ctypes.c_int64)), ("byte_offset", ctypes.c_uint64)]


_DELETER = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


class _DLManagedTensor(ctypes.Structure):
    _fields_ = [("dl_tensor", _DLTensor), ("manager_ctx", ctypes.c_void_p),
                ("deleter", ctypes.c_void_p)]


class _DLManagedTensorVersioned(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint32), ("minor", ctypes.c_uint32),
                ("manager_ctx", ctypes.c_void_p), ("deleter", ctypes.c_void_p),
                ("flags", ctypes.c_uint64), ("dl_tensor", _DLTensor)]


_capi = ctypes.pythonapi
_capi.PyCapsule_GetPointer.restype = ctypes.c_void_p
_capi.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_capi.PyCapsule_GetName.restype = ctypes.c_char_p
_capi.PyCapsule_GetName.argtypes = [ctypes.py_object]
_capi.PyCapsule_SetName.restype = ctypes.c_int
_capi.PyCapsule_SetName.argtypes = [ctypes.py_object, ctypes.c_char_p]
_capi.PyCapsule_IsValid.restype = ctypes.c_int
_capi.PyCapsule_IsValid.argtypes = [ctypes.py_object, ctypes.c_char_p]
# PyCapsule_SetName keeps the pointer: these bytes live as long as the module.
_USED = {b"dltensor": b"used_dltensor", b"dltensor_versioned": b"used_dltensor_versioned"}

#: data address -> the stand-in NumPy array exported there (what cupy.from_dlpack of the
#: stand-in may import: it never imports memory it did not hand out).
_EXPORTED: "weakref.WeakValueDictionary" = weakref.WeakValueDictionary()


def _tensor_of(capsule):
    name = _capi.PyCapsule_GetName(capsule)
    if name not in (b"dltensor", b"dltensor_versioned"):
        raise ValueError("A DLPack tensor object cannot be consumed multiple times (or "
                         f"object was not a DLPack capsule). Got: {capsule!r}")
    ptr = _capi.PyCapsule_GetPointer(capsule, name)
    struct = _DLManagedTensor if name == b"dltensor" else _DLManagedTensorVersioned
    return name, ptr, struct.from_address(ptr)


def _cuda_capsule(a, max_version):
    """NumPy's capsule of ``a``'s memory with its device rewritten to (kDLCUDA, device):
    a CUDA capsule, which host consumers refuse, as they refuse CuPy's."""
    _peer_check(a)
    host = a._a
    kw = {} if max_version is None else {"max_version": tuple(max_version)}
    capsule = host.__dlpack__(**kw)
    _, _, managed = _tensor_of(capsule)
    managed.dl_tensor.device.device_type = KDL_CUDA
    managed.dl_tensor.device.device_id = a._dev
    if host.size:
        _EXPORTED[int(host.__array_interface__["data"][0])] = host
    return capsule


class _Interface:
    """A NumPy view over exported memory (keeps the exporter's array alive)."""

    def __init__(self, iface, owner):
        self.__array_interface__ = iface
        self._owner = owner


def _import_capsule(capsule):
    if not isinstance(capsule, types.CapsuleType if hasattr(types, "CapsuleType")
                      else type(numpy.empty(0).__dlpack__())):
        raise ValueError("A DLPack tensor object cannot be consumed multiple times (or "
                         f"object was not a DLPack capsule). Got: {capsule!r}")
    name, ptr, managed = _tensor_of(capsule)
    t = managed.dl_tensor
    if t.device.device_type != KDL_CUDA:
        raise RuntimeError("CuPy is built against CUDA, different from the backend that "
                           "backs the incoming DLPack tensor")
    shape = tuple(t.shape[i] for i in range(t.ndim))
    code = {0: "i", 1: "u", 2: "f", 5: "c", 6: "b"}[t.dtype.code]
    dtype = numpy.dtype(f"{code}{t.dtype.bits // 8}") if code != "b" else numpy.dtype(bool)
    data = (t.data or 0) + t.byte_offset
    strides = (tuple(t.strides[i] * dtype.itemsize for i in range(t.ndim))
               if t.strides else None)
    size = int(numpy.prod(shape)) if shape else 1
    owner = None
    if size:
        owner = _EXPORTED.get(int(t.data or 0))
        if owner is None:
            raise RuntimeError("the CuPy stand-in imports only CUDA capsules it exported "
                               "itself (it has no real device memory)")
    host = numpy.asarray(_Interface({"shape": shape, "typestr": dtype.str,
                                     "data": (data, False), "strides": strides,
                                     "version": 3}, owner)) if size else numpy.empty(
        shape, dtype)
    # The consumer owns the tensor now: mark the capsule used, release the producer's hold
    # (our view keeps the memory alive through ``owner``).
    _capi.PyCapsule_SetName(capsule, _USED[name])
    if managed.deleter:
        _DELETER(managed.deleter)(ptr)
    return ndarray._of(host, t.device.device_id)


def from_dlpack(array, *, device=None, copy=None):
    if not hasattr(array, "__dlpack_device__"):
        return _import_capsule(array)
    dev_type, dev_id = array.__dlpack_device__()
    if device is not None:
        raise NotImplementedError("from_dlpack() does not support device yet.")
    if int(dev_type) == KDL_CUDA:
        try:
            capsule = array.__dlpack__(stream=1, max_version=(1, 0), copy=copy)
        except TypeError:
            if copy is not None:
                raise
            capsule = array.__dlpack__(stream=1)
        return _import_capsule(capsule)
    if int(dev_type) == KDL_CPU:
        raise TypeError("CPU arrays cannot be directly imported to CuPy. Use "
                        "`cupy.array(numpy.from_dlpack(input))` instead.")
    raise TypeError(f"Unsupported array type: {dev_type}")


def fromDlpack(dltensor):  # noqa: N802 (CuPy's legacy name)
    return _import_capsule(dltensor)


# -- ufuncs ------------------------------------------------------------------------------
def _ufunc_keywords(real):
    """The keywords a CuPy ufunc takes, found by asking the real one: it parses its
    keywords before anything else, and raises 'Wrong arguments' for one it lacks
    (without arguments nothing reaches the device)."""
    accepted = set()
    for kw in ("out", "where", "_where", "casting", "order", "dtype", "subok",
               "signature", "axes", "axis", "keepdims", "initial"):
        try:
            real.add(**{kw: None})
        except TypeError as exc:
            if "Wrong arguments" not in str(exc):
                accepted.add(kw)
        except Exception:  # noqa: BLE001 (accepted, then failed without a device)
            accepted.add(kw)
    return frozenset(accepted)


@contextlib.contextmanager
def _device_memory():
    """An allocation the host cannot make is CuPy's ``OutOfMemoryError`` (a MemoryError
    whose message names the bytes asked for), as on a GPU whose memory is exhausted."""
    try:
        yield
    except MemoryError as exc:
        if isinstance(exc, _REAL.cuda.memory.OutOfMemoryError):
            raise
        shape, dtype = getattr(exc, "shape", None), getattr(exc, "dtype", None)
        size = int(numpy.prod(shape)) * numpy.dtype(dtype).itemsize if shape else 0
        raise _REAL.cuda.memory.OutOfMemoryError(size, 0) from None


class _Ufunc:
    """``cupy.ufunc`` of the stand-in: CuPy's keywords and operand types; NumPy's kernel."""

    def __init__(self, real, np_fn, keywords):
        self.name = real.name
        self.__name__ = getattr(real, "__name__", real.name)
        self.nin, self.nout, self.nargs = real.nin, real.nout, real.nargs
        self.types = list(real.types)
        self._np, self._keywords = np_fn, keywords
        self.__doc__ = real.__doc__
        self._short = real.name[5:] if real.name.startswith("cupy_") else real.name

    def __repr__(self):
        return f"<ufunc '{self.name}'>"

    def __call__(self, *args, **kwargs):
        CALLS.append(self._short)
        # CuPy pops the keywords it knows and rejects the rest before anything else
        given = {k: kwargs.pop(k) for k in list(kwargs) if k in self._keywords}
        if kwargs:
            raise TypeError(f"Wrong arguments {kwargs}")
        out, where = given.pop("out", None), given.pop("_where", None)
        if not self.nin <= len(args) <= self.nargs:
            raise TypeError(f"Wrong number of arguments for {self.name!r}. It must be "
                            f"either {self.nin} or {self.nargs} (with outputs), but given "
                            f"{len(args)}.")
        ins = [_operand(x) for x in args[:self.nin]]
        outs = list(args[self.nin:])
        if out is not None:
            if outs:
                raise ValueError("Cannot specify 'out' as both a positional and keyword "
                                 "argument")
            outs = list(out) if isinstance(out, tuple) else [out]
        kw = {k: v for k, v in given.items() if v is not None}
        if outs:
            kw["out"] = tuple(None if o is None else _operand(o) for o in outs)
        if where is not None:
            kw["where"] = _operand(where)
        with numpy.errstate(all="ignore"), _device_memory():  # a GPU raises no FP warnings
            res = self._np(*ins, **kw)
        if outs:
            return outs[0] if len(outs) == 1 else tuple(outs)
        return _wrap(res)

    def _method(self, name, array, *args, **kwargs):
        if not isinstance(self._np, numpy.ufunc):
            raise NotImplementedError(f"the CuPy stand-in has no {self.name}.{name}")
        out = kwargs.pop("out", None)
        res = getattr(self._np, name)(_host(array), *_host(args), **_host(kwargs))
        if out is not None:
            out._a[...] = res
            return out
        return _wrap(res)

    def outer(self, A, B, **kwargs):  # noqa: N803 (CuPy's names)
        return self._method("outer", A, B, **kwargs)

    def reduce(self, array, axis=0, dtype=None, out=None, keepdims=False):
        return self._method("reduce", array, axis=axis, dtype=dtype, out=out,
                            keepdims=keepdims)

    def accumulate(self, array, axis=0, dtype=None, out=None):
        return self._method("accumulate", array, axis=axis, dtype=dtype, out=out)

    def reduceat(self, array, indices, axis=0, dtype=None, out=None):
        return self._method("reduceat", array, indices, axis=axis, dtype=dtype, out=out)

    def at(self, a, indices, b=None):
        _scatter(self._np, a, indices, b)


# -- functions ----------------------------------------------------------------------------
#: CuPy names whose NumPy 2 counterpart has another name (or is gone from NumPy 2).
_NUMPY_NAMES = {
    "alltrue": "all", "sometrue": "any", "product": "prod", "cumproduct": "cumprod",
    "round_": "round", "in1d": "isin", "trapz": "trapezoid",
}


def _not_emulated(qualname):
    def run(*args, **kwargs):
        raise NotImplementedError(f"cupy.{qualname}: the CuPy stand-in does not emulate "
                                  "this (NumPy has no counterpart to run)")
    return run


def _renames(cupy_sig, np_fn):
    """CuPy parameter name -> NumPy's, where they differ at the same position
    (``reshape(a, newshape)`` vs NumPy's ``shape``, ``concatenate(tup)`` vs ``arrays``)."""
    try:
        np_params = list(inspect.signature(np_fn).parameters)
    except (TypeError, ValueError):
        return {}
    out = {}
    for i, p in enumerate(cupy_sig.parameters):
        if p not in np_params and i < len(np_params) and np_params[i] not in (
                cupy_sig.parameters):
            out[p] = np_params[i]
    return out


def _bind(name, sig, args, kwargs):
    """Python's TypeError for a call that ``sig`` does not take (an unknown keyword is
    named first, as Python names it)."""
    params = sig.parameters
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        for k in kwargs:
            if k not in params or params[k].kind is inspect.Parameter.POSITIONAL_ONLY:
                raise TypeError(f"{name}() got an unexpected keyword argument {k!r}")
    try:
        sig.bind(*args, **kwargs)
    except TypeError as exc:
        raise TypeError(f"{name}() {exc}") from None


class _Function:
    """A CuPy function of the stand-in: the real signature (a keyword CuPy lacks is a
    TypeError), CuPy's operand rules, NumPy's execution.

    ``mode``: ``'numpy'`` runs NumPy's function on the operands' data (a NumPy array
    operand is CuPy's TypeError) and wraps the result; ``'raw'`` hands the arguments to
    an implementation of the stand-in that applies CuPy's rules itself."""

    def __init__(self, qualname, sig, impl, mode="numpy", renames=None,
                 returns_array=False):
        self._qualname, self._sig, self._impl, self._mode = qualname, sig, impl, mode
        self._renames = renames or {}
        self._returns_array = returns_array
        self.__name__ = qualname.rsplit(".", 1)[-1]
        self.__qualname__ = self.__name__
        self.__module__ = "cupy" + ("." + qualname.rsplit(".", 1)[0] if "." in qualname
                                    else "")
        if sig is not None:
            self.__signature__ = sig

    def __repr__(self):
        return f"<function cupy.{self._qualname} (stand-in)>"

    def __call__(self, *args, **kwargs):
        CALLS.append(self._qualname)
        if self._sig is not None:
            _bind(self.__name__, self._sig, args, kwargs)
        if self._mode == "raw":
            with _device_memory():
                return self._impl(*args, **kwargs)
        args = _host(args)
        kwargs = {self._renames.get(k, k): _host(v) for k, v in kwargs.items()}
        with numpy.errstate(all="ignore"), _device_memory():  # no FP warnings on a GPU
            res = self._impl(*args, **kwargs)
        if self._returns_array and isinstance(res, (bool, int, float, complex)):
            res = numpy.asarray(res)
        return _wrap(res)


def _pinv(a, rcond=1e-15):  # CuPy's default cut-off, not NumPy 2's rtol
    return numpy.linalg.pinv(a, rcond=rcond)


def _take_along_axis(arr, indices, axis):
    _peer_check(arr)
    a, ind = arr._a, indices._a if isinstance(indices, ndarray) else numpy.asarray(indices)
    if axis is None:
        a, axis = a.ravel(), 0
    n = a.shape[axis]
    return _wrap(numpy.take_along_axis(a, numpy.mod(ind, n) if n else ind, axis))


def _asnumpy(a, stream=None, order="C", out=None, *, blocking=True):
    if isinstance(a, ndarray):
        return a.get(stream, order, out, blocking)
    if out is not None:
        out[...] = a
        return out
    return numpy.asarray(a, order=order)


def _array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, *,
           blocking=False):
    if isinstance(obj, ndarray):
        if not copy and obj._dev == STATE.current and ndmin <= obj.ndim and (
                dtype is None or numpy.dtype(dtype) == obj.dtype):
            return obj
        return ndarray._of(numpy.array(obj._a, dtype=dtype, copy=True, order=order,
                                       ndmin=ndmin), STATE.current)
    if hasattr(obj, "__cuda_array_interface__"):  # device memory: a view, as CuPy's
        view = _from_cai(obj)
        return _array(view, dtype, copy, order, subok, ndmin) if copy or dtype else view
    host = numpy.array(_host_lenient(obj), dtype=dtype, copy=True, order=order,
                       ndmin=ndmin)
    _check_dtype(host.dtype)
    return ndarray._of(host, STATE.current)


def _asarray(a, dtype=None, order=None, *, copy=None, blocking=False):
    return _array(a, dtype=dtype, copy=bool(copy), order=order or "K")


def _check_dtype(dt):
    if dt.kind in "OSUVMm":
        raise ValueError(f"Unsupported dtype {dt}")


def _get_array_module(*args):
    for a in args:
        if isinstance(a, ndarray):
            return _BUILT
    return numpy


def _fuse(*args, **kwargs):
    """``cupy.fuse``: here the function itself, run op by op (NumPy has no fusion)."""
    if len(args) == 1 and callable(args[0]) and not kwargs:
        return args[0]
    return lambda fn: fn


def _operand_array(x):
    if not isinstance(x, ndarray):
        raise _unsupported(x)
    return x


def _argfn(fn):
    def run(a, axis=None, dtype=None, out=None, keepdims=False):
        return _arg_extreme(fn, _operand_array(a), axis, out, dtype, keepdims)
    return run


def _half_in_float(np_fn, root=None):
    """CuPy's float16 reductions: its kernels (``'e->e'`` loops with a ``float``
    accumulator in ``cupy/_core/_routines_math.pyx``; ``var``'s kernel in
    ``_routines_statistics.pyx``) reduce float16 in float32 and round once, where NumPy
    rounds to float16 between its inner loops. With ``root`` (NumPy's ``std``) the
    float16 case is the square root of that float16 variance (CuPy's ``_std``). Other
    dtypes, and calls with ``dtype=`` or ``out=``, are NumPy's."""
    def run(a, *args, **kwargs):
        if not (isinstance(a, numpy.ndarray) and a.dtype == numpy.float16 and len(args) < 2
                and kwargs.get("dtype") is None and kwargs.get("out") is None):
            return (root or np_fn)(a, *args, **kwargs)
        res = numpy.asarray(np_fn(a.astype(numpy.float32), *args, **kwargs))
        return numpy.sqrt(res.astype(numpy.float16)) if root else res.astype(numpy.float16)
    return run


def _half_norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 (NumPy's name)
    """``cupy.linalg.norm`` of float16 along axes: ``sqrt(sum(x * x))`` with CuPy's sum
    (above); without ``axis`` CuPy's ``dot`` adds in float32 as NumPy's does."""
    if x.dtype != numpy.float16 or ord is not None or axis is None:
        return numpy.linalg.norm(x, ord, axis, keepdims)
    sq = _half_in_float(numpy.sum)(x * x, axis=axis, keepdims=keepdims)
    return numpy.sqrt(sq)


#: CuPy functions whose float16 arithmetic differs from NumPy's (see :func:`_half_in_float`).
HALF_REDUCTIONS = {
    "sum": (_half_in_float(numpy.sum), "numpy"),
    "prod": (_half_in_float(numpy.prod), "numpy"),
    "nansum": (_half_in_float(numpy.nansum), "numpy"),
    "nanprod": (_half_in_float(numpy.nanprod), "numpy"),
    "var": (_half_in_float(numpy.var), "numpy"),
    "std": (_half_in_float(numpy.var, root=numpy.std), "numpy"),
}


def _module_functions():
    """CuPy module-level names the stand-in implements itself (CuPy's semantics), as
    ``name -> (implementation, mode)`` (see :class:`_Function`)."""
    raw = {
        "array": _array, "asarray": _asarray, "asanyarray": _asarray,
        "ascontiguousarray": lambda a, dtype=None: _array(a, dtype=dtype, order="C"),
        "asfortranarray": lambda a, dtype=None: _array(a, dtype=dtype, order="F"),
        "asnumpy": _asnumpy, "get_array_module": _get_array_module,
        "take": lambda a, indices, axis=None, out=None: _take(
            _operand_array(a), indices, axis, out),
        "put": lambda a, ind, v, mode="wrap": _put(_operand_array(a), ind, v, mode),
        "take_along_axis": lambda a, indices, axis: _take_along_axis(
            _operand_array(a), indices, axis),
        "argmax": _argfn(numpy.argmax), "argmin": _argfn(numpy.argmin),
        "from_dlpack": from_dlpack, "fromDlpack": fromDlpack, "fuse": _fuse,
    }
    return {**{name: (fn, "raw") for name, fn in raw.items()}, **HALF_REDUCTIONS}


# -- random ------------------------------------------------------------------------------
_UINT64 = 2 ** 64


def _seed_value(seed):
    """CuPy's ``RandomState.seed``: None -> os.urandom; an array hashed; else an integer
    in [0, 2**64)."""
    if seed is None:
        return int.from_bytes(os.urandom(8), "little")
    if isinstance(seed, numpy.ndarray):
        import hashlib
        return int(hashlib.md5(seed, usedforsecurity=False).hexdigest()[:16], 16)
    arr = numpy.asarray(seed)
    if arr.dtype.kind not in "biu":
        raise TypeError("Seed must be an integer.")
    value = int(arr)
    if value < 0 or value >= _UINT64:
        raise ValueError("Seed must be an integer between 0 and 2**64 - 1")
    return value


class RandomState:
    """``cupy.random.RandomState`` of the stand-in: a Philox stream of its own (CuPy's
    XORWOW cannot be reproduced on the host; what matters is that it is not NumPy's)."""

    def __init__(self, seed=None, method=None):
        self.seed(seed)

    def seed(self, seed=None):
        self._gen = numpy.random.Generator(numpy.random.Philox(key=_seed_value(seed)))


def _rng():
    dev = STATE.current
    rs = STATE.rngs.get(dev)
    if rs is None:
        rs = STATE.rngs[dev] = RandomState(os.environ.get("CUPY_SEED") and
                                           int(os.environ["CUPY_SEED"]))
    return rs


def _float_dtype(dtype):
    dt = numpy.dtype(dtype)
    if dt not in (numpy.dtype(numpy.float32), numpy.dtype(numpy.float64)):
        raise TypeError(f"cupy.random only supports float32 and float64, not {dt}")
    return dt


def _sampler(method, float_out=True):
    """A CuPy sampler: the generator's ``method`` with CuPy's ``dtype=`` (float32 or
    float64 for float samplers)."""
    def run(*args, size=None, dtype=None, **kwargs):
        gen = _rng()._gen
        res = getattr(gen, method)(*args, size=size, **kwargs)
        if float_out:
            res = numpy.asarray(res, dtype=_float_dtype(float if dtype is None else dtype))
        elif dtype is not None:
            res = numpy.asarray(res).astype(dtype)
        return numpy.asarray(res)
    return run


def _random_functions():
    def seed(seed=None):
        _rng().seed(seed)

    def rand(*size, **kwarg):
        dtype = kwarg.pop("dtype", float)
        if kwarg:
            raise TypeError(f"rand() got unexpected keyword arguments {', '.join(kwarg)}")
        return numpy.asarray(_rng()._gen.random(size or None, dtype=_float_dtype(dtype)))

    def randn(*size, **kwarg):
        dtype = kwarg.pop("dtype", float)
        if kwarg:
            raise TypeError(f"randn() got unexpected keyword arguments {', '.join(kwarg)}")
        return numpy.asarray(_rng()._gen.standard_normal(size or None,
                                                         dtype=_float_dtype(dtype)))

    def randint(low, high=None, size=None, dtype="l"):
        if high is None:
            low, high = 0, low
        return numpy.asarray(_rng()._gen.integers(low, high, size=size, dtype=dtype))

    def random_sample(size=None, dtype=float):
        return numpy.asarray(_rng()._gen.random(size, dtype=_float_dtype(dtype)))

    def standard_normal(size=None, dtype=float):
        return numpy.asarray(_rng()._gen.standard_normal(size, dtype=_float_dtype(dtype)))

    def uniform(low=0.0, high=1.0, size=None, dtype=float):
        return _sampler("uniform")(low, high, size=size, dtype=dtype)

    def normal(loc=0.0, scale=1.0, size=None, dtype=float):
        return _sampler("normal")(loc, scale, size=size, dtype=dtype)

    def get_random_state():
        return _rng()

    def set_random_state(rs):
        STATE.rngs[STATE.current] = rs

    def reset_states():
        STATE.rngs.clear()

    fns = {"seed": seed, "rand": rand, "randn": randn, "randint": randint,
           "random_sample": random_sample, "random": random_sample, "ranf": random_sample,
           "sample": random_sample, "standard_normal": standard_normal, "uniform": uniform,
           "normal": normal, "get_random_state": get_random_state,
           "set_random_state": set_random_state, "reset_states": reset_states}
    for name in ("gamma", "beta", "lognormal", "chisquare", "exponential",
                 "standard_exponential", "standard_gamma", "standard_cauchy", "laplace",
                 "logistic", "gumbel", "rayleigh", "weibull", "pareto", "power",
                 "standard_t", "f", "vonmises", "wald", "triangular", "noncentral_f",
                 "noncentral_chisquare"):
        fns[name] = _sampler(name)
    for name in ("poisson", "binomial", "geometric", "negative_binomial", "zipf",
                 "logseries", "hypergeometric"):
        fns[name] = _sampler(name, float_out=False)
    fns["permutation"] = lambda a: numpy.asarray(_rng()._gen.permutation(a))

    def shuffle(a):
        _rng()._gen.shuffle(a)
    fns["shuffle"] = shuffle
    out = {name: (fn, "numpy") for name, fn in fns.items()}
    out["RandomState"] = RandomState
    return out


# -- cuda ---------------------------------------------------------------------------------
class Device:
    """``cupy.cuda.Device`` of the stand-in (a context manager that makes the device
    current for this thread)."""

    def __init__(self, device=None):
        if device is None:
            device = STATE.current
        device = int(device)
        if not 0 <= device < STATE.devices:
            raise _cuda_error(101, "cudaErrorInvalidDevice: invalid device ordinal")
        self.id = device

    @property
    def compute_capability(self):
        return STATE.compute_capability

    def __enter__(self):
        stack = getattr(STATE.local, "stack", None)
        if stack is None:
            stack = STATE.local.stack = []
        stack.append(self.id)
        return self

    def __exit__(self, *exc):
        STATE.local.stack.pop()
        return False

    def use(self):
        stack = getattr(STATE.local, "stack", None)
        if stack:
            stack[-1] = self.id
        else:
            STATE.default_device = self.id

    def synchronize(self):
        """Nothing is pending: NumPy ran every kernel already."""

    def __int__(self):
        return self.id

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self):
        return hash(("standin-device", self.id))

    def __repr__(self):
        return f"<CUDA Device {self.id}>"

    @property
    def mem_info(self):
        return (64 * 2 ** 30, 64 * 2 ** 30)


class Stream:
    """``cupy.cuda.Stream``: work is synchronous here, so there is never anything to wait
    for; usable as a context manager as CuPy's."""

    null = None

    def __init__(self, null=False, non_blocking=False, ptds=False, priority=None):
        self.ptr = 0 if null else id(self)
        self.device_id = STATE.current

    def synchronize(self):
        pass

    def use(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def record(self, event=None):
        return event or Event()

    def wait_event(self, event):
        pass

    @property
    def done(self):
        return True


Stream.null = Stream(null=True)


class Event:
    """``cupy.cuda.Event``: records host time (the stand-in's kernels are synchronous)."""

    def __init__(self, block=False, disable_timing=False, interprocess=False):
        self._t = None

    def record(self, stream=None):
        import time
        self._t = time.perf_counter()

    def synchronize(self):
        pass

    @property
    def done(self):
        return True


def _get_elapsed_time(start, end):
    return (end._t - start._t) * 1e3


def _runtime(real_runtime):
    rt = types.ModuleType("cupy.cuda.runtime", "cupy.cuda.runtime of the CuPy stand-in")
    rt.CUDARuntimeError = real_runtime.CUDARuntimeError

    def getDeviceCount():  # noqa: N802 (CUDA's names)
        return STATE.devices

    def getDevice():  # noqa: N802
        return STATE.current

    def setDevice(device):  # noqa: N802
        Device(device).use()

    def getDeviceProperties(device):  # noqa: N802
        Device(device)
        cc = STATE.compute_capability
        return {"name": b"CuPy stand-in (NumPy on the host; NOT a GPU)",
                "totalGlobalMem": 64 * 2 ** 30, "multiProcessorCount": 1,
                "major": int(cc[:-1]), "minor": int(cc[-1]), "clockRate": 0,
                "memoryClockRate": 0, "memoryBusWidth": 0}

    def deviceSynchronize():  # noqa: N802
        pass

    def runtimeGetVersion():  # noqa: N802
        return real_runtime.runtimeGetVersion()

    def driverGetVersion():  # noqa: N802
        return 0

    for fn in (getDeviceCount, getDevice, setDevice, getDeviceProperties,
               deviceSynchronize, runtimeGetVersion, driverGetVersion):
        setattr(rt, fn.__name__, fn)
    rt.streamLegacy, rt.streamPerThread = 1, 2
    rt.is_hip = False
    return rt


def _cuda(real):
    cuda = types.ModuleType("cupy.cuda", "cupy.cuda of the CuPy stand-in: devices, "
                                         "streams and events without a GPU")
    cuda.Device, cuda.Stream, cuda.Event = Device, Stream, Event
    cuda.ExternalStream = Stream
    cuda.runtime = _runtime(real.cuda.runtime)
    cuda.get_current_stream = lambda device_id=-1: Stream.null
    cuda.get_device_id = lambda: STATE.current
    cuda.get_elapsed_time = _get_elapsed_time
    cuda.is_available = lambda: STATE.devices > 0
    cuda.get_local_runtime_version = real.cuda.get_local_runtime_version
    for name in dir(real.cuda):
        if not name.startswith("_") and not hasattr(cuda, name) and not isinstance(
                getattr(real.cuda, name), types.ModuleType):
            setattr(cuda, name, _not_emulated(f"cuda.{name}"))
    return cuda


# -- building the module ------------------------------------------------------------------
def _numpy_object(path):
    try:
        return functools.reduce(getattr, path.split("."), numpy)
    except AttributeError:
        return None


def _fill(target, real_ns, prefix, special, keywords, real):
    """Give ``target`` every public name of ``real_ns``: its ufuncs and functions (the
    real signature; NumPy's function of that name, or the stand-in's own in
    ``special``), its constants, dtypes and exceptions as they are; a class or function
    NumPy cannot stand in for raises NotImplementedError when used."""
    for name in dir(real_ns):
        obj = getattr(real_ns, name)
        if name.startswith("_") or name == "annotations" or isinstance(
                obj, types.ModuleType):
            continue
        qual = prefix + name
        if isinstance(obj, real.ufunc):
            np_fn = getattr(numpy, name, None)
            setattr(target, name, _Ufunc(obj, np_fn, keywords) if callable(np_fn)
                    else _not_emulated(qual))
        elif name in special:
            impl = special[name]
            if isinstance(impl, type):
                setattr(target, name, impl)
            else:
                fn, mode = impl
                setattr(target, name, _Function(qual, _signature(obj, name), fn, mode))
        elif isinstance(obj, type):
            same = _numpy_object(qual) is obj or issubclass(
                obj, (BaseException, numpy.generic))
            setattr(target, name, obj if same else _not_emulated(qual))
        elif callable(obj):
            np_fn = _numpy_object(prefix + _NUMPY_NAMES.get(name, name))
            if not callable(np_fn):
                setattr(target, name, _not_emulated(qual))
                continue
            sig = _signature(obj, name)
            setattr(target, name, _Function(
                qual, sig, np_fn, renames=_renames(sig, np_fn) if sig else {},
                returns_array=name in ("allclose", "array_equal", "array_equiv")))
        else:
            setattr(target, name, obj)  # constants, dtypes


def build():
    """The stand-in module (built once per process from the real CuPy 14)."""
    global _BUILT
    if _BUILT is not None:
        return _BUILT
    real = real_cupy()
    keywords = _ufunc_keywords(real)
    mod = types.ModuleType("cupy", __doc__)
    mod.__standin__ = True
    mod.__version__ = real.__version__
    mod.__file__ = __file__
    _fill(mod, real, "", _module_functions(), keywords, real)
    _complete_ndarray(real)
    mod.ndarray = ndarray
    mod.ufunc = _Ufunc
    linalg = types.ModuleType("cupy.linalg")
    _fill(linalg, real.linalg, "linalg.", {"pinv": (_pinv, "numpy"),
                                           "norm": (_half_norm, "numpy")}, keywords, real)
    linalg.LinAlgError = numpy.linalg.LinAlgError
    fft = types.ModuleType("cupy.fft")
    _fill(fft, real.fft, "fft.", {}, keywords, real)
    random = types.ModuleType("cupy.random")
    rnd = _random_functions()
    _fill(random, real.random, "random.", rnd, keywords, real)
    mod.linalg, mod.fft, mod.random = linalg, fft, random
    mod.cuda = _cuda(real)
    # every name here is a real CuPy name (asserted by the stand-in's own tests)
    _BUILT = mod
    return mod


_SUBMODULES = ("linalg", "fft", "random", "cuda")


def _modules(mod):
    out = {"cupy": mod}
    for sub in _SUBMODULES:
        out[f"cupy.{sub}"] = getattr(mod, sub)
    out["cupy.cuda.runtime"] = mod.cuda.runtime
    return out


def _forget_minpy():
    """MinPy's CuPy loader and everything it cached from the module it found: the next
    GPU request loads CuPy again (``import cupy``: the stand-in while installed). The one
    place that knows MinPy's internals; a refactor of them adapts it here."""
    minpy_cupy = sys.modules.get("minpy.core._cupy")
    if minpy_cupy is not None:
        minpy_cupy._reset_for_tests(None)
    device = sys.modules.get("minpy.core.device")
    if device is not None and hasattr(device, "_backends"):
        device._backends.clear()
    plan = sys.modules.get("minpy.numpy._plan")
    if plan is not None:
        plan.plans.clear()
    table = sys.modules.get("minpy.numpy._table")
    if table is not None:
        for op in table.TABLE.values():
            impl = op.impls.get("cupy")
            if impl is not None:
                impl.forget()


def install(devices=1, compute_capability="90"):
    """Make ``import cupy`` give the stand-in for the rest of the process (before MinPy
    looks for CuPy); returns the module."""
    mod = build()
    STATE.reset(devices, compute_capability)
    sys.modules.update(_modules(mod))
    _forget_minpy()
    os.environ["MINPY_CUPY_STANDIN"] = "1"
    return mod


@contextlib.contextmanager
def installed(devices=1, compute_capability="90"):
    """The stand-in as ``cupy`` inside the block, MinPy's CuPy loader reset on entry and
    exit (so MinPy loads it through its own ``import cupy``), every state undone after."""
    mod = build()
    saved = {k: v for k, v in sys.modules.items() if k == "cupy" or k.startswith("cupy.")}
    for k in saved:
        del sys.modules[k]
    STATE.reset(devices, compute_capability)
    CALLS.clear()
    sys.modules.update(_modules(mod))
    _forget_minpy()
    try:
        yield mod
    finally:
        for k in _modules(mod):
            sys.modules.pop(k, None)
        sys.modules.update(saved)
        _forget_minpy()
        STATE.reset()
        CALLS.clear()


def _main(argv):
    """``python cupy_standin.py -m module args``, ``python cupy_standin.py script.py
    args`` or ``python cupy_standin.py - < script``: run a program with the stand-in as
    CuPy."""
    import runpy
    if not argv:
        print(__doc__)
        return 2
    reason = unavailable_reason()
    if reason:
        print(reason, file=sys.stderr)
        return 3
    install(devices=int(os.environ.get("MINPY_STANDIN_DEVICES", "1")))
    print("CuPy STAND-IN: NumPy on the host behind CuPy 14's names; not a GPU run",
          file=sys.stderr)
    if argv[0] == "-m":
        sys.argv = [argv[1]] + argv[2:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    elif argv[0] == "-":  # a program on standard input
        sys.argv = argv
        exec(compile(sys.stdin.read(), "<stdin>", "exec"), {"__name__": "__main__"})  # noqa: S102
    else:
        sys.argv = argv
        sys.path.insert(0, os.path.dirname(os.path.abspath(argv[0])))
        runpy.run_path(argv[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
