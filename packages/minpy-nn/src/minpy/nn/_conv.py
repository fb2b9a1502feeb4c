"""Convolution and pooling for NCHW batches, differentiable on every device.

Two implementations of the same functions:

* **MXNet kernels** (``Convolution``/``Pooling``), run through a cached
  :class:`minpy.symbol.Function` per layer configuration, on MXNet's devices (the CPU,
  and the GPUs its wheels have kernels for: a GPU whose first MXNet call fails is
  served by im2col from then on) when MXNet is installed and the policy is not
  ``'only_numpy'``;
* **im2col** in plain :mod:`minpy.numpy`: ``KH*KW`` strided slices of the padded input,
  stacked and contracted with the filters by one ``tensordot``. It runs wherever
  ``minpy.numpy`` runs (NumPy on the host, CuPy-backed GPUs MXNet cannot use) and
  differentiates through autograd's slicing and ``tensordot`` rules.

``implementation='auto'|'mxnet'|'im2col'`` chooses explicitly; both give the same
numbers up to rounding (a test checks it).
"""

from __future__ import annotations

import threading

import minpy.numpy as np
from minpy.core import _mxnet
from minpy.core import backend as backends

__all__ = ["conv2d", "max_pool", "avg_pool"]

_cache: dict = {}
_lock = threading.Lock()


def _pair(v, name):
    if isinstance(v, int):
        return (v, v)
    t = tuple(int(i) for i in v)
    if len(t) != 2:
        raise ValueError(f"{name} must be an int or a pair, got {v!r}")
    return t


#: The backends this module has conv/pool kernels of (:func:`_function` builds them as
#: a :class:`minpy.symbol.Function`): ``implementation`` may name one of them.
_KERNEL_BACKENDS = (_mxnet.BACKEND,)
#: The other explicit choice: plain ``minpy.numpy``, on whatever backend it runs.
IM2COL = "im2col"


def _choices():
    names = ["'auto'"] + [repr(b.name) for b in _KERNEL_BACKENDS]
    return f"{', '.join(names)} or {IM2COL!r}"


def _use_kernels(implementation, x):
    """Whether a backend's conv/pool kernels run (else im2col): ``implementation``
    (``'auto'``, the name of a backend in :data:`_KERNEL_BACKENDS`, or ``'im2col'``)
    resolved through the backend registry."""
    if implementation == IM2COL:
        return False
    explicit = None
    if implementation != "auto":
        explicit = backends.find(implementation) if isinstance(implementation, str) else None
        if not any(explicit is b for b in _KERNEL_BACKENDS):
            raise ValueError(f"implementation must be {_choices()}, not {implementation!r}")
        try:
            explicit.require()
        except ImportError as e:
            raise ImportError(f"implementation={implementation!r} needs {explicit.label}: "
                              f"{e}") from e
        return True
    be = _mxnet.BACKEND
    if not be.available():
        return False
    from minpy.core import current_device
    from minpy.numpy import get_policy
    if get_policy().name == "only_numpy" or x.dtype.kind != "f":
        return False
    dev = current_device()
    if not dev.is_gpu:
        return be.serves_cpu
    # the kernels only where their backend serves the GPU (on a GPU another backend
    # serves, MXNet would compute on the CPU, through two copies: im2col runs there)
    return dev.backend is be and _gpu_ok(dev)


#: GPUs where an MXNet kernel failed (MXNet 1.9.1's CUDA wheels carry kernels up to
#: sm_86 only: on newer GPUs the first call fails); im2col serves them from then on.
_kernel_failed: set = set()


def _gpu_ok(dev):
    return dev not in _kernel_failed


def _run_kernels(fn, implementation, kwargs):
    """``fn(**kwargs)``; on a GPU where MXNet's kernel fails under 'auto', None (and the
    device is remembered) so the caller runs im2col instead."""
    from minpy.core import current_device
    dev = current_device()
    if implementation != "auto" or not dev.is_gpu:
        return fn(**kwargs)
    try:
        return fn(**kwargs)
    except Exception:   # e.g. "no kernel image is available for execution on the device"
        _kernel_failed.add(dev)
        return None


def _function(key, build):
    fn = _cache.get(key)
    if fn is None:
        with _lock:
            fn = _cache.get(key)
            if fn is None:
                from minpy.symbol import Function
                fn = _cache[key] = Function(build(_mxnet.BACKEND.require()), name=key[0])
    return fn


def _out_size(size, k, s, p, layer):
    out = (size + 2 * p - k) // s + 1
    if out <= 0:
        raise ValueError(f"{layer}: window {k} with stride {s} and padding {p} does not "
                         f"fit an input of size {size}")
    return out


def _windows(x, kh, kw, sh, sw, ph, pw, oh, ow, fill=0.0):
    """(N, C, KH*KW, OH, OW): every window offset of the padded input, stacked."""
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), mode="constant",
                   constant_values=fill)
    cols = [x[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]
            for i in range(kh) for j in range(kw)]
    return np.stack(cols, axis=2)


def _check4(x, layer):
    if x.ndim != 4:
        raise ValueError(f"{layer}: expected input of shape (N, C, H, W), got "
                         f"{tuple(x.shape)}")


def conv2d(x, w, b=None, stride=1, pad=0, implementation="auto"):
    """2-d convolution (cross-correlation, as in every DL framework).

    Parameters
    ----------
    x : array, shape (N, C, H, W)
    w : array, shape (F, C, KH, KW)
    b : array, shape (F,), optional
    stride, pad : int or pair
    implementation : {'auto', 'mxnet', 'im2col'}
        See the module notes.

    Returns
    -------
    array, shape (N, F, OH, OW)
        ``OH = (H + 2 * pad - KH) // stride + 1``, likewise OW.
    """
    _check4(x, "conv2d")
    if w.ndim != 4 or int(w.shape[1]) != int(x.shape[1]):
        raise ValueError(f"conv2d: filters must have shape (F, C={int(x.shape[1])}, KH, KW), "
                         f"got {tuple(w.shape)} for input {tuple(x.shape)}")
    F, C, kh, kw = (int(d) for d in w.shape)
    if b is not None and tuple(b.shape) != (F,):
        raise ValueError(f"conv2d: bias must have shape ({F},), got {tuple(b.shape)}")
    sh, sw = _pair(stride, "stride")
    ph, pw = _pair(pad, "pad")
    N, _, H, W = (int(d) for d in x.shape)
    oh = _out_size(H, kh, sh, ph, "conv2d")
    ow = _out_size(W, kw, sw, pw, "conv2d")
    if _use_kernels(implementation, x):
        key = ("conv2d", F, kh, kw, sh, sw, ph, pw, b is None)

        def build(mx):
            v = mx.sym.Variable
            args = dict(data=v("data"), weight=v("weight"), kernel=(kh, kw),
                        stride=(sh, sw), pad=(ph, pw), num_filter=F, no_bias=b is None)
            if b is not None:
                args["bias"] = v("bias")
            return mx.sym.Convolution(**args)

        args = dict(data=x, weight=w) if b is None else dict(data=x, weight=w, bias=b)
        out = _run_kernels(_function(key, build), implementation, args)
        if out is not None:
            return out
    cols = _windows(x, kh, kw, sh, sw, ph, pw, oh, ow)        # (N, C, K, OH, OW)
    cols = np.reshape(cols, (N, C * kh * kw, oh, ow))
    out = np.tensordot(np.reshape(w, (F, C * kh * kw)), cols, axes=([1], [1]))
    out = np.transpose(out, (1, 0, 2, 3))                      # (N, F, OH, OW)
    if b is not None:
        out = out + np.reshape(b, (1, F, 1, 1))
    return out


def _pool(x, kind, pool_size, stride, pad, implementation):
    layer = f"{kind}_pool"
    _check4(x, layer)
    kh, kw = _pair(pool_size, "pool_size")
    sh, sw = _pair(pool_size if stride is None else stride, "stride")
    ph, pw = _pair(pad, "pad")
    N, C, H, W = (int(d) for d in x.shape)
    oh = _out_size(H, kh, sh, ph, layer)
    ow = _out_size(W, kw, sw, pw, layer)
    if _use_kernels(implementation, x):
        key = (layer, kh, kw, sh, sw, ph, pw)

        def build(mx):
            # 'valid' convention: the output size formula above, as the im2col path.
            return mx.sym.Pooling(mx.sym.Variable("data"), kernel=(kh, kw),
                                  stride=(sh, sw), pad=(ph, pw), pool_type=kind,
                                  pooling_convention="valid", count_include_pad=True)

        out = _run_kernels(_function(key, build), implementation, {"data": x})
        if out is not None:
            return out
    fill = float("-inf") if kind == "max" else 0.0
    win = _windows(x, kh, kw, sh, sw, ph, pw, oh, ow, fill=fill)
    return np.max(win, axis=2) if kind == "max" else np.mean(win, axis=2)


def max_pool(x, pool_size=(2, 2), stride=None, pad=0, implementation="auto"):
    """Max pooling over ``pool_size`` windows (``stride`` defaults to ``pool_size``);
    x (N, C, H, W) -> (N, C, OH, OW). Padding counts as minus infinity."""
    return _pool(x, "max", pool_size, stride, pad, implementation)


def avg_pool(x, pool_size=(2, 2), stride=None, pad=0, implementation="auto"):
    """Average pooling over ``pool_size`` windows (``stride`` defaults to
    ``pool_size``); padding counts as zeros in the average (MXNet's default)."""
    return _pool(x, "avg", pool_size, stride, pad, implementation)
