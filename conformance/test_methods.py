"""Every ``Array`` method against NumPy's method of the same name, on the suite's drawn
examples, under every policy, on every device.

A method is the namespace function applied to ``self`` (``a.sum(axis=0)`` is
``np.sum(a, axis=0)``), but it is a separate code path: it passes its own defaults and
keywords (``reshape`` did pass ``order='C'`` on, which sent every call to NumPy), takes
its arguments in another order (``a.compress(c)`` is ``np.compress(c, a)``), and NumPy's
methods are the reference (``ndarray.ptp`` left NumPy 2: there the function is). Each
example is judged as ``test_ops.py`` judges the functions (values, dtype, shape, the
exception type where NumPy raises), whether or not MinPy ran it on MXNet; the share run
on MXNet under the MXNet policies must be the function's.

The inputs are the op table's strategies (``strategies.py``) for the functions of the
same name; the methods whose functions are NumPy fallbacks (``choose``,
``searchsorted``, ``argpartition``, ``compress``, ``conj``, ``conjugate``,
``cumprod``, ``ptp``) have theirs here.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import harness
import strategies as S
from minpy.core.operators import ARRAY_METHODS
from strategies import Call
from test_ops import KNOWN_MX_ERRORS, min_share

#: Every method that is a NumPy function of the same name applied to the array.
NAMES = sorted(set(ARRAY_METHODS) | {"reshape", "transpose", "nonzero", "compress"})


# -- strategies for the methods whose functions are not in the op table ------------------
@st.composite
def _argpartition(draw):
    a = draw(S.an_array(S.REAL, min_dims=1, min_side=1))
    axis = draw(st.integers(-a.ndim, a.ndim - 1))
    n = a.shape[axis]
    return Call((a, draw(st.integers(-n, n - 1))), {"axis": axis}, tol="exact")


@st.composite
def _choose(draw):
    k = draw(st.integers(1, 3))
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=k + 1, max_dims=3,
                                                     min_side=1, max_side=3)).input_shapes
    mode = draw(st.sampled_from([None, "wrap", "clip"]))
    lo, hi = (0, k - 1) if mode is None else (-k, 2 * k)
    idx = draw(hnp.arrays(draw(st.sampled_from(["int32", "int64"])), shapes[0],
                          elements=st.integers(lo, hi)))
    dtype = S.a_dtype(draw, S.NUMERIC)
    choices = [draw(S.arrays(dtype, s)) for s in shapes[1:]]
    return Call((idx, choices), {} if mode is None else {"mode": mode}, tol="exact")


@st.composite
def _compress(draw):
    a = draw(S.an_array(S.NUMERIC, min_dims=1))
    axis = draw(st.one_of(st.none(), st.integers(-a.ndim, a.ndim - 1)))
    n = a.size if axis is None else a.shape[axis]
    cond = draw(st.lists(st.booleans(), max_size=n))
    kw = {} if axis is None else {"axis": axis}
    return Call((np.array(cond, dtype=bool), a), kw, tol="exact")


@st.composite
def _searchsorted(draw):
    a = np.sort(draw(S.an_array(S.REAL, min_dims=1, max_dims=1, finite=True)))
    if draw(st.booleans()):
        v = draw(S.an_array([str(a.dtype)], max_dims=2, finite=True))
    else:
        v = draw(st.integers(-100, 100))
    kw = {"side": draw(st.sampled_from(["left", "right"]))} if draw(st.booleans()) else {}
    return Call((a, v), kw, tol="exact")


EXTRA = {
    "argpartition": _argpartition(),
    "choose": _choose(),
    "compress": _compress(),
    "conj": S.unary("conj", dtypes=S.NUMERIC),
    "conjugate": S.unary("conjugate", dtypes=S.NUMERIC),
    "cumprod": S.reduction("cumprod", dtypes=S.NUMERIC, tuple_axis=False, keepdims=False,
                           lo=-3, hi=3).map(lambda c: Call(c.args, c.kwargs,
                                                           tol="accumulate")),
    "ptp": S.reduction("ptp", dtypes=S.REAL, lo=-100, hi=100),
    "searchsorted": _searchsorted(),
}


def strategy(name):
    return EXTRA[name] if name in EXTRA else S.strategy(name)


# -- the method form of a function call ----------------------------------------------------
def _split(name, args):
    """``(self, method arguments)`` of the function call's positional ``args``."""
    if name == "compress":                       # np.compress(condition, a, ...)
        return args[1], (args[0],) + tuple(args[2:])
    return args[0], tuple(args[1:])


def numpy_method(name):
    def call(*args, **kwargs):
        self, rest = _split(name, args)
        if not hasattr(self, name):              # ndarray.ptp is gone in NumPy 2
            return getattr(np, name)(self, *rest, **kwargs)
        return getattr(self, name)(*rest, **kwargs)
    return call


def minpy_method(name):
    def call(*args, **kwargs):
        self, rest = _split(name, args)
        return getattr(self, name)(*rest, **kwargs)
    return call


def test_every_method_has_inputs():
    missing = [n for n in NAMES if n not in EXTRA and n not in S.OPS]
    assert not missing, f"methods without a strategy: {missing}"


@pytest.mark.parametrize("name", NAMES)
def test_method_matches_numpys(name, policy_name, device):
    kernel = harness.has_mxnet_kernel(name)
    if policy_name == "only_mxnet" and not kernel:
        pytest.skip(f"{name} has no MXNet kernel: 'only_mxnet' can only decline it")
    tally = harness.Tally("method " + name, policy_name, device.kind,
                          recorded=kernel and policy_name in ("prefer_mxnet", "only_mxnet"))
    ref_fn, res_fn = numpy_method(name), minpy_method(name)

    @given(call=strategy(name), resident=st.booleans())
    def run(call, resident):
        assume(isinstance(_split(name, call.args)[0], np.ndarray))
        harness.check(name, call, policy_name, device, resident, tally, ref_fn=ref_fn,
                      res_fn=res_fn)

    try:
        run()
    finally:
        harness.TALLIES.append(tally)
    harness.assert_judged(tally, min_share(name), name in KNOWN_MX_ERRORS)
