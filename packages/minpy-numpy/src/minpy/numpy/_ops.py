"""The table's entries: every NumPy name MinPy runs on MXNet.

Each line is one op (see :class:`minpy.numpy._table.Op` for the fields). MXNet's own
``mx.np`` names that merely call NumPy on the CPU (``mxnet.numpy.fallback``) are not
listed: they are NumPy fallbacks in MinPy too.
"""

from __future__ import annotations

import numpy as np

from minpy.core import get_default_float_dtype

from ._table import register

_AXIS = ("axis", "keepdims")

# -- elementwise ---------------------------------------------------------------------
for _name in ("add", "subtract", "multiply", "true_divide", "divide", "power", "maximum",
              "minimum", "hypot", "arctan2", "copysign", "mod", "remainder", "floor_divide",
              "fmax", "fmin", "fmod", "ldexp", "lcm", "float_power"):
    register(_name, "np." + _name if _name not in ("fmax", "fmin", "fmod", "floor_divide")
             else None)
for _name in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
              "logical_and", "logical_or", "logical_xor"):
    register(_name, "np." + _name if not _name.startswith("logical") else None,
             cast="common")
for _name in ("bitwise_and", "bitwise_or", "bitwise_xor"):
    register(_name, "np." + _name, cast="common")
for _name in ("exp", "expm1", "log", "log2", "log10", "log1p", "sqrt", "cbrt", "square",
              "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
              "arcsinh", "arccosh", "arctanh", "degrees", "radians", "deg2rad", "rad2deg",
              "floor", "ceil", "trunc", "rint", "fix", "absolute", "abs", "fabs", "negative",
              "positive", "sign", "reciprocal"):
    register(_name, "np." + _name if _name not in ("positive",) else None)
for _name in ("isnan", "isinf", "isfinite", "logical_not", "invert", "signbit",
              "isposinf", "isneginf"):
    register(_name, "np." + _name if _name not in ("signbit", "logical_not") else None,
             cast=None)
register("around", "np.around", kwargs=("decimals",), arrays=(0,))
register("round", "np.round", kwargs=("decimals",), arrays=(0,))
register("clip", "np.clip", arrays=(0,), cast=None, dtype="probe",
         accepts=lambda args, kw: all(
             a is None or isinstance(a, (int, float)) for a in args[1:3]))
register("where", "np.where", cast=None,
         accepts=lambda args, kw: len(args) == 3, dtype=lambda args, kw: np.result_type(
             *[a.dtype if hasattr(a, "dtype") else a for a in args[1:3]]))
register("logaddexp", None)

# -- reductions ----------------------------------------------------------------------
for _name in ("sum", "mean", "prod", "max", "min", "amax", "amin", "any", "all"):
    register(_name, "np." + _name, arrays=(0,), kwargs=_AXIS, kind="reduction")
for _name in ("std", "var"):
    register(_name, "np." + _name, arrays=(0,), kwargs=_AXIS + ("ddof",), kind="reduction")
for _name in ("argmax", "argmin"):
    register(_name, "np." + _name, arrays=(0,), kwargs=("axis",), kind="reduction",
             cast=None)
register("cumsum", "np.cumsum", arrays=(0,), kwargs=("axis",), kind="reduction")
register("average", "np.average", arrays=(0,), kwargs=("axis",), kind="reduction",
         accepts=lambda args, kw: len(args) == 1)

# -- linear algebra ------------------------------------------------------------------
for _name in ("dot", "matmul", "inner", "outer", "vdot", "kron"):
    register(_name, "np." + _name if _name != "kron" else None, kind="matmul")
register("tensordot", "np.tensordot", arrays=(0, 1), kwargs=("axes",), kind="matmul")
register("einsum", "np.einsum", arrays=tuple(range(1, 16)), kind="matmul",
         accepts=lambda args, kw: isinstance(args[0], str) and len(args) > 1)
register("trace", "np.trace", arrays=(0,), kwargs=("offset", "axis1", "axis2"),
         kind="reduction")
for _name in ("inv", "det", "cholesky", "pinv"):
    register("linalg." + _name, "np.linalg." + _name, kind="linalg")
register("linalg.slogdet", "np.linalg.slogdet", kind="linalg")
register("linalg.solve", "np.linalg.solve", kind="linalg")
register("linalg.eigh", "np.linalg.eigh", kind="linalg", arrays=(0,))
register("linalg.eigvalsh", "np.linalg.eigvalsh", kind="linalg", arrays=(0,))
register("linalg.svd", None, kind="linalg")
register("linalg.norm", "np.linalg.norm", arrays=(0,), kwargs=("axis", "keepdims"),
         kind="reduction", accepts=lambda args, kw: len(args) == 1 and kw.get("ord") is None)
register("linalg.qr", None, kind="linalg")

# -- shapes --------------------------------------------------------------------------
_SHAPE = dict(dtype="same", cast=None, kind="shape", arrays=(0,))
register("reshape", "np.reshape", **_SHAPE,
         accepts=lambda args, kw: kw.get("order", "C") == "C", kwargs=())
register("transpose", "np.transpose", **_SHAPE, kwargs=("axes",))
register("swapaxes", "np.swapaxes", **_SHAPE)
register("moveaxis", "np.moveaxis", **_SHAPE)
register("expand_dims", "np.expand_dims", **_SHAPE, kwargs=("axis",))
register("squeeze", "np.squeeze", **_SHAPE, kwargs=("axis",))
register("ravel", "np.ravel", **_SHAPE, accepts=lambda args, kw: len(args) == 1)
register("flip", "np.flip", **_SHAPE, kwargs=("axis",))
register("fliplr", None, **_SHAPE)
register("flipud", None, **_SHAPE)
register("broadcast_to", "np.broadcast_to", **_SHAPE, kwargs=("shape",))
register("tile", "np.tile", **_SHAPE)
register("repeat", "np.repeat", **_SHAPE, kwargs=("axis",),
         accepts=lambda args, kw: len(args) < 2 or isinstance(args[1], int))
register("roll", "np.roll", **_SHAPE, kwargs=("axis",))
register("rot90", "np.rot90", **_SHAPE, kwargs=("k", "axes"))
register("diagonal", "np.diagonal", **_SHAPE, kwargs=("offset", "axis1", "axis2"))
register("diag", "np.diag", **_SHAPE, kwargs=("k",))
register("tril", None, **_SHAPE)
register("triu", None, **_SHAPE)
register("atleast_1d", None, **_SHAPE)
register("atleast_2d", None, **_SHAPE)
register("atleast_3d", None, **_SHAPE)
register("copy", "np.copy", **_SHAPE)
register("pad", "np.pad", **_SHAPE, kwargs=("mode", "constant_values"),
         accepts=lambda args, kw: kw.get("mode", "constant") == "constant"
         and len(args) == 2)
for _name in ("split", "array_split", "hsplit", "vsplit", "dsplit"):
    register(_name, "np." + _name if _name != "array_split" else None, **_SHAPE,
             kwargs=("axis",))
_SEQ = dict(arrays="seq0", kind="shape")
register("concatenate", "np.concatenate", **_SEQ, kwargs=("axis",))
register("stack", "np.stack", **_SEQ, kwargs=("axis",))
for _name in ("vstack", "hstack", "dstack", "column_stack", "row_stack"):
    register(_name, "np." + _name if _name != "row_stack" else None, **_SEQ)
register("append", "np.append", arrays=(0, 1), kind="shape", kwargs=("axis",))

# -- sorting, searching, indexing ----------------------------------------------------
register("sort", "np.sort", arrays=(0,), dtype="same", cast=None, kind="sort",
         kwargs=("axis",))
register("argsort", "np.argsort", arrays=(0,), cast=None, kind="sort", kwargs=("axis",))
register("unique", "np.unique", arrays=(0,), dtype="same", cast=None, kind="sort",
         accepts=lambda args, kw: len(args) == 1)
register("nonzero", "np.nonzero", arrays=(0,), cast=None, kind="index")
register("take", "np.take", arrays=(0, 1), cast=None, kind="index", kwargs=("axis",),
         dtype=lambda args, kw: args[0].dtype)


def _basic_index(key):
    """True for keys made of ints, slices, None and Ellipsis only."""
    parts = key if type(key) is tuple else (key,)
    return all(k is None or k is Ellipsis or type(k) in (int, slice) for k in parts)


register("getitem", lambda mx: lambda a, key: a[key], numpy=lambda a, key: a[key],
         arrays=(0,), dtype="same", cast=None, kind="index",
         accepts=lambda args, kw: _basic_index(args[1]),
         doc="``a[key]``; MXNet handles basic indexing, NumPy advanced indexing.")
register("astype", lambda mx: lambda a, dtype: a.astype(dtype),
         numpy=lambda a, dtype, **kw: a.astype(dtype, **kw), arrays=(0,), cast=None,
         kind="elementwise", dtype=lambda args, kw: np.dtype(args[1]),
         doc="``a.astype(dtype)``.")


# -- creation ------------------------------------------------------------------------
def _float_default(dtype):
    return get_default_float_dtype() if dtype is None else np.dtype(dtype)


def _creation(name, numpy_fn, mx_fn, dtype_rule):
    register(name, mx_fn, numpy=numpy_fn, arrays=(), cast=None, kind="creation",
             dtype=dtype_rule, kwargs=("dtype",))


def _shape_dtype(args, kw):
    return _float_default(args[1] if len(args) > 1 else kw.get("dtype"))


def _make_filled(name):
    ref = getattr(np, name)

    def numpy_fn(shape, dtype=None, order="C", **kw):
        return ref(shape, dtype=_float_default(dtype), order=order, **kw)

    def mx_fn(mx):
        return lambda shape, dtype=None, ctx=None: getattr(mx.np, name)(
            shape, dtype=_float_default(dtype), ctx=ctx)
    numpy_fn.__name__ = name
    _creation(name, numpy_fn, mx_fn, _shape_dtype)


for _name in ("zeros", "ones", "empty"):
    _make_filled(_name)


def _full(shape, fill_value, dtype=None, order="C", **kw):
    if dtype is None and isinstance(fill_value, float):
        dtype = get_default_float_dtype()
    return np.full(shape, fill_value, dtype=dtype, order=order, **kw)


def _full_dtype(args, kw):
    dtype = args[2] if len(args) > 2 else kw.get("dtype")
    if dtype is not None:
        return np.dtype(dtype)
    fill = args[1] if len(args) > 1 else kw.get("fill_value")
    return _full(1, fill).dtype


_creation("full", _full, lambda mx: lambda shape, fill_value, dtype=None, ctx=None: mx.np.full(
    shape, fill_value, dtype=_full_dtype((shape, fill_value, dtype), {}), ctx=ctx),
    _full_dtype)


def _eye(N, M=None, k=0, dtype=None, **kw):
    return np.eye(N, M, k, dtype=_float_default(dtype), **kw)


_creation("eye", _eye, lambda mx: lambda N, M=None, k=0, dtype=None, ctx=None: mx.np.eye(
    N, M, k, dtype=_float_default(dtype), ctx=ctx),
    lambda args, kw: _float_default(args[3] if len(args) > 3 else kw.get("dtype")))


def _identity(n, dtype=None, **kw):
    return np.identity(n, dtype=_float_default(dtype), **kw)


_creation("identity", _identity, lambda mx: lambda n, dtype=None, ctx=None: mx.np.identity(
    n, dtype=_float_default(dtype), ctx=ctx),
    lambda args, kw: _float_default(args[1] if len(args) > 1 else kw.get("dtype")))


def _arange(*args, dtype=None, **kw):
    out = np.arange(*args, dtype=dtype, **kw)
    if dtype is None and out.dtype == np.float64:
        out = out.astype(get_default_float_dtype())
    return out


register("arange", None, numpy=_arange, arrays=(), kind="creation")


def _linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    out = np.linspace(start, stop, num, endpoint, retstep, dtype, axis)
    if dtype is None:
        if retstep:
            return out[0].astype(get_default_float_dtype()), out[1]
        return out.astype(get_default_float_dtype())
    return out


register("linspace", None, numpy=_linspace, arrays=(), kind="creation")


def _like(name):
    ref = getattr(np, name)
    register(name, "np." + name, numpy=ref, arrays=(0,), cast=None, kind="creation",
             kwargs=("dtype",),
             dtype=lambda args, kw: np.dtype(kw["dtype"]) if kw.get("dtype") else (
                 args[0].dtype))


for _name in ("zeros_like", "ones_like", "empty_like"):
    _like(_name)
register("full_like", "np.full_like", arrays=(0,), cast=None, kind="creation",
         accepts=lambda args, kw: not kw, dtype="probe")
