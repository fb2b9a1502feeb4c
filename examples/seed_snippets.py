"""The snippets of MinPy's original announcement, runnable as they were written."""

from __future__ import annotations

# isort: off
# In the announcement's order: MinPy first, which lets MXNet 1.9.1 load on NumPy 2.
import minpy  # noqa: F401
import minpy.numpy as np
from minpy.core import Function, grad
import mxnet as mx
# isort: on


def branches():
    """Data-dependent branches inside a differentiated function."""
    def foo(x):
        if x >= 0:
            return x
        return 2 * x

    foo_grad = grad(foo)
    print(foo_grad(3))    # 1.0
    print(foo_grad(-1))   # 2.0
    return foo_grad(3), foo_grad(-1)


def printing():
    """Printing and asnumpy() inside a traced function."""
    def f(x):
        y = np.sin(x)
        print("inside f, y =", y)
        print("as NumPy:", y.asnumpy())
        return np.sum(y * y)

    g = grad(f)(np.array([0.5, 1.0]))
    print("gradient:", g)
    return g


def fallback():
    """np.logaddexp has no MXNet kernel: it runs in NumPy on the CPU, transparently."""
    x = np.zeros((2, 3))
    y = np.ones((2, 3))
    z = np.logaddexp(x, y)
    print(z)
    return z


def symbol():
    """An MXNet convolution symbol wrapped as a function, mixed with NumPy calls."""
    net = mx.sym.Variable('x')
    net = mx.sym.Convolution(net, name='conv', kernel=(3, 3), num_filter=32, no_bias=True)
    conv = Function(net, input_shapes={'x': (8, 3, 10, 10)})
    x = np.zeros((8, 3, 10, 10))
    w = np.ones((32, 3, 3, 3))
    y = np.exp(conv(x=x, conv_weight=w))
    print(y.shape, y.dtype)
    return y


if __name__ == "__main__":
    branches()
    printing()
    fallback()
    symbol()
