"""jit composed with minpy.autograd: jit(grad(f)), grad inside a jitted step with its
update, jit inside grad, checkpoint, forward mode; every result against eager."""

from __future__ import annotations

import warnings

import numpy as onp
import pytest

import minpy.numpy as np
from minpy.autograd import checkpoint, grad, grad_and_loss, hvp, jvp, make_jvp, value_and_grad
from minpy.jit import JitWarning, jit


def A(x, dtype=None):
    return np.array(onp.asarray(x, dtype=dtype))


def same(a, b):
    onp.testing.assert_array_equal(a.asnumpy(), b.asnumpy(), strict=True)


def loss(w, b, x, y):
    h = np.tanh(x @ w + b)
    return np.mean((h - y) ** 2) + 0.01 * np.sum(w * w)


@pytest.fixture
def data():
    rng = onp.random.default_rng(0)
    return (A(rng.standard_normal((4, 3)), "float32"), A(rng.standard_normal(3), "float32"),
            A(rng.standard_normal((8, 4)), "float32"), A(rng.standard_normal((8, 3)), "float32"))


def test_jit_of_grad(data):
    g = grad(loss, argnum=(0, 1))
    jg = jit(g)
    for _ in range(3):
        got, want = jg(*data), g(*data)
        for a, b in zip(got, want):
            same(a, b)
    assert jg.stats["replays"] == 2


def test_grad_inside_a_step_with_an_inplace_update(data):
    def step(w, b, x, y):
        l, (gw, gb) = value_and_grad(loss, argnum=(0, 1))(w, b, x, y)
        w -= 0.1 * gw
        b -= 0.1 * gb
        return l
    jstep = jit(step)
    w1, b1 = data[0].copy(), data[1].copy()
    w2, b2 = data[0].copy(), data[1].copy()
    for _ in range(4):
        l1 = jstep(w1, b1, *data[2:])
        l2 = step(w2, b2, *data[2:])
        same(l1, l2)
        same(w1, w2)
        same(b1, b2)
    assert jstep.stats["replays"] == 3


def test_grad_of_a_closure_over_external_parameters(data):
    w, b, x, y = data

    def step(x, y):  # the parameters are globals, read and written by reference
        gw = grad(lambda w_: loss(w_, b, x, y))(w)
        w[...] -= 0.5 * gw
        return gw
    jstep = jit(step)
    w_ref = w.copy()
    for _ in range(3):
        g1 = jstep(x, y)
        g2 = grad(lambda w_: loss(w_, b, x, y))(w_ref)
        w_ref[...] -= 0.5 * g2
        same(g1, g2)
        same(w, w_ref)
    assert jstep.stats["replays"] == 2


def test_grad_and_loss_with_python_float_input():
    jg = jit(lambda x: grad_and_loss(lambda t: np.sin(t) * t)(x))
    x = A(0.7)
    for _ in range(2):
        (g, l), (ge, le) = jg(x), grad_and_loss(lambda t: np.sin(t) * t)(x)
        same(g, ge)
        same(l, le)


def test_jit_inside_grad_runs_inline(data):
    jl = jit(loss)
    gw = grad(jl)(*data)
    same(gw, grad(loss)(*data))
    assert jl.stats["inlined"] == 1
    # outside grad it still compiles
    same(jl(*data), loss(*data))
    same(jl(*data), loss(*data))
    assert jl.stats["replays"] == 1


def test_checkpoint_inside_jit(data):
    block = checkpoint(lambda w, x: np.tanh(x @ w))

    def f(w, x):
        return np.sum(block(w, x) ** 2)
    jg = jit(grad(f))
    w, _, x, _ = data
    for _ in range(2):
        same(jg(w, x), grad(f)(w, x))
    assert jg.stats["replays"] == 1
    jf = jit(f)  # checkpoint with no grad: just the function
    same(jf(w, x), f(w, x))
    same(jf(w, x), f(w, x))


def test_forward_mode_inside_jit():
    def f(x):
        return np.sin(x) * x

    x, v = A([0.3, 0.5, 0.9]), A([1.0, 0.0, 2.0])
    jj = jit(lambda x, v: jvp(f, (x,), (v,)))
    for _ in range(2):
        (val, tan), (ve, te) = jj(x, v), jvp(f, (x,), (v,))
        same(val, ve)
        same(tan, te)
    jh = jit(lambda x, v: hvp(lambda t: np.sum(f(t)))(x, v))
    for _ in range(2):
        same(jh(x, v), hvp(lambda t: np.sum(f(t)))(x, v))
    jm = jit(lambda x, v: make_jvp(f)(x)(v))
    for _ in range(2):
        same(jm(x, v)[1], make_jvp(f)(x)(v)[1])
    assert jj.stats["replays"] == 1 and jh.stats["replays"] == 1


def test_second_order_inside_jit():
    f = grad(grad(lambda x: np.sum(np.sin(x) ** 3)))
    jf = jit(lambda x: f(x))
    x = A(0.4)
    for _ in range(2):
        same(jf(x), f(x))


def test_gradients_with_integer_intermediates():
    def f(x, labels):
        p = np.exp(x) / np.sum(np.exp(x), axis=1, keepdims=True)
        onehot = (labels[:, None] == np.arange(3)).astype(x.dtype)  # bool, int inside
        return -np.sum(onehot * np.log(p))
    g = grad(f)
    jg = jit(g)
    x, labels = A(onp.random.default_rng(1).standard_normal((5, 3))), A([0, 2, 1, 1, 0])
    for _ in range(2):
        same(jg(x, labels), g(x, labels))


def test_mlp_step_under_jit_is_bit_for_bit_eager():
    rng = onp.random.default_rng(0)
    ps = [A(rng.standard_normal((20, 16)) * 0.1, "float32"), A(onp.zeros(16), "float32"),
          A(rng.standard_normal((16, 4)) * 0.1, "float32"), A(onp.zeros(4), "float32")]
    x = A(rng.standard_normal((8, 20)), "float32")
    y = A(onp.eye(4)[rng.integers(0, 4, 8)], "float32")

    def mlp(w1, b1, w2, b2, x, y):
        h = np.maximum(np.dot(x, w1) + b1, 0.0)
        z = np.dot(h, w2) + b2
        z = z - np.max(z, axis=1, keepdims=True)
        return -np.sum(y * (z - np.log(np.sum(np.exp(z), axis=1, keepdims=True)))) / 8

    vg = value_and_grad(mlp, argnum=(0, 1, 2, 3))

    def step(*args):
        l, gs = vg(*args)
        return l, [p - 0.1 * g for p, g in zip(args[:4], gs)]
    jstep = jit(step)
    p1, p2 = list(ps), list(ps)
    for _ in range(4):
        l1, p1 = jstep(*p1, x, y)
        l2, p2 = step(*p2, x, y)
        same(l1, l2)
        for a, b in zip(p1, p2):
            same(a, b)
    assert jstep.stats["captures"] == 1 and jstep.stats["replays"] == 3


def test_a_closure_over_a_traced_value_is_not_cut_off(data):
    w, b, x, y = data
    inner = jit(lambda x: np.tanh(x @ w_holder[0]))
    w_holder = [None]

    def f(w):
        w_holder[0] = w  # the jitted function reads the traced w through a closure
        return np.sum(inner(x) ** 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", JitWarning)
        for scale in (1.0, 2.0):
            same(grad(f)(w * scale), grad(lambda w: np.sum(np.tanh(x @ w) ** 2))(w * scale))
    assert inner.stats["eager_reason"] is not None
