"""The two faces of ``Function``: ``minpy.core.Function`` behaves as the original
MinPy's (float32 graphs whatever the caller's dtype, unknown keywords ignored, missing
arguments zeros, the original's introspection); ``minpy.symbol.Function`` stays strict.
The programs are written as the original's examples were."""

import warnings

import numpy as onp
import pytest

import minpy.numpy as np
from minpy import core
from minpy.symbol import Function as StrictFunction
from minpy.symbol import SymbolArgumentError
from minpy.symbol.original import Function, FunctionArgumentWarning


def _fc(mx, hidden=3, act=None):
    net = mx.sym.FullyConnected(mx.sym.Variable("x"), name="fc", num_hidden=hidden)
    return net if act is None else mx.sym.Activation(net, act_type=act)


def _softmax_net(mx):
    net = mx.sym.FullyConnected(mx.sym.Variable("X"), name="fc", num_hidden=3)
    return mx.sym.SoftmaxOutput(net, name="softmax", normalization="batch")


def test_core_function_is_the_original_face(mx):
    assert core.Function is Function and issubclass(Function, StrictFunction)


def test_float64_inputs_run_in_float32_and_come_back_float64(mx):
    rs = onp.random.RandomState(0)
    x, w, b = rs.randn(4, 5), rs.randn(3, 5), rs.randn(3)
    f = Function(_fc(mx), {"x": (4, 5)})
    out = f(x=x, fc_weight=w, fc_bias=b)
    assert out.dtype == onp.float64
    want = x @ w.T + b
    onp.testing.assert_allclose(out.asnumpy(), want, rtol=1e-5)
    # computed in float32: not float64-exact
    assert onp.abs(out.asnumpy() - want).max() > 1e-12
    assert f(x=x.astype("float32"), fc_weight=w.astype("float32"),
             fc_bias=b.astype("float32")).dtype == onp.float32
    f64 = Function(_fc(mx), {"x": (4, 5)}, dtype="float64")
    onp.testing.assert_allclose(f64(x=x, fc_weight=w, fc_bias=b).asnumpy(), want,
                                rtol=1e-13)
    with pytest.raises(TypeError, match="MXNet rejects the argument dtypes"):
        StrictFunction(_softmax_net(mx))(X=x[:, :5], fc_weight=w, fc_bias=b,
                                         softmax_label=onp.array([0, 1, 2, 0]))


def test_integer_labels_are_cast_and_gradients_keep_the_callers_dtype(mx):
    rs = onp.random.RandomState(1)
    x, w, b = rs.randn(4, 5), rs.randn(3, 5) * 0.1, onp.zeros(3)
    label = onp.array([0, 1, 2, 0])
    f = Function(_softmax_net(mx), {"X": (4, 5), "softmax_label": (4,)})

    def loss(w):
        return np.sum(f(X=x, fc_weight=w, fc_bias=b, softmax_label=label) * 1.0)

    out = f(X=x, fc_weight=w, fc_bias=b, softmax_label=label)
    p = onp.exp(x @ w.T)
    onp.testing.assert_allclose(out.asnumpy(), p / p.sum(1, keepdims=True), rtol=1e-5)
    g = core.grad(loss)(w)
    assert g.dtype == onp.float64
    # SoftmaxOutput's gradient is (softmax - onehot(label)) / N whatever the head.
    onehot = onp.eye(3)[label]
    onp.testing.assert_allclose(g.asnumpy(), ((out.asnumpy() - onehot) / 4).T @ x,
                                rtol=1e-4, atol=1e-6)


def test_unknown_keywords_are_ignored_with_one_warning(mx):
    x, w = onp.ones((2, 5)), onp.ones((3, 5))
    f = Function(_fc(mx), {"x": (2, 5)})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        a = f(x=x, fc_weight=w, fc_bias=onp.zeros(3), w1=1, b2=onp.zeros(4))
        b = f(x=x, fc_weight=w, fc_bias=onp.zeros(3), w1=1)
    mine = [c for c in caught if issubclass(c.category, FunctionArgumentWarning)]
    assert len(mine) == 1 and "['b2', 'w1']" in str(mine[0].message)
    onp.testing.assert_array_equal(a.asnumpy(), b.asnumpy())
    with pytest.raises(SymbolArgumentError, match="unknown argument"):
        StrictFunction(_fc(mx), {"x": (2, 5)})(x=x, fc_weight=w, fc_bias=onp.zeros(3),
                                               w1=1)


def test_missing_arguments_are_zeros(mx):
    rs = onp.random.RandomState(2)
    x, w = rs.randn(6, 4), rs.randn(3, 4)
    f = Function(_fc(mx, act="sigmoid"), {"x": (6, 4)})
    with pytest.warns(FunctionArgumentWarning, match=r"\['fc_bias'\] are zeros"):
        out = f(x=x, fc_weight=w)
    onp.testing.assert_allclose(out.asnumpy(), 1 / (1 + onp.exp(-(x @ w.T))), rtol=1e-5)
    # without input_shapes the given arguments' shapes decide
    g = Function(_fc(mx, act="sigmoid"))
    with pytest.warns(FunctionArgumentWarning):
        onp.testing.assert_allclose(g(x=x, fc_weight=w).asnumpy(), out.asnumpy())
    with pytest.raises(SymbolArgumentError, match="missing argument"):
        StrictFunction(_fc(mx), {"x": (6, 4)})(x=x, fc_weight=w)


def test_the_originals_introspection(mx):
    f = Function(_fc(mx), {"x": (4, 5)})
    assert f._param_shapes == {"fc_weight": (3, 5), "fc_bias": (3,)}
    assert f.get_params() == {"fc_weight": {"shape": (3, 5)}, "fc_bias": {"shape": (3,)}}
    assert f.get_output_shapes() == {"fc_output": (4, 3)}
    assert f.get_one_output_shape() == (4, 3)
    f.is_train = False
    assert not f.is_train


def test_mxnet_logistic_example(mx):
    """examples/basics/mxnet_logistic.py, smaller: fc_bias is never passed."""
    ns = {}
    with pytest.warns(FunctionArgumentWarning, match="fc_bias"):
        _run_mxnet_logistic(ns)
    assert float(ns["last"]) < 0.8 * float(ns["first"])


def _run_mxnet_logistic(ns):
    exec('''
from minpy import core
import minpy.numpy as np
import minpy.numpy.random as random
import mxnet as mx

xshape = (64, 50)
wshape = (25, 50)
tshape = (64, 25)
random.seed(0)
inputs = random.rand(*xshape) - 0.5
targets = np.zeros(tshape)
truth = random.randint(0, 25, 64)
targets[np.arange(64), truth] = 1
weights = np.random.rand(*wshape) - 0.5

x = mx.sym.Variable(name='x')
fc = mx.sym.FullyConnected(name='fc', data=x, num_hidden=25)
act = mx.sym.Activation(data=fc, act_type='sigmoid')
f = core.Function(act, {'x': xshape})

def predict(weights, inputs):
    return f(x=inputs, fc_weight=weights)

def training_loss(weights, inputs):
    preds = predict(weights, inputs)
    label_probabilities = preds * targets + (1 - preds) * (1 - targets)
    return -np.sum(np.log(label_probabilities))

training_gradient_fun = core.grad(training_loss)
first = training_loss(weights, inputs)
for i in range(20):
    gr = training_gradient_fun(weights, inputs)
    weights -= gr * 0.1
last = training_loss(weights, inputs)
''', ns)


def test_mxnet_convolution_example(mx):
    """examples/basics/mxnet_convolution.py, smaller: ``f._param_shapes``,
    ``grad_and_loss`` over ``range(2, 6)``."""
    ns = {}
    exec('''
from minpy import core
import minpy.numpy as np
import minpy.numpy.random as random
import mxnet as mx

xshape = (16, 1, 10, 10)
random.seed(0)
inputs = random.rand(*xshape) - 0.5
data = mx.symbol.Variable(name='x')
conv1 = mx.symbol.Convolution(name='conv', data=data, kernel=(3, 3), pad=(1, 1), num_filter=2)
tanh1 = mx.symbol.Activation(data=conv1, act_type="tanh")
pool1 = mx.symbol.Pooling(data=tanh1, pool_type="max", kernel=(2, 2), stride=(2, 2))
flatten = mx.symbol.Flatten(data=pool1)
fc = mx.sym.FullyConnected(name='fc', data=flatten, num_hidden=5)
act = mx.sym.Activation(data=fc, act_type='sigmoid')
f = core.Function(act, {'x': xshape})

targets = np.zeros(f.get_one_output_shape())
truth = random.randint(0, 5, 16)
targets[np.arange(16), truth] = 1
param_shapes = f._param_shapes
fc_weight = random.rand(*param_shapes['fc_weight']) - 0.5
fc_bias = np.zeros(param_shapes['fc_bias']) * 0
conv_weight = random.rand(*param_shapes['conv_weight']) - 0.5
conv_bias = np.zeros(param_shapes['conv_bias']) * 0

def training_loss(inputs, targets, fc_weight, fc_bias, conv_weight, conv_bias):
    preds = f(x=inputs, fc_weight=fc_weight, fc_bias=fc_bias, conv_weight=conv_weight,
              conv_bias=conv_bias)
    label_probabilities = preds * targets + (1 - preds) * (1 - targets)
    return -np.sum(np.log(label_probabilities))

training_gradient_fun = core.grad_and_loss(training_loss, range(2, 6))
losses = []
for i in range(10):
    grads, loss = training_gradient_fun(inputs, targets, fc_weight, fc_bias,
                                        conv_weight, conv_bias)
    fc_weight -= grads[0] * 0.005
    fc_bias -= grads[1] * 0.005
    conv_weight -= grads[2] * 0.005
    conv_bias -= grads[3] * 0.005
    losses.append(float(loss))
''', ns)
    assert ns["losses"][-1] < ns["losses"][0]
    assert [g.shape for g in ns["grads"]] == [(5, 50), (5,), (2, 1, 3, 3), (2,)]
