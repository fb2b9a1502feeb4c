"""The primitive-call hook that tracers plug into.

Every operation of ``minpy.numpy`` is a *primitive*: a function wrapped by
:func:`primitive`. While no tracer is active (the common case) the wrapper costs one
integer test. A tracer (``minpy.autograd``) subclasses :class:`Box`, wraps the values it
follows in its boxes, and opens a trace with :func:`trace_scope`; a primitive called on
boxed arguments then

1. finds the boxes of the innermost (highest-id) trace, in the positional arguments
   and one level down in list or tuple arguments (``concatenate([a, b])``),
2. calls itself on their values, so outer traces record the same call too,
3. hands the result to that box type's :meth:`Box._record`, which returns the boxed
   result (or the bare one where nothing needs recording).

This is the design of HIPS Autograd's ``primitive``; nothing in ``minpy.core`` knows
what a tracer does with the calls.
"""

from __future__ import annotations

import contextlib
import functools
import itertools

__all__ = ["Box", "primitive", "is_primitive", "trace_scope", "tracing_active",
           "unbox_all"]

_open_traces = 0
_trace_ids = itertools.count(1)


class Box:
    """Base class of a traced value: ``_value`` (an Array, a scalar, or a lower-level
    box), ``_trace_id`` and ``_node``. Tracers subclass it and define :meth:`_record`."""

    __slots__ = ("_value", "_trace_id", "_node")

    def __init__(self, value, trace_id, node):
        self._value = value
        self._trace_id = trace_id
        self._node = node

    @classmethod
    def _record(cls, ans, fun, args, kwargs, paths, parents, trace_id):
        """Record a call of primitive ``fun`` and return its (boxed) answer.

        ``args`` are the call's arguments with this trace's boxes replaced by their
        values; ``paths`` locate those boxes (``i`` or ``(i, j)`` for element ``j`` of a
        list argument ``i``); ``parents`` are their nodes, in the same order.
        """
        raise NotImplementedError


@contextlib.contextmanager
def trace_scope():
    """Open a new trace and yield its id (ids increase with nesting)."""
    global _open_traces
    _open_traces += 1
    try:
        yield next(_trace_ids)
    finally:
        _open_traces -= 1


def tracing_active() -> bool:
    return _open_traces > 0


def _find_boxes(args):
    """(path, box) for every box among ``args`` and one level inside list/tuple args."""
    found = []
    for i, arg in enumerate(args):
        if isinstance(arg, Box):
            found.append((i, arg))
        elif type(arg) in (list, tuple):
            found.extend(((i, j), a) for j, a in enumerate(arg) if isinstance(a, Box))
    return found


def _substitute(args, replacements):
    args = list(args)
    for path, value in replacements:
        if isinstance(path, tuple):
            i, j = path
            seq = list(args[i])
            seq[j] = value
            args[i] = type(args[i])(seq)
        else:
            args[path] = value
    return tuple(args)


def unbox_all(x):
    """Strip every level of boxing from ``x`` (and from list/tuple elements)."""
    while isinstance(x, Box):
        x = x._value
    if type(x) in (list, tuple):
        return type(x)(unbox_all(a) for a in x)
    return x


def primitive(fun, name: str | None = None):
    """Wrap ``fun`` so that tracers see its calls. ``name`` is what error messages and
    gradient tables call it (default: ``fun.__qualname__``)."""

    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        if _open_traces:
            boxes = _find_boxes(args)
            if boxes:
                return _call_traced(wrapped, fun, boxes, args, kwargs)
            if any(isinstance(v, Box) for v in kwargs.values()):
                raise TypeError(
                    f"{wrapped.primitive_name}: pass traced values as positional "
                    "arguments, not as keywords")
        return fun(*args, **kwargs)

    wrapped.primitive_name = name or getattr(fun, "__qualname__", repr(fun))
    wrapped.raw_function = fun
    return wrapped


def is_primitive(fun) -> bool:
    return hasattr(fun, "raw_function")


def _call_traced(wrapped, fun, boxes, args, kwargs):
    top = max(box._trace_id for _, box in boxes)
    mine = [(path, box) for path, box in boxes if box._trace_id == top]
    argvals = _substitute(args, [(path, box._value) for path, box in mine])
    if len(mine) == len(boxes) and not any(isinstance(b._value, Box) for _, b in mine):
        ans = fun(*argvals, **kwargs)  # no outer trace left to see this call
    else:
        ans = wrapped(*argvals, **kwargs)
    box_type = type(mine[0][1])
    return box_type._record(ans, wrapped, argvals, kwargs,
                            tuple(p for p, _ in mine), tuple(b._node for _, b in mine), top)
