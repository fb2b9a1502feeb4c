"""Distribution methods as differentiable primitives.

Each method (``norm.logpdf``, ``t.cdf``, ...) runs SciPy's own on the host (its
values, argument checks and edge cases), and its gradient rule differentiates a
formula for the same function written with ``minpy.numpy`` and
:mod:`minpy.scipy.special` (traced at backward time, so it differentiates again). The
formula gives SciPy's values where the distribution is defined (the tests compare them);
the arguments it cannot differentiate (an order, a shape parameter of a cdf without a
closed-form derivative) have no rule: differentiating along one raises
NotImplementedError.

SciPy has no device counterpart of these methods (``cupyx.scipy.stats`` has none of the
distributions), so a method called on Arrays that live on a GPU runs SciPy on host
copies, as any NumPy fallback does.
"""

from __future__ import annotations

import functools

import minpy.numpy as np
from minpy.autograd.rules._util import composite

from .._backends import scipy_function

__all__ = ["method", "sampler", "exp_of", "log_of", "complement"]


def _derived(f, op):
    """``op(f(...))`` with ``f``'s signature (the primitive's, for traced keywords)."""
    @functools.wraps(f)
    def derived(*args, **kwargs):
        return op(f(*args, **kwargs))
    return derived


def exp_of(logpdf):
    """The density from the log-density formula."""
    return _derived(logpdf, np.exp)


def log_of(f):
    """``log f`` (a log-cdf from a cdf formula)."""
    return _derived(f, np.log)


def complement(cdf):
    """``1 - cdf``: the survival function."""
    return _derived(cdf, lambda p: 1.0 - p)


def method(dist, name, formula, argnums):
    """``scipy.stats.<dist>.<name>`` as a primitive whose rule for each of ``argnums``
    differentiates ``formula`` (which also gives the primitive its signature)."""
    fn = scipy_function(f"stats.{dist}.{name}", arrays="all", kind="default",
                        signature=formula)
    if argnums:
        composite(fn.primitive_name, formula, argnums)
    return fn


def sampler(dist):
    """``scipy.stats.<dist>.rvs``: random draws (no gradient), as Arrays."""
    return scipy_function(f"stats.{dist}.rvs", arrays="all", kind="random")
