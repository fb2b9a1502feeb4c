"""Rules of indexing, gathering and sorting: getitem (basic and advanced), take,
take_along_axis, sort, and the scatter primitives ``autograd.index_add`` /
``autograd.index_update`` that the other rules (and ``x[i] = v`` on traced values) use.
"""

from __future__ import annotations

import numpy as _onp

from minpy.core.convert import to_host

from .._indexops import index_add, index_update
from ._util import defvjp, np, rule, shape_of, unbroadcast


def _scatter(g, key, like):
    return index_add(np.zeros(shape_of(like), g.dtype), key, g)


@rule("getitem")
def _getitem(ans, a, key):
    return lambda g: _scatter(g, key, a)


defvjp("autograd.index_add",
       lambda ans, a, key, v: lambda g: g,
       lambda ans, a, key, v: lambda g: unbroadcast(g[key], v),
       argnums=(0, 2))
defvjp("autograd.index_update",
       lambda ans, a, key, v: lambda g: index_update(g, key, 0.0),
       lambda ans, a, key, v: lambda g: unbroadcast(g[key], v),
       argnums=(0, 2))


def _axis_key(axis, idx):
    return (slice(None),) * axis + (idx,)


@rule("take")
def _take(ans, a, indices, axis=None, out=None, mode=None):
    shape = shape_of(a)
    idx = to_host(indices)

    def vjp(g):
        if axis is None:
            flat = index_add(np.zeros((int(_onp.prod(shape)),), g.dtype), (idx,), g)
            return np.reshape(flat, shape)
        return _scatter(g, _axis_key(axis % len(shape), idx), a)
    return vjp


def _along_axis_key(indices, axis):
    """The advanced-index key that ``take_along_axis(a, indices, axis)`` reads."""
    idx = _onp.asarray(indices)
    grids = _onp.ogrid[tuple(slice(n) for n in idx.shape)]
    key = list(grids)
    key[axis] = idx
    return tuple(key)


@rule("take_along_axis")
def _take_along_axis(ans, arr, indices, axis=None):
    shape = shape_of(arr)
    idx = to_host(indices)

    def vjp(g):
        if axis is None:
            flat = index_add(np.zeros((int(_onp.prod(shape)),), g.dtype), (idx,), g)
            return np.reshape(flat, shape)
        return _scatter(g, _along_axis_key(idx, axis % len(shape)), arr)
    return vjp


@rule("sort")
def _sort(ans, a, axis=-1, kind=None, order=None):
    shape = shape_of(a)
    host = _value(a)
    if axis is None:
        perm = _onp.argsort(host, axis=None, kind="stable")

        def vjp_flat(g):
            return np.reshape(index_add(np.zeros((host.size,), g.dtype), (perm,), g), shape)
        return vjp_flat
    ax = axis % len(shape)
    perm = _onp.argsort(host, axis=ax, kind="stable")
    key = _along_axis_key(perm, ax)
    return lambda g: _scatter(g, key, a)


def _value(a):
    from minpy.core.tracing import unbox_all
    v = unbox_all(a)
    return v.asnumpy() if hasattr(v, "asnumpy") else _onp.asarray(v)


@rule("msort")
def _msort(ans, a):
    return _sort(ans, a, axis=0)
