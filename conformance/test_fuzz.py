"""The differential program fuzzer (:mod:`fuzz`) under every policy and mode.

Each test draws programs of 3 to 12 steps (:func:`fuzz.programs`) and runs them in MinPy
and in NumPy: ``eager`` (every step's result and exception, then every slot's values,
dtype, writeability and memory sharing), ``grad`` (values and gradients against finite
differences), ``jit`` (capture and replay) and ``jit+grad``. CI runs
:data:`EXAMPLES` programs per test with Hypothesis's fixed seed (the conformance
profile is derandomised); ``--thorough`` draws :data:`THOROUGH_EXAMPLES` with random
seeds (``MINPY_FUZZ_EXAMPLES`` sets either). :data:`fuzz.REGRESSIONS` run first.

Each test's programs join the conformance report (``fuzz:<mode>``: programs compared,
programs refused as documented); a ``--thorough`` run also appends a line per test to
``build/conformance/fuzz-thorough.log`` (or ``MINPY_FUZZ_LOG``: programs, steps,
refused, seconds), the record of what it explored.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest
from hypothesis import given, settings

import fuzz_test as fuzz
import harness
import minpy.numpy as mnp
from conftest import REPORT_DIR, thorough

#: Programs per (mode, policy) in CI, and under --thorough.
EXAMPLES = {"eager": 40, "grad": 12, "jit": 15, "jit+grad": 8}
THOROUGH_EXAMPLES = 1000
#: Why a program was not compared (its reason in the report).
REFUSED = "MinPy refused a step as documented (traced write, strict policy)"


def _examples(mode):
    if os.environ.get("MINPY_FUZZ_EXAMPLES"):
        return int(os.environ["MINPY_FUZZ_EXAMPLES"])
    if os.environ.get("MINPY_TEST_PROFILE") == "thorough":
        return THOROUGH_EXAMPLES
    return EXAMPLES[mode]


def _jit_or_skip(mode):
    if mode.startswith("jit"):
        pytest.importorskip("minpy.jit", reason="minpy.jit is not installed: the jit "
                            "modes need it")


@pytest.mark.parametrize("mode", fuzz.MODES)
def test_fuzzed_programs(mode, policy_name):
    _jit_or_skip(mode)
    compared = []
    steps = []
    tally = harness.Tally(f"fuzz:{mode}", policy_name, "cpu")
    start = time.perf_counter()

    @settings(max_examples=_examples(mode))
    @given(drawn=fuzz.programs(mode))
    def run(drawn):
        program, tainted = drawn
        # False: MinPy refused a step under grad as documented (counted, not compared)
        compared.append(fuzz.check(program, tainted, mode, policy_name, mnp))
        steps.append(len(program.steps))
        tally.add(harness.COMPARED if compared[-1] else REFUSED, True, False)

    try:
        run()
    finally:
        harness.TALLIES.append(tally)
        if thorough():
            REPORT_DIR.mkdir(parents=True, exist_ok=True)
            log_path = os.environ.get("MINPY_FUZZ_LOG", REPORT_DIR / "fuzz-thorough.log")
            with open(log_path, "a") as log:
                log.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {mode:<9}{policy_name:<13}"
                          f"programs {len(compared):>5} steps {sum(steps):>6} refused "
                          f"{len(compared) - sum(compared):>4} seconds "
                          f"{time.perf_counter() - start:7.1f}\n")
    # most programs compare something: a generator that only made refused programs
    # would test nothing
    assert sum(compared) >= 0.5 * len(compared), (
        f"{len(compared) - sum(compared)} of {len(compared)} programs were refused")


_CASES = [(r, m) for r in fuzz.REGRESSIONS for m in r.modes]


@pytest.mark.parametrize("case", _CASES, ids=[f"{r.name}-{m}" for r, m in _CASES])
def test_regression(case, policy_name):
    regression, mode = case
    _jit_or_skip(mode)
    compared = fuzz.check(regression.program, regression.tainted, mode, policy_name, mnp)
    if policy_name in regression.refused_under:
        assert not compared, f"{regression.name}: {policy_name} no longer refuses a step"
    else:
        assert compared, f"{regression.name}: MinPy refused a step ({regression.found})"


def _drawn(inputs, steps):
    """The program and its tainted slots as :func:`fuzz.programs` would draw them."""
    gen = fuzz._Gen(None, inputs, smooth=False)
    for step in steps:
        assert gen.try_step(step), step
    return fuzz.Program(inputs, gen.steps), frozenset(gen.tainted)


_POW = [  # found by the --thorough run: MXNet's float32 pow is NumPy's to the last bit
    ("only_mxnet", "eager", [np.array([0.0, 0.0, 0.0, 4.0], "float32")], [
        fuzz.Step("isetitem", "+", (fuzz.S(0), (None, slice(None)), 0.5), makes=False),
        fuzz.Step("call", "power", (fuzz.S(0), fuzz.S(0))),
        fuzz.Step("call", "negative", (fuzz.S(1),))], {1, 2}),
    ("prefer_mxnet", "jit", [np.array([[0.0, 0.0], [0.0, 3.0]], "float32")], [
        fuzz.Step("call", "negative", (fuzz.S(0),)),
        fuzz.Step("call", "power", (fuzz.S(0), fuzz.S(1))),
        fuzz.Step("iop", "**", (fuzz.S(0), fuzz.S(1)), makes=False)], {0, 2}),
    ("only_mxnet", "eager", [np.array([1.0, 2.0, 3.0], "float32")], [
        fuzz.Step("call", "power", (fuzz.S(0), 2)),
        fuzz.Step("call", "power", (fuzz.S(0), fuzz.S(0)))], set()),
]


@pytest.mark.parametrize("policy, mode, inputs, steps, want", _POW)
def test_a_power_that_may_round_is_compared_within_a_tolerance(policy, mode, inputs, steps,
                                                                want):
    """A power with a negative or fractional exponent may round differently in MXNet
    (869.87396 against 869.8739 in float32): the fuzzer taints its result (a tolerance)
    rather than reporting a last-bit difference; integer exponents stay exact."""
    _jit_or_skip(mode)
    program, tainted = _drawn(inputs, steps)
    assert set(tainted) == want
    assert fuzz.check(program, tainted, mode, policy, mnp)
