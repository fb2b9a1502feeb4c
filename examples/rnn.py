"""A recurrent network reading each digit image row by row (8 steps of 8 pixels): a
Python ``for`` loop over time inside the differentiated function."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy

sys.path.insert(0, str(Path(__file__).resolve().parent))

import digits  # noqa: E402

import minpy.numpy as np  # noqa: E402
from minpy.autograd import grad_and_loss  # noqa: E402


def forward(p, x):
    rows = x.reshape(-1, 8, 8)
    h = np.zeros((rows.shape[0], p["wh"].shape[0]), dtype=x.dtype)
    for t in range(8):  # native control flow: the tape records each step
        h = np.tanh(np.dot(rows[:, t, :], p["wx"]) + np.dot(h, p["wh"]) + p["bh"])
    return np.dot(h, p["wy"]) + p["by"]


def main(epochs: int = 15, hidden: int = 32, lr: float = 0.3) -> float:
    x_train, y_train, x_test, y_test = digits.load()
    rng = numpy.random.RandomState(3)
    params = {
        "wx": np.array(rng.normal(0, 0.3, (8, hidden)).astype("float32")),
        "wh": np.array(rng.normal(0, 0.1, (hidden, hidden)).astype("float32")),
        "bh": np.zeros(hidden, dtype="float32"),
        "wy": np.array(rng.normal(0, 0.1, (hidden, 10)).astype("float32")),
        "by": np.zeros(10, dtype="float32"),
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
