"""The original MinPy's conversion helpers (``minpy.core.convert_args`` and friends),
as thin functions over :class:`~minpy.core.Array`.

Containers (tuples, lists, dicts) are converted element by element, recursively;
anything that is not an array is left alone.
"""

from __future__ import annotations

import functools

import numpy as _np

from .array import Array
from .tracing import Box

__all__ = ["numpy_to_minpy", "minpy_to_numpy", "convert_args", "return_numpy", "wraps"]


def _map(value, leaf):
    if isinstance(value, tuple):
        return tuple(_map(v, leaf) for v in value)
    if isinstance(value, list):
        return [_map(v, leaf) for v in value]
    if isinstance(value, dict):
        return {k: _map(v, leaf) for k, v in value.items()}
    return leaf(value)


def _to_minpy(v):
    return Array(v) if isinstance(v, _np.ndarray) else v


def _to_numpy(v):
    while isinstance(v, Box):
        v = v._value
    return _np.array(v._host_value()) if isinstance(v, Array) else v


def numpy_to_minpy(var):
    """NumPy arrays (alone or in tuples, lists, dicts) as MinPy Arrays."""
    return _map(var, _to_minpy)


def minpy_to_numpy(var):
    """MinPy Arrays (alone or in tuples, lists, dicts) as NumPy arrays (copies)."""
    return _map(var, _to_numpy)


def convert_args(func):
    """Decorator: NumPy arrays among ``func``'s arguments become MinPy Arrays."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*numpy_to_minpy(args), **numpy_to_minpy(kwargs))
    return wrapper


def return_numpy(func):
    """Decorator: MinPy Arrays in ``func``'s result become NumPy arrays."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return minpy_to_numpy(func(*args, **kwargs))
    return wrapper


def wraps(mode="lazy"):
    """The original ``@minpy.core.wraps(mode)``: convert the arguments to MinPy
    Arrays, and the result to NumPy arrays when ``mode`` is ``'numpy'``."""
    if mode not in ("lazy", "numpy"):
        raise ValueError(f"wraps mode must be 'lazy' or 'numpy', not {mode!r}")

    def deco(func):
        func = convert_args(func)
        return return_numpy(func) if mode == "numpy" else func
    return deco
