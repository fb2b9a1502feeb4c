"""``Solver(..., jit=True)``: the training step's two halves compiled by ``minpy.jit``.

``compute_gradients`` (forward, loss, backward) and ``update`` (the update rule of every
parameter) are each captured once per batch shape and replayed after; between them
``aggregate_gradients`` runs as it is (a data-parallel solver's KVStore exchange is
no ``minpy.numpy`` op, so it stays outside the compiled code). Parameters, optimizer
state and the batch are arguments of the compiled functions, so the programs read
their current values on every call; hyperparameters (learning rates) are part of the
signature: a new learning rate captures once more.
"""

from __future__ import annotations

from .io import DataBatch

__all__ = ["JittedStep"]


def _jit():
    try:
        from minpy.jit import jit
    except ImportError as exc:  # pragma: no cover - minpy-jit is a sibling distribution
        raise ImportError("Solver(..., jit=True) needs minpy-jit: pip install minpy-jit "
                          "(or the minpy meta package)") from exc
    return jit


class JittedStep:
    """The compiled halves of ``solver``'s step."""

    def __init__(self, solver):
        jit = _jit()
        self.solver = solver
        self.gradients = jit(self._gradients)
        self.updates = jit(self._updates)

    def _gradients(self, params, data, label, pad):
        s = self.solver
        model = s.model
        saved = model.params
        model.params = params
        try:
            return s.compute_gradients(DataBatch(list(data), list(label), pad))
        finally:
            model.params = saved

    def _updates(self, params, grads, configs):
        s = self.solver
        model = s.model
        saved = model.params, s.optim_configs
        model.params, s.optim_configs = dict(params), dict(configs)
        try:
            s.update(grads)
            return model.params, s.optim_configs
        finally:
            model.params, s.optim_configs = saved

    def compute_gradients(self, batch):
        data = batch.data if isinstance(batch, DataBatch) else [batch[0]]
        label = batch.label if isinstance(batch, DataBatch) else [batch[1]]
        return self.gradients(dict(self.solver.model.params), list(data), list(label),
                              int(getattr(batch, "pad", 0) or 0))

    def update(self, grads):
        s = self.solver
        params, configs = self.updates(dict(s.model.params), grads, s.optim_configs)
        s.model.params.update(params)
        s.optim_configs = dict(configs)
