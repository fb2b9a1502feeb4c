"""The original MinPy's ``minpy.dispatch.policy``."""

import importlib
import json

import minpy.dispatch.policy as policy
import minpy.numpy as np


class _Op:
    name = "logaddexp"
    impls = {"numpy": None, "mxnet": None}


def test_aliases_are_the_policies():
    numpy_policy = importlib.import_module("minpy.numpy.policy")
    assert policy.OnlyNumpyPolicy is policy.OnlyNumPyPolicy is numpy_policy.OnlyNumPyPolicy
    policy.set_global_policy(policy.OnlyNumPyPolicy())
    assert policy.get_global_policy().name == "only_numpy"

    @policy.wrap_policy(policy.PreferMXNetPolicy())
    def inside():
        return policy.get_global_policy().name

    assert inside() == "prefer_mxnet" and policy.get_global_policy().name == "only_numpy"


def test_auto_blacklist_keywords(tmp_path):
    loc = tmp_path / "rules.json"
    x = np.ones((2, 2))
    apply_only = policy.AutoBlacklistPolicy(gen_rule=False, loc=str(loc))
    apply_only.rejected(_Op, [x, x], "no kernel")
    assert apply_only.rules == set() and not loc.exists()      # gen_rule=False: no learning
    learner = policy.AutoBlacklistPolicy(gen_rule=True, loc=str(loc))
    learner.rejected(_Op, [x, x], "no kernel")
    key = "logaddexp:float64/2,float64/2"
    assert learner.query(np, "logaddexp") == [key] and learner.query(np, "add") == []
    assert json.loads(loc.read_text()) == [key]                 # saved as learned
    assert learner.choose(_Op, [x, x], None) == "numpy"
    assert learner.choose(_Op, [np.ones(3)], None) == "mxnet"
    again = policy.AutoBlacklistPolicy(loc=str(loc))
    assert again.rules == {key}
    fresh = policy.AutoBlacklistPolicy(gen_rule=True, append_rule=False, loc=str(loc))
    assert fresh.rules == set()
    other = tmp_path / "other.json"
    learner.save_rules(str(other))
    assert json.loads(other.read_text()) == [key]
