"""The MXNet backend's op module: how a table op runs on MXNet (its ``ops.run``).

One call: check the arguments are ones MXNet handles as NumPy does (keywords, dtypes,
the op's own condition, :mod:`._validate`'s limits), find NumPy's result dtype (cached
per signature, :class:`_Plan`), cast the inputs to it where the op asks, run with MXNet's
NumPy semantics in force for this call only (:meth:`minpy.core._mxnet.MXNetBackend.enter`),
and wrap the MXNet result. :class:`~minpy.numpy._dispatch.Rejected` sends the call to
NumPy; an MXNet failure re-runs it there (see :mod:`._dispatch`).
"""

from __future__ import annotations

import os
import sys

import numpy as np

from minpy.core import Array, _mxnet
from minpy.core.dtypes import get_default_float_dtype, mx_holdable
from minpy.core.transfer import TransferError

from . import _dispatch as _d
from . import _validate

__all__ = ["run"]

_MX = _mxnet.BACKEND
_SCALARS = (bool, int, float, complex)


def _to_mx(x, device, cast):
    a = _d._as_array(x)
    if a is None:
        return x.item() if isinstance(x, np.generic) else x
    if a._device != device:
        a = a.to(device)
    value = a._form(_mxnet.BACKEND)
    if cast is not None and a.dtype != cast:
        value = value.astype(cast)
    return value


def _plain(x):
    """NumPy scalars (also inside tuples and lists: axes, shapes) as Python scalars:
    MXNet parses its parameters from their text, and ``np.int64(1)`` prints as
    ``np.int64(1)`` on NumPy 2."""
    if isinstance(x, np.generic):
        return x.item()
    t = type(x)
    if (t is tuple or t is list) and any(isinstance(e, np.generic) for e in x):
        return t(e.item() if isinstance(e, np.generic) else e for e in x)
    return x


class _Plan:
    """What one call signature needs on MXNet, worked out once: the result dtype, the
    dtype inputs are cast to, and whether MXNet's own result dtype is already right."""

    __slots__ = ("dtype", "cast", "mx_dtype_ok", "rejected", "container", "failures")

    def __init__(self, op, args, kwargs, arrays):
        self.rejected = None
        # operand shapes -> MXNet failures in a row (None until MXNet first fails)
        self.failures = None
        self.mx_dtype_ok = False
        self.cast = None
        self.dtype = self.container = None
        for a in arrays:
            if not mx_holdable(a.dtype):
                self.rejected = f"dtype {a.dtype}"
                return
        dtype, self.container = _d._result_info(op, args, kwargs)
        if self.container is not None:
            dtype = None  # several outputs: each keeps the dtype MXNet gives it
        self.dtype = dtype
        if dtype is not None and not mx_holdable(dtype):
            self.rejected = f"result dtype {dtype}"
            return
        if op.cast == "result":
            self.cast = dtype
        elif op.cast == "common" and arrays:
            # NumPy scalars take part with their dtype (np.float64(-1.5) against an int8
            # array compares in float64, not as int8 -1): NumPy's own rule, by version.
            cast = self.cast = np.result_type(*[
                x.dtype if isinstance(x, (Array, np.ndarray)) else x for x in args
                if isinstance(x, (Array, np.ndarray, np.generic)) or type(x) in _SCALARS])
            if not mx_holdable(cast):
                self.rejected = f"common dtype {cast}"
                return
        if op.mx_dtypes is not None:
            seen = [self.cast] if self.cast is not None else [a.dtype for a in arrays]
            for dt in seen:
                if dt not in op.mx_dtypes:
                    self.rejected = f"dtype {dt} (MXNet's {op.name} kernel lacks it)"
                    return


_plans: dict = {}
#: Signatures kept (per cache): past this the cache starts afresh, so that programs
#: calling with ever new axes or shapes do not grow it without end.
_CACHE_LIMIT = 4096
#: MXNet failures in a row, for one signature and operand shapes, after which those
#: calls go straight to NumPy: each failed MXNet call leaks memory inside MXNet.
_FAILURE_LIMIT = 2


def _plan(op, args, kwargs, arrays):
    try:
        key = (op.name, tuple([_d._signature(a) for a in args]), tuple(kwargs.items()),
               # creation/random results follow the default float dtype
               None if op.arrays else get_default_float_dtype())
        plan = _plans.get(key)
    except TypeError:  # an unhashable argument: no caching
        return _Plan(op, args, kwargs, arrays)
    if plan is None:
        if len(_plans) >= _CACHE_LIMIT:
            _plans.clear()
        plan = _plans[key] = _Plan(op, args, kwargs, arrays)
    return plan


def _note_failure(plan, arrays):
    """Count one MXNet failure of ``plan`` on operands of these shapes."""
    failures = plan.failures
    if failures is None:
        failures = plan.failures = {}
    elif len(failures) >= 256:
        failures.clear()
    key = tuple([a.shape for a in arrays])
    failures[key] = failures.get(key, 0) + 1


_ASYNC = []


def _async_engine() -> bool:
    """Whether MXNet runs a threaded (asynchronous) engine, which the user chose with
    ``MXNET_ENGINE_TYPE`` (MinPy's own choice is the synchronous NaiveEngine)."""
    if not _ASYNC:
        _ASYNC.append(os.environ.get("MXNET_ENGINE_TYPE", "NaiveEngine") != "NaiveEngine")
    return _ASYNC[0]


def _wait(res):
    if isinstance(res, (tuple, list)):
        for r in res:
            _wait(r)
    elif hasattr(res, "wait_to_read"):
        res.wait_to_read()


def _run_mxnet(op, args, kwargs, arrays, device):
    # MXNet's NumPy semantics are in force for MinPy's own calls only (the user's
    # settings are given back on return: minpy.core._mxnet.MXNetBackend.enter).
    _MX.enter()
    try:
        return _run_mxnet_scoped(op, args, kwargs, arrays, device)
    finally:
        _MX.exit()


def _run_mxnet_scoped(op, args, kwargs, arrays, device):
    if kwargs and not op.kwargs.issuperset(kwargs):
        raise _d.Rejected(f"keyword arguments {sorted(set(kwargs) - op.kwargs)}")
    reason = _validate.check(op, args, kwargs, arrays)
    if reason is not None:
        raise _d.Invalid(reason)
    if op.accepts is not None and not op.accepts(args, kwargs):
        raise _d.Rejected("arguments outside what MXNet handles like NumPy")
    for a in arrays:
        if 0 in a.shape:
            # MXNet 1.9.1 kernels on zero-size operands kill the process (SIGFPE in
            # inner/tensordot/average/var) or give wrong values (prod -> 0, mean -> 0
            # for nan); NumPy handles them exactly, at no cost (found by conformance/).
            raise _d.Rejected("zero-size array")
    if op.kind == "elementwise" and _keeps_layout(arrays):
        raise _d.Rejected("an operand in another memory order than C (NumPy's result "
                          "keeps it)")
    plan = _plan(op, args, kwargs, arrays)
    if plan.rejected:
        raise _d.Rejected(plan.rejected)
    failures = plan.failures
    if failures is not None:
        shapes = tuple([a.shape for a in arrays])
        if failures.get(shapes, 0) >= _FAILURE_LIMIT:
            raise _d.Rejected("arguments MXNet failed on before")
    cast, dtype = plan.cast, plan.dtype
    mx = _mxnet.require()
    fn = op.impl("mxnet", mx)
    spec = op.arrays
    if spec == "all":
        margs = [_to_mx(x, device, cast) for x in args]
    elif spec == "seq0":
        margs = [type(args[0])(_to_mx(x, device, cast) for x in args[0]),
                 *map(_plain, args[1:])]
    else:
        margs = [_to_mx(x, device, cast) if i in spec else _plain(x)
                 for i, x in enumerate(args)]
    if kwargs:
        kwargs = {k: _plain(v) for k, v in kwargs.items()}
    if spec == ():  # creation: MXNet needs to be told the device
        kwargs = dict(kwargs, ctx=device.mx_context)
    try:
        res = fn(*margs, **kwargs)
        if op.kind == "linalg" and _async_engine():
            _wait(res)  # a singular matrix fails here, at the call, not at a later read
    except (_d.Rejected, TransferError):
        raise
    except Exception:
        _note_failure(plan, arrays)
        raise
    if failures:
        failures.pop(tuple([a.shape for a in arrays]), None)  # failures *in a row*
    if dtype is not None and type(res) is mx.np.ndarray:
        # MXNet's result dtype is checked on the first call of a signature, then
        # trusted: reading an NDArray's dtype is a C call.
        if not plan.mx_dtype_ok:
            if res.dtype != dtype:
                return Array._from_form(_mxnet.BACKEND, res.astype(dtype), device, dtype)
            plan.mx_dtype_ok = True
        return Array._from_form(_mxnet.BACKEND, res, device, dtype)
    out = _wrap_mx(res, device, mx)
    container = plan.container
    if container is not None and type(out) is not container:
        # NumPy 2 returns named tuples (SlogdetResult, EighResult...); MXNet lists.
        out = container(*out) if hasattr(container, "_fields") else container(out)
    return out


def _keeps_layout(arrays) -> bool:
    """Whether NumPy's elementwise result (``order='K'``) could follow an operand's
    memory order other than C: an operand whose host form has axes out of C order
    (``x.T``: an F-ordered result in NumPy, whose ``reshape`` then copies). MXNet's
    results are C-ordered, so such a call runs in NumPy, which holds the operand
    already (found by the program fuzzer: a reshape of ``-x.T`` was a view in MinPy)."""
    for a in arrays:
        host = a._host
        if host is None and a._view is not None and a.ndim >= 2:
            # a view not derived on the host yet (x.T under jit): derived only when its
            # family's root has a host form (a NumPy view, no transfer)
            root = a
            while root._host is None and root._view is not None and root._view.recipe:
                root = root._view.recipe[0]
            if root._host is not None:
                host = a._host_value()
        if host is None or host.ndim < 2 or host.flags.c_contiguous:
            continue
        strides = [abs(st) for st, n in zip(host.strides, host.shape) if n > 1]
        if any(s1 < s2 for s1, s2 in zip(strides, strides[1:])):
            return True
    return False


def _wrap_mx(res, device, mx):
    if isinstance(res, mx.np.ndarray):
        return Array._from_form(_mxnet.BACKEND, res, device)
    if isinstance(res, (tuple, list)):
        return type(res)(_wrap_mx(r, device, mx) for r in res)
    return res


#: What the dispatcher calls (``BACKEND.ops.run``).
run = _run_mxnet
_MX.ops = sys.modules[__name__]
