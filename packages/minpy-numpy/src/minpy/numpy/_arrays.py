"""``array``, ``asarray`` and ``asanyarray`` with NumPy's ``copy=`` rules.

``copy=True`` always copies; ``copy=None`` copies only where needed (another dtype, a
layout ``order`` asks for, data that is not an array yet); ``copy=False`` never copies
and raises NumPy 2's ``ValueError`` ("Unable to avoid copy ...") where a copy is needed.
On NumPy 1, ``array(..., copy=False)`` keeps NumPy 1's meaning, "copy only if needed",
as ``numpy.array`` does there; ``asarray``'s ``copy`` (new in NumPy 2) has NumPy 2's
meaning on every NumPy.

An Array source is never copied without need: ``asarray(x) is x``. A NumPy ndarray
source that needs no copy is shared, as NumPy shares it: writes through the Array reach
the ndarray.
"""

from __future__ import annotations

import builtins

import numpy as _np

from minpy.core import Array, Box, get_default_float_dtype
from minpy.core import backend as _backend
from minpy.core import dlpack as _dlpack
from minpy.core.array_api import as_device
from minpy.core.operators import lookup
from minpy.core.tracing import unbox_all

#: Data that is certainly no device backend's array.
_PLAIN = (list, tuple, int, float, complex, bool, str, bytes)

__all__ = ["array", "asarray", "asanyarray"]

_NUMPY2 = int(_np.__version__.split(".")[0]) >= 2
_NO_COPY = ("Unable to avoid copy while creating an array as requested.\nIf using "
            "`np.array(obj, copy=False)` replace it with `np.asarray(obj)` to allow a "
            "copy when needed (no behavior change in NumPy 1.x).")


def _has_box(obj):
    if isinstance(obj, Box):
        return True
    return type(obj) in (list, tuple) and builtins.any(_has_box(o) for o in obj)


def _stack_boxes(obj, dtype):
    """``array([...])`` of traced values: stack them so the tracer sees the build."""
    if type(obj) in (list, tuple):
        return lookup("stack")([_stack_boxes(o, dtype) for o in obj])
    if isinstance(obj, Box):
        return obj if dtype is None else obj.astype(dtype)
    return array(obj, dtype=dtype)


def _is_float64_source(obj):
    """Data that is float64 already keeps its dtype; only Python floats are defaulted."""
    return isinstance(obj, (Array, _np.ndarray, _np.generic)) and obj.dtype == _np.float64


def _layout_ok(a, order):
    if order in (None, "K", "A"):
        return True
    flags = a.flags
    return flags.c_contiguous if order == "C" else flags.f_contiguous


def _from_array(a, dtype, copy, order, ndmin, strict):
    """``array(a, ...)`` for an Array (or a traced value) ``a``."""
    same = dtype is None or _np.dtype(dtype) == a.dtype
    needs_copy = not same or (order not in (None, "K", "A") and not isinstance(a, Box)
                              and not _layout_ok(a, order))
    if copy is False and needs_copy:
        if strict:
            raise ValueError(_NO_COPY)
        copy = None
    if copy or needs_copy:
        if order in ("C", "F") and not isinstance(a, Box):
            out = Array._from_host(_np.array(a._host_value(), dtype=dtype, order=order,
                                             copy=True), a._device)
        elif same:
            out = lookup("copy")(a)
        else:
            out = lookup("astype")(a, dtype)
    else:
        out = a
    if ndmin > out.ndim:
        out = lookup("reshape")(out, (1,) * (ndmin - out.ndim) + tuple(out.shape))
    return out


def array(object, dtype=None, *, copy=True, order="K", subok=False, ndmin=0, ndmax=0,
          like=None, **kwargs):
    """Create an Array, as :func:`numpy.array`, with its ``copy`` rules (see the module).
    Python floats become the default float dtype (float64 unless
    :func:`~minpy.numpy.set_default_float_dtype` says otherwise)."""
    if ndmax:  # NumPy 2.4's; passed on only when given, for older NumPy
        kwargs["ndmax"] = ndmax
    if _has_box(object):
        if copy is False and not isinstance(object, Box):
            raise ValueError(_NO_COPY)
        if isinstance(object, Box):
            return _from_array(object, dtype, copy, None, ndmin, True)
        return _stack_boxes(object, dtype)
    if isinstance(object, Array):
        return _from_array(object, dtype, copy, order, ndmin, _NUMPY2)
    if like is not None:
        kwargs["like"] = unbox_all(like) if not isinstance(like, Array) else (
            like._host_value())
    if (not ndmin and not kwargs and type(object) not in _PLAIN
            and not isinstance(object, _np.ndarray)
            and _backend.owner_of(object) is not None):
        # A device backend's array (CuPy refuses NumPy's implicit conversion): a copy
        # made by its backend where it serves the device (through the host otherwise),
        # or its memory with copy=False.
        if copy is False:
            if dtype is not None and _np.dtype(dtype) != object.dtype:
                raise ValueError(_NO_COPY)
            return _dlpack.from_dlpack(object)
        return Array(object, dtype=dtype)
    if copy is None and not _NUMPY2:
        copy = False  # NumPy 1 spells "copy if needed" copy=False
    host = _np.array(object, dtype=dtype, copy=copy, order=order, subok=False,
                     ndmin=ndmin, **kwargs)
    if dtype is None and host.dtype == _np.float64 and not _is_float64_source(object):
        if copy is False and get_default_float_dtype() != _np.float64:
            raise ValueError(_NO_COPY)
        host = host.astype(get_default_float_dtype())
    out = Array._from_host(host)
    if isinstance(object, _np.ndarray) and (host is object or host.base is not None):
        out._shared = False  # NumPy shares the ndarray: so does the Array
    return out


def asarray(a, dtype=None, order=None, *, device=None, copy=None, like=None, **kwargs):
    """``a`` as an Array, as :func:`numpy.asarray`: ``a`` itself when it is an Array of
    that dtype (and ``copy`` is not true); ``copy`` has NumPy 2's meaning. ``device``
    (a MinPy device, or ``'cpu'``, ``'gpu:i'``...) puts the result there; moving it
    between devices is a copy, so ``copy=False`` then raises."""
    if device is not None:
        dev = as_device(device)
        out = asarray(a, dtype, order, copy=copy, like=like, **kwargs)
        if out.device != dev:
            if copy is False:
                raise ValueError(_NO_COPY)
            out = out.to(dev)
        return out
    if isinstance(a, (Array, Box)):
        return _from_array(a, dtype, copy, order, 0, True)
    if copy is False and not isinstance(a, _np.ndarray):
        if not (isinstance(a, _np.generic) or hasattr(a, "__array__") or hasattr(
                a, "__array_interface__")):
            raise ValueError(_NO_COPY)
    if copy is False and not _NUMPY2:
        # NumPy 1's array(copy=False) copies where needed: check for a copy by hand.
        out = array(a, dtype=dtype, copy=False, order=order or "K", like=like, **kwargs)
        host = out._host_value()
        if not (isinstance(a, _np.ndarray) and _np.shares_memory(host, a)):
            raise ValueError(_NO_COPY)
        return out
    return array(a, dtype=dtype, copy=copy, order=order or "K", like=like, **kwargs)


def asanyarray(a, dtype=None, order=None, *, device=None, copy=None, like=None, **kwargs):
    """As :func:`asarray` (an Array is MinPy's only array class)."""
    return asarray(a, dtype=dtype, order=order, device=device, copy=copy, like=like,
                   **kwargs)
