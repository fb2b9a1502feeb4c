"""DLPack hand-over between MinPy and other array libraries, without copies.

:func:`from_dlpack` takes any object that speaks DLPack (``__dlpack__`` and
``__dlpack_device__``: CuPy, PyTorch, JAX, NumPy) or an array of a device backend (an
MXNet NDArray), and wraps its memory as an :class:`~minpy.core.Array`: host memory
becomes the host form, CUDA memory the form of the backend serving that GPU
(:meth:`~minpy.core.backend.Backend.dlpack_import`). No bytes are copied and no
transfer is counted; the Array marks memory it does not own as shared, so MinPy's own
writes copy first and never reach the producer's array.

The other way, ``Array.__dlpack__`` exports the form the data lives in now (the form of
the backend serving the Array's GPU when it is current, else the host form), so
``torch.from_dlpack(a)``, ``jax.dlpack.from_dlpack(a)`` or ``cupy.from_dlpack(a)`` see
the same memory.
"""

from __future__ import annotations

import numpy as np

from . import backend as _backend
from .device import Device, backend_of, cpu

__all__ = ["from_dlpack", "export", "export_device"]

#: DLPack device types (dlpack.h: DLDeviceType)
KDL_CPU, KDL_CUDA, KDL_CUDA_HOST = 1, 2, 3


def _device_form(a):
    """``(backend, form)``: ``a``'s form of the backend serving its GPU, when it is
    current (the memory DLPack hands out); else ``None`` (the host form is exported)."""
    dev = a._device
    if dev.kind != "gpu" or not a._forms:
        return None
    be = backend_of(dev)
    if be is not None and be in a.forms:
        return be, a._forms[be]
    return None


def export_device(a) -> tuple:
    """``(device type, index)`` of the memory :func:`export` hands out for ``a``."""
    if _device_form(a) is not None:
        return (KDL_CUDA, a._device.index)
    return (KDL_CPU, 0)


def export(a, **kwargs):
    """A DLPack capsule of ``a``'s current device form, else of its host form."""
    found = _device_form(a)
    if found is not None:
        be, form = found
        return be.dlpack_export(form, **kwargs)
    # Pinned: the exported memory stays the Array's buffer, so the Array's later writes
    # go into it in place (seen by the consumer, as NumPy's sharing) and make its cached
    # device forms stale.
    host = a._pinned_host()
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    version = kwargs.get("max_version")
    if version is not None and tuple(version) >= (1, 0) and host.flags.writeable:
        # Read-only where DLPack 1.0 can say so (NumPy's from_dlpack asks for it): a
        # consumer's write would change the host form behind a cached device form (as
        # numpy.asarray(x) is read-only). Legacy consumers (MXNet 1.9.1) cannot be told;
        # see the deviations page.
        host = host.view()
        host.flags.writeable = False
    return host.__dlpack__(**kwargs)


def from_dlpack(obj, device: Device | None = None):
    """``obj``'s memory as an Array, without a copy.

    Parameters
    ----------
    obj : object with ``__dlpack__``, or an array of a device backend
        The producer (CuPy, PyTorch, JAX, NumPy, MXNet...).
    device : Device, optional
        The Array's device; by default the one the memory is on (``cpu()`` for host
        memory, ``gpu(i)`` for CUDA device ``i``).
    """
    from .array import Array
    owner = None if isinstance(obj, np.ndarray) else _backend.owner_of(obj)
    if owner is not None:
        form, where = owner.native(obj)
        dev = device or where
        be = backend_of(dev)
        if be is owner or (be.is_host and owner.serves_cpu):
            return Array._from_form(owner, form, dev)
        # another backend serves that device: hand the memory over through DLPack
        return _imported(be, owner.dlpack_export(form), dev)
    if not hasattr(obj, "__dlpack__"):
        raise TypeError(f"from_dlpack needs an object with __dlpack__ (or an array of a "
                        f"MinPy backend), not {type(obj).__name__}")
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
    be = backend_of(dev)
    if be is None or be.is_host:
        raise ValueError(f"from_dlpack: no backend here serves {dev}")
    return _imported(be, obj, dev)


def _imported(be, obj, dev):
    from .array import Array
    if be is None or be.is_host:
        raise ValueError(f"from_dlpack: no backend here serves {dev}")
    be.mark_in_use()  # an Array of its memory exists now: the dispatcher must know
    return Array._from_form(be, be.dlpack_import(obj, dev), dev)
