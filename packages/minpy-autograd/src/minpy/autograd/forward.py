"""Forward mode: Jacobian-vector products, and Hessian-vector products.

There are no forward rules. A VJP ``g -> J^T g`` is linear in ``g``, and every gradient
rule is written in ``minpy.numpy``, so the VJP itself can be traced as a function of
``g`` and differentiated: the VJP of that linear map is its transpose, ``v -> J v``.
So :func:`make_jvp` traces ``fun`` once, traces its VJP once (at ``g = 0``; the map is
linear, the point does not matter), and answers each ``v`` with one backward pass
through the second trace. Every function with reverse-mode rules has forward mode, to
any order, and forward and reverse modes nest with each other.

The cost is about three reverse passes for the first ``v`` and one for each further
``v``; a true forward mode would cost one forward pass per ``v``. Use :func:`jacobian`
(one VJP per output element) when outputs are few, forward mode when inputs are few.
"""

from __future__ import annotations

import functools

from .api import _argnums, _is_tree, _map_tree, _Traced, _tree_leaves, grad

__all__ = ["make_jvp", "jvp", "hvp", "make_hvp"]


def _np():
    import minpy.numpy as np
    return np


def _zero_cotangent(x):
    """A zero with ``x``'s structure, shapes and (float) dtypes: the point the VJP is
    traced at."""
    if _is_tree(x):
        return _map_tree(_zero_cotangent, x)
    if isinstance(x, (bool, int, float)):
        return 0.0
    if isinstance(x, complex):
        return 0j
    np = _np()
    dtype = x.dtype if x.dtype.kind in "fc" else np.get_default_float_dtype()
    return np.zeros(x.shape, dtype)


class _Linearized:
    """``fun`` at ``args``: its value, and ``v -> J v`` (the VJP traced once, lazily)."""

    __slots__ = ("forward", "transposed", "name")

    def __init__(self, fun, args, kwargs, argnum, name):
        self.name = name
        self.forward = _Traced(fun, args, kwargs, argnum, name)
        self.transposed = None

    def value(self):
        return self.forward.value()

    def __call__(self, v):
        if self.transposed is None:
            forward = self.forward
            zero = _zero_cotangent(forward.value())
            # Trace g -> J^T g. The tape of ``forward`` is kept (free=False): each
            # backward pass through ``transposed`` reads it again.
            self.transposed = _Traced(lambda g: forward.gradients(g, free=False),
                                      (zero,), {}, 0, self.name)
        return self.transposed.gradients(v, free=False)


def make_jvp(fun, argnum=0):
    """``make_jvp(fun, argnum)(*args, **kwargs)`` returns ``jvp``, with ``jvp(v) ->
    (ans, J v)``: ``fun``'s value at ``args`` and its directional derivative along
    ``v`` (HIPS Autograd's spelling).

    ``v`` has the structure of the differentiated argument (of the tuple of them when
    ``argnum`` is a sequence); ``J v`` has the structure of ``fun``'s answer (an array,
    or a tuple, list or dict of arrays). ``jvp`` may be called with many ``v``: ``fun``
    and its VJP are traced once.
    """
    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        lin = _Linearized(fun, args, kwargs, argnum, "make_jvp")
        ans = lin.value()

        def jvp_at(v):
            return ans, lin(v)
        return jvp_at
    return wrapped


def jvp(fun, primals, tangents):
    """``(fun(*primals), J v)``: the value of ``fun`` and its derivative along
    ``tangents`` (JAX's spelling). Every one of ``primals`` is differentiated;
    ``tangents`` is a sequence of the same length with the same structures."""
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    if not primals:
        raise ValueError("jvp: give at least one primal")
    lin = _Linearized(fun, primals, {}, tuple(range(len(primals))), "jvp")
    return lin.value(), lin(tangents)


def _tree_vdot(a, b):
    """``sum(a * b)`` over matching trees (traced when ``a`` is)."""
    np = _np()
    total = 0.0
    for x, y in zip(_tree_leaves(a), _tree_leaves(b)):
        total = total + np.sum(np.multiply(x, y))
    return total


def hvp(fun, argnum=0):
    """``hvp(fun, argnum)(*args, v)``: the Hessian of scalar ``fun`` (with respect to
    argument(s) ``argnum``) times ``v``, without forming the Hessian: the gradient of
    ``<grad fun, v>`` (two reverse passes). ``v`` has the structure of the gradient."""
    def wrapped(*args, **kwargs):
        *args, v = args
        _argnums(argnum, len(args), "hvp")  # a clear error before tracing
        g = grad(fun, argnum)

        def inner(*a):
            return _tree_vdot(g(*a, **kwargs), v)
        return grad(inner, argnum)(*args)
    return functools.wraps(fun)(wrapped)


def make_hvp(fun, argnum=0):
    """``make_hvp(fun, argnum)(*args)`` returns ``(hvp_at, grad)``: the gradient of
    scalar ``fun`` at ``args`` and ``hvp_at(v) = H v``, the gradient traced once and
    each product answered by forward mode over it (one backward pass per ``v``)."""
    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        lin = _Linearized(grad(fun, argnum), args, kwargs, argnum, "make_hvp")
        return lin, lin.value()
    return wrapped
