"""Where an :class:`~minpy.core.Array` finds the functions behind its operators and
methods.

``x + y`` calls ``lookup('add')(x, y)``; ``x.sum(axis=0)`` calls
``lookup('sum')(x, axis=0)``; ``x[i]`` calls ``lookup('getitem')(x, i)``. Core itself
knows no backend policy: until a namespace registers a resolver (``minpy.numpy`` does
when imported), names resolve to NumPy run on the host form. This keeps the direction
of imports: ``minpy.numpy`` plugs into core, never the reverse.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np

from . import _handoff, convert
from ._views import check_traced_write
from .tracing import Box

__all__ = ["lookup", "set_resolver", "host_function", "ArrayMethods", "ARRAY_METHODS"]

_resolver = None
_cache: dict[str, object] = {}

# Names the Array uses that are not NumPy functions, and their host meaning.
_SPECIAL = {
    "getitem": lambda a, key: a[key],
    "astype": lambda a, dtype, **kw: a.astype(dtype, **kw),
}


def _numpy_attr(name: str):
    obj = np
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def host_function(name: str):
    """``name`` (``'add'``, ``'linalg.inv'``, ``'getitem'``) as NumPy on host forms,
    returning Arrays: core's meaning of an operator when no namespace is loaded."""
    special = _SPECIAL.get(name)
    fn = special or _numpy_attr(name)
    # MinPy's own lambdas and ufuncs write nothing but out=: their buffers go as they are
    trusted = special is not None or isinstance(fn, np.ufunc)

    def on_host(*args, **kwargs):
        # NumPy's views of an argument join its view family; writers are declared.
        return _handoff.call(fn, args, kwargs, None, trusted=trusted, name=name)

    on_host.__name__ = name
    return on_host


def set_resolver(resolver) -> None:
    """Install ``resolver(name) -> function`` (or ``None`` to go back to NumPy)."""
    global _resolver
    _resolver = resolver
    _cache.clear()


def lookup(name: str):
    """The function that implements ``name`` for Arrays."""
    fn = _cache.get(name)
    if fn is None:
        fn = _resolver(name) if _resolver is not None else None
        if fn is None:
            fn = host_function(name)
        _cache[name] = fn
    return fn


class ArrayMethods:
    """The operators and methods an Array shares with a traced value
    (``minpy.autograd.ArrayBox``): each one calls the namespace function of its name,
    so a tracer sees it. A subclass provides :meth:`_replace_with` (take a result's data
    in place of its own: in-place operators, :meth:`sort`) and may refuse an in-place
    operand in :meth:`_check_inplace_operand`."""

    __slots__ = ()

    def _replace_with(self, result) -> None:
        raise NotImplementedError

    def _check_inplace_operand(self, name, other) -> None:
        """Raise if ``self <name>= other`` cannot be done correctly."""

    def _inplace(self, name, other=None, unary=False, depth=2):
        """``self op= other`` with NumPy's rules: the result keeps ``self``'s shape and
        dtype, a 'same_kind' cast, and the object itself is updated. ``unary``: the op
        takes ``self`` alone (``a **= 2`` is ``square``, as in NumPy)."""
        self._check_inplace_operand(name, other)
        if isinstance(self, Box) and not self._absorbs_writes:
            # frame ``depth``: the code running 'self op= other' (-> method -> _inplace)
            check_traced_write(self, other, sys._getframe(depth))
        operands = (self,) if unary else (self, other)
        try:
            result = lookup(name)(*operands)
        except (ValueError, TypeError, NotImplementedError):
            # NumPy checks the output's cast first: its casting error wins (over a
            # broadcasting error, and over a strict policy's "cannot run this call")
            _casting_verdict(name, self, operands)
            raise
        if result.dtype != self.dtype:
            if not np.can_cast(result.dtype, self.dtype, casting="same_kind"):
                _casting_verdict(name, self, operands)
                raise TypeError(
                    f"Cannot cast ufunc '{name}' output from {result.dtype!r} to "
                    f"{self.dtype!r} with casting rule 'same_kind'")
        if result.shape != self.shape:
            raise ValueError(
                f"non-broadcastable output operand with shape {self.shape} doesn't match "
                f"the broadcast shape {result.shape}")
        if result.dtype != self.dtype:
            result = lookup("astype")(result, self.dtype)
        self._replace_with(result)
        return self

    def __pow__(self, other):
        """``self ** other``: NumPy's operator, which computes ``** 2`` as ``square``,
        ``** 0.5`` as ``sqrt`` (and, by NumPy version and dtype, a few more) rather than
        ``power``: their dtypes and special values differ (``bool ** 2`` is int8,
        ``-inf ** 0.5`` nan)."""
        plan = _scalar_power(self, other)
        if plan is None:
            return lookup("power")(self, other)
        cast, name = plan
        return lookup(name)(self if cast is None else lookup("astype")(self, cast))

    def __ipow__(self, other):
        plan = _scalar_power(self, other, inplace=True)
        if plan is None:
            return self._inplace("power", other, depth=2)
        return self._inplace(plan[1], other, unary=True, depth=2)

    @property
    def T(self):
        return lookup("transpose")(self)

    @property
    def real(self):
        return lookup("real")(self)

    @property
    def imag(self):
        return lookup("imag")(self)

    @property
    def flat(self):
        return iter(lookup("ravel")(self))

    def __getitem__(self, key):
        return lookup("getitem")(self, key)

    def reshape(self, *shape, order="C", copy=None):
        """As :meth:`numpy.ndarray.reshape`; ``copy=True`` always copies, ``copy=False``
        raises ValueError where the result cannot be a view (NumPy 2.1's ``copy``)."""
        if len(shape) == 1:
            shape = shape[0]
        # order="C" is the function's default: pass it on only when it is not (MXNet's
        # reshape takes no order, and would send every method call to NumPy).
        kw = {} if order == "C" else {"order": order}
        if copy:
            return lookup("copy")(lookup("reshape")(self, shape, **kw))
        out = lookup("reshape")(self, shape, **kw)
        if copy is False and out is not self and not _shares_buffer(out, self):
            raise ValueError("Unable to avoid creating a copy while reshaping.")
        return out

    def transpose(self, *axes):
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = axes[0]
        return lookup("transpose")(self, axes or None)

    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
        """As :meth:`numpy.ndarray.astype` (``copy=False``: ``self`` when no cast is
        needed)."""
        if not copy and np.dtype(dtype) == self.dtype and order in ("K", "A"):
            return self
        kwargs = {k: v for k, v in (("order", order), ("casting", casting))
                  if v != {"order": "K", "casting": "unsafe"}[k]}
        return lookup("astype")(self, dtype, **kwargs)

    def flatten(self, order="C"):
        return lookup("copy")(lookup("ravel")(self, order=order))

    def sort(self, axis=-1, kind=None, order=None, *, stable=None):
        """Sort in place, as :meth:`numpy.ndarray.sort`."""
        if isinstance(self, Box) and not self._absorbs_writes:
            check_traced_write(self)
        # only the keywords given: MXNet's sort takes none but axis (a default
        # kind=None sent every call, even under 'only_mxnet', to NumPy)
        kw = {k: v for k, v in (("kind", kind), ("order", order), ("stable", stable))
              if v is not None}
        self._replace_with(lookup("sort")(self, axis=axis, **kw))

    def fill(self, value):
        self[...] = value

    def nonzero(self):
        return lookup("nonzero")(self)

    def compress(self, condition, axis=None, out=None):
        kw = {} if out is None else {"out": out}  # the array is np.compress's 2nd argument
        return lookup("compress")(condition, self, axis=axis, **kw)

    def dot(self, b, out=None):
        if out is not None:
            return lookup("dot")(self, b, out=out)
        return lookup("dot")(self, b)

    def view(self, dtype=None, type=None):  # noqa: A002 (NumPy's parameter names)
        """``x.view()`` of a traced value: a view of the same values, which the tracer
        follows as ``reshape`` to its own shape (an Array's own :meth:`view` lives in
        ``_surface``). Reading the bytes as another dtype or type is not an operation on
        values: a TypeError names it. (Missing on traced values until the program
        fuzzer found it: ``x.view()`` raised AttributeError under ``grad`` and ``jit``.)"""
        if dtype is not None or type is not None:
            raise TypeError("view(dtype) of a traced value reinterprets its bytes, which "
                            "neither a gradient nor a captured program can follow; use "
                            "astype, or view the value outside the traced function")
        return lookup("reshape")(self, self.shape)

    def __copy__(self):
        return lookup("copy")(self)

    def __deepcopy__(self, memo):
        return lookup("copy")(self)


def _casting_verdict(name, target, operands) -> None:
    """Raise NumPy's own exception if ``target <name>= ...`` fails its output cast:
    NumPy's ufunc on one-element stand-ins of the operands' dtypes and dimensions."""
    ufunc = getattr(np, name, None)
    if not isinstance(ufunc, np.ufunc):
        return

    def stand_in(x):
        from .tracing import unbox_all
        x = unbox_all(x)
        if isinstance(x, (convert.Array, np.ndarray)):
            return np.ones((1,) * x.ndim, dtype=x.dtype)
        return x
    try:
        probes = [stand_in(x) for x in operands]
        out = np.ones(np.broadcast_shapes(*[np.shape(p) for p in probes]), target.dtype)
        with np.errstate(all="ignore"):
            ufunc(*probes, out=out)  # NumPy checks the output's cast before the values
    except TypeError:
        raise
    except Exception:  # noqa: BLE001 (only the casting verdict is wanted here)
        return


#: (dtype, type, exponent) -> NumPy's ``**`` plan: ``None`` (``power``) or (cast, name).
_POWER_PLANS: dict = {}
_MISSING = object()


def _scalar_power(x, exponent, inplace=False):
    """How NumPy computes ``x ** exponent`` (``x **= exponent`` with ``inplace``) for a
    Python scalar exponent NumPy's operator special-cases (-1, 0, 0.5, 1, 2): ``None``
    for ``power``, or ``(cast, name)``: the unary ufunc ``name`` on ``x`` (cast to
    ``cast`` first, unless None). Found once per dtype and exponent by running NumPy's
    operator on probe values, so it follows the NumPy in use (the special cases changed
    between versions)."""
    t = type(exponent)
    if (t is not int and t is not float) or exponent not in (-1, 0, 0.5, 1, 2):
        return None
    dtype = x.dtype
    key = (dtype, t, exponent, inplace)
    plan = _POWER_PLANS.get(key, _MISSING)
    if plan is _MISSING:
        plan = _POWER_PLANS[key] = (_probe_inplace_power if inplace else _probe_power)(
            np.dtype(dtype), exponent)
    return plan


def _probe_values(dtype):
    if dtype.kind in "fc":
        return np.array([-np.inf, -0.0, 0.0, 2.0, -2.0, 0.5, np.nan], dtype=dtype)
    if dtype.kind == "b":
        return np.array([True, False])
    if dtype.kind in "iu":
        return np.array([2, 3, 0, 1] + ([-2] if dtype.kind == "i" else []), dtype=dtype)
    return None


_UNARY = ("square", "sqrt", "reciprocal", "positive", "ones_like")


def _probe_inplace_power(dtype, exponent):
    """:func:`_scalar_power` for ``x **= exponent``: NumPy's in-place operator writes
    the special case's result into ``x`` (NumPy 1: ``int8 **= 2.0`` is ``square``,
    where ``int8 ** 2.0`` is a float64 square)."""
    probe = _probe_values(dtype)
    if probe is None:
        return None
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = probe.copy()
        try:
            want **= exponent
        except Exception:  # noqa: BLE001 (a casting error: the out-of-place op's name)
            plan = _probe_power(dtype, exponent)
            return plan if plan is not None and plan[0] is None else None
        if _same(want, _try(_into, probe, np.power, exponent)):
            return None
        for name in _UNARY:
            if _same(want, _try(_into, probe, getattr(np, name))):
                return None, name
    return None


def _into(probe, fn, *args):
    """``fn(copy, *args, out=copy)``: an in-place result, with NumPy's cast rule."""
    p = probe.copy()
    if isinstance(fn, np.ufunc):
        fn(p, *args, out=p)
    else:  # ones_like: not a ufunc in NumPy 2
        np.copyto(p, fn(p, *args), casting="same_kind")
    return p


def _probe_power(dtype, exponent):
    probe = _probe_values(dtype)
    if probe is None:
        return None
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            want = probe ** exponent
        except Exception:  # noqa: BLE001 (power raises the same: nothing special here)
            return None
        if _same(want, _try(np.power, probe, exponent)):
            return None
        for cast in (None, np.dtype(np.float64)):
            p = probe if cast is None else probe.astype(cast)
            for name in _UNARY:
                if _same(want, _try(getattr(np, name), p)):
                    return cast, name
    return None


def _try(fn, *args):
    try:
        return fn(*args)
    except Exception:  # noqa: BLE001 (not this candidate)
        return None


def _same(a, b) -> bool:
    """Same dtype, values, NaNs and signs of zero."""
    if not isinstance(a, np.ndarray) or not isinstance(b, np.ndarray) or (
            a.dtype != b.dtype or a.shape != b.shape):
        return False
    if not np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"):
        return False
    if a.dtype.kind == "c":
        return _same(a.real.copy(), b.real.copy()) and _same(a.imag.copy(), b.imag.copy())
    return a.dtype.kind != "f" or bool((np.signbit(a) == np.signbit(b)).all())


def _shares_buffer(a, b) -> bool:
    """Whether two arrays (or traced values) are views of one view family."""
    from .tracing import unbox_all
    a, b = unbox_all(a), unbox_all(b)
    va, vb = getattr(a, "_view", None), getattr(b, "_view", None)
    return va is not None and vb is not None and va.fam is vb.fam


def _binary(name, reflected=False):
    if reflected:
        def method(self, other):
            return lookup(name)(other, self)
    else:
        def method(self, other):
            return lookup(name)(self, other)
    return method


def _unary(name):
    def method(self):
        return lookup(name)(self)
    return method


def _inplace(name):
    def method(self, other):
        return self._inplace(name, other)
    return method


def _method(name):
    def method(self, *args, **kwargs):
        return lookup(name)(self, *args, **kwargs)
    method.__name__ = name
    method.__doc__ = f"Same as ``minpy.numpy.{name}(self, ...)``."
    return method


_BINARY = {
    "add": "add", "sub": "subtract", "mul": "multiply", "truediv": "true_divide",
    "floordiv": "floor_divide", "mod": "remainder", "pow": "power", "matmul": "matmul",
    "and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor",
    "lshift": "left_shift", "rshift": "right_shift",
}
for _short, _fn in {**_BINARY, "divmod": "divmod"}.items():
    if _short != "pow":
        setattr(ArrayMethods, f"__{_short}__", _binary(_fn))
    setattr(ArrayMethods, f"__r{_short}__", _binary(_fn, reflected=True))
for _short, _fn in _BINARY.items():
    if _short != "pow":  # ArrayMethods.__pow__/__ipow__: NumPy's special exponents
        setattr(ArrayMethods, f"__i{_short}__", _inplace(_fn))
def _equality(name):
    """``==``/``!=``: like ``ndarray.__eq__``, never an error for operands the ufunc has
    no loop for (``x == 'abc'`` is all-False in NumPy 2, ``False`` in NumPy 1)."""
    dunder = "__eq__" if name == "equal" else "__ne__"

    def method(self, other):
        try:
            return lookup(name)(self, other)
        except TypeError:
            # NumPy's own operator on the plain values decides: the result it gives for
            # a failed comparison, or the exception it raises.
            from .tracing import unbox_all
            host = np.asarray(convert.to_host(unbox_all(self)))
            return convert.wrap(getattr(host, dunder)(convert.to_host(unbox_all(other))))
    method.__name__ = dunder
    return method


for _short, _fn in {"lt": "less", "le": "less_equal", "gt": "greater",
                    "ge": "greater_equal"}.items():
    setattr(ArrayMethods, f"__{_short}__", _binary(_fn))
ArrayMethods.__eq__ = _equality("equal")
ArrayMethods.__ne__ = _equality("not_equal")
for _short, _fn in {"neg": "negative", "pos": "positive", "abs": "absolute",
                    "invert": "invert"}.items():
    setattr(ArrayMethods, f"__{_short}__", _unary(_fn))

#: ndarray methods that are the NumPy function of the same name applied to ``self``.
ARRAY_METHODS = (
    "all", "any", "argmax", "argmin", "argpartition", "argsort", "choose", "clip", "conj",
    "conjugate", "copy", "cumprod", "cumsum", "diagonal", "max",
    "mean", "min", "prod", "ptp", "ravel", "repeat", "round", "searchsorted", "squeeze",
    "std", "sum", "swapaxes", "take", "trace", "var",
)
for _name in ARRAY_METHODS:
    setattr(ArrayMethods, _name, _method(_name))


def _conjugate(name):
    def method(self):
        """As :meth:`numpy.ndarray.conj`: the complex conjugate of a complex array, and
        the array itself for a real one (NumPy's method returns ``self``: its function
        would promote bool to int8)."""
        if self.dtype.kind == "c":
            return lookup(name)(self)
        if self.dtype.kind not in "biuf":
            raise TypeError("cannot conjugate non-numeric dtype")
        return self
    method.__name__ = name
    return method


ArrayMethods.conj = _conjugate("conj")
ArrayMethods.conjugate = _conjugate("conjugate")
