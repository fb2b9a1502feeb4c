"""A two-layer perceptron on scikit-learn's digits, declared with ``minpy.nn``'s
``model_builder`` (parameter shapes inferred from the input shape) and trained by a
``Solver`` (Adam, a progress bar on a terminal, the best parameters kept)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import digits  # noqa: E402

import minpy.numpy as np  # noqa: E402
from minpy.nn import Solver  # noqa: E402
from minpy.nn import model_builder as builder  # noqa: E402


def main(epochs: int = 10, hidden: int = 128, lr: float = 1e-2) -> float:
    np.random.seed(1)
    net = builder.Sequential(builder.Affine(hidden), builder.ReLU(), builder.Affine(10))
    model = builder.Model(net, "softmax", (64,))
    train, test = digits.iterators(batch_size=64)
    solver = Solver(model, train, test, num_epochs=epochs, init_rule="he",
                    update_rule="adam", optim_config={"learning_rate": lr},
                    print_every=100)
    solver.train()
    acc = solver.check_accuracy(test)
    print(f"test accuracy {acc:.2%}")
    return acc


if __name__ == "__main__":
    main()
