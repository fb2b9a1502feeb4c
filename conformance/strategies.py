"""The input strategies of the conformance suite, in ONE table.

:data:`OPS` maps every op-table name to ``(kind, options)``; :data:`KINDS` maps each kind
(unary, binary broadcast, comparison, reduction, shape op, matmul-like, linalg,
creation, random, sort/index, getitem, astype) to a builder ``builder(name, **options)``
that returns a hypothesis strategy of :class:`Call` (positional and keyword arguments,
with plain NumPy arrays where arrays go). :data:`ERRORS` does the same for bad input:
``kind -> builder(name) -> strategy of Call`` whose call NumPy rejects.

The tests (``test_ops.py``) run each Call through real NumPy and through
``minpy.numpy`` and compare; ``test_coverage.py`` fails if a table entry has no row here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

# -- dtypes ------------------------------------------------------------------------------
# Float first: hypothesis favours the first entry of a sampled list.
MX = ["float32", "float64", "int32", "int64", "float16", "int8", "uint8", "bool"]
HOST = ["int16", "complex128"]            # dtypes MXNet cannot hold: must stay host-only
INTS = ["int8", "int32", "int64", "uint8", "int16"]
FLOATS = ["float16", "float32", "float64"]
NUMERIC = MX + HOST
REAL = [d for d in NUMERIC if d != "complex128"]
INT_BOOL = ["bool"] + INTS


@dataclass
class Call:
    """One call: ``fn(*args, **kwargs)``; ``check`` says how results are compared."""

    args: tuple
    kwargs: dict = field(default_factory=dict)
    check: str = "values"   # 'values' | 'meta' | 'random' | 'eigh' | 'svd' | 'qr' | 'argsort'
    rtol_scale: float = 1.0  # multiplies the ulps of 'ulps'/'ulps_of_max' tolerances
    info: dict = field(default_factory=dict)
    #: how float values are compared (:func:`harness.value_bound`): 'exact',
    #: 'elementwise' (backward stable), 'accumulate', 'accumulate_sq' (var/std),
    #: 'linalg', 'linalg_out' (absolute, for logarithms), 'ulps', 'ulps_of_max'.
    tol: str = "elementwise"

    def __repr__(self):
        def show(a):
            if isinstance(a, np.ndarray):
                return f"array({a.tolist()!r}, dtype={a.dtype})"
            if isinstance(a, (list, tuple)):
                return type(a)(show(x) for x in a).__repr__()
            return repr(a)
        return f"Call(args={[show(a) for a in self.args]}, kwargs={self.kwargs})"


# -- elements and arrays ------------------------------------------------------------------
_SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0]



def elements(dtype, *, finite=False, lo=None, hi=None):
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return st.booleans()
    if dt.kind in "iu":
        info = np.iinfo(dt)
        lo_ = info.min if lo is None else max(int(np.ceil(lo)), int(info.min))
        hi_ = info.max if hi is None else min(int(np.floor(hi)), int(info.max))
        return st.integers(lo_, hi_)
    if dt.kind == "f":
        width = dt.itemsize * 8
        lo_ = -1e4 if lo is None else lo
        hi_ = 1e4 if hi is None else hi
        base = st.floats(lo_, hi_, width=width)
        if finite:
            return base
        return st.one_of(base, base, base, st.sampled_from(_SPECIAL))
    if dt.kind == "c":
        mag = 1e3 if hi is None else max(abs(hi), abs(lo or 0))
        base = st.complex_numbers(max_magnitude=mag, allow_nan=False,
                                  allow_infinity=False, width=dt.itemsize * 8)
        if finite:
            return base
        return st.one_of(base, base, st.just(complex(np.nan, 1.0)))
    raise TypeError(dtype)


def arrays(dtype, shape, **el):
    return hnp.arrays(np.dtype(dtype), shape, elements=elements(dtype, **el))


SHAPES = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4)
NONEMPTY = hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4)

#: One example in EMPTY_ONE_IN may have zero-size arrays, one in HOST_ONE_IN a dtype
#: MXNet cannot hold: the rest are inputs the MXNet backend can actually run.
EMPTY_ONE_IN = 10
HOST_ONE_IN = 10


def a_dtype(draw, dtypes):
    """A dtype from ``dtypes``: host-only ones (MXNet cannot hold them) 1 in HOST_ONE_IN."""
    dtypes = list(dtypes)
    host = [d for d in dtypes if d in HOST]
    mx = [d for d in dtypes if d not in HOST]
    if host and (not mx or draw(_one_in(HOST_ONE_IN))):
        return draw(st.sampled_from(host))
    return draw(st.sampled_from(mx))


def _one_in(n):
    """True one time in ``n`` (hypothesis draws the first element of a sampled list as
    often as it likes: the rare choice is the last one)."""
    return st.sampled_from([False] * (n - 1) + [True])


def _min_side(draw, lo=0):
    """0 (zero-size arrays allowed) 1 in EMPTY_ONE_IN, else 1."""
    if lo > 0:
        return lo
    return 0 if draw(_one_in(EMPTY_ONE_IN)) else 1


@st.composite
def an_array(draw, dtypes=NUMERIC, shape=None, min_dims=0, max_dims=4, min_side=None,
             max_side=4, **el):
    dtype = a_dtype(draw, dtypes)
    if shape is None:
        lo = _min_side(draw, min_side or 0)
        shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims,
                                      min_side=lo, max_side=max(lo, max_side)))
    return draw(arrays(dtype, shape, **el))


# -- elementwise --------------------------------------------------------------------------
@st.composite
def unary(draw, name, dtypes=NUMERIC, kwargs=None, **el):
    a = draw(an_array(dtypes, **el))
    kw = {k: draw(v) for k, v in (kwargs or {}).items()}
    return Call((a,), kw)


def _scalar_for(dtype):
    """A Python scalar operand (NumPy 2 weak promotion) of ``dtype``'s kind."""
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return st.booleans()
    if dt.kind in "iu":
        return st.integers(0, 100)
    if dt.kind == "c":
        return st.complex_numbers(max_magnitude=10, allow_nan=False, allow_infinity=False)
    return st.floats(-100, 100)


@st.composite
def binary(draw, name, dtypes=NUMERIC, dtypes2=None, same_dtype=False, scalars=True,
           **el):
    shapes = draw(hnp.mutually_broadcastable_shapes(
        num_shapes=2, min_dims=0, max_dims=4, min_side=_min_side(draw),
        max_side=4)).input_shapes
    da = a_dtype(draw, dtypes)
    if dtypes2 is not None:
        db = a_dtype(draw, dtypes2)
    elif same_dtype:
        db = da
    else:
        db = draw(st.one_of(st.just(da), st.just(a_dtype(draw, dtypes))))
    el2 = el.pop("el2", el)
    a = draw(arrays(da, shapes[0], **el))
    which = draw(st.integers(0, 9)) if scalars else 9
    if which == 0:          # scalar on the right
        b = draw(_scalar_for(db))
    elif which == 1:        # scalar on the left
        return Call((draw(_scalar_for(da)), draw(arrays(db, shapes[1], **el2))))
    else:
        b = draw(arrays(db, shapes[1], **el2))
    return Call((a, b))


@st.composite
def clip(draw, name):
    a = draw(an_array(REAL))
    # float32-exact bounds mostly (what MXNet's clip takes), any float sometimes.
    lo = draw(st.one_of(st.integers(-50, 0), st.floats(-50, 0, width=32), st.none(),
                        st.floats(-50, 0)))
    hi = draw(st.one_of(st.integers(0, 50), st.floats(0, 50, width=32), st.floats(0, 50)))
    return Call((a, lo, hi), tol="exact")


@st.composite
def where(draw, name):
    if draw(_one_in(5)):
        return Call((draw(an_array(NUMERIC, min_dims=1)),), tol="exact")
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3,
                                                     min_side=_min_side(draw),
                                                     max_side=3)).input_shapes
    cond = draw(arrays("bool", shapes[0]))
    x = draw(an_array(NUMERIC, shape=shapes[1]))
    y = draw(an_array(NUMERIC, shape=shapes[2]))
    return Call((cond, x, y), tol="exact")


# -- reductions ---------------------------------------------------------------------------
def draw_axis(draw, ndim, tuple_axis=True, keepdims=True, choices=3):
    """``axis``/``keepdims`` keywords for a reduction over ``ndim`` dimensions: no axis,
    one (possibly negative) axis, or a tuple of distinct axes (choices 0, 1, 2; higher
    choices also mean no axis)."""
    kw = {}
    choice = draw(st.integers(0, choices))
    if choice == 1 and ndim:
        kw["axis"] = draw(st.integers(-ndim, ndim - 1))
    elif choice == 2 and ndim and tuple_axis:
        kw["axis"] = tuple(draw(st.lists(st.integers(0, ndim - 1), min_size=1,
                                         max_size=ndim, unique=True)))
    if keepdims and draw(st.booleans()):
        kw["keepdims"] = True
    return kw


@st.composite
def reduction(draw, name, dtypes=NUMERIC, tuple_axis=True, keepdims=True, extra=None,
              min_dims=0, **el):
    a = draw(an_array(dtypes, min_dims=min_dims, **el))
    kw = draw_axis(draw, a.ndim, tuple_axis, keepdims)
    for k, v in (extra or {}).items():
        val = draw(v)
        if val is not None:
            kw[k] = val
    return Call((a,), kw, tol=_REDUCTION_TOL.get(name, "exact"))


#: How each float reduction's values are compared (the rest are exact: max, argmin, ...).
_REDUCTION_TOL = {"sum": "accumulate", "prod": "accumulate", "mean": "accumulate",
                  "cumsum": "accumulate", "average": "accumulate",
                  "std": "accumulate_sq", "var": "accumulate_sq"}


@st.composite
def trace(draw, name):
    a = draw(an_array(REAL, min_dims=2, finite=True, lo=-100, hi=100))
    kw = {}
    if draw(st.booleans()):
        kw["offset"] = draw(st.integers(-3, 3))
    if draw(st.booleans()):
        ax = draw(st.lists(st.integers(0, a.ndim - 1), min_size=2, max_size=2, unique=True))
        kw["axis1"], kw["axis2"] = ax
    return Call((a,), kw, tol="accumulate")


@st.composite
def norm(draw, name):
    a = draw(an_array(FLOATS + ["int32", "int64"], finite=True, lo=-100, hi=100))
    kw = {}
    if a.ndim and draw(st.booleans()):
        kw["axis"] = draw(st.integers(-a.ndim, a.ndim - 1))
    elif a.ndim >= 2 and draw(st.booleans()):
        kw["axis"] = tuple(draw(st.lists(st.integers(0, a.ndim - 1), min_size=2,
                                         max_size=2, unique=True)))
    if draw(st.booleans()):
        kw["keepdims"] = True
    if draw(st.integers(0, 3)) == 0 and "axis" in kw and not isinstance(kw["axis"], tuple):
        kw["ord"] = draw(st.sampled_from([1, 2, np.inf]))
    return Call((a,), kw, tol="accumulate")


# -- matmul-like --------------------------------------------------------------------------
_MM = dict(dtypes=["float32", "float64", "int32", "int64", "float16", "int8", "uint8",
                   "bool", "int16", "complex128"], finite=True, lo=-8, hi=8)
D = st.integers(0, 4)


@st.composite
def _two(draw, sa, sb, dtypes=_MM["dtypes"]):
    # MXNet's matmul-like kernels are float32/float64 only: those two in 2 of 3 examples.
    if draw(_one_in(3)):
        da = a_dtype(draw, dtypes)
        db = draw(st.one_of(st.just(da), st.just(a_dtype(draw, dtypes))))
    else:
        da = db = draw(st.sampled_from(["float32", "float64"]))
    a = draw(arrays(da, sa, finite=True, lo=-8, hi=8))
    b = draw(arrays(db, sb, finite=True, lo=-8, hi=8))
    return a, b


@st.composite
def matmul_like(draw, name):
    lo = _min_side(draw)
    n, k, m = (draw(st.integers(lo, 4)) for _ in range(3))
    batch = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    # The matrix-matrix cases first (hypothesis favours the first entry), 0-d last.
    case = draw(st.sampled_from([2, 4, 3, 1, 0]))
    kw = {}
    if name == "dot":  # noqa: SIM114
        sa, sb = [((), batch + (k,)), ((k,), (k,)), ((n, k), (k, m)), (batch + (n, k), (k,)),
                  (batch + (n, k), (2, k, m))][case]
    elif name == "matmul":
        sa, sb = [((k,), (k,)), ((n, k), (k,)), ((k,), batch + (k, m)),
                  (batch + (n, k), (k, m)), (batch + (n, k), batch + (k, m))][case]
    elif name == "inner":
        sa, sb = [((), batch), ((k,), (k,)), ((n, k), (m, k)), (batch + (k,), (k,)),
                  ((n, k), batch + (k,))][case]
    elif name == "vdot":
        sa, sb = [((k,), (k,)), ((n, k), (n * k,)), ((n, k), (k, n)), ((), ()),
                  ((2, n), (n, 2))][case]
    elif name in ("outer", "kron"):
        sa = tuple(draw(st.lists(st.integers(lo, 3), max_size=3)))
        sb = tuple(draw(st.lists(st.integers(lo, 3), max_size=3)))
    elif name == "tensordot":
        axes = case % 3
        sa = batch + (n, k)[2 - axes:]
        sb = (n, k)[2 - axes:] + (m,)
        kw["axes"] = axes
    else:
        raise KeyError(name)
    a, b = draw(_two(sa, sb))
    return Call((a, b), kw, tol="accumulate")


_EINSUM = [("ij,jk->ik", ["nk", "km"]), ("ii->i", ["nn"]), ("ij->ji", ["nk"]),
           ("i,i->", ["k", "k"]), ("bij,bjk->bik", ["bnk", "bkm"]), ("ij->", ["nk"]),
           ("i,j->ij", ["n", "m"]), ("ij,ij->i", ["nk", "nk"])]


@st.composite
def einsum(draw, name):
    spec, shapes = draw(st.sampled_from(_EINSUM))
    lo = _min_side(draw)
    sizes = {c: draw(st.integers(1 if c == "b" else lo, 3)) for c in "bnkm"}
    dtype = draw(st.sampled_from(["float32", "float64"] * 2 + ["int32", "int64"]))
    ops = [draw(arrays(dtype, tuple(sizes[c] for c in s), finite=True, lo=-8, hi=8))
           for s in shapes]
    return Call((spec, *ops), tol="accumulate")


# -- linalg -------------------------------------------------------------------------------
@st.composite
def _square(draw, spd=False, dtypes=("float32", "float64"), rect=False):
    n = draw(st.integers(1, 4))
    m = draw(st.integers(1, 4)) if rect else n
    batch = tuple(draw(st.lists(st.integers(1, 2), max_size=2)))
    dtype = draw(st.sampled_from(list(dtypes)))
    a = draw(arrays("float64", batch + (n, m), finite=True, lo=-1, hi=1))
    if spd:
        a = a @ np.swapaxes(a, -1, -2) + n * np.eye(n)
    elif not rect:
        a = a + (n + 1) * np.eye(n)   # strictly diagonally dominant: well conditioned
    return a.astype(dtype)


@st.composite
def linalg(draw, name):
    short = name.split(".")[1]
    if short in ("cholesky", "eigh", "eigvalsh"):
        a = draw(_square(spd=True))
        check = {"eigh": "eigh"}.get(short, "values")
        return Call((a,), check=check, tol="linalg")
    if short in ("svd", "qr", "pinv"):
        a = draw(_square(rect=True))
        return Call((a,), check={"svd": "svd", "qr": "qr"}.get(short, "values"),
                    tol="linalg")
    if short == "solve":
        a = draw(_square(dtypes=("float32", "float64", "int64")))
        n = a.shape[-1]
        if a.ndim == 2 and draw(st.booleans()):
            b = draw(arrays(a.dtype, (n,), finite=True, lo=-5, hi=5))
        else:
            b = draw(arrays(a.dtype, a.shape[:-2] + (n, draw(st.integers(1, 3))),
                            finite=True, lo=-5, hi=5))
        return Call((a, b), tol="linalg")
    a = draw(_square(dtypes=("float32", "float64", "int64") if short != "inv" else
                     ("float32", "float64")))
    return Call((a,), tol="linalg_out" if short == "slogdet" else "linalg")


# -- shape ops ----------------------------------------------------------------------------
def _perm(draw, n):
    return tuple(draw(st.permutations(list(range(n)))))


@st.composite
def shape_op(draw, name):
    min_dims = _SHAPE_MIN_DIMS.get(name, 0)
    if name == "pad" and not draw(_one_in(4)):
        min_dims = 2                      # MXNet's pad needs ndim >= 2: mostly those
    a = draw(an_array(NUMERIC, min_dims=min_dims, max_side=3))
    nd = a.ndim
    ax = st.integers(-nd, nd - 1) if nd else st.just(0)
    if name == "reshape":
        sizes = list(a.shape)
        perm = draw(st.permutations(sizes)) if sizes else []
        shape = tuple(perm)
        if draw(st.booleans()) and shape and a.size:
            i = draw(st.integers(0, len(shape) - 1))
            shape = shape[:i] + (-1,) + shape[i + 1:]
        if draw(st.booleans()):
            shape = (a.size,)
        return Call((a, shape))
    if name in ("transpose", "permute_dims"):
        return Call((a,) if draw(st.booleans()) else (a, _perm(draw, nd)))
    if name == "swapaxes":
        return Call((a, draw(ax), draw(ax)))
    if name == "moveaxis":
        return Call((a, draw(ax), draw(ax)))
    if name == "expand_dims":
        return Call((a, draw(st.integers(-nd - 1, nd))))
    if name == "squeeze":
        ones = [i for i, s in enumerate(a.shape) if s == 1]
        if ones and draw(st.booleans()):
            return Call((a,), {"axis": draw(st.sampled_from(ones))})
        return Call((a,))
    if name in ("ravel", "copy", "atleast_1d", "atleast_2d", "atleast_3d", "fliplr",
                "flipud"):
        return Call((a,))
    if name == "flip":
        return Call((a,), {"axis": draw(ax)} if nd and draw(st.booleans()) else {})
    if name == "broadcast_to":
        extra = tuple(draw(st.lists(st.integers(0, 3), max_size=2)))
        shape = extra + tuple(s if s != 1 else draw(st.integers(1, 3)) for s in a.shape)
        return Call((a, shape))
    if name == "tile":
        return Call((a, draw(st.one_of(st.integers(0, 3),
                                       st.tuples(st.integers(0, 2), st.integers(1, 3))))))
    if name == "repeat":
        kw = {"axis": draw(ax)} if nd and draw(st.booleans()) else {}
        return Call((a, draw(st.integers(0, 3))), kw)
    if name == "roll":
        shift = draw(st.integers(-5, 5))
        return Call((a, shift), {"axis": draw(ax)} if nd and draw(st.booleans()) else {})
    if name == "rot90":
        kw = {"k": draw(st.integers(-3, 5))}
        if draw(st.booleans()):
            kw["axes"] = tuple(draw(st.lists(st.integers(0, nd - 1), min_size=2, max_size=2,
                                             unique=True)))
        return Call((a,), kw)
    if name == "diagonal":
        axes = draw(st.lists(st.integers(0, nd - 1), min_size=2, max_size=2, unique=True))
        return Call((a,), {"offset": draw(st.integers(-2, 2)), "axis1": axes[0],
                           "axis2": axes[1]})
    if name in ("diag", "tril", "triu"):
        return Call((a,), {"k": draw(st.integers(-2, 2))})
    if name == "pad":
        width = draw(st.one_of(st.integers(0, 2),
                               st.tuples(st.integers(0, 2), st.integers(0, 2))))
        kw = {"mode": "constant"} if draw(st.booleans()) else {}
        if draw(st.booleans()) and a.dtype.kind in "iuf":
            kw["constant_values"] = draw(st.integers(0, 5))
        return Call((a, width), kw)
    if name in ("split", "array_split", "hsplit", "vsplit", "dsplit"):
        axis = {"hsplit": 1 if nd > 1 else 0, "vsplit": 0, "dsplit": 2}.get(name)
        if axis is None:
            axis = draw(st.integers(0, nd - 1))
        n = a.shape[axis]
        if draw(st.booleans()) or name == "array_split":
            divisors = [d for d in range(1, 5) if (n % d == 0 if name != "array_split"
                                                  else True)]
            sections = draw(st.sampled_from(divisors))
        else:
            sections = sorted(draw(st.lists(st.integers(0, n + 1), max_size=3)))
        kw = {"axis": axis} if name in ("split", "array_split") and axis else {}
        return Call((a, sections), kw)
    raise KeyError(name)


_SHAPE_MIN_DIMS = {"swapaxes": 1, "moveaxis": 1, "fliplr": 2, "flipud": 1, "rot90": 2,
                   "diagonal": 2, "diag": 1, "tril": 2, "triu": 2, "split": 1,
                   "array_split": 1, "hsplit": 1, "vsplit": 2, "dsplit": 3}


@st.composite
def joining(draw, name):
    n = draw(st.integers(1, 3))
    base = list(draw(hnp.array_shapes(min_dims=0 if name in ("stack", "hstack", "vstack",
                                                            "dstack", "row_stack",
                                                            "column_stack", "append")
                                      else 1, max_dims=3, min_side=_min_side(draw),
                                      max_side=3)))
    kw = {}
    axis = None
    if name in ("concatenate", "concat") and base:
        axis = draw(st.integers(0, len(base) - 1))
        kw["axis"] = axis
    elif name == "stack":
        kw["axis"] = draw(st.integers(-len(base) - 1, len(base)))
    elif name == "append" and base and draw(st.booleans()):
        axis = draw(st.integers(0, len(base) - 1))
        kw["axis"] = axis
    dtype = a_dtype(draw, NUMERIC)
    arrs = []
    for _ in range(n if name != "append" else 2):
        shape = list(base)
        if axis is not None:
            shape[axis] = draw(st.integers(_min_side(draw), 3))
        dt = draw(st.one_of(st.just(dtype), st.just(a_dtype(draw, NUMERIC))))
        arrs.append(draw(arrays(dt, tuple(shape))))
    if name == "append":
        return Call(tuple(arrs), kw)
    return Call((arrs if draw(st.booleans()) else tuple(arrs),), kw)


# -- sort / index -------------------------------------------------------------------------
@st.composite
def sort_op(draw, name):
    a = draw(an_array(REAL))
    kw = {}
    if draw(st.booleans()):
        kw["axis"] = draw(st.integers(-a.ndim, a.ndim - 1)) if a.ndim else None
    elif draw(st.booleans()):
        kw["axis"] = None
    return Call((a,), kw, check="argsort" if name == "argsort" else "values")


@st.composite
def take(draw, name):
    a = draw(an_array(NUMERIC, min_dims=1))
    axis = draw(st.one_of(st.none(), st.integers(-a.ndim, a.ndim - 1)))
    n = a.size if axis is None else a.shape[axis]
    ishape = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3))
    if n == 0:
        ishape = (0,)
        idx = np.zeros(ishape, dtype=np.int64)
    else:
        idx = draw(hnp.arrays(draw(st.sampled_from(["int32", "int64"])), ishape,
                              elements=st.integers(-n, n - 1)))
    return Call((a, idx), {"axis": axis} if axis is not None else {})


@st.composite
def basic_key(draw, shape):
    parts = []
    dims = list(shape)
    used_ellipsis = False
    for s in dims:
        c = draw(st.integers(0, 5))
        if c == 0 and s:
            parts.append(draw(st.integers(-s, s - 1)))
        elif c == 1:
            parts.append(None)
            parts.append(slice(None))
        elif c == 2 and not used_ellipsis:
            parts.append(Ellipsis)
            used_ellipsis = True
            break
        else:
            start = draw(st.one_of(st.none(), st.integers(-s - 1, s + 1)))
            stop = draw(st.one_of(st.none(), st.integers(-s - 1, s + 1)))
            step = draw(st.one_of(st.none(), st.sampled_from([1, 2, -1, -2])))
            parts.append(slice(start, stop, step))
    if not parts:
        return draw(st.sampled_from([(), Ellipsis, None]))
    return parts[0] if len(parts) == 1 and draw(st.booleans()) else tuple(parts)


@st.composite
def adv_key(draw, a):
    c = draw(st.integers(0, 3))
    if c == 0 or a.ndim == 0:
        return draw(hnp.arrays(np.bool_, a.shape))             # boolean mask
    s = a.shape[0]
    idx = (np.zeros((0,), np.int64) if s == 0 else
           draw(hnp.arrays(np.int64, draw(st.integers(0, 4)), elements=st.integers(-s, s - 1))))
    if c == 1:
        return idx
    if c == 2:
        return (idx, Ellipsis)
    return [int(i) for i in idx] if len(idx) else idx        # a list of ints


@st.composite
def getitem(draw, name):
    a = draw(an_array(NUMERIC, max_side=4))
    key = draw(basic_key(a.shape)) if draw(st.integers(0, 2)) else draw(adv_key(a))
    return Call((a, key))


@st.composite
def astype(draw, name):
    src = a_dtype(draw, NUMERIC)
    dst = a_dtype(draw, NUMERIC)
    shapes = SHAPES if _min_side(draw) == 0 else NONEMPTY
    # Out-of-range float->int casts are undefined behaviour in C (and so in NumPy).
    sdt, ddt = np.dtype(src), np.dtype(dst)
    el = {}
    if sdt.kind in "fc" and ddt.kind in "iu":
        el = dict(finite=True, lo=0 if ddt.kind == "u" else -100, hi=100)
    if sdt.kind == "c" and ddt.kind in "iuf":
        return Call((draw(arrays(src, draw(shapes), finite=True, lo=-100, hi=100)), dst))
    a = draw(arrays(src, draw(shapes), **el))
    return Call((a, dst))


@st.composite
def unique(draw, name):
    return Call((draw(an_array(REAL, max_dims=3)),))


@st.composite
def nonzero(draw, name):
    return Call((draw(an_array(NUMERIC, min_dims=1)),))


# -- creation -----------------------------------------------------------------------------
SHAPE_ARG = st.one_of(st.integers(0, 4), st.tuples(), st.tuples(st.integers(0, 3)),
                      st.tuples(st.integers(0, 3), st.integers(0, 3)))
DTYPE_ARG = st.one_of(st.none(), st.sampled_from(NUMERIC))


@st.composite
def creation(draw, name):
    if name in ("zeros", "ones", "empty"):
        dt = draw(DTYPE_ARG)
        return Call((draw(SHAPE_ARG),), {"dtype": dt} if dt else {},
                    check="meta" if name == "empty" else "values")
    if name == "full":
        fill = draw(st.one_of(st.integers(-5, 5), st.floats(-5, 5), st.booleans()))
        dt = draw(DTYPE_ARG)
        return Call((draw(SHAPE_ARG), fill), {"dtype": dt} if dt else {})
    if name == "eye":
        args = (draw(st.integers(0, 4)), draw(st.one_of(st.none(), st.integers(0, 4))),
                draw(st.integers(-2, 2)))
        dt = draw(DTYPE_ARG)
        return Call(args, {"dtype": dt} if dt else {})
    if name == "identity":
        dt = draw(DTYPE_ARG)
        return Call((draw(st.integers(0, 4)),), {"dtype": dt} if dt else {})
    if name == "arange":
        c = draw(st.integers(0, 3))
        if c == 0:
            return Call((draw(st.integers(-3, 10)),))
        if c == 1:
            return Call((draw(st.integers(-5, 5)), draw(st.integers(-5, 10))))
        if c == 2:
            return Call((draw(st.integers(-5, 5)), draw(st.integers(-5, 10)),
                         draw(st.sampled_from([1, 2, 3, -1]))),
                        {"dtype": draw(st.sampled_from(["int32", "int64", "float32"]))})
        return Call((draw(st.floats(-3, 3)), draw(st.floats(-3, 10)),
                     draw(st.sampled_from([0.5, 0.25, 1.5]))))
    if name == "linspace":
        kw = {}
        if draw(st.booleans()):
            kw["endpoint"] = draw(st.booleans())
        if draw(st.booleans()):
            kw["dtype"] = draw(st.sampled_from(["float32", "float64", "int64"]))
        return Call((draw(st.floats(-5, 5)), draw(st.floats(-5, 5)), draw(st.integers(0, 6))),
                    kw)
    if name.endswith("_like"):
        a = draw(an_array(NUMERIC))
        kw = {}
        if draw(st.booleans()):
            kw["dtype"] = draw(st.sampled_from(NUMERIC))
        args = (a, draw(st.one_of(st.integers(-3, 3), st.floats(-3, 3)))) \
            if name == "full_like" else (a,)
        return Call(args, kw, check="meta" if name == "empty_like" else "values")
    raise KeyError(name)


@st.composite
def random_op(draw, name):
    short = name.split(".")[1]
    size = draw(st.one_of(st.none(), SHAPE_ARG))
    if short in ("rand", "randn"):
        dims = draw(st.lists(st.integers(0, 3), max_size=3))
        return Call(tuple(dims), check="random", info={"range": (0, 1) if short == "rand"
                                                       else None})
    if short == "uniform":
        lo = draw(st.floats(-5, 5))
        hi = lo + draw(st.floats(0.5, 5))
        return Call((lo, hi), {"size": size}, check="random", info={"range": (lo, hi)})
    if short == "normal":
        return Call((draw(st.floats(-5, 5)), draw(st.floats(0.1, 3))), {"size": size},
                    check="random")
    if short in ("gamma", "beta", "lognormal"):
        a, b = draw(st.floats(0.5, 4)), draw(st.floats(0.5, 4))
        return Call((a, b), {"size": size}, check="random",
                    info={"range": (0, 1) if short == "beta" else (0, np.inf)})
    if short == "chisquare":
        return Call((draw(st.floats(0.5, 6)),), {"size": size}, check="random",
                    info={"range": (0, np.inf)})
    if short == "randint":
        lo = draw(st.integers(-10, 10))
        hi = lo + draw(st.integers(1, 10))
        kw = {"size": size}
        if draw(st.booleans()):
            kw["dtype"] = draw(st.sampled_from(["int32", "int64", "int8", "uint8"]))
            if kw["dtype"] == "uint8":
                lo, hi = abs(lo), abs(lo) + hi - lo
            if kw["dtype"] == "int8":
                lo, hi = max(lo, -128), min(hi, 127)
        return Call((lo, hi), kw, check="random", info={"range": (lo, hi - 1)})
    raise KeyError(name)


@st.composite
def misc(draw, name):
    """Ops with their own argument shapes: diff, ediff1d, diagflat, polyval, windows."""
    if name == "diff":
        a = draw(an_array(REAL, min_dims=1, finite=True, lo=-100, hi=100))
        kw = {}
        if draw(st.booleans()):
            kw["n"] = draw(st.integers(0, 3))
        if draw(st.booleans()):
            kw["axis"] = draw(st.integers(-a.ndim, a.ndim - 1))
        return Call((a,), kw)
    if name == "ediff1d":
        return Call((draw(an_array(REAL, finite=True, lo=-100, hi=100)),))
    if name == "diagflat":
        a = draw(an_array(NUMERIC, max_dims=2))
        return Call((a,), {"k": draw(st.integers(-2, 2))} if draw(st.booleans()) else {})
    if name == "polyval":
        p = draw(an_array(REAL, shape=(draw(st.integers(1, 4)),), finite=True, lo=-5, hi=5))
        x = draw(an_array(REAL, finite=True, lo=-3, hi=3))
        return Call((p, x))
    if name in ("hamming", "hanning", "blackman"):
        return Call((draw(st.integers(0, 12)),))
    raise KeyError(name)


@st.composite
def linalg_more(draw, name):
    short = name.split(".")[1]
    if short == "matrix_power":
        a = draw(_square(dtypes=("float32", "float64")))
        p = draw(st.integers(0, 4))
        return Call((a / a.shape[-1], p))
    if short == "multi_dot":
        dims = draw(st.lists(st.integers(1, 4), min_size=3, max_size=5))
        dtype = draw(st.sampled_from(["float32", "float64"]))
        mats = [draw(arrays(dtype, (dims[i], dims[i + 1]), finite=True, lo=-3, hi=3))
                for i in range(len(dims) - 1)]
        return Call((mats,))
    if short == "tensorinv":
        a = draw(_square(dtypes=("float32", "float64")))
        n = a.shape[-1]
        a = a.reshape(-1)[: n * n].reshape(n, n) if a.ndim > 2 else a
        if n % 2 == 0 and draw(st.booleans()):
            return Call((a.reshape(n, 2, n // 2),), {"ind": 1})
        return Call((a.reshape(n, n),), {"ind": 1})
    if short == "tensorsolve":
        a = draw(_square(dtypes=("float32", "float64")))
        n = a.shape[-1]
        a = a.reshape(-1)[: n * n].reshape(n, n)
        b = draw(arrays(a.dtype, (n,), finite=True, lo=-5, hi=5))
        return Call((a, b))
    raise KeyError(name)


# -- the table ----------------------------------------------------------------------------
#: kind -> builder(name, **options) -> strategy of Call.
KINDS = {
    "unary": unary, "binary": binary, "comparison": binary, "clip": clip, "where": where,
    "reduction": reduction, "trace": trace, "norm": norm, "matmul": matmul_like,
    "einsum": einsum, "linalg": linalg, "shape": shape_op, "join": joining,
    "sort": sort_op, "unique": unique, "nonzero": nonzero, "take": take,
    "getitem": getitem, "astype": astype, "creation": creation, "random": random_op,
    "misc": misc, "linalg_more": linalg_more,
}

_F = dict(dtypes=NUMERIC)                            # float math; ints are promoted
_POS = dict(dtypes=REAL, lo=0)                       # domains that need x >= 0 ...
_I = dict(dtypes=INT_BOOL)
_NOBOOL = [d for d in NUMERIC if d != "bool"]

#: op-table name -> (kind, options for the kind's builder).
OPS: dict[str, tuple[str, dict]] = {}


def _rows(kind, names, **opts):
    for n in names:
        OPS[n] = (kind, opts)


_rows("binary", ["add", "multiply", "maximum", "minimum", "fmax", "fmin"])
_rows("binary", ["subtract"], dtypes=_NOBOOL)
_rows("binary", ["true_divide", "divide", "hypot", "arctan2", "logaddexp", "copysign",
                 "float_power"], dtypes=REAL)
_rows("binary", ["mod", "remainder", "floor_divide", "fmod"], dtypes=REAL)
_rows("binary", ["power"], dtypes=_NOBOOL, lo=-5000, hi=5000,
      el2=dict(lo=-3, hi=3))
_rows("binary", ["ldexp"], dtypes=FLOATS, dtypes2=["int8", "int32", "int64"],
      scalars=False, lo=-20, hi=20)
_rows("binary", ["lcm"], dtypes=["int8", "int32", "int64", "uint8", "int16"],
      lo=-50, hi=50)
_rows("binary", ["bitwise_and", "bitwise_or", "bitwise_xor"], dtypes=INT_BOOL)
_rows("comparison", ["equal", "not_equal", "less", "less_equal", "greater",
                     "greater_equal", "logical_and", "logical_or", "logical_xor"])
_rows("unary", ["exp", "expm1", "sin", "cos", "tan", "arctan", "sinh", "cosh", "tanh",
                "arcsinh", "degrees", "radians", "deg2rad", "rad2deg", "square", "cbrt",
                "reciprocal", "negative"], dtypes=[d for d in NUMERIC if d != "bool"])
_rows("unary", ["log", "log2", "log10", "log1p", "sqrt", "arcsin", "arccos", "arccosh",
                "arctanh"], **_F)
_rows("unary", ["floor", "ceil", "trunc", "rint", "fix", "absolute", "abs", "fabs",
                "positive", "sign", "isnan", "isinf", "isfinite", "logical_not",
                "signbit", "isposinf", "isneginf"], dtypes=NUMERIC)
_rows("unary", ["invert"], **_I)
_rows("unary", ["around", "round"], dtypes=NUMERIC,
      kwargs={"decimals": st.sampled_from([0, 1, 2, -1])})
_rows("clip", ["clip"])
_rows("where", ["where"])
_rows("reduction", ["sum", "prod", "max", "min", "amax", "amin", "any", "all"],
      dtypes=NUMERIC, lo=-20, hi=20)
_rows("reduction", ["mean", "std", "var"], dtypes=NUMERIC, lo=-100, hi=100,
      extra={"ddof": st.sampled_from([None, 0, 1])})
OPS["mean"] = ("reduction", dict(dtypes=NUMERIC, lo=-100, hi=100))
_rows("reduction", ["argmax", "argmin"], dtypes=REAL, tuple_axis=False)
_rows("reduction", ["cumsum"], dtypes=NUMERIC, tuple_axis=False, keepdims=False,
      lo=-20, hi=20)
_rows("reduction", ["average"], dtypes=NUMERIC, keepdims=False, lo=-100, hi=100)
_rows("trace", ["trace"])
_rows("norm", ["linalg.norm"])
_rows("matmul", ["dot", "matmul", "inner", "outer", "vdot", "kron", "tensordot"])
_rows("einsum", ["einsum"])
_rows("linalg", ["linalg." + n for n in ("inv", "det", "cholesky", "pinv", "slogdet",
                                          "solve", "eigh", "eigvalsh", "svd", "qr")])
_rows("shape", ["reshape", "transpose", "swapaxes", "moveaxis", "expand_dims", "squeeze",
                "ravel", "flip", "fliplr", "flipud", "broadcast_to", "tile", "repeat",
                "roll", "rot90", "diagonal", "diag", "tril", "triu", "atleast_1d",
                "atleast_2d", "atleast_3d", "copy", "pad", "split", "array_split",
                "hsplit", "vsplit", "dsplit"])
_rows("join", ["concatenate", "stack", "vstack", "hstack", "dstack", "column_stack",
               "row_stack", "append"])
_rows("sort", ["sort", "argsort"])
_rows("unique", ["unique"])
_rows("nonzero", ["nonzero"])
_rows("take", ["take"])
_rows("getitem", ["getitem"])
_rows("astype", ["astype"])
_rows("creation", ["zeros", "ones", "empty", "full", "eye", "identity", "arange",
                   "linspace", "zeros_like", "ones_like", "empty_like", "full_like"])
_rows("random", ["random." + n for n in ("uniform", "normal", "rand", "randn", "randint",
                                         "gamma", "beta", "chisquare", "lognormal")])
_rows("misc", ["diff", "ediff1d", "diagflat", "polyval"])
_rows("linalg_more", ["linalg.matrix_power", "linalg.multi_dot", "linalg.tensorinv",
                      "linalg.tensorsolve"])
# NumPy 2 names of the same ops share their rows.
for _new, _old in (("acos", "arccos"), ("acosh", "arccosh"), ("asin", "arcsin"),
                   ("asinh", "arcsinh"), ("atan", "arctan"), ("atanh", "arctanh"),
                   ("atan2", "arctan2"), ("pow", "power"), ("concat", "concatenate"),
                   ("permute_dims", "transpose"), ("bitwise_invert", "invert"),
                   ("bitwise_not", "invert")):
    OPS[_new] = OPS[_old]


#: How float values are compared, per kind and per name, where the builder leaves the
#: default ('elementwise'): copies and selections are exact, computed grids in ulps of
#: their largest value (see :func:`harness.value_bound`).
_TOL_BY_KIND = {"shape": "exact", "join": "exact", "sort": "exact", "unique": "exact",
                "nonzero": "exact", "take": "exact", "getitem": "exact", "astype": "exact",
                "creation": "exact"}
_TOL_BY_NAME = {"arange": "ulps_of_max",
                # MXNet's fill value is off by one ulp at times (parsed from text).
                "full": "ulps", "full_like": "ulps", "linspace": "ulps_of_max",
                "hamming": "ulps_of_max", "hanning": "ulps_of_max",
                "blackman": "ulps_of_max", "diff": "accumulate", "ediff1d": "accumulate",
                "polyval": "accumulate", "diagflat": "exact",
                "linalg.multi_dot": "accumulate", "linalg.matrix_power": "accumulate",
                "linalg.tensorinv": "linalg", "linalg.tensorsolve": "linalg"}


def _with_tol(call, tol):
    if call.tol == "elementwise":
        call.tol = tol
    return call


def strategy(name):
    kind, opts = OPS[name]
    built = KINDS[kind](name, **opts)
    tol = _TOL_BY_NAME.get(name) or _TOL_BY_KIND.get(kind)
    if tol is None:
        return built
    return built.map(lambda call: _with_tol(call, tol))


# -- bad input: kind -> builder(name) -> strategy of Call that NumPy rejects ---------------
def _bad_broadcast(name):
    return st.sampled_from(["int32", "float32", "float64", "bool"] if name not in (
        "ldexp", "subtract") else ["float32"]).map(lambda d: _bad_broadcast_call(name, d))


def _bad_broadcast_call(name, dtype):
    a = np.ones((2, 3), dtype)
    b = np.ones((4,), dtype if name != "ldexp" else "int32")
    return Call((a, b))


@st.composite
def _bad_axis(draw, name):
    a = draw(an_array(["float32", "int64"], min_dims=1, max_side=3, min_side=1))
    return Call((a,), {"axis": a.ndim + draw(st.integers(0, 2))})


def _bad_matmul(name):
    return st.just(_bad_matmul_call(name))


def _bad_matmul_call(name):
    a = np.ones((2, 3), "float32")
    b = np.ones((4, 2), "float32")
    if name in ("outer", "kron"):          # accept any shapes: strings are the error
        return Call((np.array(["a"]), b))
    if name == "einsum":
        return Call(("ij,jk->ik", a, b))
    if name == "tensordot":
        return Call((a, b), {"axes": 1})
    return Call((a, b))


def _bad_linalg(name):
    return st.just(_bad_linalg_call(name))


def _bad_linalg_call(name):
    short = name.split(".")[1]
    if short in ("svd", "qr", "pinv"):
        return Call((np.ones((3,), "float32"),))
    if short == "solve":
        return Call((np.eye(3, dtype="float32"), np.ones((4,), "float32")))
    if short == "norm":
        return Call((np.ones((2, 3), "float32"),), {"axis": 3})
    return Call((np.ones((2, 3), "float32"),))   # not square


def _bad_shape(name):
    a = np.arange(6, dtype="float32").reshape(2, 3)
    a0 = np.asarray(a[0, 0])
    bad = {
        "reshape": Call((a, (4, 2))), "transpose": Call((a, (0, 0))),
        "swapaxes": Call((a, 0, 2)), "moveaxis": Call((a, 0, 5)),
        "expand_dims": Call((a, 4)), "squeeze": Call((a,), {"axis": 0}),
        "flip": Call((a,), {"axis": 2}), "fliplr": Call((a[0],)),
        "flipud": Call((a0,)), "broadcast_to": Call((a, (3, 3))),
        "tile": Call((a, -1)), "repeat": Call((a, 2), {"axis": 2}),
        "roll": Call((a, 1), {"axis": 2}), "rot90": Call((a,), {"axes": (0, 0)}),
        "diagonal": Call((a,), {"axis1": 0, "axis2": 0}), "diag": Call((a0,)),
        "tril": Call((a0,)), "triu": Call((a0,)),
        "pad": Call((a, ((1, 2, 3),))), "split": Call((a, 4), {"axis": 1}),
        "array_split": Call((a, 0)), "hsplit": Call((a, 4)), "vsplit": Call((a, 4)),
        "dsplit": Call((a, 2)), "concatenate": Call(([a, a[0]],)),
        "stack": Call(([a, a[0]],)), "concat": Call(([a, a[0]],)),
        "permute_dims": Call((a, (0, 0))), "vstack": Call(([a, a[:, :2]],)),
        "hstack": Call(([a, a[:1]],)), "dstack": Call(([a, a[:1]],)),
        "column_stack": Call(([a, a[:1]],)), "row_stack": Call(([a, a[:, :2]],)),
        "append": Call((a, a[0]), {"axis": 0}),
        "ravel": Call((a,), {"order": "X"}), "copy": Call((a,), {"order": "X"}),
    }
    if name not in bad:      # atleast_*d accept anything
        return None
    return st.just(bad[name])


@st.composite
def _bad_index(draw, name):
    a = np.arange(6, dtype="float32").reshape(2, 3)
    if name == "getitem":
        return Call((a, draw(st.sampled_from([(5,), (0, 7), (np.array([3]),),
                                              (np.array([True]),), (0, 0, 0)]))))
    if name == "take":
        return Call((a, np.array([7])), {"axis": 1})
    if name == "nonzero":
        return Call((np.array(1.0, "float32"),))   # 0-d: error in NumPy >= 2.1
    if name == "unique":
        return Call((a,), {"axis": 3})
    if name in ("sort", "argsort"):
        return Call((a,), {"axis": 2})
    raise KeyError(name)


def _bad_unary(name):
    return st.just(_bad_unary_call(name))


def _bad_unary_call(name):
    if name in ("invert",):
        return Call((np.ones((2,), "float32"),))
    if name in ("clip",):
        return Call((np.ones((2, 3)), np.ones((4,)), 1.0))
    if name == "where":
        return Call((np.ones((2, 3), bool), np.ones((4,)), 1.0))
    if name == "astype":
        return Call((np.ones((2,), "float32"), "not-a-dtype"))
    # floor/ceil/... of complex and bitwise ops of floats raise TypeError in NumPy.
    return Call((np.ones((2,), "complex128") if name not in _COMPLEX_OK else
                 np.array(["a", "b"]),))


_COMPLEX_OK = {"exp", "expm1", "log", "log2", "log10", "log1p", "sqrt", "square", "sin",
               "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
               "arcsinh", "arccosh", "arctanh", "absolute", "abs", "negative", "positive",
               "sign", "reciprocal", "isnan", "isinf", "isfinite", "logical_not", "around",
               "round", "rint", "cbrt", "fix", "acos", "acosh", "asin", "asinh", "atan",
               "atanh"}


def _bad_creation(name):
    return st.just(_bad_creation_call(name))


def _bad_creation_call(name):
    if name.startswith("random."):
        return Call((), {"size": (-1, 2)}) if name != "random.randint" else Call((5, 2))
    if name.endswith("_like"):
        return Call((np.ones(2),) + ((1,) if name == "full_like" else ()),
                    {"dtype": "not-a-dtype"})
    if name == "arange":
        return Call((0, 5, 0))
    if name == "linspace":
        return Call((0, 1, -1))
    if name in ("eye", "identity"):
        return Call((-1,))
    return Call(((-1, 2),) + ((1,) if name == "full" else ()))


#: kind -> builder of a call NumPy rejects (shape mismatch -> ValueError, bad axis ->
#: AxisError, bad index -> IndexError, ...): minpy must raise the same type.
def _bad_misc(name):
    if name in ("hamming", "hanning", "blackman"):
        return None                                    # any int M is accepted
    if name == "diff":
        return st.just(Call((np.ones(3, "float32"),), {"axis": 2}))
    if name == "diagflat":
        return st.just(Call((np.array(["a"]),), {"k": "x"}))
    if name == "polyval":
        return st.just(Call((np.ones((2, 2), "float32"), np.ones((3,), "float32"))))
    return st.just(Call((np.ones(3, "float32"),), {"to_end": np.ones((2, 2, 2, 2)),
                                                   "to_begin": "x"}))


def _bad_linalg_more(name):
    short = name.split(".")[1]
    a = np.ones((2, 3), "float32")
    return st.just({"matrix_power": Call((a, 2)), "multi_dot": Call(([a, a],)),
                    "tensorinv": Call((a,), {"ind": 1}),
                    "tensorsolve": Call((np.ones((2, 2), "float32"), np.ones(3, "float32")))
                    }[short])


ERRORS = {
    "binary": _bad_broadcast, "comparison": _bad_broadcast, "unary": _bad_unary,
    "clip": _bad_unary, "where": _bad_unary, "astype": _bad_unary,
    "reduction": _bad_axis, "trace": _bad_axis, "norm": _bad_linalg,
    "matmul": _bad_matmul, "einsum": _bad_matmul, "linalg": _bad_linalg,
    "shape": _bad_shape, "join": _bad_shape, "sort": _bad_index, "unique": _bad_index,
    "nonzero": _bad_index, "take": _bad_index, "getitem": _bad_index,
    "creation": _bad_creation, "random": _bad_creation, "misc": _bad_misc,
    "linalg_more": _bad_linalg_more,
}


def error_strategy(name):
    return ERRORS[OPS[name][0]](name)
