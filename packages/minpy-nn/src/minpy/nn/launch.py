"""Start a data-parallel job: ``python -m minpy.nn.launch -n WORKERS -s SERVERS script.py
args...``.

Starts one scheduler, ``SERVERS`` servers (``python -m minpy.nn.distributed.node``) and
``WORKERS`` copies of the script with the ps-lite environment (``DMLC_*``) on a free
port, streams every line they print prefixed by role and rank, and stops them all when
one fails or on Ctrl-C. A lost process is named in a fault file that every other
process's watchdog reads (:mod:`minpy.nn.distributed._watchdog`), so each of them exits
with a message naming the lost peer; the launcher's exit status is then non-zero.

With ``--hostfile FILE`` (one host name per line) servers and workers are spread over
those machines round-robin and started through ssh (``--ssh``), the scheduler runs here
and must be reachable from them at ``--root-uri``.

Trust model: ps-lite authenticates nobody. Any process that reaches the scheduler's or
a server's port can register as a node, push values into the model and read it. The
default job binds 127.0.0.1 only (every node announces 127.0.0.1); a ``--hostfile`` job
must run inside a private network (or over SSH tunnels), so the launcher refuses to
bind an address reachable from the internet, or every interface (``0.0.0.0``), unless
``--allow-public`` says the network in between is trusted (docs/distributed.rst).
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from minpy.nn.distributed._watchdog import (
    FAULT_FILE_ENV,
    LAUNCHER_PID_ENV,
    LOST_PEER_LINE,
    WATCH_STDIN_ENV,
)

__all__ = ["main", "Job", "free_port", "port_in_use", "public_addresses", "PublicAddressError"]

_RANK_LINE = "[minpy.nn.distributed] worker rank "
# How long workers may run on after the scheduler or a server ended with status 0.
_EARLY_EXIT_S = 10.0
# MXNet's engine announces itself once per process: noise in a job's output.
_CHATTER = ("MXNet start using engine",)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on at ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_in_use(host: str, port: int) -> bool:
    """Whether binding ``host:port`` fails (another process holds it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


class PublicAddressError(ValueError):
    """The scheduler would listen where anyone on the internet can reach it."""


def public_addresses(host: str) -> list:
    """The addresses ``host`` stands for that a process beyond a private network could
    reach: global ones, and the unspecified address (``0.0.0.0``, ``::``: every
    interface). Loopback, private (RFC 1918, unique-local) and link-local addresses are
    not public. A name that does not resolve gives none (ps-lite cannot bind it)."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return []
    found = []
    for *_, sockaddr in infos:
        ip = ipaddress.ip_address(sockaddr[0].split("%")[0])
        if (ip.is_unspecified or ip.is_global) and str(ip) not in found:
            found.append(str(ip))
    return found


def check_bind_address(host: str, allow_public: bool = False) -> None:
    """Raise :class:`PublicAddressError` when ``host`` is a public address (see
    :func:`public_addresses`) and ``allow_public`` is false."""
    public = public_addresses(host)
    if public and not allow_public:
        raise PublicAddressError(
            f"the scheduler would listen on {host} ({', '.join(public)}), an address "
            "reachable from outside a private network. ps-lite authenticates nobody: "
            "whoever reaches the scheduler's and the servers' ports can join the job, "
            "read the model and push into it. Run the job inside a private network "
            "(give --root-uri its private address) or through SSH tunnels, or pass "
            "--allow-public if the network in between is trusted")


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with status {code}" if code else "exited while the workers ran"


class _Proc:
    def __init__(self, role: str, index: int, cmd, env, host=None):
        self.role, self.index, self.host = role, index, host
        self.rank = None
        # A remote process reads the launcher's news on its standard input (the ssh
        # connection): a lost peer's name, or end of file when the launcher is gone.
        self.popen = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT,
                                      stdin=subprocess.PIPE if host else subprocess.DEVNULL,
                                      start_new_session=True)
        self.reader = None
        self.ended_at = None

    @property
    def label(self) -> str:
        if self.role == "worker" and self.rank is not None:
            return f"worker {self.rank}"
        if self.role == "worker":
            return f"worker #{self.index}"
        return f"{self.role} {self.index}" if self.role == "server" else self.role

    def describe(self) -> str:
        where = f" on {self.host}" if self.host else ""
        rank = "" if self.rank is None else f"rank {self.rank}, "
        name = f"{self.role} {self.index}" if self.role != "scheduler" else "scheduler"
        if self.role == "worker":
            name = f"worker {rank}launched as #{self.index}"
        return f"{name} (pid {self.popen.pid}{where})"

    def signal(self, sig) -> None:
        try:
            os.killpg(self.popen.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


class Job:
    """One scheduler, servers and workers on this machine (or over ssh).

    Parameters mirror the command line; :meth:`run` returns the exit status.
    """

    def __init__(self, command, num_workers: int, num_servers: int = 1, *, port=None,
                 root_uri: str = "127.0.0.1", hosts=None, ssh: str = "ssh",
                 env=None, timeout=None, grace: float = 5.0, connect_timeout=None,
                 out=None, allow_public: bool = False):
        if num_workers < 1 or num_servers < 1:
            raise ValueError(f"need at least one worker and one server, got -n "
                             f"{num_workers} -s {num_servers}")
        check_bind_address(root_uri, allow_public)
        self.command = list(command)
        self.num_workers, self.num_servers = num_workers, num_servers
        self.root_uri = root_uri
        self.hosts = list(hosts or [])
        self.ssh = shlex.split(ssh)
        if port is None:
            port = free_port(root_uri if not self.hosts else "")
        elif port_in_use(root_uri if not self.hosts else "", port):
            raise OSError(f"port {port} on {root_uri} is already in use; choose another "
                          "with --port, or leave --port out to pick a free one")
        self.port = port
        self.extra_env = dict(env or {})
        self.timeout = timeout
        self.grace = grace
        self.connect_timeout = connect_timeout
        self.out = out or sys.stdout
        self.procs: list[_Proc] = []
        self._lock = threading.Lock()
        self._fault_dir = tempfile.mkdtemp(prefix="minpy-launch-")
        self.fault_file = os.path.join(self._fault_dir, "lost-peer")
        self.failure: str | None = None

    # -- starting ------------------------------------------------------------------------
    def _env(self, role: str) -> dict:
        env = {
            "DMLC_ROLE": role, "DMLC_PS_ROOT_URI": self.root_uri,
            "DMLC_PS_ROOT_PORT": str(self.port), "DMLC_NUM_SERVER": str(self.num_servers),
            "DMLC_NUM_WORKER": str(self.num_workers), "PYTHONUNBUFFERED": "1",
            FAULT_FILE_ENV: self.fault_file,
        }
        if not self.hosts:
            # Loopback: every node announces 127.0.0.1, never a network interface.
            env["DMLC_NODE_HOST"] = "127.0.0.1"
            env[LAUNCHER_PID_ENV] = str(os.getpid())
            if "OMP_NUM_THREADS" not in os.environ:
                # MXNet's OpenMP threads spin while they wait: with more threads than
                # cores in all processes together, a pushpull measured 10x slower here.
                # The workers share the cores; servers and the scheduler get one each.
                cores = os.cpu_count() or 1
                env["OMP_NUM_THREADS"] = str(max(1, cores // self.num_workers)
                                             if role == "worker" else 1)
        if self.connect_timeout is not None:
            env["MINPY_DIST_CONNECT_TIMEOUT"] = str(self.connect_timeout)
        env.update(self.extra_env)
        return env

    def _command(self, role: str):
        if role == "worker":
            cmd = self.command
            if cmd and cmd[0].endswith(".py"):
                cmd = [sys.executable, "-u", *cmd]
            return cmd
        return [sys.executable, "-u", "-m", "minpy.nn.distributed.node"]

    def _start(self, role: str, index: int, host=None) -> None:
        env = self._env(role)
        cmd = self._command(role)
        if host is None:
            proc = _Proc(role, index, cmd, {**os.environ, **env})
        else:
            # No shared fault file there: the news travel on the ssh connection.
            env.pop(FAULT_FILE_ENV, None)
            env[WATCH_STDIN_ENV] = "1"
            remote = "cd {} && env {} {}".format(
                shlex.quote(os.getcwd()),
                " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items()),
                " ".join(shlex.quote(c) for c in cmd))
            proc = _Proc(role, index, [*self.ssh, host, remote], dict(os.environ), host)
        proc.reader = threading.Thread(target=self._pump, args=(proc,), daemon=True)
        proc.reader.start()
        self.procs.append(proc)

    def _pump(self, proc: _Proc) -> None:
        for raw in proc.popen.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            if line.startswith(_RANK_LINE):
                try:
                    proc.rank = int(line[len(_RANK_LINE):].split()[0])
                except (ValueError, IndexError):
                    pass
            if any(c in line for c in _CHATTER):
                continue
            self._print(f"[{proc.label}] {line}")

    def _print(self, text: str) -> None:
        with self._lock:
            self.out.write(text + "\n")
            self.out.flush()

    def start(self) -> None:
        hosts = self.hosts
        self._start("scheduler", 0)
        for i in range(self.num_servers):
            self._start("server", i, hosts[i % len(hosts)] if hosts else None)
        for i in range(self.num_workers):
            self._start("worker", i, hosts[i % len(hosts)] if hosts else None)
        self._print("[launch] " + ", ".join(f"{p.label} pid {p.popen.pid}" for p in self.procs)
                    + f"; scheduler at {self.root_uri}:{self.port}")

    # -- supervising ---------------------------------------------------------------------
    def _fail(self, proc: _Proc, code: int) -> None:
        self.failure = f"{proc.describe()} {_describe_exit(code)}"
        with open(self.fault_file, "w", encoding="utf-8") as fh:
            fh.write(self.failure)
        self._tell_remote(self.failure)
        self._print(f"[launch] {self.failure}; stopping the others")

    def _tell_remote(self, news: str) -> None:
        for p in self.procs:
            if p.host and p.popen.stdin is not None and p.popen.poll() is None:
                try:
                    p.popen.stdin.write(f"{LOST_PEER_LINE}{news}\n".encode())
                    p.popen.stdin.flush()
                except OSError:
                    pass

    def stop(self, grace: float) -> None:
        """Give the processes ``grace`` seconds to exit on their own (their watchdogs read
        the fault file), then SIGTERM, then SIGKILL."""
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(p.popen.poll() is None for p in self.procs):
            time.sleep(0.1)
        for sig, wait in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 5.0)):
            alive = [p for p in self.procs if p.popen.poll() is None]
            if not alive:
                break
            for p in alive:
                p.signal(sig)
            end = time.monotonic() + wait
            while time.monotonic() < end and any(p.popen.poll() is None for p in alive):
                time.sleep(0.05)
        for p in self.procs:
            if p.reader is not None:
                p.reader.join(timeout=2.0)

    def run(self) -> int:
        """Start the job and supervise it; the exit status: 0 when every worker exited
        with 0, else that of the first failure (128 + signal for a killed process)."""
        interrupted = []
        previous = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                previous[sig] = signal.signal(sig, lambda s, f: interrupted.append(s))
        started = time.monotonic()
        status = 0
        try:
            self.start()
            workers = [p for p in self.procs if p.role == "worker"]
            while True:
                if interrupted:
                    self.failure = f"interrupted by {signal.Signals(interrupted[0]).name}"
                    self._print(f"[launch] {self.failure}; stopping every process")
                    with open(self.fault_file, "w", encoding="utf-8") as fh:
                        fh.write(f"the launcher was {self.failure}")
                    self._tell_remote(f"the launcher was {self.failure}")
                    status = 130
                    self.stop(grace=1.0)
                    break
                failed = None
                now = time.monotonic()
                for p in self.procs:
                    code = p.popen.poll()
                    if code is None:
                        continue
                    if code != 0:
                        failed = (p, code)
                        break
                    # The scheduler and servers end with 0 once the workers finalize,
                    # a moment before the workers themselves exit; one that ended long
                    # before them is a lost peer.
                    if p.role != "worker" and any(w.popen.poll() is None for w in workers):
                        ended = p.ended_at = p.ended_at or now
                        if now - ended > _EARLY_EXIT_S:
                            failed = (p, code)
                            break
                if failed:
                    proc, code = failed
                    self._fail(proc, code)
                    status = code if code > 0 else 128 - code
                    self.stop(self.grace)
                    break
                if all(w.popen.poll() == 0 for w in workers):
                    # Servers and the scheduler end once the workers have finalized.
                    self.stop(grace=30.0)
                    break
                if self.timeout is not None and time.monotonic() - started > self.timeout:
                    self.failure = f"the job ran past --timeout {self.timeout:g} s"
                    self._print(f"[launch] {self.failure}; stopping every process")
                    with open(self.fault_file, "w", encoding="utf-8") as fh:
                        fh.write(f"the launcher stopped the job: {self.failure}")
                    self._tell_remote(f"the launcher stopped the job: {self.failure}")
                    status = 124
                    self.stop(grace=1.0)
                    break
                time.sleep(0.1)
        finally:
            for p in self.procs:
                if p.popen.poll() is None:
                    p.signal(signal.SIGKILL)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            try:
                if os.path.exists(self.fault_file):
                    os.remove(self.fault_file)
                os.rmdir(self._fault_dir)
            except OSError:
                pass
        if status:
            self._print(f"[launch] failed: {self.failure} (exit status {status})")
        return status


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m minpy.nn.launch",
        description="Run a data-parallel MinPy job: a scheduler, servers and workers.")
    p.add_argument("-n", "--num-workers", type=int, required=True)
    p.add_argument("-s", "--num-servers", type=int, default=1)
    p.add_argument("-p", "--port", type=int, default=None,
                   help="the scheduler's port (default: a free one)")
    p.add_argument("-H", "--hostfile", default=None,
                   help="one host per line: run servers and workers there through ssh")
    p.add_argument("--root-uri", default=None,
                   help="the scheduler's address as the others reach it (default "
                        "127.0.0.1; with --hostfile this machine's host name)")
    p.add_argument("--allow-public", action="store_true",
                   help="let the scheduler listen on a public address (or 0.0.0.0); "
                        "anyone who reaches the job's ports can join it")
    p.add_argument("--ssh", default="ssh -o BatchMode=yes",
                   help="the ssh command for --hostfile (default: %(default)s)")
    p.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                   help="an extra environment variable for every process")
    p.add_argument("--timeout", type=float, default=None,
                   help="stop the whole job after this many seconds")
    p.add_argument("--connect-timeout", type=float, default=None,
                   help="seconds the workers wait for the cluster to come up (default 60)")
    p.add_argument("command", nargs=argparse.REMAINDER,
                   help="script.py and its arguments (or any command)")
    return p


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if not args.command:
        _parser().error("no script to run")
    hosts = None
    if args.hostfile:
        with open(args.hostfile, encoding="utf-8") as fh:
            hosts = [h.split()[0] for h in fh if h.strip() and not h.startswith("#")]
        if not hosts:
            _parser().error(f"{args.hostfile} names no host")
    root_uri = args.root_uri or ("127.0.0.1" if not hosts else socket.gethostname())
    env = {}
    for item in args.env:
        key, sep, value = item.partition("=")
        if not sep:
            _parser().error(f"--env {item!r} is not KEY=VALUE")
        env[key] = value
    try:
        job = Job(args.command, args.num_workers, args.num_servers, port=args.port,
                  root_uri=root_uri, hosts=hosts, ssh=args.ssh, env=env,
                  timeout=args.timeout, connect_timeout=args.connect_timeout,
                  allow_public=args.allow_public)
    except (ValueError, OSError) as exc:
        sys.stderr.write(f"minpy.nn.launch: {exc}\n")
        return 2
    return job.run()


if __name__ == "__main__":
    sys.exit(main())
