"""The CuPy backend: NumPy's semantics on the GPUs of today (:class:`CuPyBackend`,
registered as ``'cupy'``).

CuPy serves the GPUs that MXNet 1.9.1's CUDA wheels cannot run on (they carry machine
code for sm_50-sm_86 and no PTX, so nothing newer than Ampere: no Hopper, no Blackwell);
see :func:`minpy.core.device.backend_info`. CuPy is optional (``pip install
"minpy-numpy[cuda12]"`` or ``[cuda13]``: CuPy 14): without it, or without a usable GPU,
:func:`unavailable_reason` says why, and nothing in MinPy imports it.

Importing CuPy costs ~0.5 s and initialises CUDA, so :func:`load` is called only when
a GPU is asked for (``gpu(i)``, :func:`minpy.core.num_gpus`,
:func:`minpy.core.available_devices`) or when the user hands MinPy a CuPy array (the user
imported CuPy then), never on ``import minpy``.

Where CuPy is not NumPy and MinPy must make it so, this module says how:

* integer-array indices out of range wrap around in CuPy (reads, writes, ``take``)
  where NumPy raises IndexError: :func:`check_indices` tests them on the device and
  reads back one boolean (a device-to-host copy of one byte and a synchronisation per
  indexed call with an integer-array key; the values themselves never leave the GPU);
* CuPy allocates on its *current* device: every call MinPy makes runs inside
  ``cupy.cuda.Device(index)`` of the Array's device, device 0 included (the user may
  have made another device current).
"""

from __future__ import annotations

import os
import sys
import threading

import numpy as np

from .backend import Backend, IndexOutOfRange, register

__all__ = ["load", "available", "unavailable_reason", "require", "num_gpus",
           "compute_capability", "CuPyBackend", "BACKEND", "check_indices",
           "cupy_holdable"]

_lock = threading.Lock()
_module = None
_error: BaseException | None = None
_tried = False
_ngpus = 0


def _import_cupy():
    import cupy  # noqa: PLC0415 (optional, imported on first use)

    n = int(cupy.cuda.runtime.getDeviceCount())
    if n < 1:
        raise RuntimeError("CuPy sees no CUDA device")
    return cupy, n


def load():
    """Return the ``cupy`` module, importing it on first call; ``None`` if CuPy is not
    installed, disabled (``MINPY_DISABLE_CUPY=1``) or has no usable GPU."""
    global _module, _error, _tried, _ngpus
    if _tried:
        return _module
    with _lock:
        if not _tried:
            if os.environ.get("MINPY_DISABLE_CUPY", "") not in ("", "0"):
                _error = ImportError("CuPy disabled by MINPY_DISABLE_CUPY")
            else:
                try:
                    _module, _ngpus = _import_cupy()
                except Exception as exc:  # ImportError, no driver, no device
                    _module, _error = None, exc
            _tried = True
            if _module is not None:
                BACKEND._loaded(_module)
    return _module


def _reset_for_tests(module=None, ngpus: int = 0) -> None:
    """Forget what :func:`load` found, and everything cached from it (the device
    choice, the loaded CuPy functions of the op table, their plans); with ``module``,
    pretend it found that module with ``ngpus`` GPUs."""
    global _module, _error, _tried, _ngpus
    _module, _ngpus = module, ngpus
    _tried = module is not None
    _error = None
    from .device import forget_backends
    forget_backends()
    BACKEND.reset()


def available() -> bool:
    """Whether CuPy is installed and sees at least one GPU."""
    return load() is not None


def unavailable_reason() -> str | None:
    """Why CuPy cannot serve a GPU here, or ``None`` when it can."""
    if load() is not None:
        return None
    err = _error
    if isinstance(err, ModuleNotFoundError) and err.name == "cupy":
        return ("CuPy is not installed (pip install 'minpy-numpy[cuda12]' or "
                "'minpy-numpy[cuda13]' for CUDA 12.x / 13.x)")
    return f"{type(err).__name__}: {err}"


def require():
    """Return ``cupy`` or raise an ImportError saying why it cannot be used."""
    cp = load()
    if cp is None:
        raise ImportError(f"CuPy is not available: {unavailable_reason()}") from _error
    return cp


def num_gpus() -> int:
    """How many GPUs CuPy can use (0 without CuPy)."""
    return _ngpus if load() is not None else 0


def compute_capability(index: int) -> int | None:
    """GPU ``index``'s compute capability as an integer (``90`` for sm_90, Hopper), read
    through CuPy; ``None`` when CuPy cannot tell."""
    cp = load()
    if cp is None or not 0 <= index < _ngpus:
        return None
    try:
        return int(cp.cuda.Device(index).compute_capability)
    except Exception:
        return None


def mark_in_use() -> None:
    BACKEND.in_use = True


def __getattr__(name):
    # ``in_use`` is the backend object's now (CuPyBackend.in_use); the module-level
    # name of earlier releases reads it.
    if name == "in_use":
        return BACKEND.in_use
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_CUPY_DTYPES = frozenset(np.dtype(t) for t in (
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "complex64", "complex128"))


def cupy_holdable(dtype) -> bool:
    """Whether CuPy can hold an array of ``dtype`` (no object, string, datetime or
    extended-precision arrays)."""
    return dtype in _CUPY_DTYPES


def _user_module():
    """The ``cupy`` module the user imported (``None`` if nobody did)."""
    return _module if _module is not None else sys.modules.get("cupy")


# -- indices --------------------------------------------------------------------------
def _int_array(cp, k) -> bool:
    return isinstance(k, cp.ndarray) and k.dtype.kind in "iu"


def check_indices(cp, key, shape) -> None:
    """Raise NumPy's IndexError if an integer array in ``key`` (a CuPy index key, for an
    array of ``shape``) holds an index out of range: CuPy would wrap it around.

    The test runs on the device; one boolean per integer-array part comes back (one
    byte and a synchronisation: the cost of NumPy's semantics here). Lists and Python
    ints are checked on the host; keys with a boolean array before an integer array
    are left to CuPy (their axis bookkeeping is CuPy's own)."""
    parts = key if type(key) is tuple else (key,)
    axis = 0
    for i, k in enumerate(parts):
        if k is None:
            continue
        if k is Ellipsis:
            rest = sum(1 for p in parts[i + 1:] if p is not None and p is not Ellipsis)
            axis = len(shape) - rest
            continue
        if isinstance(k, cp.ndarray) and k.dtype == np.bool_:
            return
        if axis >= len(shape):
            return  # too many indices: CuPy raises its own IndexError
        n = shape[axis]
        if _int_array(cp, k):
            if k.size and bool(((k < -n) | (k >= n)).any()):
                bad = k.get().ravel()
                bad = bad[(bad < -n) | (bad >= n)][0]
                raise IndexOutOfRange(f"index {bad} is out of bounds for axis {axis} with "
                                 f"size {n}")
        elif type(k) is list:
            flat = np.asarray(k)
            if flat.dtype.kind in "iu" and flat.size and (
                    (flat < -n) | (flat >= n)).any():
                bad = flat.ravel()[((flat < -n) | (flat >= n)).ravel()][0]
                raise IndexOutOfRange(f"index {bad} is out of bounds for axis {axis} with "
                                 f"size {n}")
        axis += 1


class CuPyBackend(Backend):
    """CuPy on the GPUs MXNet's wheels cannot run on (and on any GPU when asked:
    ``MINPY_GPU_BACKEND=cupy``)."""

    label = "CuPy"
    support_note = (
        "The *CuPy* column marks the functions with a CuPy implementation: on a GPU that "
        "CuPy serves (one MXNet's kernels cannot run on, such as Hopper; see "
        ":doc:`devices`) they run on CuPy, under the same rules (arguments CuPy does not "
        "handle as NumPy does run in NumPy). **{count}** functions have one. Whether the "
        "installed CuPy has each name, and gives NumPy's results, is checked on a real "
        "GPU by the conformance suite's GPU leg (``bench/gpu_check.sh``) and on the CPU "
        "against a stand-in built from the real CuPy module (``nox -s gpu_standin``).")
    priority = 20
    array_method = "ascupy"
    transfer = "to_cupy"
    # Placeholders until bench/gpu_check.sh measures them on a real GPU (none was
    # available): ~10 us per call, HBM-bound elementwise work; copies in at ~25 GB/s
    # (PCIe 5 from pageable memory).
    costs = {"gpu": (10.0, {"elementwise": 1e-6, "reduction": 2e-6, "matmul": 1e-8,
                            "default": 5e-6})}
    copy_costs = {"gpu": (20.0, 4e-5)}
    has_views = True

    loader = sys.modules[__name__]

    # -- devices -------------------------------------------------------------------------
    def num_gpus(self):
        return num_gpus()

    def compute_capability(self, index):
        return compute_capability(index)

    def gpu_verdict(self, index, capability, sm):
        if index < num_gpus():
            return True, f"CuPy serves {sm}"
        return False, f"CuPy sees no GPU {index} ({self.no_gpu_reason()})"

    def no_gpu_reason(self):
        return unavailable_reason() or "no usable device"

    def context(self, device):
        return require().cuda.Device(device.index)

    # -- dtypes --------------------------------------------------------------------------
    def holds(self, dtype) -> bool:
        return dtype in _CUPY_DTYPES

    # -- forms ---------------------------------------------------------------------------
    def owns(self, obj) -> bool:
        cp = _user_module()
        return cp is not None and isinstance(obj, cp.ndarray)

    def _serves(self, device) -> bool:
        from .device import backend_of
        return device.kind == "gpu" and backend_of(device) is self

    def from_host(self, host, device):
        cp = require()
        with cp.cuda.Device(device.index):
            return cp.asarray(host)

    def to_host(self, form):
        return form.get()

    def copy(self, form, device):
        if not self._serves(device):
            return None
        cp = require()
        with cp.cuda.Device(device.index):  # GPU to GPU, no host copy
            return cp.array(form, copy=True)

    def native(self, obj):
        from .device import Device
        if _module is None:
            load()  # the user imported CuPy: MinPy uses it too
        self.in_use = True
        return obj, Device("gpu", int(obj.device.id))

    def adopt(self, obj, device, dtype=None):
        if not self._serves(device):
            return None
        cp = require()
        with cp.cuda.Device(device.index):
            return cp.array(obj, dtype=dtype, copy=True)

    def wait(self, form):
        form.device.synchronize()

    def setitem(self, form, key, value, device):
        cp = require()
        with cp.cuda.Device(device.index):
            check_indices(cp, key, form.shape)
            # a device copy first: the form may be shared with another Array (_assign)
            new = form.copy()
            new[key] = value
        return new

    def result_is_view(self, result, parent):
        own = parent.base if parent.base is not None else parent
        return result.base is not None and result.base is own

    # -- interchange ---------------------------------------------------------------------
    def dlpack_export(self, form, **kwargs):
        return form.__dlpack__(**kwargs)

    def dlpack_import(self, obj, device):
        cp = require()
        with cp.cuda.Device(device.index):
            try:
                return cp.from_dlpack(obj)
            except TypeError:  # an MXNet 1.9.1 capsule: only the legacy entry point
                return cp.fromDlpack(obj)

    def cuda_array_interface(self, form):
        return form.__cuda_array_interface__

    # -- random numbers ------------------------------------------------------------------
    def _apply_seed(self, module, seed):
        module.random.seed(seed)


#: The CuPy backend (its name is ``'cupy'``).
BACKEND = register(CuPyBackend("cupy"))


def release_memory() -> None:
    """Return the free blocks of CuPy's device and pinned-memory pools to the driver."""
    cp = _module
    if cp is None:
        return
    for pool in ("get_default_memory_pool", "get_default_pinned_memory_pool"):
        try:
            getattr(cp, pool)().free_all_blocks()
        except (AttributeError, NotImplementedError):  # the stand-in has no pools
            pass
