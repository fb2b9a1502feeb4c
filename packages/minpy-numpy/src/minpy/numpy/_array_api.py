"""The array API standard's namespace-level names: ``__array_api_version__``,
``__array_namespace_info__`` and ``from_dlpack``.

``minpy.numpy`` is the namespace ``x.__array_namespace__()`` returns. Its inspection
object reports MinPy's devices (:func:`minpy.core.available_devices`: the CPU and each
GPU some backend serves) and its default dtypes (the real floating one follows
:func:`~minpy.core.set_default_float_dtype`). Every NumPy dtype is available on every
device: what a device's backend cannot hold runs on the host.
"""

from __future__ import annotations

import numpy as _np

from minpy.core import Array, available_devices, current_device, get_default_float_dtype
from minpy.core.array_api import API_VERSION, as_device

__all__ = ["__array_api_version__", "__array_namespace_info__", "from_dlpack"]

__array_api_version__ = API_VERSION

_KINDS = {
    "bool": ("bool",),
    "signed integer": ("int8", "int16", "int32", "int64"),
    "unsigned integer": ("uint8", "uint16", "uint32", "uint64"),
    "real floating": ("float32", "float64"),
    "complex floating": ("complex64", "complex128"),
}
_KINDS["integral"] = _KINDS["signed integer"] + _KINDS["unsigned integer"]
_KINDS["numeric"] = (_KINDS["integral"] + _KINDS["real floating"]
                     + _KINDS["complex floating"])


class Info:
    """What ``minpy.numpy.__array_namespace_info__()`` returns: the standard's
    inspection API (``capabilities``, ``default_device``, ``default_dtypes``,
    ``dtypes``, ``devices``)."""

    __module__ = "minpy.numpy"

    def capabilities(self) -> dict:
        """Boolean indexing and data-dependent shapes (``unique``, ``nonzero``) work, as
        in NumPy; at most 64 dimensions, NumPy's limit."""
        return {"boolean indexing": True, "data-dependent shapes": True,
                "max dimensions": 64}

    def default_device(self):
        """The device new arrays go to (:func:`minpy.core.current_device`)."""
        return current_device()

    def devices(self) -> list:
        """Every device MinPy can use here (:func:`minpy.core.available_devices`)."""
        return available_devices()

    def _check(self, device):
        if device is not None and as_device(device) not in self.devices():
            raise ValueError(f"Device not understood: {device!r}")

    def default_dtypes(self, *, device=None) -> dict:
        """The dtypes MinPy creates when none is given: the default float dtype (float64
        unless :func:`~minpy.core.set_default_float_dtype` changed it), its complex
        counterpart, and int64 for integers and indices (as NumPy)."""
        self._check(device)
        real = _np.dtype(get_default_float_dtype())
        complex_ = _np.dtype("complex64" if real == _np.float32 else "complex128")
        return {"real floating": real, "complex floating": complex_,
                "integral": _np.dtype(_np.intp), "indexing": _np.dtype(_np.intp)}

    def dtypes(self, *, device=None, kind=None) -> dict:
        """The standard's dtypes MinPy has (all of them, on every device), by name;
        ``kind`` selects as the standard says (a kind name or a tuple of them and of
        dtypes)."""
        self._check(device)
        if kind is None:
            names = _KINDS["bool"] + _KINDS["numeric"]
        elif isinstance(kind, tuple):
            names = ()
            for k in kind:
                names += tuple(n for n in self.dtypes(kind=k) if n not in names)
        elif isinstance(kind, str):
            if kind not in _KINDS:
                raise ValueError(f"unsupported kind: {kind!r}")
            names = _KINDS[kind]
        else:
            names = (_np.dtype(kind).name,)
        return {n: _np.dtype(n) for n in names}


_INFO = Info()


def __array_namespace_info__() -> Info:
    """The array API standard's inspection object for ``minpy.numpy``."""
    return _INFO


def from_dlpack(x, /, *, device=None, copy=None):
    """An Array of ``x``'s memory, as :func:`numpy.from_dlpack`, from any DLPack
    producer (NumPy, PyTorch, JAX, CuPy, an MXNet NDArray, another Array).

    Without a copy where the memory allows (host memory, and device memory of a GPU a
    MinPy backend serves); ``copy=True`` always copies, ``copy=False`` raises
    ``BufferError`` where a copy would be needed. ``device`` puts the result there
    (anything :func:`minpy.core.array_api.as_device` reads).
    """
    from minpy.core import dlpack  # (a backend's array is recognised by its backend)

    dev = as_device(device) if device is not None else None
    if isinstance(x, Array):
        out = x
    else:
        out = dlpack.from_dlpack(x)
    if dev is not None and out.device != dev:
        if copy is False:
            raise BufferError(f"from_dlpack: the memory is on {out.device}, not on {dev}; "
                              "moving it needs a copy (copy=False)")
        out = out.to(dev)
    return Array(out) if copy else out
