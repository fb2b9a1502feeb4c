"""The judge judged: the harness rejects planted wrong results and never counts an
example that compared nothing as a pass.

The planted bugs run through :func:`harness.compare` on the very inputs the suite
draws for the op (its strategy, float dtype forced): float16 ``tanh`` returning zeros,
float16 ``cos`` returning ``sin``, float32 results off by 0.4 on values of magnitude
<= 1 (elementwise, accumulating and linear-algebra ops). Every example where the bug
changes the answer must fail; the correct answers must pass.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import harness
import strategies
from strategies import Call


def _ref(name, call):
    with np.errstate(all="ignore"):
        return np.asarray(harness.numpy_ref(name)(*call.args, **call.kwargs))


def _rejects(name, call, wrong):
    try:
        harness.compare(call, _ref(name, call), wrong, call.check, call.rtol_scale,
                        call.info, name=name)
    except AssertionError:
        return True
    return False


def _unary(dtype, **el):
    return strategies.an_array([dtype], min_side=1, **el).map(lambda x: Call((x,)))


@settings(max_examples=40)
@given(call=_unary("float16"))
def test_float16_tanh_returning_zeros_is_rejected(call):
    ref = _ref("tanh", call)
    assert not _rejects("tanh", call, ref.copy())          # the right answer passes
    wrong = np.zeros_like(ref)
    if np.all(ref == 0):
        return                                             # tanh(0) is 0: no bug to see
    assert _rejects("tanh", call, wrong), call


@settings(max_examples=40)
@given(call=_unary("float16"))
def test_float16_cos_returning_sin_is_rejected(call):
    ref = _ref("cos", call)
    assert not _rejects("cos", call, ref.copy())
    with np.errstate(all="ignore"):
        wrong = np.sin(call.args[0])
    differ = ~np.isclose(wrong.astype(float), ref.astype(float), rtol=0.05, atol=0.05,
                         equal_nan=True)
    if not differ.any():
        return            # only where cos and sin agree to 5 % (x near pi/4 + k pi)
    assert _rejects("cos", call, wrong), call


@pytest.mark.parametrize("name", ["sin", "exp", "tanh", "sqrt", "sum", "mean", "cumsum",
                                  "matmul", "dot", "einsum", "linalg.inv", "linalg.solve",
                                  "linalg.norm", "std"])
def test_float32_error_of_0_4_on_values_up_to_1_is_rejected(name):
    """Results of magnitude <= 1, one element off by 0.4: rejected for every op kind."""
    seen = []

    @settings(max_examples=15)
    @given(call=_small_float32_call(name))
    def run(call):
        ref = _ref(name, call)
        if (ref.dtype != np.float32 or ref.size == 0 or not np.isfinite(ref).all()
                or np.max(np.abs(ref)) > 1):
            return
        assert not _rejects(name, call, ref.copy()), call
        wrong = ref.copy()
        wrong.flat[0] += np.float32(0.4) if wrong.flat[0] <= 0.5 else np.float32(-0.4)
        assert _rejects(name, call, wrong), call
        seen.append(1)

    run()
    assert seen, f"no example of {name} had float32 results of magnitude <= 1"


def _small_float32_call(name):
    """The op's own strategy, with float32 inputs of magnitude <= 1 (scaled)."""
    def shrink(call):
        def fix(x):
            if isinstance(x, np.ndarray) and x.dtype.kind in "fiub":
                x = x.astype(np.float32)
                finite = np.isfinite(x)
                x = np.where(finite, x, 0).astype(np.float32)
                top = float(np.max(np.abs(x))) if x.size else 0.0
                return (x / (top * max(1, x.size)) if top > 0 else x).astype(np.float32)
            if isinstance(x, (list, tuple)):
                return type(x)(fix(v) for v in x)
            return x
        call.args = tuple(fix(a) for a in call.args)
        if name.startswith("linalg.") and name not in ("linalg.norm",):
            a = call.args[0]
            n = a.shape[-1]
            call.args = (a + (n + 1) * np.eye(n, dtype=np.float32),) + call.args[1:]
        return call
    return strategies.strategy(name).map(shrink)


# -- outcomes are counted, and nothing compared fails ------------------------------------
def test_a_test_that_compares_nothing_fails():
    tally = harness.Tally("add", "only_mxnet", "cpu", recorded=True)
    tally.add("'only_mxnet' declined: dtype int16", True, False)
    with pytest.raises(AssertionError, match="compared nothing"):
        harness.assert_judged(tally, 0.0)


def test_declined_examples_are_counted_not_passed():
    import minpy.core as core
    call = Call((np.ones(3, "int16"), np.ones(3, "int16")))
    tally = harness.Tally("add", "only_mxnet", "cpu", recorded=True)
    outcome = harness.check("add", call, "only_mxnet", core.cpu(), False, tally)
    assert outcome.startswith("'only_mxnet' declined"), outcome
    assert tally.compared == 0 and tally.not_compared == 1
    assert "declined" in tally.line()


def test_mxnet_error_on_accepted_input_fails_under_only_mxnet():
    tally = harness.Tally("flip", "only_mxnet", "cpu", recorded=True)
    tally.add(harness.COMPARED, True, True)
    tally.add("MXNet raised on input NumPy accepts: MXNet raised X", True, False)
    with pytest.raises(AssertionError, match="accepts is too loose"):
        harness.assert_judged(tally, 0.0)


def test_backend_share_is_asserted():
    tally = harness.Tally("add", "prefer_mxnet", "cpu", recorded=True)
    for i in range(10):
        tally.add(harness.COMPARED, True, i < 3)
    with pytest.raises(AssertionError, match="ran on MXNet"):
        harness.assert_judged(tally, 0.4)
    harness.assert_judged(tally, 0.3)


def test_prefer_mxnet_really_runs_on_mxnet():
    import minpy.core as core
    pytest.importorskip("mxnet")
    tally = harness.Tally("add", "prefer_mxnet", "cpu", recorded=True)
    call = Call((np.ones(3, "float32"), np.ones(3, "float32")))
    harness.check("add", call, "prefer_mxnet", core.cpu(), False, tally)
    assert tally.on_mxnet == 1, tally.line()


@given(st.just(0))
def test_exact_ops_tolerate_nothing(_):
    call = Call((np.arange(4, dtype="float32"), (2, 2)), tol="exact")
    ref = np.arange(4, dtype="float32").reshape(2, 2)
    wrong = ref.copy()
    wrong[1, 1] = np.nextafter(wrong[1, 1], np.float32(10))
    with pytest.raises(AssertionError):
        harness.compare(call, ref, wrong, name="reshape")


def test_stale_known_errors_are_found():
    """The staleness judgement of test_ops.py on planted tallies: an entry whose op ran
    under 'only_mxnet' without an MXNet error is stale; one that still raises, or did
    not run in this session, is not; an entry that names no MXNet kernel is."""
    def tally(name, policy, **outcomes):
        t = harness.Tally(name, policy, "cpu")
        t.outcomes.update(outcomes)
        return t

    raised = {"MXNet raised on input NumPy accepts: x": 2, harness.COMPARED: 5}
    tallies = [tally("exp", "only_mxnet", **{harness.COMPARED: 15}),
               tally("exp", "prefer_mxnet", **{harness.COMPARED: 15}),
               tally("sin", "only_mxnet", **raised),
               tally("cos", "prefer_mxnet", **{harness.COMPARED: 15})]
    known = {"exp": "fixed since", "sin": "still raises", "cos": "not run under only_mxnet",
             "no_such_op": "a typo"}
    assert harness.stale_known_errors(known, tallies) == ["exp", "no_such_op"]
    assert harness.stale_known_errors({}, tallies) == []
