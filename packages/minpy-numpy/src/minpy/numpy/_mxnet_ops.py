"""The MXNet backend's op module: how a table op runs on MXNet (its ``ops.run``).

One call: check the arguments are ones MXNet handles as NumPy does (keywords, dtypes,
the op's own condition, :mod:`._validate`'s limits), find NumPy's result dtype (cached
per signature, :mod:`._plan`), cast the inputs to it where the op asks, run with MXNet's
NumPy semantics in force for this call only (:meth:`minpy.core._mxnet.MXNetBackend.enter`),
and wrap the MXNet result. :class:`~minpy.numpy._dispatch.Rejected` sends the call to
NumPy; an MXNet failure re-runs it there (see :mod:`._dispatch`).
"""

from __future__ import annotations

import os
import sys

import numpy as np

from minpy.core import Array, _mxnet
from minpy.core.transfer import TransferError

from . import _dispatch as _d
from . import _plan, _validate

__all__ = ["run"]

_MX = _mxnet.BACKEND


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
    impl = op.impls[_MX]
    if kwargs and not impl.kwargs.issuperset(kwargs):
        raise _d.Rejected(f"keyword arguments {sorted(set(kwargs) - impl.kwargs)}")
    reason = _validate.check(op, args, kwargs, arrays)
    if reason is not None:
        raise _d.Invalid(reason)
    if impl.accepts is not None and not impl.accepts(args, kwargs):
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
    plan = _plan.plan(_MX, impl, op, args, kwargs, arrays)
    if plan.rejected:
        raise _d.Rejected(plan.rejected)
    if plan.failures is not None and plan.failed_before(arrays):
        raise _d.Rejected("arguments MXNet failed on before")
    cast, dtype = plan.cast, plan.dtype
    mx = _mxnet.require()
    fn = impl.function(mx)
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
        kwargs = dict(kwargs, ctx=_MX.context(device))
    try:
        res = fn(*margs, **kwargs)
        if op.kind == "linalg" and _async_engine():
            _wait(res)  # a singular matrix fails here, at the call, not at a later read
    except (_d.Rejected, TransferError):
        raise
    except Exception:
        plan.note_failure(arrays)
        raise
    if plan.failures:
        plan.note_success(arrays)  # failures *in a row*
    if dtype is not None and type(res) is mx.np.ndarray:
        # MXNet's result dtype is checked on the first call of a signature, then
        # trusted: reading an NDArray's dtype is a C call.
        if not plan.dtype_ok:
            if res.dtype != dtype:
                return Array._from_form(_MX, res.astype(dtype), device, dtype)
            plan.dtype_ok = True
        return Array._from_form(_MX, res, device, dtype)
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
        return Array._from_form(_MX, res, device)
    if isinstance(res, (tuple, list)):
        return type(res)(_wrap_mx(r, device, mx) for r in res)
    return res


#: What the dispatcher calls (``BACKEND.ops.run``).
run = _run_mxnet
_MX.ops = sys.modules[__name__]
