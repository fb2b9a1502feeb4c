"""Benchmark of MXNet's threading under MinPy: small ops on a busy machine, large ones on
a quiet one (issue "First contact", part 2).

MinPy lets MXNet's OpenMP teams use every core but makes their threads wait passively
(``OMP_WAIT_POLICY=passive``, set only while MXNet loads; see docs/devices.rst). Each
configuration runs in a fresh child process, since OpenMP and MXNet read their settings
once, when they load:

* ``minpy``: MinPy's own settings (nothing set by the caller);
* ``spinning``: the former settings, ``OMP_NUM_THREADS`` = cores with OpenMP's default
  (spinning) waits, given through the environment (MinPy keeps what the user sets).

Rows
  tiny busy/quiet   one "tiny step" (``np.sum(x, axis=1)`` on 50x3, ``np.add`` and
                    ``np.exp`` on 10 float32, MXNet-resident, 'prefer_mxnet') with one
                    process spinning on a core / without it; rounds alternate quiet and
                    busy, the minimum of each is kept. Target <= 1.5 for MinPy's settings.
  tiny quiet        MinPy's settings vs the spinning ones, quiet machine (what passive
                    waits cost when nothing competes): reported.
  matmul 2048       ``np.matmul`` of 2048x2048 float32 on MXNet ('prefer_mxnet') vs NumPy's
                    own matmul, quiet: <= 1.05.

Run ``python bench/bench_threads.py [--json PATH] [--quick]``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness as H  # noqa: E402

CONFIGS = {
    "minpy": {},
    "spinning": {"OMP_NUM_THREADS": str(os.cpu_count() or 1), "OMP_WAIT_POLICY": "active"},
}
# The variables the configurations differ in: the parent's own values must not leak in.
CONTROLLED = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "MXNET_OMP_MAX_THREADS",
              "MXNET_ENGINE_TYPE")


def _spinner():
    """A process that keeps one core busy until killed."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def child(quick: bool) -> dict:
    """Measure in this process (its MXNet loaded with the settings under test)."""
    import numpy as onp

    import minpy.numpy as np
    from minpy.core import _mxnet

    _mxnet.require()
    with np.policy("prefer_mxnet"):
        x = np.ones((50, 3), dtype="float32") + 1  # MXNet results: no host copies
        a = np.ones(10, dtype="float32") + 1

    def step():
        np.sum(x, axis=1)
        np.add(a, a)
        np.exp(a)

    def sample(n=200):
        with np.policy("prefer_mxnet"):
            t0 = time.perf_counter()
            for _ in range(n):
                step()
            return (time.perf_counter() - t0) / n * 1e6

    sample(50)  # warm-up: plans, first-call checks
    rounds = 2 if quick else 6
    quiet, busy = [], []
    for _ in range(rounds):
        quiet.append(min(sample() for _ in range(3)))
        spin = _spinner()
        try:
            time.sleep(0.2)  # let the scheduler see it
            busy.append(min(sample() for _ in range(3)))
        finally:
            spin.kill()
            spin.wait()
    out = {"tiny_quiet_us": min(quiet), "tiny_busy_us": min(busy),
           "tiny_busy_median_us": sorted(busy)[len(busy) // 2]}

    n = 512 if quick else 2048
    with np.policy("prefer_mxnet"):
        ma = np.ones((n, n), dtype="float32") + 1
        mb = np.ones((n, n), dtype="float32") + 1
    ha, hb = onp.full((n, n), 2, onp.float32), onp.full((n, n), 2, onp.float32)
    timer = H.Timer(budget_s=1 if quick else 6, sample_s=0, min_repeat=3, max_repeat=12)

    t_m, t_n = timer.compare(H.Variant(lambda: np.matmul(ma, mb),
                                       lambda: np.policy("prefer_mxnet")),
                             lambda: onp.matmul(ha, hb))
    out.update(matmul_n=n, matmul_mxnet_us=t_m * 1e6, matmul_numpy_us=t_n * 1e6)
    return out


def run_child(config: str, quick: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in CONTROLLED}
    env.update(CONFIGS[config])
    cmd = [sys.executable, os.path.abspath(__file__), "--child"] + (["--quick"] if quick else [])
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise RuntimeError(f"{config}: child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    p = H.parser(__doc__.splitlines()[0])
    p.add_argument("--child", action="store_true", help=H.argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(child(args.quick)))
        return 0
    started = time.perf_counter()
    info = H.machine()
    res = {c: run_child(c, args.quick) for c in CONFIGS}
    m, s = res["minpy"], res["spinning"]
    rows = [
        H.Row("tiny", "tiny step busy/quiet (MinPy settings)", m["tiny_busy_us"],
              m["tiny_quiet_us"], ref="same, quiet", target=1.5,
              note=f"busy median {m['tiny_busy_median_us']:.1f} us"),
        H.Row("tiny", "tiny step busy/quiet (spinning waits)", s["tiny_busy_us"],
              s["tiny_quiet_us"], ref="same, quiet",
              note=f"busy median {s['tiny_busy_median_us']:.1f} us"),
        H.Row("tiny", "tiny step quiet: MinPy vs spinning", m["tiny_quiet_us"],
              s["tiny_quiet_us"], ref="spinning waits"),
        H.Row("tiny", "tiny step busy: MinPy vs spinning", m["tiny_busy_us"],
              s["tiny_busy_us"], ref="spinning waits"),
        H.Row("matmul", f"matmul {m['matmul_n']} prefer_mxnet vs NumPy", m["matmul_mxnet_us"],
              m["matmul_numpy_us"], ref="numpy.matmul", target=1.05),
        H.Row("matmul", f"matmul {s['matmul_n']} (spinning) vs NumPy", s["matmul_mxnet_us"],
              s["matmul_numpy_us"], ref="numpy.matmul"),
    ]
    return H.report("minpy-threads", rows, info, args, extra={"children": res},
                    started=started)


if __name__ == "__main__":
    sys.exit(main())
