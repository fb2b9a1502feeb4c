"""MinPy's training toolkit: layers, losses, initializers, optimizers, data iterators,
models, checkpoints and a ``Solver``."""

__version__ = "0.1.0"
