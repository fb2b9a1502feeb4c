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
NN_PKG = "packages/minpy-nn/src/minpy/nn/"
SYMBOL_PKG = "packages/minpy-symbol/src/minpy/symbol/"
SCIPY_PKG = "packages/minpy-scipy/src/minpy/scipy/"
JIT_PKG = "packages/minpy-jit/src/minpy/jit/"


@dataclass(frozen=True)
class Mutation:
    id: str
    what: str       # the bug, in words
    path: str       # file, relative to the repository root
    old: str        # exact text (must occur once)
    new: str        # its replacement
    tests: tuple    # pytest arguments (one run: no two test files of one basename)


def _package(name, *files, k=None):
    """pytest arguments for tests of package ``name`` (``files`` in its tests/)."""
    args = tuple(f"packages/{name}/tests/{f}" for f in files) or (f"packages/{name}/tests",)
    return args + (("-k", k) if k else ())


def _nn(*files, k=None):
    return _package("minpy-nn", *files, k=k)


_OPTIM = _nn("test_optim_reference.py")
_LAYERS = _nn("test_layers_reference.py")
_RESUME = _nn("test_resume.py")
# one launched job: float64 through the servers, then every rule resumed on two workers
_DIST_RESUME = _nn("test_distributed.py", k="resume_is_bit or float64")
_CORE = _package("minpy-core", "test_array.py", "test_inplace_views.py")


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
    Mutation("tape-fan-out", "backward overwrites instead of adding a second cotangent "
             "(an op with one value as several arguments)",
             AUTOGRAD_PKG + "tracer.py",
             "                            cts[p] = pg if old is None else _add(old, pg)",
             "                            cts[p] = pg",
             ("packages/minpy-autograd/tests/test_engine.py",
              "packages/minpy-autograd/tests/test_api.py")),
    Mutation("tape-fan-out-unary", "backward overwrites instead of adding a second "
             "cotangent (one value used by two ops)", AUTOGRAD_PKG + "tracer.py",
             "                        p = parents[0]\n"
             "                        old = cts.get(p)\n"
             "                        cts[p] = pg if old is None else _add(old, pg)",
             "                        p = parents[0]\n"
             "                        cts[p] = pg",
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
             NUMPY_PKG + "_mxnet_ops.py",
             "            if res.dtype != dtype:\n"
             "                return Array._from_form(_mxnet.BACKEND, res.astype(dtype), "
             "device, dtype)\n",
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
             '        return backend if backend in op.impls else "numpy"\n\n\nclass OnlyNumPy',
             '        return "numpy"\n\n\nclass OnlyNumPy',
             _ops_k("(add or exp or sum or matmul) and prefer_mxnet")),
    # -- arrays and views ----------------------------------------------------------------
    Mutation("view-write-lost", "a write through a view does not stale the family's "
             "MXNet forms", CORE_PKG + "_views.py",
             "    vi = array._view\n    vi.fam.version += 1\n", "    vi = array._view\n",
             _CORE),
    Mutation("cache-mx-never-stale", "a cached MXNet form is reused after a write",
             CORE_PKG + "array.py",
             'if mxv is None or (vi is not None and not _views.current(vi, "mxnet")):',
             "if mxv is None:", _CORE),
    Mutation("view-inplace-rebinds", "an in-place operator on a view rebinds the view "
             "instead of writing the shared buffer", CORE_PKG + "array.py",
             "        if self._view is not None or (self._host is not None\n",
             "        if (self._host is not None\n", _CORE),
    Mutation("view-conj-promotes", "a.conj() of a real array calls conjugate (bool "
             "becomes int8) instead of returning the array",
             CORE_PKG + "operators.py",
             '        if self.dtype.kind == "c":\n            return lookup(name)(self)',
             '        if True:\n            return lookup(name)(self)',
             _package("minpy-numpy", "test_method_dispatch.py")),
    # -- minpy-numpy: dtypes on the MXNet path ------------------------------------------
    Mutation("dtype-maximum-first-input", "maximum takes its result dtype from its first "
             "input", NUMPY_PKG + "_ops.py",
             '             accepts=_float_power_ok if _name == "power" else None)',
             '             accepts=_float_power_ok if _name == "power" else None,\n'
             '             **({"dtype": "same"} if _name == "maximum" else {}))',
             _package("minpy-numpy", "test_mxnet_mixed_dtypes.py")),
    # -- minpy-autograd: linalg rules on general matrices --------------------------------
    Mutation("grad-det-no-transpose", "det's gradient without its transpose (exact on "
             "symmetric matrices)", AUTOGRAD_PKG + "rules/linalg.py",
             "    return lambda g: _expand2(g * ans) * _T(np.linalg.inv(a))",
             "    return lambda g: _expand2(g * ans) * np.linalg.inv(a)",
             _package("minpy-autograd", "test_rules.py", k="det")),
    Mutation("grad-inv-no-transpose", "inv's gradient without its transposes",
             AUTOGRAD_PKG + "rules/linalg.py",
             "    return lambda g: -np.matmul(np.matmul(_T(ans), g), _T(ans))",
             "    return lambda g: -np.matmul(np.matmul(ans, g), ans)",
             _package("minpy-autograd", "test_rules.py", k="inv and not pinv")),
    Mutation("grad-solve-no-transpose", "solve's gradient solves with A, not A^T",
             AUTOGRAD_PKG + "rules/linalg.py",
             "        return -np.matmul(np.linalg.solve(_T(a), g), _T(ans))",
             "        return -np.matmul(np.linalg.solve(a, g), _T(ans))",
             _package("minpy-autograd", "test_rules.py", k="solve")),
    Mutation("grad-slogdet-complex-sign", "a complex slogdet's sign gets no gradient",
             AUTOGRAD_PKG + "rules/linalg.py",
             '        if gs is not None and sign.dtype.kind == "c":',
             "        if False:",
             _package("minpy-autograd", "test_complex.py", k="slogdet")),
    # -- minpy-symbol --------------------------------------------------------------------
    Mutation("symbol-grad-memo-stale", "a second backward over one Function call reuses "
             "the first cotangent's gradients", SYMBOL_PKG + "_grad.py",
             "    if state.last_g is g and state.last_grads is not None:",
             "    if state.last_grads is not None:",
             _package("minpy-symbol")),
    Mutation("symbol-grad-first-argument", "every argument gets the first argument's "
             "gradient", SYMBOL_PKG + "_grad.py",
             "            return _gradients(_state, g)[argnum]",
             "            return _gradients(_state, g)[0]", _package("minpy-symbol")),
    Mutation("symbol-aux-updated-twice", "a second backward over one training call "
             "updates the moving statistics again", SYMBOL_PKG + "_grad.py",
             "    if state.aux is not None and state.runs:", "    if False:",
             _package("minpy-symbol")),
    Mutation("symbol-binding-ignores-dtype", "a binding is reused for inputs of another "
             "dtype", SYMBOL_PKG + "_function.py",
             "                key.append((v.shape, v.dtype))",
             "                key.append((v.shape,))", _package("minpy-symbol")),
    # -- minpy-scipy, minpy-jit ------------------------------------------------------------
    Mutation("scipy-gamma-grad", "gamma's derivative without the factor gamma(x)",
             SCIPY_PKG + "special.py", "_unary(gamma, lambda ans, x: ans * psi(x))",
             "_unary(gamma, lambda ans, x: psi(x))",
             _package("minpy-scipy", "test_special.py")),
    Mutation("scipy-sqrtm-no-transpose", "sqrtm's gradient without its transposes (exact "
             "on symmetric matrices)", SCIPY_PKG + "linalg.py",
             "    return lambda g: unbroadcast(solve_sylvester(_t(ans), _t(ans), g), a)",
             "    return lambda g: unbroadcast(solve_sylvester(ans, ans, g), a)",
             _package("minpy-scipy", "test_linalg.py")),
    Mutation("jit-signature-no-dtype", "a jitted program captured for one dtype replays "
             "for another", JIT_PKG + "_api.py",
             "        key.append((x.shape, x.dtype, x._device,",
             "        key.append((x.shape, x._device,",
             _package("minpy-jit", "test_signature_dtypes.py", "test_semantics.py")),
    # -- minpy-nn: optimizer state -------------------------------------------------------
    Mutation("nn-nesterov-velocity-lost", "Nesterov momentum's velocity is never stored",
             NN_PKG + "optim.py",
             '    v = mu * v_prev - config["learning_rate"] * dw\n'
             '    config["velocity"] = v\n',
             '    v = mu * v_prev - config["learning_rate"] * dw\n', _OPTIM),
    Mutation("nn-momentum-not-decayed", "SGD momentum's velocity is not multiplied by the "
             "momentum", NN_PKG + "optim.py",
             '        config["momentum"] * v - config["learning_rate"] * dw',
             '        v - config["learning_rate"] * dw', _OPTIM),
    Mutation("nn-rmsprop-cache-not-decayed", "RMSProp's cache is not decayed",
             NN_PKG + "optim.py", "rho * cache + (1 - rho) * dw ** 2",
             "cache + (1 - rho) * dw ** 2", _OPTIM),
    Mutation("nn-adagrad-cache-reset", "AdaGrad forgets its cache every step",
             NN_PKG + "optim.py",
             "    cache = dw ** 2 if cache is None else cache + dw ** 2",
             "    cache = dw ** 2", _OPTIM),
    Mutation("nn-adam-t-stuck", "Adam's step counter never advances past 1",
             NN_PKG + "optim.py", '    t = config.get("t", 0) + 1', "    t = 1", _OPTIM),
    Mutation("nn-adam-m-uncorrected", "Adam's first moment is corrected with beta1, not "
             "beta1**t", NN_PKG + "optim.py", "    m_hat = m / (1 - b1 ** t)",
             "    m_hat = m / (1 - b1)", _OPTIM),
    Mutation("nn-weight-decay-sign", "weight decay pushes weights away from zero",
             NN_PKG + "optim.py", "        dw = dw + wd * w", "        dw = dw - wd * w",
             _OPTIM),
    # -- minpy-nn: layer maths -----------------------------------------------------------
    Mutation("nn-lstm-gates-swapped", "LSTM input and forget gates swapped",
             NN_PKG + "layers.py",
             "    i = sigmoid(a[:, 0:H])\n    f = sigmoid(a[:, H:2 * H])",
             "    f = sigmoid(a[:, 0:H])\n    i = sigmoid(a[:, H:2 * H])", _LAYERS),
    Mutation("nn-lstm-cell-dropped", "the LSTM sequence does not carry its cell state",
             NN_PKG + "layers.py",
             "        h, c = lstm_step(x[:, t, :], h, c, Wx, Wh, b)",
             "        h, _ = lstm_step(x[:, t, :], h, c, Wx, Wh, b)", _LAYERS),
    Mutation("nn-gru-update-gate-flipped", "GRU keeps (1 - z) of the old state",
             NN_PKG + "layers.py", "    return z * prev_h + (1 - z) * h_m",
             "    return (1 - z) * prev_h + z * h_m", _LAYERS),
    Mutation("nn-gru-reset-after-product", "GRU applies the reset gate after the "
             "recurrent product", NN_PKG + "layers.py",
             "np.dot(r * prev_h, Whh)", "r * np.dot(prev_h, Whh)", _LAYERS),
    Mutation("nn-batchnorm-unbiased-var", "batch norm normalises by the unbiased variance",
             NN_PKG + "layers.py",
             "        var = np.mean((x - np.reshape(mean, bshape)) ** 2, axis=axes)",
             "        var = np.var(x, axis=axes, ddof=1)", _LAYERS),
    Mutation("nn-batchnorm-momentum-swapped", "running statistics weigh the batch by the "
             "momentum", NN_PKG + "layers.py",
             "        running_mean = momentum * running_mean + (1.0 - momentum) * "
             "stop_gradient(mean)",
             "        running_mean = (1.0 - momentum) * running_mean + momentum * "
             "stop_gradient(mean)", _LAYERS),
    Mutation("nn-batchnorm-test-uses-batch", "batch norm in test mode uses the batch's "
             "statistics", NN_PKG + "layers.py",
             "        mean, var = running_mean, running_var",
             "        mean, var = np.mean(x, axis=axes), np.var(x, axis=axes)", _LAYERS),
    Mutation("nn-dropout-no-rescale", "inverted dropout does not rescale the kept units",
             NN_PKG + "layers.py", "    scale = _onp.asarray(1.0 / (1.0 - prob),",
             "    scale = _onp.asarray(1.0,", _LAYERS),
    Mutation("nn-svm-counts-correct-class", "the hinge loss counts the correct class's "
             "margin", NN_PKG + "layers.py", "    return (np.sum(margins) - n) / n",
             "    return np.sum(margins) / n", _LAYERS),
    Mutation("nn-im2col-kernel-transposed", "im2col pairs window (i, j) with filter tap "
             "(j, i)", NN_PKG + "_conv.py", "for i in range(kh) for j in range(kw)]",
             "for j in range(kw) for i in range(kh)]", _LAYERS),
    Mutation("nn-avg-pool-excludes-padding", "MXNet average pooling leaves the padding "
             "out of the count", NN_PKG + "_conv.py", "count_include_pad=True)",
             "count_include_pad=False)", _LAYERS),
    Mutation("nn-max-pool-pads-zero", "max pooling pads with zeros, not minus infinity",
             NN_PKG + "_conv.py", '    fill = float("-inf") if kind == "max" else 0.0',
             "    fill = 0.0", _LAYERS),
    # -- minpy-nn: checkpoints and resume ------------------------------------------------
    Mutation("nn-resume-loses-adam-t", "resuming loses Adam's step counter t",
             NN_PKG + "checkpoint.py",
             "    configs = {p: dict(sc) for p, sc in scalars.items()}",
             '    configs = {p: {k: v for k, v in sc.items() if k != "t"} '
             "for p, sc in scalars.items()}", _RESUME),
    Mutation("nn-resume-loses-best-params", "resuming loses the best parameters",
             NN_PKG + "solver.py",
             '        self.best_params = {k: np.array(v) for k, v in groups.get("best", '
             "{}).items()}",
             "        self.best_params = {}", _RESUME),
    Mutation("nn-resume-loses-since-best", "resuming restarts the epochs since the best",
             NN_PKG + "solver.py",
             '        self._since_best = int(state.get("since_best", 0))',
             "        self._since_best = 0", _RESUME),
    Mutation("nn-resume-keeps-numpy-rng", "resuming leaves NumPy's generator as it is "
             "(dropout masks differ)", NN_PKG + "solver.py",
             '        if nr is not None and "numpy_random/keys" in extra:',
             "        if False:", _RESUME),
    Mutation("nn-resume-iterator-restarts", "resuming leaves the data iterator's position "
             "and generator", NN_PKG + "solver.py",
             '                it.set_state(st)\n            elif hasattr(it, "set_state"):',
             '                pass\n            elif hasattr(it, "set_state"):', _RESUME),
    Mutation("nn-restore-best-ignored", "restore_best=True leaves the last parameters",
             NN_PKG + "solver.py", "        if self.restore_best and self.best_params:",
             "        if False:", _RESUME),
    Mutation("nn-early-stopping-late", "early stopping waits one epoch too many",
             NN_PKG + "solver.py", "self._since_best >= self.early_stopping",
             "self._since_best > self.early_stopping", _RESUME),
    Mutation("nn-schedule-compounds", "the learning-rate schedule multiplies the current "
             "rate, not the base one", NN_PKG + "solver.py",
             '            cfg["learning_rate"] = base * float(self.lr_schedule(epoch))',
             '            cfg["learning_rate"] = cfg["learning_rate"] * '
             "float(self.lr_schedule(epoch))", _RESUME),
    # -- minpy-nn: data-parallel ---------------------------------------------------------
    Mutation("nn-dist-stats-not-averaged", "the workers keep their own losses and "
             "batch-norm statistics", NN_PKG + "distributed/solver.py",
             "        self._average_over_workers()\n", "", _DIST_RESUME),
    Mutation("nn-dist-server-heap-unset", "parameter servers start without the zero-filled "
             "heap (MXNet's flag may round float64 to float32)",
             NN_PKG + "distributed/node.py",
             "        if env is not None:  # again", "        if False:  # again",
             _DIST_RESUME),
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
            print(f"{m.id:<30} {m.path:<50} {m.what}")
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
                if rc == 0 and " passed" not in tail:
                    rc = "nothing passed (all skipped?)"  # its mutants would be 'MISSED'
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
