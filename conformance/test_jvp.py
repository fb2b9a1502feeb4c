"""Forward mode for every gradient rule: :func:`minpy.autograd.jvp` of each case of
``test_grads.GRADS`` against central finite differences and against reverse mode.

Forward mode has no rules of its own (it differentiates each rule's VJP with respect to
its cotangent), so this checks that every rule is linear and traceable in ``g``, which
is what turns reverse mode into forward mode. The cases, strategies and singularity
margins are those of ``test_grads.py``; see there. One policy ('only_numpy') and
``MINPY_JVP_EXAMPLES`` examples per rule (default 2) keep it quick.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings

import minpy.numpy as mnp
from minpy.autograd.testing import check_jvp
from test_grads import GRADS, counting, fn

JVP_SETTINGS = settings(
    max_examples=int(os.environ.get("MINPY_JVP_EXAMPLES", "2")), deadline=None,
    derandomize=True, database=None, print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.function_scoped_fixture,
                           HealthCheck.data_too_large])


@pytest.mark.parametrize("name", sorted(GRADS))
def test_jvp_matches_finite_differences(name):
    strategy, call = GRADS[name]
    try:
        if not name.startswith("autograd.") and name != "getitem":
            fn(name)
    except AttributeError:
        pytest.skip(f"minpy.numpy.{name} does not exist with this NumPy")

    @JVP_SETTINGS
    @given(case=strategy)
    def run(case):
        args, static = case
        with mnp.policy("only_numpy"), counting(name) as hits:
            check_jvp(lambda *a: call(*a, **static), *args)
        assert hits[name], f"the rule of {name!r} never ran for this case"

    run()
