"""The chi-squared distribution (``scipy.stats.chi2``): ``pdf``/``logpdf``
differentiable in ``x``, ``df``, ``loc`` and ``scale``; ``cdf``/``sf`` in ``x``,
``loc`` and ``scale``."""

from __future__ import annotations

from . import gamma as _gamma
from ._dist import method, sampler

__all__ = ["pdf", "logpdf", "cdf", "logcdf", "sf", "logsf", "rvs"]

_NAMES = ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")


def _as_gamma(name):
    """chi2(df) is gamma(df / 2, scale=2): the gamma formula of that name."""
    of_gamma = getattr(_gamma, "_" + name)

    def formula(x, df, loc=0.0, scale=1.0):
        return of_gamma(x, df / 2, loc, 2 * scale)
    formula.__name__ = "_" + name
    return formula


_logpdf, _pdf, _cdf, _logcdf, _sf, _logsf = map(_as_gamma, _NAMES)

pdf = method("chi2", "pdf", _pdf, (0, 1, 2, 3))
logpdf = method("chi2", "logpdf", _logpdf, (0, 1, 2, 3))
cdf = method("chi2", "cdf", _cdf, (0, 2, 3))
logcdf = method("chi2", "logcdf", _logcdf, (0, 2, 3))
sf = method("chi2", "sf", _sf, (0, 2, 3))
logsf = method("chi2", "logsf", _logsf, (0, 2, 3))
rvs = sampler("chi2")
