"""MinPy (the meta distribution): the ``minpy`` namespace shared by every MinPy
distribution, and the original MinPy's top-level names.

Each distribution (minpy-core, minpy-numpy, minpy-autograd, minpy-symbol, minpy-nn,
minpy-scipy) installs its own subpackage of ``minpy``; installed alone they share
``minpy`` as a PEP 420 namespace package. This file, shipped by the meta distribution only, makes
``minpy`` a regular package whose ``__path__`` is extended (``pkgutil.extend_path``) with
every ``minpy`` directory on ``sys.path``, so the subpackages are found wherever each
distribution put them (one site-packages, or separate editable checkouts).

Top level, resolved on first use: ``set_global_policy``, ``get_global_policy``,
``wrap_policy`` and the policy classes (from :mod:`minpy.dispatch.policy`).
"""

from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)

__version__ = "0.1.0"

_POLICY_NAMES = ("set_global_policy", "get_global_policy", "wrap_policy", "Policy",
                 "AutoPolicy", "PreferMXNetPolicy", "OnlyNumPyPolicy", "OnlyNumpyPolicy",
                 "OnlyMXNetPolicy", "AutoBlacklistPolicy")


def __getattr__(name):
    if name in _POLICY_NAMES:
        from minpy.dispatch import policy
        return getattr(policy, name)
    raise AttributeError(f"module 'minpy' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_POLICY_NAMES))
