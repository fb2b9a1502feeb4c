"""Views with NumPy's semantics: view families, version-stamped MXNet forms, read-only
views, ``out=``, and writes through views under ``grad``."""

from __future__ import annotations

import dataclasses

import numpy
import pytest

import minpy.core as core
import minpy.numpy as np
from minpy.core import transfer

needs_mxnet = pytest.mark.skipif(not core.mxnet_available(), reason="MXNet is not installed")
POLICIES = ["auto", "only_numpy"] + (["prefer_mxnet"] if core.mxnet_available() else [])


def check(mine, ref):
    assert mine.dtype == ref.dtype and mine.shape == ref.shape
    numpy.testing.assert_array_equal(mine.asnumpy(), ref)


@pytest.mark.parametrize("pol", POLICIES)
def test_issue_examples(pol):
    """The programs of the issue: each write reaches the base, as in NumPy."""
    def program(xp):
        a = xp.arange(10.0)
        b = a[2:5]
        b += 1
        X = xp.arange(12.0).reshape(3, 4)
        row = X[1]
        row *= 2
        X.T[0] = 1
        X.reshape(2, 6)[1, ...] = -3
        c = X[:, 2]
        s = a[::2]
        s[1] = 50
        r = a.ravel()
        r[-1] = 7
        return [a, b, X, row, c, s, r]
    with np.policy(pol):
        got = program(np)
    for g, w in zip(got, program(numpy)):
        check(g, w)


@pytest.mark.parametrize("pol", POLICIES)
def test_every_view_function_shares(pol):
    cases = [
        (lambda xp, a: a[1:, ::2], True), (lambda xp, a: a.T, True),
        (lambda xp, a: a.transpose(1, 0), True), (lambda xp, a: a.reshape(4, 3), True),
        (lambda xp, a: a.ravel(), True), (lambda xp, a: xp.swapaxes(a, 0, 1), True),
        (lambda xp, a: xp.expand_dims(a, 0), True), (lambda xp, a: a[None].squeeze(), True),
        (lambda xp, a: a.view(), True), (lambda xp, a: xp.moveaxis(a, 0, 1), True),
        (lambda xp, a: xp.flip(a, 0), True), (lambda xp, a: a[..., 1], True),
        (lambda xp, a: a[1], True), (lambda xp, a: a.T.ravel(), False),
        (lambda xp, a: a.T.reshape(12), False), (lambda xp, a: a[[0, 1]], False),
        (lambda xp, a: a[a > 3], False), (lambda xp, a: a.flatten(), False),
        (lambda xp, a: a.copy(), False), (lambda xp, a: a + 0, False),
    ]
    for make, is_view in cases:
        ref = numpy.arange(12.0).reshape(3, 4)
        with np.policy(pol):
            a = np.arange(12.0).reshape(3, 4)
            v = make(np, a)
            assert np.shares_memory(a, v) == is_view == numpy.shares_memory(ref, make(
                numpy, ref))
            assert np.may_share_memory(a, v) == is_view
            assert (v.base is not None) == (make(numpy, ref).base is not None) or not is_view
            v[...] = -1
            w = make(numpy, ref)
            w[...] = -1
            check(a, ref)


@needs_mxnet
def test_mxnet_form_is_never_read_stale():
    with np.policy("prefer_mxnet"):
        x = np.ones((3, 4))
        assert x.forms == ("mxnet",)
        v = x[1]                       # made by MXNet: no host form yet
        assert v.forms == ("mxnet",)
        y = x * 2                      # x's MXNet form is read...
        v += 5                         # ...then a write through the view
        assert "mxnet" not in x.forms  # stale: dropped from the current forms
        check(x * 1, numpy.array([[1.0] * 4, [6.0] * 4, [1.0] * 4]))
        check(y, numpy.full((3, 4), 2.0))
        t = x.T
        t.asmxnet()                  # a cached MXNet form of another member...
        x[0, 0] = -1
        assert float((t * 1)[0, 0]) == -1.0     # ...is rebuilt after the write
        assert float(np.sum(x)) == -1 + 3 + 24 + 4


@needs_mxnet
def test_views_of_mxnet_arrays_need_no_copy_until_read():
    with np.policy("prefer_mxnet"):
        x = np.ones((64, 64))
        before = dataclasses.replace(transfer.stats())
        with core.transfer_guard("disallow"):
            for i in range(4):
                s = np.sum(x[i * 16:(i + 1) * 16].T * 2.0)
        after = dataclasses.replace(transfer.stats())
    assert float(s) == 2048.0
    assert after.total == before.total


def test_read_only_views_raise_numpy_error():
    a = np.arange(6.0).reshape(2, 3)
    for ro in (np.diagonal(a), a.diagonal(), np.broadcast_to(a[0], (4, 3))):
        assert not ro.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            ro[0] = 1
        with pytest.raises(ValueError):
            ro += 1
    check(a, numpy.arange(6.0).reshape(2, 3))
    a.setflags(write=False)
    with pytest.raises(ValueError, match="read-only"):
        a[0, 0] = 5
    with pytest.raises(ValueError):
        a *= 2
    a.flags.writeable = True
    a[0, 0] = 5
    assert float(a[0, 0]) == 5


def test_out_arguments_write_into_views():
    ref = numpy.zeros((3, 4))
    a = np.zeros((3, 4))
    for xp, arr in ((np, a), (numpy, ref)):
        xp.add(xp.ones(4), 1, out=arr[1])
        xp.multiply(xp.ones(3), 3, out=arr[:, 0])
        xp.sum(xp.ones((2, 4)), axis=0, out=arr[2])
    check(a, ref)


def test_base_and_flags_agree_with_numpy():
    ref = numpy.arange(12.0)
    a = np.arange(12.0)
    for make in (lambda x: x[2:], lambda x: x[2:][1:], lambda x: x.reshape(3, 4).T):
        v, w = make(a), make(ref)
        assert v.base is a and w.base is ref
        assert v.flags.owndata == w.flags.owndata is False
        assert v.flags.c_contiguous == w.flags.c_contiguous
        assert v.flags["F_CONTIGUOUS"] == w.flags["F_CONTIGUOUS"]
        assert v.strides == w.strides
    assert a.base is None and a.flags.owndata and a.flags.writeable


def test_overlapping_writes_within_a_family():
    ref = numpy.arange(8.0)
    a = np.arange(8.0)
    for xp, x in ((np, a), (numpy, ref)):
        x[1:] = x[:-1]
        x[::2] += x[1::2]
        y = x[::-1]
        y[:3] = x[:3]
    check(a, ref)


def test_copies_of_family_members_are_independent():
    a = np.arange(4.0)
    v = a[1:3]
    c = v.copy()
    d = np.array(v)
    v[0] = 100
    assert c.tolist() == [1.0, 2.0] and d.tolist() == [1.0, 2.0]
    assert a.tolist() == [0.0, 100.0, 2.0, 3.0]


def test_writes_through_views_of_traced_values():
    autograd = pytest.importorskip("minpy.autograd")

    def reads_views(w):  # views only read: correct gradient
        return (w.T[0] * 3).sum() + w.reshape(-1)[1:3].sum()
    numpy.testing.assert_array_equal(autograd.grad(reads_views)(np.ones((2, 2))).asnumpy(),
                                     [[3.0, 1.0], [4.0, 0.0]])

    def writes_fresh(w):  # a write to an array that shares nothing: recorded
        y = w * 2
        y[0] = 5
        y += 1
        return y.sum()
    numpy.testing.assert_array_equal(autograd.grad(writes_fresh)(np.ones(3)).asnumpy(),
                                     [0.0, 2.0, 2.0])

    def write_through_view(w):
        v = w[0:2]
        v += 1
        return w.sum()

    def write_under_view(w):
        y = w * 1
        v = y[1:]
        y[1] = 7
        return (v * 2).sum()

    def sort_view(w):
        v = w.reshape(2, 2)
        v.sort()
        return v.sum()

    def setitem_on_view(w):
        y = w * 1
        y[1:][0] = 3
        return y.sum()
    for fn in (write_through_view, write_under_view, sort_view, setitem_on_view):
        with pytest.raises(ValueError, match="in-place write to a traced array"):
            autograd.grad(fn)(np.ones(4))

    def augmented(w):  # y[i] op= v: the store does the write, recorded
        y = w * 1.0
        y[0] *= 3
        y[1:3] += w[:2]
        y[0, ...] = y[0, ...] * 2
        return (y * y).sum()

    def reference(w):
        y = w * 1.0
        y = y * numpy.array([6.0, 1, 1, 1]) + numpy.concatenate([[0], w[:2], [0]])
        return (y * y).sum()
    w = np.array([1.0, 2.0, 3.0, 4.0])
    numpy.testing.assert_allclose(autograd.grad(augmented)(w).asnumpy(),
                                  autograd.grad(reference)(w).asnumpy())


def test_iteration_rows_are_views():
    X = np.zeros((3, 2))
    for i, row in enumerate(X):
        row += i
    assert X.tolist() == [[0, 0], [1, 1], [2, 2]]
