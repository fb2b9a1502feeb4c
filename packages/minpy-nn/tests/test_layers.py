"""Layers and losses: values against NumPy references, gradients against finite
differences of MinPy's own forward, modes, and shape errors.
Every layer's values and first-order gradients against a NumPy reference written from
its formula, and finite differences of that reference: test_layers_reference.py."""

import numpy as onp
import pytest

import minpy.numpy as np
from minpy.autograd import check_grads, grad
from minpy.nn import layers as L

rng = onp.random.RandomState(0)


def A(*shape, scale=1.0):
    return np.array(rng.randn(*shape) * scale)


def host(a):
    return onp.asarray(a)


def test_affine_relu_sigmoid_tanh_values():
    x, w, b = A(4, 2, 3), A(6, 5), A(5)
    out = L.affine(x, w, b)
    onp.testing.assert_allclose(host(out), host(x).reshape(4, 6) @ host(w) + host(b))
    onp.testing.assert_array_equal(host(L.relu(x)), onp.maximum(host(x), 0))
    big = np.array([-1000.0, 0.0, 1000.0])
    onp.testing.assert_allclose(host(L.sigmoid(big)), [0.0, 0.5, 1.0])
    onp.testing.assert_allclose(host(L.sigmoid(x)), 1 / (1 + onp.exp(-host(x))))
    onp.testing.assert_allclose(host(L.tanh(x)), onp.tanh(host(x)))


def test_softmax_and_losses_are_stable():
    x = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]])
    y = np.array([0, 2])
    p = host(L.softmax(x))
    onp.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert onp.isfinite(float(L.softmax_loss(x, y)))
    ref = -onp.mean([0.0, onp.log(onp.exp(3) / onp.exp([1, 2, 3]).sum())])
    onp.testing.assert_allclose(float(L.softmax_loss(x, y)), ref)
    onehot = np.array(onp.eye(3)[[0, 2]])
    onp.testing.assert_allclose(float(L.softmax_loss(x, onehot)), ref)
    # probabilities with exact zeros: finite
    assert onp.isfinite(float(L.softmax_cross_entropy(L.softmax(x), np.array([2, 0]))))
    onp.testing.assert_allclose(float(L.softmax_cross_entropy(L.softmax(x), y)), ref,
                                rtol=1e-12)


def test_svm_l2_losses():
    x = np.array([[3.0, 1.0, 2.5], [0.0, 1.0, 0.5]])
    y = np.array([0, 1])
    # margins: row0: 0, max(0, 1-3+1)=0, max(0, 2.5-3+1)=0.5; row1: 0, 0, 0.5
    onp.testing.assert_allclose(float(L.svm_loss(x, y)), (0.5 + 0.5) / 2)
    onp.testing.assert_allclose(float(L.l2_loss(x, y)),
                                ((host(x) - onp.eye(3)[[0, 1]]) ** 2).sum() / 2)


def test_dropout_modes_and_seed():
    x = np.ones((200, 50))
    out = host(L.dropout(x, 0.3, mode="train", seed=1))
    assert set(onp.unique(out)) <= {0.0, 1 / 0.7}
    assert abs((out == 0).mean() - 0.3) < 0.02
    onp.testing.assert_array_equal(out, host(L.dropout(x, 0.3, mode="train", seed=1)))
    same = L.dropout(x, 0.3, mode="test")
    assert same.dtype == x.dtype and same.shape == x.shape
    onp.testing.assert_array_equal(host(same), host(x))
    onp.testing.assert_array_equal(host(L.dropout(x, 0.0, mode="train")), host(x))
    with pytest.raises(ValueError, match="prob"):
        L.dropout(x, 1.0)
    # gradient flows through the kept units only
    g = host(grad(lambda v: np.sum(L.dropout(v, 0.5, seed=3)))(x))
    onp.testing.assert_array_equal(g, host(L.dropout(x, 0.5, seed=3)))


def test_batchnorm_train_test_and_running_stats():
    x = A(64, 3, scale=2.0) + 5.0
    gamma, beta = np.ones(3), np.zeros(3)
    out, rm, rv = L.batchnorm(x, gamma, beta, mode="train", momentum=0.5)
    onp.testing.assert_allclose(host(out).mean(axis=0), 0.0, atol=1e-12)
    onp.testing.assert_allclose(host(out).var(axis=0), 1.0, rtol=1e-4)
    onp.testing.assert_allclose(host(rm), 0.5 * host(x).mean(axis=0))
    onp.testing.assert_allclose(host(rv), 0.5 + 0.5 * host(x).var(axis=0))
    test_out, rm2, _ = L.batchnorm(x, gamma, beta, mode="test", running_mean=rm,
                                   running_var=rv)
    onp.testing.assert_allclose(host(test_out),
                                (host(x) - host(rm)) / onp.sqrt(host(rv) + 1e-5))
    assert rm2 is rm
    x4 = A(4, 3, 2, 2)
    out4, m4, _ = L.batchnorm(x4, gamma, beta)
    onp.testing.assert_allclose(host(out4).mean(axis=(0, 2, 3)), 0.0, atol=1e-12)
    with pytest.raises(ValueError, match="mode"):
        L.batchnorm(x, gamma, beta, mode="eval")


def test_gradients_against_finite_differences():
    x, w, b = A(3, 4), A(4, 5), A(5)
    y = np.array([0, 4, 2])
    check_grads(lambda x, w, b: L.softmax_loss(L.affine(L.tanh(x), w, b), y), x, w, b,
                order=1)
    check_grads(lambda x, w, b: L.svm_loss(L.affine(x, w, b), y), x, w, b, order=1)
    check_grads(lambda x, g, bt: L.batchnorm(x, g, bt)[0], A(5, 3), A(3), A(3), order=1)
    h0, Wx, Wh, bb = A(2, 3), A(4, 12), A(3, 12), A(12)
    xs = A(2, 3, 4)
    check_grads(lambda xs, Wx, Wh: L.lstm_temporal(xs, h0, Wx, Wh, bb), xs, Wx, Wh,
                order=1)
    Wh3, b3 = A(3, 3), A(3)
    check_grads(lambda xs, Wx: L.rnn_temporal(xs, h0, Wx, Wh3, b3), xs, A(4, 3), order=1)
    fixed = (A(3, 6), A(6), A(4, 3), A(3, 3), A(3))
    x2 = A(2, 4)
    check_grads(lambda Wx: L.gru_step(x2, h0, Wx, *fixed), A(4, 6), order=1)


def test_rnn_reference_and_lstm_gru_shapes():
    N, T, D, H = 2, 4, 3, 5
    x, h0 = A(N, T, D), A(N, H)
    Wx, Wh, b = A(D, H), A(H, H), A(H)
    h = host(L.rnn_temporal(x, h0, Wx, Wh, b))
    ref, hp = [], host(h0)
    for t in range(T):
        hp = onp.tanh(host(x)[:, t] @ host(Wx) + hp @ host(Wh) + host(b))
        ref.append(hp)
    onp.testing.assert_allclose(h, onp.stack(ref, 1))
    assert L.lstm_temporal(x, h0, A(D, 4 * H), A(H, 4 * H), A(4 * H)).shape == (N, T, H)
    assert L.gru_temporal(x, h0, A(D, 2 * H), A(H, 2 * H), A(2 * H), A(D, H), A(H, H),
                          A(H)).shape == (N, T, H)
    assert L.temporal_affine(L.rnn_temporal(x, h0, Wx, Wh, b), A(H, 7), A(7)).shape == \
        (N, T, 7)
    with pytest.raises(L.LayerShapeError, match="lstm_step"):
        L.lstm_step(A(N, D), h0, h0, A(D, 3 * H), A(H, 4 * H), A(4 * H))


def test_temporal_softmax_loss_mask():
    N, T, V = 2, 3, 4
    x, y = A(N, T, V), np.array(rng.randint(0, V, (N, T)))
    mask = np.array([[True, True, False], [True, False, False]])
    logp = host(L.log_softmax(x, axis=2))
    yy, mm = host(y), host(mask)
    ref = -sum(logp[i, t, yy[i, t]] for i in range(N) for t in range(T) if mm[i, t]) / N
    onp.testing.assert_allclose(float(L.temporal_softmax_loss(x, y, mask)), ref)
    full = -sum(logp[i, t, yy[i, t]] for i in range(N) for t in range(T)) / N
    onp.testing.assert_allclose(float(L.temporal_softmax_loss(x, y)), full)
    g = host(grad(lambda x: L.temporal_softmax_loss(x, y, mask))(x))
    assert onp.all(g[0, 2] == 0) and onp.all(g[1, 1:] == 0)


def test_embedding():
    w = A(10, 3)
    idx = np.array([[1, 2], [9, 1]])
    onp.testing.assert_array_equal(host(L.embedding(idx, w)), host(w)[host(idx)])
    g = host(grad(lambda w: np.sum(L.embedding(idx, w)))(w))
    assert g[1].tolist() == [2.0, 2.0, 2.0] and g[0].tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(L.LayerShapeError, match="integers"):
        L.embedding(np.array([0.5]), w)


def _conv_ref(x, w, b, stride, pad):
    from test_layers_reference import ref_conv
    return ref_conv(x, w, b, (stride, stride), (pad, pad))


@pytest.mark.parametrize("implementation", ["im2col", "mxnet"])
def test_conv_and_pool_against_loops(implementation):
    if implementation == "mxnet":
        from minpy.core import _mxnet
        if not _mxnet.available():
            pytest.skip("MXNet not installed")
    x, w, b = A(2, 3, 7, 7), A(4, 3, 3, 3), A(4)
    for stride, pad in ((1, 0), (2, 1)):
        out = L.conv2d(x, w, b, stride=stride, pad=pad, implementation=implementation)
        onp.testing.assert_allclose(host(out), _conv_ref(host(x), host(w), host(b), stride,
                                                         pad), rtol=1e-10, atol=1e-10)
    p = host(L.max_pool(x[:, :, :6, :6], (2, 2), implementation=implementation))
    onp.testing.assert_array_equal(p, host(x)[:, :, :6, :6].reshape(2, 3, 3, 2, 3, 2)
                                   .max(axis=(3, 5)))
    a = host(L.avg_pool(x[:, :, :6, :6], (2, 2), implementation=implementation))
    onp.testing.assert_allclose(a, host(x)[:, :, :6, :6].reshape(2, 3, 3, 2, 3, 2)
                                .mean(axis=(3, 5)))
    check_grads(lambda x, w, b: L.conv2d(x, w, b, 1, 1, implementation=implementation),
                A(1, 2, 4, 4), A(2, 2, 3, 3), A(2), order=1)
    check_grads(lambda x: L.max_pool(x, 2, implementation=implementation),
                A(1, 2, 4, 4), order=1)


def test_implementation_is_resolved_through_the_backend_registry(monkeypatch):
    """``implementation`` names a backend with conv kernels (found in the registry, so
    the backend object works too), 'auto' or 'im2col'; another backend's name is an
    error that lists the choices, and a kernel backend that cannot load says why."""
    from minpy.core import _mxnet
    from minpy.nn import _conv
    x, w = A(1, 1, 4, 4), A(1, 1, 3, 3)
    for bad in ("numpy", "cupy", "nope", None):
        with pytest.raises(ValueError, match=r"'auto', 'mxnet' or 'im2col', not"):
            L.conv2d(x, w, implementation=bad)
    with pytest.raises(ValueError, match="not 'numpy'"):
        L.max_pool(x, 2, implementation="numpy")

    def absent():
        raise ImportError("MXNet is not available (test)")
    monkeypatch.setattr(_mxnet.BACKEND, "require", absent)
    with pytest.raises(ImportError, match=r"implementation='mxnet' needs MXNet: .*\(test\)"):
        L.conv2d(x, w, implementation="mxnet")
    monkeypatch.undo()
    if not _mxnet.available():
        pytest.skip("MXNet not installed")
    assert _conv._use_kernels(_mxnet.BACKEND, x) and _conv._use_kernels("mxnet", x)
    onp.testing.assert_allclose(host(L.conv2d(x, w, implementation=_mxnet.BACKEND)),
                                host(L.conv2d(x, w, implementation="im2col")), rtol=1e-12)


def test_shape_errors_name_the_layer():
    with pytest.raises(L.LayerShapeError, match=r"affine: x \(4, 6\) flattens to 6"):
        L.affine(A(4, 6), A(5, 3), A(3))
    with pytest.raises(L.LayerShapeError, match="affine: b has shape"):
        L.affine(A(4, 5), A(5, 3), A(4))
    with pytest.raises(L.LayerShapeError, match="softmax_loss: labels"):
        L.softmax_loss(A(4, 3), np.array([0, 1]))
    with pytest.raises(ValueError, match="conv2d: filters"):
        L.conv2d(A(1, 3, 5, 5), A(2, 4, 3, 3))
    with pytest.raises(ValueError, match="does not fit"):
        L.conv2d(A(1, 3, 2, 2), A(2, 3, 3, 3), implementation="im2col")
