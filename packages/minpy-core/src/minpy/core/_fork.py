"""Forked children that use MXNet: work, never hang.

``multiprocessing`` forks by default on Linux before Python 3.14 (data loaders, joblib,
scikit-learn do too). A forked child inherits the parent's memory but only the thread
that forked: the OpenMP thread team MXNet's kernels ran on (libgomp) and the OpenBLAS
server threads it links are gone, while their bookkeeping says they exist. The child's
first parallel region then waits for them for good.

:func:`install` registers an after-fork hook (``os.register_at_fork``) that, in the
child, makes MXNet run its kernels on one thread: MXNet's own OpenMP thread count
(``MXSetNumOMPThreads``) and libgomp's default team size (OpenBLAS shuts its own server
down around a fork). A region of one thread never touches the inherited team,
so the child computes correctly, serially. A child that needs MXNet's parallel speed
should use the ``'spawn'`` or ``'forkserver'`` start method, which start a fresh
interpreter: :func:`forked` lets code say so.
"""

from __future__ import annotations

import ctypes
import os

__all__ = ["install", "forked"]

_installed = False
_forked = False


def forked() -> bool:
    """Whether this process is a fork of one that had loaded MXNet (its kernels then run
    on one thread; use the 'spawn' start method for parallel kernels)."""
    return _forked


def _call(lib, name, value):
    fn = getattr(lib, name, None)
    if fn is not None:
        try:
            fn(ctypes.c_int(value))
        except (OSError, ctypes.ArgumentError):
            pass


def _child(mx_lib):
    global _forked
    _forked = True
    _call(mx_lib, "MXSetNumOMPThreads", 1)
    try:  # the libgomp already loaded (RTLD_NOLOAD: never load another copy)
        gomp = ctypes.CDLL("libgomp.so.1", mode=getattr(os, "RTLD_NOLOAD", 0) | ctypes.RTLD_GLOBAL)
    except OSError:
        return
    # An ICV setter only: it touches no thread state. (OpenBLAS is left alone: it
    # shuts its own server down around fork, and its setter would touch the pool.)
    _call(gomp, "omp_set_num_threads", 1)


def install(mx) -> None:
    """Register the after-fork hook for the loaded ``mx`` module (once)."""
    global _installed
    if _installed or not hasattr(os, "register_at_fork"):
        return
    lib = getattr(getattr(mx, "base", None), "_LIB", None)
    if lib is None:
        return
    os.register_at_fork(after_in_child=lambda: _child(lib))
    _installed = True
