"""The two faces of ``grad``: ``minpy.core.grad`` keeps the original MinPy's semantics
(non-scalar outputs seeded with ones, integer inputs differentiated as float32, ties of
max/min each given the whole gradient); ``minpy.autograd.grad`` stays strict. The
programs at the end are written the way the original's unit tests and autograd tutorial
were, and run as written."""

import numpy as onp
import pytest

import minpy.numpy as np
from minpy import core
from minpy.autograd import grad as strict_grad
from minpy.autograd import original


def test_core_names_are_the_original_face():
    assert core.grad is original.grad and core.grad_and_loss is original.grad_and_loss
    assert core.value_and_grad is original.value_and_grad
    assert strict_grad is not original.grad


def test_non_scalar_output_is_seeded_with_ones():
    x = onp.array([[1.0, -2.0], [3.0, 0.5]])
    g = core.grad(lambda v: v ** 3)(x)
    onp.testing.assert_allclose(g.asnumpy(), 3 * x ** 2)
    with pytest.raises(TypeError, match="must return a scalar.*elementwise_grad"):
        strict_grad(lambda v: v ** 3)(x)


def test_each_output_of_a_tuple_is_seeded_with_ones():
    x = onp.array([1.0, 2.0, 3.0])
    g, loss = core.grad_and_loss(lambda v: (v * v, np.sum(np.exp(v))))(x)
    onp.testing.assert_allclose(g.asnumpy(), 2 * x + onp.exp(x))
    assert isinstance(loss, tuple) and loss[0].shape == (3,)


def test_integer_inputs_are_differentiated_as_float32():
    x = onp.array([[1, 2], [3, 4]])
    g = core.grad(lambda v: v * v)(x)
    assert g.dtype == onp.float32
    onp.testing.assert_array_equal(g.asnumpy(), 2 * x)
    gb = core.grad(lambda v: np.sum(v * 3.0))(onp.array([True, False]))
    assert gb.dtype == onp.float32 and gb.tolist() == [3.0, 3.0]
    # Python ints stay Python numbers, with a float gradient, in both faces.
    assert core.grad(lambda v: v ** 2)(4) == 8.0 == strict_grad(lambda v: v ** 2)(4)
    with pytest.raises(TypeError, match="dtype int64"):
        strict_grad(lambda v: np.sum(v * v))(x)


def test_ties_of_max_and_min():
    x = onp.array([[1.0, 2.0], [2.0, 1.0], [0.0, 0.0]])
    onp.testing.assert_array_equal(core.grad(lambda v: np.max(v))(x).asnumpy(),
                                   [[0, 1], [1, 0], [0, 0]])
    onp.testing.assert_array_equal(core.grad(lambda v: np.min(v, axis=1))(x).asnumpy(),
                                   [[1, 0], [0, 1], [1, 1]])
    # The strict face shares the gradient among the tied elements (a subgradient).
    onp.testing.assert_array_equal(strict_grad(lambda v: np.max(v))(x).asnumpy(),
                                   [[0, 0.5], [0.5, 0], [0, 0]])
    onp.testing.assert_array_equal(
        strict_grad(lambda v: np.sum(np.amin(v, axis=1)))(x).asnumpy(),
        [[1, 0], [0, 1], [0.5, 0.5]])


def test_argnum_sequences_and_higher_orders():
    def f(a, b, c):
        return 3 * a + b ** 2 - c
    assert core.grad(f, [0, 1, 2])(2, 3, 4) == (3.0, 6.0, -1.0)
    assert core.grad(f, range(1, 3))(2, 3, 4) == (6.0, -1.0)
    d3 = core.grad(core.grad(core.grad(lambda x: x ** 4)))
    x = np.linspace(-2, 2, 5)
    onp.testing.assert_allclose(d3(x).asnumpy(), 24 * x.asnumpy())


# -- programs in the style of the original's unit tests and tutorials -------------------
RNN_STEP_TEST = '''
import numpy as np
import minpy.numpy as mp
from minpy.core import convert_args, return_numpy, grad_and_loss, numpy_to_minpy as nm

@convert_args
def minpy_rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = mp.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)
    return next_h

def rel_error(x, y):
    return np.max(np.abs(x - y) / (np.maximum(1e-8, np.abs(x) + np.abs(y))))

def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(prev_h.dot(Wh) + x.dot(Wx) + b)
    return next_h, (next_h, prev_h, x, Wx, Wh)

def rnn_step_backward(dnext_h, cache):
    next_h, prev_h, x, Wx, Wh = cache
    dtanh = dnext_h * (1 - next_h * next_h)
    return (dtanh.dot(Wx.T), dtanh.dot(Wh.T), x.T.dot(dtanh), prev_h.T.dot(dtanh),
            dtanh.sum(axis=0))

N, D, H = 4, 5, 6
rs = np.random.RandomState(0)
x, h = rs.randn(N, D), rs.randn(N, H)
Wx, Wh, b = rs.randn(D, H), rs.randn(H, H), rs.randn(H)
out, cache = rnn_step_forward(x, h, Wx, Wh, b)
dnext_h = rs.randn(*out.shape)
rnn_step_forward_loss = lambda x, h, Wx, Wh, b, dnext_h: \\
    minpy_rnn_step_forward(x, h, Wx, Wh, b) * nm(dnext_h)
grad_loss_function = return_numpy(grad_and_loss(rnn_step_forward_loss, range(5)))
grad_arrays = grad_loss_function(x, h, Wx, Wh, b, dnext_h)[0]
errors = [rel_error(a, b) for a, b in zip(rnn_step_backward(dnext_h, cache), grad_arrays)]
print('errors:', errors)
'''


def _run(source):
    ns = {"__name__": "__main__"}
    exec(compile(source, "<program>", "exec"), ns)
    return ns


def test_rnn_step_gradient_of_a_non_scalar_product():
    assert max(_run(RNN_STEP_TEST)["errors"]) < 1e-10


def test_gradient_injection_and_multiplication_examples():
    ns = _run('''
from minpy import core
import minpy.numpy as np
import minpy.numpy.random as random

def f(x):
    return x

inp = np.random.random((3, 2))
g0 = core.grad(f)(inp)
g_inj = np.random.random((3, 2))
injection = lambda *args, **kwargs: f(*args, **kwargs) * g_inj
g1 = core.grad(injection)(inp)

x = random.rand(3, 3)
y = random.rand(3, 3)
gr = core.grad(lambda x, y: np.multiply(x, y), argnum=[0, 1])(x, y)
''')
    onp.testing.assert_array_equal(ns["g0"].asnumpy(), onp.ones((3, 2)))
    onp.testing.assert_array_equal(ns["g1"].asnumpy(), ns["g_inj"].asnumpy())
    onp.testing.assert_array_equal(ns["gr"][0].asnumpy(), ns["y"].asnumpy())
    onp.testing.assert_array_equal(ns["gr"][1].asnumpy(), ns["x"].asnumpy())


def test_reduction_test_of_the_original():
    ns = _run('''
import numpy as np
import minpy.numpy as mp
from minpy.core import grad
x_np = np.array([[1, 2], [3, 4], [5, 6]])
ok = [np.all(grad(f)(x_np).asnumpy() == 1) for f in
      (lambda x: mp.sum(x), lambda x: mp.sum(x, axis=0),
       lambda x: mp.sum(x, axis=0, keepdims=True))]
x_np = np.array([[1, 2], [2, 1], [0, 0]])
ok.append(np.all(grad(lambda x: mp.max(x, axis=1, keepdims=True))(x_np).asnumpy() ==
                 np.array([[0, 1], [1, 0], [1, 1]])))
ok.append(np.all(grad(lambda x: mp.min(x, axis=0))(x_np).asnumpy() ==
                 np.array([[0, 0], [0, 0], [1, 1]])))
''')
    assert all(ns["ok"]), ns["ok"]


def test_autograd_tutorial_cells():
    ns = _run('''
import minpy.numpy as np
from minpy.core import grad, grad_and_loss

def foo(x):
    return x**2

d_foo = grad(foo)
d_2_foo = grad(d_foo)
d_3_foo = grad(d_2_foo)
x = np.linspace(-10, 10, 200)
curves = (foo(x).asnumpy(), d_foo(x).asnumpy(), d_2_foo(x).asnumpy(), d_3_foo(x).asnumpy())
ints = d_foo(np.array([1, 2, 3, 4]))

def bar(a, b, c):
    return 3*a + b**2 - c
grad_array, result = grad_and_loss(bar, [0, 1, 2])(2, 3, 4)
''')
    x = onp.linspace(-10, 10, 200)
    for got, want in zip(ns["curves"], (x ** 2, 2 * x, onp.full(200, 2.0), onp.zeros(200))):
        onp.testing.assert_allclose(got, want)
    assert ns["ints"].tolist() == [2.0, 4.0, 6.0, 8.0]
    assert ns["grad_array"] == (3.0, 6.0, -1.0) and ns["result"] == 11


def test_small_unit_tests_of_the_original():
    """tests/unittest: test_zero_input_grad, test_autograd_hanging_var, test_slice (a
    strided slice of the weights inside the loss), test_lr_grad, multiple_derivative."""
    ns = _run('''
import numpy
import minpy.numpy as np
import minpy.numpy.random as random
from minpy.core import grad, grad_and_loss
from minpy.utils import gradient_checker

zero = grad(lambda x: 1)(0)

def func(x):
    y = x + 1
    return x
hanging = grad(func)(1)

def sigmoid(x):
    return 0.5 * (np.tanh(x / 2) + 1)

def training_loss(weights, inputs):
    preds = sigmoid(np.dot(inputs, weights[:, ::2]))
    label_probabilities = preds * targets + (1 - preds) * (1 - targets)
    return -np.sum(np.log(label_probabilities))

random.seed(0)
inputs = random.rand(32, 20) - 0.5
targets = np.zeros((32, 5))
targets[np.arange(32), random.randint(0, 5, 32)] = 1
weights = random.rand(20, 10) - 0.5
before = training_loss(weights, inputs)
for i in range(10):
    gr = grad(training_loss)(weights, inputs)
    weights -= gr * 0.01
after = training_loss(weights, inputs)
both, loss = grad_and_loss(training_loss, [0, 1])(weights, inputs)

rng = numpy.random.RandomState(42)
ok = gradient_checker.quick_grad_check(lambda w: training_loss(w, inputs), rng.rand(20, 10),
                                       rs=rng)
''')
    assert ns["zero"] == 0.0 and ns["hanging"] == 1.0
    assert float(ns["after"]) < float(ns["before"]) and ns["ok"] is True
    g = ns["gr"].asnumpy()
    assert g.shape == (20, 10) and onp.all(g[:, 1::2] == 0) and onp.any(g[:, ::2] != 0)
    assert [b.shape for b in ns["both"]] == [(20, 10), (32, 20)]
