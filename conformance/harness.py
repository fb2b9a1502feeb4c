"""Running one :class:`strategies.Call` through NumPy and through ``minpy.numpy``, and
judging the two: exception type, result structure, dtype (exactly), shape (exactly) and
values, with tolerances that follow the op's numerics (:func:`value_bound`).

Every example ends in exactly one :class:`Outcome`; a :class:`Tally` per test counts
them, so an example that compared nothing is counted and shown with its reason, never
passed silently, and the test fails when nothing at all was compared. Under
'prefer_mxnet' and 'only_mxnet' the tally also counts which examples MinPy actually ran
on MXNet (the op statistics of :mod:`minpy.numpy.policy`), for the per-op backend share
asserted by ``test_ops.py``.

Value tolerances (``docs/deviations.rst`` states them; ``test_coverage.py`` checks the
page against :data:`ULPS`/:data:`BACKWARD_ULPS`/:data:`ACCUMULATE`/:data:`LINALG`):

* exact ops (shape ops, indexing, copies, casts, max/min, comparisons, integer and bool
  results): bit-equal values (NaN positions equal, -0.0 == 0.0);
* elementwise float ops: the implementation must be *backward stable*: for each element,
  ``|res - ref| <= ULPS ulp(ref) + max |f(x (1 +- BACKWARD_ULPS eps)) - f(x)|`` (eps of
  the input dtype; of float32 for float16, which both backends compute in float32), i.e.
  MinPy's result is NumPy's on inputs perturbed by a few ulps, give or take a few ulps of
  output. The second term is the op's own conditioning at that input, measured by
  NumPy in float64 on perturbed inputs; it is zero where ``f`` is flat and large only
  where ``f`` is ill-conditioned (cancellation in ``a - b``, ``sin`` of huge ``x``);
* accumulating ops (sums, products, means, dot-like, norms, polynomials): the classic
  summation bound ``ACCUMULATE * n * eps * f(|x|)`` (``f`` applied to the absolute
  values: ``sum|x|``, ``|A| |B|``, ...), n the number of terms;
* linear algebra: norm-wise, ``||res - ref|| <= LINALG * n * eps * cond(A) * ||ref||``.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from numpy.testing import assert_array_equal

import minpy.core as core
import minpy.numpy as mnp
from minpy.core import Array
from minpy.core.convert import to_host
from minpy.numpy._table import TABLE

#: Output error allowed on top of the conditioning term, in ulps of NumPy's result.
ULPS = 4
#: Input perturbation of the backward-stability criterion, in ulps of each input.
BACKWARD_ULPS = 4
#: Multiplier of ``n * eps * f(|x|)`` for accumulating ops.
ACCUMULATE = 2
#: Multiplier of ``n * eps * cond(A) * ||ref||`` for linear algebra.
LINALG = 10

#: (op, reason) -> count of calls 'only_mxnet' could not run (NotImplementedError).
NOT_IMPLEMENTED: Counter = Counter()

#: (op, input dtypes) -> count of MXNet kernel errors under 'only_mxnet' on calls NumPy
#: accepts (the op's ``accepts`` let them through: candidates for a tighter one).
MX_ERRORS: Counter = Counter()

#: Every finished :class:`Tally` of the session, for the report file.
TALLIES: list = []


# -- outcomes -----------------------------------------------------------------------------
COMPARED = "compared values"
RAISED_ALIKE = "both raised the same exception type"


@dataclass
class Tally:
    """What the examples of one test did: outcomes, and where MinPy ran them."""

    name: str
    policy: str
    device: str
    outcomes: Counter = field(default_factory=Counter)
    accepted: int = 0      # examples NumPy accepted
    on_mxnet: int = 0      # ... of which MinPy ran the op itself on MXNet
    recorded: bool = False  # whether on_mxnet was counted (prefer/only_mxnet)
    fallbacks: Counter = field(default_factory=Counter)  # why examples left MXNet

    def add(self, outcome, accepted, on_mxnet):
        self.outcomes[outcome] += 1
        self.accepted += bool(accepted)
        self.on_mxnet += bool(on_mxnet)

    @property
    def compared(self):
        return self.outcomes[COMPARED] + self.outcomes[RAISED_ALIKE]

    @property
    def not_compared(self):
        return sum(n for k, n in self.outcomes.items() if k not in (COMPARED, RAISED_ALIKE))

    def share(self):
        return self.on_mxnet / self.accepted if self.accepted else 0.0

    def line(self):
        head = (f"{self.name:<22}{self.policy:<13}{self.device:<5}"
                f"{self.outcomes[COMPARED]:>5} values {self.outcomes[RAISED_ALIKE]:>4} "
                f"exceptions {self.not_compared:>4} not compared")
        if self.recorded:
            head += f"  on MXNet {self.on_mxnet}/{self.accepted}"
            if self.fallbacks:
                head += "  {fell back: " + "; ".join(
                    f"{n}x {k}" for k, n in self.fallbacks.most_common(4)) + "}"
        reasons = [f"{n}x {k}" for k, n in sorted(self.outcomes.items())
                   if k not in (COMPARED, RAISED_ALIKE)]
        return head + (("  [" + "; ".join(reasons) + "]") if reasons else "")


def _dtypes_of(args):
    out = []
    for a in args:
        for x in (a if isinstance(a, (list, tuple)) else [a]):
            if isinstance(x, np.ndarray):
                out.append(str(x.dtype))
    return ",".join(out)


def _function(module, name):
    """``name`` in ``module`` (dotted for submodules); the table's two non-NumPy names
    are the operations they stand for."""
    if name == "getitem":
        return lambda a, key: a[key]
    if name == "astype":
        return lambda a, dtype: a.astype(dtype)
    obj = module
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def numpy_ref(name):
    return _function(np, name)


def minpy_fn(name):
    return _function(mnp, name)


def has_mxnet_kernel(name):
    op = TABLE.get(name)
    return op is not None and "mxnet" in op.impls


from minpy.numpy._cupy_ops import cupy_holdable  # noqa: E402


def to_minpy(x, device, resident):
    """NumPy arrays in ``x`` (nested in lists/tuples) as Arrays on ``device``; with
    ``resident`` those the device's backend can hold are moved to its form first (the
    MXNet form; the CuPy form on a GPU CuPy serves)."""
    if isinstance(x, np.ndarray):
        a = Array._from_host(x.copy(), device)
        if resident and device.kind == "gpu" and device.backend == "cupy":
            if cupy_holdable(x.dtype):
                a._cp_value()
                a._host = None
        elif resident and core.mx_holdable(x.dtype):
            a._mx_value()
            a._host = None
        return a
    if type(x) in (list, tuple):
        return type(x)(to_minpy(v, device, resident) for v in x)
    return x


def _norm(x):
    """Results as NumPy values: Arrays -> ndarrays, sequences (incl. named tuples) ->
    lists, scalars -> 0-d arrays."""
    if isinstance(x, Array):
        assert x.dtype == x._host_value().dtype, "Array.dtype differs from its data"
        assert x.shape == x._host_value().shape, "Array.shape differs from its data"
        return to_host(x)
    if isinstance(x, (tuple, list)):
        return [_norm(v) for v in x]
    if isinstance(x, np.ndarray):
        return x
    return np.asarray(x)


def _ref_norm(x):
    if isinstance(x, (tuple, list)):
        return [_ref_norm(v) for v in x]
    return np.asarray(x)


class _Fallbacks(logging.Handler):
    """Collects the fallback messages of :mod:`minpy.numpy.policy` (mode 'log')."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.reasons = []

    def emit(self, record):
        text = record.getMessage()
        self.reasons.append(re.sub(r"\d+", "N", text.split(": ", 1)[-1])[:90])


@contextlib.contextmanager
def _collect_fallbacks():
    log = logging.getLogger("minpy.fallback")
    handler = _Fallbacks()
    saved = (log.level, log.propagate)
    log.setLevel(logging.INFO)
    log.propagate = False
    log.addHandler(handler)
    try:
        with mnp.fallback_mode("log"):
            yield handler.reasons
    finally:
        log.removeHandler(handler)
        log.setLevel(saved[0])
        log.propagate = saved[1]


def call_both(name, call, policy_name, device, resident=False, record=False, ref_fn=None,
              res_fn=None):
    """Run ``call`` in NumPy and in MinPy; return (ref, res, ref_exc, res_exc), and with
    ``record`` two more: whether MinPy ran ``name`` itself on MXNet, and the reasons
    of the fallbacks it took. ``ref_fn``/``res_fn`` replace the functions of ``name``
    (``test_methods.py``: the array methods of that name, on the same arguments)."""
    reasons = []
    ref = res = ref_exc = res_exc = None
    on_mxnet = False
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            ref = (ref_fn or numpy_ref(name))(*call.args, **call.kwargs)
        except Exception as exc:  # noqa: BLE001
            ref_exc = exc
        margs = to_minpy(call.args, device, resident)
        mkw = to_minpy(call.kwargs, device, resident)
        # Recording turns off the CPU fast path of 'auto'/'only_numpy': only the
        # MXNet-bound policies are recorded.
        scope = mnp.record_op_stat() if record else contextlib.nullcontext()
        collect = _collect_fallbacks() if record else contextlib.nullcontext([])
        with mnp.policy(policy_name), core.device(device), scope, collect as reasons:
            try:
                res = (res_fn or minpy_fn(name))(*margs, **mkw)
            except Exception as exc:  # noqa: BLE001
                res_exc = exc
            if record:
                calls = mnp.op_stats()["calls"]
                # the device backend: MXNet, or CuPy on a GPU CuPy serves
                on_mxnet = (calls.get((name, "mxnet"), (0,))[0] > 0
                            or calls.get((name, "cupy"), (0,))[0] > 0)
    if record:
        return ref, res, ref_exc, res_exc, on_mxnet, reasons
    return ref, res, ref_exc, res_exc


def _reason(exc):
    text = str(exc)
    m = re.search(r"\((.*)\) and the policy", text)
    if m:
        return re.sub(r"\d+", "N", m.group(1))[:100]
    return "no MXNet implementation" if "no MXNet implementation" in text else text[:60]


def check(name, call, policy_name, device, resident=False, tally=None, ref_fn=None,
          res_fn=None):
    """Judge one example; return its outcome (:data:`COMPARED`, :data:`RAISED_ALIKE`
    or the reason it compared nothing) and add it to ``tally``."""
    record = tally is not None and tally.recorded
    out = call_both(name, call, policy_name, device, resident, record=record,
                    ref_fn=ref_fn, res_fn=res_fn)
    ref, res, ref_exc, res_exc = out[:4]
    on_mxnet = out[4] if record else False
    if record and ref_exc is None and not on_mxnet:
        tally.fallbacks.update(set(out[5]))
    outcome = _judge(name, call, policy_name, ref, res, ref_exc, res_exc)
    if tally is not None:
        tally.add(outcome, ref_exc is None, on_mxnet)
    return outcome


def _judge(name, call, policy_name, ref, res, ref_exc, res_exc):
    if isinstance(res_exc, NotImplementedError) and policy_name in (
            "only_mxnet", "only_cupy") and policy_name in str(res_exc):
        reason = _reason(res_exc)
        NOT_IMPLEMENTED[(name, reason)] += 1
        backend = "MXNet" if policy_name == "only_mxnet" else "CuPy"
        if f"{backend} raised" in str(res_exc):
            MX_ERRORS[(name, _dtypes_of(call.args))] += 1
            if ref_exc is None:
                return f"{backend} raised on input NumPy accepts: " + reason
        if ref_exc is not None:
            return f"NumPy raised; '{policy_name}' declined: " + reason
        return f"'{policy_name}' declined: " + reason
    if ref_exc is not None:
        assert res_exc is not None, (
            f"NumPy raised {type(ref_exc).__name__}: {ref_exc}, MinPy returned {res!r}")
        assert isinstance(res_exc, type(ref_exc)), (
            f"NumPy raised {type(ref_exc).__name__}: {ref_exc}; MinPy raised "
            f"{type(res_exc).__name__}: {res_exc}")
        return RAISED_ALIKE
    if res_exc is not None:
        raise AssertionError(f"NumPy succeeded, MinPy raised {type(res_exc).__name__}: "
                             f"{res_exc}") from res_exc
    compare(call, _ref_norm(ref), _norm(res), call.check, call.rtol_scale, call.info,
            name=name)
    return COMPARED


# -- comparing values ---------------------------------------------------------------------
def compare(call, ref, res, how="values", scale=1.0, info=None, name=None):
    if isinstance(ref, list):
        assert isinstance(res, list) and len(res) == len(ref), (
            f"structure: NumPy gave {len(ref)} results, MinPy {res!r}")
        if how == "eigh":
            return _check_eigh(call, ref, res)
        if how == "svd":
            return _check_svd(call, ref, res)
        if how == "qr":
            return _check_qr(call, ref, res)
        if call.tol in ("linalg", "linalg_out"):
            for r, m in zip(ref, res):
                _same_meta(r, m)
            return _check_linalg_list(call, ref, res, name)
        for r, m in zip(ref, res):
            compare(call, r, m, how, scale, info, name=None)
        return
    _same_meta(ref, res)
    if how == "meta":
        return
    if how == "random":
        lo_hi = (info or {}).get("range")
        if lo_hi is not None and res.size:
            assert res.min() >= lo_hi[0] and res.max() <= lo_hi[1], (res.min(), res.max())
        return
    if how == "argsort":
        return _check_argsort(call, ref, res)
    if ref.dtype.kind not in "fc" or call.tol == "exact":
        assert_array_equal(res, ref)
        return
    bound = value_bound(call, ref, name)
    _within(res, ref, bound, call.tol)


def _same_meta(ref, res):
    assert isinstance(res, np.ndarray), f"MinPy returned {type(res)}"
    assert res.dtype == ref.dtype, f"dtype: NumPy {ref.dtype}, MinPy {res.dtype}"
    assert res.shape == ref.shape, f"shape: NumPy {ref.shape}, MinPy {res.shape}"


def _within(res, ref, bound, what):
    """``|res - ref| <= bound`` elementwise, NaN and infinity positions (and signs) equal."""
    r = ref.astype(np.complex128 if ref.dtype.kind == "c" else np.float64)
    m = res.astype(r.dtype)
    nan_r, nan_m = np.isnan(r), np.isnan(m)
    assert_array_equal(nan_m, nan_r, err_msg="NaN positions differ")
    inf_r = np.isinf(r)
    assert_array_equal(m[inf_r], r[inf_r], err_msg="infinities differ")
    ok = ~(nan_r | inf_r)
    with np.errstate(all="ignore"):
        err = np.abs(m - r)
    bad = ok & ~(err <= np.broadcast_to(bound, r.shape))
    if bad.any():
        i = tuple(np.argwhere(bad)[0]) if r.ndim else ()
        raise AssertionError(
            f"values ({what} tolerance): {int(bad.sum())} of {r.size} elements differ; "
            f"first at {i}: NumPy {r[i]!r}, MinPy {m[i]!r}, |diff| {err[i]!r} > bound "
            f"{np.broadcast_to(bound, r.shape)[i]!r}")


def _eps(dtype):
    dt = np.dtype(dtype)
    if dt.kind == "c":
        dt = np.dtype(f"f{dt.itemsize // 2}")
    return float(np.finfo(dt).eps) if dt.kind == "f" else 0.0


def _ulp(ref):
    """One ulp of each element of ``ref`` in its own dtype (of the real part's type)."""
    real = ref.real if ref.dtype.kind == "c" else ref
    a = np.abs(real).astype(real.dtype)
    with np.errstate(all="ignore"):
        u = np.spacing(a).astype(np.float64)
    if ref.dtype.kind == "c":
        im = np.abs(ref.imag)
        u = np.maximum(u, np.spacing(im).astype(np.float64))
    return np.where(np.isfinite(u), u, 0.0)


def _arrays(args):
    for a in args:
        if isinstance(a, np.ndarray):
            yield a
        elif isinstance(a, (list, tuple)):
            yield from _arrays(a)


def _n_terms(call):
    sizes = [x.size for x in _arrays(call.args)] + [1]
    return max(sizes)


def value_bound(call, ref, name):
    """The elementwise error bound for a float result ``ref`` of ``call``."""
    base = ULPS * _ulp(ref)
    kind = call.tol
    if name is None:   # part of a multi-output result: accumulate-like, in ulps
        kind = "ulps" if kind == "elementwise" else kind
    if kind == "ulps":
        return base * max(1.0, call.rtol_scale)
    if kind == "ulps_of_max":     # computed grids (linspace, arange, windows)
        r = np.abs(ref.astype(np.complex128))
        top = float(np.max(r[np.isfinite(r)])) if np.isfinite(r).any() else 0.0
        return base + ULPS * max(1.0, call.rtol_scale) * _eps(ref.dtype) * top
    if kind == "elementwise":
        return base + _backward_spread(name, call, ref)
    if kind in ("accumulate", "accumulate_sq"):
        return base + _accumulate_bound(name, call, ref, kind)
    if kind in ("linalg", "linalg_out"):
        return base + _linalg_bound(call, ref, name)
    raise ValueError(f"unknown tolerance kind {kind!r}")


def _perturbable(x):
    return isinstance(x, np.ndarray) and x.dtype.kind in "fc" or type(x) in (float, complex)


def _perturb(x, s, k):
    if isinstance(x, np.ndarray):
        up = x.astype(np.complex128 if x.dtype.kind == "c" else np.float64)
        # float16 math runs in float32 (NumPy's loops and MXNet's kernels alike): its
        # backward error is in float32 ulps.
        return up * (1 + s * k * min(_eps(x.dtype), _eps(np.float32)))
    return x * (1 + s * k * np.finfo(np.float64).eps)


def _backward_spread(name, call, ref):
    """max over input perturbations of ``|f(x (1 +- k eps)) - f(x)|``, by NumPy in
    float64: what a backward-stable implementation may differ by at this input."""
    args = list(call.args)
    idx = [i for i, a in enumerate(args) if _perturbable(a)]
    if not idx:
        return 0.0
    f = numpy_ref(name)
    base = _as_wide(args, idx, f, call.kwargs)
    if base is None:
        return np.inf
    spread = np.zeros(ref.shape)
    for signs in itertools.product((-1, 1), repeat=len(idx)):
        pert = list(args)
        for s, i in zip(signs, idx):
            pert[i] = _perturb(args[i], s, BACKWARD_ULPS)
        val = _call_quiet(f, pert, call.kwargs)
        if val is None or np.shape(val) != ref.shape:
            return np.inf
        with np.errstate(all="ignore"):
            d = np.abs(np.asarray(val, np.complex128) - base)
        # A perturbation reaching a NaN/inf or crossing a pole: no usable bound there.
        d = np.where(np.isnan(d), np.inf, d)
        spread = np.maximum(spread, d)
    return spread


def _as_wide(args, idx, f, kwargs):
    wide = list(args)
    for i in idx:
        wide[i] = _perturb(args[i], 0, 0)
    val = _call_quiet(f, wide, kwargs)
    return None if val is None else np.asarray(val, np.complex128)


def _call_quiet(f, args, kwargs):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return f(*args, **kwargs)
        except Exception:  # noqa: BLE001  (a perturbed input NumPy rejects)
            return None


def _abs_args(call):
    def absval(x):
        if isinstance(x, np.ndarray):
            return np.abs(x.astype(np.complex128 if x.dtype.kind == "c" else np.float64))
        if isinstance(x, (list, tuple)):
            return type(x)(absval(v) for v in x)
        if type(x) in (int, float, complex):
            return abs(x)
        return x
    return [absval(a) for a in call.args]


def _accumulate_bound(name, call, ref, kind):
    """``ACCUMULATE * n * eps * f(|x|)``: the summation bound, f applied to |inputs|."""
    eps = _eps(ref.dtype)
    n = _n_terms(call)
    f = numpy_ref(name)
    args = _abs_args(call)
    if kind == "accumulate_sq":   # var/std: the one-pass bound n eps mean(x^2) ...
        kw = {k: v for k, v in call.kwargs.items() if k in ("axis", "keepdims")}
        x = args[0]
        mag = np.asarray(_call_quiet(np.mean, [x ** 2], kw) if x.size else 0.0) * 2
        tv = ACCUMULATE * n * eps * mag
        if name == "std":           # ... through the square root
            with np.errstate(all="ignore"):
                s = np.abs(ref.astype(np.float64))
                return np.minimum(np.sqrt(tv), np.where(s > 0, tv / (2 * s), np.inf))
        return tv
    if name in ("diff", "ediff1d"):
        x = args[0]
        order = call.kwargs.get("n", 1) if name == "diff" else 1
        mag = float(x.max()) if x.size else 0.0
        return ACCUMULATE * 2 ** order * eps * mag
    mag = _call_quiet(f, args, call.kwargs)
    if mag is None:
        return np.inf
    mag = np.abs(np.asarray(mag, np.complex128)).real
    if mag.shape != ref.shape:
        mag = np.max(mag) if mag.size else 0.0
    bound = ACCUMULATE * n * eps * mag
    if name == "linalg.norm":
        # NumPy squares: below sqrt(tiny) the squares underflow and its norm is 0.
        bound = bound + np.sqrt(np.finfo(np.float64).tiny * n)
    return bound


def _cond(a):
    a = np.asarray(a, np.float64)
    if a.ndim < 2 or 0 in a.shape:
        return 1.0
    with np.errstate(all="ignore"):
        c = np.linalg.cond(a)
    c = np.max(c) if np.ndim(c) else c
    return float(c) if np.isfinite(c) else np.inf


#: Linear algebra whose forward error grows with the condition number (solving,
#: inverting, factorising); eigen/singular values and QR are bounded by ||A|| alone.
_BY_COND = {"inv", "solve", "pinv", "det", "slogdet", "cholesky", "tensorinv",
            "tensorsolve"}


def _linalg_scale(call, name=None):
    """The eps-independent part of the bound: n, times cond(A) where it applies."""
    mats = [x for x in _arrays(call.args) if x.ndim >= 2]
    if not mats:
        return 1.0
    n = max(max(m.shape[-2:]) for m in mats)
    short = (name or "").rsplit(".", 1)[-1]
    # The condition of the matrix being solved/inverted/factorised: the first one.
    cond = _cond(mats[0]) if short in _BY_COND else 1.0
    return n * cond


def _linalg_bound(call, ref, name=None):
    eps = _eps(ref.dtype)
    with np.errstate(all="ignore"):
        r = np.abs(ref.astype(np.complex128))
        mag = float(np.max(r[np.isfinite(r)])) if np.isfinite(r).any() else 0.0
    if call.tol == "linalg_out":   # logarithms (slogdet): absolute error
        mag = max(mag, 1.0)
    if mag == 0:                   # an exact zero (pinv of 0): only ulps, even if cond=inf
        return 0.0
    return LINALG * eps * _linalg_scale(call, name) * mag


def _check_linalg_list(call, ref, res, name):
    for r, m in zip(ref, res):
        if r.dtype.kind in "fc":
            _within(m, r, ULPS * _ulp(r) + _linalg_bound(call, r, name), "linalg")
        else:
            assert_array_equal(m, r)


def _check_argsort(call, ref, res):
    a = call.args[0]
    axis = call.kwargs.get("axis", -1)
    if axis is None:
        a, axis = a.ravel(), -1
    if a.ndim == 0:
        assert_array_equal(res, ref)
        return
    # Same order of values (ties may be ordered differently: NumPy's sort is not stable).
    assert_array_equal(np.take_along_axis(a, res, axis), np.take_along_axis(a, ref, axis))
    assert_array_equal(np.sort(res, axis=axis), np.sort(ref, axis=axis))


def _linalg_tol(call, ref_dtype):
    return LINALG * _eps(ref_dtype) * _linalg_scale(call)


def _check_eigh(call, ref, res):
    a = call.args[0].astype(np.float64)
    (w, v), (rw, _) = res, ref
    for m, r in zip(res, ref):
        _same_meta(r, m)
    tol = _linalg_tol(call, rw.dtype)
    norm_a = float(np.max(np.abs(np.linalg.eigvalsh(a)))) if a.size else 0.0
    _within(w, rw, tol * norm_a, "linalg")
    # eigenvectors up to sign: A v = v diag(w)
    _within(a @ v, v * w[..., None, :], tol * norm_a, "linalg")


def _check_svd(call, ref, res):
    a = call.args[0].astype(np.float64)
    (u, s, vh), (_, rs, _) = res, ref
    for m, r in zip(res, ref):
        _same_meta(r, m)
    tol = _linalg_tol(call, rs.dtype)
    norm_a = float(np.max(rs)) if rs.size else 0.0
    _within(s, rs, tol * norm_a, "linalg")
    k = s.shape[-1]
    recon = (u[..., :, :k] * s[..., None, :]) @ vh[..., :k, :]
    _within(recon, a, tol * norm_a, "linalg")


def _check_qr(call, ref, res):
    a = call.args[0].astype(np.float64)
    (q, r), (_, rr) = res, ref
    for m, x in zip(res, ref):
        _same_meta(x, m)
    tol = _linalg_tol(call, rr.dtype)
    norm_a = float(np.max(np.abs(a))) * max(a.shape[-2:]) if a.size else 0.0
    _within(q @ r, a, tol * norm_a, "linalg")
    _within(np.abs(r), np.abs(rr), tol * norm_a, "linalg")


def cupy_entries():
    """The op-table entries with a CuPy implementation."""
    return sorted(n for n, op in TABLE.items() if "cupy" in op.impls)


def cupy_coverage():
    """``(reached, unreached)`` among :func:`cupy_entries` that 'only_cupy' ran on a GPU
    in this session: an entry is reached when at least one of its examples compared
    values there ('only_cupy' never falls back, so the value came from CuPy)."""
    reached = {t.name for t in TALLIES
               if t.policy == "only_cupy" and t.device == "gpu" and t.outcomes[COMPARED]}
    entries = cupy_entries()
    return [n for n in entries if n in reached], [n for n in entries if n not in reached]


def assert_judged(tally, min_share, known_mx_errors=False):
    """The test's verdict on its tally: something was compared; 'only_mxnet' met no
    MXNet kernel error on inputs NumPy accepts; enough examples ran on MXNet."""
    assert tally.compared, f"compared nothing: {tally.line()}"
    errors = {k: n for k, n in tally.outcomes.items()
              if k.startswith(("MXNet raised", "CuPy raised"))}
    assert known_mx_errors or not errors, (f"'only_mxnet': MXNet raised on inputs NumPy accepts "
                        f"(the op's accepts is too loose): {errors}")
    if tally.recorded and tally.accepted:
        assert tally.share() >= min_share, (
            f"only {tally.on_mxnet} of {tally.accepted} accepted examples ran on MXNet "
            f"(< {min_share:.0%}): {tally.line()}")


def stale_known_errors(known, tallies):
    """The ops of ``known`` (the KNOWN_MX_ERRORS list) that ran under 'only_mxnet' in
    ``tallies`` and never met an MXNet error there: their entries are stale. An op
    the session did not run under 'only_mxnet' (a ``-k`` selection) is not judged; an
    entry that is no op with an MXNet kernel is always stale (it can never raise)."""
    stale = []
    for name in sorted(known):
        if not has_mxnet_kernel(name):
            stale.append(name)
            continue
        seen = [t for t in tallies if t.name == name and t.policy == "only_mxnet"]
        raised = sum(n for t in seen for k, n in t.outcomes.items()
                     if k.startswith("MXNet raised"))
        if seen and not raised:
            stale.append(name)
    return stale
