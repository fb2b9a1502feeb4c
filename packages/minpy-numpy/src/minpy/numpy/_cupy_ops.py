"""The CuPy backend's op module: its :class:`~._table.Impl` of every table entry, and how
a call runs on it.

CuPy mirrors NumPy's namespace, so most entries map one to one onto ``cupy.<name>``
(``cupy.linalg.<name>``, ``cupy.random.<name>``, ``cupy.fft.<name>``); NumPy 2's
aliases (``acos``, ``concat``, ``permute_dims``...) map onto the names CuPy has. A name
the installed CuPy lacks is found missing when first called and runs in NumPy.

Where CuPy is known to differ from NumPy, a condition (:data:`ACCEPTS`) sends those
calls to NumPy (the ``Impl``'s ``accepts``, as MXNet's conditions do for MXNet):

* zero-size operands run in NumPy (cheaply: they are empty), as on MXNet, so that
  NumPy's own results and exceptions (``max`` of an empty array) come out;
* ``unique`` of float or complex data runs in NumPy: NumPy 2 collapses NaNs into one
  (``equal_nan=True``), CuPy's sort-based unique keeps them apart;
* keyword arguments CuPy 14 does not take are done on the device where that is a few
  lines (:data:`KEYWORDS`: a ufunc's ``where=`` as a masked select, a reduction's
  ``initial=``, ``take(mode=)``); any other raises TypeError there and runs in NumPy,
  visibly (a fallback: counted by ``record_op_stat``, warned under the 'warn' mode,
  NotImplementedError under ``only_cupy``);
* integer-array indices out of range (``x[[1, 7]]``, ``take``) raise NumPy's IndexError
  (CuPy wraps them around): the test runs on the device and one boolean comes back
  (:func:`minpy.core._cupy.check_indices`);
* NumPy scalars reach CuPy as they are (``float16_array + np.float32(x)`` computes in
  float32, as NumPy 2 does), never as Python scalars.

Argument checks are CuPy's own (:func:`check`): MXNet's limits (its dtypes, 32-bit
parameters, arrays under 2**31 elements) are MXNet's and never apply here; what remains
is where CuPy differs from NumPy without an error (sampler parameters outside their
domain give NaNs in CuPy, a ValueError in NumPy).

Results keep NumPy's dtypes: the result dtype of each call signature is NumPy's
(worked out once, cached, as for MXNet), and a CuPy result of another dtype is cast.

Nothing here imports CuPy: the loaders run on the first call on a GPU CuPy serves.
"""

from __future__ import annotations

import sys

import numpy as np

from minpy.core import Array, _cupy
from minpy.core.backend import IndexOutOfRange

from . import _float16, _plan, _validate
from ._table import TABLE, Impl

_CP = _cupy.BACKEND

__all__ = ["run", "ACCEPTS", "ALIASES", "attach", "cupy_holdable", "check", "KEYWORDS"]

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


def cupy_holdable(dtype) -> bool:
    """Whether CuPy can hold an array of ``dtype`` (no object, string, datetime or
    extended-precision arrays)."""
    return _cupy.cupy_holdable(np.dtype(dtype))


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


def _getitem(cp):
    def getitem(a, key):
        _cupy.check_indices(cp, key, a.shape)  # CuPy wraps out-of-range indices
        return a[key]
    return getitem


def _index_range(cp, idx, n):
    """Raise NumPy's IndexError if an index in ``idx`` (a CuPy array, a list or an
    int) is outside ``[-n, n)``; the test runs where ``idx`` lives."""
    if isinstance(idx, cp.ndarray):
        if idx.size and bool(((idx < -n) | (idx >= n)).any()):  # one byte back
            raise IndexOutOfRange(f"index out of range for an axis of size {n}")
    else:
        h = np.asarray(idx)
        if h.size and ((h < -n) | (h >= n)).any():
            bad = h.ravel()[((h < -n) | (h >= n)).ravel()][0]
            raise IndexOutOfRange(f"index {bad} is out of bounds for size {n}")


def _take(cp):
    def take(a, indices, axis=None, out=None, mode="raise"):
        if out is not None:
            raise TypeError("take(out=) runs in NumPy")
        n = a.size if axis is None else a.shape[axis]
        if mode == "raise":
            _index_range(cp, indices, n)  # CuPy wraps them around
        elif mode == "clip":  # NumPy's clip: negative indices become 0
            indices = cp.clip(cp.asarray(indices), 0, n - 1)
        elif mode == "wrap":
            indices = cp.asarray(indices) % n
        else:
            raise ValueError(f"clipmode not understood: {mode!r}")
        if not isinstance(indices, cp.ndarray) and type(indices) is not int:
            indices = cp.asarray(indices)
        return cp.take(a, indices, axis=axis)
    return take


def _multi_dot(cp):
    # CuPy 14 has no linalg.multi_dot: a chain of dot products in NumPy's order for
    # three operands (the cheaper association), left to right beyond (NumPy picks the
    # optimal order by dynamic programming; the values agree to rounding).
    def multi_dot(arrays, *, out=None):
        if out is not None:
            raise TypeError("multi_dot(out=) runs in NumPy")
        arrays = list(arrays)
        if len(arrays) < 2:
            raise ValueError("Expecting at least two arrays.")
        if len(arrays) == 3 and all(x.ndim == 2 for x in arrays):
            a, b, c = arrays
            left = a.shape[0] * a.shape[1] * b.shape[1] + a.shape[0] * b.shape[1] * c.shape[1]
            right = b.shape[0] * b.shape[1] * c.shape[1] + a.shape[0] * a.shape[1] * c.shape[1]
            return cp.dot(cp.dot(a, b), c) if left < right else cp.dot(a, cp.dot(b, c))
        res = arrays[0]
        for x in arrays[1:]:
            res = cp.dot(res, x)
        return res
    return multi_dot


_SPECIAL = {
    "getitem": _getitem,
    "take": _take,
    "linalg.multi_dot": _multi_dot,
    "astype": lambda cp: lambda a, dtype, **kw: a.astype(dtype, **kw),
    "random.rand": lambda cp: lambda *shape: cp.random.rand(*shape),
    "random.randn": lambda cp: lambda *shape: cp.random.randn(*shape),
}


def attach() -> None:
    """Give every table entry its CuPy :class:`~._table.Impl` (run at import; imports
    nothing). CuPy reduces float16 in float32: the reductions of
    :data:`._float16.GUARDED` leave the edges of float16's range to NumPy."""
    for name, op in TABLE.items():
        if _CP in op.impls:
            continue
        load = _SPECIAL.get(name) or _loader(name)
        if name in _float16.GUARDED:
            load = _float16.checked(name, load, lambda cp: cp)
        op.impls[_CP] = Impl(load, accepts=ACCEPTS.get(name),
                             source=f"cupy.{ALIASES.get(name, name)}")


# -- running a call ---------------------------------------------------------------------
def _to_cp(x, device, cp):
    """Arrays (and NumPy arrays, also one level inside tuples/lists: index keys,
    sequences of arrays) as CuPy arrays on ``device``; NumPy scalars as they are (CuPy
    promotes them as NumPy 2 does: typed)."""
    if isinstance(x, Array):
        if x._device != device:
            x = x.to(device)
        return x._form(_CP)
    if isinstance(x, np.ndarray):
        a = Array._from_host(x, device)
        a._shared = True
        return a._form(_CP)
    t = type(x)
    if t is tuple or t is list:
        return t(_to_cp(e, device, cp) for e in x)
    return x


def _wrap(res, device, cp, dtype, container):
    if isinstance(res, cp.ndarray):
        if dtype is not None and res.dtype != dtype:
            res = res.astype(dtype)
        return Array._from_form(_CP, res, device, res.dtype)
    if isinstance(res, (tuple, list)):
        out = type(res)(_wrap(r, device, cp, None, None) for r in res)
        if container is not None and type(out) is not container:
            out = container(*out) if hasattr(container, "_fields") else container(out)
        return out
    if isinstance(res, (bool, int, float, complex, np.generic)):  # a 0-d result
        return Array._from_host(np.asarray(res, dtype=dtype), device)
    return res


# -- NumPy keywords CuPy 14 lacks, done on the device -----------------------------------
def _masked(fn, cp, where):
    """A ufunc call with ``where=``: computed everywhere, then the masked select (where
    the mask is False NumPy leaves the output uninitialised; here it is 0)."""
    def call(*cargs, **kw):
        res = fn(*cargs, **kw)
        if where is True:
            return res
        mask = where if isinstance(where, cp.ndarray) else cp.asarray(where, dtype=bool)
        if not isinstance(res, cp.ndarray) or np.broadcast_shapes(
                mask.shape, res.shape) != res.shape:
            raise TypeError("where= of another shape than the result runs in NumPy")
        return cp.where(mask, res, cp.zeros((), res.dtype))
    return call


#: Reductions and how ``initial=`` joins their result.
_INITIAL = {"sum": "add", "prod": "multiply", "max": "maximum", "amax": "maximum",
            "min": "minimum", "amin": "minimum"}


def _with_initial(fn, cp, name, initial, dtype):
    join = getattr(cp, _INITIAL[name])

    def call(*cargs, **kw):
        res = fn(*cargs, **kw)
        # NumPy casts the initial value to the result's dtype first
        return join(res, np.asarray(initial).astype(dtype or res.dtype)[()])
    return call


#: What :func:`run` does on the device for each keyword CuPy 14 lacks (others fall back).
KEYWORDS = {"where": "ufuncs of one output: a masked select",
            "initial": f"{', '.join(sorted(_INITIAL))} (without where=)",
            "mode": "take: 'raise' (checked on the device), 'clip', 'wrap'"}


def _adapt(op, fn, kwargs, cp, dtype):
    """``(fn, kwargs)`` with the keywords CuPy lacks done around ``fn``."""
    if "where" in kwargs and isinstance(op.numpy, np.ufunc) and op.numpy.nout == 1:
        kwargs = dict(kwargs)
        fn = _masked(fn, cp, kwargs.pop("where"))
    elif "initial" in kwargs and op.name in _INITIAL and "where" not in kwargs:
        kwargs = dict(kwargs)
        initial = kwargs.pop("initial")
        if initial is not None:
            fn = _with_initial(fn, cp, op.name, initial, dtype)
    return fn, kwargs


# -- checks ------------------------------------------------------------------------------
def check(op, args, kwargs, arrays):
    """Why CuPy must not run this call (``None`` when it may): only where CuPy would
    differ from NumPy without an error. MXNet's limits are not CuPy's."""
    domain = _validate.domain_check(op.name)
    if domain is not None:
        return domain(args, kwargs, arrays)
    return None


def run(op, args, kwargs, arrays, device):
    """Run ``op`` on CuPy on ``device`` (a GPU CuPy serves); raise
    :class:`~minpy.numpy._dispatch.Rejected` for calls CuPy does not handle as NumPy
    does (NumPy runs them instead)."""
    from ._dispatch import Invalid, Rejected
    reason = check(op, args, kwargs, arrays)
    if reason is not None:
        raise Invalid(reason)
    impl = op.impls[_CP]
    cond = impl.accepts
    if cond is not None and not cond(args, kwargs):
        raise Rejected("arguments outside what CuPy handles like NumPy")
    for a in arrays:
        if 0 in a.shape:
            raise Rejected("zero-size array")
    try:
        plan = _plan.plan(_CP, impl, op, args, kwargs, arrays)
    except Exception as exc:  # the entry's dtype rule does not cover this call
        raise Rejected(f"result dtype not derived ({type(exc).__name__})") from None
    if plan.rejected:
        raise Rejected(plan.rejected)
    cp = _cupy.require()
    fn = impl.function(cp)
    if fn is None:
        raise Rejected(f"the installed CuPy has no {op.name}")
    # CuPy allocates on its current device, which the user may have changed (device 0
    # included): every call runs inside the Array's device.
    with cp.cuda.Device(device.index):
        cargs = [_to_cp(x, device, cp) for x in args]
        if kwargs:
            kwargs = {k: _to_cp(v, device, cp) for k, v in kwargs.items()}
            fn, kwargs = _adapt(op, fn, kwargs, cp, plan.dtype)
        res = fn(*cargs, **kwargs)
        return _wrap(res, device, cp, plan.dtype, plan.container)


#: What the dispatcher calls: ``BACKEND.ops.run``.
_CP.ops = sys.modules[__name__]
