"""Giving memory back: what MinPy frees when it drops cached device work.

Dropping the last reference to an MXNet NDArray or ``CachedOp`` frees its memory inside
MXNet at once (MinPy runs MXNet's synchronous engine; under a threaded engine chosen with
``MXNET_ENGINE_TYPE`` the engine frees it when pending operations finish, so
:func:`release_memory` waits for them). Where that memory goes next was measured
(``bench/bench_memory.py``; docs/reliability.rst has the numbers):

* on the CPU, MXNet 1.9.1's CPU wheel allocates with the C library's ``malloc`` (it has
  no CPU storage pool): freed buffers stay in glibc's heaps, whose dynamic mmap
  threshold rises to the largest size freed, so a program that makes buffers of ever
  new sizes (a ``Function`` called on new batch sizes) grows its resident memory
  although nothing is alive: 300 batch sizes twice through a convolution grew a process
  from 141 to 691 MB. ``malloc_trim(0)`` hands the free pages back (691 -> 158 MB);
  neither ``mx.nd.waitall`` nor ``Context.empty_cache`` does (the CPU has no pool);
* on GPUs, MXNet keeps freed device memory in its storage pool
  (``MXNET_GPU_MEM_POOL_TYPE``) and ``mx.Context.empty_cache()`` returns it; CuPy keeps
  its memory pool, ``cupy.get_default_memory_pool().free_all_blocks()`` returns it;
* MXNet's oneDNN (MKLDNN) primitive caches, one per operator per thread, grow by one
  entry per new input shape without bound unless ``MXNET_MKLDNN_CACHE_NUM`` is set:
  MinPy sets it (:data:`minpy.core._mxnet.MKLDNN_CACHE_NUM`) when it loads MXNet and
  the user has not.

:func:`release_memory` does all of that; :class:`minpy.symbol.Function` calls it when
it drops a binding.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading

__all__ = ["release_memory", "trim_host_heap"]

_libc = None
_lock = threading.Lock()


def _malloc_trim():
    """glibc's ``malloc_trim``, or ``None`` on another C library (musl, macOS,
    Windows: nothing to trim that way)."""
    global _libc
    if _libc is None:
        try:
            lib = ctypes.CDLL(ctypes.util.find_library("c") or None)
            _libc = lib.malloc_trim
            _libc.argtypes, _libc.restype = [ctypes.c_size_t], ctypes.c_int
        except (OSError, AttributeError):
            _libc = False
    return _libc or None


def trim_host_heap() -> bool:
    """Return the C heap's free pages to the operating system (glibc's
    ``malloc_trim(0)``); ``False`` where the C library has no such call. Costs about a
    millisecond on a tidy heap, more after much churn (200 ms for 500 MB)."""
    trim = _malloc_trim()
    if trim is None:
        return False
    with _lock:
        trim(0)
    return True


def release_memory(devices=None) -> None:
    """Give back the memory that the backends keep after their arrays are gone: wait for
    MXNet's pending frees, empty MXNet's and CuPy's GPU pools (of ``devices``, default
    every GPU they have used) and trim the host heap. Call it after dropping large
    arrays or compiled work when resident memory matters (a long-running server)."""
    from . import _cupy, _mxnet
    if _mxnet._tried and _mxnet._module is not None:
        _mxnet.release_memory(devices)
    if _cupy.in_use:
        _cupy.release_memory()
    trim_host_heap()
