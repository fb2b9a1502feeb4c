"""A jitted function called with the same shapes in every dtype, one after another and
back again: each call gives the eager function's dtype and values (the dtype is part
of the signature: a program captured for int32 inputs must not replay for float32)."""

from __future__ import annotations

import numpy as onp
import pytest

import minpy.numpy as np
from minpy.jit import jit

DTYPES = ["int32", "float32", "float64", "int64", "bool", "int8", "float16"]


def f(x):
    return np.sum(x * 1.5, axis=0), x + x


@pytest.mark.parametrize("order", [DTYPES, DTYPES[::-1]], ids=["forward", "backward"])
def test_each_dtype_gets_its_own_program(order):
    jf = jit(f)
    for dtype in order + order:
        x = np.array((onp.arange(6).reshape(2, 3) % 3).astype(dtype))
        for got, want in zip(jf(x), f(x)):
            assert got.dtype == want.dtype, (dtype, got.dtype, want.dtype)
            onp.testing.assert_array_equal(got.asnumpy(), want.asnumpy(), err_msg=dtype)
