"""Helpers shared by the gradient rules. Everything here is written with
``minpy.numpy`` operations, so the rules differentiate again."""

from __future__ import annotations

import numpy as _onp

import minpy.numpy as np
from minpy.core import Array
from minpy.core.tracing import Box, unbox_all

from ..tracer import defvjp, defvjp_joint

__all__ = ["np", "defvjp", "defvjp_joint", "shape_of", "dtype_of", "unbroadcast", "zeros_of",
           "zero_rule", "expand_reduced", "normalize_axes", "identity_rule", "rule",
           "select", "size_of", "keep_reduced", "onto_diagonal", "broadcast_view",
           "on_host"]


def shape_of(x):
    if isinstance(x, (Array, Box, _onp.ndarray)):
        return x.shape
    # a list may hold traced values (of an outer trace, in a higher-order pass)
    return _onp.shape(unbox_all(x))


def dtype_of(x):
    if isinstance(x, (Array, Box, _onp.ndarray)):
        return x.dtype
    return _onp.result_type(x)


def unbroadcast(g, x):
    """Sum ``g`` down to the shape of ``x`` (undoing broadcasting) and give it ``x``'s
    dtype (real part for a real ``x``)."""
    try:
        shape, dt = x.shape, x.dtype
    except AttributeError:  # a Python scalar (custom primitives)
        shape, dt = _onp.shape(x), _onp.result_type(x)
    gshape = g.shape
    if gshape == shape and g.dtype == dt:
        return g
    if gshape != shape:
        # one reduction over the leading axes and the stretched ones together (no
        # intermediate of the leading axes' sum), then the kept size-1 axes back
        extra = len(gshape) - len(shape)
        if extra < 0:
            # ``x`` has leading length-1 axes that NumPy's assignment drops
            # (``y[-1] = v`` with ``v`` of shape (1, 3) into a row of shape (3,))
            g = g.reshape((1,) * -extra + gshape)
            gshape, extra = g.shape, 0
        axes = tuple(range(extra)) + tuple(extra + i for i, s in enumerate(shape)
                                           if s == 1 and gshape[extra + i] != 1)
        if axes:
            g = g.sum(axis=axes)
        if g.shape != shape:
            g = g.reshape(shape)
    if g.dtype != dt and dt.kind in "fc":
        if dt.kind == "f" and g.dtype.kind == "c":
            g = np.real(g)
        g = g.astype(dt)
    return g


def on_host(x):
    """Whether ``x`` is a NumPy array: a value of a first-order backward pass on host
    forms. There a rule may look at the values to skip work (a guard only where there
    is a zero, the splitting of ties only where there are ties): the look is one pass
    over host memory. Anywhere else (Arrays on a device, the traced values of a
    higher-order pass, a jit capture) rules stay branch-free: a look would read device
    memory back to the host, a synchronisation per rule, and make a captured program
    depend on the values (a guard)."""
    return type(x) is _onp.ndarray


def size_of(x):
    return int(_onp.prod(shape_of(x), dtype=_onp.int64))


def select(cond, g, invert=False):
    """``g`` where boolean ``cond`` holds (where it does not, with ``invert``), zero
    elsewhere: the product ``g * cond``, as HIPS Autograd's rules and a hand-written
    backward compute it. ``numpy.where(cond, g, 0)`` gives the same values, but it
    branches on every element: on an unpredictable condition (a ReLU's mask) it costs
    ten times the product over the same 1e6 floats. (The product's zeros carry the sign
    of ``g``, and an infinite ``g`` where ``cond`` is false gives NaN, not 0.)"""
    return g * (np.logical_not(cond) if invert else cond)


def onto_diagonal(g, shape, offset, ax1, ax2):
    """An array of ``shape``, zero but for its ``offset`` diagonal over axes ``ax1`` and
    ``ax2``, which holds ``g`` (the other axes in order, then the diagonal; ``g`` may
    broadcast to that): the adjoint of ``diagonal``. A scatter onto zeros, not a
    product with an identity matrix of the full size."""
    from .._indexops import scatter_add
    rows, cols = shape[ax1], shape[ax2]
    i0, j0 = max(0, -offset), max(0, offset)
    k = _onp.arange(max(0, min(rows - i0, cols - j0)))
    other = tuple(s for i, s in enumerate(shape) if i not in (ax1, ax2))
    full = scatter_add(g, (Ellipsis, i0 + k, j0 + k), other + (rows, cols))
    if (ax1, ax2) == (len(shape) - 2, len(shape) - 1):
        return full
    return np.moveaxis(full, (-2, -1), (ax1, ax2))


def zeros_of(x):
    return np.zeros(shape_of(x), dtype_of(x))


def zero_rule(ans, x, *args, **kwargs):
    """Rule of a piecewise-constant op: the gradient is zero."""
    return lambda g: zeros_of(x)


def identity_rule(ans, x, *args, **kwargs):
    return lambda g: g


def normalize_axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        return tuple(sorted(int(a) % ndim for a in axis)) if ndim else ()
    return (int(axis) % ndim,) if ndim else ()


def keep_reduced(g, shape, axis, keepdims):
    """The cotangent of a reduction over ``axis`` of an array of ``shape``, with the
    reduced axes kept (size 1): ready to broadcast in a product with a full-size array
    (which the product then does itself, with no broadcast view in between)."""
    axes = normalize_axes(axis, len(shape))
    if len(axes) == len(shape):
        # everything reduced: a 0-d value (a product then treats it as a scalar, and
        # NumPy can reuse a temporary full-size operand for the result)
        return g if len(shape_of(g)) == 0 else np.reshape(g, ())
    if not keepdims:
        g = g.reshape(tuple(1 if i in axes else s for i, s in enumerate(shape)))
    return g


def expand_reduced(g, shape, axis, keepdims):
    """Broadcast the cotangent of a reduction over ``axis`` back to ``shape`` (a view)."""
    return broadcast_view(keep_reduced(g, shape, axis, keepdims), shape)


def broadcast_view(g, shape):
    """``np.broadcast_to(g, shape)``: a read-only view. For a C-contiguous NumPy array
    (the cotangents of a first-order pass) it is made directly, with zero strides on
    the broadcast axes: ``numpy.broadcast_to`` builds an iterator to find them, 2 us of
    the few a small rule takes."""
    shape = tuple(shape)
    if type(g) is _onp.ndarray and g.flags.c_contiguous and g.size and (
            g.ndim <= len(shape)):
        lead = len(shape) - g.ndim
        if all(n == s or n == 1 for n, s in zip(g.shape, shape[lead:])):
            strides = (0,) * lead + tuple(st if n == s else 0 for st, n, s in zip(
                g.strides, g.shape, shape[lead:]))
            view = _onp.ndarray(shape, g.dtype, g, 0, strides)
            view.flags.writeable = False
            return view
    return np.broadcast_to(g, shape)


def rule(*names, argnums=None):
    """Decorator: register the decorated makers tuple for each name.

    ``@rule('exp')`` over ``def f(ans, x): return lambda g: ...`` defines argnum 0;
    pass a tuple of makers with :func:`defvjp` for several arguments.
    """
    def deco(maker):
        for n in names:
            defvjp(n, maker, argnums=argnums)
        return maker
    return deco


def composite_maker(fun, argnum):
    """The rule maker for argument ``argnum`` that differentiates ``fun`` (see
    :func:`composite`)."""
    def maker(ans, *args, **kwargs):
        def vjp(g):
            from ..api import make_vjp

            def along(x):
                a = list(args)
                a[argnum] = x
                out = fun(*a, **kwargs)
                outs, gs = (out, g) if isinstance(out, (tuple, list)) else ((out,), (g,))
                total = 0.0
                for o, c in zip(outs, gs):
                    if c is not None and getattr(o, "dtype", None) is not None and (
                            o.dtype.kind in "fc"):
                        total = total + np.sum(o * c)
                return total
            back, val = make_vjp(along)(args[argnum])
            return back(np.ones((), dtype_of(val)))
        return vjp
    return maker


def composite(name, fun, argnums):
    """Register rules for ``name`` that differentiate ``fun``, a re-expression of the op
    with ``minpy.numpy`` operations that have rules, by tracing it at backward time.

    ``fun(*args, **kwargs)`` takes the op's own arguments and returns what the op returns
    (the float outputs; a tuple for several). Used for ops whose gradient is that of a
    short composition (``median``, ``lstsq``, ``cov``, ...): the rule is exactly as
    right as the composition, and differentiates again.
    """
    defvjp(name, *[composite_maker(fun, i) for i in argnums], argnums=argnums)
