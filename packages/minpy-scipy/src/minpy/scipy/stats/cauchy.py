"""The cauchy distribution (``scipy.stats.cauchy``): ``pdf``, ``logpdf``, ``cdf``, ``logcdf``,
``sf`` and ``logsf`` differentiable in ``x``, ``loc`` and ``scale``."""

from ._more import cauchy as _methods

pdf, logpdf, cdf, logcdf, sf, logsf, rvs = (_methods[n] for n in (
    "pdf", "logpdf", "cdf", "logcdf", "sf", "logsf", "rvs"))

__all__ = ["pdf", "logpdf", "cdf", "logcdf", "sf", "logsf", "rvs"]
