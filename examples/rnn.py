"""A recurrent network on sequences: each 8x8 digit image read row by row (8 steps of
8 pixels) by an LSTM (``layers.lstm_temporal``, a Python loop over time that autograd
traces), classified from the last hidden state, trained by a ``Solver``."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import digits  # noqa: E402

import minpy.numpy as np  # noqa: E402
from minpy.nn import Solver, layers  # noqa: E402
from minpy.nn.model import ModelBase  # noqa: E402


class RowLSTM(ModelBase):
    def __init__(self, hidden=32, steps=8, features=8):
        super().__init__()
        self.steps, self.features = steps, features
        self.add_param("Wx", (features, 4 * hidden)) \
            .add_param("Wh", (hidden, 4 * hidden)) \
            .add_param("b", (4 * hidden,), init_rule="constant") \
            .add_param("Wy", (hidden, 10)) \
            .add_param("by", (10,), init_rule="constant")

    def forward(self, X, mode):
        p = self.params
        seq = np.reshape(X, (X.shape[0], self.steps, self.features))
        h0 = np.zeros((X.shape[0], p["Wh"].shape[0]), dtype=p["Wh"].dtype)
        h = layers.lstm_temporal(seq, h0, p["Wx"], p["Wh"], p["b"])
        return layers.affine(h[:, -1, :], p["Wy"], p["by"])

    def loss(self, predict, y):
        return layers.softmax_loss(predict, y)


def main(epochs: int = 12, hidden: int = 32, lr: float = 1e-2) -> float:
    np.random.seed(3)
    train, test = digits.iterators(batch_size=32)
    solver = Solver(RowLSTM(hidden), train, test, num_epochs=epochs, update_rule="adam",
                    optim_config={"learning_rate": lr}, print_every=100)
    solver.train()
    acc = solver.check_accuracy(test)
    print(f"test accuracy {acc:.2%}")
    return acc


if __name__ == "__main__":
    main()
