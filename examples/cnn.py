"""A convolutional network whose feature extractor is an MXNet symbol graph wrapped as
a MinPy ``Function``, trained end to end with a NumPy-written classifier and loss."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy

sys.path.insert(0, str(Path(__file__).resolve().parent))

# isort: off
# MinPy first: it lets `import mxnet` (which declares numpy<2) load on NumPy 2.
import minpy.numpy as np  # noqa: E402
from minpy.symbol import Function  # noqa: E402
import mxnet as mx  # noqa: E402
# isort: on

import digits  # noqa: E402


def features():
    net = mx.sym.Variable("x")
    net = mx.sym.Convolution(net, name="conv1", kernel=(3, 3), pad=(1, 1), num_filter=16)
    net = mx.sym.Activation(net, act_type="relu")
    net = mx.sym.Pooling(net, kernel=(2, 2), stride=(2, 2), pool_type="max")
    net = mx.sym.Flatten(net)
    net = mx.sym.FullyConnected(net, name="fc1", num_hidden=32)
    return mx.sym.Activation(net, act_type="relu")


def main(epochs: int = 8, lr: float = 0.2) -> float:
    feat = Function(features(), name="features")
    rng = numpy.random.RandomState(2)
    shapes = {"conv1_weight": (16, 1, 3, 3), "conv1_bias": (16,),
              "fc1_weight": (32, 16 * 16), "fc1_bias": (32,)}
    # He initialisation: weights scaled by sqrt(2 / fan-in), biases zero.
    params = {k: np.array((rng.normal(0, 1, s) * numpy.sqrt(2.0 / numpy.prod(s[1:]))
                           if len(s) > 1 else numpy.zeros(s)).astype("float32"))
              for k, s in shapes.items()}
    params["w"] = np.array(rng.normal(0, 0.1, (32, 10)).astype("float32"))
    params["b"] = np.zeros(10, dtype="float32")

    def forward(p, x):
        h = feat(x=x.reshape(-1, 1, 8, 8), **{k: p[k] for k in shapes})
        return np.dot(h, p["w"]) + p["b"]

    return digits.train_classifier(forward, params, epochs, lr, 64, rng,
                                   log_every=1)[1]


if __name__ == "__main__":
    main()
