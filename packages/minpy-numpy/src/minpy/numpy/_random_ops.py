"""MXNet's samplers for ``minpy.numpy.random``: the table entries MXNet draws, on the
current device (part of the MXNet backend's implementations, :mod:`._ops`).

Float samplers give the default float dtype (float64 unless set otherwise), as NumPy
does; MXNet is told the dtype explicitly, since its own default is float32.
"""

from __future__ import annotations

import numpy as np

from minpy.core import get_default_float_dtype

from ._ops import mx_impl, register


def _float(dtype=None):
    return get_default_float_dtype() if dtype is None else np.dtype(dtype)


def _float_result(fn):
    def run(*args, **kwargs):
        out = fn(*args, **kwargs)
        if isinstance(out, (np.ndarray, float)) and np.asarray(out).dtype == np.float64:
            out = np.asarray(out, dtype=get_default_float_dtype())
        return out
    run.__name__ = fn.__name__
    return run


def _sampler(name, mx_call, dtype=None):
    register("random." + name, lambda mx: (lambda *a, ctx=None, **k: mx_call(mx, ctx, *a, **k)),
             numpy=_float_result(getattr(np.random, name)), arrays=(), cast=None,
             kind="random", kwargs=("size",) + (("dtype",) if name == "randint" else ()),
             dtype=dtype or (lambda args, kw: _float()))


_sampler("uniform", lambda mx, ctx, low=0.0, high=1.0, size=None: mx.np.random.uniform(
    low, high, size=size, dtype=_float(), ctx=ctx))
_sampler("normal", lambda mx, ctx, loc=0.0, scale=1.0, size=None: mx.np.random.normal(
    loc, scale, size=size, dtype=_float(), ctx=ctx))
_sampler("rand", lambda mx, ctx, *shape: mx.np.random.uniform(
    0.0, 1.0, size=shape or None, dtype=_float(), ctx=ctx))
_sampler("randn", lambda mx, ctx, *shape: mx.np.random.normal(
    0.0, 1.0, size=shape or None, dtype=_float(), ctx=ctx))
_sampler("randint", lambda mx, ctx, low, high=None, size=None, dtype=int: mx.np.random.randint(
    low if high is not None else 0, high if high is not None else low, size=size,
    dtype=np.dtype(dtype), ctx=ctx),
    dtype=lambda args, kw: np.dtype(kw.get("dtype", int)))
# MXNet's randint makes int32/int64 only.
mx_impl("random.randint").accepts = lambda args, kw: np.dtype(kw.get("dtype", int)) in (
    np.dtype("int32"), np.dtype("int64"))


def _with_dtype(name, params):
    """Samplers whose MXNet versions take a dtype (the default float dtype is passed)."""
    def call(mx, ctx, *args, size=None):
        return getattr(mx.np.random, name)(*args, size=size, dtype=_float(), ctx=ctx)
    _sampler(name, call)
    mx_impl("random." + name).accepts = lambda args, kw: len(args) == params and all(
        isinstance(a, (int, float)) for a in args)


for _name, _n in (("gamma", 2), ("beta", 2), ("lognormal", 2)):
    _with_dtype(_name, _n)
# chisquare(df) is gamma(df / 2, scale=2). MXNet 1.9.1's own chisquare samples
# gamma(df / 2, scale=1/2) (mean df / 4, found by conformance/test_random_stats.py), so
# its gamma kernel draws it.
_sampler("chisquare", lambda mx, ctx, df, size=None: mx.np.random.gamma(
    df / 2.0, 2.0, size=size, dtype=_float(), ctx=ctx))
mx_impl("random.chisquare").accepts = lambda args, kw: len(args) == 1 and isinstance(
    args[0], (int, float))
