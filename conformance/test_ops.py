"""Every op-table entry against real NumPy, under every policy, on every device.

The inputs come from the strategy table (:mod:`strategies`); each example also draws
whether the array arguments start as host (NumPy) or MXNet-resident Arrays, so both the
conversion and the no-conversion paths of each implementation run.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import harness
import minpy.numpy.random  # noqa: F401  (registers the random entries)
import strategies
from minpy.numpy._table import TABLE

NAMES = sorted(TABLE)


@pytest.mark.parametrize("name", NAMES)
def test_op_matches_numpy(name, policy_name, device):
    if name not in strategies.OPS:
        pytest.fail(f"{name} has no strategy in conformance/strategies.py")

    @given(call=strategies.strategy(name), resident=st.booleans())
    def run(call, resident):
        harness.check(name, call, policy_name, device, resident)

    run()


@pytest.mark.parametrize("name", NAMES)
def test_bad_input_raises_numpys_exception(name, policy_name, device):
    """Shape mismatch -> ValueError, bad axis -> AxisError, ...: NumPy's exception type."""
    strategy = strategies.error_strategy(name)
    if strategy is None:
        pytest.skip(f"numpy.{name} accepts every array")

    @given(call=strategy, resident=st.booleans())
    def run(call, resident):
        ref, res, ref_exc, res_exc = harness.call_both(name, call, policy_name, device,
                                                       resident)
        if ref_exc is None:  # this NumPy accepts it (NumPy 1 with 0-d nonzero, ...)
            assert res_exc is None, f"NumPy accepted {call!r}; MinPy raised {res_exc!r}"
            return
        if isinstance(res_exc, NotImplementedError) and policy_name == "only_mxnet":
            return
        assert res_exc is not None, f"NumPy raised {ref_exc!r}; MinPy returned {res!r}"
        assert isinstance(res_exc, type(ref_exc)), (
            f"NumPy raised {type(ref_exc).__name__}: {ref_exc}; MinPy raised "
            f"{type(res_exc).__name__}: {res_exc}")

    run()
