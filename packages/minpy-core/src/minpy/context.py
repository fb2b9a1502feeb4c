"""The original MinPy's ``minpy.context``: thin aliases over :mod:`minpy.core`'s devices.

>>> from minpy.context import set_context, cpu, gpu, current_context
>>> set_context(cpu())                # the process-wide default device
>>> with cpu():                       # a device for this block (this thread)
...     x = minpy.numpy.ones(3)
>>> x.context                         # Array.context is Array.device
cpu(0)

``cpu()``/``gpu(i)`` return :class:`Context` objects: :class:`minpy.core.Device` values
(equal to and interchangeable with them) that also work as ``with`` blocks, as the
original's did. ``gpu(i)`` raises :class:`minpy.core.DeviceError` at once when there is
no such GPU (the original failed later, at the first array).
"""

from __future__ import annotations

import threading

from minpy.core import device as _device
from minpy.core.device import Device, DeviceError, current_device, set_device
from minpy.core.device import gpu as _gpu

__all__ = ["Context", "cpu", "gpu", "current_context", "set_context", "DeviceError"]


class _Blocks(threading.local):
    def __init__(self):
        self.stack = []


_blocks = _Blocks()


class Context(Device):
    """A :class:`~minpy.core.Device` usable as ``with ctx:`` (the original spelling).

    ``Context('cpu')``, ``Context('gpu', 1)`` or ``Context(other_context)``;
    ``device_type`` and ``device_id`` are the original attribute names.
    """

    __slots__ = ()

    def __init__(self, device_type, device_id=0):
        if isinstance(device_type, Device):
            device_type, device_id = device_type.kind, device_type.index
        super().__init__(device_type, device_id)

    @property
    def device_type(self) -> str:
        return self.kind

    @property
    def device_id(self) -> int:
        return self.index

    def as_mxnet_context(self):
        """The ``mxnet.Context`` of this device."""
        return self.mx_context

    def __enter__(self):
        cm = _device(self)
        cm.__enter__()
        _blocks.stack.append(cm)
        return self

    def __exit__(self, *exc):
        return _blocks.stack.pop().__exit__(*exc)


def cpu(device_id=0) -> Context:
    """The CPU context."""
    return Context("cpu", device_id)


def gpu(device_id=0) -> Context:
    """GPU ``device_id``; raises :class:`DeviceError` naming the devices that exist."""
    return Context(_gpu(device_id))


def current_context() -> Context:
    """The current device (innermost ``with`` block, else the global default)."""
    return Context(current_device())


def set_context(ctx) -> None:
    """Set the process-wide default device (``minpy.core.set_device``)."""
    set_device(Context(ctx) if isinstance(ctx, Device) else ctx)
