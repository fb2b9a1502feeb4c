"""Rules of ``numpy.fft``: the complex transforms (``fft``, ``ifft``, ``fft2``,
``ifft2``, ``fftn``, ``ifftn``), the real ones (``rfft``, ``irfft``, ``rfft2``,
``irfft2``, ``rfftn``, ``irfftn``), the Hermitian ones (``hfft``, ``ihfft``), the
shifts and ``fftfreq``/``rfftfreq`` (in their spacing ``d``), with ``n``/``s``,
``axis``/``axes`` and every ``norm``.

The DFT matrix is symmetric, so the cotangent of a complex transform is the same
transform of the cotangent (with the same ``norm``), cropped or zero-padded back to the
input's lengths (the transpose of NumPy's pad/crop to ``n``). That is the transpose, not
the adjoint: cotangents follow HIPS Autograd's convention (see ``rules/__init__``).
``irfft`` is the real part of a weighted inverse transform of the half spectrum (weight 2
for the bins that stand for two, 1 for the zero and Nyquist bins), which gives its rule.
"""

from __future__ import annotations

from ._util import defvjp, np, shape_of

_SWAP = {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}


def _axes_and_sizes(shape, s, axes, default_axes=None):
    nd = len(shape)
    if axes is None:
        if default_axes is not None:
            axes = default_axes
        elif s is None:
            axes = tuple(range(nd))
        else:
            axes = tuple(range(nd - len(s), nd))
    elif isinstance(axes, int):
        axes = (axes,)
    axes = tuple(int(a) % nd for a in axes)
    sizes = None if s is None else tuple(
        shape[a] if int(n) == -1 else int(n) for a, n in zip(axes, s))
    return axes, sizes


def _fit(c, shape, axes):
    """``c`` cropped or zero-padded along ``axes`` to ``shape``'s lengths."""
    for ax in axes:
        have, want = shape_of(c)[ax], shape[ax]
        if have > want:
            c = c[(slice(None),) * ax + (slice(0, want),)]
        elif have < want:
            widths = [(0, 0)] * len(shape_of(c))
            widths[ax] = (0, want - have)
            c = np.pad(c, widths)
    return c


def _like_input(c, a):
    """Real input: the real part (its imaginary direction does not exist)."""
    dt = getattr(a, "dtype", None)
    if dt is not None and dt.kind != "c":
        return np.real(c)
    return c


def _complex_rule(transform, default_axes=None, one_axis=False):
    """Rule of ``fft``/``ifft`` (``one_axis``), ``fftn``/``ifftn``/``fft2``/``ifft2``:
    ``transform`` is the same transform applied to the cotangent."""
    def vjp_of(a, s, axes, norm):
        shape = shape_of(a)
        axes_, _ = _axes_and_sizes(shape, s, axes, default_axes)
        return lambda g: _like_input(_fit(transform(g, axes=axes_, norm=norm), shape,
                                          axes_), a)

    if one_axis:
        def maker(ans, a, n=None, axis=-1, norm=None, out=None):
            return vjp_of(a, None if n is None else (n,), (axis,), norm)
    else:
        def maker(ans, a, s=None, axes=None, norm=None, out=None):
            return vjp_of(a, s, axes, norm)
    return maker


for _name, _t, _default, _one in (
        ("fft.fft", "fftn", None, True), ("fft.ifft", "ifftn", None, True),
        ("fft.fftn", "fftn", None, False), ("fft.ifftn", "ifftn", None, False),
        ("fft.fft2", "fftn", (-2, -1), False), ("fft.ifft2", "ifftn", (-2, -1), False)):
    defvjp(_name, _complex_rule(lambda g, _t=_t, **kw: getattr(np.fft, _t)(g, **kw),
                                _default, _one))


# -- real transforms ----------------------------------------------------------------
def _rfft_vjp(g, a, s, axes, norm, default_axes=None):
    """Cotangent of ``a`` in ``rfftn(a, s, axes, norm)``."""
    shape = shape_of(a)
    axes_, sizes = _axes_and_sizes(shape, s, axes, default_axes)
    last = axes_[-1]
    n = sizes[-1] if sizes is not None else shape[last]
    # rfftn is the full fftn cropped to n // 2 + 1 bins on the last axis: pad back.
    full = _fit(g, shape_of(g)[:last] + (n,) + shape_of(g)[last + 1:], (last,))
    c = np.fft.fftn(full, axes=axes_, norm=norm)
    return _like_input(_fit(c, shape, axes_), a)


def _half_weights(n, m, dtype):
    """Weights of the half spectrum's ``m`` bins in an inverse transform of length n."""
    import numpy as _onp
    w = _onp.full(m, 2.0)
    w[0] = 1.0
    if n % 2 == 0 and m - 1 == n // 2:
        w[-1] = 1.0
    return np.array(w.astype(dtype))


def _irfft_vjp(g, a, s, axes, norm, default_axes=None):
    """Cotangent of ``a`` in ``irfftn(a, s, axes, norm)``."""
    shape = shape_of(a)
    axes_, sizes = _axes_and_sizes(shape, s, axes, default_axes)
    last = axes_[-1]
    n = sizes[-1] if sizes is not None else 2 * (shape[last] - 1)
    m = n // 2 + 1
    c = np.fft.ifft(g, axis=last, norm=norm)            # length n on the last axis
    c = c[(slice(None),) * last + (slice(0, m),)]
    w = _half_weights(n, m, "float64")
    c = c * np.reshape(w, (m,) + (1,) * (len(shape) - 1 - last))
    others = axes_[:-1]
    if others:
        c = np.fft.ifftn(c, axes=others, norm=norm)
    return _fit(c, shape, axes_)


def _one_axis(fun):
    def maker(ans, a, n=None, axis=-1, norm=None, out=None):
        return lambda g: fun(g, a, None if n is None else (n,), (axis,), norm)
    return maker


def _n_axes(fun, default_axes=None):
    def maker(ans, a, s=None, axes=None, norm=None, out=None):
        return lambda g: fun(g, a, s, axes, norm, default_axes)
    return maker


defvjp("fft.rfft", _one_axis(_rfft_vjp))
defvjp("fft.irfft", _one_axis(_irfft_vjp))
defvjp("fft.rfftn", _n_axes(_rfft_vjp))
defvjp("fft.irfftn", _n_axes(_irfft_vjp))
defvjp("fft.rfft2", _n_axes(_rfft_vjp, (-2, -1)))
defvjp("fft.irfft2", _n_axes(_irfft_vjp, (-2, -1)))


# hfft(a) = irfft(conj(a)) and ihfft(a) = conj(rfft(a)), with the norm's direction
# swapped (NumPy's own definitions).
def _hfft(ans, a, n=None, axis=-1, norm=None, out=None):
    return lambda g: np.conj(_irfft_vjp(g, a, None if n is None else (n,), (axis,),
                                        _SWAP[norm]))


def _ihfft(ans, a, n=None, axis=-1, norm=None, out=None):
    return lambda g: _rfft_vjp(np.conj(g), a, None if n is None else (n,), (axis,),
                               _SWAP[norm])


defvjp("fft.hfft", _hfft)
defvjp("fft.ihfft", _ihfft)

# -- shifts and frequencies ---------------------------------------------------------
defvjp("fft.fftshift", lambda ans, x, axes=None: lambda g: np.fft.ifftshift(g, axes))
defvjp("fft.ifftshift", lambda ans, x, axes=None: lambda g: np.fft.fftshift(g, axes))


def _freq_d(ans, n, d=1.0, *args, **kwargs):
    # fftfreq(n, d) = k / (n d): linear in 1 / d.
    return lambda g: np.sum(-g * ans / d)


defvjp("fft.fftfreq", None, _freq_d)
defvjp("fft.rfftfreq", None, _freq_d)
