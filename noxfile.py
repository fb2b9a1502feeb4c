"""Sessions for the whole MinPy monorepo: ``python -m nox -s tests conformance lint docs``.

Every session that runs MinPy installs the packages non-editable from ``packages/``
(the meta package pulls its siblings in as file references), so tests run against
installed code. MXNet 1.9.1 declares ``numpy<2``; MinPy runs it on NumPy 2 through a
shim, so it is installed with ``--no-deps`` after NumPy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nox
import nox.command

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests", "conformance", "lint", "docs"]

ROOT = Path(__file__).resolve().parent
# Sessions run on the interpreter that runs nox (the project targets Python 3.11).
PYTHON = None
MXNET = "mxnet==1.9.1"
# The examples and the demo train on scikit-learn's bundled digits data set.
EXAMPLE_DEPS = ("scikit-learn",)
# nox passes the caller's environment through untouched: MINPY_TEST_DEVICE,
# MXNET_ENGINE_TYPE, OMP_NUM_THREADS and the like reach the sessions as they are.


def install_minpy(session: nox.Session, *extra: str, numpy: str = "numpy>=1.23") -> None:
    """Install numpy, every MinPy distribution (non-editable), MXNet without its numpy<2
    pin, and ``extra``."""
    # setuptools builds in-tree and never prunes build/lib: a module deleted from src/
    # would live on in the wheel. Start every install from clean build directories.
    for build in ROOT.glob("packages/*/build"):
        shutil.rmtree(build)
    session.install(numpy, "./packages/minpy", *extra)
    # pip caches the wheels it builds for the meta package's file:// references, keyed
    # by path and version (always 0.1.0 here): a later checkout at the same path would
    # get yesterday's code. Rebuild every MinPy distribution from this tree, uncached.
    session.install("--no-cache-dir", "--no-deps", "--force-reinstall",
                    *sorted(str(p) for p in ROOT.glob("packages/minpy*")))
    # mxnet's own requirements, minus numpy<2 (requests and graphviz are optional).
    session.install("requests", "graphviz<0.9")
    session.install("--no-deps", MXNET)
    # Tests that need MXNet skip without it; here it is installed, so it must load.
    session.env["MINPY_REQUIRE_MXNET"] = "1"
    session.run("python", "-m", "pip", "list", "--format=freeze", silent=False)


def _pytest(session: nox.Session, *paths: str) -> None:
    # pytest exits with 5 when it collects nothing; nox reports that as a failure.
    session.run("python", "-m", "pytest", *paths, *session.posargs)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Every package's own tests (packages/*/tests) and the examples' (examples/tests)."""
    # minpy-nn's optional extras (progress bar, plot_history) are tested too.
    install_minpy(session, "pytest", "hypothesis", "tqdm", "matplotlib", *EXAMPLE_DEPS)
    dirs = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("packages/*/tests"))
    dirs.append("examples/tests")
    if not dirs:
        session.error("no packages/*/tests directories")
    # One pytest per package: each package's own rootdir and configuration, and each
    # one fails on its own when it collects nothing. All run before the session fails.
    failed = []
    for d in dirs:
        try:
            _pytest(session, d)
        except nox.command.CommandFailed:
            failed.append(d)
    if failed:
        session.error(f"tests failed in: {', '.join(failed)}")


@nox.session(python=PYTHON)
def conformance(session: nox.Session) -> None:
    """The NumPy conformance suite on NumPy 2."""
    install_minpy(session, "pytest", "hypothesis")
    _pytest(session, "conformance")


@nox.session(python=PYTHON)
def conformance_numpy1(session: nox.Session) -> None:
    """The NumPy conformance suite on NumPy 1.23.5."""
    install_minpy(session, "pytest", "hypothesis", numpy="numpy==1.23.5")
    _pytest(session, "conformance")


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the documentation with warnings as errors (autodoc needs the packages)."""
    install_minpy(session, "sphinx")
    # A fresh build, so that -W sees the warnings of every page, not only changed ones.
    shutil.rmtree(ROOT / "docs" / "_build", ignore_errors=True)
    session.run("sphinx-build", "-W", "-b", "html", "docs", "docs/_build/html")


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff over all Python in the repository."""
    session.install("ruff")
    targets = [t for t in ("packages", "conformance", "bench", "examples", "noxfile.py")
               if (ROOT / t).exists()]
    session.run("ruff", "check", *targets)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """The benchmarks (bench/run_all.py)."""
    if not (ROOT / "bench" / "run_all.py").exists():
        session.skip("bench/run_all.py does not exist yet")
    install_minpy(session, "autograd", "matplotlib")
    session.run("python", "bench/run_all.py", *session.posargs)


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """The user's-view demo (examples/demo.py)."""
    install_minpy(session, *EXAMPLE_DEPS)
    session.run("python", "examples/demo.py", *session.posargs)


@nox.session(python=PYTHON)
def mutation(session: nox.Session) -> None:
    """Plant the known bug list in a copy of the tree; every one must be caught
    (conformance/mutation.py; slow, not a default session)."""
    install_minpy(session, "pytest", "hypothesis")
    session.run("python", "conformance/mutation.py", *session.posargs)
