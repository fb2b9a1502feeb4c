"""The handwritten digits that scikit-learn ships in its package (no download):
1,797 8x8 images, 10 classes, split once into training and test sets."""

from __future__ import annotations

import numpy

import minpy.numpy as np


def load(test_fraction: float = 0.2, seed: int = 0, dtype="float32"):
    """``(x_train, y_train, x_test, y_test)``: images scaled to [0, 1] as MinPy Arrays
    of shape (n, 64), labels as int64 Arrays."""
    from sklearn.datasets import load_digits
    digits = load_digits()
    x = (digits.data / 16.0).astype(dtype)
    y = digits.target.astype(numpy.int64)
    order = numpy.random.RandomState(seed).permutation(len(x))
    x, y = x[order], y[order]
    n_test = int(len(x) * test_fraction)
    return (np.array(x[n_test:]), np.array(y[n_test:]),
            np.array(x[:n_test]), np.array(y[:n_test]))


def batches(n: int, batch_size: int, rng: numpy.random.RandomState):
    """Shuffled index batches covering ``range(n)`` once."""
    order = rng.permutation(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def iterators(batch_size: int = 64, seed: int = 0):
    """``(train, test)`` :class:`minpy.nn.io.NDArrayIter` over the digits; the training
    one reshuffles every epoch (its own generator, seeded by ``seed``)."""
    from minpy.nn.io import NDArrayIter
    x_train, y_train, x_test, y_test = load()
    return (NDArrayIter(x_train, y_train, batch_size=batch_size, shuffle=True, seed=seed),
            NDArrayIter(x_test, y_test, batch_size=120))


def accuracy(logits, labels) -> float:
    return float(np.mean(np.argmax(logits, axis=1) == labels))


def progress(step: int, total: int, text: str = "", width: int = 30) -> None:
    """A one-line progress bar, redrawn in place (about 60 redraws in all)."""
    if step != total and step % max(1, total // 60):
        return
    done = int(width * step / total)
    end = "\n" if step == total else ""
    print(f"\r[{'#' * done}{'.' * (width - done)}] {step}/{total} {text}", end=end,
          flush=True)
