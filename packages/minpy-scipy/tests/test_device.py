"""minpy.scipy on a CuPy device, against the CuPy STAND-IN (``conformance/
cupy_standin.py``: NumPy behind the real CuPy 14's names; NOT a GPU). The stand-in has
no ``cupyx``, so the test gives it one: each name the installed ``cupyx.scipy.special``
(and ``.signal``) really has, computed by SciPy on the stand-in's arrays. What is
checked is MinPy's wiring: a call on ``gpu(0)`` runs the ``cupyx`` function, its result
stays on the device, its gradient runs there too, and a name CuPy lacks runs SciPy."""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import types
from pathlib import Path

import numpy as onp
import pytest
import scipy.signal
import scipy.special as ss

import minpy.numpy as np
from minpy import core
from minpy.autograd import grad
from minpy.scipy import _backends, signal, special
from test_backends import _cupyx_names

ROOT = Path(__file__).resolve().parents[3]


def _standin_module():
    mod = sys.modules.get("cupy_standin")
    if mod is None:
        spec = importlib.util.spec_from_file_location(
            "cupy_standin", ROOT / "conformance" / "cupy_standin.py")
        mod = importlib.util.module_from_spec(spec)
        sys.modules["cupy_standin"] = mod
        spec.loader.exec_module(mod)
    return mod


@contextlib.contextmanager
def _cupyx_on(standin, names):
    """``cupyx.scipy.special``/``.signal`` over the stand-in, with the real ``names``."""
    made = {"cupyx": types.ModuleType("cupyx"), "cupyx.scipy": types.ModuleType("cupyx.scipy")}
    calls = []
    for sub, host in (("special", ss), ("signal", scipy.signal)):
        mod = made[f"cupyx.scipy.{sub}"] = types.ModuleType(f"cupyx.scipy.{sub}")
        for name in names[sub]:
            fn = getattr(host, name, None)
            if callable(fn):
                def run(*args, _fn=fn, _name=f"{sub}.{name}", **kwargs):
                    calls.append(_name)
                    return standin._wrap(_fn(*standin._host(args), **standin._host(kwargs)))
                setattr(mod, name, run)
    saved = {k: sys.modules.get(k) for k in made}
    sys.modules.update(made)
    try:
        yield calls
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
        for op in _backends.OPS.values():  # drop what MinPy loaded from these modules
            if "cupy" in op.impls:
                op.impls["cupy"].forget()


@pytest.fixture
def gpu_calls():
    standin = _standin_module()
    names = {sub: _cupyx_names(sub) for sub in ("special", "signal")}
    if names["special"] is None:
        pytest.skip("CuPy is not installed here: its cupyx.scipy names cannot be read")
    reason = standin.unavailable_reason()
    if reason:
        pytest.skip(reason)
    from minpy.core import _cupy
    if _cupy.available() and not standin.is_standin(_cupy.load()):
        pytest.skip("a real CuPy with a GPU is present: the stand-in is not injected")
    with standin.installed(), _cupyx_on(standin, names) as calls:
        with np.policy("prefer_mxnet"), core.device(core.gpu(0)):
            yield calls


def test_special_functions_run_on_the_device(gpu_calls):
    x = np.array([0.5, 1.5, 3.0])
    assert x.device.kind == "gpu"
    y = special.gammaln(x)
    assert gpu_calls == ["special.gammaln"]
    assert y.device == x.device and "cupy" in y.forms
    assert onp.allclose(y.asnumpy(), ss.gammaln([0.5, 1.5, 3.0]))
    g = grad(lambda x: np.sum(special.gammaln(x) * special.expit(x)))(x)
    assert {"special.psi", "special.expit"} <= set(gpu_calls)
    xs = onp.array([0.5, 1.5, 3.0])
    want = ss.psi(xs) * ss.expit(xs) + ss.gammaln(xs) * ss.expit(xs) * (1 - ss.expit(xs))
    assert g.device == x.device and onp.allclose(g.asnumpy(), want)


def test_names_cupy_lacks_run_scipy(gpu_calls):
    x = np.array([0.5, 1.5])
    y = special.iv(1.5, x)           # cupyx.scipy.special has no iv
    assert "special.iv" not in gpu_calls
    assert onp.allclose(y.asnumpy(), ss.iv(1.5, [0.5, 1.5]))


def test_convolve_runs_on_the_device(gpu_calls):
    a, b = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0])
    out = signal.convolve(a, b)
    assert gpu_calls == ["signal.convolve"] and out.device == a.device
    g = grad(lambda a: np.sum(signal.convolve(a, b, "same") ** 2))(a)
    assert onp.allclose(out.asnumpy(), onp.convolve([1.0, 2.0, 3.0], [0.5, -1.0]))
    assert g.shape == (3,) and gpu_calls.count("signal.convolve") >= 3
