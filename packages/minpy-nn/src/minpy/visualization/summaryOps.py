"""Summary protocol buffers (the original's ``minpy.visualization.summaryOps``)."""

from __future__ import annotations

import numbers

import numpy as _onp

from . import _proto

__all__ = ["Summary", "scalarSummary"]


class Summary:
    """A TensorBoard ``Summary`` message: ``(tag, value)`` pairs of scalars."""

    def __init__(self, values=()):
        self.values = list(values)

    def SerializeToString(self) -> bytes:  # noqa: N802  (TensorFlow's name)
        return _proto.summary([_proto.summary_value(t, v) for t, v in self.values])

    def __repr__(self):
        return f"Summary({self.values!r})"


def _scalar(value, tag):
    if isinstance(value, numbers.Number) and not isinstance(value, (bool, complex)):
        return float(value)
    if hasattr(value, "asnumpy"):
        value = value.asnumpy()
    arr = _onp.asarray(value)
    if arr.size != 1 or arr.dtype.kind not in "biuf":
        raise ValueError(f"scalarSummary({tag!r}, ...): expected a real number or a "
                         f"one-element array, got {type(value).__name__} of shape "
                         f"{arr.shape} and dtype {arr.dtype}")
    return float(arr.reshape(()))


def scalarSummary(tag, scalar):  # noqa: N802  (the original's name)
    """A Summary holding one scalar: a Python number, or a one-element MinPy Array or
    NumPy array."""
    if not isinstance(tag, str):
        raise TypeError(f"scalarSummary: tag must be a str, not {type(tag).__name__}")
    return Summary([(tag, _scalar(scalar, tag))])
