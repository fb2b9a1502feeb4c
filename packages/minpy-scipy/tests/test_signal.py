"""minpy.scipy.signal.convolve: SciPy's values and gradients, and HIPS Autograd's
generalized convolution (axes, dot_axes) against per-slice SciPy convolutions."""

from __future__ import annotations

import numpy as onp
import pytest
import scipy.signal as ssig

from conftest import host, normal, thorough
from minpy.autograd.testing import check_grads
from minpy.scipy.signal import convolve

MODES = ("full", "valid", "same")
SHAPES = [((5,), (3,)), ((3,), (5,)), ((4, 3), (2, 2))] + (
    [((6, 7), (4, 2)), ((2, 5, 4), (2, 3, 2))] if thorough() else [])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("s1, s2", SHAPES)
def test_scipy_convolve(mode, s1, s2, seed):
    rng = onp.random.default_rng(seed)
    a, b = normal(rng, s1), normal(rng, s2)
    if mode == "valid" and not (all(x >= y for x, y in zip(s1, s2))
                                or all(x <= y for x, y in zip(s1, s2))):
        pytest.skip("SciPy's valid mode needs one input at least as large along every axis")
    want = ssig.convolve(host(a), host(b), mode)
    assert onp.allclose(host(convolve(a, b, mode=mode)), want)
    check_grads(lambda a, b: convolve(a, b, mode), a, b, order=2)


def test_complex_convolve():
    from minpy.autograd.testing import check_complex_grads
    rng = onp.random.default_rng(2)
    a = normal(rng, (5,)) + 1j * normal(rng, (5,))
    b = normal(rng, (3,)) + 0.5j * normal(rng, (3,))
    for mode in MODES:
        check_complex_grads(lambda a, b: convolve(a, b, mode), a, b, order=2)


def test_generalized_convolution_against_slices():
    rng = onp.random.default_rng(3)
    A35, A34, A342 = normal(rng, (3, 5)), normal(rng, (3, 4)), normal(rng, (3, 4, 2))
    A2543, A24232 = normal(rng, (2, 5, 4, 3)), normal(rng, (2, 4, 2, 3, 2))
    h = host
    for mode in ("valid", "full"):
        out = convolve(A35, A34, axes=([1], [0]), mode=mode)
        assert onp.allclose(h(out)[1, 2], ssig.convolve(h(A35)[1], h(A34)[:, 2], mode))
        out = convolve(A35, A34, axes=([], []), dot_axes=([0], [0]), mode=mode)
        assert onp.allclose(h(out), onp.tensordot(h(A35), h(A34), axes=([0], [0])))
        out = convolve(A35, A342, axes=([1], [2]), dot_axes=([0], [0]), mode=mode)
        want = sum(ssig.convolve(h(A35)[i], h(A342)[i, 2], mode) for i in range(3))
        assert onp.allclose(h(out)[2], want)
        out = convolve(A2543, A24232, axes=([1, 2], [2, 4]), dot_axes=([0, 3], [0, 3]),
                       mode=mode)
        want = sum(ssig.convolve(h(A2543)[i, :, :, j], h(A24232)[i, 2, :, j, :], mode)
                   for i in range(2) for j in range(3))
        assert onp.allclose(h(out)[2], want)


@pytest.mark.parametrize("mode", MODES)
def test_generalized_convolution_gradients(mode):
    rng = onp.random.default_rng(4)
    A, B = normal(rng, (3, 3, 2)), normal(rng, (3, 2, 3))
    check_grads(lambda A, B: convolve(A, B, axes=([1], [1]), dot_axes=([0], [2]), mode=mode),
                A, B, order=2)
    A, B = normal(rng, (4, 3)), normal(rng, (3, 2))
    check_grads(lambda A, B: convolve(A, B, axes=([1, 0], [1, 0]), mode=mode), A, B, order=2)


def test_hips_positional_order_and_bad_mode():
    rng = onp.random.default_rng(5)
    A, B = normal(rng, (3, 5)), normal(rng, (3, 4))
    assert onp.allclose(host(convolve(A, B, ([1], [1]), ([0], [0]))),
                        host(convolve(A, B, axes=([1], [1]), dot_axes=([0], [0]))))
    with pytest.raises(ValueError):
        convolve(A, B, mode="wrong")
