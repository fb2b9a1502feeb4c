"""Overhead of calling a minpy.symbol.Function against driving MXNet by hand.

One convolution (8x3x32x32 batch, 32 filters of 3x3, no bias). Mechanisms, per call:

forward
  executor        simple_bind once; copy the inputs into the bound arrays, forward
  executor_bound  the executor bound to the input arrays themselves, forward only (a
                  lower bound that cannot take new inputs without a copy or a re-bind)
  cachedop        mx.nd.CachedOp(symbol) called on the input arrays
  function        Function(symbol)(x=x, conv_weight=w) on MinPy Arrays (MXNet form)

forward + backward (gradients for x and the weight)
  executor_fb     copy inputs, forward(is_train=True), backward(ones)
  cachedop_fb     detach + attach_grad, record the CachedOp, mx.autograd.grad(ones)
  function_vjp    minpy.autograd.make_vjp of the Function, then vjp(ones)
  cachedop_fb_sum as cachedop_fb with the loss sum(conv(x, w)) recorded too
  function_grad   minpy grad(lambda x, w: np.sum(conv(x=x, conv_weight=w)))

Timing: round-robin cycles, each calling every mechanism once and timing each call
alone (every call waits for its results), so that load from other processes hits all
mechanisms alike; per mechanism the min, 25th percentile and median per-call time, and
for each ratio also the median over cycles of the paired difference (the extra
microseconds a call costs). Run ``python bench/bench_symbol.py --json out.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import numpy as onp


def build(dtype, batch=8, size=32, filters=32):
    from minpy.core import _mxnet
    mx = _mxnet.require()
    # The raw-MXNet references are a NumPy-style MXNet user's code: MinPy keeps
    # MXNet's NumPy semantics to its own calls, so the user turns them on.
    mx.npx.set_np()
    import minpy.numpy as np
    from minpy.autograd import grad, make_vjp
    from minpy.symbol import Function

    sym = mx.sym.Convolution(mx.sym.Variable("x"), name="conv", kernel=(3, 3),
                             num_filter=filters, no_bias=True)
    xshape, wshape = (batch, 3, size, size), (filters, 3, 3, 3)
    rng = onp.random.RandomState(0)
    xh = rng.randn(*xshape).astype(dtype)
    wh = (rng.randn(*wshape) * 0.1).astype(dtype)
    ctx = mx.cpu()
    x_nd, w_nd = mx.np.array(xh, dtype=dtype, ctx=ctx), mx.np.array(wh, dtype=dtype, ctx=ctx)
    x, w = np.array(xh), np.array(wh)
    x._mx_value()
    w._mx_value()                       # both forms present: no conversion is timed
    fn = Function(sym, input_shapes={"x": xshape}, dtype=dtype)
    oshape = fn.get_output_shapes()[0]
    ones = mx.np.ones(oshape, dtype=dtype, ctx=ctx)
    ones_nd = ones.as_nd_ndarray()
    ones_minpy = np.ones(oshape, dtype=dtype)
    ones_minpy._mx_value()

    ex = sym.simple_bind(ctx, x=xshape, type_dict={"x": dtype, "conv_weight": dtype},
                         grad_req="write")
    xa, wa = ex.arg_dict["x"], ex.arg_dict["conv_weight"]
    x_legacy, w_legacy = x_nd.as_nd_ndarray(), w_nd.as_nd_ndarray()
    ex_bound = sym.bind(ctx, args={"x": x_legacy, "conv_weight": w_legacy})
    op = mx.nd.CachedOp(sym.as_np_ndarray())

    def executor():
        x_legacy.copyto(xa)
        w_legacy.copyto(wa)
        ex.forward(is_train=False)[0].wait_to_read()

    def executor_bound():
        ex_bound.forward(is_train=False)[0].wait_to_read()

    def cachedop():
        op(x_nd, w_nd).wait_to_read()

    def function():
        fn(x=x, conv_weight=w)._mx.wait_to_read()

    def executor_fb():
        x_legacy.copyto(xa)
        w_legacy.copyto(wa)
        ex.forward(is_train=True)
        ex.backward([ones_nd])
        ex.grad_arrays[1].wait_to_read()

    def cachedop_fb():
        xv, wv = x_nd.detach(), w_nd.detach()
        xv.attach_grad()
        wv.attach_grad()
        with mx.autograd.record():
            out = op(xv, wv)
        gx, gw = mx.autograd.grad([out], [xv, wv], head_grads=[ones], retain_graph=True)
        gw.wait_to_read()

    def cachedop_fb_sum():
        xv, wv = x_nd.detach(), w_nd.detach()
        xv.attach_grad()
        wv.attach_grad()
        with mx.autograd.record():
            loss = mx.np.sum(op(xv, wv))
        gx, gw = mx.autograd.grad([loss], [xv, wv])
        gw.wait_to_read()

    conv = lambda x, w: fn(x=x, conv_weight=w)          # noqa: E731
    vjp_of = make_vjp(conv, argnum=[0, 1])

    def function_vjp():
        vjp, _ = vjp_of(x, w)
        gx, gw = vjp(ones_minpy)
        gw._mx_value().wait_to_read()

    grad_of = grad(lambda x, w: np.sum(fn(x=x, conv_weight=w)), argnum=[0, 1])

    def function_grad():
        gx, gw = grad_of(x, w)
        gw._mx_value().wait_to_read()

    # Correctness of what is timed: same forward, same gradients.
    ref = op(x_nd, w_nd).asnumpy()
    onp.testing.assert_allclose(fn(x=x, conv_weight=w).asnumpy(), ref, rtol=1e-5, atol=1e-5)
    gx, gw = grad_of(x, w)
    xv, wv = x_nd.detach(), w_nd.detach()
    xv.attach_grad()
    wv.attach_grad()
    with mx.autograd.record():
        out = op(xv, wv)
    hx, hw = mx.autograd.grad([out], [xv, wv], head_grads=[ones])
    onp.testing.assert_allclose(gw.asnumpy(), hw.asnumpy(), rtol=1e-4, atol=1e-3)
    onp.testing.assert_allclose(gx.asnumpy(), hx.asnumpy(), rtol=1e-4, atol=1e-3)

    forward = {"executor": executor, "executor_bound": executor_bound,
               "cachedop": cachedop, "function": function}
    backward = {"executor_fb": executor_fb, "cachedop_fb": cachedop_fb,
                "function_vjp": function_vjp, "cachedop_fb_sum": cachedop_fb_sum,
                "function_grad": function_grad}
    return mx, fn, forward, backward


def measure(cases, cycles):
    """Round-robin: each cycle calls every mechanism once, timing each call alone, so
    that a burst of machine load hits all mechanisms alike. Per-call samples in us."""
    for f in cases.values():              # warm up: bind, allocate, JIT
        for _ in range(10):
            f()
    samples = {k: [] for k in cases}
    items = list(cases.items())
    clock = time.perf_counter_ns
    for i in range(cycles):
        order = items if i % 2 == 0 else items[::-1]
        for name, f in order:
            t0 = clock()
            f()
            samples[name].append((clock() - t0) / 1e3)
    return samples


def summarise(samples):
    out = {}
    for k, v in samples.items():
        v = sorted(v)
        out[k] = {"us_min": v[0], "us_p25": v[len(v) // 4], "us_median": statistics.median(v),
                  "samples": len(v)}
    return out


def paired_overhead(samples, a, b):
    """Median over cycles of (a - b): the extra cost of ``a`` in the same cycle."""
    return statistics.median(x - y for x, y in zip(samples[a], samples[b]))


#: (pass, numerator, denominator, target on the min ratio or None): the targets compare
#: a Function call with the raw MXNet mechanism doing the same work (CachedOp).
RATIOS = (
    ("forward", "function", "cachedop", 1.1),
    ("forward", "function", "executor", None),
    ("forward", "cachedop", "executor", None),
    ("forward+backward", "function_vjp", "cachedop_fb", 1.1),
    ("forward+backward", "function_grad", "cachedop_fb_sum", None),
    ("forward+backward", "cachedop_fb", "executor_fb", None),
)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--cycles", type=int, default=2000,
                    help="round-robin cycles for the forward mechanisms (a quarter of "
                         "that for forward+backward)")
    ap.add_argument("--json", metavar="PATH", help="write the results as JSON here")
    args = ap.parse_args(argv)

    mx, fn, forward, backward = build(args.dtype)
    raw = {}
    raw.update(measure(forward, args.cycles))
    raw.update(measure(backward, max(1, args.cycles // 4)))
    results = summarise(raw)

    print(f"Function overhead, conv 8x3x32x32 -> 32 filters 3x3, {args.dtype}; us per "
          f"call over {args.cycles} (forward) / {max(1, args.cycles // 4)} (backward) "
          "round-robin cycles")
    print(f"{'mechanism':<18}{'min':>10}{'p25':>10}{'median':>10}")
    for name, r in results.items():
        print(f"{name:<18}{r['us_min']:>10.1f}{r['us_p25']:>10.1f}{r['us_median']:>10.1f}")
    print()
    print(f"{'pass':<18}{'ratio':<34}{'min':>7}{'p25':>7}{'median':>7}"
          f"{'paired +us':>12}{'target':>9}{'result':>8}")
    ratios = []
    for kind, a, b, target in RATIOS:
        r = {q: results[a][f"us_{q}"] / results[b][f"us_{q}"]
             for q in ("min", "p25", "median")}
        extra = paired_overhead(raw, a, b)
        passed = None if target is None else r["min"] <= target
        ratios.append({"pass": kind, "numerator": a, "denominator": b,
                       "ratio_min": r["min"], "ratio_p25": r["p25"],
                       "ratio_median": r["median"], "paired_extra_us_median": extra,
                       "target": target, "passed": passed})
        print(f"{kind:<18}{a + ' / ' + b:<34}{r['min']:>7.3f}{r['p25']:>7.3f}"
              f"{r['median']:>7.3f}{extra:>12.1f}"
              f"{'-' if target is None else f'<= {target:g}':>9}"
              f"{'-' if passed is None else ('PASS' if passed else 'FAIL'):>8}")
    judged = [r for r in ratios if r["passed"] is not None]
    print(f"\nbind_count after the run: {fn.bind_count}. "
          f"{sum(r['passed'] for r in judged)}/{len(judged)} targets met (min ratio).")
    if args.json:
        import os
        payload = {
            "benchmark": "bench_symbol", "dtype": args.dtype,
            "shape": {"x": [8, 3, 32, 32], "conv_weight": [32, 3, 3, 3]},
            "cycles": args.cycles,
            "engine": os.environ.get("MXNET_ENGINE_TYPE"),
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
            "mxnet": mx.__version__, "numpy": onp.__version__,
            "python": platform.python_version(), "machine": platform.machine(),
            "cpus": os.cpu_count(), "results_us": results, "ratios": ratios,
            "bind_count": fn.bind_count,
        }
        with open(args.json, "w") as f:
            json.dump(payload, f, indent=2)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
