"""The gamma distribution (``scipy.stats.gamma``): ``pdf``/``logpdf`` differentiable
in ``x``, ``a``, ``loc`` and ``scale``; ``cdf``/``sf`` in ``x``, ``loc`` and
``scale``."""

from __future__ import annotations

import minpy.numpy as np

from .. import special
from ._dist import exp_of, log_of, method, sampler

__all__ = ["pdf", "logpdf", "cdf", "logcdf", "sf", "logsf", "rvs"]


def _logpdf(x, a, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    inside = z >= 0
    zs = np.where(inside, z, 1.0)
    val = special.xlogy(a - 1, zs) - zs - special.gammaln(a) - np.log(scale)
    return np.where(inside, val, -np.inf)


_pdf = exp_of(_logpdf)


def _cdf(x, a, loc=0.0, scale=1.0):
    return special.gammainc(a, np.maximum((x - loc) / scale, 0.0))


def _sf(x, a, loc=0.0, scale=1.0):
    return special.gammaincc(a, np.maximum((x - loc) / scale, 0.0))


_logcdf, _logsf = log_of(_cdf), log_of(_sf)
pdf = method("gamma", "pdf", _pdf, (0, 1, 2, 3))
logpdf = method("gamma", "logpdf", _logpdf, (0, 1, 2, 3))
cdf = method("gamma", "cdf", _cdf, (0, 2, 3))
logcdf = method("gamma", "logcdf", _logcdf, (0, 2, 3))
sf = method("gamma", "sf", _sf, (0, 2, 3))
logsf = method("gamma", "logsf", _logsf, (0, 2, 3))
rvs = sampler("gamma")
