"""The :class:`Array`: one user-visible array with a NumPy form and an MXNet form.

An Array holds its data as a NumPy ndarray on the host (``_host``), as an MXNet
``mx.np.ndarray`` on its device (``_mx``), or both. Whichever forms are present are
current: a conversion fills in the missing form lazily, once, when an implementation
needs it (:meth:`Array._host_value`, :meth:`Array._mx_value`), and a write through one
form drops the other. Each conversion is counted and passes the transfer guard
(:mod:`minpy.core.transfer`).

The host form may be shared with other Arrays (results of NumPy functions are often
views of their inputs) and with NumPy code the Array was handed to; ``_shared`` records
that, and a write then copies first. So writes never reach another Array: basic slices
are copies, a documented deviation from NumPy.
"""

from __future__ import annotations

import math

import numpy as np

from . import _mxnet, convert, transfer
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


class Array(ArrayMethods):
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

    __slots__ = ("_host", "_mx", "_device", "_shared", "_dtype", "_shape", "__weakref__")
    # NumPy defers to Array in mixed expressions (ndarray + Array -> Array).
    __array_priority__ = 100.0

    def __init__(self, obj, dtype=None, device: Device | None = None):
        device = device or current_device()
        if isinstance(obj, Array):
            if obj._host is not None:
                host = np.array(obj._host, dtype=dtype)
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
        else:
            host = np.array(_host_tree(obj), dtype=dtype)
        self._set(host, None, device)

    # -- construction without copies (for implementations) ---------------------------
    def _set(self, host, mx, device, shared=False, dtype=None):
        self._host = host
        self._mx = mx
        self._device = device
        self._shared = shared
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

    # -- the two forms ---------------------------------------------------------------
    def _host_value(self, share: bool = False) -> np.ndarray:
        """The NumPy form, converting from MXNet once if needed. ``share=True`` marks
        it as handed out, so a later write through this Array copies first."""
        host = self._host
        if host is None:
            if transfer.guarded():
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

    def _mx_value(self):
        """The MXNet form on this Array's device, converting once if needed."""
        mxv = self._mx
        if mxv is None:
            host = self._host
            if not mx_holdable(host.dtype):
                raise TypeError(f"MXNet cannot hold dtype {host.dtype}")
            transfer.note("to_mxnet", host.nbytes, host.shape, host.dtype, self._device)
            mx = _mxnet.require()
            mxv = self._mx = mx.np.array(host, dtype=host.dtype, ctx=self._device.mx_context)
        return mxv

    @property
    def forms(self) -> tuple[str, ...]:
        """Which forms are present now: ``('host',)``, ``('mxnet',)`` or both."""
        return tuple(n for n, v in (("host", self._host), ("mxnet", self._mx)) if v is not None)

    def _writable_host(self) -> np.ndarray:
        """The host form, made private and writable; the MXNet form is dropped."""
        host = self._host_value()
        if self._shared or not host.flags.writeable:
            host = self._host = np.array(host, copy=True)
            self._shared = False
        self._mx = None
        return host

    def _assign(self, other: "Array") -> None:
        """Take over ``other``'s data (in-place operators, ``sort()``, ``fill``)."""
        self._host, self._mx = other._host, other._mx
        self._dtype, self._shape = other.dtype, other.shape
        self._shared = True if other._host is not None else False
        other._shared = other._host is not None

    # -- NumPy attributes ------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        shape = self._shape
        if shape is None:
            shape = self._shape = tuple(self._mx.shape)
        return shape

    @property
    def dtype(self) -> np.dtype:
        dtype = self._dtype
        if dtype is None:
            dtype = self._dtype = np.dtype(self._mx.dtype)
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

    def asmxnet(self):
        """The MXNet form (an ``mx.np.ndarray``; do not write to it)."""
        return self._mx_value()

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
        else:
            from .convert import to_host, wrap
            result = wrap(getattr(ufunc, method)(*to_host(inputs), **to_host(kwargs)))
        if out is None:
            return result
        outs = out if isinstance(out, tuple) else (out,)
        results = result if isinstance(result, tuple) else (result,)
        for o, r in zip(outs, results):
            o[...] = r
        return out[0] if isinstance(out, tuple) and len(out) == 1 else out

    def __array_function__(self, func, types, args, kwargs):
        module = func.__module__ or "numpy"
        sub = module.split(".")[1] if module.startswith("numpy.") else ""
        name = func.__name__ if sub in ("", "core", "lib", "_core") else f"{sub}.{func.__name__}"
        try:
            fn = lookup(name)
        except AttributeError:
            from .convert import to_host, wrap
            return wrap(func(*to_host(args), **to_host(kwargs)))
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
            raise TypeError(
                "cannot write a traced value into an Array that is not traced: build the "
                "result with np.stack/np.concatenate/np.where, or compute the Array being "
                "written inside the differentiated function from its inputs")
        if self._host is None and self._device.is_gpu and mx_holdable(self.dtype):
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
        self._assign(result)

    def _check_inplace_operand(self, name, other) -> None:
        if isinstance(other, Box):
            raise TypeError(
                f"cannot apply an in-place '{name}' with a traced value to an Array that is "
                "not traced; write 'x = x op y' instead")


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


def _has_box(key):
    if isinstance(key, Box):
        return True
    return type(key) is tuple and any(isinstance(k, Box) for k in key)


def _rebuild(host, kind, index):
    from .device import num_gpus
    device = Device(kind, index) if kind == "cpu" or index < num_gpus() else current_device()
    return Array._from_host(host, device)


convert.Array = Array


def array(obj, dtype=None, device: Device | None = None) -> Array:
    """Create an Array (a copy), as :func:`numpy.array`."""
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
    return Array(obj, dtype=dtype, device=device)
