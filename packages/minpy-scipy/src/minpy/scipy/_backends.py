"""Where ``minpy.scipy``'s functions run: SciPy on the host, and the device backends
that have the function (one place for all of the wiring).

Each SciPy function MinPy exposes is an :class:`minpy.numpy._table.Op` made into a
dispatching, traceable function by ``minpy.numpy``'s own dispatcher, so the policy, the
transfer guard, the op statistics and the tracer treat it as any NumPy function:

* the host implementation is SciPy's own function (its values, dtypes and errors);
* each device backend's implementation comes from that backend's SciPy kernel module
  (:data:`KERNELS`: :mod:`._cupy_kernels` for ``cupyx.scipy``'s functions,
  :mod:`._mxnet_kernels` for MXNet's operators that give SciPy's values), which says
  where its kernel comes from and under which conditions it runs; this module names no
  backend.

SciPy is imported when ``minpy.scipy``'s submodules are; without SciPy they import
and each function raises ImportError when called.
"""

from __future__ import annotations

import functools
import importlib

from minpy.numpy._dispatch import make_function
from minpy.numpy._table import Op

from . import _cupy_kernels, _mxnet_kernels

__all__ = ["scipy_function", "KERNELS", "OPS", "scipy_available", "scipy_has"]

#: The SciPy kernel modules of the device backends: each has ``BACKEND`` (its backend
#: object) and ``impl(path, kwargs) -> Impl or None``. A new backend's SciPy kernels are
#: one more module here.
KERNELS = (_cupy_kernels, _mxnet_kernels)

#: SciPy name -> its Op (every function made here).
OPS: dict = {}


@functools.lru_cache(maxsize=None)
def _scipy_module(sub):
    return importlib.import_module("scipy." + sub)


def _resolve(root, path):
    """The object at dotted ``path`` under package ``root`` (``'scipy'``): the longest
    importable module prefix, then attributes (``stats.norm.logpdf``)."""
    parts = path.split(".")
    for k in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join([root, *parts[:k]]))
        except ModuleNotFoundError:
            continue
        for part in parts[k:]:
            obj = getattr(obj, part)
        return obj
    raise ModuleNotFoundError(root)


def scipy_has(path) -> bool:
    """Whether SciPy has a public callable at ``path`` (``'linalg.lu'``)."""
    try:
        return callable(_resolve("scipy", path))
    except (ImportError, AttributeError):
        return False


def scipy_available() -> bool:
    try:
        _scipy_module("special")
    except ImportError:
        return False
    return True


def _host(path):
    """SciPy's function at ``path`` (``'special.gammaln'``), or a stand-in that raises
    ImportError when SciPy is missing."""
    name = path.rpartition(".")[2]
    try:
        return _resolve("scipy", path)
    except ImportError:
        def missing(*args, **kwargs):
            raise ImportError(f"minpy.scipy.{path} runs SciPy's scipy.{path} on the host; "
                              "install SciPy ('pip install minpy-scipy[scipy]')")
        missing.__name__ = name
        return missing


def scipy_function(path, *, arrays="all", kwargs=(), kind="elementwise", host=None,
                   signature=None, doc=""):
    """The ``minpy.scipy`` function for SciPy's ``scipy.<path>``: dispatched (SciPy on
    the host, the device backends whose kernel module in :data:`KERNELS` has it) and
    traceable (its gradient rules are registered under ``'scipy.' + path``).

    ``arrays``/``kwargs``/``kind`` are the op's fields (:class:`Op`): the positions of
    array operands, the keywords a device backend accepts (others run SciPy), the cost
    class. ``host`` replaces SciPy's function on the host (a wrapper that converts a
    user function's Arrays, for ``odeint``). ``signature`` is a function whose
    parameters are the op's (where SciPy's object does not show them, as for the
    distributions' methods): traced keyword arguments are placed by it.
    """
    impls = {}
    for kernels in KERNELS:
        impl = kernels.impl(path, kwargs)
        if impl is not None:
            impls[kernels.BACKEND] = impl
    name = "scipy." + path
    op = Op(name=name, numpy=host or _host(path), impls=impls, arrays=arrays,
            kind=kind, doc=doc)
    if signature is not None:
        op.signature = signature  # read by make_function (NumPy's names have NumPy's)
    fn = make_function(op)
    module, _, short = ("minpy." + name).rpartition(".")
    fn.__name__ = fn.__qualname__ = short
    fn.__module__ = module
    fn.__doc__ = _docstring(op, path)
    OPS[path] = op
    return fn


def _docstring(op, path):
    where = ["SciPy (host)"] + [f"{backend.label} (``{impl.source}``)"
                                for backend, impl in op.impls.items()]
    note = (f"MinPy: ``minpy.scipy.{path}`` runs on {', '.join(where)}, as the policy "
            "decides; it is differentiable where :mod:`minpy.scipy` registers a rule "
            "(see the operator-support page).")
    ref = op.numpy.__doc__ or ""
    return f"{ref.rstrip()}\n\n    {note}\n" if ref else note
