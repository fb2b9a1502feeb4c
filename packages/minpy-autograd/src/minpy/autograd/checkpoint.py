"""Gradient checkpointing: trade compute for memory.

``checkpoint(f)`` behaves as ``f``, but under a trace its call is recorded as *one*
node that keeps only ``f``'s inputs and its answer. ``f`` runs untraced, so its
intermediate values are freed as soon as ``f`` returns. When the backward pass reaches
the node, ``f`` runs again, this time traced, and its own backward pass runs at once;
that tape lives only while the node is being differentiated.

Splitting a deep network into ``k`` checkpointed segments of ``n / k`` layers keeps
about ``k + n / k`` activations alive instead of ``n``, for about one more forward pass.

``f`` must compute the same values when run again: no random numbers drawn inside (pass
them in as arguments), no reads of state that the forward pass changes.
"""

from __future__ import annotations

import functools

from minpy.core import tracing
from minpy.core.tracing import is_live

from .api import _Traced
from .tracer import VJPS, ArrayBox

__all__ = ["checkpoint"]

_NAME = "minpy.autograd.checkpoint"


class _Checkpointed:
    """The pseudo-primitive a checkpointed call is recorded as."""

    __slots__ = ("fun",)
    primitive_name = _NAME

    def __init__(self, fun):
        self.fun = fun


def _flatten(x, out):
    """Append the leaves of a tree of lists, tuples and dicts to ``out``."""
    if isinstance(x, dict):
        for v in x.values():
            _flatten(v, out)
    elif isinstance(x, (list, tuple)):
        for v in x:
            _flatten(v, out)
    else:
        out.append(x)
    return out


def _unflatten(x, it):
    if isinstance(x, dict):
        return type(x)((k, _unflatten(v, it)) for k, v in x.items())
    if isinstance(x, (list, tuple)):
        items = [_unflatten(v, it) for v in x]
        return type(x)(*items) if hasattr(x, "_fields") else type(x)(items)
    return next(it)


def checkpoint(fun):
    """``fun``, recomputed during the backward pass instead of keeping its
    intermediate values on the tape.

    Traced values may sit anywhere in the positional arguments (also inside lists,
    tuples and dicts); keyword arguments are passed through as constants. The answer
    may be an array or a tuple/list of arrays. Nests with itself and with every
    differentiation operator (the recomputation is traced by any outer trace, so higher
    derivatives work).
    """
    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        if not tracing._open_traces:
            return fun(*args, **kwargs)
        flat = _flatten(args, [])
        # Values a differentiating trace follows (a capturing trace, minpy.jit's, just
        # records the calls of ``fun``: nothing to checkpoint for it).
        live = [k for k, a in enumerate(flat) if isinstance(a, ArrayBox) and is_live(a)]
        if not live:
            return fun(*args, **kwargs)
        top = max(flat[k]._trace_id for k in live)
        mine = [k for k in live if flat[k]._trace_id == top]
        parents = tuple(flat[k]._node for k in mine)
        values = list(flat)
        for k in mine:
            values[k] = flat[k]._value
        # Outer traces (if any) record their own checkpoint node; the innermost call
        # runs ``fun`` with nothing left to record.
        ans = wrapped(*_unflatten(args, iter(values)), **kwargs)

        def rebuild(leaves):
            full = list(values)
            for k, leaf in zip(mine, leaves):
                full[k] = leaf
            return _unflatten(args, iter(full))

        def replay(*leaves):
            return fun(*rebuild(leaves), **kwargs)

        leaves = [values[k] for k in mine]
        return ArrayBox._record(ans, _Checkpointed(fun), (leaves, replay), {},
                                tuple((0, j) for j in range(len(mine))), parents, top)
    return wrapped


def _checkpoint_vjp(ans, leaves, replay):
    """Run the checkpointed function again, traced, and pull ``g`` back through it."""
    def vjp(g):
        t = _Traced(replay, leaves, {}, tuple(range(len(leaves))), "checkpoint")
        return list(t.gradients(g, free=True))
    return vjp


VJPS[_NAME] = {0: _checkpoint_vjp}
