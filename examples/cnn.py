"""A small convolutional network on scikit-learn's digits, written as a
``minpy.nn.model.ModelBase`` (the original MinPy's style: declared parameters, a
``forward`` and a ``loss``) and trained by a ``Solver``.

``layers.conv2d`` and ``layers.max_pool`` run MXNet's kernels on the CPU (im2col in
``minpy.numpy`` elsewhere); batch normalisation keeps its running statistics as the
model's auxiliary states, saved in checkpoints with the parameters.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import digits  # noqa: E402

import minpy.numpy as np  # noqa: E402
from minpy.nn import Solver, layers  # noqa: E402
from minpy.nn.model import ModelBase  # noqa: E402


class ConvNet(ModelBase):
    """conv 3x3 (pad 1) -> batch norm -> relu -> 2x2 max pool -> affine -> relu -> affine."""

    def __init__(self, filters=16, hidden=64):
        super().__init__()
        self.add_param("conv_w", (filters, 1, 3, 3), init_rule="he") \
            .add_param("conv_b", (filters,), init_rule="constant") \
            .add_param("gamma", (filters,), init_rule="constant",
                       init_config={"value": 1.0}) \
            .add_param("beta", (filters,), init_rule="constant") \
            .add_param("w1", (filters * 4 * 4, hidden), init_rule="he") \
            .add_param("b1", (hidden,), init_rule="constant") \
            .add_param("w2", (hidden, 10)) \
            .add_param("b2", (10,), init_rule="constant")
        self.add_aux_param("running_mean", np.zeros(filters)) \
            .add_aux_param("running_var", np.ones(filters))

    def forward(self, X, mode):
        p = self.params
        x = np.reshape(X, (X.shape[0], 1, 8, 8))
        x = layers.conv2d(x, p["conv_w"], p["conv_b"], stride=1, pad=1)
        x, mean, var = layers.batchnorm(x, p["gamma"], p["beta"], mode,
                                        running_mean=self.aux_params["running_mean"],
                                        running_var=self.aux_params["running_var"])
        if mode == "train":
            self.aux_params.update(running_mean=mean, running_var=var)
        x = layers.max_pool(layers.relu(x), (2, 2))
        x = layers.relu(layers.affine(x, p["w1"], p["b1"]))
        return layers.affine(x, p["w2"], p["b2"])

    def loss(self, predict, y):
        return layers.softmax_loss(predict, y)


def main(epochs: int = 6, lr: float = 5e-3) -> float:
    np.random.seed(2)
    train, test = digits.iterators(batch_size=32)
    solver = Solver(ConvNet(), train, test, num_epochs=epochs, update_rule="adam",
                    optim_config={"learning_rate": lr}, print_every=100)
    solver.train()
    acc = solver.check_accuracy(test)
    print(f"test accuracy {acc:.2%}")
    return acc


if __name__ == "__main__":
    main()
