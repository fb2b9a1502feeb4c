"""The original MinPy's MXNet-named functions in ``minpy.numpy`` (``slice_axis``,
``sigmoid``, ``onehot_encode``, ``softmax_output``) and its profiler
``minpy.utils.minprof``, used as the original's tutorial and unit test did."""

import io
import pickle

import numpy as onp
import pytest

import minpy.numpy as np


def test_slice_axis_as_in_the_numpy_tutorial(capsys):
    a = np.arange(6)
    a = np.reshape(a, (3, 2))
    d = np.slice_axis(a, axis=1, begin=1, end=2)
    print(d)
    assert d.tolist() == [[1], [3], [5]]
    assert np.slice_axis(a, 0, -2, None).tolist() == [[2, 3], [4, 5]]
    assert np.slice_axis(a, -1, 0, 1).shape == (3, 1)
    with pytest.raises(ValueError, match="out of range"):
        np.slice_axis(a, 2, 0, 1)


def test_sigmoid_is_stable_and_differentiable():
    from minpy.autograd import grad
    x = np.array([-700.0, -30.0, 0.0, 2.0, 1000.0])
    want = 1 / (1 + onp.exp(-x.asnumpy()))   # exp(700) is finite in float64
    onp.testing.assert_allclose(np.sigmoid(x).asnumpy(), want, rtol=1e-15, atol=0)
    g = grad(lambda v: np.sum(np.sigmoid(v)))(x)
    onp.testing.assert_allclose(g.asnumpy(), want * (1 - want), rtol=1e-12, atol=1e-300)
    assert np.sigmoid(np.ones(2, dtype="float32")).dtype == onp.float32


def test_onehot_encode_and_softmax_output():
    from minpy.autograd import grad
    out = np.zeros((3, 4))
    assert np.onehot_encode(np.array([1, 0, 3]), out) is out
    assert out.tolist() == [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1]]
    x = onp.random.RandomState(0).randn(3, 4)
    p = np.softmax_output(x, out)
    e = onp.exp(x - x.max(1, keepdims=True))
    onp.testing.assert_allclose(p.asnumpy(), e / e.sum(1, keepdims=True), rtol=1e-14)
    # with the cross-entropy the original built on it, the gradient is (p - label) / N
    g = grad(lambda v: -np.sum(out * np.log(np.softmax_output(v, out))) / 3)(x)
    onp.testing.assert_allclose(g.asnumpy(), (p.asnumpy() - out.asnumpy()) / 3, atol=1e-14)


MINPROF_TEST = '''
from minpy.utils.minprof import minprof
import minpy.numpy as np

@minprof
def recur_func(i):
    if i == 0:
        return
    return recur_func(i-1)

recur_func(100)

@minprof
def fun_A():
    for i in range(2):
        fun_B()

@minprof
def fun_B():
    for i in range(3):
        fun_C()

@minprof
def fun_C():
    x = np.ones((4, 4))
    return np.tanh(x).sum()

with minprof():
    k = 0
    with minprof('inner'):
        k += 1

fun_A()
minprof.print_stats()
'''


def test_minprof_unit_test_with_op_statistics(capsys, tmp_path):
    from minpy.utils.minprof import FuncCallProfiler, minprof
    minprof.reset()
    exec(compile(MINPROF_TEST, "<program>", "exec"), {"__name__": "__main__"})
    text = capsys.readouterr().out
    stats = minprof.get_stats()
    calls = {key[2]: len(t) for key, t in stats.timings.items()}
    assert calls["recur_func"] == 101 and calls["fun_A"] == 1 and calls["fun_C"] == 6
    assert calls["inner"] == 1 and any(name.startswith("<block>") or name.endswith("...")
                                      for name in calls)
    c_key = next(k for k in stats.timings if k[2] == "fun_C")
    ops = stats.op_timings[c_key]
    assert ops[("tanh", "numpy")][0] == 6 and ops[("ones", "numpy")][0] == 6
    a_key = next(k for k in stats.timings if k[2] == "fun_A")   # nested regions count
    assert stats.op_timings[a_key][("tanh", "numpy")][0] == 6
    assert set(stats.backend_times(c_key)) == {"numpy"}
    assert "tanh on numpy" in text and "by backend: numpy" in text and "fun_C" in text
    path = tmp_path / "stats.fprof"
    minprof.dump_stats(str(path))
    loaded = pickle.loads(path.read_bytes())
    assert loaded.timings.keys() == stats.timings.keys()
    minprof.reset()
    # a profiler of its own; recording is switched off again after the region
    import importlib
    policy = importlib.import_module("minpy.numpy.policy")
    prof = FuncCallProfiler()
    with prof("mx"):
        with np.policy("only_mxnet"):
            np.exp(np.ones(3))
    assert not policy.recording()
    (key,) = prof.get_stats().op_timings
    assert ("exp", "mxnet") in prof.get_stats().op_timings[key]
    out = io.StringIO()
    prof.print_stats(out)
    assert "exp on mxnet" in out.getvalue()


def test_op_statistics_and_policy_unit_tests(capsys):
    """tests/unittest/test_op_statistics.py and test_policy.py, smaller."""
    ns = {"__name__": "__main__"}
    exec('''
import minpy
import minpy.numpy as np
import minpy.numpy.random as random
from minpy.core import grad, grad_and_loss

@minpy.wrap_policy("only_numpy")
def gaussian_cluster_generator(num_samples=100, num_features=20, num_classes=5):
    mu = np.random.rand(num_classes, num_features)
    sigma = np.ones((num_classes, num_features)) * 0.1
    num_cls_samples = int(num_samples / num_classes)
    x = np.zeros((num_samples, num_features))
    y = np.zeros((num_samples, num_classes))
    for i in range(num_classes):
        cls_samples = np.random.normal(mu[i,:], sigma[i,:], (num_cls_samples, num_features))
        x[i*num_cls_samples:(i+1)*num_cls_samples] = cls_samples
        y[i*num_cls_samples:(i+1)*num_cls_samples,i] = 1
    return x, y

def train_loss(w, x):
    a = np.exp(np.dot(x, w))
    prob = a / np.sum(a, axis=1, keepdims=True)
    return -np.sum(label * np.log(prob)) / 100

np.record_op_stat()
data, label = gaussian_cluster_generator()
weight = random.randn(20, 5)
losses = []
for i in range(5):
    dw, loss = grad_and_loss(train_loss)(weight, data)
    weight -= 0.1 * dw
    losses.append(float(loss))
np.show_op_stat()
''', ns)
    text = capsys.readouterr().out
    assert ns["losses"][-1] < ns["losses"][0]
    assert "dot" in text and "exp" in text and "calls" in text
    # The program switched recording on for the process, as the original's did; off
    # again for the tests after it (a with block's end stops it).
    with np.record_op_stat():
        pass


def test_set_policy_of_the_originals_namespace():
    """examples/demo/test.py: ``np.set_policy(ply.OnlyNumPyPolicy())``."""
    import minpy.dispatch.policy as ply
    before = np.get_policy()
    try:
        np.set_policy(ply.OnlyNumPyPolicy())
        assert isinstance(np.get_policy(), ply.OnlyNumPyPolicy)
        x = np.ones((2, 3))
        assert np.allclose(np.dot(x, x.T), 3 * np.ones((2, 2)))
    finally:
        np.set_global_policy(before)
    assert np.get_policy() is before
