"""The host engine: a captured program replayed as straight-line NumPy calls.

Every slot is a local variable holding a NumPy array (the host form of an Array); every
instruction is the NumPy function the namespace ran during the capture (its table
entry's ``numpy``), called on those arrays directly: no dispatch, no Arrays in between,
no tape. Writes and views are NumPy's own, on the same buffers the eager run used
(inputs are brought into their view families first and made writable where the
program writes them, as the eager writes would).

Planned buffers (``plan=True``, the default): a ufunc result (or a 2-d ``dot``) that
no view, write or output shares gets a buffer of its shape and dtype that is kept
between calls (static allocation: no allocation, no page faults in the steady state),
shared with other such results whose lifetimes do not overlap; an elementwise ufunc
whose operand dies at that call writes into the operand's buffer (in place). The
values are bit for bit the same: the same loops run, only into other memory.
"""

from __future__ import annotations

import sys
import threading
import weakref

import numpy as onp

from minpy.core import Array, _views
from minpy.core.backend import HOST

from ._codegen import GuardFail, Source, undo_plan
from ._program import Ref, map_template, refs_in, same_value

__all__ = ["HostEngine", "Unsupported"]

_ndarray = onp.ndarray


class Unsupported(Exception):
    """The engine cannot run this program (the reason is the message)."""


def _as0d(x):
    return x if type(x) is _ndarray else onp.asarray(x)


def _wrap_in(h):
    a = Array._from_host(_as0d(h))
    a._shared = True
    return a


def _host_of(r):
    if isinstance(r, Array):
        return r._host_value(True)
    if type(r) in (tuple, list):
        return type(r)(_host_of(x) for x in r)
    return r


_new = object.__new__


def _out(h, dev, parent):
    if parent is not None:
        return _views.adopt(_as0d(h), (parent,), None, dev)
    if type(h) is not _ndarray:
        h = onp.asarray(h)
    a = _new(Array)
    a._set(h, None, dev, h.base is not None)
    return a


def _to_arrays(t):
    if type(t) is _ndarray:
        return _wrap_in(t)
    if type(t) in (tuple, list):
        return type(t)(_to_arrays(x) for x in t)
    if type(t) is dict:
        return {k: _to_arrays(v) for k, v in t.items()}
    return t


_HELPERS = {"GF": GuardFail, "_same": same_value, "_as0d": _as0d, "_out": _out,
            "_family": _views.family_of, "_from_host": Array._from_host,
            "_host_of": _host_of, "_to_arrays": _to_arrays, "_empty": onp.empty,
            "_ndarray": _ndarray}

#: Non-ufunc NumPy functions whose ``out=`` gives the same values (2-d operands).
_OUT_OK = frozenset({"dot"})


class _Compiled:
    """A program compiled by an engine: ``run(leaves)`` replays it."""

    __slots__ = ("fn", "engine", "rng", "prog", "lock", "busy", "fresh_fn", "source")

    def __init__(self, fn, engine, rng, prog, fresh_fn=None):
        self.fn = fn
        self.engine = engine
        self.rng = rng
        self.prog = prog
        self.fresh_fn = fresh_fn
        self.lock = threading.Lock()
        self.source = getattr(fn, "source", "")

    def run(self, leaves):
        """The function's answer for these input leaves; on a failed guard (or any
        exception) the inputs' memory and NumPy's generator are restored, and the
        exception propagates."""
        undo = []
        state = onp.random.get_state() if self.rng else None
        if self.fresh_fn is None:  # no planned buffers: nothing to share
            try:
                return self.fn(leaves, undo)
            except BaseException:
                self._undo(undo, state)
                raise
        lock = self.lock
        if not lock.acquire(blocking=False):
            fn = self.fresh_fn  # the planned buffers are in use (recursion, threads)
            lock = None
        else:
            fn = self.fn
        try:
            return fn(leaves, undo)
        except BaseException:
            self._undo(undo, state)
            raise
        finally:
            if lock is not None:
                lock.release()

    @staticmethod
    def _undo(undo, state):
        for dst, saved in reversed(undo):
            dst[...] = saved
        if state is not None:
            onp.random.set_state(state)


class HostEngine:
    """NumPy replay with planned buffers (the CPU engine)."""

    name = HOST.name
    backend = HOST

    def __init__(self, plan=True):
        self.plan = plan

    def compile(self, prog):
        if prog.backends - {HOST}:
            raise Unsupported(f"ops ran on {sorted(map(str, prog.backends - {HOST}))}")
        for s, m in enumerate(prog.meta):
            if m.is_array and m.device is not None and m.device.kind != "cpu":
                raise Unsupported(f"an array on {m.device}")
        if not self.plan:
            fn = _HostCompiler(prog, False).build()
            return _Compiled(fn, self.name, _HostCompiler.rng_of(prog), prog)
        planned = _HostCompiler(prog, True)
        fn = planned.build()
        fresh = _HostCompiler(prog, False).build() if planned.n_buffers else None
        return _Compiled(fn, self.name, planned.rng, prog, fresh)


class _HostCompiler:
    def __init__(self, prog, plan):
        self.prog = prog
        self.plan = plan
        self.src = Source(_HELPERS)
        self.n_buffers = 0
        self.rng = False
        self._select = None  # the program's where-as-bit-selection helper
        self._recycle = None  # its output buffers' recycler
        self.planned = {}

    @staticmethod
    def rng_of(prog):
        return undo_plan(prog, lambda s: None)[1]

    # -- analysis --------------------------------------------------------------------------
    def _roots(self):
        """slot -> the input/external slot whose memory it shares (views, families)."""
        meta = self.prog.meta
        outer = {s for s, m in enumerate(meta) if m.kind in ("input", "external")}
        fam_root = {}
        for s in outer:
            if meta[s].family is not None:
                fam_root.setdefault(meta[s].family, s)
        roots = {}
        for s, m in enumerate(meta):
            if s in outer:
                roots[s] = s
            elif m.family is not None and m.family in fam_root:
                roots[s] = fam_root[m.family]
        return roots

    def _fold(self):
        """Constant folding: ``instruction index -> {slot: value}`` for the ops whose
        operands are all constants (creation from Python data, a gradient's seed and
        what is derived from it), computed once here; never samplers, writes, or
        results the program writes into."""
        prog = self.prog
        meta = prog.meta
        known = {s: v for s, v in prog.consts.items() if not meta[s].written}
        folded = {}
        for k, ins in enumerate(prog.instrs):
            if (ins.kind != "op" or "guard_value" in ins.info or "out" in ins.kwargs
                    or "writes" in ins.info or "identity" in ins.info
                    or "device" in ins.kwargs):
                continue
            op = ins.op
            if op.kind == "random" or op.name.startswith("random."):
                continue
            if any(r not in known for r in refs_in(ins.args) + refs_in(ins.kwargs)):
                continue
            outs = ins.out_slots()
            if not outs or any(meta[o].written or meta[o].kind != "result" for o in outs):
                continue
            try:
                val = op.numpy(*map_template(ins.args, lambda r: known[r.slot]),
                               **map_template(ins.kwargs, lambda r: known[r.slot]))
            except Exception:  # noqa: BLE001 - left to the replay, which raises it
                continue
            if type(ins.outs) is Ref:
                values = {ins.outs.slot: _as0d(val)}
            else:
                values = {o.slot: _as0d(v) for o, v in zip(ins.outs, val) if type(o) is Ref}
            if any(tuple(values[o].shape) != meta[o].shape for o in values):
                continue
            known.update(values)
            folded[k] = values
        return folded

    def _plan(self):
        """slot -> ('buf', index) or ('inplace', operand slot) for planned results."""
        prog = self.prog
        meta = prog.meta
        last = {}
        n = len(prog.instrs)
        for k, ins in enumerate(prog.instrs):
            for s in ins.reads():
                last[s] = k
        for s in refs_in(prog.output):
            last[s] = n + 1
        shared = set()  # slots whose buffer another slot may hold
        for ins in prog.instrs:
            if ins.kind == "assign":
                shared.update(refs_in(ins.args))
                shared.add(ins.info["target"])
            if ins.kind in ("setitem", "ufunc_at", "assign"):
                shared.add(ins.info["target"])
            if ins.kind == "op" and ("writes" in ins.info or "identity" in ins.info):
                shared.update(refs_in(ins.args))
                shared.update(refs_in(ins.kwargs))
        for s, m in enumerate(meta):
            if m.view_of is not None:
                shared.add(m.view_of)
                shared.add(s)
            if m.family is not None:
                shared.add(s)
        plan = {}
        free = {}      # (shape, dtype) -> [buffer index]
        owner = {}     # slot -> buffer index it occupies
        buffers = []
        dying = {}     # instruction index -> slots whose last read it is
        for s, k in last.items():
            dying.setdefault(k, []).append(s)
        for k, ins in enumerate(prog.instrs):
            out = ins.outs
            cand = None
            if k in self.folded:
                pass
            elif (ins.kind == "op" and (_tensordot_2d(ins, meta) is not None
                                        or _where_select(ins, meta))
                    and type(out) is Ref and out.slot not in shared
                    and meta[out.slot].kind == "result" and last.get(out.slot, -1) <= n):
                cand = "out"  # (tensordot's own result is a reshaped view: ours is not)
            elif (ins.kind == "op" and type(out) is Ref and not ins.kwargs
                    and "identity" not in ins.info and out.slot not in shared
                    and meta[out.slot].kind == "result" and meta[out.slot].fresh
                    and meta[out.slot].shape != () and last.get(out.slot, -1) <= n):
                fn = ins.op.numpy
                if isinstance(fn, onp.ufunc) and fn.nout == 1:
                    cand = "ufunc"
                elif ins.op.name in _OUT_OK and len(meta[out.slot].shape) == 2 and all(
                        type(a) is Ref and len(meta[a.slot].shape) == 2 for a in ins.args):
                    cand = "out"
            if cand is not None:
                m = meta[out.slot]
                key = (m.shape, m.dtype)
                # an operand dying here, of the result's shape and dtype: in place
                if cand == "ufunc" and ins.op.numpy.signature is None:
                    for a in ins.args:
                        if (type(a) is Ref and a.slot in owner and last.get(a.slot) == k
                                and (meta[a.slot].shape, meta[a.slot].dtype) == key):
                            b = owner.pop(a.slot)
                            owner[out.slot] = b
                            plan[out.slot] = ("buf", b)
                            break
                if out.slot not in plan:
                    pool = free.get(key)
                    if pool:
                        b = pool.pop()
                    else:
                        b = len(buffers)
                        buffers.append(key)
                    owner[out.slot] = b
                    plan[out.slot] = ("buf", b)
            if (cand is None and ins.kind == "op" and type(out) is Ref and not ins.kwargs
                    and "identity" not in ins.info and out.slot not in shared
                    and out.slot not in plan and meta[out.slot].kind == "result"
                    and meta[out.slot].fresh and meta[out.slot].shape != ()
                    and last.get(out.slot, -1) == n + 1 and out.slot not in self.folded_slots
                    and isinstance(ins.op.numpy, onp.ufunc) and ins.op.numpy.nout == 1):
                plan[out.slot] = ("recycle", k)  # an output: its last call's dead buffer
            for s in dying.get(k, ()):
                b = owner.pop(s, None)
                if b is not None:
                    free.setdefault((meta[s].shape, meta[s].dtype), []).append(b)
        return plan, buffers

    # -- code ----------------------------------------------------------------------------
    def build(self):
        prog, src = self.prog, self.src
        meta = prog.meta
        roots = self._roots()
        self.folded = self._fold()
        self.folded_slots = {o for v in self.folded.values() for o in v}
        plan, buffers = self._plan() if self.plan else ({}, [])
        self.planned = plan
        self.n_buffers = len(buffers)
        bufs = [onp.empty(shape, dtype) for shape, dtype in buffers]
        for i, b in enumerate(bufs):
            src.ns[f"B{i}"] = b
        undo_slots, self.rng = undo_plan(prog, roots.get)
        takes = {ins.info["target"] for ins in prog.instrs
                 if (ins.kind == "assign" and ins.info["mode"] != "copy")
                 or (ins.kind in ("setitem", "ufunc_at") and ins.info["cow"])}
        for ins in prog.instrs:
            if ins.kind == "op" and "out" in ins.kwargs:
                outs = refs_in(ins.kwargs["out"])
                takes.update(o for o, m in zip(outs, ins.info.get("out_mode", ()))
                             if m != "copy")
        outer = set()
        src.emit("def run(I, U):", 0)
        for k, s in enumerate(prog.inputs):
            src.emit(f"a{s} = I[{k}]")
            outer.add(s)
        for s, obj in prog.externals:
            src.emit(f"a{s} = {src.const(obj, 'E')}")
            outer.add(s)
        for s in sorted(outer):
            m = meta[s]
            if m.family is not None:
                src.emit(f"_family(a{s})")
            elif m.written:  # written without a family: as eager, never into one
                src.emit(f"if a{s}._view is not None:")
                src.emit("raise GF", 2)
            if m.written:
                src.emit(f"s{s} = a{s}._writable_host()")
            else:
                src.emit(f"s{s} = a{s}._host_value(True)")
            if s in takes:
                src.emit(f"h{s} = s{s}")
        for s, value in prog.consts.items():
            name = src.const(value, "C")
            src.emit(f"s{s} = {name}.copy()" if meta[s].written else f"s{s} = {name}")
        for s in undo_slots:
            src.emit(f"U.append((s{s}, s{s}.copy()))")
        for k, ins in enumerate(prog.instrs):
            values = self.folded.get(k)
            if values is not None:
                for o, v in values.items():
                    src.emit(f"s{o} = {src.const(v, 'K')}")
                continue
            getattr(self, "_" + ins.kind)(ins, outer, plan)
        for s in sorted(outer & takes):
            src.emit(f"if s{s} is not h{s}:")
            src.emit(f"a{s}._assign(_from_host(s{s}, a{s}._device))", 2)
        self._outputs(outer)
        return src.compile(prog.name)

    def _ref(self, s):
        return f"s{s}"

    def _recycler(self):
        if self._recycle is None:
            self._recycle = self.src.const(_Recycler(), "R")
        return self._recycle

    def _call(self, ins, outer):
        """Source of the call of an ``op``/``prim`` instruction (without out=)."""
        src = self.src
        if ins.kind == "op" and "device" not in ins.kwargs:
            fn = src.const(ins.op.numpy, "f")
            return src.call(fn, ins.args, ins.kwargs, self._ref), False
        # Anything else runs as the eager call did, on Arrays around the host forms.
        fn = src.const(ins.fn.raw_function if hasattr(ins.fn, "raw_function") else ins.fn, "p")
        args = src.expr(tuple(ins.args), self._ref)
        kw = src.expr(ins.kwargs, self._ref)
        return f"_host_of({fn}(*_to_arrays({args}), **_to_arrays({kw})))", True

    def _op(self, ins, outer, plan):
        src, meta = self.src, self.prog.meta
        out = ins.outs
        if "guard_value" in ins.info:
            call, _ = self._call(ins, outer)
            src.emit(f"if not _same({call}, {src.const(ins.info['guard_value'], 'V')}):")
            src.emit("raise GF", 2)
            return
        if "out" in ins.kwargs and ins.kind == "op":
            self._op_out(ins, outer)
            return
        if "identity" in ins.info and "writes" not in ins.info and type(out) is Ref:
            return  # NumPy gave an argument back: nothing to compute
        if _where_select(ins, meta):
            # where(c, x, y) as a selection of bits (x's where c, else y's): the same
            # bits, without where's branch per element (a random mask costs it 6x)
            c, x, y = (src.expr(a, self._ref) for a in ins.args)
            p = plan.get(out.slot)
            m = meta[out.slot]
            buf = f"B{p[1]}" if p is not None else (
                f"_empty({m.shape!r}, {src.const(m.dtype, 'T')})")
            if self._select is None:
                self._select = src.const(_BitSelect(self.plan), "W")
            sel = self._select
            src.emit(f"s{out.slot} = {sel}({buf}, {c}, {x}, {y})")
            return
        call, generic = self._call(ins, outer)
        td = _tensordot_2d(ins, meta)
        if td is not None:
            # 2-d tensordot as dot on transposed views: BLAS reads the transposed
            # layout itself (tensordot copies it first); the same values.
            a, b = ins.args[0].slot, ins.args[1].slot
            call = (f"{src.const(onp.dot, 'f')}(s{a}{'.T' if td[0] else ''}, "
                    f"s{b}{'.T' if td[1] else ''})")
        if type(out) is Ref:
            p = plan.get(out.slot)
            if p is not None:
                m = meta[out.slot]
                buf = f"B{p[1]}" if p[0] == "buf" else (
                    f"{self._recycler()}.get({p[1]}, {m.shape!r}, {src.const(m.dtype, 'T')})")
                call = call[:-1] + (", " if call[-2] != "(" else "") + f"out={buf})"
            src.emit(f"s{out.slot} = {call}")
            m = meta[out.slot]
            if m.shape == () and p is None and not generic:
                src.emit(f"s{out.slot} = _as0d(s{out.slot})")
            if not isinstance(ins.op.numpy if ins.op is not None else None, onp.ufunc):
                src.emit(f"if s{out.slot}.shape != {m.shape!r}:")
                src.emit("raise GF", 2)
        elif out is None:
            src.emit(call)
        else:
            names = [f"s{o.slot}" if type(o) is Ref else "_" for o in out]
            src.emit(f"{', '.join(names)}{',' if len(names) == 1 else ''} = {call}")
            for o in out:
                if type(o) is Ref:
                    m = meta[o.slot]
                    if m.shape == ():
                        src.emit(f"s{o.slot} = _as0d(s{o.slot})")
                    src.emit(f"if s{o.slot}.shape != {m.shape!r}:")
                    src.emit("raise GF", 2)

    def _op_out(self, ins, outer):
        """``op(..., out=t)``: NumPy's out= into the target's buffer ('copy' mode: a
        view family, or a buffer only the program holds), or into a copy that the
        target then takes over (the eager write replaced a shared buffer)."""
        src = self.src
        out_t = ins.kwargs["out"]
        outs = out_t if type(out_t) is tuple else (out_t,)
        modes = ins.info.get("out_mode", [])
        if not all(type(o) is Ref for o in outs) or len(modes) != len(outs):
            raise Unsupported("out= that is not an array of the program")
        for o, mode in zip(outs, modes):
            # the eager write replaced the (shared) buffer
            if mode != "copy" and not self._argument_with_views(o.slot, outer):
                src.emit(f"s{o.slot} = s{o.slot}.copy()")
        src.emit(src.call(src.const(ins.op.numpy, "f"), ins.args, ins.kwargs, self._ref))

    def _prim(self, ins, outer, plan):
        self._op(ins, outer, plan)

    def _setitem(self, ins, outer, plan):
        src = self.src
        t = ins.info["target"]
        if ins.info["cow"] and t not in outer:
            src.emit(f"s{t} = s{t}.copy()")
        key, value = ins.args
        src.emit(f"s{t}[{src.expr(key, self._ref)}] = {src.expr(value, self._ref)}")

    def _assign(self, ins, outer, plan):
        src = self.src
        t = ins.info["target"]
        s = src.expr(ins.args[0], self._ref)
        mode = ins.info["mode"]
        if mode == "copy" or self._argument_with_views(t, outer):
            src.emit(f"s{t}[...] = {s}")
        elif mode == "take_copy":
            src.emit(f"s{t} = {s}.copy()")
        else:
            src.emit(f"s{t} = {s}")

    def _argument_with_views(self, t, outer):
        """Whether slot ``t`` is an argument (or external) array that the program makes
        views of. A write into it stays in its own (writable) buffer: the eager run took
        the result's buffer over, before any view existed; a replay taking it over would
        leave the views made afterwards apart from the argument's Array (found by the
        program fuzzer: ``x += 1; t = x.T`` replayed, then ``t[0] = 7`` missed ``x``)."""
        return t in outer and self.prog.meta[t].family is not None

    def _ufunc_at(self, ins, outer, plan):
        src = self.src
        t = ins.info["target"]
        if ins.info["cow"] and t not in outer:
            src.emit(f"s{t} = s{t}.copy()")
        fn = src.const(ins.fn.at, "u")
        src.emit(f"{fn}(s{t}, *{src.expr(tuple(ins.args), self._ref)})")

    def _guard(self, ins, outer, plan):
        src = self.src
        s, how, value = ins.info["slot"], ins.info["how"], ins.info["value"]
        v = src.const(value, "V")
        if how == "bool":
            src.emit(f"if bool(s{s}) is not {value!r}:")
        elif how in ("int", "index"):
            src.emit(f"if s{s}.__index__() != {v}:" if how == "index" else
                     f"if int(s{s}) != {v}:")
        elif how == "item":
            args = src.const(ins.info["args"], "A")
            src.emit(f"if not _same(s{s}.item(*{args}), {v}):")
        else:
            src.emit(f"if not _same({how}(s{s}), {v}):")
        src.emit("raise GF", 2)

    def _outputs(self, outer):
        prog, src = self.prog, self.src
        meta = prog.meta
        done = set()

        def wrap(s):
            if s in done:
                return
            done.add(s)
            m = meta[s]
            if s in outer:
                src.emit(f"o{s} = a{s}")
                return
            if m.kind == "const" or s in self.folded_slots:
                dev = src.const(m.device or _cpu(), "D")
                src.emit(f"o{s} = _out(s{s}.copy(), {dev}, None)")
                return
            parent = "None"
            root = m.view_of
            if root is not None and root in outer:
                parent = f"a{root}"
            elif root is not None and root in out_slots:
                wrap(root)
                parent = f"o{root}"
            dev = src.const(m.device or _cpu(), "D")
            src.emit(f"o{s} = _out(s{s}, {dev}, {parent})")
            p = self.planned.get(s)
            if p is not None and p[0] == "recycle":
                src.emit(f"{self._recycler()}.put({p[1]}, o{s}, s{s})")

        out_slots = set(refs_in(prog.output))
        for s in refs_in(prog.output):
            wrap(s)
        src.emit(f"return {src.expr(prog.output, lambda s: f'o{s}')}")


def _cpu():
    from minpy.core import cpu
    return cpu()


def _tensordot_2d(ins, meta):
    """``(transpose a, transpose b)`` when ``ins`` is a tensordot of two 2-d arrays over
    one axis each (what ``dot``'s gradient rules make), else ``None``."""
    if ins.op is None or ins.op.name != "tensordot" or len(ins.args) < 2:
        return None
    a, b = ins.args[0], ins.args[1]
    if type(a) is not Ref or type(b) is not Ref:
        return None
    ma, mb = meta[a.slot], meta[b.slot]
    if ma.shape is None or mb.shape is None or len(ma.shape) != 2 or len(mb.shape) != 2:
        return None
    if ma.dtype != mb.dtype or ma.dtype.kind not in "fc":
        return None
    if len(ins.args) > 3 or set(ins.kwargs) - {"axes"}:
        return None
    axes = ins.args[2] if len(ins.args) == 3 else ins.kwargs.get("axes", 2)
    if refs_in(axes):
        return None
    if axes == 1:
        i, j = 1, 0
    else:
        try:
            (i,), (j,) = axes
            i, j = int(i) % 2, int(j) % 2
        except (TypeError, ValueError):
            return None
    return (i == 0, j == 1)


class _Recycler:
    """Output buffers of a planned program, reused once nothing can see them: the
    Array a call returned is gone (a training loop drops last step's parameters) and
    no other object refers to its buffer (no view, no other Array). Then the next
    call writes its output there instead of into new memory (no page faults for
    large outputs); otherwise it gets new memory, as eager MinPy does."""

    def __init__(self):
        self.kept = {}

    def get(self, k, shape, dtype):
        entry = self.kept.pop(k, None)
        if entry is not None:
            ref, buf = entry
            del entry
            # references: ``buf`` here and getrefcount's argument
            if ref() is None and sys.getrefcount(buf) == 2:
                return buf
        return onp.empty(shape, dtype)

    def put(self, k, array, buf):
        self.kept[k] = (weakref.ref(array), buf)


class _BitSelect:
    """``where(c, x, y)`` into ``out`` by bit operations on unsigned views: exactly
    ``numpy.where``'s bits (NaN payloads and signed zeros included). Its two mask
    buffers are kept between calls when ``keep`` (a planned program: one call at a
    time), else made per call."""

    def __init__(self, keep):
        self.keep = keep
        self.bufs = {}

    def __call__(self, out, c, x, y):
        u = _UINT[out.dtype.itemsize]
        key = (out.shape, u)
        bufs = self.bufs.get(key) if self.keep else None
        if bufs is None:
            bufs = (onp.empty(out.shape, u), onp.empty(out.shape, u))
            if self.keep:
                self.bufs[key] = bufs
        mask, tmp = bufs
        onp.negative(c, out=mask, dtype=u)  # 0 / all ones (any true byte), one pass
        bits = out.view(u)
        xb, yb = _bits(x, out.dtype, u), _bits(y, out.dtype, u)
        if yb.ndim == 0 and not yb:      # where(c, x, 0.0): x's bits under the mask
            onp.bitwise_and(xb, mask, out=bits)
            return out
        if xb.ndim == 0 and not xb:      # where(c, 0.0, y)
            onp.invert(mask, out=mask)
            onp.bitwise_and(yb, mask, out=bits)
            return out
        # y ^ ((x ^ y) & mask): x's bits where the mask is set, y's elsewhere
        onp.bitwise_xor(xb, yb, out=tmp)
        onp.bitwise_and(tmp, mask, out=tmp)
        onp.bitwise_xor(tmp, yb, out=bits)
        return out


_UINT = {2: onp.uint16, 4: onp.uint32, 8: onp.uint64}


def _bits(v, dtype, u):
    if type(v) is _ndarray:
        return v.view(u)
    return onp.asarray(v, dtype=dtype).view(u)  # a Python number, as where casts it


def _where_select(ins, meta):
    """Whether ``ins`` is ``where(cond, x, y)`` that two copies compute exactly: a bool
    condition, arrays of the result's dtype or Python numbers cast to a float result,
    no operand that is the result itself."""
    if ins.op is None or ins.op.name != "where" or len(ins.args) != 3 or ins.kwargs:
        return False
    out = ins.outs
    if type(out) is not Ref or "identity" in ins.info:
        return False
    m = meta[out.slot]
    if not m.is_array or m.shape is None or m.dtype is None:
        return False
    if m.dtype.kind != "f" or m.dtype.itemsize not in _UINT:
        return False
    c, x, y = ins.args
    if type(c) is not Ref or meta[c.slot].dtype != onp.bool_ or meta[c.slot].shape != m.shape:
        return False
    for a in (x, y):
        if type(a) is Ref:
            if meta[a.slot].dtype != m.dtype or meta[a.slot].shape != m.shape:
                return False
        elif type(a) not in (int, float) or m.dtype.kind != "f":
            return False
    return True
