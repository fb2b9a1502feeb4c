"""Helpers shared by the gradient rules. Everything here is written with
``minpy.numpy`` operations, so the rules differentiate again."""

from __future__ import annotations

import numpy as _onp

import minpy.numpy as np
from minpy.core import Array
from minpy.core.tracing import Box, unbox_all

from ..tracer import defvjp

__all__ = ["np", "defvjp", "shape_of", "dtype_of", "unbroadcast", "zeros_of", "zero_rule",
           "expand_reduced", "normalize_axes", "identity_rule", "rule"]


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
        extra = len(gshape) - len(shape)
        if extra > 0:
            g = np.sum(g, axis=tuple(range(extra)))
        elif extra < 0:
            # ``x`` has leading length-1 axes that NumPy's assignment drops
            # (``y[-1] = v`` with ``v`` of shape (1, 3) into a row of shape (3,))
            g = np.reshape(g, (1,) * -extra + gshape)
        axes = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
        if axes:
            g = np.sum(g, axis=axes, keepdims=True)
        if g.shape != shape:
            g = np.reshape(g, shape)
    if g.dtype != dt and dt.kind in "fc":
        if dt.kind == "f" and g.dtype.kind == "c":
            g = np.real(g)
        g = g.astype(dt)
    return g


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


def expand_reduced(g, shape, axis, keepdims):
    """Broadcast the cotangent of a reduction over ``axis`` back to ``shape``."""
    if not keepdims:
        axes = normalize_axes(axis, len(shape))
        kept = tuple(1 if i in axes else s for i, s in enumerate(shape))
        g = np.reshape(g, kept)
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
