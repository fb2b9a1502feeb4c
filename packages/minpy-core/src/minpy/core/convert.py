"""Moving values between MinPy Arrays and plain NumPy values, through nested
arguments (lists, tuples, dicts)."""

from __future__ import annotations

import numpy as np

__all__ = ["to_host", "wrap"]


# Set by minpy.core.array once the class exists (the two modules need each other).
Array = None


def to_host(x):
    """Replace every Array in ``x`` (nested in lists, tuples and dicts) by its NumPy
    form. The NumPy form is shared, not copied: callers must not write to it."""
    t = type(x)
    if t is Array:
        return x._host_value(share=True)
    if t is tuple or t is list:
        return t([to_host(a) for a in x])
    if t is dict:
        return {k: to_host(v) for k, v in x.items()}
    if isinstance(x, Array):
        return x._host_value(share=True)
    return x


def wrap(x, device=None):
    """Wrap NumPy results as Arrays: an ndarray or NumPy scalar becomes an Array (a
    scalar a 0-d Array); lists and tuples are wrapped element by element; anything
    else (Python scalars, dtypes, shapes) is returned as it is."""
    if isinstance(x, np.ndarray):
        return Array._from_host(x, device)
    if isinstance(x, np.generic):
        return Array._from_host(np.asarray(x), device)
    t = type(x)
    if t is tuple or t is list:
        return t(wrap(a, device) for a in x)
    if hasattr(x, "_fields") and isinstance(x, tuple):  # named tuples (linalg results)
        return t(*(wrap(a, device) for a in x))
    return x
