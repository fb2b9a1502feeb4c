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
