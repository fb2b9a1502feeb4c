"""The gradient rules of ``minpy.numpy``'s operations, registered in
:data:`minpy.autograd.tracer.VJPS` on import. One module per family."""

from ..tracer import VJPS as _VJPS
from . import aliases, creation, elementwise, fft, indexing, linalg, norms, reductions, shape, stats  # noqa: F401

#: The names of the primitives that have built-in gradient rules.
BUILTIN = frozenset(_VJPS)


def differentiable_ops() -> list:
    """Sorted names of the primitives with built-in gradient rules (for docs)."""
    return sorted(BUILTIN)
