"""Flattening nested lists, tuples and dicts of arrays and scalars into one vector,
and back (differentiably both ways)."""

from __future__ import annotations

from ..api import make_vjp

__all__ = ["flatten", "flatten_func"]


def _np():
    import minpy.numpy as np
    return np


def flatten(value):
    """``(vector, unflatten)``: the leaves of ``value`` (any nesting of lists, tuples and
    dicts, dicts in sorted key order) raveled into one 1-D Array, and the function that
    rebuilds the structure from such a vector. ``unflatten`` is the VJP of flattening,
    so both directions trace."""
    unflatten, flat = make_vjp(_flatten)(value)
    return flat, unflatten


def _flatten(value):
    np = _np()
    if isinstance(value, (list, tuple)):
        parts = [_flatten(v) for v in value]
    elif isinstance(value, dict):
        parts = [_flatten(value[k]) for k in sorted(value)]
    else:
        return np.ravel(value)
    return np.concatenate(parts) if parts else np.array([])


def flatten_func(func, example):
    """``(flat_func, unflatten, flat_example)``: ``func`` of a structure like
    ``example`` as a function of one vector."""
    flat_example, unflatten = flatten(example)

    def flat_func(x, *args):
        return flatten(func(unflatten(x), *args))[0]
    return flat_func, unflatten, flat_example
