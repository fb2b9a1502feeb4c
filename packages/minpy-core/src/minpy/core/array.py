"""The :class:`Array`: one user-visible array with a NumPy form and an MXNet form.

An Array holds its data as a NumPy ndarray on the host (``_host``), as an MXNet
``mx.np.ndarray`` on its device (``_mx``), or both. Whichever forms are present are
current: a conversion fills in the missing form lazily, once, when an implementation
needs it (:meth:`Array._host_value`, :meth:`Array._mx_value`), and a write through one
form drops the other. Each conversion is counted and passes the transfer guard
(:mod:`minpy.core.transfer`).

Views follow NumPy: ``a[2:5]``, ``a.T``, ``a.reshape(...)`` and the other view-making
functions give Arrays in ``a``'s *family* (:mod:`minpy.core._views`): they share ``a``'s
host buffer, writes go to it in place and bump the family's version, and every other
form is a cache stamped with the version it was made at, never read once stale.

Outside families the host form may still be shared with other Arrays or NumPy code
(``_shared``); a write then copies first, so it cannot reach an array NumPy would call
a copy.
"""

from __future__ import annotations

import math

import numpy as np

from . import _cupy, _mxnet, _views, convert, transfer
from ._surface import HostSurface
from .device import Device, current_device
from .dtypes import mx_holdable
from .operators import ArrayMethods, lookup
from .tracing import Box

__all__ = ["Array", "array", "asarray"]


def _mx_ndarray_types():
    mx = _mxnet.load()
    if mx is None:
        return ()
    return (mx.np.ndarray, mx.nd.NDArray)


class Array(HostSurface, ArrayMethods):
    """An n-dimensional array that behaves like :class:`numpy.ndarray`.

    Parameters
    ----------
    obj : array_like, Array, or MXNet NDArray
        The data, copied as :func:`numpy.array` would copy it.
    dtype : data-type, optional
        As in :func:`numpy.array`.
    device : Device, optional
        Where the MXNet form lives; defaults to :func:`~minpy.core.current_device`.
    """

    # _view: None, or this Array's place in a view family (minpy.core._views.ViewInfo).
    # _cp: the CuPy form (device memory on a GPU that CuPy serves), or None.
    __slots__ = ("_host", "_mx", "_cp", "_device", "_shared", "_dtype", "_shape", "_view",
                 "__weakref__")
    # NumPy defers to Array in mixed expressions (ndarray + Array -> Array).
    __array_priority__ = 100.0

    def __init__(self, obj, dtype=None, device: Device | None = None, *, buffer=None,
                 offset=0, strides=None, order=None):
        if device is not None and not isinstance(device, Device) and buffer is None:
            buffer, device = device, None  # numpy.ndarray(shape, dtype, buffer)
        if _numpy_constructor(obj, buffer, offset, strides, order):
            self._construct(obj, dtype, buffer, offset, strides, order)
            return
        device = device or current_device()
        if isinstance(obj, Array):
            if obj._host is not None or obj._view is not None or obj._mx is None:
                host = np.array(obj._host_value(), dtype=dtype)
            else:
                src = obj._mx.as_in_ctx(device.mx_context)
                self._set(None, src.astype(dtype) if dtype is not None else src.copy(), device)
                self._dtype = np.dtype(self._mx.dtype)
                return
        elif isinstance(obj, _mx_ndarray_types()):
            mx = _mxnet.load()
            src = obj if isinstance(obj, mx.np.ndarray) else obj.as_np_ndarray()
            src = src.as_in_ctx(device.mx_context)
            self._set(None, src.astype(dtype) if dtype is not None else src.copy(), device)
            self._dtype = np.dtype(self._mx.dtype)
            return
        elif _cupy._module is not None and isinstance(obj, _cupy._module.ndarray):
            if device.is_gpu and device.backend == "cupy":  # a copy on the GPU
                cp = _cupy._module
                with cp.cuda.Device(device.index):
                    value = cp.array(obj, dtype=dtype, copy=True)
                self._set(None, None, device, dtype=np.dtype(value.dtype))
                self._cp, self._shape = value, tuple(value.shape)
                return
            host = np.array(obj.get(), dtype=dtype)  # a copy, as numpy.array makes
        else:
            host = np.array(_host_tree(obj), dtype=dtype)
        self._set(host, None, device)

    def _construct(self, shape, dtype, buffer, offset, strides, order):
        """``numpy.ndarray(shape, dtype, buffer, offset, strides, order)``: an Array over
        ``buffer``'s memory (an Array's: a view in its family), or a new uninitialised
        one."""
        source = buffer._pinned_host() if isinstance(buffer, Array) else buffer
        host = np.ndarray(shape, dtype=float if dtype is None else dtype, buffer=source,
                          offset=offset, strides=strides, order=order)
        self._set(host, None, current_device())
        if isinstance(buffer, Array):
            _views.link(self, buffer)

    # -- construction without copies (for implementations) ---------------------------
    def _set(self, host, mx, device, shared=False, dtype=None):
        self._host = host
        self._mx = mx
        self._cp = None
        self._device = device
        self._shared = shared
        self._view = None
        # Metadata is cached: asking MXNet for a dtype or shape is a C call (~2 us).
        self._dtype = host.dtype if host is not None else dtype
        self._shape = host.shape if host is not None else None

    @classmethod
    def _from_host(cls, host: np.ndarray, device: Device | None = None) -> "Array":
        """Wrap a NumPy result without copying (it is marked shared if it is a view)."""
        self = object.__new__(cls)
        if not isinstance(host, np.ndarray):
            host = np.asarray(host)
        self._set(host, None, device or current_device(), host.base is not None)
        return self

    @classmethod
    def _from_mx(cls, value, device: Device | None = None, dtype=None) -> "Array":
        """Wrap an ``mx.np.ndarray`` result without copying (``dtype``, if given, must
        be its dtype: it saves asking MXNet)."""
        self = object.__new__(cls)
        if dtype is not None and not isinstance(dtype, np.dtype):
            dtype = np.dtype(dtype)
        self._set(None, value, device or current_device(), dtype=dtype)
        return self

    @classmethod
    def _from_cupy(cls, value, device: Device, dtype=None) -> "Array":
        """Wrap a ``cupy.ndarray`` result on ``device`` without copying."""
        self = object.__new__(cls)
        self._set(None, None, device, dtype=np.dtype(dtype if dtype is not None
                                                     else value.dtype))
        self._cp = value
        self._shape = tuple(value.shape)
        return self

    # -- the forms ---------------------------------------------------------------------
    def _host_value(self, share: bool = False) -> np.ndarray:
        """The NumPy form, converting from MXNet once if needed. ``share=True`` marks
        it as handed out, so a later write through this Array copies first."""
        host = self._host
        if host is None:
            if self._view is not None and self._view.recipe is not None:
                host = self._derive_host()
            elif self._mx is None:  # the CuPy form is the only one
                transfer.note("to_host", self.nbytes, self.shape, self.dtype, self._device)
                host = self._host = self._cp.get()
            elif transfer.guarded():
                dtype = self.dtype
                transfer.note("to_host", self.size * dtype.itemsize, self.shape, dtype,
                              self._device)
                host = self._host = self._mx.asnumpy()
            else:  # metadata read off the copy: asking MXNet costs a C call each
                host = self._host = self._mx.asnumpy()
                transfer.count("to_host", host.nbytes)
        if share:
            self._shared = True
        return host

    def _derive_host(self) -> np.ndarray:
        """A family member made without a host form: its host view of the parent's."""
        parent, fn, args, kwargs = self._view.recipe
        host = fn(parent._host_value(), *args, **kwargs)
        if not isinstance(host, np.ndarray):
            host = np.asarray(host)
        self._view.recipe = None  # the parent stays alive as NumPy's .base would
        self._host = host
        return host

    def _mx_value(self):
        """The MXNet form on this Array's device, converting once if needed (and again
        after a write to its view family made the cached one stale)."""
        mxv = self._mx
        vi = self._view
        if mxv is None or (vi is not None and not _views.current(vi, "mxnet")):
            host = self._host_value()
            if not mx_holdable(host.dtype):
                raise TypeError(f"MXNet cannot hold dtype {host.dtype}")
            transfer.note("to_mxnet", host.nbytes, host.shape, host.dtype, self._device)
            mx = _mxnet.require()
            if not host.flags.c_contiguous:  # views of other layouts
                host = np.ascontiguousarray(host)
            if host.dtype == np.bool_:
                # NumPy reads any nonzero byte as True (frombuffer, view(bool)); MXNet
                # computes with the byte itself (a sum counted 255 per True): 0/1 bytes.
                host = host.view(np.uint8).astype(np.bool_)
            mxv = self._mx = mx.np.array(host, dtype=host.dtype, ctx=self._device.mx_context)
            if vi is not None:
                vi.stamps["mxnet"] = vi.fam.version
        return mxv

    def _cp_value(self):
        """The CuPy form on this Array's GPU, converting once if needed (and again after
        a write to its view family made the cached one stale)."""
        cpv = self._cp
        vi = self._view
        if cpv is None or (vi is not None and not _views.current(vi, "cupy")):
            host = self._host_value()
            transfer.note("to_cupy", host.nbytes, host.shape, host.dtype, self._device)
            cp = _cupy.require()
            with cp.cuda.Device(self._device.index):
                cpv = self._cp = cp.asarray(host)  # any layout: CuPy copies it to C order
            if vi is not None:
                vi.stamps["cupy"] = vi.fam.version
        return cpv

    @property
    def forms(self) -> tuple[str, ...]:
        """Which current forms are present: ``('host',)``, ``('mxnet',)``, ``('cupy',)``
        or several."""
        mxv, cpv = self._mx, self._cp
        vi = self._view
        if vi is not None:
            if mxv is not None and not _views.current(vi, "mxnet"):
                mxv = None
            if cpv is not None and not _views.current(vi, "cupy"):
                cpv = None
        return tuple(n for n, v in (("host", self._host), ("mxnet", mxv), ("cupy", cpv))
                     if v is not None)

    def _writable_host(self) -> np.ndarray:
        """The host form, ready for a write in place: in a view family the shared buffer
        itself (every cached form of the family goes stale); otherwise made private, and
        the MXNet form is dropped. A read-only array raises NumPy's ValueError."""
        host = self._host_value()
        if not host.flags.writeable:
            raise ValueError("assignment destination is read-only")
        if self._view is not None:
            _views.bump(self)
            return host
        if self._shared:
            host = self._host = np.array(host, copy=True)
            self._shared = False
        self._mx = self._cp = None
        return host

    def _assign(self, other: "Array") -> None:
        """Take over ``other``'s data (in-place operators, ``sort()``, ``fill``, ``out=``):
        in a view family, a write into the shared buffer."""
        if self._view is not None or (self._host is not None
                                      and not self._host.flags.writeable):
            host = self._writable_host()
            host[...] = other._host_value()
            return
        if other._view is not None or (other._host is not None
                                       and not other._host.flags.writeable):
            # never adopt a family's buffer silently, nor a read-only one (a result
            # broadcast to the shape of ``out=``): this Array stays writable
            self._host, self._mx = np.array(other._host_value(), copy=True), None
            self._cp = None
        else:
            self._host, self._mx, self._cp = other._host, other._mx, other._cp
        self._dtype, self._shape = other.dtype, other.shape
        taken = other._host is not None and other._view is None and self._host is other._host
        self._shared = taken
        if taken:
            other._shared = True

    # -- NumPy attributes ------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        shape = self._shape
        if shape is None:
            src = self._host if self._host is not None else (
                self._mx if self._mx is not None else self._cp)
            shape = self._shape = tuple(src.shape)
        return shape

    @shape.setter
    def shape(self, value):
        """Reshape in place without copying, as setting ``numpy.ndarray.shape`` (NumPy's
        AttributeError where that would need a copy)."""
        host = self._host_value()
        _views.settle(self)  # views still to be derived from this layout
        view = host.view()
        view.shape = value
        if self._view is None and not self._shared and host.base is None:
            host.shape = value  # a private owner changes its own shape
            view = host
        self._host, self._mx, self._cp = view, None, None
        self._shape = view.shape

    @property
    def real(self):
        return lookup("real")(self)

    @real.setter
    def real(self, value):
        self._writable_host().real = _host_tree(value)

    @property
    def imag(self):
        return lookup("imag")(self)

    @imag.setter
    def imag(self, value):
        host = self._host_value()
        if host.dtype.kind != "c":
            raise TypeError("array does not have imaginary part to set")
        self._writable_host().imag = _host_tree(value)

    @property
    def dtype(self) -> np.dtype:
        dtype = self._dtype
        if dtype is None:
            src = self._host if self._host is not None else (
                self._mx if self._mx is not None else self._cp)
            dtype = self._dtype = np.dtype(src.dtype)
        return dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    @property
    def device(self) -> Device:
        return self._device





    # -- conversions -----------------------------------------------------------------
    def asnumpy(self) -> np.ndarray:
        """A NumPy copy of the data (writable; changing it does not change the Array)."""
        return np.array(self._host_value(), copy=True)

    def to(self, device: Device) -> "Array":
        """This array on ``device`` (``self`` if it is already there)."""
        if device == self._device:
            return self
        out = object.__new__(Array)
        if self._view is not None:  # a copy, not a member of this family
            out._set(np.array(self._host_value(), copy=True), None, device)
            return out
        if self._host is None and self._mx is None:  # only the CuPy form
            if device.kind == "gpu" and device.backend == "cupy":
                cp = _cupy.require()
                transfer.note("to_cupy", self.nbytes, self.shape, self.dtype, device)
                with cp.cuda.Device(device.index):  # GPU to GPU, no host copy
                    cpv = cp.array(self._cp, copy=True)
                out._set(None, None, device, dtype=self.dtype)
                out._cp, out._shape = cpv, self.shape
                return out
            self._host_value()
        mxv = self._mx.as_in_ctx(device.mx_context) if self._mx is not None else None
        out._set(self._host, mxv, device, shared=self._host is not None, dtype=self.dtype)
        if self._host is not None:
            self._shared = True
        return out

    def as_in_context(self, device: Device) -> "Array":
        """The original MinPy/MXNet spelling of :meth:`to`."""
        return self.to(device)

    @property
    def context(self) -> Device:
        """The original MinPy/MXNet spelling of :attr:`device`."""
        return self._device

    def wait_to_read(self) -> None:
        """Block until pending MXNet work producing this array is done (MXNet's
        ``wait_to_read``; nothing to wait for when only the host form exists)."""
        if self._mx is not None:
            self._mx.wait_to_read()
        if self._cp is not None:
            _cupy.require().cuda.Device(self._device.index).synchronize()

    def asmxnet(self):
        """The MXNet form (an ``mx.np.ndarray``; do not write to it)."""
        return self._mx_value()

    def ascupy(self):
        """The CuPy form (a ``cupy.ndarray`` on this Array's GPU; do not write to it)."""
        if not self._device.is_gpu:
            raise ValueError(f"a CuPy form lives on a GPU; this Array is on {self._device}")
        return self._cp_value()

    def __dlpack__(self, **kwargs):
        """DLPack export of the form the data lives in now: the CuPy form (device
        memory, no copy) when it is current, else the host form (read-only use)."""
        from . import dlpack
        return dlpack.export(self, **kwargs)

    def __dlpack_device__(self):
        from . import dlpack
        return dlpack.export_device(self)

    def item(self, *args):
        return self._host_value().item(*args)

    def tolist(self):
        return self._host_value().tolist()

    def tobytes(self, order="C"):
        return self._host_value().tobytes(order)

    def __array__(self, dtype=None, copy=None):
        host = self._host_value(share=True)
        if dtype is not None and np.dtype(dtype) != host.dtype:
            return host.astype(dtype)
        if copy:
            return host.copy()
        view = host.view()
        view.flags.writeable = False
        return view

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        out = kwargs.pop("out", None)
        if method == "__call__":
            try:
                fn = lookup(ufunc.__name__)
            except AttributeError:
                fn = None
            result = fn(*inputs, **kwargs) if fn is not None else None
        else:  # at, reduce, accumulate, reduceat, outer: NumPy's, through the one door
            from ._handoff import ufunc_method
            result = ufunc_method(ufunc, method, inputs, kwargs)
        if out is None:
            return result
        outs = out if isinstance(out, tuple) else (out,)
        results = result if isinstance(result, tuple) else (result,)
        for o, r in zip(outs, results):
            o[...] = r
        return out[0] if isinstance(out, tuple) and len(out) == 1 else out

    def __array_function__(self, func, types, args, kwargs):
        module = func.__module__ or "numpy"
        parts = module.split(".")
        sub = parts[1] if module.startswith("numpy.") else ""
        if sub in ("", "core", "_core") or (sub == "lib" and (
                len(parts) < 3 or parts[2].startswith("_"))):
            name = func.__name__  # numpy.lib._function_base_impl: a top-level name
        elif sub == "lib":  # numpy.lib.scimath.sqrt is not numpy.sqrt
            name = None
        else:
            name = f"{sub}.{func.__name__}"
        try:
            if name is None:
                raise AttributeError(module)
            fn = lookup(name)
        except AttributeError:  # NumPy's own, through the one door
            from . import _handoff
            return _handoff.call(func, args, kwargs, self._device, name=f"{module}.{func.__name__}")
        return fn(*args, **kwargs)

    # -- Python protocols ------------------------------------------------------------
    def __len__(self):
        shape = self.shape
        if not shape:
            raise TypeError("len() of unsized object")
        return shape[0]

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a 0-d array")
        getitem = lookup("getitem")
        return (getitem(self, i) for i in range(self.shape[0]))

    def __bool__(self):
        return bool(self._host_value())

    def __float__(self):
        return float(self._host_value())

    def __int__(self):
        return int(self._host_value())

    def __complex__(self):
        return complex(self._host_value())

    def __index__(self):
        return self._host_value().__index__()

    def __repr__(self):
        return repr(self._host_value())

    def __str__(self):
        return str(self._host_value())

    def __format__(self, spec):
        host = self._host_value()
        return format(host[()] if host.ndim == 0 else host, spec)

    __hash__ = None

    def __reduce__(self):
        return (_rebuild, (self._host_value(), self._device.kind, self._device.index))

    # -- indexing --------------------------------------------------------------------
    def __setitem__(self, key, value):
        if isinstance(value, Box) or _has_box(key):
            box = value if isinstance(value, Box) else _first_box(key)
            if box._absorbs_writes:  # a capturing tracer records the write
                box._write_into(self, key, value)
                return
            raise TypeError(
                "cannot write a traced value into an Array that is not traced: build the "
                "result with np.stack/np.concatenate/np.where, or compute the Array being "
                "written inside the differentiated function from its inputs")
        if (self._host is None and self._view is None and self._cp is not None):
            try:  # stay on the GPU when CuPy accepts the write; a device copy first,
                # as the CuPy form may be shared with another Array (see _assign)
                new = self._cp.copy()
                new[_cp_key(key)] = (value._cp_value() if isinstance(value, Array)
                                     else value)
                self._cp, self._mx = new, None
                return
            except Exception:
                pass
        if (self._host is None and self._view is None and self._device.is_gpu
                and self._mx is not None and mx_holdable(self.dtype)):
            # Stay on the device when MXNet accepts the write; otherwise use the host.
            try:
                self._mx[_mx_key(key)] = value._mx_value() if isinstance(value, Array) else value
                return
            except Exception:
                pass
        host = self._writable_host()
        host[_host_tree(key)] = value._host_value() if isinstance(value, Array) else (
            _host_tree(value))

    # -- in place ------------------------------------------------------------------
    def _replace_with(self, result) -> None:
        if isinstance(result, Box) and result._absorbs_writes:  # a capture records it
            result._write_into(self, None, result)
            return
        self._assign(result)

    def _check_inplace_operand(self, name, other) -> None:
        if isinstance(other, Box) and not other._absorbs_writes:
            raise TypeError(
                f"cannot apply an in-place '{name}' with a traced value to an Array that is "
                "not traced; write 'x = x op y' instead")


def _numpy_constructor(obj, buffer, offset, strides, order) -> bool:
    """Whether ``Array(...)`` is NumPy's ``ndarray(shape, ...)`` call: a buffer, offset,
    strides or order is given, or the first argument is a shape (an int, or a tuple of
    ints: array data is a list, an array or a scalar)."""
    if buffer is not None or offset or strides is not None or order is not None:
        return True
    if isinstance(obj, (int, np.integer)) and not isinstance(obj, (bool, np.bool_)):
        return True
    return type(obj) is tuple and all(isinstance(n, (int, np.integer)) for n in obj)


def _host_tree(x):
    """Replace Arrays (also inside tuples and lists) by their host forms."""
    if isinstance(x, Array):
        return x._host_value(share=True)
    t = type(x)
    if t is tuple or t is list:
        return t(_host_tree(a) for a in x)
    return x


def _mx_key(key):
    if isinstance(key, Array):
        return key._mx_value()
    if type(key) is tuple:
        return tuple(_mx_key(k) for k in key)
    return key


def _cp_key(key):
    if isinstance(key, Array):
        return key._cp_value()
    if type(key) is tuple:
        return tuple(_cp_key(k) for k in key)
    return key


def _has_box(key):
    if isinstance(key, Box):
        return True
    return type(key) is tuple and any(isinstance(k, Box) for k in key)


def _first_box(key):
    return key if isinstance(key, Box) else next(k for k in key if isinstance(k, Box))


def _rebuild(host, kind, index):
    from .device import num_gpus
    device = Device(kind, index) if kind == "cpu" or index < num_gpus() else current_device()
    return Array._from_host(host, device)


convert.Array = Array


def array(obj, dtype=None, device: Device | None = None) -> Array:
    """Create an Array (a copy), as :func:`numpy.array`."""
    if _numpy_constructor(obj, None, 0, None, None):  # a scalar or a tuple is data here
        obj = np.asarray(obj)
    return Array(obj, dtype=dtype, device=device)


def asarray(obj, dtype=None, device: Device | None = None) -> Array:
    """``obj`` as an Array, without a copy when it already is one of that dtype and
    device. A NumPy ndarray is copied, so later writes to it cannot desynchronise the
    Array's MXNet form."""
    if isinstance(obj, Array) and (dtype is None or np.dtype(dtype) == obj.dtype) and (
            device is None or device == obj._device):
        return obj
    if isinstance(obj, np.ndarray) and (dtype is None or np.dtype(dtype) == obj.dtype):
        out = Array._from_host(obj, device)
        out._shared = True  # the caller still owns that buffer
        return out
    if _numpy_constructor(obj, None, 0, None, None):  # a scalar or a tuple is data here
        obj = np.asarray(obj)
    return Array(obj, dtype=dtype, device=device)
