"""Layers and losses: plain :mod:`minpy.numpy` functions that :mod:`minpy.autograd`
differentiates, on every device and under every policy.

The signatures are the original MinPy's (CS231n style: ``affine(x, w, b)``,
``batchnorm(x, gamma, beta, mode, eps, momentum, running_mean, running_var)``, ...).
Losses are means over the batch and numerically stable (log-sum-exp). Shapes are
checked up front so that a mistake names the layer and the shapes involved instead of
surfacing as a broadcasting error deep in a backward pass.
"""

from __future__ import annotations

import numpy as _onp

import minpy.numpy as np

from ._conv import avg_pool, conv2d, max_pool

__all__ = [
    "affine", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "dropout", "batchnorm",
    "conv2d", "max_pool", "avg_pool", "embedding", "rnn_step", "rnn_temporal",
    "lstm_step", "lstm_temporal", "gru_step", "gru_temporal", "temporal_affine",
    "softmax_loss", "softmax_cross_entropy", "svm_loss", "l2_loss",
    "temporal_softmax_loss", "LayerShapeError",
]


class LayerShapeError(ValueError):
    """An input of a layer has a shape the layer cannot take."""


def _check(cond, layer, message):
    if not cond:
        raise LayerShapeError(f"{layer}: {message}")


def _shape(a):
    return tuple(int(d) for d in a.shape)


# -- dense layers and activations -------------------------------------------------------
def _broadcasts(shape, to):
    """Whether an array of ``shape`` broadcasts to ``to`` (NumPy's rule)."""
    if len(shape) > len(to):
        return False
    return all(a in (1, b) for a, b in zip(shape[::-1], to[::-1]))


def affine(x, w, b):
    """Fully connected layer ``x.reshape(N, D) @ w + b``.

    Parameters
    ----------
    x : array, shape (N, d_1, ..., d_k)
        A batch of N examples; each is flattened to D = d_1 * ... * d_k values.
    w : array, shape (D, M)
    b : array, shape (M,)

    Returns
    -------
    array, shape (N, M)
    """
    xs, ws, bs = _shape(x), _shape(w), _shape(b)
    _check(len(xs) >= 1 and len(ws) == 2, "affine",
           f"expected x of shape (N, ...) and w of shape (D, M), got x {xs}, w {ws}")
    d = int(_onp.prod(xs[1:], dtype=_onp.int64))
    _check(d == ws[0], "affine",
           f"x {xs} flattens to {d} features per example but w {ws} expects {ws[0]}")
    # b: (M,) usually; any shape that broadcasts to (N, M) works, as in the original
    # MinPy, whose affine was ``np.dot(x, w) + b`` (its tests pass a (N, 1) bias).
    _check(_broadcasts(bs, (xs[0], ws[1])), "affine",
           f"b has shape {bs}, expected ({ws[1]},) (or a shape that broadcasts to "
           f"{(xs[0], ws[1])}) for x {xs} and w {ws}")
    if len(xs) != 2:
        x = np.reshape(x, (xs[0], d))
    return np.dot(x, w) + b


def relu(x):
    """Rectified linear unit, ``max(0, x)`` elementwise."""
    return np.maximum(x, 0)


def sigmoid(x):
    """Logistic sigmoid ``1 / (1 + exp(-x))``, computed without overflow."""
    # 0.5 * (1 + tanh(x / 2)) is the sigmoid and never overflows for large |x|.
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


def tanh(x):
    """Hyperbolic tangent, elementwise."""
    return np.tanh(x)


def log_softmax(x, axis=-1):
    """``log(softmax(x))`` along ``axis``, by log-sum-exp (no overflow, no log(0))."""
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax(x, axis=-1):
    """Softmax along ``axis`` (rows sum to 1), shifted by the maximum for stability."""
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def dropout(x, prob, mode="train", seed=None):
    """Inverted dropout: in ``'train'`` mode zero each element with probability
    ``prob`` and scale the survivors by ``1 / (1 - prob)``; in ``'test'`` mode return
    ``x`` unchanged.

    Parameters
    ----------
    x : array
    prob : float in [0, 1)
        Probability of dropping an element.
    mode : {'train', 'test'}
    seed : int or numpy.random.RandomState, optional
        Makes the mask reproducible (an int seeds a fresh generator). Without it the
        mask comes from NumPy's global generator, which ``minpy.numpy.random.seed``
        seeds and a :class:`~minpy.nn.solver.Solver` checkpoint saves.

    Notes
    -----
    The original MinPy scaled by ``1 - prob`` at test time instead; the expected
    output is the same, and test-time inference costs nothing here.
    """
    if not 0 <= prob < 1:
        raise ValueError(f"dropout: prob must be in [0, 1), got {prob}")
    if mode == "test" or prob == 0:
        return x
    if mode != "train":
        raise ValueError(f"dropout: mode must be 'train' or 'test', not {mode!r}")
    scale = _onp.asarray(1.0 / (1.0 - prob), dtype=x.dtype if x.dtype.kind == "f" else None)
    dtype = x.dtype if x.dtype.kind == "f" else _onp.float64
    if seed is None:
        # NumPy's global generator through minpy.numpy.random (a host fallback: the
        # same draws), so that minpy.jit records the draw: a compiled step gets a
        # fresh mask every call.
        keep = np.random.random_sample(_shape(x)) >= prob
        return x * (keep.astype(dtype) * scale)
    rng = seed if isinstance(seed, _onp.random.RandomState) else _onp.random.RandomState(seed)
    # The mask is drawn on the host: the same mask on every device and under every
    # policy, so that runs and resumed checkpoints reproduce bit for bit.
    keep = rng.random_sample(_shape(x)) >= prob
    return x * np.array(keep.astype(dtype) * scale)


def batchnorm(x, gamma, beta, mode="train", eps=1e-5, momentum=0.9, running_mean=None,
              running_var=None):
    """Batch normalisation over the batch axis (and, for 4-d input, the spatial axes).

    Parameters
    ----------
    x : array, shape (N, D) or (N, C, H, W)
    gamma, beta : arrays, shape (D,) or (C,)
        Scale and shift.
    mode : {'train', 'test'}
        ``'train'`` normalises with the batch statistics and updates the running ones;
        ``'test'`` normalises with the running statistics.
    eps : float
    momentum : float
        ``running = momentum * running + (1 - momentum) * batch``.
    running_mean, running_var : arrays, shape (D,) or (C,), optional
        Default zeros and ones.

    Returns
    -------
    out, running_mean, running_var
        The running statistics are new arrays (never traced: store them as the model's
        auxiliary states).
    """
    xs = _shape(x)
    _check(len(xs) in (2, 4), "batchnorm", f"expected x of shape (N, D) or (N, C, H, W), "
           f"got {xs}")
    d = xs[1]
    # (d,), or (1, d) as the original MinPy's tests pass them for (N, d) data.
    _check(all(_shape(a) in ((d,), (1, d)) for a in (gamma, beta)), "batchnorm",
           f"gamma {_shape(gamma)} and beta {_shape(beta)} must have shape ({d},) for x {xs}")
    axes = (0,) if len(xs) == 2 else (0, 2, 3)
    bshape = (1, d) if len(xs) == 2 else (1, d, 1, 1)
    dtype = x.dtype if x.dtype.kind == "f" else _onp.float64
    if running_mean is None:
        running_mean = np.zeros(d, dtype=dtype)
    if running_var is None:
        running_var = np.ones(d, dtype=dtype)
    if mode == "train":
        mean = np.mean(x, axis=axes)
        var = np.mean((x - np.reshape(mean, bshape)) ** 2, axis=axes)
        from minpy.autograd import stop_gradient
        running_mean = momentum * running_mean + (1.0 - momentum) * stop_gradient(mean)
        running_var = momentum * running_var + (1.0 - momentum) * stop_gradient(var)
    elif mode == "test":
        mean, var = running_mean, running_var
    else:
        raise ValueError(f"batchnorm: mode must be 'train' or 'test', not {mode!r}")
    x_hat = (x - np.reshape(mean, bshape)) / np.sqrt(np.reshape(var, bshape) + eps)
    return np.reshape(gamma, bshape) * x_hat + np.reshape(beta, bshape), running_mean, \
        running_var


def embedding(x, w):
    """Look up rows of ``w`` (V, D) for the integer indices ``x`` (any shape):
    the result has shape ``x.shape + (D,)``."""
    ws = _shape(w)
    _check(len(ws) == 2, "embedding", f"w must have shape (V, D), got {ws}")
    _check(x.dtype.kind in "iu", "embedding", f"indices must be integers, got {x.dtype}")
    return w[x]


# -- recurrent layers ------------------------------------------------------------------
def rnn_step(x, prev_h, Wx, Wh, b):
    """One step of a vanilla tanh RNN: ``tanh(x @ Wx + prev_h @ Wh + b)``.

    Shapes: x (N, D), prev_h (N, H), Wx (D, H), Wh (H, H), b (H,) -> (N, H).
    """
    _check(_shape(x)[1] == _shape(Wx)[0] and _shape(prev_h)[1] == _shape(Wh)[0],
           "rnn_step", f"x {_shape(x)}, prev_h {_shape(prev_h)}, Wx {_shape(Wx)}, "
           f"Wh {_shape(Wh)} do not fit together")
    return np.tanh(np.dot(x, Wx) + np.dot(prev_h, Wh) + b)


def _temporal(x, name):
    xs = _shape(x)
    _check(len(xs) == 3, name, f"x must have shape (N, T, D), got {xs}")
    return xs


def rnn_temporal(x, h0, Wx, Wh, b):
    """A vanilla RNN over a whole sequence: x (N, T, D), h0 (N, H) -> h (N, T, H)."""
    _, T, _ = _temporal(x, "rnn_temporal")
    h, hs = h0, []
    for t in range(T):
        h = rnn_step(x[:, t, :], h, Wx, Wh, b)
        hs.append(h)
    return np.stack(hs, axis=1)


def lstm_step(x, prev_h, prev_c, Wx, Wh, b):
    """One LSTM step. Wx (D, 4H), Wh (H, 4H), b (4H,), gates in the order input,
    forget, output, candidate. Returns ``(next_h, next_c)``, each (N, H)."""
    H = _shape(prev_c)[1]
    _check(_shape(Wx)[1] == 4 * H and _shape(Wh) == (H, 4 * H), "lstm_step",
           f"Wx {_shape(Wx)} and Wh {_shape(Wh)} must have 4*H = {4 * H} columns")
    a = np.dot(x, Wx) + np.dot(prev_h, Wh) + b
    i = sigmoid(a[:, 0:H])
    f = sigmoid(a[:, H:2 * H])
    o = sigmoid(a[:, 2 * H:3 * H])
    g = np.tanh(a[:, 3 * H:4 * H])
    next_c = f * prev_c + i * g
    return o * np.tanh(next_c), next_c


def lstm_temporal(x, h0, Wx, Wh, b):
    """An LSTM over a whole sequence (initial cell state zero): x (N, T, D), h0 (N, H)
    -> h (N, T, H)."""
    _, T, _ = _temporal(x, "lstm_temporal")
    h, c, hs = h0, np.zeros_like(h0), []
    for t in range(T):
        h, c = lstm_step(x[:, t, :], h, c, Wx, Wh, b)
        hs.append(h)
    return np.stack(hs, axis=1)


def gru_step(x, prev_h, Wx, Wh, b, Wxh, Whh, bh):
    """One GRU step (Jozefowicz et al. 2015). Wx (D, 2H), Wh (H, 2H), b (2H,) for the
    reset and update gates; Wxh (D, H), Whh (H, H), bh (H,) for the candidate."""
    H = _shape(prev_h)[1]
    _check(_shape(Wx)[1] == 2 * H and _shape(Wh) == (H, 2 * H), "gru_step",
           f"Wx {_shape(Wx)} and Wh {_shape(Wh)} must have 2*H = {2 * H} columns")
    a = sigmoid(np.dot(x, Wx) + np.dot(prev_h, Wh) + b)
    r, z = a[:, 0:H], a[:, H:2 * H]
    h_m = np.tanh(np.dot(x, Wxh) + np.dot(r * prev_h, Whh) + bh)
    return z * prev_h + (1 - z) * h_m


def gru_temporal(x, h0, Wx, Wh, b, Wxh, Whh, bh):
    """A GRU over a whole sequence: x (N, T, D), h0 (N, H) -> h (N, T, H)."""
    _, T, _ = _temporal(x, "gru_temporal")
    h, hs = h0, []
    for t in range(T):
        h = gru_step(x[:, t, :], h, Wx, Wh, b, Wxh, Whh, bh)
        hs.append(h)
    return np.stack(hs, axis=1)


def temporal_affine(x, w, b):
    """The affine layer at every time step: x (N, T, D), w (D, M), b (M,) -> (N, T, M)."""
    N, T, D = _temporal(x, "temporal_affine")
    _check(_shape(w)[0] == D, "temporal_affine", f"w {_shape(w)} does not take D = {D}")
    M = _shape(w)[1]
    return np.reshape(np.dot(np.reshape(x, (N * T, D)), w), (N, T, M)) + b


# -- losses ----------------------------------------------------------------------------
def _labels(y, n, c, name):
    """Integer labels (n,) from integer labels or one-hot (n, c) targets."""
    ys = _shape(y)
    if ys == (n,):
        return y, None
    _check(ys == (n, c), name, f"labels must have shape ({n},) or one-hot ({n}, {c}), "
           f"got {ys}")
    return None, y


def _onehot(idx, n, c, dtype):
    """(n, c) one-hot rows of integer labels ``idx`` (n,), by comparison with
    ``arange(c)`` (no fancy indexing, so every policy, ``'only_mxnet'`` included, runs
    it)."""
    hit = np.equal(np.reshape(idx, (n, 1)), np.reshape(np.arange(c), (1, c)))
    return hit.astype(dtype)


def _picked_sum(values, idx, n, c):
    """``sum(values[i, idx[i]])`` over the rows."""
    return np.sum(values * _onehot(idx, n, c, values.dtype))


def softmax_loss(x, y):
    """Mean softmax cross-entropy of class scores ``x`` (N, C) against integer labels
    ``y`` (N,) or one-hot/probability targets (N, C)."""
    xs = _shape(x)
    _check(len(xs) == 2, "softmax_loss", f"scores must have shape (N, C), got {xs}")
    n, c = xs
    idx, onehot = _labels(y, n, c, "softmax_loss")
    logp = log_softmax(x, axis=1)
    if onehot is not None:
        return -np.sum(logp * onehot) / n
    return -_picked_sum(logp, idx, n, c) / n


def softmax_cross_entropy(prob, label):
    """Mean cross-entropy of probabilities ``prob`` (N, C) (e.g. a softmax output)
    against integer labels (N,) or one-hot targets (N, C). Probabilities are clipped
    at the smallest positive normal number so that a 0 gives a large finite loss.
    Use :func:`softmax_loss` on raw scores: it is more accurate."""
    ps = _shape(prob)
    _check(len(ps) == 2, "softmax_cross_entropy", f"prob must have shape (N, C), got {ps}")
    n, c = ps
    idx, onehot = _labels(label, n, c, "softmax_cross_entropy")
    tiny = float(_onp.finfo(prob.dtype if prob.dtype.kind == "f" else _onp.float64).tiny)
    logp = np.log(np.maximum(prob, tiny))
    if onehot is not None:
        return -np.sum(logp * onehot) / n
    return -_picked_sum(logp, idx, n, c) / n


def svm_loss(x, y):
    """Mean multiclass hinge loss of scores ``x`` (N, C) against integer labels (N,)."""
    xs = _shape(x)
    _check(len(xs) == 2 and _shape(y) == (xs[0],), "svm_loss",
           f"expected scores (N, C) and labels (N,), got {xs} and {_shape(y)}")
    n, c = xs
    correct = np.sum(x * _onehot(y, n, c, x.dtype), axis=1, keepdims=True)
    margins = np.maximum(x - correct + 1.0, 0)
    # The correct class contributes exactly 1 per row; subtract it.
    return (np.sum(margins) - n) / n


def l2_loss(x, label):
    """Mean over the batch of the squared error ``sum((x - label)**2)``; integer
    labels (N,) against scores (N, C) are one-hot encoded first, as in the original."""
    xs = _shape(x)
    if x.ndim == 2 and label.ndim == 1 and label.dtype.kind in "iu":
        n, c = xs
        _check(_shape(label) == (n,), "l2_loss", f"labels {_shape(label)} for x {xs}")
        label = _onehot(label, n, c, x.dtype)
    _check(_shape(label) == xs, "l2_loss", f"x {xs} and label {_shape(label)} differ")
    return np.sum((x - label) ** 2) / xs[0]


def temporal_softmax_loss(x, y, mask=None):
    """Softmax loss at every time step: scores x (N, T, V), labels y (N, T), optional
    boolean mask (N, T) of the steps that count. Summed over steps, averaged over N."""
    N, T, V = _temporal(x, "temporal_softmax_loss")
    _check(_shape(y) == (N, T), "temporal_softmax_loss",
           f"labels must have shape ({N}, {T}), got {_shape(y)}")
    logp = log_softmax(np.reshape(x, (N * T, V)), axis=1)
    picked = np.sum(logp * _onehot(np.reshape(y, (N * T,)), N * T, V, logp.dtype), axis=1)
    if mask is not None:
        _check(_shape(mask) == (N, T), "temporal_softmax_loss",
               f"mask must have shape ({N}, {T}), got {_shape(mask)}")
        picked = picked * np.reshape(mask, (N * T,)).astype(picked.dtype)
    return -np.sum(picked) / N
