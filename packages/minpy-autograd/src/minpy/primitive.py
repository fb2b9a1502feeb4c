"""The original MinPy's ``minpy.primitive.customop``: a function on NumPy arrays (or
MXNet NDArrays) with a hand-written gradient, as a :mod:`minpy.autograd` primitive.

>>> @customop('numpy')
... def my_softmax(x, y):            # x, y arrive as numpy.ndarray
...     ...
>>> def my_softmax_grad(ans, x, y):  # ans, x, y as numpy.ndarray
...     def grad(g):
...         return ...                # the gradient with respect to x
...     return grad
>>> my_softmax.def_grad(my_softmax_grad)            # argnum=0 by default

Arrays are converted on the way in and out; the result is a MinPy Array (or a
Python scalar). Gradients are first order: the op's body is not traced.
"""

from __future__ import annotations

import functools

import numpy as _np

from minpy.autograd import defvjp, primitive
from minpy.core import Array, _mxnet, current_device

__all__ = ["customop", "CustomOp"]


def _unbox(v, kind):
    if isinstance(v, Array):
        if kind == "numpy":
            return _np.array(v._host_value())
        return v.asmxnet().as_nd_ndarray()
    return v


def _wrap(v):
    if isinstance(v, _np.ndarray):
        return Array(v)
    if hasattr(v, "as_np_ndarray"):          # an MXNet NDArray
        return Array._from_form(_mxnet.BACKEND, v.as_np_ndarray(), current_device())
    if isinstance(v, tuple):
        return tuple(_wrap(x) for x in v)
    return v


class CustomOp:
    """A function made a primitive by :func:`customop`; give it gradients with
    :meth:`def_grad`."""

    def __init__(self, func, kind):
        self.func = func
        self.kind = kind
        functools.update_wrapper(self, func)

        def body(*args, **kwargs):
            return _wrap(func(*(_unbox(a, kind) for a in args),
                              **{k: _unbox(v, kind) for k, v in kwargs.items()}))

        body.__qualname__ = body.__name__ = getattr(func, "__qualname__", "customop")
        self._prim = primitive(body, name=f"customop.{body.__qualname__}")

    def __call__(self, *args, **kwargs):
        return self._prim(*args, **kwargs)

    def def_grad(self, func, argnum=0):
        """Register ``func(ans, *args, **kwargs) -> (g -> gradient)`` as the gradient of
        argument ``argnum``; ``ans``, the arguments and ``g`` arrive converted like the
        op's inputs. Returns the op (chainable)."""
        kind = self.kind

        def maker(ans, *args, **kwargs):
            inner = func(_unbox(ans, kind), *(_unbox(a, kind) for a in args),
                         **{k: _unbox(v, kind) for k, v in kwargs.items()})
            return lambda g: _wrap(inner(_unbox(g, kind)))

        defvjp(self._prim, maker, argnums=[argnum])
        return self


def customop(kind):
    """Decorator: ``@customop('numpy')`` (the function takes and returns NumPy arrays)
    or ``@customop('mxnet')`` (MXNet NDArrays)."""
    if kind not in ("numpy", "mxnet"):
        raise ValueError(f"customop takes 'numpy' or 'mxnet', not {kind!r}")
    return lambda func: CustomOp(func, kind)
