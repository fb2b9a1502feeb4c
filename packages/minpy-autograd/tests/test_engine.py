"""The tracing engine: argument structures, traced values in NumPy containers, values
kept after their trace ended (issues 10 and 15)."""

import numpy as onp
import pytest

import minpy.numpy as np
from minpy.autograd import grad, grad_and_loss, value_and_grad
from minpy.core import Array


def val(x):
    return onp.asarray(x.asnumpy() if hasattr(x, "asnumpy") else x)


# -- r_ / c_ / append / integer scalars of traced values ------------------------------
def test_r_and_c_of_traced_values(policy):
    assert onp.allclose(val(grad(lambda x: np.sum(np.r_[x, x]))(onp.ones(2))), [2, 2])
    w = onp.arange(4.0).reshape(2, 2)
    assert onp.allclose(val(grad(lambda x: np.sum(np.c_[x, x] * w))(onp.ones(2))), [1, 5])
    assert onp.allclose(val(grad(lambda x: np.sum(np.r_["0,2", x, x] * w))(onp.ones(2))),
                        [2, 4])
    assert grad(lambda x: np.sum(np.r_[x, 0:3, 5.0, x * 2]))(1.0) == 3.0


@pytest.mark.parametrize("key", [
    (slice(0, 3), 5, [1.5, 2.0]), ("0,2,0", [1.0, 2.0], [3.0, 4.0]),
    ("1,2,0", [1.0, 2.0], [3.0, 4.0]), ("-1,3", [[1.0, 2.0]], [[3.0, 4.0]]),
    ("0,2", [1.0, 2.0], [[3.0, 4.0]]),
    ("1", [[1.0, 2.0]], [[3.0, 4.0]]), (slice(0, 1, 3j), [2.0]),
])
@pytest.mark.parametrize("which", ["r_", "c_"])
def test_r_c_traced_values_match_numpy(key, which):
    """The traced build gives NumPy's values, shapes and dtypes."""
    try:
        expect = getattr(onp, which)[key]
    except ValueError:
        with pytest.raises(ValueError):
            grad(lambda x: np.sum(getattr(np, which)[tuple(
                x * onp.asarray(k) if isinstance(k, list) else k for k in key)]))(1.0)
        return
    got = {}

    def f(x):
        items = tuple(x * onp.asarray(k) if isinstance(k, list) else k for k in key)
        out = getattr(np, which)[items]
        got["v"] = out
        return np.sum(out)

    grad(f)(1.0)
    assert got["v"].shape == expect.shape and got["v"].dtype == expect.dtype
    assert onp.allclose(val(got["v"]), expect)
    # and untraced: NumPy's result, as an Array
    plain = getattr(np, which)[key]
    assert isinstance(plain, Array) and onp.array_equal(val(plain), expect)


def test_nested_lists_of_traced_values(policy):
    # two levels down: an array-like, built into one traced array
    assert grad(lambda x: np.sum(np.append([[x, x]], [[x, 2 * x]], axis=0)))(1.0) == 5.0
    assert grad(lambda x: np.sum(np.append(np.ones(2), [x, x * x])))(3.0) == 7.0


def test_block_of_nested_traced_values():
    # block's nested lists are structure (not array-likes): the boxes are found at
    # any depth and get their gradients through the nested paths
    w = onp.arange(8.0).reshape(2, 4)
    g = grad(lambda x: np.sum(np.block([[x, x * 2], [x * 3, x]]) * w))(onp.ones(2))
    assert onp.allclose(val(g), [22.0, 29.0])


def test_integer_scalar_of_traced_value():
    # an integer conversion has a zero derivative: allowed, and nothing is lost
    assert grad(lambda x: x * np.int64(x))(3.0) == 3.0
    assert grad(lambda x: x * onp.int32(x) + onp.bool_(x))(2.5) == 2.0


# -- argnum -------------------------------------------------------------------------------
def test_argnum_any_sequence_of_ints():
    f = lambda x, y, z: x * y * z  # noqa: E731
    assert grad(f, argnum=range(3))(1.0, 2.0, 3.0) == (6.0, 3.0, 2.0)
    assert grad(f, argnum=[2, 0])(1.0, 2.0, 3.0) == (2.0, 6.0)
    assert grad(f, argnum=onp.int64(1))(1.0, 2.0, 3.0) == 3.0
    with pytest.raises(TypeError, match="argnum"):
        grad(f, argnum="01")(1.0, 2.0, 3.0)
    with pytest.raises(TypeError, match="argnum"):
        grad(f, argnum=(0, 1.0))(1.0, 2.0, 3.0)
    with pytest.raises(ValueError, match="out of range"):
        grad(f, argnum=range(4))(1.0, 2.0, 3.0)


def test_repeated_argnum_gives_the_gradient_each_time():
    assert grad(lambda x, y: x * y, argnum=(0, 0))(2.0, 3.0) == (3.0, 3.0)
    g, loss = grad_and_loss(lambda x, y: np.sum(x * y), argnum=(1, 0, 1))(
        onp.ones(2), onp.full(2, 3.0))
    assert [val(a).tolist() for a in g] == [[1, 1], [3, 3], [1, 1]] and float(loss) == 6.0


# -- a traced value written into a NumPy array -------------------------------------------
def test_assignment_into_numpy_array_raises():
    def f(A, b):
        A[1] = b
        return np.sum(A * A)

    with pytest.raises((TypeError, ValueError)) as info:
        grad(f, 1)(onp.ones(3), 3.0)
    err = info.value
    text = str(err) + str(err.__cause__)
    assert "traced value into a NumPy array" in text

    def g(A, b):  # a slice: NumPy asks for an array
        A[1:3] = b * onp.ones(2)
        return np.sum(A)

    with pytest.raises((TypeError, ValueError)) as info:
        grad(g, 1)(onp.ones(3), 3.0)
    assert "traced value into a NumPy array" in str(info.value) + str(info.value.__cause__)
    # an explicit exit from the tape stays allowed
    assert grad(lambda b: b * float(b))(3.0) == 3.0


def test_assignment_into_untraced_array_raises():
    def f(A, b):
        A[1] = b
        return np.sum(A * A)

    with pytest.raises(TypeError, match="not traced"):
        grad(f, 1)(np.ones(3), 3.0)


# -- values kept after their trace ended -------------------------------------------------
def test_kept_value_behaves_as_its_value(policy):
    losses = []

    def loss(x):
        lo = np.sum(x * x)
        losses.append(lo)
        return lo

    g = grad(loss)(onp.ones(3))
    assert onp.allclose(val(g), 2.0)
    kept = losses[0]
    assert float(kept + 1.0) == 4.0 and float(1.0 + kept) == 4.0
    assert float(np.exp(kept)) == pytest.approx(onp.exp(3.0))
    assert float(onp.exp(kept)) == pytest.approx(onp.exp(3.0))
    assert float(onp.ones(2) @ onp.ones(2) + kept) == 5.0
    assert onp.asarray(kept) == 3.0
    # used inside a new trace, it is a constant
    assert grad(lambda x: x * kept)(2.0) == 3.0
    loss_value, gx = value_and_grad(lambda x: np.sum(x * kept))(onp.ones(2))
    assert float(loss_value) == 6.0 and onp.allclose(val(gx), 3.0)


@pytest.mark.parametrize("name", ["auto", "prefer_mxnet"])
def test_kept_value_no_recursion_or_hang(name):
    """Issue 15's repro: RecursionError under 'auto', a hang under 'prefer_mxnet'."""
    losses = []

    def loss(x):
        lo = np.sum(x * x)
        losses.append(lo)
        return lo

    with np.policy(name):
        grad(loss)(onp.ones(3))
        out = losses[0] + 1.0
        assert isinstance(out, Array) and float(out) == 4.0
        assert float(np.maximum(losses[0], 5.0)) == 5.0


def test_kept_value_inside_nested_traces():
    kept = []

    def inner(y):
        z = y * y
        kept.append(z)
        return z

    def outer(x):
        g = grad(inner)(x)      # inner's trace ends here; z was boxed by both traces
        return g * kept[0]      # kept[0] is still traced by the outer trace: x**2 * 2x

    assert grad(outer)(3.0) == pytest.approx(6 * 9.0)


# -- memory -----------------------------------------------------------------------------
def test_gradient_leaves_no_reference_cycles():
    """The tape is freed by reference counting when grad returns: a cycle would keep
    every activation alive until the cyclic collector runs."""
    import gc

    def loss(w, x):
        h = np.maximum(np.dot(x, w[0]) + w[1], 0.0)
        z = h - np.max(h, axis=1, keepdims=True)
        u, s, vt = np.linalg.svd(z[:2, :2])
        return np.sum(z * z) + np.sum(s) + np.sum(np.concatenate([h[0], z[1]]))

    rng = onp.random.default_rng(0)
    w = [rng.standard_normal((4, 3)), rng.standard_normal(3)]
    x = rng.standard_normal((5, 4))
    grad(loss)(w, x)  # warm caches
    gc.collect()
    gc.disable()
    try:
        grad(loss)(w, x)
        value_and_grad(loss)(w, x)
        assert gc.collect() == 0
    finally:
        gc.enable()


# -- the backward pass running the built-in rules on NumPy arrays -----------------------
def _mlp_like(w, b, x):
    h = np.maximum(np.dot(x, w) + b, 0.0)
    return np.sum(np.tanh(h) * h) + np.mean(np.stack([w, w * 2])) + np.sum(np.sin([b, b]))


def test_numpy_mode_gradients_match_array_mode():
    """A first-order pass under 'auto' (rules on NumPy arrays) and one under
    'prefer_mxnet' (rules on Arrays, dispatched) agree, and return Arrays."""
    rng = onp.random.default_rng(0)
    args = (rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((2, 3)))
    g_auto = grad(_mlp_like, argnum=(0, 1))(*args)
    with np.policy("prefer_mxnet"):
        g_mx = grad(_mlp_like, argnum=(0, 1))(*args)
    with np.policy("only_numpy"):
        g_np = grad(_mlp_like, argnum=(0, 1))(*args)
    for a, b, c in zip(g_auto, g_mx, g_np):
        assert type(a) is Array and type(c) is Array
        assert onp.allclose(val(a), val(b), rtol=1e-5) and onp.allclose(val(a), val(c))


def test_numpy_mode_is_off_for_custom_rules_and_other_threads():
    """A rule given with defvjp gets Arrays, and the namespace dispatches as usual for
    it; another thread calling minpy.numpy during the pass gets Arrays."""
    import threading

    from minpy.autograd import defvjp, primitive
    seen = []

    @primitive
    def twice(x):
        return x * 2.0

    def twice_rule(ans, x):
        def vjp(g):
            seen.append((type(g), type(x), type(np.cos(x))))
            out = []
            t = threading.Thread(target=lambda: out.append(type(np.sin(x))))
            t.start()
            t.join()
            seen.append(out[0])
            return g * 2.0
        return vjp
    defvjp(twice, twice_rule)
    x = np.array([0.5, 1.0])
    assert onp.allclose(val(grad(lambda x: np.sum(np.sin(twice(np.cos(x)))))(x)),
                        -2 * onp.cos(2 * onp.cos([0.5, 1.0])) * onp.sin([0.5, 1.0]))
    assert seen == [(Array, Array, Array), Array]
    # and the namespace is itself again after the pass
    assert type(np.sin(x)) is Array


def test_numpy_mode_off_in_higher_order_and_after_errors(monkeypatch):
    """Second derivatives are recorded (the inner pass runs on Arrays), and a built-in
    rule that raises leaves the namespace dispatching."""
    from minpy.autograd import tracer
    d2 = grad(grad(lambda x: np.sin(x) * x))(0.3)
    assert abs(d2 - (2 * onp.cos(0.3) - 0.3 * onp.sin(0.3))) < 1e-12

    def failing(ans, x):
        def vjp(g):
            assert type(g) is onp.ndarray and type(np.cos(x)) is onp.ndarray
            raise ValueError("planted")
        return vjp
    monkeypatch.setitem(tracer.VJPS, "tanh", {0: failing})
    monkeypatch.setattr(tracer, "NUMPY_RULES", tracer.NUMPY_RULES | {failing})
    with pytest.raises(ValueError, match="planted"):
        grad(lambda x: np.sum(np.tanh(x)))(np.ones(2))
    assert type(np.cos(np.ones(2))) is Array


def test_numpy_mode_with_concurrent_backward_passes():
    """Backward passes in several threads at once give the right gradients, and no
    thread is left with the NumPy mode on afterwards."""
    import threading

    from minpy.numpy import _dispatch
    x = onp.linspace(0.1, 1.0, 5)
    expect = onp.cos(onp.sin(x)) * onp.cos(x)
    errors = []

    def work():
        try:
            for _ in range(30):
                g = grad(lambda x: np.sum(np.sin(np.sin(x))))(x)
                assert onp.allclose(val(g), expect)
                assert type(np.cos(g)) is Array
        except Exception as exc:  # reported below
            errors.append(exc)
    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert _dispatch.numpy_mode == 0
