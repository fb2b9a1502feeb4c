"""The original MinPy's ``minpy.primitive.customop`` and
``minpy.utils.gradient_checker``."""

import numpy as onp
import pytest

import minpy.numpy as np
from minpy.autograd import grad
from minpy.primitive import customop
from minpy.utils.gradient_checker import GradientCheckError, quick_grad_check


@customop("numpy")
def cube(x):
    assert type(x) is onp.ndarray
    return x ** 3


cube.def_grad(lambda ans, x: (lambda g: 3 * x ** 2 * g))


@customop("numpy")
def wrong(x):
    return x ** 3


wrong.def_grad(lambda ans, x: (lambda g: 2 * x ** 2 * g))


def test_customop_numpy_forward_and_gradient():
    x = np.array([1.0, 2.0])
    assert isinstance(cube(x), type(x))
    onp.testing.assert_allclose(onp.asarray(grad(lambda v: np.sum(cube(v)))(x)), [3.0, 12.0])
    with pytest.raises(ValueError, match="customop takes"):
        customop("torch")


def test_customop_second_argument():
    @customop("numpy")
    def scaled(x, s):
        return x * s

    scaled.def_grad(lambda ans, x, s: (lambda g: g * s), argnum=0)
    scaled.def_grad(lambda ans, x, s: (lambda g: onp.sum(g * x)), argnum=1)
    x = np.array([1.0, 2.0])
    gx, gs = grad(lambda x, s: np.sum(scaled(x, s)), argnum=(0, 1))(x, np.array(3.0))
    onp.testing.assert_allclose(onp.asarray(gx), [3.0, 3.0])
    assert float(gs) == 3.0


def test_quick_grad_check(capsys):
    x = np.array([0.5, -1.0, 2.0])
    assert quick_grad_check(lambda v: np.sum(cube(v)), x)
    assert "Gradient projection OK" in capsys.readouterr().out
    with pytest.raises(GradientCheckError, match="finite differences"):
        quick_grad_check(lambda v: np.sum(wrong(v)), x, verbose=False)
    with pytest.raises(AssertionError):
        quick_grad_check(lambda v, k: np.sum(wrong(v) * k), x, extra_args=(2.0,),
                         verbose=False)


def test_customop_mxnet():
    from minpy.core import _mxnet
    if not _mxnet.available():
        pytest.skip("MXNet not installed")

    @customop("mxnet")
    def double(x):
        assert hasattr(x, "asnumpy") and not isinstance(x, onp.ndarray)
        return x * 2

    double.def_grad(lambda ans, x: (lambda g: g * 2))
    x = np.array([1.0, 2.0])
    onp.testing.assert_allclose(onp.asarray(double(x)), [2.0, 4.0])
    onp.testing.assert_allclose(onp.asarray(grad(lambda v: np.sum(double(v)))(x)), [2.0, 2.0])


def test_customop_kind_is_resolved_through_the_backend_registry():
    """``kind`` is any registered backend's name: a test-only backend (arrays are NumPy
    arrays in a box) gets its own forms in, and its arrays out become Arrays holding
    that form; an unknown name lists the registered ones."""
    from minpy.core import Array, cpu
    from minpy.core import backend as backends

    class Boxed:
        def __init__(self, data):
            self.data = data

    class BoxBackend(backends.Backend):
        label, priority, transfer, serves_cpu = "Box", 90, "to_box", True

        def load(self):
            return onp

        def holds(self, dtype):
            return dtype.kind == "f"

        def owns(self, obj):
            return isinstance(obj, Boxed)

        def from_host(self, host, device):
            return Boxed(onp.array(host))

        def to_host(self, form):
            return onp.array(form.data)

        def native(self, obj):
            return obj, cpu()

        def meta(self, form):
            return form.data.dtype, form.data.shape

    be = backends.register(BoxBackend("box"))
    try:
        @customop("box")
        def square(x):
            assert type(x) is Boxed
            return Boxed(x.data ** 2)

        square.def_grad(lambda ans, x: (lambda g: Boxed(2 * x.data * g.data)))
        assert square.kind is be
        x = np.array([1.0, 3.0])
        y = square(x)
        assert isinstance(y, Array) and y.forms == ("box",)
        onp.testing.assert_allclose(y.asnumpy(), [1.0, 9.0])
        onp.testing.assert_allclose(onp.asarray(grad(lambda v: np.sum(square(v)))(x)),
                                    [2.0, 6.0])
    finally:
        backends.unregister(be)
    with pytest.raises(ValueError, match=r"customop takes a backend's name \('numpy', "
                                         r"'mxnet'.*not 'box'"):
        customop("box")
