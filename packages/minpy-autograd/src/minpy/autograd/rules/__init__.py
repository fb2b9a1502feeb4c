"""The gradient rules of ``minpy.numpy``'s operations, registered in
:data:`minpy.autograd.tracer.VJPS` on import. One module per family.

Every rule also accepts a list or tuple of traced values where NumPy accepts an
array-like (``np.mean([x, x + 2])``): the backward pass stacks the sequence into one
array for the rule and gives each element its slice of the gradient
(:data:`minpy.autograd.tracer.SEQUENCE_OPS` names the ops whose rules take the
sequence itself).
"""

from ..tracer import NUMPY_RULES as _NUMPY_RULES
from ..tracer import SEQUENCE_OPS  # noqa: F401  (re-exported: its home was here)
from ..tracer import VJPS as _VJPS
from . import (  # noqa: F401
    aliases,
    creation,
    elementwise,
    extras,
    fft,
    indexing,
    linalg,
    misc,
    norms,
    reductions,
    shape,
    stats,
)

_NUMPY_RULES.update(m for _rules in _VJPS.values() for m in _rules.values())

#: The names of the primitives that have built-in gradient rules.
BUILTIN = frozenset(_VJPS)


def differentiable_ops() -> list:
    """Sorted names of the primitives with built-in gradient rules (for docs)."""
    return sorted(BUILTIN)
