"""``minpy.numpy.random``: NumPy's random namespace; the samplers MXNet has run on MXNet
under the policy, the rest in NumPy.

:func:`seed` seeds both NumPy's global generator and MXNet's, so a run is reproducible
whichever implementation the policy picks. :func:`default_rng`, :class:`Generator` and
:class:`RandomState` give NumPy's generators whose methods take and give MinPy Arrays:
their calls go through :func:`minpy.core._handoff.call`, so ``shuffle``, ``permuted``
and ``out=`` write into an Array as NumPy writes into an ndarray (NumPy's own generators
see an Array as a foreign sequence: ``shuffle`` would swap rows through views).
"""

from __future__ import annotations

import numpy as _np

from minpy.core import _handoff
from minpy.core import backend as _backend
from minpy.core.tracing import unbox_all as _unbox_all

from . import _random_ops  # noqa: F401  (registers the table entries)
from ._namespace import complete_namespace

complete_namespace(globals(), _np.random, prefix="random.")


def seed(seed=None):
    """Seed NumPy's global generator and every device backend's generators (MXNet's on
    all devices, CuPy's): now for a library already loaded, else when it loads (seeding
    never imports one)."""
    for be in _backend.backends():
        be.seed(seed)


def _arrays_in(cls, numpy_cls, prefix):
    """Give ``cls`` (a subclass of NumPy's ``numpy_cls``) every public method of it,
    each running NumPy's on host forms through the one door, results as Arrays."""
    def method(name):
        numpy_method = getattr(numpy_cls, name)

        def run(self, *args, **kwargs):
            return _handoff.call(numpy_method.__get__(self), args, kwargs,
                                 name=f"minpy.numpy.{prefix}.{name}")
        run.__name__ = run.__qualname__ = name
        run.__doc__ = numpy_method.__doc__
        run.__wrapped__ = numpy_method
        return run
    for name in dir(numpy_cls):
        if not name.startswith("_") and callable(getattr(numpy_cls, name)) and (
                name not in cls.__dict__):
            setattr(cls, name, method(name))
    return cls


class Generator(_np.random.Generator):
    """:class:`numpy.random.Generator` on Arrays: the same streams as NumPy's for the
    same bit generator; arrays in (Arrays or NumPy's) and Arrays out."""

    def __reduce__(self):
        return (type(self), (self.bit_generator,))


class RandomState(_np.random.RandomState):
    """:class:`numpy.random.RandomState` on Arrays (see :class:`Generator`)."""

    def __reduce__(self):
        return (type(self), (None,), self.get_state(legacy=False))

    def __setstate__(self, state):
        self.set_state(state)


_arrays_in(Generator, _np.random.Generator, "random.Generator")
_arrays_in(RandomState, _np.random.RandomState, "random.RandomState")


def default_rng(seed=None):
    """As :func:`numpy.random.default_rng`, a :class:`Generator` on Arrays (one made from
    a NumPy ``Generator`` draws from its bit generator)."""
    if isinstance(seed, Generator):
        return seed
    seed = _unbox_all(seed)
    if isinstance(seed, _np.random.Generator):
        return Generator(seed.bit_generator)
    if isinstance(seed, _np.random.BitGenerator):
        return Generator(seed)
    from minpy.core.convert import to_host
    return Generator(_np.random.default_rng(to_host(seed)).bit_generator)
