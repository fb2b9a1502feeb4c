"""Counting and guarding the copies between the host (NumPy) and device (MXNet, CuPy)
forms.

Every conversion an :class:`~minpy.core.Array` makes goes through :func:`note`, which
counts it (and its bytes) and applies the transfer guard:

* ``'allow'`` (default): copy silently (still counted);
* ``'log'``: copy and log one line on the ``minpy.transfer`` logger;
* ``'disallow'``: raise :class:`TransferError` instead of copying, so a user can prove a
  loop never leaves the device.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass

__all__ = ["TransferError", "TransferStats", "stats", "reset_stats", "set_transfer_guard",
           "transfer_guard", "get_transfer_guard", "note"]

_log = logging.getLogger("minpy.transfer")
_MODES = ("allow", "log", "disallow")


class TransferError(RuntimeError):
    """A host<->device copy was attempted under ``transfer_guard('disallow')``."""


@dataclass
class TransferStats:
    """Conversions made since the last :func:`reset_stats`."""

    to_mxnet: int = 0
    to_mxnet_bytes: int = 0
    to_host: int = 0
    to_host_bytes: int = 0
    #: copies into a CuPy form (host to GPU, or GPU to another GPU)
    to_cupy: int = 0
    to_cupy_bytes: int = 0

    @property
    def total(self) -> int:
        return self.to_mxnet + self.to_host + self.to_cupy


_stats = TransferStats()


def stats() -> TransferStats:
    """The live conversion counters (a snapshot: ``dataclasses.replace(stats())``)."""
    return _stats


def reset_stats() -> None:
    global _stats
    _stats = TransferStats()


class _State(threading.local):
    def __init__(self):
        self.stack: list[str] = []


_state = _State()
_global_mode = "allow"


def get_transfer_guard() -> str:
    return _state.stack[-1] if _state.stack else _global_mode


def _check(mode: str) -> str:
    if mode not in _MODES:
        raise ValueError(f"transfer guard must be one of {_MODES}, not {mode!r}")
    return mode


def set_transfer_guard(mode: str) -> None:
    """Set the process-wide transfer guard: 'allow', 'log' or 'disallow'."""
    global _global_mode
    _global_mode = _check(mode)


@contextlib.contextmanager
def transfer_guard(mode: str):
    """Apply the transfer guard ``mode`` to this thread inside the ``with`` block."""
    _state.stack.append(_check(mode))
    try:
        yield
    finally:
        _state.stack.pop()


def guarded() -> bool:
    """Whether the transfer guard in force is anything but 'allow' (then conversions
    must go through :func:`note` before copying)."""
    return (_state.stack[-1] if _state.stack else _global_mode) != "allow"


def count(direction: str, nbytes: int) -> None:
    """Count one conversion that the guard allows without a word."""
    if direction == "to_mxnet":
        _stats.to_mxnet += 1
        _stats.to_mxnet_bytes += nbytes
    elif direction == "to_cupy":
        _stats.to_cupy += 1
        _stats.to_cupy_bytes += nbytes
    else:
        _stats.to_host += 1
        _stats.to_host_bytes += nbytes


def note(direction: str, nbytes: int, shape, dtype, device) -> None:
    """Record one conversion ('to_mxnet', 'to_cupy' or 'to_host'); raise if the guard
    forbids it."""
    mode = _state.stack[-1] if _state.stack else _global_mode
    if mode != "allow":
        what = f"{direction} copy of a {shape} {dtype} array ({nbytes} bytes) on {device}"
        if mode == "disallow":
            raise TransferError(f"transfer guard 'disallow' forbids a {what}")
        _log.info("%s", what)
    count(direction, nbytes)
