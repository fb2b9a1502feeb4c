"""Fixtures and settings of the NumPy conformance suite.

* Hypothesis runs under the profile ``conformance`` (bounded, derandomised, no deadline)
  unless ``MINPY_TEST_PROFILE`` names another one (``thorough``: more examples).
* ``policy_name`` runs each test under 'prefer_mxnet', 'only_numpy', 'auto' and
  'only_mxnet'.
* ``device`` runs each test on ``cpu()`` and, when MXNet can use one, on ``gpu(0)``;
  ``MINPY_TEST_DEVICE=cpu`` or ``gpu`` restricts it to one.
* The terminal summary lists what 'only_mxnet' could not run (NotImplementedError),
  counted per op and reason.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

settings.register_profile(
    "conformance", max_examples=15, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.function_scoped_fixture,
                           HealthCheck.data_too_large], print_blob=False)
settings.register_profile(
    "thorough", max_examples=200, deadline=None, derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.function_scoped_fixture,
                           HealthCheck.data_too_large])
settings.load_profile(os.environ.get("MINPY_TEST_PROFILE", "conformance"))

POLICIES = ("prefer_mxnet", "only_numpy", "auto", "only_mxnet")
GPU_SKIP = "no GPU usable by MXNet 1.9.1 (CPU wheel or no sm<=86 device)"


@pytest.fixture(params=POLICIES)
def policy_name(request):
    return request.param


@pytest.fixture(params=["cpu", "gpu"])
def device(request):
    import minpy.core as core
    wanted = os.environ.get("MINPY_TEST_DEVICE")
    if wanted and wanted != request.param:
        pytest.skip(f"MINPY_TEST_DEVICE={wanted}")
    if request.param == "gpu":
        if core.num_gpus() == 0:
            pytest.skip(GPU_SKIP)
        return core.gpu(0)
    return core.cpu()


@pytest.fixture(autouse=True)
def _restore_state():
    """Each test starts from the defaults and leaves them as it found them."""
    import minpy.numpy as mnp
    saved = (mnp.get_policy(), mnp.get_default_float_dtype())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
    mnp.set_global_policy(saved[0])
    mnp.set_default_float_dtype(saved[1])


def pytest_terminal_summary(terminalreporter):
    counts = harness.NOT_IMPLEMENTED
    if not counts:
        return
    tr = terminalreporter
    total = sum(counts.values())
    tr.write_sep("=", f"only_mxnet: {total} calls raised NotImplementedError "
                      f"({len({k[0] for k in counts})} ops)")
    for (op, reason), n in sorted(counts.items()):
        tr.write_line(f"{op:<22}{n:>5}  {reason[:100]}")
    if harness.MX_ERRORS:
        tr.write_sep("-", "of which MXNet kernel errors, by input dtypes")
        for (op, dts), n in sorted(harness.MX_ERRORS.items()):
            tr.write_line(f"{op:<22}{n:>5}  {dts}")


def pytest_report_header(config):
    """The reference this run was checked against, at the top of every report."""
    import numpy

    from minpy.core import _mxnet
    mx = _mxnet.load()
    return (f"MinPy conformance reference: NumPy {numpy.__version__}; MXNet "
            f"{mx.__version__ if mx is not None else 'unavailable'}")
