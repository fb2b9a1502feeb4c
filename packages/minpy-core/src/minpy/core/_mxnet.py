"""Load MXNet 1.9.1 once, on first use, on NumPy 1.x or 2.x.

MXNet 1.9.1 reads a handful of NumPy names at import time that NumPy 2.0 removed
(``np.PZERO``, ``np.alltrue``, ...). :func:`load` restores exactly those names for the
duration of the import and deletes them again afterwards, so the user's ``numpy``
module is left as it was. MXNet is optional: without it every operation runs in NumPy
and :func:`available` says why.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import os
import re
import sys
import threading

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


def _numpy2_aliases() -> dict:
    """The names MXNet 1.9.1 reads while importing that this NumPy no longer has: a
    constant, NumPy's replacement function, or a stub that says what was removed."""
    aliases = {}
    for name in _names_mxnet_reads():
        if name in _np.__dict__ or hasattr(_np, name):
            continue
        if name in _CONSTANTS:
            aliases[name] = _CONSTANTS[name]
            continue
        replacement = _REPLACEMENTS.get(name, lambda: None)()
        aliases[name] = replacement if replacement is not None else _removed_function(name)
    return aliases


def _set_environment():
    # NaiveEngine runs each operator synchronously, so an error from the C++ engine is
    # raised by the call that caused it (and each op is a few microseconds cheaper).
    os.environ.setdefault("MXNET_ENGINE_TYPE", "NaiveEngine")
    # MXNet's own OpenMP pool defaults to one thread for BLAS; use the machine's cores.
    os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))


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
        _set_environment()
        with _numpy_aliases_restored():
            self._loader.exec_module(module)


class _ShimFinder(importlib.abc.MetaPathFinder):
    """Makes a user's own ``import mxnet`` (after ``import minpy.core``) work on NumPy 2."""

    def find_spec(self, fullname, path, target=None):
        if fullname != "mxnet":
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _ShimLoader(spec.loader)
        return spec


def install_import_hook() -> None:
    """Route a later ``import mxnet`` through the shim (no effect once it is imported)."""
    if "mxnet" not in sys.modules and not any(
            isinstance(f, _ShimFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _ShimFinder())


def _import_mxnet():
    install_import_hook()
    _set_environment()
    with _numpy_aliases_restored():
        import mxnet
    # NumPy shape semantics: 0-d and zero-size arrays are real shapes, not "unknown".
    mxnet.npx.set_np(shape=True, array=True)
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
