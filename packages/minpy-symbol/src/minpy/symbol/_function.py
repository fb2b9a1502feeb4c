"""``Function``: an MXNet symbol graph as a differentiable MinPy primitive.

Mechanism
    Each bound signature (argument shapes, dtypes, device) gets one ``mx.nd.CachedOp``
    over the symbol. A CachedOp takes its inputs as arguments, so a call hands it the
    Arrays' MXNet forms as they are: no copy into bound executor arrays, fresh outputs
    every call (no aliasing between the results of two calls). A plain call runs the
    CachedOp outside MXNet's autograd. A call that a MinPy trace follows (some argument
    is boxed) detaches its inputs, marks them, and records the CachedOp under
    ``mx.autograd.record``; its gradient rule is ``mx.autograd.grad`` over that record
    with the incoming head gradients (see :mod:`minpy.symbol._grad`).

Dtypes
    The graph runs in the dtype of its inputs, never silently in float32: the
    floating-point inputs are promoted together with NumPy's rules (all float64 stays
    float64; float32 data with float64 weights runs in float64), integer and boolean
    inputs (labels, indices) are passed as they are, Python scalars take the common
    float dtype (else the default float dtype). ``Function(..., dtype='float32')`` asks
    for a compute dtype instead: floating inputs are cast to it and the outputs have
    it. Gradients come back in each input's own dtype.

Training and inference mode
    ``fn.train()`` / ``fn.eval()`` (or ``Function(..., train=False)``) select the mode
    the operators run in (BatchNorm, Dropout). Auxiliary states (BatchNorm's moving
    mean and variance) live inside the Function, one set per device; inference mode
    reads them, training mode updates them exactly once per call. MXNet 1.x computes
    that update in BatchNorm's *backward* pass, so: a plain training-mode call of a
    graph with auxiliary states runs a backward pass at the call to update them (an
    extra cost only for such graphs); a traced call updates them when its gradient is
    computed, once (a second backward over the same call restores them afterwards).
    A traced call whose outputs receive no gradient leaves them unchanged.
"""

from __future__ import annotations

import collections.abc
import importlib
import numbers
import threading
import time
from collections import OrderedDict

import numpy as _onp

from minpy.core import _mxnet, release_memory, tracing
from minpy.core.array import Array
from minpy.core.device import current_device
from minpy.core.dtypes import get_default_float_dtype, mx_holdable
from minpy.core.errors import out_of_memory
from minpy.core.tracing import Box

__all__ = ["Function", "SymbolShapeError", "SymbolArgumentError"]

try:  # minpy.numpy's op statistics (the module, not the `policy` context manager)
    _op_stats = importlib.import_module("minpy.numpy.policy")
except ImportError:  # pragma: no cover
    _op_stats = None

#: Name suffixes of the arguments MXNet creates for an operator's parameters.
PARAM_SUFFIXES = ("_weight", "_bias", "_gamma", "_beta", "_parameters", "_alpha")

_FLOAT = frozenset("f")

#: Bindings (one per argument shapes, dtypes and device) a Function keeps by default:
#: a training loop with a few batch sizes hits them all; one that varies the batch size
#: without end drops the least recently used (``Function(..., cache_size=n)``).
DEFAULT_CACHE_SIZE = 64

_SUPPORTED = ("MXNet's kernels run float32 and float64 (float16 on GPUs only); integer "
              "and bool arguments only where the graph's operators take them")


class SymbolArgumentError(TypeError):
    """A Function was called with a missing, unknown or repeated argument."""


class SymbolShapeError(ValueError):
    """Shapes that contradict the Function's ``input_shapes`` or each other."""


def _kernel_reason(exc):
    """The kernel's own words from an MXNetError (``FP16 gemm on cpu not implemented!``)
    as `` (...)``, without C++ tracebacks or ``Check failed`` assertions."""
    for line in str(exc).splitlines():
        text = line.split("Error:")[-1].strip() if "Error:" in line else ""
        if text and "Check failed" not in text and not text.startswith("["):
            return f" ({text[:200]})"
    return ""


def _fmt_shape(shape):
    return "?" if shape is None else str(tuple(shape))


class _Bound:
    """One bound signature: the CachedOp and what a call needs to feed it."""

    __slots__ = ("key", "op", "arg_shapes", "arg_dtypes", "out_shapes", "out_dtypes",
                 "aux_shapes", "aux_dtypes", "casts", "slots", "template", "device",
                 "n_out", "grad_bufs")


class _CallState:
    """What the gradient rule of one traced call needs (kept by the tape node)."""

    __slots__ = ("fn", "bound", "variables", "heads", "is_train", "aux", "in_dtypes",
                 "runs", "last_g", "last_grads")

    def __init__(self):
        self.runs = 0
        self.last_g = None
        self.last_grads = None


def _symbol_call(*args, _fn=None, _state=None):
    """The primitive: ``args`` are the symbol's arguments in ``list_arguments()`` order."""
    return _fn._run(args, _state)


_apply = tracing.primitive(_symbol_call, name="minpy.symbol.Function")


_registered_n = 0   # argument positions with gradient rules registered


def _ensure_registered(n):
    global _registered_n
    from ._grad import ensure_registered
    ensure_registered(n)
    _registered_n = max(_registered_n, n)


class Function:
    """An MXNet symbol (``mx.sym``) as a MinPy function that autograd differentiates.

    Parameters
    ----------
    symbol : mxnet.symbol.Symbol
        The graph. ``mx.sym.Group`` gives several outputs.
    input_shapes : dict, optional
        ``{argument name: shape}``. The shapes of the other arguments are inferred and
        the Function is bound at once; every call is checked against these shapes.
        Without it, shapes are inferred from each call's arguments.
    name : str, optional
        Used in error messages (default: the symbol's name).
    train : bool
        Start in training mode (default) or in inference mode; see :meth:`train`.
        ``is_train`` is the original MinPy's name for it.
    dtype : dtype, optional
        Compute dtype for the floating-point inputs (default: the inputs' own dtype).
    data_names : iterable of str, optional
        Which arguments are data rather than parameters (default: the keys of
        ``input_shapes``, else every argument whose name does not end in an MXNet
        parameter suffix such as ``_weight`` or ``_bias``).
    cache_size : int, optional
        How many bindings (one per argument shapes, dtypes and device) to keep, least
        recently used dropped first with their MXNet memory (default
        :data:`DEFAULT_CACHE_SIZE`, 64).

    Notes
    -----
    Calling it: ``fn(x=..., conv_weight=...)`` with one keyword per argument (or
    positionally in :meth:`list_arguments` order); inputs may be MinPy Arrays, NumPy
    arrays or Python scalars. The result is an Array on the current device, or a tuple
    of Arrays for several outputs.
    """

    @_mxnet.scoped
    def __init__(self, symbol, input_shapes=None, name=None, train=True, dtype=None,
                 data_names=None, is_train=None, cache_size=None):
        if is_train is not None:  # the original MinPy's keyword
            train = is_train
        mx = _mxnet.require()
        if not isinstance(symbol, mx.sym.Symbol):
            raise TypeError(f"Function expects an mxnet Symbol, got {type(symbol).__name__}")
        self._mxnet_mod = mx
        self.symbol = symbol
        self._np_symbol = symbol.as_np_ndarray() if hasattr(symbol, "as_np_ndarray") \
            else symbol
        self.name = name or symbol.name or "symbol"
        self._args = tuple(symbol.list_arguments())
        self._arg_index = {n: i for i, n in enumerate(self._args)}
        self._aux_names = tuple(symbol.list_auxiliary_states())
        self._inputs = tuple(symbol.list_inputs())
        self._outputs = tuple(symbol.list_outputs())
        self._dtype = None if dtype is None else _onp.dtype(dtype)
        if self._dtype is not None and self._dtype.kind != "f":
            raise TypeError(f"Function dtype must be a floating-point dtype, not {self._dtype}")
        self.is_train = bool(train)
        # Whether the mode matters to this graph (else calls skip switching it).
        self._mode_sensitive = bool(self._aux_names) or _has_mode_ops(symbol)
        # Bindings per signature, least recently used first; past ``cache_size`` the
        # oldest is dropped (its CachedOp and buffers, so MXNet frees their memory).
        self._cache: OrderedDict = OrderedDict()
        self.cache_size = DEFAULT_CACHE_SIZE if cache_size is None else int(cache_size)
        if self.cache_size < 1:
            raise ValueError(f"cache_size must be at least 1, not {cache_size!r}")
        # One call of the graph at a time: the bindings, their CachedOps and gradient
        # buffers are shared by every thread calling this Function.
        self._lock = threading.RLock()
        self._last_key = None
        self._last_bound = None
        self.bind_count = 0
        self._aux: dict = {}          # device -> {aux name: mx.np.ndarray}
        self._pending_aux: dict = {}  # values set before the first binding (host)
        self._input_shapes = self._check_input_shapes(input_shapes)
        if data_names is not None:
            data_names = tuple(data_names)
            self._check_names(data_names, "data_names")
        elif self._input_shapes is not None:
            data_names = tuple(n for n in self._args if n in self._input_shapes)
        else:
            data_names = tuple(n for n in self._args if not n.endswith(PARAM_SUFFIXES))
        self.data_names = data_names
        self._inferred = self._infer_from(self._input_shapes or {})
        if self._input_shapes is not None:
            missing = [n for n, s in self._inferred[0].items() if s is None]
            if missing:
                raise SymbolShapeError(
                    f"{self.name}: input_shapes {self._input_shapes} do not determine the "
                    f"shapes of {missing}; add them to input_shapes")
            # Bind now for float inputs of the compute (else default float) dtype; a
            # graph that fixes other dtypes binds at its first call instead.
            dt = self._dtype or get_default_float_dtype()
            key = tuple((tuple(self._inferred[0][n]), dt) for n in self._args)
            try:
                self._bind(key, current_device())
            except TypeError:
                pass

    # -- checks and messages ---------------------------------------------------------
    def _check_names(self, names, what):
        unknown = [n for n in names if n not in self._arg_index]
        if unknown:
            raise SymbolArgumentError(
                f"{self.name}: {what} names unknown argument(s) {unknown}; the symbol's "
                f"arguments are {list(self._args)}")

    def _check_input_shapes(self, input_shapes):
        if input_shapes is None:
            return None
        if not isinstance(input_shapes, collections.abc.Mapping):
            hint = ""
            if isinstance(input_shapes, (set, frozenset)):
                hint = (" (a set was given: write {'x': (8, 3, 10, 10)} with a colon, "
                        "not {'x', (8, 3, 10, 10)} with a comma)")
            raise TypeError(
                f"{self.name}: input_shapes must be a dict mapping argument names to "
                f"shapes, got a {type(input_shapes).__name__}{hint}; the symbol's "
                f"arguments are {list(self._args)}")
        self._check_names(list(input_shapes), "input_shapes")
        out = {}
        for n, s in input_shapes.items():
            try:
                shape = tuple(int(d) for d in s) if not isinstance(s, (str, bytes)) \
                    else None
            except TypeError:
                shape = None
            if shape is None or any(d < 0 for d in shape) or any(
                    isinstance(d, bool) or not isinstance(d, numbers.Integral) for d in s):
                raise TypeError(
                    f"{self.name}: input_shapes[{n!r}] must be a tuple of non-negative "
                    f"ints, got {s!r}")
            out[n] = shape
        return out

    def _infer_from(self, shapes):
        """(arg shapes, out shapes, aux shapes) as dicts/lists, None where unknown."""
        try:
            args, outs, aux = self.symbol.infer_shape_partial(**shapes)
        except Exception as exc:
            raise SymbolShapeError(
                f"{self.name}: cannot infer shapes from {shapes}: "
                f"{_mx_message(exc)}") from None

        arg = {n: None if s is None else tuple(s)
               for n, s in zip(self._args, args or [None] * len(self._args))}
        # With NumPy shape semantics an unknown shape comes back as () or with -1s.
        for n, s in list(arg.items()):
            if s is not None and (any(d < 0 for d in s) or (s == () and n not in shapes)):
                arg[n] = None
        outs = [tuple(s) if s is not None and all(d >= 0 for d in s) else None
                for s in (outs or [None] * len(self._outputs))]
        aux = {n: tuple(s) if s is not None and all(d >= 0 for d in s) else None
               for n, s in zip(self._aux_names, aux or [None] * len(self._aux_names))}
        return arg, outs, aux

    def signature(self) -> str:
        """``name(arg: shape, ...)`` with the shapes known so far."""
        shapes = self._known_arg_shapes()
        return f"{self.name}(" + ", ".join(
            f"{n}: {_fmt_shape(shapes.get(n))}" for n in self._args) + ")"

    def _known_arg_shapes(self):
        if self._last_bound is not None:
            return dict(zip(self._args, self._last_bound.arg_shapes))
        return dict(self._inferred[0])

    # -- calling ---------------------------------------------------------------------
    @_mxnet.scoped
    def __call__(self, *args, **kwargs):
        names = self._args
        if not args and len(kwargs) == len(names):
            try:
                vals = [kwargs[n] for n in names]
            except KeyError:
                vals = self._collect(args, kwargs)
        else:
            vals = self._collect(args, kwargs)
        state = None
        if tracing._open_traces:
            for v in vals:
                if isinstance(v, Box):
                    if len(names) > _registered_n:
                        _ensure_registered(len(names))
                    state = _CallState()
                    break
        if _op_stats is not None and _op_stats.recording():
            # Show the Function in minpy.numpy's "what ran where" report.
            start = time.perf_counter()
            out = _apply(*vals, _fn=self, _state=state)
            _op_stats.record(f"Function({self.name})", _mxnet.BACKEND,
                             time.perf_counter() - start)
            return out
        return _apply(*vals, _fn=self, _state=state)

    def _collect(self, args, kwargs):
        names = self._args
        if len(args) > len(names):
            raise SymbolArgumentError(
                f"{self.name} takes {len(names)} arguments {list(names)}, "
                f"got {len(args)} positional")
        given = dict(zip(names, args))
        twice = [k for k in kwargs if k in given]
        unknown = [k for k in kwargs if k not in self._arg_index]
        given.update(kwargs)
        missing = [n for n in names if n not in given]
        if unknown or missing or twice:
            parts = []
            if missing:
                parts.append(f"missing argument(s) {missing}")
            if unknown:
                aux = [k for k in unknown if k in self._aux_names]
                parts.append(f"unknown argument(s) {unknown}" + (
                    f" ({aux} are auxiliary states, kept inside the Function: set them "
                    "with set_aux_states)" if aux else
                    " (the original MinPy ignored them; pass only the symbol's arguments, "
                    "e.g. fn(X=X, **fn.select(params)))"))
            if twice:
                parts.append(f"argument(s) {twice} given twice")
            raise SymbolArgumentError(
                f"{self.name}: {'; '.join(parts)}. Expected {self.signature()}")
        return [given[n] for n in names]

    def _run(self, vals, state):
        """The primitive's body: ``vals`` unboxed, in argument order (serialised: see
        ``_lock``)."""
        with self._lock:
            try:
                return self._run_locked(vals, state)
            except Exception as exc:
                oom = out_of_memory(exc, self.name)
                if oom is None:
                    raise
            release_memory()  # what the failed call left cached, so the next can allocate
            raise oom

    def _check_dtype(self, i, dtype):
        dtype = _onp.dtype(dtype)
        if dtype.kind not in "biuf" or not mx_holdable(dtype):
            raise TypeError(
                f"{self.name}: argument {self._args[i]!r} has dtype {dtype}, which MXNet "
                f"cannot hold; {_SUPPORTED}")

    def _run_locked(self, vals, state):
        mx = self._mxnet_mod
        dev = current_device()
        ctx = dev.mx_context
        mxvals = []
        key = []
        scalars = None
        for i, v in enumerate(vals):
            if type(v) is Array:
                if not mx_holdable(v.dtype) or v.dtype.kind not in "biuf":
                    self._check_dtype(i, v.dtype)
                m = v._form(_mxnet.BACKEND)
                if v._device != dev:
                    m = m.as_in_context(ctx)
                key.append((v.shape, v.dtype))
            elif isinstance(v, _onp.ndarray) or isinstance(v, Array):
                self._check_dtype(i, v.dtype)
                if isinstance(v, Array):
                    m = v._form(_mxnet.BACKEND).as_in_context(ctx)
                else:
                    m = mx.np.array(v, dtype=v.dtype, ctx=ctx)
                key.append((tuple(v.shape), _onp.dtype(v.dtype)))
            elif isinstance(v, (numbers.Number, _onp.generic)) and not isinstance(v, bool):
                m = None
                scalars = scalars or []
                scalars.append(i)
                key.append(((), None))
            else:
                raise TypeError(
                    f"{self.name}: argument {self._args[i]!r} must be an Array, a NumPy "
                    f"array or a scalar, got {type(v).__name__}")
            mxvals.append(m)
        if scalars:
            common = _common_float([k[1] for k in key if k[1] is not None]) or \
                self._dtype or get_default_float_dtype()
            for i in scalars:
                key[i] = ((), common)
                mxvals[i] = mx.np.array(vals[i], dtype=common, ctx=ctx)
        key = (tuple(key), dev)
        if key == self._last_key:
            bound = self._last_bound
        else:
            bound = self._cache.get(key)
            if bound is None:
                bound = self._bind(key[0], dev)
            else:
                self._cache.move_to_end(key)
            self._last_key = key
            self._last_bound = bound
        casts = bound.casts
        if casts is not None:
            for i, dt in casts:
                mxvals[i] = mxvals[i].astype(dt)
        if state is not None:
            return self._run_traced(bound, mxvals, state, vals)
        if self.is_train and bound.template is not None and self._aux_names:
            return self._run_train_update(bound, mxvals, dev)
        inputs = self._feed(bound, mxvals)
        try:
            if self.is_train and self._mode_sensitive:
                with mx.autograd.train_mode():
                    out = bound.op(*inputs)
            else:
                out = bound.op(*inputs)
        except Exception as exc:
            raise self._kernel_error(exc, bound) from None
        return self._wrap(out, bound, dev)

    def _kernel_error(self, exc, bound):
        """A TypeError naming the arguments when MXNet's kernels lack their dtypes (its
        C++ message, e.g. ``FP16 gemm on cpu not implemented!``, says which kernel);
        else ``exc`` unchanged."""
        odd = {n: str(d) for n, d in zip(self._args, bound.arg_dtypes)
               if d not in (_onp.dtype("float32"), _onp.dtype("float64"))}
        if not odd or not type(exc).__name__ == "MXNetError":
            return exc
        return TypeError(f"{self.name}: MXNet cannot run this graph on the dtypes of "
                         f"{odd}{_kernel_reason(exc)}; {_SUPPORTED}")

    def _feed(self, bound, mxvals):
        if bound.template is None:
            return mxvals
        inputs = list(bound.template)
        for i, pos in enumerate(bound.slots):
            inputs[pos] = mxvals[i]
        return inputs

    def _wrap(self, out, bound, dev):
        if bound.n_out == 1 and not isinstance(out, list):
            return Array._from_form(_mxnet.BACKEND, out, dev)
        return tuple(Array._from_form(_mxnet.BACKEND, o, dev) for o in out)

    def _record(self, bound, mxvals):
        mx = self._mxnet_mod
        variables = [m.detach() for m in mxvals]
        # Mark them for MXNet's autograd. The gradients come from mx.autograd.grad as
        # fresh arrays, never through these buffers, so one zero set per binding serves
        # every call (attach_grad would allocate and zero-fill new ones each time).
        bufs = bound.grad_bufs
        if bufs is None:
            ctx = bound.device.mx_context
            bufs = bound.grad_bufs = [mx.np.zeros(s, dtype=d, ctx=ctx) for s, d in
                                      zip(bound.arg_shapes, bound.arg_dtypes)]
        mx.autograd.mark_variables(variables, bufs)
        inputs = self._feed(bound, variables)
        with mx.autograd.record(train_mode=self.is_train):
            out = bound.op(*inputs)
        heads = out if isinstance(out, list) else [out]
        return out, heads, variables

    def _run_traced(self, bound, mxvals, state, vals):
        dev = bound.device
        try:
            out, heads, variables = self._record(bound, mxvals)
        except Exception as exc:
            raise self._kernel_error(exc, bound) from None
        state.fn = self
        state.bound = bound
        state.variables = variables
        state.heads = heads
        state.is_train = self.is_train
        state.aux = self._aux_list(bound) if self.is_train and self._aux_names else None
        state.in_dtypes = [v.dtype if isinstance(v, (Array, _onp.ndarray)) else None
                           for v in vals]
        return self._wrap(out, bound, dev)

    def _run_train_update(self, bound, mxvals, dev):
        """Training-mode call of a graph with auxiliary states, not traced: MXNet
        updates moving statistics in the backward pass, so run one (head gradients of
        zero) to update them once."""
        mx = self._mxnet_mod
        out, heads, variables = self._record(bound, mxvals)
        mx.autograd.grad(heads, variables, head_grads=[mx.np.zeros_like(h) for h in heads],
                         retain_graph=False, train_mode=True)
        return self._wrap(out, bound, dev)

    # -- binding ---------------------------------------------------------------------
    def _bind(self, sig, dev):
        """Infer shapes and dtypes for signature ``sig`` and build its CachedOp."""
        mx = self._mxnet_mod
        shapes = {n: s for n, (s, _) in zip(self._args, sig)}
        given = {n: d for n, (_, d) in zip(self._args, sig)}
        if self._input_shapes is not None:
            expected = self._inferred[0]
            bad = [n for n in self._args if shapes[n] != expected[n]]
            if bad:
                raise SymbolShapeError(
                    f"{self.name}: shape mismatch for {bad}: got "
                    f"{', '.join(f'{n}: {_fmt_shape(shapes[n])}' for n in bad)}; expected "
                    f"{', '.join(f'{n}: {_fmt_shape(expected[n])}' for n in bad)} "
                    f"(from input_shapes={self._input_shapes}). Expected "
                    f"{self.signature()}")
        try:
            arg_shapes, out_shapes, aux_shapes = self.symbol.infer_shape(**shapes)
        except Exception as exc:
            raise SymbolShapeError(
                f"{self.name}: the argument shapes "
                f"{', '.join(f'{n}: {_fmt_shape(s)}' for n, s in shapes.items())} do not "
                f"fit the symbol: {_mx_message(exc)}. Expected {self.signature()}") from None
        # Dtypes: promote the floating inputs together (or to the requested dtype).
        floats = [d for d in given.values() if d is not None and d.kind in _FLOAT]
        target = self._dtype or _common_float(floats)
        want = {n: (target if d.kind in _FLOAT and target is not None else d)
                for n, d in given.items()}
        try:
            arg_types, out_types, aux_types = self.symbol.infer_type(
                **{n: d for n, d in want.items()})
        except Exception as exc:
            raise TypeError(
                f"{self.name}: MXNet rejects the argument dtypes "
                f"{ {n: str(d) for n, d in want.items()} }: {_mx_message(exc)}") from None
        arg_types = [_onp.dtype(t) for t in arg_types]
        casts = [(i, arg_types[i]) for i, n in enumerate(self._args)
                 if given[n] != arg_types[i]]
        b = _Bound()
        b.key = (sig, dev)
        b.device = dev
        b.arg_shapes = [tuple(s) for s in arg_shapes]
        b.arg_dtypes = arg_types
        b.out_shapes = [tuple(s) for s in out_shapes]
        b.out_dtypes = [_onp.dtype(t) for t in out_types]
        b.aux_shapes = [tuple(s) for s in aux_shapes]
        b.aux_dtypes = [_onp.dtype(t) for t in aux_types]
        b.casts = casts or None
        b.n_out = len(out_shapes)
        b.grad_bufs = None
        b.op = mx.nd.CachedOp(self._np_symbol)
        if self._inputs == self._args:
            b.slots = None
            b.template = None
        else:
            pos = {n: i for i, n in enumerate(self._inputs)}
            b.slots = [pos[n] for n in self._args]
            aux = self._ensure_aux(b)
            b.template = [aux.get(n) for n in self._inputs]
        self._cache[b.key] = b
        evicted = False
        while len(self._cache) > self.cache_size:
            _, old = self._cache.popitem(last=False)
            # Drop what holds MXNet memory (the CachedOp's handle and buffers); a call
            # recorded on it keeps its own references until its gradient is taken.
            old.op = old.grad_bufs = old.template = None
            evicted = True
        if evicted:
            # ... and hand it back: freed buffers of sizes never seen again stay in the
            # C heap (or MXNet's GPU pool) otherwise (minpy.core._memory).
            release_memory([dev])
        self.bind_count += 1
        self._last_key, self._last_bound = b.key, b
        return b

    # -- auxiliary states ------------------------------------------------------------
    def _ensure_aux(self, b):
        """The auxiliary arrays of device ``b.device``, created (zeros; ones for
        variances) or converted to this binding's shapes and dtypes."""
        mx = self._mxnet_mod
        ctx = b.device.mx_context
        store = self._aux.setdefault(b.device, {})
        # Values held for another device carry over.
        other = next((s for d, s in self._aux.items() if d != b.device), None)
        for n, shape, dt in zip(self._aux_names, b.aux_shapes, b.aux_dtypes):
            cur = store.get(n)
            if cur is None:
                if n in self._pending_aux:
                    cur = mx.np.array(self._pending_aux[n], dtype=dt, ctx=ctx)
                elif other is not None and n in other:
                    cur = other[n].as_in_context(ctx)
                else:
                    cur = (mx.np.ones if _is_variance(n) else mx.np.zeros)(
                        shape, dtype=dt, ctx=ctx)
                store[n] = cur
            if tuple(cur.shape) != shape:
                raise SymbolShapeError(
                    f"{self.name}: auxiliary state {n!r} has shape {tuple(cur.shape)} but "
                    f"these arguments need {shape}")
            if _onp.dtype(cur.dtype) != dt:
                raise TypeError(
                    f"{self.name}: auxiliary state {n!r} is held in {cur.dtype} but this "
                    f"call runs the graph in {dt}; call it with one float dtype, or fix "
                    "the compute dtype with Function(..., dtype=...)")
        return store

    def _aux_list(self, bound):
        store = self._aux[bound.device]
        return [store[n] for n in self._aux_names]

    @_mxnet.scoped
    def get_aux_states(self, device=None):
        """``{name: Array}``: copies of the auxiliary states (moving statistics) on
        ``device`` (default: the current device). Empty before the first binding."""
        dev = device or current_device()
        store = self._aux.get(dev) or (next(iter(self._aux.values())) if self._aux else {})
        return {n: Array._from_form(_mxnet.BACKEND, store[n].copy(), dev) for n in self._aux_names
                if n in store}

    @property
    def aux_states(self):
        return self.get_aux_states()

    @_mxnet.scoped
    def set_aux_states(self, values=None, **kwargs):
        """Set auxiliary states by name (Arrays, NumPy arrays), on every device that
        holds them; before the first binding the values are kept and used."""
        values = dict(values or {}, **kwargs)
        unknown = [n for n in values if n not in self._aux_names]
        if unknown:
            raise SymbolArgumentError(
                f"{self.name}: unknown auxiliary state(s) {unknown}; the symbol's "
                f"auxiliary states are {list(self._aux_names)}")
        mx = self._mxnet_mod
        for n, v in values.items():
            host = v._host_value() if isinstance(v, Array) else _onp.asarray(v)
            self._pending_aux[n] = _onp.array(host)
            for store in self._aux.values():
                cur = store.get(n)
                if cur is None:
                    continue
                if tuple(cur.shape) != host.shape:
                    raise SymbolShapeError(
                        f"{self.name}: auxiliary state {n!r} has shape "
                        f"{tuple(cur.shape)}, got {host.shape}")
                # In place: the bound CachedOps' input lists keep pointing at it.
                cur[...] = mx.np.array(host, dtype=cur.dtype, ctx=cur.ctx)

    @_mxnet.scoped
    def reset_aux_states(self):
        """Moving means back to zero and moving variances to one."""
        self._pending_aux.clear()
        for store in self._aux.values():
            for n, arr in store.items():
                arr[...] = 1 if _is_variance(n) else 0

    # -- mode ------------------------------------------------------------------------
    def train(self, mode: bool = True) -> "Function":
        """Training mode (``mode=True``): BatchNorm uses batch statistics and updates
        its moving ones, Dropout drops. Returns ``self``."""
        self.is_train = bool(mode)
        return self

    def eval(self) -> "Function":
        """Inference mode: moving statistics are read, never updated. Returns ``self``."""
        return self.train(False)

    # -- introspection ---------------------------------------------------------------
    def list_arguments(self) -> list:
        """The argument names, in the order a positional call takes them."""
        return list(self._args)

    def list_outputs(self) -> list:
        return list(self._outputs)

    def list_auxiliary_states(self) -> list:
        return list(self._aux_names)

    def get_arg_shapes(self) -> dict:
        """``{argument: shape}``: from input_shapes or the last call (None: unknown)."""
        return self._known_arg_shapes()

    def get_params(self) -> dict:
        """``{parameter: shape}`` for every argument that is not data."""
        shapes = self._known_arg_shapes()
        return {n: shapes.get(n) for n in self._args if n not in self.data_names}

    def get_output_shapes(self) -> list:
        """The output shapes (None where unknown yet)."""
        if self._last_bound is not None:
            return list(self._last_bound.out_shapes)
        return list(self._inferred[1])

    def select(self, values: dict) -> dict:
        """The entries of ``values`` (e.g. a model's parameter dict) that are arguments
        of this Function: ``fn(X=X, **fn.select(model.params))``."""
        return {k: v for k, v in values.items() if k in self._arg_index}

    def get_one_output_shape(self) -> tuple:
        """The shape of the only output (the original MinPy's helper)."""
        shapes = self.get_output_shapes()
        if len(shapes) != 1:
            raise ValueError(f"{self.name} has {len(shapes)} outputs "
                             f"{self.list_outputs()}; use get_output_shapes()")
        return shapes[0]

    @_mxnet.scoped
    def init_params(self, initializer=None, seed=None, dtype=None, device=None,
                    **data_shapes) -> dict:
        """Fresh parameter Arrays ``{name: Array}`` for every non-data argument.

        ``initializer``: an ``mx.init.Initializer`` (default ``mx.init.Xavier()``;
        names ending in ``_bias``/``_beta`` get zeros and ``_gamma`` ones, MXNet's
        rules), or a callable ``(name, shape) -> array``. ``seed`` seeds MXNet's
        random generator first. ``dtype`` defaults to the Function's dtype, else the
        default float dtype. Shapes come from input_shapes, the last call, or
        ``data_shapes`` given here (``fn.init_params(x=(8, 3, 10, 10))``).
        """
        mx = self._mxnet_mod
        self._check_names(list(data_shapes), "init_params")
        if data_shapes:
            shapes = self._infer_from({n: tuple(s) for n, s in data_shapes.items()})[0]
        else:
            shapes = self._known_arg_shapes()
        params = [n for n in self._args if n not in self.data_names]
        unknown = [n for n in params if shapes.get(n) is None]
        if unknown:
            raise SymbolShapeError(
                f"{self.name}: the shapes of {unknown} are not known yet; give "
                "input_shapes to Function, call it once, or pass the data shapes to "
                f"init_params (e.g. init_params({', '.join(f'{n}=...' for n in self.data_names)}))")
        dev = device or current_device()
        dt = _onp.dtype(dtype) if dtype is not None else (self._dtype or
                                                          get_default_float_dtype())
        if seed is not None:
            mx.random.seed(int(seed), ctx=dev.mx_context)
        init = mx.init.Xavier() if initializer is None else initializer
        out = {}
        for n in params:
            if isinstance(init, mx.init.Initializer):
                # MXNet's initializers draw float32 (their random ops' default dtype).
                arr = mx.np.zeros(shapes[n], dtype="float32", ctx=dev.mx_context)
                init(mx.init.InitDesc(n), arr)
                if dt != _onp.float32:
                    arr = arr.astype(dt)
                out[n] = Array._from_form(_mxnet.BACKEND, arr, dev)
            else:
                value = init(n, shapes[n])
                host = value._host_value() if isinstance(value, Array) else _onp.asarray(value)
                out[n] = Array._from_host(_onp.array(host, dtype=dt), dev)
        return out

    @classmethod
    def from_block(cls, block, input_shapes, name=None, train=True, dtype=None,
                   initialize=True):
        """Wrap a Gluon ``HybridBlock``: ``(function, params)``. See
        :func:`minpy.symbol.from_block`."""
        from ._block import from_block
        return from_block(block, input_shapes, name=name, train=train, dtype=dtype,
                          initialize=initialize, cls=cls)

    def __repr__(self):
        mode = "train" if self.is_train else "eval"
        return f"<minpy.symbol.Function {self.signature()} -> {self._outputs} [{mode}]>"


#: Operators whose result depends on training vs inference mode (``ctx.is_train``).
MODE_OPS = frozenset({
    "BatchNorm", "BatchNorm_v1", "SyncBatchNorm", "_contrib_SyncBatchNorm", "Dropout",
    "RNN", "LeakyReLU", "Custom", "_npx_batch_norm", "_npx_dropout", "_npx_rnn",
    "_contrib_BatchNormWithReLU", "_sg_mkldnn_conv", "_sg_mkldnn_fully_connected",
})


def _has_mode_ops(symbol) -> bool:
    """Whether ``symbol`` contains an operator that behaves differently in training
    mode (unknown operators with 'norm', 'drop' or 'custom' in their names count)."""
    import json
    try:
        nodes = json.loads(symbol.tojson())["nodes"]
    except Exception:  # pragma: no cover - be safe: switch the mode on every call
        return True
    for node in nodes:
        op = node.get("op", "null")
        if op == "null":
            continue
        low = op.lower()
        if op in MODE_OPS or "norm" in low or "drop" in low or "custom" in low:
            return True
    return False


def _is_variance(name: str) -> bool:
    return name.endswith(("moving_var", "running_var", "_var"))


def _common_float(dtypes):
    dtypes = [d for d in dtypes if d is not None and d.kind in _FLOAT]
    if not dtypes:
        return None
    first = dtypes[0]
    if all(d == first for d in dtypes):
        return first
    return _onp.result_type(*dtypes)


def _mx_message(exc) -> str:
    msg = str(exc).strip()
    # MXNet messages carry a C++ stack trace; keep the first meaningful lines.
    lines = [ln for ln in msg.splitlines() if ln.strip() and "Stack trace" not in ln]
    keep = []
    for ln in lines:
        if ln.lstrip().startswith(("[bt]", "File ")):
            break
        keep.append(ln.strip())
    return " ".join(keep)[:600] or type(exc).__name__
