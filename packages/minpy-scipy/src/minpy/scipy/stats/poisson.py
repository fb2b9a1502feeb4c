"""The Poisson distribution (``scipy.stats.poisson``): ``pmf``, ``logpmf``, ``cdf``,
``logcdf``, ``sf`` and ``logsf`` differentiable in ``mu`` (``k`` is a count)."""

from __future__ import annotations

import minpy.numpy as np

from .. import special
from ._dist import exp_of, log_of, method, sampler

__all__ = ["pmf", "logpmf", "cdf", "logcdf", "sf", "logsf", "rvs"]


def _logpmf(k, mu, loc=0):
    k = k - loc
    return special.xlogy(k, mu) - mu - special.gammaln(k + 1)


_pmf = exp_of(_logpmf)


def _cdf(k, mu, loc=0):
    return special.gammaincc(np.floor(k - loc) + 1, mu)


def _sf(k, mu, loc=0):
    return special.gammainc(np.floor(k - loc) + 1, mu)


_logcdf, _logsf = log_of(_cdf), log_of(_sf)
pmf = method("poisson", "pmf", _pmf, (1,))
logpmf = method("poisson", "logpmf", _logpmf, (1,))
cdf = method("poisson", "cdf", _cdf, (1,))
logcdf = method("poisson", "logcdf", _logcdf, (1,))
sf = method("poisson", "sf", _sf, (1,))
logsf = method("poisson", "logsf", _logsf, (1,))
rvs = sampler("poisson")
