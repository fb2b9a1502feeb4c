"""The :class:`Array`: one user-visible array, its data held by one or more backends.

An Array holds its data as a NumPy ndarray on the host (``_host``: the host backend's
form, in a slot of its own because the hottest paths read nothing else) and as forms of
device backends (``_forms``: ``None``, or a small mapping backend -> form, such as an
``mx.np.ndarray`` or a ``cupy.ndarray`` on the Array's device; see
:mod:`minpy.core.backend`), or several. Whichever forms are present are current: a
conversion fills in a missing form lazily, once, when an implementation needs it
(:meth:`Array._host_value`, :meth:`Array._form`), and a write through one form drops
the others. Each conversion is counted and passes the transfer guard
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

from . import _views, convert, transfer
from . import backend as _backend
from ._surface import HostSurface
from .device import Device, backend_of, current_device
from .operators import ArrayMethods, lookup
from .tracing import Box

__all__ = ["Array", "array", "asarray"]

#: Data that is certainly not a device backend's array (no owner to look for).
_PLAIN = (list, tuple, int, float, complex, bool)


class Array(HostSurface, ArrayMethods):
    """An n-dimensional array that behaves like :class:`numpy.ndarray`.

    Parameters
    ----------
    obj : array_like, Array, or MXNet NDArray
        The data, copied as :func:`numpy.array` would copy it.
    dtype : data-type, optional
        As in :func:`numpy.array`.
    device : Device, optional
        Where its device forms live; defaults to :func:`~minpy.core.current_device`.
    """

    # _forms: None, or {backend: form} for the device backends holding the data.
    # _view: None, or this Array's place in a view family (minpy.core._views.ViewInfo).
    # _dtype, _shape: cached (asking a device library is a C call), or None.
    __slots__ = ("_host", "_forms", "_device", "_shared", "_dtype", "_shape", "_view",
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
            if obj._host is not None or obj._view is not None or not obj._forms:
                host = np.array(obj._host_value(), dtype=dtype)
            else:  # a copy on the device, where the backend can make it
                be, form = next(iter(obj._forms.items()))
                if self._adopt(be, form, device, dtype):
                    return
                host = np.array(obj._host_value(), dtype=dtype)
        elif isinstance(obj, np.ndarray) or type(obj) in _PLAIN:
            host = np.array(_host_tree(obj), dtype=dtype)
        else:
            owner = _backend.owner_of(obj)  # a CuPy or MXNet array the user made
            if owner is None:
                host = np.array(_host_tree(obj), dtype=dtype)
            else:
                form, _ = owner.native(obj)
                if self._adopt(owner, form, device, dtype):
                    return
                host = np.array(owner.to_host(form), dtype=dtype)  # as numpy.array copies
        self._set(host, None, device)

    def _adopt(self, be, form, device, dtype) -> bool:
        """Become a copy of ``be``'s ``form`` made on ``device`` by ``be`` itself (no
        host round trip), where ``be`` can make it there; else False."""
        if dtype is not None and not be.holds(np.dtype(dtype)):
            return False
        copy = be.adopt(form, device, dtype)
        if copy is None:
            return False
        self._set(None, {be: copy}, device)
        self._dtype, self._shape = be.meta(copy)
        return True

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
    def _set(self, host, forms, device, shared=False, dtype=None):
        self._host = host
        self._forms = forms
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
    def _from_form(cls, backend, form, device: Device | None = None, dtype=None) -> "Array":
        """Wrap ``backend``'s array ``form`` (a result on ``device``) without copying
        (``dtype``, if given, must be its dtype: it saves asking the library)."""
        self = object.__new__(cls)
        if dtype is not None and not isinstance(dtype, np.dtype):
            dtype = np.dtype(dtype)
        self._set(None, {backend: form}, device or current_device(), dtype=dtype)
        return self

    # -- the forms ---------------------------------------------------------------------
    def _host_value(self, share: bool = False) -> np.ndarray:
        """The NumPy form, converting from MXNet once if needed. ``share=True`` marks
        it as handed out, so a later write through this Array copies first."""
        host = self._host
        if host is None:
            if self._view is not None and self._view.recipe is not None:
                host = self._derive_host()
            else:
                be, form = next(iter(self._forms.items()))
                if transfer.guarded():
                    transfer.note("to_host", self.nbytes, self.shape, self.dtype,
                                  self._device)
                    host = self._host = be.to_host(form)
                else:  # metadata read off the copy: asking a library costs a C call
                    host = self._host = be.to_host(form)
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

    def _form(self, backend):
        """``backend``'s form on this Array's device, converting once if needed (and
        again after a write to its view family made the cached one stale)."""
        forms = self._forms
        vi = self._view
        if forms is not None:
            form = forms.get(backend)
            if form is not None and (vi is None or _views.current(vi, backend)):
                return form
        if backend.is_host:
            return self._host_value()
        host = self._host_value()
        if not backend.holds(host.dtype):
            raise TypeError(f"{backend.label} cannot hold dtype {host.dtype}")
        transfer.note(backend.transfer, host.nbytes, host.shape, host.dtype, self._device)
        form = backend.from_host(host, self._device)
        if self._forms is None:
            self._forms = {backend: form}
        else:
            self._forms[backend] = form
        if vi is not None:
            vi.stamps[backend] = vi.fam.version
        return form

    def _holds(self, backend) -> bool:
        """Whether a form of ``backend`` is cached (current or not: see :attr:`forms`)."""
        forms = self._forms
        return forms is not None and backend in forms

    def _is_view_of(self, parent):
        """Whether this Array's device form is a view of ``parent``'s, as the backend
        holding both tells from its own metadata (no data read); ``None`` when it cannot
        tell (a backend without NumPy's views, or forms of different backends)."""
        forms, pforms = self._forms, parent._forms
        if not forms or not pforms or len(forms) != 1:
            return None
        (be, form), = forms.items()
        pform = pforms.get(be)
        vi = parent._view
        if pform is None or not be.has_views or (vi is not None
                                                 and not _views.current(vi, be)):
            return None
        return be.result_is_view(form, pform)

    def _resident(self):
        """The backend holding the data now: the host's when the host form is present,
        else the first device backend with a form (``None`` for none)."""
        if self._host is not None:
            return _backend.HOST
        forms = self._forms
        return next(iter(forms)) if forms else None

    @property
    def forms(self) -> tuple[str, ...]:
        """Which current forms are present: ``'host'`` and the device backends holding
        the data (``('host',)``, ``('mxnet',)``, ``('host', 'cupy')``...)."""
        found = ("host",) if self._host is not None else ()
        forms = self._forms
        if forms:
            vi = self._view
            found += tuple(b.name for b in forms if vi is None or _views.current(vi, b))
        return found

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
        self._forms = None
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
            self._host, self._forms = np.array(other._host_value(), copy=True), None
        else:
            forms = other._forms
            self._host, self._forms = other._host, (dict(forms) if forms else None)
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
            host = self._host
            if host is not None:
                shape = self._shape = host.shape
            else:
                self._read_meta()
                shape = self._shape
        return shape

    def _read_meta(self) -> None:
        """Cache dtype and shape read off the device form (a C call each)."""
        be, form = next(iter(self._forms.items()))
        dtype, shape = be.meta(form)
        if self._dtype is None:
            self._dtype = dtype
        self._shape = shape

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
        self._host, self._forms = view, None
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
            host = self._host
            if host is not None:
                dtype = self._dtype = host.dtype
            else:
                self._read_meta()
                dtype = self._dtype
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

    # -- the original spellings of two backends' forms ---------------------------------
    # Layers above core written before backends were objects read ``_mx``/``_cp``; they
    # are the MXNet and CuPy entries of ``_forms`` (read-only views of it).
    @property
    def _mx(self):
        forms = self._forms
        return forms.get("mxnet") if forms else None

    @property
    def _cp(self):
        forms = self._forms
        return forms.get("cupy") if forms else None

    def _mx_value(self):
        return self._form(_backend.get("mxnet"))

    def _cp_value(self):
        return self._form(_backend.get("cupy"))

    @classmethod
    def _from_mx(cls, value, device: Device | None = None, dtype=None) -> "Array":
        return cls._from_form(_backend.get("mxnet"), value, device, dtype)

    @classmethod
    def _from_cupy(cls, value, device: Device, dtype=None) -> "Array":
        self = cls._from_form(_backend.get("cupy"), value, device, dtype)
        self._shape = tuple(value.shape)
        return self

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
        moved = None
        if self._forms:
            for be, form in self._forms.items():  # device to device, where it can
                copy = be.copy(form, device)
                if copy is None:
                    continue
                if copy is not form:
                    transfer.note(be.transfer, self.nbytes, self.shape, self.dtype, device)
                moved = moved or {}
                moved[be] = copy
        if self._host is None and not moved:
            self._host_value()
        out._set(self._host, moved, device, shared=self._host is not None, dtype=self.dtype)
        if moved and self._host is None:
            out._shape = self.shape
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
        """Block until pending device work producing this array is done (MXNet's
        ``wait_to_read``; nothing to wait for when only the host form exists)."""
        if self._forms:
            for be, form in self._forms.items():
                be.wait(form)

    def asform(self, backend):
        """``backend``'s form of the data (an ``mx.np.ndarray`` for ``'mxnet'``, a
        ``cupy.ndarray`` on this Array's GPU for ``'cupy'``; do not write to it)."""
        be = _backend.get(backend)
        if not be.serves_cpu and not self._device.is_gpu:
            raise ValueError(f"a {be.label} form lives on a GPU; this Array is on "
                             f"{self._device}")
        return self._form(be)

    @property
    def __cuda_array_interface__(self):
        """The CUDA array interface (version 3) of the device memory of an Array on a
        GPU (made there first if only the host form exists: a counted copy), marked
        read-only (a consumer's write would not reach the Array's other forms). An
        Array on the CPU has none (AttributeError, as NumPy arrays)."""
        dev = self._device
        be = backend_of(dev) if dev.kind == "gpu" else None
        if be is not None:
            iface = be.cuda_array_interface(self._form(be))
            if iface is not None:
                iface = dict(iface)
                iface["data"] = (iface["data"][0], True)
                return iface
        raise AttributeError(f"'Array' on {dev} has no CUDA memory: no "
                             "__cuda_array_interface__")

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
        if self._host is None and self._view is None and self._forms:
            # Stay on the device when its backend accepts the write; else the host.
            for be, form in self._forms.items():
                try:
                    new = be.setitem(form, _key_for(be, key), value._form(be) if
                                     isinstance(value, Array) else value, self._device)
                except _backend.IndexOutOfRange:
                    raise  # NumPy's IndexError, found on the device
                except Exception:  # noqa: BLE001 (declined: the host write decides)
                    continue
                self._forms = {be: new}
                return
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


def _key_for(backend, key):
    """An index key with its Arrays as ``backend``'s forms."""
    if isinstance(key, Array):
        return key._form(backend)
    if type(key) is tuple:
        return tuple(_key_for(backend, k) for k in key)
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


def _form_method(be):
    def method(self):
        return self.asform(be)
    method.__name__ = be.array_method
    method.__doc__ = (f"The {be.label} form of the data (``asform({be.name!r})``; do not "
                      "write to it).")
    return method


def install_form_methods() -> None:
    """Give Array each backend's ``as<backend>()`` method (``asmxnet``, ``ascupy``)."""
    for be in _backend.backends():
        if be.array_method and not hasattr(Array, be.array_method):
            setattr(Array, be.array_method, _form_method(be))


install_form_methods()
_backend._listeners.append(lambda backend: install_form_methods())


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
