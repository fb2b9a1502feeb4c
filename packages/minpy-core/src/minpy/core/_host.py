"""The host backend: NumPy on the CPU, the reference every other backend is checked
against.

An Array's host form is a NumPy ndarray, kept in its own slot (``Array._host``: the
hottest path reads nothing else); every other backend's form is a cache of it, or the
data itself until someone needs it on the host. NumPy holds every dtype and size, is
always loaded, and serves the CPU.
"""

from __future__ import annotations

import numpy as np

from .backend import Backend, register

__all__ = ["HostBackend", "HOST"]


class HostBackend(Backend):
    """NumPy on the host."""

    label = "NumPy"
    priority = 0
    is_host = True
    transfer = "to_host"
    serves_cpu = True
    has_views = True
    # Measured on the development machine (2 cores, NumPy 2.4, float32, arrays of 10,
    # 1e5 and 1e6 elements, 64..2048 square matmuls; bench/ re-measures them). On a GPU
    # NumPy computes on the host the same way.
    costs = {kind: (0.5, {"elementwise": 4e-4, "reduction": 2e-4, "matmul": 3e-6,
                          "default": 5e-4}) for kind in ("cpu", "gpu")}
    # a device form copied to the host (the GPU figure is a placeholder: ~10 GB/s)
    copy_costs = {"cpu": (4.5, 3.7e-5), "gpu": (20.0, 1e-4)}

    def load(self):
        return np

    @property
    def module(self):
        return np

    def holds(self, dtype) -> bool:
        return True

    def owns(self, obj) -> bool:
        return isinstance(obj, np.ndarray)

    def from_host(self, host, device):
        return host

    def to_host(self, form):
        return form

    def _apply_seed(self, module, seed) -> None:
        module.random.seed(seed)


#: The host backend (its name is ``'numpy'``).
HOST = register(HostBackend("numpy"))
