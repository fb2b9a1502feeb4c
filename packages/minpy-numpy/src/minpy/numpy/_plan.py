"""Call plans: what one call signature of a table op needs on a device backend.

Every backend's op module (:mod:`._mxnet_ops`, :mod:`._cupy_ops`) runs a call the same
way: it asks :func:`plan` what NumPy's result dtype is, whether the backend can hold the
operands and the result, which dtype its inputs are cast to (the :class:`~._table.Impl`'s
``cast``) and whether its kernel has that dtype (the ``Impl``'s ``dtypes``). The answer
is worked out once per signature (dtypes and ndims of the operands, the keywords, the
default float dtype for creation ops) and cached here, per backend, so that it costs a
dictionary lookup per call. A plan also counts the backend's failures on operands of
given shapes, so that calls a backend failed on twice in a row go elsewhere at once.
"""

from __future__ import annotations

import numpy as np

from minpy.core import Array
from minpy.core.dtypes import get_default_float_dtype

__all__ = ["Plan", "plan", "CACHE_LIMIT", "FAILURE_LIMIT"]

_SCALARS = (bool, int, float, complex)

#: Signatures kept (per cache): past this the cache starts afresh, so that programs
#: calling with ever new axes or shapes do not grow it without end.
CACHE_LIMIT = 4096
#: Failures in a row, for one signature and operand shapes, after which those calls
#: go elsewhere at once (each failed MXNet call leaks memory inside MXNet).
FAILURE_LIMIT = 2


class Plan:
    """One call signature of one op on one backend.

    Attributes
    ----------
    dtype : numpy.dtype or None
        NumPy's result dtype (``None`` for several outputs: each keeps its own).
    container : type or None
        For several outputs, the type NumPy returns them in (tuple, list, a named tuple).
    cast : numpy.dtype or None
        The dtype array inputs are cast to before the backend sees them.
    rejected : str or None
        Why the backend must not run this signature (it runs elsewhere).
    dtype_ok : bool
        Whether the backend's own result dtype was found to be NumPy's (checked on the
        first call, then trusted).
    failures : dict or None
        Operand shapes -> the backend's failures in a row on them.
    """

    __slots__ = ("dtype", "cast", "container", "rejected", "dtype_ok", "failures")

    def __init__(self, backend, impl, op, args, kwargs, arrays):
        self.rejected = None
        self.failures = None
        self.dtype_ok = False
        self.cast = self.dtype = self.container = None
        holds = backend.holds
        for a in arrays:
            if not holds(a.dtype):
                self.rejected = f"dtype {a.dtype}"
                return
        dtype, self.container = _d._result_info(op, args, kwargs)
        if self.container is not None:
            dtype = None
        self.dtype = dtype
        if dtype is not None and not holds(dtype):
            self.rejected = f"result dtype {dtype}"
            return
        if impl.cast == "result":
            self.cast = dtype
        elif impl.cast == "common" and arrays:
            # NumPy scalars take part with their dtype (np.float64(-1.5) against an int8
            # array compares in float64, not as int8 -1): NumPy's own rule, by version.
            cast = self.cast = np.result_type(*[
                x.dtype if isinstance(x, (Array, np.ndarray)) else x for x in args
                if isinstance(x, (Array, np.ndarray, np.generic)) or type(x) in _SCALARS])
            if not holds(cast):
                self.rejected = f"common dtype {cast}"
                return
        if impl.dtypes is not None:
            seen = [self.cast] if self.cast is not None else [a.dtype for a in arrays]
            for dt in seen:
                if dt not in impl.dtypes:
                    self.rejected = f"dtype {dt} ({backend.label}'s {op.name} kernel lacks it)"
                    return

    def failed_before(self, arrays) -> bool:
        """Whether the backend failed on operands of these shapes ``FAILURE_LIMIT``
        times in a row."""
        failures = self.failures
        return failures is not None and failures.get(
            tuple([a.shape for a in arrays]), 0) >= FAILURE_LIMIT

    def note_failure(self, arrays) -> None:
        """Count one failure of the backend on operands of these shapes."""
        failures = self.failures
        if failures is None:
            failures = self.failures = {}
        elif len(failures) >= 256:
            failures.clear()
        key = tuple([a.shape for a in arrays])
        failures[key] = failures.get(key, 0) + 1

    def note_success(self, arrays) -> None:
        """The backend ran operands of these shapes: their failures were not in a row."""
        if self.failures:
            self.failures.pop(tuple([a.shape for a in arrays]), None)


#: (backend, op name, signature, keywords, default float) -> Plan.
plans: dict = {}


def plan(backend, impl, op, args, kwargs, arrays) -> Plan:
    """The cached :class:`Plan` of this call on ``backend`` (``impl``: the op's
    implementation there)."""
    signature = _d._signature
    try:
        key = (backend.name, op.name, tuple([signature(a) for a in args]),
               tuple(kwargs.items()),
               # creation/random results follow the default float dtype
               None if op.arrays else get_default_float_dtype())
        found = plans.get(key)
    except TypeError:  # an unhashable argument: no caching
        return Plan(backend, impl, op, args, kwargs, arrays)
    if found is None:
        if len(plans) >= CACHE_LIMIT:
            plans.clear()
        found = plans[key] = Plan(backend, impl, op, args, kwargs, arrays)
    return found


# Last: the dispatcher imports this module's names while it initialises.
from . import _dispatch as _d  # noqa: E402,I001
