"""The one door through which NumPy code gets Arrays' host buffers
(``minpy.core._handoff``): declared writers write through the view family (cached
MXNet/CuPy forms dropped), other foreign code sees read-only views, undeclared writers
are caught and run again (warned, counted), results keep NumPy's identity and views.
NumPy itself is the reference throughout; the full list of writers, each run against
NumPy under every policy, is ``conformance/test_writers.py``."""

from __future__ import annotations

import pickle
import warnings

import numpy as onp
import pytest

import minpy.numpy as np
from minpy.core import Array, _handoff
from minpy.numpy._dispatch import make_fallback


def _cached(values):
    """An Array of ``values`` with its host and MXNet forms both present."""
    a = np.array(onp.asarray(values, dtype=float))
    a.asmxnet()
    assert set(a.forms) == {"host", "mxnet"}
    return a


def _mx_sum(a):
    with np.policy("only_mxnet"):
        return float(a.sum())


def test_issue26_snippets_read_fresh_values_through_mxnet():
    with np.policy("prefer_mxnet"):
        a = np.linspace(0, 10, 3)
        np.copyto(a, np.array([-1, 1, 9]))
        onp.testing.assert_allclose(np.exp(a).asnumpy(), onp.exp([-1.0, 1.0, 9.0]))
        assert float(a.sum()) == 9.0
    a = np.arange(4.0)
    with np.policy("prefer_mxnet"):
        a.sum()
    np.copyto(a, 7.0)
    with np.policy("prefer_mxnet"):
        assert float(a.sum()) == 28.0


def test_a_declared_writer_drops_the_cached_form():
    a = _cached([1.0, 2.0, 3.0])
    np.put(a, [0], [10.0])
    assert a.forms == ("host",)
    assert _mx_sum(a) == 15.0


def test_foreign_code_sees_read_only_views():
    seen = []

    def peek(x):
        seen.append(x.flags.writeable)
        return x.sum()
    a = _cached([1.0, 2.0])
    _handoff.call(peek, (a,), {})
    assert seen == [False]
    assert set(a.forms) == {"host", "mxnet"}  # nothing written: the cache stays


def test_an_undeclared_writer_is_caught_and_run_again():
    def scale_in_place(x, k):
        x *= k  # writes into its argument; not in WRITERS
        return None
    fn = make_fallback("scale_in_place", scale_in_place)
    a = _cached([1.0, 2.0])
    before = _handoff.undeclared["minpy.numpy.scale_in_place"]
    with pytest.warns(_handoff.UndeclaredWriteWarning, match="scale_in_place"):
        fn(a, 3.0)
    assert _handoff.undeclared["minpy.numpy.scale_in_place"] == before + 1
    onp.testing.assert_array_equal(a.asnumpy(), [3.0, 6.0])
    assert _mx_sum(a) == 9.0


def test_an_undeclared_writer_into_a_view_bumps_the_family():
    def negate(x):
        onp.negative(x, out=x)
    base = np.arange(6.0)
    view = base[2:4]
    base.asmxnet(), view.asmxnet()
    with pytest.warns(_handoff.UndeclaredWriteWarning):
        make_fallback("negate", negate)(view)
    assert _mx_sum(base) == 5.0 and _mx_sum(view) == -5.0


def test_results_keep_numpy_identity_and_views():
    a = _cached([1.0, 2.0, 3.0, 4.0])
    assert np.require(a) is a
    assert np.ascontiguousarray(a) is a
    r = np.nan_to_num(a, copy=False)
    assert r is a
    w = np.lib.stride_tricks.sliding_window_view(a, 2, writeable=True)
    assert w.flags.writeable and w.base is a
    w[0, 1] = -2.0  # a write through NumPy's writable view reaches a, and its forms
    assert _mx_sum(a) == 6.0
    ro = np.lib.stride_tricks.sliding_window_view(a, 2)
    assert not ro.flags.writeable  # NumPy's read-only default kept
    with pytest.raises(ValueError, match="read-only"):
        ro[0, 0] = 1.0


def test_an_iterator_that_writes_later_exposes_the_family():
    a = _cached([1.0, 2.0, 3.0])
    it = np.nditer(a, op_flags=["readwrite"])
    assert isinstance(it, onp.nditer) and isinstance(it, np.nditer)
    assert _mx_sum(a) == 6.0
    for x in it:  # writes after the call, after a device read made a form again
        x[...] = 10 * x
    assert _mx_sum(a) == 60.0


def test_writers_refuse_traced_values():
    grad = pytest.importorskip("minpy.autograd").grad

    def f(x):
        y = np.zeros(3)
        np.copyto(y, x)
        return np.sum(y)
    with pytest.raises(TypeError, match="copyto writes into its argument"):
        grad(f)(np.ones(3))


def test_random_generators_write_arrays_as_numpy_does():
    a = _cached(onp.arange(8.0).reshape(4, 2))
    ref = onp.arange(8.0).reshape(4, 2)
    rng, ref_rng = np.random.default_rng(5), onp.random.default_rng(5)
    assert isinstance(rng, onp.random.Generator) and isinstance(rng, np.random.Generator)
    rng.shuffle(a)
    ref_rng.shuffle(ref)
    onp.testing.assert_array_equal(a.asnumpy(), ref)  # rows moved, none duplicated
    assert _mx_sum(a) == 28.0
    out = _cached(onp.zeros(3))
    assert rng.standard_normal(out=out) is out
    onp.testing.assert_array_equal(out.asnumpy(), ref_rng.standard_normal(3))
    assert isinstance(rng.random(2), Array)
    again = pickle.loads(pickle.dumps(rng))
    assert type(again) is np.random.Generator
    assert float(again.random()) == float(rng.random())
    rs = np.random.RandomState(2)
    state = pickle.loads(pickle.dumps(rs))
    assert float(state.rand()) == float(rs.rand()) == onp.random.RandomState(2).rand()


def test_numpys_own_functions_on_arrays_go_through_the_door():
    # NumPy's protocols hand these calls to MinPy (__array_ufunc__, __array_function__)
    a = _cached([0.0, 1.0, 2.0, 3.0])
    onp.add.at(a, [0, 0], 1.0)
    assert _mx_sum(a) == 8.0
    onp.copyto(a, 5.0)
    assert _mx_sum(a) == 20.0
    a.asmxnet()
    onp.add.reduce(onp.ones((2, 2)), 0, None, a[:2])  # out by position, into a view
    onp.put(a, [3], [9.0])
    assert a.tolist() == [2.0, 2.0, 5.0, 9.0] and _mx_sum(a) == 18.0


def test_numpy_submodule_functions_are_not_top_level_names():
    # numpy.emath.sqrt dispatches to the Array; it is not numpy.sqrt
    r = onp.emath.sqrt(np.array([-1.0]))
    assert isinstance(r, Array) and r.dtype == onp.complex128
    assert complex(r[0]) == 1j


def test_the_ufunc_fast_path_hands_buffers_as_they_are():
    a = np.arange(3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing re-run, nothing warned
        r = np.add(a, a)
    assert r.asnumpy().tolist() == [0.0, 2.0, 4.0]
    assert a._host.flags.writeable


# -- the CuPy test double: the same door for CuPy forms --------------------------------
from test_cupy_backend import fake_gpu  # noqa: E402,F401,I001  (the fixture, by name)


def _cupy_cached(values):
    a = np.array(onp.asarray(values, dtype=float))
    a.ascupy()
    assert "cupy" in a.forms
    return a


@pytest.mark.parametrize("write", [
    lambda a: np.copyto(a, 2.0),
    lambda a: np.put(a, [1], [5.0]),
    lambda a: np.add.at(a, [0, 0], 1.0),
    lambda a: np.negative(a, out=a),
    lambda a: np.cumsum(a, out=a),
    lambda a: np.random.default_rng(0).shuffle(a),
    lambda a: np.putmask(a, a > 1, 0.0),
])
@pytest.mark.usefixtures("fake_gpu")
def test_writers_drop_cupy_forms(write):
    values = onp.array([1.0, 2.0, 3.0])
    a = _cupy_cached(values)
    write(a)
    ref = values.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write(ref)
    onp.testing.assert_array_equal(a.asnumpy(), ref)
    onp.testing.assert_array_equal((a * 1.0).asnumpy(), ref)  # computed by CuPy
    onp.testing.assert_array_equal(a.ascupy().get(), ref)


@pytest.mark.usefixtures("fake_gpu")
def test_a_writer_into_a_view_drops_the_familys_cupy_forms():
    base = _cupy_cached(onp.arange(6.0))
    view = base[1:3]
    view.ascupy()
    np.copyto(view, -1.0)
    onp.testing.assert_array_equal(base.ascupy().get(), [0, -1, -1, 3, 4, 5])
    onp.testing.assert_array_equal((view + 0).asnumpy(), [-1, -1])
