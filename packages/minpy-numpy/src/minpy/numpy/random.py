"""``minpy.numpy.random``: NumPy's random namespace; the samplers MXNet has run on MXNet
under the policy, the rest in NumPy.

:func:`seed` seeds both NumPy's global generator and MXNet's, so a run is reproducible
whichever implementation the policy picks.
"""

from __future__ import annotations

import numpy as _np

from minpy.core import Array as _Array
from minpy.core import _cupy, _mxnet

from . import _random_ops  # noqa: F401  (registers the table entries)
from ._namespace import complete_namespace

complete_namespace(globals(), _np.random, prefix="random.")


def seed(seed=None):
    """Seed NumPy's global generator, MXNet's generators (all devices) and, once CuPy
    serves a GPU here, CuPy's."""
    _np.random.seed(seed)
    mx = _mxnet.load()
    if mx is not None and seed is not None:
        mx.random.seed(int(seed) % (2 ** 31))
    cp = _cupy._module  # only when already loaded: seeding never imports CuPy
    if cp is not None:
        cp.random.seed(seed)


def shuffle(x):
    """Shuffle ``x`` in place along its first axis, as :func:`numpy.random.shuffle`."""
    if isinstance(x, _Array):
        _np.random.shuffle(x._writable_host())
    else:
        _np.random.shuffle(x)


def permutation(x):
    """A permuted copy of ``x`` (or of ``arange(x)``), as NumPy's."""
    from minpy.core.convert import to_host, wrap
    return wrap(_np.random.permutation(to_host(x)))
