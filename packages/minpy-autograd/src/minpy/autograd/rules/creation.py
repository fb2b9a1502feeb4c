"""Rules of the creation functions whose values depend on float arguments:
``linspace``/``logspace``/``geomspace`` (in ``start`` and ``stop``), ``arange`` (in
``start`` and ``step``), ``full`` and ``full_like`` (in ``fill_value``), and the
location-scale samplers of ``numpy.random`` (pathwise: a draw ``loc + scale * z`` has
the gradient ``z`` in ``scale``, with ``z`` read back from the draw)."""

from __future__ import annotations

import numpy as _onp

from ._util import defvjp, np, shape_of, unbroadcast


# -- linspace and friends -------------------------------------------------------------
def _space_t(num, endpoint):
    div = (num - 1) if endpoint else num
    t = _onp.arange(num, dtype=float) / div if div > 0 else _onp.zeros(num)
    return t


def _space_parts(ans, start, stop, num, endpoint, axis):
    """``(t as an array broadcasting along the output's axis, the axis)``."""
    samples = ans[0] if isinstance(ans, tuple) else ans
    nd = len(shape_of(samples))
    ax = axis % nd if nd else 0
    t = _space_t(num, endpoint)
    return np.reshape(np.array(t), (num,) + (1,) * (nd - 1 - ax)), ax


def _linspace_maker(which):
    def maker(ans, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0,
              **kw):
        t, ax = _space_parts(ans, start, stop, num, endpoint, axis)
        div = (num - 1) if endpoint else num
        me = start if which == 0 else stop

        def vjp(g):
            gs, gstep = (g[0], g[1]) if retstep else (g, None)
            w = (1.0 - t) if which == 0 else t
            r = unbroadcast(np.sum(gs * w, axis=ax), me)
            if gstep is not None and div > 0:
                r = r + unbroadcast(gstep * ((-1.0 if which == 0 else 1.0) / div), me)
            return r
        return vjp
    return maker


defvjp("linspace", _linspace_maker(0), _linspace_maker(1))


def _logspace_maker(which):
    def maker(ans, start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
        t, ax = _space_parts(ans, start, stop, num, endpoint, axis)
        me = start if which == 0 else stop
        w = (1.0 - t) if which == 0 else t
        # ans = base ** linspace(start, stop)
        return lambda g: unbroadcast(np.sum(g * ans * w, axis=ax) * _onp.log(base), me)
    return maker


defvjp("logspace", _logspace_maker(0), _logspace_maker(1))


def _geomspace_maker(which):
    def maker(ans, start, stop, num=50, endpoint=True, dtype=None, axis=0):
        t, ax = _space_parts(ans, start, stop, num, endpoint, axis)
        me = start if which == 0 else stop
        w = (1.0 - t) if which == 0 else t
        nd = len(shape_of(ans))
        # ans = start^(1-t) stop^t (signs kept): d/dstart = (1 - t) ans / start
        me_b = np.expand_dims(me, ax) if len(shape_of(me)) and nd > 1 else me
        return lambda g: unbroadcast(np.sum(g * ans * w / me_b, axis=ax), me)
    return maker


defvjp("geomspace", _geomspace_maker(0), _geomspace_maker(1))


def _arange_maker(which):
    # arange(start, stop, step): element k is start + k * step; the length is a
    # piecewise-constant function of the arguments.
    def maker(ans, *args, **kwargs):
        n = shape_of(ans)[0]
        k = np.arange(n, dtype="float64")
        if len(args) == 1 and "stop" not in kwargs:   # arange(stop): 0, 1, ...
            return lambda g: 0.0 * np.sum(g)
        if which == 0:
            return lambda g: np.sum(g)
        if which == 1:
            return lambda g: 0.0 * np.sum(g)
        return lambda g: np.sum(g * k)
    return maker


defvjp("arange", _arange_maker(0), _arange_maker(1), _arange_maker(2))
defvjp("full", lambda ans, shape, fill_value, *a, **k: lambda g: unbroadcast(g, fill_value),
       argnums=(1,))
defvjp("full_like",
       lambda ans, a, fill_value, *args, **kw: lambda g: unbroadcast(g, fill_value),
       argnums=(1,))


# -- pathwise gradients of location-scale samplers ------------------------------------
def _const(x):
    """The value of ``x`` with every trace removed: the standardised draw is a constant
    of the sampler's parameters (that is what makes the gradient pathwise)."""
    from minpy.core.tracing import unbox_all
    return unbox_all(x)


def _loc(ans, loc=0.0, scale=1.0, size=None):
    return lambda g: unbroadcast(g, loc)


def _scale(ans, loc=0.0, scale=1.0, size=None):
    z = (_const(ans) - _const(loc)) / _const(scale)
    return lambda g: unbroadcast(g * z, scale)


for _name in ("random.normal", "random.laplace", "random.logistic", "random.gumbel"):
    defvjp(_name, _loc, _scale)


def _uniform_u(ans, low, high):
    return (_const(ans) - _const(low)) / (_const(high) - _const(low))


def _uniform_low(ans, low=0.0, high=1.0, size=None):
    u = _uniform_u(ans, low, high)
    return lambda g: unbroadcast(g * (1.0 - u), low)


def _uniform_high(ans, low=0.0, high=1.0, size=None):
    u = _uniform_u(ans, low, high)
    return lambda g: unbroadcast(g * u, high)


defvjp("random.uniform", _uniform_low, _uniform_high)


def _pure_scale(ans, scale=1.0, size=None):
    z = _const(ans) / _const(scale)
    return lambda g: unbroadcast(g * z, scale)


for _name in ("random.exponential", "random.rayleigh"):
    defvjp(_name, _pure_scale)


def _lognormal_mean(ans, mean=0.0, sigma=1.0, size=None):
    return lambda g: unbroadcast(g * ans, mean)


def _lognormal_sigma(ans, mean=0.0, sigma=1.0, size=None):
    z = (np.log(_const(ans)) - _const(mean)) / _const(sigma)
    return lambda g: unbroadcast(g * ans * z, sigma)


defvjp("random.lognormal", _lognormal_mean, _lognormal_sigma)
