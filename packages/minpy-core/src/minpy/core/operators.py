"""Where an :class:`~minpy.core.Array` finds the functions behind its operators and
methods.

``x + y`` calls ``lookup('add')(x, y)``; ``x.sum(axis=0)`` calls
``lookup('sum')(x, axis=0)``; ``x[i]`` calls ``lookup('getitem')(x, i)``. Core itself
knows no backend policy: until a namespace registers a resolver (``minpy.numpy`` does
when imported), names resolve to NumPy run on the host form. This keeps the direction
of imports: ``minpy.numpy`` plugs into core, never the reverse.
"""

from __future__ import annotations

import numpy as np

from . import convert

__all__ = ["lookup", "set_resolver", "host_function"]

_resolver = None
_cache: dict[str, object] = {}

# Names the Array uses that are not NumPy functions, and their host meaning.
_SPECIAL = {
    "getitem": lambda a, key: a[key],
    "astype": lambda a, dtype, **kw: a.astype(dtype, **kw),
}


def _numpy_attr(name: str):
    obj = np
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def host_function(name: str):
    """``name`` (``'add'``, ``'linalg.inv'``, ``'getitem'``) as NumPy on host forms,
    returning Arrays: core's meaning of an operator when no namespace is loaded."""
    fn = _SPECIAL.get(name) or _numpy_attr(name)

    def on_host(*args, **kwargs):
        return convert.wrap(fn(*convert.to_host(args), **convert.to_host(kwargs)))

    on_host.__name__ = name
    return on_host


def set_resolver(resolver) -> None:
    """Install ``resolver(name) -> function`` (or ``None`` to go back to NumPy)."""
    global _resolver
    _resolver = resolver
    _cache.clear()


def lookup(name: str):
    """The function that implements ``name`` for Arrays."""
    fn = _cache.get(name)
    if fn is None:
        fn = _resolver(name) if _resolver is not None else None
        if fn is None:
            fn = host_function(name)
        _cache[name] = fn
    return fn
