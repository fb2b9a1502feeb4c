"""The CuPy backend: ``impls['cupy']`` for the op table, and how a call runs on it.

CuPy mirrors NumPy's namespace, so most entries map one to one onto ``cupy.<name>``
(``cupy.linalg.<name>``, ``cupy.random.<name>``, ``cupy.fft.<name>``); NumPy 2's
aliases (``acos``, ``concat``, ``permute_dims``...) map onto the names CuPy has. A name
the installed CuPy lacks is found missing when first called and runs in NumPy.

Where CuPy is known to differ from NumPy, a condition (:data:`ACCEPTS`) sends those
calls to NumPy, as ``Op.accepts`` does for MXNet:

* zero-size operands run in NumPy (cheaply: they are empty), as on MXNet, so that
  NumPy's own results and exceptions (``max`` of an empty array) come out;
* ``unique`` of float or complex data runs in NumPy: NumPy 2 collapses NaNs into one
  (``equal_nan=True``), CuPy's sort-based unique keeps them apart;
* keyword arguments CuPy does not take raise TypeError there and run in NumPy (a
  fallback, or NotImplementedError under ``only_cupy``).

Results keep NumPy's dtypes: the result dtype of each call signature is NumPy's
(worked out once, cached, as for MXNet), and a CuPy result of another dtype is cast.

Nothing here imports CuPy: the loaders run on the first call on a GPU CuPy serves.
"""

from __future__ import annotations

import operator

import numpy as np

from minpy.core import Array, _cupy
from minpy.core.dtypes import get_default_float_dtype

from . import _float16, _validate
from ._table import TABLE

__all__ = ["run", "ACCEPTS", "ALIASES", "attach", "cupy_holdable"]

#: NumPy names whose CuPy function has another name.
ALIASES = {
    "acos": "arccos", "acosh": "arccosh", "asin": "arcsin", "asinh": "arcsinh",
    "atan": "arctan", "atanh": "arctanh", "atan2": "arctan2", "pow": "power",
    "concat": "concatenate", "permute_dims": "transpose", "bitwise_invert": "invert",
    "bitwise_not": "invert", "row_stack": "vstack", "divide": "true_divide",
}

def _float_data(a) -> bool:
    return np.dtype(a.dtype).kind in "fc"


#: op name -> ``(args, kwargs) -> bool``: CuPy runs the call only when true (the
#: deviations in the module docstring).
ACCEPTS = {
    "unique": lambda args, kw: not _float_data(args[0]),
    # NumPy's einsum returns a view for a relabelling ('ij->ji'): NumPy runs those
    "einsum": lambda args, kw: not _einsum_view(args),
}


def _einsum_view(args):
    from ._ops import einsum_view
    return einsum_view(args)

_CUPY_DTYPES = frozenset(np.dtype(t) for t in (
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "complex64", "complex128"))


def cupy_holdable(dtype) -> bool:
    """Whether CuPy can hold an array of ``dtype`` (no object, string, datetime or
    extended-precision arrays)."""
    return np.dtype(dtype) in _CUPY_DTYPES


def _lookup(cp, name):
    obj = cp
    for part in ALIASES.get(name, name).split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _loader(name):
    def load(cp, name=name):
        return _lookup(cp, name)
    return load


_SPECIAL = {
    "getitem": lambda cp: operator.getitem,
    "astype": lambda cp: lambda a, dtype, **kw: a.astype(dtype, **kw),
    "random.rand": lambda cp: lambda *shape: cp.random.rand(*shape),
    "random.randn": lambda cp: lambda *shape: cp.random.randn(*shape),
}


def attach() -> None:
    """Give every table entry its CuPy loader (run at import; imports nothing). CuPy
    reduces float16 in float32: the reductions of :data:`._float16.GUARDED` leave the
    edges of float16's range to NumPy."""
    for name, op in TABLE.items():
        load = _SPECIAL.get(name) or _loader(name)
        if name in _float16.GUARDED:
            load = _float16.checked(name, load, lambda cp: cp)
        op.impls.setdefault("cupy", load)



# -- running a call ---------------------------------------------------------------------
class _CuPyPlan:
    __slots__ = ("dtype", "container", "rejected")

    def __init__(self, op, args, kwargs, arrays):
        from ._dispatch import _result_info
        self.rejected = None
        self.dtype = self.container = None
        for a in arrays:
            if not cupy_holdable(a.dtype):
                self.rejected = f"dtype {a.dtype}"
                return
        dtype, self.container = _result_info(op, args, kwargs)
        if self.container is not None:
            dtype = None
        if dtype is not None and not cupy_holdable(dtype):
            self.rejected = f"result dtype {dtype}"
            return
        self.dtype = dtype


_plans: dict = {}


def _plan(op, args, kwargs, arrays):
    from ._dispatch import _CACHE_LIMIT, _signature
    try:
        key = (op.name, tuple([_signature(a) for a in args]), tuple(kwargs.items()),
               None if op.arrays else get_default_float_dtype())
        plan = _plans.get(key)
    except TypeError:
        return _CuPyPlan(op, args, kwargs, arrays)
    if plan is None:
        if len(_plans) >= _CACHE_LIMIT:
            _plans.clear()
        plan = _plans[key] = _CuPyPlan(op, args, kwargs, arrays)
    return plan


def _to_cp(x, device, cp):
    """Arrays (and NumPy arrays, also one level inside tuples/lists: index keys,
    sequences of arrays) as CuPy arrays on ``device``; NumPy scalars as Python ones."""
    if isinstance(x, Array):
        if x._device != device:
            x = x.to(device)
        return x._cp_value()
    if isinstance(x, np.ndarray):
        a = Array._from_host(x, device)
        a._shared = True
        return a._cp_value()
    if isinstance(x, np.generic):
        return x.item()
    t = type(x)
    if t is tuple or t is list:
        return t(_to_cp(e, device, cp) for e in x)
    return x


def _wrap(res, device, cp, dtype, container):
    if isinstance(res, cp.ndarray):
        if dtype is not None and res.dtype != dtype:
            res = res.astype(dtype)
        return Array._from_cupy(res, device)
    if isinstance(res, (tuple, list)):
        out = type(res)(_wrap(r, device, cp, None, None) for r in res)
        if container is not None and type(out) is not container:
            out = container(*out) if hasattr(container, "_fields") else container(out)
        return out
    if isinstance(res, (bool, int, float, complex, np.generic)):  # a 0-d result
        return Array._from_host(np.asarray(res, dtype=dtype), device)
    return res


def run(op, args, kwargs, arrays, device):
    """Run ``op`` on CuPy on ``device`` (a GPU CuPy serves); raise
    :class:`~minpy.numpy._dispatch.Rejected` for calls CuPy does not handle as NumPy
    does (NumPy runs them instead)."""
    from ._dispatch import Invalid, Rejected
    reason = _validate.check(op, args, kwargs, arrays)
    if reason is not None:
        raise Invalid(reason)
    cond = ACCEPTS.get(op.name)
    if cond is not None and not cond(args, kwargs):
        raise Rejected("arguments outside what CuPy handles like NumPy")
    for a in arrays:
        if 0 in a.shape:
            raise Rejected("zero-size array")
    try:
        plan = _plan(op, args, kwargs, arrays)
    except Exception as exc:  # the entry's dtype rule does not cover this call
        raise Rejected(f"result dtype not derived ({type(exc).__name__})") from None
    if plan.rejected:
        raise Rejected(plan.rejected)
    cp = _cupy.require()
    fn = op.impl("cupy", cp)
    if fn is None:
        raise Rejected(f"the installed CuPy has no {op.name}")
    cargs = [_to_cp(x, device, cp) for x in args]
    if kwargs:
        kwargs = {k: _to_cp(v, device, cp) for k, v in kwargs.items()}
    if device.index != 0:  # CuPy allocates on its current device (0 unless changed)
        with cp.cuda.Device(device.index):
            res = fn(*cargs, **kwargs)
    else:
        res = fn(*cargs, **kwargs)
    return _wrap(res, device, cp, plan.dtype, plan.container)

