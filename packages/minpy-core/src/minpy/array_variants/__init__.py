"""The original MinPy's ``minpy.array_variants``: the kinds of data an array can hold.

The original held each array as NumPy or MXNet data and named the two with
``ArrayType``. MinPy's backends are NumPy (host), MXNet and CuPy; ``ArrayType``
numbers them as the original did (``NUMPY = 0``, ``MXNET = 1``) and adds ``CUPY = 2``.
:func:`type_of` says which kind of data an Array holds now; ``variants``,
``variants_repr`` and :func:`array_type` map between these numbers, their names and the
classes that hold the data.
"""

from __future__ import annotations

__all__ = ["ArrayType", "variants", "variants_repr", "array_type", "type_of"]


class ArrayType:
    """The original's enumeration of array data kinds (plus CuPy's)."""

    NUMPY = 0
    MXNET = 1
    CUPY = 2


#: Backend name -> ArrayType (the original's ``variants``).
variants = {"numpy": ArrayType.NUMPY, "mxnet": ArrayType.MXNET, "cupy": ArrayType.CUPY}

#: ArrayType -> the backend's display name (the original's ``variants_repr``).
variants_repr = {ArrayType.NUMPY: "NumPy", ArrayType.MXNET: "MXNet", ArrayType.CUPY: "CuPy"}


def array_type(kind):
    """The class that holds data of ``kind`` (an ArrayType or a backend name):
    ``numpy.ndarray``, ``mxnet.ndarray.NDArray`` or ``cupy.ndarray`` (importing MXNet
    or CuPy only when asked)."""
    kind = variants.get(kind, kind)
    if kind == ArrayType.NUMPY:
        import numpy
        return numpy.ndarray
    if kind == ArrayType.MXNET:
        from minpy.core import _mxnet
        return _mxnet.require().nd.NDArray
    if kind == ArrayType.CUPY:
        import cupy
        return cupy.ndarray
    raise ValueError(f"unknown array type {kind!r}; one of {sorted(variants)}")


def type_of(array):
    """The ArrayType of the data ``array`` holds now (:attr:`minpy.core.Array.forms`);
    when it holds a host copy and a device copy, the device one."""
    forms = array.forms
    for name in ("mxnet", "cupy"):
        if name in forms:
            return variants[name]
    return ArrayType.NUMPY
