"""Every gradient rule in :data:`minpy.autograd.VJPS` against central finite differences.

For each rule, hypothesis draws shapes (0-d included, broadcasting pairs for binary ops,
never empty) and float64 values bounded away from the op's singularities and kinks
(``log`` on positives, ``arcsin`` in (-0.9, 0.9), ``abs``/``max``/``sort`` away from
ties and zero, ``floor``/``round`` away from (half-)integers, linalg on diagonally
dominant or SPD matrices with separated eigenvalues), and
:func:`minpy.autograd.testing.check_grads` compares the first- and second-order
derivatives with central differences, under 'prefer_mxnet' and 'only_numpy', on every
device of the suite's ``device`` fixture.

:data:`GRADS` is the one table: ``rule name -> (strategy, call)``. The strategy draws
``(args, static)``: ``args`` are the float64 arrays that are differentiated, ``static``
keyword arguments of ``call`` that are not (axes, shapes, index keys, ...). Linear ops
are called as ``op(x) ** 2`` (:func:`sq`), so the second-order check runs the rule's own
gradient with a cotangent that depends on ``x``.

:data:`NOT_CHECKED` lists the rules that finite differences cannot check, with the
reason; ``test_every_rule_is_covered`` fails when a rule is in neither. Each check also
asserts that the rule under test actually ran (a case that never reaches its rule is a
failure, not a pass).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections import Counter

import numpy as onp
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minpy.core as core
import minpy.numpy as mnp
import strategies as S
from minpy.autograd import VJPS, grad, index_add, index_update
from minpy.autograd._indexops import scatter_add
from minpy.autograd.testing import check_grads

POLICIES = ("prefer_mxnet", "only_numpy")

GRAD_SETTINGS = settings(
    max_examples=int(os.environ.get("MINPY_GRAD_EXAMPLES", "8")), deadline=None,
    derandomize=True, database=None, print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.function_scoped_fixture,
                           HealthCheck.data_too_large])

#: Rules finite differences cannot check, with the reason.
NOT_CHECKED = {
    "msort": "unreachable: numpy.msort was removed in NumPy 2 and minpy.numpy has no "
             "msort, so no call records a 'msort' primitive",
}

# -- values ----------------------------------------------------------------------------
F64 = onp.dtype("float64")


def fl(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away(gap, hi):
    """|x| in [gap, hi], either sign: away from 0 (abs, sign, reciprocal, ...)."""
    return st.tuples(fl(gap, hi), st.booleans()).map(lambda t: t[0] if t[1] else -t[0])


def off_pow2():
    """+-m * 2**k, m in [0.55, 0.95]: away from the powers of two, where frexp's mantissa
    jumps (a finite difference across one is no derivative)."""
    return st.tuples(fl(0.55, 0.95), st.integers(-3, 1), st.booleans()).map(
        lambda t: (t[0] if t[2] else -t[0]) * 2.0 ** t[1])


def off_grid(lo=-3, hi=3, frac=(0.1, 0.4)):
    """k + f, f in ``frac``: away from integers and half-integers (floor, round, ...)."""
    return st.tuples(st.integers(lo, hi), fl(*frac)).map(lambda t: t[0] + t[1])


R = fl(-2, 2)
SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)


def shapes(min_dims=0, max_dims=3, max_side=3):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1,
                            max_side=max_side)


def arr(shape, el=R):
    return hnp.arrays(F64, shape, elements=el)


@st.composite
def an(draw, el=R, min_dims=0, max_dims=3, max_side=3):
    return draw(arr(draw(shapes(min_dims, max_dims, max_side)), el))


@st.composite
def distinct(draw, shape):
    """Values with no ties, at least 1/(2n) apart (max, min, sort, std)."""
    n = int(onp.prod(shape, dtype=int))
    perm = draw(st.permutations(range(n)))
    jitter = draw(arr((n,), fl(0.0, 0.4)))
    return ((onp.asarray(perm, float) + jitter) / max(n, 1) * 2 - 1).reshape(shape)


@st.composite
def a_distinct(draw, min_dims=0, max_dims=3):
    return draw(distinct(draw(shapes(min_dims, max_dims))))


def sq(y):
    """``y ** 2`` (elementwise; each of a list): makes linear ops nonlinear, so the
    second-order check differentiates the rule with an ``x``-dependent cotangent."""
    if isinstance(y, (list, tuple)):
        return [v * v for v in y]
    return y * y


def fn(name):
    """``minpy.numpy.<name>``, looked up when first called: names this NumPy lacks (the
    NumPy 2 aliases on NumPy 1) are dropped from the table below, not an import error."""
    def lazy(*args, **kwargs):
        obj = mnp
        for part in name.split("."):
            obj = getattr(obj, part)
        return obj(*args, **kwargs)
    return lazy


from minpy.numpy._table import TABLE as _TABLE  # noqa: E402


def _exists(name):
    obj = mnp
    for part in name.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return False
    return True


# -- strategy builders: each returns a strategy of (args, static) -----------------------
def unary(el=R, min_dims=0):
    return an(el, min_dims).map(lambda a: ((a,), {}))


@st.composite
def _pair(draw, el1, el2, num=2):
    shp = draw(hnp.mutually_broadcastable_shapes(num_shapes=num, min_dims=0, max_dims=3,
                                                 min_side=1, max_side=3)).input_shapes
    els = [el1, el2, el2][:num]
    return tuple(draw(arr(s, e)) for s, e in zip(shp, els))


def binary(el1=R, el2=None):
    return _pair(el1, el2 if el2 is not None else el1).map(lambda t: (t, {}))


# grids that never tie: x on multiples of 1/4, y on multiples of 1/4 shifted by 1/8
TIE_FREE = (st.integers(-8, 8).map(lambda k: k / 4),
            st.integers(-8, 8).map(lambda k: k / 4 + 1 / 8))
# x = +-(k + f), y = +-2**j: x / y stays >= 0.05 away from an integer (mod, floor_divide)
DIVMOD = (st.tuples(st.integers(0, 4), fl(0.1, 0.4), st.booleans()).map(
    lambda t: (t[0] + t[1]) * (1 if t[2] else -1)),
    st.tuples(st.sampled_from([0.5, 1.0, 2.0]), st.booleans()).map(
        lambda t: t[0] if t[1] else -t[0]))


@st.composite
def both_branches(draw, pairs):
    """Pairs in which x > y somewhere and x < y somewhere else (both branches of
    maximum/minimum run in every example, interleaved)."""
    x, y = draw(pairs)[0]
    xb, yb = onp.broadcast_arrays(x, y)
    assume((xb > yb).any() and (xb < yb).any())
    return (x, y), {}


@st.composite
def mixed_signs(draw, pairs):
    """Pairs whose quotient x / y is negative somewhere and positive somewhere else
    (floor and trunc differ there: a rule using the wrong one fails)."""
    x, y = draw(pairs)[0]
    q = onp.broadcast_arrays(x, y)
    assume(((q[0] / q[1]) < 0).any() and ((q[0] / q[1]) > 0).any())
    return (x, y), {}


@st.composite
def power_args(draw):
    case = draw(st.integers(0, 2))
    if case == 0:
        return draw(_pair(fl(0.3, 2), R)), {}
    if case == 1:   # Python-scalar exponent: the rule's scalar path
        return (draw(an(fl(0.3, 2))),), {"k": draw(st.sampled_from([2, 3, 0.5, -1.5]))}
    return (draw(an(R)),), {"base": draw(st.sampled_from([2.0, 0.5]))}


def power_call(name):
    def call(*a, k=None, base=None):
        f = fn(name)
        if k is not None:
            return f(a[0], k)
        if base is not None:
            return f(base, a[0])
        return f(*a)
    return call


@st.composite
def clip_args(draw):
    x_el = st.one_of(fl(-2, -1.3), fl(-0.7, 0.7), fl(1.3, 2))
    if draw(st.booleans()):   # array bounds, broadcast against x: all three differentiated
        shp = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3,
                                                     min_side=1, max_side=3)).input_shapes
        return (draw(arr(shp[0], x_el)), draw(arr(shp[1], fl(-1.2, -0.8))),
                draw(arr(shp[2], fl(0.8, 1.2)))), {}
    lo = draw(st.sampled_from([None, -1.0]))
    return (draw(an(x_el)),), {"lo": lo, "hi": 1.0}


def clip_call(x, *bounds, lo=None, hi=None):
    if bounds:
        return mnp.clip(x, *bounds)
    return mnp.clip(x, lo, hi)


@st.composite
def where_args(draw):
    shp = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, min_side=1,
                                                 max_side=3)).input_shapes
    return (draw(arr(shp[1])), draw(arr(shp[2]))), {
        "c": draw(hnp.arrays(bool, shp[0]))}


@st.composite
def ldexp_args(draw):
    x = draw(an(R))
    n = draw(hnp.arrays(onp.int64, draw(hnp.broadcastable_shapes(x.shape, max_side=3)),
                        elements=st.integers(-3, 3)))
    return (x,), {"n": n}


# -- reductions -------------------------------------------------------------------------
def _count(shape, axis):
    if axis is None:
        return int(onp.prod(shape, dtype=int))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return int(onp.prod([shape[a] for a in axes], dtype=int))


@st.composite
def reduce_args(draw, el=R, values=None, tuple_axis=True, keepdims=True, ddof=False,
                min_count=1):
    a = draw(values) if values is not None else draw(an(el))
    kw = S.draw_axis(draw, a.ndim, tuple_axis, keepdims, choices=2)
    if ddof:
        kw["ddof"] = draw(st.integers(0, 1))
        assume(_count(a.shape, kw.get("axis")) >= max(min_count, kw["ddof"] + 1))
    else:
        assume(_count(a.shape, kw.get("axis")) >= min_count)
    return (a,), kw


@st.composite
def cum_args(draw, el=R):
    a = draw(an(el))
    axis = draw(st.integers(-a.ndim, a.ndim - 1)) if a.ndim and draw(st.booleans()) else None
    return (a,), {"axis": axis}


@st.composite
def trace_args(draw):
    a = draw(an(R, min_dims=2))
    ax = draw(st.lists(st.integers(0, a.ndim - 1), min_size=2, max_size=2, unique=True))
    return (a,), {"offset": draw(st.integers(-1, 1)), "axis1": ax[0], "axis2": ax[1]}


@st.composite
def norm_args(draw):
    a = draw(an(away(0.1, 2), max_dims=2))
    kw = {}
    case = draw(st.integers(0, 3))
    if case == 1 and a.ndim:
        kw["axis"] = draw(st.integers(-a.ndim, a.ndim - 1))
        if draw(st.booleans()):
            kw["ord"] = 2
    elif case == 2 and a.ndim == 2:
        kw["axis"] = (0, 1) if draw(st.booleans()) else (1, 0)
        if draw(st.booleans()):
            kw["ord"] = "fro"
    elif case == 3 and a.ndim == 1:
        kw["ord"] = 2
    if draw(st.booleans()):
        kw["keepdims"] = True
    return (a,), kw


# -- products and linalg ----------------------------------------------------------------
@st.composite
def refill(draw, base, el=R):
    """Shapes and static arguments from a suite strategy, fresh float64 values; no
    empty operand."""
    call = draw(base)
    arrays = [a for a in call.args if isinstance(a, onp.ndarray)]
    assume(all(a.size for a in arrays))
    args = tuple(draw(arr(a.shape, el)) for a in arrays)
    static = dict(call.kwargs)
    spec = [a for a in call.args if isinstance(a, str)]
    if spec:
        static["spec"] = spec[0]
    return args, static


def einsum_ok(call):
    spec = call.args[0]
    ins = spec.split("->")[0].split(",")
    return all(len(set(s)) == len(s) for s in ins)


@st.composite
def square64(draw, rect=False):
    return draw(S._square(dtypes=("float64",), rect=rect))


@st.composite
def solve_args(draw):
    a = draw(square64())
    n, batch = a.shape[-1], a.shape[:-2]
    # A 1-D b, or a 2-D b beside a stacked a, means different things in NumPy 1 and 2:
    # stacked a gets a b of its own dimensions, which both read alike.
    case = draw(st.integers(0, 2)) if not batch else 2
    bshape = [(n,), (n, draw(st.integers(1, 3))), batch + (n, draw(st.integers(1, 2)))][case]
    return (a, draw(arr(bshape))), {}


def spd_of(x):
    """A symmetric, diagonally dominant (so SPD) matrix made from any square ``x``."""
    n = x.shape[-1]
    return (x + mnp.swapaxes(x, -1, -2)) * 0.5 + (n + 1.0) * mnp.eye(n)


def read_triangle(x, uplo):
    """The symmetric matrix NumPy's eigh/cholesky read from ``x`` (one triangle)."""
    tri = onp.tril(x) if uplo == "L" else onp.triu(x)
    k = -1 if uplo == "L" else 1
    off = onp.tril(x, k) if uplo == "L" else onp.triu(x, k)
    return tri + onp.swapaxes(off, -1, -2)


def dominant(x):
    """``x`` plus (n + 1) I: whichever triangle is read, the matrix is SPD."""
    return x + (x.shape[-1] + 1.0) * mnp.eye(x.shape[-1])


@st.composite
def sym_args(draw, gap=0.0):
    """A square matrix that is NOT symmetric (NumPy reads one triangle of it: the rule
    must too) and the triangle, with separated eigenvalues when ``gap``."""
    n = draw(st.integers(1, 3))
    batch = tuple(draw(st.lists(st.integers(1, 2), max_size=1)))
    x = draw(arr(batch + (n, n), fl(-1, 1)))
    uplo = draw(st.sampled_from(["L", "U"]))
    if gap:
        w = onp.linalg.eigvalsh(read_triangle(x, uplo))
        assume(n == 1 or onp.diff(w, axis=-1).min() > gap)
    return (x,), {"uplo": uplo}


def eigh_call(x, uplo):
    w, v = mnp.linalg.eigh(dominant(x), uplo)
    return w, v * v       # v * v: independent of the eigenvectors' signs


def cholesky_call(x, uplo):
    if uplo == "U" and int(onp.__version__.split(".")[0]) < 2:
        return mnp.linalg.cholesky(dominant(mnp.swapaxes(x, -1, -2)))   # no upper= yet
    return mnp.linalg.cholesky(dominant(x), **({"upper": True} if uplo == "U" else {}))


@st.composite
def svd_args(draw):
    """Well-separated, nonzero singular values."""
    a = draw(square64(rect=True))
    s = onp.linalg.svd(a, compute_uv=False)
    assume(s.min() > 0.1 and (s.shape[-1] == 1 or -onp.diff(s, axis=-1).min() > 0.1))
    return (a,), {}


def svd_call(x):
    u, s, vh = mnp.linalg.svd(x, full_matrices=False)
    return u * u, s, vh * vh        # squares: independent of the vectors' signs


def qr_call(x):
    q, r = mnp.linalg.qr(x)
    return q * q, r * r


@st.composite
def matrix_power_args(draw):
    return (draw(square64()),), {"n": draw(st.integers(-2, 3))}


@st.composite
def multi_dot_args(draw):
    dims = draw(st.lists(st.integers(1, 3), min_size=3, max_size=5))
    shapes_ = [(dims[i], dims[i + 1]) for i in range(len(dims) - 1)]
    if draw(st.booleans()):
        shapes_[0] = shapes_[0][1:]
    if draw(st.booleans()):
        shapes_[-1] = shapes_[-1][:1]
    return tuple(draw(arr(s)) for s in shapes_), {}


@st.composite
def cross_args(draw):
    shp = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, min_side=1,
                                                 max_side=3)).input_shapes
    a, b = draw(arr(shp[0] + (3,))), draw(arr(shp[1] + (3,)))
    axa, axb = draw(st.integers(0, a.ndim - 1)), draw(st.integers(0, b.ndim - 1))
    a, b = onp.moveaxis(a, -1, axa), onp.moveaxis(b, -1, axb)
    return (a, b), {"axisa": axa, "axisb": axb, "axisc": draw(st.sampled_from([0, -1]))}


@st.composite
def diff_args(draw):
    a = draw(an(min_dims=1, max_side=4))
    axis = draw(st.integers(-a.ndim, a.ndim - 1))
    return (a,), {"n": draw(st.integers(0, a.shape[axis])), "axis": axis}


@st.composite
def ediff1d_args(draw):
    kw = {}
    if draw(st.booleans()):
        kw["to_begin"] = draw(an(max_dims=1))
    if draw(st.booleans()):
        kw["to_end"] = draw(an(max_dims=1))
    return (draw(an()),), kw


@st.composite
def polyval_args(draw):
    return (draw(arr((draw(st.integers(1, 4)),))), draw(an())), {}


# -- shape ops --------------------------------------------------------------------------
@st.composite
def reshape_args(draw):
    a = draw(an())
    n = a.size
    shape = draw(st.sampled_from([(n,), (-1,), a.shape[::-1], (1, n), (n, 1) + (1,) * 0]))
    return (a,), {"shape": shape, "order": draw(st.sampled_from(["C", "F"]))}


@st.composite
def axes_perm(draw, name):
    a = draw(an())
    if name == "transpose" and draw(st.booleans()):
        return (a,), {}
    return (a,), {"axes": tuple(draw(st.permutations(range(a.ndim))))}


@st.composite
def two_axes(draw, min_dims=1):
    a = draw(an(min_dims=min_dims))
    return (a,), {"a1": draw(st.integers(-a.ndim, a.ndim - 1)),
                  "a2": draw(st.integers(-a.ndim, a.ndim - 1))}


@st.composite
def expand_args(draw):
    a = draw(an())
    return (a,), {"axis": draw(st.integers(-a.ndim - 1, a.ndim))}


@st.composite
def squeeze_args(draw):
    a = draw(an(max_dims=2))
    pos = draw(st.integers(0, a.ndim))
    a = onp.expand_dims(a, pos)
    return (a,), {"axis": draw(st.sampled_from([None, pos]))}


@st.composite
def flip_args(draw):
    a = draw(an(min_dims=1))
    axis = draw(st.one_of(st.none(), st.integers(-a.ndim, a.ndim - 1),
                          st.lists(st.integers(0, a.ndim - 1), min_size=1, unique=True)
                          .map(tuple)))
    return (a,), {"axis": axis}


@st.composite
def rot90_args(draw):
    a = draw(an(min_dims=2))
    ax = draw(st.lists(st.integers(0, a.ndim - 1), min_size=2, max_size=2, unique=True))
    return (a,), {"k": draw(st.integers(-2, 3)), "axes": tuple(ax)}


@st.composite
def broadcast_args(draw):
    a = draw(an())
    lead = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    target = lead + tuple(draw(st.integers(1, 3)) if s == 1 else s for s in a.shape)
    return (a,), {"shape": target}


@st.composite
def tile_args(draw):
    a = draw(an())
    reps = draw(st.one_of(st.integers(1, 3),
                          st.lists(st.integers(1, 2), min_size=1, max_size=3).map(tuple)))
    return (a,), {"reps": reps}


@st.composite
def repeat_args(draw):
    a = draw(an())
    axis = draw(st.integers(-a.ndim, a.ndim - 1)) if a.ndim and draw(st.booleans()) else None
    n = a.size if axis is None else a.shape[axis]
    reps = draw(st.one_of(st.integers(1, 3), st.lists(st.integers(0, 3), min_size=n,
                                                      max_size=n)))
    return (a,), {"repeats": reps, "axis": axis}


@st.composite
def roll_args(draw):
    a = draw(an())
    if a.ndim and draw(st.booleans()):
        axes = tuple(draw(st.lists(st.integers(0, a.ndim - 1), min_size=1, unique=True)))
        shift = tuple(draw(st.integers(-3, 3)) for _ in axes)
        return (a,), {"shift": shift, "axis": axes}
    return (a,), {"shift": draw(st.integers(-3, 3)), "axis": None}


@st.composite
def k_args(draw, min_dims=2):
    a = draw(an(min_dims=min_dims))
    return (a,), {"k": draw(st.integers(-2, 2))}


@st.composite
def join_args(draw, name):
    n = draw(st.integers(1, 3))
    if name in ("concatenate", "concat"):
        if draw(st.integers(0, 3)) == 0:
            return tuple(draw(an(min_dims=0)) for _ in range(n)), {"axis": None}
        base = list(draw(shapes(min_dims=1)))
        axis = draw(st.integers(-len(base), len(base) - 1))
        out = []
        for _ in range(n):
            base[axis] = draw(st.integers(1, 3))
            out.append(draw(arr(tuple(base))))
        return tuple(out), {"axis": axis}
    if name == "stack":
        shp = draw(shapes())
        return (tuple(draw(arr(shp)) for _ in range(n)),
                {"axis": draw(st.integers(-len(shp) - 1, len(shp))), "_stack": True})
    m = draw(st.integers(1, 3))
    if name in ("vstack", "row_stack"):
        out = [draw(arr(draw(st.sampled_from([(m,), (draw(st.integers(1, 2)), m)]))))
               for _ in range(n)]
    elif name == "hstack":
        if draw(st.booleans()):
            out = [draw(arr((draw(st.integers(1, 3)),))) for _ in range(n)]
        else:
            out = [draw(arr((m, draw(st.integers(1, 3))))) for _ in range(n)]
    elif name == "dstack":
        if draw(st.booleans()):
            out = [draw(arr((m,))) for _ in range(n)]
        else:
            r = draw(st.integers(1, 2))
            out = [draw(arr((r, m, draw(st.integers(1, 2))))) for _ in range(n)]
    else:  # column_stack
        out = [draw(arr(draw(st.sampled_from([(m,), (m, draw(st.integers(1, 2)))]))))
               for _ in range(n)]
    return tuple(out), {}


def join_call(name):
    f = fn(name)

    def call(*arrays, axis=0, _stack=False):
        if name in ("concatenate", "concat", "stack"):
            return sq(f(list(arrays), axis=axis))
        return sq(f(list(arrays)))
    return call


@st.composite
def split_args(draw, name):
    ax = {"vsplit": 0, "dsplit": 2}.get(name)
    min_dims = {"vsplit": 2, "dsplit": 3, "hsplit": 1}.get(name, 1)
    a = draw(an(min_dims=min_dims, max_side=4))
    if name == "hsplit":
        ax = 1 if a.ndim > 1 else 0
    static = {}
    if ax is None:
        ax = draw(st.integers(-a.ndim, a.ndim - 1))
        static["axis"] = ax
    n = a.shape[ax]
    if draw(st.booleans()):
        # any count: one that does not divide n is invalid for all but array_split
        # (NumPy raises ValueError; so must MinPy, under grad too), one above n gives
        # array_split empty pieces
        sections = draw(st.integers(1, n + 2))
    else:
        # split points in any order, repeated or past the end: empty pieces
        sections = draw(st.lists(st.integers(-1, n + 1), max_size=3))
    return (a,), dict(static, sections=sections)


def split_call(name):
    f = fn(name)
    return lambda a, sections, **kw: sq(f(a, sections, **kw))


@st.composite
def append_args(draw):
    if draw(st.booleans()):
        return (draw(an()), draw(an())), {"axis": None}
    base = list(draw(shapes(min_dims=1)))
    axis = draw(st.integers(0, len(base) - 1))
    other = list(base)
    other[axis] = draw(st.integers(1, 3))
    return (draw(arr(tuple(base))), draw(arr(tuple(other)))), {"axis": axis}


@st.composite
def pad_args(draw):
    a = draw(an(min_dims=1))
    if draw(st.booleans()):
        width = draw(st.integers(0, 2))
    else:
        width = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in a.shape)
    return (a,), {"width": width}


@st.composite
def diagonal_args(draw):
    a = draw(an(min_dims=2))
    ax = draw(st.lists(st.integers(-a.ndim, a.ndim - 1), min_size=2, max_size=2).filter(
        lambda p: p[0] % a.ndim != p[1] % a.ndim))
    return (a,), {"offset": draw(st.integers(-1, 1)), "axis1": ax[0], "axis2": ax[1]}


@st.composite
def diag_args(draw):
    a = draw(an(min_dims=1, max_dims=2))
    return (a,), {"k": draw(st.integers(-1, 1))}


# -- indexing ---------------------------------------------------------------------------
@st.composite
def getitem_args(draw):
    a = draw(an(min_dims=1))
    case = draw(st.integers(0, 3))
    if case == 0:
        key = draw(S.basic_key(a.shape))
    elif case == 1:   # integer array with repeats on the first axis
        key = onp.asarray(draw(st.lists(st.integers(-a.shape[0], a.shape[0] - 1),
                                        min_size=1, max_size=4)))
    elif case == 2:   # boolean mask
        key = draw(hnp.arrays(bool, a.shape))
    else:             # ellipsis, newaxis and an integer
        key = (Ellipsis, None, draw(st.integers(0, a.shape[-1] - 1)))
    return (a,), {"key": key}


@st.composite
def index_op_args(draw, update):
    a = draw(an(min_dims=1))
    if update:
        lo = draw(st.integers(0, a.shape[0] - 1))
        key = (slice(lo, draw(st.integers(lo + 1, a.shape[0]))),)
    else:
        key = (onp.asarray(draw(st.lists(st.integers(0, a.shape[0] - 1), min_size=1,
                                         max_size=4))),)
    sel = a[key].shape
    # v broadcasts TO the selection: a suffix of its shape, some sides set to 1
    tail = sel[len(sel) - draw(st.integers(0, len(sel))):]
    vshape = tuple(1 if draw(st.booleans()) else s for s in tail)
    return (a, draw(arr(vshape))), {"key": key}


@st.composite
def take_args(draw):
    a = draw(an(min_dims=1))
    axis = draw(st.one_of(st.none(), st.integers(-a.ndim, a.ndim - 1)))
    n = a.size if axis is None else a.shape[axis]
    idx = draw(hnp.arrays(onp.int64, draw(shapes(0, 2)), elements=st.integers(0, n - 1)))
    return (a,), {"indices": idx, "axis": axis}


@st.composite
def take_along_args(draw):
    a = draw(an(min_dims=1))
    if draw(st.integers(0, 3)) == 0:
        idx = draw(hnp.arrays(onp.int64, (draw(st.integers(1, 4)),),
                              elements=st.integers(0, a.size - 1)))
        return (a,), {"indices": idx, "axis": None}
    axis = draw(st.integers(0, a.ndim - 1))
    shp = list(a.shape)
    shp[axis] = draw(st.integers(1, 3))
    idx = draw(hnp.arrays(onp.int64, tuple(shp), elements=st.integers(0, a.shape[axis] - 1)))
    return (a,), {"indices": idx, "axis": axis}


@st.composite
def sort_args(draw):
    a = draw(a_distinct(min_dims=1))
    return (a,), {"axis": draw(st.sampled_from([-1, 0, None]))}


# -- the table --------------------------------------------------------------------------
def call1(name, wrap=lambda y: y):
    """``op(x, **static)``, with ``wrap`` applied to the result."""
    f = fn(name)
    return lambda *a, **kw: wrap(f(*a, **kw))


def times_x(name):
    """Piecewise-constant ops: ``op(x, ...) * x`` (so the output depends on ``x``)."""
    f = fn(name)
    return lambda x, *a, **kw: f(x, *a, **kw) * x


GRADS = {}

# elementwise unary
for _n, _el in {
    "negative": R, "positive": R, "conjugate": R, "conj": R, "real": R, "exp": R,
    "exp2": R, "expm1": R, "sin": R, "cos": R, "tan": fl(-1.2, 1.2), "arctan": R,
    "sinh": R, "cosh": R, "tanh": R, "arcsinh": R, "square": R, "degrees": R,
    "rad2deg": R, "radians": R, "deg2rad": R, "nan_to_num": R,
    "cbrt": away(0.2, 3), "sinc": away(0.1, 2), "reciprocal": away(0.2, 3),
    "log": fl(0.2, 4), "log2": fl(0.2, 4), "log10": fl(0.2, 4), "sqrt": fl(0.2, 4),
    "log1p": fl(-0.7, 3), "absolute": away(0.1, 3), "abs": away(0.1, 3),
    "fabs": away(0.1, 3), "arcsin": fl(-0.9, 0.9), "arccos": fl(-0.9, 0.9),
    "arctanh": fl(-0.9, 0.9), "arccosh": fl(1.2, 4),
    # NumPy 2 aliases
    "asin": fl(-0.9, 0.9), "acos": fl(-0.9, 0.9), "atanh": fl(-0.9, 0.9),
    "acosh": fl(1.2, 4), "asinh": R, "atan": R,
}.items():
    GRADS[_n] = (unary(_el), call1(_n))

# piecewise constant: zero gradient, away from the jumps
for _n, _el in {"sign": away(0.1, 3), "floor": off_grid(), "ceil": off_grid(),
                "trunc": off_grid(), "fix": off_grid(), "rint": off_grid(),
                "round": off_grid(), "around": off_grid()}.items():
    GRADS[_n] = (unary(_el), times_x(_n))
for _n in ("zeros_like", "ones_like"):
    GRADS[_n] = (unary(), times_x(_n))
GRADS["full_like"] = (unary(), lambda x: mnp.full_like(x, 2.0) * x)
GRADS["empty_like"] = (unary(), lambda x: x * x + mnp.nan_to_num(mnp.empty_like(x)) * 0.0)
GRADS["heaviside"] = (binary(away(0.1, 2), R), times_x("heaviside"))
GRADS["floor_divide"] = (binary(*DIVMOD), times_x("floor_divide"))

# elementwise binary (broadcasting pairs)
for _n in ("add", "subtract"):
    GRADS[_n] = (binary(), call1(_n, sq))
for _n in ("multiply", "logaddexp", "logaddexp2"):
    GRADS[_n] = (binary(), call1(_n))
for _n in ("true_divide", "divide"):
    GRADS[_n] = (binary(R, away(0.3, 2)), call1(_n))
for _n in ("hypot", "arctan2", "atan2", "copysign"):
    GRADS[_n] = (binary(away(0.2, 2)), call1(_n))
for _n in ("power", "float_power", "pow"):
    GRADS[_n] = (power_args(), power_call(_n))
for _n in ("maximum", "minimum", "fmax", "fmin"):
    GRADS[_n] = (both_branches(binary(*TIE_FREE)), call1(_n, sq))
for _n in ("mod", "remainder", "fmod"):
    GRADS[_n] = (mixed_signs(binary(*DIVMOD)), call1(_n, sq))
GRADS["ldexp"] = (ldexp_args(), lambda x, n: mnp.ldexp(x, n))
GRADS["clip"] = (clip_args(), lambda *a, **kw: sq(clip_call(*a, **kw)))
GRADS["where"] = (where_args(), lambda x, y, c: sq(mnp.where(c, x, y)))

# reductions
for _n in ("sum", "mean"):
    GRADS[_n] = (reduce_args(), call1(_n, sq))
@st.composite
def weighted_args(draw):
    x = draw(an(min_dims=1))
    axis = draw(st.sampled_from([None, 0, -1]))
    wshape = x.shape if axis is None or draw(st.booleans()) else (x.shape[axis],)
    return (x, draw(arr(wshape, fl(0.5, 2)))), {"axis": axis,
                                                "returned": draw(st.booleans())}


GRADS["average"] = (reduce_args(tuple_axis=True) | weighted_args(),
                    lambda x, *w, axis=None, returned=False, **kw: sq(
                        mnp.average(x, axis, *w, returned) if w else mnp.average(x, axis,
                                                                                  **kw)))
GRADS["prod"] = (reduce_args(away(0.5, 1.5)), call1("prod"))
for _n in ("max", "min", "amax", "amin", "nanmax", "nanmin"):
    GRADS[_n] = (reduce_args(values=a_distinct()), call1(_n, sq))
for _n in ("std", "var"):
    GRADS[_n] = (reduce_args(values=a_distinct(), ddof=True, min_count=2), call1(_n))
GRADS["cumsum"] = (cum_args(), call1("cumsum", sq))
GRADS["cumprod"] = (cum_args(away(0.5, 1.5)), call1("cumprod"))
GRADS["trace"] = (trace_args(), call1("trace", sq))
GRADS["linalg.norm"] = (norm_args(), call1("linalg.norm"))
for _n in ("nansum", "nanmean"):
    GRADS[_n] = (reduce_args(), call1(_n, sq))

# products (the suite's shape logic, float64 values)
for _n in ("dot", "matmul", "inner", "outer", "vdot", "tensordot"):
    GRADS[_n] = (refill(S.matmul_like(_n)), call1(_n))
GRADS["einsum"] = (refill(S.einsum("einsum").filter(einsum_ok)),
                   lambda *ops, spec: mnp.einsum(spec, *ops))

# linalg
for _n in ("linalg.inv", "linalg.det", "linalg.slogdet"):
    GRADS[_n] = (square64().map(lambda a: ((a,), {})), call1(_n))
GRADS["linalg.solve"] = (solve_args(), call1("linalg.solve"))
GRADS["linalg.cholesky"] = (sym_args(), cholesky_call)
GRADS["linalg.eigh"] = (sym_args(gap=0.1), eigh_call)
GRADS["linalg.eigvalsh"] = (sym_args(gap=0.1),
                            lambda x, uplo: mnp.linalg.eigvalsh(dominant(x), uplo))

GRADS["linalg.svd"] = (svd_args(), svd_call)
GRADS["linalg.pinv"] = (svd_args(), call1("linalg.pinv"))
GRADS["linalg.qr"] = (square64().map(lambda a: ((a,), {})), qr_call)
GRADS["linalg.matrix_power"] = (matrix_power_args(), call1("linalg.matrix_power"))
GRADS["linalg.multi_dot"] = (multi_dot_args(), lambda *a: mnp.linalg.multi_dot(list(a)))
GRADS["kron"] = (refill(S.matmul_like("kron")), call1("kron"))
GRADS["cross"] = (cross_args(), call1("cross"))
GRADS["polyval"] = (polyval_args(), call1("polyval"))

# shape and layout (linear: squared)
GRADS["reshape"] = (reshape_args(),
                    lambda a, shape, order: sq(mnp.reshape(a, shape, order=order)))
GRADS["ravel"] = (unary().map(lambda t: (t[0], {"order": "F"})) | unary(),
                  call1("ravel", sq))
GRADS["transpose"] = (axes_perm("transpose"), call1("transpose", sq))
GRADS["permute_dims"] = (axes_perm("permute_dims"), call1("permute_dims", sq))
GRADS["swapaxes"] = (two_axes(), lambda a, a1, a2: sq(mnp.swapaxes(a, a1, a2)))
GRADS["moveaxis"] = (two_axes(), lambda a, a1, a2: sq(mnp.moveaxis(a, a1, a2)))
GRADS["expand_dims"] = (expand_args(), call1("expand_dims", sq))
GRADS["squeeze"] = (squeeze_args(), call1("squeeze", sq))
for _n in ("atleast_1d", "atleast_2d", "atleast_3d", "ascontiguousarray",
           "asfortranarray", "copy"):
    GRADS[_n] = (unary(), call1(_n, sq))
GRADS["astype"] = (unary(), lambda a: sq(a.astype("float64", copy=True)))
GRADS["flip"] = (flip_args(), call1("flip", sq))
GRADS["fliplr"] = (unary(min_dims=2), call1("fliplr", sq))
GRADS["flipud"] = (unary(min_dims=1), call1("flipud", sq))
GRADS["rot90"] = (rot90_args(), call1("rot90", sq))
GRADS["broadcast_to"] = (broadcast_args(), call1("broadcast_to", sq))
GRADS["tile"] = (tile_args(), call1("tile", sq))
GRADS["repeat"] = (repeat_args(), call1("repeat", sq))
GRADS["roll"] = (roll_args(), call1("roll", sq))
GRADS["tril"] = (k_args(), call1("tril", sq))
GRADS["triu"] = (k_args(), call1("triu", sq))
for _n in ("concatenate", "concat", "stack", "vstack", "row_stack", "hstack", "dstack",
           "column_stack"):
    GRADS[_n] = (join_args(_n), join_call(_n))
for _n in ("split", "array_split", "vsplit", "hsplit", "dsplit"):
    GRADS[_n] = (split_args(_n), split_call(_n))
GRADS["append"] = (append_args(), call1("append", sq))
GRADS["pad"] = (pad_args(), lambda a, width: sq(mnp.pad(a, width)))
GRADS["diagonal"] = (diagonal_args(), call1("diagonal", sq))
GRADS["diag"] = (diag_args(), call1("diag", sq))
GRADS["diagflat"] = (k_args(min_dims=0), call1("diagflat", sq))
GRADS["diff"] = (diff_args(), call1("diff", sq))
GRADS["ediff1d"] = (ediff1d_args(), call1("ediff1d", sq))

# indexing, gathering, sorting
GRADS["getitem"] = (getitem_args(), lambda a, key: sq(a[key]))
GRADS["take"] = (take_args(), call1("take", sq))
GRADS["take_along_axis"] = (take_along_args(), call1("take_along_axis", sq))
GRADS["sort"] = (sort_args(), call1("sort", sq))
GRADS["autograd.index_add"] = (index_op_args(False),
                               lambda a, v, key: sq(index_add(a, key, v)))
GRADS["autograd.index_update"] = (index_op_args(True),
                                  lambda a, v, key: sq(index_update(a, key, v)))


@st.composite
def scatter_args(draw):
    """``scatter_add``'s values and key: a slice (each element once: the in-place add)
    or integer indices (repeats: ``numpy.add.at``)."""
    (a, v), static = draw(index_op_args(draw(st.booleans())))
    return (v,), {"key": static["key"], "shape": a.shape}


GRADS["autograd.scatter_add"] = (scatter_args(),
                                 lambda v, key, shape: sq(scatter_add(v, key, shape)))

# -- the rules added with the fft, statistics and linalg families -----------------------
#: The rules checked above, under both policies with the full example count.
_FIRST = frozenset(GRADS)


@st.composite
def vals(draw, *shapes, el=R, **choices):
    """Arrays of fixed ``shapes`` (float64, hypothesis values) and one value drawn from
    each of ``choices`` (keyword -> list) as the static arguments."""
    args = tuple(draw(arr(s, el)) for s in shapes)
    return args, {k: draw(st.sampled_from(v)) for k, v in choices.items()}


def cplx(y):
    """A complex input made from a real one (the complex transforms' inputs)."""
    return y * (1.0 + 0.5j) + 0.25j


def absq(y):
    """``|y|^2`` (each of a tuple): a real, smooth function of a complex output."""
    if isinstance(y, (list, tuple)):
        return [absq(v) for v in y]
    return mnp.real(y * mnp.conj(y))


NORMS = [None, "ortho", "forward"]
for _n in ("fft.fft", "fft.ifft"):
    GRADS[_n] = (vals((3, 4), n=[None, 3, 6], axis=[0, -1], norm=NORMS),
                 lambda x, _n=_n, **kw: absq(fn(_n)(cplx(x), **kw)))
for _n in ("fft.fft2", "fft.ifft2", "fft.fftn", "fft.ifftn"):
    GRADS[_n] = (vals((2, 3, 4), s=[None, (2, 5)], norm=NORMS),
                 lambda x, _n=_n, **kw: absq(fn(_n)(cplx(x), **kw)))
GRADS["fft.rfft"] = (vals((3, 4), n=[None, 3, 6], axis=[0, -1], norm=NORMS),
                     lambda x, **kw: absq(mnp.fft.rfft(x, **kw)))
GRADS["fft.irfft"] = (vals((3, 4), n=[None, 5, 6], axis=[0, -1], norm=NORMS),
                      lambda x, **kw: sq(mnp.fft.irfft(cplx(x), **kw)))
for _n in ("fft.rfft2", "fft.rfftn"):
    GRADS[_n] = (vals((2, 3, 4), s=[None, (3, 5)], norm=NORMS),
                 lambda x, _n=_n, **kw: absq(fn(_n)(x, **kw)))
for _n in ("fft.irfft2", "fft.irfftn"):
    GRADS[_n] = (vals((2, 3, 4), s=[None, (3, 5), (2, 6)], norm=NORMS),
                 lambda x, _n=_n, **kw: sq(fn(_n)(cplx(x), **kw)))
GRADS["fft.hfft"] = (vals((4,), n=[None, 5], norm=NORMS),
                     lambda x, **kw: sq(mnp.fft.hfft(cplx(x), **kw)))
GRADS["fft.ihfft"] = (vals((5,), n=[None, 4], norm=NORMS),
                      lambda x, **kw: absq(mnp.fft.ihfft(x, **kw)))
for _n in ("fft.fftshift", "fft.ifftshift"):
    GRADS[_n] = (vals((3, 4), axes=[None, 0, (1,)]), call1(_n, sq))
for _n in ("fft.fftfreq", "fft.rfftfreq"):
    GRADS[_n] = (vals((), el=fl(0.2, 2), n=[4, 5]),
                 lambda d, n, _n=_n: sq(fn(_n)(n, d)))

GRADS["angle"] = (vals((3,), (3,), deg=[False, True]),
                  lambda x, y, deg: mnp.angle(x + 1j * y + 0.1, deg))
GRADS["imag"] = (vals((3,), (3,)), lambda x, y: sq(mnp.imag(x + 1j * y)))
GRADS["real_if_close"] = (vals((3,), (3,), el=away(0.2, 1)),   # Im z never negligible
                          lambda x, y: absq(mnp.real_if_close(x + 1j * y)) + x)
GRADS["rollaxis"] = (vals((2, 3, 4), axis=[0, 2, -1], start=[0, 1, 3]), call1("rollaxis", sq))
GRADS["linspace"] = (vals((2,), (3, 1), num=[2, 4], endpoint=[True, False],
                          retstep=[False, True], axis=[0, -1]),
                     call1("linspace", lambda y: sq(y)))
GRADS["logspace"] = (vals((2,), (3, 1), num=[4], base=[2.0, 10.0]), call1("logspace"))
GRADS["geomspace"] = (vals((2,), (3, 1), el=fl(0.5, 2), num=[4]), call1("geomspace"))
GRADS["arange"] = (vals((), (), el=fl(0.3, 1.2)),
                   lambda a, s: sq(mnp.arange(a, 4.0, s)))
GRADS["full"] = (vals((3,)), lambda v: sq(mnp.full((2, 3), v)))
GRADS["full_like"] = (vals((3,), ()), lambda x, v: mnp.full_like(x, v) * x)


@st.composite
def quantile_args(draw, nan=False, median=False):
    a = draw(distinct(draw(shapes(1, 3))))
    kw = S.draw_axis(draw, a.ndim, True, True, choices=2)
    static = {}
    if nan:   # one NaN; every slice keeps a value
        assume(_count(a.shape, kw.get("axis")) >= 2)
        static["nan_at"] = draw(st.integers(0, a.size - 1))
    if not median:
        kw["q"] = draw(st.sampled_from([0.3, [0.1, 0.75]]))
        kw["method"] = draw(st.sampled_from(["linear", "lower", "nearest", "midpoint",
                                             "hazen", "median_unbiased"]))
    return (a,), dict(static, **kw)


def quantile_call(name, scale=1.0):
    def call(a, nan_at=None, q=None, method=None, **kw):
        if nan_at is not None:
            mask = onp.zeros(a.shape, bool)
            mask.flat[nan_at] = True
            a = mnp.where(mask, onp.nan, a)
        if q is None:
            return fn(name)(a, **kw)
        return fn(name)(a, onp.asarray(q) * scale, method=method, **kw)
    return call


GRADS["median"] = (quantile_args(median=True), quantile_call("median"))
GRADS["quantile"] = (quantile_args(), quantile_call("quantile"))
GRADS["percentile"] = (quantile_args(), quantile_call("percentile", 100.0))
GRADS["nanmedian"] = (quantile_args(nan=True, median=True), quantile_call("nanmedian"))
GRADS["nanquantile"] = (quantile_args(nan=True), quantile_call("nanquantile"))
GRADS["nanpercentile"] = (quantile_args(nan=True), quantile_call("nanpercentile", 100.0))
GRADS["ptp"] = (reduce_args(values=a_distinct()), call1("ptp"))


def with_nan(name, wrap=lambda y: y):
    def call(a, **kw):
        mask = onp.zeros(a.shape, bool)
        mask.flat[0] = a.size > 1
        return wrap(fn(name)(mnp.where(mask, onp.nan, a), **kw))
    return call


for _n in ("nanvar", "nanstd"):
    GRADS[_n] = (reduce_args(values=a_distinct(), ddof=True, min_count=3), with_nan(_n))
GRADS["nanprod"] = (reduce_args(away(0.5, 1.5)), with_nan("nanprod"))
GRADS["nancumsum"] = (cum_args(), with_nan("nancumsum", sq))
GRADS["nancumprod"] = (cum_args(away(0.5, 1.5)), with_nan("nancumprod"))
GRADS["cov"] = (vals((2, 4), (4,), rowvar=[True], bias=[False, True]),
                lambda m, y, **kw: mnp.cov(m, y, **kw))
GRADS["corrcoef"] = (distinct((3, 5)).map(lambda a: ((a,), {})), call1("corrcoef"))


@st.composite
def partition_args(draw):
    a = draw(a_distinct(min_dims=1))
    axis = draw(st.sampled_from([-1, 0, None]))
    n = a.size if axis is None else a.shape[axis]
    return (a,), {"kth": draw(st.integers(0, n - 1)), "axis": axis}


GRADS["partition"] = (partition_args(), call1("partition", sq))


@st.composite
def select_args(draw):
    shp = draw(shapes(1, 2))
    conds = [draw(hnp.arrays(bool, shp)) for _ in range(2)]
    return (draw(arr(shp)), draw(arr(shp)), draw(arr(shp))), {"conds": conds}


GRADS["select"] = (select_args(),
                   lambda a, b, d, conds: sq(mnp.select(conds, [a, b], d)))
GRADS["choose"] = (vals((4,), (4,), idx=[onp.array([0, 1, 1, 0]), onp.array([1, 1, 0, 0])]),
                   lambda a, b, idx: sq(mnp.choose(idx, [a, b])))
GRADS["compress"] = (vals((2, 3), cond=[[True, False, True], [False, True]], axis=[1, None]),
                     lambda a, cond, axis: sq(mnp.compress(cond, a, axis=axis)))
GRADS["extract"] = (vals((2, 3), el=away(0.1, 2)), lambda a: sq(mnp.extract(a > 0, a)))
GRADS["delete"] = (vals((3, 4), obj=[1, [0, 2]], axis=[0, 1, None]), call1("delete", sq))
GRADS["insert"] = (vals((3, 4), (4,), obj=[1, 3], axis=[0]),
                   lambda a, v, obj, axis: sq(mnp.insert(a, obj, v, axis=axis)))
GRADS["resize"] = (vals((2, 3), new_shape=[(3, 3), (7,), (1, 2)]), call1("resize", sq))
GRADS["trim_zeros"] = (vals((5,), el=away(0.1, 2), trim=["fb", "f", "b"]),
                       lambda a, trim: sq(mnp.trim_zeros(a * onp.array([0, 1, 1, 1, 0.]),
                                                         trim)))


@st.composite
def gradient_args(draw):
    a = draw(an(min_dims=1, max_side=4).filter(lambda a: min(a.shape) >= 3))
    edge = draw(st.sampled_from([1, 2]))
    spacing = draw(st.sampled_from([(), (0.5,)]))
    return (a,), {"spacing": spacing, "edge_order": edge}


GRADS["gradient"] = (gradient_args(),
                     lambda f, spacing, edge_order: sq(mnp.gradient(f, *spacing,
                                                                   edge_order=edge_order)))
for _n in ("convolve", "correlate"):
    GRADS[_n] = (st.tuples(st.integers(1, 5), st.integers(1, 5)).flatmap(
        lambda nm: vals((nm[0],), (nm[1],), mode=["full", "same", "valid"])),
        call1(_n))
# x away from the knots 0, 1, 2.5, 4 (kinks)
KNOT_FREE = st.one_of(fl(-0.9, -0.1), fl(0.1, 0.9), fl(1.1, 2.4), fl(2.6, 3.9), fl(4.1, 4.9))
GRADS["interp"] = (st.tuples(arr((5,), KNOT_FREE), arr((4,), fl(-0.05, 0.05)), arr((4,)),
                             st.sampled_from([None, 0.0]))
                   .map(lambda t: ((t[0], t[1], t[2]), {"left": t[3]})),
                   lambda x, dxp, fp, left: mnp.interp(
                       x, dxp + onp.array([0., 1., 2.5, 4.]), fp, left=left) ** 2)
for _n in ("trapezoid", "trapz"):
    GRADS[_n] = (vals((4, 3), (4,), axis=[0]), call1(_n))
GRADS["vander"] = (vals((3,), N=[None, 2, 4], increasing=[False, True]), call1("vander"))
GRADS["poly"] = (vals((3,)), call1("poly"))
for _n in ("polyadd", "polysub", "polymul"):
    GRADS[_n] = (vals((3,), (2,)), call1(_n))
GRADS["polyder"] = (vals((4,), m=[1, 2]), call1("polyder"))
GRADS["polyint"] = (vals((3,), m=[1, 2]), call1("polyint"))
GRADS["polyfit"] = (vals((5,)), lambda y: mnp.polyfit(onp.arange(5.0), y, 2))
GRADS["polydiv"] = (vals((4,), (2,), el=fl(0.5, 2)), call1("polydiv"))
GRADS["roots"] = (vals((3,), el=fl(-0.05, 0.05)),   # near x^2 - 5x + 6: roots 2 and 3
                  lambda p: mnp.roots(p + onp.array([1.0, -5.0, 6.0])))
GRADS["i0"] = (unary(), call1("i0"))
GRADS["kaiser"] = (vals((), el=fl(0.5, 4), M=[1, 5, 6]), lambda b, M: mnp.kaiser(M, b))
GRADS["frexp"] = (unary(off_pow2()), lambda x: mnp.frexp(x)[0])
GRADS["modf"] = (unary(off_grid()), lambda x: mnp.modf(x)[0] * x)
GRADS["divmod"] = (binary(*DIVMOD), lambda x, y: sq(mnp.divmod(x, y)[1]))
GRADS["nextafter"] = (binary(), lambda x, y: mnp.nextafter(x, y) * x)
GRADS["spacing"] = (unary(away(0.1, 3)), lambda x: mnp.spacing(x) + x * x)
GRADS["unwrap"] = (vals((4,), el=fl(-1, 1)),
                   lambda x: sq(mnp.unwrap(x + onp.array([0., 3., 6.5, 9.1]))))
for _n in ("cumulative_sum", "cumulative_prod"):
    GRADS[_n] = (vals((3, 2), el=away(0.5, 1.5), axis=[0, 1], include_initial=[False, True]),
                 call1(_n, sq))
GRADS["block"] = (vals((2,), (3,)), lambda a, b: sq(mnp.block([a, b])))
GRADS["broadcast_arrays"] = (binary(), lambda a, b: sq(mnp.broadcast_arrays(a, b)))
GRADS["meshgrid"] = (vals((3,), (2,), indexing=["xy", "ij"]),
                     lambda a, b, indexing: sq(mnp.meshgrid(a, b, indexing=indexing)))
GRADS["unstack"] = (vals((3, 2), axis=[0, 1]), call1("unstack", sq))
for _n in ("asarray_chkfinite", "require"):
    GRADS[_n] = (unary(), call1(_n, sq))
GRADS["bincount"] = (vals((4,)), lambda w: sq(mnp.bincount(onp.array([0, 2, 2, 1]), w)))
# the weights (the data fixed: the bins each element falls in do not move)
GRADS["histogram"] = (vals((12,), density=[None, True]),
                      lambda w, density=None: sq(mnp.histogram(
                          onp.linspace(-1.0, 1.0, 12) ** 3, 4, weights=w,
                          density=density)[0]))
# distinct values: equal ones are ties that finite differences break
for _n in ("unique", "unique_values"):
    GRADS[_n] = (a_distinct(min_dims=1).map(lambda a: ((a,), {})), call1(_n, sq))
for _n in ("unique_all", "unique_counts", "unique_inverse"):
    GRADS[_n] = (a_distinct(min_dims=1).map(lambda a: ((a,), {})),
                 lambda a, _n=_n: sq(fn(_n)(a)[0]))
for _n in ("union1d", "setdiff1d", "setxor1d"):    # disjoint inputs: no tie between them
    GRADS[_n] = (distinct((5,)).map(lambda a: ((a[:3], a[3:]), {})),
                 lambda a, b, _n=_n: sq(fn(_n)(a, b)))
GRADS["sort_complex"] = (a_distinct(min_dims=1).map(lambda a: ((a,), {})),
                         lambda x: absq(mnp.sort_complex(x + 0.5j)))
GRADS["vecdot"] = (vals((2, 3), (3,)), call1("vecdot"))
GRADS["linalg.vecdot"] = (vals((2, 3), (3,)), call1("linalg.vecdot"))
GRADS["matvec"] = (vals((2, 3, 2), (2,)), call1("matvec"))
GRADS["vecmat"] = (vals((3,), (2, 3, 2)), call1("vecmat"))
for _n in ("matrix_transpose", "linalg.matrix_transpose"):
    GRADS[_n] = (unary(min_dims=2), call1(_n, sq))
GRADS["linalg.matmul"] = (refill(S.matmul_like("matmul")), call1("linalg.matmul"))
GRADS["linalg.outer"] = (vals((3,), (2,)), call1("linalg.outer"))
GRADS["linalg.tensordot"] = (vals((2, 3), (3, 2), axes=[1, 0]), call1("linalg.tensordot"))
GRADS["linalg.diagonal"] = (vals((2, 3, 4), offset=[-1, 0, 2]), call1("linalg.diagonal", sq))
GRADS["linalg.trace"] = (vals((2, 3, 3), offset=[-1, 0, 1]), call1("linalg.trace", sq))
GRADS["linalg.cross"] = (vals((2, 3), (3,)), call1("linalg.cross"))


@st.composite
def norm_ord_args(draw):
    """Every ord NumPy accepts: vector ords on 1-D (or one axis), matrix ords on 2-D (or
    an axis pair); values away from 0 and from ties."""
    if draw(st.booleans()):
        a = draw(distinct(draw(shapes(1, 2))))
        a = a + onp.sign(a) * 0.2
        kw = {"ord": draw(st.sampled_from([None, 1, 2, 3, 0.5, -1.5, onp.inf, -onp.inf, 0]))}
        if a.ndim == 2:
            kw["axis"] = draw(st.sampled_from([0, -1]))
    else:
        a = draw(distinct(draw(shapes(2, 3))))
        kw = {"ord": draw(st.sampled_from(["fro", "nuc", 1, -1, onp.inf, -onp.inf]))}
        if a.ndim == 3:
            kw["axis"] = draw(st.sampled_from([(0, 1), (2, 0)]))
    kw["keepdims"] = draw(st.booleans())
    return (a,), kw


GRADS["linalg.norm"] = (norm_ord_args() | norm_args(), call1("linalg.norm"))
GRADS["linalg.vector_norm"] = (vals((2, 3), el=away(0.2, 2), ord=[2, 1, 3, onp.inf],
                                    axis=[None, 0, (0, 1)]),
                               call1("linalg.vector_norm"))
GRADS["linalg.matrix_norm"] = (svd_args(), lambda x: mnp.linalg.matrix_norm(x, ord="nuc"))
GRADS["linalg.svdvals"] = (svd_args(), call1("linalg.svdvals"))
GRADS["linalg.cond"] = (svd_args(), call1("linalg.cond"))


@st.composite
def eig_args(draw):
    """Diagonally dominant with separated diagonal: distinct eigenvalues."""
    n = draw(st.integers(1, 3))
    x = draw(arr((n, n), fl(-0.3, 0.3)))
    return (x + onp.diag(onp.arange(1.0, n + 1.0) * 1.5),), {}


GRADS["linalg.eig"] = (eig_args(),
                       lambda x: (lambda w, v: (w, absq(v)))(*mnp.linalg.eig(x)))
GRADS["linalg.eigvals"] = (eig_args(), call1("linalg.eigvals"))


@st.composite
def lstsq_args(draw):
    """Full column rank (tall) or full row rank (wide) a; a vector or matrix b."""
    m, n = draw(st.sampled_from([(4, 2), (3, 3), (2, 3)]))
    # distinct singular values: s alone is not differentiable where two coincide
    a = draw(arr((m, n), fl(-0.3, 0.3))) + onp.eye(m, n) * onp.array([2.0, 3.5, 5.0])[:n]
    b = draw(arr((m,) + tuple(draw(st.lists(st.integers(1, 2), max_size=1)))))
    return (a, b), {}


GRADS["linalg.lstsq"] = (lstsq_args(),
                         lambda a, b: [o for o in mnp.linalg.lstsq(a, b, rcond=None)
                                       if getattr(o, "dtype", onp.dtype(int)).kind == "f"])
GRADS["linalg.tensorinv"] = (vals((3, 1, 3)), lambda a: mnp.linalg.tensorinv(
    a + 3.0 * onp.eye(3).reshape(3, 1, 3), 1))
GRADS["linalg.tensorsolve"] = (vals((3, 3), (3,)), lambda a, b: mnp.linalg.tensorsolve(
    a + 3.0 * onp.eye(3), b))
for _n, _args in {"random.normal": (R, fl(0.5, 2)), "random.laplace": (R, fl(0.5, 2)),
                  "random.logistic": (R, fl(0.5, 2)), "random.gumbel": (R, fl(0.5, 2)),
                  "random.uniform": (fl(-1, 0), fl(1, 2)),
                  "random.lognormal": (fl(-0.5, 0.5), fl(0.2, 0.6))}.items():
    GRADS[_n] = (_pair(*_args).map(lambda t: (t, {})),
                 lambda a, b, _n=_n: (mnp.random.seed(3), fn(_n)(a, b))[1])
for _n in ("random.exponential", "random.rayleigh"):
    GRADS[_n] = (unary(fl(0.5, 2)), lambda s, _n=_n: (mnp.random.seed(3), fn(_n)(s))[1])
NOT_CHECKED["intersect1d"] = ("every value of the result is a tie between the inputs, which "
                              "any perturbation breaks; package test "
                              "test_set_operations_share_ties checks the shares")
for _n in ("product", "cumproduct", "round_", "asfarray", "fastCopyAndTranspose"):
    GRADS[_n] = {"product": (reduce_args(away(0.5, 1.5)), call1("product")),
                 "cumproduct": (cum_args(away(0.5, 1.5)), call1("cumproduct")),
                 "round_": (unary(off_grid()), times_x("round_")),
                 "asfarray": (unary(), call1("asfarray", sq)),
                 "fastCopyAndTranspose": (unary(min_dims=2), call1("fastCopyAndTranspose",
                                                                   sq))}[_n]

# Only what this NumPy has (NumPy 1 lacks the NumPy 2 aliases such as ``asin``).
GRADS = {k: v for k, v in GRADS.items()
         if k.startswith("autograd.") or k in _TABLE or _exists(k)}
if _exists("msort"):  # NumPy 1 still has it
    NOT_CHECKED.pop("msort", None)
    GRADS["msort"] = (sort_args(), lambda x, axis=None: mnp.sum(mnp.msort(x) ** 2))


# -- the checks -------------------------------------------------------------------------
@contextlib.contextmanager
def counting(name):
    """Count how often the rule of ``name`` is asked for a VJP while inside."""
    hits = Counter()
    saved = VJPS[name]

    def wrap(maker):
        def counted(*a, **k):
            hits[name] += 1
            return maker(*a, **k)
        return counted

    VJPS[name] = {i: wrap(m) for i, m in saved.items()}
    try:
        yield hits
    finally:
        VJPS[name] = saved


def _minpy_rules():
    """The rules MinPy ships: those of op-table names, of fallback NumPy names and of
    minpy.autograd's own primitives (not ones a test file defined for itself)."""
    from minpy.numpy._table import TABLE, numpy_function
    return {name for name in VJPS if name in TABLE or name.startswith("autograd.")
            or numpy_function(name) is not None}


def test_every_rule_is_covered():
    missing = sorted(_minpy_rules() - set(GRADS) - set(NOT_CHECKED))
    assert not missing, f"gradient rules neither checked nor listed as uncheckable: {missing}"
    both = sorted(set(GRADS) & set(NOT_CHECKED))
    assert not both, f"rules both checked and listed as uncheckable: {both}"
    stale = sorted((set(GRADS) | set(NOT_CHECKED)) - set(VJPS))
    assert not stale, f"entries for names that have no gradient rule: {stale}"


def test_aliases_share_their_ops_rule():
    """An op-table alias (``acos`` of ``arccos``, ...) of an op with a gradient rule has
    that same rule under its own name."""
    from minpy.numpy._table import TABLE
    wrong = []
    for name, op in TABLE.items():
        m = re.match(r"NumPy's alias of ``(.+)``", op.doc or "")
        if m and m.group(1) in VJPS and VJPS.get(name) != VJPS[m.group(1)]:
            wrong.append(f"{name} (alias of {m.group(1)})")
    assert not wrong, f"aliases without their op's gradient rule: {wrong}"


def test_uncheckable_rules_stay_unreachable():
    """Revisit NOT_CHECKED when minpy.numpy gains msort."""
    if "msort" in NOT_CHECKED:
        assert not hasattr(mnp, "msort")


#: NumPy's own call, for the strategies that draw invalid arguments too.
REFERENCE = {n: (lambda a, sections, _n=n, **kw: getattr(onp, _n)(a, sections, **kw))
             for n in ("split", "array_split", "vsplit", "hsplit", "dsplit")}


def _numpy_error(name, args, static):
    """The exception NumPy raises for this case (``None`` when it runs)."""
    ref = REFERENCE.get(name)
    if ref is None:
        return None
    try:
        ref(*args, **static)
    except Exception as exc:  # noqa: BLE001 (whatever NumPy raises, MinPy must too)
        return exc
    return None


def _mxnet_kernel(name):
    op = _TABLE.get(name)
    return op is not None and bool(op.impls)


#: (name, policy) pairs: a later op without an MXNet kernel runs in NumPy under both
#: policies, so it is checked once (under 'prefer_mxnet', where its rule's own ops may
#: still reach MXNet).
def _numpy_only(name):
    """A later rule of an op without an MXNet kernel (see ``_FIRST``)."""
    return name not in _FIRST and not _mxnet_kernel(name)


CHECKS = [(n, p) for n in sorted(GRADS) for p in POLICIES
          if p == "prefer_mxnet" or not _numpy_only(n)]


@pytest.mark.parametrize("name, policy", CHECKS)
def test_grad_matches_finite_differences(name, policy, device):
    # (GRADS holds only the names this NumPy has: nothing to skip here.)
    strategy, call = GRADS[name]

    # An op that runs in NumPy whatever the policy needs fewer examples: its rule runs
    # on NumPy's own results (half as many keeps the suite's time about what it was).
    few = _numpy_only(name)
    examples = GRAD_SETTINGS.max_examples
    chosen = settings(GRAD_SETTINGS, max_examples=max(2, examples // 2) if few else examples)

    @chosen
    @given(case=strategy)
    def run(case):
        args, static = case
        error = _numpy_error(name, args, static)
        with mnp.policy(policy), core.device(device), counting(name) as hits:
            if error is not None:   # an invalid call: MinPy raises as NumPy does
                with pytest.raises(type(error)):
                    grad(lambda *a: mnp.sum(mnp.stack([mnp.sum(v) for v in call(
                        *a, **static)])), tuple(range(len(args))))(*args)
                return
            check_grads(lambda *a: call(*a, **static), *args, order=2)
        assert hits[name], f"the rule of {name!r} never ran for this case"

    run()
