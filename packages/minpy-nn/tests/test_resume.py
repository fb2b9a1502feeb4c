"""Resuming a Solver from a checkpoint continues bit for bit, with every update rule,
``restore_best=True``, early stopping and a learning-rate schedule.

One uninterrupted run writes a checkpoint after every epoch; a fresh Solver resumed
from EACH of them (after NumPy's global generator was disturbed) must end in exactly
the state of the uninterrupted run: parameters, auxiliary states, optimizer state
(velocity, cache, m, v, t, learning rates), best parameters and accuracy, epochs since
the best, the early-stopping flag, epoch and iteration counts, the three histories,
NumPy's global generator (dropout masks) and the iterators' generators and positions.
The model has dropout and batch normalisation, the training iterator shuffles and
rolls its last batch over, so each of those states matters.
"""

from __future__ import annotations

import os

import numpy as onp
import pytest

import minpy.numpy as np
from minpy.core import Array
from minpy.nn import NDArrayIter, Solver, optim
from minpy.nn import model_builder as B

RULES = sorted(optim._BY_NAME)
CONFIGS = {
    "sgd": {"learning_rate": 0.2},
    "sgd_momentum": {"learning_rate": 0.05, "momentum": 0.8, "weight_decay": 1e-3},
    "nesterov": {"learning_rate": 0.05, "momentum": 0.8},
    "rmsprop": {"learning_rate": 3e-3, "decay_rate": 0.9},
    "adagrad": {"learning_rate": 0.05},
    "adam": {"learning_rate": 5e-3, "weight_decay": 1e-3},
}
EPOCHS = 6


def schedule(epoch):
    """Full rate for two epochs, then a crawl: the validation accuracy stalls, so the
    best epoch lies behind and early stopping comes (a module-level function: every
    run, the resumed ones included, passes the same one)."""
    return 1.0 if epoch < 2 else 0.02


def host(a):
    return onp.asarray(a.asnumpy() if isinstance(a, Array) else a)


def make_solver(digits, rule, epochs=EPOCHS, **kwargs):
    xtr, ytr, xte, yte = digits
    train = NDArrayIter(xtr[:280], ytr[:280], batch_size=50, shuffle=True, seed=3,
                        last_batch_handle="roll_over")
    test = NDArrayIter(xte[:90], yte[:90], batch_size=45)
    model = B.Model(B.Sequential(B.Affine(16), B.BatchNorm(), B.ReLU(), B.Dropout(0.3),
                                 B.Affine(10)), "softmax", (64,))
    options = dict(num_epochs=epochs, update_rule=rule, optim_config=CONFIGS[rule],
                   lr_schedule=schedule, early_stopping=2, restore_best=True,
                   verbose=False, progress=False)
    options.update(kwargs)
    return Solver(model, train, test, **options)


def state(solver):
    """Everything a resumed run must reproduce, as plain values."""
    def arrays(d):
        return {k: (host(v), host(v).dtype) for k, v in d.items()}

    optim_state = {p: {k: (host(v), host(v).dtype) if isinstance(v, (Array, onp.ndarray))
                       else (v, type(v)) for k, v in cfg.items()}
                   for p, cfg in solver.optim_configs.items()}
    return {
        "params": arrays(solver.model.params), "aux": arrays(solver.model.aux_params),
        "optim": optim_state, "best_params": arrays(solver.best_params),
        "best_val_acc": solver.best_val_acc, "since_best": solver._since_best,
        "stopped_early": solver.stopped_early, "epoch": solver.epoch,
        "iteration": solver.iteration, "loss_history": solver.loss_history,
        "train_acc_history": solver.train_acc_history,
        "val_acc_history": solver.val_acc_history,
        "numpy_random": onp.random.get_state(legacy=True),
        "train_iter": solver.train_dataiter.get_state(),
        "test_iter": solver.test_dataiter.get_state(),
    }


def assert_same(got, want, where=""):
    """Exact equality of nested states (arrays bit for bit, with their dtypes)."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and sorted(got) == sorted(want), (where, sorted(got),
                                                                       sorted(want))
        for k in want:
            assert_same(got[k], want[k], f"{where}/{k}")
    elif isinstance(want, (tuple, list)):
        assert len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same(g, w, f"{where}[{i}]")
    elif isinstance(want, onp.ndarray):
        assert isinstance(got, onp.ndarray) and got.dtype == want.dtype, where
        assert got.shape == want.shape and onp.array_equal(got, want, equal_nan=True), where
    else:
        assert type(got) is type(want) and got == want, (where, got, want)


def _checkpoints(path):
    return sorted(p for p in os.listdir(path) if p.startswith("epoch_"))


@pytest.mark.parametrize("rule", RULES)
def test_resume_from_every_epoch_is_bit_for_bit(digits, tmp_path, rule):
    np.random.seed(0)
    full = make_solver(digits, rule, checkpoint_dir=tmp_path, checkpoint_every=1)
    full.train()
    want = state(full)
    names = _checkpoints(tmp_path)
    assert len(names) == full.epoch >= 3
    # The scenario covers what it should: the schedule changed the rate, the optimizer
    # state is there, the best epoch lies behind the last one.
    for cfg in full.optim_configs.values():
        assert cfg["learning_rate"] == CONFIGS[rule]["learning_rate"] * schedule(
            full.epoch - 1)
    best_epoch = full.val_acc_history.index(full.best_val_acc) + 1
    assert best_epoch < full.epoch, full.val_acc_history
    for name in names:
        onp.random.seed(99)        # the checkpoint must bring back NumPy's generator
        np.random.seed(99)
        resumed = make_solver(digits, rule, resume_from=tmp_path / name)
        assert resumed.epoch == int(name[6:10])
        resumed.train()
        assert_same(state(resumed), want, f"{rule} resumed from {name}")
    for p, cfg in want["optim"].items():
        keys = {"sgd": set(), "sgd_momentum": {"velocity"}, "nesterov": {"velocity"},
                "rmsprop": {"cache"}, "adagrad": {"cache"}, "adam": {"m", "v", "t"}}[rule]
        assert keys <= set(cfg), (rule, p, sorted(cfg))


def test_the_scenarios_stop_early_and_restore_the_best(digits, tmp_path):
    """Across the rules, the runs above stop early and end with the best parameters in
    the model, not the last ones (what restore_best and the resumed counters decide)."""
    stopped, restored = [], []
    for rule in ("sgd", "adam"):
        np.random.seed(0)
        solver = make_solver(digits, rule, restore_best=False)
        solver.train()
        last = {k: host(v) for k, v in solver.model.params.items()}
        np.random.seed(0)
        best = make_solver(digits, rule)
        best.train()
        assert_same(state(best)["best_params"], state(solver)["best_params"], rule)
        for k, v in best.model.params.items():
            onp.testing.assert_array_equal(host(v), host(best.best_params[k]))
        stopped.append(solver.stopped_early and solver.epoch < EPOCHS)
        restored.append(any(not onp.array_equal(last[k], host(best.model.params[k]))
                            for k in last))
    assert all(stopped) and all(restored), (stopped, restored)


def test_resume_with_lr_decay_and_without_restore_best(digits, tmp_path):
    """The original's ``lr_decay`` (the rate multiplied after every epoch) instead of a
    schedule; the last parameters, not the best, stay in the model."""
    np.random.seed(0)
    options = dict(lr_schedule=None, lr_decay=0.7, restore_best=False, early_stopping=None)
    full = make_solver(digits, "nesterov", epochs=4, checkpoint_dir=tmp_path,
                       checkpoint_every=1, **options)
    full.train()
    want = state(full)
    onp.random.seed(5)
    resumed = make_solver(digits, "nesterov", epochs=4,
                          resume_from=tmp_path / "epoch_0002.npz", **options)
    resumed.train()
    assert_same(state(resumed), want, "lr_decay")
    assert want["optim"]["affine0_weight"]["learning_rate"][0] == pytest.approx(
        0.05 * 0.7 ** 4)
