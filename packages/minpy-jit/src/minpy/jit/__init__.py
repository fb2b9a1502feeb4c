"""minpy.jit: compiled steps that keep imperative NumPy.

``jit(f)`` captures the ``minpy.numpy`` ops one call of ``f`` performs -- including
those of ``grad``/``value_and_grad`` inside it and of in-place parameter updates --
once per input signature, and replays the captured program on later calls with the
engine of the backend the ops ran on: on the host, straight-line NumPy calls into
planned buffers. See the documentation page "jit".

>>> import minpy.numpy as np
>>> from minpy.jit import jit
>>> @jit
... def step(w, x):
...     return np.tanh(x @ w).sum()
"""

from __future__ import annotations

from . import engines
from ._api import JitFunction, jit, reset_stats, stats
from ._capture import JitBox, JitWarning
from ._codegen import GuardFail

__version__ = "0.1.0"

__all__ = ["jit", "JitFunction", "JitWarning", "JitBox", "GuardFail", "stats",
           "reset_stats", "engines"]
