"""Property tests: broadcasting binary ops and reductions over random shapes."""

import numpy as onp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minpy.numpy as np
from minpy.autograd import grad
from minpy.autograd.testing import check_grads

dims = st.integers(1, 3)


@st.composite
def broadcast_pair(draw):
    nd = draw(st.integers(0, 3))
    shape = tuple(draw(dims) for _ in range(nd))
    other = tuple(1 if draw(st.booleans()) else s for s in shape)
    cut = draw(st.integers(0, nd))
    return shape, other[cut:]


BINARY = ["add", "subtract", "multiply", "true_divide", "maximum", "hypot", "logaddexp"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shapes=broadcast_pair(), op=st.sampled_from(BINARY), swap=st.booleans(),
       seed=st.integers(0, 2 ** 16))
def test_broadcast_binary(shapes, op, swap, seed):
    rng = onp.random.default_rng(seed)
    a, b = shapes
    if swap:
        a, b = b, a
    x = rng.uniform(0.5, 1.5, a)
    y = rng.uniform(0.5, 1.5, b) + 2.0  # no ties for maximum
    check_grads(getattr(np, op), x, y, order=2)
    gx, gy = grad(lambda x, y: np.sum(getattr(np, op)(x, y)), argnum=(0, 1))(
        np.array(x), np.array(y))
    assert gx.shape == onp.shape(x) and gy.shape == onp.shape(y)


@settings(max_examples=30, deadline=None)
@given(shape=st.lists(dims, min_size=1, max_size=3), op=st.sampled_from(
    ["sum", "mean", "var", "std", "max", "prod"]), keepdims=st.booleans(),
    data=st.data())
def test_reductions_over_axes(shape, op, keepdims, data):
    nd = len(shape)
    axis = data.draw(st.one_of(st.none(), st.integers(-nd, nd - 1)))
    rng = onp.random.default_rng(0)
    n = int(onp.prod(shape))
    x = (rng.permutation(n) + 1.0).reshape(shape) / n + 0.5
    if op in ("var", "std") and (x.size if axis is None else shape[axis]) < 2:
        return
    check_grads(lambda x: getattr(np, op)(x, axis=axis, keepdims=keepdims), x, order=2)
