"""Functions ``minpy.numpy`` has beyond NumPy's namespace.

``make_diagonal`` is HIPS Autograd's ``autograd.numpy.make_diagonal`` (the inverse of
``numpy.diagonal``; its gradient is ``diagonal``), kept so that HIPS Autograd programs
port unchanged. These are primitives dispatched like NumPy fallbacks (NumPy on the host
forms), not op-table entries: the table holds NumPy's names.
"""

from __future__ import annotations

import operator

import numpy as _np

from ._dispatch import make_fallback

__all__ = ["make_diagonal"]


# NumPy 2 (and 1.25+) keep it in numpy.exceptions; older NumPy at the top level.
_AxisError = getattr(getattr(_np, "exceptions", _np), "AxisError")


def _axis(a, ndim):
    a = operator.index(a)
    if not -ndim <= a < ndim:
        raise _AxisError(a, ndim)
    return a % ndim


def _make_diagonal(D, offset=0, axis1=0, axis2=1):
    """An array whose ``numpy.diagonal(out, offset, axis1, axis2)`` is ``D``, zero
    elsewhere: the last axis of ``D`` (length ``n``) becomes two axes of length
    ``n + |offset|`` at positions ``axis1`` and ``axis2`` of the result."""
    D = _np.asarray(D)
    if D.ndim == 0:
        raise ValueError("make_diagonal: D must have at least one dimension")
    ndim = D.ndim + 1
    a1, a2 = _axis(axis1, ndim), _axis(axis2, ndim)
    if a1 == a2:
        raise ValueError("axis1 and axis2 cannot be the same")
    n = D.shape[-1]
    m = n + abs(int(offset))
    out = _np.zeros(D.shape[:-1] + (m, m), dtype=D.dtype)
    i = _np.arange(n)
    rows, cols = (i, i + offset) if offset >= 0 else (i - offset, i)
    out[..., rows, cols] = D
    return _np.moveaxis(out, (-2, -1), (a1, a2))


make_diagonal = make_fallback("make_diagonal", _make_diagonal)
make_diagonal.__doc__ = _make_diagonal.__doc__
make_diagonal.__module__ = "minpy.numpy"
