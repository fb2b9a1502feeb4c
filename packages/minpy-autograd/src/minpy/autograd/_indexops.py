"""Primitives that the gradient rules of indexing need: functional scatter updates.

``index_add(a, key, v)`` is a copy of ``a`` with ``v`` added at ``a[key]``, with
``numpy.add.at`` semantics (repeated indices accumulate): the gradient of ``getitem``.
``index_update(a, key, v)`` is a copy of ``a`` with ``a[key] = v``: what ``x[key] = v``
on a traced value records. Both run in NumPy on the host and are primitives with their
own rules, so gradients through them differentiate again.
"""

from __future__ import annotations

import numpy as _onp

from minpy.core import primitive as _primitive
from minpy.core.convert import to_host, wrap


def _index_add(a, key, v):
    out = _onp.array(to_host(a), copy=True)
    _onp.add.at(out, to_host(key), to_host(v))
    return wrap(out)


def _index_update(a, key, v):
    out = _onp.array(to_host(a), copy=True)
    out[to_host(key)] = to_host(v)
    return wrap(out)


index_add = _primitive(_index_add, "autograd.index_add")
index_update = _primitive(_index_update, "autograd.index_update")
