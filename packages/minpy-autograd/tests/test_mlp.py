"""A two-layer MLP trained with SGD: the loss goes down."""

import numpy as onp
import pytest

import minpy.numpy as np
from minpy.autograd import grad, value_and_grad


def init(rng, sizes):
    return [{"W": np.array(rng.standard_normal((m, n)) * 0.3), "b": np.zeros(n)}
            for m, n in zip(sizes[:-1], sizes[1:])]


def predict(params, x):
    h = np.tanh(np.dot(x, params[0]["W"]) + params[0]["b"])
    logits = np.dot(h, params[1]["W"]) + params[1]["b"]
    return logits - np.max(logits, axis=1, keepdims=True)


def loss_fn(params, x, y):
    logits = predict(params, x)
    logp = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.mean(np.sum(logp * y, axis=1))


@pytest.mark.parametrize("pol", ["prefer_mxnet", "only_numpy", "auto"])
def test_mlp_loss_decreases(pol):
    rng = onp.random.default_rng(0)
    x = np.array(rng.standard_normal((64, 10)))
    labels = (x.asnumpy()[:, 0] + x.asnumpy()[:, 1] > 0).astype(int)
    y = np.array(onp.eye(2)[labels])
    params = init(rng, [10, 16, 2])
    step = value_and_grad(loss_fn)
    losses = []
    with np.policy(pol):
        for _ in range(20):
            loss, grads = step(params, x, y)
            losses.append(float(loss))
            params = [{k: p[k] - 0.5 * g[k] for k in p} for p, g in zip(params, grads)]
    assert losses[-1] < 0.7 * losses[0], losses
    assert all(onp.isfinite(losses))


def test_mlp_in_place_sgd_float32():
    rng = onp.random.default_rng(1)
    x = np.array(rng.standard_normal((32, 5)), dtype=np.float32)
    y = np.array(onp.eye(2)[(rng.random(32) > 0.5).astype(int)], dtype=np.float32)
    params = [{k: v.astype(np.float32) for k, v in p.items()} for p in init(rng, [5, 8, 2])]
    g = grad(loss_fn)
    first = float(loss_fn(params, x, y))
    for _ in range(20):
        grads = g(params, x, y)
        for p, gp in zip(params, grads):
            for k in p:
                assert gp[k].dtype == onp.float32
                p[k] -= 0.5 * gp[k]
    assert float(loss_fn(params, x, y)) < first
