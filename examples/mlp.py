"""A two-layer perceptron on scikit-learn's digits; parameters are a dict."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy

sys.path.insert(0, str(Path(__file__).resolve().parent))

import digits  # noqa: E402

import minpy.numpy as np  # noqa: E402
from minpy.autograd import grad_and_loss  # noqa: E402


def forward(p, x):
    hidden = np.maximum(np.dot(x, p["w1"]) + p["b1"], 0)  # relu
    return np.dot(hidden, p["w2"]) + p["b2"]


def main(epochs: int = 20, hidden: int = 64, lr: float = 0.2) -> float:
    x_train, y_train, x_test, y_test = digits.load()
    rng = numpy.random.RandomState(1)
    params = {
        "w1": np.array(rng.normal(0, 0.1, (64, hidden)).astype("float32")),
        "b1": np.zeros(hidden, dtype="float32"),
        "w2": np.array(rng.normal(0, 0.1, (hidden, 10)).astype("float32")),
        "b2": np.zeros(10, dtype="float32"),
    }
    step = grad_and_loss(lambda p, x, y: digits.softmax_cross_entropy(forward(p, x), y))
    for epoch in range(epochs):
        for idx in digits.batches(x_train.shape[0], 32, rng):
            grads, loss = step(params, x_train[idx], y_train[idx])
            params = {k: params[k] - lr * grads[k] for k in params}
        if epoch % 5 == 0:
            print(f"epoch {epoch:3d} last batch loss {float(loss):.4f}")
    acc = digits.accuracy(forward(params, x_test), y_test)
    print(f"test accuracy {acc:.2%}")
    return acc


if __name__ == "__main__":
    main()
