"""The old ``scipy.misc.logsumexp`` (now ``scipy.special.logsumexp``), kept for HIPS
Autograd programs that import it from here."""

from .special import logsumexp

__all__ = ["logsumexp"]
