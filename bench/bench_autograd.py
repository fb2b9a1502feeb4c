"""Benchmark of issue "minpy-autograd": MinPy's own overhead on each path, against the
reference that runs the same work on the same backend. Ratios are MinPy / reference
(lower is better); every target printed is a row of the results (and the JSON).

Sections
  step      forward + gradient of all four parameters of a 784-512-10 MLP (batch 256,
            float32, relu, softmax cross-entropy). Targets: 'auto' (NumPy on the CPU)
            vs HIPS Autograd (same backend: NumPy) < 1; 'prefer_mxnet' vs
            mxnet.autograd (same backend: MXNet) <= 1.3; 'auto' vs JAX jit <= 1.25
            (the issue's target; a compiled whole step against MinPy's eager one);
            'auto' vs the same step written by hand in NumPy <= 1.15 (issue 25; in
            process CPU time, which a loaded machine does not inflate).
            'auto' vs mxnet.autograd and 'prefer_mxnet' vs HIPS compare two backends
            and are reported without a target.
  step_large  the same step at 784-2048-10, batch 1024 (issue 25): 'auto' vs NumPy by
            hand <= 1.05 (CPU time); HIPS, JAX jit and JAX eager reported.
  tape      a chain of 100 ``sin`` on 10 float32, then ``sum``: (time of grad - time of
            the forward alone) / 100, the tape's cost per op (recording, the backward
            ops, bookkeeping). Target: <= 1.0x HIPS Autograd's (both on NumPy).
  namespace a tiny ``add`` through ``minpy.numpy`` (default policy, host arrays) minus
            ``numpy.add``: the namespace's overhead per call. Target: <= 1 us.
  memory    VmRSS before and after ``--steps`` SGD steps of a small MLP (default policy)

Run ``python bench/bench_autograd.py [--json PATH] [--quick] [--steps N] [--only ...]``.
Without ``jax`` installed (``pip install jax jaxlib``) the JAX row says why it is
missing; without HIPS ``autograd`` the HIPS rows do.
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness as H  # noqa: E402
import numpy as onp  # noqa: E402

import minpy.numpy as np  # noqa: E402
from minpy.autograd import grad, grad_and_loss  # noqa: E402
from minpy.core import _mxnet  # noqa: E402

mx = _mxnet.require()
# The raw-MXNet references are a NumPy-style MXNet user's code: MinPy keeps
# MXNet's NumPy semantics to its own calls, so the user turns them on.
mx.npx.set_np()
F32 = onp.float32

try:
    import autograd as hips
    import autograd.numpy as anp
except ImportError as exc:  # the comparison is skipped, and says so
    hips = anp = None
    HIPS_MISSING = f"HIPS autograd not installed ({exc}); pip install autograd"
else:
    HIPS_MISSING = None

jax = jnp = None
JAX_MISSING = "JAX not loaded"


def _load_jax(threads):
    """Import JAX (after telling XLA how many threads to use: it reads XLA_FLAGS once,
    at import); record why when it is missing."""
    global jax, jnp, JAX_MISSING
    if threads and "XLA_FLAGS" not in os.environ:
        os.environ["XLA_FLAGS"] = ("--xla_cpu_multi_thread_eigen=false "
                                   f"intra_op_parallelism_threads={threads}")
    try:
        import jax as _jax
        import jax.numpy as _jnp
    except ImportError as exc:  # the comparison is skipped, and says so
        JAX_MISSING = f"JAX not installed ({exc}); pip install jax jaxlib"
    else:
        jax, jnp, JAX_MISSING = _jax, _jnp, None


_blas_limit = H.blas_limit   # (bench_jit.py's name for it)


def mlp_data(batch, n_in, n_hidden, n_out, seed=0):
    rng = onp.random.default_rng(seed)
    params = [(rng.standard_normal((n_in, n_hidden)) * (2.0 / n_in) ** 0.5).astype(F32),
              onp.zeros(n_hidden, F32),
              (rng.standard_normal((n_hidden, n_out)) * (1.0 / n_hidden) ** 0.5).astype(F32),
              onp.zeros(n_out, F32)]
    x = rng.standard_normal((batch, n_in)).astype(F32)
    onehot = onp.eye(n_out, dtype=F32)[rng.integers(0, n_out, batch)]
    return params, x, onehot


# -- step: one training step of the 784-512-10 MLP ----------------------------------------
def section_step(timer, batch=256, sizes=(784, 512, 10), threads=1, hand_target=1.15,
                 mxnet=True):
    _load_jax(threads)
    limit, blas_threads = H.blas_limit(threads)
    with limit:
        rows, us = _step_rows(timer, batch, sizes, hand_target, mxnet, threads)
    for r in rows:
        r.note = (r.note + "; " if r.note else "") + (
            f"BLAS threads {blas_threads}, XLA_FLAGS {os.environ.get('XLA_FLAGS')!r}")
    return rows, us


def _step_rows(timer, batch, sizes, hand_target, mxnet, threads):
    rows = []
    hparams, hx, hy = mlp_data(batch, *sizes)

    # MinPy: the same host data under each policy (conversions are cached on the Arrays
    # after the first step, so 'prefer_mxnet' then works on MXNet-resident parameters).
    mparams = [np.array(p) for p in hparams]
    mx_, my_ = np.array(hx), np.array(hy)
    minpy_step = grad_and_loss(H.mlp_loss(np), argnum=(0, 1, 2, 3))

    def minpy():
        return minpy_step(*mparams, mx_, my_)

    # mxnet.autograd on mx.np arrays
    xparams = [mx.np.array(p, dtype=F32) for p in hparams]
    for p in xparams:
        p.attach_grad()
    xx, xy = mx.np.array(hx, dtype=F32), mx.np.array(hy, dtype=F32)
    xloss = H.mlp_loss(mx.np)

    def mxnet_step():
        with mx.autograd.record():
            loss = xloss(*xparams, xx, xy)
        loss.backward()
        return [p.grad for p in xparams], loss

    variants = {"minpy auto": H.Variant(minpy, lambda: np.policy("auto"))}
    if mxnet:
        variants["minpy prefer_mxnet"] = H.Variant(minpy, lambda: np.policy("prefer_mxnet"))
        variants["mxnet.autograd"] = H.Variant(mxnet_step)
    if hips is not None:
        hips_step = hips.value_and_grad(H.mlp_loss(anp), argnum=(0, 1, 2, 3))
        variants["HIPS autograd"] = H.Variant(lambda: hips_step(*hparams, hx, hy))
    if jax is not None:
        jparams = [jnp.asarray(p) for p in hparams]
        jx, jy = jnp.asarray(hx), jnp.asarray(hy)
        jax_grad = jax.jit(jax.value_and_grad(H.mlp_loss(jnp), argnums=(0, 1, 2, 3)))

        def jax_step():
            return jax.block_until_ready(jax_grad(*jparams, jx, jy))

        j_loss, j_grads = jax_step()
        variants["JAX jit"] = H.Variant(jax_step)
        if not mxnet:   # the larger step: JAX op by op too, as the issue compared
            jax_eager = jax.value_and_grad(H.mlp_loss(jnp), argnums=(0, 1, 2, 3))
            variants["JAX eager"] = H.Variant(
                lambda: jax.block_until_ready(jax_eager(*jparams, jx, jy)))

    # hand-written NumPy forward and backward of the same step: the floor for any
    # eager NumPy implementation (MinPy 'auto' / this = MinPy's own cost on the path)
    def numpy_step():
        return H.mlp_grads_by_hand(onp, hparams, hx, hy)

    variants["NumPy by hand"] = H.Variant(numpy_step)

    # the gradients agree (a benchmark of a wrong answer is worthless)
    with np.policy("auto"):
        g_auto, l_auto = minpy()
    if mxnet:
        with np.policy("prefer_mxnet"):
            g_mx, l_mx = minpy()
        g_ref, l_ref = mxnet_step()
        for a, b, c in zip(g_auto, g_mx, g_ref):
            onp.testing.assert_allclose(onp.asarray(a), c.asnumpy(), rtol=2e-3, atol=2e-5)
            onp.testing.assert_allclose(onp.asarray(b), c.asnumpy(), rtol=2e-3, atol=2e-5)
        onp.testing.assert_allclose(float(l_auto), float(l_ref), rtol=1e-4)
    g_hand, l_hand = numpy_step()
    onp.testing.assert_allclose(float(l_auto), float(l_hand), rtol=1e-4)
    for a, c in zip(g_auto, g_hand):
        onp.testing.assert_allclose(onp.asarray(a), c, rtol=2e-3, atol=2e-5)
    if jax is not None:
        for a, c in zip(g_auto, j_grads):
            onp.testing.assert_allclose(onp.asarray(a), onp.asarray(c), rtol=2e-3, atol=2e-5)

    slow = H.Timer(budget_s=timer.budget_s * 12, sample_s=timer.sample_s * 5,
                   min_repeat=timer.min_repeat, sync=timer.sync)
    t = dict(zip(variants, slow.compare(*variants.values())))
    us = {k: v * 1e6 for k, v in t.items()}
    name = f"MLP {'-'.join(map(str, sizes))} batch {batch}"
    section = "step" if mxnet else "step large"
    # MinPy 'auto' against the same step by hand, both NumPy on this process's threads
    # (BLAS on `threads`): compared in CPU time too, which a loaded machine does not
    # inflate (the time spent waiting for a core is not the step's cost)
    cpu = H.Timer(budget_s=slow.budget_s, sample_s=slow.sample_s, min_repeat=slow.min_repeat,
                  sync=timer.sync, clock=time.process_time)
    t_auto, t_hand = cpu.compare(variants["minpy auto"], variants["NumPy by hand"])
    us["minpy auto (CPU)"], us["NumPy by hand (CPU)"] = t_auto * 1e6, t_hand * 1e6
    rows.append(H.Row(section, f"{name}: auto vs NumPy by hand (CPU time)", t_auto * 1e6,
                      t_hand * 1e6, ref="NumPy fwd+bwd by hand", target=hand_target,
                      note="process CPU time (time.process_time), interleaved minima: the "
                      "same step's forward and backward written in NumPy; what MinPy's "
                      "tape, dispatch and gradient rules add (issue 25)"))
    if not mxnet:
        return _large_step_rows(rows, section, name, us), us
    rows.append(H.Row("step", f"{name}: prefer_mxnet vs mxnet.autograd",
                      us["minpy prefer_mxnet"], us["mxnet.autograd"], ref="mxnet.autograd",
                      target=1.3, note="same backend (MXNet) on both sides: the tape's price"))
    if hips is not None:
        rows.append(H.Row("step", f"{name}: auto vs HIPS", us["minpy auto"],
                          us["HIPS autograd"], ref="HIPS autograd", target=1.0, cmp="<",
                          note="same backend (NumPy) on both sides: the tape's price"))
    else:
        rows.append(H.Row("step", f"{name}: auto vs HIPS", None, None, note=HIPS_MISSING))
    if jax is not None:
        rows.append(H.Row("step", f"{name}: auto vs JAX jit", us["minpy auto"],
                          us["JAX jit"], ref="JAX jit (CPU)", target=1.25,
                          note=f"jax {jax.__version__}: the whole step compiled by XLA, "
                          "against MinPy's eager step on NumPy"))
    else:
        rows.append(H.Row("step", f"{name}: auto vs JAX jit", None, None, note=JAX_MISSING))
    rows.append(H.Row("step", f"{name}: auto vs NumPy by hand", us["minpy auto"],
                      us["NumPy by hand"], ref="NumPy fwd+bwd by hand",
                      note="wall time; the same step's forward and backward written in "
                      "NumPy: what MinPy's tape and dispatch add on this path (the target "
                      "is judged on the CPU-time row)"))
    # Two backends compared: reported, no target (a ratio of NumPy to MXNet says
    # nothing about MinPy).
    rows.append(H.Row("step", f"{name}: auto vs mxnet.autograd", us["minpy auto"],
                      us["mxnet.autograd"], ref="mxnet.autograd",
                      note="'auto' runs NumPy on this CPU, the reference MXNet: no target"))
    if hips is not None:
        rows.append(H.Row("step", f"{name}: prefer_mxnet vs HIPS", us["minpy prefer_mxnet"],
                          us["HIPS autograd"], ref="HIPS autograd",
                          note="MXNet against NumPy: no target"))
    return rows, us


def _large_step_rows(rows, section, name, us):
    """The rows of the larger step (issue 25): wall-time ratios against each other
    implementation, reported without a target (the target row is the CPU-time one)."""
    rows.append(H.Row(section, f"{name}: auto vs NumPy by hand", us["minpy auto"],
                      us["NumPy by hand"], ref="NumPy fwd+bwd by hand",
                      note="wall time (the target is judged on the CPU-time row)"))
    for ref, missing in (("HIPS autograd", HIPS_MISSING), ("JAX jit", JAX_MISSING),
                         ("JAX eager", JAX_MISSING)):
        if ref in us:
            rows.append(H.Row(section, f"{name}: auto vs {ref}", us["minpy auto"], us[ref],
                              ref=ref, note="wall time"))
        else:
            rows.append(H.Row(section, f"{name}: auto vs {ref}", None, None, note=missing))
    return rows


# -- tape: cost per recorded op -----------------------------------------------------------
def chain(xp, n):
    def f(x):
        for _ in range(n):
            x = xp.sin(x)
        return xp.sum(x)
    return f


def section_tape(timer, n=100, size=10):
    rows = []
    hx = onp.random.default_rng(5).random(size).astype(F32)
    per = {}

    # MinPy, on host data under the default policy and on MXNet data under prefer_mxnet
    for pol in ("auto", "prefer_mxnet"):
        x = np.array(hx)
        f = chain(np, n)
        g = grad(f)
        ctx = (lambda p=pol: np.policy(p))
        tf, tg = timer.compare(H.Variant(lambda: f(x), ctx), H.Variant(lambda: g(x), ctx))
        per[f"minpy {pol}"] = (tf / n * 1e6, (tg - tf) / n * 1e6)

    # mxnet.autograd: record + backward vs the forward alone
    xm = mx.np.array(hx, dtype=F32)
    xm.attach_grad()
    fm = chain(mx.np, n)

    def mx_grad():
        with mx.autograd.record():
            y = fm(xm)
        y.backward()
        return xm.grad

    tf, tg = timer.compare(lambda: fm(xm), mx_grad)
    per["mxnet.autograd"] = (tf / n * 1e6, (tg - tf) / n * 1e6)

    if hips is not None:
        fa = chain(anp, n)
        ga = hips.grad(fa)
        tf, tg = timer.compare(lambda: fa(hx), lambda: ga(hx))
        per["HIPS autograd"] = (tf / n * 1e6, (tg - tf) / n * 1e6)

    note = (f"chain of {n} x sin on {size} float32, then sum; per op: (grad time - forward "
            "time) / N = recording + the backward op (cos, multiply) + bookkeeping")
    rows.append(H.Row("tape", "grad-fwd per op: auto vs HIPS", per["minpy auto"][1],
                      per.get("HIPS autograd", (None, None))[1], ref="HIPS autograd",
                      target=1.0 if hips is not None else None,
                      note=note if hips is not None else HIPS_MISSING))
    rows.append(H.Row("tape", "grad-fwd per op: prefer_mxnet vs mxnet.autograd",
                      per["minpy prefer_mxnet"][1], per["mxnet.autograd"][1],
                      ref="mxnet.autograd"))
    rows.append(H.Row("tape", "forward per op: auto vs numpy-HIPS", per["minpy auto"][0],
                      per.get("HIPS autograd", (None, None))[0], ref="HIPS autograd fwd"))
    rows.append(H.Row("tape", "forward per op: prefer_mxnet vs mx.np", per["minpy prefer_mxnet"][0],
                      per["mxnet.autograd"][0], ref="mx.np fwd"))
    return rows, {k: {"forward_us_per_op": v[0], "tape_us_per_op": v[1]}
                  for k, v in per.items()}


# -- namespace: the overhead of one tiny call -----------------------------------------
def section_namespace(timer, size=3):
    ha, hb = onp.ones(size), onp.full(size, 2.0)
    a, b = np.array(ha), np.array(hb)
    add = np.add
    with np.policy("auto"):
        t_minpy, t_numpy = timer.compare(lambda: add(a, b), lambda: onp.add(ha, hb))
    over = (t_minpy - t_numpy) * 1e6
    rows = [H.Row("namespace", f"add of {size} float64: overhead per call (default policy)",
                  over, None, target=1.0, cmp="value<=",
                  note=f"minpy.numpy.add {t_minpy * 1e6:.2f} us - numpy.add "
                  f"{t_numpy * 1e6:.2f} us; host-resident Arrays, no trace open"),
            H.Row("namespace", f"add of {size} float64: minpy.numpy vs numpy", t_minpy * 1e6,
                  t_numpy * 1e6, ref="numpy.add")]
    return rows, {"minpy_us": t_minpy * 1e6, "numpy_us": t_numpy * 1e6, "overhead_us": over}


# -- memory: RSS over a long training loop ----------------------------------------------
def section_memory(steps, timer=None, batch=32, sizes=(64, 32, 10), warmup=200,
                   lr=0.05):
    hparams, hx, hy = mlp_data(batch, *sizes, seed=7)
    params = [np.array(p) for p in hparams]
    x, y = np.array(hx), np.array(hy)
    step = grad_and_loss(H.mlp_loss(np), argnum=(0, 1, 2, 3))
    rss0 = H.rss_mb()
    first = None
    for _ in range(warmup):
        grads, loss = step(*params, x, y)
        params = [p - lr * g for p, g in zip(params, grads)]
        first = float(loss) if first is None else first
    rss1 = H.rss_mb()
    t0 = time.perf_counter()
    for _ in range(steps):
        grads, loss = step(*params, x, y)
        params = [p - lr * g for p, g in zip(params, grads)]
    elapsed = time.perf_counter() - t0
    rss2 = H.rss_mb()
    last = float(loss)
    assert last < first, (first, last)  # it trains
    note = (f"{steps} SGD steps, MLP {'-'.join(map(str, sizes))} batch {batch}, policy "
            f"{np.get_policy().name!r}: RSS {rss0:.1f} MiB at start, {rss1:.1f} after "
            f"{warmup} warm-up steps, {rss2:.1f} at the end; {elapsed:.1f} s "
            f"({elapsed / steps * 1e6:.0f} us/step); loss {first:.3f} -> {last:.3f}")
    rows = [H.Row("memory", f"RSS growth over {steps} steps (after warm-up)", rss2 - rss1,
                  None, unit="MiB", target=10.0, cmp="value<=", note=note +
                  "; target: our leak threshold, 10 MiB")]
    # the same small step, timed against HIPS Autograd (a different regime from the
    # 784-512-10 step: here the per-op costs dominate, not the matmuls)
    if hips is not None and timer is not None:
        hips_step = hips.value_and_grad(H.mlp_loss(anp), argnum=(0, 1, 2, 3))
        hp = [onp.asarray(p) for p in params]
        t_m, t_h = timer.compare(lambda: step(*params, x, y), lambda: hips_step(*hp, hx, hy))
        rows.append(H.Row("memory", f"small MLP {'-'.join(map(str, sizes))} step vs HIPS",
                          t_m * 1e6, t_h * 1e6, ref="HIPS autograd",
                          note="per-op overhead regime (~40 tiny primitives a step)"))
    else:
        rows.append(H.Row("memory", "step time, small MLP", elapsed / steps * 1e6, None))
    return rows, {"rss_start_mib": rss0, "rss_after_warmup_mib": rss1,
                  "rss_end_mib": rss2, "steps": steps, "seconds": elapsed,
                  "loss_first": first, "loss_last": last}


def main(argv=None):
    p = H.parser(__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=None,
                   help="training steps of the memory section (default 10000)")
    p.add_argument("--threads", type=int, default=1,
                   help="BLAS and XLA threads of the step section, the same for every "
                   "side (default 1: a shared or small machine makes multi-threaded "
                   "BLAS wait for descheduled threads); 0 = the libraries' defaults")
    p.add_argument("--only", default="step,step_large,tape,namespace,memory",
                   help="comma-separated sections: step, step_large, tape, namespace, "
                   "memory")
    args = p.parse_args(argv)
    started = time.perf_counter()
    info = H.machine()
    info["hips_autograd"] = getattr(hips, "__version__", None) or (
        "installed" if hips is not None else HIPS_MISSING)
    info["threads_step"] = args.threads
    budget = args.budget if args.budget is not None else (0.02 if args.quick else 0.6)
    timer = H.Timer(budget_s=budget, min_repeat=2 if args.quick else 5,
                    sync=H.mxnet_sync())
    steps = args.steps if args.steps is not None else (300 if args.quick else 10_000)
    rows, extra = [], {}
    for key in args.only.split(","):
        t0 = time.perf_counter()
        if key == "step":
            out, extra["step_us"] = section_step(timer, threads=args.threads)
        elif key == "step_large":
            out, extra["step_large_us"] = section_step(
                timer, batch=1024, sizes=(784, 2048, 10), threads=args.threads,
                hand_target=1.05, mxnet=False)
        elif key == "tape":
            out, extra["tape"] = section_tape(timer)
        elif key == "namespace":
            out, extra["namespace"] = section_namespace(timer)
        elif key == "memory":
            out, extra["memory"] = section_memory(steps, timer,
                                                     warmup=50 if args.quick else 200)
        else:
            raise SystemExit(f"unknown section {key!r}")
        rows += out
        print(f"section {key}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    info["jax"] = jax.__version__ if jax is not None else JAX_MISSING
    return H.report("minpy-autograd", rows, info, args, extra=extra, started=started)


if __name__ == "__main__":
    sys.exit(main())
