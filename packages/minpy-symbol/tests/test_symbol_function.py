"""Forward, binding cache, outputs, dtypes, aux states, helpers and errors of Function."""

from __future__ import annotations

import numpy as onp
import pytest

import minpy.numpy as np
from minpy.core import Array
from minpy.symbol import Function, SymbolArgumentError, SymbolShapeError


def conv_symbol(mx, num_filter=32, no_bias=True):
    net = mx.sym.Variable("x")
    return mx.sym.Convolution(net, name="conv", kernel=(3, 3), num_filter=num_filter,
                              no_bias=no_bias)


def test_seed_example_runs_as_written():
    # The seed's import order, kept: MXNet is imported after MinPy loaded it.
    import minpy.numpy as np  # noqa: I001
    from minpy.core import Function as CoreFunction
    import mxnet as mx
    net = mx.sym.Variable('x')
    net = mx.sym.Convolution(net, name='conv', kernel=(3, 3), num_filter=32, no_bias=True)
    conv = CoreFunction(net, input_shapes={'x': (8, 3, 10, 10)})
    x = np.zeros((8, 3, 10, 10))
    w = np.ones((32, 3, 3, 3))
    y = np.exp(conv(x=x, conv_weight=w))
    # minpy.core.Function is the original's face of the strict Function
    # (test_original_function.py): float32 inside, float64 back as given.
    assert issubclass(CoreFunction, Function) and y.dtype == x.dtype
    assert isinstance(y, Array)
    assert y.shape == (8, 32, 8, 8)
    assert y.dtype == onp.float64          # the inputs' dtype, not float32
    onp.testing.assert_array_equal(y.asnumpy(), onp.ones((8, 32, 8, 8)))


def hand_executor(mx, sym, args, is_train=False):
    """Reference: bind the symbol by hand and run the executor."""
    nd = {k: mx.nd.array(v, dtype=v.dtype) for k, v in args.items()}
    ex = sym.bind(mx.cpu(), args=nd)
    return [o.asnumpy() for o in ex.forward(is_train=is_train)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_forward_equals_hand_driven_executor(mx, dtype):
    sym = conv_symbol(mx, num_filter=8, no_bias=False)
    rng = onp.random.RandomState(0)
    args = {"x": rng.randn(4, 3, 9, 9).astype(dtype),
            "conv_weight": rng.randn(8, 3, 3, 3).astype(dtype),
            "conv_bias": rng.randn(8).astype(dtype)}
    fn = Function(sym)
    y = fn(x=np.array(args["x"]), conv_weight=np.array(args["conv_weight"]),
           conv_bias=args["conv_bias"])          # a NumPy array input as well
    assert y.dtype == dtype
    ref = hand_executor(mx, sym, args)[0]
    tol = 1e-5 if dtype == "float32" else 1e-12
    onp.testing.assert_allclose(y.asnumpy(), ref, rtol=tol, atol=tol)


def test_bind_cache_counter(mx):
    fn = Function(conv_symbol(mx, 4))
    assert fn.bind_count == 0
    w = np.ones((4, 3, 3, 3))
    fn(x=np.zeros((2, 3, 5, 5)), conv_weight=w)
    assert fn.bind_count == 1
    fn(x=np.ones((2, 3, 5, 5)), conv_weight=w)
    assert fn.bind_count == 1                     # same shapes: nothing new bound
    fn(x=np.ones((5, 3, 5, 5)), conv_weight=w)
    assert fn.bind_count == 2                     # a new batch size binds once more
    fn(x=np.ones((2, 3, 5, 5)), conv_weight=w)
    assert fn.bind_count == 2                     # and the first binding is reused
    fn(x=np.ones((2, 3, 5, 5), dtype="float32"), conv_weight=w.astype("float32"))
    assert fn.bind_count == 3                     # a new dtype is a new binding


def test_input_shapes_binds_eagerly_and_calls_reuse_it(mx):
    fn = Function(conv_symbol(mx), input_shapes={"x": (8, 3, 10, 10)})
    assert fn.bind_count == 1
    assert fn.get_arg_shapes() == {"x": (8, 3, 10, 10), "conv_weight": (32, 3, 3, 3)}
    assert fn.get_output_shapes() == [(8, 32, 8, 8)]
    assert fn.get_params() == {"conv_weight": (32, 3, 3, 3)}
    assert fn.list_arguments() == ["x", "conv_weight"]
    fn(x=np.zeros((8, 3, 10, 10)), conv_weight=np.ones((32, 3, 3, 3)))
    fn(x=np.zeros((8, 3, 10, 10)), conv_weight=np.ones((32, 3, 3, 3)))
    assert fn.bind_count == 1


def test_outputs_of_two_calls_do_not_alias(mx):
    fn = Function(conv_symbol(mx, 2))
    w = np.ones((2, 3, 3, 3))
    y1 = fn(x=np.zeros((1, 3, 4, 4)), conv_weight=w)
    y2 = fn(x=np.ones((1, 3, 4, 4)), conv_weight=w)
    assert float(y1.sum()) == 0.0 and float(y2.sum()) > 0


def test_positional_call_in_argument_order(mx):
    fn = Function(conv_symbol(mx, 2))
    x, w = np.ones((1, 3, 4, 4)), np.ones((2, 3, 3, 3))
    onp.testing.assert_array_equal(fn(x, w).asnumpy(), fn(x=x, conv_weight=w).asnumpy())
    onp.testing.assert_array_equal(fn(x, conv_weight=w).asnumpy(),
                                   fn(x=x, conv_weight=w).asnumpy())


def test_multiple_outputs_group(mx):
    x = mx.sym.Variable("x")
    fc = mx.sym.FullyConnected(x, num_hidden=3, name="fc")
    sym = mx.sym.Group([mx.sym.relu(fc, name="r"), mx.sym.exp(x, name="e"), fc])
    fn = Function(sym)
    rng = onp.random.RandomState(1)
    a = {"x": rng.randn(2, 4), "fc_weight": rng.randn(3, 4), "fc_bias": rng.randn(3)}
    outs = fn(**{k: np.array(v) for k, v in a.items()})
    assert isinstance(outs, tuple) and len(outs) == 3
    refs = hand_executor(mx, sym, a)
    for o, r in zip(outs, refs):
        assert isinstance(o, Array) and o.dtype == onp.float64
        onp.testing.assert_allclose(o.asnumpy(), r, rtol=1e-12)
    assert fn.get_output_shapes() == [(2, 3), (2, 4), (2, 3)]
    assert len(fn.list_outputs()) == 3


def test_dtype_promotion_and_explicit_dtype(mx):
    sym = conv_symbol(mx, 2)
    x32 = np.ones((1, 3, 4, 4), dtype="float32")
    w64 = np.ones((2, 3, 3, 3))
    y = Function(sym)(x=x32, conv_weight=w64)
    assert y.dtype == onp.float64                 # NumPy promotion, float32+float64
    y = Function(sym, dtype="float32")(x=np.ones((1, 3, 4, 4)), conv_weight=w64)
    assert y.dtype == onp.float32                 # asked for
    onp.testing.assert_allclose(y.asnumpy(), 27.0)


def test_python_scalar_input(mx):
    a, s = mx.sym.Variable("a"), mx.sym.Variable("s")
    fn = Function(mx.sym.broadcast_mul(a, s))
    out = fn(a=np.arange(6.0).reshape(2, 3), s=2.0)
    onp.testing.assert_array_equal(out.asnumpy(), onp.arange(6.0).reshape(2, 3) * 2)
    assert out.dtype == onp.float64


# -- auxiliary states ------------------------------------------------------------------
def bn_symbol(mx):
    x = mx.sym.Variable("x")
    return mx.sym.BatchNorm(x, name="bn", fix_gamma=False, momentum=0.9, eps=1e-5)


def bn_args(seed=0):
    rng = onp.random.RandomState(seed)
    return {"x": np.array(rng.rand(6, 3, 4, 4) * 3 + 1),
            "bn_gamma": np.ones(3), "bn_beta": np.zeros(3)}


def test_aux_states_train_updates_eval_reads(mx):
    fn = Function(bn_symbol(mx))
    assert fn.is_train
    args = bn_args()
    xh = args["x"].asnumpy()
    y = fn(**args)
    aux = fn.get_aux_states()
    mean = xh.mean(axis=(0, 2, 3))
    var = xh.var(axis=(0, 2, 3))
    onp.testing.assert_allclose(aux["bn_moving_mean"].asnumpy(), 0.1 * mean, rtol=1e-6)
    # train mode normalises with the batch statistics
    ref = (xh - mean[None, :, None, None]) / onp.sqrt(var[None, :, None, None] + 1e-5)
    onp.testing.assert_allclose(y.asnumpy(), ref, rtol=1e-5, atol=1e-6)
    mv = aux["bn_moving_var"].asnumpy()
    # a second training call updates once more (exactly once per call)
    fn(**args)
    onp.testing.assert_allclose(fn.get_aux_states()["bn_moving_mean"].asnumpy(),
                                0.19 * mean, rtol=1e-6)
    # inference mode reads the moving statistics and leaves them alone
    fn.eval()
    assert not fn.is_train
    before = {k: v.asnumpy() for k, v in fn.get_aux_states().items()}
    y = fn(**args)
    after = {k: v.asnumpy() for k, v in fn.get_aux_states().items()}
    for k in before:
        onp.testing.assert_array_equal(before[k], after[k])
    mm, mv = before["bn_moving_mean"], before["bn_moving_var"]
    ref = (xh - mm[None, :, None, None]) / onp.sqrt(mv[None, :, None, None] + 1e-5)
    onp.testing.assert_allclose(y.asnumpy(), ref, rtol=1e-5, atol=1e-6)
    assert fn.train() is fn and fn.is_train


def test_aux_states_set_and_reset(mx):
    fn = Function(bn_symbol(mx), train=False)
    assert fn.list_auxiliary_states() == ["bn_moving_mean", "bn_moving_var"]
    fn.set_aux_states(bn_moving_mean=onp.full(3, 1.0), bn_moving_var=onp.full(3, 4.0))
    args = bn_args()
    y = fn(**args)
    onp.testing.assert_allclose(y.asnumpy(), (args["x"].asnumpy() - 1) / onp.sqrt(4 + 1e-5),
                                rtol=1e-6)
    fn.reset_aux_states()
    onp.testing.assert_array_equal(fn.get_aux_states()["bn_moving_var"].asnumpy(), 1.0)
    with pytest.raises(SymbolArgumentError, match="unknown auxiliary"):
        fn.set_aux_states(bn_moving_avg=onp.zeros(3))
    with pytest.raises(SymbolArgumentError, match="auxiliary states, kept inside"):
        fn(bn_moving_mean=onp.zeros(3), **args)


def test_aux_states_shared_across_bindings(mx):
    fn = Function(bn_symbol(mx))
    a = bn_args()
    fn(**a)
    m1 = fn.get_aux_states()["bn_moving_mean"].asnumpy()
    fn(x=a["x"][:3], bn_gamma=a["bn_gamma"], bn_beta=a["bn_beta"])   # new batch size
    assert fn.bind_count == 2
    m2 = fn.get_aux_states()["bn_moving_mean"].asnumpy()
    mean3 = a["x"].asnumpy()[:3].mean(axis=(0, 2, 3))
    onp.testing.assert_allclose(m2, 0.9 * m1 + 0.1 * mean3, rtol=1e-6)


# -- helpers ---------------------------------------------------------------------------
def test_init_params(mx):
    x = mx.sym.Variable("x")
    net = mx.sym.Convolution(x, name="conv", kernel=(3, 3), num_filter=4)
    net = mx.sym.BatchNorm(net, name="bn")
    net = mx.sym.FullyConnected(net, name="fc", num_hidden=5)
    fn = Function(net, input_shapes={"x": (2, 3, 6, 6)})
    assert fn.data_names == ("x",)
    p = fn.init_params(seed=3)
    assert set(p) == {"conv_weight", "conv_bias", "bn_gamma", "bn_beta",
                      "fc_weight", "fc_bias"}
    for n, shape in fn.get_params().items():
        assert p[n].shape == shape and p[n].dtype == onp.float64 and isinstance(p[n], Array)
    onp.testing.assert_array_equal(p["conv_bias"].asnumpy(), 0)
    onp.testing.assert_array_equal(p["bn_gamma"].asnumpy(), 1)
    assert float(abs(p["fc_weight"]).sum()) > 0
    q = fn.init_params(seed=3)
    onp.testing.assert_array_equal(p["fc_weight"].asnumpy(), q["fc_weight"].asnumpy())
    r = fn.init_params(initializer=mx.init.Constant(0.5), dtype="float32")
    assert r["fc_weight"].dtype == onp.float32
    onp.testing.assert_array_equal(r["fc_weight"].asnumpy(), 0.5)
    c = fn.init_params(initializer=lambda name, shape: onp.full(shape, 2.0))
    onp.testing.assert_array_equal(c["conv_bias"].asnumpy(), 2.0)
    out = fn(x=np.ones((2, 3, 6, 6)), **p)
    assert out.shape == (2, 5)


def test_init_params_needs_shapes(mx):
    fn = Function(conv_symbol(mx, 4))
    with pytest.raises(SymbolShapeError, match="not known yet"):
        fn.init_params()
    p = fn.init_params(x=(1, 3, 5, 5))
    assert p["conv_weight"].shape == (4, 3, 3, 3)


def test_from_gluon_block(mx):
    from mxnet.gluon import nn
    net = nn.HybridSequential()
    net.add(nn.Conv2D(4, 3), nn.BatchNorm(), nn.Activation("relu"), nn.Dense(5))
    net.initialize(mx.init.Xavier())
    xh = onp.random.RandomState(0).rand(2, 3, 8, 8).astype("float32")
    ref = net(mx.nd.array(xh)).asnumpy()        # legacy gluon, inference mode
    fn, params = Function.from_block(net, {"data": (2, 3, 8, 8)}, train=False)
    assert fn.data_names == ("data",)
    assert set(params) == set(fn.list_arguments()) - {"data"}
    y = fn(data=np.array(xh), **params)
    onp.testing.assert_allclose(y.asnumpy(), ref, rtol=1e-5, atol=1e-5)
    assert len(fn.get_aux_states()) == 2


# -- errors ----------------------------------------------------------------------------
def test_error_missing_argument(mx):
    fn = Function(conv_symbol(mx), input_shapes={"x": (8, 3, 10, 10)})
    with pytest.raises(SymbolArgumentError) as e:
        fn(x=np.zeros((8, 3, 10, 10)))
    msg = str(e.value)
    assert "missing argument(s) ['conv_weight']" in msg
    assert "x: (8, 3, 10, 10), conv_weight: (32, 3, 3, 3)" in msg


def test_error_unknown_argument(mx):
    fn = Function(conv_symbol(mx))
    with pytest.raises(SymbolArgumentError) as e:
        fn(x=np.zeros((8, 3, 10, 10)), conv_weight=np.ones((32, 3, 3, 3)), w=1.0)
    assert "unknown argument(s) ['w']" in str(e.value)
    assert "conv(x: ?, conv_weight: ?)" in str(e.value)
    with pytest.raises(SymbolArgumentError, match="given twice"):
        fn(np.zeros((8, 3, 10, 10)), np.ones((32, 3, 3, 3)), x=np.zeros(1))
    with pytest.raises(SymbolArgumentError, match="takes 2 arguments"):
        fn(1.0, 2.0, 3.0)


def test_error_shape_contradicts_input_shapes(mx):
    fn = Function(conv_symbol(mx), input_shapes={"x": (8, 3, 10, 10)})
    with pytest.raises(SymbolShapeError) as e:
        fn(x=np.zeros((4, 3, 10, 10)), conv_weight=np.ones((32, 3, 3, 3)))
    msg = str(e.value)
    assert "x: (4, 3, 10, 10)" in msg and "expected x: (8, 3, 10, 10)" in msg
    with pytest.raises(SymbolShapeError, match="conv_weight"):
        fn(x=np.zeros((8, 3, 10, 10)), conv_weight=np.ones((16, 3, 3, 3)))


def test_error_inconsistent_shapes_without_input_shapes(mx):
    fn = Function(conv_symbol(mx))
    with pytest.raises(SymbolShapeError, match="do not fit the symbol"):
        fn(x=np.zeros((8, 3, 10, 10)), conv_weight=np.ones((32, 4, 3, 3)))


def test_error_malformed_input_shapes(mx):
    with pytest.raises(TypeError) as e:
        Function(conv_symbol(mx), input_shapes={'x', (8, 3, 10, 10)})
    msg = str(e.value)
    assert "must be a dict" in msg and "a set was given" in msg and "['x', 'conv_weight']" in msg
    with pytest.raises(SymbolArgumentError, match="unknown argument"):
        Function(conv_symbol(mx), input_shapes={"data": (8, 3, 10, 10)})
    with pytest.raises(TypeError, match="tuple of non-negative ints"):
        Function(conv_symbol(mx), input_shapes={"x": "8,3,10,10"})
    with pytest.raises(TypeError, match="tuple of non-negative ints"):
        Function(conv_symbol(mx), input_shapes={"x": (8, 3, 10.5, 10)})
    with pytest.raises(TypeError, match="mxnet Symbol"):
        Function(lambda x: x)


def test_error_bad_input_type(mx):
    fn = Function(conv_symbol(mx))
    with pytest.raises(TypeError, match="must be an Array"):
        fn(x="abc", conv_weight=np.ones((32, 3, 3, 3)))


def test_dropout_follows_the_mode(mx):
    fn = Function(mx.sym.Dropout(mx.sym.Variable("x"), p=0.5))
    x = np.ones((64, 64))
    y = fn(x=x).asnumpy()
    assert set(onp.unique(y)) == {0.0, 2.0}          # training: dropped and rescaled
    onp.testing.assert_array_equal(fn.eval()(x=x).asnumpy(), 1.0)   # inference: identity
    assert fn._mode_sensitive
    assert not Function(mx.sym.relu(mx.sym.Variable("x")))._mode_sensitive


def test_import_is_cheap_and_does_not_need_autograd():
    import subprocess
    import sys
    code = ("import sys, minpy.symbol; "
            "assert 'minpy.autograd' not in sys.modules, 'autograd imported'; "
            "import mxnet; assert 'mxnet' in sys.modules; assert not mxnet.util.is_np_shape()")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_repr_and_signature(mx):
    fn = Function(conv_symbol(mx), input_shapes={"x": (8, 3, 10, 10)}, name="myconv")
    assert fn.signature() == "myconv(x: (8, 3, 10, 10), conv_weight: (32, 3, 3, 3))"
    assert "[train]" in repr(fn) and "[eval]" in repr(fn.eval())


SEED = """
import minpy.numpy as np
from minpy.core import grad, Function
import mxnet as mx
net = mx.sym.Variable('x')
net = mx.sym.Convolution(net, name='conv', kernel=(3, 3), num_filter=32, no_bias=True)
conv = Function(net, input_shapes={'x': (8, 3, 10, 10)})
x = np.zeros((8, 3, 10, 10))
w = np.ones((32, 3, 3, 3))
y = np.exp(conv(x=x, conv_weight=w))
assert y.shape == (8, 32, 8, 8) and float(y.sum()) == 8 * 32 * 8 * 8
"""


def test_seed_example_verbatim_in_a_fresh_interpreter():
    """In a new process the import order matters: ``import mxnet`` comes after MinPy."""
    import subprocess
    import sys
    subprocess.run([sys.executable, "-c", SEED], check=True)


def test_without_mxnet_import_works_and_function_explains():
    import os
    import subprocess
    import sys
    code = ("import minpy.symbol\n"
            "try:\n    minpy.symbol.Function(None)\nexcept ImportError as e:\n"
            "    assert 'pip install' in str(e), e\nelse:\n    raise SystemExit('no error')\n")
    env = dict(os.environ, MINPY_DISABLE_MXNET="1")
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_op_statistics_count_a_function_call_under_the_mxnet_backend_object():
    import mxnet as mx

    from minpy.core import _mxnet
    conv = Function(conv_symbol(mx, num_filter=2), name="conv_stat")
    with np.record_op_stat():
        conv(x=np.zeros((1, 3, 5, 5)), conv_weight=np.ones((2, 3, 3, 3)))
        calls = np.op_stats()["calls"]
    keys = [k for k in calls if k[0] == "Function(conv_stat)"]
    assert len(keys) == 1 and keys[0][1] is _mxnet.BACKEND and calls[keys[0]][0] == 1
