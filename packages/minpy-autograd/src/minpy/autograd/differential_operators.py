"""HIPS Autograd's ``autograd.differential_operators``: every operator of its public
API, on MinPy's tape.

``grad``, ``value_and_grad``, ``elementwise_grad``, ``jacobian``, ``hessian``,
``make_vjp``, ``make_jvp``, ``make_hvp`` and ``checkpoint`` are MinPy's own
(:mod:`minpy.autograd.api`, :mod:`~minpy.autograd.forward`,
:mod:`~minpy.autograd.checkpoint`); the rest are built on them here, with HIPS
Autograd's signatures and results.
"""

from __future__ import annotations

import inspect
import warnings
from collections import OrderedDict

from . import core as _core
from .api import (
    _named,
    _scalar_seed,
    _strip,
    _Traced,
    elementwise_grad,
    grad,
    hessian,
    jacobian,
    make_vjp,
    value_and_grad,
)
from .checkpoint import checkpoint
from .forward import make_hvp, make_jvp
from .wrap_util import unary_to_nary

__all__ = ["grad", "elementwise_grad", "value_and_grad", "grad_and_aux", "grad_named",
           "jacobian", "hessian", "holomorphic_grad", "deriv", "make_vjp", "make_jvp",
           "make_hvp", "make_ggnvp", "make_jvp_reversemode", "hessian_tensor_product",
           "hessian_vector_product", "tensor_jacobian_product", "vector_jacobian_product",
           "multigrad_dict", "checkpoint"]


def _np():
    import minpy.numpy as np
    return np


@unary_to_nary
def deriv(fun, x):
    """The derivative of ``fun`` along ``ones`` at ``x`` (forward mode): for a function
    of one scalar, its derivative."""
    return _core.make_jvp(fun, x)(_core.vspace(x).ones())[1]


@unary_to_nary
def holomorphic_grad(fun, x):
    """The complex derivative of holomorphic ``fun`` at ``x``: the gradient of its real
    part (in HIPS Autograd's convention, ``f'(x)`` itself)."""
    if not _core.vspace(x).iscomplex:
        warnings.warn("Input to holomorphic_grad is not complex", stacklevel=3)
    return grad(lambda z: _np().real(fun(z)))(x)


def grad_named(fun, argname):
    """:func:`grad` with respect to the argument named ``argname`` (not ``*args`` or
    ``**kwargs``)."""
    names = [p.name for p in inspect.signature(fun).parameters.values()
             if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return grad(fun, names.index(argname))


def grad_and_aux(fun, argnum=0):
    """For ``fun`` returning ``(value, aux)``: ``(gradient of value, aux)`` from one
    evaluation (``aux`` untraced)."""
    @_named(fun, grad_and_aux, argnum)
    def wrapped(*args, **kwargs):
        aux = []

        def first(*a, **k):
            value, extra = fun(*a, **k)
            aux.append(extra)
            return value
        t = _Traced(first, args, kwargs, argnum, "grad_and_aux")
        g = t.gradients(_scalar_seed(t.ans, "grad_and_aux"), free=True)
        return g, _strip(aux[0], t.trace_id)
    return wrapped


def hessian_tensor_product(fun, argnum=0):
    """``f(*args, tensor)``: the Hessian of scalar ``fun`` (with respect to argument
    ``argnum``) contracted with ``tensor`` over all of ``tensor``'s axes, without
    forming the Hessian."""
    fun_grad = grad(fun, argnum)

    def vector_dot_grad(*args, **kwargs):
        np = _np()
        *args, vector = args
        return np.tensordot(fun_grad(*args, **kwargs), vector, np.ndim(vector))
    return grad(vector_dot_grad, argnum)


hessian_vector_product = hessian_tensor_product


def tensor_jacobian_product(fun, argnum=0):
    """``f(*args, tensor)``: ``tensor`` contracted with the Jacobian of ``fun`` over the
    output axes (a vector-Jacobian product for a vector)."""
    def vector_dot_fun(*args, **kwargs):
        np = _np()
        *args, vector = args
        return np.tensordot(vector, fun(*args, **kwargs), axes=np.ndim(vector))
    return jacobian(vector_dot_fun, argnum)


vector_jacobian_product = tensor_jacobian_product


@unary_to_nary
def make_jvp_reversemode(fun, x):
    """``v -> J v`` at ``x`` built from two reverse passes (the VJP's VJP)."""
    vjp, y = _core.make_vjp(fun, x)
    vjp_vjp, _ = _core.make_vjp(vjp, _core.vspace(y).zeros())
    return vjp_vjp


def _half_sum_of_squares(x):
    return 0.5 * _np().sum(x ** 2, axis=-1)


def make_ggnvp(f, g=_half_sum_of_squares, f_argnum=0):
    """``make_ggnvp(f, g)(*args)`` returns ``v -> J^T H J v``: the generalized
    Gauss-Newton matrix of ``g(f(x))`` (``J`` the Jacobian of ``f``, ``H`` the Hessian
    of ``g`` at ``f(x)``) times ``v``."""
    @unary_to_nary
    def _make_ggnvp(f, x):
        f_vjp, f_x = _core.make_vjp(f, x)
        g_hvp, grad_g_x = _core.make_vjp(grad(g), f_x)
        f_jvp, _ = _core.make_vjp(f_vjp, _core.vspace(grad_g_x).zeros())

        def ggnvp(v):
            return f_vjp(g_hvp(f_jvp(v)))
        return ggnvp
    return _make_ggnvp(f, f_argnum)


def multigrad_dict(fun):
    """``gradfun(*args, **kwargs)``: the gradients of ``fun`` with respect to all its
    arguments (defaults included), as an ordered dict from argument name to gradient."""
    sig = inspect.signature(fun)
    params = sig.parameters

    def gradfun(*args, **kwargs):
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        values = OrderedDict(bound.arguments)

        def call(d):
            pos, kw = [], {}
            for name, p in params.items():
                if p.kind is p.VAR_POSITIONAL:
                    pos.extend(d[name])
                elif p.kind is p.VAR_KEYWORD:
                    kw.update(d[name])
                elif p.kind is p.KEYWORD_ONLY:
                    kw[name] = d[name]
                else:
                    pos.append(d[name])
            return fun(*pos, **kw)
        grads = grad(call)(dict(values))
        return OrderedDict((name, grads[name]) for name in values)
    return gradfun
