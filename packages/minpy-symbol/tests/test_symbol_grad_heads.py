"""Gradients of one recorded Function call for several head gradients (a reused VJP, a
Jacobian's rows), and the dtypes gradients come back in when the Function computes in
another dtype than its inputs'."""

from __future__ import annotations

import numpy as onp
import pytest

import minpy.numpy as np
from minpy.symbol import Function

autograd = pytest.importorskip("minpy.autograd", reason="minpy-autograd not installed")


def _affine(mx, **kwargs):
    x, w = mx.sym.Variable("x"), mx.sym.Variable("w")
    return Function(mx.sym.dot(x, w), name="affine", **kwargs)


def test_a_reused_vjp_follows_each_head_gradient(mx):
    """Backward passes over the same call with different cotangents (MinPy memoises the
    gradients of the last cotangent: only for that very cotangent)."""
    fn = _affine(mx)
    rng = onp.random.RandomState(0)
    x, w = rng.randn(2, 3), rng.randn(3, 4)
    vjp, out = autograd.make_vjp(lambda x: fn(x=x, w=np.array(w)))(np.array(x))
    onp.testing.assert_allclose(out.asnumpy(), x @ w, rtol=1e-12)
    for k in range(3):
        g = rng.randn(2, 4)
        onp.testing.assert_allclose(vjp(np.array(g)).asnumpy(), g @ w.T, rtol=1e-12,
                                    err_msg=f"cotangent {k}")


def test_jacobian_rows_differ(mx):
    fn = _affine(mx)
    rng = onp.random.RandomState(1)
    x, w = rng.randn(1, 3), rng.randn(3, 2)
    jac = autograd.jacobian(lambda x: fn(x=x, w=np.array(w)))(np.array(x))
    # d out[0, j] / d x[0, i] = w[i, j]
    onp.testing.assert_allclose(jac.asnumpy().reshape(2, 3), w.T, rtol=1e-12)


@pytest.mark.parametrize("input_dtype", ["float64", "float16"])
def test_gradients_come_back_in_each_inputs_dtype(mx, input_dtype):
    """``Function(..., dtype='float32')`` computes in float32; the gradient of each
    input has that input's dtype, as documented."""
    fn = _affine(mx, dtype="float32")
    x = np.array(onp.arange(6.0).reshape(2, 3).astype(input_dtype))
    w = np.array(onp.ones((3, 4), dtype="float32"))
    gx, gw = autograd.grad(lambda x, w: np.sum(fn(x=x, w=w)), argnum=[0, 1])(x, w)
    assert gx.dtype == onp.dtype(input_dtype) and gw.dtype == onp.float32
    onp.testing.assert_allclose(gx.asnumpy(), onp.full((2, 3), 4.0))
    onp.testing.assert_allclose(gw.asnumpy(), onp.repeat(x.asnumpy().sum(0)[:, None], 4,
                                                         axis=1).astype("float32"))
