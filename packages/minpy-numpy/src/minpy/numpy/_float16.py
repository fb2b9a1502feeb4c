"""float16 reductions on a device backend: where its result is NumPy's, and where only
NumPy's own float16 rounding decides.

float16 holds magnitudes up to 65504; anything from 65520 up rounds to infinity. NumPy
reduces float16 in float32 within one inner loop and rounds to float16 between inner
loops (a sum over a leading axis rounds after each row, ``var`` and ``norm`` along an
axis square in float16), so whether a reduction overflows depends on its loop order.
MXNet's and CuPy's kernels add in float32 throughout (or in float16 throughout), so at
the edges of the range they give finite values where NumPy gives ``inf``/``nan`` and
the reverse (``std([60000, 60000])``: NumPy ``inf``, MXNet ``nan``; ``norm([300,
300])``: NumPy ``inf``, MXNet 424).

A call on float16 data therefore first checks, on the device and in float32, that no
intermediate of NumPy's computation can leave float16's normal range (:func:`edge`).
Where none can, NumPy's result is finite and the device computes it in float32 (then
rounds once): the values agree within the accumulating-op tolerance. Where one might,
the call runs in NumPy (a fallback; 'only_mxnet'/'only_cupy' decline it), so ``inf``
and ``nan`` come out exactly where NumPy has them. The check is one or two reductions
of the operand, only for float16.

The bound behind the check: NumPy's float16 partial sums never exceed twice the sum of
the magnitudes added: rounding ``s + x`` to the nearest float16 moves it at most ``|x|``
(``s`` itself is a float16 candidate), so each step adds at most ``2 |x|``.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["GUARDED", "edge", "checked"]

F16 = np.dtype("float16")
#: The largest float16; values from 65520 up round to inf.
MAX = float(np.finfo(F16).max)
#: The smallest normal float16 (2**-14): below it float16 loses relative precision.
TINY = float(np.finfo(F16).tiny)
#: Partial sums are at most twice the sum of magnitudes (module docstring), plus the
#: float32 rounding of the check itself.
GROWTH = 2.01
#: A square of a float16 below this is finite (255.875**2 = 65472; 256**2 overflows).
SQUARE_LIMIT = 255.5
#: One float16 rounding, relative (2**-11), with room for the check's own float32 error.
_U = 2.0 ** -10

#: The reductions whose device kernels need the check, by kind.
GUARDED = {"sum": "sum", "cumsum": "sum", "trace": "all", "prod": "prod",
           "std": "var", "var": "var", "linalg.norm": "norm"}


def _largest(x) -> float:
    """The largest element of a backend array (a Python float; nan if any is nan)."""
    if x.ndim:
        x = x.max()
    return float(x)


def _smallest_positive(xp, x) -> float:
    """The smallest positive element of a backend array (inf when there is none)."""
    return -_largest(-xp.where(x > 0, x, float("inf")))


def _n_reduced(shape, axis) -> int:
    if axis is None:
        return math.prod(shape)
    axes = axis if isinstance(axis, tuple) else (axis,)
    return math.prod(shape[ax] for ax in axes)


def edge(xp, kind, a, axis=None, ddof=0):
    """Why NumPy's float16 computation of this reduction may leave float16's normal
    range (a reason for the fallback), or ``None`` when it cannot.

    ``xp`` is the backend's array namespace (``mx.np``, ``cupy``), ``a`` a float16
    array of it, ``kind`` one of :data:`GUARDED`'s values, ``axis`` the reduced axes.
    Non-finite elements always give a reason: NumPy's result is then a matter of its
    order of operations too (``inf - inf``)."""
    x = a.astype("float32")
    n = _n_reduced(a.shape, axis)
    if kind in ("sum", "all"):
        bound = _largest(xp.abs(x).sum(axis=None if kind == "all" else axis))
        if not GROWTH * bound < MAX:
            return "float16 partial sums may overflow (NumPy rounds between its loops)"
        return None
    if kind == "prod":
        # Every partial product lies between the product of the factors below 1 and
        # that of the factors above 1, give or take one rounding per step.
        logs = xp.log2(xp.abs(x))
        hi = _largest(xp.maximum(logs, 0).sum(axis=axis))
        lo = -_largest(-xp.minimum(logs, 0).sum(axis=axis))
        slack = n * math.log2(1 + _U)
        if not (hi + slack < math.log2(MAX) and lo - slack > math.log2(TINY)):
            return "float16 partial products may overflow or underflow"
        return None
    if kind == "var":
        keep = axis is not None
        total = _largest(xp.abs(x).sum(axis=axis))
        mean = x.mean(axis=axis, keepdims=True) if keep else x.mean()
        dev = xp.abs(x - mean)
        # NumPy's float16 mean is off by at most one rounding of the (bounded) sum and
        # one of the quotient: deviations from it are larger by that much at most.
        err = 2 * _U * total + _U * _largest(xp.abs(mean))
        widest = _largest(dev) + err
        sq = (dev * dev).sum(axis=axis)
        sq_hi = _largest(sq)
        grown = sq_hi + 2 * err * math.sqrt(n * max(sq_hi, 0.0)) + n * err * err
        small = _smallest_positive(xp, sq) < n * TINY
        if not (GROWTH * total < MAX and widest < SQUARE_LIMIT
                and GROWTH * grown * (1 + _U) < MAX):
            return "float16 sums or squares of deviations may overflow"
        if small:
            return "float16 squares of deviations underflow (subnormal variance)"
        if n - ddof <= 0:
            return "no degrees of freedom"
        return None
    if kind == "norm":
        sq = (x * x).sum(axis=axis)
        sq_hi = _largest(sq)
        small = _smallest_positive(xp, sq) < TINY
        if not (_largest(xp.abs(x)) < SQUARE_LIMIT and GROWTH * sq_hi * (1 + _U) < MAX):
            return "float16 squares or their sum may overflow"
        if small:
            return "float16 sum of squares is subnormal"
        return None
    raise ValueError(f"unknown float16 reduction kind {kind!r}")


def _axis_and_ddof(name, args, kwargs):
    """The reduced axes and ``ddof`` of a call ``fn(a, *args, **kwargs)`` of a table
    reduction (the positional order of NumPy's signatures)."""
    if name == "trace":
        return None, 0
    if name == "linalg.norm":  # norm(x, ord=None, axis=None, keepdims=False)
        axis = kwargs.get("axis", args[1] if len(args) > 1 else None)
    else:                      # sum(a, axis=None, ...), std(a, axis, dtype, out, ddof)
        axis = kwargs.get("axis", args[0] if args else None)
    if isinstance(axis, list):
        axis = tuple(axis)
    ddof = kwargs.get("ddof", args[3] if name in ("std", "var") and len(args) > 3 else 0)
    return axis, ddof or 0


def checked(name, load, namespace, native=False):
    """Wrap the backend loader ``load(module) -> fn`` of reduction ``name`` so that a
    float16 call raises ``Rejected`` at the edges of the range (NumPy runs it) and is
    otherwise computed in float32 and rounded once (``native``: by the kernel itself,
    for a kernel that already rounds as NumPy does). ``namespace(module)`` is the
    backend's array namespace."""
    kind = GUARDED[name]

    def loader(module):
        fn = load(module)
        xp = namespace(module)
        from ._dispatch import Rejected

        def run(a, *args, **kwargs):
            if getattr(a, "dtype", None) != F16:
                return fn(a, *args, **kwargs)
            axis, ddof = _axis_and_ddof(name, args, kwargs)
            reason = edge(xp, kind, a, axis, ddof)
            if reason is not None:
                raise Rejected(reason)
            if native:
                return fn(a, *args, **kwargs)
            return fn(a.astype("float32"), *args, **kwargs).astype("float16")
        return run
    return loader
