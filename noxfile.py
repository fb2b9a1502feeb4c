"""Sessions for the whole MinPy monorepo; CI runs the README's test command (.ci/run).

Every session that runs MinPy installs the packages non-editable, from wheels built
once per nox run from ``packages/`` (``build/wheelhouse``), so tests run against
installed code; test_isolation.py checks that each distribution also installs alone
from its directory (the meta package pulls its siblings in as file references).
MXNet 1.9.1 declares ``numpy<2``; MinPy runs it on NumPy 2 through a shim, so it is
installed with ``--no-deps`` after NumPy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import nox
import nox.command
from packaging.requirements import Requirement

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests", "conformance", "conformance_numpy1", "conformance_numpy126",
                        "gpu_standin", "lint", "docs", "dlpack"]

ROOT = Path(__file__).resolve().parent
# Sessions run on the interpreter that runs nox (the project targets Python 3.11).
PYTHON = None
MXNET = "mxnet==1.9.1"
# The CuPy the stand-in is built from (conformance/cupy_standin.py): its CUDA 13 wheel
# imports on a machine without a GPU.
CUPY = "cupy-cuda13x==14.2.0"
# The examples and the demo train on scikit-learn's bundled digits data set.
EXAMPLE_DEPS = ("scikit-learn",)
# nox passes the caller's environment through untouched: MINPY_TEST_DEVICE,
# MXNET_ENGINE_TYPE, OMP_NUM_THREADS and the like reach the sessions as they are.


WHEELHOUSE = ROOT / "build" / "wheelhouse"
_WHEELS: list[Path] = []


def _minpy_wheels(session: nox.Session) -> list[Path]:
    """Every MinPy distribution's wheel, built from this tree once per nox run (the first
    session that needs them builds them into ``build/wheelhouse``; the others install the
    same files)."""
    if not _WHEELS:
        # setuptools builds in-tree and never prunes build/lib: a module deleted from
        # src/ would live on in the wheel. Build from clean build directories.
        for build in [*ROOT.glob("packages/*/build"), WHEELHOUSE]:
            shutil.rmtree(build, ignore_errors=True)
        # pip caches the wheels it builds from these directories keyed by path and
        # version (always 0.1.0 here): a later checkout at the same path would get
        # yesterday's code. Build from this tree, uncached.
        session.run("python", "-m", "pip", "wheel", "--quiet", "--no-cache-dir", "--no-deps",
                    "--wheel-dir", str(WHEELHOUSE),
                    *sorted(str(p) for p in ROOT.glob("packages/minpy*")))
        _WHEELS.extend(sorted(WHEELHOUSE.glob("minpy*.whl")))
        if len(_WHEELS) != len(list(ROOT.glob("packages/minpy*/pyproject.toml"))):
            session.error(f"expected one wheel per package in {WHEELHOUSE}, got {_WHEELS}")
    return _WHEELS


def _requirements(wheels: list[Path]) -> list[str]:
    """The third-party requirements the wheels declare (siblings and extras left out)."""
    reqs = set()
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as zf:
            meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
            text = zf.read(meta).decode()
        for line in text.splitlines():
            if not line.startswith("Requires-Dist:"):
                continue
            req = Requirement(line.split(":", 1)[1].strip())
            if req.name.startswith("minpy") or (req.marker and
                                                not req.marker.evaluate({"extra": ""})):
                continue
            reqs.add(str(req))
    return sorted(reqs)


def install_minpy(session: nox.Session, *extra: str, numpy: str = "numpy>=1.23") -> None:
    """Install numpy, every MinPy distribution (non-editable, from the wheels of this
    tree), MXNet without its numpy<2 pin, and ``extra``."""
    wheels = _minpy_wheels(session)
    # --no-compile: pip would byte-compile every module of every distribution (mxnet,
    # scipy, scikit-learn: ~10 s of CPU a session); Python compiles the few that are
    # imported, once, on first import.
    # Third-party wheels come from pip's cache; mxnet's own requirements, minus
    # numpy<2 (requests and graphviz are optional), come along.
    deps = [r for r in _requirements(wheels) if r != numpy]
    session.install("--no-compile", numpy, *deps, "requests", "graphviz<0.9", *extra)
    # The wheels name their siblings by file references to packages/ (pip would build
    # them again): they are all here, so without their declared dependencies.
    session.install("--no-compile", "--no-deps", "--force-reinstall", *map(str, wheels))
    session.install("--no-compile", "--no-deps", MXNET)
    # Tests that need MXNet skip without it; here it is installed, so it must load.
    session.env["MINPY_REQUIRE_MXNET"] = "1"
    session.run("python", "-m", "pip", "list", "--format=freeze", silent=False)


REPORTS = ROOT / "build" / "test-reports"


def _workers() -> int:
    """pytest-xdist workers for the package tests: ``MINPY_TEST_WORKERS``, else the
    cores up to 4 (0 or 1: no xdist)."""
    return int(os.environ.get("MINPY_TEST_WORKERS", min(4, os.cpu_count() or 1)))


def _pytest_args(*paths: str, name: str, workers: int = 0) -> tuple[list, dict]:
    """pytest's arguments and environment for :func:`_pytest`."""
    args = ["-q", "-p", "pytest_skips", f"--junitxml={REPORTS / (name + '.xml')}"]
    if workers > 1:
        # Whole files per worker: tests of one file keep their order and shared state.
        args += ["-n", str(workers), "--dist", "loadfile"]
    path = os.pathsep.join(filter(None, [str(ROOT / ".ci"), os.environ.get("PYTHONPATH")]))
    return ["python", "-m", "pytest", *args, *paths], {"PYTHONPATH": path,
                                                       "MINPY_REPORT_NAME": name}


def _pytest(session: nox.Session, *paths: str, name: str, workers: int = 0) -> None:
    """pytest, briefly: ``-q``, one line per skip reason with its count
    (``.ci/pytest_skips.py``); every test's record in ``build/test-reports/<name>.xml``
    and every skip reason in ``build/test-reports/<name>-skips.txt``."""
    cmd, env = _pytest_args(*paths, name=name, workers=workers)
    # pytest exits with 5 when it collects nothing; nox reports that as a failure.
    session.run(*cmd, *session.posargs, env=env)


class _Background:
    """A pytest run in the session's environment, in the background: its output is
    printed, and its failure reported, by :meth:`finish`."""

    def __init__(self, session: nox.Session, *paths: str, name: str):
        cmd, env = _pytest_args(*paths, name=name)
        cmd[0] = str(Path(session.bin) / "python")
        REPORTS.mkdir(parents=True, exist_ok=True)
        self.session, self.name, self.log = session, name, REPORTS / (name + ".log")
        session.log(f"(in the background) {' '.join(cmd[1:])}")
        self.out = self.log.open("w")
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=self.out, stderr=subprocess.STDOUT,
            env=self._env(session, env))

    @staticmethod
    def _env(session: nox.Session, env: dict) -> dict:
        """What ``session.run`` would give the command (nox's None values unset)."""
        out = {**os.environ, "VIRTUAL_ENV": session.virtualenv.location,
               "PATH": os.pathsep.join([session.bin, os.environ.get("PATH", "")])}
        for key, value in session.env.items():
            if value is None:
                out.pop(key, None)
            else:
                out[key] = value
        return {**out, **env}

    def finish(self) -> bool:
        code = self.proc.wait()
        self.out.close()
        self.session.log(f"{self.name} (ran in the background):")
        print(self.log.read_text(), end="", flush=True)
        return code == 0


#: One test takes two minutes of mostly pip (it builds and installs each distribution
#: into a fresh venv): it runs beside the other packages' tests, not after them.
ISOLATION = "packages/minpy-core/tests/test_isolation.py"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Every package's own tests (packages/*/tests) and the examples' (examples/tests)."""
    # minpy-nn's optional extras (progress bar, plot_history) are tested too.
    # setuptools >= 70.1 (bdist_wheel built in): test_cupy_defects reads the packages'
    # declared extras through its metadata hook; a venv of Python 3.11 brings 65.5.
    install_minpy(session, "pytest", "pytest-xdist", "hypothesis", "tqdm", "matplotlib",
                  "scipy", "setuptools>=70.1", *EXAMPLE_DEPS)
    dirs = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("packages/*/tests"))
    dirs.append("examples/tests")
    if not dirs:
        session.error("no packages/*/tests directories")
    # One pytest per package: each package's own rootdir and configuration, and each
    # one fails on its own when it collects nothing. All run before the session fails.
    failed = []
    isolation = _Background(session, ISOLATION, name="tests-isolation")
    try:
        for d in dirs:
            ignore = [f"--ignore={ISOLATION}"] if ISOLATION.startswith(d + "/") else []
            try:
                _pytest(session, d, *ignore, name="tests-" + d.split("/")[-2],
                        workers=_workers())
            except nox.command.CommandFailed:
                failed.append(d)
    finally:
        if not isolation.finish():
            failed.append(ISOLATION)
    if failed:
        session.error(f"tests failed in: {', '.join(failed)}")


# The snippets of the original documentation, in both import orders: MXNet 1.9.1's
# import breaks differently on each NumPy, so every NumPy leg runs them (on NumPy 2 the
# tests session does, with the rest of minpy-core's tests).
SNIPPETS = "packages/minpy-core/tests/test_import_order.py"


def _conformance(session: nox.Session, numpy: str | None = None) -> None:
    install_minpy(session, "pytest", "pytest-xdist", "hypothesis",
                  **({"numpy": numpy} if numpy else {}))
    leg = numpy.replace("numpy==", "numpy") if numpy else "numpy2"
    # Whole files per worker (the tests that read the op tests' tallies run in the worker
    # that ran them); the workers' tallies reach the report through conformance/conftest.py.
    try:
        _pytest(session, "conformance", name=f"conformance-{leg}", workers=_workers())
    finally:
        if numpy:
            _pytest(session, SNIPPETS, name=f"snippets-{leg}")


@nox.session(python=PYTHON)
def conformance(session: nox.Session) -> None:
    """The NumPy conformance suite on NumPy 2."""
    _conformance(session)


@nox.session(python=PYTHON)
def conformance_numpy1(session: nox.Session) -> None:
    """The NumPy conformance suite and the original snippets on NumPy 1.23.5."""
    _conformance(session, "numpy==1.23.5")


@nox.session(python=PYTHON)
def conformance_numpy126(session: nox.Session) -> None:
    """The NumPy conformance suite and the original snippets on NumPy 1.26.4 (the last
    NumPy 1: no ``np.bool``, which MXNet 1.9.1 reads)."""
    _conformance(session, "numpy==1.26.4")


#: The package tests that run against the CuPy stand-in (they skip without CuPy 14).
STANDIN_TESTS = [f"packages/minpy-numpy/tests/{name}.py" for name in (
    "test_cupy_standin", "test_cupy_backend", "test_cupy_defects", "test_out_of_memory")]


@nox.session(python=PYTHON)
def gpu_standin(session: nox.Session) -> None:
    """The conformance suite's GPU leg (every op-table entry with a CuPy implementation,
    on gpu(0) under 'auto' and 'only_cupy') and the CuPy tests, against the CuPy
    STAND-IN: NumPy on the host behind the real CuPy 14's names, signatures, indexing,
    promotion, random streams and DLPack devices (conformance/cupy_standin.py). A
    stand-in run, NOT a GPU run: its report says so."""
    # setuptools: test_cupy_defects reads the packages' declared extras through it.
    install_minpy(session, "pytest", "hypothesis", "setuptools>=70.1", CUPY)
    session.env.update({"MINPY_CUPY_STANDIN": "1", "MINPY_TEST_DEVICE": "gpu",
                        "MINPY_TEST_POLICIES": "auto,only_cupy"})
    try:
        _pytest(session, "conformance/test_ops.py", "conformance/test_float16.py",
                name="gpu-standin-conformance")
    finally:
        _pytest(session, *STANDIN_TESTS, name="gpu-standin-tests")


# DLPack peers: the PyTorch CPU wheel (pip finds it on this kind of machine's disk; from
# PyPI a plain 'torch' is a CUDA build of several GB) and JAX on the CPU.
DLPACK_PEERS = ("torch==2.13.0", "jax==0.10.2", "jaxlib==0.10.2")


@nox.session(python=PYTHON)
def dlpack(session: nox.Session) -> None:
    """DLPack round trips with PyTorch and JAX (test_dlpack.py, where nothing may skip:
    the 'tests' session has neither installed)."""
    install_minpy(session, "pytest", *DLPACK_PEERS)
    session.env["MINPY_REQUIRE_DLPACK_PEERS"] = "1"
    _pytest(session, "packages/minpy-core/tests/test_dlpack.py", name="dlpack")


# The documentation: Sphinx with the PyData theme, sphinx-design's cards and tabs,
# myst-nb executing the front page and the tutorials (ipykernel runs them; matplotlib
# draws, scikit-learn's bundled digits are their data), and Playwright driving Debian's
# Chromium for the browser check (it never downloads a browser of its own here).
# autograd: HIPS Autograd, which the tutorial on porting from it runs beside MinPy (a
# 50 KB pure-Python wheel, about 1.6 s of pip alone; the release hips_suite measures).
DOCS_DEPS = ("sphinx", "pydata-sphinx-theme", "sphinx-design", "myst-nb", "ipykernel",
             "matplotlib", "playwright", "pytest", "autograd==1.9.1", *EXAMPLE_DEPS)


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Test the documentation's machinery (docs/tests), build the documentation with
    warnings as errors, executing every notebook (a failing cell fails the build),
    then open every page in headless Chromium
    (docs/browser_check.py: console errors, images, anchors, search; screenshots in
    docs/_build/browser). Without Chromium the check says so and passes, except in CI
    or with MINPY_REQUIRE_BROWSER=1."""
    install_minpy(session, *DOCS_DEPS)
    # The machinery first: the browser check fails on planted defects, the gallery and
    # the benchmarks page render from their inputs (docs/tests).
    _pytest(session, "docs/tests", name="docs")
    # A fresh build, so that -W sees the warnings of every page, not only changed ones.
    shutil.rmtree(ROOT / "docs" / "_build", ignore_errors=True)
    # -j auto: the notebooks execute while other pages are read, one process per core.
    session.run("sphinx-build", "-W", "-j", "auto", "-b", "html", "docs", "docs/_build/html")
    session.run("python", "docs/browser_check.py", "docs/_build/html")


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff over all Python in the repository."""
    session.install("ruff")
    targets = [t for t in ("packages", "conformance", "bench", "examples", "docs",
                           "noxfile.py") if (ROOT / t).exists()]
    session.run("ruff", "check", *targets)
    # bench/gpu_deps/ holds third-party wheels for the offline GPU machine: not ignored
    # (they must travel with the working tree), never committed (bench/README.md).
    if shutil.which("git") and (ROOT / ".git").exists():
        tracked = session.run("git", "ls-files", "--", "bench/gpu_deps", silent=True,
                              external=True)
        if tracked and tracked.strip():
            session.error(f"bench/gpu_deps/ must not be committed: {tracked.split()}")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """The benchmarks (bench/run_all.py). A full run (no arguments) publishes itself
    into docs/benchmarks/ (results.json and the plots the benchmarks page shows: commit
    them); ``nox -s bench -- --quick`` is a smoke run (~1 minute) that publishes
    nothing unless given ``--publish DIR``."""
    if not (ROOT / "bench" / "run_all.py").exists():
        session.skip("bench/run_all.py does not exist yet")
    # JAX: bench_autograd's and bench_jit's rows against JAX's jit (without it they say
    # "JAX missing" and compare nothing); threadpoolctl: BLAS held to the threads the
    # benchmark asks for (CPU-time rows count every spinning BLAS thread otherwise).
    install_minpy(session, "autograd", "matplotlib", "threadpoolctl", "jax==0.10.2",
                  "jaxlib==0.10.2")
    session.run("python", "bench/run_all.py", *session.posargs)


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """The user's-view demo (examples/demo.py)."""
    install_minpy(session, *EXAMPLE_DEPS)
    session.run("python", "examples/demo.py", *session.posargs)


@nox.session(python=PYTHON)
def hips_suite(session: nox.Session) -> None:
    """HIPS Autograd's own tests (from PyPI's autograd sdist, never committed) on HIPS
    Autograd and retargeted at MinPy by rewriting their imports; MinPy must pass 98% of
    what HIPS Autograd passes (conformance/hips_suite.py; not a default session)."""
    install_minpy(session, "autograd==1.9.1", "scipy", "pytest", "pytest-xdist")
    session.run("python", "conformance/hips_suite.py", "--version", "1.9.1",
                *session.posargs)


@nox.session(python=PYTHON)
def mutation(session: nox.Session) -> None:
    """Plant the known bug list (every package) in a copy of the tree; every one must be
    caught (conformance/mutation.py; slow, not a default session)."""
    # scikit-learn: minpy-nn's solver and distributed tests train on its digits.
    install_minpy(session, "pytest", "hypothesis", *EXAMPLE_DEPS)
    session.run("python", "conformance/mutation.py", *session.posargs)
