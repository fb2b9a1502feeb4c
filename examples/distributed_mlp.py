"""A digits MLP trained data-parallel on MXNet's KVStore with ``minpy.nn``'s Solver.

Two workers and one server on this machine::

    python -m minpy.nn.launch -n 2 -s 1 examples/distributed_mlp.py
    python -m minpy.nn.launch -n 2 -s 1 examples/distributed_mlp.py --kvstore dist_async

One process, same script: ``python examples/distributed_mlp.py --kvstore local``.
Every worker builds the same data iterator (same shuffling seed); the Solver shards its
batches by rank, sums the gradients through the KVStore, gathers the accuracies, and
only rank 0 prints and writes checkpoints.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import digits  # noqa: E402

from minpy.nn import NDArrayIter, Solver  # noqa: E402
from minpy.nn import model_builder as builder  # noqa: E402


def make_solver(kvstore="dist_sync", epochs=10, batch_size=32, lr=0.1, checkpoint_dir=None,
                resume_from=None, **options):
    """The digits MLP's Solver; ``kvstore=None`` is one plain process."""
    x_train, y_train, x_test, y_test = digits.load()
    model = builder.Model(builder.Sequential(builder.Affine(128), builder.ReLU(),
                                             builder.Affine(10)), "softmax", (64,))
    # The same iterator (same seed) on every worker: the Solver shards its batches.
    train = NDArrayIter(x_train, y_train, batch_size=batch_size, shuffle=True, seed=0)
    test = NDArrayIter(x_test, y_test, batch_size=100)
    options = dict(dict(update_rule="sgd_momentum",
                        optim_config={"learning_rate": lr, "momentum": 0.9},
                        num_epochs=epochs, print_every=20, progress=True,
                        checkpoint_dir=checkpoint_dir,
                        checkpoint_every=1 if checkpoint_dir else 0,
                        resume_from=resume_from), **options)
    if kvstore == "dist_async":
        # Asynchronous updates run on the servers, each worker's gradients as they come.
        options.setdefault("server_optimizer", ("sgd_momentum", {"learning_rate": lr,
                                                                 "momentum": 0.9}))
    return Solver(model, train, test, kvstore=kvstore, **options)


def main(argv=None) -> float:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--kvstore", default="dist_sync",
                   choices=["local", "device", "dist_sync", "dist_async"])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=32, help="per worker")
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--checkpoint-dir", default=None, help="rank 0 writes epoch_<n>.npz")
    p.add_argument("--resume", default=None, help="a checkpoint to continue from")
    args = p.parse_args(argv)
    solver = make_solver(args.kvstore, args.epochs, args.batch_size, args.lr,
                         args.checkpoint_dir, args.resume)
    solver.train()
    acc = solver.check_accuracy(solver.test_dataiter)  # gathered over the workers
    if solver.rank == 0:
        print(f"{solver.num_workers} workers ({args.kvstore}): test accuracy {acc:.2%} "
              f"after epoch {solver.epoch}")
    return acc


if __name__ == "__main__":
    main()
