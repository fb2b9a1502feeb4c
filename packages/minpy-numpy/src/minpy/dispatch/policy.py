"""The original MinPy's ``minpy.dispatch.policy``: thin aliases over
:mod:`minpy.numpy.policy`, where the policies live.

``PreferMXNetPolicy()``, ``OnlyNumPyPolicy()`` (also spelled ``OnlyNumpyPolicy``),
``OnlyMXNetPolicy()`` and ``AutoBlacklistPolicy(gen_rule, append_rule, loc)`` are
MinPy policies: pass them to ``minpy.set_global_policy``, ``minpy.wrap_policy`` or
``with minpy.numpy.policy(...)``. MinPy's default is ``'auto'`` (the original's was
``PreferMXNetPolicy``).
"""

from __future__ import annotations

import os

from minpy.numpy.policy import AutoBlacklistPolicy as _AutoBlacklistPolicy
from minpy.numpy.policy import (
    AutoPolicy,
    OnlyMXNetPolicy,
    OnlyNumPyPolicy,
    Policy,
    PreferMXNetPolicy,
    get_policy,
    policy,
    set_global_policy,
    wrap_policy,
)

__all__ = ["Policy", "AutoPolicy", "PreferMXNetPolicy", "OnlyNumPyPolicy",
           "OnlyNumpyPolicy", "OnlyMXNetPolicy", "AutoBlacklistPolicy", "PrimitivePolicyError",
           "set_global_policy", "get_global_policy", "wrap_policy", "policy"]

#: The original's earlier spelling.
OnlyNumpyPolicy = OnlyNumPyPolicy
#: The original's name for ``minpy.numpy.get_policy``.
get_global_policy = get_policy


class PrimitivePolicyError(NotImplementedError):
    """Raised where a policy cannot run an op (MinPy raises NotImplementedError)."""


class AutoBlacklistPolicy(_AutoBlacklistPolicy):
    """Prefer MXNet; remember each call signature MXNet rejects and send it to NumPy.

    Parameters (the original's)
    ---------------------------
    gen_rule : bool
        Learn new rules from MXNet's rejections (else only apply the loaded ones).
    append_rule : bool
        Start from the rules in ``loc`` (else from none).
    loc : str, optional
        The rule file (JSON: a list of ``"op:dtype/ndim,..."`` keys; the original wrote
        YAML). Learned rules are written to it as they are learned when ``gen_rule``.
    """

    def __init__(self, gen_rule=False, append_rule=True, loc=None, rule_file=None):
        loc = loc if loc is not None else rule_file
        super().__init__(rule_file=loc if (loc and append_rule) else None)
        self.rule_file = loc
        self.gen_rule = bool(gen_rule)

    def rejected(self, op, arrays, reason):
        if self.gen_rule:
            self.rules.add(self._key(op, arrays))
            if self.rule_file:
                self.save_rules()

    def save_rules(self, loc=None):
        """Write the rules to ``loc`` (default: the policy's rule file)."""
        import json
        loc = loc or self.rule_file
        if not loc:
            raise ValueError("AutoBlacklistPolicy.save_rules: no rule file; pass loc")
        directory = os.path.dirname(os.path.abspath(loc))
        os.makedirs(directory, exist_ok=True)
        with open(loc, "w") as fh:
            json.dump(sorted(self.rules), fh, indent=1)

    def query(self, nspace, name):
        """The rules learned for op ``name`` (``nspace``, the module, is accepted for
        the original's signature): a list of ``"op:dtype/ndim,..."`` keys."""
        prefix = f"{name}:"
        return sorted(r for r in self.rules if r.startswith(prefix))
