"""Bounded waits for the processes of a distributed job.

ps-lite (MXNet's parameter-server transport) never gives up: a pull whose server died,
or a synchronous push waiting for a worker that died, blocks forever inside MXNet's C++
code, where no Python signal handler runs. A daemon thread per process watches instead
and ends the process with a clear message (``os._exit``, the only exit that works while
the main thread is inside a C call) when

* the launcher reports a lost peer (it writes the peer's name to the file named by
  ``MINPY_DIST_FAULT_FILE``),
* the launcher itself is gone (``MINPY_DIST_LAUNCHER_PID`` is no longer our parent), or
* the launcher's ssh connection reports a lost peer or closes (``MINPY_DIST_WATCH_STDIN``:
  the launcher's ``--hostfile`` mode, where no file is shared; its lines arrive on
  standard input), or
* a cluster operation overruns its deadline (:meth:`Watchdog.deadline`): connecting to
  the scheduler, or any push/pull when ``MINPY_DIST_TIMEOUT`` is set. This is what bounds
  the waits of processes started without the launcher (several machines).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time

__all__ = ["Watchdog", "get", "FAULT_FILE_ENV", "LAUNCHER_PID_ENV", "WATCH_STDIN_ENV",
           "LOST_PEER_LINE", "EXIT_PEER_LOST", "EXIT_TIMEOUT"]

FAULT_FILE_ENV = "MINPY_DIST_FAULT_FILE"
LAUNCHER_PID_ENV = "MINPY_DIST_LAUNCHER_PID"
WATCH_STDIN_ENV = "MINPY_DIST_WATCH_STDIN"
LOST_PEER_LINE = "minpy-dist lost peer: "
# Exit statuses of a process the watchdog ends (sysexits.h's EX_UNAVAILABLE and
# EX_TEMPFAIL), so that a launcher or a test can tell them from a crash.
EXIT_PEER_LOST = 69
EXIT_TIMEOUT = 75

_POLL_S = 0.2


class Watchdog:
    """One daemon thread per process; see the module docstring."""

    def __init__(self, name: str):
        self.name = name
        self._fault_file = os.environ.get(FAULT_FILE_ENV) or None
        launcher = os.environ.get(LAUNCHER_PID_ENV, "")
        self._launcher_pid = int(launcher) if launcher.isdigit() else None
        self._lock = threading.Lock()
        self._deadlines: dict[int, tuple[float, object]] = {}
        self._next_id = 0
        self._thread = threading.Thread(target=self._run, name="minpy-dist-watchdog",
                                        daemon=True)
        self._thread.start()
        if os.environ.get(WATCH_STDIN_ENV) == "1":
            threading.Thread(target=self._watch_stdin, name="minpy-dist-stdin",
                             daemon=True).start()

    def _watch_stdin(self):
        # Lines from the launcher over ssh; end of file: the launcher is gone.
        try:
            stream = os.fdopen(os.dup(0), "rb", buffering=0)
            for raw in stream:
                line = raw.decode(errors="replace").strip()
                if line.startswith(LOST_PEER_LINE):
                    self.abort(f"lost peer: {line[len(LOST_PEER_LINE):]}; stopping",
                               EXIT_PEER_LOST)
        except OSError:
            pass
        self.abort("the launcher's connection is gone (standard input closed); stopping",
                   EXIT_PEER_LOST)

    def abort(self, message: str, status: int) -> None:
        """Print ``message`` naming this process and end it at once (also when nobody
        reads its output any more: the launcher may be gone)."""
        try:
            try:
                sys.stdout.flush()
            except Exception:  # stdout may be gone; the message still goes to stderr
                pass
            os.write(2, f"minpy.nn.distributed: [{self.name}] {message}\n".encode())
        except Exception:
            pass
        finally:
            os._exit(status)

    @contextlib.contextmanager
    def deadline(self, seconds, describe):
        """Abort the process if the block has not finished after ``seconds`` (``None``:
        no limit); ``describe()`` gives the message, evaluated at expiry."""
        if seconds is None or seconds <= 0:
            yield
            return
        with self._lock:
            ident = self._next_id
            self._next_id += 1
            self._deadlines[ident] = (time.monotonic() + float(seconds), describe)
        try:
            yield
        finally:
            with self._lock:
                del self._deadlines[ident]

    def _run(self):
        while True:
            time.sleep(_POLL_S)
            if self._fault_file and os.path.exists(self._fault_file):
                try:
                    with open(self._fault_file, encoding="utf-8") as fh:
                        lost = fh.read().strip() or "a peer"
                except OSError:
                    lost = "a peer"
                self.abort(f"lost peer: {lost}; stopping", EXIT_PEER_LOST)
            if self._launcher_pid is not None and os.getppid() != self._launcher_pid:
                self.abort(f"the launcher (pid {self._launcher_pid}) is gone; stopping",
                           EXIT_PEER_LOST)
            now = time.monotonic()
            with self._lock:
                expired = [d for t, d in self._deadlines.values() if now > t]
            if expired:
                try:
                    message = expired[0]()
                except Exception as exc:  # the description must never keep us alive
                    message = f"a cluster operation timed out ({exc!r})"
                self.abort(message, EXIT_TIMEOUT)


def exit_on_uncaught_exception() -> None:
    """After an uncaught exception, print it and end the process at once.

    A normal interpreter exit runs MXNet's KVStore destructor, whose final barrier waits
    for every other node: a worker that failed would hang there instead of exiting, and
    nobody would learn of the failure."""
    previous = sys.excepthook
    if getattr(previous, "_minpy_dist", False):
        return

    def hook(kind, value, tb):
        try:
            previous(kind, value, tb)
            sys.stderr.flush()
            sys.stdout.flush()
        finally:
            os._exit(1)

    hook._minpy_dist = True
    sys.excepthook = hook


_instance: Watchdog | None = None
_instance_lock = threading.Lock()


def get(name: str | None = None) -> Watchdog:
    """This process's watchdog, started on first call (``name`` labels its messages)."""
    global _instance
    with _instance_lock:
        if _instance is None:
            role = os.environ.get("DMLC_ROLE", "worker")
            _instance = Watchdog(name or f"{role} pid {os.getpid()}")
        elif name:
            _instance.name = name
        return _instance
