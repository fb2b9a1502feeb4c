"""Completing a namespace: every public NumPy name resolves in MinPy.

Names in the op table become dispatching functions; every other public callable of the
NumPy module becomes a NumPy fallback (host forms in, Arrays out); classes, dtypes and
constants are NumPy's own objects.
"""

from __future__ import annotations

import inspect

import numpy as np

from ._dispatch import make_fallback, make_function
from ._table import TABLE

__all__ = ["complete_namespace", "public_names"]

# Objects that are exposed as they are, never wrapped as functions.
_AS_IS = (type, np.dtype)


def public_names(module) -> list[str]:
    """The public names of a NumPy module (its ``__all__`` plus public attributes)."""
    names = set(getattr(module, "__all__", ()))
    names.update(n for n in dir(module) if not n.startswith("_"))
    return sorted(names)


def _is_function(obj) -> bool:
    if isinstance(obj, _AS_IS) or inspect.ismodule(obj):
        return False
    return callable(obj)


def complete_namespace(module_globals: dict, numpy_module, prefix: str = "") -> None:
    """Give a MinPy module a ``__getattr__``/``__dir__`` that resolve every public name
    of ``numpy_module``; table entries under ``prefix`` are defined eagerly."""
    for name, op in TABLE.items():
        if name.startswith(prefix) and "." not in name[len(prefix):] and name not in (
                "getitem", "astype"):
            module_globals.setdefault(name[len(prefix):], make_function(op))

    public = frozenset(getattr(numpy_module, "__all__", ()))

    def __getattr__(name):
        if name.startswith("__") and name not in public:  # numpy.__array_namespace_info__
            raise AttributeError(name)
        try:
            obj = getattr(numpy_module, name)
        except AttributeError:
            raise AttributeError(
                f"module {module_globals['__name__']!r} has no attribute {name!r} "
                f"(neither has {numpy_module.__name__})") from None
        if _is_function(obj):
            obj = make_fallback(prefix + name, obj)
        module_globals[name] = obj
        return obj

    def __dir__():
        return sorted(set(module_globals) | set(public_names(numpy_module)))

    module_globals["__getattr__"] = __getattr__
    module_globals["__dir__"] = __dir__
