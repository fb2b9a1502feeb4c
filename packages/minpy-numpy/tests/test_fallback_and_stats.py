"""Fallback notification modes and the op statistics report."""

from __future__ import annotations

import logging
import warnings

import pytest

import minpy.core as core
import minpy.numpy as np
from minpy.numpy.policy import FallbackError, FallbackWarning, set_fallback_mode

needs_mxnet = pytest.mark.skipif(not core.mxnet_available(), reason="MXNet is not installed")


@pytest.fixture
def xy():
    return np.ones(3), np.arange(3.0)


def _fall_back(x, y):
    with np.policy("prefer_mxnet"):
        return np.logaddexp(x, y)           # no MXNet kernel: a fallback


@needs_mxnet
def test_ignore_is_default_and_silent(xy):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = _fall_back(*xy)
    assert r.shape == (3,)


@needs_mxnet
def test_warn_mode_global_and_with(xy):
    set_fallback_mode("warn")
    with pytest.warns(FallbackWarning, match=r"minpy\.numpy\.logaddexp fell back to NumPy"):
        _fall_back(*xy)
    set_fallback_mode("ignore")
    with np.fallback_mode("warn"):
        with pytest.warns(FallbackWarning, match="no MXNet implementation"):
            _fall_back(*xy)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _fall_back(*xy)                     # the block is over: silent again


@needs_mxnet
def test_raise_mode(xy):
    with np.fallback_mode("raise"):
        with pytest.raises(FallbackError, match="logaddexp"):
            _fall_back(*xy)
        with pytest.raises(FallbackError, match=r"minpy\.numpy\.add.*complex128"):
            with np.policy("prefer_mxnet"):
                np.add(np.array([1j]), 1j)
        with np.policy("only_numpy"):       # a policy's own choice is no fallback
            np.logaddexp(*xy)
    set_fallback_mode("raise")
    with pytest.raises(FallbackError):
        _fall_back(*xy)


@needs_mxnet
def test_log_mode(xy, caplog):
    with caplog.at_level(logging.INFO, logger="minpy.fallback"):
        with np.fallback_mode("log"):
            _fall_back(*xy)
    assert any("logaddexp fell back to NumPy" in r.getMessage() for r in caplog.records)


def test_bad_mode_is_a_value_error():
    with pytest.raises(ValueError, match="fallback mode"):
        set_fallback_mode("loud")
    with pytest.raises(ValueError):
        with np.fallback_mode("loud"):
            pass


@needs_mxnet
def test_record_and_show_op_stat(xy, capsys):
    x, y = xy
    with np.record_op_stat():
        with np.policy("prefer_mxnet"):
            z = np.add(x, y)
            z = np.exp(z)
            np.logaddexp(x, y)
        with np.policy("only_numpy"):
            np.add(x, y)
        float(z.sum())                      # MXNet -> host conversion
    np.add(x, y)                            # after the block: not recorded
    stats = np.op_stats()
    assert stats["calls"][("add", "mxnet")][0] == 1
    assert stats["calls"][("add", "numpy")][0] == 1
    assert stats["calls"][("exp", "mxnet")][0] == 1
    assert stats["calls"][("logaddexp", "numpy")][0] == 1
    assert stats["fallbacks"] == {"logaddexp": 1}
    to_mx, to_mx_bytes, to_host, _ = stats["transfers"]
    assert to_mx == 2 and to_mx_bytes == 48 and to_host >= 1
    text = np.show_op_stat()
    assert capsys.readouterr().out.strip() == text
    lines = text.splitlines()
    assert lines[0].split() == ["op", "implementation", "calls", "total", "ms"]
    assert any(ln.split()[:3] == ["add", "mxnet", "1"] for ln in lines)
    assert any(ln.split()[0] == "logaddexp" and ln.split()[1].startswith("numpy")
               and ln.split()[2] == "1" for ln in lines)
    assert "fallbacks to NumPy: logaddexp x1" in text
    assert "conversions: 2 host->MXNet (48 bytes)" in text
    np.reset_op_stat()
    assert np.op_stats()["calls"] == {} and np.op_stats()["fallbacks"] == {}
