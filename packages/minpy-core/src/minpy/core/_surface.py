"""The parts of :class:`numpy.ndarray`'s surface that are about memory: flags, strides,
``base``, ``view``, ``resize``, ``setflags``, files and pickles, raw fields, and the
NumPy interop attributes. They act on the host form (where memory layout means
something), with NumPy's meaning; writes go through :meth:`Array._writable_host`, so
view families and cached MXNet forms stay right.
"""

from __future__ import annotations

import builtins
import pickle

import numpy as np

from . import _views, array_api
from .operators import lookup

__all__ = ["HostSurface", "Flags"]


class Flags:
    """``Array.flags``: NumPy's ``flagsobj`` read off the host form, with ``OWNDATA``
    following the view family and ``WRITEABLE``/``ALIGNED``/``WRITEBACKIFCOPY`` settable
    (as :meth:`HostSurface.setflags`)."""

    __slots__ = ("_array",)
    _KEYS = {"C": "c_contiguous", "F": "f_contiguous", "O": "owndata", "W": "writeable",
             "A": "aligned", "X": "writebackifcopy", "FNC": "fnc", "FORC": "forc",
             "BEHAVED": "behaved", "CARRAY": "carray", "FARRAY": "farray"}

    def __init__(self, array):
        object.__setattr__(self, "_array", array)

    def _name(self, key):
        if not isinstance(key, str):
            raise KeyError(key)
        upper = key.upper()
        name = self._KEYS.get(upper, upper.lower())
        if name not in self._KEYS.values():
            raise KeyError(f"Unknown flag {key!r}")
        return name

    def __getattr__(self, name):
        array = self._array
        if name == "owndata":
            vi = array._view
            if vi is not None:
                return vi.base is None
            return array._host is None or array._host.base is None
        if name == "num":
            return array._host_value().flags.num
        if name in self._KEYS.values():
            return getattr(array._host_value().flags, name)
        raise AttributeError(f"'flagsobj' object has no attribute {name!r}")

    def __setattr__(self, name, value):
        if name not in ("writeable", "aligned", "writebackifcopy"):
            raise AttributeError(f"cannot set flag {name!r}")
        key = {"writeable": "write", "aligned": "align", "writebackifcopy": "uic"}[name]
        self._array.setflags(**{key: value})

    def __getitem__(self, key):
        return getattr(self, self._name(key))

    def __setitem__(self, key, value):
        setattr(self, self._name(key), value)

    def __eq__(self, other):
        if isinstance(other, Flags):
            other = other._array._host_value().flags
        return self._array._host_value().flags == other

    __hash__ = None

    def __repr__(self):
        text = repr(self._array._host_value().flags)
        return text.replace(f"OWNDATA : {not self.owndata}", f"OWNDATA : {self.owndata}")


class HostSurface:
    """Mixin of :class:`~minpy.core.Array`: ndarray attributes that need the host form."""

    __slots__ = ()

    # -- memory introspection --------------------------------------------------------
    @property
    def flat(self):
        """A flat iterator that reads and writes, as :attr:`numpy.ndarray.flat`."""
        from ._flat import FlatIter
        return FlatIter(self)

    @flat.setter
    def flat(self, value):
        from .convert import to_host
        self._writable_host().flat = to_host(value)

    @property
    def base(self):
        """The Array owning the memory of this view (``None`` for an owner), as NumPy."""
        vi = self._view
        return vi.base if vi is not None else None

    @property
    def flags(self) -> Flags:
        return Flags(self)

    @property
    def strides(self) -> tuple:
        return self._host_value().strides

    @property
    def data(self) -> memoryview:
        """A read-only memoryview of the host buffer (writes must go through the Array,
        so that its other forms stay current)."""
        return self._pinned_host().data.toreadonly()

    @property
    def ctypes(self):
        return self._pinned_host().ctypes

    @property
    def __array_interface__(self):
        """The host buffer's interface, read-only (as ``numpy.asarray(x)`` gives: see the
        NumPy deviations page). The buffer is pinned: the Array never replaces it."""
        host = self._pinned_host()
        interface = dict(host.__array_interface__)
        interface["data"] = (interface["data"][0], True)
        return interface

    def __buffer__(self, flags):
        """The buffer protocol (Python 3.12+, PEP 688): the host buffer, read-only."""
        return memoryview(self._pinned_host()).toreadonly()

    def _pinned_host(self) -> np.ndarray:
        """The host form, with the guarantee that it stays this Array's buffer (it
        becomes a view family's root: writes then go into it in place)."""
        host = self._host_value(share=True)
        _views.family_of(self)
        return host

    # -- flags -----------------------------------------------------------------------
    def setflags(self, write=None, align=None, uic=None):
        """As :meth:`numpy.ndarray.setflags` (on the host form)."""
        host = self._host_value()
        if self._view is None and self._shared:
            # The buffer is shared copy-on-write with another Array: make it private,
            # so the flag is this Array's alone.
            host = self._host = np.array(host, copy=True)
            self._shared = False
        host.setflags(write=write, align=align, uic=uic)
        if write:
            if self._view is None:
                self._forms = None

    # -- views and reinterpretation --------------------------------------------------
    def view(self, dtype=None, type=None):
        """A new view of the same memory, as :meth:`numpy.ndarray.view`. ``type`` may be
        :class:`~minpy.core.Array` (the default) or an ndarray class, which gives a
        read-only NumPy view (as ``numpy.asarray(x)``)."""
        from .array import Array
        if type is None and isinstance(dtype, builtins.type) and issubclass(
                dtype, (Array, np.ndarray)):
            dtype, type = None, dtype
        host = self._pinned_host()
        view = host.view() if dtype is None else host.view(dtype)
        if type is not None and not (isinstance(type, builtins.type) and issubclass(
                type, Array)):
            view.flags.writeable = False
            return view.view(type)
        out = Array._from_host(view, self._device)
        out._shared = False
        _views.link(out, self)
        return out

    def getfield(self, dtype, offset=0):
        """A view of a field of the data, as :meth:`numpy.ndarray.getfield`."""
        from .array import Array
        field = self._pinned_host().getfield(dtype, offset)
        out = Array._from_host(field, self._device)
        out._shared = False
        _views.link(out, self)
        return out

    def setfield(self, val, dtype, offset=0):
        self._writable_host().setfield(_host_of(val), dtype, offset)

    def byteswap(self, inplace=False):
        """As :meth:`numpy.ndarray.byteswap`: in place (returning ``self``) or a copy."""
        from .array import Array
        if inplace:
            self._writable_host().byteswap(inplace=True)
            return self
        return Array._from_host(self._host_value().byteswap(), self._device)

    # -- writes ----------------------------------------------------------------------
    def put(self, indices, values, mode="raise"):
        """As :meth:`numpy.ndarray.put` (in place)."""
        self._writable_host().put(_host_of(indices), _host_of(values), mode=mode)

    def partition(self, kth, axis=-1, kind="introselect", order=None):
        """Partially sort in place, as :meth:`numpy.ndarray.partition`."""
        self._replace_with(lookup("partition")(self, _host_of(kth), axis=axis, kind=kind,
                                               order=order))

    def resize(self, *new_shape, refcheck=True):
        """Change the shape and size in place, as :meth:`numpy.ndarray.resize` (new
        elements are zero)."""
        if len(new_shape) == 1 and not isinstance(new_shape[0], (int, np.integer)):
            new_shape = new_shape[0]
        vi = self._view
        if vi is not None and vi.base is not None:
            raise ValueError("cannot resize this array: it does not own its data")
        if refcheck and vi is not None and any(a is not self for a in vi.fam.live()):
            raise ValueError(
                "cannot resize an array that references or is referenced\nby another "
                "array in this way. Use the np.resize function or refcheck=False")
        _views.settle(self)  # views still to be derived from the old layout
        host = np.array(self._host_value(), copy=True)
        host.resize(new_shape, refcheck=False)
        self._host, self._forms, self._shared = host, None, False
        self._dtype, self._shape = host.dtype, host.shape
        if vi is not None:  # the family's other members keep the old buffer
            self._view = None

    # -- files and pickles -----------------------------------------------------------
    def tofile(self, fid, sep="", format="%s"):
        self._host_value().tofile(fid, sep=sep, format=format)

    def dump(self, file):
        """Pickle to ``file`` (a path or a binary file), as :meth:`numpy.ndarray.dump`."""
        if isinstance(file, (str, bytes)) or hasattr(file, "__fspath__"):
            with open(file, "wb") as fh:
                pickle.dump(self, fh, protocol=2)
        else:
            pickle.dump(self, file, protocol=2)

    def dumps(self):
        return pickle.dumps(self, protocol=2)

    # -- the array API standard (see minpy.core.array_api) ---------------------------
    __array_namespace__ = array_api.array_namespace
    mT = property(array_api.matrix_transpose)
    to_device = array_api.to_device


def _host_of(x):
    from .convert import to_host
    return to_host(x)


def _add_numpy1_methods():
    """Methods NumPy 1.x ndarrays have and NumPy 2 removed, where this NumPy has them."""
    if hasattr(np.ndarray, "itemset"):
        def itemset(self, *args):
            """As NumPy 1's :meth:`numpy.ndarray.itemset` (in place)."""
            self._writable_host().itemset(*[_host_of(a) for a in args])
        HostSurface.itemset = itemset
    if hasattr(np.ndarray, "newbyteorder"):
        def newbyteorder(self, new_order="S"):
            return self.view(self.dtype.newbyteorder(new_order))
        HostSurface.newbyteorder = newbyteorder
    if hasattr(np.ndarray, "tostring"):
        def tostring(self, order="C"):
            return self._host_value().tobytes(order)
        HostSurface.tostring = tostring


_add_numpy1_methods()
