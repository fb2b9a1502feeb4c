"""Rules of indexing, gathering and sorting: getitem (basic and advanced), take,
take_along_axis, sort, and the scatter primitives ``autograd.index_add`` /
``autograd.index_update`` that the other rules (and ``x[i] = v`` on traced values) use.
"""

from __future__ import annotations

import numpy as _onp

from minpy.core.convert import to_host

from .._indexops import index_add, index_update, scatter_add
from ._util import defvjp, np, rule, shape_of, unbroadcast


def _scatter(g, key, like, unique=False):
    return scatter_add(g, key, shape_of(like), unique=unique)


@rule("getitem")
def _getitem(ans, a, key):
    return lambda g: _scatter(g, key, a)


defvjp("autograd.index_add",
       lambda ans, a, key, v: lambda g: g,
       lambda ans, a, key, v: lambda g: unbroadcast(g[key], v),
       argnums=(0, 2))
defvjp("autograd.scatter_add",
       lambda ans, v, key, shape, unique=False: lambda g: unbroadcast(g[key], v))
def _last_writes(shape, key):
    """A 0/1 mask over the selection ``a[key]``: 1 where that element is the last write
    to its target (``a[key] = v`` with repeated indices keeps the last value)."""
    ids = _onp.arange(int(_onp.prod(shape, dtype=int))).reshape(shape)
    sel = ids[key]
    winner = _onp.full(ids.shape, -1)
    winner[key] = _onp.arange(sel.size).reshape(sel.shape)
    mask = _onp.zeros(sel.size)
    mask[winner[winner >= 0]] = 1.0
    return mask.reshape(sel.shape), bool(mask.all())


def _update_v(ans, a, key, v):
    mask, all_win = _last_writes(shape_of(a), to_host(key))
    if all_win:
        return lambda g: unbroadcast(g[key], v)
    return lambda g: unbroadcast(g[key] * mask, v)


defvjp("autograd.index_update",
       lambda ans, a, key, v: lambda g: index_update(g, key, 0.0), _update_v,
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
        # indices broadcast against arr (NumPy does): the key of the output's shape
        full = _onp.broadcast_to(idx, shape_of(g))
        return _scatter(g, _along_axis_key(full, axis % len(shape)), arr)
    return vjp


def _sort_perm(host, axis, descending):
    """The permutation ``sort`` applied along ``axis`` (``descending=``: the array API's,
    largest first, ties in order)."""
    if not descending:
        return _onp.argsort(host, axis=axis, kind="stable")
    flipped = _onp.argsort(_onp.flip(host, axis), axis=axis, kind="stable")
    return host.shape[axis] - 1 - _onp.flip(flipped, axis)


@rule("sort")
def _sort(ans, a, axis=-1, kind=None, order=None, *, stable=None, descending=False):
    shape = shape_of(a)
    host = _value(a)
    if axis is None:
        perm = _sort_perm(host.ravel(), 0, descending)

        def vjp_flat(g):
            return np.reshape(index_add(np.zeros((host.size,), g.dtype), (perm,), g), shape)
        return vjp_flat
    ax = axis % len(shape)
    perm = _sort_perm(host, ax, descending)
    key = _along_axis_key(perm, ax)
    return lambda g: _scatter(g, key, a, unique=True)   # a permutation


def _value(a):
    from minpy.core.tracing import unbox_all
    v = unbox_all(a)
    return v.asnumpy() if hasattr(v, "asnumpy") else _onp.asarray(v)


@rule("msort")
def _msort(ans, a):
    return _sort(ans, a, axis=0)


def _rank_match(host_in, host_out, axis):
    """The permutation ``p`` with ``out = take_along_axis(in, p, axis)`` for an output
    that is a rearrangement of the input along ``axis`` (``partition``): matched by rank,
    so ties pair up in a fixed order."""
    rank_in = _onp.argsort(host_in, axis=axis, kind="stable")
    rank_out = _onp.argsort(_onp.argsort(host_out, axis=axis, kind="stable"), axis=axis,
                            kind="stable")
    return _onp.take_along_axis(rank_in, rank_out, axis=axis)


@rule("partition")
def _partition(ans, a, kth, axis=-1, kind="introselect", order=None):
    shape = shape_of(a)
    out = _value(ans)
    if axis is None:
        perm = _rank_match(_value(a).ravel(), out, 0)

        def vjp_flat(g):
            return np.reshape(index_add(np.zeros((out.size,), g.dtype), (perm,), g), shape)
        return vjp_flat
    ax = axis % len(shape)
    key = _along_axis_key(_rank_match(_value(a), out, ax), ax)
    return lambda g: _scatter(g, key, a, unique=True)   # a permutation


@rule("sort_complex")
def _sort_complex(ans, a):
    perm = _onp.lexsort((_value(a).imag, _value(a).real), axis=-1)
    key = _along_axis_key(perm, len(shape_of(a)) - 1)
    return lambda g: _scatter(g if g.dtype.kind == "c" else g + 0j, key, a)


# -- select, choose, compress, extract, delete, insert ------------------------------
def _select_masks(condlist):
    taken = None
    masks = []
    for c in condlist:
        c = _onp.asarray(to_host(c), dtype=bool)
        masks.append(c if taken is None else c & ~taken)
        taken = c if taken is None else taken | c
    return masks, taken


def _select_choices(ans, condlist, choicelist, default=0):
    masks, _ = _select_masks(condlist)
    return lambda g: [unbroadcast(np.where(m, g, 0.0), c) for m, c in zip(masks, choicelist)]


def _select_default(ans, condlist, choicelist, default=0):
    _, taken = _select_masks(condlist)
    if taken is None:
        return lambda g: unbroadcast(g, default)
    return lambda g: unbroadcast(np.where(taken, 0.0, g), default)


defvjp("select", _select_choices, _select_default, argnums=(1, 2))


def _choose(ans, a, choices, out=None, mode="raise"):
    idx = _onp.asarray(to_host(a))
    n = len(choices)
    if mode == "wrap":
        idx = idx % n
    elif mode == "clip":
        idx = _onp.clip(idx, 0, n - 1)
    return lambda g: [unbroadcast(np.where(idx == i, g, 0.0), c)
                      for i, c in enumerate(choices)]


defvjp("choose", _choose, argnums=(1,))


def _compress(ans, condition, a, axis=None, out=None):
    shape = shape_of(a)
    cond = _onp.nonzero(_onp.asarray(to_host(condition), dtype=bool))[0]

    def vjp(g):
        if axis is None:
            flat = index_add(np.zeros((int(_onp.prod(shape, dtype=int)),), g.dtype),
                             (cond,), g)
            return np.reshape(flat, shape)
        return _scatter(g, _axis_key(axis % len(shape), cond), a)
    return vjp


defvjp("compress", _compress, argnums=(1,))


def _extract(ans, condition, arr):
    shape = shape_of(arr)
    where = _onp.nonzero(_onp.ravel(_onp.asarray(to_host(condition))))[0]

    def vjp(g):
        flat = index_add(np.zeros((int(_onp.prod(shape, dtype=int)),), g.dtype), (where,), g)
        return np.reshape(flat, shape)
    return vjp


defvjp("extract", _extract, argnums=(1,))
