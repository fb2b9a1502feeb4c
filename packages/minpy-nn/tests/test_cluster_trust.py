"""What a cluster job exposes, and what loading a file trusts (issue 23).

* A default launcher job listens on 127.0.0.1 only: its worker, once connected, reads
  the listening TCP sockets of every process of the job (scheduler, server, itself)
  from ``/proc`` and the test checks each one's address.
* With ``--hostfile`` the launcher refuses to bind a public address or every interface
  unless ``--allow-public`` is given (ps-lite authenticates nobody).
* Checkpoints never unpickle: a checkpoint whose member is a pickle that would run code
  when loaded is refused with ``CheckpointError``, and the code does not run.

Run as a script, this file is the worker's program (``python test_cluster_trust.py``).
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import socket
import subprocess
import sys
import zipfile

import numpy as onp
import pytest

HERE = os.path.abspath(__file__)
_MARK = "[trust] listening "


# -- the worker's program --------------------------------------------------------------
def _socket_inodes(pid):
    inodes = set()
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return inodes
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _listening():
    """``{inode: "address:port"}`` of every listening TCP socket of the machine."""
    out = {}
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            with open(table) as fh:
                rows = fh.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            f = row.split()
            if f[3] != "0A":  # TCP_LISTEN
                continue
            addr_hex, port_hex = f[1].split(":")
            raw = bytes.fromhex(addr_hex)
            # /proc prints each 32-bit word in host (little-endian) order
            raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
            family = socket.AF_INET if width == 8 else socket.AF_INET6
            out[f[9]] = f"{socket.inet_ntop(family, raw)}:{int(port_hex, 16)}"
    return out


def _job_pids():
    """The launcher's children: the scheduler, the servers and the workers."""
    launcher = os.environ["MINPY_DIST_LAUNCHER_PID"]
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as fh:
                status = fh.read()
        except OSError:
            continue
        ppid = next((ln.split()[1] for ln in status.splitlines()
                     if ln.startswith("PPid:")), None)
        if ppid == launcher:
            pids.append(int(entry))
    return pids


def _worker():
    from minpy.nn.distributed import DataParallel
    dp = DataParallel("dist_sync")
    dp.barrier()  # every node is up and has bound its ports
    listening = _listening()
    found = {}
    for pid in _job_pids():
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            role = "worker" if b"test_cluster_trust" in fh.read() else "node"
        for inode in _socket_inodes(pid):
            if inode in listening:
                found.setdefault(f"{role} {pid}", []).append(listening[inode])
    print(_MARK + json.dumps(found), flush=True)


# -- the tests ---------------------------------------------------------------------------
def _mxnet_or_skip():
    from minpy.core import _mxnet
    if not _mxnet.available():
        pytest.skip(f"MXNet's KVStore is needed: {_mxnet.unavailable_reason()}")


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="listening sockets are read from /proc (Linux)")
def test_default_job_listens_on_loopback_only(tmp_path):
    _mxnet_or_skip()
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env.pop("MINPY_DIST_FAULT_FILE", None)
    cmd = [sys.executable, "-m", "minpy.nn.launch", "-n", "1", "-s", "1", "--timeout",
           "90", HERE]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env, cwd=tmp_path, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0, out
    line = next((ln for ln in out.splitlines() if _MARK in ln), None)
    assert line is not None, out
    found = json.loads(line.split(_MARK, 1)[1])
    addresses = [a for socks in found.values() for a in socks]
    # the scheduler, the server and the worker each listen (ps-lite binds every node)
    assert len(found) == 3 and len(addresses) >= 3, found
    public = [a for a in addresses if not a.startswith(("127.", "::1:"))]
    assert not public, f"the job listens beyond loopback: {found}"


@pytest.mark.parametrize("address", ["8.8.8.8", "0.0.0.0", "2001:4860:4860::8888", "::"])
def test_public_address_refused_without_allow_public(address, tmp_path, capsys):
    from minpy.nn import launch
    hosts = tmp_path / "hosts.txt"
    hosts.write_text("node-a\n")
    status = launch.main(["-n", "1", "-H", str(hosts), "--root-uri", address,
                          "script.py"])
    err = capsys.readouterr().err
    assert status == 2, err
    assert "--allow-public" in err and "can join" in err, err
    assert launch.public_addresses(address)
    with pytest.raises(launch.PublicAddressError):
        launch.Job(["script.py"], 1, root_uri=address, hosts=["node-a"])
    launch.check_bind_address(address, allow_public=True)  # told: accepted


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "192.168.0.7", "172.16.5.4",
                                     "fd00::1", "::1", "localhost"])
def test_private_addresses_are_not_public(address):
    from minpy.nn import launch
    assert launch.public_addresses(address) == []
    launch.check_bind_address(address)


class _RunsCode:
    """A pickle that runs code when loaded: it creates a marker file."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.mark.parametrize("how", ["object member", "pickled file", "meta member"])
def test_checkpoint_never_unpickles(tmp_path, how):
    from minpy.nn import checkpoint
    marker = tmp_path / "code-ran"
    evil = tmp_path / "evil.npz"
    good = checkpoint.save(tmp_path / "good", {"param": {"w": onp.ones(3)}})
    if how == "object member":  # a real checkpoint with one member replaced
        with zipfile.ZipFile(good) as src, zipfile.ZipFile(evil, "w") as dst:
            for name in src.namelist():
                data = src.read(name)
                if name == "param/0.npy":
                    arr = onp.empty(1, dtype=object)
                    arr[0] = _RunsCode(str(marker))
                    path = tmp_path / "member.npy"
                    onp.save(path, arr, allow_pickle=True)
                    data = path.read_bytes()
                dst.writestr(name, data)
    elif how == "pickled file":
        evil.write_bytes(pickle.dumps(_RunsCode(str(marker))))
    else:
        arr = onp.empty(1, dtype=object)
        arr[0] = _RunsCode(str(marker))
        onp.savez(evil, __meta__=arr)
    with pytest.raises(checkpoint.CheckpointError):
        checkpoint.load(evil)
    assert not marker.exists(), "loading the checkpoint ran code from a pickle"
    # The same for the loaders built on it.
    from minpy.nn.model import ModelBase
    model = ModelBase()
    with pytest.raises(checkpoint.CheckpointError):
        model.load(str(evil))
    assert not marker.exists()


if __name__ == "__main__":
    _worker()
