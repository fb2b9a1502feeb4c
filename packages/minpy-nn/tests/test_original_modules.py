"""The original MinPy's modular API (``from minpy.nn.model_builder import *`` with
``from minpy.nn.modules import *``): programs written the way its resnet, vgg,
rnn_on_mnist, stochastic-depth and symbolic-resnet examples were (their classes, calls
and training loops), on the digits data set instead of the downloads they need; and the
pieces: parameters, gradients (checked numerically), auxiliary states, updaters."""

import textwrap

import numpy as onp
import pytest

from minpy.core import Array

PRELUDE = '''
import numpy
import minpy.numpy as np
from minpy.nn.model_builder import *
from minpy.nn.modules import *

def digits(image=True):
    from sklearn.datasets import load_digits
    d = load_digits()
    x = d.data / 16.0
    x = x.reshape(-1, 1, 8, 8) if image else x.reshape(-1, 8, 8)
    return x[:1200], d.target[:1200], x[1200:1500], d.target[1200:1500]

def batches(x, y, batch_size, n, seed=0):
    rs = numpy.random.RandomState(seed)
    for i in range(n):
        idx = rs.choice(len(x), batch_size, replace=False)
        yield x[idx], y[idx]

def error_rate(model, x, y):
    scores = model.forward(x, 'inference')
    predictions = np.argmax(scores, axis=1)
    return np.count_nonzero(predictions - y) / float(len(y))
'''


def run(source):
    pytest.importorskip("sklearn")
    ns = {"__name__": "__main__"}
    exec(compile(textwrap.dedent(PRELUDE) + textwrap.dedent(source), "<program>", "exec"),
         ns)
    return ns


def test_resnet_example():
    ns = run('''
    class ResNet(Model):
        def __init__(self, block_number, filter_numbers):
            super(ResNet, self).__init__(loss='softmax_loss')
            f0, f1 = filter_numbers
            self._shrinking_blocks = (
                Convolution(num_filter=f0, kernel=(3, 3), stride=(1, 1), pad=(1, 1),
                            no_bias=True),
                self._shrinking_block(f1),
            )
            self._residual_blocks = tuple(
                tuple(ResNet._residual_block(f) for i in range(block_number))
                for f in filter_numbers)
            self._to_scores = Sequential(
                BatchNorm(fix_gamma=False),
                ReLU(),
                Pooling(pool_type='avg', kernel=(4, 4), stride=(1, 1)),
                BatchFlatten(),
                FullyConnected(num_hidden=10),
            )

        def forward(self, data, mode='training'):
            if mode == 'training': self.training()
            elif mode == 'inference': self.inference()
            for shrink, residual in zip(self._shrinking_blocks, self._residual_blocks):
                data = shrink(data)
                for r in residual:
                    data = data + r(data)
            return self._to_scores(data)

        @staticmethod
        def _convolution(**kwargs):
            defaults = {'kernel': (3, 3), 'stride': (1, 1), 'pad': (1, 1), 'no_bias': True}
            defaults.update(kwargs)
            return Sequential(BatchNorm(fix_gamma=False), ReLU(), Convolution(**defaults))

        @staticmethod
        def _residual_block(f):
            return Sequential(ResNet._convolution(num_filter=f))

        @staticmethod
        def _shrinking_block(f):
            return Sequential(
                ResNet._convolution(num_filter=f, stride=(2, 2)),
                ResNet._convolution(num_filter=f),
            ) + ResNet._convolution(num_filter=f, kernel=(1, 1), stride=(2, 2), pad=(0, 0))

    numpy.random.seed(0)   # the initializers draw from NumPy's global generator
    x_train, y_train, x_test, y_test = digits()
    model = ResNet(1, (4, 8))
    updater = Updater(model, update_rule='sgd_momentum', learning_rate=0.1, momentem=0.9)
    losses = []
    for iteration, (data, labels) in enumerate(batches(x_train, y_train, 64, 40)):
        if iteration == 30:
            updater.learning_rate = updater.learning_rate * 0.5
        loss = model(data, labels=labels)
        grad_dict = model.backward()
        updater(grad_dict)
        losses.append(float(loss))
    error = error_rate(model, x_test, y_test)
    ''')
    losses = ns["losses"]
    assert onp.mean(losses[-5:]) < 0.75 * losses[0], losses
    assert ns["error"] < 0.6
    model, updater = ns["model"], ns["updater"]
    assert set(ns["grad_dict"]) == set(model.params)
    assert updater.learning_rate == 0.05
    means = [k for k in model.aux_params if k.endswith("moving_mean")]
    assert len(means) == 6 and not onp.allclose(model.aux_params[means[0]].asnumpy(), 0)


def test_rnn_and_lstm_on_digit_rows():
    ns = run('''
    class RNNModel(Model):
        def __init__(self, hidden_state_size, activation='tanh'):
            super(RNNModel, self).__init__(loss='softmax_loss')
            self._rnn = RNN(hidden_state_size, activation)
            self._linear = FullyConnected(num_hidden=10)

        def forward(self, data, mode='training'):
            N, length, D = data.shape
            hidden = None
            for i in range(length):
                patch = data[:, i, :]
                hidden = self._rnn(patch, hidden)
            return self._linear(hidden)

    class LSTMModel(Model):
        def __init__(self, hidden_state_size, activation='tanh'):
            super(LSTMModel, self).__init__(loss='softmax_loss')
            self._rnn = LSTM(hidden_state_size, activation)
            self._linear = FullyConnected(num_hidden=10)

        def forward(self, data, mode='training'):
            N, length, D = data.shape
            hidden, cell = None, None
            for i in range(length):
                patch = data[:, i, :]
                hidden, cell = self._rnn(patch, hidden, cell)
            return self._linear(hidden)

    x_train, y_train, x_test, y_test = digits(image=False)
    results = {}
    for net in (RNNModel, LSTMModel):
        model = net(32)
        updater = Updater(model, update_rule='rmsprop', learning_rate=0.003)
        for data, labels in batches(x_train, y_train, 64, 40):
            grad_dict, loss = model.grad_and_loss(data, labels)
            updater(grad_dict)
        results[net.__name__] = (error_rate(model, x_test, y_test), model)
    ''')
    for name, (error, model) in ns["results"].items():
        assert error < 0.5, (name, error)
    rnn = ns["results"]["RNNModel"][1]
    hh = [k for k in rnn.params if k.endswith("HH_weight")]
    assert rnn.params[hh[0]].shape == (32, 32)


def test_symbolic_module():
    pytest.importorskip("mxnet")
    ns = run('''
    from mxnet.symbol import Variable, Convolution as conv, BatchNorm as bn, Activation
    from mxnet.symbol import Pooling as pool, Flatten as flat, FullyConnected as fc

    class SymbolicNet(Model):
        def __init__(self):
            super(SymbolicNet, self).__init__(loss='softmax_loss')
            network = Variable('data')
            network = conv(data=network, num_filter=4, kernel=(3, 3), pad=(1, 1))
            network = bn(data=network, fix_gamma=False)
            network = Activation(data=network, act_type='relu')
            network = pool(data=network, pool_type='avg', kernel=(8, 8))
            network = fc(data=flat(data=network), num_hidden=10)
            self._symbolic = Symbolic(network)

        def forward(self, data, mode='training'):
            if mode == 'training': self.training()
            elif mode == 'inference': self.inference()
            return self._symbolic(data=data)

    x_train, y_train, x_test, y_test = digits()
    model = SymbolicNet()
    updater = Updater(model, update_rule='adam', learning_rate=0.05)
    losses = []
    for data, labels in batches(x_train, y_train, 64, 15):
        loss = model(data, labels=labels)
        updater(model.backward())
        losses.append(float(loss))
    model(x_train[:64], labels=y_train[:64])
    error = error_rate(model, x_test, y_test)
    ''')
    assert ns["losses"][-1] < ns["losses"][0], ns["losses"]
    model = ns["model"]
    assert sorted(k.split("_", 1)[1] for k in model.aux_params) == [
        "batchnorm0_moving_mean", "batchnorm0_moving_var"] or len(model.aux_params) == 2
    mean = next(v for k, v in model.aux_params.items() if k.endswith("moving_mean"))
    assert not onp.allclose(onp.asarray(mean), 0)   # moving statistics were trained


def test_vgg_style_blocks_dropout_and_stochastic_depth():
    ns = run('''
    from random import Random

    class Net(Model):
        def __init__(self, p):
            super(Net, self).__init__(loss='softmax_loss')
            self._p = p
            self._rng = Random(0)
            block = Sequential()
            block.append(Sequential(Convolution(num_filter=4, kernel=(3, 3), pad=(1, 1)),
                                    ReLU()))
            block.append(Pooling(pool_type='max', kernel=(2, 2), stride=(2, 2)))
            self._blocks = (block,)
            self._skippable = Sequential(Convolution(num_filter=4, kernel=(3, 3),
                                                     pad=(1, 1)), Tanh())
            self._to_scores = Sequential(BatchFlatten(), FullyConnected(num_hidden=32),
                                         Dropout(0.5), ReLU(),
                                         FullyConnected(num_hidden=10))

        def forward(self, data, mode='training'):
            if mode == 'training': self.training()
            elif mode == 'inference': self.inference()
            for block in self._blocks:
                data = block(data)
            if mode == 'inference' or self._rng.random() < self._p:
                data = data + self._skippable(data)
            return self._to_scores(data)

    x_train, y_train, x_test, y_test = digits()
    model = Net(0.5)
    updater = Updater(model, update_rule='sgd', learning_rate=0.1)
    seen = []
    for data, labels in batches(x_train, y_train, 64, 12):
        loss = model(data, labels=labels)
        grad_dict = model.backward()
        seen.append(len(grad_dict))
        updater(grad_dict)
    a = model.forward(x_test[:10], 'inference')
    b = model.forward(x_test[:10], 'inference')
    ''')
    # the skippable block's parameters join when it first runs, and are trained then
    assert min(ns["seen"]) == 6 and max(ns["seen"]) == 8, ns["seen"]
    onp.testing.assert_array_equal(ns["a"].asnumpy(), ns["b"].asnumpy())  # no dropout


def test_gradients_are_checked_numerically():
    from minpy.nn.model_builder import Model, Sequential
    from minpy.nn.modules import BatchFlatten, BatchNorm, Convolution, FullyConnected, Tanh

    class Net(Model):
        def __init__(self):
            super().__init__(loss="softmax_loss")
            self.body = Sequential(Convolution(num_filter=2, kernel=(2, 2), stride=(2, 2)),
                                   BatchNorm(fix_gamma=False), Tanh(), BatchFlatten(),
                                   FullyConnected(num_hidden=3))

        def forward(self, data, mode="training"):
            return self.body(data)

    rs = onp.random.RandomState(0)
    x, y = rs.randn(5, 1, 4, 4), onp.array([0, 1, 2, 1, 0])
    model = Net()
    model(x, labels=y)
    grads = model.backward()
    assert sorted(grads) == sorted(model.params) and len(grads) == 6
    base = {k: v.asnumpy() for k, v in model.params.items()}

    def loss(params):
        model.params = {k: Array(v) for k, v in params.items()}
        return float(model(x, labels=y))

    for name in sorted(base):
        d = rs.randn(*base[name].shape)
        eps = 1e-6
        up = loss(dict(base, **{name: base[name] + eps * d}))
        down = loss(dict(base, **{name: base[name] - eps * d}))
        numeric = (up - down) / (2 * eps)
        analytic = float(onp.sum(grads[name].asnumpy() * d))
        assert abs(numeric - analytic) <= 1e-6 + 1e-5 * abs(numeric), (name, numeric, analytic)


def test_layers_names_configs_and_errors():
    from minpy.nn.model_builder import Model, ModuleError, Updater
    from minpy.nn.modules import FullyConnected, ReLU, Variable

    fc = FullyConnected(num_hidden=3, init_configs={"bias": {"init_rule": "constant",
                                                             "value": 0.5}},
                        update_configs={"weight": {"learning_rate": 0.0}})
    assert fc.weight == fc.name + "_weight" and fc.bias == fc.name + "_bias"
    with pytest.raises(ModuleError, match="must belong to a Model"):
        fc(onp.ones((2, 4)))
    assert ReLU()(onp.array([-1.0, 2.0])).tolist() == [0.0, 2.0]   # no parameters

    class Net(Model):
        def __init__(self):
            super().__init__()   # no loss: a call returns the predictions
            self.fc = fc
            self.v = Variable((3,))

        def forward(self, data, mode="training"):
            return self.fc(data) * self.v()

    model = Net()
    out = model(onp.ones((2, 4)))
    assert out.shape == (2, 3) and onp.allclose(model.params[fc.bias].asnumpy(), 0.5)
    with pytest.raises(ModuleError, match="no update_rule"):
        Updater(model)(model.backward())
    assert Updater(model)[fc.weight].learning_rate == 0.0   # the layer's config
    updater = Updater(model, update_rule="sgd", learning_rate=0.1)  # for every parameter
    assert updater.learning_rate == 0.1
    updater[fc.weight].learning_rate = 0.0
    w = model.params[fc.weight]
    updater(model.backward())
    onp.testing.assert_array_equal(model.params[fc.weight].asnumpy(), w.asnumpy())
    with pytest.raises(AttributeError, match="not one value"):
        updater.learning_rate   # noqa: B018  (0.0 for one parameter, 0.1 for others)
