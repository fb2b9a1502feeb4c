"""Running one :class:`strategies.Call` through NumPy and through ``minpy.numpy``, and
comparing the two: exception type, result structure, dtype (exactly), shape (exactly)
and values (exact for bool/int/complex-on-host, ``assert_allclose`` for floats with the
tolerances in :data:`RTOL`, NaN positions equal).
"""

from __future__ import annotations

import re
import warnings
from collections import Counter

import numpy as np
from numpy.testing import assert_allclose, assert_array_equal

import minpy.core as core
import minpy.numpy as mnp
from minpy.core import Array
from minpy.core.convert import to_host

#: (op, reason) -> count of NotImplementedError under 'only_mxnet'.
NOT_IMPLEMENTED: Counter = Counter()

#: (op, input dtypes) -> count of MXNet kernel errors under 'only_mxnet' (calls NumPy
#: accepts that MXNet raised on: candidates for a tighter ``accepts``).
MX_ERRORS: Counter = Counter()


def _dtypes_of(args):
    out = []
    for a in args:
        for x in (a if isinstance(a, (list, tuple)) else [a]):
            if isinstance(x, np.ndarray):
                out.append(str(x.dtype))
    return ",".join(out)


#: Relative tolerance per result dtype, for results an MXNet kernel may have computed.
#: float64 is tight enough to catch a kernel that computes in float32.
RTOL = {np.dtype("float16"): 1e-3, np.dtype("float32"): 1e-5, np.dtype("float64"): 1e-9,
        np.dtype("complex64"): 1e-5, np.dtype("complex128"): 1e-9}


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


def to_minpy(x, device, resident):
    """NumPy arrays in ``x`` (nested in lists/tuples) as Arrays on ``device``; with
    ``resident`` those MXNet can hold are moved to their MXNet form first."""
    if isinstance(x, np.ndarray):
        a = Array._from_host(x.copy(), device)
        if resident and core.mx_holdable(x.dtype):
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


def call_both(name, call, policy_name, device, resident=False):
    """Run ``call`` in NumPy and in MinPy; return (ref, res, ref_exc, res_exc, skipped)."""
    ref = res = ref_exc = res_exc = None
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            ref = numpy_ref(name)(*call.args, **call.kwargs)
        except Exception as exc:  # noqa: BLE001
            ref_exc = exc
        margs = to_minpy(call.args, device, resident)
        mkw = to_minpy(call.kwargs, device, resident)
        with mnp.policy(policy_name), core.device(device):
            try:
                res = minpy_fn(name)(*margs, **mkw)
            except Exception as exc:  # noqa: BLE001
                res_exc = exc
    return ref, res, ref_exc, res_exc


def _reason(exc):
    text = str(exc)
    m = re.search(r"\((.*)\) and the policy", text)
    if m:
        return re.sub(r"\d+", "N", m.group(1))
    return "no MXNet implementation" if "no MXNet implementation" in text else text[:60]


def check(name, call, policy_name, device, resident=False):
    ref, res, ref_exc, res_exc = call_both(name, call, policy_name, device, resident)
    if isinstance(res_exc, NotImplementedError) and policy_name == "only_mxnet" and (
            "only_mxnet" in str(res_exc)):
        NOT_IMPLEMENTED[(name, _reason(res_exc))] += 1
        if "MXNet raised" in str(res_exc):
            MX_ERRORS[(name, _dtypes_of(call.args))] += 1
        return
    if ref_exc is not None:
        assert res_exc is not None, (
            f"NumPy raised {type(ref_exc).__name__}: {ref_exc}, MinPy returned {res!r}")
        assert isinstance(res_exc, type(ref_exc)), (
            f"NumPy raised {type(ref_exc).__name__}: {ref_exc}; MinPy raised "
            f"{type(res_exc).__name__}: {res_exc}")
        return
    if res_exc is not None:
        raise AssertionError(f"NumPy succeeded, MinPy raised {type(res_exc).__name__}: "
                             f"{res_exc}") from res_exc
    compare(call, _ref_norm(ref), _norm(res), call.check, call.rtol_scale, call.info)


def compare(call, ref, res, how="values", scale=1.0, info=None):
    if isinstance(ref, list):
        assert isinstance(res, list) and len(res) == len(ref), (
            f"structure: NumPy gave {len(ref)} results, MinPy {res!r}")
        if how == "eigh":
            return _check_eigh(call, ref, res, scale)
        if how == "svd":
            return _check_svd(call, ref, res, scale)
        if how == "qr":
            return _check_qr(call, ref, res, scale)
        for r, m in zip(ref, res):
            compare(call, r, m, how, scale, info)
        return
    assert isinstance(res, np.ndarray), f"MinPy returned {type(res)}"
    assert res.dtype == ref.dtype, f"dtype: NumPy {ref.dtype}, MinPy {res.dtype}"
    assert res.shape == ref.shape, f"shape: NumPy {ref.shape}, MinPy {res.shape}"
    if how == "meta":
        return
    if how == "random":
        lo_hi = (info or {}).get("range")
        if lo_hi is not None and res.size:
            assert res.min() >= lo_hi[0] and res.max() <= lo_hi[1], (res.min(), res.max())
        return
    if how == "argsort":
        return _check_argsort(call, ref, res)
    if ref.dtype.kind in "fc":
        rtol = RTOL[ref.dtype] * scale
        atol = rtol * _scale_of(call)
        assert_allclose(res, ref, rtol=rtol, atol=atol, equal_nan=True)
    else:
        assert_array_equal(res, ref)


def _scale_of(call):
    """Magnitude of the inputs, for the absolute tolerance of accumulating kernels."""
    mags = [1.0]
    for a in call.args:
        for x in (a if isinstance(a, (list, tuple)) else [a]):
            if isinstance(x, np.ndarray) and x.size and x.dtype.kind in "iufc":
                f = np.abs(x.astype(np.complex128))
                f = f[np.isfinite(f)]
                if f.size:
                    mags.append(float(f.max()) * (x.shape[-1] if x.ndim else 1))
    return max(mags)


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


def _tol(a, scale):
    return RTOL[np.dtype(a.dtype)] * scale * 10


def _check_eigh(call, ref, res, scale):
    a = call.args[0]
    (w, v), (rw, rv) = res, ref
    assert w.dtype == rw.dtype and v.dtype == rv.dtype, (w.dtype, v.dtype, rw.dtype)
    assert w.shape == rw.shape and v.shape == rv.shape
    tol = _tol(rw, scale)
    assert_allclose(w, rw, rtol=tol, atol=tol * _scale_of(call))
    # eigenvectors up to sign: A v = v diag(w)
    assert_allclose(a @ v, v * w[..., None, :], rtol=tol, atol=tol * _scale_of(call) * 10)


def _check_svd(call, ref, res, scale):
    a = call.args[0]
    (u, s, vh), (_, rs, _) = res, ref
    for m, r in zip(res, ref):
        assert m.dtype == r.dtype and m.shape == r.shape, (m.dtype, m.shape, r.dtype, r.shape)
    tol = _tol(rs, scale)
    assert_allclose(s, rs, rtol=tol, atol=tol * _scale_of(call))
    k = s.shape[-1]
    recon = (u[..., :, :k] * s[..., None, :]) @ vh[..., :k, :]
    assert_allclose(recon, a, rtol=tol, atol=tol * _scale_of(call) * 10)


def _check_qr(call, ref, res, scale):
    a = call.args[0]
    (q, r), (_, rr) = res, ref
    for m, x in zip(res, ref):
        assert m.dtype == x.dtype and m.shape == x.shape, (m.dtype, m.shape, x.dtype, x.shape)
    tol = _tol(rr, scale)
    assert_allclose(q @ r, a, rtol=tol, atol=tol * _scale_of(call) * 10)
    assert_allclose(np.abs(r), np.abs(rr), rtol=tol, atol=tol * _scale_of(call) * 10)
