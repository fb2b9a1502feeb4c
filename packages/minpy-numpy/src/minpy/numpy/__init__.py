"""``import minpy.numpy as np``: NumPy's namespace on MinPy Arrays.

Every public name of ``numpy`` resolves here. Names in the op table
(:data:`minpy.numpy._table.TABLE`) run on MXNet or NumPy as the policy decides; every
other function runs in NumPy on the host form of its arguments (a fallback) and returns
Arrays. Constants, dtypes and classes are NumPy's own (``np.float32``, ``np.pi``,
``np.newaxis``). ``ndarray`` is :class:`minpy.core.Array`.
"""

from __future__ import annotations

import builtins as _builtins

import numpy as _np

from minpy.core import (
    Array,
    Box,
    cpu,
    current_device,
    default_float_dtype,
    device,
    get_default_float_dtype,
    gpu,
    num_gpus,
    set_default_float_dtype,
    set_device,
    set_transfer_guard,
    transfer_guard,
)
from minpy.core import operators as _operators
from minpy.core.tracing import unbox_all as _unbox_all

from . import _ops  # noqa: F401  (registers the table entries)
from ._namespace import complete_namespace
from ._table import TABLE
from .policy import (
    AutoBlacklistPolicy,
    AutoPolicy,
    OnlyMXNetPolicy,
    OnlyNumPyPolicy,
    PreferMXNetPolicy,
    explain,
    fallback_mode,
    get_policy,
    op_stats,
    policy,
    record_op_stat,
    reset_op_stat,
    set_fallback_mode,
    set_global_policy,
    show_op_stat,
    wrap_policy,
)

__version__ = "0.1.0"

ndarray = Array

# Our submodules first: otherwise the completed namespace would answer NumPy's.
from . import fft, linalg, random  # noqa: E402
from ._index_tricks import c_, r_  # noqa: E402,F401  (traced-value aware)

complete_namespace(globals(), _np)


def _has_box(obj):
    if isinstance(obj, Box):
        return True
    # _builtins.any: this module's own ``any`` is numpy.any's dispatcher.
    return type(obj) in (list, tuple) and _builtins.any(_has_box(o) for o in obj)


def _stack_boxes(obj, dtype):
    """``array([...])`` of traced values: stack them so the tracer sees the build."""
    if type(obj) in (list, tuple):
        return stack([_stack_boxes(o, dtype) for o in obj])  # noqa: F821 (table op)
    if isinstance(obj, Box):
        return obj if dtype is None else obj.astype(dtype)
    return array(obj, dtype=dtype)


def array(object, dtype=None, copy=True, ndmin=0, **kwargs):
    """Create an Array, as :func:`numpy.array`. Python floats become the default float
    dtype (float64 unless :func:`set_default_float_dtype` says otherwise)."""
    if _has_box(object):
        return _stack_boxes(object, dtype)
    if isinstance(object, Array) and dtype is None and not copy and not ndmin:
        return object
    host = _np.array(_unbox_all(object) if not isinstance(object, Array) else object,
                     dtype=dtype, ndmin=ndmin, **kwargs)
    if dtype is None and host.dtype == _np.float64 and not _is_float64_source(object):
        host = host.astype(get_default_float_dtype())
    return Array._from_host(host)


def _is_float64_source(obj):
    """Data that is float64 already keeps its dtype; only Python floats are defaulted."""
    return isinstance(obj, (Array, _np.ndarray, _np.generic)) and obj.dtype == _np.float64


def asarray(a, dtype=None, order=None, **kwargs):
    """``a`` as an Array, as :func:`numpy.asarray` (no copy for an Array)."""
    if isinstance(a, Box) or (isinstance(a, Array) and (dtype is None or
                                                      _np.dtype(dtype) == a.dtype)):
        return a
    return array(a, dtype=dtype, **kwargs)


def asanyarray(a, dtype=None, order=None, **kwargs):
    return asarray(a, dtype=dtype)


def _resolve(name):
    """Core's operator resolver: Array methods and operators use this namespace."""
    if name in ("getitem", "astype"):
        return _getitem if name == "getitem" else _astype
    obj = globals()
    parts = name.split(".")
    target = obj.get(parts[0]) if len(parts) > 1 else None
    try:
        if target is not None:
            return getattr(target, parts[1])
        return globals()[name] if name in globals() else __getattr__(name)  # noqa: F821
    except AttributeError:
        return None


from ._dispatch import make_function as _make_function  # noqa: E402

_getitem = _make_function(TABLE["getitem"])
_astype = _make_function(TABLE["astype"])
_operators.set_resolver(_resolve)

del annotations
