"""The original MinPy's ``grad`` and ``grad_and_loss`` semantics (``minpy.core.grad``).

MinPy has two faces of the same differentiation machinery:

``minpy.autograd.grad`` (strict, HIPS Autograd's contract)
    The function must return a scalar; integer and boolean inputs cannot be
    differentiated. Both raise a ``TypeError`` that says what to do.

``minpy.core.grad`` / ``minpy.core.grad_and_loss`` (this module: the original MinPy's)
    What the original's tape did, for programs written against it:

    * a non-scalar output seeds the backward pass with ones (the gradient of its sum),
      and so does each output of a tuple (the gradient of the sum of all of them);
    * an integer or boolean input array is differentiated as float32 (the original's
      arrays were float32): the gradient is a float32 array of the input's shape.
      Python ints and floats give Python floats, as in the strict face;
    * ``max``/``min`` (``amax``, ``amin``, ``nanmax``, ``nanmin``) pass the whole
      gradient to every element that ties for the extremum, as the original's rule
      did; the strict face shares it equally among them (a subgradient).

Everything else (``argnum`` as an int or a sequence, nested containers, higher
orders) is shared with :mod:`minpy.autograd.api`.
"""

from __future__ import annotations

import contextvars
import functools

import numpy as _onp

from minpy.core import Array
from minpy.core.tracing import Box

from .api import _shape_dtype, _Traced, _tree_leaves
from .rules._util import expand_reduced
from .rules._util import np as _rules_np
from .tracer import NUMPY_RULES, VJPS

__all__ = ["grad", "grad_and_loss", "value_and_grad"]

#: The dtype the original MinPy's arrays had; integer inputs are differentiated in it.
ORIGINAL_FLOAT = _onp.dtype("float32")


def _np():
    import minpy.numpy as np
    return np


def _as_float(x):
    """``x`` with integer/bool arrays (at any depth of lists, tuples and dicts) turned
    into float32 Arrays, as the original's float32 arrays were; other values as given."""
    t = type(x)
    if t is list or t is tuple:
        return t(_as_float(a) for a in x)
    if t is dict:
        return {k: _as_float(v) for k, v in x.items()}
    if isinstance(x, Box):
        return x
    if isinstance(x, (Array, _onp.ndarray, _onp.generic)) and \
            _onp.dtype(x.dtype).kind in "biu":
        return _np().asarray(x).astype(ORIGINAL_FLOAT)
    return x


def _ones_seed(ans, name):
    """Ones with the structure of ``ans``: an array of ones for an array (or number)
    output, a tuple/list/dict of them for such an output."""
    t = type(ans)
    if t is list or t is tuple:
        return t(_ones_seed(a, name) for a in ans)
    if t is dict:
        return {k: _ones_seed(v, name) for k, v in ans.items()}
    shape, dtype = _shape_dtype(ans, name)
    if dtype.kind not in "fc":
        dtype = _np().get_default_float_dtype()
    return _np().ones(shape, dtype)


# -- the original's rule for ties in max/min --------------------------------------------
#: Set while an original-face backward pass runs.
_ORIGINAL_TIES = contextvars.ContextVar("minpy_autograd_original_ties", default=False)
_EXTREMA = ("max", "min", "amax", "amin", "nanmax", "nanmin")


def _original_extremum(ans, x, axis=None, out=None, keepdims=False, *args, **kw):
    """The original MinPy's max/min rule: every element equal to the extremum gets the
    whole gradient."""
    def vjp(g):
        full = expand_reduced(ans, x.shape, axis, keepdims)
        mask = _rules_np.equal(x, full).astype(x.dtype)
        return expand_reduced(g, x.shape, axis, keepdims) * mask
    return vjp


def _install_tie_rules():
    """Wrap the registered max/min rules: the original's rule inside an original-face
    backward pass (:data:`_ORIGINAL_TIES`), the registered one otherwise."""
    for name in _EXTREMA:
        table = VJPS.get(name)
        strict = None if table is None else table.get(0)
        if strict is None or getattr(strict, "original_ties", False):
            continue

        def maker(ans, *args, _strict=strict, **kwargs):
            if _ORIGINAL_TIES.get():
                return _original_extremum(ans, *args, **kwargs)
            return _strict(ans, *args, **kwargs)
        maker.original_ties = True
        table[0] = maker
        if strict in NUMPY_RULES:  # it still runs on host values where the rule did
            NUMPY_RULES.add(maker)


_install_tie_rules()


def _gradients(traced, seed):
    token = _ORIGINAL_TIES.set(True)
    try:
        return traced.gradients(seed, free=True)
    finally:
        _ORIGINAL_TIES.reset(token)


def _check_leaves(ans, name):
    for leaf in _tree_leaves(ans):
        _shape_dtype(leaf, name)


def grad_and_loss(fun, argnum=0):
    """``(gradient(s), loss)`` of ``fun`` with the original MinPy's semantics: a
    non-scalar output (each output of a tuple too) is seeded with ones, integer input
    arrays are differentiated as float32.

    ``argnum`` is an int (one gradient) or a sequence of ints such as a list, tuple or
    ``range`` (a tuple of gradients).
    """
    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        nums = [argnum] if isinstance(argnum, (int, _onp.integer)) else list(argnum)
        args = list(args)
        for i in nums:
            if isinstance(i, (int, _onp.integer)) and -len(args) <= i < len(args):
                args[i] = _as_float(args[i])
        t = _Traced(fun, args, kwargs, argnum, "grad")
        _check_leaves(t.ans, "grad")
        return _gradients(t, _ones_seed(t.ans, "grad")), t.value()
    return wrapped


def grad(fun, argnum=0):
    """The gradient of ``fun`` with respect to argument(s) ``argnum``, with the original
    MinPy's semantics (see :func:`grad_and_loss`)."""
    gl = grad_and_loss(fun, argnum)
    return functools.wraps(fun)(lambda *args, **kwargs: gl(*args, **kwargs)[0])


def value_and_grad(fun, argnum=0):
    """``(loss, gradient(s))``: :func:`grad_and_loss` in the order of HIPS Autograd."""
    gl = grad_and_loss(fun, argnum)
    return functools.wraps(fun)(lambda *args, **kwargs: gl(*args, **kwargs)[::-1])
