"""Engines: how a captured program is replayed, one per backend.

``engine_for(backend)`` is the one place that maps a backend (an object of
:mod:`minpy.core.backend`, or its name) to the engine that replays programs whose ops
ran there: the backend's :attr:`~minpy.core.backend.Backend.jit_engine`, set by
``register``. Each backend's engine is in that backend's engine module (its class says
which backend with ``backend``). An engine has a ``name`` and ``compile(program) ->
compiled`` (``compiled.run(leaves)`` replays it); it raises
:class:`~._host.Unsupported` for a program it cannot run, and the dispatch engine (every
backend, through ``minpy.numpy`` itself) takes it.
"""

from __future__ import annotations

from minpy.core import backend as backends

from ._cupy_engine import CuPyEngine
from ._dispatch_engine import DispatchEngine
from ._host import HostEngine, Unsupported
from ._mxnet_engine import MXNetEngine

__all__ = ["engine_for", "register", "names", "compile_program", "Unsupported"]

_NAMED = {}


def register(backend, engine, *, default=True):
    """Use ``engine`` for programs whose ops ran on ``backend`` (a registered backend or
    its name; it becomes the backend's ``jit_engine``); ``default=False``: only make it
    selectable by name, ``jit(f, engine=name)``, ``backend`` then unused."""
    if default:
        backends.get(backend).jit_engine = engine
    _NAMED[engine.name] = engine


def engine_for(backend):
    """The engine of ``backend`` (the dispatch engine when it has none, or for a name
    no backend has)."""
    be = backends.find(backend)
    engine = be.jit_engine if be is not None else None
    return engine or _NAMED["dispatch"]


def by_name(name):
    try:
        return _NAMED[name]
    except KeyError:
        raise ValueError(f"unknown jit engine {name!r}; choose one of {sorted(_NAMED)}") from None


def names():
    return sorted(_NAMED)


def compile_program(prog, engine=None):
    """``(compiled, note)``: ``prog`` compiled by ``engine`` (a name) or by the engine
    of the backend its ops ran on; the dispatch engine where that one declines, with
    the reason in ``note``."""
    if engine is not None:
        chosen = by_name(engine)
    elif len(prog.backends) == 1:
        chosen = engine_for(next(iter(prog.backends)))
    else:
        chosen = _NAMED["dispatch"]
    try:
        return chosen.compile(prog), None
    except Unsupported as exc:
        if chosen.name == "dispatch":
            raise
        return _NAMED["dispatch"].compile(prog), f"{chosen.name}: {exc}"


for _engine in (HostEngine(), MXNetEngine(), CuPyEngine()):
    register(_engine.backend, _engine)
del _engine
register(None, DispatchEngine(), default=False)
_unplanned = HostEngine(plan=False)
_unplanned.name = _unplanned.name + "-unplanned"  # the host engine without planned buffers
register(None, _unplanned, default=False)
