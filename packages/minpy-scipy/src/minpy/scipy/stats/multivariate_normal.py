"""The multivariate normal distribution (``scipy.stats.multivariate_normal``):
``pdf``/``logpdf`` differentiable in ``x``, ``mean`` and ``cov``, ``entropy`` in
``cov``.

SciPy reads the lower triangle of ``cov`` (it decomposes it with ``eigh(lower=True)``),
so the gradient with respect to ``cov`` is that of a function of the lower triangle:
zero above the diagonal. With ``allow_singular=True`` the density uses the
pseudo-inverse and pseudo-determinant as SciPy does; its gradient with respect to
``cov`` is not defined (NotImplementedError), those for ``x`` and ``mean`` are.
"""

from __future__ import annotations

import math

import numpy as _onp

import minpy.numpy as np
from minpy.autograd.rules._util import composite_maker
from minpy.autograd.tracer import defvjp

from .._backends import scipy_function

__all__ = ["pdf", "logpdf", "entropy", "rvs"]

_LOG_2PI = math.log(2 * math.pi)


def _dimension(x, mean, cov):
    for v in (mean, cov):
        if v is not None and np.ndim(v) > 0:
            return np.shape(v)[-1]
    return np.shape(x)[-1] if np.ndim(x) else 1


def _full_cov(cov, d):
    """``cov`` as SciPy reads it: a scalar or a diagonal made a matrix, and a matrix
    taken from its lower triangle."""
    if np.ndim(cov) == 0:
        return cov * np.eye(d)
    if np.ndim(cov) == 1:
        return np.diag(cov)
    return np.tril(cov) + np.swapaxes(np.tril(cov, -1), -1, -2)


def _logpdf(x, mean=None, cov=1, allow_singular=False):
    d = _dimension(x, mean, cov)
    dev = x - (0.0 if mean is None else mean)
    if d == 1 and np.ndim(dev) <= 1:
        dev = np.reshape(dev, (-1, 1))  # SciPy reads these as samples of dimension 1
    c = _full_cov(cov, d)
    if allow_singular:
        # SciPy's pseudo-inverse and pseudo-determinant: eigenvalues below its cutoff
        # count as zero (scipy.stats._multivariate._PSD).
        s, u = np.linalg.eigh(c)
        host = _onp.abs(np.asarray(s).asnumpy() if hasattr(s, "asnumpy") else s)
        eps = 1e6 * _onp.finfo(host.dtype).eps * host.max()
        keep = host > eps
        s_kept = np.where(keep, s, 1.0)
        log_det = np.sum(np.where(keep, np.log(s_kept), 0.0))
        scaled = u * np.where(keep, 1 / np.sqrt(s_kept), 0.0)
        maha = np.sum(np.square(np.matmul(dev, scaled)), axis=-1)
        rank = int(keep.sum())
    else:
        _, log_det = np.linalg.slogdet(c)
        sol = np.linalg.solve(c, np.swapaxes(np.atleast_2d(dev), -1, -2))
        maha = np.sum(np.atleast_2d(dev) * np.swapaxes(sol, -1, -2), axis=-1)
        if np.ndim(dev) == 1:
            maha = maha[0]
        rank = d
    out = -0.5 * (rank * _LOG_2PI + log_det + maha)
    return np.squeeze(out) if np.ndim(out) else out


def _pdf(x, mean=None, cov=1, allow_singular=False):
    return np.exp(_logpdf(x, mean, cov, allow_singular))


def _entropy(mean=None, cov=1):
    d = _dimension(0.0, mean, cov)
    _, log_det = np.linalg.slogdet(_full_cov(cov, d))
    return 0.5 * (d * (1 + _LOG_2PI) + log_det)


def _cov_maker(formula):
    """The rule for ``cov``: the formula's, except for a singular covariance."""
    inner = composite_maker(formula, 2)

    def maker(ans, x, mean=None, cov=1, allow_singular=False):
        if allow_singular:
            raise NotImplementedError(
                "minpy.scipy.stats.multivariate_normal: the density is not "
                "differentiable with respect to a singular covariance matrix")
        return inner(ans, x, mean, cov, allow_singular)
    return maker


def _method(name, formula):
    fn = scipy_function(f"stats.multivariate_normal.{name}", kind="linalg",
                        signature=formula)
    defvjp(fn, composite_maker(formula, 0), composite_maker(formula, 1),
           _cov_maker(formula))
    return fn


pdf = _method("pdf", _pdf)
logpdf = _method("logpdf", _logpdf)
entropy = scipy_function("stats.multivariate_normal.entropy", kind="linalg",
                         signature=_entropy)
defvjp(entropy, composite_maker(_entropy, 0), composite_maker(_entropy, 1))
rvs = scipy_function("stats.multivariate_normal.rvs", kind="random")
