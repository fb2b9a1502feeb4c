"""``Solver(..., kvstore=...)``: the :class:`~minpy.nn.solver.Solver` trained data-parallel.

``Solver(model, train, test, kvstore='dist_sync', ...)`` returns a
:class:`DistributedSolver`: the same training loop, with

* the training iterator sharded by rank (batch ``i`` of the shared sequence goes to
  worker ``i % num_workers``; every worker must build the same iterator, same seed),
* rank 0's initial (or resumed) parameters handed to every worker,
* gradients summed through the KVStore between ``compute_gradients`` and ``update``
  (the update on every worker, or on the servers with ``server_optimizer=``),
* accuracies counted on each worker's share of the data and gathered,
* at the end of every epoch, before evaluating, one gather that averages over the
  workers the epoch's losses (each worker's is its own batch's: the history then holds
  the loss of the whole step, the same on every worker) and the floating auxiliary
  states (batch-norm running statistics follow each worker's own batches: averaged,
  every worker evaluates the same model, and a checkpoint holds what all of them hold),
* checkpoints, the progress bar and printing on rank 0 only.

Its checkpoints are ordinary Solver checkpoints: one process resumes them, and a
distributed solver resumes a single process's checkpoint. With ``server_optimizer``
the optimizer state lives on the servers and is not in the checkpoint (parameters,
epoch and histories are).
"""

from __future__ import annotations

import numpy as onp

import minpy.numpy as np

from ..checkpoint import to_host
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
        self._averaged = len(self.loss_history)  # a checkpoint's are averaged already
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

    def _end_epoch(self, start):
        self._average_over_workers()
        super()._end_epoch(start)

    def _average_over_workers(self):
        """The epoch's losses and the floating auxiliary states become their means over
        the workers, in one gather. Without it the workers' histories differed, each
        evaluated with the running statistics of its own batches (the gathered accuracy
        mixed models), and a run resumed from rank 0's checkpoint left the
        uninterrupted one on the other workers. Under gradient compression there are no
        gathers: both stay per worker."""
        start, self._averaged = self._averaged, len(self.loss_history)
        if self.num_workers == 1 or self.dist.compression:
            return
        losses = self.loss_history[start:]
        aux = self.model.aux_params
        names = sorted(n for n, v in aux.items() if onp.dtype(v.dtype).kind == "f")
        hosts = [to_host(aux[n]) for n in names]
        total = self.dist.allreduce(onp.concatenate(
            [onp.asarray(losses, dtype=onp.float64)] +
            [h.astype(onp.float64).ravel() for h in hosts]))
        mean = total / self.num_workers
        self.loss_history[start:] = [float(v) for v in mean[:len(losses)]]
        offset = len(losses)
        for n, h in zip(names, hosts):
            aux[n] = np.array(mean[offset:offset + h.size].reshape(h.shape).astype(h.dtype))
            offset += h.size

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
