"""HIPS Autograd's ``autograd.test_util``: derivative checks against finite
differences, in its conventions.

``check_grads(fun, argnum=0, modes=['fwd', 'rev'], order=2)(*args)`` checks the
forward-mode (JVP) and reverse-mode (VJP) derivatives of ``fun`` with respect to
argument(s) ``argnum`` along random directions, against central differences with step
``EPS``; for ``order > 1`` it checks the derivatives of the JVP/VJP themselves, and so
on. ``combo_check`` runs it over every combination of the given arguments.
:mod:`minpy.autograd.testing` has MinPy's own checker (float64 promotion, explicit
tolerances).
"""

from __future__ import annotations

from itertools import product

import numpy as _onp

from .core import make_jvp, make_vjp, vspace
from .wrap_util import get_name, unary_to_nary

__all__ = ["check_grads", "combo_check", "check_vjp", "check_jvp", "check_equivalent",
           "scalar_close", "make_numerical_jvp", "TOL", "RTOL", "EPS"]

TOL = 1e-6
RTOL = 1e-6
EPS = 1e-6


def _number(x):
    """A traced or Array scalar as a Python number (for the comparisons)."""
    if hasattr(x, "asnumpy"):
        x = x.asnumpy()
    return complex(x) if _onp.iscomplexobj(x) else float(x)


def scalar_close(a, b):
    """Whether scalars ``a`` and ``b`` agree to ``TOL`` absolutely or ``RTOL``
    relatively."""
    a, b = _number(a), _number(b)
    return abs(a - b) < TOL or abs(a - b) / abs(a + b) < RTOL


def make_numerical_jvp(f, x):
    """``v -> (f(x + v eps/2) - f(x - v eps/2)) / eps`` (central differences)."""
    y = f(x)
    x_vs, y_vs = vspace(x), vspace(y)

    def jvp(v):
        plus = f(x_vs.add(x, x_vs.scalar_mul(v, EPS / 2)))
        minus = f(x_vs.add(x, x_vs.scalar_mul(v, -EPS / 2)))
        return y_vs.scalar_mul(y_vs.add(plus, y_vs.scalar_mul(minus, -1.0)), 1.0 / EPS)
    return jvp


def check_vjp(f, x):
    """Check reverse mode: ``<v, J^T u>`` against ``<u, J v>`` by finite differences,
    for random ``u`` and ``v``."""
    vjp, y = make_vjp(f, x)
    numerical_jvp = make_numerical_jvp(f, x)
    x_vs, y_vs = vspace(x), vspace(y)
    x_v, y_v = x_vs.randn(), y_vs.randn()
    vjp_y = x_vs.covector(vjp(y_vs.covector(y_v)))
    if vspace(vjp_y) != x_vs:
        raise AssertionError(f"VSpace mismatch of the VJP of {get_name(f)}:\n"
                             f"gradient: {vspace(vjp_y)}\nargument: {x_vs}")
    exact = x_vs.inner_prod(x_v, vjp_y)
    numeric = y_vs.inner_prod(y_v, numerical_jvp(x_v))
    if not scalar_close(numeric, exact):
        raise AssertionError(
            f"Derivative (VJP) check of {get_name(f)} failed with arg {x}:\n"
            f"analytic: {_number(exact)}\nnumeric:  {_number(numeric)}")


def check_jvp(f, x):
    """Check forward mode: ``J v`` against finite differences, for a random ``v``."""
    jvp = make_jvp(f, x)
    numerical_jvp = make_numerical_jvp(f, x)
    x_v = vspace(x).randn()
    check_equivalent(jvp(x_v)[1], numerical_jvp(x_v))


def check_equivalent(x, y):
    """Assert that ``x`` and ``y`` lie in the same vector space and agree (along a
    random direction)."""
    x_vs, y_vs = vspace(x), vspace(y)
    if x_vs != y_vs:
        raise AssertionError(f"VSpace mismatch:\nx: {x_vs}\ny: {y_vs}")
    v = x_vs.randn()
    if not scalar_close(x_vs.inner_prod(x, v), x_vs.inner_prod(y, v)):
        raise AssertionError(f"Value mismatch:\nx: {x}\ny: {y}")


@unary_to_nary
def check_grads(f, x, modes=("fwd", "rev"), order=2):
    """Check the derivatives of ``f`` at ``x`` in ``modes`` ('fwd', 'rev') up to
    ``order`` (use as ``check_grads(fun, argnum=0, modes=..., order=...)(*args)``)."""
    if not all(m in ("fwd", "rev") for m in modes):
        raise ValueError(f"check_grads: modes are 'fwd' and 'rev', not {modes!r}")
    if "fwd" in modes:
        check_jvp(f, x)
        if order > 1:
            def jvp_f(x, v):
                return make_jvp(f, x)(v)[1]
            jvp_f.__name__ = f"jvp_{get_name(f)}"
            check_grads(jvp_f, (0, 1), modes, order=order - 1)(x, vspace(x).randn())
    if "rev" in modes:
        check_vjp(f, x)
        if order > 1:
            def vjp_f(x, v):
                return make_vjp(f, x)[0](v)
            vjp_f.__name__ = f"vjp_{get_name(f)}"
            check_grads(vjp_f, (0, 1), modes, order=order - 1)(x, vspace(f(x)).randn())


def combo_check(fun, *args, **kwargs):
    """``combo_check(fun, argnum, ...)(arg_lists..., kw=[values...])``: :func:`check_grads`
    at every combination of one value from each list (positional and keyword)."""
    def run(*arg_lists, **kwarg_lists):
        kw_choices = [[(k, v) for v in vs] for k, vs in kwarg_lists.items()]
        for call_args in product(*arg_lists):
            for call_kwargs in product(*kw_choices):
                check_grads(fun, *args, **kwargs)(*call_args, **dict(call_kwargs))
    return run
