"""minpy.core: the Array, its devices and dtype rules, and the primitive-call hook.

``minpy.core`` knows nothing of the packages built on it. The original MinPy spellings
``grad``, ``grad_and_loss`` and ``Function`` are resolved lazily, on first use, from
``minpy.autograd.original`` and ``minpy.symbol.original``, with the original's semantics
(non-scalar outputs seeded with ones, float32 symbols that ignore unknown keywords); the
strict faces are ``minpy.autograd.grad`` and ``minpy.symbol.Function``. An ImportError
names the distribution to install when one is missing.
"""

from __future__ import annotations

import importlib

from . import _mxnet, backend, tracing, transfer
from ._compat import convert_args, minpy_to_numpy, numpy_to_minpy, return_numpy, wraps
from ._cupy import available as cupy_available
from ._cupy import unavailable_reason as cupy_unavailable_reason
from ._memory import release_memory
from ._mxnet import available as mxnet_available
from ._mxnet import unavailable_reason as mxnet_unavailable_reason
from .array import Array, array, asarray
from .device import (
    Device,
    DeviceError,
    available_devices,
    backend_info,
    backend_of,
    cpu,
    current_device,
    device,
    gpu,
    num_gpus,
    set_device,
)
from .dlpack import from_dlpack
from .dtypes import (
    MX_DTYPES,
    default_float_dtype,
    get_default_float_dtype,
    mx_holdable,
    set_default_float_dtype,
)
from .tracing import Box, primitive
from .transfer import TransferError, get_transfer_guard, set_transfer_guard, transfer_guard

__version__ = "0.1.0"

# A user's own `import mxnet` after this point gets the NumPy 2 shim too.
_mxnet.install_import_hook()

__all__ = [
    "Array", "array", "asarray", "Device", "DeviceError", "cpu", "gpu", "num_gpus",
    "current_device", "set_device", "device", "available_devices", "MX_DTYPES",
    "mx_holdable", "get_default_float_dtype", "set_default_float_dtype",
    "default_float_dtype", "Box", "primitive", "tracing", "transfer", "TransferError",
    "transfer_guard", "set_transfer_guard", "get_transfer_guard", "mxnet_available",
    "mxnet_unavailable_reason", "cupy_available", "cupy_unavailable_reason", "backend_of",
    "backend_info", "from_dlpack", "convert_args", "return_numpy", "numpy_to_minpy",
    "minpy_to_numpy", "wraps", "release_memory", "backend",
]

# Original MinPy names that live in packages above core, with the original's semantics:
# (module, distribution).
_LAZY = {
    "grad": ("minpy.autograd.original", "minpy-autograd"),
    "grad_and_loss": ("minpy.autograd.original", "minpy-autograd"),
    "value_and_grad": ("minpy.autograd.original", "minpy-autograd"),
    "Function": ("minpy.symbol.original", "minpy-symbol"),
}


def __getattr__(name):
    if name in _LAZY:
        module, dist = _LAZY[name]
        try:
            mod = importlib.import_module(module)
        except ImportError as exc:
            raise ImportError(
                f"minpy.core.{name} is provided by {module}; install it with "
                f"'pip install {dist}'") from exc
        return getattr(mod, name)
    raise AttributeError(f"module 'minpy.core' has no attribute {name!r}")
