"""Values on the MXNet path agree with NumPy (issue 11, item 7): each case was a wrong
value under prefer_mxnet; the table's conditions or corrected implementations fix it."""

from __future__ import annotations

import subprocess
import sys

import numpy
import pytest

import minpy.numpy as mp
from minpy.core import _mxnet

pytestmark = pytest.mark.skipif(not _mxnet.available(),
                                reason="MXNet is not available: nothing to compare")


def _same(got, want):
    got = numpy.asarray(got.asnumpy() if hasattr(got, "asnumpy") else got)
    want = numpy.asarray(want)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    numpy.testing.assert_array_equal(got, want)
    # signed zeros too (a NaN's sign is not NumPy's promise)
    numbers = ~numpy.isnan(want) if want.dtype.kind == "f" else True
    numpy.testing.assert_array_equal(numpy.signbit(got) & numbers,
                                     numpy.signbit(want) & numbers)


def test_argmax_index_beyond_the_input_dtype():
    host = numpy.array([1, 127, -128], "i1").repeat(129)
    with mp.policy("prefer_mxnet"):
        x = mp.asarray(host)
        assert int(mp.argmax(x)) == 129 and int(mp.argmin(x)) == 258
        for dt, n in (("u1", 300), ("f2", 5000), ("i1", 200)):
            h = numpy.zeros(n, dt)
            h[n - 3] = 1
            assert int(mp.argmax(mp.asarray(h))) == n - 3
            _same(mp.argmax(mp.asarray(h.reshape(2, -1)), axis=1),
                  numpy.argmax(h.reshape(2, -1), axis=1))
    with mp.policy("only_mxnet"):  # within the dtype's range MXNet still runs it
        small = numpy.array([3, -4, 9, 2], "i1")
        assert int(mp.argmax(mp.asarray(small))) == 2


@pytest.mark.parametrize("policy", ["prefer_mxnet", "only_mxnet"])
def test_bool_bytes_other_than_one(policy):
    host = numpy.frombuffer(b"\xff\xff" * 100, dtype=bool)
    x = mp.frombuffer(b"\xff\xff" * 100, dtype=bool)  # NumPy's function: no MXNet form
    with mp.policy(policy):
        assert int(mp.sum(x)) == 200 == int(host.sum())
        _same(mp.sum(mp.asarray(host)), host.sum())
        assert float(mp.mean(x)) == 1.0


@pytest.mark.parametrize("policy", ["prefer_mxnet", "only_mxnet"])
def test_float16_mean_adds_in_float32(policy):
    host = numpy.ones(100000, "f2")
    with mp.policy(policy):
        _same(mp.mean(mp.asarray(host)), host.mean())
        _same(mp.asarray(host).mean(), host.mean())
        h2 = host.reshape(100, 1000)
        _same(mp.mean(mp.asarray(h2), axis=1), h2.mean(axis=1))
        _same(mp.average(mp.asarray(host[:1000])), numpy.average(host[:1000]))


def test_scalar_promotion():
    with mp.policy("prefer_mxnet"):
        assert mp.add(numpy.int32(0), numpy.int8(0)).dtype == numpy.int32
        assert mp.add(mp.asarray(numpy.int32(0)), numpy.int8(0)).dtype == numpy.int32


@pytest.mark.parametrize("policy", ["prefer_mxnet", "only_mxnet"])
def test_remainder_sign_of_zero(policy):
    a = numpy.array([-0.0, 0.0, -2.0, 2.0, 3.5, -3.5, 1.0])
    b = numpy.array([1.0, -1.0, 1.0, -1.0, -2.0, 2.0, 0.0])
    with numpy.errstate(invalid="ignore", divide="ignore"), mp.policy(policy):
        _same(mp.remainder(mp.asarray(a), mp.asarray(b)), numpy.remainder(a, b))
        _same(mp.mod(mp.asarray(a), mp.asarray(b)), numpy.mod(a, b))
        _same(mp.asarray(-0.0) % 1.0, numpy.asarray(-0.0) % 1.0)
        _same(mp.remainder(mp.asarray(0.0), -1.0), numpy.remainder(0.0, -1.0))
        _same(mp.asarray(a) % -1.0, a % -1.0)
        _same(mp.asarray(a[:6]) % mp.asarray([[1.0], [-1.0]]), a[:6] % [[1.0], [-1.0]])
    with mp.policy("prefer_mxnet"):  # scalars only: NumPy's (MXNet takes no such call)
        _same(mp.remainder(0.0, -1.0), numpy.remainder(0.0, -1.0))


@pytest.mark.parametrize("policy", ["prefer_mxnet", "only_mxnet"])
def test_linspace_endpoint_is_stop(policy):
    with mp.policy(policy):
        out = mp.linspace(0.0, 6.4913965932284536e16, 25)
        _same(out, numpy.linspace(0.0, 6.4913965932284536e16, 25))
        _same(mp.linspace(0.1, 0.9, 7, dtype="float32"),
              numpy.linspace(0.1, 0.9, 7, dtype="float32"))
        _same(mp.linspace(0.0, 1.0, 1), numpy.linspace(0.0, 1.0, 1))
        _same(mp.linspace(2.0, 3.0, 5, endpoint=False),
              numpy.linspace(2.0, 3.0, 5, endpoint=False))


def test_loading_mxnet_defers_rarely_used_imports():
    """The first MXNet call of a process loads MXNet; it no longer imports scipy.stats
    and scikit-learn (a third of its load), which MXNet reads only for quantization
    calibration and the legacy FeedForward class. Quantization still finds them."""
    code = (
        "import sys, minpy.core._mxnet as m; mx = m.load(); "
        "assert 'scipy.stats' not in sys.modules and 'sklearn' not in sys.modules; "
        "import minpy.numpy as np; x = np.ones(3)\n"
        "with np.policy('prefer_mxnet'): np.outer(x, x)\n"
        "q = sys.modules['mxnet.contrib.quantization']; "
        "assert abs(q.stats.entropy([0.5, 0.5]) - 0.6931471805599453) < 1e-12; "
        "import sklearn.base; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("ok")
