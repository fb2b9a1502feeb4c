"""The engines: which one a program gets, the MXNet CachedOp engine against eager
MinPy on MXNet, the dispatch engine, and the host engine's planned buffers."""

from __future__ import annotations

import numpy as onp
import pytest

import minpy.numpy as np
from minpy.autograd import value_and_grad
from minpy.jit import engines, jit

mx = pytest.importorskip("mxnet", reason="the MXNet engine needs MXNet")


def A(x, dtype=None):
    return np.array(onp.asarray(x, dtype=dtype))


def same(a, b):
    onp.testing.assert_array_equal(a.asnumpy(), b.asnumpy(), strict=True)


def mlp_step(w1, b1, w2, b2, x, y):
    def loss(w1, b1, w2, b2):
        h = np.maximum(np.dot(x, w1) + b1, 0.0)
        z = np.dot(h, w2) + b2
        z = z - np.max(z, axis=1, keepdims=True)
        return -np.sum(y * (z - np.log(np.sum(np.exp(z), axis=1, keepdims=True)))) / 8
    l, gs = value_and_grad(loss, argnum=(0, 1, 2, 3))(w1, b1, w2, b2)
    return l, [p - 0.1 * g for p, g in zip((w1, b1, w2, b2), gs)]


@pytest.fixture
def mlp_args():
    rng = onp.random.default_rng(0)
    return [A(rng.standard_normal((12, 16)) * 0.1, "float32"), A(onp.zeros(16), "float32"),
            A(rng.standard_normal((16, 4)) * 0.1, "float32"), A(onp.zeros(4), "float32"),
            A(rng.standard_normal((8, 12)), "float32"),
            A(onp.eye(4)[rng.integers(0, 4, 8)], "float32")]


def test_engine_per_backend():
    assert engines.engine_for("numpy").name == "numpy"
    assert engines.engine_for("mxnet").name == "mxnet"
    assert engines.engine_for("no such backend").name == "dispatch"
    from minpy.core import backend as backends
    for be in backends.backends():     # each backend object carries its engine
        assert engines.engine_for(be) is be.jit_engine and be.jit_engine.backend is be


def test_an_extra_backend_gets_an_engine_by_registering_it():
    """A backend registered later has no engine (the dispatch engine replays its
    programs) until one is registered for it, on the backend object."""
    from minpy.core import backend as backends

    class Extra(backends.Backend):
        label = "Extra"

    be = backends.register(Extra("extra"))
    try:
        assert engines.engine_for(be).name == "dispatch"

        class ExtraEngine:
            name, backend = "extra", be

        engines.register(be, ExtraEngine())
        assert engines.engine_for("extra") is be.jit_engine
        assert isinstance(be.jit_engine, ExtraEngine) and "extra" in engines.names()
    finally:
        backends.unregister(be)
        engines._NAMED.pop("extra", None)
    with pytest.raises(ValueError, match="unknown jit engine"):
        jit(lambda x: x, engine="nope")


def test_mxnet_engine_runs_the_step_as_eager_mxnet(mlp_args):
    jf = jit(mlp_step)
    with np.policy("prefer_mxnet"):
        for _ in range(3):
            l1, p1 = jf(*mlp_args)
            l2, p2 = mlp_step(*mlp_args)
            assert all(a.forms == ("mxnet",) for a in p1)  # MXNet results, no host copy
            same(l1, l2)
            for a, b in zip(p1, p2):
                same(a, b)
    assert jf.stats["engines"] == {"mxnet": 1} and jf.stats["replays"] == 2


def test_mxnet_engine_guards_and_fallbacks():
    def f(x):
        if x.sum() > 0:
            return np.tanh(x)
        return -x
    jf = jit(f)
    with np.policy("prefer_mxnet"):
        for v in ([1.0, 2.0], [-3.0, 1.0], [1.0, 2.0]):
            same(jf(A(v)), f(A(v)))
    assert jf.stats["engines"] == {"mxnet": 2} and jf.stats["replays"] == 1

    def g(x):
        x += 1  # a write: no symbol for it
        return x * 2
    jg = jit(g)
    with np.policy("prefer_mxnet"):
        a, b = A([1.0]), A([1.0])
        for _ in range(2):
            same(jg(a), g(b))
    assert set(jg.stats["engines"]) == {"dispatch"}
    assert any("mxnet" in k for k in jg.stats["fallbacks"])


def test_dispatch_engine_equals_eager(mlp_args):
    jf = jit(mlp_step, engine="dispatch")
    for policy in ("auto", "prefer_mxnet"):
        with np.policy(policy):
            for _ in range(2):
                l1, p1 = jf(*mlp_args)
                l2, p2 = mlp_step(*mlp_args)
                same(l1, l2)
                for a, b in zip(p1, p2):
                    same(a, b)
    assert jf.stats["engines"] == {"dispatch": 2}


def test_planned_buffers_do_not_leak_between_calls():
    jf = jit(lambda x: np.exp(np.sin(x) * 2 + 1).sum(axis=0))
    x1, x2 = A(onp.linspace(0, 1, 12).reshape(3, 4)), A(onp.linspace(1, 2, 12).reshape(3, 4))
    r1 = jf(x1)
    r1b = jf(x1)
    r2 = jf(x2)
    same(r1, r1b)
    same(r2, np.exp(np.sin(x2) * 2 + 1).sum(axis=0))
    same(r1, np.exp(np.sin(x1) * 2 + 1).sum(axis=0))  # r1 not overwritten by the call
    comp = jf.programs()[0][1][0]
    assert "out=B" in comp.source  # intermediates went to planned buffers


def test_planned_and_unplanned_host_engines_agree(mlp_args):
    a = jit(mlp_step)
    b = jit(mlp_step, engine="numpy-unplanned")
    for _ in range(2):
        la, pa = a(*mlp_args)
        lb, pb = b(*mlp_args)
        same(la, lb)
        for x, y in zip(pa, pb):
            same(x, y)


def test_recursive_call_of_a_planned_program_gets_fresh_buffers():
    calls = []

    def f(x, depth):
        y = np.exp(x) * 2
        if depth:
            calls.append(jf(x + 1, depth - 1))
        return y
    jf = jit(f, static_argnums=1)
    x = A([0.1, 0.2])
    same(jf(x, 0), f(x, 0))
    same(jf(x, 0), f(x, 0))


# -- the CuPy engine, on the CuPy stand-in (plumbing, not GPU results) -------------------
def _standin():
    import importlib.util
    import sys
    from pathlib import Path
    mod = sys.modules.get("cupy_standin")
    if mod is None:
        path = Path(__file__).resolve().parents[3] / "conformance" / "cupy_standin.py"
        if not path.exists():
            pytest.skip("conformance/cupy_standin.py is not in this checkout")
        spec = importlib.util.spec_from_file_location("cupy_standin", path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules["cupy_standin"] = mod
        spec.loader.exec_module(mod)
    reason = mod.unavailable_reason()
    if reason:
        pytest.skip(reason)
    return mod


def test_cupy_engine_fuses_elementwise_chains_on_the_stand_in():
    from minpy import core
    from minpy.core import _cupy
    if _cupy.available():
        pytest.skip("a real GPU: the stand-in is not used")
    standin = _standin()

    def f(x, y):
        z = np.tanh(x * 2.0 + y) * y  # one fused kernel
        return np.sum(z, axis=0), z

    policy = __import__("importlib").import_module("minpy.numpy.policy")
    with standin.installed(devices=1), policy.policy("prefer_mxnet"):
        with core.device(core.gpu(0)):
            x = A(onp.linspace(0, 1, 6).reshape(2, 3), "float32")
            y = A(onp.ones((2, 3)), "float32")
            jf = jit(f)
            for _ in range(3):
                got, want = jf(x, y), f(x, y)
                same(got[0], want[0])
                same(got[1], want[1])
            assert jf.stats["engines"] == {"cupy": 1} and jf.stats["replays"] == 2
            assert "K" in jf.programs()[0][1][0].source  # the fused kernel's call
            # GPU-resident inputs: a CUDA graph is tried; the stand-in has no memory
            # pools, so the capture fails once and the program replays without one
            xg, yg = x.to(core.gpu(0)), y.to(core.gpu(0))
            xg.ascupy(), yg.ascupy()
            xg._host = yg._host = None
            jg = jit(f)
            for _ in range(4):
                got, want = jg(xg, yg), f(xg, yg)
                same(got[1], want[1])
            comp = jg.programs()[0][1][0]
            assert comp.failed is not None and jg.stats["replay_errors"] == 0


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_where_as_a_bit_selection_is_numpys_where(dtype):
    rng = onp.random.default_rng(3)
    a = rng.standard_normal((6, 7)).astype(dtype)
    d = rng.standard_normal((6, 7)).astype(dtype)
    a[0, :3] = 0
    d[1, :2] = onp.nan
    d[2, :2] = -0.0

    def f(a, d):
        return np.where(a > 0, d, np.where(a == 0, d * 0.5, -0.0)), np.where(a < 0, 1.5, d)
    for engine in ("numpy", "numpy-unplanned"):
        jf = jit(f, engine=engine)
        for _ in range(2):
            got, want = jf(A(a), A(d)), f(A(a), A(d))
            for g, w in zip(got, want):
                onp.testing.assert_array_equal(g.asnumpy().view("u1"), w.asnumpy().view("u1"))
        assert "W" in jf.programs()[0][1][0].source  # the bit selection ran


def test_output_buffers_are_reused_only_when_nothing_sees_them():
    jf = jit(lambda x: np.exp(x) + 1.0)
    x = A(onp.linspace(0, 1, 1000))
    a = jf(x)
    b = jf(x)  # a is alive: b gets new memory
    assert not onp.shares_memory(a.asnumpy(), b.asnumpy())
    ha = a._host
    view = a[10:20]  # a view keeps the buffer in use even after a is gone
    del a
    c = jf(x)
    assert c._host is not ha
    same(view, (np.exp(x) + 1.0)[10:20])
    same(c, np.exp(x) + 1.0)
    hc = id(c._host)
    del c
    d = jf(x)  # the last call's buffer: nobody can see it any more, so d reuses it
    assert id(d._host) == hc
    same(d, np.exp(x) + 1.0)
    assert "R" in jf.programs()[0][1][0].source
