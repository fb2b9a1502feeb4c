"""Where minpy.scipy's functions run: the CuPy names are the installed CuPy's, MXNet's
operators give SciPy's values, and the dispatcher's policies, statistics and tracing
treat these functions as NumPy's."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as onp
import pytest
import scipy.special as ss

import minpy.numpy as np
from conftest import host
from minpy.autograd import grad
from minpy.core import mxnet_available
from minpy.scipy import _backends, _cupy_kernels, _mxnet_kernels, special


def _cupyx_names(sub):
    """The public names of ``cupyx.scipy.<sub>``, read from its source (importing it
    needs CUDA libraries for some submodules)."""
    spec = importlib.util.find_spec("cupyx")
    if spec is None:
        return None
    text = (Path(spec.origin).parent / "scipy" / sub / "__init__.py").read_text()
    names = {alias or name for name, alias in re.findall(r"import (\w+)(?: as (\w+))?", text)}
    return names | set(re.findall(r"^\s+(\w+),", text, re.M))


def test_cupy_names_exist_in_installed_cupy():
    if _cupyx_names("special") is None:
        pytest.skip("CuPy is not installed here: its cupyx.scipy names cannot be read")
    missing = []
    for path in sorted(_cupy_kernels.NAMES):
        sub, _, name = path.partition(".")
        if name not in _cupyx_names(sub):
            missing.append(path)
    assert not missing, f"not in the installed cupyx.scipy: {missing}"


def test_functions_without_cupy_are_not_wired():
    for path, op in _backends.OPS.items():
        assert ("cupy" in op.impls) == (path in _cupy_kernels.NAMES), path
        assert ("mxnet" in op.impls) == (path in _mxnet_kernels.OPERATORS), path


def test_impls_are_keyed_by_backend_objects():
    """Each kernel module's Impl is keyed by its backend object, and the docstring says
    where each kernel comes from (``Impl.source``) under the backend's label."""
    op = _backends.OPS["special.erf"]
    keys = {id(b) for b in op.impls}    # the objects themselves, not equal strings
    assert keys == {id(_cupy_kernels.BACKEND), id(_mxnet_kernels.BACKEND)}
    for kernels in _backends.KERNELS:
        impl = op.impls[kernels.BACKEND]
        assert f"{kernels.BACKEND.label} (``{impl.source}``)" in special.erf.__doc__
    assert op.impls[_mxnet_kernels.BACKEND].source == "mx.npx.erf"
    assert op.impls[_cupy_kernels.BACKEND].source == "cupyx.scipy.special.erf"


@pytest.mark.skipif(not mxnet_available(), reason="MXNet is not installed")
@pytest.mark.parametrize("path", sorted(_mxnet_kernels.OPERATORS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_mxnet_operators_give_scipys_values(path, dtype):
    name = path.split(".")[1]
    xs = onp.concatenate([onp.linspace(-6, 6, 241), [0.0, -0.0, -1.0, -2.5, 1e-30, 30.0,
                                                     onp.inf, -onp.inf, onp.nan]])
    if name == "erfinv":
        xs = onp.concatenate([onp.linspace(-1, 1, 241), [1.5, -1.5, onp.nan]])
    xs = xs.astype(dtype)
    with np.policy("prefer_mxnet"):
        np.record_op_stat()
        got = host(getattr(special, name)(np.array(xs)))
        calls = np.op_stats()["calls"]
    assert calls.get(("scipy." + path, "mxnet"), (0,))[0] == 1, calls
    with onp.errstate(all="ignore"):
        want = getattr(ss, name)(xs)
    assert got.dtype == want.dtype
    same = (got == want) | (onp.isnan(got) & onp.isnan(want))
    close = onp.abs(got - want) <= 4 * onp.finfo(dtype).eps * onp.abs(want)
    assert onp.all(same | close), xs[~(same | close)]


def test_policies_and_statistics_see_scipy_functions():
    x = np.array([0.5, 1.5])
    np.record_op_stat()
    special.gammaln(x)
    assert ("scipy.special.gammaln", "numpy") in np.op_stats()["calls"]
    with np.policy("only_mxnet"), pytest.raises(NotImplementedError, match="gammaln"):
        special.gammaln(x)


def test_first_order_rules_run_on_numpy_arrays():
    """The rules are in NUMPY_RULES: a first-order pass runs them on host arrays."""
    from minpy.autograd.tracer import NUMPY_RULES, VJPS
    for name in ("gammaln", "erf", "logsumexp", "jn"):
        rules = VJPS["scipy.special." + name]
        assert all(m in NUMPY_RULES for m in rules.values())
    g = grad(lambda x: np.sum(special.gammaln(x) * special.erf(x)))(np.array([0.5, 1.5]))
    x = onp.array([0.5, 1.5])
    want = ss.digamma(x) * ss.erf(x) + ss.gammaln(x) * 2 / onp.sqrt(onp.pi) * onp.exp(-x * x)
    assert onp.allclose(host(g), want)


def test_without_scipy_functions_raise_import_error(monkeypatch):
    def absent(root, path):
        raise ModuleNotFoundError("scipy")
    monkeypatch.setattr(_backends, "_resolve", absent)
    fn = _backends._host("special.gammaln")
    with pytest.raises(ImportError, match=r"minpy-scipy\[scipy\]"):
        fn(1.0)
