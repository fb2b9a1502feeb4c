"""``==``/``!=`` with an operand the ufunc has no loop for behave as ndarray's."""

import numpy as onp
import pytest

import minpy.numpy as np


@pytest.mark.parametrize("policy", ["auto", "prefer_mxnet", "only_numpy"])
@pytest.mark.parametrize("op", ["__eq__", "__ne__"])
@pytest.mark.parametrize("other", ["abc", None, object()])
def test_comparison_without_a_loop_matches_numpy(policy, op, other):
    ref = getattr(onp.ones(3), op)(other)
    with np.policy(policy):
        got = getattr(np.ones(3), op)(other)
    if isinstance(ref, onp.ndarray):
        assert got.dtype == ref.dtype and got.shape == ref.shape
        onp.testing.assert_array_equal(onp.asarray(got), ref)
    else:
        assert got == ref


def test_shape_mismatch_still_raises_as_numpy():
    with pytest.raises(ValueError):
        onp.ones(3) == onp.ones(4)  # noqa: B015 (the comparison is the test)
    with pytest.raises(ValueError):
        np.ones(3) == np.ones(4)  # noqa: B015
