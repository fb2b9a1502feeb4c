"""The original MinPy's ``minpy.array_variants``: the kinds of data an array can hold.

The original held each array as NumPy or MXNet data and named the two with
``ArrayType``. MinPy's backends are NumPy (host), MXNet and CuPy; ``ArrayType``
numbers them as the original did (``NUMPY = 0``, ``MXNET = 1``) and adds ``CUPY = 2``.
:func:`type_of` says which kind of data an Array holds now; ``variants``,
``variants_repr`` and :func:`array_type` map between these numbers, their names and the
classes that hold the data.
"""

from __future__ import annotations

import importlib

from minpy.core import _mxnet
from minpy.core import backend as backends

__all__ = ["ArrayType", "variants", "variants_repr", "array_type", "type_of"]


class ArrayType:
    """The original's enumeration of array data kinds: one number per registered backend
    (:mod:`minpy.core.backend`), the host first, then the device backends by priority,
    under the backend's name in capitals (``NUMPY = 0``, ``MXNET = 1``, ``CUPY = 2``; a
    backend registered later gets the next number when first asked about)."""


#: Backend name -> ArrayType (the original's ``variants``).
variants: dict = {}

#: ArrayType -> the backend's display name (the original's ``variants_repr``).
variants_repr: dict = {}

#: The backends whose data class is not ``<library>.ndarray``: the original's MXNet
#: class is the legacy ``mxnet.nd.NDArray``.
_DATA_CLASS = {_mxnet.BACKEND: lambda mx: mx.nd.NDArray}


def _number(backend) -> int:
    """``backend``'s ArrayType, given on first sight."""
    n = variants.get(backend.name)
    if n is None:
        n = variants[backend.name] = len(variants)
        variants_repr[n] = backend.label
        setattr(ArrayType, backend.name.upper(), n)
    return n


for _be in backends.backends():
    _number(_be)
del _be


def _backend_of(kind):
    """The backend of ``kind`` (an ArrayType, a backend or its name)."""
    be = backends.find(kind) if isinstance(kind, str) else None
    if be is None and not isinstance(kind, bool):
        name = next((name for name, n in variants.items() if n == kind), None)
        be = backends.find(name) if name is not None else None
    if be is None:
        raise ValueError(f"unknown array type {kind!r}; one of {sorted(variants)}")
    return be


def array_type(kind):
    """The class that holds data of ``kind`` (an ArrayType or a backend name):
    ``numpy.ndarray``, ``mxnet.ndarray.NDArray`` or ``cupy.ndarray`` (importing MXNet
    or CuPy only when asked)."""
    be = _backend_of(kind)
    mod = be.load()
    if mod is None:
        try:   # CuPy imports where it cannot compute (no GPU): its class exists there
            mod = importlib.import_module(be.name)
        except ImportError:
            be.require()    # the backend's own ImportError, saying how to install it
            raise
    return _DATA_CLASS.get(be, lambda lib: lib.ndarray)(mod)


def type_of(array):
    """The ArrayType of the data ``array`` holds now (:attr:`minpy.core.Array.forms`);
    when it holds a host copy and a device copy, the device one."""
    forms = array.forms
    for be in backends.device_backends():
        if be in forms:
            return _number(be)
    return _number(backends.HOST)
