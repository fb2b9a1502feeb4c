"""Arguments of rules beyond the array itself (issue 10): pad's statistic and ramp
modes, cov's weights, gradient's spacings, histogram's weights, and traced values
passed as keyword arguments. Each checked against central finite differences (second
order where it is cheap) and, for the forward value, against NumPy."""

import numpy as onp
import pytest

import minpy.numpy as np
from minpy.autograd import grad
from minpy.autograd.testing import check_grads

R = onp.random.default_rng(7)
M = R.standard_normal((3, 6))
AW = R.uniform(0.5, 2.0, 6)
FW = onp.array([1, 2, 1, 3, 1, 2])


def val(x):
    return onp.asarray(x.asnumpy() if hasattr(x, "asnumpy") else x)


# -- pad ----------------------------------------------------------------------------
PAD_CASES = [
    {"mode": "mean"}, {"mode": "median"}, {"mode": "maximum"}, {"mode": "minimum"},
    {"mode": "linear_ramp"}, {"mode": "linear_ramp", "end_values": ((1.0, 2.0), (3.0, -1.0))},
    {"mode": "mean", "stat_length": 2}, {"mode": "maximum", "stat_length": ((1, 2), (3, 1))},
    {"mode": "median", "stat_length": (2,)},
]


@pytest.mark.parametrize("kw", PAD_CASES, ids=lambda kw: "-".join(map(str, kw.values())))
def test_pad_modes(kw):
    x = R.standard_normal((3, 4))
    width = ((2, 1), (1, 2))
    assert onp.allclose(val(np.pad(x, width, **kw)), onp.pad(x, width, **kw))
    w = R.standard_normal((6, 7))
    check_grads(lambda x: np.sum(np.pad(x, width, **kw) * w), x,
                order=2 if kw["mode"] in ("mean", "linear_ramp") else 1)


def test_pad_callable_mode_still_names_the_modes():
    with pytest.raises(NotImplementedError, match="linear_ramp"):
        grad(lambda x: np.sum(np.pad(x, 1, lambda v, w, i, k: None)))(onp.ones(3))


# -- cov weights ----------------------------------------------------------------------
COV_CASES = [{"aweights": AW}, {"aweights": AW, "fweights": FW}, {"aweights": AW, "ddof": 0},
             {"aweights": AW, "bias": True, "fweights": FW}, {"aweights": AW, "ddof": 2},
             {"fweights": FW}]


@pytest.mark.parametrize("kw", COV_CASES, ids=lambda kw: "-".join(sorted(kw)))
def test_cov_weights(kw):
    assert onp.allclose(val(np.cov(M, **kw)), onp.cov(M, **kw))
    w = R.standard_normal((3, 3))
    check_grads(lambda m: np.sum(np.cov(m, **kw) * w), M)
    if "aweights" in kw:
        rest = {k: v for k, v in kw.items() if k != "aweights"}
        check_grads(lambda a: np.sum(np.cov(M, aweights=a, **rest) * w), AW)
        check_grads(lambda m, a: np.sum(np.cov(m, None, True, False, None,
                                               rest.get("fweights"), a) * w), M, AW)


# -- gradient's spacings ----------------------------------------------------------------
F = R.standard_normal((5, 4))
XC = onp.array([0.0, 1.0, 2.5, 3.1, 4.7])
YC = onp.array([0.0, 0.5, 1.7, 2.0])
W0, W1 = R.standard_normal((5, 4)), R.standard_normal((5, 4))


def _both(out):
    return np.sum(out[0] * W0) + np.sum(out[1] * W1)


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_spacings(edge_order):
    eo = edge_order
    check_grads(lambda h: _both(np.gradient(F, h, edge_order=eo)), 0.7)
    check_grads(lambda h, k: _both(np.gradient(F, h, k, edge_order=eo)), 0.7, 1.3)
    check_grads(lambda x, y: _both(np.gradient(F, x, y, edge_order=eo)), XC, YC)
    check_grads(lambda f, x, k: _both(np.gradient(f, x, k, edge_order=eo)), F, XC, 0.4)
    check_grads(lambda x, f: np.sum(np.gradient(f, x, axis=0, edge_order=eo) * W0), XC, F)


# -- histogram weights --------------------------------------------------------------
A = R.standard_normal(40)
HW = R.uniform(0.5, 2.0, 40)
HIST_CASES = [{}, {"bins": 5, "range": (-1.0, 1.0)}, {"density": True},
              {"bins": onp.array([-2.0, -0.5, 0.0, 1.0, 3.0]), "density": True},
              {"bins": 4, "range": (A.min(), A.max())}]


@pytest.mark.parametrize("kw", HIST_CASES, ids=lambda kw: "-".join(sorted(kw)) or "plain")
def test_histogram_weights(kw):
    counts, edges = np.histogram(A, weights=HW, **kw)
    ref, ref_edges = onp.histogram(A, weights=HW, **kw)
    assert onp.allclose(val(counts), ref) and onp.allclose(val(edges), ref_edges)
    v = R.standard_normal(len(ref))
    check_grads(lambda w: np.sum(np.histogram(A, weights=w, **kw)[0] * v), HW)


# -- traced keyword arguments ------------------------------------------------------------
def test_traced_keyword_arguments():
    x, w = R.standard_normal((3, 4)), R.uniform(0.5, 2.0, 4)
    check_grads(lambda x, w: np.average(x, axis=1, weights=w), x, w)
    check_grads(lambda x, w: np.average(x, weights=w, axis=1, returned=True)[0], x, w)
    check_grads(lambda w: np.sum(np.bincount(onp.array([0, 2, 2, 1]), weights=w,
                                             minlength=4) * onp.arange(4.0)),
                R.standard_normal(4))
    # keyword and positional spellings record the same thing
    g_kw = grad(lambda w: np.average(x, axis=1, weights=w)[1])(w)
    g_pos = grad(lambda w: np.average(x, 1, w)[1])(w)
    assert onp.allclose(val(g_kw), val(g_pos))


def test_traced_keyword_only_argument_raises():
    x = onp.array([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="keyword argument 'min'"):
        grad(lambda s: np.sum(np.clip(x, min=s, max=2.5)))(1.5)
    assert grad(lambda s: np.sum(np.clip(x, s, 2.5)))(1.5) == 1.0
