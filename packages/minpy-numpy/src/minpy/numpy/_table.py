"""The op table: one entry per NumPy name that MinPy runs on a backend other than NumPy.

An :class:`Op` says, for one NumPy name, which NumPy function defines it, which
positional arguments are arrays, how the result dtype is found and which cost class it
is in; its :attr:`Op.impls` hold one :class:`Impl` per device backend that computes it
(keyed by the backend objects of :mod:`minpy.core.backend`), each with that backend's
own conditions: the keywords it accepts, the arguments it handles as NumPy does, the
dtypes its kernel has, how inputs are cast before it sees them. The backends' op modules
fill them (:mod:`._ops` for MXNet, :mod:`._cupy_ops` for CuPy); this module names no
backend. The gradient rule of the op lives in ``minpy.autograd``, in a table keyed by the
same name. Every NumPy name *not* in this table still resolves: it runs in NumPy (see
:mod:`minpy.numpy._namespace`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

__all__ = ["Op", "Impl", "TABLE", "add", "numpy_function"]


@dataclass(eq=False)
class Impl:
    """One backend's implementation of a table op, with that backend's conditions.

    Attributes
    ----------
    load : callable
        ``load(module) -> function`` on the backend's arrays (``module`` is the library,
        ``mx`` or ``cupy``); run once, on the first call that needs it.
    kwargs : frozenset or None
        The keyword arguments the backend handles as NumPy does; a call with any other
        runs elsewhere. ``None``: the backend's own signature decides (a keyword it
        rejects with TypeError runs elsewhere, visibly).
    accepts : callable or None
        ``(args, kwargs) -> bool``: further conditions for the backend (basic indexing
        only, ...); calls outside it run elsewhere.
    dtypes : frozenset of numpy.dtype or None
        The dtypes the backend's kernel has (of its inputs after :attr:`cast`); others
        run elsewhere. ``None``: every dtype the backend can hold.
    cast : str or None
        Before the call: ``'result'`` casts array inputs to NumPy's result dtype,
        ``'common'`` to their common dtype (comparisons), ``None`` leaves them (the
        backend promotes as NumPy does).
    source : str
        Where the kernel comes from, for documentation (``'mx.np.add'``).
    """

    load: Callable
    kwargs: frozenset | None = None
    accepts: Callable | None = None
    dtypes: frozenset | None = None
    cast: str | None = None
    source: str = ""
    fn: Callable | None = field(default=None, repr=False)

    def function(self, module):
        """The backend's function, loaded once (``None`` when the library lacks it)."""
        fn = self.fn
        if fn is None:
            fn = self.fn = self.load(module)
        return fn

    def forget(self) -> None:
        """Drop the loaded function (the library's module was swapped)."""
        self.fn = None


@dataclass
class Op:
    """One NumPy name and its implementations.

    Attributes
    ----------
    name : str
        The NumPy name, dotted for submodules (``'add'``, ``'linalg.inv'``).
    numpy : callable
        The reference implementation, run on host forms (also the fallback).
    impls : dict
        Backend -> :class:`Impl`: the device backends that compute it, each with its
        own conditions. Empty: the op always runs on the host.
    arrays : tuple of int or 'all' or 'seq0'
        Positions of array arguments ('all': every positional argument; 'seq0': the
        first argument is a sequence of arrays, as in ``concatenate``).
    dtype : str or callable
        How the result dtype is found: ``'probe'`` (run NumPy on tiny inputs of the
        same dtypes and ndim, cached), ``'same'`` (the first array's dtype), or a
        callable ``(args, kwargs) -> dtype``.
    kind : str
        Cost class for the automatic policy: 'elementwise', 'reduction', 'matmul',
        'shape', 'creation', 'random', 'sort', 'linalg', 'index'.
    doc : str
        A note for the operator-support page.
    """

    name: str
    numpy: Callable
    impls: dict = field(default_factory=dict)
    arrays: object = "all"
    dtype: object = "probe"
    kind: str = "elementwise"
    doc: str = ""

    def impl(self, backend, module):
        """``backend``'s function, loaded once (``None`` when the op has none there)."""
        found = self.impls.get(backend)
        return None if found is None else found.function(module)


#: name -> Op, in registration order.
TABLE: dict[str, Op] = {}


def numpy_function(name: str):
    """NumPy's object for a dotted ``name`` (``None`` if this NumPy lacks it)."""
    obj = np
    for part in name.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def add(name: str, *, numpy=None, impls=None, **options) -> Op | None:
    """Add ``name`` to the table with ``impls`` (backend -> :class:`Impl`); ``numpy``
    defaults to NumPy's own ``name``, ``options`` are :class:`Op`'s other fields. Names
    the installed NumPy lacks are skipped (returns ``None``); a name added again is
    replaced."""
    ref = numpy if numpy is not None else numpy_function(name)
    if ref is None:
        return None
    op = TABLE[name] = Op(name=name, numpy=ref, impls=dict(impls or {}), **options)
    return op
