"""MXNet 1.9.1 imports on this NumPy through the shim, and the shim leaves NumPy as it
found it."""

import os
import subprocess
import sys

import numpy
import pytest

from minpy.core import _mxnet, mxnet_available, mxnet_unavailable_reason


def test_mxnet_loads_where_it_is_required():
    """nox sets MINPY_REQUIRE_MXNET=1: there, tests that need MXNet must not quietly skip
    because it failed to import (a NumPy release removing a name MXNet reads, say)."""
    if os.environ.get("MINPY_REQUIRE_MXNET") != "1":
        pytest.skip("MINPY_REQUIRE_MXNET is not set (outside nox)")
    assert mxnet_available(), mxnet_unavailable_reason()


needs_mxnet = pytest.mark.skipif(not mxnet_available(), reason="MXNet is not installed")


@needs_mxnet
def test_numpy_namespace_is_left_unchanged():
    _mxnet.load()
    for name in ("PZERO", "NINF", "alltrue", "msort"):
        if int(numpy.__version__.split(".")[0]) >= 2:
            assert name not in numpy.__dict__


@needs_mxnet
def test_users_own_import_after_minpy_core_works():
    code = ("import minpy.core, numpy; import mxnet as mx; "
            "print(mx.__version__, hasattr(numpy, 'PZERO') == (numpy.__version__ < '2'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-2:] == ["1.9.1", "True"]


def _run(code, env=None):
    out = subprocess.run([sys.executable, "-W", "always", "-c", code], capture_output=True,
                         text=True, timeout=180, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    return out


@needs_mxnet
def test_mxnet_runs_synchronously_and_leaves_the_environment_as_it_was():
    """NaiveEngine (errors surface at the call), chosen through variables that MXNet
    reads while loading; os.environ, which child processes inherit, is restored."""
    code = """if 1:
        import os, subprocess, sys
        names = ("MXNET_ENGINE_TYPE", "OMP_NUM_THREADS", "OMP_WAIT_POLICY")
        before = {k: os.environ.get(k) for k in names}
        import minpy.numpy as np
        with np.policy("prefer_mxnet"):
            float(np.sum(np.ones((50, 3)), axis=1)[0])
        import mxnet as mx
        # NaiveEngine keeps no bulk size; the threaded engines return the previous one.
        print(mx.engine.set_bulk_size(4), mx.engine.set_bulk_size(4))
        print({k: os.environ.get(k) for k in names} == before)
        child = subprocess.run([sys.executable, "-c",
                                "import os; print(os.environ.get('OMP_WAIT_POLICY'))"],
                               capture_output=True, text=True).stdout.strip()
        print(child)
    """
    env = {k: v for k, v in os.environ.items()
           if k not in ("MXNET_ENGINE_TYPE", "OMP_NUM_THREADS", "OMP_WAIT_POLICY")}
    out = _run(code, env)
    assert out.stdout.split() == ["0", "0", "True", "None"], out.stdout
    assert out.stderr == "", out.stderr


@needs_mxnet
def test_users_own_settings_win():
    env = dict(os.environ, MXNET_ENGINE_TYPE="ThreadedEngine")
    out = _run("import minpy.numpy as np; import mxnet as mx; np.ones(3).sum(); "
               "print(mx.engine.set_bulk_size(4), mx.engine.set_bulk_size(4))", env)
    assert out.stdout.split() == ["0", "4"], out.stdout


def test_engine_notice_is_dropped_and_everything_else_passed_on(capfd):
    with _mxnet._engine_notice_dropped():
        os.write(2, b"[08:01:02] ../src/engine/engine.cc:54: MXNet start using engine: "
                    b"NaiveEngine\n")
        os.write(2, b"[08:01:02] ../src/storage/storage.cc:99: something is wrong\n")
        print("python stderr too", file=sys.stderr)
    err = capfd.readouterr().err
    assert "MXNet start using engine" not in err
    assert "something is wrong" in err and "python stderr too" in err


def test_engine_notice_filter_passes_output_on_when_the_block_raises(capfd):
    with pytest.raises(RuntimeError):
        with _mxnet._engine_notice_dropped():
            os.write(2, b"real error\n")
            raise RuntimeError("boom")
    assert "real error" in capfd.readouterr().err


def test_alias_probe_is_silent():
    """Probing NumPy for the names MXNet reads warns about nothing (NumPy 1.x answers
    np.bool with a FutureWarning or DeprecationWarning)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        aliases = _mxnet._numpy2_aliases()
    if not _mxnet._has("bool"):
        assert aliases["bool"] is numpy.bool_


@needs_mxnet
def test_mx_np_bool_is_numpys_bool_on_every_numpy():
    """MXNet reads np.bool at import: gone in NumPy 1.24-1.26, a deprecated alias of the
    builtin in 1.20-1.23, NumPy's bool scalar again in 2.x. The shim lends numpy.bool_."""
    mx = _mxnet.load()
    assert mx.np.bool is numpy.bool_
    assert mx.np.zeros(2, dtype=mx.np.bool).dtype == numpy.bool_
