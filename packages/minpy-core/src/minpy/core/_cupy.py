"""Load CuPy once, on first use, and say which GPUs it can use.

CuPy is MinPy's second device backend: on GPUs that MXNet 1.9.1's CUDA wheels cannot
run on (they carry machine code for sm_50-sm_86 and no PTX, so nothing newer than
Ampere: no Hopper, no Blackwell), ``gpu(i)`` runs on CuPy (see
:func:`minpy.core.device.backend_of`). CuPy is optional (``pip install
"minpy-numpy[cuda12]"`` or ``[cuda13]``): without it, or without a usable GPU,
:func:`unavailable_reason` says why, and nothing in MinPy imports it.

Importing CuPy costs ~0.5 s and initialises CUDA, so :func:`load` is called only when
a GPU is asked for (``gpu(i)``, :func:`minpy.core.num_gpus`,
:func:`minpy.core.available_devices`), never on ``import minpy``.
"""

from __future__ import annotations

import os
import threading

__all__ = ["load", "available", "unavailable_reason", "require", "num_gpus",
           "compute_capability", "in_use"]

_lock = threading.Lock()
_module = None
_error: BaseException | None = None
_tried = False
_ngpus = 0
#: Set once an Array may hold a CuPy form (a device served by CuPy was handed out):
#: the dispatcher's NumPy-only shortcut stays in force until then.
in_use = False


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
    return _module


def _reset_for_tests(module=None, ngpus: int = 0) -> None:
    """Forget what :func:`load` found; with ``module``, pretend it found that module
    with ``ngpus`` GPUs (the test double of ``packages/minpy-numpy/tests``)."""
    global _module, _error, _tried, _ngpus, in_use
    _module, _ngpus, in_use = module, ngpus, False
    _tried = module is not None
    _error = None


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
    global in_use
    in_use = True


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
