"""What MinPy knows about CuPy's SciPy kernels (``cupyx.scipy``): the one place that
names them, as :mod:`minpy.numpy._cupy_ops` is for NumPy's.

:data:`NAMES` are the SciPy functions ``cupyx.scipy`` has under the same name (read off
cupy-cuda13x 14.2's ``cupyx.scipy.special`` and ``cupyx.scipy.signal``); CuPy's own
signature decides which keywords it takes (one it rejects runs SciPy, visibly).
"""

from __future__ import annotations

from minpy.core._cupy import BACKEND
from minpy.numpy._table import Impl

__all__ = ["BACKEND", "NAMES", "impl"]

#: SciPy names (``'special.gammaln'``) with a ``cupyx.scipy`` function of that name.
NAMES = frozenset("""
    special.logsumexp special.gammaln special.digamma special.polygamma special.psi
    special.erf special.erfc special.erfinv special.erfcinv special.expit special.logit
    special.log_expit special.i0 special.i1 special.i0e special.i1e special.j0
    special.j1 special.y0 special.y1 special.yn special.k0 special.k1 special.k0e
    special.k1e special.beta special.betaln special.betainc special.gammainc
    special.gammaincc special.multigammaln special.rgamma special.gamma
    special.gammasgn special.ndtr special.log_ndtr special.ndtri special.xlogy
    special.xlog1py special.entr special.rel_entr special.kl_div special.log_softmax
    special.softmax special.zeta special.erfcx special.loggamma special.betaincinv
    special.gammaincinv special.boxcox special.boxcox1p special.exp1 special.expi
    special.expn special.poch special.binom
    signal.convolve""".split())


def _loader(path):
    def load(cp):
        # imported on the first call that needs it: some cupyx.scipy submodules need
        # CUDA libraries to import
        from ._backends import _resolve
        try:
            return _resolve("cupyx.scipy", path)
        except (ImportError, AttributeError):
            return None
    return load


def impl(path, kwargs=()):
    """CuPy's :class:`~minpy.numpy._table.Impl` of SciPy's ``scipy.<path>``, or ``None``
    when ``cupyx.scipy`` has no such function. ``kwargs`` (the keywords a device backend
    may take) is not needed: CuPy's signature decides."""
    if path not in NAMES:
        return None
    return Impl(_loader(path), source=f"cupyx.scipy.{path}")
