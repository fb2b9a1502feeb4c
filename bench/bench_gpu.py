"""MinPy on a GPU that CuPy serves vs raw CuPy (and JAX jit, PyTorch) on the same GPU.

Ratios are MinPy time / reference time in one run (lower is better); targets from
issue 14:

* dispatch overhead of tiny ops (``add``/``exp``/``sum`` on 10 elements), MinPy's
  Arrays holding CuPy forms vs ``cupy.<op>``: <= 1.3;
* 8192 x 8192 float32 matmul: <= 1.05;
* 1e8-element float32 ``exp``/``add``/``sum``: <= 1.05, each also as achieved memory
  bandwidth against the GPU's (``--peak-tbs``, 4.3 TB/s for an H200's device copies);
* the 784-512-10 MLP training step (softmax cross-entropy, SGD) at batch 256 and 4096:
  MinPy (``minpy.autograd``) vs CuPy by hand, JAX jit and PyTorch (no target; reported).

It also measures the figures of the automatic policy's cost model on this GPU (per-call
overhead, us per element / multiply-add, host<->device copies), written to the JSON as
``costs`` with the ``minpy.numpy._costs.set_costs`` call that would adopt them.

Needs CuPy and a GPU; JAX and PyTorch rows are skipped (with the reason) where they are
missing. Run by ``bench/gpu_check.sh``; alone: ``python bench/bench_gpu.py --json
out.json [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
import traceback

import _harness as H
import numpy as onp

F32 = onp.float32


def _sync(cp):
    cp.cuda.Device().synchronize()


def measure(fn, sync, reps=7, inner=1, warmup=2):
    """Median and min seconds per call of ``fn`` (``inner`` calls between syncs)."""
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        sync()
        times.append((time.perf_counter() - t0) / inner)
    return statistics.median(times), min(times)


class Rows:
    def __init__(self):
        self.rows = []

    def add(self, section, name, minpy_s, ref_s, ref_name, target=None, note=""):
        ratio = minpy_s / ref_s if ref_s else float("nan")
        row = {"section": section, "name": name, "minpy_us": minpy_s * 1e6,
               "ref": ref_name, "ref_us": ref_s * 1e6, "ratio": ratio, "target": target,
               "pass": None if target is None else bool(ratio <= target), "note": note}
        self.rows.append(row)
        flag = "" if target is None else ("  OK" if row["pass"] else "  OVER TARGET")
        print(f"{section:<12}{name:<34}{row['minpy_us']:>12.1f} us  vs {ref_name:<10}"
              f"{row['ref_us']:>12.1f} us  ratio {ratio:6.3f}"
              + (f" (<= {target})" if target else "") + flag + (f"  {note}" if note else ""),
              flush=True)


def section_tiny(rows, cp, np, core, quick):
    x = cp.arange(10, dtype=F32)
    a = core.from_dlpack(x)
    inner = 200 if quick else 2000
    for pol in ("auto", "only_cupy"):
        with np.policy(pol):
            for name, raw, mine in (
                    ("add", lambda: cp.add(x, x), lambda: np.add(a, a)),
                    ("exp", lambda: cp.exp(x), lambda: np.exp(a)),
                    ("sum", lambda: cp.sum(x), lambda: np.sum(a))):
                assert "cupy" in mine().forms, f"{name} did not run on CuPy under {pol}"
                ref, _ = measure(raw, lambda: _sync(cp), inner=inner)
                got, _ = measure(mine, lambda: _sync(cp), inner=inner)
                rows.add("tiny", f"{name} (10 el, {pol})", got, ref, "cupy", 1.3)


def section_matmul(rows, cp, np, core, quick):
    n = 2048 if quick else 8192
    x = cp.random.standard_normal((n, n), dtype=F32)
    y = cp.random.standard_normal((n, n), dtype=F32)
    a, b = core.from_dlpack(x), core.from_dlpack(y)
    ref, _ = measure(lambda: cp.matmul(x, y), lambda: _sync(cp), reps=5)
    got, _ = measure(lambda: np.matmul(a, b), lambda: _sync(cp), reps=5)
    rows.add("matmul", f"{n}x{n} float32", got, ref, "cupy", 1.05,
             f"MinPy {2 * n ** 3 / got / 1e12:.1f} TFLOP/s")


def section_bandwidth(rows, cp, np, core, quick, peak_tbs):
    n = 10 ** 7 if quick else 10 ** 8
    x = cp.random.standard_normal(n, dtype=F32)
    y = cp.random.standard_normal(n, dtype=F32)
    a, b = core.from_dlpack(x), core.from_dlpack(y)
    for name, raw, mine, nbytes in (
            ("exp", lambda: cp.exp(x), lambda: np.exp(a), 8 * n),
            ("add", lambda: cp.add(x, y), lambda: np.add(a, b), 12 * n),
            ("sum", lambda: cp.sum(x), lambda: np.sum(a), 4 * n)):
        ref, _ = measure(raw, lambda: _sync(cp), reps=5)
        got, _ = measure(mine, lambda: _sync(cp), reps=5)
        tbs = nbytes / got / 1e12
        rows.add("bandwidth", f"{name} ({n:.0e} float32)", got, ref, "cupy", 1.05,
                 f"MinPy {tbs:.2f} TB/s = {tbs / peak_tbs:.0%} of {peak_tbs} TB/s")


def mlp_data(batch, sizes=(784, 512, 10), seed=0):
    n_in, n_hidden, n_out = sizes
    rng = onp.random.default_rng(seed)
    params = [(rng.standard_normal((n_in, n_hidden)) * (2.0 / n_in) ** 0.5).astype(F32),
              onp.zeros(n_hidden, F32),
              (rng.standard_normal((n_hidden, n_out)) * (1.0 / n_hidden) ** 0.5).astype(F32),
              onp.zeros(n_out, F32)]
    x = rng.standard_normal((batch, n_in)).astype(F32)
    onehot = onp.eye(n_out, dtype=F32)[rng.integers(0, n_out, batch)]
    return params, x, onehot


def section_mlp(rows, cp, np, core, quick, lr=0.01):
    from minpy.autograd import grad_and_loss
    for batch in (256, 4096):
        hparams, hx, hy = mlp_data(batch)
        losses = {}

        # MinPy: device-resident Arrays (CuPy forms), minpy.autograd, SGD
        mp = [core.from_dlpack(cp.asarray(p)) for p in hparams]
        mx_, my_ = core.from_dlpack(cp.asarray(hx)), core.from_dlpack(cp.asarray(hy))
        step = grad_and_loss(H.mlp_loss(np), argnum=(0, 1, 2, 3))

        def minpy_step():
            grads, loss = step(*mp, mx_, my_)
            for i, g in enumerate(grads):
                mp[i] = mp[i] - lr * g
            return loss

        reps, inner = (3, 2) if quick else (7, 10)
        losses["minpy"] = float(minpy_step())
        got, _ = measure(minpy_step, lambda: _sync(cp), reps=reps, inner=inner)

        # CuPy by hand: the same forward and backward, written out
        cpp = [cp.asarray(p) for p in hparams]
        cx, cy = cp.asarray(hx), cp.asarray(hy)

        def cupy_step():
            grads, loss = H.mlp_grads_by_hand(cp, cpp, cx, cy)
            for i, g in enumerate(grads):
                cpp[i] = cpp[i] - lr * g
            return loss

        losses["cupy"] = float(cupy_step())
        ref, _ = measure(cupy_step, lambda: _sync(cp), reps=reps, inner=inner)
        rows.add("mlp", f"784-512-10 step, batch {batch}", got, ref, "cupy",
                 note=f"first-step loss MinPy {losses['minpy']:.5f} CuPy {losses['cupy']:.5f}")
        _mlp_jit_row(rows, cp, np, core, step, mp, mx_, my_, lr, ref, batch, reps, inner)
        if getattr(cp, "__standin__", False):
            print("mlp: JAX and PyTorch rows skipped: the CuPy stand-in runs on the host, "
                  "their GPU rows would compare nothing", flush=True)
            continue

        try:
            import jax
            import jax.numpy as jnp
            jp = [jax.device_put(p) for p in hparams]
            jx, jy = jax.device_put(hx), jax.device_put(hy)
            vg = jax.value_and_grad(H.mlp_loss(jnp), argnums=(0, 1, 2, 3))
            jax_step, jp = _jitted_sgd(jax.jit, vg, jp, jx, jy, lr)

            ref_j, _ = measure(jax_step, lambda: jax.block_until_ready(jp), reps=7,
                               inner=10)
            rows.add("mlp", f"784-512-10 step, batch {batch}", got, ref_j, "jax.jit",
                     note=f"JAX {jax.__version__} on {jax.devices()[0]}")
        except Exception as exc:  # noqa: BLE001
            print(f"mlp: JAX row skipped: {type(exc).__name__}: {exc}", flush=True)

        try:
            import torch
            dev = torch.device("cuda")
            tp = [torch.tensor(p, device=dev, requires_grad=True) for p in hparams]
            tx, ty = torch.tensor(hx, device=dev), torch.tensor(hy, device=dev)

            # the same loss (torch's max returns values and indices)
            def tloss(w1, b1, w2, b2, x, onehot):
                h = torch.clamp(x @ w1 + b1, min=0.0)
                logits = h @ w2 + b2
                z = logits - logits.max(dim=1, keepdim=True).values
                logp = z - torch.log(torch.exp(z).sum(dim=1, keepdim=True))
                return -(onehot * logp).sum() / x.shape[0]

            def torch_step():
                loss = tloss(*tp, tx, ty)
                grads = torch.autograd.grad(loss, tp)
                with torch.no_grad():
                    for p, g in zip(tp, grads):
                        p -= lr * g
                return loss

            ref_t, _ = measure(torch_step, torch.cuda.synchronize, reps=7, inner=10)
            rows.add("mlp", f"784-512-10 step, batch {batch}", got, ref_t, "torch",
                     note=f"PyTorch {torch.__version__} eager")
        except Exception as exc:  # noqa: BLE001
            print(f"mlp: PyTorch row skipped: {type(exc).__name__}: {exc}", flush=True)


def _jitted_sgd(jit, value_and_grads, params, x, y, lr):
    """``(run, params)``: ``run()`` does one SGD step of the MLP through
    ``jit(step)`` on the list ``params`` (updated in place) and returns the loss;
    ``value_and_grads(w1, b1, w2, b2, x, y)`` gives ``(loss, grads)``."""
    @jit
    def jstep(w1, b1, w2, b2, x, y):
        loss, g = value_and_grads(w1, b1, w2, b2, x, y)
        return [p - lr * d for p, d in zip((w1, b1, w2, b2), g)], loss

    state = list(params)

    def run():
        state[:], loss = jstep(*state, x, y)
        return loss
    return run, state


def _mlp_jit_row(rows, cp, np, core, step, mp, x, y, lr, ref, batch, reps, inner):
    """MinPy's jitted step (``minpy.jit``, where this tree has it) vs the CuPy step by
    hand (``ref`` seconds)."""
    try:
        from minpy.jit import jit
    except ImportError as exc:
        print(f"mlp: minpy.jit row skipped: {exc}", flush=True)
        return
    try:
        def vg(*args):  # MinPy's grad_and_loss gives (grads, loss)
            grads, loss = step(*args)
            return loss, grads

        run, _ = _jitted_sgd(jit, vg, mp, x, y, lr)
        run()
        got, _ = measure(run, lambda: _sync(cp), reps=reps, inner=inner)
        rows.add("mlp", f"784-512-10 step, batch {batch}, minpy.jit", got, ref, "cupy")
    except Exception as exc:  # noqa: BLE001 (reported; the other rows stand)
        print(f"mlp: minpy.jit row failed: {type(exc).__name__}: {exc}", flush=True)


def section_costs(cp, quick):
    """The cost model's figures on this GPU (see minpy.numpy._costs)."""
    x = cp.arange(10, dtype=F32)
    over, _ = measure(lambda: cp.add(x, x), lambda: _sync(cp), inner=2000)
    n = 10 ** 6 if quick else 10 ** 7
    big = cp.ones(n, dtype=F32)
    ew, _ = measure(lambda: cp.exp(big), lambda: _sync(cp), reps=5)
    red, _ = measure(lambda: cp.sum(big), lambda: _sync(cp), reps=5)
    m = 1024 if quick else 4096
    mm = cp.ones((m, m), dtype=F32)
    mat, _ = measure(lambda: mm @ mm, lambda: _sync(cp), reps=5)
    host = onp.ones(n, dtype=F32)
    h2d, _ = measure(lambda: cp.asarray(host), lambda: _sync(cp), reps=5)
    d2h, _ = measure(lambda: big.get(), lambda: _sync(cp), reps=5)
    per = {"elementwise": (ew - over) * 1e6 / n, "reduction": (red - over) * 1e6 / n,
           "matmul": (mat - over) * 1e6 / m ** 3, "default": (ew - over) * 1e6 / n}
    costs = {"cupy": {"overhead_us": over * 1e6, "per_unit_us": per},
             "to_cupy": {"us_per_byte": h2d * 1e6 / host.nbytes},
             "to_host": {"us_per_byte": d2h * 1e6 / host.nbytes}}
    costs["set_costs"] = (f"set_costs('gpu', 'cupy', {over * 1e6:.2f}, "
                          + json.dumps({k: float(f"{v:.3g}") for k, v in per.items()}) + ")")
    print("costs:", json.dumps(costs, indent=1), flush=True)
    return costs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--quick", action="store_true", help="smaller sizes (smoke test)")
    ap.add_argument("--peak-tbs", type=float, default=4.3,
                    help="the GPU's memory bandwidth for device copies, TB/s")
    ap.add_argument("--only", default="tiny,matmul,bandwidth,mlp,costs")
    args = ap.parse_args(argv)

    import cupy as cp

    import minpy.numpy as np
    from minpy import core
    dev = core.gpu(0)
    info = core.backend_info(dev)
    print(f"gpu(0): backend {info['backend']}: {info['reason']}", flush=True)
    props = cp.cuda.runtime.getDeviceProperties(0)
    machine = {"gpu": props["name"].decode() if isinstance(props["name"], bytes)
               else str(props["name"]), "cupy": cp.__version__, "numpy": onp.__version__,
               "python": platform.python_version(), "backend": info}
    standin = bool(getattr(cp, "__standin__", False))
    machine["standin"] = standin
    if standin:
        print("CuPy STAND-IN run: NumPy on the host behind CuPy 14's names. These are NOT "
              "GPU figures: the ratios time MinPy's overhead over the stand-in only.",
              flush=True)
    rows, results, errors = Rows(), {"machine": machine}, {}
    wanted = args.only.split(",")

    def write():  # after every section: a timeout still leaves what was measured
        if args.json:
            results["rows"], results["errors"] = rows.rows, errors
            with open(args.json, "w") as fh:
                json.dump(results, fh, indent=1, default=str)

    write()
    with core.device(dev):
        for name, fn in (("tiny", section_tiny), ("matmul", section_matmul),
                         ("bandwidth", section_bandwidth), ("mlp", section_mlp)):
            if name not in wanted:
                continue
            try:
                if name == "bandwidth":
                    fn(rows, cp, np, core, args.quick, args.peak_tbs)
                else:
                    fn(rows, cp, np, core, args.quick)
            except Exception:  # noqa: BLE001  (one section's failure must not hide the rest)
                errors[name] = traceback.format_exc()
                print(f"section {name} FAILED:\n{errors[name]}", flush=True)
            write()
        if "costs" in wanted:
            try:
                results["costs"] = section_costs(cp, args.quick)
            except Exception:  # noqa: BLE001
                errors["costs"] = traceback.format_exc()
    results["rows"], results["errors"] = rows.rows, errors
    results["machine"]["backend"] = {"backend": info["backend"], "reason": info["reason"]}
    results["machine"]["backend"]["device"] = repr(dev)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1, default=str)
    over = [r for r in rows.rows if r["pass"] is False]
    print(f"{len(rows.rows)} rows, {len(over)} over target, {len(errors)} section errors",
          flush=True)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
