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


def main(argv=None) -> float:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--kvstore", default="dist_sync",
                   choices=["local", "device", "dist_sync", "dist_async"])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=32, help="per worker")
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--checkpoint-dir", default=None)
    args = p.parse_args(argv)

    x_train, y_train, x_test, y_test = digits.load()
    model = builder.Model(builder.Sequential(builder.Affine(128), builder.ReLU(),
                                             builder.Affine(10)), "softmax", (64,))
    train = NDArrayIter(x_train, y_train, batch_size=args.batch_size, shuffle=True, seed=0)
    test = NDArrayIter(x_test, y_test, batch_size=100)
    options = dict(update_rule="sgd_momentum",
                   optim_config={"learning_rate": args.lr, "momentum": 0.9},
                   num_epochs=args.epochs, print_every=20, progress=True,
                   checkpoint_dir=args.checkpoint_dir,
                   checkpoint_every=1 if args.checkpoint_dir else 0)
    if args.kvstore == "dist_async":
        # Asynchronous updates run on the servers, each worker's gradients as they come.
        options["server_optimizer"] = ("sgd_momentum", {"learning_rate": args.lr,
                                                        "momentum": 0.9})
    solver = Solver(model, train, test, kvstore=args.kvstore, **options)
    solver.train()
    acc = solver.check_accuracy(test)  # gathered over the workers
    if solver.rank == 0:
        print(f"{solver.num_workers} workers ({args.kvstore}): test accuracy {acc:.2%}")
    return acc


if __name__ == "__main__":
    main()
