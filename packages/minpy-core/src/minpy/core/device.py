"""Devices and the current device.

A :class:`Device` names where the MXNet form of an :class:`~minpy.core.Array` lives:
``cpu()`` or ``gpu(i)``. The current device is a process-wide default
(:func:`set_device`) that a ``with device(...)`` block overrides for the current thread.
"""

from __future__ import annotations

import contextlib
import threading

from . import _mxnet

__all__ = ["Device", "DeviceError", "cpu", "gpu", "num_gpus", "current_device",
           "set_device", "device", "available_devices"]


class DeviceError(ValueError):
    """Raised for a device that does not exist on this machine."""


class Device:
    """A compute device: ``Device('cpu', 0)`` or ``Device('gpu', i)``.

    Devices are immutable, hashable and compare by value. ``repr`` is ``cpu(0)`` or
    ``gpu(1)``, the spelling that creates them.
    """

    __slots__ = ("kind", "index", "_mx_context")

    def __init__(self, kind: str, index: int = 0):
        if kind not in ("cpu", "gpu"):
            raise ValueError(f"device kind must be 'cpu' or 'gpu', not {kind!r}")
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "index", int(index))
        object.__setattr__(self, "_mx_context", None)

    def __setattr__(self, name, value):
        raise AttributeError("Device is immutable")

    @property
    def mx_context(self):
        """The ``mxnet.Context`` for this device (imports MXNet)."""
        ctx = self._mx_context
        if ctx is None:
            mx = _mxnet.require()
            ctx = mx.cpu(self.index) if self.kind == "cpu" else mx.gpu(self.index)
            object.__setattr__(self, "_mx_context", ctx)
        return ctx

    def __eq__(self, other):
        return (isinstance(other, Device) and self.kind == other.kind
                and self.index == other.index)

    def __hash__(self):
        return hash((self.kind, self.index))

    def __repr__(self):
        return f"{self.kind}({self.index})"

    def __reduce__(self):
        return (Device, (self.kind, self.index))

    @property
    def is_gpu(self) -> bool:
        return self.kind == "gpu"


_CPU = Device("cpu", 0)


def cpu(index: int = 0) -> Device:
    """The host CPU (MXNet's ``cpu(index)``; the index does not select a core)."""
    return _CPU if index == 0 else Device("cpu", index)


def num_gpus() -> int:
    """How many GPUs MXNet can use; 0 without MXNet or without a CUDA build."""
    mx = _mxnet.load()
    if mx is None:
        return 0
    try:
        return int(mx.context.num_gpus())
    except Exception:  # a CPU wheel, or a CUDA wheel without a usable driver
        return 0


def available_devices() -> list[Device]:
    """Every device MinPy can use here: ``cpu(0)`` and each GPU."""
    return [_CPU] + [Device("gpu", i) for i in range(num_gpus())]


def gpu(index: int = 0) -> Device:
    """GPU ``index``; raises :class:`DeviceError` naming the devices that exist."""
    n = num_gpus()
    if not 0 <= index < n:
        reason = _mxnet.unavailable_reason()
        why = f" (MXNet unavailable: {reason})" if reason else ""
        raise DeviceError(
            f"gpu({index}) does not exist: MXNet sees {n} GPU(s){why}; "
            f"available devices: {', '.join(map(repr, available_devices()))}"
        )
    return Device("gpu", index)


class _State(threading.local):
    def __init__(self):
        self.stack: list[Device] = []


_state = _State()
_global_device = _CPU


def current_device() -> Device:
    """The device new arrays go to: the innermost ``with device(...)`` of this
    thread, else the global default set by :func:`set_device` (initially ``cpu()``)."""
    stack = _state.stack
    return stack[-1] if stack else _global_device


def set_device(dev: Device) -> None:
    """Set the process-wide default device."""
    global _global_device
    if not isinstance(dev, Device):
        raise TypeError(f"expected a Device such as cpu() or gpu(0), got {dev!r}")
    _global_device = dev


@contextlib.contextmanager
def device(dev: Device):
    """Make ``dev`` the current device of this thread inside the ``with`` block."""
    if not isinstance(dev, Device):
        raise TypeError(f"expected a Device such as cpu() or gpu(0), got {dev!r}")
    _state.stack.append(dev)
    try:
        yield dev
    finally:
        _state.stack.pop()
