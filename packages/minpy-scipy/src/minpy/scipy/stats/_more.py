"""Location-scale distributions beyond HIPS Autograd's set: every method
differentiable in ``x`` (``q``), ``loc`` and ``scale``."""

from __future__ import annotations

import math

import minpy.numpy as np

from .. import special
from ._dist import complement, exp_of, log_of, method, sampler

_LOG_PI = math.log(math.pi)


def _z(x, loc, scale):
    return (x - loc) / scale


# -- expon: density e^-z on z >= 0 -------------------------------------------------------
def _expon_logpdf(x, loc=0.0, scale=1.0):
    z = _z(x, loc, scale)
    return np.where(z >= 0, -z - np.log(scale), -np.inf)


def _expon_cdf(x, loc=0.0, scale=1.0):
    return -np.expm1(-np.maximum(_z(x, loc, scale), 0.0))


def _expon_sf(x, loc=0.0, scale=1.0):
    return np.exp(-np.maximum(_z(x, loc, scale), 0.0))


def _expon_logsf(x, loc=0.0, scale=1.0):
    return -np.maximum(_z(x, loc, scale), 0.0)


# -- laplace: density e^-|z| / 2 --------------------------------------------------------
def _laplace_logpdf(x, loc=0.0, scale=1.0):
    return -np.abs(_z(x, loc, scale)) - np.log(2 * scale)


def _laplace_cdf(x, loc=0.0, scale=1.0):
    z = _z(x, loc, scale)
    return np.where(z < 0, 0.5 * np.exp(np.minimum(z, 0.0)),
                    1 - 0.5 * np.exp(-np.maximum(z, 0.0)))


# -- logistic: density e^-z / (1 + e^-z)^2 ----------------------------------------------
def _logistic_logpdf(x, loc=0.0, scale=1.0):
    z = _z(x, loc, scale)
    return -np.abs(z) - 2 * np.log1p(np.exp(-np.abs(z))) - np.log(scale)


def _logistic_cdf(x, loc=0.0, scale=1.0):
    return special.expit(_z(x, loc, scale))


def _logistic_logcdf(x, loc=0.0, scale=1.0):
    return special.log_expit(_z(x, loc, scale))


# -- cauchy: density 1 / (pi (1 + z^2)) -------------------------------------------------
def _cauchy_logpdf(x, loc=0.0, scale=1.0):
    z = _z(x, loc, scale)
    return -_LOG_PI - np.log(scale) - np.log1p(z * z)


def _cauchy_cdf(x, loc=0.0, scale=1.0):
    return 0.5 + np.arctan(_z(x, loc, scale)) / math.pi


def _family(dist, logpdf, cdf, sf=None, logcdf=None, logsf=None):
    """The methods of one distribution, as a dict for its module's namespace."""
    sf = sf or complement(cdf)
    formulas = {"logpdf": logpdf, "pdf": exp_of(logpdf), "cdf": cdf, "sf": sf,
                "logcdf": logcdf or log_of(cdf), "logsf": logsf or log_of(sf)}
    out = {name: method(dist, name, f, (0, 1, 2)) for name, f in formulas.items()}
    out["rvs"] = sampler(dist)
    return out


expon = _family("expon", _expon_logpdf, _expon_cdf, _expon_sf, logsf=_expon_logsf)
laplace = _family("laplace", _laplace_logpdf, _laplace_cdf)
logistic = _family("logistic", _logistic_logpdf, _logistic_cdf, logcdf=_logistic_logcdf)
cauchy = _family("cauchy", _cauchy_logpdf, _cauchy_cdf)
