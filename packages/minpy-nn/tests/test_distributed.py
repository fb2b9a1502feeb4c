"""Data-parallel training on MXNet's KVStore, on 127.0.0.1 only.

Each test starts its processes through ``python -m minpy.nn.launch`` (or by hand for the
misconfiguration cases) in a new session, bounds them in time (the launcher's
``--timeout`` and the test's own), and kills the whole session in ``finally``. Run as a
script, this file is the workers' program: ``python test_distributed.py MODE OUTDIR``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import numpy as onp
import pytest

HERE = os.path.abspath(__file__)
pytest.importorskip("sklearn", reason="the workers train on scikit-learn's digits")
if __name__ != "__main__":
    from minpy.core import _mxnet
    if not _mxnet.available():  # under nox, test_mxnet_shim fails instead
        pytest.skip(f"MXNet's KVStore is needed: {_mxnet.unavailable_reason()}",
                    allow_module_level=True)

STEPS = 6          # synchronous steps compared with one process
BATCH = 16         # per worker
HIDDEN = 16
LR, MOMENTUM = 0.2, 0.9
RESUME_EPOCHS = 4  # the resume test: runs of this many epochs, resumed after epoch 2


# ---------------------------------------------------------------------------------------
# The model: a digits MLP in minpy.numpy, shared by the workers and the reference.
def _digits():
    from sklearn.datasets import load_digits
    d = load_digits()
    x = (d.data / 16.0).astype("float32")
    y = d.target.astype("int64")
    order = onp.random.RandomState(0).permutation(len(x))
    x, y = x[order], y[order]
    n_test = 360
    return x[n_test:], y[n_test:], x[:n_test], y[:n_test]


def _init(seed, hidden=HIDDEN):
    rng = onp.random.RandomState(seed)
    return {"w1": (rng.randn(64, hidden) * 0.1).astype("float32"),
            "b1": onp.zeros(hidden, "float32"),
            "w2": (rng.randn(hidden, 10) * 0.1).astype("float32"),
            "b2": onp.zeros(10, "float32")}


def _forward(p, x):
    import minpy.numpy as np
    h = np.maximum(np.dot(x, p["w1"]) + p["b1"], 0)
    return np.dot(h, p["w2"]) + p["b2"]


def _loss(p, x, y):
    from minpy.nn.layers import softmax_loss
    return softmax_loss(_forward(p, x), y)


def _grads(p, x, y):
    from minpy.autograd import grad
    return grad(_loss)(p, x, y)


def _correct(p, x, y):
    return int(onp.sum(onp.argmax(onp.asarray(_forward(p, x)), axis=1) == y))


def _worker_batches(x, y, rank, num_workers, steps, batch):
    from minpy.nn.distributed import shard
    xs, ys = shard(x, y, rank=rank, num_workers=num_workers)
    return [(xs[i * batch:(i + 1) * batch], ys[i * batch:(i + 1) * batch])
            for i in range(steps)]


def _sgd_momentum(params, grads, configs):
    from minpy.nn import optim
    for k in sorted(params):
        params[k], configs[k] = optim.sgd_momentum(params[k], grads[k], configs[k])
    return params


# ---------------------------------------------------------------------------------------
# The workers' program.
def _worker(mode, outdir, *args):
    from minpy.nn import checkpoint
    from minpy.nn.distributed import DataParallel
    x, y, xt, yt = _digits()
    if mode in ("sync", "sync_server"):
        server = mode == "sync_server"
        dp = DataParallel("dist_sync", server_optimizer=(
            ("sgd_momentum", {"learning_rate": LR, "momentum": MOMENTUM}) if server else None))
        # Different seeds per worker: init_params must hand everyone rank 0's values.
        params = dp.init_params(_init(100 + dp.rank))
        configs = {k: {"learning_rate": LR, "momentum": MOMENTUM} for k in params}
        for xb, yb in _worker_batches(x, y, dp.rank, dp.num_workers, STEPS, BATCH):
            grads = _grads(params, xb, yb)
            if server:
                params = dp.step(grads)
            else:
                params = _sgd_momentum(params, dp.aggregate(grads), configs)
        dp.check_identical(params)
        # init_params again (a second Solver.train): rank 0's values, or the servers'.
        again = dp.init_params({k: onp.full(v.shape, dp.rank + 1.0, "float32")
                                for k, v in params.items()})
        for k, v in again.items():
            expected = params[k] if server else onp.ones(v.shape, "float32")
            onp.testing.assert_array_equal(onp.asarray(v), onp.asarray(expected))
        if dp.is_chief:
            checkpoint.save(os.path.join(outdir, "params.npz"), {"param": params})
        acc = dp.accuracy(*_count(params, dp.shard(xt, yt, pad=False)))
        if dp.is_chief:
            with open(os.path.join(outdir, "result.json"), "w") as fh:
                json.dump({"accuracy": acc, "num_workers": dp.num_workers,
                           "bytes": dp.bytes_pushed + dp.bytes_pulled}, fh)
    elif mode == "async":
        dp = DataParallel("dist_async", server_optimizer=("sgd", {"learning_rate": 0.2}))
        params = dp.init_params(_init(7, hidden=64))
        xs, ys = dp.shard(x, y)
        rng = onp.random.RandomState(dp.rank)
        for _ in range(int(args[0])):
            order = rng.permutation(len(xs))
            for i in range(0, len(xs) - 31, 32):
                idx = order[i:i + 32]
                params = dp.step(_grads(params, xs[idx], ys[idx]))
        dp.barrier()  # every worker's last push has been applied: read the final weights
        params = dp.pull_params(params)
        acc = dp.accuracy(*_count(params, dp.shard(xt, yt, pad=False)))
        if dp.is_chief:
            with open(os.path.join(outdir, "result.json"), "w") as fh:
                json.dump({"accuracy": acc}, fh)
    elif mode == "forever":  # trains until killed (fault tests)
        dp = DataParallel("dist_sync")
        params = dp.init_params(_init(1))
        configs = {k: {"learning_rate": 0.01} for k in params}
        step = 0
        while True:
            xb, yb = x[:BATCH], y[:BATCH]
            params = _sgd_momentum(params, dp.aggregate(_grads(params, xb, yb)), configs)
            step += 1
            if step % 5 == 0:
                print(f"step {step}", flush=True)
            time.sleep(0.02)
    elif mode == "resume":
        # float64 values through the store, exactly; then every rule: a run, and a run
        # resumed from its checkpoint
        import pickle

        import minpy.numpy as np
        import test_resume
        dp = DataParallel("dist_sync")
        x = onp.array([0.1, 1 / 3, onp.pi, -1e-300, 1e300])
        got = {"init": dp.init_params({"w": x})["w"],
               "aggregate": dp.aggregate({"w": x * (dp.rank + 1)})["w"],
               "init again": dp.init_params({"w": x / 7})["w"]}
        want = {"init": x, "aggregate": x * 1.5, "init again": x / 7}
        bad = {k: (onp.asarray(v) - want[k]).tolist() for k, v in got.items()
               if not onp.array_equal(onp.asarray(v), want[k])}
        with open(os.path.join(outdir, f"float64-{dp.rank}.json"), "w") as fh:
            json.dump(bad, fh)
        data = _digits()
        for rule in test_resume.RULES:
            directory = os.path.join(outdir, rule)
            for run in ("full", "resumed"):
                onp.random.seed(99)
                np.random.seed(0 if run == "full" else 99)
                solver = test_resume.make_solver(
                    data, rule, epochs=RESUME_EPOCHS, kvstore=dp, **(
                        {"checkpoint_dir": directory, "checkpoint_every": 1}
                        if run == "full" else
                        {"resume_from": os.path.join(directory, "epoch_0002.npz")}))
                assert solver.epoch == (0 if run == "full" else 2)
                solver.train()
                with open(os.path.join(outdir, f"{rule}-{run}-{dp.rank}.pkl"), "wb") as fh:
                    pickle.dump(test_resume.state(solver), fh)
                dp.barrier()  # rank 0's checkpoints are written before anyone reads them
    elif mode == "connect":  # only connects
        DataParallel("dist_sync")
    else:
        raise SystemExit(f"unknown mode {mode}")


def _count(params, data):
    xs, ys = data
    return _correct(params, xs, ys), len(ys)


# ---------------------------------------------------------------------------------------
# Running jobs with bounded time and guaranteed cleanup.
def _env():
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    env.pop("MINPY_DIST_FAULT_FILE", None)
    return env


class _Job:
    """A launcher (or any command) in its own session; killed with all it started."""

    def __init__(self, cmd, tmp_path, env=None):
        self.log = open(tmp_path / "output.log", "w+")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     env=env or _env(), start_new_session=True,
                                     cwd=os.path.dirname(HERE))
        self.started = time.monotonic()

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        with open(self.log.name) as fh:
            return fh.read()

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"did not end within {timeout} s; output:\n{self.output()}")

    def wait_for(self, pattern, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            found = re.findall(pattern, self.output())
            if found:
                return found
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        pytest.fail(f"{pattern!r} not seen within {timeout} s; output:\n{self.output()}")

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        self.log.close()


def _launch(tmp_path, mode, *args, workers=2, servers=1, timeout=90, launcher=()):
    cmd = [sys.executable, "-m", "minpy.nn.launch", "-n", str(workers), "-s", str(servers),
           "--timeout", str(timeout), *launcher, HERE, mode, str(tmp_path), *map(str, args)]
    return _Job(cmd, tmp_path)


@pytest.fixture
def job_factory():
    jobs = []

    def make(*args, **kwargs):
        job = _launch(*args, **kwargs)
        jobs.append(job)
        return job

    yield make
    for job in jobs:
        job.kill()


def _reference(steps=STEPS, num_workers=2):
    """One process, batches of num_workers * BATCH made of the workers' batches."""
    x, y, _, _ = _digits()
    per_worker = [_worker_batches(x, y, r, num_workers, steps, BATCH)
                  for r in range(num_workers)]
    params = {k: onp.asarray(v) for k, v in _init(100).items()}
    import minpy.numpy as np
    params = {k: np.array(v) for k, v in params.items()}
    configs = {k: {"learning_rate": LR, "momentum": MOMENTUM} for k in params}
    for i in range(steps):
        xb = onp.concatenate([per_worker[r][i][0] for r in range(num_workers)])
        yb = onp.concatenate([per_worker[r][i][1] for r in range(num_workers)])
        params = _sgd_momentum(params, _grads(params, xb, yb), configs)
    return {k: onp.asarray(v) for k, v in params.items()}


# ---------------------------------------------------------------------------------------
# Tests.
@pytest.mark.parametrize("mode", ["sync", "sync_server"])
def test_dist_sync_equals_one_process_on_concatenated_batches(tmp_path, job_factory, mode):
    from minpy.nn import checkpoint
    job = job_factory(tmp_path, mode)
    assert job.wait(120) == 0, job.output()
    out = job.output()
    assert "[worker 0]" in out and "[worker 1]" in out, out
    dist = checkpoint.load(str(tmp_path / "params.npz"))["groups"]["param"]
    ref = _reference()
    for k in ref:
        onp.testing.assert_allclose(onp.asarray(dist[k]), ref[k], rtol=2e-5, atol=2e-6,
                                    err_msg=k)
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["num_workers"] == 2
    # The gathered accuracy is the accuracy on the whole test set.
    _, _, xt, yt = _digits()
    import minpy.numpy as np
    ref_params = {k: np.array(v) for k, v in ref.items()}
    assert result["accuracy"] == pytest.approx(_correct(ref_params, xt, yt) / len(yt),
                                               abs=1.5 / len(yt))


def _example():
    """examples/distributed_mlp.py of this checkout."""
    import importlib.util
    path = os.path.join(os.path.dirname(HERE), "..", "..", "..", "examples",
                        "distributed_mlp.py")
    if not os.path.exists(path):
        pytest.skip("examples/distributed_mlp.py is not in this tree")
    spec = importlib.util.spec_from_file_location("distributed_mlp", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return os.path.abspath(path), module


def test_example_resumes_checkpoints_both_ways(tmp_path):
    """examples/distributed_mlp.py under the launcher: it resumes one process's
    checkpoint, and its checkpoint resumes on one process."""
    from minpy.nn import checkpoint
    from minpy.nn.solver import Solver
    path, example = _example()
    onp.random.seed(3)
    single = example.make_solver(None, epochs=1, checkpoint_dir=str(tmp_path / "one"),
                                 progress=False, verbose=False)
    assert type(single) is Solver
    single.train()
    first = str(tmp_path / "one" / "epoch_0001.npz")
    job = _Job([sys.executable, "-m", "minpy.nn.launch", "-n", "2", "-s", "1", "--timeout",
                "100", path, "--epochs", "2", "--resume", first, "--checkpoint-dir",
                str(tmp_path)], tmp_path)
    try:
        status = job.wait(120)
    finally:
        job.kill()
    out = job.output()
    assert status == 0, out
    found = re.search(r"\[worker 0\] 2 workers \(dist_sync\): test accuracy ([\d.]+)% "
                      r"after epoch 2", out)
    assert found and float(found[1]) >= 85, out
    assert "[worker 1] (Epoch" not in out  # only rank 0 prints progress
    dist_ckpt = str(tmp_path / "epoch_0002.npz")
    assert not os.path.exists(tmp_path / "epoch_0001.npz")  # resumed after epoch 1
    saved = checkpoint.load(dist_ckpt)
    assert saved["state"]["epoch"] == 2
    assert saved["state"]["train_acc_history"][0] == single.train_acc_history[0]
    again = example.make_solver(None, epochs=3, resume_from=dist_ckpt, progress=False,
                                verbose=False)
    assert again.epoch == 2
    for k, v in saved["groups"]["param"].items():
        onp.testing.assert_array_equal(onp.asarray(again.model.params[k]), onp.asarray(v))
    again.train()
    assert again.epoch == 3 and len(again.val_acc_history) == 3
    assert max(again.val_acc_history) >= 0.9, again.val_acc_history


def test_dist_async_trains_digits_mlp_started_through_ssh(tmp_path, job_factory):
    # The launcher's --hostfile mode, with an "ssh" that runs the command right here.
    job = job_factory(tmp_path, "async", 6, launcher=_fake_ssh(tmp_path))
    assert job.wait(120) == 0, job.output()
    acc = json.loads((tmp_path / "result.json").read_text())["accuracy"]
    assert acc >= 0.90, acc


@pytest.fixture(scope="module")
def resume_job(tmp_path_factory):
    """One job for the two tests below: the float64 exchanges, then every update rule's
    run and resumed run. The heap of every process is made to hand out non-zero bytes
    (glibc's malloc perturbation), which is what MXNet's server flag met in some runs."""
    tmp_path = tmp_path_factory.mktemp("resume")
    job = _launch(tmp_path, "resume", timeout=150, launcher=(
        "--env", "GLIBC_TUNABLES=glibc.malloc.perturb=1:glibc.malloc.tcache_count=0"))
    try:
        status = job.wait(170)
    finally:
        job.kill()
    return tmp_path, status, job.output()


def test_float64_values_travel_exactly(resume_job):
    """MXNet 1.9.1's parameter server leaves a flag uninitialised that, when the heap
    hands it a non-zero byte, keeps every non-float32 key in a float32 copy: float64
    parameters and gradients were rounded in some runs and not in others (a resumed
    run then differed from the uninterrupted one). The servers MinPy starts keep
    float64 exactly, whatever their heap held."""
    tmp_path, status, output = resume_job
    for rank in (0, 1):
        path = tmp_path / f"float64-{rank}.json"
        assert path.exists(), output
        assert json.loads(path.read_text()) == {}, rank


def test_dist_sync_resume_is_bit_for_bit_with_every_rule(resume_job):
    """Two workers train with each update rule (restore_best, early stopping, a schedule:
    test_resume.py's runs), then resume from the epoch-2 checkpoint: every worker ends
    in exactly the state of its uninterrupted run, and both workers in the same one
    (histories and batch-norm statistics are averaged over the workers)."""
    import pickle

    from test_resume import RULES, assert_same
    tmp_path, status, output = resume_job
    assert status == 0, output

    def load(rule, run, rank):
        with open(tmp_path / f"{rule}-{run}-{rank}.pkl", "rb") as fh:
            return pickle.load(fh)

    for rule in RULES:
        full = load(rule, "full", 0)
        assert full["epoch"] >= 3 and len(full["val_acc_history"]) == full["epoch"], rule
        for rank in (0, 1):
            assert_same(load(rule, "resumed", rank), full, f"{rule} rank {rank}")
            if rank:
                assert_same(load(rule, "full", rank), full, f"{rule} rank {rank}")


def _gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _job_processes(port):
    """Live processes (not zombies) whose environment names the scheduler's port."""
    found = []
    marker = f"DMLC_PS_ROOT_PORT={port}".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as fh:
                if marker not in fh.read().split(b"\0"):
                    continue
            with open(f"/proc/{entry}/stat") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
        except OSError:
            continue
        found.append(int(entry))
    return found


def _no_process_left(port, within=10.0):
    end = time.monotonic() + within
    while _job_processes(port) and time.monotonic() < end:
        time.sleep(0.2)
    return not _job_processes(port)


def _fake_ssh(tmp_path):
    """The launcher's --hostfile options with an "ssh" that runs the command here."""
    fake_ssh = tmp_path / "fake-ssh"
    fake_ssh.write_text('#!/bin/sh\n# fake-ssh HOST COMMAND: run COMMAND here\nshift\n'
                        'exec /bin/sh -c "$1"\n')
    fake_ssh.chmod(0o755)
    hosts = tmp_path / "hosts.txt"
    hosts.write_text("# two machines\nnode-a\nnode-b slots=1\n")
    return ("--hostfile", str(hosts), "--ssh", str(fake_ssh), "--root-uri", "127.0.0.1",
            "--env", "DMLC_NODE_HOST=127.0.0.1")


@pytest.mark.parametrize("victim", ["worker", "server", "ssh-server", "ctrl-c"])
def test_lost_peer_stops_everyone_with_its_name(tmp_path, job_factory, victim):
    # ssh-server: the server's ssh connection dies (the remote server lives on); the
    # launcher's news reach the remote processes on their standard input.
    job = job_factory(tmp_path, "forever", timeout=110,
                      launcher=_fake_ssh(tmp_path) if victim == "ssh-server" else ())
    job.wait_for(r"\[worker \d\] step 10", 90)
    pids = dict(re.findall(r"(scheduler|worker #\d|server 0) pid (\d+)", job.output()))
    if victim == "ctrl-c":
        pid = job.proc.pid
        os.kill(pid, signal.SIGINT)
    else:
        pid = int(pids["worker #1" if victim == "worker" else "server 0"])
        victim = "server" if victim == "ssh-server" else victim
        os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()
    status = job.wait(60)
    assert time.monotonic() - killed_at < 60
    out = job.output()
    assert status != 0, out
    # Every process the launcher started is gone when it returns, and no process of
    # the job (an ssh session's orphan included) outlives it by more than a moment.
    assert all(_gone(int(p)) for p in pids.values()), (pids, out)
    port = re.search(r"scheduler at 127\.0\.0\.1:(\d+)", out)[1]
    assert _no_process_left(port), (_job_processes(port), out)
    if victim == "ctrl-c":
        assert status == 130, out
        assert "[launch] interrupted by SIGINT; stopping every process" in out, out
        return
    if victim == "worker":
        found = re.search(rf"worker rank (\d), launched as #1 \(pid {pid}\) was killed by "
                          "SIGKILL", out)
        assert found, out
        name, survivor = f"worker rank {found[1]}", f"worker rank {1 - int(found[1])}"
    else:
        assert re.search(rf"server 0 \(pid {pid}( on node-a)?\) was killed by SIGKILL", out), out
        name, survivor = "server 0", "worker rank 0"
    # The survivors say whom they lost, and so does the scheduler.
    assert re.search(rf"\[{survivor}\] lost peer: {name}", out), out
    assert re.search(rf"\[scheduler pid \d+\] lost peer: {name}", out), out


def test_port_in_use_is_a_clear_error(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        job = _Job([sys.executable, "-m", "minpy.nn.launch", "-n", "1", "--port", str(port),
                    HERE, "connect", str(tmp_path)], tmp_path)
        try:
            status = job.wait(60)
        finally:
            job.kill()
    assert status == 2
    assert f"port {port} on 127.0.0.1 is already in use" in job.output()


def test_wrong_number_of_workers_is_a_clear_error(tmp_path, job_factory):
    # The scheduler is told of two workers; one starts.
    job = job_factory(tmp_path, "connect", workers=1, launcher=(
        "--connect-timeout", "5", "--env", "DMLC_NUM_WORKER=2"))
    status = job.wait(90)
    out = job.output()
    assert status != 0, out
    assert "did not come up within 5 s" in out and "DMLC_NUM_WORKER=2 workers" in out, out


def test_scheduler_never_up_is_a_clear_error(tmp_path):
    from minpy.nn.launch import free_port
    port = free_port()
    env = _env()
    env.update(DMLC_ROLE="worker", DMLC_PS_ROOT_URI="127.0.0.1", DMLC_PS_ROOT_PORT=str(port),
               DMLC_NUM_WORKER="1", DMLC_NUM_SERVER="1", DMLC_NODE_HOST="127.0.0.1",
               MINPY_DIST_CONNECT_TIMEOUT="4")
    job = _Job([sys.executable, HERE, "connect", str(tmp_path)], tmp_path, env=env)
    try:
        status = job.wait(60)
    finally:
        job.kill()
    from minpy.nn.distributed import EXIT_TIMEOUT
    assert status == EXIT_TIMEOUT, job.output()
    assert f"no scheduler is listening at 127.0.0.1:{port}" in job.output()


def test_dist_env_missing_is_a_clear_error(monkeypatch):
    from minpy.nn.distributed import ClusterError, DataParallel
    for k in ("DMLC_ROLE", "DMLC_PS_ROOT_URI", "DMLC_PS_ROOT_PORT", "DMLC_NUM_SERVER",
              "DMLC_NUM_WORKER"):
        monkeypatch.delenv(k, raising=False)
    with pytest.raises(ClusterError, match="DMLC_PS_ROOT_URI.*minpy.nn.launch"):
        DataParallel("dist_sync")
    with pytest.raises(ValueError, match="server_optimizer"):
        DataParallel("dist_async")


@pytest.mark.parametrize("kvstore", ["local", "device"])
def test_one_process_kvstores(kvstore):
    from minpy.nn.distributed import DataParallel
    dp = DataParallel(kvstore)
    assert (dp.rank, dp.num_workers) == (0, 1)
    p = dp.init_params({"w": onp.ones((3, 2), "float32")})
    g = dp.aggregate({"w": onp.full((3, 2), 2.0, "float32")})
    onp.testing.assert_array_equal(onp.asarray(g["w"]), 2.0)
    assert dp.accuracy(3, 4) == 0.75
    dp.check_identical(p)
    dp2 = DataParallel(kvstore, server_optimizer=("sgd", {"learning_rate": 0.5}))
    dp2.init_params({"w": onp.ones(3, "float32")})
    onp.testing.assert_allclose(onp.asarray(dp2.step({"w": onp.ones(3, "float32")})["w"]),
                                0.5)


def test_shard_gives_equal_shares():
    from minpy.nn.distributed import ShardedIter, shard
    x = onp.arange(10)
    parts = [shard(x, rank=r, num_workers=3) for r in range(3)]
    assert [len(p) for p in parts] == [4, 4, 4]
    assert sorted(set(onp.concatenate(parts))) == list(range(10))
    assert [len(shard(x, rank=r, num_workers=3, pad=False)) for r in range(3)] == [3, 3, 3]
    batches = list(range(7))
    assert list(ShardedIter(batches, 1, 3)) == [1, 4]
    with pytest.raises(ValueError):
        shard(x, rank=3, num_workers=3)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(HERE))
    _worker(*sys.argv[1:])
