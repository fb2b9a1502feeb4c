"""Replaying a recorded trace (HIPS Autograd's ``autograd.misc.tracers``).

:func:`const_graph` records ``fun`` once on MinPy's tape and answers later calls by
running the recorded primitive calls again on the new arguments, skipping the Python
around them (control flow is frozen as it was on the first call).
"""

from __future__ import annotations

import functools

from ..api import _Traced, _tree_leaves
from ..checkpoint import _Checkpointed
from ..tracer import _SELECT

__all__ = ["const_graph", "const_graph_unary"]


def _order(end):
    """The nodes ``end`` depends on, each after its parents."""
    order, seen, stack = [], set(), [(end, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        stack.extend((p, False) for p in node.parents if p not in seen)
    return order


def _put(args, path, value):
    """``args`` (a tuple) with the traced argument at ``path`` replaced by ``value``."""
    if type(path) is int:
        return args[:path] + (value,) + args[path + 1:]
    i, rest = path[0], path[1:]
    seq = args[i]
    inner = list(seq)
    inner[rest[0]] = value if len(rest) == 1 else _put(tuple(seq[rest[0]]), rest[1:], value)
    return args[:i] + (type(seq)(inner),) + args[i + 1:]


def _run(node, parent_values):
    fun = node.fun
    if fun is _SELECT:
        return parent_values[0][node.args]
    if isinstance(fun, _Checkpointed):
        return node.args[1](*parent_values)
    args = node.args
    for path, v in zip(node.paths, parent_values):
        args = _put(args, path, v)
    return fun(*args, **node.kwargs)


def const_graph_unary(fun):
    """``fun`` of one argument, recorded on its first call and replayed after."""
    graph = []
    pending = [fun]  # dropped once traced, so that whatever ``fun`` holds can be freed

    def replayed(x):
        if graph:
            inputs, order, end = graph
            values = dict(zip(inputs, _tree_leaves(x)))
            for node in order:
                if node not in values:
                    values[node] = _run(node, [values[p] for p in node.parents])
            return values[end]
        t = _Traced(pending.pop(), (x,), {}, 0, "const_graph")
        end = t.output_node()
        if end is None:
            raise ValueError("const_graph: the output does not depend on the input")
        graph.extend(([leaf for leaf, _, _ in t.leaves[0]], _order(end), end))
        return t.value()
    return replayed


def const_graph(fun, *args, **kwargs):
    """``fun`` with ``args``/``kwargs`` bound, recorded on its first call and replayed on
    later ones: only the primitive calls that depend on the arguments run again."""
    bound = functools.partial(fun, *args, **kwargs)
    unary = const_graph_unary(lambda a: bound(*a))

    @functools.wraps(fun)
    def replay(*a):
        return unary(a)
    return replay
