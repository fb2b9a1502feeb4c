"""MinPy's main demo: a small convolutional network on scikit-learn's digits, on the CPU.

It shows, in one short real job:

* ``grad``: the gradient of a plain-Python loss with respect to every parameter;
* a symbol ``Function``: the convolution is an ``mx.sym`` graph, called like a
  function and differentiated through;
* a NumPy fallback: ``np.logaddexp`` has no MXNet kernel and runs in NumPy;
* where each op ran: ``show_op_stat()``;
* the same kind of network declared with ``minpy.nn`` and trained by its ``Solver``,
  with a checkpoint and an exact resume.

Run it with ``python -m nox -s demo`` (or ``python examples/demo.py``).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy

sys.path.insert(0, str(Path(__file__).resolve().parent))

# isort: off
# MinPy first: it lets `import mxnet` (which declares numpy<2) load on NumPy 2.
import minpy.numpy as np  # noqa: E402
from minpy.core import Function, grad_and_loss  # noqa: E402
import mxnet as mx  # noqa: E402
# isort: on

import digits  # noqa: E402

EPOCHS = 12
BATCH = 64
FILTERS = 8


def build_conv():
    """conv 3x3 (pad 1) -> relu -> 2x2 max pooling, as an MXNet symbol Function."""
    net = mx.sym.Variable("x")
    net = mx.sym.Convolution(net, name="conv", kernel=(3, 3), pad=(1, 1),
                             num_filter=FILTERS)
    net = mx.sym.Activation(net, act_type="relu")
    net = mx.sym.Pooling(net, kernel=(2, 2), stride=(2, 2), pool_type="max")
    return Function(net, name="conv_block")


def main(epochs: int = EPOCHS) -> float:
    x_train, y_train, x_test, y_test = digits.load()
    conv = build_conv()
    rng = numpy.random.RandomState(0)
    params = {
        "conv_weight": np.array(rng.normal(0, 0.3, (FILTERS, 1, 3, 3)).astype("float32")),
        "conv_bias": np.zeros(FILTERS, dtype="float32"),
        "w": np.array(rng.normal(0, 0.05, (FILTERS * 16, 10)).astype("float32")),
        "b": np.zeros(10, dtype="float32"),
    }

    def forward(p, x):
        feats = conv(x=x.reshape(-1, 1, 8, 8), conv_weight=p["conv_weight"],
                     conv_bias=p["conv_bias"])
        return np.dot(feats.reshape(feats.shape[0], -1), p["w"]) + p["b"]

    def loss(p, x, y):
        logits = forward(p, x)
        # logsumexp through np.logaddexp: a NumPy fallback inside the traced loss.
        top = np.max(logits, axis=1, keepdims=True)
        shifted = logits - top
        lse = np.log(np.sum(np.exp(shifted), axis=1))
        log_probs = shifted - lse.reshape(-1, 1)
        nll = -np.mean(log_probs[np.arange(y.shape[0]), y])
        return np.logaddexp(nll, -30.0)  # smooth floor at exp(-30): softplus-style

    step = grad_and_loss(loss)
    lr, momentum = 0.1, 0.9
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    n_batches = -(-x_train.shape[0] // BATCH)
    total = epochs * n_batches
    np.record_op_stat()
    start = time.perf_counter()
    done = 0
    for epoch in range(epochs):
        losses = []
        for idx in digits.batches(x_train.shape[0], BATCH, rng):
            grads, value = step(params, x_train[idx], y_train[idx])
            for k in params:
                velocity[k] = momentum * velocity[k] - lr * grads[k]
                params[k] = params[k] + velocity[k]
            losses.append(float(value))
            done += 1
            digits.progress(done, total, f"epoch {epoch + 1} loss {numpy.mean(losses):.4f}")
    elapsed = time.perf_counter() - start
    acc = digits.accuracy(forward(params, x_test), y_test)
    print(f"trained {epochs} epochs in {elapsed:.1f} s; test accuracy {acc:.2%} "
          f"on {x_test.shape[0]} held-out digits")
    print("\nWhere each op ran (policy: %s):" % np.get_policy().name)
    np.show_op_stat()
    return acc


def nn_demo(epochs: int = 3) -> float:
    """The training toolkit: a model_builder CNN, a Solver, a checkpoint after epoch 2,
    and a second run resumed from it that ends with bit-identical parameters."""
    import tempfile

    from minpy.nn import Solver
    from minpy.nn import model_builder as builder

    def run(resume_from=None, checkpoint_dir=None):
        np.random.seed(0)
        net = builder.Sequential(builder.Convolution((3, 3), FILTERS, pad=(1, 1)),
                                 builder.ReLU(), builder.Pooling("max", (2, 2)),
                                 builder.Flatten(), builder.Affine(10))
        train, test = digits.iterators(batch_size=32)
        solver = Solver(builder.Model(net, "softmax", (1, 8, 8)), train, test,
                        num_epochs=epochs, init_rule="he", update_rule="adam",
                        optim_config={"learning_rate": 1e-2}, verbose=False,
                        checkpoint_dir=checkpoint_dir, checkpoint_every=2,
                        resume_from=resume_from)
        solver.train()
        return solver

    print("\nminpy.nn: the same network from a model_builder spec, trained by a Solver")
    with tempfile.TemporaryDirectory() as tmp:
        full = run(checkpoint_dir=tmp)
        resumed = run(resume_from=f"{tmp}/epoch_0002.npz")
    same = all(numpy.array_equal(numpy.asarray(v), numpy.asarray(resumed.model.params[k]))
               for k, v in full.model.params.items())
    print(f"validation accuracy by epoch: {[f'{a:.2%}' for a in full.val_acc_history]}")
    print(f"resumed from the epoch-2 checkpoint: parameters bit-identical: {same}")
    return full.best_val_acc if same else 0.0


if __name__ == "__main__":
    accuracy = main()
    nn_accuracy = nn_demo()
    sys.exit(0 if accuracy > 0.9 and nn_accuracy > 0.9 else 1)
