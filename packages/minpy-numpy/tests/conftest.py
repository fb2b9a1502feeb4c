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

