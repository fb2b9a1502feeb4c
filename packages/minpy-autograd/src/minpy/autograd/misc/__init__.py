"""HIPS Autograd's ``autograd.misc``: flattening nested containers, stochastic
optimizers, fixed points and replayable traces."""

from .flatten import flatten
from .tracers import const_graph

__all__ = ["flatten", "const_graph"]
