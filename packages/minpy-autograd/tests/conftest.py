import numpy as onp
import pytest

import minpy.numpy as np

POLICIES = ("prefer_mxnet", "only_numpy")


@pytest.fixture(params=POLICIES)
def policy(request):
    with np.policy(request.param):
        yield request.param


@pytest.fixture
def rng():
    return onp.random.default_rng(0)
