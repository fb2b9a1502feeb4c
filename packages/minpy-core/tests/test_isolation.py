"""Each distribution installs alone, from its directory, into a clean virtual environment.

For every package directory, a fresh venv (no system site-packages) gets
``pip install packages/<name>`` and nothing else; pip must find the sibling MinPy
distributions through the file references that the packages' ``setup.py`` declares
(``packages/_siblings.py``), and the venv must end up with exactly the declared
distributions (and NumPy). The installs run in parallel threads, each from a private
copy of ``packages/``, and share pip's cache. Set ``MINPY_SKIP_ISOLATION=1`` to skip
this test (it needs PyPI for NumPy and the build backend).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ROOT / "packages"

#: distribution -> (modules that must import, MinPy distributions it must bring).
CASES = {
    "minpy-core": (["minpy.core"], {"minpy-core"}),
    "minpy-numpy": (["minpy.numpy"], {"minpy-core", "minpy-numpy"}),
    "minpy-autograd": (["minpy.autograd"], {"minpy-core", "minpy-numpy", "minpy-autograd"}),
    "minpy-symbol": (["minpy.symbol"],
                     {"minpy-core", "minpy-numpy", "minpy-autograd", "minpy-symbol"}),
    "minpy-nn": (["minpy.nn"], {"minpy-core", "minpy-numpy", "minpy-autograd",
                                "minpy-symbol", "minpy-nn"}),
    "minpy": (["minpy.core", "minpy.numpy", "minpy.autograd", "minpy.symbol", "minpy.nn",
               # the original MinPy's paths, spread over the distributions that own them
               "minpy.context", "minpy.dispatch.policy", "minpy.primitive",
               "minpy.utils.gradient_checker",
               # top-level names from the meta package's minpy/__init__.py
               "from minpy import set_global_policy, wrap_policy"],
              {"minpy-core", "minpy-numpy", "minpy-autograd", "minpy-symbol", "minpy-nn",
               "minpy"}),
}

pytestmark = pytest.mark.skipif(os.environ.get("MINPY_SKIP_ISOLATION") == "1",
                                reason="MINPY_SKIP_ISOLATION=1")


def _env():
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PIP_USER")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(*cmd, cwd):
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=_env(), capture_output=True,
                          text=True, timeout=900)


def _check(cmd_result, what):
    if cmd_result.returncode != 0:
        raise AssertionError(f"{what} failed ({cmd_result.returncode}):\n"
                             f"{cmd_result.stdout}\n{cmd_result.stderr}")
    return cmd_result.stdout


def _installed(python, cwd):
    out = _check(_run(python, "-m", "pip", "list", "--format=json", cwd=cwd), "pip list")
    return {d["name"].lower().replace("_", "-") for d in json.loads(out)}


def _install_alone(dist, tmp: Path):
    """Install ``packages/<dist>`` alone into a new venv; return the problems found."""
    modules, minpy_dists = CASES[dist]
    venv = tmp / dist / "venv"
    # A private copy of packages/: five pip runs building minpy-core in the same source
    # tree at once would race on its build/ and *.egg-info directories.
    packages = tmp / dist / "packages"
    shutil.copytree(PACKAGES, packages, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__", "tests", ".*"))
    _check(_run(sys.executable, "-m", "venv", venv, cwd=tmp), "python -m venv")
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    baseline = _installed(python, tmp)  # pip, setuptools: whatever venv puts there
    _check(_run(python, "-m", "pip", "install", "--quiet", packages / dist, cwd=tmp),
           f"pip install packages/{dist}")
    extra = set()
    for module in modules:
        stmt = module if module.startswith("from ") else f"import {module}"
        imp = _run(python, "-c", stmt, cwd=tmp)
        if imp.returncode != 0 and "mxnet" in imp.stderr and "Error" in imp.stderr:
            # minpy.symbol should import without MXNet; if it does not, give it MXNet.
            _check(_run(python, "-m", "pip", "install", "--quiet", "--no-deps",
                        "mxnet==1.9.1", cwd=tmp), "pip install mxnet")
            extra.add("mxnet")
            imp = _run(python, "-c", stmt, cwd=tmp)
        _check(imp, f"import {module} (after installing only {dist})")
    got = _installed(python, tmp) - baseline
    want = minpy_dists | {"numpy"} | extra
    problems = []
    if got != want:
        problems.append(f"{dist}: installed {sorted(got)}, declared {sorted(want)} "
                        f"(missing {sorted(want - got)}, unexpected {sorted(got - want)})")
    return problems


def test_each_distribution_installs_alone(tmp_path):
    cases = [d for d in CASES if (PACKAGES / d / "pyproject.toml").is_file()]
    assert cases, f"no package directories under {PACKAGES}"
    with ThreadPoolExecutor(max_workers=len(cases)) as pool:
        futures = {d: pool.submit(_install_alone, d, tmp_path) for d in cases}
    problems = []
    for dist, fut in futures.items():
        try:
            problems += fut.result()
        except AssertionError as exc:
            problems.append(f"{dist}: {exc}")
    assert not problems, "\n\n".join(problems)
    assert set(cases) == set(CASES), f"missing packages: {sorted(set(CASES) - set(cases))}"
