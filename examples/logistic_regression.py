"""Multinomial logistic regression on scikit-learn's digits with ``grad`` (the loss is
``minpy.nn.layers.softmax_loss``, a log-sum-exp cross-entropy)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import digits  # noqa: E402

import minpy.numpy as np  # noqa: E402
from minpy.autograd import grad  # noqa: E402
from minpy.nn.layers import softmax_loss  # noqa: E402


def main(steps: int = 200, lr: float = 1.0) -> float:
    x_train, y_train, x_test, y_test = digits.load()
    w = np.zeros((64, 10), dtype="float32")
    b = np.zeros(10, dtype="float32")

    def loss(w, b):
        return softmax_loss(np.dot(x_train, w) + b, y_train)

    dloss = grad(loss, argnum=(0, 1))
    for step in range(steps):
        gw, gb = dloss(w, b)
        w = w - lr * gw
        b = b - lr * gb
        if step % 50 == 0:
            print(f"step {step:4d} loss {float(loss(w, b)):.4f}")
    acc = digits.accuracy(np.dot(x_test, w) + b, y_test)
    print(f"test accuracy {acc:.2%}")
    return acc


if __name__ == "__main__":
    main()
