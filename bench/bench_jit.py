"""Benchmark of issue 20, ``minpy.jit``: captured steps against eager MinPy and JAX jit.

Sections
  mlp       one SGD training step of the 784-512-10 relu MLP (batch 256, float32):
            forward, the gradients of W1, b1, W2, b2 (``value_and_grad``), and the
            update ``w - lr * g`` of every parameter. Targets: ``jit`` <= 1.0x JAX
            jit's time on the CPU, and <= 0.8x eager MinPy's (default policy). Also
            reported: the host engine without planned buffers, the dispatch engine,
            and the hand-written NumPy step (forward and backward by hand).
  chain     100 chained elementwise ops (cycling tanh, * 1.5, + 0.25, square, log1p
            on 1,000 float64 elements) and their gradient: ``jit(grad(f))`` against
            eager ``grad(f)``. Target: jit >= 5x faster (ratio <= 0.2). Also reported:
            jit against the same gradient written in NumPy by hand (the floor).

All variants run in one process with BLAS limited to one thread (``--threads``), as
in ``bench_autograd.py``; the results of every jitted variant are checked against
eager MinPy's before anything is timed (the MLP step bit for bit on the host engine).

Run ``python bench/bench_jit.py [--json PATH] [--quick] [--only mlp,chain]``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness as H  # noqa: E402
import bench_autograd as BA  # noqa: E402
import numpy as onp  # noqa: E402

import minpy.numpy as np  # noqa: E402
from minpy.autograd import grad, value_and_grad  # noqa: E402
from minpy.jit import jit  # noqa: E402

F32 = onp.float32
LR = 0.01

# The MLP data, JAX's loading (XLA threads set before its import) and the BLAS limit
# are bench_autograd's: both benchmarks time the same step.
jax = jnp = None
JAX_MISSING = "JAX not loaded"


def _load_jax(threads):
    global jax, jnp, JAX_MISSING
    BA._load_jax(threads)
    jax, jnp, JAX_MISSING = BA.jax, BA.jnp, BA.JAX_MISSING


def mlp_data(batch=256, sizes=(784, 512, 10), seed=0):
    return BA.mlp_data(batch, *sizes, seed=seed)


def minpy_step_fn():
    """The step written once for MinPy: eager as it is, jitted with ``jit``."""
    vg = value_and_grad(H.mlp_loss(np), argnum=(0, 1, 2, 3))

    def step(w1, b1, w2, b2, x, onehot):
        loss, grads = vg(w1, b1, w2, b2, x, onehot)
        return loss, [p - LR * g for p, g in zip((w1, b1, w2, b2), grads)]
    return step


def section_mlp(timer, threads=1):
    _load_jax(threads)
    limit, blas = BA._blas_limit(threads)
    with limit:
        return _mlp_rows(timer, blas)


def _mlp_rows(timer, blas):
    hparams, hx, hy = mlp_data()
    mparams = [np.array(p) for p in hparams]
    mx_, my_ = np.array(hx), np.array(hy)
    step = minpy_step_fn()
    engines = {"numpy": jit(step), "numpy-unplanned": jit(step, engine="numpy-unplanned"),
               "dispatch": jit(step, engine="dispatch")}
    # every engine's answer against eager MinPy's: bit for bit on the host
    e_loss, e_new = step(*mparams, mx_, my_)
    for name, jf in engines.items():
        for _ in range(2):  # the capture, then a replay
            loss, new = jf(*mparams, mx_, my_)
        for a, b in zip(new, e_new):
            assert onp.array_equal(a.asnumpy(), b.asnumpy()), name
        assert float(loss) == float(e_loss), name
    variants = {"eager": H.Variant(lambda: step(*mparams, mx_, my_))}
    for name, jf in engines.items():
        variants["jit " + name] = H.Variant(lambda jf=jf: jf(*mparams, mx_, my_))

    def by_hand():
        grads, loss = H.mlp_grads_by_hand(onp, hparams, hx, hy)
        return loss, [p - LR * g for p, g in zip(hparams, grads)]
    variants["NumPy by hand"] = H.Variant(by_hand)
    # on MXNet: eager 'prefer_mxnet' against the MXNet engine (one CachedOp)
    jmx = jit(step)
    with np.policy("prefer_mxnet"):
        e_mx = step(*mparams, mx_, my_)
        for _ in range(2):
            m_loss, m_new = jmx(*mparams, mx_, my_)
    assert jmx.stats["engines"] == {"mxnet": 1}, jmx.stats
    for a, b in zip(m_new, e_mx[1]):
        assert onp.array_equal(a.asnumpy(), b.asnumpy()), "mxnet engine"
    variants["eager prefer_mxnet"] = H.Variant(lambda: step(*mparams, mx_, my_),
                                               lambda: np.policy("prefer_mxnet"))
    variants["jit mxnet"] = H.Variant(lambda: jmx(*mparams, mx_, my_),
                                      lambda: np.policy("prefer_mxnet"))
    if jax is not None:
        jparams = [jnp.asarray(p) for p in hparams]
        jx, jy = jnp.asarray(hx), jnp.asarray(hy)
        jvg = jax.value_and_grad(H.mlp_loss(jnp), argnums=(0, 1, 2, 3))

        @jax.jit
        def jstep(w1, b1, w2, b2, x, onehot):
            loss, grads = jvg(w1, b1, w2, b2, x, onehot)
            return loss, [p - LR * g for p, g in zip((w1, b1, w2, b2), grads)]

        def jax_step():
            return jax.block_until_ready(jstep(*jparams, jx, jy))
        jl, jn = jax_step()
        for a, b in zip(jn, e_new):
            onp.testing.assert_allclose(onp.asarray(a), b.asnumpy(), rtol=1e-4, atol=1e-6)
        variants["JAX jit"] = H.Variant(jax_step)
    slow = H.Timer(budget_s=timer.budget_s * 10, sample_s=timer.sample_s * 5,
                   min_repeat=timer.min_repeat, sync=timer.sync)
    us = {k: v * 1e6 for k, v in zip(variants, slow.compare(*variants.values()))}
    cpu = _cpu_times({k: variants[k] for k in ("jit numpy", "eager", "JAX jit")
                      if k in variants}, rounds=4 if timer.budget_s < 0.2 else 20)
    name = "MLP 784-512-10 batch 256 SGD step"
    note = f"BLAS threads {blas}; XLA_FLAGS {os.environ.get('XLA_FLAGS')!r}"
    rows = []
    if jax is not None:
        rows.append(H.Row("mlp", f"{name}: jit vs JAX jit", us["jit numpy"], us["JAX jit"],
                          ref="JAX jit (CPU)", target=1.0,
                          note=f"jax {jax.__version__}; {note}"))
    else:
        rows.append(H.Row("mlp", f"{name}: jit vs JAX jit", None, None, note=JAX_MISSING))
    rows.append(H.Row("mlp", f"{name}: jit vs eager", us["jit numpy"], us["eager"],
                      ref="eager MinPy (auto)", target=0.8, note=note))
    for eng in engines:
        if eng != "numpy":
            rows.append(H.Row("mlp", f"{name}: jit engine {eng} vs eager",
                              us["jit " + eng], us["eager"], ref="eager MinPy (auto)"))
    for ref, label in (("JAX jit", "JAX jit (CPU)"), ("eager", "eager MinPy (auto)")):
        if ref in cpu:
            rows.append(H.Row("mlp", f"{name}, CPU time: jit vs {ref}", cpu["jit numpy"],
                              cpu[ref], ref=label,
                              note="process CPU time per call (time.process_time), "
                              "interleaved, minimum of rounds of 5 calls: less distorted "
                              "than wall-clock time on a loaded machine"))
    rows.append(H.Row("mlp", f"{name}: jit vs NumPy by hand", us["jit numpy"],
                      us["NumPy by hand"], ref="NumPy fwd+bwd by hand",
                      note="the step written in NumPy by hand (_harness.mlp_grads_by_hand)"))
    rows.append(H.Row("mlp", f"{name}: jit engine mxnet vs eager prefer_mxnet",
                      us["jit mxnet"], us["eager prefer_mxnet"],
                      ref="eager MinPy (prefer_mxnet)",
                      note="both on MXNet's CPU kernels; the engine is one CachedOp "
                      "(static_alloc), bit for bit eager's results"))
    rows.append(H.Row("mlp", f"{name}: jit engine mxnet vs jit numpy", us["jit mxnet"],
                      us["jit numpy"], ref="jit (host engine, auto)",
                      note="the two engines on the CPU: the default is the faster one"))
    return rows


def _cpu_times(variants, rounds=20, calls=5):
    """Microseconds of process CPU time per call of each variant (interleaved rounds,
    minimum): the work a call does, whatever else the machine runs meanwhile."""
    best = {k: float("inf") for k in variants}
    names = list(variants)
    for r in range(rounds):
        for k in (names if r % 2 else names[::-1]):
            v = variants[k]
            with v.context() if v.context else contextlib.nullcontext():
                t0 = time.process_time()
                for _ in range(calls):
                    v.fn()
                best[k] = min(best[k], (time.process_time() - t0) / calls)
    return {k: t * 1e6 for k, t in best.items()}


# -- chain ----------------------------------------------------------------------------------
def chain_fn(n_ops=100, xp=None):
    """``n_ops`` chained elementwise ops cycling through tanh, ``* 1.5``, ``+ 0.25``,
    square, log1p (values stay in range for inputs in [0, 1)), then a sum: a scalar
    to differentiate."""
    xp = xp or np

    def f(x):
        y = x
        for k in range(n_ops):
            r = k % 5
            if r == 0:
                y = xp.tanh(y)
            elif r == 1:
                y = y * 1.5
            elif r == 2:
                y = y + 0.25
            elif r == 3:
                y = xp.square(y)
            else:
                y = xp.log1p(y)
        return xp.sum(y)
    return f


def chain_grad_by_hand(x, n_ops=100):
    """The chain's gradient written in NumPy (forward keeping what the backward needs):
    the floor for any implementation that calls NumPy once per op."""
    ys = []
    y = x
    for k in range(n_ops):
        ys.append(y)
        r = k % 5
        y = (onp.tanh(y) if r == 0 else y * 1.5 if r == 1 else y + 0.25 if r == 2
             else onp.square(y) if r == 3 else onp.log1p(y))
        if r == 0:
            ys[-1] = y  # tanh's derivative uses its answer
    g = onp.ones_like(x)
    for k in reversed(range(n_ops)):
        r = k % 5
        v = ys[k]
        g = (g * (1.0 - v * v) if r == 0 else g * 1.5 if r == 1 else g if r == 2
             else g * (2.0 * v) if r == 3 else g / (1.0 + v))
    return g


def section_chain(timer):
    f = chain_fn()
    g = grad(f)
    jg = jit(g)
    hx = onp.random.default_rng(1).random(1000)
    x = np.array(hx)
    ref = g(x).asnumpy()
    for _ in range(2):
        out = jg(x).asnumpy()
    assert onp.array_equal(out, ref), "jit(grad(f)) differs from grad(f)"
    onp.testing.assert_allclose(chain_grad_by_hand(hx), ref, rtol=1e-12)
    t = dict(zip(("jit", "eager", "hand"),
                 timer.compare(lambda: jg(x), lambda: g(x), lambda: chain_grad_by_hand(hx))))
    us = {k: v * 1e6 for k, v in t.items()}
    name = "100 elementwise ops on 1,000 float64 + gradient"
    return [H.Row("chain", f"{name}: jit vs eager", us["jit"], us["eager"],
                  ref="eager grad (auto)", target=0.2,
                  note="jit(grad(f)) vs grad(f), f cycles tanh, *1.5, +0.25, square, "
                  "log1p; target: jit at least 5x faster"),
            H.Row("chain", f"{name}: jit vs NumPy by hand", us["jit"], us["hand"],
                  ref="NumPy fwd+bwd by hand",
                  note="the same gradient written in NumPy, one call per op: the floor "
                  "of a replay of NumPy calls")]


SECTIONS = {"mlp": section_mlp, "chain": section_chain}


def rst_table(rows, info) -> str:
    """The rows as a reStructuredText table (for docs/benchmarks/jit_results.inc)."""
    head = ("row", "jit (us)", "reference (us)", "ratio", "target")
    body = [(f"{r.section}: {r.name}", H.fmt_us(r.minpy_us), f"{H.fmt_us(r.ref_us)} {r.ref}",
             "-" if r.ratio is None else f"{r.ratio:.3f}",
             "-" if r.target is None else f"{r.cmp} {r.target:g} "
             f"({'met' if r.passed else 'missed'})") for r in rows]
    widths = [max(len(x) for x in col) for col in zip(head, *body)]
    line = " ".join("=" * w for w in widths)
    fmt = " ".join(f"{{:<{w}}}" for w in widths)
    out = [f"Measured on {H.machine_line(info)}.", "", line, fmt.format(*head), line]
    out += [fmt.format(*b) for b in body]
    out += [line, ""]
    return "\n".join(out)


def main(argv=None):
    p = H.parser(__doc__.split("\n")[0])
    p.add_argument("--only", default=",".join(SECTIONS))
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--rst", metavar="PATH", help="also write the rows as an RST table")
    args = p.parse_args(argv)
    started = time.perf_counter()
    budget = args.budget if args.budget is not None else (0.05 if args.quick else 1.0)
    timer = H.Timer(budget_s=budget, sync=H.mxnet_sync(),
                    min_repeat=2 if args.quick else 5)
    info = H.machine()
    rows = []
    for name in args.only.split(","):
        if name == "mlp":
            rows += section_mlp(timer, args.threads)
        else:
            rows += SECTIONS[name](timer)
    if args.rst:
        with open(args.rst, "w") as fh:
            fh.write(rst_table(rows, info))
    return H.report("minpy-jit", rows, info, args, started=started)


if __name__ == "__main__":
    sys.exit(main())
