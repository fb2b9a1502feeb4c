"""The gradient rules rewritten for their cost (issue 25): the same results as before
where the arithmetic is the same, the defects found on the way fixed, and the
machinery they use (joint rules, in-place accumulation, scatters) safe.

The former rules are written out here, in NumPy, as they computed (``OLD``); each new
rule must give the same values bit for bit on random inputs, ties and zeros included
(``assert_array_equal``: a zero's sign may differ, where a product ``g * mask`` now
gives ``-0.0`` for ``np.where(mask, g, 0.0)``'s ``+0.0``). Rules whose arithmetic
changed (products through BLAS calls on views, einsum's matrix products, re-associated
constants) are checked against finite differences here and in ``test_rules.py``.
"""

from __future__ import annotations

import tracemalloc

import numpy as onp
import pytest

import minpy.numpy as np
from minpy.autograd import grad, make_vjp
from minpy.autograd.testing import check_grads

F32 = onp.float32


def vjp_of(fun, *args, argnum=0, g=None, seed=1):
    """The cotangents of ``fun``'s ``argnum`` arguments for a random cotangent (first
    order, default policy: the rules run on NumPy arrays), as NumPy arrays."""
    back, ans = make_vjp(fun, argnum)(*[np.array(a) for a in args])
    if g is None:
        g = onp.random.default_rng(seed).standard_normal(ans.shape).astype(ans.dtype)
    out = back(np.array(g))
    out = out if isinstance(out, tuple) else (out,)
    return [onp.asarray(o) for o in out], g


def ints(rng, shape, lo=-3, hi=4, dtype=F32):
    """Small integers as floats: many ties and exact zeros."""
    return rng.integers(lo, hi, shape).astype(dtype)


# -- the former rules, as they computed --------------------------------------------------
def old_extremum_share(g, win, tie):
    return onp.where(win, g, onp.where(tie, g * 0.5, 0.0))


def old_unbroadcast(g, shape):
    extra = g.ndim - len(shape)
    if extra > 0:
        g = onp.sum(g, axis=tuple(range(extra)))
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    if axes:
        g = onp.sum(g, axis=axes, keepdims=True)
    return g.reshape(shape)


@pytest.mark.parametrize("op", ["maximum", "minimum"])
@pytest.mark.parametrize("yshape", [(6, 5), (5,), (6, 1)])
def test_maximum_minimum_as_before(op, yshape):
    rng = onp.random.default_rng(3)
    x, y = ints(rng, (6, 5)), ints(rng, yshape)
    (gx, gy), g = vjp_of(getattr(np, op), x, y, argnum=(0, 1))
    bigger = onp.greater if op == "maximum" else onp.less
    onp.testing.assert_array_equal(gx, old_unbroadcast(
        old_extremum_share(g, bigger(x, y), x == y), x.shape))
    onp.testing.assert_array_equal(gy, old_unbroadcast(
        old_extremum_share(g, bigger(y, x), x == y), y.shape))
    assert (onp.broadcast_to(x, g.shape) == onp.broadcast_to(y, g.shape)).any()  # ties


@pytest.mark.parametrize("op", ["maximum", "minimum", "fmax", "fmin"])
def test_one_argument_of_an_extremum_as_before(op):
    rng = onp.random.default_rng(4)
    x = ints(rng, (50, 40))
    (gx,), g = vjp_of(lambda a: getattr(np, op)(a, 0.0), x)
    bigger = onp.greater if op in ("maximum", "fmax") else onp.less
    onp.testing.assert_array_equal(gx, old_extremum_share(g, bigger(x, 0.0), x == 0.0))
    assert (x == 0).any()   # ties were drawn


def test_relu_ties_split():
    (gx,), _ = vjp_of(lambda a: np.maximum(a, 0.0), onp.array([-1.0, 0.0, 2.0]),
                      g=onp.ones(3))
    onp.testing.assert_array_equal(gx, [0.0, 0.5, 1.0])


@pytest.mark.parametrize("op", ["fmax", "fmin"])
def test_fmax_fmin_send_the_gradient_to_the_argument_returned(op):
    """fmax(x, nan) is x: its gradient is x's, not 0 (the former rule, shared with
    maximum, gave 0 to both arguments wherever one was NaN)."""
    x = onp.array([1.0, onp.nan, 2.0, onp.nan, 3.0])
    y = onp.array([onp.nan, 5.0, 2.0, onp.nan, 0.0])
    (gx, gy), _ = vjp_of(getattr(np, op), x, y, argnum=(0, 1), g=onp.ones(5))
    win = x > y if op == "fmax" else x < y
    onp.testing.assert_array_equal(gx, [1.0, 0.0, 0.5, 0.0, float(win[4])])
    onp.testing.assert_array_equal(gy, [0.0, 1.0, 0.5, 0.0, float(not win[4])])


def test_maximum_with_nan_gives_no_gradient():
    x = onp.array([1.0, onp.nan, 2.0])
    y = onp.array([onp.nan, 5.0, 1.0])
    (gx, gy), _ = vjp_of(np.maximum, x, y, argnum=(0, 1), g=onp.ones(3))
    onp.testing.assert_array_equal(gx, [0.0, 0.0, 1.0])
    onp.testing.assert_array_equal(gy, [0.0, 0.0, 0.0])


def test_where_and_clip_as_before():
    rng = onp.random.default_rng(5)
    c = rng.random((7, 6)) > 0.5
    x, y = rng.standard_normal((7, 6)), rng.standard_normal((6,))
    (gx, gy), g = vjp_of(lambda a, b: np.where(c, a, b), x, y, argnum=(0, 1))
    onp.testing.assert_array_equal(gx, onp.where(c, g, 0.0))
    onp.testing.assert_array_equal(gy, old_unbroadcast(onp.where(c, 0.0, g), y.shape))
    x = ints(rng, (7, 6), dtype=float)
    (gx,), g = vjp_of(lambda a: np.clip(a, -1.0, 2.0), x)
    onp.testing.assert_array_equal(gx, onp.where((x >= -1) & (x <= 2), g, 0.0))


@pytest.mark.parametrize("zeros", [False, True])
def test_power_as_before(zeros):
    rng = onp.random.default_rng(6)
    x = rng.uniform(0.5, 2.0, (5, 4))
    y = rng.uniform(-2, 2, (5, 4))
    if zeros:   # 0 ** 0 and 0 ** y: the guarded path
        x[0, :2] = 0.0
        y[0, 0] = 0.0
    (gx, gy), g = vjp_of(np.power, x, y, argnum=(0, 1))
    with onp.errstate(all="ignore"):
        expo = onp.where((x == 0) & (y == 0), 1.0, y - 1.0)
        onp.testing.assert_array_equal(gx, g * y * x ** expo)
        onp.testing.assert_array_equal(gy, g * onp.log(onp.where(x == 0, 1.0, x)) * x ** y)


@pytest.mark.parametrize("zeros", [False, True])
def test_sinc_as_before(zeros):
    x = onp.random.default_rng(7).standard_normal(30)
    if zeros:
        x[::7] = 0.0
    (gx,), g = vjp_of(np.sinc, x)
    with onp.errstate(all="ignore"):
        old = g * onp.where(x == 0, 0.0, (onp.cos(onp.pi * x) - onp.sinc(x))
                            / onp.where(x == 0, 1.0, x))
    onp.testing.assert_array_equal(gx, old)


def test_subtract_and_add_of_a_broadcast_operand_as_before():
    rng = onp.random.default_rng(8)
    x, y = rng.standard_normal((3, 40, 30)), rng.standard_normal((40, 1))
    (gx, gy), g = vjp_of(np.subtract, x, y, argnum=(0, 1))
    onp.testing.assert_array_equal(gx, g)
    # one reduction over all the broadcast axes now (the former summed twice): the same
    # sum, up to the order of the additions
    onp.testing.assert_allclose(gy, old_unbroadcast(-g, y.shape), rtol=1e-12)
    y = rng.standard_normal((40, 1))
    (gy,), g = vjp_of(lambda b: np.subtract(x[0], b), y)
    onp.testing.assert_array_equal(gy, old_unbroadcast(-g, y.shape))


@pytest.mark.parametrize("axis, keepdims", [(None, False), (0, False), (1, True),
                                            ((0, 2), False)])
def test_sum_and_mean_as_before(axis, keepdims):
    x = onp.random.default_rng(9).standard_normal((4, 5, 6)).astype(F32)
    for op in ("sum", "mean"):
        (gx,), g = vjp_of(lambda a: getattr(np, op)(a, axis=axis, keepdims=keepdims), x)
        ax = tuple(range(3)) if axis is None else axis
        full = onp.broadcast_to(g if keepdims else onp.expand_dims(g, ax), x.shape)
        n = x.size // g.size
        onp.testing.assert_array_equal(gx, full if op == "sum" else full / n)
        assert gx.dtype == F32


@pytest.mark.parametrize("op", ["max", "min", "nanmax"])
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_max_min_as_before(op, axis):
    """The share without ties is the mask itself; with ties (and NaN slices) the
    former arithmetic, unchanged."""
    rng = onp.random.default_rng(10)
    for x in (rng.standard_normal((6, 5)), ints(rng, (6, 5), dtype=float)):
        x = x.copy()
        if op != "nanmax":
            x[2, 3] = onp.nan
        (gx,), g = vjp_of(lambda a: getattr(np, op)(a, axis=axis), x)
        ans = getattr(onp, op)(x, axis=axis, keepdims=True)
        mask = (x == ans).astype(x.dtype)
        with onp.errstate(invalid="ignore", divide="ignore"):
            share = mask / onp.sum(mask, axis=axis, keepdims=True)
        gk = g if axis is None else onp.expand_dims(g, axis)
        onp.testing.assert_array_equal(gx, onp.broadcast_to(gk, x.shape) * share)


def test_nansum_as_before():
    x = onp.random.default_rng(11).standard_normal((5, 4))
    x[1, 2] = onp.nan
    (gx,), g = vjp_of(lambda a: np.nansum(a, axis=1), x)
    onp.testing.assert_array_equal(gx, onp.where(onp.isnan(x), 0.0, g[:, None]))


@pytest.mark.parametrize("key", [
    (slice(None, None, 2),), (slice(1, 4), slice(None, None, -1)), (3,),
    (Ellipsis, 1), (None, slice(2, 5)), "mask", (onp.array([0, 2, 0, 4, 2]),),
    (slice(None), onp.array([1, 1, 3]))], ids=str)
def test_getitem_as_before(key):
    """The scatter of getitem's gradient: numpy.add.at of a zero array before, now an
    in-place add where no element is selected twice (the same sums)."""
    x = onp.random.default_rng(12).standard_normal((6, 5))
    if key == "mask":
        key = x > 0
    (gx,), g = vjp_of(lambda a: a[key], x)
    old = onp.zeros_like(x)
    onp.add.at(old, key, g)
    onp.testing.assert_array_equal(gx, old)


def test_index_add_fast_path_matches_add_at():
    from minpy.autograd import index_add
    rng = onp.random.default_rng(13)
    a = rng.standard_normal((6, 5))
    for key in ((slice(1, 5), 2), (a > 0,), (onp.array([1, 1, 4]),), (Ellipsis, 0)):
        v = rng.standard_normal(a[key].shape)
        want = a.copy()
        onp.add.at(want, key, v)
        onp.testing.assert_array_equal(onp.asarray(index_add(np.array(a), key, v)), want)


@pytest.mark.parametrize("shape, offset, axes", [
    ((7, 5), 0, (0, 1)), ((5, 7), 2, (0, 1)), ((6, 6), -3, (1, 0)),
    ((3, 4, 5), 1, (2, 0)), ((2, 4, 4), 0, (1, 2))])
def test_diagonal_and_trace_as_before(shape, offset, axes):
    x = onp.random.default_rng(14).standard_normal(shape)
    (gx,), g = vjp_of(lambda a: np.diagonal(a, offset, *axes), x)
    idx = onp.arange(x.size).reshape(shape)
    old = onp.zeros(x.size)
    onp.add.at(old, onp.diagonal(idx, offset, *axes).ravel(), g.ravel())
    onp.testing.assert_array_equal(gx, old.reshape(shape))
    (gx,), g = vjp_of(lambda a: np.trace(a, offset, *axes), x)
    old = onp.zeros(x.size)
    d = onp.diagonal(idx, offset, *axes)
    onp.add.at(old, d.ravel(), onp.broadcast_to(onp.expand_dims(g, -1), d.shape).ravel())
    onp.testing.assert_array_equal(gx, old.reshape(shape))


def test_diagonal_gradient_stays_small():
    """The former rule multiplied g by a (length, rows, cols) one-hot tensor: for a
    300 x 300 matrix 27e6 floats (216 MB) to place 300 values."""
    x = np.array(onp.random.default_rng(15).standard_normal((300, 300)))
    back, _ = make_vjp(np.diagonal)(x)
    g = np.array(onp.ones(300))
    tracemalloc.start()
    try:
        back(g)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 300 * 300 * 8, peak


# -- products, einsum and the rest: new arithmetic, the same values ----------------------
@pytest.mark.parametrize("spec, shapes", [
    ("ij,jk->ik", [(3, 4), (4, 5)]), ("ij,kj->ki", [(3, 4), (5, 4)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]), ("bij,jk->bik", [(2, 3, 4), (4, 5)]),
    ("...ij,...jk->...ik", [(1, 3, 4), (2, 4, 5)]), ("ijk,jkl->il", [(2, 3, 4), (3, 4, 5)]),
    ("ij,ij->", [(3, 4), (3, 4)]), ("ij,ij->ji", [(3, 4), (3, 4)]),
    ("i,j->ij", [(3,), (4,)]), ("ij,k->ijk", [(2, 3), (4,)]), ("abc,cd->dba", [(2, 3, 4), (4, 5)]),
    ("ij,jk", [(3, 4), (4, 5)]), ("ij->j", [(3, 4)]), ("ijk,k->i", [(2, 3, 4), (4,)]),
    ("ii,ij->j", [(3, 3), (3, 4)]), ("ab,bc,cd->ad", [(2, 3), (3, 4), (4, 2)])])
def test_einsum_gradients(spec, shapes):
    rng = onp.random.default_rng(16)
    args = [rng.standard_normal(s) for s in shapes]
    check_grads(lambda *a: np.einsum(spec, *a), *args, order=1)


def test_einsum_rule_keeps_the_dtype():
    """A letter summed only in one operand was spread with a float64 vector of ones:
    the rule gave a float32 operand a float64 cotangent (cast back at the end, a pass
    over it for nothing)."""
    from minpy.autograd.api import _Traced
    from minpy.autograd.tracer import node_vjps
    t = _Traced(lambda a: np.einsum("ij->j", a), (np.ones((3, 4), F32),), {}, 0, "test")
    (ct,) = node_vjps(t.output_node(), onp.ones(4, F32))
    assert ct.dtype == F32


@pytest.mark.parametrize("sa, sb, axes", [
    ((3, 4), (4, 5), 1), ((4, 3), (4, 5), ([0], [0])), ((3, 4), (5, 4), ([1], [1])),
    ((2, 3, 4), (3, 4, 5), 2), ((2, 3, 4), (4, 3, 2), ([1, 2], [1, 0])),
    ((5,), (5,), 1), ((3,), (4,), 0), ((2, 3, 4), (2, 5), ([0], [0])),
    ((2, 3), (3,), ([1], [0])), ((3,), (3, 2, 2), ([0], [0]))])
def test_contract_is_tensordot(sa, sb, axes):
    from minpy.autograd.rules.linalg import _contract, _td_axes
    rng = onp.random.default_rng(17)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    ia, ib = _td_axes(axes, a.ndim, b.ndim)
    onp.testing.assert_allclose(_contract(a, b, ia, ib), onp.tensordot(a, b, axes),
                                rtol=1e-12, atol=1e-12)
    check_grads(lambda x, y: np.tensordot(x, y, axes), a, b, order=1)


@pytest.mark.parametrize("sa, sb", [
    ((4, 3), (3, 5)), ((2, 4, 3), (3, 5)), ((4, 3), (3,)), ((3,), (3, 5)), ((3,), (3,)),
    ((2, 2, 4, 3), (3, 5)), ((4, 3), (2, 3, 5))])
def test_dot_and_matmul_gradients(sa, sb):
    rng = onp.random.default_rng(18)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    check_grads(np.dot, a, b, order=1)
    if len(sb) < 3 or len(sa) > 1:
        check_grads(np.matmul, a, b, order=1)


@pytest.mark.parametrize("op", ["divide", "hypot", "arctan2", "power", "maximum"])
def test_joint_rules_match_the_per_argument_ones(op):
    """A node that needs both gradients runs the joint rule; each gradient alone runs
    its own rule: the same values (to rounding: the joint one shares a quotient)."""
    rng = onp.random.default_rng(19)
    x, y = rng.uniform(0.5, 2.0, (5, 4)), rng.uniform(0.5, 2.0, (4,))
    f = getattr(np, op)
    (gx, gy), g = vjp_of(f, x, y, argnum=(0, 1))
    (gx1,), _ = vjp_of(f, x, y, argnum=0, g=g)
    (gy1,), _ = vjp_of(f, x, y, argnum=1, g=g)
    onp.testing.assert_allclose(gx, gx1, rtol=1e-14)
    onp.testing.assert_allclose(gy, gy1, rtol=1e-14)
    check_grads(f, x, y, order=2)


def test_a_redefined_rule_is_not_bypassed_by_the_joint_one(monkeypatch):
    from minpy.autograd import tracer
    monkeypatch.setitem(tracer.VJPS, "true_divide", dict(tracer.VJPS["true_divide"]))
    tracer.defvjp("true_divide", lambda ans, x, y: lambda g: g * 0.0 + 7.0, argnums=(1,))
    x, y = onp.ones(3), onp.full(3, 2.0)
    (gx, gy), _ = vjp_of(np.true_divide, x, y, argnum=(0, 1), g=onp.ones(3))
    onp.testing.assert_array_equal(gx, [0.5, 0.5, 0.5])
    onp.testing.assert_array_equal(gy, [7.0, 7.0, 7.0])


# -- the backward pass's in-place accumulation -----------------------------------------
def _shared_cotangent(x, w, w2):
    """``u`` and ``v`` both collect the cotangent of ``s = u + v`` (``add`` hands them
    the same array), then those of ``3 u`` and ``5 v``: adding either into the shared
    array in place would change the other's cotangent too."""
    u, v = np.sin(x), np.cos(x)
    # (in this order the backward pass reaches u and v from s first)
    return np.sum(u * 3.0 * w2) + np.sum(v * 5.0 * w2) + np.sum((u + v) * w)


def _shared_cotangent_grad(x, w, w2):
    return onp.cos(x) * (w + 3 * w2) - onp.sin(x) * (w + 5 * w2)


def test_accumulation_never_writes_a_shared_cotangent():
    rng = onp.random.default_rng(20)
    x, w, w2 = (rng.standard_normal((40, 30)) for _ in range(3))
    gx = onp.asarray(grad(_shared_cotangent)(np.array(x), w, w2))
    onp.testing.assert_allclose(gx, _shared_cotangent_grad(x, w, w2), rtol=1e-12)


def test_accumulation_guard_is_what_keeps_it_right(monkeypatch):
    """Failing-first for the guard: with every accumulation in place (the reference
    count ignored) the shared cotangent above is corrupted."""
    from minpy.autograd import tracer
    monkeypatch.setattr(tracer, "_SOLE_REFS", 1 << 30)
    rng = onp.random.default_rng(20)
    x, w, w2 = (rng.standard_normal((40, 30)) for _ in range(3))
    gx = onp.asarray(grad(_shared_cotangent)(np.array(x), w, w2))
    assert not onp.allclose(gx, _shared_cotangent_grad(x, w, w2))


def test_accumulation_happens_in_place_for_a_fresh_cotangent(monkeypatch):
    from minpy.autograd import tracer
    calls = []
    real = tracer._add

    def counting_add(a, b):
        if a is not None:
            calls.append(1)
        return real(a, b)
    monkeypatch.setattr(tracer, "_add", counting_add)
    x = onp.random.default_rng(21).standard_normal((30, 20))
    gx = onp.asarray(grad(lambda a: np.sum(np.sin(a) * np.cos(a) + np.exp(a)))(np.array(x)))
    onp.testing.assert_allclose(gx, onp.cos(2 * x) + onp.exp(x), rtol=1e-12)
    assert not calls   # x's three contributions were summed in place


def test_select_is_a_product():
    from minpy.autograd.rules._util import select
    g = onp.array([1.0, -2.0, 3.0])
    c = onp.array([True, False, True])
    onp.testing.assert_array_equal(select(c, g), [1.0, 0.0, 3.0])
    onp.testing.assert_array_equal(select(c, g, invert=True), [0.0, -2.0, 0.0])


# -- off the host: branch-free rules, the same values ----------------------------------
BRANCHY = [
    ("maximum", lambda a, b: np.maximum(a, b), 2), ("fmin", lambda a, b: np.fmin(a, b), 2),
    ("relu", lambda a: np.maximum(a, 0.0), 1), ("max", lambda a: np.max(a, axis=1), 1),
    ("power", lambda a, b: np.power(a, b), 2), ("sinc", np.sinc, 1)]


@pytest.mark.parametrize("name, fun, nargs", BRANCHY, ids=[b[0] for b in BRANCHY])
def test_rules_off_the_host_give_the_same_values(name, fun, nargs):
    """Where a rule gets Arrays rather than NumPy arrays (op statistics on, here; a
    device, a higher-order pass or a jit capture elsewhere) it looks at no value to
    skip work, and gives the same values as on the host, ties and zeros included."""
    rng = onp.random.default_rng(22)
    args = [ints(rng, (6, 5), lo=0, hi=3, dtype=float) for _ in range(nargs)]
    argnum = tuple(range(nargs))
    host, g = vjp_of(fun, *args, argnum=argnum)
    back, _ = make_vjp(fun, argnum)(*[np.array(a) for a in args])
    with np.record_op_stat():   # the namespace dispatches: the rules get Arrays
        off = back(np.array(g))
    off = off if isinstance(off, tuple) else (off,)
    for h, o in zip(host, off):
        onp.testing.assert_array_equal(onp.asarray(o), h)


@pytest.mark.parametrize("name, fun, nargs", BRANCHY, ids=[b[0] for b in BRANCHY])
def test_rules_on_mxnet_read_nothing_back(name, fun, nargs):
    """On MXNet the same rules run without reading a value back to the host (a look
    at the values would be a synchronisation per rule)."""
    rng = onp.random.default_rng(22)
    args = [ints(rng, (6, 5), lo=0, hi=3, dtype=float) for _ in range(nargs)]
    argnum = tuple(range(nargs))
    host, g = vjp_of(fun, *args, argnum=argnum)
    with np.policy("prefer_mxnet"):
        back, _ = make_vjp(fun, argnum)(*[np.array(a) for a in args])
        gm = np.array(g)
        np.add(gm, 0.0)   # g on MXNet before the count starts
        with np.record_op_stat():
            out = back(gm)
            reads = np.op_stats()["transfers"][2]
    out = out if isinstance(out, tuple) else (out,)
    for h, o in zip(host, out):
        onp.testing.assert_allclose(onp.asarray(o), h, rtol=1e-6, atol=1e-12)
    assert reads == 0
