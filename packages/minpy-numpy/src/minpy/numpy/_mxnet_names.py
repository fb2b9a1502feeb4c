"""MXNet-named functions that the original MinPy's ``minpy.numpy`` exposed.

The original registered every routine of ``mx.nd`` in its NumPy namespace, plus its own
``sigmoid``, ``onehot_encode`` and ``softmax_output``; its tutorials and layers call
``np.slice_axis``, ``np.onehot_encode``, ``np.sigmoid`` and ``np.softmax_output``. These
are written here with ``minpy.numpy`` operations, so they run on every backend and
differentiate through the operations' own gradient rules. The rest of ``mx.nd`` (the
neural-network operators) is reached through :class:`minpy.symbol.Function` or
``minpy.nn``.
"""

from __future__ import annotations

import operator

__all__ = ["slice_axis", "sigmoid", "onehot_encode", "softmax_output"]


def _np():
    import minpy.numpy as np
    return np


def slice_axis(data, axis, begin, end):
    """``data`` sliced along ``axis`` from ``begin`` to ``end`` (``None``: to the end),
    as MXNet's ``slice_axis``; negative ``axis``, ``begin`` and ``end`` count from the
    end. The result is a view, as NumPy's basic slicing gives."""
    data = _np().asarray(data)
    ndim = data.ndim
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"slice_axis: axis {axis} is out of range for an array of "
                         f"dimension {ndim}")
    index = [slice(None)] * ndim
    index[axis % ndim] = slice(operator.index(begin),
                               None if end is None else operator.index(end))
    return data[tuple(index)]


def sigmoid(x):
    """The logistic function ``1 / (1 + exp(-x))``, computed without overflow for large
    ``|x|``: each branch takes ``exp`` of a non-positive number only (not of ``-|x|``,
    whose derivative at 0 would be lost)."""
    np = _np()
    x = np.asarray(x)
    pos = x >= 0
    zero = np.zeros_like(x)
    e_pos = np.exp(-np.where(pos, x, zero))   # exp(-x) where x >= 0, else 1
    e_neg = np.exp(np.where(pos, zero, x))    # exp(x) where x < 0, else 1
    return np.where(pos, 1 / (1 + e_pos), e_neg / (1 + e_neg))


def onehot_encode(indices, out):
    """Write the one-hot encoding of ``indices`` (one class index per row) into ``out``
    (shape ``(len(indices), num_classes)``, zeros) and return ``out``, as the original's
    ``onehot_encode``."""
    np = _np()
    indices = np.asarray(indices)
    n = indices.shape[0]
    out[np.arange(n), indices.astype("int64")] = 1
    return out


def softmax_output(x, label):
    """Row-wise softmax of ``x`` (MXNet's ``SoftmaxOutput`` forward). ``label`` is taken
    for the original's signature and not used. The original defined its gradient as
    ``(softmax(x) - label) / N`` whatever followed; here the gradient is the softmax's
    own, which gives that same value for the loss ``-sum(label * log(p)) / N`` the
    original's layers built on it."""
    np = _np()
    x = np.asarray(x)
    e = np.exp(x - np.max(x, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)
