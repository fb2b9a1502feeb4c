"""Dispatch: turning an :class:`~minpy.numpy._table.Op` into the function users call.

One call: collect the Array arguments, ask the policy which implementation runs, and

* MXNet: check the arguments are ones MXNet handles as NumPy does (keywords, dtypes,
  the op's own condition), find NumPy's result dtype (cached per signature), cast the
  inputs to it where the op asks, run, and wrap the MXNet result;
* CuPy (on a GPU CuPy serves): the same checks, NumPy's result dtype, the CuPy
  functions of :mod:`._cupy_ops`;
* NumPy: hand the host forms to NumPy through :func:`minpy.core._handoff.call` (the one
  door: writers declared, everything else read-only) and wrap what comes back.

An MXNet failure re-runs the call in NumPy (a fallback), so a bad argument raises
exactly NumPy's exception; under the only-MXNet policy the error is translated instead.
The function is a primitive (:func:`minpy.core.primitive`), so tracers see it.
"""

from __future__ import annotations

import os
import re
import time
from threading import get_ident

import numpy as np

from minpy.core import Array, _cupy, _handoff, _mxnet, _views, current_device, primitive
from minpy.core import tracing as _tracing
from minpy.core.convert import to_host
from minpy.core.dtypes import get_default_float_dtype, mx_holdable
from minpy.core.errors import is_mxnet_error, out_of_memory, translate
from minpy.core.transfer import TransferError

from . import _validate
from . import policy as _policy
from ._cupy_ops import run as _run_cupy

__all__ = ["make_function", "arrays_of", "result_device", "Rejected"]

_NUMPY2 = int(np.__version__.split(".")[0]) >= 2
_new = object.__new__
_SCALARS = (bool, int, float, complex)


class Rejected(Exception):
    """MXNet does not handle these arguments as NumPy would; NumPy runs instead."""


class Invalid(Rejected):
    """Arguments MXNet must not see (they would crash it or give a wrong result); NumPy
    runs instead and raises its own exception for them (see :mod:`._validate`)."""


def _as_array(x):
    """``x`` as an Array if it is array data, else ``None`` (scalars, axes, ...)."""
    if isinstance(x, Array):
        return x
    if isinstance(x, np.ndarray):
        out = Array._from_host(x)
        out._shared = True  # the caller owns that buffer
        return out
    return None


def arrays_of(op, args) -> list:
    """The call's array arguments as Arrays (NumPy arrays wrapped without a copy)."""
    spec = op.arrays
    if spec == "all":
        found = [_as_array(a) for a in args]
    elif spec == "seq0":
        found = [_as_array(a) for a in (args[0] if args else ())]
    else:
        found = [_as_array(args[i]) for i in spec if i < len(args)]
    return [a for a in found if a is not None]


def result_device(arrays):
    """Results go where the first array argument lives, else to the current device."""
    return arrays[0]._device if arrays else current_device()


# -- result dtypes -------------------------------------------------------------------
_dtype_cache: dict = {}


def _signature(x):
    if type(x) is Array or isinstance(x, (Array, np.ndarray)):
        return (x.dtype, x.ndim)
    t = type(x)
    if t is int and _NUMPY2:
        # NumPy 2 (NEP 50) raises OverflowError for a Python int the array's dtype cannot
        # hold (int8 + 300): the outcome depends on the value's sign and bit length.
        return (t, x < 0, x.bit_length())
    if t in _SCALARS:
        return (t,) if _NUMPY2 else (t, x)  # NumPy 1 promotes by the scalar's value
    if isinstance(x, np.generic):
        return (x.dtype,) if _NUMPY2 else (x.dtype, x.item())
    if t is tuple or t is list:
        return (t,) + tuple(_signature(a) for a in x)
    return x


def _probe_value(x):
    if isinstance(x, (Array, np.ndarray)):
        return np.ones((1,) * x.ndim, dtype=x.dtype)
    t = type(x)
    if t is tuple or t is list:
        return t(_probe_value(a) for a in x)
    return x


def _result_info(op, args, kwargs):
    """``(dtype, container)``: NumPy's result dtype for this call (of the first output)
    and, for several outputs, the type NumPy returns them in (tuple, list or a named
    tuple such as ``SlogdetResult``), else ``None``."""
    rule = op.dtype
    if rule == "same":
        first = arrays_of(op, args)
        return (first[0].dtype if first else None), None
    if rule != "probe":
        return np.dtype(rule(args, kwargs)), None
    try:
        key = (op.name, tuple(_signature(a) for a in args), tuple(sorted(kwargs.items())))
        hash(key)
    except TypeError:
        key = None
    info = _dtype_cache.get(key) if key is not None else None
    if info is None:
        res = op.numpy(*_probe_value(args), **kwargs)
        container = None
        if isinstance(res, (tuple, list)):
            container, res = type(res), res[0]
        info = (np.asarray(res).dtype, container)
        if key is not None:
            if len(_dtype_cache) >= _CACHE_LIMIT:
                _dtype_cache.clear()
            _dtype_cache[key] = info
    return info


# -- the two paths --------------------------------------------------------------------
def _to_mx(x, device, cast):
    a = _as_array(x)
    if a is None:
        return x.item() if isinstance(x, np.generic) else x
    if a._device != device:
        a = a.to(device)
    value = a._mx_value()
    if cast is not None and a.dtype != cast:
        value = value.astype(cast)
    return value


def _plain(x):
    """NumPy scalars (also inside tuples and lists: axes, shapes) as Python scalars:
    MXNet parses its parameters from their text, and ``np.int64(1)`` prints as
    ``np.int64(1)`` on NumPy 2."""
    if isinstance(x, np.generic):
        return x.item()
    t = type(x)
    if (t is tuple or t is list) and any(isinstance(e, np.generic) for e in x):
        return t(e.item() if isinstance(e, np.generic) else e for e in x)
    return x


class _Plan:
    """What one call signature needs on MXNet, worked out once: the result dtype, the
    dtype inputs are cast to, and whether MXNet's own result dtype is already right."""

    __slots__ = ("dtype", "cast", "mx_dtype_ok", "rejected", "container", "failures")

    def __init__(self, op, args, kwargs, arrays):
        self.rejected = None
        # operand shapes -> MXNet failures in a row (None until MXNet first fails)
        self.failures = None
        self.mx_dtype_ok = False
        self.cast = None
        self.dtype = self.container = None
        for a in arrays:
            if not mx_holdable(a.dtype):
                self.rejected = f"dtype {a.dtype}"
                return
        dtype, self.container = _result_info(op, args, kwargs)
        if self.container is not None:
            dtype = None  # several outputs: each keeps the dtype MXNet gives it
        self.dtype = dtype
        if dtype is not None and not mx_holdable(dtype):
            self.rejected = f"result dtype {dtype}"
            return
        if op.cast == "result":
            self.cast = dtype
        elif op.cast == "common" and arrays:
            # NumPy scalars take part with their dtype (np.float64(-1.5) against an int8
            # array compares in float64, not as int8 -1): NumPy's own rule, by version.
            cast = self.cast = np.result_type(*[
                x.dtype if isinstance(x, (Array, np.ndarray)) else x for x in args
                if isinstance(x, (Array, np.ndarray, np.generic)) or type(x) in _SCALARS])
            if not mx_holdable(cast):
                self.rejected = f"common dtype {cast}"
                return
        if op.mx_dtypes is not None:
            seen = [self.cast] if self.cast is not None else [a.dtype for a in arrays]
            for dt in seen:
                if dt not in op.mx_dtypes:
                    self.rejected = f"dtype {dt} (MXNet's {op.name} kernel lacks it)"
                    return


_plans: dict = {}
#: Signatures kept (per cache): past this the cache starts afresh, so that programs
#: calling with ever new axes or shapes do not grow it without end.
_CACHE_LIMIT = 4096
#: MXNet failures in a row, for one signature and operand shapes, after which those
#: calls go straight to NumPy: each failed MXNet call leaks memory inside MXNet.
_FAILURE_LIMIT = 2


def _plan(op, args, kwargs, arrays):
    try:
        key = (op.name, tuple([_signature(a) for a in args]), tuple(kwargs.items()),
               # creation/random results follow the default float dtype
               None if op.arrays else get_default_float_dtype())
        plan = _plans.get(key)
    except TypeError:  # an unhashable argument: no caching
        return _Plan(op, args, kwargs, arrays)
    if plan is None:
        if len(_plans) >= _CACHE_LIMIT:
            _plans.clear()
        plan = _plans[key] = _Plan(op, args, kwargs, arrays)
    return plan


def _note_failure(plan, arrays):
    """Count one MXNet failure of ``plan`` on operands of these shapes."""
    failures = plan.failures
    if failures is None:
        failures = plan.failures = {}
    elif len(failures) >= 256:
        failures.clear()
    key = tuple([a.shape for a in arrays])
    failures[key] = failures.get(key, 0) + 1


_ASYNC = []


def _async_engine() -> bool:
    """Whether MXNet runs a threaded (asynchronous) engine, which the user chose with
    ``MXNET_ENGINE_TYPE`` (MinPy's own choice is the synchronous NaiveEngine)."""
    if not _ASYNC:
        _ASYNC.append(os.environ.get("MXNET_ENGINE_TYPE", "NaiveEngine") != "NaiveEngine")
    return _ASYNC[0]


def _wait(res):
    if isinstance(res, (tuple, list)):
        for r in res:
            _wait(r)
    elif hasattr(res, "wait_to_read"):
        res.wait_to_read()


def _run_mxnet(op, args, kwargs, arrays, device):
    if kwargs and not op.kwargs.issuperset(kwargs):
        raise Rejected(f"keyword arguments {sorted(set(kwargs) - op.kwargs)}")
    reason = _validate.check(op, args, kwargs, arrays)
    if reason is not None:
        raise Invalid(reason)
    if op.accepts is not None and not op.accepts(args, kwargs):
        raise Rejected("arguments outside what MXNet handles like NumPy")
    for a in arrays:
        if 0 in a.shape:
            # MXNet 1.9.1 kernels on zero-size operands kill the process (SIGFPE in
            # inner/tensordot/average/var) or give wrong values (prod -> 0, mean -> 0
            # for nan); NumPy handles them exactly, at no cost (found by conformance/).
            raise Rejected("zero-size array")
    if op.kind == "elementwise" and _keeps_layout(arrays):
        raise Rejected("an operand in another memory order than C (NumPy's result keeps it)")
    plan = _plan(op, args, kwargs, arrays)
    if plan.rejected:
        raise Rejected(plan.rejected)
    failures = plan.failures
    if failures is not None:
        shapes = tuple([a.shape for a in arrays])
        if failures.get(shapes, 0) >= _FAILURE_LIMIT:
            raise Rejected("arguments MXNet failed on before")
    cast, dtype = plan.cast, plan.dtype
    mx = _mxnet.require()
    fn = op.impl("mxnet", mx)
    spec = op.arrays
    if spec == "all":
        margs = [_to_mx(x, device, cast) for x in args]
    elif spec == "seq0":
        margs = [type(args[0])(_to_mx(x, device, cast) for x in args[0]),
                 *map(_plain, args[1:])]
    else:
        margs = [_to_mx(x, device, cast) if i in spec else _plain(x)
                 for i, x in enumerate(args)]
    if kwargs:
        kwargs = {k: _plain(v) for k, v in kwargs.items()}
    if spec == ():  # creation: MXNet needs to be told the device
        kwargs = dict(kwargs, ctx=device.mx_context)
    try:
        res = fn(*margs, **kwargs)
        if op.kind == "linalg" and _async_engine():
            _wait(res)  # a singular matrix fails here, at the call, not at a later read
    except (Rejected, TransferError):
        raise
    except Exception:
        _note_failure(plan, arrays)
        raise
    if failures:
        failures.pop(tuple([a.shape for a in arrays]), None)  # failures *in a row*
    if dtype is not None and type(res) is mx.np.ndarray:
        # MXNet's result dtype is checked on the first call of a signature, then
        # trusted: reading an NDArray's dtype is a C call.
        if not plan.mx_dtype_ok:
            if res.dtype != dtype:
                return Array._from_mx(res.astype(dtype), device, dtype)
            plan.mx_dtype_ok = True
        return Array._from_mx(res, device, dtype)
    out = _wrap_mx(res, device, mx)
    container = plan.container
    if container is not None and type(out) is not container:
        # NumPy 2 returns named tuples (SlogdetResult, EighResult...); MXNet lists.
        out = container(*out) if hasattr(container, "_fields") else container(out)
    return out


def _keeps_layout(arrays) -> bool:
    """Whether NumPy's elementwise result (``order='K'``) could follow an operand's
    memory order other than C: an operand whose host form has axes out of C order
    (``x.T``: an F-ordered result in NumPy, whose ``reshape`` then copies). MXNet's
    results are C-ordered, so such a call runs in NumPy, which holds the operand
    already (found by the program fuzzer: a reshape of ``-x.T`` was a view in MinPy)."""
    for a in arrays:
        host = a._host
        if host is None and a._view is not None and a.ndim >= 2:
            # a view not derived on the host yet (x.T under jit): derived only when its
            # family's root has a host form (a NumPy view, no transfer)
            root = a
            while root._host is None and root._view is not None and root._view.recipe:
                root = root._view.recipe[0]
            if root._host is not None:
                host = a._host_value()
        if host is None or host.ndim < 2 or host.flags.c_contiguous:
            continue
        strides = [abs(st) for st, n in zip(host.strides, host.shape) if n > 1]
        if any(s1 < s2 for s1, s2 in zip(strides, strides[1:])):
            return True
    return False


def _wrap_mx(res, device, mx):
    if isinstance(res, mx.np.ndarray):
        return Array._from_mx(res, device)
    if isinstance(res, (tuple, list)):
        return type(res)(_wrap_mx(r, device, mx) for r in res)
    return res


def _access(op):
    """``(trusted, writes)`` for ``op``'s NumPy function, worked out once: trusted (its
    buffers go to NumPy as they are) for a ufunc or an op-table entry, whose NumPy
    function writes nothing but ``out=``; ``writes``: its
    :data:`~minpy.core._handoff.WRITERS` entry (``None`` for most)."""
    access = op.__dict__.get("_access")
    if access is None:
        from ._table import TABLE
        trusted = isinstance(op.numpy, np.ufunc) or TABLE.get(op.name) is op
        access = op._access = (trusted, _handoff.writer_of(op.numpy))
    return access


def _run_numpy(op, args, kwargs, device):
    # Through the one door: writers declared, other buffers read-only (unless trusted),
    # NumPy's views of an argument joining its view family.
    trusted, writes = _access(op)
    return _handoff.call(op.numpy, args, kwargs, device, trusted=trusted, spec=writes,
                         name=f"minpy.numpy.{op.name}", positional_out=False)


def _link_mx_view(op, view_rule, args, kwargs, result):
    """An MXNet result of a view-making op (``x[1:3]``, ``x.T``...): when NumPy would
    return a view here, it joins the argument's family, with the recipe that derives its
    host view from the argument's host form when one is needed."""
    parent = args[0]
    if not isinstance(parent, Array):
        return result
    is_view = view_rule(args, kwargs)
    if is_view is None and type(result) is Array:
        # Only the memory layout knows (reshape of a view): ask NumPy on the host forms.
        host = parent._host_value()
        res_host = op.numpy(host, *to_host(args[1:]), **to_host(kwargs))
        if isinstance(res_host, np.ndarray) and _views.owner(res_host) is _views.owner(host):
            result._host = res_host
            _views.link(result, parent)
        return result
    if not is_view:
        return result
    if type(result) is Array:
        _views.link(result, parent, (parent, op.numpy, args[1:], kwargs))
    elif type(result) in (list, tuple):
        for k, r in enumerate(result):
            if type(r) is Array:
                _views.link(r, parent, (parent, _nth(op.numpy, k), args[1:], kwargs))
    return result


def _nth(fn, k):
    def nth(*args, **kwargs):
        return fn(*args, **kwargs)[k]
    return nth


def _with_out(op, call, out, args, kwargs):
    """``call(*args, **kwargs)`` written into ``out``, as NumPy's ``out=`` does.

    The common case (one output array of the result's shape and dtype, or a dtype the
    ufunc's ``casting`` rule allows) writes the result computed by ``call``; anything
    else (a dtype or shape NumPy may refuse, ``where=``, a malformed ``out``) runs NumPy
    itself with ``out``, so that NumPy decides, and raises its own exception."""
    ufunc = op.numpy if isinstance(op.numpy, np.ufunc) else None
    nout = ufunc.nout if ufunc is not None else 1
    outs = out if type(out) is tuple else (out,)
    if len(outs) != nout or not all(isinstance(o, (Array, np.ndarray, _tracing.Box))
                                    for o in outs) or ("where" in kwargs):
        return _numpy_into(op, args, kwargs, out)
    result = call(*args, **kwargs)
    results = result if nout > 1 else (result,)
    casting = kwargs.get("casting", "same_kind")
    for o, r in zip(outs, results):
        if not isinstance(r, (Array, _tracing.Box)):
            return _numpy_into(op, args, kwargs, out)
        if r.dtype != o.dtype and (ufunc is None or not np.can_cast(r.dtype, o.dtype, casting)):
            return _numpy_into(op, args, kwargs, out)
        if r.shape != o.shape and (ufunc is None or len(r.shape) > len(o.shape) or not all(
                a in (1, b) for a, b in zip(r.shape[::-1], o.shape[::-1]))):
            return _numpy_into(op, args, kwargs, out)
    for o, r in zip(outs, results):
        if r.dtype != o.dtype:
            r = r.astype(o.dtype)
        if isinstance(o, Array) and not isinstance(r, _tracing.Box):
            if r.shape != o.shape:
                o._writable_host()[...] = r._host_value()  # broadcast into it
            else:
                o._assign(r)
        elif isinstance(o, np.ndarray):
            o[...] = to_host(r)  # a traced r raises here (its gradient would be lost)
        else:
            # A traced out= is rebound to the result (the tape records the write, as
            # for ``o[...] = r``); an untraced Array refuses a traced result.
            o[...] = r
    return out if type(out) is tuple and nout > 1 else outs[0]


def _numpy_into(op, args, kwargs, out):
    """NumPy's ``op(*args, out=out)``: the Arrays among ``out`` handed to NumPy as
    written arguments (:func:`minpy.core._handoff.call`), so NumPy writes into them in
    place."""
    trusted, writes = _access(op)
    _handoff.call(op.numpy, args, dict(kwargs, out=out), None, trusted=trusted,
                  spec=writes, name=f"minpy.numpy.{op.name}", positional_out=False)
    outs = out if type(out) is tuple else (out,)
    return outs[0] if len(outs) == 1 else out


#: The thread ident of a backward pass running minpy.autograd's built-in rules on NumPy
#: arrays (0: none; see ``minpy.autograd.tracer._numpy_values``). In that thread, while
#: it is set, the namespace's functions are NumPy's own on host forms: NumPy results, no
#: policy, no Arrays (the rules' values are host arrays, so dispatch has nothing to
#: decide). Every other thread, and that one outside the pass, dispatches as usual.
numpy_mode = 0


def _numpy_args(args):
    """``args`` with its Arrays (at any depth of lists) as host forms (``args`` itself,
    when it holds none)."""
    for a in args:
        if isinstance(a, Array) or type(a) is list or type(a) is tuple:
            return to_host(args)
    return args


def _host_args_on_cpu(args):
    """``(host forms of args, result device)`` when the current device is a CPU and every
    Array among ``args`` (and inside list/tuple args) has its host form on a CPU device;
    else ``(None, None)``. Hands the host forms out (marks them shared). The current
    device matters only without Arrays (it receives the result); with them the result
    goes to the first one's device, and NumPy is what the slow path would run too."""
    first = None
    hosts = []
    for x in args:
        t = type(x)
        if t is Array:
            h = x._host
            if h is None or x._device.kind != "cpu":
                return None, None
            x._shared = True
            first = first or x._device
            hosts.append(h)
        elif t is list or t is tuple:
            inner = []
            for e in x:
                if type(e) is Array:
                    h = e._host
                    if h is None or e._device.kind != "cpu":
                        return None, None
                    e._shared = True
                    first = first or e._device
                    inner.append(h)
                elif type(e) in (list, tuple) or isinstance(e, Array):
                    return None, None
                else:
                    inner.append(e)
            hosts.append(t(inner))
        elif isinstance(x, Array):
            return None, None
        else:
            hosts.append(x)
    if first is None:
        first = current_device()
        if first.kind != "cpu":
            return None, None
    return hosts, first


def _host_kwargs(kwargs):
    """``kwargs`` with Arrays replaced by host forms (the dict itself when none is)."""
    for v in kwargs.values():
        if isinstance(v, (Array, list, tuple, dict)):
            return to_host(kwargs)
    return kwargs


def _first_device(args):
    """The device of the first Array among ``args`` (one level into lists), else the
    current device: where a NumPy result goes."""
    for x in args:
        if isinstance(x, Array):
            return x._device
        if type(x) in (list, tuple):
            for e in x:
                if isinstance(e, Array):
                    return e._device
    return current_device()


def _out_to_keyword(fn, args, kwargs, pos, after):
    """A call with ``out`` (and what follows it) given positionally, as keywords."""
    kwargs = dict(kwargs)
    if isinstance(fn, np.ufunc):
        outs = args[pos:]
        kwargs["out"] = outs[0] if len(outs) == 1 else tuple(outs)
    else:
        kwargs["out"] = args[pos]
        kwargs.update(zip(after, args[pos + 1:]))
    return args[:pos], kwargs


def make_function(op):
    """The user-facing function for ``op``: policy-dispatched and traceable."""
    name = op.name

    numpy_fn = op.numpy
    no_mxnet = "mxnet" not in op.impls
    # Ufuncs never return their inputs or views of them: their results skip adopt().
    fresh = isinstance(numpy_fn, np.ufunc)
    view_rule = getattr(op, "view", None)
    out_pos, after_out = _handoff.out_position(numpy_fn)
    # Whether NumPy may get the buffers as they are, and what it writes (see _access).
    # The short paths below run only calls that write no Array.
    trusted, writes = _access(op)
    raw = trusted and writes is None
    out_excludes_dtype = name in ("concatenate", "concat", "stack")
    takes_device = name in _DEVICE_KEYWORD
    label = f"minpy.numpy.{name}"
    targets, door = _handoff.targets, _handoff.call

    def raw_ok(args, kwargs):
        """Whether this call may hand NumPy the host forms as they are."""
        return raw or (trusted and not targets(numpy_fn, writes, args, kwargs, False))

    def call(*args, **kwargs):
        if len(args) > out_pos:  # out given positionally, as NumPy allows
            args, kwargs = _out_to_keyword(numpy_fn, args, kwargs, out_pos, after_out)
        if out_excludes_dtype and kwargs.get("out") is not None and kwargs.get(
                "dtype") is not None:
            raise TypeError(f"{name}() only takes `out` or `dtype` as an argument, but "
                            "both were provided.")
        if kwargs and "out" in kwargs:
            out = kwargs.pop("out")
            if out is not None:
                return _with_out(op, call, out, args, kwargs)
        if takes_device and kwargs and "device" in kwargs:
            return _on_device(call, args, kwargs)
        pol = _policy.get_policy()
        if not _policy._recorder.active:
            if pol.host_fast and (raw or raw_ok(args, kwargs)):
                # The common CPU case, kept short: NumPy would be chosen anyway.
                hosts, device = _host_args_on_cpu(args)
                if hosts is not None:
                    res = numpy_fn(*hosts, **(_host_kwargs(kwargs) if kwargs else kwargs))
                    if type(res) is np.ndarray and fresh:
                        return Array._from_host(res, device)
                    return _views.adopt(res, args, kwargs, device)
            if no_mxnet and not pol.strict and ("cupy" not in op.impls
                                                  or not _cupy.in_use):
                # Nothing to choose: NumPy, with the arrays brought to the host.
                if pol.wants_mxnet:
                    _policy.notify_fallback(name, "no MXNet implementation")
                return _run_numpy(op, args, kwargs, _first_device(args))
        arrays = arrays_of(op, args)
        device = result_device(arrays)
        backend = pol.choose(op, arrays, device)
        timing = _policy.recording()
        t0 = time.perf_counter() if timing else 0.0
        if backend != "numpy":  # a device backend: 'mxnet' or 'cupy'
            try:
                result = (_run_mxnet if backend == "mxnet" else _run_cupy)(
                    op, args, kwargs, arrays, device)
            except TransferError:
                raise  # the guard forbade a copy: never hide that behind a fallback
            except Exception as exc:
                if out_of_memory(exc, name) is not None:
                    # Out of device memory: no retry on the host (on a CPU the same
                    # memory); the pools are emptied so that later calls can allocate.
                    raise _out_of_memory(exc, name) from None
                if pol.strict:
                    if isinstance(exc, Rejected) and not isinstance(exc, Invalid):
                        raise NotImplementedError(
                            f"minpy.numpy.{name}: {_LABEL[backend]} cannot run this call "
                            f"({exc}) and the policy is '{pol.name}'") from None
                    raise _strict_error(op, args, kwargs, device, exc, backend,
                                        pol.name) from None
                if not isinstance(exc, Invalid):  # the caller's error, not the backend's
                    pol.rejected(op, arrays, exc)
                _policy.notify_fallback(name, _reason(exc, backend))
            else:
                if timing:
                    _policy.record(name, backend, time.perf_counter() - t0)
                if view_rule is not None:
                    return _link_mx_view(op, view_rule, args, kwargs, result)
                return result
        elif no_mxnet and pol.wants_mxnet:
            _policy.notify_fallback(name, "no MXNet implementation")
        result = _run_numpy(op, args, kwargs, device)
        if timing:
            _policy.record(name, "numpy", time.perf_counter() - t0)
        return result

    call.__name__ = name.rsplit(".", 1)[-1]
    call.__qualname__ = call.__name__
    # Where the namespace holds it, so that pickle finds it by reference (as NumPy's
    # functions pickle: multiprocessing and joblib send them to workers).
    call.__module__ = "minpy.numpy" + ("." + name.rsplit(".", 1)[0] if "." in name else "")
    call.__doc__ = _docstring(op)
    traced = primitive(call, name=name)
    traced.op = op
    # NumPy's signature (not call's *args, **kwargs): the tracer places traced keyword
    # arguments (``average(x, weights=w)``) by it
    traced.__wrapped__ = _signature_source(op)
    # bound once: each module-attribute lookup costs on the hottest path (not the
    # recorder: reset_op_stat replaces it)
    get_policy, ndarray = _policy.get_policy, np.ndarray

    def untraced(*args, **kwargs):
        # What a recorded call runs on its unboxed arguments: ``fn``'s short path for
        # the common CPU call (a trace is open, so ``fn`` itself would look for boxes
        # again), else ``call``.
        if not kwargs and len(args) <= out_pos:
            pol = get_policy()
            if pol.host_fast and not _policy._recorder.active and (
                    raw or raw_ok(args, kwargs)):
                hosts, device = _host_args_on_cpu(args)
                if hosts is not None:
                    res = numpy_fn(*hosts)
                    if fresh and type(res) is ndarray:
                        out = _new(Array)
                        out._set(res, None, device)
                        return out
                    return _views.adopt(res, args, kwargs, device)
        return call(*args, **kwargs)

    def traced_out(args, kwargs):
        # ``out=`` with traced values: the result computed traced, then written into
        # ``out`` as ``out[...] = result`` (a traced ``out`` is rebound and the tape
        # records the write; an untraced one refuses a traced result).
        if len(args) > out_pos:
            args, kwargs = _out_to_keyword(numpy_fn, args, kwargs, out_pos, after_out)
        kwargs = dict(kwargs)
        return _with_out(op, fn, kwargs.pop("out"), args, kwargs)

    def fn(*args, **kwargs):
        # The most common call, one frame deep: no trace open, no keywords, a policy
        # that runs NumPy on the CPU, host-resident operands (the first branch of
        # ``call``, without the primitive's frame). Everything else: ``traced``.
        if _tracing._open_traces:
            if (kwargs and kwargs.get("out") is not None) or len(args) > out_pos:
                if _handoff._has_box(args) or _handoff._has_box(kwargs):
                    return traced_out(args, kwargs)
            elif writes is not None and targets(numpy_fn, writes, args, kwargs):
                _handoff.refuse_traced_write(label, args, kwargs)
            boxes = _tracing._find_boxes(args)
            if boxes and not kwargs:  # recorded: the primitive's work without its frame
                return _tracing._call_traced(traced, untraced, boxes, args, kwargs)
        elif numpy_mode and numpy_mode == get_ident():  # see ``numpy_mode``
            return numpy_fn(*_numpy_args(args), **(_host_kwargs(kwargs) if kwargs else kwargs))
        elif not kwargs and len(args) <= out_pos:
            pol = get_policy()
            if pol.host_fast and not _policy._recorder.active:
                if raw or raw_ok(args, kwargs):
                    hosts, device = _host_args_on_cpu(args)
                    if hosts is not None:
                        res = numpy_fn(*hosts)
                        if fresh and type(res) is ndarray:
                            # Array._from_host without its checks: a ufunc's ndarray
                            # result owns its memory (not shared, not a view).
                            out = _new(Array)
                            out._set(res, None, device)
                            return out
                        return _views.adopt(res, args, kwargs, device)
                elif no_mxnet and ("cupy" not in op.impls or not _cupy.in_use):
                    # A NumPy fallback: through the one door, without the primitive's
                    # frame (the first branch of ``call`` that ``traced`` would reach).
                    return door(numpy_fn, args, kwargs, _first_device(args), trusted=trusted,
                                spec=writes, name=label, positional_out=False)
        return traced(*args, **kwargs)

    fn.__name__, fn.__qualname__, fn.__doc__ = call.__name__, call.__qualname__, call.__doc__
    fn.__module__ = call.__module__
    # NumPy's signature for inspect.signature/help()/IDEs, at no cost: inspect follows
    # __wrapped__ to NumPy's function (or ``op.signature``, where MinPy's differs).
    fn.__wrapped__ = _signature_source(op)
    fn.primitive_name, fn.raw_function, fn.op = traced.primitive_name, call, op
    if isinstance(op.numpy, np.ufunc):
        _attach_ufunc_methods(fn, op.numpy)
    return fn


_LABEL = {"mxnet": "MXNet", "cupy": "CuPy"}


def _out_of_memory(exc, name):
    """The MemoryError for a backend's allocation failure, after giving the backends'
    cached memory back (``minpy.core.release_memory``)."""
    from minpy.core import release_memory
    release_memory()
    return out_of_memory(exc, f"minpy.numpy.{name}")


def _strict_error(op, args, kwargs, device, exc, backend="mxnet", policy="only_mxnet"):
    """Under a strict policy ('only_mxnet', 'only_cupy'), what a backend failure raises.
    NumPy arbitrates (its result is never used): if NumPy rejects the call too, the
    caller erred and gets NumPy's own exception (ValueError, AxisError, ...); if NumPy
    accepts it, the backend cannot do this call, a NotImplementedError naming the op.
    The arguments the call would write are given to NumPy as copies: the verdict must
    not write."""
    trusted, writes = _access(op)
    written = _handoff.targets(op.numpy, writes, args, kwargs)
    if written:
        args, kwargs = _copies(args, written), _copies(kwargs, written)
    try:
        _run_numpy(op, args, kwargs, device)
    except TransferError:  # NumPy may not see the data: classify by MXNet's message
        return translate(exc, f"minpy.numpy.{op.name}") if is_mxnet_error(exc) else exc
    except Exception as np_exc:  # noqa: BLE001 (NumPy's verdict, whatever it is)
        return np_exc
    return NotImplementedError(
        f"minpy.numpy.{op.name}: {_LABEL[backend]} cannot run this call "
        f"({_reason(exc, backend)}) and the policy is '{policy}'")


def _copies(x, arrays):
    """``x`` (args or kwargs) with the Arrays among ``arrays`` replaced by copies."""
    if isinstance(x, Array):
        return Array._from_host(np.array(x._host_value()), x._device) if any(
            x is a for a in arrays) else x
    t = type(x)
    if t is tuple or t is list:
        return t([_copies(e, arrays) for e in x])
    if t is dict:
        return {k: _copies(v, arrays) for k, v in x.items()}
    return x


def _reason(exc, backend="mxnet"):
    label = _LABEL[backend]
    if isinstance(exc, Rejected):
        return f"{label} does not handle {exc}"
    text = str(exc).strip().splitlines()
    return f"{label} raised {type(exc).__name__}: {text[-1] if text else ''}"[:300]


#: NumPy 2's functions that take ``device=`` (the array API's creation functions): MinPy
#: reads it as a MinPy device (:func:`minpy.core.array_api.as_device`), never NumPy.
_DEVICE_KEYWORD = frozenset(
    "arange asanyarray asarray astype empty empty_like eye from_dlpack full full_like "
    "linspace ones ones_like zeros zeros_like fft.fftfreq fft.rfftfreq".split())


def _on_device(call, args, kwargs):
    """``call(*args, **kwargs)`` with ``device=`` honoured: made under that device (or
    moved there, for ``*_like`` of an array elsewhere)."""
    from minpy.core import device as device_scope
    from minpy.core.array_api import as_device

    kwargs = dict(kwargs)
    dev = kwargs.pop("device")
    if dev is None:
        return call(*args, **kwargs)
    dev = as_device(dev)
    with device_scope(dev):
        res = call(*args, **kwargs)
    if isinstance(res, Array) and res._device != dev:
        res = res.to(dev)
    return res


def _signature_source(op):
    """The function whose signature ``op``'s MinPy function presents: ``op.signature``
    if the op sets one, else NumPy's public function of that name, else ``op.numpy``."""
    from ._table import numpy_function
    return getattr(op, "signature", None) or numpy_function(op.name) or op.numpy


def _docstring(op):
    """NumPy's docstring of ``op``'s name, followed by where MinPy runs it."""
    where = "MXNet or NumPy, as the policy decides" if op.impls else "NumPy (fallback)"
    note = (f"MinPy: ``minpy.numpy.{op.name}`` runs on {where}." +
            (f" {op.doc}" if op.doc else ""))
    from ._table import numpy_function
    ref = numpy_function(op.name) or op.numpy
    doc = getattr(ref, "__doc__", None)
    if not doc:
        return note
    # The note takes the indentation of the docstring's body, so help() dedents both
    # alike (read off its first indented line: scanning every line cost ~50 us each).
    body = _INDENT.search(doc)
    return f"{doc.rstrip()}\n\n{body.group(1) if body else ''}{note}\n"


_INDENT = re.compile(r"\n([ \t]+)\S")


def _attach_ufunc_methods(fn, ufunc):
    """``np.add.reduce``/``outer``/``accumulate``/``at`` and ufunc attributes, in NumPy."""
    def method(m):
        def run(*args, **kwargs):
            # through the one door: ``at`` writes its first argument, the others ``out``
            return _handoff.ufunc_method(ufunc, m, args, kwargs, _first_device(args))
        run.__name__ = m
        run.__doc__ = f"As ``numpy.{ufunc.__name__}.{m}``, on Arrays (in NumPy)."
        return run
    for m in ("reduce", "accumulate", "outer", "reduceat", "at"):
        setattr(fn, m, method(m))
    for attr in ("nin", "nout", "nargs", "ntypes", "types", "identity", "signature"):
        setattr(fn, attr, getattr(ufunc, attr))


def make_fallback(name, numpy_fn):
    """The function for a NumPy name with no table entry: NumPy on host forms."""
    from ._table import Op
    return make_function(Op(name=name, numpy=numpy_fn, impls={}, kind="default",
                            doc="This name has no MXNet implementation."))
