"""Fixtures and settings of the NumPy conformance suite.

* Hypothesis runs under the profile ``conformance`` (15 examples, or
  ``MINPY_TEST_EXAMPLES``; derandomised, no database: CI is fast and deterministic)
  unless ``--thorough`` is given (``nox -s conformance -- --thorough``) or
  ``MINPY_TEST_PROFILE=thorough``: 200 examples, random seeds (printed on failure), 40
  gradient examples, random seeds for the statistical tests of the samplers.
* ``policy_name`` runs each test under 'prefer_mxnet', 'only_numpy', 'auto' and
  'only_mxnet', and, where CuPy has a usable GPU, 'only_cupy' on the gpu leg.
  ``MINPY_TEST_POLICIES=auto,only_cupy`` restricts them (``bench/gpu_check.sh``).
* ``device`` runs each test on ``cpu()`` and, when MinPy has one, on ``gpu(0)``; the
  skip reason is computed by :func:`gpu_unavailable` from the same check.
  ``MINPY_TEST_DEVICE=cpu`` or ``gpu`` restricts it to one.
* ``MINPY_CUPY_STANDIN=1`` (``nox -s gpu_standin``, ``bench/gpu_check.sh --standin``)
  installs the CuPy STAND-IN (:mod:`cupy_standin`: NumPy on the host behind the real
  CuPy 14's names; NOT a GPU) as ``cupy`` before MinPy looks for CuPy, so the GPU leg
  runs on it; the report then says so in its first line, and the op tests whose failure
  is a known MinPy defect on CuPy are marked ``xfail(strict=True)`` (:data:`STANDIN_XFAIL`).
* The terminal gets one summary line; the full report (per test: examples compared,
  examples not compared and why, share run on MXNet; what 'only_mxnet' declined, per op
  and reason) goes to ``build/conformance/report-numpy<version>.txt``.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cupy_standin  # noqa: E402
import harness  # noqa: E402

#: Whether this run's GPU is the CuPy stand-in (NumPy on the host; NOT a GPU).
STANDIN = os.environ.get("MINPY_CUPY_STANDIN", "") not in ("", "0")
STANDIN_REASON = cupy_standin.unavailable_reason() if STANDIN else None
if STANDIN and STANDIN_REASON is None:
    cupy_standin.install()
STANDIN_BANNER = ("CuPy STAND-IN run: the GPU leg ran against NumPy on the host behind the "
                  "real CuPy 14's names (conformance/cupy_standin.py); NOT a GPU run")

_HEALTH = [HealthCheck.too_slow, HealthCheck.filter_too_much,
           HealthCheck.function_scoped_fixture, HealthCheck.data_too_large]
# MINPY_TEST_EXAMPLES: fewer examples for a time-boxed run (bench/gpu_check.sh: on a
# GPU each new dtype combination costs a kernel compilation).
settings.register_profile(
    "conformance", max_examples=int(os.environ.get("MINPY_TEST_EXAMPLES", "15")),
    deadline=None, derandomize=True, database=None, suppress_health_check=_HEALTH,
    print_blob=False)
settings.register_profile(
    "thorough", max_examples=200, deadline=None, derandomize=False, database=None,
    suppress_health_check=_HEALTH, print_blob=True)
settings.load_profile(os.environ.get("MINPY_TEST_PROFILE", "conformance"))


def _examples_from_the_tests_only() -> None:
    """Hypothesis (6.13x+) mixes constants read off every loaded *local* module into the
    examples it draws. In a checkout that is MinPy's own sources (and conformance's
    helper modules), so editing any source file shifted the derandomised examples of
    unrelated tests (sort/argsort's MXNet share flipped on a new literal elsewhere).
    The examples must depend on the tests only: the pool of local constants is kept
    empty. (Internal API: if it moves, this does nothing and says so.)"""
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover
        return
    if not hasattr(providers, "_get_local_constants"):  # pragma: no cover
        warnings.warn("hypothesis changed: conformance examples may follow MinPy's "
                      "source literals", stacklevel=1)
        return
    empty = type(providers._local_constants)()
    providers._get_local_constants = lambda: empty


_examples_from_the_tests_only()

def _cupy_gpu() -> bool:
    from minpy.core import _cupy
    return _cupy.available()


POLICIES = ("prefer_mxnet", "only_numpy", "auto", "only_mxnet") + (
    ("only_cupy",) if _cupy_gpu() else ())
if os.environ.get("MINPY_TEST_POLICIES"):
    POLICIES = tuple(p for p in os.environ["MINPY_TEST_POLICIES"].split(",") if p)
REPORT_DIR = Path(__file__).resolve().parent.parent / "build" / "conformance"


def pytest_addoption(parser):
    parser.addoption("--thorough", action="store_true",
                     help="MinPy conformance: the 'thorough' hypothesis profile (200 "
                          "examples, random seeds) and random seeds for sampler tests")


def pytest_configure(config):
    if config.getoption("--thorough", default=False):
        os.environ["MINPY_TEST_PROFILE"] = "thorough"
        os.environ.setdefault("MINPY_GRAD_EXAMPLES", "40")
        settings.load_profile("thorough")


def thorough():
    """Whether this run explores (random seeds, more examples) rather than repeats."""
    return os.environ.get("MINPY_TEST_PROFILE") == "thorough"


def gpu_unavailable():
    """``None`` when the suite has a GPU device to test, else the reason, derived from
    the very check that decides it (:func:`minpy.core.num_gpus`: GPUs MXNet or CuPy
    can use)."""
    import minpy.core as core
    from minpy.core import _cupy, _mxnet
    n = core.num_gpus()
    if n > 0:
        return None
    mx = _mxnet.load()
    if mx is None:
        build = "MXNet is not installed"
    else:
        try:
            cuda = mx.runtime.Features().is_enabled("CUDA")
        except Exception:  # noqa: BLE001  (an MXNet without runtime features)
            cuda = None
        build = f"MXNet {mx.__version__} " + {True: "CUDA build", False: "CPU-only build",
                                               None: "build"}[cuda]
    if STANDIN_REASON:
        return STANDIN_REASON
    return (f"minpy.core.num_gpus() == 0 ({build}; CuPy: "
            f"{_cupy.unavailable_reason() or 'sees no GPU'}): no GPU device to test")


@pytest.fixture(params=POLICIES)
def policy_name(request):
    if request.param == "only_cupy" and ("device" not in request.fixturenames or (
            request.getfixturevalue("device").backend != "cupy")):
        pytest.skip("'only_cupy' runs on a GPU that CuPy serves, not on this leg")
    return request.param


@pytest.fixture(params=["cpu", "gpu"])
def device(request):
    import minpy.core as core
    wanted = os.environ.get("MINPY_TEST_DEVICE")
    if wanted and wanted != request.param:
        pytest.skip(f"MINPY_TEST_DEVICE={wanted}")
    if request.param == "gpu":
        reason = gpu_unavailable()
        if reason is not None:
            pytest.skip(reason)
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


#: (op, policy) -> why its op test fails on a GPU CuPy serves (the stand-in included)
#: because of a known MinPy defect: marked ``xfail(strict=True)`` there, so the fix turns
#: it into an XPASS that fails the run until the entry is removed.
CUPY_XFAIL: dict = {
    # (op name, policy) -> reason: GPU-leg cases known to fail on CuPy (strict xfails).
    # Empty: issue 19's multi_dot case runs on CuPy now (a chain of cupy.dot).
}


def _cupy_leg() -> bool:
    """Whether the GPU leg runs on a GPU that CuPy serves (the stand-in's included)."""
    wanted = os.environ.get("MINPY_TEST_DEVICE")
    if (wanted and wanted != "gpu") or gpu_unavailable():
        return False
    import minpy.core as core
    return core.backend_of(core.Device("gpu", 0)) == "cupy"


def pytest_collection_modifyitems(config, items):
    if not _cupy_leg():
        return
    for item in items:
        spec = getattr(item, "callspec", None)
        if spec is None or item.originalname != "test_op_matches_numpy":
            continue
        params = spec.params
        reason = CUPY_XFAIL.get((params.get("name"), params.get("policy_name")))
        if reason and params.get("device") == "gpu":
            item.add_marker(pytest.mark.xfail(strict=True, reason=reason))


def _report_lines():
    tallies = harness.TALLIES
    lines = [f"MinPy conformance report: {len(tallies)} op tests", ""]
    if cupy_standin.is_standin(sys.modules.get("cupy")):
        lines[:0] = [STANDIN_BANNER, ""]
    reached, unreached = harness.cupy_coverage()
    if reached:
        lines += ["", f"CuPy coverage: {len(reached)} of {len(reached) + len(unreached)} "
                      "op-table entries with a CuPy implementation compared values under "
                      "'only_cupy' on the GPU leg"
                      + (f"; not reached: {', '.join(unreached)}" if unreached else "")]
    lines.append("per test: examples that compared values / exceptions / nothing (and "
                 "why); share of accepted examples run on MXNet")
    lines += [t.line() for t in sorted(tallies, key=lambda t: (t.name, t.policy,
                                                                   t.device))]
    counts = harness.NOT_IMPLEMENTED
    if counts:
        lines += ["", f"only_mxnet: {sum(counts.values())} calls raised "
                      f"NotImplementedError ({len({k[0] for k in counts})} ops)"]
        lines += [f"{op:<22}{n:>5}  {reason[:100]}" for (op, reason), n in sorted(
            counts.items())]
    if harness.MX_ERRORS:
        lines += ["", "of which MXNet kernel errors, by input dtypes"]
        lines += [f"{op:<22}{n:>5}  {dts}" for (op, dts), n in sorted(
            harness.MX_ERRORS.items())]
    return lines


def summary_line():
    tallies = harness.TALLIES
    out = Counter()
    for t in tallies:
        out.update(t.outcomes)
    values, exc = out[harness.COMPARED], out[harness.RAISED_ALIKE]
    skipped = sum(out.values()) - values - exc
    rec = [t for t in tallies if t.recorded]
    acc = sum(t.accepted for t in rec)
    share = sum(t.on_mxnet for t in rec) / acc if acc else 0.0
    on_mx = (f"{share:.0%} of accepted examples ran on MXNet under prefer_mxnet/"
             f"only_mxnet" if acc else "no prefer_mxnet/only_mxnet examples")
    return (f"{values} examples compared values, {exc} compared exceptions, {skipped} "
            f"compared nothing (counted, with reasons); {on_mx}")


# -- pytest-xdist: the workers' tallies reach the controller, which writes the report --
_WORKER_KEY = "minpy_conformance_tallies"


def _tallies_as_data() -> str:
    """This process's tallies and counters as JSON (xdist's workeroutput carries plain
    data only)."""
    return json.dumps({
        "tallies": [[t.name, t.policy, t.device, dict(t.outcomes), t.accepted, t.on_mxnet,
                     t.recorded, dict(t.fallbacks)] for t in harness.TALLIES],
        "not_implemented": [[list(k), n] for k, n in harness.NOT_IMPLEMENTED.items()],
        "mx_errors": [[list(k), n] for k, n in harness.MX_ERRORS.items()]})


def _merge_tallies(text: str) -> None:
    data = json.loads(text)
    for name, policy, device, outcomes, accepted, on_mx, recorded, fallbacks in data["tallies"]:
        harness.TALLIES.append(harness.Tally(name, policy, device, Counter(outcomes),
                                             accepted, on_mx, recorded, Counter(fallbacks)))
    for key, n in data["not_implemented"]:
        harness.NOT_IMPLEMENTED[tuple(key)] += n
    for key, n in data["mx_errors"]:
        harness.MX_ERRORS[tuple(key)] += n


def pytest_sessionfinish(session):
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand the tallies to the controller
        workeroutput[_WORKER_KEY] = _tallies_as_data()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """xdist's controller: a worker finished; its tallies join the report. (The tests
    that read tallies, at the end of test_ops.py, run in the worker that ran that file's
    op tests: nox runs this suite with ``--dist loadfile``.)"""
    text = getattr(node, "workeroutput", {}).get(_WORKER_KEY)
    if text:
        _merge_tallies(text)


def pytest_terminal_summary(terminalreporter):
    if not harness.TALLIES:
        return
    import numpy
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    standin = cupy_standin.is_standin(sys.modules.get("cupy"))
    path = REPORT_DIR / (f"report-numpy{numpy.__version__}"
                         + ("-cupy-standin" if standin else "") + ".txt")
    head = [STANDIN_BANNER] if standin else []
    path.write_text("\n".join(head + [summary_line(), ""] + _report_lines()) + "\n")
    tr = terminalreporter
    if standin:
        tr.write_line(STANDIN_BANNER)
    tr.write_line(f"conformance: {summary_line()}; report: "
                  f"{os.path.relpath(path)}")


def pytest_report_header(config):
    """The reference this run was checked against, at the top of every report."""
    import numpy

    from minpy.core import _mxnet
    mx = _mxnet.load()
    head = (f"MinPy conformance reference: NumPy {numpy.__version__}; MXNet "
            f"{mx.__version__ if mx is not None else 'unavailable'}")
    if cupy_standin.is_standin(sys.modules.get("cupy")):
        return [STANDIN_BANNER, head]
    if STANDIN_REASON:
        return [f"MINPY_CUPY_STANDIN=1 but {STANDIN_REASON}: the GPU leg skips", head]
    return head
