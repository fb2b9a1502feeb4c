"""``scipy.signal.convolve``, with gradients, and HIPS Autograd's generalization of it.

``convolve(in1, in2, mode='full', method='auto')`` is SciPy's N-dimensional
convolution (SciPy on the host, ``cupyx.scipy.signal.convolve`` on a CuPy GPU). Its
gradient is a convolution too: for the full convolution, ``in1``'s is
``convolve(g, flip(in2), 'valid')`` (and the same for ``in2``); ``'valid'`` and
``'same'`` are slices of the full one, so their cotangent is first padded back to the
full shape.

``convolve(A, B, axes=([...], [...]), dot_axes=([...], [...]), mode=...)`` is HIPS
Autograd's generalization: a convolution along the paired ``axes``, a tensor dot
product along the paired ``dot_axes``, and an outer product over the others; the result
has ``A``'s other axes, then ``B``'s, then the convolved ones. It is computed with
``minpy.numpy`` operations (padding, a gather of the sliding windows, ``einsum``), so it
runs wherever those do and differentiates through them. HIPS Autograd's positional
order (``convolve(A, B, axes, dot_axes, mode)``) is accepted too: a third argument that
is not a mode string is ``axes``.
"""

from __future__ import annotations

import numpy as _onp

import minpy.numpy as np
from minpy.autograd.rules._util import unbroadcast
from minpy.autograd.tracer import NUMPY_RULES, defvjp

from ._backends import scipy_function

__all__ = ["convolve"]

_convolve = scipy_function("signal.convolve", arrays=(0, 1), kwargs=("mode", "method"),
                           kind="default")
_MODES = ("full", "valid", "same")


def convolve(in1, in2, mode="full", method="auto", axes=None, dot_axes=((), ())):
    """SciPy's ``convolve(in1, in2, mode, method)``, or HIPS Autograd's generalized
    convolution when ``axes`` or ``dot_axes`` are given (see the module)."""
    if not isinstance(mode, str):  # HIPS Autograd's positional order
        axes, mode = mode, "full"
    if not isinstance(method, str):
        dot_axes, method = method, "auto"
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, not {mode!r}")
    if axes is None and not any(len(d) for d in dot_axes):
        return _convolve(in1, in2, mode, method)
    return _general(np.asarray(in1) if not hasattr(in1, "shape") else in1,
                    np.asarray(in2) if not hasattr(in2, "shape") else in2,
                    axes, dot_axes, mode)


# -- the gradient of SciPy's convolve -----------------------------------------------------
def _kept(mode, n, m):
    """``(start, stop)`` of the part of the full convolution (length ``n + m - 1``)
    that ``mode`` returns, for inputs of lengths ``n`` (in1) and ``m`` (in2)."""
    if mode == "full":
        return 0, n + m - 1
    if mode == "same":
        start = (m - 1) // 2
        return start, start + n
    return min(n, m) - 1, max(n, m)


def _back_to_full(g, mode, s1, s2):
    if mode == "full":
        return g
    widths = []
    for n, m in zip(s1, s2):
        start, stop = _kept(mode, n, m)
        widths.append((start, n + m - 1 - stop))
    return np.pad(g, widths)


def _convolve_vjp(argnum):
    def maker(ans, in1, in2, mode="full", method="auto"):
        s1, s2 = np.shape(in1), np.shape(in2)
        other, mine = (in2, in1) if argnum == 0 else (in1, in2)

        def vjp(g):
            full = _back_to_full(g, mode, s1, s2)
            return unbroadcast(_convolve(full, np.flip(other), "valid", method), mine)
        return vjp
    return maker


_RULES = (_convolve_vjp(0), _convolve_vjp(1))
defvjp(_convolve, *_RULES)
NUMPY_RULES.update(_RULES)


# -- HIPS Autograd's generalized convolution ---------------------------------------------
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _general(A, B, axes, dot_axes, mode):
    nA, nB = np.ndim(A), np.ndim(B)
    dA, dB = [list(d) for d in dot_axes]
    if axes is None:
        axes = ([i for i in range(nA) if i not in dA], [i for i in range(nB) if i not in dB])
    cA, cB = [list(a) for a in axes]
    if len(cA) != len(cB) or len(dA) != len(dB):
        raise ValueError("convolve: axes and dot_axes must pair axes of A with axes of B")
    iA = [i for i in range(nA) if i not in cA and i not in dA]
    iB = [i for i in range(nB) if i not in cB and i not in dB]
    A = np.transpose(A, iA + dA + cA)
    B = np.transpose(B, iB + dB + cB)
    k = len(cA)
    N = np.shape(A)[len(A.shape) - k:] if k else ()
    M = np.shape(B)[len(B.shape) - k:] if k else ()
    if mode == "valid" and not (all(n >= m for n, m in zip(N, M))
                                or all(n <= m for n, m in zip(N, M))):
        raise ValueError("convolve: in 'valid' mode one array must be at least as large "
                         "as the other along every convolved axis")
    # The full convolution: out[j] = sum_q A_padded[j + q] * B_flipped[q].
    pads = [(0, 0)] * (len(A.shape) - k) + [(m - 1, m - 1) for m in M]
    padded = np.pad(A, pads)
    index = []
    for i, (n, m) in enumerate(zip(N, M)):
        shape = [1] * (2 * k)
        shape[2 * i], shape[2 * i + 1] = n + m - 1, m
        j = _onp.arange(n + m - 1).reshape(-1, 1)
        q = _onp.arange(m).reshape(1, -1)
        index.append((j + q).reshape(shape))
    windows = padded[(Ellipsis, *index)] if k else padded
    flipped = np.flip(B, axis=tuple(range(len(B.shape) - k, len(B.shape)))) if k else B
    letters = iter(_LETTERS)
    ia = "".join(next(letters) for _ in iA)
    ib = "".join(next(letters) for _ in iB)
    dots = "".join(next(letters) for _ in dA)
    outs = [next(letters) for _ in range(k)]
    ks = [next(letters) for _ in range(k)]
    win = "".join(o + q for o, q in zip(outs, ks))
    spec = f"{ia}{dots}{win},{ib}{dots}{''.join(ks)}->{ia}{ib}{''.join(outs)}"
    full = np.einsum(spec, windows, flipped)
    if mode == "full":
        return full
    lead = len(iA) + len(iB)
    keep = [slice(*_kept(mode, n, m)) for n, m in zip(N, M)]
    return full[(slice(None),) * lead + tuple(keep)]
