"""A two-layer perceptron on scikit-learn's digits; parameters are a dict."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy

sys.path.insert(0, str(Path(__file__).resolve().parent))

import digits  # noqa: E402

import minpy.numpy as np  # noqa: E402


def forward(p, x):
    hidden = np.maximum(np.dot(x, p["w1"]) + p["b1"], 0)  # relu
    return np.dot(hidden, p["w2"]) + p["b2"]


def main(epochs: int = 20, hidden: int = 64, lr: float = 0.2) -> float:
    rng = numpy.random.RandomState(1)
    params = {
        "w1": np.array(rng.normal(0, 0.1, (64, hidden)).astype("float32")),
        "b1": np.zeros(hidden, dtype="float32"),
        "w2": np.array(rng.normal(0, 0.1, (hidden, 10)).astype("float32")),
        "b2": np.zeros(10, dtype="float32"),
    }
    return digits.train_classifier(forward, params, epochs, lr, 32, rng,
                                   log_every=5)[1]


if __name__ == "__main__":
    main()
