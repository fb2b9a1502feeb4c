"""The user-facing differentiation operators.

Arguments that are differentiated may be Arrays, NumPy arrays, Python scalars, or nested
lists, tuples and dicts of them; gradients come back in the same structure. Python
``int``/``float`` inputs are promoted to 0-d Arrays of the default float dtype, and their
gradients are returned as Python floats. NumPy-array inputs get Array gradients. Inputs
of an integer or boolean dtype cannot be differentiated (TypeError).

Every call opens its own trace (:func:`minpy.core.tracing.trace_scope`), so these
operators nest: ``grad(grad(f))`` is the second derivative, and so on to any order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as _onp

from minpy.core import Array
from minpy.core.tracing import Box, trace_scope

from .tracer import ArrayBox, Node, backward, backward_many
from .wrap_util import wrap_nary_f

__all__ = ["grad", "grad_and_loss", "value_and_grad", "elementwise_grad", "jacobian",
           "hessian", "make_vjp"]

_SCALAR = "scalar"


def _np():
    import minpy.numpy as np
    return np


# -- boxing the differentiated arguments ----------------------------------------------
def _leaf_value(x, where):
    """(value to trace, is_python_scalar) for one leaf argument."""
    t = type(x)
    if t is bool or isinstance(x, _onp.bool_):
        raise TypeError(f"{where}: cannot differentiate with respect to a bool")
    if t is int or t is float:
        return _np().array(float(x)), True
    if isinstance(x, Box):
        return x, False
    if isinstance(x, (_onp.ndarray, _onp.generic)):
        x = _np().asarray(x)
    elif not isinstance(x, Array):
        if isinstance(x, complex):
            return _np().array(x), True
        raise TypeError(f"{where}: cannot differentiate with respect to a "
                        f"{type(x).__name__}; pass Arrays, NumPy arrays, Python floats, or "
                        "lists/tuples/dicts of them")
    if x.dtype.kind not in "fc":
        raise TypeError(
            f"{where}: cannot differentiate with respect to an array of dtype {x.dtype}; "
            "gradients are defined for floating-point inputs (cast it with "
            ".astype(float), or pass it as an argument that is not differentiated)")
    return x, False


def _box_tree(x, trace_id, leaves, where):
    t = type(x)
    if t is list or t is tuple:
        return t(_box_tree(a, trace_id, leaves, where) for a in x)
    if isinstance(x, tuple) and hasattr(x, "_fields"):  # a named tuple (EighResult)
        return t(*[_box_tree(a, trace_id, leaves, where) for a in x])
    if t is dict:
        return {k: _box_tree(v, trace_id, leaves, where) for k, v in x.items()}
    value, scalar = _leaf_value(x, where)
    node = Node(None, None, None, value, (), ())
    leaves.append((node, value, scalar))
    return ArrayBox(value, trace_id, node)


def _is_tree(x):
    return isinstance(x, (list, tuple, dict))


def _tree_leaves(x):
    """The leaves of a tree of lists, tuples (named ones too) and dicts, in order."""
    if isinstance(x, dict):
        return [leaf for v in x.values() for leaf in _tree_leaves(v)]
    if isinstance(x, (list, tuple)):
        return [leaf for v in x for leaf in _tree_leaves(v)]
    return [x]


def _map_tree(fn, x):
    """``fn`` applied to each element (one level) of tree node ``x``, same structure."""
    if isinstance(x, dict):
        return type(x)((k, fn(v)) for k, v in x.items())
    if hasattr(x, "_fields"):
        return type(x)(*[fn(v) for v in x])
    return type(x)(fn(v) for v in x)


def _strip(x, trace_id):
    """``x`` (a tree) with the boxes of trace ``trace_id`` replaced by their values."""
    if isinstance(x, ArrayBox) and x._trace_id == trace_id:
        return x._value
    return _map_tree(lambda v: _strip(v, trace_id), x) if _is_tree(x) else x


def _fill_tree(x, it):
    t = type(x)
    if t is list or t is tuple:
        return t(_fill_tree(a, it) for a in x)
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return t(*[_fill_tree(a, it) for a in x])
    if t is dict:
        return {k: _fill_tree(v, it) for k, v in x.items()}
    return next(it)


def _zeros_like(value):
    return _np().zeros(value.shape, value.dtype)


def _finish(ct, value, scalar):
    """The gradient for one leaf: zeros when unreached, the leaf's dtype, and a Python
    float for a Python-scalar leaf."""
    if ct is None:
        ct = _zeros_like(value)
    elif not isinstance(ct, (Array, Box)):
        ct = _np().asarray(ct)
    if ct.dtype != value.dtype:
        if value.dtype.kind == "f" and ct.dtype.kind == "c":
            ct = _np().real(ct)
        ct = ct.astype(value.dtype)
    if ct.shape != value.shape:
        raise RuntimeError(f"internal error: gradient of shape {ct.shape} for an input "
                           f"of shape {value.shape}")
    if scalar and not isinstance(ct, Box):
        return complex(ct) if value.dtype.kind == "c" else float(ct)
    return ct


def _argnums(argnum, nargs, name):
    """``(positions, multi)``: ``argnum`` (an int, or any sequence of ints such as a
    tuple, list or ``range``) as non-negative positions."""
    multi = not isinstance(argnum, (int, _onp.integer))
    if multi and (isinstance(argnum, (str, bytes)) or not isinstance(argnum, Sequence)):
        raise TypeError(f"{name}: argnum must be an int or a sequence of ints, not "
                        f"{type(argnum).__name__}")
    nums = tuple(argnum) if multi else (argnum,)
    for i in nums:
        if isinstance(i, bool) or not isinstance(i, (int, _onp.integer)):
            raise TypeError(f"{name}: argnum entries must be ints, not {i!r}")
        if not -nargs <= i < nargs:
            raise ValueError(f"{name}: argnum {i!r} is out of range for a call with "
                             f"{nargs} positional argument(s)")
    return tuple(int(i) % nargs for i in nums), multi


class _Traced:
    """One traced call of ``fun``: the answer and what the backward pass needs."""

    __slots__ = ("ans", "trace_id", "templates", "leaves", "multi")

    def __init__(self, fun, args, kwargs, argnum, name):
        nums, self.multi = _argnums(argnum, len(args), name)
        boxed = list(args)
        self.templates = []
        self.leaves = []
        with trace_scope() as tid:
            seen = {}
            for i in nums:
                if i in seen:  # argnum=(0, 0): the same gradient twice
                    leaves = seen[i]
                else:
                    leaves = seen[i] = []
                    boxed[i] = _box_tree(args[i], tid, leaves, f"{name} (argument {i})")
                self.templates.append(args[i])
                self.leaves.append(leaves)
            self.ans = fun(*boxed, **kwargs)
        self.trace_id = tid

    def output_node(self):
        ans = self.ans
        if isinstance(ans, ArrayBox) and ans._trace_id == self.trace_id:
            return ans._node
        return None

    def value(self):
        """The answer with this trace's boxing removed (also inside a tuple, list or
        dict answer)."""
        return _strip(self.ans, self.trace_id)

    def gradients(self, g, free):
        """The gradients of ``<ans, g>``; ``g`` has the answer's structure (an array
        for an array answer; a tuple, list or dict of them for such an answer)."""
        node = self.output_node()
        if node is not None:
            cts = backward(node, _as_cotangent(g, self.ans), free=free)
        elif _is_tree(self.ans):
            tid = self.trace_id
            roots = [(a._node, _as_cotangent(ga, a))
                     for a, ga in zip(_tree_leaves(self.ans), _tree_leaves(g))
                     if isinstance(a, ArrayBox) and a._trace_id == tid and ga is not None]
            cts = backward_many(roots, free=free) if roots else {}
        else:
            cts = {}
        grads = tuple(
            _fill_tree(template, iter([_finish(cts.get(n), v, s) for n, v, s in leaves]))
            for template, leaves in zip(self.templates, self.leaves))
        return grads if self.multi else grads[0]


def _as_cotangent(g, out):
    """A cotangent given as a number or NumPy array, as an Array of the output's
    dtype (the rules work on arrays)."""
    if isinstance(g, (Array, Box)):
        return g
    dtype = out.dtype
    return _np().asarray(_onp.asarray(g, dtype=dtype if dtype.kind in "fc" else None))


def _shape_dtype(ans, name):
    if isinstance(ans, (Array, Box)):
        return ans.shape, ans.dtype
    if isinstance(ans, (int, float, complex, _onp.number, _onp.ndarray)):
        a = _onp.asarray(ans)
        return a.shape, a.dtype
    raise TypeError(f"{name}: the function must return an array or a number, not "
                    f"{type(ans).__name__}")


def _scalar_seed(ans, name):
    shape, dtype = _shape_dtype(ans, name)
    if int(_onp.prod(shape)) != 1:
        raise TypeError(
            f"{name}: the function must return a scalar, but it returned an array of "
            f"shape {shape}; reduce it (e.g. with .sum()), or use elementwise_grad or "
            "jacobian for non-scalar outputs")
    if dtype.kind != "f":
        # HIPS Autograd's rule: a complex output has no gradient (use holomorphic_grad
        # or take its real part), and neither has a boolean or integer one.
        raise TypeError(
            f"{name}: the function must return a real floating-point scalar, but it "
            f"returned one of dtype {dtype}; {name} applies to real scalar-output "
            "functions (try jacobian, elementwise_grad or holomorphic_grad, or np.real)")
    return _np().ones(shape, dtype)


def _named(fun, op, argnum):
    """A decorator naming an operator's result as HIPS Autograd does
    (``grad_of_f_wrt_argnum_0``), with ``fun`` as its ``__wrapped__``."""
    def deco(f):
        f = wrap_nary_f(fun, op, argnum)(f)
        f.__wrapped__ = fun
        return f
    return deco


# -- the operators ------------------------------------------------------------------------
def grad_and_loss(fun, argnum=0):
    """``fun``'s gradient and value, as ``(grads, loss)`` (the original MinPy API).

    ``argnum`` is an int (one gradient) or a tuple/list of ints (a tuple of gradients).
    """
    @_named(fun, grad_and_loss, argnum)
    def wrapped(*args, **kwargs):
        t = _Traced(fun, args, kwargs, argnum, "grad")
        return t.gradients(_scalar_seed(t.ans, "grad"), free=True), t.value()
    return wrapped


def grad(fun, argnum=0):
    """
    Returns a function which computes the gradient of ``fun`` with respect to
    positional argument(s) ``argnum``. The returned function takes the same arguments as
    ``fun`` and returns the gradient, with the structure of the argument(s). ``fun``
    must return a real floating-point scalar (TypeError otherwise)."""
    gl = grad_and_loss(fun, argnum)

    @_named(fun, grad, argnum)
    def wrapped(*args, **kwargs):
        return gl(*args, **kwargs)[0]
    return wrapped


def value_and_grad(fun, argnum=0):
    """``(loss, grads)``: ``fun``'s value and its gradient, from one evaluation."""
    gl = grad_and_loss(fun, argnum)

    @_named(fun, value_and_grad, argnum)
    def wrapped(*args, **kwargs):
        g, loss = gl(*args, **kwargs)
        return loss, g
    return wrapped


def make_vjp(fun, argnum=0):
    """``make_vjp(fun)(*args) -> (vjp, ans)``: ``vjp(g)`` is ``g`` pulled back through
    ``fun`` at ``args`` (it may be called many times)."""
    @_named(fun, make_vjp, argnum)
    def wrapped(*args, **kwargs):
        t = _Traced(fun, args, kwargs, argnum, "make_vjp")

        def vjp(g):
            return t.gradients(g, free=False)
        return vjp, t.value()
    return wrapped


def elementwise_grad(fun, argnum=0):
    """The gradient of ``sum(fun(x))``: for elementwise ``fun``, the derivative at each
    element."""
    @_named(fun, elementwise_grad, argnum)
    def wrapped(*args, **kwargs):
        t = _Traced(fun, args, kwargs, argnum, "elementwise_grad")
        shape, dtype = _shape_dtype(t.ans, "elementwise_grad")
        if dtype.kind == "c":
            raise TypeError("elementwise_grad applies to real-output functions")
        return t.gradients(_np().ones(shape, dtype), free=True)
    return wrapped


def jacobian(fun, argnum=0):
    """The Jacobian of ``fun`` with respect to argument ``argnum`` (one array): an array
    of shape ``out.shape + in.shape``."""
    if not isinstance(argnum, int):
        raise TypeError("jacobian: argnum must be one int")

    @_named(fun, jacobian, argnum)
    def wrapped(*args, **kwargs):
        np = _np()
        t = _Traced(fun, args, kwargs, argnum, "jacobian")
        out_shape, dtype = _shape_dtype(t.ans, "jacobian")
        in_value = t.leaves[0]
        if len(in_value) != 1:
            raise TypeError("jacobian: the differentiated argument must be one array")
        in_shape = in_value[0][1].shape
        n = int(_onp.prod(out_shape))
        rows = []
        for k in range(n):
            seed = _onp.zeros(n, dtype=dtype)
            seed[k] = 1
            row = t.gradients(np.array(seed.reshape(out_shape)), free=False)
            rows.append(row if isinstance(row, (Array, Box)) else np.array(row))
        if not rows:
            return np.zeros(tuple(out_shape) + tuple(in_shape), in_value[0][1].dtype)
        return np.reshape(np.stack(rows), tuple(out_shape) + tuple(in_shape))
    return wrapped


def hessian(fun, argnum=0):
    """The Hessian of scalar ``fun``: ``jacobian(jacobian(fun))``."""
    return jacobian(jacobian(fun, argnum), argnum)
