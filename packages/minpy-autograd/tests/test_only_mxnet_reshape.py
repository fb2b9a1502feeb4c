"""Gradients through reshape/ravel stay on MXNet under 'only_mxnet' (the rules pass
``order='C'``, which MXNet's reshape takes)."""

import numpy as onp
import pytest

import minpy.numpy as np
from minpy.autograd import grad
from minpy.core import mxnet_available

pytestmark = pytest.mark.skipif(not mxnet_available(), reason="MXNet is not installed")


W = np.array(onp.arange(6.0))


@pytest.mark.parametrize("fn", [
    lambda x: np.sum(np.reshape(x, (3, 2)) * W.reshape(3, 2)),
    lambda x: np.sum(np.ravel(x) * W),
    lambda x: np.sum(x.reshape(6) * W),
])
def test_reshape_gradient_under_only_mxnet(fn):
    x = np.ones((2, 3))
    with np.policy("only_mxnet"):
        g = grad(fn)(x)
    onp.testing.assert_allclose(onp.asarray(g), onp.arange(6.0).reshape(2, 3))
