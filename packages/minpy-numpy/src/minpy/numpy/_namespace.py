"""Completing a namespace: every public NumPy name resolves in MinPy.

Names in the op table become dispatching functions; every other public callable of the
NumPy module becomes a NumPy fallback (host forms in, Arrays out); classes, dtypes and
constants are NumPy's own objects, except classes whose constructor writes into the
arrays it is given (``nditer``, see :data:`minpy.core._handoff.WRITERS`): calling one
runs it through the one door, ``isinstance`` still sees NumPy's class.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping

import numpy as np

from minpy.core._handoff import writer_of

from ._dispatch import make_fallback, make_function
from ._table import TABLE

__all__ = ["complete_namespace", "public_names", "WritingClass"]

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
            if prefix + name == "load":
                obj = _loading_arrays(obj)
        elif isinstance(obj, type) and writer_of(obj) is not None:
            obj = WritingClass(obj, make_fallback(prefix + name, obj))
        module_globals[name] = obj
        return obj

    def __dir__():
        return sorted(set(module_globals) | set(public_names(numpy_module)))

    module_globals["__getattr__"] = __getattr__
    module_globals["__dir__"] = __dir__


class WritingClass:
    """A NumPy class whose constructor may write into its array arguments (``nditer``
    with 'readwrite' operands): calls go through ``make``, a NumPy fallback (so the
    arrays' buffers are handed out as :mod:`minpy.core._handoff` says); ``isinstance``,
    ``issubclass`` and attributes are the class's."""

    def __init__(self, cls, make):
        self._cls, self._make = cls, make
        self.__doc__, self.__name__ = cls.__doc__, cls.__name__
        self.__qualname__, self.__module__ = cls.__qualname__, "minpy.numpy"

    def __call__(self, *args, **kwargs):
        return self._make(*args, **kwargs)

    def __instancecheck__(self, obj):
        return isinstance(obj, self._cls)

    def __subclasscheck__(self, cls):
        return issubclass(cls, self._cls)

    def __getattr__(self, name):
        return getattr(self._cls, name)

    def __repr__(self):
        return f"<MinPy's {self._cls.__module__}.{self._cls.__name__}>"


class NpzArrays(Mapping):
    """What ``minpy.numpy.load`` gives for an ``.npz`` file: NumPy's ``NpzFile`` whose
    members come out as MinPy Arrays (read lazily, as NumPy reads them)."""

    def __init__(self, npz):
        self._npz = npz

    def __getitem__(self, key):
        from minpy.core.convert import wrap
        return wrap(self._npz[key])

    def __iter__(self):
        return iter(self._npz)

    def __len__(self):
        return len(self._npz)

    def __contains__(self, key):
        return key in self._npz

    @property
    def files(self):
        return self._npz.files

    def close(self):
        self._npz.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"NpzArrays({self._npz!r})"


def _loading_arrays(fallback):
    """``load`` whose ``.npz`` result gives Arrays (a ``.npy`` already does)."""
    def load(*args, **kwargs):
        res = fallback(*args, **kwargs)
        return NpzArrays(res) if isinstance(res, np.lib.npyio.NpzFile) else res
    load.__name__ = load.__qualname__ = "load"
    load.__module__ = fallback.__module__
    load.__doc__ = fallback.__doc__
    load.__wrapped__ = fallback
    return load
