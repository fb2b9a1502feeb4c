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
           "is_live", "unbox_all"]

_open_traces = 0
_trace_ids = itertools.count(1)
#: A capturing tracer (``minpy.jit`` while it records a program), else ``None``. While
#: traces are open it is offered every primitive call first, as
#: ``_capture(wrapped, fun, args, kwargs)``; it returns the call's answer, or
#: :data:`DECLINED` to leave the call to the traces (it then sees the same call again
#: at its own level, from the tracer that unboxes its values).
_capture = None
#: What a capturing tracer returns for a call it leaves to the other traces.
DECLINED = object()
#: ids of the traces open now. A box of any other trace is *dead*: its trace returned
#: (a value kept with ``losses.append(loss)``), and it stands for its plain value.
_live: set = set()


class Box:
    """Base class of a traced value: ``_value`` (an Array, a scalar, or a lower-level
    box), ``_trace_id`` and ``_node``. Tracers subclass it and define :meth:`_record`."""

    __slots__ = ("_value", "_trace_id", "_node")

    #: Whether an Array that no trace follows may be written with this box's value
    #: (``a[i] = box``, ``a += box``): a capturing tracer records such writes
    #: (:meth:`_write_into`); a differentiating one cannot (TypeError at the write).
    _absorbs_writes = False

    def __init__(self, value, trace_id, node):
        self._value = value
        self._trace_id = trace_id
        self._node = node

    def _write_into(self, target, key, value):
        """Write ``value`` (this box, or a value holding it) into the untraced Array
        ``target``: ``target[key] = value``, or, with ``key`` ``None``, ``target``
        taking ``value``'s data as an in-place operator does. Only for box types with
        :attr:`_absorbs_writes`."""
        raise NotImplementedError

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
    tid = next(_trace_ids)
    _live.add(tid)
    _open_traces += 1
    try:
        yield tid
    finally:
        _open_traces -= 1
        _live.discard(tid)


def tracing_active() -> bool:
    return _open_traces > 0


def is_live(box) -> bool:
    """Whether ``box`` belongs to a trace that is still open."""
    return box._trace_id in _live


def _find_boxes(args):
    """(path, box) for every box among ``args`` and one level inside list/tuple args;
    ``None`` when a box sits deeper (``append(x, [[box]])``: see :func:`_pack_nested`)."""
    found = []
    for i, arg in enumerate(args):
        if isinstance(arg, Box):
            found.append((i, arg))
        elif type(arg) in (list, tuple):
            for j, a in enumerate(arg):
                if isinstance(a, Box):
                    found.append(((i, j), a))
                elif type(a) in (list, tuple) and _has_box(a):
                    return None
    return found


def _has_box(x):
    if isinstance(x, Box):
        return True
    return type(x) in (list, tuple) and any(_has_box(a) for a in x)


#: Primitives whose nested lists are structure, not array-likes: their boxes are found
#: at any depth, at paths ``(i, j, k, ...)``, and their rules return nested gradients.
_NESTED_STRUCTURE = frozenset({"block"})


def _pack_nested(args):
    """``args`` with every nested list of traced values two levels down (an array-like
    such as ``[[x, y]]``) built into one traced array by the namespace's ``array``, so
    the call sees one box where NumPy would see one array."""
    from .operators import lookup
    array = lookup("array")
    out = []
    for arg in args:
        if type(arg) in (list, tuple):
            arg = type(arg)(array(a) if type(a) in (list, tuple) and _has_box(a) else a
                            for a in arg)
        out.append(arg)
    return tuple(out)


def _substitute(args, replacements):
    args = list(args)
    for path, value in replacements:
        if isinstance(path, tuple):
            args[path[0]] = _set_in(args[path[0]], path[1:], value)
        else:
            args[path] = value
    return tuple(args)


def _set_in(seq, path, value):
    """A copy of nested list/tuple ``seq`` with the element at ``path`` replaced."""
    items = list(seq)
    j = path[0]
    items[j] = value if len(path) == 1 else _set_in(items[j], path[1:], value)
    return type(seq)(items)


def _find_deep(x, path, found):
    """(path, box) for the boxes at any depth of nested lists/tuples ``x``."""
    for j, a in enumerate(x):
        if isinstance(a, Box):
            found.append((path + (j,), a))
        elif type(a) in (list, tuple):
            _find_deep(a, path + (j,), found)
    return found


def unbox_all(x):
    """Strip every level of boxing from ``x`` (and from list/tuple elements)."""
    while isinstance(x, Box):
        x = x._value
    if type(x) in (list, tuple):
        return type(x)(unbox_all(a) for a in x)
    return x


def unbox_dead(x):
    """``x`` with the boxes of traces that are no longer open removed (outer live boxes
    are kept)."""
    while isinstance(x, Box) and x._trace_id not in _live:
        x = x._value
    return x


def primitive(fun, name: str | None = None):
    """Wrap ``fun`` so that tracers see its calls. ``name`` is what error messages and
    gradient tables call it (default: ``fun.__qualname__``)."""

    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        if _open_traces:
            if _capture is not None:
                ans = _capture(wrapped, fun, args, kwargs)
                if ans is not DECLINED:
                    return ans
            if kwargs and _has_box(tuple(kwargs.values())):
                args, kwargs = _keywords_to_positions(wrapped, args, kwargs)
            boxes = _find_boxes(args)
            if boxes is None:
                if wrapped.primitive_name in _NESTED_STRUCTURE:
                    boxes = _find_deep(args, (), [])
                    boxes = [(p if len(p) > 1 else p[0], b) for p, b in boxes]
                else:
                    args = _pack_nested(args)
                    boxes = _find_boxes(args)
            if boxes:
                return _call_traced(wrapped, fun, boxes, args, kwargs)
        return fun(*args, **kwargs)

    wrapped.primitive_name = name or getattr(fun, "__qualname__", repr(fun))
    wrapped.raw_function = fun
    return wrapped


def _keywords_to_positions(wrapped, args, kwargs):
    """``(args, kwargs)`` of a call with traced keyword arguments, those passed by
    position instead (``average(x, weights=w)`` as ``average(x, None, w)``): tracers
    find traced values and key gradient rules by position. The parameters between are
    taken from ``kwargs`` or filled with their defaults, read from the signature
    ``inspect.signature(wrapped)`` reports (NumPy's, for ``minpy.numpy``'s functions).
    A traced value for a keyword-only parameter raises TypeError."""
    params = wrapped.__dict__.get("_positional_params")
    if params is None:
        import inspect
        try:
            sig = inspect.signature(wrapped)
        except (TypeError, ValueError):
            sig = None
        params = [] if sig is None else [
            p for p in itertools.takewhile(
                lambda p: p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD),
                sig.parameters.values())]
        wrapped._positional_params = params
    names = [p.name for p in params]
    traced = [k for k, v in kwargs.items() if _has_box(v)]
    for k in traced:
        if k not in names or names.index(k) < len(args):
            raise TypeError(
                f"{wrapped.primitive_name}: cannot trace a value passed as keyword "
                f"argument {k!r} (not a positional parameter of its signature); pass it "
                "by position, or wrap it in stop_gradient")
    last = max(names.index(k) for k in traced)
    kwargs = dict(kwargs)
    args = list(args)
    for p in params[len(args):last + 1]:
        if p.name in kwargs:
            args.append(kwargs.pop(p.name))
        elif p.default is not p.empty:
            args.append(p.default)
        else:
            raise TypeError(f"{wrapped.primitive_name}() missing required argument "
                            f"{p.name!r}")
    return tuple(args), kwargs


def is_primitive(fun) -> bool:
    return hasattr(fun, "raw_function")


def _call_traced(wrapped, fun, boxes, args, kwargs):
    if _capture is not None:
        ans = _capture(wrapped, fun, args, kwargs)
        if ans is not DECLINED:
            return ans
    if len(boxes) == 1 and type(boxes[0][0]) is int:
        # The common case (``sin(x)``, ``x * 2``), without the general bookkeeping.
        i, box = boxes[0]
        top = box._trace_id
        if top in _live:
            value = box._value
            argvals = args[:i] + (value,) + args[i + 1:]
            if isinstance(value, Box):  # an outer trace follows it too
                ans = wrapped(*argvals, **kwargs)
            else:
                ans = fun(*argvals, **kwargs)
            return type(box)._record(ans, wrapped, argvals, kwargs, (i,), (box._node,), top)
    dead = [(path, unbox_dead(box)) for path, box in boxes if box._trace_id not in _live]
    if dead:
        # Boxes of traces that returned stand for their values (which may be boxes of
        # traces still open): call again without them.
        return wrapped(*_substitute(args, dead), **kwargs)
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
