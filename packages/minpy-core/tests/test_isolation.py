"""Each distribution installs alone, from its directory, into a clean virtual environment.

For every package directory, a fresh venv (no system site-packages) gets
``pip install packages/<name>`` and nothing else; pip must find the sibling MinPy
distributions through the file references that the packages' ``setup.py`` declares
(``packages/_siblings.py``), and the venv must end up with exactly the declared
distributions (and NumPy). Set ``MINPY_SKIP_ISOLATION=1`` to skip this test (it needs
PyPI for NumPy and the build backend).

Cost: the venvs are made without pip (the running interpreter's pip installs into them
with ``--python``), and the installs run one after another in dependency order from one
copy of ``packages/``, so each pip run builds at most the one distribution that no
earlier run built: pip keeps the wheels it builds from these directories in its cache,
keyed by their path. (Run concurrently in one tree, the builds would race on its
``build/`` and ``*.egg-info`` directories; a copy per install would rebuild the whole
family each time: 21 builds instead of 6.)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
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
    "minpy-jit": (["minpy.jit"], {"minpy-core", "minpy-numpy", "minpy-autograd",
                                  "minpy-symbol", "minpy-jit"}),
    # SciPy is an optional extra: without it minpy.scipy imports (its functions then
    # raise ImportError when called)
    "minpy-scipy": (["minpy.scipy.special", "minpy.scipy.stats", "minpy.scipy.integrate"],
                    {"minpy-core", "minpy-numpy", "minpy-autograd", "minpy-scipy"}),
    "minpy": (["minpy.core", "minpy.numpy", "minpy.autograd", "minpy.symbol", "minpy.nn",
               "minpy.jit", "minpy.scipy.special",
               # the original MinPy's paths, spread over the distributions that own them
               "minpy.context", "minpy.dispatch.policy", "minpy.primitive",
               "minpy.utils.gradient_checker",
               # top-level names from the meta package's minpy/__init__.py
               "from minpy import set_global_policy, wrap_policy"],
              {"minpy-core", "minpy-numpy", "minpy-autograd", "minpy-symbol", "minpy-nn",
               "minpy-jit", "minpy-scipy", "minpy"}),
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


def _pip(python, *args):
    """The running interpreter's pip, acting on the environment of ``python``."""
    return (sys.executable, "-m", "pip", "--python", python, *args)


# What ``pip list`` reports, read by the venv's own interpreter (a pip run costs ~1 s).
_LIST = ("import importlib.metadata as m, json; "
         "print(json.dumps([d.metadata['Name'] for d in m.distributions()]))")


def _installed(python, cwd):
    out = _check(_run(python, "-I", "-c", _LIST, cwd=cwd), "listing distributions")
    return {name.lower().replace("_", "-") for name in json.loads(out)}


def _install_alone(dist, tmp: Path, packages: Path):
    """Install ``packages/<dist>`` alone into a new venv; return the problems found."""
    modules, minpy_dists = CASES[dist]
    venv = tmp / dist / "venv"
    _check(_run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp),
           "python -m venv")
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    baseline = _installed(python, tmp)  # whatever venv puts there
    _check(_run(*_pip(python, "install", "--quiet", packages / dist), cwd=tmp),
           f"pip install packages/{dist}")
    extra = set()
    for module in modules:
        stmt = module if module.startswith("from ") else f"import {module}"
        imp = _run(python, "-c", stmt, cwd=tmp)
        if imp.returncode != 0 and "mxnet" in imp.stderr and "Error" in imp.stderr:
            # minpy.symbol should import without MXNet; if it does not, give it MXNet.
            _check(_run(*_pip(python, "install", "--quiet", "--no-deps", "mxnet==1.9.1"),
                        cwd=tmp), "pip install mxnet")
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
    # A copy of packages/ without build products: nothing left over from the checkout
    # (an old build/lib, an egg-info) can reach the wheels.
    packages = tmp_path / "packages"
    shutil.copytree(PACKAGES, packages, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__", "tests", ".*"))
    problems = []
    for dist in cases:  # CASES is in dependency order: each adds one distribution
        try:
            problems += _install_alone(dist, tmp_path, packages)
        except AssertionError as exc:
            problems.append(f"{dist}: {exc}")
    assert not problems, "\n\n".join(problems)
    assert set(cases) == set(CASES), f"missing packages: {sorted(set(CASES) - set(cases))}"
