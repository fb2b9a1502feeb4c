"""HIPS Autograd's ``autograd.core`` on MinPy's tape: vector spaces, the rule-definition
API (``defvjp``, ``defvjp_argnum``, ``defjvp``, ``def_linear``, ...) and the unary
``make_vjp(fun, x)`` / ``make_jvp(fun, x)``.

Rules are kept in MinPy's one table (:data:`minpy.autograd.tracer.VJPS`, keyed by the
primitive's name); :data:`primitive_vjps` views it keyed by the primitive itself, as
HIPS Autograd's dict is.

Forward rules. MinPy's forward mode needs no forward rules: it transposes the VJP
(:mod:`minpy.autograd.forward`). A JVP given with :func:`defjvp` and friends is kept in
:data:`primitive_jvps`; a primitive that has a JVP but no VJP for an argument gets the
VJP by transposing its JVP (the JVP is linear in its tangent, so its VJP is its
transpose: the JVP is traced as a function of the tangent and run backward). A JVP
written with ``minpy.numpy`` (or given as ``'same'``, or by :func:`def_linear`, whose
transposes trace the primitive's own body) thus serves both modes.
"""

from __future__ import annotations

import functools
import itertools
import warnings
from collections.abc import MutableMapping

import numpy as _onp

from minpy.core import Array
from minpy.core.tracing import Box, unbox_all

from . import api as _api
from . import forward as _forward
from .tracer import VJPS, _name_of
from .tracer import defvjp as _defvjp_rules
from .tracer import primitive as _primitive
from .util import subval

__all__ = ["make_vjp", "make_jvp", "vspace", "VSpace", "primitive", "primitive_vjps",
           "primitive_jvps", "defvjp", "defvjp_argnum", "defvjp_argnums", "defjvp",
           "defjvp_argnum", "defjvp_argnums", "def_linear", "SparseObject",
           "register_notrace"]


def _np():
    import minpy.numpy as np
    return np


# -- the unary operators -------------------------------------------------------------
def make_vjp(fun, x):
    """``(vjp, fun(x))``: ``vjp(g)`` pulls cotangent ``g`` back to ``x`` (reusable)."""
    return _api.make_vjp(fun)(x)


def make_jvp(fun, x):
    """``jvp`` with ``jvp(v) -> (fun(x), J v)``."""
    return _forward.make_jvp(fun)(x)


# -- vector spaces -----------------------------------------------------------------------
class VSpace:
    """The vector space a value lives in: what zeros, ones, random vectors, sums,
    scalings and inner products of such values are. Spaces are equal when their
    type and attributes (shape, dtype, element spaces) are."""

    mappings: dict = {}
    iscomplex = False

    def __init__(self, value):
        pass

    # -- differentiable operations (written in minpy.numpy: they trace) --
    def add(self, x_prev, x_new):
        return self._add(x_prev, x_new)

    def mut_add(self, x_prev, x_new):
        return self._add(self.zeros() if x_prev is None else x_prev, x_new)

    def scalar_mul(self, x, a):
        return self._scalar_mul(x, a)

    def inner_prod(self, x, y):
        return self._inner_prod(x, y)

    def covector(self, x):
        return self._covector(x)

    def _add(self, x, y):
        return x + y

    _mut_add = _add

    def _scalar_mul(self, x, a):
        return x * a

    def _covector(self, x):
        return x

    def _inner_prod(self, x, y):
        raise NotImplementedError(f"{type(self).__name__} has no inner product")

    def zeros(self):
        raise NotImplementedError

    def ones(self):
        raise NotImplementedError

    def randn(self):
        raise NotImplementedError

    def standard_basis(self):
        raise NotImplementedError

    def __eq__(self, other):
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __ne__(self, other):
        return not self == other

    __hash__ = None

    def __repr__(self):
        return f"{type(self).__name__}_{self.__dict__}"

    @classmethod
    def register(cls, value_type, vspace_maker=None):
        """Values of ``value_type`` live in ``vspace_maker(value)`` (default: ``cls``)."""
        VSpace.mappings[value_type] = vspace_maker or cls


class ArrayVSpace(VSpace):
    """Real arrays and scalars of one shape and dtype. Its vectors are MinPy Arrays."""

    def __init__(self, value):
        self.shape = tuple(_onp.shape(value)) if not isinstance(value, Array) else value.shape
        self.dtype = _dtype_of(value)

    @property
    def size(self):
        return int(_onp.prod(self.shape, dtype=_onp.int64))

    @property
    def ndim(self):
        return len(self.shape)

    def zeros(self):
        return _np().zeros(self.shape, self.dtype)

    def ones(self):
        return _np().ones(self.shape, self.dtype)

    def standard_basis(self):
        for idx in _onp.ndindex(*self.shape):
            v = _onp.zeros(self.shape, self.dtype)
            v[idx] = 1
            yield _np().array(v)

    def randn(self):
        return _np().array(_onp.asarray(_onp.random.randn(*self.shape)).astype(self.dtype))

    def _inner_prod(self, x, y):
        np = _np()
        return np.dot(np.ravel(x), np.ravel(y))


class ComplexArrayVSpace(ArrayVSpace):
    """Complex arrays: a real vector space of twice the size; the inner product is
    ``Re(sum(conj(x) * y))`` and a covector is the conjugate."""

    iscomplex = True

    @property
    def size(self):
        return 2 * super().size

    def ones(self):
        return _np().array(_onp.full(self.shape, 1 + 1j, self.dtype))

    def standard_basis(self):
        for idx in _onp.ndindex(*self.shape):
            for unit in (1.0, 1.0j):
                v = _onp.zeros(self.shape, self.dtype)
                v[idx] = unit
                yield _np().array(v)

    def randn(self):
        re = _onp.random.randn(*self.shape)
        im = _onp.random.randn(*self.shape)
        return _np().array(_onp.asarray(re + 1j * im).astype(self.dtype))

    def _inner_prod(self, x, y):
        np = _np()
        return np.real(np.dot(np.conj(np.ravel(x)), np.ravel(y)))

    def _covector(self, x):
        return _np().conj(x)


def _dtype_of(value):
    if isinstance(value, (Array, _onp.ndarray, _onp.generic)):
        return _onp.dtype(value.dtype)
    return _onp.result_type(value)


def _array_vspace(value):
    return ComplexArrayVSpace(value) if _dtype_of(value).kind == "c" else ArrayVSpace(value)


class ContainerVSpace(VSpace):
    """Lists, tuples, dicts and named tuples of values: the direct sum of the elements'
    spaces. ``shape`` is the container of the element spaces."""

    def __init__(self, value):
        self.shape = self._map_values(vspace, value)

    @property
    def size(self):
        return sum(vs.size for vs in self._values(self.shape))

    def zeros(self):
        return self._map(lambda vs: vs.zeros())

    def ones(self):
        return self._map(lambda vs: vs.ones())

    def randn(self):
        return self._map(lambda vs: vs.randn())

    def standard_basis(self):
        zero = self.zeros()
        for key, vs in self._items(self.shape):
            for x in vs.standard_basis():
                yield self._subval(zero, key, x)

    def _add(self, xs, ys):
        return self._map(lambda vs, x, y: vs._add(x, y), xs, ys)

    _mut_add = _add

    def _scalar_mul(self, xs, a):
        return self._map(lambda vs, x: vs._scalar_mul(x, a), xs)

    def _inner_prod(self, xs, ys):
        return sum(self._values(self._map(lambda vs, x, y: vs._inner_prod(x, y), xs, ys)))

    def _covector(self, xs):
        return self._map(lambda vs, x: vs._covector(x), xs)


class SequenceVSpace(ContainerVSpace):
    seq_type = tuple

    def __init__(self, value):
        self.seq_type = type(value)
        super().__init__(value)

    def _values(self, x):
        return x

    def _items(self, x):
        return enumerate(x)

    def _build(self, items):
        return self.seq_type(items)

    def _map_values(self, f, value):
        return self._build([f(v) for v in value])

    def _map(self, f, *args):
        return self._build([f(vs, *[x[i] for x in args]) for i, vs in enumerate(self.shape)])

    def _subval(self, xs, idx, x):
        return self._build(subval(xs, idx, x))


class ListVSpace(SequenceVSpace):
    pass


class TupleVSpace(SequenceVSpace):
    pass


class NamedTupleVSpace(SequenceVSpace):
    def _build(self, items):
        return self.seq_type(*items)


class DictVSpace(ContainerVSpace):
    def _values(self, x):
        return x.values()

    def _items(self, x):
        return x.items()

    def _map_values(self, f, value):
        return {k: f(v) for k, v in value.items()}

    def _map(self, f, *args):
        return {k: f(vs, *[x[k] for x in args]) for k, vs in self.shape.items()}

    def _subval(self, xs, idx, x):
        out = dict(xs)
        out[idx] = x
        return out


_FLOATS = (float, complex, _onp.floating, _onp.complexfloating)


def vspace(value):
    """The :class:`VSpace` of ``value``: an Array, NumPy array or float scalar (of any
    dtype, as in HIPS Autograd), a list, tuple, named tuple or dict of such values, a
    traced value (its value's space), or a type given to :meth:`VSpace.register`.
    Anything else raises TypeError."""
    maker = VSpace.mappings.get(type(value))
    if maker is not None:
        return maker(value)
    if isinstance(value, Box):
        return vspace(unbox_all(value))
    if isinstance(value, (Array, _onp.ndarray)) or (
            isinstance(value, _FLOATS) and not isinstance(value, bool)):
        return _array_vspace(value)
    t = type(value)
    if t is list:
        return ListVSpace(value)
    if t is tuple:
        return TupleVSpace(value)
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return NamedTupleVSpace(value)
    if t is dict:
        return DictVSpace(value)
    raise TypeError(f"Can't find vector space for value {value!r} of type {t}. Valid types "
                    "are arrays, float and complex scalars, and lists, tuples and dicts "
                    "of them")


# -- sparse gradients --------------------------------------------------------------------
class SparseObject:
    """A gradient given as ``mut_add(x) -> x + self`` over a vector space ``vs`` (HIPS
    Autograd's sparse cotangent). MinPy makes it dense (``mut_add(vs.zeros())``) when a
    rule returns one."""

    __slots__ = ("vs", "mut_add")

    def __init__(self, vs, mut_add):
        self.vs = vs
        self.mut_add = mut_add


def _dense(g):
    return g.mut_add(g.vs.zeros()) if isinstance(g, SparseObject) else g


# -- primitives ----------------------------------------------------------------------------
_DEPRECATED = ("The {} method is deprecated; use minpy.autograd.extend.defvjp "
               "(HIPS Autograd's update guide describes the change)")


def primitive(f_raw=None, *, name=None):
    """Make ``f_raw`` a primitive (its calls are recorded; give it rules with
    :func:`defvjp`). Usable as ``@primitive`` or ``@primitive(name='mylib.op')``.
    HIPS Autograd's deprecated methods ``.defvjp``, ``.defgrad`` and
    ``.defvjp_is_zero`` are attached, and ``.fun`` is ``f_raw``."""
    if f_raw is None:
        return lambda f: primitive(f, name=name)
    f = _primitive(f_raw, name=name)
    makers = {}

    def define(argnum, maker):
        makers[argnum] = maker
        nums = sorted(makers)
        defvjp(f, *[makers[i] for i in nums], argnums=nums)

    def defgrad(gradmaker, argnum=0):
        warnings.warn(_DEPRECATED.format("defgrad"), stacklevel=2)
        define(argnum, gradmaker)

    def old_defvjp(vjpfun, argnum=0):
        warnings.warn(_DEPRECATED.format("defvjp"), stacklevel=2)

        def maker(ans, *args, **kwargs):
            def vjp(g):
                return vjpfun(g, ans, vspace(args[argnum]), vspace(g), *args, **kwargs)
            return vjp
        define(argnum, maker)

    def defvjp_is_zero(argnums=(0,)):
        warnings.warn(_DEPRECATED.format("defvjp_is_zero"), stacklevel=2)
        for i in argnums:
            define(i, None)

    f.defgrad, f.defvjp, f.defvjp_is_zero = defgrad, old_defvjp, defvjp_is_zero
    f.fun = f_raw
    return f


# -- reverse rules ------------------------------------------------------------------------
def _zero_maker(ans, *args, **kwargs):
    return _no_gradient


def _no_gradient(g):
    return None  # the backward pass adds nothing for this argument


def _checked(maker):
    """``maker`` whose gradients may be HIPS sparse objects (made dense)."""
    def checked(ans, *args, **kwargs):
        vjp = maker(ans, *args, **kwargs)
        return lambda g: _dense(vjp(g))
    return checked


def defvjp(fun, *vjpmakers, argnums=None, **kwargs):
    """Define the VJPs of primitive ``fun``: ``vjpmakers[i]`` is ``maker(ans, *args,
    **kwargs) -> (g -> gradient)`` for argument ``argnums[i]`` (default ``0, 1, ...``);
    ``None`` means the gradient is zero. Rules for other arguments are kept."""
    if kwargs:
        raise TypeError(f"defvjp got unexpected keyword arguments {sorted(kwargs)}")
    argnums = range(len(vjpmakers)) if argnums is None else tuple(argnums)
    makers = []
    for i, m in zip(argnums, vjpmakers):
        if m is None:
            makers.append(_zero_maker)
        elif callable(m):
            makers.append(_checked(m))
        else:
            raise TypeError(f"defvjp: bad VJP {m!r} for {_name_of(fun)} (argument {i})")
    _defvjp_rules(fun, *makers, argnums=list(argnums)[:len(makers)])
    return fun


class _ArgnumRules(dict):
    """A rule table answering every argnum from one ``vjpmaker(argnum, ans, args,
    kwargs)`` (:func:`defvjp_argnum`), or from one ``vjpmaker(argnums, ans, args,
    kwargs)`` returning every gradient at once (:func:`defvjp_argnums`)."""

    def __init__(self, vjpmaker, joint):
        super().__init__()
        self.vjpmaker, self.joint = vjpmaker, joint

    def get(self, argnum, default=None):
        made = dict.get(self, argnum)
        if made is None:
            made = self[argnum] = self._for(argnum)
        return made

    def _for(self, argnum):
        vjpmaker, joint = self.vjpmaker, self.joint

        def maker(ans, *args, **kwargs):
            if joint:
                vjp = vjpmaker((argnum,), ans, args, kwargs)
                return lambda g: _dense(next(iter(vjp(g))))
            vjp = vjpmaker(argnum, ans, args, kwargs)
            return lambda g: _dense(vjp(g))
        return maker


def defvjp_argnum(fun, vjpmaker):
    """Define every argument's VJP of ``fun`` by one ``vjpmaker(argnum, ans, args,
    kwargs) -> (g -> gradient)``."""
    VJPS[_name_of(fun)] = _ArgnumRules(vjpmaker, joint=False)
    return fun


def defvjp_argnums(fun, vjpmaker):
    """Define the VJPs of ``fun`` by one ``vjpmaker(argnums, ans, args, kwargs) -> (g ->
    gradients for argnums)``."""
    VJPS[_name_of(fun)] = _ArgnumRules(vjpmaker, joint=True)
    return fun


class _PrimitiveVJPs(MutableMapping):
    """HIPS Autograd's ``primitive_vjps``: the rule table keyed by primitive (MinPy
    keys it by the primitive's name; this is a view of it)."""

    def __getitem__(self, fun):
        return VJPS[_key(fun)]

    def __setitem__(self, fun, rules):
        VJPS[_key(fun)] = rules if isinstance(rules, dict) else _ArgnumRules(rules, True)

    def __delitem__(self, fun):
        del VJPS[_key(fun)]

    def __iter__(self):
        return iter(VJPS)

    def __len__(self):
        return len(VJPS)


def _key(fun):
    try:
        return _name_of(fun)
    except TypeError:
        raise KeyError(fun) from None


primitive_vjps = _PrimitiveVJPs()

# -- forward rules ------------------------------------------------------------------------
#: primitive name -> {argnum: jvp(g, ans, *args, **kwargs)}, or a joint rule
primitive_jvps: dict = {}


def _raw(fun):
    """The undecorated body of primitive ``fun``."""
    return getattr(fun, "raw_function", fun)


def _transposed(fun, argnum, jvp):
    """The VJP maker of argument ``argnum`` of ``fun`` obtained by transposing
    ``jvp(g, ans, *args, **kwargs)``, linear in ``g``."""
    def maker(ans, *args, **kwargs):
        def vjp(g):
            def along(t):
                return jvp(t, ans, *args, **kwargs)
            back, _ = _api.make_vjp(along)(vspace(args[argnum]).zeros())
            return back(g)
        return vjp
    return maker


def _translate_jvp(fun, argnum, jvpfun):
    if jvpfun is None:
        return lambda g, ans, *args, **kwargs: vspace(ans).zeros()
    if jvpfun == "same":
        raw = _raw(fun)
        return lambda g, ans, *args, **kwargs: raw(*subval(args, argnum, g), **kwargs)
    if callable(jvpfun):
        return jvpfun
    raise TypeError(f"defjvp: bad JVP {jvpfun!r} for {_name_of(fun)}")


def _add_transposes(fun, jvps):
    """Give ``fun`` a VJP, transposed from its JVP, for each argument without one."""
    name = _name_of(fun)
    rules = VJPS.get(name)
    if isinstance(rules, _ArgnumRules):
        return
    missing = [i for i in jvps if rules is None or rules.get(i) is None]
    if missing:
        _defvjp_rules(fun, *[_transposed(fun, i, jvps[i]) for i in missing], argnums=missing)


def defjvp(fun, *jvpfuns, argnums=None):
    """Define the JVPs of primitive ``fun``: ``jvpfuns[i]`` is ``jvp(g, ans, *args,
    **kwargs)`` for argument ``argnums[i]``, or ``'same'`` (``fun`` is linear in it), or
    ``None`` (zero)."""
    argnums = itertools.count() if argnums is None else argnums
    table = primitive_jvps.setdefault(_name_of(fun), {})
    for i, j in zip(argnums, jvpfuns):
        table[i] = _translate_jvp(fun, i, j)
    _add_transposes(fun, table)
    return fun


def defjvp_argnum(fun, jvpmaker):
    """Define every argument's JVP of ``fun`` by ``jvpmaker(argnum, g, ans, args,
    kwargs)``."""
    name = _name_of(fun)

    class _AllArgs(dict):
        def __missing__(self, i):
            jvp = self[i] = functools.partial(_argnum_jvp, jvpmaker, i)
            return jvp
    primitive_jvps[name] = _AllArgs()
    if name not in VJPS:
        defvjp_argnum(fun, lambda i, ans, args, kwargs: _transposed(
            fun, i, primitive_jvps[name][i])(ans, *args, **kwargs))
    return fun


def _argnum_jvp(jvpmaker, argnum, g, ans, *args, **kwargs):
    return jvpmaker(argnum, g, ans, args, kwargs)


def defjvp_argnums(fun, jvpmaker):
    """Define the JVP of ``fun`` by ``jvpmaker(argnums, gs, ans, args, kwargs)`` (the
    sum of the directional derivatives along every ``g`` of ``gs``)."""
    return defjvp_argnum(fun, lambda i, g, ans, args, kwargs: jvpmaker(
        (i,), (g,), ans, args, kwargs))


def register_notrace(trace_type, primitive_fun):
    """Make ``primitive_fun``'s result a constant for differentiation (HIPS Autograd
    skips recording it for nodes of ``trace_type``; MinPy has one node type and records
    it with a zero gradient for every argument, which differentiates the same)."""
    VJPS[_name_of(primitive_fun)] = _ArgnumRules(
        lambda argnum, ans, args, kwargs: _no_gradient, joint=False)
    return primitive_fun


def def_linear(fun):
    """Declare ``fun`` linear in each of its arguments: its JVP along argument ``i`` is
    ``fun`` with ``g`` in place of that argument, and its VJP that map's transpose."""
    raw = _raw(fun)
    return defjvp_argnum(fun, lambda i, g, ans, args, kwargs: raw(
        *subval(args, i, g), **kwargs))
