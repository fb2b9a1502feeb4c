"""Devices, the backend that serves each, and the current device.

A :class:`Device` names where the device form of an :class:`~minpy.core.Array` lives:
``cpu()`` or ``gpu(i)``. Each GPU is served by one backend (:func:`backend_of`): MXNet
where its CUDA kernels run on that GPU (MXNet 1.9.1's wheels carry code for sm_50 to
sm_86 and no PTX), else CuPy (Hopper, Blackwell and anything newer);
:func:`backend_info` says which and why. The current device is a process-wide default
(:func:`set_device`) that a ``with device(...)`` block overrides for the current thread.
"""

from __future__ import annotations

import contextlib
import os
import threading

from . import _cupy, _mxnet

__all__ = ["Device", "DeviceError", "cpu", "gpu", "num_gpus", "current_device",
           "set_device", "device", "available_devices", "backend_of", "backend_info"]

#: The newest GPU architecture MXNet 1.9.1's CUDA wheels carry machine code for (sm_86,
#: Ampere); they carry no PTX, so no newer GPU can run their kernels.
MXNET_MAX_SM = 86


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
        """The ``mxnet.Context`` for this device (imports MXNet). On a GPU that CuPy
        serves (MXNet's kernels cannot run there) it is MXNet's CPU: what MXNet does
        for Arrays on that device (``minpy.symbol.Function``, the 'only_mxnet' policy)
        runs on the host, and the copies to and from the GPU are counted and guarded
        as every conversion is."""
        ctx = self._mx_context
        if ctx is None:
            mx = _mxnet.require()
            if self.kind == "cpu":
                ctx = mx.cpu(self.index)
            else:
                ctx = mx.gpu(self.index) if backend_of(self) == "mxnet" else mx.cpu(0)
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

    @property
    def backend(self) -> str:
        """The backend that computes on this device: ``'numpy'`` for the CPU (MXNet's
        CPU kernels too, where a policy picks them), ``'mxnet'`` or ``'cupy'`` for a
        GPU (see :func:`backend_info`)."""
        return "numpy" if self.kind == "cpu" else backend_of(self)


_CPU = Device("cpu", 0)


def cpu(index: int = 0) -> Device:
    """The host CPU (MXNet's ``cpu(index)``; the index does not select a core)."""
    return _CPU if index == 0 else Device("cpu", index)


def _mxnet_gpus() -> int:
    """How many GPUs MXNet sees; 0 without MXNet or without a CUDA build."""
    mx = _mxnet.load()
    if mx is None:
        return 0
    try:
        return int(mx.context.num_gpus())
    except Exception:  # a CPU wheel, or a CUDA wheel without a usable driver
        return 0


def num_gpus() -> int:
    """How many GPUs MinPy can use: those MXNet or CuPy sees (0 with neither)."""
    return max(_mxnet_gpus(), _cupy.num_gpus())


def _capability(index: int) -> int | None:
    """GPU ``index``'s compute capability (``86``, ``90``...), from CuPy or else from
    MXNet's own query; ``None`` when neither can tell."""
    cc = _cupy.compute_capability(index)
    if cc is None:
        mx = _mxnet.load()
        try:
            # major * 10 + minor, read from the driver (mxnet/util.py)
            cc = int(mx.util.get_cuda_compute_capability(mx.gpu(index)))
        except Exception:  # no such helper, or no driver: unknown
            cc = None
    return cc


_backends: dict = {}


def _select(index: int) -> tuple:
    """``(backend, reason)`` for GPU ``index``; backend ``None`` if nothing serves it."""
    forced = os.environ.get("MINPY_GPU_BACKEND", "").strip().lower()
    n_mx, n_cp = _mxnet_gpus(), _cupy.num_gpus()
    mx_sees, cp_sees = index < n_mx, index < n_cp
    cc = _capability(index) if (mx_sees or cp_sees) else None
    sm = f"sm_{cc}" if cc is not None else "an unknown architecture"
    if forced in ("mxnet", "cupy"):
        if (mx_sees if forced == "mxnet" else cp_sees):
            return forced, f"MINPY_GPU_BACKEND={forced} ({sm})"
    if mx_sees and (cc is None or cc <= MXNET_MAX_SM):
        return "mxnet", (f"MXNet's CUDA kernels run on {sm} (its wheels carry sm_50 to "
                         f"sm_{MXNET_MAX_SM})")
    if cp_sees:
        if mx_sees:
            why = (f"MXNet sees it but its kernels stop at sm_{MXNET_MAX_SM} with no PTX, "
                   f"and this GPU is {sm}")
        else:
            reason = _mxnet.unavailable_reason()
            why = (f"MXNet is unavailable ({reason})" if reason else
                   "MXNet is a CPU build or sees no GPU")
        return "cupy", f"CuPy serves {sm}: {why}"
    return None, _no_gpu_reason(n_mx, n_cp)


def _no_gpu_reason(n_mx: int, n_cp: int) -> str:
    mx_why = _mxnet.unavailable_reason() or "a CPU build, or no usable driver"
    cp_why = _cupy.unavailable_reason() or "no usable device"
    return (f"MXNet sees {n_mx} GPU(s) ({mx_why}); CuPy sees {n_cp} GPU(s) "
            f"({cp_why})")


def backend_info(dev: "Device") -> dict:
    """Which backend serves ``dev`` and why: ``{'device', 'backend', 'reason'}``
    (backend ``None`` for a GPU nothing here can run on)."""
    if dev.kind == "cpu":
        return {"device": dev, "backend": "numpy",
                "reason": "the host CPU: NumPy, or MXNet's CPU kernels where a policy "
                          "picks them"}
    found = _backends.get(dev.index)
    if found is None:
        found = _backends[dev.index] = _select(dev.index)
    return {"device": dev, "backend": found[0], "reason": found[1]}


def backend_of(dev: "Device") -> str | None:
    """``'numpy'`` (CPU), ``'mxnet'`` or ``'cupy'``: the backend that serves ``dev``."""
    if dev.kind == "cpu":
        return "numpy"
    found = _backends.get(dev.index)
    if found is None:
        found = _backends[dev.index] = _select(dev.index)
    return found[0]


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
        why = _no_gpu_reason(_mxnet_gpus(), _cupy.num_gpus())
        raise DeviceError(
            f"gpu({index}) does not exist: {why}; "
            f"available devices: {', '.join(map(repr, available_devices()))}"
        )
    if backend == "cupy":
        _cupy.mark_in_use()
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
