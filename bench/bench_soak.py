"""A long training run's resident memory: 100,000 steps, RSS sampled (issue 23).

The model: a ``minpy.symbol.Function`` (an MXNet FullyConnected + tanh layer, run as a
CachedOp forward and backward) feeding a softmax layer in ``minpy.numpy``, trained with
``minpy.autograd.grad`` and SGD under the default policy. Most steps use one batch size;
every ``--churn``-th step uses a batch of a size drawn from 1 to 200, so the Function
keeps binding new shapes and evicting old ones (its cache holds 64) for the whole run:
the case whose memory grew without end before issue 23.

Resident memory (``/proc/self/status`` VmRSS) is sampled every ``--every`` steps. The
target: after the first 10% of the steps (warm-up), the largest sample is within 5% of
the smallest. The curve goes into the JSON (``series``) and, with matplotlib, into
``soak_rss.png`` beside the JSON.

    python bench/bench_soak.py                  # 100,000 steps (~2-4 minutes)
    python bench/bench_soak.py --steps 5000     # shorter
    python bench/bench_soak.py --quick          # smoke run: 2,000 steps (run_all --quick)
"""

from __future__ import annotations

import os
import sys
import time

import numpy as onp

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import _harness as H  # noqa: E402

#: RSS spread (largest / smallest sample - 1) allowed after the warm-up.
FLAT = 0.05
WARMUP_SHARE = 0.1


def build(seed=0, n_in=32, hidden=32, classes=10):
    import mxnet as mx

    import minpy.numpy as np
    from minpy.symbol import Function
    net = mx.sym.Activation(mx.sym.FullyConnected(
        mx.sym.Variable("x"), num_hidden=hidden, name="fc"), act_type="tanh")
    layer = Function(net, name="hidden")
    rng = onp.random.RandomState(seed)
    params = {"fc_weight": np.array(rng.randn(hidden, n_in) * 0.1),
              "fc_bias": np.zeros(hidden),
              "w2": np.array(rng.randn(hidden, classes) * 0.1),
              "b2": np.zeros(classes)}

    def loss(p, x, y):
        h = layer(x=x, fc_weight=p["fc_weight"], fc_bias=p["fc_bias"])
        logits = h @ p["w2"] + p["b2"]
        logits = logits - np.max(logits, axis=1, keepdims=True)
        logp = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
        return -np.mean(np.sum(logp * y, axis=1))

    return layer, params, loss


def data(batch, rng, n_in=32, classes=10):
    x = rng.randn(batch, n_in)
    labels = (x[:, :classes].argmax(axis=1))   # a learnable rule
    return x, onp.eye(classes)[labels]


def soak(steps, every, churn, batch=16, lr=0.1, seed=0):
    import minpy.numpy as np
    from minpy.autograd import grad
    layer, params, loss = build(seed)
    g = grad(loss)
    rng = onp.random.RandomState(seed + 1)
    fixed = [tuple(np.array(a) for a in data(batch, rng)) for _ in range(8)]
    series_step, series_rss, losses = [], [], []
    t0 = time.perf_counter()
    for step in range(steps + 1):
        if step % every == 0:
            series_step.append(step)
            series_rss.append(H.rss_mb())
        if step == steps:
            break
        if churn and step % churn == churn - 1:
            x, y = (np.array(a) for a in data(int(rng.randint(1, 201)), rng))
        else:
            x, y = fixed[step % len(fixed)]
        grads = g(params, x, y)
        for k in params:
            params[k] = params[k] - lr * grads[k]
        if step % (every * 10) == 0:
            losses.append(float(loss(params, *fixed[0])))
    elapsed = time.perf_counter() - t0
    return {"step": series_step, "rss_mib": series_rss, "loss": losses,
            "seconds": elapsed, "bindings": layer.bind_count}


def plot(path, res, steps, spread, machine_line):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, ax = plt.subplots(figsize=(9, 3.2))
    ax.plot(res["step"], res["rss_mib"], lw=1.2, color="#1565c0")
    warm = int(steps * WARMUP_SHARE)
    ax.axvspan(0, warm, color="#eeeeee", label="warm-up (not judged)")
    after = [r for s, r in zip(res["step"], res["rss_mib"]) if s >= warm]
    lo = min(after)
    ax.axhline(lo * (1 + FLAT), color="#c62828", lw=0.8, ls="--",
               label=f"smallest after warm-up + {FLAT:.0%}")
    ax.set_xlabel("training step")
    ax.set_ylabel("resident memory (MiB)")
    ax.set_ylim(0, max(res["rss_mib"]) * 1.15)
    ax.set_title(f"Resident memory over {steps:,} training steps: spread after warm-up "
                 f"{spread:.1%} (target {FLAT:.0%})\n{machine_line}", fontsize=9)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv=None):
    p = H.parser(__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=None, help="training steps (100000)")
    p.add_argument("--every", type=int, default=None, help="steps between RSS samples")
    p.add_argument("--churn", type=int, default=200,
                   help="every CHURN-th step uses a new batch size (0: never)")
    args = p.parse_args(argv)
    started = time.perf_counter()
    steps = args.steps or (2_000 if args.quick else 100_000)
    every = args.every or max(1, steps // 200)
    info = H.machine()
    res = soak(steps, every, args.churn)
    warm = int(steps * WARMUP_SHARE)
    after = [r for s, r in zip(res["step"], res["rss_mib"]) if s >= warm]
    spread = max(after) / min(after) - 1
    assert res["loss"][-1] < res["loss"][0], res["loss"]  # it trains
    note = (f"{steps} steps ({res['seconds']:.0f} s, {res['seconds'] / steps * 1e6:.0f} "
            f"us/step), a Function layer + softmax, default policy; every {args.churn}th "
            f"step a new batch size ({res['bindings']} bindings made); RSS "
            f"{res['rss_mib'][0]:.1f} MiB at start, {min(after):.1f}-{max(after):.1f} "
            f"after {warm} warm-up steps, {res['rss_mib'][-1]:.1f} at the end; loss "
            f"{res['loss'][0]:.3f} -> {res['loss'][-1]:.3f}")
    rows = [H.Row("soak", f"RSS spread after warm-up, {steps} steps (max/min - 1)",
                  spread * 100, None, unit="%", target=FLAT * 100, cmp="value<=",
                  note=note),
            H.Row("soak", "RSS growth after warm-up", res["rss_mib"][-1] - after[0],
                  None, unit="MiB")]
    extra = {"series": {"step": res["step"], "rss_mib": res["rss_mib"]},
             "soak": {"steps": steps, "every": every, "churn": args.churn,
                      "warmup_steps": warm, "spread": spread, "seconds": res["seconds"],
                      "bindings": res["bindings"], "loss": res["loss"]}}
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        png = plot(os.path.join(os.path.dirname(os.path.abspath(args.json)),
                                "soak_rss.png"), res, steps, spread, H.machine_line(info))
        if png:
            extra["plot"] = os.path.basename(png)
            print("wrote", png)
    return H.report("memory soak", rows, info, args, extra=extra, started=started)


if __name__ == "__main__":
    sys.exit(main())
