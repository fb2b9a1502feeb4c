"""minpy.autograd: dynamic reverse-mode automatic differentiation for MinPy.

Each call of a differentiation operator traces the function as it runs (Python control
flow, recursion and printing included), recording every ``minpy.numpy`` primitive that
touches a traced value, then runs the recorded calls backward with the rules in
:data:`VJPS`. The rules are written in ``minpy.numpy``, so gradients differentiate
again, to any order.

>>> from minpy.autograd import grad
>>> def foo(x):
...     if x >= 0:
...         return x
...     return 2 * x
>>> grad(foo)(3), grad(foo)(-1)
(1.0, 2.0)

The package is also a drop-in for HIPS Autograd: its public names (here, and in the
submodules ``extend``, ``core``, ``tracer``, ``builtins``, ``differential_operators``,
``test_util``, ``wrap_util``, ``util`` and ``misc``) behave as HIPS Autograd's, and
``minpy.autograd.numpy`` / ``minpy.autograd.scipy`` are ``minpy.numpy`` /
``minpy.scipy`` under the names HIPS code imports.
"""

from __future__ import annotations

from . import _aliases
from . import rules as _rules  # noqa: F401  (registers the gradient rules)
from ._indexops import index_add, index_update
from .api import elementwise_grad, grad, grad_and_loss, hessian, jacobian, make_vjp, value_and_grad
from .builtins import dict, isinstance, list, tuple, type
from .checkpoint import checkpoint
from .core import defjvp, defvjp, primitive
from .differential_operators import (
    deriv,
    grad_and_aux,
    grad_named,
    hessian_tensor_product,
    hessian_vector_product,
    holomorphic_grad,
    make_ggnvp,
    multigrad_dict,
    tensor_jacobian_product,
    vector_jacobian_product,
)
from .forward import hvp, jvp, make_hvp, make_jvp
from .tracer import VJPS, ArrayBox, Node, is_traced, stop_gradient

__version__ = "0.1.0"

_aliases.install()

__all__ = ["grad", "grad_and_loss", "value_and_grad", "elementwise_grad", "jacobian",
           "hessian", "make_vjp", "make_jvp", "jvp", "hvp", "make_hvp", "checkpoint",
           "stop_gradient", "primitive", "defvjp", "defjvp", "VJPS",
           "ArrayBox", "Node", "is_traced", "index_add", "index_update", "check_grads",
           "deriv", "grad_and_aux", "grad_named", "holomorphic_grad", "make_ggnvp",
           "multigrad_dict", "hessian_tensor_product", "hessian_vector_product",
           "tensor_jacobian_product", "vector_jacobian_product",
           "tuple", "list", "dict", "isinstance", "type"]


def __getattr__(name):
    if name == "check_grads":
        from .testing import check_grads
        return check_grads
    raise AttributeError(f"module 'minpy.autograd' has no attribute {name!r}")
