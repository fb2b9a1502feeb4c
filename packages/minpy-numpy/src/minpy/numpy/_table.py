"""The op table: one entry per NumPy name that MinPy runs on a backend other than NumPy.

An :class:`Op` says, for one NumPy name, which NumPy function defines it and how MXNet
computes it: the MXNet function, which positional arguments are arrays, which keyword
arguments MXNet understands, how the result dtype is found, and how inputs are cast
before MXNet sees them. The gradient rule of the op lives in ``minpy.autograd``, in a
table keyed by the same name. Every NumPy name *not* in this table still resolves: it
runs in NumPy (see :mod:`minpy.numpy._namespace`).

Backends are entries in :attr:`Op.impls` (``{'mxnet': ...}``), not hard-coded
branches, so that another device backend can be added beside MXNet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

__all__ = ["Op", "TABLE", "register", "numpy_function"]


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
        Backend name -> ``loader(mx) -> function`` on that backend's arrays.
    arrays : tuple of int or 'all' or 'seq0'
        Positions of array arguments ('all': every positional argument; 'seq0': the
        first argument is a sequence of arrays, as in ``concatenate``).
    kwargs : frozenset
        Keyword arguments the backend accepts; any other keyword sends the call to
        NumPy.
    dtype : str or callable
        How the result dtype is found: ``'probe'`` (run NumPy on tiny inputs of the
        same dtypes and ndim, cached), ``'same'`` (the first array's dtype), or a
        callable ``(args, kwargs) -> dtype``.
    cast : str or None
        Before calling the backend: ``'result'`` casts array inputs to the result dtype,
        ``'common'`` to their common dtype (comparisons), ``None`` leaves them.
    kind : str
        Cost class for the automatic policy: 'elementwise', 'reduction', 'matmul',
        'shape', 'creation', 'random', 'sort', 'linalg', 'index'.
    accepts : callable or None
        ``(args, kwargs) -> bool``: extra conditions for the backend (e.g. basic
        indexing only).
    mx_dtypes : frozenset of numpy.dtype or None
        The dtypes the MXNet kernel accepts (those of its inputs after the op's cast);
        other dtypes run in NumPy. ``None``: every dtype MXNet can hold. Checked once
        per call signature, so it costs nothing per call.
    """

    name: str
    numpy: Callable
    impls: dict = field(default_factory=dict)
    arrays: object = "all"
    kwargs: frozenset = frozenset()
    dtype: object = "probe"
    cast: str | None = "result"
    kind: str = "elementwise"
    accepts: Callable | None = None
    mx_dtypes: frozenset | None = None
    doc: str = ""
    _loaded: dict = field(default_factory=dict, repr=False)

    def impl(self, backend: str, module):
        """The backend's function, loaded once (``None`` when the op has none)."""
        fn = self._loaded.get(backend)
        if fn is None and backend in self.impls:
            fn = self._loaded[backend] = self.impls[backend](module)
        return fn


#: ``mx.np`` ufuncs whose whole work, when every operand is an ``mx.np.ndarray``, is
#: one call of the ``_npi`` operator of the same name (read off MXNet 1.9.1's
#: ``mxnet/ndarray/numpy/_op.py``: ``_ufunc_helper``/``_unary_func_helper`` with
#: ``_npi.<name>``). Calling that operator directly skips two Python wrapper layers.
_NPI_DIRECT = frozenset("""
    add subtract multiply true_divide power maximum minimum hypot arctan2 copysign mod
    ldexp lcm equal not_equal less less_equal greater greater_equal bitwise_and
    bitwise_or bitwise_xor exp expm1 log log2 log10 log1p sqrt cbrt sin cos tan arcsin
    arccos arctan sinh cosh tanh arcsinh arccosh arctanh negative reciprocal isnan isinf
    isfinite logical_not isposinf isneginf sign abs floor ceil trunc rint fix absolute
    square degrees rad2deg radians deg2rad bitwise_not""".split())


def _direct_kernel(mx, public, kernel):
    """``kernel(*args)`` when all operands are MXNet arrays, else ``public(*args)``."""
    ndarray = mx.np.ndarray

    def run(*args):
        for a in args:
            if type(a) is not ndarray:
                return public(*args)
        return kernel(*args)
    run.__name__ = public.__name__
    return run


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


def register(name: str, mxnet=None, *, numpy=None, **options) -> Op | None:
    """Add ``name`` to the table. ``mxnet`` is ``loader(mx) -> function``, or a string
    ``'np.add'`` meaning ``mx.np.add``; ``numpy`` defaults to NumPy's own ``name``.
    Names the installed NumPy lacks are skipped (returns ``None``)."""
    ref = numpy if numpy is not None else numpy_function(name)
    if ref is None:
        return None
    impls = {}
    if isinstance(mxnet, str):
        path = mxnet.split(".")

        def load(mx, path=path):
            obj = mx
            for part in path:
                obj = getattr(obj, part)
            if len(path) == 2 and path[1] in _NPI_DIRECT:
                return _direct_kernel(mx, obj, getattr(mx.nd.numpy._internal, path[1]))
            return obj
        impls["mxnet"] = load
    elif mxnet is not None:
        impls["mxnet"] = mxnet
    options["kwargs"] = frozenset(options.get("kwargs", ()))
    op = TABLE[name] = Op(name=name, numpy=ref, impls=impls, **options)
    return op
