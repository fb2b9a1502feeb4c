"""Where ``minpy.scipy``'s functions run: SciPy on the host, and the device backends
that have the function (one place for all of the wiring).

Each SciPy function MinPy exposes is an :class:`minpy.numpy._table.Op` made into a
dispatching, traceable function by ``minpy.numpy``'s own dispatcher, so the policy, the
transfer guard, the op statistics and the tracer treat it as any NumPy function:

* the host implementation is SciPy's own function (its values, dtypes and errors);
* ``impls['cupy']`` is the function of the same name in ``cupyx.scipy`` where the
  installed CuPy has it (:data:`CUPY`, read off cupy-cuda13x 14.2's
  ``cupyx.scipy.special`` and ``cupyx.scipy.signal``);
* ``impls['mxnet']`` is MXNet's operator where it gives SciPy's values
  (:data:`MXNET`: measured equal to SciPy to 4 ulp over the real line, infinities and
  NaN, in float32 and float64; ``gammaln`` is not: it differs near its roots on the
  negative axis).

SciPy is imported when ``minpy.scipy``'s submodules are; without SciPy they import
and each function raises ImportError when called.
"""

from __future__ import annotations

import functools
import importlib

import numpy as _np

from minpy.numpy._dispatch import make_function
from minpy.numpy._table import Impl, Op

__all__ = ["scipy_function", "CUPY", "MXNET", "OPS", "scipy_available", "scipy_has"]

#: SciPy names (``'special.gammaln'``) with a ``cupyx.scipy`` function of that name.
CUPY = frozenset("""
    special.logsumexp special.gammaln special.digamma special.polygamma special.psi
    special.erf special.erfc special.erfinv special.erfcinv special.expit special.logit
    special.log_expit special.i0 special.i1 special.i0e special.i1e special.j0
    special.j1 special.y0 special.y1 special.yn special.k0 special.k1 special.k0e
    special.k1e special.beta special.betaln special.betainc special.gammainc
    special.gammaincc special.multigammaln special.rgamma special.gamma
    special.gammasgn special.ndtr special.log_ndtr special.ndtri special.xlogy
    special.xlog1py special.entr special.rel_entr special.kl_div special.log_softmax
    special.softmax special.zeta special.erfcx special.loggamma special.betaincinv
    special.gammaincinv special.boxcox special.boxcox1p special.exp1 special.expi
    special.expn special.poch special.binom
    signal.convolve""".split())

_F32_F64 = frozenset(_np.dtype(t) for t in ("float32", "float64"))

#: SciPy name -> MXNet operator (``mx.npx.<name>``) that computes SciPy's values.
MXNET = {"special.gamma": "gamma", "special.erf": "erf", "special.erfinv": "erfinv",
         "special.expit": "sigmoid"}

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


def _cupy_loader(path):
    def load(cp):
        try:
            return _resolve("cupyx.scipy", path)
        except (ImportError, AttributeError):
            return None
    return load


def _mxnet_loader(name):
    return lambda mx: getattr(mx.npx, name)


def scipy_function(path, *, arrays="all", kwargs=(), kind="elementwise", host=None,
                   signature=None, doc=""):
    """The ``minpy.scipy`` function for SciPy's ``scipy.<path>``: dispatched (SciPy on
    the host, the device backends of :data:`CUPY` and :data:`MXNET`) and traceable
    (its gradient rules are registered under ``'scipy.' + path``).

    ``arrays``/``kwargs``/``kind`` are the op's fields (:class:`Op`): the positions of
    array operands, the keywords a device backend accepts (others run SciPy), the cost
    class. ``host`` replaces SciPy's function on the host (a wrapper that converts a
    user function's Arrays, for ``odeint``). ``signature`` is a function whose
    parameters are the op's (where SciPy's object does not show them, as for the
    distributions' methods): traced keyword arguments are placed by it.
    """
    impls = {}
    if path in CUPY:
        impls["cupy"] = Impl(_cupy_loader(path), source=f"cupyx.scipy.{path}")
    if path in MXNET:
        impls["mxnet"] = Impl(_mxnet_loader(MXNET[path]), kwargs=frozenset(kwargs),
                              dtypes=_F32_F64, cast="result", source=f"mx.npx.{MXNET[path]}")
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
    where = ["SciPy (host)"]
    if "cupy" in op.impls:
        where.append(f"CuPy (``cupyx.scipy.{path}``)")
    if "mxnet" in op.impls:
        where.append(f"MXNet (``mx.npx.{MXNET[path]}``)")
    note = (f"MinPy: ``minpy.scipy.{path}`` runs on {', '.join(where)}, as the policy "
            "decides; it is differentiable where :mod:`minpy.scipy` registers a rule "
            "(see the operator-support page).")
    ref = op.numpy.__doc__ or ""
    return f"{ref.rstrip()}\n\n    {note}\n" if ref else note
