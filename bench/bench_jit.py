"""Benchmark of issue 20, ``minpy.jit``: captured steps against eager MinPy and JAX jit.

Sections
  mlp       one SGD training step of the 784-512-10 relu MLP (batch 256, float32):
            forward, the gradients of W1, b1, W2, b2 (``value_and_grad``), and the
            update ``w - lr * g`` of every parameter. Targets: ``jit`` <= 1.0x JAX
            jit's time on the CPU, and <= 0.8x eager MinPy's (default policy). Also
            reported: each host engine (planned buffers or not; numexpr fusion when
            numexpr is installed) and the dispatch engine, against eager MinPy.
  chain     100 chained elementwise ops (sin, cos, tanh, exp, multiply, add ... on
            1,000 float64 elements) and their gradient: ``jit(grad(f))`` against eager
            ``grad(f)``. Target: jit >= 5x faster (ratio <= 0.2).

All variants run in one process with BLAS limited to one thread (``--threads``), as
in ``bench_autograd.py``; the results of every jitted variant are checked against
eager MinPy's before anything is timed (the MLP step bit for bit on the host engine).

Run ``python bench/bench_jit.py [--json PATH] [--quick] [--only mlp,chain]``.
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness as H  # noqa: E402
import numpy as onp  # noqa: E402

import minpy.numpy as np  # noqa: E402
from minpy.autograd import grad, value_and_grad  # noqa: E402
from minpy.jit import jit  # noqa: E402

F32 = onp.float32
LR = 0.01

jax = jnp = None
JAX_MISSING = "JAX not loaded"


def _load_jax(threads):
    global jax, jnp, JAX_MISSING
    if threads and "XLA_FLAGS" not in os.environ:
        os.environ["XLA_FLAGS"] = ("--xla_cpu_multi_thread_eigen=false "
                                   f"intra_op_parallelism_threads={threads}")
    try:
        import jax as _jax
        import jax.numpy as _jnp
    except ImportError as exc:
        JAX_MISSING = f"JAX not installed ({exc}); pip install jax jaxlib"
    else:
        jax, jnp, JAX_MISSING = _jax, _jnp, None


def _blas_limit(threads):
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        import contextlib
        return contextlib.nullcontext(), "unlimited (threadpoolctl not installed)"
    return threadpool_limits(limits=threads, user_api="blas"), str(threads)


def mlp_data(batch=256, sizes=(784, 512, 10), seed=0):
    n_in, n_hidden, n_out = sizes
    rng = onp.random.default_rng(seed)
    params = [(rng.standard_normal((n_in, n_hidden)) * (2.0 / n_in) ** 0.5).astype(F32),
              onp.zeros(n_hidden, F32),
              (rng.standard_normal((n_hidden, n_out)) * (1.0 / n_hidden) ** 0.5).astype(F32),
              onp.zeros(n_out, F32)]
    x = rng.standard_normal((batch, n_in)).astype(F32)
    onehot = onp.eye(n_out, dtype=F32)[rng.integers(0, n_out, batch)]
    return params, x, onehot


def minpy_step_fn():
    """The step written once for MinPy: eager as it is, jitted with ``jit``."""
    vg = value_and_grad(H.mlp_loss(np), argnum=(0, 1, 2, 3))

    def step(w1, b1, w2, b2, x, onehot):
        loss, grads = vg(w1, b1, w2, b2, x, onehot)
        return loss, [p - LR * g for p, g in zip((w1, b1, w2, b2), grads)]
    return step


def section_mlp(timer, threads=1):
    _load_jax(threads)
    limit, blas = _blas_limit(threads)
    with limit:
        return _mlp_rows(timer, blas)


def _mlp_rows(timer, blas):
    hparams, hx, hy = mlp_data()
    mparams = [np.array(p) for p in hparams]
    mx_, my_ = np.array(hx), np.array(hy)
    step = minpy_step_fn()
    engines = {"numpy": jit(step), "numpy-unplanned": jit(step, engine="numpy-unplanned"),
               "dispatch": jit(step, engine="dispatch")}
    from minpy.jit import engines as _eng
    if "numexpr" in _eng.names():
        engines["numexpr"] = jit(step, engine="numexpr")
    # every engine's answer against eager MinPy's: bit for bit on the host
    e_loss, e_new = step(*mparams, mx_, my_)
    for name, jf in engines.items():
        for _ in range(2):  # the capture, then a replay
            loss, new = jf(*mparams, mx_, my_)
        exact = name != "numexpr"
        for a, b in zip(new, e_new):
            if exact:
                assert onp.array_equal(a.asnumpy(), b.asnumpy()), name
            else:
                onp.testing.assert_allclose(a.asnumpy(), b.asnumpy(), rtol=1e-5, atol=1e-7)
        assert float(loss) == float(e_loss) or not exact, name
    variants = {"eager": H.Variant(lambda: step(*mparams, mx_, my_))}
    for name, jf in engines.items():
        variants["jit " + name] = H.Variant(lambda jf=jf: jf(*mparams, mx_, my_))
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
    return rows


# -- chain ----------------------------------------------------------------------------------
_UNARY = ("sin", "cos", "tanh", "exp", "log1p", "sqrt")


def chain_fn(n_ops=100):
    """``n_ops`` chained elementwise ops on a vector, then a sum (a scalar to
    differentiate); magnitudes stay in range whatever the input in [0, 1)."""
    def f(x):
        y = x
        for k in range(n_ops):
            r = k % 5
            if r == 0:
                y = np.sin(y)
            elif r == 1:
                y = y * 0.9 + 0.1
            elif r == 2:
                y = np.tanh(y)
            elif r == 3:
                y = np.exp(y) - 1.0
            else:
                y = np.sqrt(y * y + 1.0)
        return np.sum(y)
    return f


def section_chain(timer):
    f = chain_fn()
    g = grad(f)
    jg = jit(g)
    x = np.array(onp.random.default_rng(1).random(1000))
    ref = g(x).asnumpy()
    for _ in range(2):
        out = jg(x).asnumpy()
    assert onp.array_equal(out, ref), "jit(grad(f)) differs from grad(f)"
    t = dict(zip(("jit", "eager"), timer.compare(lambda: jg(x), lambda: g(x))))
    return [H.Row("chain", "100 elementwise ops on 1,000 float64 + gradient: jit vs eager",
                  t["jit"] * 1e6, t["eager"] * 1e6, ref="eager grad (auto)", target=0.2,
                  note="jit(grad(f)) vs grad(f); target: jit at least 5x faster")]


SECTIONS = {"mlp": section_mlp, "chain": section_chain}


def main(argv=None):
    p = H.parser(__doc__.split("\n")[0])
    p.add_argument("--only", default=",".join(SECTIONS))
    p.add_argument("--threads", type=int, default=1)
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
    return H.report("minpy-jit", rows, info, args, started=started)


if __name__ == "__main__":
    sys.exit(main())
