"""``scipy.integrate.odeint`` with gradients by the adjoint method.

``odeint(func, y0, t, args=(), ...)`` integrates ``dy/dt = func(y, t, *args)`` with
SciPy's LSODA on the host (its values exactly; ``func`` may be written with
``minpy.numpy``). Its gradient with respect to ``y0``, to the times ``t`` and to every
array in ``args`` is found by the adjoint method: one backward integration per
interval between output times, of the system augmented with the adjoint state ``a``
(``da/dt = -a^T df/dy``) and the accumulating parameter and time gradients
(``-a^T df/dargs``, ``-a^T df/dt``), each right-hand side one VJP of ``func``. The
backward integrations are themselves ``odeint`` calls, so the gradient differentiates
again.

Accuracy: the gradient is that of the exact flow, computed by integrating with the same
``rtol``/``atol`` as the forward solve (SciPy's defaults, about 1.5e-8, unless given): it
agrees with finite differences of the SciPy solution to about the solver's tolerance
(the tests ask for 1e-6 relative, HIPS Autograd's check). Traced parameters must reach
``func`` through ``args``: a traced value captured by ``func``'s closure cannot be
handed to SciPy (TypeError).
"""

from __future__ import annotations

import numpy as _onp

import minpy.numpy as np
from minpy.autograd import make_vjp
from minpy.autograd.core import defvjp_argnum
from minpy.autograd.misc.flatten import flatten

from ._backends import scipy_function

__all__ = ["odeint"]


def _host_odeint(func, y0, t, *args, **kwargs):
    """SciPy's odeint on host forms, calling ``func`` (which may return Arrays)."""
    from scipy.integrate import odeint as scipy_odeint

    def rhs(y, t, *a):
        return _onp.asarray(func(y, t, *a))
    return scipy_odeint(rhs, y0, t, args=args, **kwargs)


_odeint = scipy_function("integrate.odeint", host=_host_odeint, arrays=(1, 2),
                         kind="default")


def odeint(func, y0, t, args=(), Dfun=None, col_deriv=0, full_output=0, tfirst=False,
           **kwargs):
    """SciPy's ``odeint(func, y0, t, args, ...)``, differentiable in ``y0``, ``t`` and
    the arrays of ``args`` (see the module). ``Dfun`` and ``full_output`` are passed to
    SciPy, without a gradient."""
    if not isinstance(args, tuple):
        args = (args,)
    if tfirst:
        user = func

        def func(y, t, *a):
            return user(t, y, *a)
    if Dfun is not None or full_output:
        from scipy.integrate import odeint as scipy_odeint

        from minpy.core.convert import to_host, wrap
        return wrap(scipy_odeint(lambda y, s, *a: _onp.asarray(func(y, s, *a)),
                                 to_host(y0), to_host(t), args=to_host(args), Dfun=Dfun,
                                 col_deriv=col_deriv, full_output=full_output, **kwargs))
    return _odeint(func, y0, t, *args, **kwargs)


class _Adjoint:
    """The gradients of one recorded ``odeint`` call for every argument at once,
    computed on the first argument's request and reused for the others of the same
    backward step (same answer, same cotangent)."""

    last = None

    @classmethod
    def get(cls, ans, g, args, kwargs):
        last = cls.last
        if last is not None and last[0] is ans and last[1] is g:
            return last[2]
        grads = _adjoint(ans, g, args, kwargs)
        cls.last = (ans, g, grads)
        return grads


def _adjoint(yt, g, args, kwargs):
    func, y0, t, *fargs = args
    n_times, dim = np.shape(yt)
    flat_args, unflatten = flatten(tuple(fargs))

    def flat_func(y, s, theta):
        return func(y, s, *unflatten(theta))

    def augmented(state, s, theta):
        y, adj = state[:dim], state[dim:2 * dim]
        vjp, dy = make_vjp(flat_func, argnum=(0, 1, 2))(y, s, theta)
        d_y, d_t, d_theta = vjp(-adj)
        return np.concatenate([dy, d_y, np.reshape(d_t, (1,)), d_theta])

    adj = g[-1]
    adj_t0 = 0.0
    adj_theta = np.zeros(np.shape(flat_args))
    t_grads = []
    for i in range(n_times - 1, 0, -1):
        # moving output time t_i moves y(t_i) along f
        dt_i = np.dot(func(yt[i], t[i], *fargs), g[i])
        t_grads.append(dt_i)
        adj_t0 = adj_t0 - dt_i
        state = np.concatenate([yt[i], adj, np.reshape(adj_t0, (1,)), adj_theta])
        back = _odeint(augmented, state, np.stack([t[i], t[i - 1]]), flat_args, **kwargs)
        adj = back[1, dim:2 * dim] + g[i - 1]
        adj_t0 = back[1, 2 * dim]
        adj_theta = back[1, 2 * dim + 1:]
    t_grads.append(adj_t0)
    return adj, np.stack(t_grads[::-1]), unflatten(adj_theta)


def _odeint_vjp(argnum, ans, args, kwargs):
    if argnum == 0:
        raise NotImplementedError("odeint: no gradient with respect to func")

    def vjp(g):
        g_y0, g_t, g_args = _Adjoint.get(ans, g, args, kwargs)
        if argnum == 1:
            return np.reshape(g_y0, np.shape(args[1]))
        if argnum == 2:
            return g_t
        return g_args[argnum - 3]
    return vjp


defvjp_argnum(_odeint, _odeint_vjp)
