"""minpy.nn: MinPy's training toolkit.

``layers`` (layers and losses), ``init`` (initializers), ``optim`` (update rules and
learning-rate schedules), ``io`` (data iterators), ``model`` (``ModelBase`` and
checkpoints), ``model_builder`` (``Sequential`` specs with shape inference, and the
modular ``Model``/``Updater``), ``modules`` (layers of the modular API) and ``solver``
(``Solver``). Everything is plain :mod:`minpy.numpy` differentiated by
:mod:`minpy.autograd`, so it runs on every device and under every policy.
"""

from . import checkpoint, init, io, layers, model, model_builder, modules, optim, solver
from .checkpoint import CheckpointError
from .io import DataBatch, NDArrayIter
from .model import ModelBase
from .model_builder import Sequential
from .solver import Solver

__version__ = "0.1.0"

__all__ = ["layers", "init", "optim", "io", "model", "model_builder", "modules", "solver",
           "checkpoint", "Solver", "ModelBase", "NDArrayIter", "DataBatch", "Sequential",
           "CheckpointError"]
