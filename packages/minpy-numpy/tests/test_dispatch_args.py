"""Arguments MXNet reads as text: NumPy scalars inside axes and shapes."""

import numpy
import pytest

import minpy.numpy as np
from minpy.core import mxnet_available

pytestmark = pytest.mark.skipif(not mxnet_available(), reason="MXNet is not installed")


@pytest.mark.parametrize("call, shape", [
    (lambda x: np.transpose(x, (numpy.int64(1), numpy.int64(0))), (3, 2)),
    (lambda x: np.reshape(x, (numpy.int64(3), numpy.int64(2))), (3, 2)),
    (lambda x: np.sum(x, axis=(numpy.int64(0),)), (3,)),
    (lambda x: np.sum(x, axis=numpy.int64(1)), (2,)),
    (lambda x: np.expand_dims(x, numpy.int32(0)), (1, 2, 3)),
])
def test_numpy_integer_parameters_run_on_mxnet(call, shape):
    x = np.arange(6.0).reshape(2, 3)
    with np.policy("prefer_mxnet"), np.fallback_mode("raise"):
        out = call(x)
    assert out.forms == ("mxnet",) and out.shape == shape
