"""Dtype rules: the default float dtype.

MinPy's dtypes are NumPy's. Which dtypes a backend holds is the backend's to say
(:meth:`minpy.core.backend.Backend.holds`); an array of a dtype no device backend holds
stays on the host in NumPy form, with no error and no loss. ``MX_DTYPES`` and
``mx_holdable`` are the MXNet backend's, kept here under their original names.
"""

from __future__ import annotations

import contextlib
import threading

import numpy as np

__all__ = ["MX_DTYPES", "mx_holdable", "get_default_float_dtype",
           "set_default_float_dtype", "default_float_dtype"]

from ._mxnet import MX_DTYPES, mx_holdable  # noqa: E402  (original spellings)

_FLOATS = (np.dtype("float16"), np.dtype("float32"), np.dtype("float64"))


class _State(threading.local):
    def __init__(self):
        self.stack: list[np.dtype] = []


_state = _State()
_global_float = np.dtype("float64")


def get_default_float_dtype() -> np.dtype:
    """The dtype that float-producing creation functions use when given no dtype:
    float64 as in NumPy, unless set otherwise."""
    stack = _state.stack
    return stack[-1] if stack else _global_float


def _check(dtype) -> np.dtype:
    dt = np.dtype(dtype)
    if dt not in _FLOATS:
        raise ValueError(f"the default float dtype must be float16, float32 or float64, not {dt}")
    return dt


def set_default_float_dtype(dtype) -> None:
    """Set the process-wide default float dtype (``'float32'`` suits deep learning)."""
    global _global_float
    _global_float = _check(dtype)


@contextlib.contextmanager
def default_float_dtype(dtype):
    """Use ``dtype`` as the default float dtype of this thread inside the block."""
    _state.stack.append(_check(dtype))
    try:
        yield
    finally:
        _state.stack.pop()
