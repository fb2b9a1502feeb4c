"""MXNet 1.9.1 imports on this NumPy through the shim, and the shim leaves NumPy as it
found it."""

import subprocess
import sys

import numpy
import pytest

from minpy.core import _mxnet, mxnet_available

pytestmark = pytest.mark.skipif(not mxnet_available(), reason="MXNet is not installed")


def test_numpy_namespace_is_left_unchanged():
    _mxnet.load()
    for name in ("PZERO", "NINF", "alltrue", "msort"):
        if int(numpy.__version__.split(".")[0]) >= 2:
            assert name not in numpy.__dict__


def test_users_own_import_after_minpy_core_works():
    code = ("import minpy.core, numpy; import mxnet as mx; "
            "print(mx.__version__, hasattr(numpy, 'PZERO') == (numpy.__version__ < '2'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-2:] == ["1.9.1", "True"]


def test_mxnet_runs_synchronously_so_errors_surface_at_the_call():
    import os
    _mxnet.load()
    assert os.environ["MXNET_ENGINE_TYPE"] == "NaiveEngine"
