"""An ``Array`` method runs where the function of the same name runs: a method must not
fall back to NumPy (a conversion and a NumPy call) where ``np.<name>(a, ...)`` stays on
MXNet. ``a.reshape(...)`` did, because the method passed ``order="C"`` on, which the
MXNet entry rejects."""

from __future__ import annotations

import pytest

import minpy.numpy as np
from minpy.core import mxnet_available
from minpy.core.operators import ARRAY_METHODS

pytestmark = pytest.mark.skipif(not mxnet_available(), reason="MXNet is not installed")

# Arguments for each method (the same ones go to the function after the array).
ARGS = {
    "argpartition": ((1,), {}), "choose": None, "clip": ((0.0, 1.0), {}),
    "compress": (([True, False],), {"axis": 0}), "repeat": ((2,), {}),
    "searchsorted": None, "swapaxes": ((0, 1), {}), "take": (([0, 1],), {}),
    "reshape": (((3, 2),), {}), "transpose": ((), {}), "nonzero": ((), {}),
    "sum": ((), {"axis": 0}), "mean": ((), {"axis": 1}), "max": ((), {"axis": 0}),
    "cumsum": ((), {"axis": 0}),
}
# Functions that take the array in another position than the first.
FUNCTION = {
    "compress": lambda a, condition, **kw: np.compress(condition, a, **kw),
}
NAMES = sorted(set(ARRAY_METHODS) | {"reshape", "transpose", "nonzero", "compress"})


def _fresh():
    """A (2, 3) float32 Array that lives in MXNet only."""
    with np.policy("prefer_mxnet"):
        a = np.arange(6, dtype="float32").reshape((2, 3)) / 7
        a = a + 0.5  # an MXNet result: no host copy
    return a


def _fallbacks(call):
    with np.policy("prefer_mxnet"), np.record_op_stat():
        call()
        stats = np.op_stats()
    return stats["fallbacks"], {k for k in stats["calls"]}


@pytest.mark.parametrize("name", NAMES)
def test_method_falls_back_only_where_the_function_does(name):
    spec = ARGS.get(name, ((), {}))
    if spec is None:
        pytest.skip(f"{name}: needs operands of another kind (covered by conformance/)")
    args, kwargs = spec
    fn = FUNCTION.get(name, getattr(np, name))
    f_fallbacks, f_calls = _fallbacks(lambda: fn(_fresh(), *args, **kwargs))
    m_fallbacks, m_calls = _fallbacks(lambda: getattr(_fresh(), name)(*args, **kwargs))
    if not f_fallbacks:
        assert not m_fallbacks, (name, m_fallbacks, m_calls)


def test_reshape_method_stays_on_mxnet():
    """The case that was broken: both spellings of the method run reshape on MXNet."""
    for call in (lambda a: a.reshape((3, 2)), lambda a: a.reshape(3, 2),
                 lambda a: a.reshape(-1)):
        fallbacks, calls = _fallbacks(lambda: call(_fresh()))
        assert not fallbacks
        assert ("reshape", "mxnet") in calls, calls
    # order="F" is NumPy's alone: it still works, in NumPy.
    a = _fresh()
    with np.policy("prefer_mxnet"):
        out = a.reshape((3, 2), order="F")
    assert out.tolist() == a.asnumpy().reshape((3, 2), order="F").tolist()
