"""DLPack hand-over between MinPy and other array libraries, without copies.

:func:`from_dlpack` takes any object that speaks DLPack (``__dlpack__`` and
``__dlpack_device__``: CuPy, PyTorch, JAX, NumPy) or an MXNet NDArray, and wraps its
memory as an :class:`~minpy.core.Array`: host memory becomes the host form, CUDA memory
the CuPy form (on a GPU CuPy serves) or the MXNet form (on a GPU MXNet serves). No
bytes are copied and no transfer is counted; the Array marks memory it does not own as
shared, so MinPy's own writes copy first and never reach the producer's array.

The other way, ``Array.__dlpack__`` exports the form the data lives in now (the CuPy
form when it is current, the MXNet form on an MXNet GPU, else the host form), so
``torch.from_dlpack(a)``, ``jax.dlpack.from_dlpack(a)`` or ``cupy.from_dlpack(a)`` see
the same memory.
"""

from __future__ import annotations

import numpy as np

from . import _cupy, _mxnet
from .device import Device, backend_of, cpu

__all__ = ["from_dlpack", "export", "export_device"]

#: DLPack device types (dlpack.h: DLDeviceType)
KDL_CPU, KDL_CUDA, KDL_CUDA_HOST = 1, 2, 3


def _current(a, backend):
    return backend in a.forms


def export_device(a) -> tuple:
    """``(device type, index)`` of the memory :func:`export` hands out for ``a``."""
    if a._device.is_gpu and (_current(a, "cupy") or (
            a._host is None and _current(a, "mxnet"))):
        return (KDL_CUDA, a._device.index)
    return (KDL_CPU, 0)


def export(a, **kwargs):
    """A DLPack capsule of ``a``'s current device form, else of its host form."""
    if a._device.is_gpu and _current(a, "cupy"):
        return a._cp.__dlpack__(**kwargs)
    if a._device.is_gpu and a._host is None and _current(a, "mxnet"):
        return a._mx.to_dlpack_for_read()  # MXNet 1.9.1: a legacy capsule
    # Pinned: the exported memory stays the Array's buffer, so the Array's later writes
    # go into it in place (seen by the consumer, as NumPy's sharing) and make its cached
    # device forms stale.
    host = a._pinned_host()
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    version = kwargs.get("max_version")
    if version is not None and tuple(version) >= (1, 0) and host.flags.writeable:
        # Read-only where DLPack 1.0 can say so (NumPy's from_dlpack asks for it): a
        # consumer's write would change the host form behind a cached MXNet or CuPy
        # form (as numpy.asarray(x) is read-only). Legacy consumers (MXNet 1.9.1)
        # cannot be told; see the deviations page.
        host = host.view()
        host.flags.writeable = False
    return host.__dlpack__(**kwargs)


def _mx_types():
    mx = _mxnet.load() if _mxnet._tried else None
    return (mx.nd.NDArray,) if mx is not None else ()


def from_dlpack(obj, device: Device | None = None):
    """``obj``'s memory as an Array, without a copy.

    Parameters
    ----------
    obj : object with ``__dlpack__``, or an MXNet NDArray
        The producer (CuPy, PyTorch, JAX, NumPy, MXNet...).
    device : Device, optional
        The Array's device; by default the one the memory is on (``cpu()`` for host
        memory, ``gpu(i)`` for CUDA device ``i``).
    """
    from .array import Array
    mx_types = _mx_types()
    if mx_types and isinstance(obj, mx_types):
        ctx = obj.context
        dev = device or (Device("gpu", ctx.device_id) if ctx.device_type == "gpu" else cpu())
        if dev.is_gpu and backend_of(dev) == "cupy":
            cp = _cupy.require()
            cap = obj.to_dlpack_for_read()
            fn = getattr(cp, "from_dlpack", None)
            try:
                value = fn(cap)
            except Exception:  # older CuPy: only the legacy entry point takes capsules
                value = cp.fromDlpack(cap)
            return Array._from_cupy(value, dev)
        return Array._from_mx(obj.as_np_ndarray() if hasattr(obj, "as_np_ndarray")
                              else obj, dev)
    if not hasattr(obj, "__dlpack__"):
        raise TypeError(f"from_dlpack needs an object with __dlpack__ (or an MXNet "
                        f"NDArray), not {type(obj).__name__}")
    kind, index = obj.__dlpack_device__()
    kind = int(kind)
    if kind in (KDL_CPU, KDL_CUDA_HOST):
        host = np.from_dlpack(obj)
        out = Array._from_host(host, device or cpu())
        out._shared = True  # the producer still owns that memory
        return out
    if kind != KDL_CUDA:
        raise ValueError(f"from_dlpack: memory of DLPack device type {kind} is neither "
                         "host nor CUDA memory")
    dev = device or Device("gpu", int(index))
    backend = backend_of(dev)
    if backend == "cupy":
        return Array._from_cupy(_cupy.require().from_dlpack(obj), dev)
    if backend == "mxnet":
        mx = _mxnet.require()
        return Array._from_mx(mx.nd.from_dlpack(obj.__dlpack__()).as_np_ndarray(), dev)
    raise ValueError(f"from_dlpack: no backend here serves {dev}")
