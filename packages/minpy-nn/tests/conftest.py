import numpy as onp
import pytest


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's bundled 8x8 digits (no download), shuffled once, split 80/20:
    ``(x_train, y_train, x_test, y_test)`` as float32 / int64 NumPy arrays."""
    datasets = pytest.importorskip("sklearn.datasets", reason="needs scikit-learn")
    d = datasets.load_digits()
    x = (d.data / 16.0).astype(onp.float32)
    y = d.target.astype(onp.int64)
    order = onp.random.RandomState(0).permutation(len(x))
    x, y = x[order], y[order]
    n_test = len(x) // 5
    return x[n_test:], y[n_test:], x[:n_test], y[:n_test]
