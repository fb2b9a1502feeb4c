"""Every op-table entry, captured and replayed, equals eager MinPy.

The inputs are the conformance suite's examples (``conformance/strategies.py``, a few
per op, derandomised). For each example the op runs eagerly, then through ``jit``
twice -- the capture and a replay -- each time on fresh copies of the inputs and after
seeding NumPy's generator alike; the three answers must be the same values (bit for
bit: the host engine calls the very NumPy functions eager MinPy calls), dtypes and
shapes, or the same exception type. Every op must replay at least one example (or be
listed in :data:`NOT_REPLAYED` with why).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as onp
import pytest
from hypothesis import HealthCheck, given, settings

import minpy.numpy as np
import minpy.numpy.random  # noqa: F401  (registers the random entries)
from minpy.core import Array, cpu
from minpy.jit import JitWarning, jit
from minpy.numpy._table import TABLE

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "conformance"))
strategies = pytest.importorskip("strategies", reason="conformance/ not found")
harness = pytest.importorskip("harness", reason="conformance/ not found")

NAMES = sorted(TABLE)
EXAMPLES = 3

#: Ops none of whose examples is replayed, and why.
NOT_REPLAYED = {}


def _fresh(x):
    return harness.to_minpy(x, cpu(), False)


def _run(fn, call):
    np.random.seed(1234)  # NumPy's and MXNet's generators
    try:
        with warnings.catch_warnings(), onp.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return fn(*_fresh(call.args), **_fresh(call.kwargs)), None
    except Exception as exc:  # noqa: BLE001 - compared below
        return None, exc


def _values(x):
    if isinstance(x, Array):
        return ("A", x.dtype, x.shape, x.asnumpy())
    if isinstance(x, (tuple, list)):
        return (type(x).__name__, [_values(v) for v in x])
    return ("v", x)


def _same(a, b, where, meta_only=False):
    if isinstance(a, tuple) and a and a[0] == "A":
        assert b[0] == "A", where
        assert (a[1], a[2]) == (b[1], b[2]), f"{where}: {a[1:3]} vs {b[1:3]}"
        if not meta_only:  # empty(): the values are whatever the memory held
            onp.testing.assert_array_equal(a[3], b[3], err_msg=where, strict=True)
        return
    if isinstance(a, tuple) and len(a) == 2 and isinstance(a[1], list):
        assert a[0] == b[0] and len(a[1]) == len(b[1]), where
        for x, y in zip(a[1], b[1]):
            _same(x, y, where, meta_only)
        return
    assert type(a[1]) is type(b[1]), where
    if a[1] != a[1]:  # NaN
        assert b[1] != b[1], where
    else:
        assert a[1] == b[1], where


REPLAYED = {}


MX_NAMES = [n for n in NAMES if "mxnet" in TABLE[n].impls]


def test_every_op_has_a_strategy():
    missing = [n for n in NAMES if n not in strategies.OPS]
    assert not missing, f"no strategy in conformance/strategies.py for {missing}"


@pytest.mark.parametrize("name", NAMES)
def test_op_captured_and_replayed_equals_eager(name):
    """The default policy: NumPy on the CPU, the host engine."""
    _check_op(name, "auto", EXAMPLES)


@pytest.mark.parametrize("name", MX_NAMES)
def test_op_on_mxnet_captured_and_replayed_equals_eager(name):
    """'prefer_mxnet': the MXNet engine (one CachedOp), or the dispatch engine where a
    program has no symbol; results as eager MXNet's, bit for bit."""
    _check_op(name, "prefer_mxnet", 2)


def _check_op(name, policy, examples):
    fn = harness.minpy_fn(name)
    replayed = [0]

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(call=strategies.strategy(name))
    def run(call):
        jf = jit(fn)
        with warnings.catch_warnings(), np.policy(policy):
            warnings.simplefilter("ignore", JitWarning)
            eager, e_exc = _run(fn, call)
            first, c_exc = _run(jf, call)
            again, r_exc = _run(jf, call)
        where = f"{name}{call!r}"
        if e_exc is not None:
            assert isinstance(c_exc, type(e_exc)), f"{where}: capture raised {c_exc!r}"
            assert isinstance(r_exc, type(e_exc)), f"{where}: second call raised {r_exc!r}"
            return
        assert jf.stats["replay_errors"] == 0, f"{where}: the replay failed"
        assert c_exc is None, f"{where}: eager returned, capture raised {c_exc!r}"
        assert r_exc is None, f"{where}: eager returned, replay raised {r_exc!r}"
        ref = _values(eager)
        meta_only = call.check == "meta"
        _same(ref, _values(first), where + " (capture)", meta_only)
        _same(ref, _values(again), where + " (replay)", meta_only)
        assert jf.stats["replay_errors"] == 0, f"{where}: the replay failed"
        replayed[0] += jf.stats["replays"]

    run()
    if replayed[0] == 0 and name not in NOT_REPLAYED:
        pytest.fail(f"{name}: no example was replayed (every call ran eagerly or "
                    "raised)")
