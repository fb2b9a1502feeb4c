"""A scheduler or server process of MXNet's parameter server:
``DMLC_ROLE=server python -m minpy.nn.distributed.node`` (the launcher runs this).

MXNet starts a server from inside ``import mxnet`` when ``DMLC_ROLE`` says so, which
leaves no room to watch the process. Here MXNet is imported as a worker would import
it, the watchdog starts, and the server loop runs afterwards with MXNet's own
``KVStoreServer`` (it receives the workers' optimizer and runs its updates). The
scheduler only routes messages: it runs from MXNet's C library alone (no Python
``mxnet`` import, seconds cheaper per start).
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import platform
import sys

from minpy.nn.distributed import _watchdog

__all__ = ["main"]

_CONTROLLER = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)


def _libmxnet_path():
    spec = importlib.util.find_spec("mxnet")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(list(spec.submodule_search_locations)[0], "libmxnet.so")
    return path if os.path.exists(path) else None


def _check(lib, status):
    if status != 0:
        raise RuntimeError(lib.MXGetLastError().decode(errors="replace"))


def run_scheduler() -> None:
    """The scheduler loop through MXNet's C API; returns when the workers finish."""
    path = _libmxnet_path()
    if path is None:
        raise ImportError("MXNet is not installed: the scheduler needs its libmxnet.so")
    lib = ctypes.CDLL(path, ctypes.RTLD_LOCAL)
    lib.MXGetLastError.restype = ctypes.c_char_p
    handle = ctypes.c_void_p()
    _check(lib, lib.MXKVStoreCreate(b"dist", ctypes.byref(handle)))
    controller = _CONTROLLER(lambda cmd, body, arg: None)
    _check(lib, lib.MXKVStoreRunServer(handle, controller, None))


#: MXNet 1.9.1's parameter server never initialises its ``multi_precision_`` flag
#: (``KVStoreDistServer`` in src/kvstore/kvstore_dist_server.h): whatever byte the heap
#: hands out decides whether it keeps every non-float32 key in a float32 copy, so float64
#: parameters and gradients were rounded to float32 in some runs and exact in others
#: (and a resumed run left the uninterrupted one). glibc's allocator, told to fill
#: every allocation with zeros (malloc perturbation, no thread cache: its chunks skip
#: the fill), hands the flag a zero: false, as MXNet meant.
_ZERO_FILL = {"glibc.malloc.perturb": "255", "glibc.malloc.tcache_count": "0"}


def _zero_filled_heap_env(environ) -> dict | None:
    """The environment to run a server in with a zero-filled heap, or None when this
    one already has it (or the C library is not glibc's)."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    current = [t for t in environ.get("GLIBC_TUNABLES", "").split(":") if t]
    settings = dict(t.split("=", 1) if "=" in t else (t, "") for t in current)
    if all(settings.get(k) == v for k, v in _ZERO_FILL.items()):
        return None
    kept = [t for t in current if t.split("=", 1)[0] not in _ZERO_FILL]
    return {**environ, "GLIBC_TUNABLES": ":".join(
        kept + [f"{k}={v}" for k, v in _ZERO_FILL.items()])}


def run_server() -> None:
    """A server loop with MXNet's own controller; returns when the workers finish."""
    role = os.environ["DMLC_ROLE"]
    # Import MXNet as a worker would, so that its import-time server does not start.
    os.environ["DMLC_ROLE"] = "worker"
    try:
        from minpy.core import _mxnet
        mx = _mxnet.require()
    finally:
        os.environ["DMLC_ROLE"] = role
    from mxnet.kvstore.kvstore_server import KVStoreServer
    KVStoreServer(mx.kv.create("dist")).run()


def main() -> int:
    role = os.environ.get("DMLC_ROLE")
    if role not in ("scheduler", "server"):
        sys.stderr.write("minpy.nn.distributed.node: DMLC_ROLE must be 'scheduler' or "
                         f"'server', not {role!r}\n")
        return 2
    if role == "server":
        env = _zero_filled_heap_env(os.environ)
        if env is not None:  # again, same pid and streams, with the heap zero-filled
            sys.stdout.flush()
            sys.stderr.flush()
            argv = getattr(sys, "orig_argv", None) or [sys.executable, "-m", __spec__.name]
            os.execve(sys.executable, [sys.executable, *argv[1:]], env)
    # The launcher's fault file and parent check bound this process's life.
    _watchdog.get(f"{role} pid {os.getpid()}")
    if role == "scheduler":
        run_scheduler()
    else:
        run_server()
    return 0


if __name__ == "__main__":
    sys.exit(main())
