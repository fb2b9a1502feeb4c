"""Engines: how a captured program is replayed, one per backend name.

``engine_for(backend)`` is the one place that maps a backend ('numpy', 'mxnet',
'cupy') to the engine that replays programs whose ops ran there; ``register`` replaces
or adds one. An engine has a ``name`` and ``compile(program) -> compiled`` (``compiled
.run(leaves)`` replays it); it raises :class:`~._host.Unsupported` for a program it
cannot run, and the dispatch engine (every backend, through ``minpy.numpy`` itself)
takes it. This table is meant to move onto the backend objects of ``minpy.core`` once
they exist: each backend object will carry its engine.
"""

from __future__ import annotations

from ._cupy_engine import CuPyEngine
from ._dispatch_engine import DispatchEngine
from ._host import HostEngine, Unsupported
from ._mxnet_engine import MXNetEngine

__all__ = ["engine_for", "register", "names", "compile_program", "Unsupported"]

_ENGINES = {}
_NAMED = {}


def register(backend, engine, *, default=True):
    """Use ``engine`` for programs whose ops ran on ``backend`` (``default=False``:
    only make it selectable by name, ``jit(f, engine=name)``)."""
    if default:
        _ENGINES[backend] = engine
    _NAMED[engine.name] = engine


def engine_for(backend):
    """The engine of ``backend`` (the dispatch engine when it has none)."""
    return _ENGINES.get(backend) or _NAMED["dispatch"]


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


register("numpy", HostEngine())
register("mxnet", MXNetEngine())
register("cupy", CuPyEngine())
register("dispatch", DispatchEngine(), default=False)
_unplanned = HostEngine(plan=False)
_unplanned.name = "numpy-unplanned"  # the host engine without planned buffers
register("numpy", _unplanned, default=False)
