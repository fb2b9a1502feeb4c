"""Update rules, schedules, initializers and NDArrayIter."""

import numpy as onp
import pytest

import minpy.numpy as np
from minpy.nn import init, optim
from minpy.nn.io import DataBatch, NDArrayIter, as_batches


def host(a):
    return onp.asarray(a)


def test_update_rules_match_hand_computation():
    w, dw = np.array([1.0, -2.0]), np.array([0.5, 0.25])
    nw, cfg = optim.sgd(w, dw, {"learning_rate": 0.1})
    onp.testing.assert_allclose(host(nw), [0.95, -2.025])
    nw, cfg = optim.sgd_momentum(w, dw, {"learning_rate": 0.1, "momentum": 0.9})
    nw, cfg = optim.sgd_momentum(nw, dw, cfg)
    # v1 = -0.1*dw; v2 = 0.9*v1 - 0.1*dw = -0.19*dw
    onp.testing.assert_allclose(host(nw), host(w) - 0.29 * host(dw))
    nw, cfg = optim.adam(w, dw, {"learning_rate": 0.1})
    # first Adam step moves each coordinate by ~lr against the gradient's sign
    onp.testing.assert_allclose(host(nw), host(w) - 0.1 * onp.sign(host(dw)), rtol=1e-6)
    assert cfg["t"] == 1 and set(cfg) >= {"m", "v", "beta1", "beta2", "epsilon"}
    nw, cfg = optim.rmsprop(w, dw, {"learning_rate": 0.1, "decay_rate": 0.5})
    onp.testing.assert_allclose(host(nw), host(w) - 0.1 * host(dw) /
                                (onp.sqrt(0.5 * host(dw) ** 2) + 1e-8))
    nw, cfg = optim.adagrad(w, dw, {"learning_rate": 0.1})
    onp.testing.assert_allclose(host(nw), host(w) - 0.1 * onp.sign(host(dw)), rtol=1e-6)
    nw, cfg = optim.nesterov(w, dw, {"learning_rate": 0.1, "momentum": 0.9})
    onp.testing.assert_allclose(host(nw), host(w) - 1.9 * 0.1 * host(dw))


def test_weight_decay_and_no_mutation():
    w, dw = np.array([2.0]), np.array([0.0])
    config = {"learning_rate": 0.5, "weight_decay": 0.1}
    nw, cfg = optim.sgd(w, dw, config)
    onp.testing.assert_allclose(host(nw), [2.0 - 0.5 * 0.2])
    assert config == {"learning_rate": 0.5, "weight_decay": 0.1}
    assert host(w).tolist() == [2.0]


def test_optimizer_to_minimum_and_get():
    for name in ("sgd", "sgd_momentum", "nesterov", "rmsprop", "adam", "adagrad"):
        rule = optim.get(name)
        lr = 0.5 if name == "adagrad" else 0.05   # AdaGrad's steps shrink as 1/sqrt(t)
        w, cfg = np.array([3.0, -4.0]), {"learning_rate": lr}
        for _ in range(300):
            w, cfg = rule(w, 2 * w, cfg)
        assert onp.abs(host(w)).max() < 0.2, name
    with pytest.raises(ValueError, match="Invalid update_rule 'sgdd'"):
        optim.get("sgdd")


def test_schedules():
    assert optim.step_decay(2, 0.5)(3) == 0.5
    assert optim.exponential_decay(0.9)(2) == pytest.approx(0.81)
    s = optim.cosine_decay(10)
    assert s(0) == 1.0 and s(10) == pytest.approx(0.0) and s(5) == pytest.approx(0.5)


def test_initializers():
    onp.random.seed(0)
    w = host(init.xavier((300, 200), {}))
    a = onp.sqrt(6 / 500)
    assert w.shape == (300, 200) and w.dtype == onp.float64
    assert -a <= w.min() and w.max() <= a and abs(w.std() - a / onp.sqrt(3)) < 0.003
    g = host(init.gaussian((1000,), {"stdvar": 2.0, "mu": 1.0}))
    assert abs(g.mean() - 1.0) < 0.2 and abs(g.std() - 2.0) < 0.2
    h = host(init.he((20, 3, 5, 5), {"seed": 1}))
    assert abs(h.std() - onp.sqrt(2 / 75)) < 0.01
    onp.testing.assert_array_equal(h, host(init.kaiming((20, 3, 5, 5), {"seed": 1})))
    assert host(init.constant((2, 2), {"value": 3.0})).tolist() == [[3.0, 3.0]] * 2
    u = host(init.uniform((1000,), {"low": 2, "high": 3, "dtype": "float32"}))
    assert u.dtype == onp.float32 and 2 <= u.min() and u.max() < 3
    c = host(init.custom((2, 3), {"function": lambda s: onp.full(s, 7.0)}))
    assert c.tolist() == [[7.0] * 3] * 2
    with pytest.raises(ValueError, match="custom initializer returned shape"):
        init.custom((2, 3), {"function": lambda s: onp.ones(3)})
    with pytest.raises(ValueError, match="unknown init_rule"):
        init.get("glorot")


def _epoch(it):
    return [(host(b.data[0]).ravel().tolist(), host(b.label[0]).ravel().tolist(), b.pad)
            for b in it]


def test_ndarrayiter_last_batch_modes():
    x = onp.arange(10, dtype=onp.float32).reshape(10, 1)
    y = onp.arange(10)
    it = NDArrayIter(x, y, batch_size=4)
    ep = _epoch(it)
    assert [e[2] for e in ep] == [0, 0, 2] and ep[2][0] == [8, 9, 0, 1]
    assert it.getnumiterations() == 3 and len(it) == 3
    it.reset()
    assert _epoch(it) == ep
    it = NDArrayIter(x, y, batch_size=4, last_batch_handle="discard")
    assert [e[0] for e in _epoch(it)] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    it = NDArrayIter(x, y, batch_size=4, last_batch_handle="roll_over")
    assert len(_epoch(it)) == 2
    it.reset()
    second = _epoch(it)
    assert second[0][0] == [8, 9, 0, 1] and len(second) == 3  # 2 rolled over + 10
    with pytest.raises(ValueError, match="last_batch_handle"):
        NDArrayIter(x, y, last_batch_handle="wrap")
    with pytest.raises(ValueError, match="batch_size"):
        NDArrayIter(x, y, batch_size=11)


def test_ndarrayiter_named_inputs_shuffle_and_state():
    x1 = onp.arange(12, dtype=onp.float64).reshape(6, 2)
    x2 = onp.arange(6, dtype=onp.float64)
    y = onp.arange(6) * 10
    it = NDArrayIter({"a": x1, "b": x2}, {"y": y}, batch_size=3, shuffle=True, seed=4)
    assert it.provide_data == [("a", (3, 2)), ("b", (3,))]
    assert it.provide_label == [("y", (3,))]
    batches = list(it)
    for b in batches:
        a, bb, yy = host(b.data[0]), host(b.data[1]), host(b.label[0])
        onp.testing.assert_array_equal(a[:, 0] / 2, bb)
        onp.testing.assert_array_equal(bb * 10, yy)
    seen = sorted(v for b in batches for v in host(b.data[1]).tolist())
    assert seen == list(range(6))
    state = it.get_state()
    it.reset()
    nxt = _epoch(it)
    it.set_state(state)
    it.reset()
    assert _epoch(it) == nxt          # same generator state: same next epoch
    with pytest.raises(ValueError, match="same number of examples"):
        NDArrayIter(x1, onp.arange(5))
    with pytest.raises(TypeError, match="numpy.ndarray"):
        NDArrayIter([[1, 2]], None)


def test_as_batches_accepts_plain_iterables():
    pairs = [(onp.ones((2, 3)), onp.array([0, 1])), (onp.zeros((2, 3)), onp.array([1, 1]))]
    got = list(as_batches(pairs))
    assert all(isinstance(b, DataBatch) for b in got) and got[1].label[0].tolist() == [1, 1]
    assert len(list(as_batches(lambda: iter(pairs)))) == 2
    got = list(as_batches([{"data": onp.ones((1, 2)), "label": onp.zeros(1)}]))
    assert got[0].data[0].shape == (1, 2)
