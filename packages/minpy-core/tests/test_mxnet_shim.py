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


@needs_mxnet
def test_mxnet_runs_synchronously_so_errors_surface_at_the_call():
    _mxnet.load()
    assert os.environ["MXNET_ENGINE_TYPE"] == "NaiveEngine"
