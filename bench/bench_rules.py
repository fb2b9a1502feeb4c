"""Benchmark of issue 25: each gradient rule against the backward pass of the same op
written by hand in NumPy, on large arrays (1e6 float32 elements unless a case says
otherwise).

For every case the op is recorded once on the tape (``minpy.autograd``), then two things
are timed, interleaved, minimum of many repeats (``_harness.Timer``):

* the rule: :func:`minpy.autograd.tracer.node_vjps` on the recorded node, i.e. the
  node's gradient rules for every traced argument, run as a first-order backward pass
  runs them (on the NumPy host forms of the values, see ``tracer._numpy_mode``);
* the hand-written backward of the same op: what a careful person writes in NumPy for
  those gradients (``x.T @ g`` for a product, ``g * (x > 0)`` for a ReLU, ``g.sum(0)``
  for a broadcast bias, a view where a view does).

Both answers are compared (``numpy.testing.assert_allclose``) before anything is timed.
Ratio = rule time / hand-written time; target <= 1.2 for the product, elementwise and
reduction families (the issue's), reported for the others (shape, indexing, linalg).
Where the hand-written backward does no array work at all (it returns ``g`` or a view of
it: ``add``, ``reshape``, ``sum``), a ratio of microseconds says nothing: the row's
target is then the rule's own time, at most 50 us (no full-size pass; one pass over 1e6
float32 takes 80 us or more here).

Times are this thread's CPU time by default (``--clock cpu``): both sides run on this one
thread (BLAS on one thread, as in ``bench_autograd.py``'s step), and on a shared machine
the time spent waiting for a core is not the work's cost; ``--clock wall`` measures wall
time instead. Run ``python bench/bench_rules.py [--json PATH] [--quick] [--only
products,unary,...] [--cases NAME,...] [--clock cpu|wall] [--threads N]``.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness as H  # noqa: E402
import numpy as onp  # noqa: E402

import minpy.numpy as np  # noqa: E402
from minpy.autograd import tracer  # noqa: E402
from minpy.autograd.api import _Traced  # noqa: E402

F32 = onp.float32
LN2, LN10 = float(onp.log(2.0)), float(onp.log(10.0))
TARGET = 1.2          # the target for the families below
TARGETED = ("products", "unary", "binary", "reductions")
VIEW_US = 50.0        # rule time allowed where the hand-written backward is a view
VIEW_REF_US = 20.0    # a hand-written backward faster than this does no array work


@dataclass
class Case:
    """One op: ``fun(*inputs)`` with the gradients for ``argnums`` computed by
    ``hand(g, ans, *host_inputs)`` (a list, one entry per argnum; a list argument's
    entry is the list of its elements' gradients)."""

    family: str
    name: str
    fun: callable
    inputs: callable              # rng -> list of host inputs (ndarrays, lists, scalars)
    hand: callable
    argnums: tuple = (0,)
    note: str = ""
    tol: float = 2e-4             # relative tolerance of the answer check
    cotangent: callable = None    # rng, ans -> g (default: standard normal like ans)


def rnd(*shape, lo=None, hi=None):
    """Inputs: standard normal float32, or uniform in [lo, hi)."""
    def make(rng):
        if lo is None:
            return rng.standard_normal(shape).astype(F32)
        return rng.uniform(lo, hi, shape).astype(F32)
    return make


def inputs(*makers):
    return lambda rng: [m(rng) if callable(m) else m for m in makers]


N = 1000                      # 1000 x 1000 = 1e6 elements
M2 = rnd(N, N)
B3 = rnd(100, 100, 100)
V = rnd(N * N)

CASES: list = []


def case(family, name, fun, ins, hand, argnums=(0,), **kw):
    CASES.append(Case(family, name, fun, ins, hand, tuple(argnums), **kw))


def T(a):
    return onp.swapaxes(a, -1, -2)


# -- products -----------------------------------------------------------------------------
P = "products"
case(P, "matmul 1000x1000 @ 1000x1000", np.matmul, inputs(M2, M2),
     lambda g, ans, a, b: [g @ b.T, a.T @ g], (0, 1))
case(P, "matmul batched (100,100,100) @ (100,100,100)", np.matmul, inputs(B3, B3),
     lambda g, ans, a, b: [g @ T(b), T(a) @ g], (0, 1))
case(P, "matmul (100,100,100) @ (100,100) (b broadcast)", np.matmul,
     inputs(B3, rnd(100, 100)),
     lambda g, ans, a, b: [g @ b.T, a.reshape(-1, 100).T @ g.reshape(-1, 100)], (0, 1))
case(P, "matmul 1000x1000 @ (1000,)", np.matmul, inputs(M2, rnd(N)),
     lambda g, ans, a, b: [onp.outer(g, b), a.T @ g], (0, 1))
case(P, "matmul (1000,) @ 1000x1000", np.matmul, inputs(rnd(N), M2),
     lambda g, ans, a, b: [b @ g, onp.outer(a, g)], (0, 1))
case(P, "matmul (1e6,) @ (1e6,)", np.matmul, inputs(V, V),
     lambda g, ans, a, b: [g * b, g * a], (0, 1))
case(P, "dot 1000x1000 . 1000x1000", np.dot, inputs(M2, M2),
     lambda g, ans, a, b: [g @ b.T, a.T @ g], (0, 1))
case(P, "dot 1000x1000 . 1000x1000, a only", np.dot, inputs(M2, M2),
     lambda g, ans, a, b: [g @ b.T], (0,))
case(P, "dot 1000x1000 . 1000x1000, b only", np.dot, inputs(M2, M2),
     lambda g, ans, a, b: [a.T @ g], (1,), note="the MLP's weight gradient: x.T @ g")
case(P, "dot (100,100,100) . (100,100)", np.dot, inputs(B3, rnd(100, 100)),
     lambda g, ans, a, b: [g @ b.T, a.reshape(-1, 100).T @ g.reshape(-1, 100)], (0, 1))
case(P, "dot 1000x1000 . (1000,)", np.dot, inputs(M2, rnd(N)),
     lambda g, ans, a, b: [onp.outer(g, b), a.T @ g], (0, 1))
case(P, "dot (1e6,) . (1e6,)", np.dot, inputs(V, V),
     lambda g, ans, a, b: [g * b, g * a], (0, 1))
case(P, "dot (10,100,100) . (10,100,100)", np.dot,
     inputs(rnd(10, 100, 100), rnd(10, 100, 100)),
     lambda g, ans, a, b: [onp.tensordot(g, b, axes=([2, 3], [0, 2])),
                           onp.tensordot(a, g, axes=([0, 1], [0, 1])).transpose(1, 0, 2)],
     (0, 1), note="N-d . N-d: the general case (tensordot by hand too)")
case(P, "tensordot 1000x1000, axes=([0],[0])",
     lambda a, b: np.tensordot(a, b, axes=([0], [0])), inputs(M2, M2),
     lambda g, ans, a, b: [b @ g.T, a @ g], (0, 1))
case(P, "tensordot (100,100,100) x (100,100,100), axes=2",
     lambda a, b: np.tensordot(a, b, axes=2), inputs(B3, B3),
     lambda g, ans, a, b: [(g @ b.reshape(-1, 100).T).reshape(a.shape),
                           (a.reshape(100, -1).T @ g).reshape(b.shape)], (0, 1))
case(P, "einsum ij,jk->ik", lambda a, b: np.einsum("ij,jk->ik", a, b), inputs(M2, M2),
     lambda g, ans, a, b: [g @ b.T, a.T @ g], (0, 1))
case(P, "einsum bij,bjk->bik", lambda a, b: np.einsum("bij,bjk->bik", a, b),
     inputs(B3, B3), lambda g, ans, a, b: [g @ T(b), T(a) @ g], (0, 1))
case(P, "einsum ij,ij->", lambda a, b: np.einsum("ij,ij->", a, b), inputs(M2, M2),
     lambda g, ans, a, b: [g * b, g * a], (0, 1))
case(P, "einsum ij->j", lambda a: np.einsum("ij->j", a), inputs(M2),
     lambda g, ans, a: [onp.broadcast_to(g, a.shape)])
case(P, "inner 1000x1000, 1000x1000", np.inner, inputs(M2, M2),
     lambda g, ans, a, b: [g @ b, g.T @ a], (0, 1))
case(P, "outer (1000,), (1000,)", np.outer, inputs(rnd(N), rnd(N)),
     lambda g, ans, a, b: [g @ b, a @ g], (0, 1))
case(P, "vdot 1000x1000, 1000x1000", np.vdot, inputs(M2, M2),
     lambda g, ans, a, b: [g * b, g * a], (0, 1))
case(P, "kron (100,100), (10,10)", np.kron, inputs(rnd(100, 100), rnd(10, 10)),
     lambda g, ans, a, b: [onp.einsum("ikjl,kl->ij", g.reshape(100, 10, 100, 10), b),
                           onp.einsum("ikjl,ij->kl", g.reshape(100, 10, 100, 10), a)],
     (0, 1), tol=1e-3)


# -- elementwise, one argument ----------------------------------------------------------------
U = "unary"
_UNARY = [
    # name, input maker, hand-written backward (g, ans, x)
    ("negative", M2, lambda g, ans, x: -g),
    ("exp", M2, lambda g, ans, x: g * ans),
    ("exp2", M2, lambda g, ans, x: g * ans * LN2),
    ("expm1", M2, lambda g, ans, x: g * (ans + 1.0)),
    ("log", rnd(N, N, lo=0.1, hi=10), lambda g, ans, x: g / x),
    ("log2", rnd(N, N, lo=0.1, hi=10), lambda g, ans, x: g / (x * LN2)),
    ("log10", rnd(N, N, lo=0.1, hi=10), lambda g, ans, x: g / (x * LN10)),
    ("log1p", rnd(N, N, lo=0.1, hi=10), lambda g, ans, x: g / (x + 1.0)),
    ("sqrt", rnd(N, N, lo=0.1, hi=10), lambda g, ans, x: g * 0.5 / ans),
    ("cbrt", rnd(N, N, lo=0.1, hi=10), lambda g, ans, x: g / (3.0 * ans * ans)),
    ("square", M2, lambda g, ans, x: g * 2.0 * x),
    ("reciprocal", rnd(N, N, lo=0.1, hi=10), lambda g, ans, x: -g * ans * ans),
    ("sin", M2, lambda g, ans, x: g * onp.cos(x)),
    ("cos", M2, lambda g, ans, x: -g * onp.sin(x)),
    ("tan", rnd(N, N, lo=-1, hi=1), lambda g, ans, x: g * (1.0 + ans * ans)),
    ("arcsin", rnd(N, N, lo=-0.9, hi=0.9), lambda g, ans, x: g / onp.sqrt(1.0 - x * x)),
    ("arccos", rnd(N, N, lo=-0.9, hi=0.9), lambda g, ans, x: -g / onp.sqrt(1.0 - x * x)),
    ("arctan", M2, lambda g, ans, x: g / (1.0 + x * x)),
    ("sinh", M2, lambda g, ans, x: g * onp.cosh(x)),
    ("cosh", M2, lambda g, ans, x: g * onp.sinh(x)),
    ("tanh", M2, lambda g, ans, x: g * (1.0 - ans * ans)),
    ("arcsinh", M2, lambda g, ans, x: g / onp.sqrt(x * x + 1.0)),
    ("arccosh", rnd(N, N, lo=1.1, hi=10), lambda g, ans, x: g / onp.sqrt(x * x - 1.0)),
    ("arctanh", rnd(N, N, lo=-0.9, hi=0.9), lambda g, ans, x: g / (1.0 - x * x)),
    ("absolute", M2, lambda g, ans, x: g * onp.sign(x)),
    ("fabs", M2, lambda g, ans, x: g * onp.sign(x)),
    ("degrees", M2, lambda g, ans, x: g * (180.0 / onp.pi)),
    ("sinc", M2, lambda g, ans, x: g * (onp.cos(onp.pi * x) - ans) / x),
    ("positive", M2, lambda g, ans, x: g),
    ("real", M2, lambda g, ans, x: g),
    ("floor", M2, lambda g, ans, x: onp.zeros_like(x)),
]
for _name, _mk, _hand in _UNARY:
    case(U, _name, getattr(np, _name), inputs(_mk), lambda g, ans, x, h=_hand: [h(g, ans, x)],
         tol=2e-3 if _name == "sinc" else 2e-4)


# -- elementwise, two arguments ---------------------------------------------------------------
Bn = "binary"
POS = rnd(N, N, lo=0.5, hi=2.0)


def _hand_max(g, ans, x, y):
    """A careful hand-written maximum with ties split (the convention of the rule)."""
    gx, gy = g * (x >= y), g * (y >= x)
    eq = x == y
    if eq.any():
        gx[eq] *= 0.5
        gy[eq] *= 0.5
    return [gx, gy]


def _hand_relu_split(g, ans, x):
    gx = g * (x >= 0)
    eq = x == 0
    if eq.any():
        gx[eq] *= 0.5
    return [gx]


case(Bn, "add", np.add, inputs(M2, M2), lambda g, ans, x, y: [g, g], (0, 1))
case(Bn, "subtract", np.subtract, inputs(M2, M2), lambda g, ans, x, y: [g, -g], (0, 1))
case(Bn, "multiply", np.multiply, inputs(M2, M2), lambda g, ans, x, y: [g * y, g * x],
     (0, 1))
case(Bn, "divide", np.divide, inputs(M2, POS),
     lambda g, ans, x, y: (lambda gx: [gx, -gx * ans])(g / y), (0, 1))
case(Bn, "power", np.power, inputs(POS, rnd(N, N, lo=-2, hi=2)),
     lambda g, ans, x, y: [g * y * x ** (y - 1.0), g * onp.log(x) * ans], (0, 1), tol=1e-3)
case(Bn, "maximum", np.maximum, inputs(M2, M2), _hand_max, (0, 1),
     note="ties split (HIPS's convention), by hand too")
case(Bn, "minimum", np.minimum, inputs(M2, M2),
     lambda g, ans, x, y: _hand_max(g, ans, y, x), (0, 1))
case(Bn, "fmax", np.fmax, inputs(M2, M2), _hand_max, (0, 1))
case(Bn, "hypot", np.hypot, inputs(M2, M2),
     lambda g, ans, x, y: (lambda s: [s * x, s * y])(g / ans), (0, 1))
case(Bn, "arctan2", np.arctan2, inputs(M2, M2),
     lambda g, ans, x, y: (lambda d: [d * y, -d * x])(g / (x * x + y * y)), (0, 1),
     tol=1e-3)
case(Bn, "logaddexp", np.logaddexp, inputs(M2, M2),
     lambda g, ans, x, y: [g * onp.exp(x - ans), g * onp.exp(y - ans)], (0, 1))
case(Bn, "add (1000,1000) + (1000,)", np.add, inputs(M2, rnd(N)),
     lambda g, ans, x, y: [g, g.sum(0)], (0, 1), note="a bias")
case(Bn, "subtract (1000,1000) - (1000,1)", np.subtract, inputs(M2, rnd(N, 1)),
     lambda g, ans, x, y: [g, -g.sum(1, keepdims=True)], (0, 1))
case(Bn, "multiply (1000,1000) * (1000,)", np.multiply, inputs(M2, rnd(N)),
     lambda g, ans, x, y: [g * y, (g * x).sum(0)], (0, 1))
case(Bn, "divide (1000,1000) / (1000,1)", np.divide, inputs(M2, rnd(N, 1, lo=0.5, hi=2)),
     lambda g, ans, x, y: (lambda gx: [gx, -(gx * ans).sum(1, keepdims=True)])(g / y),
     (0, 1), note="a softmax's normalisation")
case(Bn, "multiply by 2.0 (a constant)", lambda x: np.multiply(x, 2.0), inputs(M2),
     lambda g, ans, x: [g * 2.0])
case(Bn, "divide by 3.0 (a constant)", lambda x: np.divide(x, 3.0), inputs(M2),
     lambda g, ans, x: [g / 3.0])
case(Bn, "power x ** 2 (a constant)", lambda x: np.power(x, 2), inputs(M2),
     lambda g, ans, x: [g * 2 * x])
case(Bn, "power x ** 3.0 (a constant)", lambda x: np.power(x, 3.0), inputs(M2),
     lambda g, ans, x: [g * 3.0 * x ** 2.0])
case(Bn, "maximum(x, 0.0): ReLU", lambda x: np.maximum(x, 0.0), inputs(M2),
     _hand_relu_split, note="ties split, by hand too")
case("binary (no target)", "maximum(x, 0.0): ReLU vs g * (x > 0)",
     lambda x: np.maximum(x, 0.0), inputs(M2), lambda g, ans, x: [g * (x > 0)],
     note="against the backward that ignores ties (what a ReLU layer writes): the "
     "price of HIPS's convention that ties split the gradient")
case(Bn, "where(c, x, y)", lambda c, x, y: np.where(c, x, y),
     inputs(lambda rng: rng.random((N, N)) > 0.5, M2, M2),
     lambda g, ans, c, x, y: [g * c, g * ~c], (1, 2))
case(Bn, "clip(x, -1, 1)", lambda x: np.clip(x, -1.0, 1.0), inputs(M2),
     lambda g, ans, x: [g * ((x >= -1.0) & (x <= 1.0))])


# -- reductions ---------------------------------------------------------------------------
R = "reductions"


def _bc(g, shape, axis):
    return onp.broadcast_to(onp.expand_dims(g, axis) if axis is not None else g, shape)


def _hand_extremum(g, ans, x, axis):
    """max/min with ties split, as a careful hand-written backward: the mask, and the
    count of ties only where there are any."""
    full = _bc(ans, x.shape, axis)
    mask = x == full
    if onp.count_nonzero(mask) == ans.size:
        return [mask * _bc(g, x.shape, axis)]
    return [mask * _bc(g / mask.sum(axis=axis), x.shape, axis)]


case(R, "sum", np.sum, inputs(M2), lambda g, ans, x: [onp.broadcast_to(g, x.shape)])
case(R, "sum axis=0", lambda x: np.sum(x, axis=0), inputs(M2),
     lambda g, ans, x: [_bc(g, x.shape, 0)])
case(R, "sum axis=1 keepdims", lambda x: np.sum(x, axis=1, keepdims=True), inputs(M2),
     lambda g, ans, x: [onp.broadcast_to(g, x.shape)])
case(R, "mean", np.mean, inputs(M2), lambda g, ans, x: [onp.broadcast_to(g / x.size, x.shape)])
case(R, "mean axis=1", lambda x: np.mean(x, axis=1), inputs(M2),
     lambda g, ans, x: [_bc(g / x.shape[1], x.shape, 1)])
case(R, "average axis=0", lambda x: np.average(x, axis=0), inputs(M2),
     lambda g, ans, x: [_bc(g / x.shape[0], x.shape, 0)])
case(R, "prod axis=1", lambda x: np.prod(x, axis=1), inputs(rnd(N, N, lo=0.999, hi=1.001)),
     lambda g, ans, x: [_bc(g * ans, x.shape, 1) / x])
case(R, "max axis=1", lambda x: np.max(x, axis=1), inputs(M2),
     lambda g, ans, x: _hand_extremum(g, ans, x, 1))
case(R, "max", np.max, inputs(M2), lambda g, ans, x: _hand_extremum(g, ans, x, None))
case(R, "min axis=0", lambda x: np.min(x, axis=0), inputs(M2),
     lambda g, ans, x: _hand_extremum(g, ans, x, 0))
case(R, "nanmax axis=1", lambda x: np.nanmax(x, axis=1), inputs(M2),
     lambda g, ans, x: _hand_extremum(g, ans, x, 1))
case("reductions (no target)", "max axis=1 vs (x == max) * g",
     lambda x: np.max(x, axis=1), inputs(M2),
     lambda g, ans, x: [(x == ans[:, None]) * g[:, None]],
     note="against the backward that ignores ties")
case(R, "var axis=1", lambda x: np.var(x, axis=1), inputs(M2),
     lambda g, ans, x: [(x - x.mean(1, keepdims=True)) * (g * (2.0 / x.shape[1]))[:, None]])
case(R, "var", np.var, inputs(M2),
     lambda g, ans, x: [(x - x.mean()) * (g * (2.0 / x.size))])
case(R, "std axis=1", lambda x: np.std(x, axis=1), inputs(M2),
     lambda g, ans, x: [(x - x.mean(1, keepdims=True)) * (g / (ans * x.shape[1]))[:, None]])
case(R, "cumsum axis=0", lambda x: np.cumsum(x, axis=0), inputs(M2),
     lambda g, ans, x: [onp.cumsum(g[::-1], axis=0)[::-1]])
case(R, "cumsum (flat)", np.cumsum, inputs(M2),
     lambda g, ans, x: [onp.cumsum(g[::-1])[::-1].reshape(x.shape)])
case(R, "cumprod axis=1", lambda x: np.cumprod(x, axis=1),
     inputs(rnd(N, N, lo=0.999, hi=1.001)),
     lambda g, ans, x: [onp.cumsum((g * ans)[:, ::-1], axis=1)[:, ::-1] / x], tol=1e-3)
case(R, "trace", np.trace, inputs(M2),
     lambda g, ans, x: [onp.eye(*x.shape, dtype=x.dtype) * g])
case(R, "nansum axis=1", lambda x: np.nansum(x, axis=1), inputs(M2),
     lambda g, ans, x: [onp.where(onp.isnan(x), 0.0, _bc(g, x.shape, 1))])
case(R, "nanmean axis=1", lambda x: np.nanmean(x, axis=1), inputs(M2),
     lambda g, ans, x: (lambda m: [m * _bc(g / m.sum(1, dtype=x.dtype), x.shape, 1)])(
         ~onp.isnan(x)))
case(R, "linalg.norm", np.linalg.norm, inputs(M2), lambda g, ans, x: [x * (g / ans)])
case(R, "linalg.norm axis=1", lambda x: np.linalg.norm(x, axis=1), inputs(M2),
     lambda g, ans, x: [x * (g / ans)[:, None]])


# -- shape and layout ---------------------------------------------------------------------
S = "shape"
case(S, "reshape", lambda x: np.reshape(x, (100, 10000)), inputs(M2),
     lambda g, ans, x: [g.reshape(x.shape)])
case(S, "transpose", np.transpose, inputs(M2), lambda g, ans, x: [g.T])
case(S, "transpose (1,2,0)", lambda x: np.transpose(x, (1, 2, 0)), inputs(B3),
     lambda g, ans, x: [g.transpose(2, 0, 1)])
case(S, "swapaxes", lambda x: np.swapaxes(x, 0, 1), inputs(M2), lambda g, ans, x: [g.T])
case(S, "moveaxis", lambda x: np.moveaxis(x, 0, -1), inputs(B3),
     lambda g, ans, x: [onp.moveaxis(g, -1, 0)])
case(S, "expand_dims", lambda x: np.expand_dims(x, 1), inputs(M2),
     lambda g, ans, x: [g.reshape(x.shape)])
case(S, "squeeze", np.squeeze, inputs(rnd(N, 1, N)), lambda g, ans, x: [g.reshape(x.shape)])
case(S, "ravel", np.ravel, inputs(M2), lambda g, ans, x: [g.reshape(x.shape)])
case(S, "flip", lambda x: np.flip(x, 0), inputs(M2), lambda g, ans, x: [g[::-1]])
case(S, "rot90", np.rot90, inputs(M2), lambda g, ans, x: [onp.rot90(g, -1)])
case(S, "broadcast_to (1000,) -> (1000,1000)", lambda x: np.broadcast_to(x, (N, N)),
     inputs(rnd(N)), lambda g, ans, x: [g.sum(0)])
case(S, "tile (1000,) x (1000,1)", lambda x: np.tile(x, (N, 1)), inputs(rnd(N)),
     lambda g, ans, x: [g.sum(0)])
case(S, "repeat 2, axis=1", lambda x: np.repeat(x, 2, axis=1), inputs(rnd(N, 500)),
     lambda g, ans, x: [g.reshape(N, 500, 2).sum(2)])
case(S, "roll", lambda x: np.roll(x, 7, axis=1), inputs(M2),
     lambda g, ans, x: [onp.roll(g, -7, axis=1)])
case(S, "concatenate 2 x (500,1000)", lambda a, b: np.concatenate([a, b]),
     inputs(rnd(500, N), rnd(500, N)), lambda g, ans, a, b: [g[:500], g[500:]], (0, 1))
case(S, "stack 2 x (500,1000)", lambda a, b: np.stack([a, b]),
     inputs(rnd(500, N), rnd(500, N)), lambda g, ans, a, b: [g[0], g[1]], (0, 1))
case(S, "split 4, axis=1", lambda x: np.split(x, 4, axis=1), inputs(M2),
     lambda g, ans, x: [onp.concatenate(g, axis=1)])
case(S, "pad 1 (constant)", lambda x: np.pad(x, 1), inputs(rnd(998, 998)),
     lambda g, ans, x: [g[1:-1, 1:-1]])
case(S, "tril", np.tril, inputs(M2), lambda g, ans, x: [onp.tril(g)])
case(S, "diagonal", np.diagonal, inputs(M2),
     lambda g, ans, x: (lambda r: (onp.fill_diagonal(r, g), [r])[1])(onp.zeros_like(x)))
case(S, "diag (1000,) -> 1000x1000", np.diag, inputs(rnd(N)),
     lambda g, ans, x: [onp.diagonal(g).copy()])
case(S, "astype float64", lambda x: x.astype("float64"), inputs(M2),
     lambda g, ans, x: [g.astype(F32)])
case(S, "copy", np.copy, inputs(M2), lambda g, ans, x: [g])
case(S, "diff axis=1", lambda x: np.diff(x, axis=1), inputs(M2),
     lambda g, ans, x: (lambda r: (r.__setitem__((slice(None), slice(None, -1)), -g),
                                   r.__setitem__((slice(None), slice(1, None)),
                                                 r[:, 1:] + g), [r])[2])(onp.zeros_like(x)))


# -- indexing -----------------------------------------------------------------------------
Ix = "indexing"


def _scatter_rows(shape, idx, g):
    r = onp.zeros(shape, g.dtype)
    onp.add.at(r, idx, g)
    return r


def _assign(shape, key, g):
    r = onp.zeros(shape, g.dtype)
    r[key] = g
    return r


ROWS = onp.random.default_rng(1).integers(0, N, 100_000)
SORTED = onp.sort(onp.random.default_rng(2).choice(N, 500, replace=False))
case(Ix, "x[::2] (basic)", lambda x: x[::2], inputs(M2),
     lambda g, ans, x: [_assign(x.shape, slice(None, None, 2), g)])
case(Ix, "x[100:900, 100:900] (basic)", lambda x: x[100:900, 100:900], inputs(M2),
     lambda g, ans, x: [_assign(x.shape, (slice(100, 900), slice(100, 900)), g)])
case(Ix, "x[5] (a row)", lambda x: x[5], inputs(M2),
     lambda g, ans, x: [_assign(x.shape, 5, g)])
case(Ix, "x[rows], 1e5 rows of 1e3 with repeats (1e6 x 10 output)",
     lambda x: x[ROWS], inputs(rnd(N, 10)),
     lambda g, ans, x: [_scatter_rows(x.shape, ROWS, g)])
case(Ix, "x[sorted unique rows]", lambda x: x[SORTED], inputs(M2),
     lambda g, ans, x: [_scatter_rows(x.shape, SORTED, g)])
case(Ix, "x[x > 0] (mask)", lambda x: x[x > 0], inputs(M2),
     lambda g, ans, x: [_assign(x.shape, x > 0, g)])
case(Ix, "take(x, rows, axis=0)", lambda x: np.take(x, ROWS, axis=0), inputs(rnd(N, 10)),
     lambda g, ans, x: [_scatter_rows(x.shape, ROWS, g)])
case(Ix, "sort axis=1", lambda x: np.sort(x, axis=1), inputs(M2),
     lambda g, ans, x: (lambda p: (lambda r: (onp.put_along_axis(r, p, g, 1), [r])[1])(
         onp.zeros_like(x)))(onp.argsort(x, axis=1, kind="stable")),
     note="the hand-written side pays for the argsort too (sort does not return it)")


# -- linalg ---------------------------------------------------------------------------------
L = "linalg"
SPD = (lambda rng: (lambda a: (a @ a.T / N + onp.eye(N)).astype(F32))(
    rng.standard_normal((N, N))))
# near the identity: a determinant of order 1 (an SPD one of this size overflows float32)
NEAR_I = (lambda rng: (onp.eye(N) + 0.1 * rng.standard_normal((N, N)) / N ** 0.5).astype(
    F32))
case(L, "linalg.inv", np.linalg.inv, inputs(SPD),
     lambda g, ans, a: [-(ans.T @ g @ ans.T)], tol=1e-3)
case(L, "linalg.det", np.linalg.det, inputs(NEAR_I),
     lambda g, ans, a: [(g * ans) * onp.linalg.inv(a).T], tol=1e-3,
     cotangent=lambda rng, ans: onp.asarray(1.0, F32))
case(L, "linalg.solve (1000,1000), (1000,)", np.linalg.solve, inputs(SPD, rnd(N)),
     lambda g, ans, a, b: (lambda gb: [-onp.outer(gb, ans), gb])(onp.linalg.solve(a.T, g)),
     (0, 1), tol=1e-3)
case(L, "linalg.cholesky 500x500", np.linalg.cholesky,
     inputs(lambda rng: (lambda a: (a @ a.T / 500 + onp.eye(500)).astype(F32))(
         rng.standard_normal((500, 500)))),
     None, note="reported: no hand-written reference (the rule is the reference)")


# -- running --------------------------------------------------------------------------------
def record(fun, host_args, argnums):
    """``(node, answer)``: ``fun`` recorded on the tape with ``argnums`` traced."""
    args = [np.array(a) if isinstance(a, onp.ndarray) else
            [np.array(e) for e in a] if isinstance(a, list) else a for a in host_args]
    t = _Traced(fun, args, {}, argnums if len(argnums) > 1 else argnums[0], "bench_rules")
    ans = t.ans
    if isinstance(ans, (list, tuple)):  # several outputs: their common node
        node = ans[0]._node.parents[0]
        value = [onp.asarray(a._value.asnumpy()) for a in ans]
    else:
        node = t.output_node()
        value = ans._value.asnumpy()
    return node, value


def cotangent(c, rng, value):
    if c.cotangent is not None:
        return c.cotangent(rng, value)
    if isinstance(value, list):
        return [rng.standard_normal(v.shape).astype(v.dtype) for v in value]
    return rng.standard_normal(onp.shape(value)).astype(onp.asarray(value).dtype)


def _flat(grads):
    out = []
    for x in grads:
        if isinstance(x, (list, tuple)):
            out += _flat(x)
        else:
            out.append(onp.asarray(x.asnumpy() if hasattr(x, "asnumpy") else x))
    return out


def check(c, got, want):
    got, want = _flat(got), _flat(want)
    assert len(got) == len(want), (c.name, len(got), len(want))
    for a, b in zip(got, want):
        assert a.shape == b.shape and a.dtype == b.dtype, (c.name, a.shape, b.shape,
                                                           a.dtype, b.dtype)
        scale = float(onp.max(onp.abs(b))) if b.size else 1.0
        onp.testing.assert_allclose(a, b, rtol=c.tol, atol=c.tol * scale,
                                    err_msg=c.name)


def _node_vjps_of_older_tapes(node, g):
    """``tracer.node_vjps`` for a MinPy from before it existed (to measure the former
    rules with this script): the same steps, from the tracer's own helpers."""
    from minpy.numpy import _dispatch
    mode = tracer._numpy_mode()
    if not mode or not tracer._builtin_rules(node):
        return tracer._array_vjps(node, g, 0)
    vals = tracer._numpy_values(node, g)
    before = _dispatch.numpy_mode
    _dispatch.numpy_mode = mode
    try:
        return (tracer._node_vjps(node, vals[3], *vals[:3]) if vals is not None
                else tracer._array_vjps(node, g, mode))
    finally:
        _dispatch.numpy_mode = before


node_vjps = getattr(tracer, "node_vjps", _node_vjps_of_older_tapes)


def run_case(c, timer, keep_going=False):
    rng = onp.random.default_rng(0)
    host = c.inputs(rng)
    node, value = record(c.fun, host, c.argnums)
    g = cotangent(c, rng, value)
    gct = (tracer._MultiCT(enumerate(g)) if isinstance(g, list) else g)

    def rule():
        return node_vjps(node, gct)

    got = rule()
    if c.hand is None:
        (t_rule,) = timer.compare(rule)
        return t_rule, None

    def hand():
        return c.hand(g, value, *host)

    try:
        check(c, got, hand())
    except AssertionError as exc:
        if not keep_going:
            raise
        c.note = (c.note + "; " if c.note else "") + f"WRONG ANSWER: {exc}"[:300]
    t_rule, t_hand = timer.compare(rule, hand)
    return t_rule, t_hand


def row_of(c, t_rule, t_hand):
    us_rule = t_rule * 1e6
    us_hand = None if t_hand is None else t_hand * 1e6
    targeted = c.family in TARGETED
    note = c.note
    if us_hand is not None and us_hand < VIEW_REF_US:
        note = _join(note, f"the hand-written backward does no array work ({us_hand:.1f} "
                     f"us): target the rule's own time <= {VIEW_US:g} us")
        if us_rule > VIEW_US:
            note = _join("OUTLIER (a full-size pass where a view does)", note)
        return H.Row(c.family, c.name, us_rule, us_hand, ref="NumPy by hand",
                     target=VIEW_US if targeted else None, cmp="value<=", note=note)
    if us_hand is not None and us_rule > TARGET * us_hand:
        note = _join(f"OUTLIER (ratio > {TARGET:g})", note)
    return H.Row(c.family, c.name, us_rule, us_hand, ref="NumPy by hand",
                 target=TARGET if targeted and us_hand is not None else None, note=note)


def _join(*parts):
    return "; ".join(p for p in parts if p)


def outliers(rows):
    """The rows over 1.2 (ratio), or over 50 us where the reference is a view."""
    out = []
    for r in rows:
        if r.ratio is None:
            continue
        if r.cmp == "value<=":
            if r.minpy_us > VIEW_US:
                out.append({"section": r.section, "name": r.name, "ratio": r.ratio,
                            "minpy_us": r.minpy_us, "ref_us": r.ref_us})
        elif r.ratio > TARGET:
            out.append({"section": r.section, "name": r.name, "ratio": r.ratio,
                        "minpy_us": r.minpy_us, "ref_us": r.ref_us})
    return out


def main(argv=None):
    p = H.parser(__doc__.split("\n")[0])
    p.add_argument("--only", default=None,
                   help="comma-separated families: products, unary, binary, reductions, "
                   "shape, indexing, linalg")
    p.add_argument("--cases", default=None, help="comma-separated substrings of case names")
    p.add_argument("--keep-going", action="store_true",
                   help="time a case whose answers disagree too (its note says so)")
    p.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                   help="cpu (default): this thread's CPU time, which a loaded machine "
                   "does not inflate (both sides run on this one thread: BLAS on 1 "
                   "thread); wall: wall-clock time")
    p.add_argument("--threads", type=int, default=1,
                   help="BLAS threads on both sides (default 1; 0 = the library default)")
    args = p.parse_args(argv)
    started = time.perf_counter()
    info = H.machine()
    budget = args.budget if args.budget is not None else (0.01 if args.quick else 0.3)
    if args.clock == "cpu" and args.threads != 1:
        p.error("--clock cpu measures this thread only: use it with --threads 1")
    timer = H.Timer(budget_s=budget, sample_s=0.002, min_repeat=2 if args.quick else 7,
                    sync=H.mxnet_sync(),
                    clock=time.thread_time if args.clock == "cpu" else time.perf_counter)
    info["clock"] = ("thread CPU time (time.thread_time)" if args.clock == "cpu"
                     else "wall (time.perf_counter)")
    families = args.only.split(",") if args.only else None
    wanted = args.cases.split(",") if args.cases else None
    limit, blas = H.blas_limit(args.threads)
    info["blas_threads"] = blas
    rows = []
    with limit, np.policy("auto"):
        for c in CASES:
            if families and c.family.split()[0] not in families:
                continue
            if wanted and not any(w in c.name for w in wanted):
                continue
            t_rule, t_hand = run_case(c, timer, args.keep_going)
            rows.append(row_of(c, t_rule, t_hand))
            print(f"  {c.family:>12s}  {c.name:60s} {t_rule * 1e6:10.1f} us"
                  + ("" if t_hand is None else
                     f" {t_hand * 1e6:10.1f} us  {t_rule / t_hand:6.2f}"),
                  file=sys.stderr, flush=True)
    out = outliers(rows)
    print("\noutliers (ratio > 1.2, or > 50 us where the hand-written backward is a view):")
    for o in out:
        print(f"  {o['section']}: {o['name']}  {o['ratio']:.2f}")
    if not out:
        print("  none")
    return H.report("minpy-autograd rules", rows, info, args, extra={"outliers": out},
                    started=started)


if __name__ == "__main__":
    sys.exit(main())
