"""The MXNet backend: MXNet 1.9.1, loaded once, on first use, on NumPy 1.23 to 2.x,
quietly; what MinPy knows about it (:class:`MXNetBackend`, registered as ``'mxnet'``).

Loading.

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

MXNet's process state is the user's. MinPy needs MXNet's NumPy semantics (shapes with
zero-size and zero-dimensional arrays, ``mx.np`` arrays) for its own calls only: they
are put in force for the calling thread when MinPy calls into MXNet and given back as
the user left them when the call returns (:meth:`MXNetBackend.enter`, ``exit``: a C
call each way and a thread-local dict entry, ~2 us the pair measured on a loaded 2-core
machine, once per MinPy operation that reaches MXNet, nested calls free; NumPy's path
never pays it), so the user's
``mx.nd``/Gluon code, legacy or NumPy-style, behaves as if MinPy were not there and
``mx.util.is_np_array()`` is what the user set. What stays process-wide is chosen while
MXNet loads and documented on the backends page: the engine (``NaiveEngine``, when the
user did not choose one), OpenMP's thread count and wait policy (when unset), an
after-fork hook (forked children compute on one thread, see :mod:`._fork`), and
``mx.nd.from_dlpack`` taking any DLPack producer (an extension: capsules still work).
"""

from __future__ import annotations

import contextlib
import ctypes
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

from .backend import Backend, register

__all__ = ["load", "available", "unavailable_reason", "require", "MXNetBackend",
           "BACKEND", "MX_DTYPES", "mx_holdable", "MXNET_MAX_SM", "scoped"]

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

    # (MXNet's NumPy semantics are scoped to MinPy's calls: MXNetBackend.enter)
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
            if _module is not None:
                BACKEND._loaded(_module)
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


# -- the backend -------------------------------------------------------------------------
#: The NumPy dtypes an MXNet 1.9.1 ``mx.np.ndarray`` stores exactly; an array of any
#: other dtype (int16, uint16..uint64, complex, strings, objects, datetimes) stays on
#: the host.
MX_DTYPES = frozenset(_np.dtype(t) for t in (
    "bool", "int8", "uint8", "int32", "int64", "float16", "float32", "float64"))

#: The newest GPU architecture MXNet 1.9.1's CUDA wheels carry machine code for (sm_86,
#: Ampere); they carry no PTX, so no newer GPU can run their kernels.
MXNET_MAX_SM = 86


def mx_holdable(dtype) -> bool:
    """Whether an array of ``dtype`` can have an MXNet form."""
    return dtype in MX_DTYPES


class _Scopes(threading.local):
    """Per thread: how deep MinPy's MXNet calls nest, and the user's settings to give
    back (the C ints are made once per thread: ctypes objects cost ~1 us to make)."""

    def __init__(self):
        self.depth = 0
        self.old = None
        self.prev = ctypes.c_int()
        self.prev_ref = ctypes.byref(self.prev)
        self.scratch_ref = ctypes.byref(ctypes.c_int())


_scopes = _Scopes()
_NP_SHAPE_ON = ctypes.c_int(1)  # MXSetIsNumpyShape: 1 = on for the calling thread
_NP_SHAPE_OFF = ctypes.c_int(0)


class MXNetBackend(Backend):
    """MXNet 1.9.1: ``mx.np`` arrays on the CPU and on the GPUs its CUDA wheels have
    kernels for (sm_50 to sm_86)."""

    label = "MXNet"
    support_note = (
        "The functions marked *MXNet* have an entry in MinPy's op table with an MXNet "
        "implementation: the policy in force (see :doc:`policy`) decides per call "
        "whether MXNet or NumPy runs them, and MXNet runs them only for the arguments "
        "and dtypes it handles exactly as NumPy does (anything else, for example a dtype "
        "MXNet cannot hold or an argument its kernel treats differently, runs in NumPy). "
        "**{count}** functions can run on MXNet; the conformance suite "
        "(``conformance/``) checks every MXNet entry against NumPy.")
    priority = 10
    array_method = "asmxnet"
    transfer = "to_mxnet"
    serves_cpu = True
    # CPU: measured on the development machine (MXNet 1.9.1 CPU wheel, NaiveEngine,
    # OMP_NUM_THREADS=2; bench/ re-measures them). GPU: NOT measured (no GPU MXNet
    # 1.9.1 runs on was available): conservative placeholders, ~15 us per kernel launch,
    # PCIe at ~10 GB/s; ``minpy.numpy._costs.set_costs`` replaces them.
    costs = {"cpu": (12.0, {"elementwise": 1.5e-3, "reduction": 3.6e-3, "matmul": 1.1e-5,
                            "default": 2e-3}),
             "gpu": (15.0, {"elementwise": 2e-6, "reduction": 4e-6, "matmul": 2e-8,
                            "default": 5e-6})}
    copy_costs = {"cpu": (35.0, 4.5e-5), "gpu": (20.0, 1e-4)}
    #: MXNet indexes elements with int32: arrays of 2**31 elements or more stay off it.
    max_elements = 2 ** 31

    loader = sys.modules[__name__]

    # -- devices -------------------------------------------------------------------------
    def num_gpus(self) -> int:
        mx = load()
        if mx is None:
            return 0
        try:
            return int(mx.context.num_gpus())
        except Exception:  # a CPU wheel, or a CUDA wheel without a usable driver
            return 0

    def compute_capability(self, index):
        mx = load()
        try:
            # major * 10 + minor, read from the driver (mxnet/util.py)
            return int(mx.util.get_cuda_compute_capability(mx.gpu(index)))
        except Exception:  # no such helper, or no driver: unknown
            return None

    def gpu_verdict(self, index, capability, sm):
        if index >= self.num_gpus():
            reason = unavailable_reason()
            return False, (f"MXNet is unavailable ({reason})" if reason else
                           "MXNet is a CPU build or sees no GPU")
        if capability is None or capability <= MXNET_MAX_SM:
            return True, (f"MXNet's CUDA kernels run on {sm} (its wheels carry sm_50 to "
                          f"sm_{MXNET_MAX_SM})")
        return False, (f"MXNet sees it but its kernels stop at sm_{MXNET_MAX_SM} with no "
                       f"PTX, and this GPU is {sm}")

    def no_gpu_reason(self):
        return unavailable_reason() or "a CPU build, or no usable driver"

    context_attribute = "mx_context"

    def context(self, device):
        """The ``mxnet.Context`` for ``device``. On a GPU another backend serves
        (MXNet's kernels cannot run there) it is MXNet's CPU: what MXNet does for Arrays
        on that device (``minpy.symbol.Function``, the 'only_mxnet' policy) runs on the
        host, and the copies to and from the GPU are counted and guarded as every
        conversion is."""
        ctx = device._contexts.get(self)
        if ctx is None:
            mx = require()
            if device.kind == "cpu":
                ctx = mx.cpu(device.index)
            else:
                from .device import backend_of
                ctx = mx.gpu(device.index) if backend_of(device) is self else mx.cpu(0)
            device._contexts[self] = ctx
        return ctx

    # -- dtypes --------------------------------------------------------------------------
    def holds(self, dtype) -> bool:
        return dtype in MX_DTYPES

    # -- forms ---------------------------------------------------------------------------
    def owns(self, obj) -> bool:
        mx = _module
        if mx is None:
            mx = sys.modules.get("mxnet")
            if mx is None or not type(obj).__module__.startswith("mxnet"):
                return False
            mx = load()  # imported by the user (through the shim): MinPy loads it too
            if mx is None:
                return False
        return isinstance(obj, (mx.np.ndarray, mx.nd.NDArray))

    def from_host(self, host, device):
        mx = require()
        if not host.flags.c_contiguous:  # views of other layouts
            host = _np.ascontiguousarray(host)
        if host.dtype == _np.bool_:
            # NumPy reads any nonzero byte as True (frombuffer, view(bool)); MXNet
            # computes with the byte itself (a sum counted 255 per True): 0/1 bytes.
            host = host.view(_np.uint8).astype(_np.bool_)
        self.enter()
        try:
            return mx.np.array(host, dtype=host.dtype, ctx=self.context(device))
        finally:
            self.exit()

    def to_host(self, form):
        self.enter()
        try:
            return form.asnumpy()
        finally:
            self.exit()

    def copy(self, form, device):
        self.enter()
        try:
            return form.as_in_ctx(self.context(device))
        finally:
            self.exit()

    def native(self, obj):
        """``(form, device)``: an MXNet array as an ``mx.np`` form without a copy, and
        the device its memory is on."""
        from .device import Device, cpu
        ctx = obj.context
        dev = Device("gpu", ctx.device_id) if ctx.device_type == "gpu" else cpu()
        mx = require()
        return (obj if isinstance(obj, mx.np.ndarray) else obj.as_np_ndarray()), dev

    def adopt(self, obj, device, dtype=None):
        form, _ = self.native(obj)
        self.enter()
        try:
            src = form.as_in_ctx(self.context(device))
            return src.astype(dtype) if dtype is not None else src.copy()
        finally:
            self.exit()

    def wait(self, form):
        form.wait_to_read()

    def setitem(self, form, key, value, device):
        if not device.is_gpu:
            raise NotImplementedError  # on the CPU the host write is the cheaper one
        self.enter()
        try:
            form[key] = value  # in place: MXNet accepts it, or raises (then the host)
        finally:
            self.exit()
        return form

    # -- interchange ---------------------------------------------------------------------
    def dlpack_export(self, form, **kwargs):
        return form.to_dlpack_for_read()  # MXNet 1.9.1: a legacy capsule

    def dlpack_import(self, obj, device):
        mx = require()
        return mx.nd.from_dlpack(obj.__dlpack__()).as_np_ndarray()

    # -- random numbers ------------------------------------------------------------------
    def _apply_seed(self, module, seed):
        if seed is not None:
            module.random.seed(int(seed) % (2 ** 31))

    # -- NumPy semantics, for MinPy's calls only -----------------------------------------
    def enter(self):
        st = _scopes
        depth = st.depth
        st.depth = depth + 1
        if depth:
            return
        hooks = _HOOKS or _bind_hooks()
        hooks[0](_NP_SHAPE_ON, st.prev_ref)  # on for this thread; the previous value back
        # MXNet's is_np_array() reads a threading.local's ``value``: its per-thread dict
        # directly (getattr of a missing attribute raises inside, ~1 us)
        scope = hooks[1].__dict__
        st.old = scope.get("value")
        scope["value"] = hooks[2]

    def exit(self):
        st = _scopes
        depth = st.depth = st.depth - 1
        if depth:
            return
        hooks = _HOOKS
        prev = st.prev.value
        if prev != 1:  # the user had NumPy shapes off in this thread: off again
            hooks[0](_NP_SHAPE_OFF if prev == 0 else ctypes.c_int(prev), st.scratch_ref)
        old = st.old
        scope = hooks[1].__dict__
        if old is None:
            scope.pop("value", None)
        else:
            scope["value"] = old
            st.old = None


_HOOKS: list = []


def _bind_hooks() -> list:
    """``[MXSetIsNumpyShape, MXNet's thread-local NumPy-array scope, the scope object
    that makes is_np_array() true]``, looked up once (the hot path reads a list)."""
    mx = _module or require()
    _HOOKS[:] = [mx.base._LIB.MXSetIsNumpyShape, mx.util._NumpyArrayScope._current,
                 mx.util._NumpyArrayScope(True)]
    return _HOOKS


#: The MXNet backend (its name is ``'mxnet'``).
BACKEND = register(MXNetBackend("mxnet"))


def scoped(fn):
    """``fn`` run with MXNet's NumPy semantics in force, the user's settings given back
    on return (:meth:`MXNetBackend.enter`): for the packages above core that call MXNet
    themselves (``minpy.symbol``, ``minpy.jit``)."""
    import functools

    @functools.wraps(fn)
    def run(*args, **kwargs):
        BACKEND.enter()
        try:
            return fn(*args, **kwargs)
        finally:
            BACKEND.exit()
    return run
