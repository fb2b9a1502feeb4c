"""Argument checks run before MXNet sees a call: no argument may kill the interpreter.

MXNet 1.9.1 trusts its parameters: ``zeros(None)`` and ``moveaxis(a, -3, 0)`` on a 2-D
array segfault, ``random.randint(0)`` dies of SIGFPE, a dimension of ``10**10`` wraps to
``1410065408`` and ``2**64`` to ``0``, ``take`` clips out-of-range indices, ``stack``
pastes arrays of different shapes. :func:`check` looks at one call's arguments and
returns why MXNet must not run it (``None`` when it may); the call then runs in NumPy,
which raises NumPy's own exception for a bad argument (or computes a valid call MXNet
cannot). The checks are per op (a table keyed by the op's name) plus one generic rule
for every op: array operands are arrays or plain scalars, every other parameter is made
of ``None``, bools, ints MXNet holds (32-bit), floats, strings and dtypes.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from minpy.core import Array
from minpy.core.dtypes import mx_holdable

__all__ = ["check", "domain_check"]

_INT32 = 2 ** 31
_MAX_SIZE = 2 ** 31     # MXNet's wheel indexes elements with int32
_SCALAR_TYPES = (bool, int, float)


def _is_array(x):
    return isinstance(x, (Array, np.ndarray))


def _param_ok(v, depth=0):
    """A parameter MXNet parses safely: None, bool, 32-bit int, float, str, dtype, or a
    short list/tuple of those."""
    t = type(v)
    if v is None or t is bool or t is float or t is str:
        return True
    if t is int:
        return -_INT32 < v < _INT32
    if isinstance(v, np.integer):
        return -_INT32 < int(v) < _INT32
    if isinstance(v, np.floating) or isinstance(v, np.bool_):
        return True
    if isinstance(v, (np.dtype, type)) or v is Ellipsis:
        return True
    if t is slice:
        return all(_param_ok(e, depth + 1) for e in (v.start, v.stop, v.step))
    if (t is tuple or t is list) and depth < 2 and len(v) <= 64:
        return all(_param_ok(e, depth + 1) for e in v)
    return False


def _operand_ok(x):
    """An array operand MXNet may see: an array MXNet holds or a plain real scalar."""
    if isinstance(x, Array):
        return True
    if isinstance(x, np.ndarray):
        return mx_holdable(x.dtype)
    t = type(x)
    if t is bool or t is float or t is complex:  # complex: the plan rejects its dtype
        return True
    if t is int:
        return -2 ** 63 <= x < 2 ** 63
    if isinstance(x, np.generic):
        return mx_holdable(x.dtype)
    return False


def _int(v):
    """``v`` as an int if it is one (not a bool, not an Array: reading an Array's value
    would copy it off its device), else ``None``."""
    if type(v) is bool or isinstance(v, (np.bool_, Array)):
        return None
    try:
        return operator.index(v)
    except TypeError:
        return None


def _arg(args, kwargs, pos, name, default=None):
    if len(args) > pos:
        return args[pos]
    return kwargs.get(name, default)


# -- shapes and axes ------------------------------------------------------------------
def shape_reason(shape, what="shape"):
    """Why ``shape`` is not a shape MXNet makes exactly (``None`` when it is)."""
    if shape is None:
        return f"{what} None"
    dims = (shape,) if _int(shape) is not None else shape
    if type(dims) not in (tuple, list):
        return f"{what} of type {type(shape).__name__}"
    size = 1
    for d in dims:
        d = _int(d)
        if d is None:
            return f"{what} {shape!r} has a non-integer dimension"
        if d < 0 or d >= _INT32:
            return f"{what} {shape!r} has dimension {d} (MXNet: 0 <= d < 2**31)"
        size *= d
    if len(dims) > 32:
        return f"{what} {shape!r} has more than 32 dimensions"
    if size >= _MAX_SIZE:
        return f"{what} {shape!r} has {size} elements (MXNet: < 2**31)"
    return None


def _axes(axis, ndim, tuple_ok=True, none_ok=True):
    """The normalised axes of ``axis`` for an array of ``ndim`` dimensions, or ``None``
    when ``axis`` is not a valid axis argument (out of range, repeated, not ints)."""
    if axis is None:
        return tuple(range(ndim)) if none_ok else None
    single = _int(axis)
    if single is not None:
        items = (single,)
    elif tuple_ok and type(axis) in (tuple, list):
        items = tuple(_int(a) for a in axis)
        if any(a is None for a in items):
            return None
    else:
        return None
    out = []
    for a in items:
        if not -ndim <= a < ndim:
            return None
        out.append(a % ndim if ndim else a)
    if len(set(out)) != len(out):
        return None
    return tuple(out)


def _ndim(x):
    return getattr(x, "ndim", 0)


def _shape(x):
    return getattr(x, "shape", ())


def _broadcastable(*shapes):
    first = shapes[0]
    if all(s == first for s in shapes[1:]):
        return True
    n = max(len(s) for s in shapes)
    for i in range(1, n + 1):
        dims = {s[-i] for s in shapes if len(s) >= i} - {1}
        if len(dims) > 1:
            return False
    return True


# -- the checks per op: (args, kwargs, arrays) -> reason or None -----------------------
def _axis_param(pos, name, tuple_ok=True, none_ok=True, default=None):
    def check(args, kw, arrays):
        a = arrays[0]
        axis = _arg(args, kw, pos, name, default)
        if _axes(axis, a.ndim, tuple_ok, none_ok) is None:
            return f"{name}={axis!r} for a {a.ndim}-d array"
        keepdims = kw.get("keepdims", False)
        if type(keepdims) is not bool and not isinstance(keepdims, np.bool_):
            return f"keepdims={keepdims!r}"
        return None
    return check


def _reduction(args, kw, arrays):
    return _axis_param(1, "axis")(args, kw, arrays)


def _ddof(args, kw, arrays):
    reason = _reduction(args, kw, arrays)
    if reason:
        return reason
    a = arrays[0]
    ddof = kw.get("ddof", 0)
    if _int(ddof) is None:
        return f"ddof={ddof!r}"
    axes = _axes(_arg(args, kw, 1, "axis"), a.ndim)
    n = math.prod(a.shape[i] for i in axes)
    # NumPy gives inf/nan (with a warning) for ddof >= n; MXNet a tiny number.
    return None if 0 <= ddof < n else f"ddof={ddof} for {n} elements"


def _moveaxis(args, kw, arrays):
    nd = arrays[0].ndim
    src = _arg(args, kw, 1, "source")
    dst = _arg(args, kw, 2, "destination")
    s, d = _axes(src, nd, none_ok=False), _axes(dst, nd, none_ok=False)
    if s is None or d is None or len(s) != len(d):
        return f"source={src!r}, destination={dst!r} for a {nd}-d array"
    return None


def _swapaxes(args, kw, arrays):
    nd = arrays[0].ndim
    for pos, name in ((1, "axis1"), (2, "axis2")):
        if _axes(_arg(args, kw, pos, name), nd, False, False) is None:
            return f"{name} out of range for a {nd}-d array"
    return None


def _transpose(args, kw, arrays):
    nd = arrays[0].ndim
    axes = _arg(args, kw, 1, "axes")
    if axes is None:
        return None
    got = _axes(axes, nd, none_ok=False)
    if got is None or len(got) != nd:
        return f"axes={axes!r} is not a permutation of {nd} axes"
    return None


def _expand_dims(args, kw, arrays):
    axis = _arg(args, kw, 1, "axis")
    n = 1 if _int(axis) is not None else len(axis) if type(axis) in (tuple, list) else 0
    if not n or _axes(axis, arrays[0].ndim + n, none_ok=False) is None:
        return f"axis={axis!r}"
    return None


def _squeeze(args, kw, arrays):
    a = arrays[0]
    axis = _arg(args, kw, 1, "axis")
    got = _axes(axis, a.ndim)
    if got is None or (axis is not None and any(a.shape[i] != 1 for i in got)):
        return f"axis={axis!r} for shape {a.shape}"
    return None


def _min_ndim(n):
    def check(args, kw, arrays):
        return None if arrays[0].ndim >= n else f"needs {n}-d input"
    return check


def _broadcast_to(args, kw, arrays):
    shape = _arg(args, kw, 1, "shape")
    reason = shape_reason(shape)
    if reason:
        return reason
    dims = (shape,) if _int(shape) is not None else tuple(shape)
    src = arrays[0].shape
    if len(src) > len(dims) or not all(
            s in (1, d) for s, d in zip(src[::-1], dims[::-1])):
        return f"{src} does not broadcast to {dims}"
    return None


def _tile(args, kw, arrays):
    reps = _arg(args, kw, 1, "reps")
    if _int(reps) is not None:
        reps = (reps,)
    if type(reps) not in (tuple, list) or any(_int(r) is None or r < 0 for r in reps):
        return f"reps={reps!r}"
    shape = list(arrays[0].shape)
    reps = list(reps)
    n = max(len(shape), len(reps))
    shape, reps = [1] * (n - len(shape)) + shape, [1] * (n - len(reps)) + reps
    return shape_reason(tuple(s * r for s, r in zip(shape, reps)), "result shape")


def _repeat(args, kw, arrays):
    return _axis_param(2, "axis", tuple_ok=False)(args, kw, arrays)


def _roll(args, kw, arrays):
    shift = _arg(args, kw, 1, "shift")
    axis = _arg(args, kw, 2, "axis")
    if axis is None:
        return None if _int(shift) is not None else f"shift={shift!r}"
    shifts = (shift,) if _int(shift) is not None else shift
    if type(shifts) not in (tuple, list) or any(_int(s) is None for s in shifts):
        return f"shift={shift!r}"
    got = _axes(axis, arrays[0].ndim, none_ok=False)
    if got is None or (len(shifts) != 1 and len(shifts) != len(got)):
        return f"axis={axis!r}"
    return None


def _rot90(args, kw, arrays):
    nd = arrays[0].ndim
    k = _arg(args, kw, 1, "k", 1)
    axes = _arg(args, kw, 2, "axes", (0, 1))
    got = _axes(axes, nd, none_ok=False) if type(axes) in (tuple, list) else None
    if _int(k) is None or nd < 2 or got is None or len(got) != 2:
        return f"k={k!r}, axes={axes!r}"
    return None


def _diagonal(args, kw, arrays):
    nd = arrays[0].ndim
    offset = _arg(args, kw, 1, "offset", 0)
    a1, a2 = _arg(args, kw, 2, "axis1", 0), _arg(args, kw, 3, "axis2", 1)
    got = _axes((a1, a2), nd, none_ok=False) if nd >= 2 else None
    if _int(offset) is None or got is None:
        return f"offset={offset!r}, axis1={a1!r}, axis2={a2!r}"
    return None


def _k_param(pos, ndims=None):
    def check(args, kw, arrays):
        k = _arg(args, kw, pos, "k", 0)
        if _int(k) is None:
            return f"k={k!r}"
        if ndims is not None and arrays[0].ndim not in ndims:
            return f"{arrays[0].ndim}-d input"
        return None
    return check


def _seq_arrays(args):
    seq = args[0] if args else None
    if type(seq) not in (list, tuple) or not seq or not all(_is_array(a) for a in seq):
        return None
    return seq


def _joinable(shapes, axis):
    """Shapes that concatenate along ``axis`` (all of one ndim, equal elsewhere)."""
    nd = len(shapes[0])
    if nd == 0 or any(len(s) != nd for s in shapes):
        return False
    ax = _axes(axis, nd, tuple_ok=False, none_ok=False)
    if ax is None:
        return False
    ax = ax[0]
    rest = {s[:ax] + s[ax + 1:] for s in shapes}
    return len(rest) == 1


def _concatenate(args, kw, arrays):
    seq = _seq_arrays(args)
    axis = _arg(args, kw, 1, "axis", 0)
    if seq is None or axis is None or not _joinable([a.shape for a in seq], axis):
        return "arrays that do not concatenate"
    return None


def _stack(args, kw, arrays):
    seq = _seq_arrays(args)
    if seq is None or len({a.shape for a in seq}) != 1:
        return "arrays of different shapes"
    axis = _arg(args, kw, 1, "axis", 0)
    if _axes(axis, seq[0].ndim + 1, tuple_ok=False, none_ok=False) is None:
        return f"axis={axis!r}"
    return None


def _as_nd(shape, n, style):
    if len(shape) >= n:
        return shape
    if n == 2:
        return (1,) * (2 - len(shape)) + shape if style != "column" else (
            shape + (1,) if len(shape) == 1 else (1, 1))
    if n == 3:
        return {0: (1, 1, 1), 1: (1,) + shape + (1,), 2: shape + (1,)}[len(shape)]
    return shape if shape else (1,)


def _stacker(n, axis, style=None):
    def check(args, kw, arrays):
        seq = _seq_arrays(args)
        if seq is None:
            return "not a sequence of arrays"
        shapes = [_as_nd(a.shape, n, style) for a in seq]
        ax = axis
        if style == "h" and all(len(s) == 1 for s in shapes):
            ax = 0
        return None if _joinable(shapes, ax) else "arrays that do not join"
    return check


def _append(args, kw, arrays):
    axis = _arg(args, kw, 2, "axis")
    if axis is None:
        return None
    a, b = (_arg(args, kw, i, n) for i, n in ((0, "arr"), (1, "values")))
    if not (_is_array(a) and _is_array(b)) or not _joinable([a.shape, b.shape], axis):
        return "arrays that do not join"
    return None


def _sort(args, kw, arrays):
    return _axis_param(1, "axis", tuple_ok=False, default=-1)(args, kw, arrays)


def _extrema(a):
    """(min, max) of an integer Array or ndarray, read where its data lives."""
    if isinstance(a, Array) and a._host is None and "mxnet" in a.forms:
        v = a._mx_value()  # reduced in MXNet: two scalars leave the device, not the data
        return int(v.min().item()), int(v.max().item())
    h = a._host_value() if isinstance(a, Array) else a
    return int(h.min()), int(h.max())


def _take(args, kw, arrays):
    a, idx = args[0], _arg(args, kw, 1, "indices")
    axis = _arg(args, kw, 2, "axis")
    if _axes(axis, a.ndim, tuple_ok=False) is None:
        return f"axis={axis!r}"
    n = a.size if axis is None else a.shape[_axes(axis, a.ndim)[0]]
    if _int(idx) is not None and type(idx) is not np.ndarray:
        lo = hi = _int(idx)
    elif _is_array(idx) and idx.dtype.kind in "iu":
        if idx.size == 0:
            return None
        lo, hi = _extrema(idx)
    else:
        return "indices that are not integers"
    # NumPy raises IndexError out of range; MXNet clips.
    return None if -n <= lo and hi < n else "indices out of range"


def _getitem(args, kw, arrays):
    a, key = args[0], args[1]
    parts = key if type(key) is tuple else (key,)
    if a.ndim == 0 and parts:
        return "a 0-d array indexed by more than ()"  # MXNet accepts only ()
    if sum(k is Ellipsis for k in parts) > 1:
        return "two Ellipses"
    dims = [k for k in parts if k is not None and k is not Ellipsis]
    if len(dims) > a.ndim:
        return "too many indices"
    shape = a.shape
    # Positions of the indexed dimensions (before and after an Ellipsis).
    if Ellipsis in parts:
        cut = [k for k in parts[:parts.index(Ellipsis)] if k is not None]
        axes = list(range(len(cut))) + list(range(a.ndim - (len(dims) - len(cut)), a.ndim))
    else:
        axes = list(range(len(dims)))
    for k, ax in zip(dims, axes):
        if type(k) is int:
            if not -shape[ax] <= k < shape[ax]:
                return f"index {k} out of range"
        elif type(k) is slice:
            for v in (k.start, k.stop, k.step):
                if v is not None and (type(v) is not int or not -2 ** 62 < v < 2 ** 62):
                    return f"slice {k!r}"
            if k.step == 0:
                return "slice step 0"
    return None


def _clip(args, kw, arrays):
    lo, hi = _arg(args, kw, 1, "a_min"), _arg(args, kw, 2, "a_max")
    if lo is None and hi is None:
        return "no bounds"
    if lo is not None and hi is not None and not lo <= hi:
        return "a_min > a_max"  # NumPy gives a_max everywhere
    return None


def _ldexp(args, kw, arrays):
    x1, x2 = args[0], args[1]
    dt = x1.dtype if _is_array(x1) and x1.dtype.kind == "f" else np.dtype(np.float64)
    limit = np.finfo(dt).maxexp - 1
    if _is_array(x2):
        if x2.dtype.kind not in "iu":
            return None
        if x2.size == 0:
            return None
        lo, hi = _extrema(x2)
    elif type(x2) is int:
        lo = hi = x2
    else:
        return None
    # MXNet multiplies by 2**x2, which overflows (0 * inf = nan) or underflows where
    # NumPy's ldexp is exact.
    return None if -limit <= lo and hi <= limit else "exponent out of the dtype's range"


def _matmul(name):
    def check(args, kw, arrays):
        a, b = args[0], args[1]
        if not (_is_array(a) and _is_array(b)):
            return None
        sa, sb = a.shape, b.shape
        if name == "outer":
            return None
        if name == "vdot":
            return None if a.size == b.size else "sizes differ"
        if name == "inner":
            return None if sa[-1:] == sb[-1:] else "last dimensions differ"
        if not sa or not sb:
            return None if name == "dot" else "0-d operand"
        k = sb[-2] if len(sb) >= 2 else sb[0]
        if sa[-1] != k:
            return f"shapes {sa} and {sb} not aligned"
        if name == "matmul" and not _broadcastable(sa[:-2], sb[:-2]):
            return "batch dimensions do not broadcast"
        return None
    return check


def _tensordot(args, kw, arrays):
    a, b = args[0], args[1]
    axes = _arg(args, kw, 2, "axes", 2)
    if _int(axes) is not None:
        n = _int(axes)
        if not 0 <= n <= min(a.ndim, b.ndim) or a.shape[a.ndim - n:] != b.shape[:n]:
            return f"axes={axes!r}"
        return None
    try:
        xa, xb = axes
        xa = (xa,) if _int(xa) is not None else tuple(xa)
        xb = (xb,) if _int(xb) is not None else tuple(xb)
    except (TypeError, ValueError):
        return f"axes={axes!r}"
    ga, gb = _axes(xa, a.ndim, none_ok=False), _axes(xb, b.ndim, none_ok=False)
    if ga is None or gb is None or len(ga) != len(gb) or any(
            a.shape[i] != b.shape[j] for i, j in zip(ga, gb)):
        return f"axes={axes!r}"
    return None


def _einsum(args, kw, arrays):
    subs, ops = args[0], args[1:]
    if "..." in subs or " " in subs:
        return "ellipsis or spaces in subscripts"
    ins, arrow, out = subs.partition("->")
    terms = ins.split(",")
    if len(terms) != len(ops) or not all(_is_array(o) for o in ops):
        return "operands do not match the subscripts"
    sizes = {}
    for term, o in zip(terms, ops):
        if len(term) != o.ndim or not term.isalpha():
            return f"subscript {term!r} for a {o.ndim}-d operand"
        for c, d in zip(term, o.shape):
            if sizes.setdefault(c, d) != d:
                return f"dimension {c!r} differs"
    if arrow and (not all(c in sizes for c in out) or len(set(out)) != len(out)
                  or not (out.isalpha() or out == "")):
        return f"output subscripts {out!r}"
    return None


def _trace(args, kw, arrays):
    if arrays[0].ndim < 2:
        return "needs 2-d input"
    return _diagonal(args, kw, arrays)


def _square(args, kw, arrays):
    a = arrays[0]
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        return f"shape {a.shape} is not a stack of square matrices"
    return None


def _solve(args, kw, arrays):
    reason = _square(args, kw, arrays)
    if reason:
        return reason
    a, b = args[0], args[1]
    if not _is_array(b):
        return "b is not an array"
    n = a.shape[-1]
    if b.ndim == 1:
        return None if b.shape[0] == n else "b does not match a"
    if b.shape[-2] != n or b.shape[:-2] != a.shape[:-2]:
        return "b does not match a"
    return None


def _norm(args, kw, arrays):
    return _axis_param(1, "axis")(args, kw, arrays)


def _multi_dot(args, kw, arrays):
    seq = _seq_arrays(args)
    if seq is None:
        return "not a sequence of arrays"
    shapes = [a.shape for a in seq]
    if any(len(s) != 2 for s in shapes[1:-1]) or not 1 <= len(shapes[0]) <= 2 or not (
            1 <= len(shapes[-1]) <= 2):
        return "not 2-d matrices"
    first = shapes[0] if len(shapes[0]) == 2 else (1,) + shapes[0]
    last = shapes[-1] if len(shapes[-1]) == 2 else shapes[-1] + (1,)
    chain = [first] + shapes[1:-1] + [last]
    if any(x[1] != y[0] for x, y in zip(chain, chain[1:])):
        return "shapes not aligned"
    return None


def _tensorinv(args, kw, arrays):
    a = arrays[0]
    ind = _arg(args, kw, 1, "ind", 2)
    if _int(ind) is None or not 0 < ind <= a.ndim or math.prod(a.shape[:ind]) != math.prod(
            a.shape[ind:]):
        return f"ind={ind!r}"
    return None


def _tensorsolve(args, kw, arrays):
    a, b = args[0], args[1]
    if not _is_array(b) or a.shape[:b.ndim] != b.shape or math.prod(
            a.shape[b.ndim:]) != b.size:
        return "shapes do not match"
    return None


def _matrix_power(args, kw, arrays):
    return _square(args, kw, arrays)


def _diff(args, kw, arrays):
    n = _arg(args, kw, 1, "n", 1)
    if _int(n) is None or n < 0:
        return f"n={n!r}"
    return _axis_param(2, "axis", tuple_ok=False, none_ok=False, default=-1)(
        args, kw, arrays)


def _polyval(args, kw, arrays):
    return None if _ndim(args[0]) == 1 else "p is not 1-d"


def _elementwise(args, kw, arrays):
    if len(arrays) > 1 and not _broadcastable(*[a.shape for a in arrays]):
        return "shapes do not broadcast"
    return None


def _where(args, kw, arrays):
    return _elementwise(args, kw, arrays)


def _reshape(args, kw, arrays):
    shape = _arg(args, kw, 1, "shape")
    dims = (shape,) if _int(shape) is not None else shape
    if type(dims) not in (tuple, list) or any(_int(d) is None or d < -1 for d in dims):
        return f"shape {shape!r}"  # MXNet reads -2, -3, -4 as its own codes
    if sum(d == -1 for d in dims) > 1:
        return "two -1 dimensions"
    known = math.prod(d for d in dims if d != -1)
    size = arrays[0].size
    if -1 in dims:
        return None if known and size % known == 0 else f"cannot reshape {size} elements"
    return None if known == size else f"cannot reshape {size} elements to {shape!r}"


def _dtype_ok(dtype):
    if dtype is None:
        return True
    try:
        return mx_holdable(np.dtype(dtype))
    except TypeError:
        return False


def _creation_shape(pos, name, dtype_pos=None):
    def check(args, kw, arrays):
        reason = shape_reason(_arg(args, kw, pos, name))
        if reason:
            return reason
        if dtype_pos is not None and not _dtype_ok(_arg(args, kw, dtype_pos, "dtype")):
            return "dtype"
        return None
    return check


def _eye(args, kw, arrays):
    n = _arg(args, kw, 0, "N")
    m = _arg(args, kw, 1, "M")
    k = _arg(args, kw, 2, "k", 0)
    if _int(k) is None or not _dtype_ok(_arg(args, kw, 3, "dtype")):
        return f"k={k!r}"
    return shape_reason((n, n if m is None else m), "N, M")


def _identity(args, kw, arrays):
    if not _dtype_ok(_arg(args, kw, 1, "dtype")):
        return "dtype"
    n = _arg(args, kw, 0, "n")
    return shape_reason((n, n), "n")


def _linspace(args, kw, arrays):
    num = _arg(args, kw, 2, "num", 50)
    if _int(num) is None or not 0 <= num < _MAX_SIZE:
        return f"num={num!r}"
    if not _finite(*args[:2]):
        return "non-finite bounds"
    return None


def _like(args, kw, arrays):
    return None if _dtype_ok(kw.get("dtype")) else "dtype"


def _astype(args, kw, arrays):
    return None if args[1] is not None and _dtype_ok(args[1]) else "dtype"


def _size(args, kw, arrays):
    size = kw.get("size")
    return None if size is None else shape_reason(size, "size")


def _finite(*values):
    return all(type(v) in _SCALAR_TYPES and math.isfinite(v) for v in values)


def _sampler(names, defaults, domain):
    """``domain(*params) -> bool``: parameters NumPy accepts (NumPy raises otherwise)."""
    def in_domain(args, kw, arrays):
        params = [_arg(args, kw, i, n, d) for i, (n, d) in enumerate(zip(names, defaults))]
        if not _finite(*params) or not domain(*params):
            return "sampler parameters outside their domain"
        return None

    def check(args, kw, arrays):
        return in_domain(args, kw, arrays) or _size(args, kw, arrays)
    check.domain = in_domain
    return check


def domain_check(name):
    """For a sampler, its check of NumPy's parameter domain alone (no MXNet limits):
    ``(args, kwargs, arrays) -> reason or None``; ``None`` for other ops."""
    return getattr(_CHECKS.get(name), "domain", None)


def _rand(args, kw, arrays):
    return shape_reason(tuple(args), "shape")


def _randint(args, kw, arrays):
    low, high = _arg(args, kw, 0, "low"), _arg(args, kw, 1, "high")
    dtype = kw.get("dtype", int)
    if _int(low) is None or (high is not None and _int(high) is None):
        return "bounds are not integers"
    lo, hi = (0, low) if high is None else (low, high)
    try:
        info = np.iinfo(np.dtype(dtype))
    except (TypeError, ValueError):
        return "dtype"
    # MXNet dies of SIGFPE on an empty range; NumPy raises ValueError.
    if not (lo < hi and info.min <= lo and hi - 1 <= info.max and hi - lo < _INT32):
        return f"range [{lo}, {hi})"
    return _size(args, kw, arrays)


_CHECKS = {
    "sum": _reduction, "mean": _reduction, "prod": _reduction, "max": _reduction,
    "min": _reduction, "amax": _reduction, "amin": _reduction, "any": _reduction,
    "all": _reduction, "std": _ddof, "var": _ddof,
    "argmax": _axis_param(1, "axis", tuple_ok=False),
    "argmin": _axis_param(1, "axis", tuple_ok=False),
    "cumsum": _axis_param(1, "axis", tuple_ok=False),
    "average": _reduction, "trace": _trace, "linalg.norm": _norm,
    "moveaxis": _moveaxis, "swapaxes": _swapaxes, "transpose": _transpose,
    "permute_dims": _transpose, "expand_dims": _expand_dims, "squeeze": _squeeze,
    "flip": _axis_param(1, "axis"), "fliplr": _min_ndim(2), "flipud": _min_ndim(1),
    "broadcast_to": _broadcast_to, "tile": _tile, "repeat": _repeat, "roll": _roll,
    "rot90": _rot90, "diagonal": _diagonal, "diag": _k_param(1, (1, 2)),
    "tril": _k_param(1), "triu": _k_param(1), "diagflat": _k_param(1),
    "reshape": _reshape,
    "concatenate": _concatenate, "concat": _concatenate, "stack": _stack,
    "vstack": _stacker(2, 0), "row_stack": _stacker(2, 0), "hstack": _stacker(1, 1, "h"),
    "dstack": _stacker(3, 2), "column_stack": _stacker(2, 1, "column"),
    "append": _append, "sort": _sort, "argsort": _sort, "take": _take,
    "getitem": _getitem, "clip": _clip, "ldexp": _ldexp, "where": _where,
    "dot": _matmul("dot"), "matmul": _matmul("matmul"), "inner": _matmul("inner"),
    "outer": _matmul("outer"), "vdot": _matmul("vdot"), "tensordot": _tensordot,
    "einsum": _einsum, "linalg.inv": _square, "linalg.det": _square,
    "linalg.cholesky": _square, "linalg.slogdet": _square, "linalg.eigh": _square,
    "linalg.eigvalsh": _square, "linalg.svd": _square, "linalg.solve": _solve,
    "linalg.matrix_power": _matrix_power, "linalg.multi_dot": _multi_dot,
    "linalg.tensorinv": _tensorinv, "linalg.tensorsolve": _tensorsolve,
    "diff": _diff, "polyval": _polyval,
    "zeros": _creation_shape(0, "shape", 1), "ones": _creation_shape(0, "shape", 1),
    "empty": _creation_shape(0, "shape", 1), "full": _creation_shape(0, "shape", 2),
    "eye": _eye, "identity": _identity, "linspace": _linspace,
    "zeros_like": _like, "ones_like": _like, "empty_like": _like, "astype": _astype,
    "random.uniform": _sampler(("low", "high"), (0.0, 1.0), lambda lo, hi: True),
    "random.normal": _sampler(("loc", "scale"), (0.0, 1.0), lambda m, s: s >= 0),
    "random.gamma": _sampler(("shape", "scale"), (None, 1.0), lambda k, s: k > 0 and s > 0),
    "random.beta": _sampler(("a", "b"), (None, None), lambda a, b: a > 0 and b > 0),
    "random.chisquare": _sampler(("df",), (None,), lambda df: df > 0),
    "random.lognormal": _sampler(("mean", "sigma"), (0.0, 1.0), lambda m, s: s >= 0),
    "random.rand": _rand, "random.randn": _rand, "random.randint": _randint,
}


def check(op, args, kwargs, arrays):
    """Why MXNet must not see this call (``None`` when it may): see the module doc."""
    spec = op.arrays
    if spec == "all":
        for x in args:
            if not _operand_ok(x):
                return f"operand of type {type(x).__name__}"
        if not arrays and args:
            return "scalar operands only"  # NumPy's scalar result and dtype
    elif spec == "seq0":
        if not args or type(args[0]) not in (list, tuple) or not args[0] or not all(
                _is_array(x) and (not isinstance(x, np.ndarray) or mx_holdable(x.dtype))
                for x in args[0]):
            return "not a sequence of arrays"
        for x in args[1:]:
            if not _param_ok(x):
                return f"parameter {x!r}"
    else:
        for i, x in enumerate(args):
            if i in spec:
                if not _operand_ok(x):
                    return f"operand of type {type(x).__name__}"
            elif not _param_ok(x):
                return f"parameter of type {type(x).__name__}"
        if spec and not arrays:
            return "no array operand"
    for v in kwargs.values():
        if not _param_ok(v):
            return f"parameter of type {type(v).__name__}"
    fn = _CHECKS.get(op.name)
    if fn is None:
        return _elementwise(args, kwargs, arrays) if op.kind == "elementwise" else None
    return fn(args, kwargs, arrays)
