"""Solver: accuracy on scikit-learn's digits, exact checkpoint resume, bad checkpoints,
progress output, plots, and the training-step hooks."""

import os

import numpy as onp
import pytest

import minpy.numpy as np
from minpy.nn import CheckpointError, NDArrayIter, Solver, layers
from minpy.nn import model_builder as B
from minpy.nn.model import ModelBase


def host(a):
    return onp.asarray(a)


def mlp(hidden=128, dropout=None, batchnorm=False):
    spec = [B.Affine(hidden)]
    if batchnorm:
        spec.append(B.BatchNorm())
    spec.append(B.ReLU())
    if dropout:
        spec.append(B.Dropout(dropout))
    spec.append(B.Affine(10))
    return B.Model(B.Sequential(*spec), "softmax", (64,))


def iters(digits, batch_size=64, n_train=None, **kw):
    xtr, ytr, xte, yte = digits
    n = n_train or len(xtr)
    return (NDArrayIter(xtr[:n], ytr[:n], batch_size=batch_size, shuffle=True, **kw),
            NDArrayIter(xte, yte, batch_size=120))


def test_mlp_reaches_95_percent_on_digits(digits):
    np.random.seed(0)
    train, test = iters(digits)
    solver = Solver(mlp(), train, test, num_epochs=8, init_rule="he",
                    update_rule="adam", optim_config={"learning_rate": 1e-2},
                    verbose=False)
    solver.train()
    assert solver.best_val_acc >= 0.95, solver.val_acc_history
    # the best parameters are in the model at the end; accuracy recomputed from them
    assert solver.check_accuracy(test) == solver.best_val_acc
    assert len(solver.loss_history) == 8 * train.getnumiterations()
    assert solver.loss_history[-1] < solver.loss_history[0] / 5


def test_cnn_on_digits(digits):
    np.random.seed(0)
    train, test = iters(digits, batch_size=32)
    net = B.Sequential(B.Convolution((3, 3), 8, pad=(1, 1)), B.ReLU(),
                       B.Pooling("max", (2, 2)), B.Flatten(), B.Affine(10))
    model = B.Model(net, "softmax", (1, 8, 8))
    assert model.param_configs["convolution0_weight"]["shape"] == (8, 1, 3, 3)
    assert model.param_configs["affine4_weight"]["shape"] == (128, 10)
    solver = Solver(model, train, test, num_epochs=3, init_rule="he",
                    update_rule="adam", optim_config={"learning_rate": 1e-2},
                    verbose=False)
    solver.train()
    assert solver.best_val_acc >= 0.95, solver.val_acc_history


def _run(digits, epochs, checkpoint_dir=None, resume_from=None, seed=0):
    np.random.seed(seed)
    train, test = iters(digits, batch_size=50, n_train=600, last_batch_handle="roll_over")
    model = mlp(hidden=32, dropout=0.3, batchnorm=True)
    solver = Solver(model, train, test, num_epochs=epochs, update_rule="sgd_momentum",
                    optim_config={"learning_rate": 0.05, "weight_decay": 1e-4},
                    lr_decay=0.9, verbose=False, restore_best=False,
                    checkpoint_dir=checkpoint_dir, checkpoint_every=1,
                    resume_from=resume_from)
    solver.train()
    return solver


def test_resume_continues_bit_for_bit(digits, tmp_path):
    full = _run(digits, 4)
    _run(digits, 2, checkpoint_dir=tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["epoch_0001.npz", "epoch_0002.npz",
                                            "latest.npz"]
    onp.random.seed(99)   # whatever happened in between is overwritten by the checkpoint
    resumed = _run(digits, 4, resume_from=tmp_path / "epoch_0002.npz", seed=7)
    for k, v in full.model.params.items():
        assert onp.array_equal(host(v), host(resumed.model.params[k])), k
    for k, v in full.model.aux_params.items():
        assert onp.array_equal(host(v), host(resumed.model.aux_params[k])), k
    assert resumed.loss_history == full.loss_history
    assert resumed.val_acc_history == full.val_acc_history
    assert resumed.optim_configs.keys() == full.optim_configs.keys()
    for p, cfg in full.optim_configs.items():
        assert cfg["learning_rate"] == resumed.optim_configs[p]["learning_rate"]
        assert onp.array_equal(host(cfg["velocity"]),
                               host(resumed.optim_configs[p]["velocity"]))


def test_bad_checkpoints_raise_and_change_nothing(digits, tmp_path):
    solver = _run(digits, 1, checkpoint_dir=tmp_path)
    good = tmp_path / "epoch_0001.npz"
    model = solver.model
    before = {k: host(v).copy() for k, v in model.params.items()}

    data = good.read_bytes()
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated or corrupted"):
        solver.resume(truncated)
    with pytest.raises(CheckpointError, match="truncated or corrupted"):
        model.load(truncated)
    flipped = bytearray(data)
    flipped[len(data) // 3] ^= 0xFF
    (tmp_path / "flipped.npz").write_bytes(bytes(flipped))
    with pytest.raises(CheckpointError):
        model.load(tmp_path / "flipped.npz")

    other = mlp(hidden=16)                   # same names, other shapes
    with pytest.raises(CheckpointError, match=r"'affine0_weight' has shape \(64, 32\)"):
        other.load(good)
    smaller = B.Model(B.Sequential(B.Affine(10)), "softmax", (64,))
    smaller.init_params()
    smaller.save(tmp_path / "smaller.npz")
    with pytest.raises(CheckpointError,
                       match=r"missing parameters \['affine2_bias', 'affine2_weight'\]"):
        mlp(hidden=32).load(tmp_path / "smaller.npz")
    with pytest.raises(CheckpointError, match="unexpected parameters"):
        smaller.load(good)
    model_only = tmp_path / "model_only.npz"
    model.save(model_only)
    with pytest.raises(CheckpointError, match="not a Solver checkpoint"):
        solver.resume(model_only)
    not_npz = tmp_path / "plain.npz"
    onp.savez(not_npz, a=onp.ones(2))
    with pytest.raises(CheckpointError, match="not a minpy.nn checkpoint"):
        model.load(not_npz)
    for k, v in model.params.items():
        assert onp.array_equal(before[k], host(v)), k
    # the good file still loads, into a fresh model of the same spec
    fresh = mlp(hidden=32, batchnorm=True, dropout=0.3)
    fresh.load(good)
    assert onp.array_equal(host(fresh.params["affine0_weight"]),
                           before["affine0_weight"])


def test_early_stopping_schedule_and_iterables(digits):
    xtr, ytr, xte, yte = digits
    batches = [(xtr[i:i + 100], ytr[i:i + 100]) for i in range(0, 500, 100)]
    seen = []

    class Tracking(Solver):
        def aggregate_gradients(self, grads):
            seen.append(sorted(grads))
            return grads

    solver = Tracking(mlp(16), batches, [(xte, yte)], num_epochs=30, update_rule="sgd",
                      optim_config={"learning_rate": 0.0}, early_stopping=2,
                      lr_schedule=lambda e: 1.0, verbose=False)
    solver.train()
    assert solver.stopped_early and solver.epoch == 3      # lr 0: never improves
    assert len(seen) == 15 and seen[0] == sorted(solver.model.params)
    with pytest.raises(ValueError, match='Unrecognized arguments "num_epoch"'):
        Solver(mlp(16), batches, num_epoch=3)


def test_progress_is_quiet_off_a_terminal(digits, capsys, tmp_path):
    pytest.importorskip("tqdm")
    train, test = iters(digits, n_train=200)
    solver = Solver(mlp(16), train, test, num_epochs=1, verbose=False)
    solver.train()
    out, err = capsys.readouterr()
    assert out == "" and err == ""
    solver = Solver(mlp(16), train, test, num_epochs=1, verbose=True, print_every=2)
    solver.train()
    out, _ = capsys.readouterr()
    assert "(Iteration 1 / 4) loss:" in out and "(Epoch 1 / 1) train acc:" in out


def test_plot_history(digits, tmp_path):
    pytest.importorskip("matplotlib")
    train, test = iters(digits, n_train=200)
    solver = Solver(mlp(16), train, test, num_epochs=2, verbose=False)
    solver.train()
    path = solver.plot_history(tmp_path / "h.png")
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_regression_task(digits):
    class Linear(ModelBase):
        def __init__(self):
            super().__init__()
            self.add_param("w", (3, 1)).add_param("b", (1,), init_rule="constant")

        def forward(self, X, mode):
            return layers.affine(X, self.params["w"], self.params["b"])

        def loss(self, predict, y):
            return layers.l2_loss(predict, y)

    rng = onp.random.RandomState(0)
    x = rng.randn(200, 3)
    y = x @ onp.array([[1.0], [-2.0], [0.5]]) + 0.3
    it = NDArrayIter(x, y, batch_size=20, shuffle=True, seed=0)
    solver = Solver(Linear(), it, it, task_type="regression", update_rule="adam",
                    optim_config={"learning_rate": 0.05}, num_epochs=30, verbose=False)
    solver.train()
    assert solver.best_val_acc > -1e-2   # minus the mean squared error
    onp.testing.assert_allclose(host(solver.model.params["w"]).ravel(), [1, -2, 0.5],
                                atol=0.05)


def test_progress_bar_on_a_terminal(digits, monkeypatch):
    pytest.importorskip("tqdm")
    import io
    import sys

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    train, test = iters(digits, n_train=256)
    Solver(mlp(16), train, test, num_epochs=1, verbose=False).train()
    assert "epoch 1/1" in term.getvalue() and "/4 [" in term.getvalue()   # 4 batches
    term.truncate(0)
    Solver(mlp(16), train, test, num_epochs=1, verbose=False, progress=False).train()
    assert term.getvalue().strip("\x00") == ""


@pytest.mark.parametrize("policy", ["prefer_mxnet", "only_numpy"])
def test_same_training_under_every_policy(digits, policy):
    """The same CNN step sequence under the policies that can run it: the losses agree
    with the default policy's to rounding."""
    from minpy.core import _mxnet
    if policy == "prefer_mxnet" and not _mxnet.available():
        pytest.skip("MXNet not installed")
    xtr, ytr, _, _ = digits

    def losses():
        np.random.seed(0)
        net = B.Sequential(B.Convolution((3, 3), 4, pad=1), B.BatchNorm(), B.ReLU(),
                           B.Pooling("max", 2), B.Flatten(), B.Dropout(0.1), B.Affine(10))
        it = NDArrayIter(xtr[:100], ytr[:100], batch_size=50, shuffle=True)
        solver = Solver(B.Model(net, "softmax", (1, 8, 8)), it, num_epochs=1,
                        update_rule="adam", verbose=False, init_rule="he",
                        train_acc_num_samples=50)
        solver.train()
        return solver.loss_history

    reference = losses()
    with np.policy(policy):
        got = losses()
    onp.testing.assert_allclose(got, reference, rtol=1e-9)
    assert len(got) == 2
