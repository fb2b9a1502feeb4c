"""Turning MXNet engine errors into the exceptions NumPy raises for the same mistake.

The dispatcher normally re-runs a call that MXNet rejected in NumPy, which then raises
NumPy's own exception (or succeeds: a legitimate fallback). Only where NumPy may not run
(the only-MXNet policy) is an MXNet error translated here, by its message.
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["is_mxnet_error", "translate", "out_of_memory"]

try:  # NumPy >= 1.25 and 2.x
    _AxisError = np.exceptions.AxisError
except AttributeError:  # NumPy 1.23
    _AxisError = np.AxisError

# (pattern in MXNet's message, NumPy's exception type), first match wins.
_RULES = (
    (re.compile(r"singular|not positive.definite|potrf|getrf|LAPACK|syevd|gesvd|"
                r"factori[sz]ation|not invertible", re.I),
     np.linalg.LinAlgError),
    (re.compile(r"could not be broadcast|broadcast.*shape|shape.*mismatch|"
                r"Incompatible|inconsistent shape|shapes? .* not aligned", re.I | re.S),
     ValueError),
    (re.compile(r"axis .*out of bounds|axis.*exceeds|Invalid axis|axis \S+ is out", re.I),
     _AxisError),
    (re.compile(r"index .*out of bound|out of range|IndexError", re.I), IndexError),
    (re.compile(r"dtype|type .*not supported|does not support.*type|TypeError", re.I),
     TypeError),
)


def is_mxnet_error(exc: BaseException) -> bool:
    return type(exc).__name__ == "MXNetError"


# C++ detail NumPy users never see: log prefixes (``[12:00:00] src/op.cc:42: ``), stack
# frames (``[bt] (0) ...``), assertion text (``Check failed: (a) == (b):``).
_PREFIX = re.compile(r"^(\[[0-9:]+\]\s*)?(\S+\.(cc|h|cuh|cu):\d+:\s*)")
_CHECK = re.compile(r"Check failed:\s*(\([^)]*\)|[^:])*:\s*")
_ERROR_NAME = re.compile(r"^(\w+\.)*\w*Error:\s*")


def _last_line(message: str) -> str:
    """The line of MXNet's message that says what went wrong, in plain words."""
    lines = []
    for ln in message.strip().splitlines():
        ln = ln.strip()
        if not ln or ln.startswith(("[bt]", "File ", "Traceback", "Stack trace")):
            continue
        ln = _PREFIX.sub("", _ERROR_NAME.sub("", ln))
        ln = _CHECK.sub("", ln).strip()
        if ln.startswith("Check failed") or not ln:
            continue
        lines.append(ln)
    return lines[-1] if lines else "MXNet rejected the arguments"


def translate(exc: BaseException, op_name: str) -> BaseException:
    """NumPy's exception type for MXNet error ``exc`` raised by ``op_name``."""
    message = str(exc)
    summary = f"{op_name}: {_last_line(message)}"
    for pattern, kind in _RULES:
        if pattern.search(message):
            return kind(summary)
    return RuntimeError(summary)


# MXNet's words for an allocation that failed: its CPU storage ("Failed to allocate CPU
# Memory"), CUDA ("out of memory", cudaErrorMemoryAllocation), C++'s std::bad_alloc.
_OUT_OF_MEMORY = re.compile(r"Failed to allocate|out of memory|cudaErrorMemoryAllocation|"
                            r"CUDA_ERROR_OUT_OF_MEMORY|bad_alloc", re.I)


def out_of_memory(exc: BaseException, op_name: str) -> MemoryError | None:
    """A ``MemoryError`` when ``exc`` is a backend's out-of-memory error, else ``None``.

    CuPy's ``OutOfMemoryError`` and NumPy's ``_ArrayMemoryError`` are MemoryErrors
    already (returned as they are); MXNet raises ``MXNetError`` with its allocator's
    message, turned into a MemoryError naming ``op_name``."""
    if isinstance(exc, MemoryError):
        return exc
    if is_mxnet_error(exc) and _OUT_OF_MEMORY.search(str(exc)):
        return MemoryError(f"{op_name}: {_last_line(str(exc))}")
    return None
