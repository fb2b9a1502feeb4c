"""The dispatch engine: a captured program replayed through ``minpy.numpy`` itself.

Every slot holds an Array and every instruction calls the namespace function the
capture recorded (its dispatching body, under the same policy), or the same Array
method for writes. It runs on any device and backend (MXNet, CuPy, mixtures), with
eager MinPy's results by construction; what it saves is the Python of the function
and of autograd (taping, the backward pass's bookkeeping). The other engines fall back
to it for programs they cannot run.
"""

from __future__ import annotations

import numpy as onp

from minpy.core.operators import lookup

from ._codegen import Source, undo_plan
from ._host import _HELPERS, _Compiled
from ._program import Ref

__all__ = ["DispatchEngine"]


def _snapshot(a):
    return a, a.asnumpy()


class DispatchEngine:
    """Replay through the namespace's dispatch (any backend)."""

    name = "dispatch"

    def compile(self, prog):
        comp = _DispatchCompiler(prog)
        fn = comp.build()
        return _DispatchCompiled(fn, self.name, comp.rng, prog)


class _DispatchCompiled(_Compiled):
    def run(self, leaves):
        undo = []
        state = onp.random.get_state() if self.rng else None
        try:
            return self.fn(leaves, undo)
        except BaseException:
            for a, saved in reversed(undo):
                a[...] = saved
            if state is not None:
                onp.random.set_state(state)
            raise


class _DispatchCompiler:
    def __init__(self, prog):
        self.prog = prog
        self.src = Source(dict(_HELPERS, _snapshot=_snapshot))
        self.rng = False

    def build(self):
        prog, src = self.prog, self.src
        meta = prog.meta
        src.emit("def run(I, U):", 0)
        outer = {}
        for k, s in enumerate(prog.inputs):
            src.emit(f"s{s} = I[{k}]")
            outer[s] = s
        for s, obj in prog.externals:
            src.emit(f"s{s} = {src.const(obj, 'E')}")
            outer[s] = s
        for s, value in prog.consts.items():
            name = src.const(value, "C")
            src.emit(f"s{s} = _from_host({name}.copy())"
                     if meta[s].written else f"s{s} = _from_host({name})")
        fam_root = {}
        for s in outer:
            if meta[s].family is not None:
                fam_root.setdefault(meta[s].family, s)
        roots = dict(outer)
        for s, m in enumerate(meta):
            if s not in roots and m.family in fam_root:
                roots[s] = fam_root[m.family]
        undo_slots, self.rng = undo_plan(prog, roots.get)
        for s in undo_slots:
            src.emit(f"U.append(_snapshot(s{s}))")
        for ins in prog.instrs:
            getattr(self, "_" + ins.kind)(ins)
        src.emit(f"return {src.expr(prog.output, self._out_ref)}")
        return src.compile(prog.name)

    def _ref(self, s):
        return f"s{s}"

    def _out_ref(self, s):
        if self.prog.meta[s].kind == "const":
            return f"s{s}.copy()"
        return f"s{s}"

    def _call(self, ins):
        src = self.src
        fn = ins.fn.raw_function if hasattr(ins.fn, "raw_function") else ins.fn
        return src.call(src.const(fn, "f"), ins.args, ins.kwargs, self._ref)

    def _op(self, ins):
        src, meta = self.src, self.prog.meta
        out = ins.outs
        call = self._call(ins)
        if "guard_value" in ins.info:
            src.emit(f"if not _same({call}, {src.const(ins.info['guard_value'], 'V')}):")
            src.emit("raise GF", 2)
            return
        if "identity" in ins.info and "writes" not in ins.info and "out" not in ins.kwargs:
            return
        if type(out) is Ref and "identity" not in ins.info:
            src.emit(f"s{out.slot} = {call}")
            if not isinstance(getattr(ins.op, "numpy", None), onp.ufunc):
                src.emit(f"if s{out.slot}.shape != {meta[out.slot].shape!r}:")
                src.emit("raise GF", 2)
        elif out is None or type(out) is Ref:
            src.emit(call)
        else:
            names = [f"s{o.slot}" if type(o) is Ref else "_" for o in out]
            src.emit(f"{', '.join(names)}{',' if len(names) == 1 else ''} = {call}")

    _prim = _op

    def _setitem(self, ins):
        src = self.src
        key, value = ins.args
        src.emit(f"s{ins.info['target']}[{src.expr(key, self._ref)}] = "
                 f"{src.expr(value, self._ref)}")

    def _assign(self, ins):
        self.src.emit(f"s{ins.info['target']}._assign({self.src.expr(ins.args[0], self._ref)})")

    def _ufunc_at(self, ins):
        src = self.src
        at = src.const(lookup(ins.fn.__name__).at, "u")
        src.emit(f"{at}(s{ins.info['target']}, *{src.expr(tuple(ins.args), self._ref)})")

    def _guard(self, ins):
        src = self.src
        s, how, value = ins.info["slot"], ins.info["how"], ins.info["value"]
        v = src.const(value, "V")
        if how == "bool":
            src.emit(f"if bool(s{s}) is not {value!r}:")
        elif how == "item":
            args = src.const(ins.info["args"], "A")
            src.emit(f"if not _same(s{s}.item(*{args}), {v}):")
        elif how in ("int", "index"):
            src.emit(f"if int(s{s}) != {v}:")
        else:
            src.emit(f"if not _same({how}(s{s}), {v}):")
        src.emit("raise GF", 2)

