"""The differential program fuzzer (:mod:`fuzz`) under every policy and mode.

Each test draws programs of 3 to 12 steps (:func:`fuzz.programs`) and runs them in MinPy
and in NumPy: ``eager`` (every step's result and exception, then every slot's values,
dtype, writeability and memory sharing), ``grad`` (values and gradients against finite
differences), ``jit`` (capture and replay) and ``jit+grad``. CI runs
:data:`EXAMPLES` programs per test with Hypothesis's fixed seed (the conformance
profile is derandomised); ``--thorough`` draws :data:`THOROUGH_EXAMPLES` with random
seeds (``MINPY_FUZZ_EXAMPLES`` sets either). :data:`fuzz.REGRESSIONS` run first.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings

import fuzz
import minpy.numpy as mnp

#: Programs per (mode, policy) in CI, and under --thorough.
EXAMPLES = {"eager": 40, "grad": 12, "jit": 15, "jit+grad": 8}
THOROUGH_EXAMPLES = 1000


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


def _run(mode, program, tainted, policy):
    if mode == "eager":
        fuzz.run_eager(program, tainted, policy, mnp)
    elif mode == "jit":
        fuzz.run_jit(program, tainted, policy, mnp)
    else:
        try:
            fuzz.run_grad(program, policy, mnp, use_jit=mode == "jit+grad")
        except fuzz.GradRefused:
            pass  # a documented refusal (docs/autograd.rst), raised at the write


@pytest.mark.parametrize("mode", fuzz.MODES)
def test_fuzzed_programs(mode, policy_name):
    _jit_or_skip(mode)

    @settings(max_examples=_examples(mode))
    @given(drawn=fuzz.programs(mode))
    def run(drawn):
        program, tainted = drawn
        _run(mode, program, tainted, policy_name)

    run()
