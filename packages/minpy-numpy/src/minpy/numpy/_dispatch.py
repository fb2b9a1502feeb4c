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

import re
import time
from threading import get_ident

import numpy as np

from minpy.core import Array, _handoff, _views, current_device, primitive
from minpy.core import backend as _backend
from minpy.core import tracing as _tracing
from minpy.core.backend import IndexOutOfRange
from minpy.core.convert import to_host
from minpy.core.errors import is_mxnet_error, out_of_memory, translate
from minpy.core.transfer import TransferError

from . import policy as _policy

__all__ = ["make_function", "arrays_of", "result_device", "Rejected"]

_NUMPY2 = int(np.__version__.split(".")[0]) >= 2
_new = object.__new__
_SCALARS = (bool, int, float, complex)
_HOST = _backend.HOST
#: Registered backends by name (policies may name them).
_backends = _backend._registry


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


# -- the device paths: each backend's op module (its ``ops.run``) ----------------
from . import _mxnet_ops  # noqa: E402,F401,I001  (the backends' op modules: each sets its ``ops``)
from ._plan import CACHE_LIMIT as _CACHE_LIMIT  # noqa: E402
from ._plan import FAILURE_LIMIT as _FAILURE_LIMIT  # noqa: E402,F401  (tests read it here)
from ._plan import plans as _plans  # noqa: E402,F401  (tests read it here)


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
    if is_view is None and type(result) is Array and parent._host is None:
        # Only the memory layout knows (reshape of a view): the device backend can tell
        # from its arrays' metadata (CuPy's), with no copy to the host.
        is_view = result._is_view_of(parent)
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
    # No device backend that serves the CPU too implements it (no MXNet kernel): a
    # policy that wants one is told of the fallback.
    no_cpu_impl = not any(be in op.impls for be in _backend.cpu_backends())
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
            if not pol.strict and _nothing_to_choose(op):
                # Nothing to choose: NumPy, with the arrays brought to the host.
                if pol.wants_device:
                    _policy.notify_fallback(name, _policy.no_implementation())
                return _run_numpy(op, args, kwargs, _first_device(args))
        arrays = arrays_of(op, args)
        device = result_device(arrays)
        backend = pol.choose(op, arrays, device)
        timing = _policy.recording()
        t0 = time.perf_counter() if timing else 0.0
        if backend != _HOST:  # a device backend (an object, or a policy's name of one)
            backend = _backends[backend]
            try:
                result = backend.ops.run(op, args, kwargs, arrays, device)
            except (TransferError, IndexOutOfRange):
                # the guard forbade a copy, or an index is out of range (NumPy's
                # IndexError, found on the device): never hidden behind a fallback
                raise
            except Exception as exc:
                if out_of_memory(exc, name) is not None:
                    # Out of device memory: no retry on the host (on a CPU the same
                    # memory); the pools are emptied so that later calls can allocate.
                    raise _out_of_memory(exc, name) from None
                if pol.strict:
                    if isinstance(exc, Rejected) and not isinstance(exc, Invalid):
                        raise NotImplementedError(
                            f"minpy.numpy.{name}: {backend.label} cannot run this call "
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
        elif no_cpu_impl and pol.wants_device:
            _policy.notify_fallback(name, _policy.no_implementation())
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
                elif _nothing_to_choose(op):
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


_ORDER = _backend._order  # the registered backends, kept current by the registry


def _nothing_to_choose(op) -> bool:
    """Whether no device backend can run ``op`` now: none implements it that serves the
    CPU too (MXNet) or holds data already (CuPy once a GPU it serves was handed out)."""
    impls = op.impls
    for be in _ORDER:
        if be in impls and not be.is_host and (be.serves_cpu or be.in_use):
            return False
    return True


def _out_of_memory(exc, name):
    """The MemoryError for a backend's allocation failure, after giving the backends'
    cached memory back (``minpy.core.release_memory``)."""
    from minpy.core import release_memory
    release_memory()
    return out_of_memory(exc, f"minpy.numpy.{name}")


def _strict_error(op, args, kwargs, device, exc, backend, policy):
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
        f"minpy.numpy.{op.name}: {backend.label} cannot run this call "
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


def _reason(exc, backend):
    label = backend.label
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
                            doc="No device backend implements this name."))
