"""Counting and guarding the copies between an Array's host (NumPy) form and its device
backends' forms.

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
from dataclasses import dataclass, field

__all__ = ["TransferError", "TransferStats", "stats", "reset_stats", "set_transfer_guard",
           "transfer_guard", "get_transfer_guard", "note"]

_log = logging.getLogger("minpy.transfer")
_MODES = ("allow", "log", "disallow")


class TransferError(RuntimeError):
    """A host<->device copy was attempted under ``transfer_guard('disallow')``."""


@dataclass
class TransferStats:
    """Conversions made since the last :func:`reset_stats`, by direction: ``to_host``
    (copies off a device), and ``to_<backend>`` for copies into each device backend's
    forms (``to_mxnet``, ``to_cupy``; host to device, or device to device). Each
    direction reads as an attribute: ``stats().to_mxnet`` (copies),
    ``stats().to_mxnet_bytes`` (bytes); a direction never used reads 0. A snapshot:
    ``stats().copy()`` (or ``dataclasses.replace(stats())``)."""

    counts: dict = field(default_factory=dict)  # direction -> [copies, bytes]

    def __post_init__(self):
        self.counts = {k: list(v) for k, v in self.counts.items()}

    def __getattr__(self, name):
        if name.startswith("to_"):
            if name.endswith("_bytes"):
                return self.counts.get(name[:-6], (0, 0))[1]
            return self.counts.get(name, (0, 0))[0]
        raise AttributeError(name)

    def copy(self) -> "TransferStats":
        """A snapshot."""
        return TransferStats(self.counts)

    @property
    def total(self) -> int:
        return sum(v[0] for v in self.counts.values())

    def __repr__(self):
        parts = ", ".join(f"{k}={v[0]} ({v[1]} bytes)" for k, v in sorted(self.counts.items()))
        return f"TransferStats({parts})"


_stats = TransferStats()


def stats() -> TransferStats:
    """The live conversion counters (a snapshot: ``stats().copy()``)."""
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
    entry = _stats.counts.get(direction)
    if entry is None:
        entry = _stats.counts[direction] = [0, 0]
    entry[0] += 1
    entry[1] += nbytes


def note(direction: str, nbytes: int, shape, dtype, device) -> None:
    """Record one conversion (``'to_host'``, or a device backend's direction such as
    ``'to_mxnet'``); raise if the guard forbids it."""
    mode = _state.stack[-1] if _state.stack else _global_mode
    if mode != "allow":
        what = f"{direction} copy of a {shape} {dtype} array ({nbytes} bytes) on {device}"
        if mode == "disallow":
            raise TransferError(f"transfer guard 'disallow' forbids a {what}")
        _log.info("%s", what)
    count(direction, nbytes)
