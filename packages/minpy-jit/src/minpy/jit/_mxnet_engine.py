"""The MXNet engine: a captured program as one MXNet symbol, run by a ``CachedOp``
with static allocation.

Each instruction becomes the symbol of the kernel eager MinPy ran for it on MXNet:
``mx.sym.np.<name>`` for the table entries that are plain ``mx.np`` functions, and the
same classic kernels the table's own MXNet implementations call for the others
(comparisons, ``sum``/``mean``, ``where``, creation, ``getitem``, ``astype``). The
casts eager dispatch makes are made explicit: inputs are cast as the entry's ``cast``
rule says, and a result whose MXNet dtype is not NumPy's (what the capture saw) is
cast to it. The ``CachedOp`` (``static_alloc``, ``static_shape``) is built once per
program: MXNet plans its memory once and reuses it on every call.

It takes functional programs only: no writes (``x[i] = v``, ``x += v``, ``out=``),
no samplers (MXNet's generator state cannot be handed to a replay), no values read
into Python other than guards on arrays (computed as extra outputs, checked after the
run), no results that are views of the inputs. Anything else is compiled by the
dispatch engine (``jit.stats['fallbacks']`` says why).
"""

from __future__ import annotations

import threading

import numpy as onp

from minpy.core import Array, _mxnet

from ._codegen import GuardFail
from ._host import Unsupported
from ._program import Ref, map_template, refs_in, same_value

__all__ = ["MXNetEngine"]

_CLASSIC_SUMS = {"sum": "sum", "mean": "mean"}
_COMPARE = frozenset({"equal", "not_equal", "less", "less_equal", "greater",
                      "greater_equal"})
_CREATE = frozenset({"zeros", "ones"})
_DYNAMIC = frozenset({"nonzero", "unique", "argwhere", "flatnonzero"})


def _string_path(op):
    """``['np', 'add']`` for an entry registered with ``mxnet='np.add'``, else None."""
    impl = op.impls.get(_mxnet.BACKEND)
    if impl is None or not impl.source.startswith("mx."):
        return None
    return impl.source.split(".")[1:]


class MXNetEngine:
    """CachedOp replay of programs whose ops ran on MXNet."""

    name = "mxnet"
    backend = _mxnet.BACKEND

    @_mxnet.scoped
    def compile(self, prog):
        mx = _mxnet.load()
        if mx is None:
            raise Unsupported("MXNet is not installed")
        try:
            return _Builder(prog, mx).build()
        except Unsupported:
            raise
        except Exception as exc:  # noqa: BLE001 - MXNet refused the graph: say why
            raise Unsupported(f"MXNet could not build the graph: {type(exc).__name__}: "
                              f"{str(exc).strip().splitlines()[-1][:200]}") from None


class _Compiled:
    __slots__ = ("op", "engine", "prog", "inputs", "outputs", "guards", "out_meta",
                 "out_meta_result", "output", "rng", "source", "lock")

    def __init__(self):
        self.engine = "mxnet"
        self.rng = False
        self.source = ""
        self.lock = threading.Lock()  # one call of a CachedOp's static memory at a time

    @_mxnet.scoped
    def run(self, leaves):
        args = []
        for kind, k in self.inputs:
            a = leaves[k] if kind == "in" else k
            if isinstance(a, onp.ndarray):
                a = Array._from_host(a)
            args.append(a._form(_mxnet.BACKEND))
        with self.lock:
            outs = self.op(*args)
        if not isinstance(outs, (list, tuple)):
            outs = [outs]
        n = len(self.outputs)
        for (how, value, extra), res in zip(self.guards, outs[n:]):
            v = res.asnumpy()
            got = (bool(v) if how == "bool" else int(v) if how in ("int", "index") else
                   v.item(*extra) if how == "item" else complex(v) if how == "complex"
                   else float(v))
            if not same_value(got, value):
                raise GuardFail
        made = {}
        for s, (kind, k) in self.out_meta.items():
            if kind == "in":
                made[s] = leaves[k]
            elif kind == "ext":
                made[s] = k
        for s, res in zip(self.outputs, outs):
            dev, dtype = self.out_meta_result[s]
            made[s] = Array._from_form(_mxnet.BACKEND, res.as_np_ndarray(), dev, dtype)
        return map_template(self.output, lambda r: made[r.slot])


class _Builder:
    def __init__(self, prog, mx):
        self.prog = prog
        self.mx = mx
        self.sym = {}      # slot -> symbol
        self.types = {}    # input variable name -> dtype (for infer_type)

    def _dtype_of(self, node):
        _, outs, _ = node.infer_type(**{n: self.types[n] for n in node.list_arguments()})
        return onp.dtype(outs[0])

    def _arg(self, t):
        def sub(r):
            s = self.sym.get(r.slot)
            if s is None:
                raise Unsupported(f"slot {r.slot} has no symbol")
            return s
        return map_template(t, sub)

    def build(self):
        prog, mx = self.prog, self.mx
        meta = prog.meta
        if prog.has_random:
            raise Unsupported("samplers (MXNet's generator state cannot be replayed)")
        comp = _Compiled()
        comp.prog = prog
        where = {}
        for k, s in enumerate(prog.inputs):
            self._variable(s)
            where[f"s{s}"] = ("in", k)
        for s, obj in prog.externals:
            self._variable(s)
            where[f"s{s}"] = ("ext", obj)
        for s, value in prog.consts.items():
            raise Unsupported("constants made outside minpy.numpy functions")
        guards = []
        for ins in prog.instrs:
            if ins.kind == "guard":
                node = self.sym.get(ins.info["slot"])
                if node is None:
                    raise Unsupported("a guard on a value that is not an array of the graph")
                guards.append((node, (ins.info["how"], ins.info["value"], ins.info["args"])))
                continue
            if ins.kind != "op":
                raise Unsupported(f"a {ins.kind} instruction (writes are not symbolic)")
            if "out" in ins.kwargs or "writes" in ins.info or "guard_value" in ins.info:
                raise Unsupported(f"{ins.name} writes or returns a value read into Python")
            if "identity" in ins.info:
                continue
            self._op(ins)
        outs = refs_in(prog.output)
        comp.out_meta = {}
        comp.out_meta_result = {}
        comp.outputs = []
        slots_in = {s: k for k, s in enumerate(prog.inputs)}
        ext = dict(prog.externals)
        for s in dict.fromkeys(outs):
            m = meta[s]
            if s in slots_in:
                comp.out_meta[s] = ("in", slots_in[s])
            elif s in ext:
                comp.out_meta[s] = ("ext", ext[s])
            else:
                if m.view_of is not None:
                    raise Unsupported("a result that is a view of an input")
                comp.outputs.append(s)
                comp.out_meta_result[s] = (m.device, m.dtype)
        nodes = [self.sym[s] for s in comp.outputs] + [g[0] for g in guards]
        if not nodes:
            raise Unsupported("nothing to compute")
        group = mx.sym.Group(nodes)
        shapes = {f"s{s}": meta[s].shape for s in list(prog.inputs) +
                  [s for s, _ in prog.externals]}
        try:
            _, out_shapes, _ = group.infer_shape(**shapes)
        except Exception as exc:  # noqa: BLE001
            raise Unsupported(f"MXNet cannot infer the graph's shapes ({exc})") from None
        for s, shape in zip(comp.outputs, out_shapes):
            if tuple(shape) != meta[s].shape:
                raise Unsupported(f"the graph gives shape {tuple(shape)} where the capture "
                                  f"saw {meta[s].shape}")
        # the CachedOp takes the graph's variables in the graph's own order
        comp.inputs = [where[n] for n in group.list_inputs()]
        comp.op = mx.nd.CachedOp(group, flags=[("static_alloc", True),
                                               ("static_shape", True)])
        comp.guards = [g[1] for g in guards]
        comp.output = prog.output
        comp.source = group.tojson()
        return comp

    def _variable(self, s):
        m = self.prog.meta[s]
        if not m.is_array:
            raise Unsupported("a non-array input")
        name = f"s{s}"
        self.sym[s] = self.mx.sym.var(name, dtype=m.dtype).as_np_ndarray()
        self.types[name] = m.dtype

    def _cast(self, node, dtype):
        if self._dtype_of(node) != dtype:
            return node.astype(dtype)
        return node

    def _op(self, ins):
        mx, meta = self.mx, self.prog.meta
        op = ins.op
        name = op.name
        if name in _DYNAMIC or meta_backend(ins, meta) != "mxnet":
            raise Unsupported(f"{name} ran {meta_backend(ins, meta)}: not in the graph")
        out = ins.outs
        if type(out) is not Ref:
            raise Unsupported(f"{name} has several results")
        want = meta[out.slot].dtype
        args = self._arg(ins.args)
        kwargs = self._arg(ins.kwargs)
        is_sym = [isinstance(a, mx.sym.Symbol) for a in args]
        # the eager cast rule of the entry
        cast = op.impls[_mxnet.BACKEND].cast
        if cast == "result":
            args = [self._cast(a, want) if s else a for a, s in zip(args, is_sym)]
        elif cast == "common" and any(is_sym):
            common = onp.result_type(*[meta[r].dtype for r in refs_in(ins.args)] +
                                     [a for a in ins.args if type(a) in (int, float, bool)])
            args = [self._cast(a, common) if s else a for a, s in zip(args, is_sym)]
        if name == "getitem" and refs_in(ins.args[1:]):
            raise Unsupported("getitem with array indices")
        node = self._symbol(op, name, args, kwargs, want)
        self.sym[out.slot] = self._cast(node, want)

    def _symbol(self, op, name, args, kwargs, want):
        mx = self.mx
        path = _string_path(op)
        if path is not None:
            fn = mx.sym
            for p in path:
                fn = getattr(fn, p, None)
                if fn is None:
                    raise Unsupported(f"mx.sym.{'.'.join(path)} does not exist")
            return fn(*args, **kwargs)
        if name in _COMPARE:
            return getattr(mx.sym.np, name)(*args)
        if name in _CLASSIC_SUMS and len(args) == 1 and set(kwargs) <= {"axis", "keepdims"}:
            a = args[0]
            keep = bool(kwargs.get("keepdims", False))
            axis = kwargs.get("axis")
            params = {"keepdims": keep} if axis is None else {"keepdims": keep, "axis": axis}
            node = getattr(mx.sym, _CLASSIC_SUMS[name])(a.as_nd_ndarray(), **params)
            node = node.as_np_ndarray()
            if not keep and axis is None:
                node = mx.sym.np.reshape(node, ())
            return node
        if name == "where" and len(args) == 3:
            return mx.sym.np.where(*args)
        if name in _CREATE and not kwargs.get("order", "C") != "C":
            shape = args[0] if args else kwargs.get("shape")
            return getattr(mx.sym.np, name)(shape, dtype=want)
        if name == "astype" and len(args) == 2:
            return args[0].astype(args[1])
        if name == "getitem" and len(args) == 2:
            return args[0][args[1]]
        raise Unsupported(f"no symbol for minpy.numpy.{name}")


def meta_backend(ins, meta):
    outs = ins.out_slots()
    return meta[outs[0]].backend if outs else "mxnet"
