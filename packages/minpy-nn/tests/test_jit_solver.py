"""``Solver(..., jit=True)``: the compiled step trains exactly as the eager one (same
losses, same parameters), also data-parallel on an in-process KVStore."""

import warnings

import numpy as onp
import pytest

import minpy.numpy as np
from minpy.nn import NDArrayIter, Solver
from minpy.nn import model_builder as B

pytest.importorskip("minpy.jit", reason="needs minpy-jit")


def _solver(digits, jit, update_rule="sgd_momentum", dropout=None, **kw):
    np.random.seed(0)
    xtr, ytr, xte, yte = digits
    train = NDArrayIter(xtr[:256], ytr[:256], batch_size=64, shuffle=True)
    test = NDArrayIter(xte[:120], yte[:120], batch_size=120)
    spec = [B.Affine(32), B.ReLU()] + ([B.Dropout(dropout)] if dropout else []) + [
        B.Affine(10)]
    model = B.Model(B.Sequential(*spec), "softmax", (64,))
    solver = Solver(model, train, test, num_epochs=2, update_rule=update_rule,
                    optim_config={"learning_rate": 0.05}, verbose=False, jit=jit, **kw)
    from minpy.jit import JitWarning
    with warnings.catch_warnings():
        warnings.simplefilter("error", JitWarning)  # nothing ran eagerly
        solver.train()
    return solver


@pytest.mark.parametrize("dropout", [None, 0.3])
def test_jit_solver_trains_bit_for_bit_as_eager(digits, dropout):
    eager = _solver(digits, False, dropout=dropout)
    jitted = _solver(digits, True, dropout=dropout)
    assert jitted.loss_history == eager.loss_history
    for k, v in eager.model.params.items():
        onp.testing.assert_array_equal(onp.asarray(jitted.model.params[k]), onp.asarray(v))
    st = jitted._jitted.gradients.stats
    assert st["captures"] == 1 and st["replays"] == len(eager.loss_history) - 1
    assert jitted._jitted.updates.stats["replays"] >= 6


def test_jit_distributed_step_on_a_local_kvstore(digits):
    eager = _solver(digits, False, kvstore="local")
    jitted = _solver(digits, True, kvstore="local")
    assert type(jitted).__name__ == "DistributedSolver"
    assert jitted.loss_history == eager.loss_history
    assert jitted._jitted.gradients.stats["replays"] > 0
