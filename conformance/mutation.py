"""Mutation run: plant known, plausible bugs in a copy of the tree; the tests must fail.

Each :class:`Mutation` replaces one exact piece of source text (it must occur exactly
once) in a copy of this checkout, runs the tests that should notice, and records:

* ``caught``: the tests failed (or the interpreter died: a crash is noticed too);
* ``MISSED``: the tests passed with the bug in place;
* ``stale``: the text is no longer in the file (the code moved on: update the list);
* ``error``: the tests could not run (collection error, nothing collected, timeout).

The working tree itself is never modified: the tree is copied to a temporary directory
(tracked and untracked-but-not-ignored files, as ``git ls-files`` lists them), each
mutation is applied there, run with ``PYTHONPATH`` pointing at the copy's packages (which
precede the installed ones), and reverted. Before the mutants, every distinct test
selection runs once unmutated and must pass, or its mutants are not judged.

Run ``python conformance/mutation.py`` (``--list``, ``--only ID ...``, ``--keep``), or
``nox -s mutation``; the report goes to ``build/mutation/report.txt``. Target: every
mutation caught.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NUMPY_PKG = "packages/minpy-numpy/src/minpy/numpy/"
CORE_PKG = "packages/minpy-core/src/minpy/core/"
AUTOGRAD_PKG = "packages/minpy-autograd/src/minpy/autograd/"


@dataclass(frozen=True)
class Mutation:
    id: str
    what: str       # the bug, in words
    path: str       # file, relative to the repository root
    old: str        # exact text (must occur once)
    new: str        # its replacement
    tests: tuple    # pytest arguments (one run: no two test files of one basename)


def _ops_k(expr):
    return ("conformance/test_ops.py", "-k", f"test_op_matches_numpy and ({expr})")


def _grads_k(expr):
    return ("conformance/test_grads.py", "-k", expr)


_UNARY = '    register(_name, "np." + _name if _name not in ("positive",) else None)'

MUTATIONS = [
    # -- gradient rules ------------------------------------------------------------------
    Mutation("grad-sin-sign", "gradient sign: d sin = -cos",
             AUTOGRAD_PKG + "rules/elementwise.py",
             '"sin": lambda ans, x: lambda g: g * np.cos(x),',
             '"sin": lambda ans, x: lambda g: -g * np.cos(x),',
             _grads_k("sin and not arcsin and not sinh and not asin")),
    Mutation("grad-exp-arg", "gradient of exp uses x instead of exp(x)",
             AUTOGRAD_PKG + "rules/elementwise.py",
             '"exp": lambda ans, x: lambda g: g * ans,',
             '"exp": lambda ans, x: lambda g: g * x,',
             _grads_k("exp and not expm1 and not ldexp")),
    Mutation("grad-mod-trunc", "mod's y-gradient uses trunc(x/y) instead of floor_divide",
             AUTOGRAD_PKG + "rules/elementwise.py",
             "-g * np.floor_divide(x, y))",
             "-g * np.trunc(x / y))",
             _grads_k("mod or remainder")),
    Mutation("grad-maximum-x", "maximum's x-branch takes the cotangent where x < y",
             AUTOGRAD_PKG + "rules/elementwise.py",
             "    _binary(_name, _split_eq(lambda x, y: x > y, lambda x, y: x == y),",
             "    _binary(_name, _split_eq(lambda x, y: x < y, lambda x, y: x == y),",
             _grads_k("maximum or fmax")),
    Mutation("tape-fan-out", "backward overwrites instead of adding a second cotangent",
             AUTOGRAD_PKG + "tracer.py",
             "cts[p] = pg if old is None else _add(old, pg)",
             "cts[p] = pg",
             ("packages/minpy-autograd/tests/test_engine.py",
              "packages/minpy-autograd/tests/test_api.py")),
    # -- MXNet kernels -------------------------------------------------------------------
    Mutation("kernel-cos-is-sin", "cos runs MXNet's sin", NUMPY_PKG + "_ops.py", _UNARY,
             _UNARY.replace('"np." + _name if', '"np." + ("sin" if _name == "cos" else '
                                                '_name) if'),
             _ops_k("cos and mxnet")),
    Mutation("kernel-tanh-f16-zeros", "float16 tanh returns zeros", NUMPY_PKG + "_ops.py",
             _UNARY,
             _UNARY.replace('"np." + _name if', '(lambda mx: lambda a: mx.np.zeros_like(a) '
                            'if a.dtype == np.float16 else mx.np.tanh(a)) if _name == '
                            '"tanh" else "np." + _name if'),
             _ops_k("tanh and mxnet")),
    Mutation("kernel-sin-f32-0.4", "float32 sin off by 0.4 (values <= 1)",
             NUMPY_PKG + "_ops.py", _UNARY,
             _UNARY.replace('"np." + _name if', '(lambda mx: lambda a: mx.np.sin(a) + (0.4 '
                            'if a.dtype == np.float32 else 0)) if _name == "sin" else '
                            '"np." + _name if'),
             _ops_k("sin and mxnet")),
    Mutation("kernel-inv-transposed", "linalg.inv returns the transposed inverse",
             NUMPY_PKG + "_ops.py",
             '    register("linalg." + _name, "np.linalg." + _name, kind="linalg")',
             '    register("linalg." + _name, (lambda mx: lambda a: mx.np.swapaxes('
             'mx.np.linalg.inv(a), -1, -2)) if _name == "inv" else "np.linalg." + _name, '
             'kind="linalg")',
             _ops_k("linalg.inv and mxnet")),
    Mutation("kernel-mean-is-sum", "mean runs the sum kernel", NUMPY_PKG + "_ops.py",
             '_mx_summing(_name) if _name == "mean"',
             '_mx_summing("sum") if _name == "mean"',
             _ops_k("mean and mxnet")),
    Mutation("kernel-keepdims-dropped", "sum/mean ignore keepdims without an axis",
             NUMPY_PKG + "_ops.py",
             "out = (classic(a, keepdims=bool(keepdims)) if axis is None else",
             "out = (classic(a, keepdims=False) if axis is None else",
             _ops_k("(sum or mean) and mxnet")),
    Mutation("kernel-degrees-f32-pi", "degrees uses pi to float32 precision",
             NUMPY_PKG + "_ops.py",
             '(("degrees", 180.0 / np.pi),', '(("degrees", 180.0 / 3.1415927),',
             _ops_k("degrees and mxnet")),
    Mutation("backend-where-broadcast", "where's classic kernel also takes broadcasting "
             "operands (it cannot broadcast)", NUMPY_PKG + "_ops.py",
             "            if all(type(a) is not ndarray or a.shape == shape for a in (x, y)):",
             "            if True:",
             _ops_k("where and mxnet")),
    Mutation("accepts-clip-dropped", "clip's accepts (float32-exact bounds) dropped",
             NUMPY_PKG + "_ops.py",
             "accepts=lambda args, kw: all(_f32_exact(a) for a in args[1:3]))",
             "accepts=None)",
             _ops_k("clip and mxnet")),
    # -- samplers ------------------------------------------------------------------------
    Mutation("sampler-normal-swapped", "random.normal gets scale and loc swapped",
             NUMPY_PKG + "_random_ops.py",
             "mx.np.random.normal(\n    loc, scale,", "mx.np.random.normal(\n    scale, loc,",
             ("conformance/test_random_stats.py", "-k", "normal and not lognormal")),
    Mutation("sampler-params-reversed", "gamma/beta/lognormal get their parameters reversed",
             NUMPY_PKG + "_random_ops.py",
             "return getattr(mx.np.random, name)(*args, size=size",
             "return getattr(mx.np.random, name)(*args[::-1], size=size",
             ("conformance/test_random_stats.py", "-k", "gamma or beta or lognormal")),
    Mutation("sampler-randint-inclusive", "randint includes its upper bound",
             NUMPY_PKG + "_random_ops.py",
             "high if high is not None else low, size=size,",
             "(high if high is not None else low) + 1, size=size,",
             ("conformance/test_random_stats.py", "-k", "randint")),
    # -- dispatch, dtypes, caches, policy ------------------------------------------------
    Mutation("dtype-check-skipped", "MXNet's result dtype is trusted unchecked",
             NUMPY_PKG + "_dispatch.py",
             "            if res.dtype != dtype:\n"
             "                return Array._from_mx(res.astype(dtype), device, dtype)\n",
             "",
             ("packages/minpy-numpy/tests/test_mxnet_result_dtype.py",)),
    Mutation("dtype-rule-no-cast", "inputs are not cast to NumPy's result dtype before "
             "an MXNet kernel (int8 sums stay int8)", NUMPY_PKG + "_dispatch.py",
             '        if op.cast == "result":\n            self.cast = dtype\n',
             '        if op.cast == "result":\n            self.cast = None\n',
             _ops_k("(sum or mean or true_divide or sqrt or exp) and mxnet")),
    Mutation("cache-plan-no-kwargs", "the MXNet plan cache ignores keyword arguments",
             NUMPY_PKG + "_dispatch.py",
             "key = (op.name, tuple([_signature(a) for a in args]), tuple(kwargs.items()),",
             "key = (op.name, tuple([_signature(a) for a in args]), (),",
             _ops_k("(zeros or ones or full or arange or linspace or eye or identity or "
                    "randint) and mxnet")),
    Mutation("cache-signature-no-dtype", "call signatures omit the array dtype",
             NUMPY_PKG + "_dispatch.py",
             "        return (x.dtype, x.ndim)\n", "        return (x.ndim,)\n",
             _ops_k("(add or multiply or true_divide or greater or where) and mxnet")),
    Mutation("policy-prefer-never-mxnet", "prefer_mxnet always picks NumPy",
             NUMPY_PKG + "policy.py",
             '        return "mxnet" if "mxnet" in op.impls else "numpy"\n\n\nclass OnlyNumPy',
             '        return "numpy"\n\n\nclass OnlyNumPy',
             _ops_k("(add or exp or sum or matmul) and prefer_mxnet")),
    # -- arrays and views ----------------------------------------------------------------
    Mutation("view-write-lost", "a write through a view does not stale the family's "
             "MXNet forms", CORE_PKG + "_views.py",
             "    vi.fam.version += 1\n", "",
             ("conformance/test_views.py", "packages/minpy-core/tests")),
    Mutation("cache-mx-never-stale", "a cached MXNet form is reused after a write",
             CORE_PKG + "array.py",
             'if mxv is None or (vi is not None and vi.stamps.get("mxnet") != '
             'vi.fam.version):',
             "if mxv is None:",
             ("conformance/test_views.py", "packages/minpy-core/tests")),
]


# -- running ------------------------------------------------------------------------------
def _files(root):
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                          "--exclude-standard"], cwd=root, capture_output=True, check=True)
    return [p for p in out.stdout.decode().split("\0") if p]


def copy_tree(dest):
    for rel in _files(ROOT):
        src = ROOT / rel
        if not src.is_file():
            continue          # deleted in the working tree, or a submodule
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


def _env(copy):
    env = dict(os.environ)
    srcs = sorted(str(p) for p in copy.glob("packages/*/src"))
    env["PYTHONPATH"] = os.pathsep.join(srcs + [env.get("PYTHONPATH", "")]).rstrip(
        os.pathsep)
    env.setdefault("MINPY_TEST_DEVICE", "cpu")
    env.pop("MINPY_TEST_PROFILE", None)       # the deterministic CI profile
    return env


def _check_imports_from(copy, env):
    code = ("import minpy.numpy, minpy.core, minpy.autograd; print(minpy.numpy.__file__); "
            "print(minpy.core.__file__); print(minpy.autograd.__file__)")
    out = subprocess.run([sys.executable, "-c", code], cwd=copy, env=env,
                         capture_output=True, text=True, check=True).stdout.split()
    stray = [p for p in out if not p.startswith(str(copy))]
    if stray:
        raise SystemExit(f"the copy's packages do not shadow the installed ones: {stray}")


def run_tests(copy, env, tests, timeout):
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=copy, env=env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", time.perf_counter() - t0, ""
    tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-3:])
    return proc.returncode, time.perf_counter() - t0, tail


def verdict(rc):
    if rc == 0:
        return "MISSED"
    if rc == 1:
        return "caught"
    if isinstance(rc, int) and rc < 0:
        return "caught"          # killed by a signal: the bug crashed the interpreter
    return "error"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--list", action="store_true", help="list the mutations and exit")
    ap.add_argument("--only", nargs="*", help="run only these mutation ids")
    ap.add_argument("--keep", action="store_true", help="keep the copied tree")
    ap.add_argument("--no-baseline", action="store_true",
                    help="skip the unmutated runs of each test selection")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per test run")
    ap.add_argument("--report", default=str(ROOT / "build" / "mutation" / "report.txt"))
    args = ap.parse_args(argv)
    chosen = [m for m in MUTATIONS if not args.only or m.id in args.only]
    if args.list:
        for m in chosen:
            print(f"{m.id:<28}{m.path:<50}{m.what}")
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="minpy-mutants-"))
    copy = tmp / "tree"
    lines = []

    def say(text):
        print(text, flush=True)
        lines.append(text)

    try:
        copy_tree(copy)
        env = _env(copy)
        _check_imports_from(copy, env)
        say(f"mutation run: {len(chosen)} mutations on a copy at {copy}")
        broken = set()
        if not args.no_baseline:
            for tests in sorted({m.tests for m in chosen}):
                rc, secs, tail = run_tests(copy, env, tests, args.timeout)
                if rc != 0:
                    broken.add(tests)
                    say(f"BASELINE FAILS ({rc}, {secs:.0f}s): {' '.join(tests)}\n  {tail}")
        results = []
        for m in chosen:
            path = copy / m.path
            text = path.read_text() if path.exists() else ""
            if text.count(m.old) != 1:
                res = ("stale", 0.0, f"text found {text.count(m.old)} times in {m.path}")
            elif m.tests in broken:
                res = ("error", 0.0, "the unmutated tests fail already")
            else:
                path.write_text(text.replace(m.old, m.new))
                try:
                    rc, secs, tail = run_tests(copy, env, m.tests, args.timeout)
                finally:
                    path.write_text(text)
                v = verdict(rc) if rc != "timeout" else "error"
                res = (v, secs, tail.splitlines()[-1] if tail else str(rc))
            results.append((m, res))
            say(f"{res[0]:<7}{m.id:<28}{res[1]:>6.0f}s  {m.what}  [{res[2][:110]}]")
        caught = sum(r[0] == "caught" for _, r in results)
        say(f"caught {caught} of {len(results)} mutations; missed: "
            f"{[m.id for m, r in results if r[0] == 'MISSED']}; stale/error: "
            f"{[m.id for m, r in results if r[0] in ('stale', 'error')]}")
        report = Path(args.report)
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text("\n".join(lines) + "\n")
        print(f"report: {report}")
        return 0 if caught == len(results) else 1
    finally:
        if args.keep:
            print(f"kept {copy}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
