"""Gradients through Function: finite differences (float64), aux states under grad,
several outputs, chained Functions, and a small CNN trained with SGD."""

from __future__ import annotations

import numpy as onp
import pytest

import minpy.numpy as np
from minpy.core import Array, grad
from minpy.symbol import Function

autograd = pytest.importorskip("minpy.autograd", reason="minpy-autograd not installed")


def seed_conv(mx):
    net = mx.sym.Variable("x")
    net = mx.sym.Convolution(net, name="conv", kernel=(3, 3), num_filter=32, no_bias=True)
    return Function(net, input_shapes={"x": (8, 3, 10, 10)})


def numeric_directional(f, args, i, direction, eps=1e-6):
    """(f(.. a_i + eps d ..) - f(.. a_i - eps d ..)) / 2 eps, in float64."""
    plus = list(args)
    minus = list(args)
    plus[i] = np.array(args[i].asnumpy() + eps * direction)
    minus[i] = np.array(args[i].asnumpy() - eps * direction)
    return (float(f(*plus)) - float(f(*minus))) / (2 * eps)


def test_seed_conv_gradient_matches_finite_differences(mx):
    """Float64 throughout (MXNet's legacy Convolution has a float64 CPU kernel)."""
    conv = seed_conv(mx)
    rng = onp.random.RandomState(0)
    x = np.array(rng.randn(8, 3, 10, 10))
    w = np.array(rng.randn(32, 3, 3, 3) * 0.2)
    r = np.array(rng.randn(8, 32, 8, 8))

    def loss(x, w):
        return np.sum(np.tanh(conv(x=x, conv_weight=w)) * r)

    gx, gw = grad(loss, argnum=[0, 1])(x, w)
    assert isinstance(gx, Array) and gx.shape == x.shape and gx.dtype == onp.float64
    assert isinstance(gw, Array) and gw.shape == w.shape and gw.dtype == onp.float64
    # Directional derivatives along random directions ...
    for i, g in ((0, gx), (1, gw)):
        for _ in range(3):
            d = rng.randn(*g.shape)
            num = numeric_directional(loss, (x, w), i, d)
            ana = float(onp.sum(g.asnumpy() * d))
            assert abs(num - ana) <= 1e-6 * max(1.0, abs(ana)), (i, num, ana)
    # ... and single coordinates.
    for i, g in ((0, gx), (1, gw)):
        for _ in range(5):
            idx = tuple(rng.randint(s) for s in g.shape)
            d = onp.zeros(g.shape)
            d[idx] = 1.0
            num = numeric_directional(loss, (x, w), i, d)
            assert abs(num - g.asnumpy()[idx]) <= 1e-6 * max(1.0, abs(num))


def test_seed_example_gradient_of_exp(mx):
    """The seed's own expression, differentiated: d/dw sum(exp(conv(x, w)))."""
    conv = seed_conv(mx)
    x = np.zeros((8, 3, 10, 10))
    w = np.ones((32, 3, 3, 3))
    gw = grad(lambda w: np.sum(np.exp(conv(x=x, conv_weight=w))))(w)
    onp.testing.assert_array_equal(gw.asnumpy(), 0.0)       # x = 0
    gx = grad(lambda x: np.sum(np.exp(conv(x=x, conv_weight=w))))(x)
    # d/dx of sum(exp(0)) over each window: each x pixel counts the 32 filters times
    # how many 3x3 windows cover it.
    cover = onp.zeros((10, 10))
    for i in range(8):
        for j in range(8):
            cover[i:i + 3, j:j + 3] += 1
    onp.testing.assert_allclose(gx.asnumpy(), onp.broadcast_to(32 * cover, (8, 3, 10, 10)))


def test_gradient_equals_hand_driven_executor_backward(mx):
    x = mx.sym.Variable("x")
    sym = mx.sym.FullyConnected(mx.sym.Activation(
        mx.sym.FullyConnected(x, num_hidden=5, name="fc1"), act_type="tanh"),
        num_hidden=3, name="fc2")
    fn = Function(sym)
    rng = onp.random.RandomState(2)
    a = {n: rng.randn(*s) for n, s in zip(
        sym.list_arguments(), sym.infer_shape(x=(4, 6))[0])}
    head = rng.randn(4, 3)
    params = {k: np.array(v) for k, v in a.items()}
    grads = grad(lambda p: np.sum(fn(**p) * np.array(head)))(params)
    nd = {k: mx.nd.array(v, dtype="float64") for k, v in a.items()}
    gnd = {k: mx.nd.zeros(v.shape, dtype="float64") for k, v in a.items()}
    ex = sym.bind(mx.cpu(), args=nd, args_grad=gnd)
    ex.forward(is_train=True)
    ex.backward([mx.nd.array(head, dtype="float64")])
    for k in a:
        onp.testing.assert_allclose(grads[k].asnumpy(), gnd[k].asnumpy(), rtol=1e-12)


def test_gradient_of_several_outputs(mx):
    x = mx.sym.Variable("x")
    fc = mx.sym.FullyConnected(x, num_hidden=3, name="fc")
    fn = Function(mx.sym.Group([mx.sym.tanh(fc), mx.sym.exp(x)]))
    rng = onp.random.RandomState(3)
    xv, wv, bv = (np.array(rng.randn(*s)) for s in ((2, 4), (3, 4), (3,)))

    def both(x, w):
        t, e = fn(x=x, fc_weight=w, fc_bias=bv)
        return np.sum(t * t) + np.sum(e)

    def first_only(x, w):
        t, _ = fn(x=x, fc_weight=w, fc_bias=bv)
        return np.sum(t * t)

    for f in (both, first_only):
        gx, gw = grad(f, argnum=[0, 1])(xv, wv)
        for i, g in ((0, gx), (1, gw)):
            d = rng.randn(*g.shape)
            num = numeric_directional(f, (xv, wv), i, d)
            assert abs(num - float(onp.sum(g.asnumpy() * d))) < 1e-6


def test_chained_functions_and_reuse_in_one_trace(mx):
    """Two calls of one Function (and its output fed to another) in one traced function."""
    x = mx.sym.Variable("x")
    f1 = Function(mx.sym.FullyConnected(x, num_hidden=4, name="fc", no_bias=True))
    f2 = Function(mx.sym.Activation(mx.sym.Variable("x"), act_type="sigmoid"))
    rng = onp.random.RandomState(4)
    xv, wv = np.array(rng.randn(3, 4)), np.array(rng.randn(4, 4))

    def f(x, w):
        h = f2(x=f1(x=x, fc_weight=w))
        return np.sum(f1(x=h, fc_weight=w) ** 2)

    gx, gw = grad(f, argnum=[0, 1])(xv, wv)
    for i, g in ((0, gx), (1, gw)):
        d = rng.randn(*g.shape)
        num = numeric_directional(f, (xv, wv), i, d)
        assert abs(num - float(onp.sum(g.asnumpy() * d))) < 1e-6 * max(1, abs(num))


def test_gradient_dtype_follows_each_input(mx):
    net = mx.sym.Convolution(mx.sym.Variable("x"), name="conv", kernel=(3, 3),
                             num_filter=2, no_bias=True)
    fn = Function(net)
    x32 = np.ones((1, 3, 4, 4), dtype="float32")
    w64 = np.ones((2, 3, 3, 3))
    gx, gw = grad(lambda x, w: np.sum(fn(x=x, conv_weight=w)), argnum=[0, 1])(x32, w64)
    assert gx.dtype == onp.float32 and gw.dtype == onp.float64
    onp.testing.assert_allclose(gw.asnumpy(), 4.0)


def test_second_order_is_refused_clearly(mx):
    fn = Function(mx.sym.tanh(mx.sym.Variable("x")))
    g = grad(lambda x: np.sum(fn(x=x)))
    with pytest.raises(NotImplementedError, match="first-order"):
        grad(lambda x: np.sum(g(x)))(np.ones(3))


# -- auxiliary states under grad ---------------------------------------------------------
def bn_net(mx):
    x = mx.sym.Variable("x")
    h = mx.sym.BatchNorm(x, name="bn", fix_gamma=False, momentum=0.9)
    return Function(mx.sym.FullyConnected(h, num_hidden=2, name="fc"))


def test_aux_updated_once_per_traced_training_call(mx):
    fn = bn_net(mx)
    rng = onp.random.RandomState(5)
    xv = np.array(rng.rand(8, 3) * 2 + 3)
    p = fn.init_params(x=(8, 3), seed=0)
    f = lambda p: np.sum(fn(x=xv, **p) ** 2)   # noqa: E731
    g1 = grad(f)(p)
    mean = xv.asnumpy().mean(axis=0)
    onp.testing.assert_allclose(fn.get_aux_states()["bn_moving_mean"].asnumpy(),
                                0.1 * mean, rtol=1e-6)
    # the jacobian runs several backward passes over one call: still one update
    from minpy.autograd import jacobian
    fn.reset_aux_states()
    jac = jacobian(lambda w: fn(x=xv, bn_gamma=p["bn_gamma"], bn_beta=p["bn_beta"],
                                fc_weight=w, fc_bias=p["fc_bias"]))(p["fc_weight"])
    assert jac.shape == (8, 2, 2, 3)
    onp.testing.assert_allclose(fn.get_aux_states()["bn_moving_mean"].asnumpy(),
                                0.1 * mean, rtol=1e-6)
    # inference mode: gradients flow, statistics are read, not updated
    fn.eval()
    before = fn.get_aux_states()["bn_moving_mean"].asnumpy()
    g2 = grad(f)(p)
    onp.testing.assert_array_equal(fn.get_aux_states()["bn_moving_mean"].asnumpy(), before)
    assert float(abs(g2["fc_weight"]).sum()) > 0 and set(g1) == set(g2)


def test_bn_gradient_matches_finite_differences_in_eval_mode(mx):
    fn = bn_net(mx).eval()
    fn.set_aux_states(bn_moving_mean=onp.array([0.5, 1.0, -1.0]),
                      bn_moving_var=onp.array([2.0, 0.5, 1.5]))
    rng = onp.random.RandomState(6)
    xv = np.array(rng.randn(5, 3))
    p = fn.init_params(x=(5, 3), seed=1)
    f = lambda x, g: np.sum(np.sin(fn(x=x, bn_gamma=g, bn_beta=p["bn_beta"],  # noqa: E731
                                      fc_weight=p["fc_weight"], fc_bias=p["fc_bias"])))
    gx, gg = grad(f, argnum=[0, 1])(xv, p["bn_gamma"])
    for i, g in ((0, gx), (1, gg)):
        d = rng.randn(*g.shape)
        num = numeric_directional(f, (xv, p["bn_gamma"]), i, d)
        assert abs(num - float(onp.sum(g.asnumpy() * d))) < 1e-6


# -- a small CNN trained with SGD --------------------------------------------------------
def cnn_symbol(mx):
    x = mx.sym.Variable("x")
    h = mx.sym.Convolution(x, name="conv1", kernel=(3, 3), num_filter=8, pad=(1, 1))
    h = mx.sym.Activation(h, act_type="relu")
    h = mx.sym.Pooling(h, pool_type="max", kernel=(2, 2), stride=(2, 2))
    h = mx.sym.Flatten(h)
    h = mx.sym.FullyConnected(h, name="fc1", num_hidden=32)
    h = mx.sym.Activation(h, act_type="relu")
    return mx.sym.FullyConnected(h, name="fc2", num_hidden=3)


def softmax_cross_entropy(logits, labels_onehot):
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_prob = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(np.sum(log_prob * labels_onehot, axis=1))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_small_cnn_trains_with_sgd(mx, dtype):
    rng = onp.random.RandomState(7)
    n, classes = 48, 3
    labels = rng.randint(classes, size=n)
    # Each class lights up a different quadrant of an 8x8 image.
    xs = rng.randn(n, 1, 8, 8) * 0.3
    for i, c in enumerate(labels):
        xs[i, 0, (c // 2) * 4:(c // 2) * 4 + 4, (c % 2) * 4:(c % 2) * 4 + 4] += 1.5
    x = np.array(xs.astype(dtype))
    y = np.array(onp.eye(classes)[labels].astype(dtype))

    net = Function(cnn_symbol(mx), input_shapes={"x": (n, 1, 8, 8)})
    params = net.init_params(seed=0, dtype=dtype)

    def loss(params):
        return softmax_cross_entropy(net(x=x, **params), y)

    from minpy.autograd import value_and_grad
    step = value_and_grad(loss)
    losses = []
    for _ in range(30):
        value, grads = step(params)
        losses.append(float(value))
        params = {k: params[k] - 0.2 * grads[k] for k in params}
        assert params["fc2_weight"].dtype == dtype
    assert net.bind_count == 1 + (dtype != "float64")
    assert losses[-1] < 0.5 * losses[0], losses
    assert all(onp.isfinite(losses))
    accuracy = float(np.mean(np.argmax(net(x=x, **params), axis=1) == np.array(labels)))
    assert accuracy > 0.9


def test_dropout_gradient_uses_the_forward_mask(mx):
    fn = Function(mx.sym.Dropout(mx.sym.Variable("x"), p=0.5))
    outs = []

    def f(x):
        y = fn(x=x)
        outs.append(y)
        return np.sum(y)

    g = grad(f)(np.ones((32, 32)))
    onp.testing.assert_array_equal(g.asnumpy(), outs[0].asnumpy())   # mask * 2, x = 1


def test_gradients_of_two_calls_do_not_alias(mx):
    """Marking buffers are shared per binding; gradients must still be fresh arrays."""
    fn = Function(mx.sym.FullyConnected(mx.sym.Variable("x"), num_hidden=2, name="fc",
                                        no_bias=True))
    w = np.ones((2, 3))
    g1 = grad(lambda x: np.sum(fn(x=x, fc_weight=w)))(np.ones((4, 3)))
    first = g1.asnumpy().copy()
    g2 = grad(lambda w: np.sum(fn(x=np.full((4, 3), 5.0), fc_weight=w) * 3))(w)
    onp.testing.assert_array_equal(g1.asnumpy(), first)
    onp.testing.assert_array_equal(first, 2.0)
    onp.testing.assert_array_equal(g2.asnumpy(), 60.0)
