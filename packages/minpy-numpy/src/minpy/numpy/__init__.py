"""``import minpy.numpy as np``: NumPy's namespace on MinPy Arrays.

Every public name of ``numpy`` resolves here. Names in the op table
(:data:`minpy.numpy._table.TABLE`) run on MXNet or NumPy as the policy decides; every
other function runs in NumPy on the host form of its arguments (a fallback) and returns
Arrays. Constants, dtypes and classes are NumPy's own (``np.float32``, ``np.pi``,
``np.newaxis``). ``ndarray`` is :class:`minpy.core.Array`. The original MinPy's
MXNet-named functions ``slice_axis``, ``sigmoid``, ``onehot_encode`` and
``softmax_output`` are here too (:mod:`minpy.numpy._mxnet_names`).
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
from ._cupy_ops import attach as _cupy_attach
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
from . import fft, linalg, random, testing  # noqa: E402

# After every table entry is registered: each entry's impls['cupy'] (CuPy itself is
# loaded only on a GPU that CuPy serves).
_cupy_attach()
from ._index_tricks import c_, r_  # noqa: E402,F401  (traced-value aware)

complete_namespace(globals(), _np)


from ._array_api import (  # noqa: E402,F401  (the array API standard's names)
    __array_api_version__,
    __array_namespace_info__,
    from_dlpack,
)
from ._arrays import array, asanyarray, asarray  # noqa: E402  (NumPy's copy= rules)
from ._extras import make_diagonal  # noqa: E402,F401  (beyond NumPy: HIPS Autograd's)

# The original MinPy's MXNet-named functions (np.slice_axis, ...).
from ._mxnet_names import onehot_encode, sigmoid, slice_axis, softmax_output  # noqa: E402,F401

set_policy = set_global_policy  # the original's np.set_policy(policy)


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
