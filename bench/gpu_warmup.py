"""CuPy's first-use kernel compilation, measured and paid once before the timed stages.

CuPy compiles each elementwise/reduction kernel (per operation and dtype signature) with
NVRTC on its first call and caches it on disk (``CUPY_CACHE_DIR``). ``bench/gpu_check.sh``
runs this first, with one cache directory for every stage, so the conformance leg and the
benchmarks meet warm kernels, and the cost of compiling is a figure of its own:
per kernel, ``first call - second call``. It stops at ``--budget`` seconds (the rest
compiles when first used) and writes its JSON after every kernel, so a timeout still
leaves what was measured.

``python bench/gpu_warmup.py --json out.json [--budget 60]``
"""

from __future__ import annotations

import argparse
import json
import time


def _cases(cp):
    """(name, fn) pairs: the kernels MinPy's common calls and the benchmarks use."""
    out = []
    for dt in ("float32", "float64"):
        x = cp.arange(1, 7, dtype=dt).reshape(2, 3) / 7
        y = x + 1
        idx = cp.array([1, 0, 2])
        for name in ("add", "subtract", "multiply", "true_divide", "maximum", "power",
                     "greater", "equal"):
            out.append((f"{name}[{dt}]", lambda f=getattr(cp, name), x=x, y=y: f(x, y)))
        for name in ("exp", "log", "sqrt", "tanh", "sin", "cos", "negative", "abs"):
            out.append((f"{name}[{dt}]", lambda f=getattr(cp, name), x=x: f(x)))
        for name in ("sum", "mean", "max", "min", "argmax", "std"):
            out.append((f"{name}[{dt}]", lambda f=getattr(cp, name), x=x: f(x, axis=1)))
        out += [(f"matmul[{dt}]", lambda x=x: cp.matmul(x, x.T)),
                (f"where[{dt}]", lambda x=x, y=y: cp.where(x > 0.5, x, y)),
                (f"take[{dt}]", lambda x=x, idx=idx: x[:, idx]),
                (f"astype[{dt}]", lambda x=x: x.astype("int64")),
                (f"uniform[{dt}]", lambda dt=dt: cp.random.uniform(size=8, dtype=dt)),
                (f"normal[{dt}]", lambda dt=dt: cp.random.normal(size=8, dtype=dt))]
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", required=True)
    ap.add_argument("--budget", type=float, default=60.0)
    args = ap.parse_args(argv)

    t_start = time.perf_counter()
    import cupy as cp
    t_import = time.perf_counter() - t_start
    sync = cp.cuda.Device().synchronize
    result = {"cupy": cp.__version__, "standin": bool(getattr(cp, "__standin__", False)),
              "import_s": t_import, "kernels": [], "budget_s": args.budget}

    def write():
        result["total_s"] = time.perf_counter() - t_start
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=1)

    write()
    for name, fn in _cases(cp):
        if time.perf_counter() - t_start > args.budget:
            result["stopped"] = f"budget of {args.budget}s reached before {name}"
            break
        try:
            t0 = time.perf_counter()
            fn()
            sync()
            first = time.perf_counter() - t0
            t0 = time.perf_counter()
            fn()
            sync()
            second = time.perf_counter() - t0
            result["kernels"].append({"kernel": name, "first_s": first, "second_s": second,
                                      "compile_s": max(0.0, first - second)})
        except Exception as exc:  # noqa: BLE001 (reported, the others still run)
            result["kernels"].append({"kernel": name, "error": f"{type(exc).__name__}: "
                                                               f"{exc}"[:300]})
        write()
    ks = [k for k in result["kernels"] if "compile_s" in k]
    result["compile_s_total"] = sum(k["compile_s"] for k in ks)
    write()
    errors = [k for k in result["kernels"] if "error" in k]
    print(f"{len(ks)} kernels warmed, {result['compile_s_total']:.1f} s compiling "
          f"(median {sorted(k['compile_s'] for k in ks)[len(ks) // 2] if ks else 0:.3f} s), "
          f"{len(errors)} errors, import {t_import:.1f} s"
          + ("; STAND-IN: nothing compiles" if result["standin"] else ""), flush=True)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
