"""Every update rule of minpy.nn.optim over several steps against a NumPy reference that
keeps its own state.

The references are written from the published update rules (CS231n's notes and
assignment ``optim.py``, which the original MinPy's rules follow; Kingma & Ba for Adam,
Duchi et al. for AdaGrad, Sutskever et al.'s look-ahead form of Nesterov momentum), not
from minpy.nn's code. The gradients come from a non-diagonal quadratic evaluated at the
current weights, so every step depends on the state the previous ones left: a rule that
forgets or mis-stores its state (velocity, cache, m, v, t) drifts from the reference
by the second step. The state minpy.nn keeps under the documented names is compared
too, after every step, since checkpoints save it and a resumed run reads it back.
"""

from __future__ import annotations

import copy

import numpy as onp
import pytest

import minpy.numpy as np
from minpy.nn import optim

STEPS = 7
rng = onp.random.RandomState(1)
_M = rng.randn(5, 5)
A = _M @ _M.T / 5 + 0.5 * onp.eye(5)       # the quadratic 0.5 w'Aw - b'w
B = rng.randn(5)
W0 = rng.randn(5)


def grad_at(w):
    return A @ w - B


class Reference:
    """``step(w, dw) -> w``; its own state in attributes (``state()`` names them as
    minpy.nn's config does)."""

    lr_default = 1e-2

    def __init__(self, **hp):
        self.lr = hp.get("learning_rate", self.lr_default)
        self.wd = hp.get("weight_decay", 0.0)
        self.hp = hp

    def step(self, w, dw):
        return self.update(w, dw + self.wd * w)

    def state(self):
        return {}


class SGD(Reference):
    def update(self, w, dw):
        return w - self.lr * dw


class Momentum(Reference):
    def __init__(self, **hp):
        super().__init__(**hp)
        self.mu = hp.get("momentum", 0.9)
        self.v = None

    def update(self, w, dw):
        v = onp.zeros_like(w) if self.v is None else self.v
        self.v = self.mu * v - self.lr * dw
        return w + self.v

    def state(self):
        return {"velocity": self.v}


class Nesterov(Momentum):
    def update(self, w, dw):
        v_prev = onp.zeros_like(w) if self.v is None else self.v
        self.v = self.mu * v_prev - self.lr * dw
        return w - self.mu * v_prev + (1 + self.mu) * self.v


class RMSProp(Reference):
    def __init__(self, **hp):
        super().__init__(**hp)
        self.rho = hp.get("decay_rate", 0.99)
        self.eps = hp.get("epsilon", 1e-8)
        self.cache = None

    def update(self, w, dw):
        cache = onp.zeros_like(w) if self.cache is None else self.cache
        self.cache = self.rho * cache + (1 - self.rho) * dw * dw
        return w - self.lr * dw / (onp.sqrt(self.cache) + self.eps)

    def state(self):
        return {"cache": self.cache}


class AdaGrad(Reference):
    def __init__(self, **hp):
        super().__init__(**hp)
        self.eps = hp.get("epsilon", 1e-8)
        self.cache = None

    def update(self, w, dw):
        cache = onp.zeros_like(w) if self.cache is None else self.cache
        self.cache = cache + dw * dw
        return w - self.lr * dw / (onp.sqrt(self.cache) + self.eps)

    def state(self):
        return {"cache": self.cache}


class Adam(Reference):
    lr_default = 1e-3

    def __init__(self, **hp):
        super().__init__(**hp)
        self.b1 = hp.get("beta1", 0.9)
        self.b2 = hp.get("beta2", 0.999)
        self.eps = hp.get("epsilon", 1e-8)
        self.m = self.v = None
        self.t = 0

    def update(self, w, dw):
        self.t += 1
        m = onp.zeros_like(w) if self.m is None else self.m
        v = onp.zeros_like(w) if self.v is None else self.v
        self.m = self.b1 * m + (1 - self.b1) * dw
        self.v = self.b2 * v + (1 - self.b2) * dw * dw
        m_hat = self.m / (1 - self.b1 ** self.t)
        v_hat = self.v / (1 - self.b2 ** self.t)
        return w - self.lr * m_hat / (onp.sqrt(v_hat) + self.eps)

    def state(self):
        return {"m": self.m, "v": self.v, "t": self.t}


REFERENCES = {"sgd": SGD, "sgd_momentum": Momentum, "nesterov": Nesterov,
              "rmsprop": RMSProp, "adagrad": AdaGrad, "adam": Adam}
# Hyperparameters away from the defaults (a rule that ignores one is seen).
CONFIGS = {
    "sgd": {"learning_rate": 0.1},
    "sgd_momentum": {"learning_rate": 0.05, "momentum": 0.7},
    "nesterov": {"learning_rate": 0.05, "momentum": 0.8},
    "rmsprop": {"learning_rate": 0.02, "decay_rate": 0.9, "epsilon": 1e-6},
    "adagrad": {"learning_rate": 0.3, "epsilon": 1e-6},
    "adam": {"learning_rate": 0.05, "beta1": 0.8, "beta2": 0.95, "epsilon": 1e-6},
}


def test_every_rule_has_a_reference():
    assert set(optim._BY_NAME) == set(REFERENCES), (
        "an update rule without a reference here: add one from its published formula")


def host(a):
    return onp.asarray(a.asnumpy() if hasattr(a, "asnumpy") else a)


def _run(name, config, steps=STEPS):
    """The rule and its reference side by side for ``steps`` steps from W0; the weights
    and the documented state compared after every step."""
    rule, ref = optim.get(name), REFERENCES[name](**(config or {}))
    w, cfg = np.array(W0), None if config is None else dict(config)
    w_ref = W0.copy()
    for k in range(steps):
        dw = grad_at(host(w))
        before = copy.deepcopy({key: host(v) if hasattr(v, "shape") else v
                                for key, v in (cfg or {}).items()})
        given = cfg
        w, cfg = rule(w, np.array(dw), cfg)
        w_ref = ref.step(w_ref, grad_at(w_ref))
        onp.testing.assert_allclose(host(w), w_ref, rtol=1e-12, atol=1e-14,
                                    err_msg=f"{name}: weights after step {k + 1}")
        for key, expected in ref.state().items():
            assert key in cfg, f"{name}: no {key!r} in the config after step {k + 1}"
            if isinstance(expected, int):
                assert cfg[key] == expected and type(cfg[key]) is int, (name, key, k)
            else:
                onp.testing.assert_allclose(host(cfg[key]), expected, rtol=1e-12,
                                            atol=1e-14, err_msg=f"{name}: {key} step {k+1}")
        # the given config is left as it was (the rules return new ones)
        if given is not None:
            assert given is not cfg, name
            assert set(given) == set(before), name
            for key, v in before.items():
                onp.testing.assert_array_equal(host(given[key]) if hasattr(given[key], "shape")
                                               else given[key], v, err_msg=(name, key))
    return host(w), cfg


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_rule_follows_its_reference_for_several_steps(name):
    _run(name, CONFIGS[name])


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_rule_defaults_are_the_documented_ones(name):
    """Without a config: the defaults of the docstrings (and of the original MinPy)."""
    _run(name, None, steps=5)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_weight_decay_enters_every_step(name):
    _run(name, dict(CONFIGS[name], weight_decay=0.3), steps=5)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_rule_resumes_from_its_saved_state(name):
    """Three steps, the config through a checkpoint's split/join, three more: the same
    as six steps straight (what Solver.resume relies on)."""
    from minpy.nn import checkpoint
    rule = optim.get(name)
    w, cfg = np.array(W0), dict(CONFIGS[name])
    straight = []
    for _ in range(6):
        w, cfg = rule(w, np.array(grad_at(host(w))), cfg)
        straight.append(host(w))
    w, cfg = np.array(W0), dict(CONFIGS[name])
    for k in range(6):
        if k == 3:
            arrays, scalars = checkpoint.split_optim({"w": cfg})
            arrays = {key: host(v) for key, v in arrays.items()}
            cfg = checkpoint.join_optim(arrays, scalars, np.array)["w"]
        w, cfg = rule(w, np.array(grad_at(host(w))), cfg)
        assert onp.array_equal(host(w), straight[k]), (name, k)


def test_float32_weights_stay_float32():
    for name in REFERENCES:
        w = np.array(W0.astype(onp.float32))
        cfg = None
        for _ in range(3):
            w, cfg = optim.get(name)(w, np.array(grad_at(host(w)).astype(onp.float32)), cfg)
        assert w.dtype == onp.float32, name
