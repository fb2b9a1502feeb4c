"""HIPS Autograd's ``autograd.extend``: the API for defining primitives and their
derivatives, and for teaching the tape new value types (vector spaces)."""

from minpy.core.tracing import Box

from .core import (
    SparseObject,
    VSpace,
    def_linear,
    defjvp,
    defjvp_argnum,
    defjvp_argnums,
    defvjp,
    defvjp_argnum,
    defvjp_argnums,
    primitive,
    primitive_jvps,
    primitive_vjps,
    register_notrace,
    vspace,
)
from .tracer import getval, isbox, notrace_primitive

__all__ = ["Box", "SparseObject", "VSpace", "def_linear", "defjvp", "defjvp_argnum",
           "defjvp_argnums", "defvjp", "defvjp_argnum", "defvjp_argnums", "primitive",
           "primitive_jvps", "primitive_vjps", "register_notrace", "vspace", "getval", "isbox",
           "notrace_primitive"]
