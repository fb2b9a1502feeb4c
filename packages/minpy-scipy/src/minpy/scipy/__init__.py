"""minpy.scipy: SciPy's differentiable functions on MinPy Arrays, with gradients.

``special``, ``stats``, ``signal``, ``linalg``, ``integrate`` and ``misc`` follow
SciPy's names and signatures. Each function runs SciPy's own on the host and the device
backend's where it has the function; each has gradient rules registered with
``minpy.autograd`` (differentiable again, to any order). The submodules are imported on
first use. ``minpy.autograd.scipy`` is this package under HIPS Autograd's name.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBMODULES = ("special", "stats", "signal", "linalg", "integrate", "misc")
__all__ = list(_SUBMODULES)


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'minpy.scipy' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES))
