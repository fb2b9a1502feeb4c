"""HIPS Autograd's ``autograd.util``: small helpers for code written against it."""

from __future__ import annotations

import operator
import warnings

__all__ = ["subvals", "subval", "func", "toposort", "quick_grad_check"]


def subvals(x, ivs):
    """``tuple(x)`` with ``x[i] = v`` for each ``(i, v)`` of ``ivs``."""
    out = list(x)
    for i, v in ivs:
        out[i] = v
    return tuple(out)


def subval(x, i, v):
    """``tuple(x)`` with ``x[i] = v``."""
    return subvals(x, ((i, v),))


def func(f):
    """``f`` itself (HIPS Autograd names unbound methods with it)."""
    return f


def toposort(end_node, parents=operator.attrgetter("parents")):
    """The nodes reachable from ``end_node`` (itself included), each after all of its
    children: the order a backward pass visits them in."""
    children = {}
    stack = [end_node]
    while stack:
        node = stack.pop()
        if node in children:
            children[node] += 1
            continue
        children[node] = 1
        stack.extend(parents(node))
    ready = [end_node]
    while ready:
        node = ready.pop()
        yield node
        for p in parents(node):
            children[p] -= 1
            if children[p] == 0:
                ready.append(p)


def quick_grad_check(fun, arg0, extra_args=(), kwargs=None, verbose=True, eps=1e-4,
                     rtol=1e-4, atol=1e-6, rs=None):
    """Deprecated in HIPS Autograd: checks the reverse-mode gradient of ``fun`` with
    respect to ``arg0`` to first order (:func:`minpy.autograd.test_util.check_grads`)."""
    warnings.warn("quick_grad_check is deprecated; use minpy.autograd.test_util.check_grads",
                  DeprecationWarning, stacklevel=2)
    from .test_util import check_grads
    kwargs = kwargs or {}
    check_grads(lambda x: fun(x, *extra_args, **kwargs), modes=["rev"], order=1)(arg0)
