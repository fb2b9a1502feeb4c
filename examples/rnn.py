"""A recurrent network reading each digit image row by row (8 steps of 8 pixels): a
Python ``for`` loop over time inside the differentiated function."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy

sys.path.insert(0, str(Path(__file__).resolve().parent))

import digits  # noqa: E402

import minpy.numpy as np  # noqa: E402


def forward(p, x):
    rows = x.reshape(-1, 8, 8)
    h = np.zeros((rows.shape[0], p["wh"].shape[0]), dtype=x.dtype)
    for t in range(8):  # native control flow: the tape records each step
        h = np.tanh(np.dot(rows[:, t, :], p["wx"]) + np.dot(h, p["wh"]) + p["bh"])
    return np.dot(h, p["wy"]) + p["by"]


def main(epochs: int = 15, hidden: int = 32, lr: float = 0.3) -> float:
    rng = numpy.random.RandomState(3)
    params = {
        "wx": np.array(rng.normal(0, 0.3, (8, hidden)).astype("float32")),
        "wh": np.array(rng.normal(0, 0.1, (hidden, hidden)).astype("float32")),
        "bh": np.zeros(hidden, dtype="float32"),
        "wy": np.array(rng.normal(0, 0.1, (hidden, 10)).astype("float32")),
        "by": np.zeros(10, dtype="float32"),
    }
    return digits.train_classifier(forward, params, epochs, lr, 32, rng,
                                   log_every=5)[1]


if __name__ == "__main__":
    main()
