"""The Python array API standard's parts of the :class:`~minpy.core.Array`.

The standard (2024.12) asks an array for ``__array_namespace__``, ``device``, ``mT``,
``to_device``, ``__dlpack__`` and ``__dlpack_device__`` (the last two are in
:mod:`minpy.core.dlpack`), and lets creation functions take ``device=``. The devices
are MinPy's own :class:`~minpy.core.Device` objects; :func:`as_device` also reads the
spellings other libraries use (``'cpu'``, ``'gpu:1'``, ``'cuda:0'``, an MXNet context,
a DLPack ``(device type, index)`` pair), so that code written for NumPy or PyTorch can
pass its strings.
"""

from __future__ import annotations

import importlib

from .device import Device, cpu, gpu

__all__ = ["API_VERSION", "API_VERSIONS", "as_device", "array_namespace",
           "matrix_transpose", "to_device"]

#: The newest version of the standard MinPy implements, and those it accepts.
API_VERSION = "2024.12"
API_VERSIONS = ("2021.12", "2022.12", "2023.12", "2024.12")

# DLPack device types (dlpack.h): host memory, CUDA memory, pinned host memory.
_DL_KINDS = {1: "cpu", 2: "gpu", 3: "cpu"}


def as_device(obj) -> Device:
    """``obj`` as a :class:`Device`.

    Parameters
    ----------
    obj : Device, str, mxnet.Context or tuple
        A MinPy device; ``'cpu'``, ``'cpu:0'``, ``'gpu'``, ``'gpu:i'``, ``'cuda'`` or
        ``'cuda:i'``; an MXNet context; or a DLPack ``(device type, index)`` pair.

    Raises
    ------
    ValueError
        For a device MinPy does not know (a GPU that does not exist raises
        :class:`~minpy.core.DeviceError`, a ValueError).
    """
    if isinstance(obj, Device):
        return obj
    if isinstance(obj, str):
        kind, _, index = obj.strip().lower().partition(":")
        try:
            i = int(index) if index else 0
        except ValueError:
            i = -1
        if kind == "cpu" and i >= 0:
            return cpu(i)
        if kind in ("gpu", "cuda") and i >= 0:
            return gpu(i)
        raise ValueError(f"Device not understood: {obj!r} (MinPy knows 'cpu', 'gpu:i', "
                         "'cuda:i' and Device objects such as cpu() and gpu(0))")
    if type(obj) is tuple and len(obj) == 2 and int(obj[0]) in _DL_KINDS:
        kind = _DL_KINDS[int(obj[0])]
        return cpu() if kind == "cpu" else gpu(int(obj[1]))
    kind = getattr(obj, "device_type", None)  # an mxnet.Context
    if kind in ("cpu", "cpu_pinned", "cpu_shared"):
        return cpu()
    if kind == "gpu":
        return gpu(int(obj.device_id))
    raise ValueError(f"Device not understood: {obj!r}")


def array_namespace(self, /, *, api_version=None):
    """``x.__array_namespace__()``: the module ``minpy.numpy``, which implements the
    array API standard (versions :data:`API_VERSIONS`)."""
    if api_version is not None and api_version not in API_VERSIONS:
        raise ValueError(f"Unrecognized array API version: {api_version!r}; MinPy "
                         f"implements {', '.join(API_VERSIONS)}")
    return importlib.import_module("minpy.numpy")


def matrix_transpose(self):
    """``x.mT``: the transpose of the last two axes (a view, as NumPy's ``mT``)."""
    if self.ndim < 2:
        raise ValueError("matrix transpose with ndim < 2 is undefined")
    from .operators import lookup
    return lookup("swapaxes")(self, -1, -2)


def to_device(self, device, /, *, stream=None):
    """``x.to_device(device)``: this array on ``device`` (``self`` when it is already
    there), as the standard's ``to_device``. ``device`` is anything :func:`as_device`
    reads. ``stream`` must be ``None``: MinPy orders its own device work."""
    if stream is not None:
        raise ValueError("to_device: MinPy does not take a stream (it must be None)")
    return self.to(as_device(device))
