"""Every layer and loss of minpy.nn.layers against a NumPy reference written here from
its documented formula, with fixed weights; and their gradients (MinPy's autograd
through the layer) against central finite differences OF THE REFERENCE, so that a
layer computing the wrong function cannot pass by agreeing with its own derivative.

Gate orders are the documented ones: LSTM ``input, forget, output, candidate``
(CS231n's ``lstm_step_forward``); GRU ``reset, update`` then the candidate
(Jozefowicz et al. 2015: ``h' = z * h + (1 - z) * tanh(x Wxh + (r * h) Whh + bh)``).
"""

from __future__ import annotations

import numpy as onp
import pytest

import minpy.numpy as np
from minpy.autograd import grad
from minpy.nn import layers as L

RTOL = 1e-10
rng = onp.random.RandomState(24)


def R(*shape, scale=1.0):
    """Fixed float64 values (NumPy arrays: the reference's inputs)."""
    return rng.randn(*shape) * scale


def host(a):
    return onp.asarray(a.asnumpy() if hasattr(a, "asnumpy") else a)


def mp(*arrays):
    return [np.array(a) for a in arrays]


# -- references -------------------------------------------------------------------------
def sigmoid(x):
    return 1.0 / (1.0 + onp.exp(-x))


def ref_affine(x, w, b):
    return x.reshape(x.shape[0], -1) @ w + b


def ref_conv(x, w, b, stride, pad):
    sh, sw = stride
    ph, pw = pad
    x = onp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    oh, ow = (H - kh) // sh + 1, (W - kw) // sw + 1
    out = onp.zeros((N, F, oh, ow))
    for n in range(N):
        for f in range(F):
            for i in range(oh):
                for j in range(ow):
                    patch = x[n, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    out[n, f, i, j] = onp.sum(patch * w[f]) + (0.0 if b is None else b[f])
    return out


def ref_pool(x, kind, size, stride, pad):
    kh, kw = size
    sh, sw = stride
    ph, pw = pad
    fill = -onp.inf if kind == "max" else 0.0
    x = onp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    N, C, H, W = x.shape
    oh, ow = (H - kh) // sh + 1, (W - kw) // sw + 1
    out = onp.zeros((N, C, oh, ow))
    for i in range(oh):
        for j in range(ow):
            win = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
            # average pooling counts the padding (MXNet's count_include_pad)
            out[:, :, i, j] = win.max(axis=(2, 3)) if kind == "max" else win.mean(axis=(2, 3))
    return out


def ref_batchnorm(x, gamma, beta, mode, eps, momentum, rm, rv):
    axes = (0,) if x.ndim == 2 else (0, 2, 3)
    shape = (1, -1) if x.ndim == 2 else (1, -1, 1, 1)
    if mode == "train":
        mean = x.mean(axis=axes)
        var = ((x - mean.reshape(shape)) ** 2).mean(axis=axes)   # biased, as CS231n's
        rm = momentum * rm + (1 - momentum) * mean
        rv = momentum * rv + (1 - momentum) * var
    else:
        mean, var = rm, rv
    xh = (x - mean.reshape(shape)) / onp.sqrt(var.reshape(shape) + eps)
    return gamma.reshape(shape) * xh + beta.reshape(shape), rm, rv


def ref_rnn_step(x, h, Wx, Wh, b):
    return onp.tanh(x @ Wx + h @ Wh + b)


def ref_lstm_step(x, h, c, Wx, Wh, b):
    H = h.shape[1]
    a = x @ Wx + h @ Wh + b
    i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 2 * H:3 * H])
    g = onp.tanh(a[:, 3 * H:])
    c = f * c + i * g
    return o * onp.tanh(c), c


def ref_gru_step(x, h, Wx, Wh, b, Wxh, Whh, bh):
    H = h.shape[1]
    a = sigmoid(x @ Wx + h @ Wh + b)
    r, z = a[:, :H], a[:, H:]
    cand = onp.tanh(x @ Wxh + (r * h) @ Whh + bh)
    return z * h + (1 - z) * cand


def ref_sequence(step, x, h0, *weights, cell=False):
    h, c, hs = h0, onp.zeros_like(h0), []
    for t in range(x.shape[1]):
        if cell:
            h, c = step(x[:, t], h, c, *weights)
        else:
            h = step(x[:, t], h, *weights)
        hs.append(h)
    return onp.stack(hs, axis=1)


def ref_log_softmax(x):
    s = x - x.max(axis=-1, keepdims=True)
    return s - onp.log(onp.exp(s).sum(axis=-1, keepdims=True))


def ref_softmax_loss(x, y):
    return -ref_log_softmax(x)[onp.arange(len(y)), y].mean()


def ref_svm_loss(x, y):
    n = len(y)
    correct = x[onp.arange(n), y][:, None]
    margins = onp.maximum(0.0, x - correct + 1.0)
    margins[onp.arange(n), y] = 0.0
    return margins.sum() / n


def ref_temporal_softmax_loss(x, y, mask):
    N, T, _ = x.shape
    logp = ref_log_softmax(x)
    picked = onp.take_along_axis(logp, y[..., None], axis=2)[..., 0]
    return -(picked * mask).sum() / N


# -- finite differences of the reference ----------------------------------------------------
def numeric_grad(f, args, i, h=1e-6):
    """d f(*args) / d args[i] by central differences (f: NumPy -> float)."""
    x = args[i].astype(onp.float64).copy()
    g = onp.zeros_like(x)
    for idx in onp.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        up = f(*args[:i], x, *args[i + 1:])
        x[idx] = old - h
        down = f(*args[:i], x, *args[i + 1:])
        x[idx] = old
        g[idx] = (up - down) / (2 * h)
    return g


def check_against_reference(layer, reference, args, wrt, rtol=1e-5, atol=1e-7):
    """MinPy's gradient of ``sum(layer(*args) * C)`` w.r.t. ``args[i]`` for i in ``wrt``
    against central differences of ``sum(reference(*args) * C)``; C fixed random."""
    out = reference(*args)
    C = onp.random.RandomState(7).randn(*onp.shape(out))

    def ref_scalar(*a):
        return float(onp.sum(reference(*a) * C))

    def mp_scalar(*a):
        return np.sum(layer(*a) * np.array(C))

    onp.testing.assert_allclose(host(layer(*mp(*args))), out, rtol=RTOL, atol=1e-12)
    for i in wrt:
        g = host(grad(mp_scalar, argnum=i)(*mp(*args)))
        onp.testing.assert_allclose(g, numeric_grad(ref_scalar, list(args), i), rtol=rtol,
                                    atol=atol, err_msg=f"gradient of argument {i}")


# -- dense layers, activations, losses ------------------------------------------------------
def test_affine():
    x, w, b = R(3, 2, 2), R(4, 5), R(5)
    check_against_reference(L.affine, ref_affine, (x, w, b), wrt=(0, 1, 2))


@pytest.mark.parametrize("name, ref", [
    ("relu", lambda x: onp.maximum(x, 0)), ("sigmoid", sigmoid), ("tanh", onp.tanh),
    ("softmax", lambda x: onp.exp(ref_log_softmax(x))), ("log_softmax", ref_log_softmax)])
def test_activations(name, ref):
    x = R(3, 4) + 0.05 * onp.sign(R(3, 4))   # no value within 1e-6 of relu's kink
    check_against_reference(getattr(L, name), ref, (x,), wrt=(0,))


def test_softmax_loss_labels_and_one_hot():
    x, y = R(5, 4, scale=3.0), onp.array([0, 3, 1, 1, 2])
    check_against_reference(lambda s: L.softmax_loss(s, np.array(y)),
                            lambda s: ref_softmax_loss(s, y), (x,), wrt=(0,))
    onehot = onp.eye(4)[y]
    onp.testing.assert_allclose(float(L.softmax_loss(np.array(x), np.array(onehot))),
                                ref_softmax_loss(x, y), rtol=RTOL)
    probs = onp.exp(ref_log_softmax(x))
    onp.testing.assert_allclose(float(L.softmax_cross_entropy(np.array(probs), np.array(y))),
                                ref_softmax_loss(x, y), rtol=1e-9)


def test_svm_loss():
    x, y = R(6, 4), onp.array([0, 3, 1, 1, 2, 0])
    # no margin within 1e-3 of the hinge's kink (finite differences would straddle it)
    correct = x[onp.arange(6), y][:, None]
    assert onp.abs(x - correct + 1.0).min() > 1e-3
    check_against_reference(lambda s: L.svm_loss(s, np.array(y)),
                            lambda s: ref_svm_loss(s, y), (x,), wrt=(0,))


def test_l2_loss():
    x, t, y = R(4, 3), R(4, 3), onp.array([2, 0, 1, 1])
    check_against_reference(L.l2_loss, lambda a, b: ((a - b) ** 2).sum() / 4, (x, t),
                            wrt=(0, 1))
    onp.testing.assert_allclose(float(L.l2_loss(np.array(x), np.array(y))),
                                ((x - onp.eye(3)[y]) ** 2).sum() / 4, rtol=RTOL)


def test_temporal_softmax_loss_and_affine():
    N, T, V, D = 2, 3, 4, 3
    x, y = R(N, T, V), rng.randint(0, V, (N, T))
    mask = onp.array([[1, 1, 0], [1, 0, 1]], dtype=bool)
    check_against_reference(lambda s: L.temporal_softmax_loss(s, np.array(y), np.array(mask)),
                            lambda s: ref_temporal_softmax_loss(s, y, mask), (x,), wrt=(0,))
    xs, w, b = R(N, T, D), R(D, V), R(V)
    check_against_reference(L.temporal_affine, lambda x, w, b: x @ w + b, (xs, w, b),
                            wrt=(0, 1, 2))


def test_embedding():
    w, idx = R(6, 3), onp.array([[1, 5], [0, 1]])
    check_against_reference(lambda w: L.embedding(np.array(idx), w), lambda w: w[idx],
                            (w,), wrt=(0,))


# -- dropout with a fixed mask --------------------------------------------------------------
def test_dropout_is_a_fixed_mask_scaled_by_the_keep_rate():
    p, x = 0.4, R(30, 20)
    out = host(L.dropout(np.array(x), p, mode="train", seed=5))
    keep = out != 0
    onp.testing.assert_allclose(out[keep], x[keep] / (1 - p), rtol=1e-15)
    assert 0.5 < keep.mean() < 0.7
    # the mask depends on the seed only, not on the values; the same seed, the same mask
    out2 = host(L.dropout(np.array(x * 3 + 1), p, mode="train", seed=5))
    onp.testing.assert_array_equal(out2 != 0, keep)
    mask = keep.astype(float)
    check_against_reference(lambda a: L.dropout(a, p, mode="train", seed=5),
                            lambda a: a * mask / (1 - p), (x,), wrt=(0,))
    # a generator argument draws from it: two calls, two masks, as a stream would
    gen = onp.random.RandomState(5)
    first = host(L.dropout(np.array(x), p, seed=gen)) != 0
    second = host(L.dropout(np.array(x), p, seed=gen)) != 0
    onp.testing.assert_array_equal(first, keep)
    assert (first != second).any()
    onp.testing.assert_array_equal(host(L.dropout(np.array(x), p, mode="test")), x)


# -- batch normalisation ---------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 2, 3)])
def test_batchnorm_train_and_eval(shape):
    x = R(*shape, scale=2.0) + 1.5
    gamma, beta = R(3) + 1.0, R(3)
    rm, rv = R(3), onp.abs(R(3)) + 0.5
    eps, mom = 1e-3, 0.7
    out, nrm, nrv = L.batchnorm(*mp(x, gamma, beta), mode="train", eps=eps, momentum=mom,
                                running_mean=np.array(rm), running_var=np.array(rv))
    ref, ref_rm, ref_rv = ref_batchnorm(x, gamma, beta, "train", eps, mom, rm, rv)
    onp.testing.assert_allclose(host(out), ref, rtol=RTOL, atol=1e-12)
    onp.testing.assert_allclose(host(nrm), ref_rm, rtol=RTOL)
    onp.testing.assert_allclose(host(nrv), ref_rv, rtol=RTOL)
    out, trm, trv = L.batchnorm(*mp(x, gamma, beta), mode="test", eps=eps,
                                running_mean=np.array(rm), running_var=np.array(rv))
    onp.testing.assert_allclose(host(out), ref_batchnorm(x, gamma, beta, "test", eps, mom,
                                                         rm, rv)[0], rtol=RTOL)
    onp.testing.assert_array_equal(host(trm), rm)
    onp.testing.assert_array_equal(host(trv), rv)
    for mode in ("train", "test"):
        check_against_reference(
            lambda a, g, b, m=mode: L.batchnorm(a, g, b, mode=m, eps=eps, momentum=mom,
                                                running_mean=np.array(rm),
                                                running_var=np.array(rv))[0],
            lambda a, g, b, m=mode: ref_batchnorm(a, g, b, m, eps, mom, rm, rv)[0],
            (x, gamma, beta), wrt=(0, 1, 2))
    # defaults: running statistics start at zeros and ones
    _, drm, drv = L.batchnorm(*mp(x, gamma, beta))
    _, erm, erv = ref_batchnorm(x, gamma, beta, "train", 1e-5, 0.9, onp.zeros(3), onp.ones(3))
    onp.testing.assert_allclose(host(drm), erm, rtol=RTOL)
    onp.testing.assert_allclose(host(drv), erv, rtol=RTOL)


# -- convolution and pooling -----------------------------------------------------------------
def _impls():
    from minpy.core import _mxnet
    return ["im2col"] + (["mxnet"] if _mxnet.available() else [])


@pytest.mark.parametrize("implementation", _impls())
@pytest.mark.parametrize("stride, pad, bias", [((1, 1), (0, 0), True),
                                               ((2, 1), (1, 2), True),
                                               ((1, 2), (1, 0), False)])
def test_conv2d(implementation, stride, pad, bias):
    x, w, b = R(2, 2, 5, 6), R(3, 2, 3, 2), R(3) if bias else None
    layer = (lambda x, w, b: L.conv2d(x, w, b, stride, pad, implementation)) if bias else \
        (lambda x, w: L.conv2d(x, w, None, stride, pad, implementation))
    ref = (lambda x, w, b: ref_conv(x, w, b, stride, pad)) if bias else \
        (lambda x, w: ref_conv(x, w, None, stride, pad))
    args = (x, w, b) if bias else (x, w)
    check_against_reference(layer, ref, args, wrt=range(len(args)))


@pytest.mark.parametrize("implementation", _impls())
@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("size, stride, pad", [((2, 2), None, (0, 0)),
                                               ((3, 2), (1, 2), (1, 1)),
                                               ((2, 3), (2, 1), (0, 1))])
def test_pooling(implementation, kind, size, stride, pad):
    x = R(2, 2, 5, 6)
    fn = L.max_pool if kind == "max" else L.avg_pool
    check_against_reference(lambda a: fn(a, size, stride, pad, implementation),
                            lambda a: ref_pool(a, kind, size, stride or size, pad), (x,),
                            wrt=(0,))


# -- recurrent layers --------------------------------------------------------------------------
N, T, D, H = 2, 3, 3, 4


def test_rnn_step_and_sequence():
    x, h0, Wx, Wh, b = R(N, D), R(N, H), R(D, H, scale=0.5), R(H, H, scale=0.5), R(H)
    check_against_reference(L.rnn_step, ref_rnn_step, (x, h0, Wx, Wh, b), wrt=range(5))
    xs = R(N, T, D)
    check_against_reference(L.rnn_temporal,
                            lambda *a: ref_sequence(ref_rnn_step, *a), (xs, h0, Wx, Wh, b),
                            wrt=range(5))


def test_lstm_step_in_the_documented_gate_order():
    x, h, c = R(N, D), R(N, H), R(N, H)
    Wx, Wh, b = R(D, 4 * H, scale=0.5), R(H, 4 * H, scale=0.5), R(4 * H)
    nh, nc = L.lstm_step(*mp(x, h, c, Wx, Wh, b))
    rh, rc = ref_lstm_step(x, h, c, Wx, Wh, b)
    onp.testing.assert_allclose(host(nh), rh, rtol=RTOL)
    onp.testing.assert_allclose(host(nc), rc, rtol=RTOL)
    check_against_reference(lambda *a: L.lstm_step(*a)[0], lambda *a: ref_lstm_step(*a)[0],
                            (x, h, c, Wx, Wh, b), wrt=range(6))
    check_against_reference(lambda *a: L.lstm_step(*a)[1], lambda *a: ref_lstm_step(*a)[1],
                            (x, h, c, Wx, Wh, b), wrt=range(6))


def test_lstm_gates_by_hand():
    """One unit, weights zero, biases picking each gate: input 1, forget 0 (sigmoid of
    +-40), output 1, candidate tanh(0.5). c' = f c + i g = tanh(0.5); h' = tanh(c')."""
    big = 40.0
    b = onp.array([big, -big, big, 0.5])
    x, h, c = onp.zeros((1, 1)), onp.zeros((1, 1)), onp.full((1, 1), 7.0)
    nh, nc = L.lstm_step(*mp(x, h, c, onp.zeros((1, 4)), onp.zeros((1, 4)), b))
    onp.testing.assert_allclose(host(nc), [[onp.tanh(0.5)]], rtol=1e-12)
    onp.testing.assert_allclose(host(nh), [[onp.tanh(onp.tanh(0.5))]], rtol=1e-12)


def test_lstm_sequence():
    xs, h0 = R(N, T, D), R(N, H)
    Wx, Wh, b = R(D, 4 * H, scale=0.5), R(H, 4 * H, scale=0.5), R(4 * H)
    check_against_reference(L.lstm_temporal,
                            lambda *a: ref_sequence(ref_lstm_step, *a, cell=True),
                            (xs, h0, Wx, Wh, b), wrt=range(5))


def test_gru_step_and_sequence():
    x, h = R(N, D), R(N, H)
    w = (R(D, 2 * H, scale=0.5), R(H, 2 * H, scale=0.5), R(2 * H), R(D, H, scale=0.5),
         R(H, H, scale=0.5), R(H))
    check_against_reference(L.gru_step, ref_gru_step, (x, h, *w), wrt=range(8))
    xs = R(N, T, D)
    check_against_reference(L.gru_temporal, lambda *a: ref_sequence(ref_gru_step, *a),
                            (xs, h, *w), wrt=range(8))


def test_gru_gates_by_hand():
    """Update gate 1 (z = sigmoid(40)): h' = h whatever the candidate; update gate 0:
    h' = the candidate, whose reset gate 0 hides h from it."""
    big = 40.0
    h, x = onp.full((1, 1), 0.8), onp.zeros((1, 1))
    zeros = (onp.zeros((1, 2)), onp.zeros((1, 2)))
    keep = L.gru_step(*mp(x, h, *zeros, onp.array([0.0, big]), onp.zeros((1, 1)),
                          onp.ones((1, 1)), onp.array([0.3])))
    onp.testing.assert_allclose(host(keep), [[0.8]], rtol=1e-12)
    new = L.gru_step(*mp(x, h, *zeros, onp.array([-big, -big]), onp.zeros((1, 1)),
                         onp.ones((1, 1)), onp.array([0.3])))
    onp.testing.assert_allclose(host(new), [[onp.tanh(0.3)]], rtol=1e-12)
