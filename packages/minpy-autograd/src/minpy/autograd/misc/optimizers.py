"""Stochastic gradient optimizers over nested containers of arrays (HIPS Autograd's
``autograd.misc.optimizers``).

Each takes ``grad(x, i)`` (the gradient at parameters ``x`` on iteration ``i``), the
initial parameters (any nesting of lists, tuples and dicts of arrays and scalars), an
optional ``callback(x, i, g)`` called before each step, and returns the final
parameters in the same structure. They are written with ``minpy.numpy``, so they can be
differentiated themselves (hyperparameter gradients).
"""

from __future__ import annotations

import functools

from .flatten import flatten

__all__ = ["sgd", "rmsprop", "adam", "unflatten_optimizer"]


def _np():
    import minpy.numpy as np
    return np


def unflatten_optimizer(optimize):
    """Lift an optimizer over flat vectors to nested containers."""
    @functools.wraps(optimize)
    def run(grad, x0, callback=None, *args, **kwargs):
        flat0, unflatten = flatten(x0)

        def flat_grad(x, i):
            return flatten(grad(unflatten(x), i))[0]
        flat_callback = None
        if callback:
            def flat_callback(x, i, g):
                return callback(unflatten(x), i, unflatten(g))
        return unflatten(optimize(flat_grad, flat0, flat_callback, *args, **kwargs))
    return run


@unflatten_optimizer
def sgd(grad, x, callback=None, num_iters=200, step_size=0.1, mass=0.9):
    """Stochastic gradient descent with momentum ``mass``."""
    np = _np()
    velocity = np.zeros(len(x))
    for i in range(num_iters):
        g = grad(x, i)
        if callback:
            callback(x, i, g)
        velocity = mass * velocity - (1.0 - mass) * g
        x = x + step_size * velocity
    return x


@unflatten_optimizer
def rmsprop(grad, x, callback=None, num_iters=100, step_size=0.1, gamma=0.9, eps=10**-8):
    """RMSProp: steps scaled by a running root mean square of the gradients."""
    np = _np()
    avg_sq_grad = np.ones(len(x))
    for i in range(num_iters):
        g = grad(x, i)
        if callback:
            callback(x, i, g)
        avg_sq_grad = avg_sq_grad * gamma + g**2 * (1 - gamma)
        x = x - step_size * g / (np.sqrt(avg_sq_grad) + eps)
    return x


@unflatten_optimizer
def adam(grad, x, callback=None, num_iters=100, step_size=0.001, b1=0.9, b2=0.999,
         eps=10**-8):
    """Adam (Kingma and Ba, 2014): bias-corrected first and second moment estimates."""
    np = _np()
    m = np.zeros(len(x))
    v = np.zeros(len(x))
    for i in range(num_iters):
        g = grad(x, i)
        if callback:
            callback(x, i, g)
        m = (1 - b1) * g + b1 * m
        v = (1 - b2) * (g**2) + b2 * v
        mhat = m / (1 - b1 ** (i + 1))
        vhat = v / (1 - b2 ** (i + 1))
        x = x - step_size * mhat / (np.sqrt(vhat) + eps)
    return x
