"""``scipy.stats``'s distributions, with gradients: each distribution is a module
(``minpy.scipy.stats.norm``) whose methods are differentiable primitives."""

from . import (
    beta,
    cauchy,
    chi2,
    dirichlet,
    expon,
    gamma,
    laplace,
    logistic,
    multivariate_normal,
    norm,
    poisson,
    t,
)

__all__ = ["beta", "cauchy", "chi2", "dirichlet", "expon", "gamma", "laplace", "logistic",
           "multivariate_normal", "norm", "poisson", "t"]
