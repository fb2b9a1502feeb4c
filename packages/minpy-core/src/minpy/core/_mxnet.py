"""Load MXNet 1.9.1 once, on first use, on NumPy 1.23 to 2.x, quietly.

MXNet 1.9.1 reads a handful of NumPy names at import time that later NumPy releases
removed (``np.PZERO``, ``np.alltrue`` in 2.0; ``np.bool`` in 1.24-1.26). Every import of
``mxnet`` in the process goes through :class:`_ShimLoader` (also the user's own,
before or after MinPy's: minpy-core installs ``minpy-core-mxnet.pth``, which registers
``_minpy_mxnet_hook`` at interpreter start), which

* restores exactly those names for the duration of the import and deletes them again
  afterwards, so the user's ``numpy`` module is left as it was;
* keeps MXNet's own Deprecation/FutureWarnings about NumPy (``np.bool``,
  ``LooseVersion``) from reaching the user: nothing they can act on;
* chooses MXNet's engine and threading (:func:`_load_settings`) through the environment
  variables MXNet reads while it loads, then restores ``os.environ``, so the user's
  child processes inherit the environment they had;
* drops MXNet's "MXNet start using engine" notice from stderr; every other line MXNet
  prints while loading is passed on;
* bounds MXNet's oneDNN primitive caches (``MXNET_MKLDNN_CACHE_NUM``, unbounded by
  default: one entry per operator, thread and input shape). MXNet reads that variable
  lazily, when each operator first caches a primitive, so it stays set in
  ``os.environ`` (the one setting MinPy leaves there; a user's own value wins).

MXNet is optional: without it every operation runs in NumPy and :func:`available`
says why.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import os
import re
import sys
import tempfile
import threading
import types
import warnings

import numpy as _np

__all__ = ["load", "available", "unavailable_reason", "require"]

_lock = threading.Lock()
_module = None
_error: BaseException | None = None
_tried = False


def _removed_function(name: str):
    def removed(*args, **kwargs):
        raise NotImplementedError(
            f"numpy.{name} was removed from NumPy; MXNet's reference to it is kept only "
            "so that MXNet imports")

    removed.__name__ = name
    return removed


# Replacements for functions NumPy removed that MXNet reads at import time.
_REPLACEMENTS = {
    "alltrue": lambda: _np.all, "sometrue": lambda: _np.any, "product": lambda: _np.prod,
    "cumproduct": lambda: _np.cumprod, "round_": lambda: _np.round,
    "msort": lambda: (lambda a: _np.sort(a, axis=0)),
    "in1d": lambda: (lambda ar1, ar2, **kw: _np.isin(ar1, ar2, **kw).ravel()),
    "trapz": lambda: getattr(_np, "trapezoid", None), "row_stack": lambda: _np.vstack,
    # NumPy 1.24-1.26 have no np.bool (1.20-1.23 warn on it); NumPy 2 made it np.bool_.
    "bool": lambda: _np.bool_,
}
_CONSTANTS = {"PZERO": 0.0, "NZERO": -0.0, "PINF": _np.inf, "NINF": -_np.inf,
              "Inf": _np.inf, "NaN": _np.nan, "NAN": _np.nan}
# The MXNet modules that read NumPy names while MXNet imports.
_READERS = ("numpy/utils.py", "numpy/fallback.py", "numpy/linalg.py",
            "numpy_dispatch_protocol.py")


def _names_mxnet_reads() -> set:
    """Every ``onp.NAME`` and quoted operator name in the modules MXNet runs at import,
    read from its source (so a NumPy release that removes more names is covered)."""
    spec = importlib.machinery.PathFinder.find_spec("mxnet")
    if spec is None or not spec.origin:
        return set()
    root = os.path.dirname(spec.origin)
    names = set(_CONSTANTS)
    for rel in _READERS:
        try:
            with open(os.path.join(root, rel), encoding="utf-8") as fh:
                text = fh.read()
        except OSError:
            continue
        names.update(re.findall(r"\bonp\.([A-Za-z_]\w*)", text))
        if rel == "numpy_dispatch_protocol.py":
            names.update(re.findall(r"'([a-z][a-z0-9_]*)'", text))
    return names


def _has(name: str) -> bool:
    """Whether NumPy has ``name`` without a warning: NumPy 1.x answers an expired alias
    (``np.bool``, ``np.pmt``...) with a Deprecation/FutureWarning, before or instead of
    the AttributeError; the probe must not show it, and MXNet must not read it."""
    if name in _np.__dict__:
        return True
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            getattr(_np, name)
        except (AttributeError, Warning):
            return False
    return True


def _numpy2_aliases() -> dict:
    """The names MXNet 1.9.1 reads while importing that this NumPy no longer has (or
    only with a warning): a constant, NumPy's replacement, or a stub that says what was
    removed."""
    aliases = {}
    for name in _names_mxnet_reads():
        if _has(name):
            continue
        if name in _CONSTANTS:
            aliases[name] = _CONSTANTS[name]
            continue
        replacement = _REPLACEMENTS.get(name, lambda: None)()
        aliases[name] = replacement if replacement is not None else _removed_function(name)
    return aliases


def _load_settings() -> dict:
    """The environment MXNet loads under, where the user has not set these variables.

    MXNet and its OpenMP runtime read them once: the OpenMP ones when ``libmxnet.so``
    and ``libgomp`` load, ``MXNET_ENGINE_TYPE`` when the engine starts (forced right
    after the import), so ``os.environ`` is restored afterwards.
    """
    return {
        # NaiveEngine runs each operator synchronously, so an error from the C++ engine
        # is raised by the call that caused it (and each op is a few microseconds
        # cheaper).
        "MXNET_ENGINE_TYPE": "NaiveEngine",
        **_THREAD_SETTINGS,
    }


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


# Threading, measured with bench/bench_threads.py (docs/devices.rst has the numbers):
# MXNet's OpenMP teams use every core, so large reductions and BLAS (MXNet's OpenBLAS
# follows OpenMP's thread count) run in parallel. Its threads wait *passively*: with the
# default (spinning) policy a team on a busy machine waits for a thread the kernel has
# descheduled, and small reductions took 10-100x longer; sleeping threads cost ~10 us
# per parallel region on a quiet machine and nothing when another process is busy.
_THREAD_SETTINGS = {
    # Without it MXNet's OpenMP uses half the cores on x86 (one thread on 2 cores).
    "OMP_NUM_THREADS": str(_cores()),
    "OMP_WAIT_POLICY": "passive",
}


#: Entries each of MXNet's oneDNN (MKLDNN) primitive caches keeps (per operator and
#: thread): measured 36 KB per convolution shape, so at most ~9 MB per operator, where
#: the default (-1, unbounded) grew a process by 9 MB per 250 batch sizes for good.
MKLDNN_CACHE_NUM = "256"


def _bound_caches() -> None:
    """Set ``MXNET_MKLDNN_CACHE_NUM`` for the rest of the process unless the user has."""
    os.environ.setdefault("MXNET_MKLDNN_CACHE_NUM", MKLDNN_CACHE_NUM)


def release_memory(devices=None) -> None:
    """Wait for MXNet's pending work (a threaded engine frees memory when it finishes)
    and return its GPU storage pools' free memory (``Context.empty_cache``) for
    ``devices`` (MinPy devices; default every GPU MXNet sees). The CPU has no pool."""
    mx = _module
    if mx is None:
        return
    if os.environ.get("MXNET_ENGINE_TYPE", "NaiveEngine") != "NaiveEngine":
        mx.nd.waitall()
    if devices is None:
        try:
            gpus = range(mx.context.num_gpus())
        except Exception:  # noqa: BLE001  (a CPU build without CUDA runtime)
            gpus = ()
        contexts = [mx.gpu(i) for i in gpus]
    else:
        contexts = [d.mx_context for d in devices if d.kind == "gpu"]
    for ctx in contexts:
        ctx.empty_cache()


@contextlib.contextmanager
def _environment(settings: dict):
    """``os.environ`` with ``settings`` added where unset, restored on exit."""
    added = [k for k in settings if k not in os.environ]
    for k in added:
        os.environ[k] = settings[k]
    try:
        yield
    finally:
        for k in added:
            os.environ.pop(k, None)


# The one line MXNet prints on every start when MXNET_ENGINE_TYPE is set (ours is).
_ENGINE_NOTICE = re.compile(
    rb"^\[[0-9:]+\] \S*engine\.cc:\d+: MXNet start using engine: \w+\r?\n?$")


@contextlib.contextmanager
def _engine_notice_dropped():
    """Capture file descriptor 2 (C++ writes there directly) for the block; pass on
    every captured line but MXNet's engine notice."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
        capture = tempfile.TemporaryFile()
    except (OSError, ValueError, AttributeError):  # no fd 2 (pythonw), no temp dir
        yield
        return
    try:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            with contextlib.suppress(OSError, ValueError, AttributeError):
                sys.stderr.flush()
            os.dup2(saved, 2)
            capture.seek(0)
            kept = [line for line in capture.read().splitlines(keepends=True)
                    if not _ENGINE_NOTICE.match(line)]
            if kept:
                os.write(2, b"".join(kept))
    finally:
        os.close(saved)
        capture.close()


def _start_engine(mxnet) -> None:
    """Create MXNet's engine now, while the load settings are in the environment (MXNet
    creates it on first use and reads ``MXNET_ENGINE_TYPE`` then)."""
    previous = mxnet.engine.set_bulk_size(0)
    mxnet.engine.set_bulk_size(previous)


def _accept_dlpack_producers(mxnet) -> None:
    """Let ``mx.nd.from_dlpack`` take any DLPack producer (a NumPy array, a MinPy Array,
    a PyTorch tensor), not only a capsule as MXNet 1.9.1 does: the producer's
    ``__dlpack__()`` without ``max_version`` is the unversioned capsule MXNet reads, and
    MXNet keeps the producer's memory without a copy."""
    nd = mxnet.ndarray.ndarray
    original = nd.from_dlpack

    def from_dlpack(dlpack):
        if hasattr(dlpack, "__dlpack__"):
            dlpack = dlpack.__dlpack__()
        return original(dlpack)
    from_dlpack.__doc__, from_dlpack.__wrapped__ = original.__doc__, original
    nd.from_dlpack = mxnet.ndarray.from_dlpack = from_dlpack


@contextlib.contextmanager
def _mxnet_loading():
    """Everything around one execution of ``mxnet/__init__.py``: see the module
    docstring."""
    with _engine_notice_dropped(), _environment(_load_settings()), \
            _numpy_aliases_restored(), _optional_imports_deferred(), \
            warnings.catch_warnings():
        # MXNet's own use of deprecated NumPy and distutils APIs: nothing a user can act
        # on. Warnings raised by other modules are left as they are.
        for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
            warnings.filterwarnings("ignore", category=category, module=r"mxnet(\.|$)")
        yield


#: Imports MXNet makes while loading only for rarely used parts, a third of its load
#: time (bench/bench_first_call.py): ``mxnet.contrib.quantization`` reads
#: ``scipy.stats`` for its KL calibration, ``mxnet.model`` takes scikit-learn's
#: ``BaseEstimator`` as the base of the legacy ``FeedForward`` class.
_DEFERRED = ("sklearn", "scipy.stats")


class _Deferred(types.ModuleType):
    """A module imported on its first attribute read (``mxnet.contrib.quantization``'s
    ``stats``)."""

    def __getattr__(self, attr):
        return getattr(importlib.import_module(self.__name__), attr)


@contextlib.contextmanager
def _optional_imports_deferred():
    """MXNet loads without importing :data:`_DEFERRED` (not yet imported): MXNet's own
    ``except ImportError`` paths run, then ``quantization.stats`` becomes a module
    imported on first use. ``FeedForward`` (deprecated since MXNet 1.0) then derives
    from ``object``, as without scikit-learn. ``bench/bench_first_call.py`` measures
    what the first MXNet call of a process (the load) saves."""
    blocked = [name for name in _DEFERRED if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # ``import name`` raises ImportError
    try:
        yield
    finally:
        for name in blocked:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]
        quantization = sys.modules.get("mxnet.contrib.quantization")
        if "scipy.stats" in blocked and getattr(quantization, "stats", 0) is None:
            quantization.stats = _Deferred("scipy.stats")


@contextlib.contextmanager
def _numpy_aliases_restored():
    """NumPy with the names MXNet reads at import time, for the duration of the block."""
    added = _numpy2_aliases()
    for name, value in added.items():
        setattr(_np, name, value)
    try:
        yield
    finally:
        for name in added:
            delattr(_np, name)


class _ShimLoader(importlib.abc.Loader):
    """Runs the real loader of the top-level ``mxnet`` module inside the shim."""

    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        _bound_caches()
        with _mxnet_loading():
            self._loader.exec_module(module)
            _start_engine(module)
            _accept_dlpack_producers(module)


def find_spec(fullname, path=None):
    """The spec of the top-level ``mxnet`` module with the shim's loader, or ``None``
    (also called by ``_minpy_mxnet_hook``, the finder the ``.pth`` file installs)."""
    spec = importlib.machinery.PathFinder.find_spec(fullname, path)
    if spec is not None and spec.loader is not None:
        spec.loader = _ShimLoader(spec.loader)
    return spec


class _ShimFinder(importlib.abc.MetaPathFinder):
    """Routes ``import mxnet`` through the shim (installed by ``import minpy.core``)."""

    def find_spec(self, fullname, path, target=None):
        if fullname != "mxnet":
            return None
        return find_spec(fullname, path)


def install_import_hook() -> None:
    """Route a later ``import mxnet`` through the shim (no effect once it is imported)."""
    if "mxnet" not in sys.modules and not any(
            isinstance(f, _ShimFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _ShimFinder())


def _import_mxnet():
    install_import_hook()
    _bound_caches()
    import mxnet  # through _ShimFinder, or already imported through it
    # NumPy shape semantics: 0-d and zero-size arrays are real shapes, not "unknown".
    mxnet.npx.set_np(shape=True, array=True)
    from ._fork import install as _install_fork_hook
    _install_fork_hook(mxnet)  # forked children run MXNet on one thread, never hang
    return mxnet


def load():
    """Return the ``mxnet`` module, importing it on first call; ``None`` if unavailable."""
    global _module, _error, _tried
    if _tried:
        return _module
    with _lock:
        if not _tried:
            if os.environ.get("MINPY_DISABLE_MXNET", "") not in ("", "0"):
                _error = ImportError("MXNet disabled by MINPY_DISABLE_MXNET")
            else:
                try:
                    _module = _import_mxnet()
                except Exception as exc:  # ImportError, or a broken native library
                    _error = exc
            _tried = True
    return _module


def available() -> bool:
    """Whether MXNet could be imported."""
    return load() is not None


def unavailable_reason() -> str | None:
    """Why MXNet is not available, or ``None`` when it is."""
    load()
    return None if _module is not None else f"{type(_error).__name__}: {_error}"


def require():
    """Return ``mxnet`` or raise an ImportError that says how to install it."""
    mx = load()
    if mx is None:
        raise ImportError(
            "MXNet is not available (" + str(unavailable_reason()) + "). Install it with "
            "'pip install --no-deps mxnet==1.9.1 requests \"graphviz<0.9\"' (CPU) or an "
            "mxnet-cu1xx build for CUDA; see the MinPy installation guide."
        ) from _error
    return mx
