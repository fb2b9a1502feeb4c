"""What MinPy knows about MXNet's SciPy kernels: the one place that names them, as
:mod:`minpy.numpy._ops` is for NumPy's.

:data:`OPERATORS` maps a SciPy function to the MXNet operator (``mx.npx.<name>``) that
gives SciPy's values: measured equal to SciPy to 4 ulp over the real line, infinities
and NaN, in float32 and float64 (``gammaln`` is not: it differs near its roots on the
negative axis, so it is left out). The kernels have float32 and float64 only, and take
their inputs cast to NumPy's result dtype.
"""

from __future__ import annotations

import numpy as _np

from minpy.core._mxnet import BACKEND
from minpy.numpy._table import Impl

__all__ = ["BACKEND", "OPERATORS", "impl"]

#: SciPy name -> MXNet operator (``mx.npx.<name>``) that computes SciPy's values.
OPERATORS = {"special.gamma": "gamma", "special.erf": "erf", "special.erfinv": "erfinv",
             "special.expit": "sigmoid"}

_F32_F64 = frozenset(_np.dtype(t) for t in ("float32", "float64"))


def impl(path, kwargs=()):
    """MXNet's :class:`~minpy.numpy._table.Impl` of SciPy's ``scipy.<path>``, or
    ``None``. ``kwargs``: the keywords the operator handles as SciPy does (a call with
    another runs SciPy)."""
    name = OPERATORS.get(path)
    if name is None:
        return None
    return Impl(lambda mx: getattr(mx.npx, name), kwargs=frozenset(kwargs),
                dtypes=_F32_F64, cast="result", source=f"mx.npx.{name}")
