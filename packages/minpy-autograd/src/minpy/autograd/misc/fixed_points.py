"""Fixed points with implicit gradients (HIPS Autograd's
``autograd.misc.fixed_points``)."""

from __future__ import annotations

from ..api import make_vjp
from ..core import defvjp, primitive, vspace

__all__ = ["fixed_point"]


@primitive
def fixed_point(f, a, x0, distance, tol):
    """Iterate ``x <- f(a)(x)`` from ``x0`` until ``distance(x, x_prev) <= tol``.

    The gradient with respect to ``a`` is implicit (it does not differentiate the
    iterations): at the fixed point ``x* = f(a)(x*)``, ``dL/da = g_a (I - J_x)^-1``
    applied to ``g``, and the inverse is itself found as a fixed point,
    ``y <- J_x^T y + g``.
    """
    step = f(a)
    x, x_prev = step(x0), x0
    while distance(x, x_prev) > tol:
        x, x_prev = step(x), x
    return x


def _fixed_point_vjp(ans, f, a, x0, distance, tol):
    vjp_a, _ = make_vjp(lambda a, x: f(a)(x))(a, ans)
    vjp_x, _ = make_vjp(f(a))(ans)
    vs = vspace(ans)

    def adjoint_step(g):
        return lambda y: vs.add(vjp_x(y), g)

    def vjp(g):
        y = fixed_point(adjoint_step, g, vs.zeros(), distance, tol)
        return vjp_a(y)
    return vjp


defvjp(fixed_point, None, _fixed_point_vjp, None, None, None)
