"""Devices, the backend that serves each, and the current device.

A :class:`Device` names where the device form of an :class:`~minpy.core.Array` lives:
``cpu()`` or ``gpu(i)``. Each GPU is served by one backend (:func:`backend_of`): the
first device backend, by priority, whose verdict on that GPU is yes (MXNet where its
CUDA kernels run there, else CuPy; :mod:`minpy.core.backend`); :func:`backend_info`
says which and why. The CPU is the host's (NumPy's), and a device backend that serves
the CPU too (MXNet) computes there when a policy picks it. The current device is a
process-wide default (:func:`set_device`) that a ``with device(...)`` block overrides
for the current thread.
"""

from __future__ import annotations

import contextlib
import os
import threading

from . import backend as _backend

__all__ = ["Device", "DeviceError", "cpu", "gpu", "num_gpus", "current_device",
           "set_device", "device", "available_devices", "backend_of", "backend_info",
           "device_backend"]


class DeviceError(ValueError):
    """Raised for a device that does not exist on this machine."""


class Device:
    """A compute device: ``Device('cpu', 0)`` or ``Device('gpu', i)``.

    Devices are immutable, hashable and compare by value. ``repr`` is ``cpu(0)`` or
    ``gpu(1)``, the spelling that creates them.
    """

    __slots__ = ("kind", "index", "_contexts")

    def __init__(self, kind: str, index: int = 0):
        if kind not in ("cpu", "gpu"):
            raise ValueError(f"device kind must be 'cpu' or 'gpu', not {kind!r}")
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "index", int(index))
        # backend -> its handle for this device (Backend.context), made once
        object.__setattr__(self, "_contexts", {})

    def __setattr__(self, name, value):
        raise AttributeError("Device is immutable")

    def context(self, backend):
        """``backend``'s own handle for this device (an ``mxnet.Context`` for MXNet;
        imports the library)."""
        return _backend.get(backend).context(self)

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

    @property
    def backend(self):
        """The backend that computes on this device: the host's (``'numpy'``) for the
        CPU (a device backend's CPU kernels too, where a policy picks them), the one
        that serves it for a GPU (see :func:`backend_info`)."""
        return backend_of(self)


def _add_context_attribute(backend) -> None:
    """Give Device ``backend``'s original spelling of its handle as a property
    (``device.mx_context``: the MXNet backend's ``context_attribute``), for each backend
    registered, now and later."""
    name = backend.context_attribute
    if name and not hasattr(Device, name):
        setattr(Device, name, property(backend.context, doc=(
            f"``{backend.label}``'s handle for this device (``device.context"
            f"({backend.name!r})``, the original MinPy's spelling).")))


for _be in _backend.backends():
    _add_context_attribute(_be)
_backend._listeners.append(_add_context_attribute)

_CPU = Device("cpu", 0)


def cpu(index: int = 0) -> Device:
    """The host CPU (MXNet's ``cpu(index)``; the index does not select a core)."""
    return _CPU if index == 0 else Device("cpu", index)


def num_gpus() -> int:
    """How many GPUs MinPy can use: the most any device backend sees (0 with none)."""
    return max((b.num_gpus() for b in _backend.device_backends()), default=0)


def _capability(index: int) -> int | None:
    """GPU ``index``'s compute capability (``86``, ``90``...), from the first backend
    that can tell; ``None`` when none can."""
    for b in _backend.device_backends():
        if index < b.num_gpus():
            cc = b.compute_capability(index)
            if cc is not None:
                return cc
    return None


_backends: dict = {}


def forget_backends() -> None:
    """Forget which backend serves each GPU (chosen again on the next request)."""
    _backends.clear()


def _select(index: int) -> tuple:
    """``(backend, reason)`` for GPU ``index``; backend ``None`` if nothing serves it."""
    forced = os.environ.get("MINPY_GPU_BACKEND", "").strip().lower()
    candidates = _backend.device_backends()
    sees = [b for b in candidates if index < b.num_gpus()]
    cc = _capability(index) if sees else None
    sm = f"sm_{cc}" if cc is not None else "an unknown architecture"
    if forced:
        chosen = _backend.find(forced)
        if chosen is not None and chosen in sees:
            return chosen, f"MINPY_GPU_BACKEND={forced} ({sm})"
    declined = []
    for b in candidates:
        serves, why = b.gpu_verdict(index, cc, sm)
        if serves:
            return b, why + (f": {'; '.join(declined)}" if declined else "")
        declined.append(why)
    return None, _no_gpu_reason()


def _no_gpu_reason() -> str:
    return "; ".join(f"{b.label} sees {b.num_gpus()} GPU(s) ({b.no_gpu_reason()})"
                     for b in _backend.device_backends())


def backend_info(dev: "Device") -> dict:
    """Which backend serves ``dev`` and why: ``{'device', 'backend', 'reason'}``
    (backend ``None`` for a GPU nothing here can run on)."""
    if dev.kind == "cpu":
        host = _backend.HOST
        more = [b.label for b in _backend.cpu_backends()]
        return {"device": dev, "backend": host,
                "reason": f"the host CPU: {host.label}" + "".join(
                    f", or {label}'s CPU kernels where a policy picks them"
                    for label in more)}
    found = _backends.get(dev.index)
    if found is None:
        found = _backends[dev.index] = _select(dev.index)
    return {"device": dev, "backend": found[0], "reason": found[1]}


def backend_of(dev: "Device"):
    """The backend that serves ``dev``: the host's (``'numpy'``) for the CPU, else the
    backend chosen for that GPU (``None`` if none can run on it)."""
    if dev.kind == "cpu":
        return _backend.HOST
    found = _backends.get(dev.index)
    if found is None:
        found = _backends[dev.index] = _select(dev.index)
    return found[0]


def device_backend(dev: "Device"):
    """The backend besides the host's that computes for ``dev``: the one serving a GPU,
    and for the CPU the first device backend that serves the CPU too (MXNet); ``None``
    where there is none."""
    if dev is None or dev.kind == "cpu":
        on_cpu = _backend.cpu_backends()
        return on_cpu[0] if on_cpu else None
    return backend_of(dev)


def available_devices() -> list[Device]:
    """Every device MinPy can use here: ``cpu(0)`` and each GPU some backend serves
    (:func:`backend_info` says which and why)."""
    gpus = [Device("gpu", i) for i in range(num_gpus())]
    return [_CPU] + [d for d in gpus if backend_of(d) is not None]


def gpu(index: int = 0) -> Device:
    """GPU ``index``, served by MXNet where its kernels run there, else by CuPy; raises
    :class:`DeviceError` naming the devices that exist and why there are no others."""
    n = num_gpus()
    backend = backend_of(Device("gpu", index)) if 0 <= index < n else None
    if backend is None:
        raise DeviceError(
            f"gpu({index}) does not exist: {_no_gpu_reason()}; "
            f"available devices: {', '.join(map(repr, available_devices()))}"
        )
    backend.mark_in_use()
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
