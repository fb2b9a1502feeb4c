"""The original MinPy's ``minpy.utils.gradient_checker.quick_grad_check``.

For a full check (every argument, higher orders, non-scalar outputs) use
:func:`minpy.autograd.check_grads`.
"""

from __future__ import annotations

import numpy as _np

from minpy.autograd import grad
from minpy.autograd.testing import GradientCheckError
from minpy.core import Array

__all__ = ["quick_grad_check", "GradientCheckError"]


def quick_grad_check(fun, arg0, extra_args=(), kwargs=None, verbose=True, eps=1e-2,
                     rtol=1e-2, atol=1e-2, rs=None):
    """Compare the derivative of scalar ``fun`` with respect to ``arg0`` along one
    random direction with central finite differences (in float64).

    The step and tolerances default to the original's (1e-2), which it chose for its
    float32 arrays: a function that computes in float32 (an MXNet symbol through
    ``minpy.core.Function``) has finite differences too noisy for tighter ones. Pass
    smaller ones for float64 functions, or use :func:`minpy.autograd.check_grads`.

    ``extra_args``/``kwargs`` are passed through, held fixed; ``rs`` is a seed or a
    ``numpy.random.RandomState`` for the direction. Raises :class:`GradientCheckError`
    (an AssertionError) on a mismatch; prints a line when it passes and ``verbose``.
    """
    kwargs = kwargs or {}
    if not isinstance(rs, _np.random.RandomState):
        rs = _np.random.RandomState(0 if rs is None else rs)
    host = _np.asarray(arg0._host_value() if isinstance(arg0, Array) else arg0,
                       dtype=_np.float64)
    x = Array(host)
    direction = rs.randn(*host.shape)
    direction /= _np.sqrt(_np.sum(direction ** 2)) or 1.0

    def f(v):
        return fun(v, *extra_args, **kwargs)

    g = grad(f)(x)
    analytic = float(_np.sum(_np.asarray(g._host_value() if isinstance(g, Array) else g)
                             * direction))
    numeric = (float(f(Array(host + eps * direction))) -
               float(f(Array(host - eps * direction)))) / (2 * eps)
    if not abs(analytic - numeric) <= atol + rtol * abs(numeric):
        raise GradientCheckError(
            f"quick_grad_check: directional derivative {analytic} from autograd, "
            f"{numeric} from finite differences")
    if verbose:
        print(f"Gradient projection OK (numeric grad: {numeric:.6g}, "
              f"analytic grad: {analytic:.6g})")
    return True
