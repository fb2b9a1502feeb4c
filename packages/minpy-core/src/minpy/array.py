"""The original MinPy's ``minpy.array``: names for MinPy's one array type.

The original had ``Value`` (the base class), ``Array`` (an array held as NumPy or MXNet
data) and ``Number`` (a wrapped scalar), and ``wrap`` to turn NumPy values into them.
MinPy has one type, :class:`minpy.core.Array`, and a reduction gives a 0-d Array
rather than a ``Number``; these names test and build what the original's did:

* ``Array`` is :class:`minpy.core.Array`;
* ``isinstance(x, Number)`` holds for Python and NumPy numbers and 0-d Arrays, and
  ``Number(x)`` makes a 0-d Array;
* ``isinstance(x, Value)`` holds for Arrays and numbers;
* ``wrap(x)`` turns NumPy arrays and scalars (inside lists and tuples too) into Arrays.
"""

from __future__ import annotations

import numbers

import numpy as _onp

from minpy.core.array import Array
from minpy.core.convert import wrap as _wrap
from minpy.core.tracing import Box

__all__ = ["Value", "Array", "Number", "wrap"]


def _is_number(x) -> bool:
    if isinstance(x, bool):
        return False
    if isinstance(x, (numbers.Number, _onp.number)):
        return True
    return isinstance(x, (Array, Box)) and x.ndim == 0


class _NumberMeta(type):
    def __instancecheck__(cls, x):
        return _is_number(x)


class Number(metaclass=_NumberMeta):
    """A scalar: ``isinstance(x, Number)`` for Python/NumPy numbers and 0-d Arrays;
    ``Number(3.0)`` is a 0-d Array."""

    def __new__(cls, value):
        import minpy.numpy as np
        return np.asarray(value)


class _ValueMeta(type):
    def __instancecheck__(cls, x):
        return isinstance(x, (Array, Box)) or _is_number(x)


class Value(metaclass=_ValueMeta):
    """What the original's ``Value`` covered: ``isinstance(x, Value)`` for Arrays and
    numbers."""


def wrap(x):
    """NumPy arrays and scalars (also inside lists and tuples) as Arrays; Arrays and
    other values as they are."""
    t = type(x)
    if t is dict:
        return {k: wrap(v) for k, v in x.items()}
    if t is list or t is tuple:
        return t(wrap(v) for v in x)
    return _wrap(x)
