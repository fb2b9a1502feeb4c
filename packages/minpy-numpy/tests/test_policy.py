"""Policies: global, ``with``, ``wrap_policy``; 'only_mxnet' errors; the auto-blacklist
with a rule file; what the automatic policy picks (``explain``)."""

from __future__ import annotations

import json

import numpy
import pytest

import minpy.core as core
import minpy.numpy as np
from minpy.numpy.policy import AutoBlacklistPolicy

needs_mxnet = pytest.mark.skipif(not core.mxnet_available(), reason="MXNet is not installed")


def _backends():
    return {backend for (_, backend) in np.op_stats()["calls"]}


def test_default_policy_is_auto():
    assert np.get_policy().name == "auto"


@pytest.mark.parametrize("name", ["auto", "prefer_mxnet", "only_numpy", "only_mxnet",
                                  "auto_blacklist"])
def test_set_global_policy_by_name(name):
    np.set_global_policy(name)
    assert np.get_policy().name == name


def test_unknown_policy_is_a_value_error():
    with pytest.raises(ValueError, match="unknown policy"):
        np.set_global_policy("fastest")


@needs_mxnet
def test_with_policy_nests_and_restores():
    x = np.ones((2, 2))
    with np.record_op_stat():
        with np.policy("only_numpy") as p:
            assert p.name == "only_numpy"
            with np.policy("prefer_mxnet"):
                assert np.get_policy().name == "prefer_mxnet"
                np.add(x, x)
            assert np.get_policy().name == "only_numpy"
            np.multiply(x, x)
    assert np.get_policy().name == "auto"
    calls = np.op_stats()["calls"]
    assert calls[("add", "mxnet")][0] == 1 and calls[("multiply", "numpy")][0] == 1


@needs_mxnet
def test_wrap_policy():
    @np.wrap_policy("prefer_mxnet")
    def f(x):
        """doc"""
        assert np.get_policy().name == "prefer_mxnet"
        return np.exp(x)

    assert f.__doc__ == "doc" and f.__name__ == "f"
    with np.record_op_stat():
        f(np.ones(3))
    assert np.get_policy().name == "auto"
    assert ("exp", "mxnet") in np.op_stats()["calls"]


@needs_mxnet
def test_only_mxnet_error_names_the_op():
    x = np.ones(3)
    with np.policy("only_mxnet"):
        with pytest.raises(NotImplementedError, match=r"minpy\.numpy\.logaddexp.*only_mxnet"):
            np.logaddexp(x, x)
        with pytest.raises(NotImplementedError, match=r"minpy\.numpy\.add.*complex128"):
            np.add(np.array([1j]), 1)
        # A caller's error is NumPy's exception, not NotImplementedError.
        with pytest.raises(ValueError):
            np.add(np.ones((2, 3)), np.ones(4))
        with pytest.raises(numpy.exceptions.AxisError if hasattr(numpy, "exceptions")
                           else numpy.AxisError):
            np.sum(np.ones((2, 3)), axis=5)
        r = np.add(x, x)
    assert r.forms == ("mxnet",)


@needs_mxnet
def test_auto_blacklist_learns_and_persists(tmp_path):
    rules = tmp_path / "rules.json"
    a = np.arange(6, dtype="int32").reshape(2, 3)
    b = np.arange(6, dtype="int32").reshape(3, 2)
    pol = AutoBlacklistPolicy(rule_file=str(rules))
    with np.policy(pol), np.record_op_stat():
        r = np.matmul(a, b)                 # MXNet's CPU matmul has no int32 kernel
    assert r.tolist() == (numpy.arange(6).reshape(2, 3) @ numpy.arange(6).reshape(3, 2)).tolist()
    assert np.op_stats()["fallbacks"] == {"matmul": 1}
    learned = json.loads(rules.read_text())
    assert learned == ["matmul:int32/2,int32/2"]
    fresh = AutoBlacklistPolicy(rule_file=str(rules))   # a new session reads the file
    assert fresh.rules == set(learned)
    with np.policy(fresh), np.record_op_stat():
        np.matmul(a, b)
        np.matmul(a.astype("float32"), b.astype("float32"))
    stats = np.op_stats()
    assert stats["fallbacks"] == {}                     # chosen, not fallen back
    assert stats["calls"][("matmul", "numpy")][0] == 1
    assert stats["calls"][("matmul", "mxnet")][0] == 1


@needs_mxnet
def test_auto_picks_numpy_for_tiny_cpu_arrays():
    x = np.ones((4, 4))
    info = np.explain("add", x, x)
    assert info["policy"] == "auto" and info["choice"] == "numpy"
    assert info["estimated_us"]["numpy"] < info["estimated_us"]["mxnet"]
    with np.policy("prefer_mxnet"):
        assert np.explain("add", x, x)["choice"] == "mxnet"
    with np.policy("only_numpy"):
        assert np.explain("add", x, x)["choice"] == "numpy"
    assert np.explain("logaddexp", x, x)["choice"] == "numpy"
    with np.record_op_stat():
        np.add(x, x)
    assert _backends() == {"numpy"}


@needs_mxnet
def test_auto_counts_where_operands_live():
    with np.policy("prefer_mxnet"):
        x = np.ones((512, 512))                # made by MXNet: MXNet-resident
    assert x.forms == ("mxnet",)
    resident = np.explain("add", x, x)["estimated_us"]
    host = np.ones((512, 512))
    assert host.forms == ("host",)
    fresh = np.explain("add", host, host)["estimated_us"]
    assert resident["mxnet"] < fresh["mxnet"] and resident["numpy"] > fresh["numpy"]
