"""Forward mode (jvp, make_jvp), Hessian-vector products, and checkpointing."""

import tracemalloc

import numpy as onp
import pytest

import minpy.numpy as np
from minpy.autograd import (
    checkpoint,
    defvjp,
    grad,
    hessian,
    hvp,
    jacobian,
    jvp,
    make_hvp,
    make_jvp,
    primitive,
)
from minpy.autograd.testing import GradientCheckError, check_jvp


def val(x):
    return onp.asarray(x.asnumpy() if hasattr(x, "asnumpy") else x)


X = onp.array([0.3, -0.7, 1.2])
V = onp.array([1.0, 2.0, -0.5])


# -- jvp ----------------------------------------------------------------------------------
@pytest.mark.parametrize("f", [
    lambda x: np.sin(x) * np.sum(x ** 2),
    lambda x: np.dot(np.outer(x, x), np.tanh(x)),
    lambda x: np.cumsum(np.exp(x))[::-1],
    lambda x: np.linalg.inv(np.outer(x, x) + 3 * np.eye(3)) @ x,
    lambda x: np.concatenate([x[1:] * 2, np.maximum(x, 0.1)]),
    lambda x: np.sort(x * [3.0, 1.0, 2.0]),
])
def test_jvp_equals_jacobian_times_v(f, policy):
    ans, tangent = jvp(f, (X,), (V,))
    assert onp.allclose(val(ans), val(f(X)))
    assert onp.allclose(val(tangent), val(jacobian(f)(X)) @ V)
    check_jvp(f, X)


def test_make_jvp_several_arguments_and_outputs():
    f = lambda x, y: (x * y, np.sum(np.exp(x)), {"s": np.sin(y) * x})  # noqa: E731
    jvp_at = make_jvp(f, argnum=(0, 1))(X, 2.0)
    ans, t = jvp_at((V, 1.0))
    assert onp.allclose(val(ans[0]), X * 2.0)
    assert onp.allclose(val(t[0]), V * 2.0 + X * 1.0)
    assert onp.allclose(float(t[1]), onp.sum(onp.exp(X) * V))
    assert onp.allclose(val(t[2]["s"]), onp.cos(2.0) * X + onp.sin(2.0) * V)
    # the traces are reused: a second direction costs one backward pass
    _, t2 = jvp_at((onp.zeros(3), 1.0))
    assert onp.allclose(val(t2[0]), X)


def test_jvp_only_some_arguments():
    f = lambda x, y: np.sum(x * y ** 2)  # noqa: E731
    _, t = make_jvp(f, argnum=1)(X, V)(onp.ones(3))
    assert onp.allclose(float(t), onp.sum(2 * X * V))


def test_jvp_against_finite_differences_for_a_tuple_output():
    check_jvp(lambda x: np.linalg.eigh(np.outer(x, x) + np.diag(x * [1.0, 3.0, 5.0])), X)
    check_jvp(lambda x, y: (np.linalg.solve(np.diag(y) + 4 * np.eye(3), x), x[0] * y), X, V)


def test_check_jvp_catches_a_wrong_rule():
    @primitive
    def cube(x):
        return x * x * x

    defvjp(cube, lambda ans, x: lambda g: g * 3 * x * x * 1.01)  # 1% wrong
    assert onp.allclose(val(grad(lambda x: np.sum(cube(x)))(X)), 3.03 * X ** 2)
    with pytest.raises(GradientCheckError):
        check_jvp(cube, X)


def test_jvp_nests_with_grad():
    # d/dt of the directional derivative of sin(t a) along 1 at a=2: cos(2t) - 2t sin(2t)
    d = grad(lambda t: jvp(lambda a: np.sin(a * t), (2.0,), (1.0,))[1])(0.5)
    assert float(d) == pytest.approx(onp.cos(1.0) - onp.sin(1.0))
    # forward over forward: the second derivative of x**4 is 12 x**2
    second = jvp(lambda x: jvp(lambda y: y ** 4, (x,), (1.0,))[1], (2.0,), (1.0,))[1]
    assert float(second) == pytest.approx(48.0)


@pytest.mark.parametrize("f, nf", [
    (np.abs, onp.abs), (np.exp, onp.exp), (np.angle, onp.angle),
    (lambda z: np.real(z * np.conj(z)), lambda z: onp.real(z * onp.conj(z))),
    (lambda z: np.sum(np.abs(np.fft.fft(z)) ** 2),
     lambda z: onp.sum(onp.abs(onp.fft.fft(z)) ** 2)),
])
def test_jvp_complex_against_finite_differences(f, nf):
    # J v is the derivative along v in the complex plane, whatever the VJP convention
    z = onp.array([1.1 + 1.2j, -0.3 + 0.4j])
    for d in (onp.array([1.0, 0.5]) + 0j, onp.array([1j, -0.5j]), onp.array([1 + 1j, 2j])):
        _, t = jvp(f, (z,), (d,))
        fd = (nf(z + 1e-7 * d) - nf(z - 1e-7 * d)) / 2e-7
        assert onp.allclose(val(t), fd, rtol=1e-6, atol=1e-7)


def test_jvp_errors():
    with pytest.raises(ValueError, match="tangents"):
        jvp(np.sin, (X,), ())
    with pytest.raises(TypeError, match="dtype int64"):
        jvp(np.sin, (onp.arange(3),), (onp.ones(3),))


# -- Hessian-vector products --------------------------------------------------------------
def test_hvp_equals_hessian_times_v(policy):
    f = lambda x: np.sum(np.tanh(x) * x ** 3) + np.prod(x)  # noqa: E731
    H = val(hessian(f)(X))
    assert onp.allclose(val(hvp(f)(X, V)), H @ V)
    hv, g = make_hvp(f)(X)
    assert onp.allclose(val(g), val(grad(f)(X)))
    assert onp.allclose(val(hv(V)), H @ V)
    assert onp.allclose(val(hv(onp.eye(3)[1])), H[:, 1])


def test_hvp_with_respect_to_one_of_several_arguments():
    f = lambda w, x: np.sum(np.exp(np.dot(x, w)))  # noqa: E731
    w, x = onp.array([0.1, -0.2]), onp.array([[1.0, 2.0], [0.5, -1.0], [0.0, 1.0]])
    H = val(hessian(lambda w: f(w, x))(w))
    assert onp.allclose(val(hvp(f, 0)(w, x, onp.array([1.0, -1.0]))), H @ [1.0, -1.0])


# -- checkpoint -----------------------------------------------------------------------------
def _segment(x):
    for _ in range(8):
        x = np.tanh(x) * 1.01
    return x


def _deep(layer):
    def f(x):
        for _ in range(8):
            x = layer(x)
        return np.sum(x * x)
    return f


def test_checkpoint_same_gradient(policy):
    x = onp.random.default_rng(0).standard_normal(5)
    assert onp.allclose(val(grad(_deep(checkpoint(_segment)))(x)),
                        val(grad(_deep(_segment))(x)))


def test_checkpoint_keeps_fewer_intermediates():
    x = onp.random.default_rng(0).standard_normal(20000)  # 160 kB per intermediate
    peaks = {}
    for name, layer in (("plain", _segment), ("checkpointed", checkpoint(_segment))):
        f = grad(_deep(layer))
        f(x)  # warm caches
        tracemalloc.start()
        try:
            f(x)
            peaks[name] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    # 64 tanh + 64 multiply intermediates on the plain tape (~20 MB), against 8 segment
    # inputs plus one segment's tape at a time (~5 MB) with checkpoints
    assert peaks["checkpointed"] < 0.4 * peaks["plain"], peaks


def test_checkpoint_recomputes_once_per_backward():
    calls = []

    def seg(x):
        calls.append(1)
        return np.sin(x) * x

    g = grad(lambda x: np.sum(checkpoint(seg)(x)))(X)
    assert len(calls) == 2  # the forward, then the recomputation
    assert onp.allclose(val(g), onp.cos(X) * X + onp.sin(X))
    calls.clear()
    checkpoint(seg)(X)  # untraced: just a call
    assert len(calls) == 1


def test_checkpoint_higher_order_outputs_and_structures():
    h1 = hessian(lambda x: np.sum(_segment(x) ** 2))(X)
    h2 = hessian(lambda x: np.sum(checkpoint(_segment)(x) ** 2))(X)
    assert onp.allclose(val(h1), val(h2))
    two = checkpoint(lambda a, b: (a * b, np.sin(a)))
    ga, gb = grad(lambda a, b: np.sum(two(a, b)[0]) + np.sum(two(a, b)[1] * 3),
                  argnum=(0, 1))(onp.ones(2), onp.full(2, 2.0))
    assert onp.allclose(val(ga), 2 + 3 * onp.cos(1.0)) and onp.allclose(val(gb), 1.0)
    inner = checkpoint(lambda d, scale=1.0: d["w"] * d["b"][0] * scale)
    g = grad(lambda p: np.sum(inner({"w": p, "b": [p * 2]}, scale=3.0)))(onp.ones(2))
    assert onp.allclose(val(g), 12.0)
    # jvp through a checkpoint
    _, t = jvp(checkpoint(_segment), (X,), (V,))
    assert onp.allclose(val(t), val(jacobian(_segment)(X)) @ V)
