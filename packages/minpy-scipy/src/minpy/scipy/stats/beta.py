"""The beta distribution (``scipy.stats.beta``): ``pdf``/``logpdf`` differentiable in
``x``, ``a``, ``b``, ``loc`` and ``scale``; ``cdf``/``sf`` in ``x``, ``loc`` and
``scale``."""

from __future__ import annotations

import minpy.numpy as np

from .. import special
from ._dist import complement, exp_of, log_of, method, sampler

__all__ = ["pdf", "logpdf", "cdf", "logcdf", "sf", "logsf", "rvs"]


def _logpdf(x, a, b, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    inside = (z >= 0) & (z <= 1)
    zs = np.where(inside, z, 0.5)  # a point inside: no nan reaches the gradient
    val = special.xlogy(a - 1, zs) + special.xlog1py(b - 1, -zs) - special.betaln(a, b)
    return np.where(inside, val - np.log(scale), -np.inf)


_pdf = exp_of(_logpdf)


def _cdf(x, a, b, loc=0.0, scale=1.0):
    z = np.clip((x - loc) / scale, 0.0, 1.0)
    return special.betainc(a, b, z)


_sf = complement(_cdf)
_logcdf, _logsf = log_of(_cdf), log_of(_sf)
pdf = method("beta", "pdf", _pdf, (0, 1, 2, 3, 4))
logpdf = method("beta", "logpdf", _logpdf, (0, 1, 2, 3, 4))
cdf = method("beta", "cdf", _cdf, (0, 3, 4))
logcdf = method("beta", "logcdf", _logcdf, (0, 3, 4))
sf = method("beta", "sf", _sf, (0, 3, 4))
logsf = method("beta", "logsf", _logsf, (0, 3, 4))
rvs = sampler("beta")
