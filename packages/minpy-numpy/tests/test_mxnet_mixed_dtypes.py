"""Binary ops on the MXNet path with operands of two different dtypes, in both orders:
NumPy's result dtype and values. An op that took its result dtype from its first
operand (``maximum(int8, float32)`` as int8) passed every same-dtype test and the
'auto' policy (NumPy on the CPU); here MXNet must have run the call, or it judges
nothing."""

from __future__ import annotations

import numpy
import pytest

import minpy.numpy as mp
from minpy.core import _mxnet

pytestmark = pytest.mark.skipif(not _mxnet.available(),
                                reason="MXNet is not available: nothing to compare")

# The table's binary ops with an MXNet kernel, and operand values they take.
POSITIVE = ["add", "subtract", "multiply", "true_divide", "maximum", "minimum", "hypot",
            "arctan2", "power", "mod", "remainder", "copysign"]
COMPARISONS = ["equal", "not_equal", "less", "less_equal", "greater", "greater_equal"]
# (first, second) dtypes MXNet holds whose common dtype it holds too.
PAIRS = [("int8", "float32"), ("float32", "float64"), ("uint8", "int32"),
         ("int32", "int64"), ("bool", "float32"), ("float16", "float32"),
         ("int32", "float64")]


def _operands(d1, d2):
    a = (numpy.arange(12).reshape(3, 4) % 4 + 1).astype(d1)
    b = (numpy.array([1.5, 2.0, 3.25, 0.5]) if numpy.dtype(d2).kind == "f" else
         numpy.array([1, 2, 3, 1])).astype(d2)
    return a, b


def _run(name, x, y, policy):
    with mp.policy(policy), mp.record_op_stat():
        got = getattr(mp, name)(mp.array(x), mp.array(y))
        ran = mp.op_stats()["calls"].get((name, "mxnet"), (0,))[0]
    return got, ran


@pytest.mark.parametrize("policy", ["prefer_mxnet", "only_mxnet"])
@pytest.mark.parametrize("name", POSITIVE + COMPARISONS)
def test_mixed_dtypes_give_numpys_dtype_and_values(name, policy):
    on_mxnet = 0
    for d1, d2 in PAIRS:
        if name in ("subtract",) and "bool" in (d1, d2):
            continue                      # NumPy refuses boolean subtraction
        a, b = _operands(d1, d2)
        for x, y in ((a, b), (b, a)):
            with numpy.errstate(all="ignore"):
                want = getattr(numpy, name)(x, y)
            try:
                got, ran = _run(name, x, y, policy)
            except NotImplementedError:   # 'only_mxnet' declined: nothing ran
                continue
            on_mxnet += bool(ran)
            where = (name, policy, str(x.dtype), str(y.dtype))
            assert got.dtype == want.dtype, where
            g = got.asnumpy()
            assert g.dtype == want.dtype and g.shape == want.shape, where
            if want.dtype.kind == "f":
                tol = {2: 1e-3, 4: 1e-6, 8: 1e-13}[want.dtype.itemsize]
                numpy.testing.assert_allclose(g, want, rtol=tol, err_msg=str(where))
            else:
                numpy.testing.assert_array_equal(g, want, err_msg=str(where))
    assert on_mxnet >= len(PAIRS), f"{name}: only {on_mxnet} calls ran on MXNet"
