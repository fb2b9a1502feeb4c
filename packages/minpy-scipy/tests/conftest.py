"""minpy-scipy's tests. The default (fast) profile checks each gradient rule at one set
of points; ``--thorough`` (or ``MINPY_TEST_PROFILE=thorough``) at several seeds and
broadcast shapes."""

from __future__ import annotations

import os

import numpy as onp
import pytest

import minpy.numpy as np

pytest.importorskip("scipy", reason="minpy.scipy's functions run SciPy on the host")


def pytest_addoption(parser):
    parser.addoption("--thorough", action="store_true",
                     help="minpy-scipy: check every rule at several seeds and shapes")


def pytest_configure(config):
    if config.getoption("--thorough", default=False):
        os.environ["MINPY_TEST_PROFILE"] = "thorough"


def thorough() -> bool:
    return os.environ.get("MINPY_TEST_PROFILE") == "thorough"


@pytest.fixture(params=[0, 1, 2] if os.environ.get("MINPY_TEST_PROFILE") == "thorough"
                else [0])
def seed(request):
    return request.param


@pytest.fixture(autouse=True)
def _restore_policy():
    saved = np.get_policy()
    yield
    np.set_global_policy(saved)
    np.reset_op_stat()


def uniform(rng, lo, hi, shape=(4,)):
    return np.array(rng.uniform(lo, hi, shape))


def normal(rng, shape=(4,)):
    return np.array(rng.standard_normal(shape))


def host(x):
    return onp.asarray(x.asnumpy() if hasattr(x, "asnumpy") else x)
