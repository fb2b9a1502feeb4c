"""The strategy table covers the op table exactly."""

from __future__ import annotations

import minpy.numpy.random  # noqa: F401
import strategies
from minpy.numpy._table import TABLE, numpy_function


def test_every_table_entry_has_a_strategy():
    missing = sorted(set(TABLE) - set(strategies.OPS))
    assert not missing, f"op-table entries without a strategy: {missing}"


def test_no_strategy_for_a_name_outside_the_table():
    # Names this NumPy lacks are not registered (NumPy 1 has no acos, concat, ...).
    extra = sorted(n for n in set(strategies.OPS) - set(TABLE)
                   if numpy_function(n) is not None)
    assert not extra, f"strategies for names not in the op table: {extra}"


def test_every_kind_has_a_builder_and_an_error_case():
    kinds = {kind for kind, _ in strategies.OPS.values()}
    assert kinds <= set(strategies.KINDS)
    assert kinds <= set(strategies.ERRORS)


# -- stale checks: what the docs and skips say is what the suite does ---------------------
def test_deviations_page_states_the_harness_tolerances():
    import re
    from pathlib import Path

    import harness
    text = Path(__file__).resolve().parent.parent.joinpath("docs", "deviations.rst")
    page = " ".join(text.read_text().split())
    m = re.search(r"perturbed by at most (\d+) ulps, give or take (\d+) ulps", page)
    assert m, "docs/deviations.rst no longer states the elementwise tolerance"
    assert (int(m[1]), int(m[2])) == (harness.BACKWARD_ULPS, harness.ULPS), m[0]
    m = re.search(r"within (\d+) n eps f\(", page)
    assert m and int(m[1]) == harness.ACCUMULATE, "accumulating-op tolerance differs"
    m = re.search(r"within (\d+) n eps cond\(A\)", page)
    assert m and int(m[1]) == harness.LINALG, "linear-algebra tolerance differs"


def test_gpu_skip_reason_follows_its_condition():
    import conftest
    import minpy.core as core
    reason = conftest.gpu_unavailable()
    assert (reason is None) == (core.num_gpus() > 0), reason
    if reason is not None:
        # The text names the check that decided it, and claims nothing it did not test.
        assert "num_gpus() == 0" in reason and "sm" not in reason, reason
