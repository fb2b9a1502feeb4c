"""The MXNet backend's implementations of the table's entries: every NumPy name MinPy
runs on MXNet, one line each.

:func:`register` adds an op to the table with its MXNet :class:`~._table.Impl` (the
MXNet function, the keywords MXNet handles as NumPy does, its conditions and kernel
dtypes, how inputs are cast); the op's backend-neutral fields (array positions, result
dtype, cost class) are :class:`~._table.Op`'s. MXNet's own ``mx.np`` names that merely
call NumPy on the CPU (``mxnet.numpy.fallback``) are not listed: they are NumPy
fallbacks in MinPy too.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from minpy.core import Array, _mxnet, get_default_float_dtype

from . import _float16
from ._table import TABLE, Impl, add

#: The backend these implementations are for.
MX = _mxnet.BACKEND

#: ``mx.np`` ufuncs whose whole work, when every operand is an ``mx.np.ndarray``, is
#: one call of the ``_npi`` operator of the same name (read off MXNet 1.9.1's
#: ``mxnet/ndarray/numpy/_op.py``: ``_ufunc_helper``/``_unary_func_helper`` with
#: ``_npi.<name>``). Calling that operator directly skips two Python wrapper layers.
_NPI_DIRECT = frozenset("""
    add subtract multiply true_divide power maximum minimum hypot arctan2 copysign mod
    ldexp lcm equal not_equal less less_equal greater greater_equal bitwise_and
    bitwise_or bitwise_xor exp expm1 log log2 log10 log1p sqrt cbrt sin cos tan arcsin
    arccos arctan sinh cosh tanh arcsinh arccosh arctanh negative reciprocal isnan isinf
    isfinite logical_not isposinf isneginf sign abs floor ceil trunc rint fix absolute
    square degrees rad2deg radians deg2rad bitwise_not""".split())


def _direct_kernel(mx, public, kernel):
    """``kernel(*args)`` when all operands are MXNet arrays, else ``public(*args)``."""
    ndarray = mx.np.ndarray

    def run(*args):
        for a in args:
            if type(a) is not ndarray:
                return public(*args)
        return kernel(*args)
    run.__name__ = public.__name__
    return run


def _path_loader(path):
    """``'np.add'`` as ``load(mx) -> mx.np.add`` (the ``_npi`` kernel where direct)."""
    parts = path.split(".")

    def load(mx):
        obj = mx
        for part in parts:
            obj = getattr(obj, part)
        if len(parts) == 2 and parts[1] in _NPI_DIRECT:
            return _direct_kernel(mx, obj, getattr(mx.nd.numpy._internal, parts[1]))
        return obj
    return load


def register(name: str, mxnet=None, *, numpy=None, kwargs=(), accepts=None,
             mx_dtypes=None, cast="result", **options):
    """Add ``name`` to the table, computed on MXNet by ``mxnet``: ``loader(mx) ->
    function``, or a string ``'np.add'`` meaning ``mx.np.add``. ``kwargs``,
    ``accepts``, ``mx_dtypes`` and ``cast`` are the MXNet :class:`~._table.Impl`'s
    conditions; ``numpy`` and ``options`` are the :class:`~._table.Op`'s fields."""
    impls = {}
    if mxnet is not None:
        source = f"mx.{mxnet}" if isinstance(mxnet, str) else ""
        load = _path_loader(mxnet) if isinstance(mxnet, str) else mxnet
        impls[MX] = Impl(load, kwargs=frozenset(kwargs), accepts=accepts,
                         dtypes=mx_dtypes, cast=cast, source=source)
    return add(name, numpy=numpy, impls=impls, **options)


def mx_impl(name: str) -> Impl:
    """The MXNet implementation of table entry ``name``."""
    return TABLE[name].impls[MX]


_AXIS = ("axis", "keepdims")


# -- conditions (``accepts``) ----------------------------------------------------------
# Each one names an MXNet 1.9.1 deviation from NumPy that the conformance suite
# (conformance/) found; calls outside the condition run in NumPy.
def _nonempty(args, kw):
    """MXNet's reductions mishandle zero-size input: ``prod`` gives 0, ``mean`` 0 for
    NumPy's nan, and ``average``/``var`` of an empty integer axis kill the process with
    SIGFPE. NumPy runs those (cheaply: they are empty)."""
    a = args[0] if args else None
    return getattr(a, "size", 1) != 0


def _ints_only(args, kw):
    """True when no operand is a float/complex array or a Python float."""
    for a in args[:2]:
        dt = getattr(a, "dtype", None)
        if (dt is not None and dt.kind in "fc") or isinstance(a, (float, complex)):
            return False
    return True


def _float_power_ok(args, kw):
    """MXNet's ``power`` on integers goes through float: 4097**2 -> 16785410."""
    return not _ints_only(args, kw)


def _is_float(x):
    return np.dtype(x.dtype).kind == "f"


def _mx_mod(mx):
    """``mod``: NumPy gives nan for ``x % 0.0``, MXNet 0; a zero remainder takes the
    divisor's sign in NumPy (``0.0 % -1.0`` is -0.0, ``-0.0 % 1.0`` is 0.0), MXNet's
    keeps the dividend's."""
    def mod(a, b):
        r = mx.np.mod(a, b)
        if _is_float(r):
            zero = mx.np.zeros_like(r)
            if hasattr(b, "dtype"):
                r = mx.np.where(r == 0, mx.np.where(b < 0, -zero, zero), r)
                r = mx.np.where(b == 0, mx.np.full_like(r, np.nan), r)
            elif b == 0:
                r = mx.np.full_like(r, np.nan)
            else:
                r = mx.np.where(r == 0, -zero if b < 0 else zero, r)
        return r
    return mod


def _mx_sign(mx):
    """``sign``: NumPy's sign(nan) is nan, MXNet's 0."""
    def sign(x):
        r = mx.np.sign(x)
        return mx.np.where(mx.np.isnan(x), x, r) if _is_float(x) else r
    return sign


def _mx_abs(mx):
    """``abs``: MXNet's integer kernel goes through double (|2**53 + 1| -> 2**53)."""
    def absolute(x):
        if np.dtype(x.dtype).kind == "i":
            return mx.np.where(x < 0, -x, x)
        return mx.np.abs(x)
    return absolute


def _mx_rounding(name):
    """floor/ceil/trunc/rint/fix/around: the identity on integers in NumPy; MXNet's
    integer kernels go through double (floor(2**53 + 1) -> 2**53)."""
    def load(mx):
        fn = getattr(mx.np, name)
        if name == "rint":
            # MXNet's rint rounds halves away from even (rint(1.5) -> 1); its around
            # rounds them to even as NumPy does (float16 through float32, exactly).
            def fn(x):
                if np.dtype(x.dtype) == np.float16:
                    return mx.np.around(x.astype("float32")).astype("float16")
                return mx.np.around(x)

        def run(x, *args, **kwargs):
            if np.dtype(x.dtype).kind in "iu":
                return x.copy()
            return fn(x, *args, **kwargs)
        return run
    return load


def _mx_copysign(mx):
    """``copysign``: NumPy takes the sign bit of a NaN (+nan -> +), MXNet treats every NaN
    as negative: a float ``x2`` holding NaN runs in NumPy."""
    from ._dispatch import Rejected

    def copysign(a, b):
        if not hasattr(b, "dtype"):
            if b != b:
                raise Rejected("NaN in x2")
            return mx.np.abs(a) * math.copysign(1.0, b) if hasattr(a, "dtype") else (
                math.copysign(a, b))
        if _is_float(b) and bool(mx.np.isnan(b).any()):
            raise Rejected("NaN in x2")
        # MXNet's kernel tests b >= 0, so copysign(1, -0.0) is 1: use the sign bit.
        neg = (b < 0) | ((b == 0) & (mx.np.reciprocal(b) < 0))
        mag = mx.np.abs(a) if hasattr(a, "dtype") else abs(a)
        return mx.np.where(neg, -mag, mag) if hasattr(a, "dtype") else mx.np.where(
            neg, mx.np.full_like(b, -mag), mx.np.full_like(b, mag))
    return copysign


def _mx_square(mx):
    """``square``: MXNet squares integers through float (4097**2 -> 16785408)."""
    return lambda x: x * x


def _mx_scaled(name, factor):
    """``degrees``/``radians``: MXNet's float64 kernels use a float32 constant (1 rad ->
    57.295776 for 57.29578); a float64 multiply is NumPy's exact formula."""
    def load(mx):
        native = getattr(mx.np, {"rad2deg": "degrees", "deg2rad": "radians"}.get(name, name))
        return lambda x: x * factor if np.dtype(x.dtype) == np.float64 else native(x)
    return load


def _nan_free(loader):
    """MXNet orders (sort/argsort) and deduplicates (unique) NaN unlike NumPy: a float
    input holding NaN runs in NumPy instead (one isnan reduction on the device)."""
    def load(mx):
        fn = loader(mx)
        from ._dispatch import Rejected

        def run(a, *args, **kwargs):
            if _is_float(a) and bool(mx.np.isnan(a).any()):
                raise Rejected("NaN in a float input")
            return fn(a, *args, **kwargs)
        return run
    return load


def _even_split(args, kw, axis=None, uneven=False):
    """MXNet splits unevenly where NumPy's ``split`` raises: integer sections only when
    they divide the axis."""
    if len(args) < 2:
        return False
    a, n = args[0], args[1]
    ax = kw.get("axis", 0) if axis is None else axis
    if ax == "h":
        ax = 1 if a.ndim > 1 else 0
    if type(ax) is not int or a.ndim == 0 or not -a.ndim <= ax < a.ndim:
        return False
    if isinstance(n, (list, tuple)):  # MXNet rejects indices past the end; NumPy clips
        return all(type(i) is int and 0 <= i <= a.shape[ax] for i in n) and list(n) == sorted(n)
    return type(n) is int and n > 0 and (uneven or a.shape[ax] % n == 0)


def _all(*conds):
    def accepts(args, kw):
        return all(c(args, kw) for c in conds)
    return accepts

_SQRT_POWER: dict = {}


def _power_is_sqrt(dtype) -> bool:
    """Whether NumPy's ``power(x, 0.5)`` for a scalar 0.5 is ``sqrt(x)`` for ``dtype``
    (NumPy 2's float32/float64 loops: ``power(-inf, 0.5)`` is nan and
    ``power(-0.0, 0.5)`` -0.0; C's ``pow``, NumPy 1's and MXNet's, gives inf and 0.0).
    Read off NumPy once per dtype."""
    dtype = np.dtype(dtype)
    known = _SQRT_POWER.get(dtype)
    if known is None:
        with np.errstate(all="ignore"):
            r = np.power(np.array([-np.inf, -0.0], dtype=dtype), 0.5)
        known = _SQRT_POWER[dtype] = bool(np.isnan(r[0]) and np.signbit(r[1]))
    return known


def _mx_power(mx):
    """``power``: a scalar exponent 0.5 runs MXNet's ``sqrt`` where NumPy's power loop
    does (see :func:`_power_is_sqrt`)."""
    native = _direct_kernel(mx, mx.np.power, mx.nd.numpy._internal.power)

    def power(a, b):
        if type(b) is float and b == 0.5 and hasattr(a, "dtype") and _is_float(a) and (
                _power_is_sqrt(a.dtype)):
            return mx.np.sqrt(a)
        return native(a, b)
    return power


# -- elementwise ---------------------------------------------------------------------
for _name in ("add", "subtract", "multiply", "true_divide", "divide", "power", "maximum",
              "minimum", "hypot", "arctan2", "copysign", "mod", "remainder", "floor_divide",
              "fmax", "fmin", "fmod", "ldexp", "lcm", "float_power"):
    register(_name, _mx_mod if _name in ("mod", "remainder") else
             _mx_copysign if _name == "copysign" else
             _mx_power if _name == "power" else
             # float_power: mx.np's is in mxnet.numpy.fallback (NumPy via a copy).
             "np." + _name if _name not in ("fmax", "fmin", "fmod", "floor_divide",
                                            "float_power") else None,
             accepts=_float_power_ok if _name == "power" else None)
def _mx_compare(name):
    """Comparisons: MXNet's scalar kernels hold a Python float as float32
    (``not_equal(array(4e-210), 4e-210)`` was True); the scalar goes in as a 0-d array
    of the operands' common dtype instead."""
    def load(mx):
        fn = getattr(mx.np, name)

        def compare(a, b):
            if not hasattr(a, "dtype"):
                a = mx.np.array(a, dtype=b.dtype, ctx=b.ctx)
            elif not hasattr(b, "dtype"):
                b = mx.np.array(b, dtype=a.dtype, ctx=a.ctx)
            return fn(a, b)
        return compare
    return load


for _name in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
              "logical_and", "logical_or", "logical_xor"):
    register(_name, _mx_compare(_name) if not _name.startswith("logical") else None,
             cast="common")
def _mx_bitwise(name):
    """``bitwise_and/or/xor``: MXNet 1.9.1's kernels have no bool instantiation
    ('Operator _npi_bitwise_and does not support boolean type'); bool operands (cast to
    their common dtype first) run on their 0/1 bytes as uint8, cast back: exact."""
    def load(mx):
        fn = getattr(mx.np, name)

        def run(a, b):
            dt = getattr(a, "dtype", None) or getattr(b, "dtype", None)
            if np.dtype(dt) != np.bool_:
                return fn(a, b)
            a, b = (x.astype("uint8") if hasattr(x, "astype") else int(x) for x in (a, b))
            return fn(a, b).astype("bool")
        return run
    return load


for _name in ("bitwise_and", "bitwise_or", "bitwise_xor"):
    register(_name, _mx_bitwise(_name), cast="common")
for _name in ("exp", "expm1", "log", "log2", "log10", "log1p", "sqrt", "cbrt", "square",
              "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
              "arcsinh", "arccosh", "arctanh", "degrees", "radians", "deg2rad", "rad2deg",
              "floor", "ceil", "trunc", "rint", "fix", "absolute", "abs", "fabs", "negative",
              "positive", "sign", "reciprocal"):
    if _name in ("sign", "square", "degrees", "radians", "deg2rad", "rad2deg", "abs",
                 "absolute", "copysign", "floor", "ceil", "trunc", "rint", "fix"):
        continue
    register(_name, "np." + _name if _name not in ("positive",) else None)
for _name in ("isnan", "isinf", "isfinite", "logical_not", "invert", "signbit",
              "isposinf", "isneginf"):
    register(_name, "np." + _name if _name not in ("signbit",) else None,
             cast=None)
register("sign", _mx_sign)
register("abs", _mx_abs)
for _name in ("floor", "ceil", "trunc", "rint", "fix"):
    register(_name, _mx_rounding(_name))
register("absolute", _mx_abs)
register("square", _mx_square)
for _name, _factor in (("degrees", 180.0 / np.pi), ("rad2deg", 180.0 / np.pi),
                       ("radians", np.pi / 180.0), ("deg2rad", np.pi / 180.0)):
    register(_name, _mx_scaled(_name, _factor))


def _f32_exact(v):
    """MXNet holds ``clip``'s bounds as float32: 1.1079079077354912 clipped a float64
    array to 1.1079079 (and an int bound above 2**24 would round)."""
    if v is None:
        return True
    if type(v) in (int, float, bool):
        return float(np.float32(v)) == v
    return False


def _fits(value, dtype):
    """``full(..., -1, dtype=uint8)``: NumPy raises OverflowError, MXNet wraps to 255. A
    fill value MXNet takes must be a Python scalar that the dtype holds."""
    dtype = np.dtype(dtype)
    if type(value) is bool:
        return True
    if type(value) is int:
        if dtype.kind in "iu":
            info = np.iinfo(dtype)
            return info.min <= value <= info.max
        return dtype.kind == "f" and abs(value) < 2 ** 24
    if type(value) is float:
        return dtype.kind == "f" and _f32_exact(value) or dtype.kind in "iub" and (
            value == value and abs(value) < 2 ** 24)
    return False


def _decimals_ok(args, kw):
    """MXNet's ``around`` of integers with negative decimals gives 0 (6 -> 0, not 10)."""
    d = args[1] if len(args) > 1 else kw.get("decimals", 0)
    return isinstance(d, int) and d >= 0


register("around", _mx_rounding("around"), kwargs=("decimals",), arrays=(0,),
         accepts=_decimals_ok)
register("round", _mx_rounding("round"), kwargs=("decimals",), arrays=(0,),
         accepts=_decimals_ok)
# cast='result': MXNet clips an int8 array to a float bound in int8 (clip(2, None, 1.5)
# gave 1 for NumPy's 1.5).
register("clip", "np.clip", arrays=(0,), cast="result", dtype="probe",
         accepts=lambda args, kw: all(_f32_exact(a) for a in args[1:3]))
def _legacy_kernel(mx, name):
    """``run(*arrays, **params)``: MXNet's classic operator ``name`` invoked directly on
    ``mx.np`` arrays, giving an ``mx.np`` array (no legacy-array round trip)."""
    import ctypes
    handle = ctypes.c_void_p()
    mx.base.check_call(mx.base._LIB.NNGetOpHandle(mx.base.c_str(name), ctypes.byref(handle)))
    handle = handle.value
    invoke = mx.ndarray._internal._imperative_invoke

    def run(*arrays, **params):
        return invoke(handle, list(arrays), list(params),
                      [str(v) for v in params.values()], None, True, False)
    return run


def _mx_where(mx):
    """``where``: MXNet needs ``x`` and ``y`` of one dtype (NumPy's result dtype).
    ``mx.np.where`` is slow (1.3 ms against 0.26 ms for 256x512 float32); a boolean
    condition with ``x`` and ``y`` of its shape (or scalars) uses the classic kernel."""
    classic = _legacy_kernel(mx, "where")
    ndarray = mx.np.ndarray

    def where(cond, x, y):
        dt = np.result_type(*[a.dtype if hasattr(a, "dtype") else a for a in (x, y)])
        x, y = (a.astype(dt) if hasattr(a, "dtype") and a.dtype != dt else a for a in (x, y))
        if type(cond) is ndarray and cond.dtype == np.bool_:
            shape = cond.shape
            if all(type(a) is not ndarray or a.shape == shape for a in (x, y)):
                x, y = (a if type(a) is ndarray else mx.np.full(shape, a, dtype=dt,
                                                                ctx=cond.ctx)
                        for a in (x, y))
                return classic(cond.astype(dt), x, y)
        return mx.np.where(cond, x, y)
    return where


register("where", _mx_where, cast=None,
         accepts=lambda args, kw: len(args) == 3, dtype=lambda args, kw: np.result_type(
             *[a.dtype if hasattr(a, "dtype") else a for a in args[1:3]]))
register("logaddexp", None)

# -- reductions ----------------------------------------------------------------------
def _mx_summing(name):
    """``sum``/``mean``: ``mx.np``'s kernels sum with compensation and turn any inf into
    nan (sum([inf, 1]) -> nan); MXNet's classic kernels sum as NumPy does. They are
    invoked directly with NumPy-array outputs (no legacy-array round trip)."""
    half_in_single = name == "mean"

    def load(mx):
        import ctypes
        classic = _legacy_kernel(mx, name)
        no_dims = (ctypes.c_int64 * 0)()
        ndarray = mx.np.ndarray

        def as_0d(out):
            # A 0-d view of a one-element result through the C API: mx.np's reshape
            # is an operator call (~10 us), this is ~1 us.
            view = mx.base.NDArrayHandle()
            mx.base.check_call(mx.base._LIB.MXNDArrayReshape64(
                out.handle, 0, no_dims, False, ctypes.byref(view)))
            return ndarray(handle=view)

        def run(a, axis=None, keepdims=False):
            if half_in_single and a.dtype == np.float16:
                # NumPy's mean of float16 adds in float32 (ones(1e5, f2).mean() is 1.0;
                # MXNet's float16 sum overflows to nan).
                return run(a.astype("float32"), axis, keepdims).astype("float16")
            out = (classic(a, keepdims=bool(keepdims)) if axis is None else
                   classic(a, keepdims=bool(keepdims), axis=axis))
            if not keepdims:
                # The classic kernels give shape (1,) where NumPy gives a 0-d result.
                ndim = a.ndim
                reduced = ndim if axis is None else (
                    len(set(axis)) if isinstance(axis, tuple) else 1)
                if reduced == ndim:
                    out = as_0d(out)
            return out
        return run
    return load


def _f16(name, loader):
    """A reduction whose float16 calls at the edges of float16's range run in NumPy
    (only NumPy's own float16 rounding gives its inf and nan there) and otherwise in
    float32 on MXNet, rounded once (:mod:`._float16`)."""
    if isinstance(loader, str):
        loader = (lambda path: lambda mx: functools.reduce(getattr, path, mx))(
            loader.split("."))
    return _float16.checked(name, loader, lambda mx: mx.np)


for _name in ("sum", "mean", "prod", "max", "min", "amax", "amin", "any", "all"):
    register(_name, _f16(_name, _mx_summing(_name) if _name == "sum" else "np." + _name)
             if _name in ("sum", "prod") else
             _mx_summing(_name) if _name == "mean" else "np." + _name,
             arrays=(0,), kwargs=_AXIS, kind="reduction", accepts=_nonempty)
for _name in ("std", "var"):
    register(_name, _f16(_name, "np." + _name), arrays=(0,), kwargs=_AXIS + ("ddof",),
             kind="reduction", accepts=_nonempty)
#: The largest index MXNet's argmax/argmin kernels hold exactly: they keep the running
#: index in the input's dtype (argmax of 129 int8 values gave -127, NumPy 129).
_INDEX_LIMIT = {np.dtype("int8"): 127, np.dtype("uint8"): 255, np.dtype("float16"): 2048,
                np.dtype("float32"): 2 ** 24, np.dtype("int32"): 2 ** 31 - 1}


def _index_fits(args, kw):
    """argmax/argmin: the indices along the reduced axis fit the input's dtype."""
    a = args[0]
    limit = _INDEX_LIMIT.get(a.dtype)
    if limit is None:
        return True
    axis = kw.get("axis", args[1] if len(args) > 1 else None)
    try:
        n = a.size if axis is None else a.shape[axis]
    except (IndexError, TypeError):
        return True  # a bad axis: MXNet raises, NumPy gives its own error
    return n - 1 <= limit


for _name in ("argmax", "argmin"):
    register(_name, "np." + _name, arrays=(0,), kwargs=("axis",), kind="reduction",
             cast=None, accepts=lambda args, kw: _nonempty(args, kw) and _index_fits(
                 args, kw))
def _positive_axes(axis, ndim):
    """``axis`` (None, an int or a sequence) with negative axes counted from the front:
    MXNet 1.9.1's ``flip`` and ``cumsum`` reject negative axes ("index = -1 must be in
    range"). The axes are already checked against ``ndim`` (``_validate``)."""
    if axis is None:
        return None
    if isinstance(axis, (tuple, list)):
        return tuple(a + ndim if a < 0 else a for a in axis)
    return axis + ndim if axis < 0 else axis


register("cumsum", lambda mx: lambda a, axis=None: mx.np.cumsum(
    a, axis=_positive_axes(axis, a.ndim)), arrays=(0,), kwargs=("axis",),
    kind="reduction", accepts=_nonempty)
register("average", _mx_summing("mean"), arrays=(0,), kwargs=("axis",), kind="reduction",
         accepts=_all(_nonempty, lambda args, kw: len(args) == 1))

# -- linear algebra ------------------------------------------------------------------
def _no_0d(args, kw):
    """``inner`` with a 0-d operand kills the process (SIGFPE in MXNet's tensordot)."""
    return all(getattr(a, "ndim", 0) >= 1 for a in args[:2])


for _name in ("dot", "matmul", "inner", "outer", "vdot", "kron"):
    register(_name, "np." + _name if _name != "kron" else None, kind="matmul",
             accepts=_no_0d if _name == "inner" else None)
register("tensordot", "np.tensordot", arrays=(0, 1), kwargs=("axes",), kind="matmul")
def einsum_view(args, kw=None):
    """Whether NumPy's ``einsum`` returns a *view* of its one operand: a relabelling
    that sums no label (``'ij->ji'``, ``'ii->i'``, implicit ``'ji'``). A backend's einsum
    computes a new array there, which writes would not reach (found by the program
    fuzzer), so those calls run in NumPy."""
    if len(args) != 2 or not isinstance(args[0], str):
        return False
    ins, arrow, out = args[0].replace(" ", "").partition("->")
    if "," in ins:
        return False
    dots_in, ins = "..." in ins, ins.replace("...", "")
    if arrow:
        dots_out, out = "..." in out, out.replace("...", "")
    else:  # implicit output: the labels seen once, in order
        dots_out, out = dots_in, "".join(sorted(c for c in set(ins) if ins.count(c) == 1))
    return set(ins) <= set(out) and dots_in == dots_out


register("einsum", "np.einsum", arrays=tuple(range(1, 16)), kind="matmul",
         accepts=lambda args, kw: isinstance(args[0], str) and len(args) > 1
         and not einsum_view(args))
register("trace", _f16("trace", "np.trace"), arrays=(0,), kwargs=("offset", "axis1", "axis2"),
         kind="reduction")
for _name in ("inv", "det", "cholesky"):
    register("linalg." + _name, "np.linalg." + _name, kind="linalg")
# pinv: MXNet has no singular-value cutoff (rcond): a rank-deficient matrix gives garbage
# (pinv(ones((2, 4))) ~ 4e6 for 0.125), and rank is not knowable before running it.
register("linalg.pinv", None, kind="linalg")
register("linalg.slogdet", "np.linalg.slogdet", kind="linalg")
def _solve_unambiguous(args, kw):
    """``solve(a, b)``: MXNet treats a ``b`` of one dimension less than ``a`` as a stack
    of vectors (NumPy 1's rule); NumPy 2 treats only a 1-D ``b`` as a vector. MXNet runs
    the cases both agree on."""
    a, b = (getattr(x, "ndim", None) for x in args[:2])
    return a is not None and b is not None and (b == a or (b == 1 and a == 2))


register("linalg.solve", "np.linalg.solve", kind="linalg", accepts=_solve_unambiguous)
register("linalg.eigh", "np.linalg.eigh", kind="linalg", arrays=(0,))
register("linalg.eigvalsh", "np.linalg.eigvalsh", kind="linalg", arrays=(0,))
def _mx_svd(mx):
    """``svd`` of square matrices: MXNet gives (u, s, vh) as NumPy does; for m != n its
    shapes are the reduced ones (and m > n fails), so those run in NumPy."""
    return lambda a: tuple(mx.np.linalg.svd(a))


register("linalg.svd", _mx_svd, kind="linalg", arrays=(0,),
         accepts=lambda args, kw: len(args) == 1 and args[0].ndim >= 2
         and args[0].shape[-1] == args[0].shape[-2])
register("linalg.norm", _f16("linalg.norm", "np.linalg.norm"), arrays=(0,),
         kwargs=("axis", "keepdims"), kind="reduction",
         accepts=lambda args, kw: len(args) == 1 and kw.get("ord") is None)
register("linalg.qr", None, kind="linalg")

# -- shapes --------------------------------------------------------------------------
_SHAPE = dict(dtype="same", cast=None, kind="shape", arrays=(0,))
# MXNet's reshape takes order='C' (only): the rules and Array.reshape may pass it.
register("reshape", "np.reshape", **_SHAPE,
         accepts=lambda args, kw: kw.get("order", "C") == "C", kwargs=("order",))
register("transpose", "np.transpose", **_SHAPE, kwargs=("axes",))
register("swapaxes", "np.swapaxes", **_SHAPE)
register("moveaxis", "np.moveaxis", **_SHAPE)
register("expand_dims", "np.expand_dims", **_SHAPE, kwargs=("axis",))
register("squeeze", "np.squeeze", **_SHAPE, kwargs=("axis",))
register("ravel", "np.ravel", **_SHAPE, accepts=lambda args, kw: len(args) == 1)
register("flip", lambda mx: lambda m, axis=None: mx.np.flip(m, _positive_axes(axis, m.ndim)),
         **_SHAPE, kwargs=("axis",))
register("fliplr", "np.fliplr", **_SHAPE)
register("flipud", "np.flipud", **_SHAPE)
register("broadcast_to", "np.broadcast_to", **_SHAPE, kwargs=("shape",))
register("tile", "np.tile", **_SHAPE)
register("repeat", "np.repeat", **_SHAPE, kwargs=("axis",),  # repeats=0: wrong shape
         accepts=lambda args, kw: len(args) >= 2 and type(args[1]) is int and args[1] > 0)
register("roll", "np.roll", **_SHAPE, kwargs=("axis",))
register("rot90", "np.rot90", **_SHAPE, kwargs=("k", "axes"))
register("diagonal", "np.diagonal", **_SHAPE, kwargs=("offset", "axis1", "axis2"))
register("diag", "np.diag", **_SHAPE, kwargs=("k",))
register("tril", "np.tril", **_SHAPE, kwargs=("k",))
register("triu", None, **_SHAPE)
for _name in ("atleast_1d", "atleast_2d", "atleast_3d"):
    register(_name, lambda mx, n=_name: lambda a: getattr(mx.np, n)(a), **_SHAPE,
             accepts=lambda args, kw: len(args) == 1)
register("copy", "np.copy", **_SHAPE)
def _mx_pad(mx):
    """``pad`` (constant mode): ``mx.np.pad`` fails on NumPy 2 (``np.compat``) and drops
    its result in constant mode; the kernel itself is right."""
    def pad(a, pad_width, mode="constant", constant_values=0):
        width = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (a.ndim, 2))
        return mx.nd.numpy._internal.pad(a, tuple(map(tuple, width.tolist())),
                                         mode="constant", constant_value=constant_values)
    return pad


def _pad_ok(args, kw):
    if kw.get("mode", "constant") != "constant" or len(args) != 2 or args[0].ndim < 2:
        return False  # 0-d: "Pad does not exist"; 1-d: an index check fails
    try:
        width = np.asarray(args[1])
        np.broadcast_to(width, (args[0].ndim, 2))
    except (ValueError, TypeError):
        return False
    return width.dtype.kind in "iu" and bool((width >= 0).all()) and _f32_exact(
        kw.get("constant_values", 0))


register("pad", _mx_pad, **_SHAPE, kwargs=("mode", "constant_values"), accepts=_pad_ok)
for _name, _axis in (("split", None), ("array_split", None), ("hsplit", "h"),
                    ("vsplit", 0), ("dsplit", 2)):
    register(_name, "np." + _name, **_SHAPE,
             kwargs=("axis",),
             accepts=lambda args, kw, ax=_axis, u=_name == "array_split": _even_split(
                 args, kw, ax, u))
_SEQ = dict(arrays="seq0", kind="shape")
register("concatenate", "np.concatenate", **_SEQ, kwargs=("axis",))
register("stack", "np.stack", **_SEQ, kwargs=("axis",))
for _name in ("vstack", "hstack", "dstack", "column_stack", "row_stack"):
    register(_name, "np." + _name if _name != "row_stack" else "np.vstack", **_SEQ)
register("append", "np.append", arrays=(0, 1), kind="shape", kwargs=("axis",))

# -- sorting, searching, indexing ----------------------------------------------------
def _stable(stable):
    """``stable=`` only where given: NumPy 1 has no such keyword (NumPy 2.0 added it), so
    a call without it runs there and one with it raises NumPy's own TypeError."""
    return {} if stable is None else {"stable": stable}


def _argsort(a, axis=-1, kind=None, order=None, *, stable=None, descending=False):
    """NumPy's ``argsort`` with the array API's ``descending=``: largest first, equal
    elements kept in their order when the sort is stable (NaN, which NumPy sorts last,
    comes first)."""
    if not descending:
        return np.argsort(a, axis, kind, order, **_stable(stable))
    a = np.asarray(a)
    if axis is None:
        a, axis = a.ravel(), -1
    # Sorting the reversed array and reversing the result keeps ties in order.
    flipped = np.argsort(np.flip(a, axis), axis, kind, order, **_stable(stable))
    return a.shape[axis] - 1 - np.flip(flipped, axis)


def _sort(a, axis=-1, kind=None, order=None, *, stable=None, descending=False):
    """NumPy's ``sort`` with the array API's ``descending=`` (see :func:`_argsort`)."""
    if not descending:
        return np.sort(a, axis, kind, order, **_stable(stable))
    a = np.asarray(a)
    if axis is None:
        a, axis = a.ravel(), -1
    return np.take_along_axis(a, _argsort(a, axis, kind, order, stable=stable,
                                          descending=True), axis)


_DESCENDING = ("``descending=True`` (the array API standard's) sorts from the largest; "
               "those calls run in NumPy.")
def _mx_bool_as_uint8(fn, result_bool):
    """MXNet's sort/argsort have no bool kernel; bool orders as its 0/1 bytes do, so
    sort the uint8 view's values (and cast back for ``sort``): exact."""
    def run(a, *args, **kwargs):
        if np.dtype(a.dtype) != np.bool_:
            return fn(a, *args, **kwargs)
        out = fn(a.astype("uint8"), *args, **kwargs)
        return out.astype("bool") if result_bool else out
    return run


register("sort", _nan_free(lambda mx: _mx_bool_as_uint8(mx.np.sort, True)),
         numpy=_sort, arrays=(0,), dtype="same", cast=None, kind="sort", kwargs=("axis",),
         doc=_DESCENDING,
         accepts=lambda args, kw: args[0].ndim >= 1)
register("argsort", _nan_free(lambda mx: _mx_bool_as_uint8(mx.np.argsort, False)),
         numpy=_argsort, arrays=(0,),
         cast=None, kind="sort", kwargs=("axis",), doc=_DESCENDING,
         accepts=lambda args, kw: args[0].ndim >= 1)
TABLE["sort"].signature, TABLE["argsort"].signature = _sort, _argsort
register("unique", _nan_free(lambda mx: mx.np.unique), arrays=(0,), dtype="same",
         cast=None, kind="sort",
         accepts=lambda args, kw: len(args) == 1)
register("nonzero", "np.nonzero", arrays=(0,), cast=None, kind="index")
def _mx_take(mx):
    """``take``: MXNet's default mode rejects negative indices, which NumPy counts from
    the end. The indices are checked to lie in [-n, n) (``_validate``), where MXNet's
    'wrap' mode is NumPy's rule; an int index is made a 0-d array (MXNet takes arrays
    only)."""
    def take(a, indices, axis=None):
        if not isinstance(indices, mx.np.ndarray):
            indices = mx.np.array(indices, dtype=np.int64, ctx=a.ctx)
        return mx.np.take(a, indices, axis=axis, mode="wrap")
    return take


register("take", _mx_take, arrays=(0, 1), cast=None, kind="index", kwargs=("axis",),
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
mx_impl("full").accepts = lambda args, kw: len(args) >= 2 and _fits(args[1], _full_dtype(args, kw))


def _eye(N, M=None, k=0, dtype=None, **kw):
    return np.eye(N, M, k, dtype=_float_default(dtype), **kw)


def _mx_eye(mx):
    """``eye``: MXNet's has no bool dtype; a bool identity is a uint8 one, cast."""
    def eye(N, M=None, k=0, dtype=None, ctx=None):
        dt = _float_default(dtype)
        if dt == np.dtype(bool):
            return mx.np.eye(N, M, k, dtype=np.uint8, ctx=ctx).astype(bool)
        return mx.np.eye(N, M, k, dtype=dt, ctx=ctx)
    return eye


_creation("eye", _eye, _mx_eye,
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


def _arange_dtype(args, kw):
    if kw.get("dtype") is not None:
        return np.dtype(kw["dtype"])
    if all(type(a) is int for a in args):
        return np.dtype(int)
    return get_default_float_dtype()


def _mx_arange(mx):
    def arange(*args, dtype=None, ctx=None):
        return mx.np.arange(*args, dtype=_arange_dtype(args, {"dtype": dtype}), ctx=ctx)
    return arange


register("arange", _mx_arange, numpy=_arange, arrays=(), kind="creation", cast=None,
         kwargs=("dtype",), dtype=_arange_dtype,
         # MXNet computes the length and values in float: ints only, of modest size.
         accepts=lambda args, kw: 1 <= len(args) <= 3 and all(
             type(a) is int and abs(a) < 2 ** 24 for a in args) and (
             len(args) < 3 or args[2] != 0))


def _linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    out = np.linspace(start, stop, num, endpoint, retstep, dtype, axis)
    if dtype is None:
        if retstep:
            return out[0].astype(get_default_float_dtype()), out[1]
        return out.astype(get_default_float_dtype())
    return out


def _mx_linspace(mx):
    def linspace(start, stop, num=50, endpoint=True, dtype=None, ctx=None):
        out = mx.np.linspace(start, stop, num, endpoint=endpoint,
                             dtype=_float_default(dtype), ctx=ctx)
        if endpoint and num > 1:
            # MXNet computes start + (num - 1) * step, which can miss stop by an ulp;
            # NumPy writes stop itself.
            out[-1] = stop
        return out
    return linspace


register("linspace", _mx_linspace, numpy=_linspace, arrays=(), kind="creation",
         cast=None, kwargs=("endpoint", "dtype"),
         dtype=lambda args, kw: _float_default(kw.get("dtype")),
         accepts=lambda args, kw: 2 <= len(args) <= 3 and all(
             isinstance(a, (int, float)) for a in args) and (
             np.dtype(kw.get("dtype") or "float").kind == "f"))


def _like(name):
    ref = getattr(np, name)
    register(name, "np." + name, numpy=ref, arrays=(0,), cast=None, kind="creation",
             kwargs=("dtype",),
             dtype=lambda args, kw: np.dtype(kw["dtype"]) if kw.get("dtype") else (
                 args[0].dtype))


for _name in ("zeros_like", "ones_like", "empty_like"):
    _like(_name)
register("full_like", "np.full_like", arrays=(0,), cast=None, kind="creation",
         kwargs=("dtype",),
         accepts=lambda args, kw: set(kw) <= {"dtype"} and len(args) == 2 and _fits(
             args[1], kw.get("dtype") or args[0].dtype),
         dtype="probe")


# -- more kernels MXNet has natively (each checked by conformance/) ----------------------
register("diff", "np.diff", arrays=(0,), cast=None, kind="shape", kwargs=("n", "axis"),
         accepts=lambda args, kw: len(args) == 1 and args[0].ndim >= 1)
register("ediff1d", lambda mx: lambda a: mx.np.ediff1d(a), arrays=(0,), cast=None,
         kind="shape", accepts=lambda args, kw: len(args) == 1)
register("diagflat", "np.diagflat", **_SHAPE, kwargs=("k",),  # 0-d: "does not exist"
         accepts=lambda args, kw: args[0].ndim >= 1)
_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _polyval_by_dtype(args, kw):
    """Whether ``polyval``'s result dtype follows from its operands' dtypes. NumPy 1
    adds each coefficient to the array as a scalar, promoted by its value (int32 -1 with
    a uint8 ``x`` gives int16, 1 gives uint8; float64 1e5 with float16 gives float32):
    a coefficient dtype of ``x``'s kind or lower that ``x``'s dtype cannot hold makes
    the dtype a matter of the values, so those calls run in NumPy."""
    if not all(hasattr(a, "dtype") for a in args):
        return False
    if int(np.__version__.split(".")[0]) >= 2 or len(args) != 2:
        return True
    p, x = args
    pt, xt = np.dtype(p.dtype), np.dtype(x.dtype)
    if pt.kind not in _KIND_RANK or xt.kind not in _KIND_RANK:
        return False
    return (p.ndim != 1 or x.ndim == 0 or _KIND_RANK[pt.kind] > _KIND_RANK[xt.kind]
            or np.can_cast(pt, xt, "safe"))


register("polyval", "np.polyval", kind="elementwise", accepts=_polyval_by_dtype)
register("linalg.matrix_power", "np.linalg.matrix_power", kind="linalg", arrays=(0,),
         accepts=lambda args, kw: len(args) == 2 and type(args[1]) is int and args[1] >= 0)
register("linalg.multi_dot", "np.linalg.multi_dot", kind="matmul", arrays="seq0",
         accepts=lambda args, kw: len(args) == 1 and len(args[0]) >= 2)
register("linalg.tensorinv", "np.linalg.tensorinv", kind="linalg", arrays=(0,),
         kwargs=("ind",))
register("linalg.tensorsolve", "np.linalg.tensorsolve", kind="linalg", arrays=(0, 1),
         accepts=lambda args, kw: len(args) == 2 and kw.get("axes") is None)


# Not registered: hamming/hanning/blackman (MXNet computes them in float32 even for
# float64, 1e-7 off), linalg.qr (mx.np.linalg.qr fails on NumPy 2), linalg.lstsq,
# matrix_rank, eig/eigvals, percentile/quantile (other conventions).


# -- kernel dtype limits (found by conformance/ under the 'only_mxnet' policy) -----------
_MX = frozenset(np.dtype(t) for t in ("bool", "int8", "uint8", "int32", "int64",
                                      "float16", "float32", "float64"))
_NO_BOOL = _MX - {np.dtype(bool)}


def _limit(names, dtypes):
    for name in names:
        impl = TABLE[name].impls.get(MX)
        if impl is not None:  # (entries MXNet lacks are in the table for other backends)
            impl.dtypes = frozenset(dtypes)


# "Unknown type enum 7": these kernels have no bool instantiation.
_limit(("abs", "absolute", "argmax", "argmin", "unique", "ceil", "floor",
        "trunc", "fix", "flip", "roll", "transpose", "swapaxes", "moveaxis", "rot90",
        "column_stack", "dstack", "hstack", "vstack", "split", "hsplit", "vsplit",
        "dsplit", "array_split", "fliplr", "flipud", "row_stack", "tril", "diff", "ediff1d",
        "diagflat", "diagonal", "diag", "polyval"), _NO_BOOL)
# around/round, sort/argsort: no float16 ('This operation does not support float16') and
# no bool kernel.
# (sort/argsort take bool through uint8: _mx_bool_as_uint8.)
_limit(("around", "round"), _NO_BOOL - {np.dtype("float16")})
_limit(("sort", "argsort"), _MX - {np.dtype("float16")})
# Integer mod through double: wrong beyond 2**53 (1 % -(2**53 + 1)).
_limit(("mod", "remainder"), _MX - {np.dtype("int64")})
# BLAS-backed (CPU): float32/float64 only; float16 only on GPU, not expressible per dtype.
_limit(("dot", "matmul", "inner", "outer", "vdot", "tensordot", "einsum"),
       {np.dtype("float32"), np.dtype("float64")})
# LAPACK-backed: float32/float64 only.
_limit([n for n in TABLE if n.startswith("linalg.") and n != "linalg.norm"],
       {np.dtype("float32"), np.dtype("float64")})


# -- NumPy 2 names for the same ops (acos is arccos, pow is power, ...) ------------------
def _alias(new, old):
    if old in TABLE and np.__dict__.get(new) is not None:
        ref = TABLE[old]
        add(new, numpy=getattr(np, new), impls=ref.impls, arrays=ref.arrays,
            dtype=ref.dtype, kind=ref.kind, doc=f"NumPy's alias of ``{old}``.")


for _new, _old in (("acos", "arccos"), ("acosh", "arccosh"), ("asin", "arcsin"),
                   ("asinh", "arcsinh"), ("atan", "arctan"), ("atanh", "arctanh"),
                   ("atan2", "arctan2"), ("pow", "power"), ("concat", "concatenate"),
                   ("permute_dims", "transpose"), ("bitwise_invert", "invert"),
                   ("bitwise_not", "invert")):
    _alias(_new, _old)


# -- views ---------------------------------------------------------------------------
# Ops whose NumPy result is a view of their first argument: ``Op.view`` is
# ``(args, kwargs) -> bool``, whether NumPy returns a view for these arguments. An
# MXNet result of such a call joins the argument's view family (minpy.core._views);
# NumPy results are linked by the memory they share, so need no rule.
def _contiguous(a):
    """Whether NumPy's reshape/ravel of ``a`` (C order) is a view: true for a
    C-contiguous ``a`` (an owner that lives only in MXNet is); ``None`` (NumPy decides
    on the host forms) where only the host form knows the memory layout."""
    if not isinstance(a, Array):
        return None
    host = a._host
    if host is None:
        return True if a._view is None or a._view.base is None else None
    return True if host.flags.c_contiguous else None


def _getitem_view(args, kw):
    """Basic indexing gives a view, except a key of one int per axis (a scalar)."""
    key = args[1]
    if not _basic_index(key):
        return False
    parts = key if type(key) is tuple else (key,)
    return not (all(type(k) is int for k in parts) and len(parts) == args[0].ndim)


_ALWAYS = lambda args, kw: True  # noqa: E731
for _name in ("transpose", "permute_dims", "swapaxes", "moveaxis", "expand_dims", "squeeze",
              "diagonal", "broadcast_to", "flip", "fliplr", "flipud", "rot90", "atleast_1d",
              "atleast_2d", "atleast_3d", "split", "array_split", "hsplit", "vsplit",
              "dsplit"):
    if _name in TABLE:
        TABLE[_name].view = _ALWAYS
TABLE["getitem"].view = _getitem_view
TABLE["reshape"].view = lambda args, kw: _contiguous(args[0])
TABLE["ravel"].view = lambda args, kw: _contiguous(args[0])
TABLE["diag"].view = lambda args, kw: args[0].ndim == 2
