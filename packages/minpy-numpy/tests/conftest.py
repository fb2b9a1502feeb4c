"""Every test starts from MinPy's defaults and leaves them as it found them."""

from __future__ import annotations

import pytest

import minpy.core as core
import minpy.numpy as np


@pytest.fixture(autouse=True)
def _restore_globals():
    from minpy.numpy.policy import set_fallback_mode
    saved = (np.get_policy(), np.get_default_float_dtype(), core.get_transfer_guard())
    yield
    np.set_global_policy(saved[0])
    np.set_default_float_dtype(saved[1])
    core.set_transfer_guard(saved[2])
    set_fallback_mode("ignore")
    np.reset_op_stat()



# -- the CuPy stand-in (conformance/cupy_standin.py) --------------------------------------
from _standin import cupy_standin  # noqa: E402


@pytest.fixture
def standin():
    """The CuPy stand-in (NumPy behind the real CuPy 14's names; NOT a GPU) as ``cupy``,
    with MinPy's CuPy loader reset: nothing of MinPy has loaded it yet."""
    from minpy.core import _cupy
    if _cupy.available() and not cupy_standin.is_standin(_cupy.load()):
        pytest.skip("a real CuPy with a GPU is present: the stand-in is not injected")
    reason = cupy_standin.unavailable_reason()
    if reason:
        pytest.skip(reason)
    with cupy_standin.installed() as cp:
        yield cp


@pytest.fixture
def standin_gpu(standin):
    """``gpu(0)`` served by the stand-in, current for the test, under 'prefer_mxnet' (the
    device backend for every op it has, whatever the sizes)."""
    policy = pytest.importorskip("minpy.numpy.policy")
    with policy.policy("prefer_mxnet"), core.device(core.gpu(0)) as dev:
        yield dev
