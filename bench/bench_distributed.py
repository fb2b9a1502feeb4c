"""Data-parallel training on MXNet's KVStore: what a step of the 784-512-10 MLP costs.

Compared, per training step on the same total batch of 128 (float32):

one process     gradients (minpy.autograd) of the mean cross-entropy on 128 examples,
                then SGD on every parameter; the faster of OMP_NUM_THREADS=1 and =cores
dist_sync       2 workers x 64 examples, 1 server, all on this machine (127.0.0.1),
                started by minpy.nn.launch: gradients, pushpull of all four parameters
                in one call (the server sums), SGD on every worker
dist_sync/server  the same, SGD on the server (push gradients, pull weights)
dist_sync/2bit  the same as dist_sync with MXNet's 2-bit gradient compression

Each worker times every phase of every step (gradients, communication, update); the
figures are medians over the steps after a warm-up. ``transport`` is a pushpull of the
same 1.6 MB alone, both workers in lockstep, no compute: the cost of moving the bytes.
Bytes are per worker per step (push + pull); the server moves num_workers times that.

    python bench/bench_distributed.py [--json out.json] [--quick]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as onp

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import _harness as H  # noqa: E402

SIZES = (784, 512, 10)
TOTAL_BATCH = 128
LR = 0.05


def _model(seed=0):
    import minpy.numpy as np
    rng = onp.random.RandomState(seed)
    d, h, k = SIZES
    return {"w1": np.array((rng.randn(d, h) * 0.05).astype("float32")),
            "b1": np.zeros(h, dtype="float32"),
            "w2": np.array((rng.randn(h, k) * 0.05).astype("float32")),
            "b2": np.zeros(k, dtype="float32")}


def _data(n, seed):
    rng = onp.random.RandomState(seed)
    return rng.rand(n, SIZES[0]).astype("float32"), rng.randint(0, SIZES[2], n)


def _grad_fn():
    import minpy.numpy as np
    from minpy.autograd import grad
    from minpy.nn.layers import softmax_loss

    def loss(p, x, y):
        h = np.maximum(np.dot(x, p["w1"]) + p["b1"], 0)
        return softmax_loss(np.dot(h, p["w2"]) + p["b2"], y)

    return grad(loss)


def _sgd(params, grads):
    return {k: params[k] - LR * grads[k] for k in params}


def _median_ms(xs):
    return 1e3 * statistics.median(xs)


def _summary(times: dict) -> dict:
    """Per phase the min (the least-disturbed step, as the other benchmarks report) and
    the median, in ms; ``share``: the median over steps of comm / step."""
    out = {}
    for k, v in times.items():
        if v:
            out[f"{k}_ms"] = 1e3 * min(v)
            out[f"{k}_median_ms"] = _median_ms(v)
    if times.get("comm"):
        out["share"] = statistics.median(c / t for c, t in zip(times["comm"], times["step"]))
    return out


# -- one process ------------------------------------------------------------------------
def single_process(steps, warmup):
    import minpy.numpy as np
    params, g = _model(), _grad_fn()
    x, y = _data(TOTAL_BATCH, 1)
    x, y = np.array(x), np.array(y)
    grads_t, update_t, total_t = [], [], []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        grads = g(params, x, y)
        t1 = time.perf_counter()
        params = _sgd(params, grads)
        t2 = time.perf_counter()
        if i >= warmup:
            grads_t.append(t1 - t0)
            update_t.append(t2 - t1)
            total_t.append(t2 - t0)
    return _summary({"step": total_t, "grad": grads_t, "update": update_t})


# -- a worker of the distributed runs (this script, run by the launcher) ----------------
def worker(mode, out, steps, warmup):
    import minpy.numpy as np
    from minpy.nn.distributed import DataParallel
    steps, warmup = int(steps), int(warmup)
    server = mode == "server"
    dp = DataParallel("dist_sync",
                      server_optimizer=("sgd", {"learning_rate": LR}) if server else None,
                      compression={"type": "2bit", "threshold": 0.01}
                      if mode == "2bit" else None)
    params = dp.init_params(_model())
    g = _grad_fn()
    x, y = _data(TOTAL_BATCH // dp.num_workers, 10 + dp.rank)
    x, y = np.array(x), np.array(y)
    times = {"grad": [], "comm": [], "update": [], "step": []}
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        grads = g(params, x, y)
        t1 = time.perf_counter()
        if server:
            params = dp.step(grads)
            t2 = t3 = time.perf_counter()
        else:
            grads = dp.aggregate(grads)
            t2 = time.perf_counter()
            params = _sgd(params, grads)
            t3 = time.perf_counter()
        if i >= warmup:
            for k, v in (("grad", t1 - t0), ("comm", t2 - t1), ("update", t3 - t2),
                         ("step", t3 - t0)):
                times[k].append(v)
    bytes_per_step = (dp.bytes_pushed + dp.bytes_pulled) / (warmup + steps)
    transport = []
    if not server:  # the bytes alone: both workers in lockstep, nothing else
        zeros = {k: onp.zeros(v.shape, "float32") for k, v in params.items()}
        dp.barrier()
        for i in range(warmup + steps):
            t0 = time.perf_counter()
            dp.aggregate(zeros)
            if i >= warmup:
                transport.append(time.perf_counter() - t0)
    times["transport"] = transport
    mine = _summary(times)
    every = None
    if not dp.compression:  # MXNet would compress the gathered values too
        dp.check_identical(params)
        every = dp.allgather([mine["step_ms"], mine["comm_ms"], mine["grad_ms"]]).tolist()
    if dp.rank == 0:
        doc = dict(mine)
        doc.update(num_workers=dp.num_workers, bytes_per_step=bytes_per_step,
                   workers_min_step_comm_grad_ms=every)
        with open(out, "w") as fh:
            json.dump(doc, fh)


def distributed(mode, steps, warmup, timeout=300):
    out = tempfile.mktemp(suffix=".json", prefix=f"bench-dist-{mode}-")
    cmd = [sys.executable, "-m", "minpy.nn.launch", "-n", "2", "-s", "1", "--timeout",
           str(timeout), os.path.abspath(__file__), "--worker", mode, out, str(steps),
           str(warmup)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout + 30)
    wall = time.perf_counter() - t0
    if proc.returncode != 0 or not os.path.exists(out):
        raise RuntimeError(f"the {mode} job failed ({proc.returncode}):\n{proc.stdout}")
    with open(out) as fh:
        doc = json.load(fh)
    os.remove(out)
    doc["job_wall_s"] = wall
    return doc


def single_process_with_threads(threads, steps, warmup):
    """:func:`single_process` in a fresh process with ``OMP_NUM_THREADS=threads`` (read
    by BLAS and MXNet when they load)."""
    out = tempfile.mktemp(suffix=".json", prefix="bench-dist-single-")
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    subprocess.run([sys.executable, os.path.abspath(__file__), "--single", out, str(steps),
                    str(warmup)], env=env, check=True, timeout=600)
    with open(out) as fh:
        doc = json.load(fh)
    os.remove(out)
    doc["omp_num_threads"] = threads
    return doc


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        return worker(*sys.argv[2:])
    if len(sys.argv) > 1 and sys.argv[1] == "--single":
        out, steps, warmup = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        with open(out, "w") as fh:
            json.dump(single_process(steps, warmup), fh)
        return 0
    p = H.parser(__doc__.split("\n")[0])
    args = p.parse_args()
    started = time.perf_counter()
    steps, warmup = (5, 2) if args.quick else (40, 5)
    info = H.machine()
    # The best one-process configuration is the reference: all cores for BLAS, or one
    # (on a busy machine spinning BLAS/OpenMP threads can cost more than they bring).
    singles = [single_process_with_threads(t, steps, warmup)
               for t in sorted({1, os.cpu_count() or 1})]
    single = min(singles, key=lambda d: d["step_ms"])
    runs = {mode: distributed(mode, steps, warmup) for mode in ("workers", "server", "2bit")}
    rows = []
    sec = "step: 2 workers x 64 vs one process x 128"
    for mode, label in (("workers", "dist_sync (SGD on workers)"),
                        ("server", "dist_sync/server (SGD on the server)"),
                        ("2bit", "dist_sync/2bit compression")):
        r = runs[mode]
        rows.append(H.Row(sec, label, r["step_ms"] * 1e3, single["step_ms"] * 1e3,
                          ref="one process", note=f"min grad {r['grad_ms']:.1f} ms, comm "
                          f"{r['comm_ms']:.1f} ms (one process: grad "
                          f"{single['grad_ms']:.1f} ms); medians: step "
                          f"{r['step_median_ms']:.1f} ms vs {single['step_median_ms']:.1f} ms"))
    sec2 = "communication share of the step (median over steps)"
    for mode in ("workers", "server", "2bit"):
        r = runs[mode]
        rows.append(H.Row(sec2, f"{mode}: pushpull / step", None, None, ref="dist step",
                          ratio=r["share"],
                          note=f"{r['bytes_per_step'] / 1e6:.2f} MB per worker per step "
                          "(push + pull, before compression)"))
    w = runs["workers"]
    rows.append(H.Row("transport", "pushpull alone (no compute, lockstep)",
                      w["transport_ms"] * 1e3, None, ref="-",
                      note=f"{w['bytes_per_step'] / 1e6:.2f} MB in "
                      f"{w['transport_ms']:.2f} ms (min; median "
                      f"{w['transport_median_ms']:.2f} ms) = "
                      f"{w['bytes_per_step'] / w['transport_ms'] / 1e6:.2f} GB/s per worker"))
    return H.report("distributed", rows, info, args,
                    extra={"single": single, "single_by_threads": singles,
                           "distributed": runs,
                           "model": "784-512-10 MLP float32", "total_batch": TOTAL_BATCH},
                    started=started)


if __name__ == "__main__":
    sys.exit(main())
