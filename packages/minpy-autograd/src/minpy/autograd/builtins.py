"""HIPS Autograd's ``autograd.builtins``: containers of traced values, and type tests
that see through tracing.

HIPS Autograd traces a list, tuple or dict as one boxed value, so building one from
traced values needs its ``tuple``/``list``/``dict`` primitives. MinPy traces the
leaves of containers instead (a list of traced values is a plain list), so
``tuple``, ``list`` and ``dict`` here *are* Python's: code written with them behaves
the same, and ``isinstance(x, minpy.autograd.tuple)`` holds for every tuple.
:func:`isinstance` and :func:`type` look at a traced value's value.
"""

from __future__ import annotations

import builtins as _b

from minpy.core.tracing import unbox_all

__all__ = ["tuple", "list", "dict", "isinstance", "type"]

tuple = _b.tuple
list = _b.list
dict = _b.dict


def isinstance(obj, classinfo):
    """``builtins.isinstance`` on the value of a traced ``obj``."""
    return _b.isinstance(unbox_all(obj), classinfo)


def type(obj):
    """The type of the value of a traced ``obj`` (``builtins.type`` otherwise)."""
    return _b.type(unbox_all(obj))
