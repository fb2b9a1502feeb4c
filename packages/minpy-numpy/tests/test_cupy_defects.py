"""Failing-first tests of the defects listed in issue 19 ("Backends as objects").

Each test states one defect as the behaviour a user must get, and runs against the CuPy
STAND-IN (``conformance/cupy_standin.py``: NumPy behind the real CuPy 14's names,
signatures, indexing, promotion, random streams and DLPack devices; NOT a GPU), where
the old test double hid the defect. A test that fails on today's code is marked
``xfail(strict=True, reason="issue 19: ...")``: the fix turns it into an XPASS, which
fails the run until the mark is removed. Without the real CuPy 14 (``pip install
cupy-cuda13x==14.2.0``; ``nox -s gpu_standin`` installs it) the stand-in tests skip
with the reason.
"""

from __future__ import annotations

import importlib
import logging
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as onp
import pytest

import minpy.numpy as np
from _standin import cupy_standin
from minpy import core
from minpy.core import transfer

policy = importlib.import_module("minpy.numpy.policy")
ROOT = Path(__file__).resolve().parents[3]


def xfail19(defect):
    return pytest.mark.xfail(strict=True, reason=f"issue 19: {defect}")


def on_device(cp, host):
    """An Array whose only form is CuPy's (device memory), as after a CuPy computation."""
    a = core.from_dlpack(cp.asarray(host))
    assert a.forms == ("cupy",)
    return a


def _subprocess(code, **env):
    """Run ``code`` in a fresh interpreter with the stand-in installed as CuPy."""
    prelude = (f"import sys; sys.path.insert(0, {str(ROOT / 'conformance')!r})\n"
               "import cupy_standin; cp = cupy_standin.install()\n")
    full = dict(os.environ, **env)
    for k, v in env.items():
        if v is None:
            full.pop(k)
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=300, env=full)


def _needs_standin():
    reason = cupy_standin.unavailable_reason()
    if reason:
        pytest.skip(reason)


def _needs_mxnet():
    if not core.mxnet_available():
        pytest.skip(f"MXNet unavailable: {core.mxnet_unavailable_reason()}")


# -- the op table against CuPy 14's names ---------------------------------------------------
def test_multi_dot_runs_on_cupy_or_is_not_claimed(standin_gpu, standin):
    from minpy.numpy._support import implemented_on
    a = on_device(standin, onp.arange(6.0).reshape(2, 3))
    b = on_device(standin, onp.arange(12.0).reshape(3, 4))
    c = on_device(standin, onp.arange(8.0).reshape(4, 2))
    ref = onp.linalg.multi_dot([a.asnumpy(), b.asnumpy(), c.asnumpy()])
    with policy.policy("only_cupy"):
        try:
            res = np.linalg.multi_dot([a, b, c])
        except NotImplementedError:
            assert not implemented_on("linalg.multi_dot", "cupy"), (
                "the op table claims a CuPy multi_dot that CuPy 14 does not have")
            return
    onp.testing.assert_allclose(res.asnumpy(), ref)


# -- validation that reads device data through MXNet or the host -------------------------------
def test_ldexp_with_a_device_exponent_without_mxnet():
    _needs_standin()
    out = _subprocess("""
        import numpy as onp, minpy.numpy as np
        from minpy import core
        with core.device(core.gpu(0)), np.policy("only_cupy"):
            x = core.from_dlpack(cp.asarray(onp.ones(3)))
            e = core.from_dlpack(cp.asarray(onp.array([1, 2, 3])))
            print(np.ldexp(x, e).asnumpy().tolist())
        """, MINPY_DISABLE_MXNET="1", MINPY_REQUIRE_MXNET=None)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-3:] == ["[2.0,", "4.0,", "8.0]"]


def test_take_with_a_device_index_copies_nothing_to_the_host(standin_gpu, standin):
    a = on_device(standin, onp.arange(10.0))
    i = on_device(standin, onp.array([1, 7, -2]))
    with core.transfer_guard("disallow"):
        r = np.take(a, i)
    onp.testing.assert_array_equal(r.asnumpy(), [1.0, 7.0, 8.0])


def test_reshape_of_a_transposed_device_array_copies_nothing_to_the_host(
        standin_gpu, standin):
    x = on_device(standin, onp.arange(6.0).reshape(2, 3))
    with core.transfer_guard("disallow"):
        r = x.T.reshape(-1)
    onp.testing.assert_array_equal(r.asnumpy(), [0.0, 3.0, 1.0, 4.0, 2.0, 5.0])


# -- MXNet's limits applied to CuPy calls --------------------------------------------------------
LIMITED = ["complex64", "uint16", "uint32", "uint64", "int16"]


@pytest.mark.parametrize("dtype", LIMITED)
def test_numpy_scalars_of_dtypes_mxnet_lacks_reach_cupy(standin_gpu, standin, dtype):
    y = on_device(standin, onp.arange(3).astype(dtype))
    with policy.policy("only_cupy"):
        r = np.multiply(y, onp.dtype(dtype).type(2))
    assert r.dtype == onp.dtype(dtype) and "cupy" in r.forms
    onp.testing.assert_array_equal(r.asnumpy(), onp.arange(3).astype(dtype) * 2)


@pytest.mark.parametrize("dtype", LIMITED)
def test_creation_in_dtypes_mxnet_lacks_runs_on_cupy(standin_gpu, dtype):
    with policy.policy("only_cupy"):
        r = np.full(3, 1, dtype=dtype)
    assert r.dtype == onp.dtype(dtype) and "cupy" in r.forms


@pytest.mark.parametrize("dtype", LIMITED)
def test_host_operands_of_dtypes_mxnet_lacks_reach_cupy(standin_gpu, standin, dtype):
    y = on_device(standin, onp.arange(3).astype(dtype))
    with policy.policy("only_cupy"):
        r = np.add(y, onp.arange(3).astype(dtype))
    assert "cupy" in r.forms


def test_arrays_of_2_31_elements_are_for_cupy_to_decide(standin_gpu, standin):
    one = on_device(standin, onp.ones(1, onp.int8))
    with policy.policy("only_cupy"):
        # a broadcast view: 2**31 elements, no memory (nothing is allocated)
        r = np.broadcast_to(one, (2 ** 31,))
    assert r.shape == (2 ** 31,) and "cupy" in r.forms


# -- CuPy's own semantics leaking through -------------------------------------------------------
def test_out_of_range_integer_array_read_raises(standin_gpu, standin):
    v = on_device(standin, onp.arange(6.0))
    with pytest.raises(IndexError):
        v[[1, 7]]


def test_out_of_range_integer_array_write_raises(standin_gpu, standin):
    v = on_device(standin, onp.arange(3.0))
    with pytest.raises(IndexError):
        v[[1, 3]] = 10.0
    onp.testing.assert_array_equal(v.asnumpy(), [0.0, 1.0, 2.0])


def test_numpy_scalars_keep_their_dtype_on_cupy(standin_gpu, standin):
    h = onp.ones(3, onp.float16)
    x = on_device(standin, h)
    s = onp.float32(1e-4)
    with policy.policy("only_cupy"):
        r = np.add(x, s)
    ref = onp.add(h, s)
    assert r.dtype == ref.dtype
    onp.testing.assert_array_equal(r.asnumpy(), ref)


# -- loading CuPy ------------------------------------------------------------------------------
def test_seed_before_cupy_loads_reaches_cupy(standin):
    np.random.seed(7)  # nothing of MinPy has loaded CuPy yet
    with core.device(core.gpu(0)), policy.policy("only_cupy"):
        first = np.random.uniform(size=4).asnumpy()
        np.random.seed(7)
        again = np.random.uniform(size=4).asnumpy()
    onp.testing.assert_array_equal(first, again)


def test_array_of_a_cupy_array_before_any_gpu_request(standin):
    d = standin.arange(3.0)
    a = np.array(d)
    onp.testing.assert_array_equal(a.asnumpy(), [0.0, 1.0, 2.0])


def test_from_dlpack_of_cuda_memory_puts_cupy_in_use(standin):
    a = core.from_dlpack(standin.arange(4.0))  # no gpu() asked for
    assert (a.device.kind, a.device.index) == ("gpu", 0)  # (gpu(0) itself would load)
    with core.transfer_guard("disallow"):
        r = np.fmax(a, a)  # an op with a CuPy implementation and no MXNet one
    assert "cupy" in r.forms


def test_gpu0_work_lands_on_gpu0_whatever_cupys_current_device():
    _needs_standin()
    with cupy_standin.installed(devices=2) as cp:
        with core.device(core.gpu(0)):
            x = on_device(cp, onp.arange(3.0))
            with cp.cuda.Device(1), policy.policy("only_cupy"):  # the user's CuPy device
                r = np.exp(x)
            assert r.ascupy().device.id == 0


# -- packaging and interop ----------------------------------------------------------------------
def _metadata(package):
    """``(extras, requirements)`` of ``packages/<package>`` as its build would declare them
    (setuptools' metadata hook: nothing is built or installed)."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        code = ("import sys, setuptools.build_meta as b; "
                "print(b.prepare_metadata_for_build_wheel(sys.argv[1]))")
        out = subprocess.run([sys.executable, "-c", code, tmp], capture_output=True,
                             text=True, cwd=ROOT / "packages" / package, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        meta = (Path(tmp) / out.stdout.split()[-1] / "METADATA").read_text()
    extras = [line.split(":", 1)[1].strip() for line in meta.splitlines()
              if line.startswith("Provides-Extra:")]
    reqs = [line.split(":", 1)[1].strip() for line in meta.splitlines()
            if line.startswith("Requires-Dist:")]
    return extras, reqs


def _extra_requirements(reqs, extra):
    from packaging.requirements import Requirement
    out = []
    for r in map(Requirement, reqs):
        if r.marker is not None and r.marker.evaluate({"extra": extra}) and not (
                r.marker.evaluate({"extra": ""})):
            out.append(r)
    return out


def test_cuda_extras_require_cupy_14_in_every_distribution():
    pytest.importorskip("packaging")
    pytest.importorskip("setuptools.build_meta")
    _, reqs = _metadata("minpy-numpy")
    for extra, name in (("cuda12", "cupy-cuda12x"), ("cuda13", "cupy-cuda13x")):
        cupy = [r for r in _extra_requirements(reqs, extra) if r.name == name]
        assert cupy, f"minpy-numpy[{extra}] does not require {name}"
        for r in cupy:
            assert not r.specifier.contains("13.6.0"), f"{r}: CuPy 13 is not checked"
            assert r.specifier.contains("14.2.0"), f"{r}: CuPy 14.2 excluded"
    extras, reqs = _metadata("minpy")
    for extra, name in (("cuda12", "cupy-cuda12x"), ("cuda13", "cupy-cuda13x")):
        assert extra in extras, f"the meta package has no [{extra}] extra"
        wanted = _extra_requirements(reqs, extra)
        assert any(r.name == name or (r.name == "minpy-numpy" and extra in r.extras)
                   for r in wanted), f"minpy[{extra}] brings neither {name} nor " \
                                     f"minpy-numpy[{extra}]: {wanted}"


def test_array_exposes_the_cuda_array_interface_of_its_device_memory(standin_gpu, standin):
    a = on_device(standin, onp.arange(6.0, dtype=onp.float32).reshape(2, 3))
    with core.transfer_guard("disallow"):
        iface = a.__cuda_array_interface__
    mine = a.ascupy().__cuda_array_interface__
    assert iface["data"][0] == mine["data"][0]  # the device memory itself, no copy
    assert tuple(iface["shape"]) == (2, 3) and onp.dtype(iface["typestr"]) == onp.float32


# -- visibility of CuPy's decisions ---------------------------------------------------------
def _keyword_calls(cp):
    x = on_device(cp, onp.array([[4.0, 1.0], [1.0, 3.0]]))
    m = on_device(cp, onp.array([[True, False], [True, True]]))
    i = on_device(cp, onp.array([0, 3]))
    n = on_device(cp, onp.array([3, 1, 3]))
    return {
        "exp(where=)": ("exp", lambda: np.exp(x, where=m)),
        "sum(initial=)": ("sum", lambda: np.sum(x, initial=1.0)),
        "std(correction=)": ("std", lambda: np.std(x, correction=1)),
        "var(mean=)": ("var", lambda: np.var(x, axis=0, keepdims=True,
                                              mean=np.mean(x, axis=0, keepdims=True))),
        "clip(min=, max=)": ("clip", lambda: np.clip(x, min=1.0, max=3.0)),
        "sort(stable=)": ("sort", lambda: np.sort(x, stable=True)),
        "unique(sorted=)": ("unique", lambda: np.unique(n, sorted=True)),
        "take(mode=)": ("take", lambda: np.take(x, i, mode="clip")),
        "cholesky(upper=)": ("linalg.cholesky", lambda: np.linalg.cholesky(x, upper=True)),
        "pinv(rtol=)": ("linalg.pinv", lambda: np.linalg.pinv(x, rtol=1e-10)),
        "svd(hermitian=)": ("linalg.svd", lambda: np.linalg.svd(x, hermitian=True)),
    }


KEYWORD_CASES = ["exp(where=)", "sum(initial=)", "std(correction=)", "var(mean=)",
                 "clip(min=, max=)", "sort(stable=)", "unique(sorted=)", "take(mode=)",
                 "cholesky(upper=)", "pinv(rtol=)", "svd(hermitian=)"]


@pytest.mark.parametrize("case", KEYWORD_CASES)
def test_keywords_cupy_lacks_run_on_the_device_or_fall_back_visibly(standin, case):
    """A NumPy keyword CuPy 14 rejects is done on the device, or falls back visibly:
    counted in show_op_stat and warned under the 'warn' mode; never silently."""
    with core.device(core.gpu(0)):
        name, call = _keyword_calls(standin)[case]
        with policy.fallback_mode("warn"), warnings.catch_warnings(record=True) as caught, \
                policy.record_op_stat():
            warnings.simplefilter("always")
            call()
            stats = policy.op_stats()
            table = policy.show_op_stat(file=open(os.devnull, "w"))  # noqa: SIM115
    if stats["calls"].get((name, "cupy"), (0,))[0]:
        return  # done on the device
    assert stats["fallbacks"].get(name), f"{case} ran in NumPy without a counted fallback"
    assert f"{name} x" in table, table
    assert any(issubclass(w.category, policy.FallbackWarning) for w in caught), (
        f"{case} fell back without a FallbackWarning under the 'warn' mode")


def test_convolution_on_a_cupy_gpu_stays_off_mxnet(standin_gpu, standin):
    _needs_mxnet()
    pytest.importorskip("minpy.nn")
    from minpy.nn.layers import conv2d
    rng = onp.random.default_rng(0)
    hx = rng.standard_normal((2, 3, 6, 6))
    hw = rng.standard_normal((4, 3, 3, 3))
    x, w = on_device(standin, hx), on_device(standin, hw)
    transfer.reset_stats()
    with policy.policy("auto"):
        y = conv2d(x, w, pad=1)
    assert transfer.stats().to_mxnet == 0, "the convolution copied its inputs into MXNet"
    with core.device(core.cpu()):
        ref = conv2d(np.array(hx), np.array(hw), pad=1, implementation="im2col")
    onp.testing.assert_allclose(y.asnumpy(), ref.asnumpy(), rtol=1e-10, atol=1e-12)


def test_prefer_mxnet_says_when_it_picks_cupy(standin_gpu, standin, caplog):
    x = on_device(standin, onp.ones(3))
    with caplog.at_level(logging.INFO, logger="minpy"), warnings.catch_warnings(
            record=True) as caught:
        warnings.simplefilter("always")
        with policy.policy("prefer_mxnet"):
            r = np.exp(x)
    assert "cupy" in r.forms
    said = [str(w.message) for w in caught] + [rec.getMessage() for rec in caplog.records]
    assert any("CuPy" in s for s in said), f"nothing said that CuPy ran: {said}"


def test_only_cupy_does_not_want_mxnet():
    assert getattr(policy.OnlyCuPyPolicy(), "wants_mxnet", False) is False
    assert policy.OnlyCuPyPolicy().backend_name == "cupy"


# -- MXNet's process state --------------------------------------------------------------------
def test_gluon_code_works_after_minpy_ran_mxnet_ops():
    _needs_mxnet()
    code = textwrap.dedent("""
        import minpy.numpy as np
        with np.policy("prefer_mxnet"):
            np.exp(np.ones(3))
        import mxnet as mx
        from mxnet import gluon, nd
        d = gluon.nn.Dense(4); d.initialize(); out = d(nd.ones((2, 3)))
        assert out.shape == (2, 4)
        assert not mx.util.is_np_array(), "MXNet's NumPy array semantics left on"
        with np.policy("prefer_mxnet"):  # MinPy's MXNet ops still work after it
            r = np.exp(np.ones(3))
        assert abs(float(r.sum()) - 3 * 2.718281828459045) < 1e-9
        assert not mx.util.is_np_array()
        # NumPy-style Gluon (the user's npx.set_np) on both sides of MinPy's MXNet ops
        mx.npx.set_np()
        e = gluon.nn.Dense(4); e.initialize()
        assert e(mx.np.ones((2, 3))).shape == (2, 4)
        with np.policy("prefer_mxnet"):
            assert "mxnet" in np.exp(np.ones(3)).sum().forms
        assert mx.util.is_np_array() and mx.util.is_np_shape()
        assert e(mx.np.ones((2, 3))).shape == (2, 4)
        mx.npx.reset_np()
        assert d(nd.ones((2, 3))).shape == (2, 4)  # and legacy Gluon again
        print("ok")
        """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0 and out.stdout.split()[-1:] == ["ok"], out.stderr[-2000:]
