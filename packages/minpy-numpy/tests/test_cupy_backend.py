"""The CuPy backend's plumbing, tested without a GPU.

Two kinds of tests:

* without a usable CuPy (this machine: CuPy imports but sees no GPU, or is not
  installed): nothing changes, GPU requests fail with the computed reason, and ``import
  minpy.numpy`` does not import CuPy;
* with the CuPy STAND-IN (``conformance/cupy_standin.py``: NumPy on the host behind the
  real CuPy 14's names, signatures, indexing, promotion, random streams and DLPack
  devices; fixture ``standin_gpu`` of conftest.py): form conversions, dispatch to
  ``impls['cupy']``, policy choice, transfer counting and the guard, view-family
  staleness, DLPack. These prove MinPy's plumbing against CuPy's interface, never GPU
  results; the real-GPU check is ``bench/gpu_check.sh``. Where the real CuPy 14 cannot
  be imported they skip with the reason (``nox -s gpu_standin`` installs it).
"""

from __future__ import annotations

import importlib
import subprocess
import sys

import numpy as onp
import pytest

import minpy.numpy as np
from _standin import cupy_standin
from minpy import core
from minpy.core import _cupy, transfer

policy = importlib.import_module("minpy.numpy.policy")

REAL_CUPY = _cupy.available()
CALLS = cupy_standin.CALLS  # what the stand-in ran, by CuPy name


@pytest.fixture
def fake_gpu(standin_gpu):
    # 'prefer_mxnet' prefers the device backend (CuPy here) for every op it has: the
    # plumbing tests below run on the stand-in whatever the sizes; 'auto' is tested apart.
    return standin_gpu


# -- without CuPy -----------------------------------------------------------------------
@pytest.mark.skipif(REAL_CUPY, reason="CuPy with a GPU is installed here")
def test_without_cupy_gpu_requests_say_why():
    reason = core.cupy_unavailable_reason()
    assert reason
    assert core.available_devices() == [core.cpu()]
    with pytest.raises(core.DeviceError, match="CuPy sees 0 GPU"):
        core.gpu(0)
    assert core.backend_info(core.cpu())["backend"] == "numpy"


def test_import_does_not_load_cupy():
    code = ("import sys, minpy.numpy as np; from minpy.core import _cupy; "
            "np.add(np.ones(3), 1).sum(); "
            "print(_cupy._tried, 'cupy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    assert out == ["False", "False"]


# -- backend choice -----------------------------------------------------------------------
def test_a_hopper_gpu_is_served_by_cupy(fake_gpu):
    info = core.backend_info(fake_gpu)
    assert info["backend"] == "cupy" and fake_gpu.backend == "cupy"
    assert "sm_90" in info["reason"]
    assert core.available_devices() == [core.cpu(), core.gpu(0)]


def test_forced_backend_needs_a_backend_that_sees_the_gpu(fake_gpu, monkeypatch):
    device = importlib.import_module("minpy.core.device")
    monkeypatch.setenv("MINPY_GPU_BACKEND", "mxnet")  # MXNet here is a CPU build
    device._backends.clear()
    assert core.backend_of(core.gpu(0)) == "cupy"
    device._backends.clear()


# -- dispatch, forms, transfers -------------------------------------------------------------
def test_auto_runs_elementwise_on_cupy_with_numpy_dtypes(fake_gpu):
    x = np.array(onp.arange(6, dtype=onp.float32).reshape(2, 3))
    assert x.device == fake_gpu
    CALLS.clear()
    y = np.exp(x) + 1
    assert "exp" in CALLS and "add" in CALLS
    assert y.forms == ("cupy",)
    assert y.dtype == onp.float32
    onp.testing.assert_allclose(y.asnumpy(), onp.exp(onp.arange(6.0)).reshape(2, 3) + 1,
                                rtol=1e-6)
    z = np.sum(x, axis=0)  # reduction, NumPy's int/float promotion kept
    assert z.dtype == onp.float32 and z.forms == ("cupy",)


def test_auto_on_a_cupy_gpu_weighs_where_the_data_lives(fake_gpu):
    with policy.policy("auto"):
        CALLS.clear()
        r = np.random.uniform(size=(4,))  # created on the device the user chose
        assert r.forms == ("cupy",)
        assert np.exp(r).forms == ("cupy",)  # device-resident data stays there
        assert np.exp(np.array(onp.ones(4))).forms == ("host",)  # tiny host data: NumPy
        big = np.array(onp.ones(2_000_000, dtype=onp.float32))
        assert np.exp(big).forms == ("cupy",)  # large enough to pay the copy
    assert {"random.uniform", "exp"} <= set(CALLS)


def test_conversion_counted_once_and_guarded(fake_gpu):
    transfer.reset_stats()
    x = np.array(onp.ones(1000, dtype=onp.float32))
    a = np.multiply(x, 2)
    b = np.multiply(x, 3)  # the cached CuPy form is reused
    s = transfer.stats()
    assert (s.to_cupy, s.to_cupy_bytes) == (1, 4000)
    with core.transfer_guard("disallow"):
        c = np.add(a, b)  # device to device: allowed
        with pytest.raises(core.TransferError, match="to_host"):
            c.asnumpy()
        with pytest.raises(core.TransferError, match="to_cupy"):
            np.add(np.array(onp.ones(3, dtype=onp.float32)), 1)
    assert float(c.sum()) == 5000.0
    assert transfer.stats().to_host == 1


def test_view_family_stays_consistent_across_forms(fake_gpu):
    x = np.exp(np.array(onp.zeros(5)))  # only the CuPy form
    v = x[1:3]
    assert v.forms == ("cupy",)
    x[1] = 10.0  # a write to the family: every cached device form is stale
    onp.testing.assert_array_equal((v + 0).asnumpy(), [10.0, 1.0])
    v[0] = 7.0
    assert float(x[1]) == 7.0


def test_setitem_on_device_does_not_reach_a_sharing_array(fake_gpu):
    x = np.exp(np.array(onp.zeros(4)))
    y = np.array(onp.zeros(4))
    y += x  # in place: y takes over x's data (its CuPy form may be shared)
    y[0] = 5.0
    assert float(x[0]) == 1.0 and float(y[0]) == 5.0


def test_only_cupy_policy_runs_linalg_random_and_matmul(fake_gpu):
    a = np.array(onp.array([[2.0, 1.0], [1.0, 3.0]]))
    with policy.policy("only_cupy"):
        CALLS.clear()
        inv = np.linalg.inv(a)
        m = np.matmul(a, inv)
        r = np.random.uniform(0, 1, size=(3,))
        sign, logdet = np.linalg.slogdet(a)
    assert {"linalg.inv", "matmul", "random.uniform", "linalg.slogdet"} <= set(CALLS)
    onp.testing.assert_allclose(m.asnumpy(), onp.eye(2), atol=1e-12)
    assert r.forms == ("cupy",) and r.dtype == core.get_default_float_dtype()
    assert float(sign) == 1.0 and abs(float(logdet) - onp.log(5.0)) < 1e-12


def test_cupy_deviation_runs_in_numpy_or_raises_under_only_cupy(fake_gpu):
    x = np.array(onp.array([1.0, onp.nan, onp.nan]))
    u = np.unique(x)  # NumPy 2 collapses NaNs; CuPy would not: NumPy runs it
    assert u.shape == onp.unique(onp.array([1.0, onp.nan, onp.nan])).shape
    with policy.policy("only_cupy"), pytest.raises(NotImplementedError, match="only_cupy"):
        np.unique(x)
    with policy.policy("only_cupy"), pytest.raises(ValueError):
        np.reshape(x, (2, 2))  # NumPy's own exception for the caller's error


def test_policies_on_a_cupy_gpu(fake_gpu):
    x = np.array(onp.ones((4, 4), dtype=onp.float32))
    op = np.matmul.op
    assert policy.PreferMXNetPolicy().choose(op, [x, x], fake_gpu) == "cupy"
    assert policy.OnlyMXNetPolicy().choose(op, [x, x], fake_gpu) == "mxnet"  # its meaning
    assert policy.OnlyNumPyPolicy().choose(op, [x, x], fake_gpu) == "numpy"
    with pytest.raises(NotImplementedError, match="not a GPU that CuPy serves"):
        policy.OnlyCuPyPolicy().choose(op, [x, x], core.cpu())
    est = policy.explain("matmul", x, x)["estimated_us"]
    assert set(est) == {"numpy", "cupy"}


def test_op_stats_name_the_cupy_backend(fake_gpu):
    x = np.array(onp.ones(3))
    with policy.record_op_stat():
        np.sin(x)
    stats = policy.op_stats()
    assert ("sin", "cupy") in stats["calls"]
    assert stats["copies"]["cupy"] == (1, 24)  # the host array's copy to the 'GPU'
    assert "1 host->CuPy (24 bytes)" in policy.show_op_stat(file=None)


def test_gradient_on_the_cupy_device(fake_gpu):
    from minpy.autograd import grad
    x = np.array(onp.array([0.5, 1.0, 2.0]))
    g = grad(lambda t: np.sum(np.exp(t) * np.sin(t)))(x)
    ref = onp.exp([0.5, 1.0, 2.0]) * (onp.sin([0.5, 1.0, 2.0]) + onp.cos([0.5, 1.0, 2.0]))
    onp.testing.assert_allclose(g.asnumpy(), ref, rtol=1e-12)
    assert "exp" in CALLS


# -- DLPack ------------------------------------------------------------------------------------
def test_dlpack_hand_over_without_copies(fake_gpu, standin):
    d = standin.asarray(onp.arange(4.0))
    a = core.from_dlpack(d)
    assert a.forms == ("cupy",)
    assert a.ascupy().data.ptr == d.data.ptr  # the producer's memory, no copy
    assert a.__dlpack_device__() == (2, 0)
    assert (a * 2).forms == ("cupy",)


def test_dlpack_host_memory_is_shared_and_protected():
    h = onp.arange(4.0)
    a = core.from_dlpack(h)
    assert onp.shares_memory(a._host, h)
    a[0] = 9.0  # MinPy's write copies first: the producer's array is untouched
    assert h[0] == 0.0 and float(a[0]) == 9.0
    assert a.__dlpack_device__() == (1, 0)
    back = onp.from_dlpack(np.arange(3))
    onp.testing.assert_array_equal(back, [0, 1, 2])


def test_cpu_only_leaves_forms_and_fast_path_alone():
    x = np.ones(3)
    y = np.add(x, 1)
    assert y.forms == ("host",) and y.device == core.cpu()


def test_mxnet_work_on_a_cupy_gpu_runs_on_mxnets_cpu_with_counted_copies(fake_gpu):
    if not core.mxnet_available():
        pytest.skip(f"MXNet unavailable: {core.mxnet_unavailable_reason()}")
    assert fake_gpu.mx_context.device_type == "cpu"  # MXNet's kernels cannot run there
    x = np.exp(np.array(onp.ones(3)))  # a CuPy form only
    transfer.reset_stats()
    with policy.policy("only_mxnet"):
        y = np.add(x, 1)
    s = transfer.stats()
    assert (s.to_host, s.to_mxnet) == (1, 1)  # GPU -> host -> MXNet's CPU, both counted
    assert y.device == fake_gpu and y.forms == ("mxnet",)
    z = np.multiply(y, 2)  # back on CuPy: via the host, counted
    assert z.forms == ("cupy",) and transfer.stats().to_cupy == 1
    onp.testing.assert_allclose(z.asnumpy(), 2 * (onp.e + 1))


def test_operator_page_has_the_cupy_column(tmp_path):
    from minpy.numpy._support import implemented_on, write_rst

    def on_cupy(name):
        return implemented_on(name, "cupy")
    assert on_cupy("add") and on_cupy("linalg.inv") and on_cupy("random.normal")
    assert not on_cupy("fft.fft")  # not in the op table: NumPy on every device
    counts = write_rst(tmp_path / "ops.rst")
    text = (tmp_path / "ops.rst").read_text()
    assert "   * - ``numpy.add``\n     - MXNet\n     - CuPy" in text
    assert f"**{counts['cupy']}** functions have one" in text


def test_seed_reaches_cupy_once_loaded(fake_gpu):
    CALLS.clear()
    np.random.seed(3)
    assert "random.seed" in CALLS


def test_symbol_function_on_a_cupy_gpu_runs_on_mxnets_cpu(fake_gpu):
    if not core.mxnet_available():
        pytest.skip(f"MXNet unavailable: {core.mxnet_unavailable_reason()}")
    pytest.importorskip("minpy.symbol")
    import mxnet as mx

    from minpy.symbol import Function
    fn = Function(mx.sym.exp(mx.sym.Variable("x")))
    x = np.exp(np.array(onp.zeros(3)))  # a CuPy form only
    transfer.reset_stats()
    y = fn(x=x)
    s = transfer.stats()
    assert s.to_host >= 1 and s.to_mxnet >= 1  # GPU -> host -> MXNet's CPU, counted
    assert y.device == fake_gpu
    x2 = np.exp(np.array(onp.zeros(3)))
    with core.transfer_guard("disallow"), pytest.raises(core.TransferError, match="to_host"):
        fn(x=x2)  # the copy off the GPU is refused
    onp.testing.assert_allclose((y + 0).asnumpy(), onp.e * onp.ones(3), rtol=1e-6)


def test_resize_drops_the_cupy_form(fake_gpu):
    x = np.exp(np.array(onp.zeros(4)))
    x.resize((2, 3), refcheck=False)
    assert x.forms == ("host",)
    onp.testing.assert_array_equal((x + 0).asnumpy(), [[1, 1, 1], [1, 0, 0]])


@pytest.mark.skipif(REAL_CUPY, reason="a real CuPy may have loaded its functions")
def test_the_standin_is_gone_after_each_test():
    assert not cupy_standin.is_standin(sys.modules.get("cupy"))
    assert not cupy_standin.is_standin(_cupy.load()) and not _cupy.in_use
    assert np.add.op.impls["cupy"].fn is None  # no function of the stand-in kept
    assert core.available_devices() == [core.cpu()]


def test_dlpack_with_jax_when_installed():
    jax = pytest.importorskip("jax")
    j = jax.numpy.arange(4.0)
    a = core.from_dlpack(j)
    onp.testing.assert_array_equal(a.asnumpy(), onp.arange(4.0))
    back = jax.dlpack.from_dlpack(np.arange(3.0))
    onp.testing.assert_array_equal(onp.asarray(back), [0.0, 1.0, 2.0])


def test_array_of_a_cupy_array_copies_on_the_gpu(fake_gpu, standin):
    d = standin.asarray(onp.arange(3.0))
    transfer.reset_stats()
    a = np.array(d)
    assert a.forms == ("cupy",) and a.device == fake_gpu
    assert a.ascupy().data.ptr != d.data.ptr  # a copy
    assert transfer.stats().total == 0  # no host round trip
    with core.device(core.cpu()):
        h = np.array(d, dtype=onp.float32)
    assert h.forms == ("host",) and h.dtype == onp.float32
    assert np.array(d, copy=False).ascupy().data.ptr == d.data.ptr  # its memory
