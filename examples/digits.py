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


def softmax_cross_entropy(logits, labels):
    """Mean cross-entropy of ``logits`` (n, k) against integer ``labels`` (n,),
    written in minpy.numpy so that it differentiates."""
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_norm = np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    log_probs = shifted - log_norm
    return -np.mean(log_probs[np.arange(labels.shape[0]), labels])


def train_classifier(forward, params, epochs, lr, batch_size, rng, log_every=5):
    """Minibatch SGD on the digits' cross-entropy with ``grad_and_loss``; returns the
    trained parameters and the test accuracy. ``forward(params, x)`` gives logits."""
    from minpy.autograd import grad_and_loss
    x_train, y_train, x_test, y_test = load()
    step = grad_and_loss(lambda p, x, y: softmax_cross_entropy(forward(p, x), y))
    for epoch in range(epochs):
        for idx in batches(x_train.shape[0], batch_size, rng):
            grads, loss = step(params, x_train[idx], y_train[idx])
            params = {k: params[k] - lr * grads[k] for k in params}
        if epoch % log_every == 0:
            print(f"epoch {epoch:3d} last batch loss {float(loss):.4f}")
    acc = accuracy(forward(params, x_test), y_test)
    print(f"test accuracy {acc:.2%}")
    return params, acc


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
