"""The rows of the operator-support page for ``minpy.scipy`` (read by
``python -m minpy.numpy._support``): every function, where it runs, and which of its
arguments have gradient rules."""

from __future__ import annotations

import importlib
import inspect

from minpy.autograd.tracer import VJPS
from minpy.core.backend import device_backends

from . import _backends

__all__ = ["rows"]

_SUBMODULES = ("special", "stats", "signal", "linalg", "integrate")


#: The parameter names of SciPy's ufuncs of several arguments (their docstrings call
#: some of them ``x1, x2``); a ufunc of one argument takes ``x``.
_UFUNC_PARAMS = {
    "beta": "a b", "betaln": "a b", "betainc": "a b x", "betaincinv": "a b y",
    "binom": "n k", "boxcox": "x lmbda", "boxcox1p": "x lmbda", "expn": "n x",
    "gammainc": "a x", "gammaincc": "a x", "gammaincinv": "a y", "gammainccinv": "a y",
    "iv": "v z", "ive": "v z", "jn": "n x", "jv": "v z", "kv": "v z", "kve": "v z",
    "kl_div": "x y", "rel_entr": "x y", "poch": "z m", "stdtr": "df t",
    "xlogy": "x y", "xlog1py": "x y", "yn": "n x", "yv": "v z", "zeta": "x q",
    "polygamma": "n x",
}


def _parameters(path, op):
    """The names of the op's positional parameters."""
    name = path.rpartition(".")[2]
    if path.startswith("special.") and name in _UFUNC_PARAMS:
        return _UFUNC_PARAMS[name].split()
    source = getattr(op, "signature", None) or op.numpy
    try:
        params = inspect.signature(source).parameters.values()
    except (TypeError, ValueError):  # a ufunc of one argument
        return ["x"]
    return [p.name for p in params if p.name != "out" and p.kind in (
        p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _gradient(path, op):
    if path == "integrate.odeint":  # one rule for every argument (the adjoint)
        return "rule: y0, t, args (adjoint method)"
    rules = VJPS.get(op.name)
    if not rules:
        return "none (random draws)" if path.endswith(".rvs") else "none"
    params = _parameters(path, op)
    nums = sorted(k for k in rules if isinstance(k, int) and rules.get(k) is not None)
    names = [params[i] if i < len(params) else f"argument {i}" for i in nums]
    cell = "rule: " + ", ".join(names)
    missing = [p for i, p in enumerate(params) if i not in nums]
    if missing and path.startswith("special.") and path not in _OPTIONS:
        cell += f" (not {', '.join(missing)})"
    return cell


# functions whose other parameters are options, not values
_OPTIONS = {"special.logsumexp", "special.softmax", "special.log_softmax",
            "special.multigammaln"}


def rows():
    """``(name, runs on, GPU-only backends that have it, gradient)`` for every
    ``minpy.scipy`` function (runs on: SciPy and the CPU-serving device backends)."""
    for sub in _SUBMODULES:
        importlib.import_module(f"minpy.scipy.{sub}")
    out = []
    for path, op in sorted(_backends.OPS.items()):
        on = [b for b in device_backends() if b in op.impls]
        where = ", ".join(["SciPy"] + [b.label for b in on if b.serves_cpu])
        out.append((f"scipy.{path}", where, {b for b in on if not b.serves_cpu},
                    _gradient(path, op)))
    return out
