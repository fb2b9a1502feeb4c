"""Every op-table entry against real NumPy, under every policy, on every device.

The inputs come from the strategy table (:mod:`strategies`); each example also draws
whether the array arguments start as host (NumPy) or MXNet-resident Arrays, so both the
conversion and the no-conversion paths of each implementation run.

Each example either compares (values, or the exception type when NumPy rejects the
input) or is counted with the reason it compared nothing (:class:`harness.Tally`); a
test fails when

* it compared nothing at all;
* under 'only_mxnet', MXNet raised on an input NumPy accepts (the op's ``accepts``
  let through a call its kernel cannot do);
* under 'prefer_mxnet' or 'only_mxnet', fewer than :func:`min_share` of the examples
  NumPy accepts actually ran on MXNet (a suite that checks NumPy against NumPy judges
  nothing).
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

#: Share of the examples NumPy accepts that must run on MXNet under 'prefer_mxnet' and
#: 'only_mxnet', for ops with an MXNet kernel.
MIN_SHARE = 0.4

#: Ops MXNet serves for a narrower set of the drawn inputs, with the share they must
#: still reach and why (from the report's "fell back" column).
_NARROW = 0.2
LOW_SHARE = {
    "random.randint": (_NARROW, "MXNet's randint makes int32/int64 only"),
    "argmax": (_NARROW, "keepdims and bool inputs stay in NumPy"),
    "argmin": (_NARROW, "keepdims and bool inputs stay in NumPy"),
    "repeat": (_NARROW, "array repeats and axis=None stay in NumPy"),
    "take": (_NARROW, "zero-size arrays stay in NumPy"),
    "getitem": (_NARROW, "advanced (array) indices stay in NumPy"),
    "flip": (_NARROW, "bool inputs stay in NumPy"),
    "linalg.svd": (_NARROW, "MXNet's svd takes no rectangular batches as NumPy does"),
    "diagflat": (_NARROW, "MXNet's diagflat takes 1-d input only"),
    "sort": (_NARROW, "axis=None on n-d, NaN and bool inputs stay in NumPy"),
    "argsort": (_NARROW, "axis=None on n-d, NaN and bool inputs stay in NumPy"),
}


def min_share(name):
    return LOW_SHARE.get(name, (MIN_SHARE, ""))[0]


#: Ops whose ``accepts`` still lets through calls MXNet's kernel raises on (found by
#: this suite; the fix belongs in the op table). Under 'only_mxnet' their "MXNet
#: raised" examples stay counted and shown in the report, but do not fail the test.
#: An entry whose op no longer raises is reported by ``test_known_mx_errors_are_not_stale``.
KNOWN_MX_ERRORS: dict = {}


@pytest.mark.parametrize("name", NAMES)
def test_op_matches_numpy(name, policy_name, device):
    if name not in strategies.OPS:
        pytest.fail(f"{name} has no strategy in conformance/strategies.py")
    kernel = harness.has_mxnet_kernel(name)
    if policy_name == "only_mxnet" and not kernel:
        pytest.skip(f"{name} has no MXNet kernel: 'only_mxnet' can only decline it")
    tally = harness.Tally(name, policy_name, device.kind,
                          recorded=kernel and policy_name in ("prefer_mxnet", "only_mxnet"))

    @given(call=strategies.strategy(name), resident=st.booleans())
    def run(call, resident):
        harness.check(name, call, policy_name, device, resident, tally)

    try:
        run()
    finally:
        harness.TALLIES.append(tally)
    harness.assert_judged(tally, min_share(name), name in KNOWN_MX_ERRORS)


def test_known_mx_errors_are_not_stale():
    """An op listed in KNOWN_MX_ERRORS whose 'only_mxnet' run (earlier in this session)
    no longer met an MXNet error on accepted input has been fixed: the entry must go.
    (One test over the list, so an empty list is no empty parametrisation skip; the
    judgement itself is tested on planted tallies in test_harness.py.)"""
    stale = harness.stale_known_errors(KNOWN_MX_ERRORS, harness.TALLIES)
    assert not stale, f"{stale} no longer raise in MXNet: remove them from KNOWN_MX_ERRORS"


def test_every_cupy_entry_ran_on_cupy(request):
    """On a GPU CuPy serves (the stand-in's included), every op-table entry with a CuPy
    implementation compared values under 'only_cupy' in this session, except those
    whose op test is a known defect (``conftest.CUPY_XFAIL``, each an xfail that must
    pass once fixed). Runs after the op tests (it reads their tallies)."""
    import conftest
    if "only_cupy" not in conftest.POLICIES or not conftest._cupy_leg():
        pytest.skip("no 'only_cupy' run on a GPU CuPy serves in this session")
    ran = {t.name for t in harness.TALLIES if t.policy == "only_cupy" and t.device == "gpu"}
    entries = harness.cupy_entries()
    if not set(entries) <= ran:
        pytest.skip(f"only {len(ran & set(entries))} of {len(entries)} CuPy entries' op "
                    "tests ran in this session (a selection): coverage not judged")
    known = {name for name, pol in conftest.CUPY_XFAIL if pol == "only_cupy"}
    reached, unreached = harness.cupy_coverage()
    missing = [n for n in unreached if n not in known]
    assert not missing, f"never ran on CuPy under 'only_cupy': {missing}"
    assert len(reached) + len(known & set(unreached)) == len(entries)
