"""The gradient rules of ``minpy.numpy``'s operations, registered in
:data:`minpy.autograd.tracer.VJPS` on import. One module per family.

Every rule also accepts a list or tuple of traced values where NumPy accepts an
array-like (``np.mean([x, x + 2])``): the sequence is stacked into one array, the rule
runs on it, and the gradient is split back into one entry per element. The ops whose
argument *is* a sequence of arrays (``concatenate``, ``stack``, ``select``, ...) keep
their own rules (:data:`SEQUENCE_OPS`).
"""

from ..tracer import VJPS as _VJPS
from . import (  # noqa: F401
    aliases,
    creation,
    elementwise,
    fft,
    indexing,
    linalg,
    misc,
    norms,
    reductions,
    shape,
    stats,
)
from ._util import np as _np

#: Ops whose argument is a sequence of arrays by definition (their rules return one
#: gradient per element themselves).
SEQUENCE_OPS = frozenset({
    "concatenate", "concat", "stack", "vstack", "hstack", "dstack", "column_stack",
    "row_stack", "linalg.multi_dot", "select", "choose", "block"})


def _accepting_sequences(maker, argnum):
    def wrapped(ans, *args, **kwargs):
        x = args[argnum] if argnum < len(args) else None
        if type(x) is not list and type(x) is not tuple:
            return maker(ans, *args, **kwargs)
        stacked = _np.array(x)
        inner = maker(ans, *args[:argnum], stacked, *args[argnum + 1:], **kwargs)
        n = len(x)

        def vjp(g):
            full = inner(g)
            return [full[i] for i in range(n)]
        return vjp
    wrapped.__wrapped__ = maker
    return wrapped


_wrapped = {}   # one wrapper per (maker, argnum): aliases keep sharing their op's rule
for _name, _rules in _VJPS.items():
    if _name not in SEQUENCE_OPS:
        for _i, _maker in list(_rules.items()):
            _key = (id(_maker), _i)
            if _key not in _wrapped:
                _wrapped[_key] = _accepting_sequences(_maker, _i)
            _rules[_i] = _wrapped[_key]

#: The names of the primitives that have built-in gradient rules.
BUILTIN = frozenset(_VJPS)


def differentiable_ops() -> list:
    """Sorted names of the primitives with built-in gradient rules (for docs)."""
    return sorted(BUILTIN)
