"""What a jitted function does: guards, re-captures, writes and views, randomness,
errors, eager fallbacks, statistics and the cache."""

from __future__ import annotations

import traceback
import warnings

import numpy as onp
import pytest

import minpy.numpy as np
from minpy.jit import JitWarning, jit, stats


def A(x, dtype=None):
    return np.array(onp.asarray(x, dtype=dtype))


def same(a, b):
    onp.testing.assert_array_equal(onp.asarray(a.asnumpy() if hasattr(a, "asnumpy") else a),
                                   onp.asarray(b.asnumpy() if hasattr(b, "asnumpy") else b),
                                   strict=True)


# -- replay equals eager ------------------------------------------------------------------
def test_replay_equals_eager_and_counts():
    def f(x, y):
        z = np.exp(x) * y + 1.0
        return z.sum(axis=0), np.maximum(z, 2.0).T
    jf = jit(f)
    x, y = A(onp.linspace(-1, 1, 12).reshape(3, 4)), A(onp.ones((3, 4)))
    for _ in range(3):
        got, want = jf(x, y), f(x, y)
        same(got[0], want[0])
        same(got[1], want[1])
    assert jf.stats["captures"] == 1 and jf.stats["replays"] == 2
    assert jf.stats["engines"] == {"numpy": 1}
    assert "jit" not in repr(type(got[0]))  # plain Arrays come back
    assert stats()["functions"][jf._name]["replays"] == 2


def test_new_shapes_and_dtypes_capture_again():
    jf = jit(lambda x: np.tanh(x) * 2)
    for shape in [(3,), (3,), (4,), (2, 2), (4,)]:
        x = A(onp.arange(onp.prod(shape), dtype=float).reshape(shape))
        same(jf(x), np.tanh(x) * 2)
    assert jf.stats["captures"] == 3 and jf.stats["signatures"] == 3
    xf = A(onp.arange(4), "float32")
    assert jf(xf).dtype == onp.float32
    assert jf.stats["captures"] == 4


def test_python_scalars_are_part_of_the_signature():
    jf = jit(lambda x, k: x * k)
    x = A([1.0, 2.0])
    same(jf(x, 2.0), A([2.0, 4.0]))
    same(jf(x, 3.0), A([3.0, 6.0]))  # not the program captured for 2.0
    same(jf(x, 2.0), A([2.0, 4.0]))
    assert jf.stats["captures"] == 2 and jf.stats["replays"] == 1


def test_static_argnames_and_argnums():
    calls = []

    def f(x, mode):
        calls.append(mode)
        return x + 1 if mode == "a" else x - 1
    jf = jit(f, static_argnames="mode")
    x = A([1.0])
    same(jf(x, mode="a"), A([2.0]))
    same(jf(x, mode="b"), A([0.0]))
    same(jf(x, mode="a"), A([2.0]))
    assert calls == ["a", "b"]  # the third call was a replay
    jg = jit(lambda x, n: x * n, static_argnums=1)
    same(jg(x, 3), A([3.0]))


def test_bounded_cache_evicts_least_recently_used():
    jf = jit(lambda x: x + 1, cache_size=2)
    for n in (1, 2, 3, 1):
        jf(A(onp.zeros(n)))
    assert jf.stats["evictions"] == 2 and len(jf.programs()) == 2
    assert jf.stats["captures"] == 4


# -- value-dependent control flow -----------------------------------------------------------
def test_branch_on_a_value_taken_both_ways():
    def f(x):
        if x.sum() > 0:
            return x * 2
        return -x
    jf = jit(f)
    pos, neg = A([1.0, 2.0]), A([-3.0, 1.0])
    for x in (pos, neg, pos, neg, neg, pos):
        same(jf(x), f(x))  # never the other branch's program
    st = jf.stats
    assert st["captures"] == 2 and st["replays"] == 4 and st["guard_failures"] >= 1
    assert len(jf.programs()[0][1]) == 2  # two programs for one signature


def test_float_and_int_guards():
    def f(x):
        n = int(x[0])
        return x[1:] * float(x[1]) + n
    jf = jit(f)
    for v in ([1.0, 2.0, 3.0], [1.0, 2.0, 5.0], [2.0, 2.0, 5.0]):
        same(jf(A(v)), f(A(v)))
    assert jf.stats["captures"] == 2  # x[0] or x[1] changed once


def test_too_many_paths_run_eagerly_with_one_warning():
    jf = jit(lambda x: x * float(x.sum()), max_variants=2)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        for k in range(6):
            x = A([float(k), 1.0])
            same(jf(x), x * float(x.sum()))
    assert len([x for x in w if issubclass(x.category, JitWarning)]) == 1
    assert jf.stats["captures"] == 2 and jf.stats["eager_calls"] >= 3


def test_printing_makes_the_function_eager_with_one_warning(capsys):
    def f(x):
        y = x + 1
        print("y =", y)
        return y * 2
    jf = jit(f)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        for _ in range(3):
            same(jf(A([1.0])), A([4.0]))
    assert capsys.readouterr().out.count("y = [2.]") == 3  # printed on every call
    msgs = [str(x.message) for x in w if issubclass(x.category, JitWarning)]
    assert len(msgs) == 1 and "printing" in msgs[0]
    assert jf.stats["eager_reason"] is not None and jf.stats["replays"] == 0


def test_asnumpy_makes_the_function_eager():
    def f(x):
        return A(x.asnumpy() * 2) + x  # a NumPy detour the capture cannot follow
    jf = jit(f)
    with pytest.warns(JitWarning, match="asnumpy"):
        jf(A([1.0]))
    same(jf(A([5.0])), A([15.0]))  # eager, not a stale constant


def test_a_kept_traced_value_makes_the_function_eager():
    kept = []

    def f(x):
        y = x * 2
        kept.append(y)
        return y + 1
    jf = jit(f)
    with pytest.warns(JitWarning, match="kept after the call"):
        same(jf(A([1.0])), A([3.0]))
    same(kept[0] + 0, A([2.0]))  # the kept value stands for its value
    jf(A([2.0]))
    assert len(kept) == 2  # the second call ran the Python again


# -- writes and views -------------------------------------------------------------------------
def test_inplace_update_of_inputs():
    def step(w, g):
        w -= 0.5 * g
        return w
    jf = jit(step)
    w1, w2 = A([1.0, 2.0]), A([1.0, 2.0])
    g = A([2.0, 2.0])
    for _ in range(3):
        out = jf(w1, g)
        assert out is w1  # the input itself, as in NumPy
        step(w2, g)
        same(w1, w2)
    assert jf.stats["replays"] == 2


def test_setitem_and_writes_through_views_reach_the_input():
    def f(x, v):
        row = x[1]
        row[...] = v          # through a view
        x[0, :2] = v[:2] * 2  # setitem
        x[:, -1] += 1         # in place through a view
        return row
    jf = jit(f)
    for _ in range(3):
        a, b = A(onp.arange(12.0).reshape(3, 4)), A(onp.arange(12.0).reshape(3, 4))
        v = A([9.0, 8.0, 7.0, 6.0])
        ra, rb = jf(a, v), f(b, v)
        same(a, b)
        same(ra, rb)
        ra[0] = -1  # the returned row is a view of the input, as in NumPy
        assert float(a[1, 0]) == -1
    assert jf.stats["replays"] == 2


def test_out_and_views_of_outputs():
    def f(x):
        y = np.empty_like(x)
        np.multiply(x, 3, out=y)
        np.add(y, 1, out=y)
        return y, y.T, y
    jf = jit(f)
    x = A(onp.arange(6.0).reshape(2, 3))
    for _ in range(2):
        y, yt, y2 = jf(x)
        same(y, f(x)[0])
        assert y2 is y
        y[0, 0] = 100.0
        assert float(yt[0, 0]) == 100.0  # y.T views y


def test_writing_an_array_from_outside():
    acc = A([0.0, 0.0])

    def f(x):
        acc[...] += x  # a global written in place: every replay writes it
        return acc * 1
    jf = jit(f)
    for k in range(1, 4):
        same(jf(A([1.0, 2.0])), A([k * 1.0, k * 2.0]))
    same(acc, A([3.0, 6.0]))
    assert jf.stats["replays"] == 2


def test_arrays_read_from_outside_are_read_by_reference():
    w = A([1.0, 2.0])
    jf = jit(lambda x: x * w)
    same(jf(A([1.0, 1.0])), A([1.0, 2.0]))
    w[...] = A([5.0, 6.0])  # changed in place between calls
    same(jf(A([1.0, 1.0])), A([5.0, 6.0]))


def test_constants_made_inside_are_fresh_each_call():
    def f(x):
        c = np.array([1.0, 2.0])  # not a recorded op: a constant of the program
        c += x
        return c
    jf = jit(f)
    for _ in range(3):
        same(jf(A([1.0, 1.0])), A([2.0, 3.0]))  # never accumulating across calls
    assert jf.stats["replays"] == 2


def test_input_aliasing_and_identity():
    jf = jit(lambda x, y: (x, np.asarray(y), x.reshape(2, 2)))
    x, y = A(onp.arange(4.0)), A([1.0])
    for _ in range(2):
        a, b, c = jf(x, y)
        assert a is x and b is y
        c[0, 0] = 7.0
        assert float(x[0]) == 7.0


# -- randomness ---------------------------------------------------------------------------------
def test_random_numbers_are_fresh_and_from_the_eager_stream():
    def f(x):
        return x + np.random.normal(size=x.shape) + np.random.rand(3)
    jf = jit(f)
    x = A(onp.zeros(3))
    onp.random.seed(7)
    eager = [f(x).asnumpy() for _ in range(4)]
    onp.random.seed(7)
    jitted = [jf(x).asnumpy() for _ in range(4)]
    onp.testing.assert_array_equal(onp.stack(eager), onp.stack(jitted))
    assert not onp.array_equal(jitted[1], jitted[2])
    assert jf.stats["replays"] == 3


def test_unrecorded_random_draws_make_the_function_eager():
    def f(x):
        onp.random.shuffle(perm := onp.arange(3))  # NumPy's own generator, unseen
        return x[perm]
    jf = jit(f)
    with pytest.warns(JitWarning, match="random"):
        jf(A([1.0, 2.0, 3.0]))
    onp.random.seed(3)
    got = jf(A([1.0, 2.0, 3.0]))
    onp.random.seed(3)
    same(got, f(A([1.0, 2.0, 3.0])))


# -- errors ---------------------------------------------------------------------------------------
def _line_of(exc, fname):
    frames = [fr for fr in traceback.extract_tb(exc.__traceback__) if fr.name == fname]
    return frames[-1].lineno if frames else None


def test_errors_are_raised_at_the_eager_statement():
    def f(m):
        inv = np.linalg.inv(m)  # singular input: LinAlgError here
        return inv.sum()
    jf = jit(f)
    good, bad = A([[2.0, 0.0], [0.0, 4.0]]), A([[1.0, 2.0], [2.0, 4.0]])
    same(jf(good), f(good))
    same(jf(good), f(good))  # replayed
    with pytest.raises(onp.linalg.LinAlgError) as eager:
        f(bad)
    with pytest.raises(onp.linalg.LinAlgError) as jitted:
        jf(bad)  # a replay: it fails, the call runs eagerly and raises there
    assert _line_of(jitted.value, "f") == _line_of(eager.value, "f") is not None
    assert jf.stats["replay_errors"] == 1
    same(jf(good), f(good))


def test_errors_in_the_capture_are_eager_errors():
    def f(x):
        return x.reshape(5)
    jf = jit(f)
    with pytest.raises(ValueError) as e:
        jf(A(onp.zeros(4)))
    assert _line_of(e.value, "f") is not None


def test_a_failed_replay_leaves_inputs_as_they_were():
    def f(w, idx):
        w *= 2                # written before the failing lookup
        return w[idx.astype(int)]
    jf = jit(f)
    w = A([1.0, 2.0, 3.0])
    jf(w, A([0.0]))
    jf(w, A([1.0]))
    same(w, A([4.0, 8.0, 12.0]))
    with pytest.raises(IndexError):
        jf(w, A([7.0]))  # the replay fails after its write: undone, then eager raises
    same(w, A([8.0, 16.0, 24.0]))  # written once, by the eager run


# -- nesting ------------------------------------------------------------------------------
def test_jit_inside_jit_is_inlined():
    inner = jit(lambda x: np.sin(x) + 1)
    outer = jit(lambda x: inner(x) * inner(x * 2))
    x = A([0.5, 1.0])
    for _ in range(3):
        same(outer(x), (np.sin(x) + 1) * (np.sin(x * 2) + 1))
    assert inner.stats["inlined"] == 2  # only during the outer capture


def test_methods_can_be_jitted():
    class Model:
        def __init__(self):
            self.w = A([2.0])

        @jit
        def f(self, x):
            return x * self.w
    m = Model()
    same(m.f(A([3.0])), A([6.0]))
    same(m.f(A([3.0])), A([6.0]))


def test_a_signature_changing_on_every_call_runs_eagerly():
    jf = jit(lambda x, t: x * t)
    x = A([1.0])
    with pytest.warns(JitWarning, match="new signature"):
        for t in range(12):
            same(jf(x, float(t)), A([float(t)]))
    assert jf.stats["captures"] == 8 and jf.stats["eager_calls"] == 4


def test_signed_zeros_and_nan_arguments_are_told_apart():
    jf = jit(lambda x, k: x * k)
    x = A([1.0, -1.0])
    same(jf(x, 0.0), A([0.0, -0.0]))
    same(jf(x, -0.0), A([-0.0, 0.0]))
    for _ in range(2):
        same(jf(x, float("nan")), A([float("nan")] * 2))
    same(jf(x, onp.float32(-0.0)), x * onp.float32(-0.0))
    assert jf.stats["captures"] == 4 and jf.stats["replays"] == 1


def test_replays_from_two_threads_at_once():
    import threading
    jf = jit(lambda x: np.tanh(x * 2.0) + np.exp(x))
    xs = [A(onp.linspace(k, k + 1, 500)) for k in range(4)]
    jf(xs[0])
    errors = []

    def work(x):
        try:
            for _ in range(30):
                same(jf(x), np.tanh(x * 2.0) + np.exp(x))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
    threads = [threading.Thread(target=work, args=(x,)) for x in xs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]


def test_op_statistics_show_replays():
    jf = jit(lambda x: x * 2 + 1)
    x = A([1.0, 2.0])
    jf(x)
    with np.record_op_stat():
        jf(x)
        jf(x)
        calls = np.op_stats()["calls"]
    assert calls[(f"jit({jf._name})", "numpy")][0] == 2
