"""First-order update rules and learning-rate schedules.

Every rule has the original MinPy signature ``rule(w, dw, config) -> (next_w,
next_config)``: ``config`` holds the hyperparameters (``learning_rate``, ``momentum``, ...)
and the rule's state (``velocity``, ``cache``, ``m``/``v``/``t``). The state is a plain
pytree -- a dict of Arrays and Python numbers -- so a :class:`~minpy.nn.solver.Solver`
saves it in checkpoints and a distributed trainer can synchronise it. Rules never
modify ``w`` or the given ``config`` in place; they return new ones.

Every rule takes ``weight_decay`` (L2, default 0): ``dw + weight_decay * w``.
"""

from __future__ import annotations

import math

import minpy.numpy as np

__all__ = ["sgd", "sgd_momentum", "nesterov", "rmsprop", "adam", "adagrad", "get",
           "step_decay", "exponential_decay", "cosine_decay"]


def _start(w, dw, config, lr):
    config = dict(config or {})
    config.setdefault("learning_rate", lr)
    wd = config.get("weight_decay", 0.0)
    if wd:
        dw = dw + wd * w
    return config, dw


def sgd(w, dw, config=None):
    """Plain SGD: ``w - learning_rate * dw`` (default learning rate 1e-2)."""
    config, dw = _start(w, dw, config, 1e-2)
    return w - config["learning_rate"] * dw, config


def sgd_momentum(w, dw, config=None):
    """SGD with momentum: ``v = momentum * v - learning_rate * dw; w + v``
    (momentum 0.9; state ``velocity``)."""
    config, dw = _start(w, dw, config, 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity")
    v = -config["learning_rate"] * dw if v is None else \
        config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


def nesterov(w, dw, config=None):
    """Nesterov momentum (Sutskever et al.'s form on the look-ahead point): state
    ``velocity``; ``w - momentum * v_prev + (1 + momentum) * v``."""
    config, dw = _start(w, dw, config, 1e-2)
    mu = config.setdefault("momentum", 0.9)
    v_prev = config.get("velocity")
    if v_prev is None:
        v_prev = np.zeros_like(w)
    v = mu * v_prev - config["learning_rate"] * dw
    config["velocity"] = v
    return w - mu * v_prev + (1 + mu) * v, config


def rmsprop(w, dw, config=None):
    """RMSProp: ``cache = decay_rate * cache + (1 - decay_rate) * dw**2``;
    ``w - learning_rate * dw / (sqrt(cache) + epsilon)`` (decay 0.99, eps 1e-8)."""
    config, dw = _start(w, dw, config, 1e-2)
    rho = config.setdefault("decay_rate", 0.99)
    eps = config.setdefault("epsilon", 1e-8)
    cache = config.get("cache")
    cache = (1 - rho) * dw ** 2 if cache is None else rho * cache + (1 - rho) * dw ** 2
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + eps), config


def adagrad(w, dw, config=None):
    """AdaGrad: ``cache += dw**2``; ``w - learning_rate * dw / (sqrt(cache) + eps)``."""
    config, dw = _start(w, dw, config, 1e-2)
    eps = config.setdefault("epsilon", 1e-8)
    cache = config.get("cache")
    cache = dw ** 2 if cache is None else cache + dw ** 2
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + eps), config


def adam(w, dw, config=None):
    """Adam with bias correction (learning rate 1e-3, beta1 0.9, beta2 0.999,
    epsilon 1e-8; state ``m``, ``v``, ``t``)."""
    config, dw = _start(w, dw, config, 1e-3)
    b1 = config.setdefault("beta1", 0.9)
    b2 = config.setdefault("beta2", 0.999)
    eps = config.setdefault("epsilon", 1e-8)
    t = config.get("t", 0) + 1
    m, v = config.get("m"), config.get("v")
    m = (1 - b1) * dw if m is None else b1 * m + (1 - b1) * dw
    v = (1 - b2) * dw ** 2 if v is None else b2 * v + (1 - b2) * dw ** 2
    config.update(m=m, v=v, t=t)
    m_hat = m / (1 - b1 ** t)
    v_hat = v / (1 - b2 ** t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + eps), config


_BY_NAME = {"sgd": sgd, "sgd_momentum": sgd_momentum, "nesterov": nesterov,
            "rmsprop": rmsprop, "adagrad": adagrad, "adam": adam}


def get(rule):
    """An update rule from its name or a callable ``(w, dw, config)``."""
    if callable(rule):
        return rule
    try:
        return _BY_NAME[rule]
    except (KeyError, TypeError):
        raise ValueError(f"Invalid update_rule {rule!r}; choose one of "
                         f"{sorted(_BY_NAME)} or pass a function (w, dw, config)") from None


# -- learning-rate schedules: epoch (0-based) -> multiplier of the base rate -----------
def step_decay(step_size, gamma=0.1):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs."""
    return lambda epoch: gamma ** (epoch // step_size)


def exponential_decay(gamma):
    """Multiply the rate by ``gamma`` every epoch (the original ``lr_decay``)."""
    return lambda epoch: gamma ** epoch


def cosine_decay(num_epochs, floor=0.0):
    """Cosine annealing from 1 to ``floor`` over ``num_epochs`` epochs."""
    return lambda epoch: floor + (1 - floor) * 0.5 * (
        1 + math.cos(math.pi * min(epoch, num_epochs) / num_epochs))
