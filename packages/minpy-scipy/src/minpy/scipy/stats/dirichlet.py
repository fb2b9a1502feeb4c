"""The Dirichlet distribution (``scipy.stats.dirichlet``): ``pdf``/``logpdf``
differentiable in ``x`` (quantiles along the first axis, as SciPy has them) and
``alpha``."""

from __future__ import annotations

import minpy.numpy as np

from .. import special
from ._dist import exp_of, method, sampler

__all__ = ["pdf", "logpdf", "rvs"]


def _logpdf(x, alpha):
    a = np.reshape(alpha, np.shape(alpha) + (1,) * (np.ndim(x) - 1))
    log_beta = np.sum(special.gammaln(alpha)) - special.gammaln(np.sum(alpha))
    return np.sum(special.xlogy(a - 1, x), axis=0) - log_beta


_pdf = exp_of(_logpdf)


pdf = method("dirichlet", "pdf", _pdf, (0, 1))
logpdf = method("dirichlet", "logpdf", _logpdf, (0, 1))
rvs = sampler("dirichlet")
