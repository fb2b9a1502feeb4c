"""``Solver(..., kvstore=...)``: the :class:`~minpy.nn.solver.Solver` trained data-parallel.

``Solver(model, train, test, kvstore='dist_sync', ...)`` returns a
:class:`DistributedSolver`: the same training loop, with

* the training iterator sharded by rank (batch ``i`` of the shared sequence goes to
  worker ``i % num_workers``; every worker must build the same iterator, same seed),
* rank 0's initial (or resumed) parameters handed to every worker,
* gradients summed through the KVStore between ``compute_gradients`` and ``update``
  (the update on every worker, or on the servers with ``server_optimizer=``),
* accuracies counted on each worker's share of the data and gathered,
* checkpoints, the progress bar and printing on rank 0 only.

Its checkpoints are ordinary Solver checkpoints: one process resumes them, and a
distributed solver resumes a single process's checkpoint. With ``server_optimizer``
the optimizer state lives on the servers and is not in the checkpoint (parameters,
epoch and histories are).
"""

from __future__ import annotations

from ..solver import Solver
from .data_parallel import DataParallel, ShardedIter

__all__ = ["DistributedSolver"]


class DistributedSolver(Solver):
    """A :class:`~minpy.nn.solver.Solver` over a :class:`DataParallel` KVStore.

    Parameters
    ----------
    model, train_dataiter, test_dataiter, **kwargs
        As for :class:`~minpy.nn.solver.Solver`.
    kvstore : {'local', 'device', 'dist_sync', 'dist_async'} or DataParallel
    server_optimizer, compression
        See :class:`DataParallel` (``'dist_async'`` needs ``server_optimizer``).

    Attributes
    ----------
    dist : DataParallel
        ``dist.rank``, ``dist.num_workers``.
    """

    def __init__(self, model, train_dataiter, test_dataiter=None, *, kvstore="dist_sync",
                 server_optimizer=None, compression=None, **kwargs):
        self.dist = kvstore if isinstance(kvstore, DataParallel) else DataParallel(
            kvstore, server_optimizer=server_optimizer, compression=compression)
        self.rank, self.num_workers = self.dist.rank, self.dist.num_workers
        self._base_iterators = {"train": train_dataiter, "test": test_dataiter}
        if self.rank != 0:  # one progress bar and one log for the job
            kwargs["verbose"] = False
            kwargs["progress"] = False
        kwargs.pop("kvstore", None)
        super().__init__(model, ShardedIter(train_dataiter, self.rank, self.num_workers),
                         test_dataiter, **kwargs)

    # The iterators whose state checkpoints hold are the shared, unsharded ones.
    def _iterators(self):
        return dict(self._base_iterators)

    def train(self):
        if not self.model.params:
            self.init()
        # Everyone starts from rank 0's parameters (fresh or resumed).
        self.model.params.update(self.dist.init_params(self.model.params))
        return super().train()

    def aggregate_gradients(self, grads):
        if self.dist.update_on_kvstore:
            return grads  # pushed by update()
        return self.dist.aggregate(grads)

    def update(self, grads):
        if self.dist.update_on_kvstore:
            self.model.params.update(self.dist.step(grads))
        else:
            super().update(grads)

    def check_accuracy(self, dataiter, num_samples=None):
        """Accuracy over all workers: each counts its share of ``dataiter`` (and of
        ``num_samples``); the counts are summed."""
        if isinstance(dataiter, ShardedIter):  # the training iterator: shard it anew
            dataiter = dataiter.base
        if self.dist.compression:
            # No gathers under compression (MXNet compresses every push); the workers
            # hold the same parameters, so each evaluates everything and all agree.
            return super().check_accuracy(dataiter, num_samples)
        if num_samples is not None:
            num_samples = -(-int(num_samples) // self.num_workers)
        return super().check_accuracy(
            ShardedIter(dataiter, self.rank, self.num_workers, equal=False), num_samples)

    def _accuracy(self, correct, total):
        return self.dist.accuracy(correct, total)

    def save_checkpoint(self, path):
        """Rank 0 writes the checkpoint; the other workers write nothing."""
        if self.rank == 0:
            return super().save_checkpoint(path)
        return path
