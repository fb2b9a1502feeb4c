"""The original MinPy's ``minpy.primitive.customop``: a function on NumPy arrays (or
MXNet NDArrays, or any backend's arrays) with a hand-written gradient, as a
:mod:`minpy.autograd` primitive.

>>> @customop('numpy')
... def my_softmax(x, y):            # x, y arrive as numpy.ndarray
...     ...
>>> def my_softmax_grad(ans, x, y):  # ans, x, y as numpy.ndarray
...     def grad(g):
...         return ...                # the gradient with respect to x
...     return grad
>>> my_softmax.def_grad(my_softmax_grad)            # argnum=0 by default

``customop(kind)`` takes a backend's name (``'numpy'``, the host, or ``'mxnet'`` as in
the original; any registered backend's works), resolved through
:mod:`minpy.core.backend`. Arrays are converted on the way in to that backend's form and
on the way out from whichever backend's array the function returns; the result is a
MinPy Array (or a Python scalar). Gradients are first order: the op's body is not traced.
"""

from __future__ import annotations

import functools

import numpy as _np

from minpy.autograd import defvjp, primitive
from minpy.core import Array
from minpy.core import backend as backends

__all__ = ["customop", "CustomOp"]


def _unbox(v, backend):
    """An argument as the function sees it: an Array as ``backend``'s form (a host copy
    for the host)."""
    if isinstance(v, Array):
        if backend.is_host:
            return _np.array(v._host_value())
        form = v.asform(backend)
        # the original MinPy handed MXNet's legacy NDArrays (mx.nd), not mx.np arrays
        return form.as_nd_ndarray() if hasattr(form, "as_nd_ndarray") else form
    return v


def _wrap(v):
    if isinstance(v, _np.ndarray):
        return Array(v)
    owner = backends.owner_of(v)             # a device backend's array (an MXNet NDArray)
    if owner is not None:
        form, device = owner.native(v)
        return Array._from_form(owner, form, device)
    if isinstance(v, tuple):
        return tuple(_wrap(x) for x in v)
    return v


class CustomOp:
    """A function made a primitive by :func:`customop`; give it gradients with
    :meth:`def_grad`."""

    def __init__(self, func, kind):
        self.func = func
        self.kind = kind = backends.get(kind)
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
    or ``@customop('mxnet')`` (MXNet NDArrays): ``kind`` names a registered backend
    (or is one), whose arrays the function takes."""
    backend = backends.find(kind) if isinstance(kind, str) else None
    if backend is None:
        names = ", ".join(repr(b.name) for b in backends.backends())
        raise ValueError(f"customop takes a backend's name ({names}), not {kind!r}")
    return lambda func: CustomOp(func, backend)
