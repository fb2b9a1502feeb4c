"""The gradient rule of :class:`~minpy.symbol.Function` calls.

All Functions share one primitive, ``minpy.symbol.Function``, whose positional
arguments are the symbol's arguments in ``list_arguments()`` order (the Function and the
per-call state travel as keywords). Its rule for argument ``i`` runs MXNet's backward
over the call's recorded CachedOp with the incoming head gradients. The backward runs
once per head gradient and serves every argument: the makers of one node receive the
same cotangent object, so the gradients of all inputs are computed together and handed
out one by one.

The rules are registered with ``minpy.autograd.defvjp`` on the first traced call, for
as many argument positions as the widest Function seen so far. First-order only: a
backward pass under an outer trace (``grad(grad(f))``) raises NotImplementedError.
"""

from __future__ import annotations

import numpy as _onp

from minpy.core import _mxnet
from minpy.core.array import Array
from minpy.core.tracing import Box

_registered = 0


def ensure_registered(n: int) -> None:
    """Register the rules for argument positions ``0 .. n-1`` (idempotent)."""
    global _registered
    if n <= _registered:
        return
    try:
        from minpy.autograd import defvjp
    except ImportError as exc:  # pragma: no cover - autograd is a declared dependency
        raise ImportError(
            "differentiating a minpy.symbol.Function needs minpy.autograd; install it "
            "with 'pip install minpy-autograd'") from exc
    from ._function import _apply
    makers = [_maker(i) for i in range(n)]
    defvjp(_apply, *makers, argnums=range(n))
    _registered = n


def _maker(argnum):
    def maker(ans, *args, _fn=None, _state=None):
        if any(isinstance(a, Box) for a in args):
            # An outer trace follows this call: MXNet's backward is not recorded, so a
            # higher derivative would silently come out as zero.
            raise _second_order(_fn)

        def vjp(g):
            return _gradients(_state, g)[argnum]
        return vjp
    maker.__name__ = f"symbol_vjp_{argnum}"
    return maker


def _second_order(fn):
    name = f" {fn.name!r}" if fn is not None else ""
    return NotImplementedError(
        f"minpy.symbol.Function{name} supports first-order gradients only: its backward "
        "pass is MXNet's and is not recorded by an outer trace (grad of grad, a "
        "gradient taken inside a differentiated function)")


def _head(mx, g, shape, dtype, ctx, dev):
    """Head gradient ``g`` (an Array, NumPy array, scalar or None) as an MXNet array
    of the output's ``shape`` and ``dtype``."""
    if g is None:
        return mx.np.zeros(shape, dtype=dtype, ctx=ctx)
    if isinstance(g, Box):
        raise _second_order(None)
    if type(g) is Array:
        gshape, gdtype = g.shape, g.dtype
        m = g._mx_value()
        if g._device != dev:
            m = m.as_in_context(ctx)
    else:
        host = _onp.asarray(g)
        gshape, gdtype = host.shape, dtype
        m = mx.np.array(host, dtype=dtype, ctx=ctx)
    if gdtype != dtype:
        m = m.astype(dtype)
    if gshape != shape:
        m = mx.np.broadcast_to(m, shape)
    return m


@_mxnet.scoped
def _gradients(state, g):
    """Gradients of every argument of the call recorded in ``state``, for cotangent
    ``g`` (memoised for the last ``g``)."""
    if state.last_g is g and state.last_grads is not None:
        return state.last_grads
    fn = state.fn
    mx = fn._mx
    bound = state.bound
    dev = bound.device
    ctx = dev.mx_context
    heads = state.heads
    gs = g if isinstance(g, (tuple, list)) else (g,)
    if len(gs) != len(heads):
        raise ValueError(f"{fn.name}: expected {len(heads)} head gradient(s), "
                         f"got {len(gs)}")
    head_grads = [_head(mx, gi, shape, dtype, ctx, dev) for gi, shape, dtype in
                  zip(gs, bound.out_shapes, bound.out_dtypes)]
    saved = None
    if state.aux is not None and state.runs:
        # MXNet updates moving statistics in backward: only the first run may.
        saved = [a.copy() for a in state.aux]
    with fn._lock:  # the binding's buffers are shared with other threads' calls
        grads = _autograd_grad(mx, heads, state.variables, head_grads, state.is_train)
    if all(0 in shape for shape in bound.out_shapes):
        # Empty outputs (a zero-size batch): nothing depends on the arguments, but
        # MXNet's kernels leave the gradient buffers unwritten (uninitialised memory).
        grads = [mx.np.zeros(v.shape, dtype=v.dtype, ctx=ctx) for v in state.variables]
    if saved is not None:
        for a, s in zip(state.aux, saved):
            a[...] = s
    state.runs += 1
    out = []
    for gr, dt, want in zip(grads, bound.arg_dtypes, state.in_dtypes):
        if want is not None and want != dt:
            gr = gr.astype(want)
        out.append(Array._from_mx(gr, dev))
    state.last_g = g
    state.last_grads = out
    return out



_FAST = None


def _autograd_grad(mx, heads, variables, head_grads, train_mode):
    """``mx.autograd.grad(..., retain_graph=True)`` returning ``mx.np`` arrays directly
    (the same C call as MXNet's; falls back to the public function, plus
    ``as_np_ndarray``, if MXNet's internals differ)."""
    global _FAST
    if _FAST is None:
        try:
            import ctypes

            from mxnet.base import _LIB, NDArrayHandle, c_handle_array, check_call
            from mxnet.numpy.multiarray import _np_ndarray_cls

            def fast(heads, variables, head_grads, train_mode):
                n = len(heads)
                hh = c_handle_array(heads)
                hg = c_handle_array(head_grads)
                vh = c_handle_array(variables)
                out = ctypes.POINTER(NDArrayHandle)()
                stypes = ctypes.POINTER(ctypes.c_int)()
                check_call(_LIB.MXAutogradBackwardEx(
                    n, hh, hg, len(variables), vh, ctypes.c_int(1), ctypes.c_int(0),
                    ctypes.c_int(train_mode), ctypes.byref(out), ctypes.byref(stypes)))
                return [_np_ndarray_cls(ctypes.cast(out[i], NDArrayHandle),
                                        stype=stypes[i]) for i in range(len(variables))]
            _FAST = fast
        except Exception:  # pragma: no cover - another MXNet layout
            _FAST = False
    if _FAST:
        return _FAST(heads, variables, head_grads, bool(train_mode))
    return [g.as_np_ndarray() for g in mx.autograd.grad(
        heads, variables, head_grads=head_grads, retain_graph=True, train_mode=train_mode)]
