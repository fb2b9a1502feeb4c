"""In-place operators on views write into the shared buffer, as NumPy's do.

``v += 1`` on a view ``v = a[1:3]`` must change ``a`` and every other view of ``a``; an
implementation that computes ``v + 1`` and rebinds ``v`` to the result would leave the
family behind. Each in-place operator runs on each kind of view, beside NumPy running
the same program, and after every step every member of the family (the root, the view
written through, its siblings) must hold NumPy's values, read from the host form and,
where MXNet is installed, from an MXNet form cached before the write (which the write
makes stale). minpy.core alone: the operators run in NumPy (no minpy.numpy loaded).
"""

from __future__ import annotations

import operator

import numpy as np
import pytest

from minpy.core import Array, array, mxnet_available

VIEWS = {
    "slice": lambda a: a[1:3],
    "strided": lambda a: a[::2, 1:],
    "row": lambda a: a[1],
    "T": lambda a: a.T,
    "transpose": lambda a: a.transpose(1, 0),
    "reshape": lambda a: a.reshape(3, 4),
    "ravel": lambda a: a.ravel(),
    "negative-step": lambda a: a[::-1, ::-2],
    "view of a view": lambda a: a[1:][:, 1:3],
}
# (in-place operator, operand, dtype); operands keep every value exact and nonzero.
OPERATORS = [
    ("iadd", 3, "float64"), ("isub", np.arange(4.0), "float64"), ("imul", 2, "int64"),
    ("itruediv", 4.0, "float64"), ("ifloordiv", 3, "int64"), ("imod", 5, "int64"),
    ("ipow", 2, "int64"), ("iand", 6, "int64"), ("ior", 9, "int32"), ("ixor", 5, "int32"),
    ("ilshift", 1, "int64"), ("irshift", 1, "int64"),
]


def _operand(value, view):
    """The operand, broadcast-compatible with ``view`` (1-d operands along the last
    axis, repeated or cut to its length)."""
    if isinstance(value, np.ndarray):
        return np.resize(value, view.shape[-1:])
    return value


def _family(xp_array, kind):
    """The root (3, 4), the view ``kind`` of it, and two fixed sibling views."""
    root = xp_array
    return [root, VIEWS[kind](root), root[:, 2], root[2:, :2].T]


def _check(mine, ref, what):
    for k, (m, r) in enumerate(zip(mine, ref)):
        assert isinstance(m, Array), (what, k)
        assert m.shape == r.shape and m.dtype == r.dtype, (what, k, m.shape, r.shape)
        np.testing.assert_array_equal(m.asnumpy(), r, err_msg=f"{what}: member {k}")
        if mxnet_available():
            # the MXNet form (made again if the write made the cached one stale)
            np.testing.assert_array_equal(m._mx_value().asnumpy(), r,
                                          err_msg=f"{what}: member {k}, MXNet form")


@pytest.mark.parametrize("kind", sorted(VIEWS))
@pytest.mark.parametrize("op, value, dtype", OPERATORS, ids=[o[0] for o in OPERATORS])
@pytest.mark.parametrize("resident", [False, True], ids=["host", "mxnet-resident"])
def test_inplace_operator_on_a_view_writes_the_family(kind, op, value, dtype, resident):
    if resident and not mxnet_available():
        pytest.skip("MXNet is not installed: no MXNet-resident start")
    base = (np.arange(12).reshape(3, 4) % 7 + 1).astype(dtype)
    root = array(base.copy())
    if resident:
        root._mx_value()
        root._host = None
    mine, ref = _family(root, kind), _family(base, kind)
    if mxnet_available():
        for m in mine:   # cached MXNet forms: the write below must make them stale
            m._mx_value()
    fn = getattr(operator, op)
    target = mine[1]
    for step in range(2):
        returned = fn(target, _operand(value, target))
        expected = fn(ref[1], _operand(value, ref[1]))
        assert returned is target and expected is ref[1]   # the same object, updated
        _check(mine, ref, f"{kind} {op} step {step}")


def test_inplace_operator_with_an_overlapping_view_as_operand():
    """``a[1:] += a[:-1]`` reads and writes one buffer: NumPy's result (it buffers the
    overlap), not one computed from partly updated values."""
    base = np.arange(6.0)
    a = array(base.copy())
    dest, src = a[1:], a[:-1]
    dest += src
    base[1:] += base[:-1]
    np.testing.assert_array_equal(a.asnumpy(), base)
    np.testing.assert_array_equal(dest.asnumpy(), base[1:])


def test_inplace_operator_casting_and_shape_errors_leave_the_family_alone():
    base = np.arange(6).reshape(2, 3)
    a = array(base.copy())
    row = a[0]
    with pytest.raises(TypeError):
        row += 0.5                       # float64 into int64: 'same_kind' refuses
    with pytest.raises(ValueError):
        row += np.ones((2, 3), dtype=np.int64)   # would need a bigger output
    np.testing.assert_array_equal(a.asnumpy(), base)
    row *= 3
    base[0] *= 3
    np.testing.assert_array_equal(a.asnumpy(), base)
