"""NumPy 2 alias names (``acos`` is ``arccos``, ``pow`` is ``power``, ...): each one
differentiates with the rule of the op it aliases, registered under its own name so the
tape finds it (``minpy.numpy`` records the alias under the alias name)."""

from __future__ import annotations

from ..tracer import VJPS, defvjp
from . import elementwise, reductions, shape  # noqa: F401  (the rules copied below)
from ._util import np as _np

#: alias -> the op whose rule it shares (the same pairs as ``minpy.numpy._ops._alias``,
#: minus the integer-only ``bitwise_invert``/``bitwise_not``).
ALIASES = {
    "acos": "arccos", "acosh": "arccosh", "asin": "arcsin", "asinh": "arcsinh",
    "atan": "arctan", "atanh": "arctanh", "atan2": "arctan2", "pow": "power",
    "concat": "concatenate", "permute_dims": "transpose",
    # NumPy 1's spellings (removed in NumPy 2)
    "product": "prod", "cumproduct": "cumprod", "round_": "round"}

for _new, _old in ALIASES.items():
    VJPS[_new] = dict(VJPS[_old])

defvjp("asfarray", lambda ans, a, *args, **kwargs: lambda g: g)
defvjp("fastCopyAndTranspose", lambda ans, a: lambda g: _np.transpose(g))
