"""Parameter initializers.

Every initializer has the original MinPy signature ``rule(shape, config) -> Array``
(``config`` a dict of its settings, possibly empty) so that ``Solver(init_rule='xavier',
init_config={...})`` and per-parameter ``add_param(..., init_rule=..., init_config=...)``
both work. Draws come from NumPy's global generator on the host (seeded by
``minpy.numpy.random.seed``), or from ``config['seed']`` when given, so an initialization
is reproducible on every device; ``config['dtype']`` sets the dtype (default: MinPy's
default float dtype, float64 unless changed).

Fans: a matrix ``(D, M)`` (as :func:`minpy.nn.layers.affine` takes it) has fan_in D and
fan_out M; a filter bank ``(F, C, KH, KW)`` has fan_in ``C*KH*KW`` and fan_out
``F*KH*KW``; a vector ``(D,)`` has both equal to D.
"""

from __future__ import annotations

import math

import numpy as _onp

import minpy.numpy as np
from minpy.core import get_default_float_dtype

__all__ = ["xavier", "glorot_uniform", "gaussian", "normal", "uniform", "constant", "zeros",
           "ones", "he", "kaiming", "he_uniform", "custom", "get", "fans"]


def fans(shape):
    """``(fan_in, fan_out)`` of a parameter of ``shape`` (see the module notes)."""
    shape = tuple(int(d) for d in shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = int(_onp.prod(shape[2:]))
    return shape[1] * receptive, shape[0] * receptive


def _rng(config):
    seed = (config or {}).get("seed")
    return _onp.random if seed is None else _onp.random.RandomState(seed)


def _wrap(host, config):
    dtype = (config or {}).get("dtype") or get_default_float_dtype()
    return np.array(_onp.asarray(host, dtype=dtype))


def xavier(shape, config=None):
    """Glorot/Xavier uniform: ``U(-a, a)``, ``a = sqrt(6 / (fan_in + fan_out))``
    (``config['gain']`` multiplies ``a``, default 1)."""
    fan_in, fan_out = fans(shape)
    a = (config or {}).get("gain", 1.0) * math.sqrt(6.0 / (fan_in + fan_out))
    return _wrap(_rng(config).uniform(-a, a, size=tuple(shape)), config)


glorot_uniform = xavier


def gaussian(shape, config=None):
    """Normal draws with mean ``config['mu']`` (0) and standard deviation
    ``config['stdvar']`` (0.001; the original MinPy's key names)."""
    config = config or {}
    mu, std = config.get("mu", 0.0), config.get("stdvar", config.get("std", 0.001))
    return _wrap(_rng(config).standard_normal(tuple(shape)) * std + mu, config)


normal = gaussian


def uniform(shape, config=None):
    """Uniform draws in ``[config['low'], config['high'])`` (default [-0.05, 0.05))."""
    config = config or {}
    low, high = config.get("low", -0.05), config.get("high", 0.05)
    return _wrap(_rng(config).uniform(low, high, size=tuple(shape)), config)


def constant(shape, config=None):
    """Every element ``config['value']`` (default 0)."""
    config = config or {}
    return _wrap(_onp.full(tuple(shape), config.get("value", 0.0)), config)


def zeros(shape, config=None):
    """All zeros."""
    return _wrap(_onp.zeros(tuple(shape)), config)


def ones(shape, config=None):
    """All ones."""
    return _wrap(_onp.ones(tuple(shape)), config)


def he(shape, config=None):
    """He/Kaiming normal, for ReLU layers: ``N(0, gain**2 / fan_in)`` with gain
    ``sqrt(2)`` (``config['gain']`` overrides)."""
    fan_in, _ = fans(shape)
    std = (config or {}).get("gain", math.sqrt(2.0)) / math.sqrt(fan_in)
    return _wrap(_rng(config).standard_normal(tuple(shape)) * std, config)


kaiming = he


def he_uniform(shape, config=None):
    """He/Kaiming uniform: ``U(-a, a)``, ``a = gain * sqrt(3 / fan_in)``, gain sqrt(2)."""
    fan_in, _ = fans(shape)
    a = (config or {}).get("gain", math.sqrt(2.0)) * math.sqrt(3.0 / fan_in)
    return _wrap(_rng(config).uniform(-a, a, size=tuple(shape)), config)


def custom(shape, config=None):
    """``config['function'](shape)``: a user function from a shape to an array
    (default: zeros). The result is checked against ``shape``."""
    func = (config or {}).get("function", _onp.zeros)
    out = func(tuple(shape))
    if tuple(out.shape) != tuple(shape):
        raise ValueError(f"custom initializer returned shape {tuple(out.shape)}, "
                         f"expected {tuple(shape)}")
    return out if hasattr(out, "_host_value") else np.array(out)


_BY_NAME = {name: globals()[name] for name in __all__ if name not in ("get", "fans")}


def get(rule):
    """An initializer from its name (``'xavier'``, ``'gaussian'``, ...) or a callable."""
    if callable(rule):
        return rule
    try:
        return _BY_NAME[rule]
    except (KeyError, TypeError):
        raise ValueError(f"unknown init_rule {rule!r}; choose one of "
                         f"{sorted(_BY_NAME)} or pass a function (shape, config)") from None
