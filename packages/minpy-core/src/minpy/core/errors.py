"""Turning MXNet engine errors into the exceptions NumPy raises for the same mistake.

The dispatcher normally re-runs a call that MXNet rejected in NumPy, which then raises
NumPy's own exception (or succeeds: a legitimate fallback). Only where NumPy may not run
(the only-MXNet policy) is an MXNet error translated here, by its message.
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["is_mxnet_error", "translate"]

try:  # NumPy >= 1.25 and 2.x
    _AxisError = np.exceptions.AxisError
except AttributeError:  # NumPy 1.23
    _AxisError = np.AxisError

# (pattern in MXNet's message, NumPy's exception type), first match wins.
_RULES = (
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


def _last_line(message: str) -> str:
    lines = [ln.strip() for ln in message.strip().splitlines() if ln.strip()]
    for ln in reversed(lines):
        if "Error" in ln or "Check failed" in ln:
            return ln
    return lines[-1] if lines else message


def translate(exc: BaseException, op_name: str) -> BaseException:
    """NumPy's exception type for MXNet error ``exc`` raised by ``op_name``."""
    message = str(exc)
    summary = f"{op_name}: {_last_line(message)}"
    for pattern, kind in _RULES:
        if pattern.search(message):
            return kind(summary)
    return RuntimeError(summary)
