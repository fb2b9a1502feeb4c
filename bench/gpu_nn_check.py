"""minpy.nn's convolution path on gpu(0): forward and gradient, checked and timed.

Runs ``conv2d``, ``max_pool`` and ``avg_pool`` (``implementation='auto'``) and the
gradient of a small conv-pool loss on device-resident inputs on ``gpu(0)``, and records
for each: which implementation ran (MinPy's op statistics: CuPy, MXNet or NumPy),
the copies it made between host, MXNet and the GPU (``transfer.stats()``), the time per
call, and the largest difference from the same computation on the CPU (NumPy, im2col).
A difference above tolerance is a failure (exit status 1); which backend ran is a
finding, reported as it is. The JSON is written after every case, so a timeout still
leaves what was measured.

``python bench/gpu_nn_check.py --json out.json [--quick]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import traceback

import numpy as onp


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", required=True)
    ap.add_argument("--quick", action="store_true", help="smaller batch, fewer repeats")
    args = ap.parse_args(argv)

    import cupy as cp

    import minpy.numpy as np
    from minpy import core
    from minpy.autograd import grad
    from minpy.core import transfer
    from minpy.nn.layers import avg_pool, conv2d, max_pool

    dev = core.gpu(0)
    info = core.backend_info(dev)
    standin = bool(getattr(cp, "__standin__", False))
    result = {"device": repr(dev), "backend": info["backend"], "reason": info["reason"],
              "mxnet": core.mxnet_available(), "standin": standin, "cases": []}
    print(f"gpu(0): {info['backend']} ({info['reason']})"
          + ("; CuPy STAND-IN: NumPy on the host, NOT a GPU" if standin else ""),
          flush=True)

    def write():
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=1, default=str)

    n = 8 if args.quick else 32
    reps = 3 if args.quick else 10
    rng = onp.random.default_rng(0)
    hx = rng.standard_normal((n, 3, 32, 32)).astype(onp.float32)
    hw = (rng.standard_normal((16, 3, 3, 3)) * 0.2).astype(onp.float32)
    hb = rng.standard_normal(16).astype(onp.float32)

    def on_gpu(h):
        return core.from_dlpack(cp.asarray(h))

    def loss(x, w, b, impl):
        return np.sum(max_pool(conv2d(x, w, b, pad=1, implementation=impl), (2, 2),
                               implementation=impl) ** 2)

    cases = {
        "conv2d": lambda x, w, b, impl="auto": conv2d(x, w, b, pad=1, implementation=impl),
        "max_pool": lambda x, w, b, impl="auto": max_pool(x, (2, 2), implementation=impl),
        "avg_pool": lambda x, w, b, impl="auto": avg_pool(x, (2, 2), implementation=impl),
        "grad conv-pool loss (w)": lambda x, w, b, impl="auto": grad(
            lambda w_: loss(x, w_, b, impl))(w),
    }
    failed = False
    for name, fn in cases.items():
        case = {"case": name}
        result["cases"].append(case)
        try:
            with core.device(core.cpu()):
                ref = fn(np.array(hx), np.array(hw), np.array(hb), "im2col").asnumpy()
            x, w, b = on_gpu(hx), on_gpu(hw), on_gpu(hb)
            with core.device(dev):
                transfer.reset_stats()
                with np.record_op_stat():
                    out = fn(x, w, b)
                    stats = np.op_stats()
                s = transfer.stats()
                case["transfers"] = {"to_mxnet": s.to_mxnet, "to_host": s.to_host,
                                     "to_cupy": s.to_cupy}
                backends = {}
                for (_, backend), (count, _) in stats["calls"].items():
                    backends[str(backend)] = backends.get(str(backend), 0) + count
                case["calls_by_backend"] = backends
                case["fallbacks"] = stats["fallbacks"]
                case["result_forms"] = list(out.forms)
                times = []
                for _ in range(reps):
                    t0 = time.perf_counter()
                    fn(x, w, b).wait_to_read()
                    cp.cuda.Device().synchronize()
                    times.append(time.perf_counter() - t0)
            got = out.asnumpy()
            err = float(onp.max(onp.abs(got - ref))) if got.size else 0.0
            scale = float(onp.max(onp.abs(ref))) if ref.size else 1.0
            case.update(max_abs_diff=err, ref_max=scale, ms_median=statistics.median(times)
                        * 1e3, ms_min=min(times) * 1e3, ok=bool(err <= 1e-4 * max(scale, 1.0)))
            failed |= not case["ok"]
            print(f"{name:<26}{'OK' if case['ok'] else 'WRONG':<7}max|diff| {err:.2e}  "
                  f"{case['ms_median']:8.2f} ms  calls {backends}  copies "
                  f"{case['transfers']}", flush=True)
        except Exception:  # noqa: BLE001 (one case's failure must not hide the rest)
            case["error"] = traceback.format_exc()
            failed = True
            print(f"{name}: FAILED\n{case['error']}", flush=True)
        write()
    result["ok"] = not failed
    write()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
