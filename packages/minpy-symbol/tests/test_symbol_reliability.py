"""Function under stress (issue 15): bounded per-shape cache, zero-size batches, dtypes
MXNet lacks, threads sharing one Function under grad."""

from __future__ import annotations

import threading

import numpy as onp
import pytest

import minpy.numpy as np
from minpy.core import grad
from minpy.symbol import Function
from minpy.symbol._function import DEFAULT_CACHE_SIZE


def _fc(mx, hidden=4):
    x = mx.sym.Variable("x")
    return mx.sym.FullyConnected(x, name="fc", num_hidden=hidden)


def test_cache_is_bounded_lru(mx):
    fn = Function(_fc(mx), cache_size=3)
    w, b = onp.ones((4, 5)), onp.zeros(4)
    for n in range(1, 11):
        out = fn(x=onp.ones((n, 5)), fc_weight=w, fc_bias=b)
        assert out.shape == (n, 4)
        assert len(fn._cache) <= 3
    # An evicted signature binds again and still computes correctly.
    assert onp.allclose(fn(x=onp.ones((1, 5)), fc_weight=w, fc_bias=b).asnumpy(), 5.0)
    assert Function(_fc(mx)).cache_size == DEFAULT_CACHE_SIZE
    with pytest.raises(ValueError):
        Function(_fc(mx), cache_size=0)


def test_zero_size_batch_weight_gradient_is_zero(mx):
    fn = Function(_fc(mx))
    x = np.ones((0, 5))
    w, b = np.ones((4, 5)), np.ones(4)
    gw, gb = grad(lambda w, b: np.sum(fn(x=x, fc_weight=w, fc_bias=b)), argnum=[0, 1])(w, b)
    assert onp.array_equal(gw.asnumpy(), onp.zeros((4, 5)))
    assert onp.array_equal(gb.asnumpy(), onp.zeros(4))


@pytest.mark.parametrize("dtype", ["complex128", "object", "float16", "int64"])
def test_unsupported_dtypes_raise_type_error(mx, dtype):
    fn = Function(_fc(mx))
    x = onp.ones((2, 5)).astype(dtype)
    with pytest.raises(TypeError, match=r"x|float16|int64") as info:
        fn(x=x, fc_weight=onp.ones((4, 5), dtype=x.dtype if dtype in ("float16", "int64")
                                   else "float64"),
           fc_bias=onp.zeros(4, dtype=x.dtype if dtype in ("float16", "int64")
                             else "float64"))
    text = str(info.value)
    assert "Check failed" not in text and "Traceback" not in text
    assert dtype in text or "float32" in text


def test_threads_share_one_function_under_grad(mx):
    fn = Function(_fc(mx, hidden=8))
    rng = onp.random.default_rng(0)
    xs = [rng.standard_normal((6, 5)) for _ in range(4)]
    w, b = rng.standard_normal((8, 5)), rng.standard_normal(8)

    def loss(w, x):
        return np.sum(np.tanh(fn(x=x, fc_weight=w, fc_bias=b)))
    expected = [grad(loss)(w, x).asnumpy() for x in xs]
    results, errors = {}, []

    def work(i):
        try:
            with np.policy("prefer_mxnet"):
                for _ in range(15):
                    results[i] = grad(loss)(w, xs[i]).asnumpy()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for i in range(4):
        assert onp.allclose(results[i], expected[i])
