"""Every public NumPy callable is classified, and every differentiable one has a
gradient rule (:mod:`minpy.autograd.rules.classification`)."""

import numpy as onp
import pytest

import minpy.numpy as np
from minpy.autograd import VJPS, grad
from minpy.autograd.rules import classification as C
from minpy.numpy._support import support_table

NAMES = [name for name, _ in support_table()]


def test_every_differentiable_function_has_a_rule():
    missing = C.missing(NAMES)
    assert not missing, (f"differentiable NumPy functions without a gradient rule: "
                         f"{missing}; add a rule in minpy/autograd/rules or classify them "
                         "in rules/classification.py")


def test_the_check_fails_for_a_function_without_a_rule(monkeypatch):
    monkeypatch.delitem(VJPS, "fft.fft")
    assert "fft.fft" in C.missing(NAMES)


def test_classes_do_not_overlap():
    assert not set(C.NON_DIFFERENTIABLE) & set(C.NOT_APPLICABLE)
    assert not (set(C.NON_DIFFERENTIABLE) | set(C.NOT_APPLICABLE)) & set(VJPS)
    assert not C.THROUGH_NAMESPACE & set(VJPS)


def test_every_name_has_one_class():
    classes = {C.classify(n)[0] for n in NAMES}
    assert classes <= {C.DIFFERENTIABLE, C.NON_DIFF, C.NA}


@pytest.mark.parametrize("fun", [
    lambda x: np.argmax(x), lambda x: np.isnan(x), lambda x: np.searchsorted(x, 0.5),
    lambda x: np.count_nonzero(x), lambda x: np.signbit(x), lambda x: np.shape(x),
    lambda x: np.histogram(x, 3)[0], lambda x: np.argsort(x), lambda x: np.nonzero(x)])
def test_non_differentiable_results_are_not_traced(fun):
    """Their results leave the tape bare (integers, booleans, shapes)."""
    seen = []

    def f(x):
        seen.append(fun(x))
        return np.sum(x)
    grad(f)(onp.array([0.3, -1.0, 2.0]))
    from minpy.core.tracing import Box
    r = seen[0]
    assert not any(isinstance(v, Box) for v in (r if isinstance(r, tuple) else (r,)))


def test_through_the_namespace():
    assert grad(lambda x, y: np.sum(np.array([x, y * 2.0]) ** 2), (0, 1))(1.0, 2.0) == (
        2.0, 16.0)
    assert grad(lambda x: np.sum(np.asarray(x) ** 2))(onp.ones(2)).tolist() == [2.0, 2.0]
