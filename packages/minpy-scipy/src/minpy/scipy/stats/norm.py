"""The normal distribution (``scipy.stats.norm``), differentiable in ``x``, ``loc``
and ``scale`` (``q`` for ``ppf``/``isf``)."""

from __future__ import annotations

import math

import minpy.numpy as np

from .. import special
from ._dist import method, sampler

__all__ = ["pdf", "logpdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf", "rvs"]

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _logpdf(x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    return -0.5 * z * z - np.log(scale) - _LOG_SQRT_2PI


def _pdf(x, loc=0.0, scale=1.0):
    return np.exp(_logpdf(x, loc, scale))


def _cdf(x, loc=0.0, scale=1.0):
    return special.ndtr((x - loc) / scale)


def _logcdf(x, loc=0.0, scale=1.0):
    return special.log_ndtr((x - loc) / scale)


def _sf(x, loc=0.0, scale=1.0):
    return special.ndtr((loc - x) / scale)


def _logsf(x, loc=0.0, scale=1.0):
    return special.log_ndtr((loc - x) / scale)


def _ppf(q, loc=0.0, scale=1.0):
    return loc + scale * special.ndtri(q)


def _isf(q, loc=0.0, scale=1.0):
    return loc - scale * special.ndtri(q)


pdf = method("norm", "pdf", _pdf, (0, 1, 2))
logpdf = method("norm", "logpdf", _logpdf, (0, 1, 2))
cdf = method("norm", "cdf", _cdf, (0, 1, 2))
logcdf = method("norm", "logcdf", _logcdf, (0, 1, 2))
sf = method("norm", "sf", _sf, (0, 1, 2))
logsf = method("norm", "logsf", _logsf, (0, 1, 2))
ppf = method("norm", "ppf", _ppf, (0, 1, 2))
isf = method("norm", "isf", _isf, (0, 1, 2))
rvs = sampler("norm")
