"""The tape: nodes, the traced value (:class:`ArrayBox`), the gradient-rule table and
the backward pass.

Recording
    :mod:`minpy.core.tracing` calls :meth:`ArrayBox._record` for every primitive call
    that has a box of an open trace among its positional arguments. A float (or complex)
    answer is boxed with a :class:`Node` that keeps the primitive, its unboxed
    arguments, its answer and the nodes of the boxed arguments. Any other answer
    (booleans of comparisons, ``argmax``, integer casts, shapes) is returned bare: it is
    not differentiable, so nothing is recorded and such values can drive Python control
    flow (``if x >= 0``).

Rules
    :data:`VJPS` maps a primitive's ``primitive_name`` to ``{argnum: maker}``. A maker is
    called at backward time as ``maker(ans, *args, **kwargs)`` and returns the function
    ``g -> gradient for argument argnum``. For an argument that is a list of arrays
    (``concatenate``) it returns the list of gradients, one per element. Makers are
    written with ``minpy.numpy`` operations, so a backward pass run inside an outer
    trace is itself recorded and gradients differentiate again. :data:`JOINT_VJPS`
    holds, for a few ops, one maker that gives several arguments' gradients at once
    where they share work.

Backward
    :func:`backward` walks the nodes reachable from the output in reverse topological
    order (children before parents), pops each node's cotangent once every consumer has
    contributed, and drops it after use. A second contribution to a node is added into
    the first in place when nothing else can see the first (:func:`_accumulate`).
"""

from __future__ import annotations

import dis
import functools
import sys
from threading import get_ident

import numpy as _onp

from minpy.core import Array
from minpy.core.convert import wrap
from minpy.core.operators import ArrayMethods, lookup
from minpy.core.tracing import Box, is_live, tracing_active, unbox_all, unbox_dead
from minpy.core.tracing import primitive as _core_primitive

__all__ = ["Node", "ArrayBox", "VJPS", "SEQUENCE_OPS", "defvjp", "primitive", "stop_gradient",
           "backward", "backward_many", "is_traced", "Box", "isbox", "getval",
           "notrace_primitive"]
__all__ += ["JOINT_VJPS", "defvjp_joint", "node_vjps"]

#: primitive_name -> {argnum: maker}
VJPS: dict = {}

#: primitive_name -> ``(joint maker, {argnum: maker})``: one maker for the gradients of
#: several arguments at once, for ops whose gradients share work (``divide``: ``g / y``
#: is ``x``'s gradient and a factor of ``y``'s). ``maker(argnums, ans, *args, **kwargs)``
#: returns ``g -> (gradient for each of argnums, in order)``. The backward pass uses it
#: for a node that needs two or more of those gradients, as long as the per-argument
#: makers in :data:`VJPS` are still the ones it was registered with (a rule redefined
#: later is used on its own). The per-argument makers stay the rule: a joint maker only
#: computes the same thing with less work.
JOINT_VJPS: dict = {}

#: The built-in rules (makers; filled by :mod:`minpy.autograd.rules`). They use only
#: ``minpy.numpy`` functions that NumPy has too, so a first-order backward pass on
#: host-resident values runs them on NumPy arrays, without dispatch (see
#: :func:`_numpy_values`). Other rules (``defvjp``) always get Arrays.
NUMPY_RULES: set = set()

#: ``minpy.numpy`` ops whose argument *is* a sequence of arrays (``concatenate``): their
#: rules take the list and return one gradient per element. Any other ``minpy.numpy`` op
#: given a list or tuple of traced values where NumPy accepts an array-like
#: (``np.mean([x, x + 2])``) has the sequence stacked into one array for its rule, and
#: each element gets its slice of the gradient (:func:`_list_vjp`). Only the backward
#: pass of such a call pays for it.
SEQUENCE_OPS = frozenset({
    "concatenate", "concat", "stack", "vstack", "hstack", "dstack", "column_stack",
    "row_stack", "linalg.multi_dot", "select", "choose", "block"})

_FLOAT_KINDS = frozenset("fc")
_SCALAR_FLOATS = (float, complex, _onp.floating, _onp.complexfloating)


class Node:
    """One recorded primitive call (or an input, when ``fun`` is ``None``)."""

    __slots__ = ("fun", "args", "kwargs", "ans", "paths", "parents")

    def __init__(self, fun, args, kwargs, ans, paths, parents):
        self.fun = fun
        self.args = args
        self.kwargs = kwargs
        self.ans = ans
        self.paths = paths
        self.parents = parents


class _Select:
    """The pseudo-primitive 'element k of a multi-output primitive's answer'."""

    primitive_name = "<output element>"


_SELECT = _Select()


class _MultiCT(dict):
    """Cotangent of a multi-output node: output index -> cotangent (sparse)."""

    __slots__ = ()


def _differentiable(value) -> bool:
    t = type(value)
    if t is Array:
        dtype = value._dtype  # cached by the Array (the property asks when it is not)
        return (dtype if dtype is not None else value.dtype).kind in _FLOAT_KINDS
    if isinstance(value, Box):
        # An outer trace follows it: an outer autograd trace boxes floats only, but a
        # capturing one (minpy.jit) boxes every value, so ask about the value itself.
        return _differentiable(value._value)
    if t is float or t is complex:
        return True
    if isinstance(value, _onp.ndarray):
        return value.dtype.kind in _FLOAT_KINDS
    return isinstance(value, _SCALAR_FLOATS)


class ArrayBox(Box, ArrayMethods):
    """A value followed by a trace. It behaves like :class:`minpy.core.Array`: its
    operators and methods are the same ``minpy.numpy`` functions, so they are recorded.

    Leaving the tape is explicit: :meth:`asnumpy`, ``float()``, ``bool()``, ``item()``
    and printing give the value; ``numpy.asarray(box)`` raises, so that a gradient can
    not be lost silently.
    """

    __slots__ = ()
    __array_priority__ = 200.0
    __hash__ = None

    @classmethod
    def _record(cls, ans, fun, args, kwargs, paths, parents, trace_id):
        t = type(ans)
        if t is Array:  # the common answer, tested inline (this runs on every op)
            dtype = ans._dtype
            if (dtype if dtype is not None else ans.dtype).kind in _FLOAT_KINDS:
                return cls(ans, trace_id, Node(fun, args, kwargs, ans, paths, parents))
            return ans
        if _differentiable(ans):
            return cls(ans, trace_id, Node(fun, args, kwargs, ans, paths, parents))
        if (t is tuple or t is list or (isinstance(ans, tuple) and hasattr(ans, "_fields"))
                ) and any(_differentiable(a) for a in ans):
            node = Node(fun, args, kwargs, ans, paths, parents)
            out = [cls(a, trace_id, Node(_SELECT, k, None, a, (0,), (node,)))
                   if _differentiable(a) else a for k, a in enumerate(ans)]
            if t is tuple or t is list:
                return t(out)
            return t(*out)
        return ans

    # -- attributes ------------------------------------------------------------------
    @property
    def shape(self):
        return self._value.shape if hasattr(self._value, "shape") else ()

    @property
    def dtype(self):
        v = self._value
        return v.dtype if hasattr(v, "dtype") else _onp.result_type(v)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(_onp.prod(self.shape, dtype=_onp.int64))

    @property
    def itemsize(self):
        return self.dtype.itemsize

    @property
    def nbytes(self):
        return self.size * self.dtype.itemsize

    @property
    def device(self):
        return unbox_all(self).device

    # -- leaving the tape (explicitly) ----------------------------------------------
    def asnumpy(self):
        """The value as a NumPy array (a deliberate exit from the tape)."""
        v = unbox_all(self)
        return v.asnumpy() if isinstance(v, Array) else _onp.array(v)

    def item(self, *args):
        return _onp.asarray(self.asnumpy()).item(*args)

    def tolist(self):
        return _onp.asarray(self.asnumpy()).tolist()

    def __array__(self, dtype=None, copy=None):
        if not is_live(self) or (dtype is not None and _onp.dtype(dtype).kind in "biu"):
            # A dead box is its value; an integer or boolean conversion
            # (``numpy.int64(box)``) has a zero derivative, so nothing is lost.
            v = _onp.asarray(self.asnumpy())
            return v if dtype is None else v.astype(dtype, copy=False)
        if _assigning():
            raise _assignment_error()
        raise TypeError(
            "cannot convert a traced value to a NumPy array (its gradient would be lost); "
            "use minpy.numpy functions on it, call .asnumpy() to read its value, or wrap "
            "it in minpy.autograd.stop_gradient")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if not is_live(self):
            return _call_unboxed(getattr(ufunc, method), inputs, kwargs)
        # NumPy ufuncs on a traced value (``ndarray + box``, ``numpy.exp(box)``) run as
        # the minpy.numpy function of the same name, so they are recorded.
        if method == "__call__" and "out" not in kwargs:
            fn = _namespace_function(ufunc.__name__)
            if fn is not None:
                return fn(*inputs, **kwargs)
        raise TypeError(
            f"numpy.{ufunc.__name__}.{method} cannot take a traced value; use the "
            "minpy.numpy function instead, or wrap the value in stop_gradient")

    def __array_function__(self, func, types, args, kwargs):
        if not is_live(self):
            return _call_unboxed(func, args, kwargs)
        module = func.__module__ or "numpy"
        sub = module.split(".")[1] if module.startswith("numpy.") else ""
        name = func.__name__ if sub in ("", "core", "lib", "_core") else (
            f"{sub}.{func.__name__}")
        fn = _namespace_function(name)
        if fn is None:
            raise TypeError(
                f"numpy.{name} cannot take a traced value; use minpy.numpy functions, or "
                "wrap the value in stop_gradient")
        return fn(*args, **kwargs)

    def __bool__(self):
        return bool(self._value)

    def __float__(self):
        if _assigning() and is_live(self):
            raise _assignment_error()
        return float(self._value)

    def __int__(self):
        return int(self._value)

    def __complex__(self):
        if _assigning() and is_live(self):
            raise _assignment_error()
        return complex(self._value)

    def __index__(self):
        return self._value.__index__()

    def __len__(self):
        shape = self.shape
        if not shape:
            raise TypeError("len() of unsized object")
        return shape[0]

    def __iter__(self):
        shape = self.shape
        if not shape:
            raise TypeError("iteration over a 0-d array")
        getitem = lookup("getitem")
        return (getitem(self, i) for i in range(shape[0]))

    def __repr__(self):
        return f"ArrayBox({unbox_all(self)!r})"

    def __str__(self):
        return str(unbox_all(self))

    def __format__(self, spec):
        return format(unbox_all(self), spec)

    # -- indexing and in-place updates (functional, then rebinding this box) --------
    def _rebind(self, new):
        if not isinstance(new, Box):  # cannot happen for float results; be safe
            raise TypeError("in-place update of a traced value produced an untraced value")
        self._value, self._trace_id, self._node = new._value, new._trace_id, new._node

    def __setitem__(self, key, value):
        from minpy.core._views import check_traced_write

        from ._indexops import index_update
        check_traced_write(self, value)  # writes through views cannot be recorded
        key = unbox_all(key)
        self._rebind(index_update(self, key, value))

    _replace_with = _rebind


def _assigning() -> bool:
    """Whether the Python code that (through C) asked for this conversion is an item
    assignment, ``A[i] = box``: NumPy converts the box to a float to store it into a
    NumPy array, and the gradient would be lost without a trace. Explicit conversions
    (``float(box)``) are calls, not assignments."""
    frame = sys._getframe(2)  # 0: here, 1: the dunder, 2: the code NumPy was called from
    return frame.f_code.co_code[frame.f_lasti] == _STORE_SUBSCR


_STORE_SUBSCR = dis.opmap["STORE_SUBSCR"]


def _assignment_error():
    return TypeError(
        "cannot write a traced value into a NumPy array (its gradient would be lost): "
        "build the result with np.stack/np.concatenate/np.where, or make the array being "
        "written a minpy.numpy Array computed inside the differentiated function")


def _call_unboxed(fn, args, kwargs):
    """``fn`` on ``args`` with the boxes of returned traces replaced by their values:
    a value kept after its trace ended behaves as that value (NumPy then dispatches on
    what is left: Arrays, or the boxes of traces still open)."""
    args = tuple(_unbox_tree(a) for a in args)
    kwargs = {k: _unbox_tree(v) for k, v in kwargs.items()}
    return fn(*args, **kwargs)


def _unbox_tree(x):
    x = unbox_dead(x)
    t = type(x)
    if t is list or t is tuple:
        return t(_unbox_tree(a) for a in x)
    return x


def _namespace_function(name):
    try:
        fn = lookup(name)
    except Exception:
        return None
    return fn if getattr(fn, "primitive_name", None) is not None or name in (
        "array", "asarray") else None




# -- custom primitives and rules --------------------------------------------------------
def primitive(fun=None, *, name=None):
    """Make ``fun`` a primitive: the tape records its calls instead of looking inside.
    Give it gradient rules with :func:`defvjp`. Usable as ``@primitive`` or
    ``@primitive(name='mylib.op')``."""
    if fun is None:
        return lambda f: primitive(f, name=name)
    qual = f"{getattr(fun, '__module__', None) or ''}.{getattr(fun, '__qualname__', repr(fun))}"
    return _core_primitive(fun, name or qual.lstrip("."))


def _name_of(fun) -> str:
    if isinstance(fun, str):
        return fun
    name = getattr(fun, "primitive_name", None)
    if name is None:
        raise TypeError(f"{fun!r} is not a primitive; decorate it with "
                        "minpy.autograd.primitive first")
    return name


def defvjp(fun, *makers, argnums=None):
    """Define the gradient rules of primitive ``fun`` (a primitive or its name).

    ``makers[i]`` is ``maker(ans, *args, **kwargs) -> (g -> gradient)`` for argument
    ``argnums[i]`` (default: ``0, 1, ...``). ``None`` leaves an argument without a rule.
    Rules given earlier for other arguments are kept.
    """
    argnums = range(len(makers)) if argnums is None else argnums
    if len(argnums) != len(makers):
        raise ValueError("defvjp: give one argnum per maker")
    table = VJPS.setdefault(_name_of(fun), {})
    for i, maker in zip(argnums, makers):
        if maker is not None:
            table[i] = maker
    return fun


def defvjp_joint(fun, maker):
    """Register ``maker(argnums, ans, *args, **kwargs) -> (g -> gradients for argnums)``
    as the joint rule of primitive ``fun`` (see :data:`JOINT_VJPS`); define its
    per-argument rules (:func:`defvjp`) first."""
    name = _name_of(fun)
    JOINT_VJPS[name] = (maker, dict(VJPS.get(name, {})))
    return fun


def stop_gradient(x):
    """``x`` with every level of tracing removed: a constant for all gradients."""
    return unbox_all(x)


def is_traced(x) -> bool:
    return isinstance(x, Box)


# -- the backward pass ----------------------------------------------------------------
def _missing_rule(node, argnum):
    fun = node.fun
    name = fun.primitive_name
    where = f"minpy.numpy.{name}" if hasattr(fun, "op") else name
    return NotImplementedError(
        f"no gradient rule for {where} (argument {argnum}); define one with "
        "minpy.autograd.defvjp or wrap the value in stop_gradient")


def _add(a, b):
    if a is None:
        return b
    if type(a) is _MultiCT:
        for k, v in b.items():
            a[k] = _add(a.get(k), v)
        return a
    return lookup("add")(a, b)


def _accumulate(cts, p, pg, mode):
    """``cts[p] += pg``: in place, into the NumPy array already there, when nothing else
    can see that array (a pass on host forms, ``mode``; it owns its memory and holds
    only the reference of ``cts``: a rule's fresh result, not ``g`` passed through, a
    view or a value of the tape); else a new sum."""
    old = cts.get(p)
    if old is None:
        cts[p] = pg
    elif (mode and type(old) is _ndarray and type(pg) is _ndarray and old.base is None
          and old.shape == pg.shape and old.dtype == pg.dtype and old.flags.writeable
          and _refcount(old) <= _SOLE_REFS):
        _onp.add(old, pg, out=old)
    else:
        cts[p] = _add(old, pg)


_ndarray = _onp.ndarray
_refcount = getattr(sys, "getrefcount", None)


def _sole_refs():
    """What :func:`_refcount` says, in :func:`_accumulate`, of an array that only a dict
    holds: measured, not assumed (interpreters count borrowed references differently);
    -1 (never in place) where there is no reference count to read."""
    if _refcount is None:
        return -1
    seen = []

    def probe(cts, p):
        old = cts.get(p)
        seen.append(_refcount(old))
    probe({0: _onp.zeros(1)}, 0)
    return seen[0]


_SOLE_REFS = _sole_refs()


def _zeros_of(value):
    if isinstance(value, (float, complex, _onp.number)):
        return type(value)(0) if isinstance(value, (float, complex)) else value * 0
    if not hasattr(value, "shape"):
        return value  # a non-array output (a flag): no cotangent, the rule ignores it
    return lookup("zeros")(value.shape, value.dtype)


def _node_vjps(node, g, ans, args, kwargs):
    """The cotangents of ``node``'s boxed arguments (aligned with ``node.parents``), from
    its values ``ans, args, kwargs`` (the node's own, or their host forms)."""
    if type(g) is _MultiCT:
        g = type(node.ans)(*[g[k] if k in g else _zeros_of(a) for k, a in enumerate(node.ans)]
                           ) if hasattr(node.ans, "_fields") else type(node.ans)(
            g[k] if k in g else _zeros_of(a) for k, a in enumerate(node.ans))
    name = node.fun.primitive_name
    rule = VJPS.get(name)
    paths = node.paths
    if len(paths) > 1 and name in JOINT_VJPS:
        joint, makers = JOINT_VJPS[name]
        if rule is not None and all(type(p) is int and makers.get(p) is not None
                                    and rule.get(p) is makers[p] for p in paths):
            return list(joint(paths, ans, *args, **kwargs)(g))
    out = []
    lists = None
    for path in paths:
        if type(path) is int:
            maker = rule.get(path) if rule is not None else None
            if maker is None:
                raise _missing_rule(node, path)
            out.append(maker(ans, *args, **kwargs)(g))
        else:
            i = path[0]  # element path[1:] of list argument i (nested for np.block)
            if lists is None:
                lists = {}
            grads = lists.get(i)
            if grads is None:
                grads = lists[i] = _list_vjp(node, rule, i, g, ans, args, kwargs)
            for j in path[1:]:
                grads = grads[j]
            out.append(grads)
    return out


def _list_vjp(node, rule, i, g, ans, args, kwargs):
    """The gradients of the elements of list argument ``i`` of ``node`` (indexable by
    element): the rule's own list for :data:`SEQUENCE_OPS` and custom primitives, else
    the gradient of the stacked sequence (see :data:`SEQUENCE_OPS`)."""
    maker = rule.get(i) if rule is not None else None
    if maker is None:
        raise _missing_rule(node, i)
    fun = node.fun
    if hasattr(fun, "op") and fun.primitive_name not in SEQUENCE_OPS:
        args = (*args[:i], lookup("array")(args[i]), *args[i + 1:])
    return maker(ans, *args, **kwargs)(g)


# -- running the built-in rules on NumPy arrays ------------------------------------------
def _numpy_mode():
    """This thread's id when the rules of this backward pass may run on NumPy arrays:
    nothing records it (no trace open: a first-order gradient), the policy runs NumPy
    on host-resident CPU arrays anyway, and no op statistics are being collected.
    Else 0."""
    global _dispatch, _host_args_on_cpu, _host_kwargs
    if tracing_active():
        return 0
    if _dispatch is None:  # bound on first use: minpy.numpy imports after this module
        from minpy.numpy import _dispatch
        from minpy.numpy._dispatch import _host_args_on_cpu, _host_kwargs
    policy = _dispatch._policy  # (minpy.numpy.policy is the function of that name)
    if not policy.get_policy().host_fast or policy._recorder.active:
        return 0
    return get_ident()


_dispatch = _host_args_on_cpu = _host_kwargs = None


def _numpy_values(node, g):
    """``(ans, args, kwargs, g)`` of ``node`` with its Arrays as their NumPy host forms
    (handed out as shared), or ``None`` when a value is not host-resident on a CPU or
    is structured (a named tuple): the rule then gets the Arrays themselves. Runs once
    per node of such a pass: the common shapes (Arrays, scalars) are handled inline."""
    ans = node.ans
    t = type(ans)
    if t is Array:
        host = ans._host
        if host is None or ans._device.kind != "cpu":
            return None
        ans._shared = True
        ans = host
    elif t is tuple or t is list:
        hosts = _host_args_on_cpu(ans)[0]
        if hosts is None:
            return None
        ans = t(hosts)
    elif not isinstance(ans, (_onp.ndarray, _onp.generic, float, complex)):
        return None
    args = []
    for a in node.args:
        t = type(a)
        if t is Array:
            host = a._host
            if host is None or a._device.kind != "cpu":
                return None
            a._shared = True
            args.append(host)
        elif t is list or t is tuple:
            hosts = _host_args_on_cpu((a,))[0]
            if hosts is None:
                return None
            args.append(hosts[0])
        elif isinstance(a, (Array, Box)):
            return None
        else:
            args.append(a)
    t = type(g)
    if t is Array:
        host = g._host
        if host is None or g._device.kind != "cpu":
            return None
        g._shared = True
        g = host
    elif t is _MultiCT:
        if not all(isinstance(v, _onp.ndarray) for v in g.values()):
            return None
    kwargs = node.kwargs
    return ans, args, (_host_kwargs(kwargs) if kwargs else kwargs), g


def _array_vjps(node, g, mode):
    """:func:`_node_vjps` on the node's own values, with the namespace dispatching as
    usual (a custom rule, or values that are not host forms) inside a pass that runs
    the built-in rules on NumPy arrays (``mode``, the thread id; 0 outside one)."""
    if not mode:
        return _node_vjps(node, g, node.ans, node.args, node.kwargs)
    _dispatch.numpy_mode = 0
    try:
        if type(g) is _MultiCT:
            for k, v in g.items():
                g[k] = wrap(v)
        else:
            g = wrap(g)
        return _node_vjps(node, g, node.ans, node.args, node.kwargs)
    finally:
        _dispatch.numpy_mode = mode


def _builtin_rules(node):
    """Whether every rule ``node`` needs is built in (see :data:`NUMPY_RULES`)."""
    rule = VJPS.get(node.fun.primitive_name)
    if rule is None:
        return False
    for path in node.paths:
        if rule.get(path if type(path) is int else path[0]) not in NUMPY_RULES:
            return False
    return True


def node_vjps(node, g):
    """The cotangents of ``node``'s traced arguments (aligned with ``node.parents``)
    for its cotangent ``g``, computed as :func:`backward` computes them: its rules run on
    the NumPy host forms of its values where a first-order pass would (see
    :func:`_numpy_mode`), else on its Arrays. For tools that drive the rules one node at
    a time (``bench/bench_rules.py``, a compiler of the tape)."""
    mode = _numpy_mode()
    if not mode or not _builtin_rules(node):
        return _array_vjps(node, g, 0)
    vals = _numpy_values(node, g)
    before = _dispatch.numpy_mode
    _dispatch.numpy_mode = mode
    try:
        return (_node_vjps(node, vals[3], *vals[:3]) if vals is not None
                else _array_vjps(node, g, mode))
    finally:
        _dispatch.numpy_mode = before


def backward(root, g, free=False):
    """Propagate cotangent ``g`` from node ``root``; return ``{leaf node: cotangent}``
    for the input nodes reached. ``free=True`` clears each node's saved values after
    use (a tape used once)."""
    return backward_many([(root, g)], free)


def backward_many(roots, free=False):
    """:func:`backward` from several ``(node, cotangent)`` pairs at once (a function
    with several outputs); a node may be both a root and an ancestor of another."""
    # Count, for every reachable node, the edges from its consumers.
    pending = {}
    cts = {}
    for node, g in roots:
        cts[node] = _add(cts.get(node), g)
    stack = list(cts)
    while stack:
        node = stack.pop()
        for p in node.parents:
            c = pending.get(p)
            if c is None:
                pending[p] = 1
                if p not in cts:  # a root is on the stack already
                    stack.append(p)
            else:
                pending[p] = c + 1
    leaves = {}
    ready = [node for node in cts if node not in pending]
    mode = _numpy_mode()
    if not mode:
        return _backward_loop(ready, cts, pending, leaves, free, 0)
    # One slot for all threads (the namespace tests it on every call): a pass only ever
    # writes its own thread's id, and leaves 0 behind unless it is nested in a pass of
    # the same thread. A pass of another thread running at the same time may lose the
    # NumPy mode for the rest of its run (it then dispatches: slower, same values), but
    # no thread ever finds the mode on outside its own pass.
    before = _dispatch.numpy_mode
    _dispatch.numpy_mode = mode
    try:
        leaves = _backward_loop(ready, cts, pending, leaves, free, mode)
    finally:
        _dispatch.numpy_mode = mode if before == mode else 0
    # the inputs' cotangents leave as Arrays (NumPy results of this pass: wrapped
    # without a copy, a view copy-on-write)
    for node, ct in leaves.items():
        if isinstance(ct, (_onp.ndarray, _onp.generic)):
            leaves[node] = wrap(ct)
    return leaves


def _backward_loop(ready, cts, pending, leaves, free, mode):
    """The reverse sweep of :func:`backward_many` (``mode``: see :func:`_array_vjps`)."""
    while ready:
        node = ready.pop()
        g = cts.pop(node, None)
        parents = node.parents
        if not parents:
            if g is not None:
                leaves[node] = g
            continue
        if g is not None:
            if node.fun is _SELECT:
                p = parents[0]
                ct = cts.get(p)
                if ct is None:
                    ct = cts[p] = _MultiCT()
                k = node.args
                ct[k] = _add(ct.get(k), g)
            else:
                paths = node.paths
                if len(paths) == 1 and type(paths[0]) is int and type(g) is not _MultiCT:
                    # one traced argument (most nodes): its rule, without _node_vjps
                    rule = VJPS.get(node.fun.primitive_name)
                    maker = rule.get(paths[0]) if rule is not None else None
                    if maker is None:
                        raise _missing_rule(node, paths[0])
                    if mode and maker in NUMPY_RULES and (
                            vals := _numpy_values(node, g)) is not None:
                        ans, args, kwargs, g = vals
                        pg = maker(ans, *args, **kwargs)(g)
                    elif mode:
                        pg = _array_vjps(node, g, mode)[0]
                    else:
                        pg = maker(node.ans, *node.args, **node.kwargs)(g)
                    if pg is not None:
                        _accumulate(cts, parents[0], pg, mode)
                else:
                    vals = _numpy_values(node, g) if mode and _builtin_rules(node) else None
                    pgs = (_node_vjps(node, vals[3], *vals[:3]) if vals is not None
                           else _array_vjps(node, g, mode))
                    for p, pg in zip(parents, pgs):
                        if pg is not None:
                            _accumulate(cts, p, pg, mode)
        if free:
            node.args = node.kwargs = node.ans = None
            node.parents = ()
        for p in parents:
            c = pending[p] - 1
            pending[p] = c
            if c == 0:
                ready.append(p)
    return leaves


# -- HIPS Autograd's names for the same things (``autograd.tracer``) ----------------------
def isbox(x) -> bool:
    """Whether ``x`` is a traced value (HIPS Autograd's spelling of :func:`is_traced`)."""
    return isinstance(x, Box)


def getval(x):
    """``x`` with every level of tracing removed (HIPS Autograd's spelling)."""
    return unbox_all(x)


def notrace_primitive(f_raw):
    """``f_raw`` run on the values of its traced arguments and never recorded: for
    functions whose result carries no derivative (shapes, types, flags)."""
    @functools.wraps(f_raw)
    def f_wrapped(*args, **kwargs):
        return f_raw(*[unbox_all(a) for a in args], **kwargs)
    f_wrapped._is_primitive = True
    return f_wrapped
