"""Student's t distribution (``scipy.stats.t``): ``pdf``/``logpdf`` differentiable in
``x``, ``df``, ``loc`` and ``scale``; ``cdf``/``logcdf``/``sf``/``logsf`` in ``x``,
``loc`` and ``scale`` (their derivative in ``df`` has no closed form)."""

from __future__ import annotations

import minpy.numpy as np

from .. import special
from ._dist import method, sampler

__all__ = ["pdf", "logpdf", "cdf", "logcdf", "sf", "logsf", "rvs"]


def _logpdf(x, df, loc=0.0, scale=1.0):
    return special.t_logpdf_standard((x - loc) / scale, df) - np.log(scale)


def _pdf(x, df, loc=0.0, scale=1.0):
    return np.exp(_logpdf(x, df, loc, scale))


def _cdf(x, df, loc=0.0, scale=1.0):
    return special.stdtr(df, (x - loc) / scale)


def _logcdf(x, df, loc=0.0, scale=1.0):
    return np.log(_cdf(x, df, loc, scale))


def _sf(x, df, loc=0.0, scale=1.0):
    return special.stdtr(df, (loc - x) / scale)


def _logsf(x, df, loc=0.0, scale=1.0):
    return np.log(_sf(x, df, loc, scale))


pdf = method("t", "pdf", _pdf, (0, 1, 2, 3))
logpdf = method("t", "logpdf", _logpdf, (0, 1, 2, 3))
cdf = method("t", "cdf", _cdf, (0, 2, 3))
logcdf = method("t", "logcdf", _logcdf, (0, 2, 3))
sf = method("t", "sf", _sf, (0, 2, 3))
logsf = method("t", "logsf", _logsf, (0, 2, 3))
rvs = sampler("t")
