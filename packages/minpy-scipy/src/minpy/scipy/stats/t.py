"""Student's t distribution (``scipy.stats.t``): ``pdf``/``logpdf`` differentiable in
``x``, ``df``, ``loc`` and ``scale``; ``cdf``/``logcdf``/``sf``/``logsf`` in ``x``,
``loc`` and ``scale`` (their derivative in ``df`` has no closed form)."""

from __future__ import annotations

import minpy.numpy as np

from .. import special
from ._dist import exp_of, log_of, method, sampler

__all__ = ["pdf", "logpdf", "cdf", "logcdf", "sf", "logsf", "rvs"]


def _logpdf(x, df, loc=0.0, scale=1.0):
    return special.t_logpdf_standard((x - loc) / scale, df) - np.log(scale)


_pdf = exp_of(_logpdf)


def _cdf(x, df, loc=0.0, scale=1.0):
    return special.stdtr(df, (x - loc) / scale)


def _sf(x, df, loc=0.0, scale=1.0):
    return special.stdtr(df, (loc - x) / scale)


_logcdf, _logsf = log_of(_cdf), log_of(_sf)
pdf = method("t", "pdf", _pdf, (0, 1, 2, 3))
logpdf = method("t", "logpdf", _logpdf, (0, 1, 2, 3))
cdf = method("t", "cdf", _cdf, (0, 2, 3))
logcdf = method("t", "logcdf", _logcdf, (0, 2, 3))
sf = method("t", "sf", _sf, (0, 2, 3))
logsf = method("t", "logsf", _logsf, (0, 2, 3))
rvs = sampler("t")
