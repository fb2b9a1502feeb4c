"""An ``Array`` method runs where the function of the same name runs: a method must not
fall back to NumPy (a conversion and a NumPy call) where ``np.<name>(a, ...)`` stays on
MXNet. ``a.reshape(...)`` did, because the method passed ``order="C"`` on, which the
MXNet entry rejects. Each method also gives NumPy's method's values (the conformance
suite's ``test_methods.py`` does so on its drawn examples, under every policy)."""

from __future__ import annotations

import numpy as onp
import pytest

import minpy.numpy as np
from minpy.core import mxnet_available
from minpy.core.operators import ARRAY_METHODS

pytestmark = pytest.mark.skipif(not mxnet_available(), reason="MXNet is not installed")

# Arguments for each method (the same ones go to the function after the array).
ARGS = {
    "argpartition": ((1,), {}), "choose": (([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]],), {}),
    "clip": ((0.0, 1.0), {}), "compress": (([True, False],), {"axis": 0}),
    "repeat": ((2,), {}), "searchsorted": (([0.6, 1.0, -1.0],), {"side": "right"}),
    "swapaxes": ((0, 1), {}), "take": (([0, 1],), {}), "reshape": (((3, 2),), {}),
    "transpose": ((), {}), "nonzero": ((), {}), "sum": ((), {"axis": 0}),
    "mean": ((), {"axis": 1}), "max": ((), {"axis": 0}), "cumsum": ((), {"axis": 0}),
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


def _fresh_indices():
    """(2, 3) int32 indices into the two choices of ``choose``, in MXNet only."""
    with np.policy("prefer_mxnet"):
        return np.arange(6, dtype="int32").reshape((2, 3)) % 2


def _fresh_sorted():
    """A sorted 1-d float32 Array (what ``searchsorted`` searches), in MXNet only."""
    with np.policy("prefer_mxnet"):
        return np.arange(6, dtype="float32") / 7 + 0.5


def _complex():
    """A (2, 3) complex64 Array (on the host: MXNet holds no complex numbers)."""
    return (np.arange(6, dtype="float32").reshape((2, 3)) + 1j).astype("complex64")


# conj/conjugate of a real array is the array itself (as NumPy's method): no call at all
# (test_conj_of_a_real_array_is_itself); the complex conjugate is a call.
OPERAND = {"choose": _fresh_indices, "searchsorted": _fresh_sorted, "conj": _complex,
           "conjugate": _complex}


def _numpy_method(host, name):
    """NumPy's own method of that name (``ptp`` left ndarray in NumPy 2: its function)."""
    if not hasattr(host, name):
        return lambda *a, **kw: getattr(onp, name)(host, *a, **kw)
    return getattr(host, name)


def _fallbacks(call):
    with np.policy("prefer_mxnet"), np.record_op_stat():
        out = call()
        stats = np.op_stats()
    return stats["fallbacks"], {k for k in stats["calls"]}, out


@pytest.mark.parametrize("name", NAMES)
def test_method_runs_where_the_function_runs_with_numpys_values(name):
    """The method makes the same calls as the function, on the same backends, with the
    same fallbacks (none where the function has none), and gives NumPy's method's
    values, dtype and shape."""
    args, kwargs = ARGS.get(name, ((), {}))
    make = OPERAND.get(name, _fresh)
    fn = FUNCTION.get(name, getattr(np, name))
    f_fallbacks, f_calls, _ = _fallbacks(lambda: fn(make(), *args, **kwargs))
    m_fallbacks, m_calls, got = _fallbacks(lambda: getattr(make(), name)(*args, **kwargs))
    assert m_fallbacks == f_fallbacks, (name, m_fallbacks, f_fallbacks)
    assert m_calls == f_calls, (name, m_calls ^ f_calls)
    want = _numpy_method(make().asnumpy(), name)(*args, **kwargs)
    for g, w in zip(got if isinstance(want, tuple) else [got],
                    want if isinstance(want, tuple) else [want]):
        g, w = g.asnumpy(), onp.asarray(w)
        assert g.dtype == w.dtype and g.shape == w.shape, (name, g.dtype, w.dtype)
        if w.dtype.kind == "f":
            onp.testing.assert_allclose(g, w, rtol=2e-7, err_msg=name)
        else:
            onp.testing.assert_array_equal(g, w, err_msg=name)


def test_reshape_method_stays_on_mxnet():
    """The case that was broken: both spellings of the method run reshape on MXNet."""
    for call in (lambda a: a.reshape((3, 2)), lambda a: a.reshape(3, 2),
                 lambda a: a.reshape(-1)):
        fallbacks, calls, _ = _fallbacks(lambda: call(_fresh()))
        assert not fallbacks
        assert ("reshape", "mxnet") in calls, calls
    # order="F" is NumPy's alone: it still works, in NumPy.
    a = _fresh()
    with np.policy("prefer_mxnet"):
        out = a.reshape((3, 2), order="F")
    assert out.tolist() == a.asnumpy().reshape((3, 2), order="F").tolist()


def test_conj_of_a_real_array_is_itself():
    for name in ("conj", "conjugate"):
        for a in (_fresh(), np.array(onp.array([True, False]))):
            fallbacks, calls, out = _fallbacks(lambda: getattr(a, name)())
            assert out is a and not fallbacks and not calls, (name, calls)
            assert out is a and getattr(a.asnumpy(), name)().dtype == out.dtype
    with pytest.raises(TypeError, match="non-numeric"):
        np.array(onp.array(["x"])).conj()
