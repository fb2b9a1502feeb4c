"""The CuPy engine: a captured program on a GPU CuPy serves, with its elementwise
chains fused into CuPy kernels and, where the program allows, the whole replay
recorded once as a CUDA graph.

* **Fused kernels**: each run of consecutive elementwise ufunc instructions that ran
  on CuPy becomes one ``cupy.fuse`` kernel (one launch, no intermediate arrays in
  global memory); its results are cast to the dtypes eager MinPy gave.
* **CUDA graphs**: a program with no guards and no other primitives, whose inputs all
  live on the GPU, is captured once per compiled program with
  ``cupy.cuda.Stream.begin_capture``/``end_capture`` on a private memory pool, after
  one uncaptured warm-up replay; later calls copy the inputs into the graph's static
  input buffers, launch it, and copy the outputs out (so no two calls share results).
* Everything else replays as the dispatch engine does (``minpy.numpy`` on Arrays).

Built against CuPy's documented API (``cupy.fuse``, stream capture, ``Graph.launch``,
``cupy.cuda.MemoryPool``/``using_allocator``). **Not yet run on a GPU**: on a CPU-only
machine its fusion plumbing is tested against a NumPy-backed stand-in of CuPy; the
figures and the graph path need ``bench/gpu_check.sh`` on a real GPU.
"""

from __future__ import annotations

import numpy as onp

from minpy.core import Array, _cupy

from ._dispatch_engine import _DispatchCompiled, _DispatchCompiler
from ._host import Unsupported
from ._program import Ref, refs_in

__all__ = ["CuPyEngine"]


def _from_cupy(value, device, dtype):
    """An Array holding the CuPy array ``value`` (its shape read off it: no C call)."""
    return Array._from_form(_cupy.BACKEND, value, device, dtype, tuple(value.shape))


def _fusible(ins, meta):
    if ins.kind != "op" or ins.kwargs or ins.info:
        return False
    op = ins.op
    fn = op.numpy
    if not isinstance(fn, onp.ufunc) or fn.nout != 1 or "cupy" not in op.impls:
        return False
    out = ins.outs
    if type(out) is not Ref or meta[out.slot].backend != "cupy":
        return False
    return all(type(a) is Ref or type(a) in (int, float, bool) for a in ins.args)


class CuPyEngine:
    """Fused kernels and CUDA graphs for programs that ran on CuPy."""

    name = "cupy"
    backend = _cupy.BACKEND

    def __init__(self, graphs=True):
        self.graphs = graphs

    def compile(self, prog):
        if prog.backends != {"cupy"}:
            raise Unsupported(f"ops ran on {sorted(map(str, prog.backends))}, not only on CuPy")
        cp = _cupy._module
        if cp is None:
            raise Unsupported("CuPy is not loaded")
        comp = _CuPyCompiler(prog, cp)
        fn = comp.build()
        compiled = _DispatchCompiled(fn, self.name, comp.rng, prog)
        if self.graphs and comp.graphable():
            return _GraphRunner(compiled, cp)
        return compiled


class _CuPyCompiler(_DispatchCompiler):
    """The dispatch engine's code, with fused groups of elementwise instructions."""

    def __init__(self, prog, cp):
        super().__init__(prog)
        self.cp = cp
        self.src.ns["_from_cupy"] = _from_cupy
        self.src.ns["_CP"] = _cupy.BACKEND
        self.groups = self._groups()
        self._kernel_count = 0

    def _groups(self):
        """instruction index -> the group (list of indices) that starts there."""
        prog, meta = self.prog, self.prog.meta
        groups, run = {}, []
        for k, ins in enumerate(prog.instrs + [None]):
            if ins is not None and _fusible(ins, meta):
                run.append(k)
                continue
            if len(run) >= 2:
                groups[run[0]] = list(run)
            run = []
        return groups

    def graphable(self):
        meta = self.prog.meta
        return (not self.prog.consts and all(
            ins.kind == "op" and "guard_value" not in ins.info and not ins.info.get("writes")
            for ins in self.prog.instrs)
            and all(meta[s].backend == "cupy" for s in self.prog.inputs))

    def build(self):
        # emitted by the dispatch engine's loop, with groups replacing their members
        self._skip = set()
        return super().build()

    def _op(self, ins):
        k = self.prog.instrs.index(ins)
        if k in self._skip:
            return
        group = self.groups.get(k)
        if group is None:
            return super()._op(ins)
        self._skip.update(group)
        self._fused(group)

    def _fused(self, group):
        prog, meta, src = self.prog, self.prog.meta, self.src
        members = [prog.instrs[k] for k in group]
        made = [ins.outs.slot for ins in members]
        inside = set(made)
        later = set(refs_in(prog.output))
        for ins in prog.instrs[group[-1] + 1:]:
            later.update(ins.reads())
        outs = [s for s in made if s in later]
        ins_slots = []
        for ins in members:
            for s in refs_in(ins.args):
                if s not in inside and s not in ins_slots:
                    ins_slots.append(s)
        # the kernel's Python source: one CuPy ufunc call per member
        params = [f"v{s}" for s in ins_slots]
        body = []
        for ins in members:
            fn = f"_cp.{ins.op.numpy.__name__}"
            args = ", ".join(f"v{a.slot}" if type(a) is Ref else repr(a) for a in ins.args)
            body.append(f"    v{ins.outs.slot} = {fn}({args})")
        ret = ", ".join(f"v{s}" for s in outs) + ("," if len(outs) == 1 else "")
        text = (f"def kernel({', '.join(params)}):\n" + "\n".join(body) +
                f"\n    return ({ret})\n")
        ns = {"_cp": self.cp}
        exec(compile(text, f"<minpy.jit fused kernel of {prog.name}>", "exec"), ns)  # noqa: S102
        self._kernel_count += 1
        kernel = self.cp.fuse(kernel_name=f"minpy_jit_{self._kernel_count}")(ns["kernel"])
        name = src.const(kernel, "K")
        call_args = ", ".join(f"s{s}._form(_CP)" for s in ins_slots)
        src.emit(f"_r = {name}({call_args})")
        for j, s in enumerate(outs):
            m = meta[s]
            dev, dt = src.const(m.device, "D"), src.const(m.dtype, "T")
            src.emit(f"_v = _r[{j}]")
            src.emit(f"if _v.dtype != {dt}:")
            src.emit(f"_v = _v.astype({dt})", 2)
            src.emit(f"s{s} = _from_cupy(_v, {dev}, {dt})")


class _GraphRunner:
    """A compiled program replayed as one CUDA graph (see the module docstring)."""

    __slots__ = ("compiled", "cp", "engine", "prog", "rng", "source", "graph", "stream",
                 "pool", "static_in", "static_out", "warm", "failed")

    def __init__(self, compiled, cp):
        self.compiled = compiled
        self.cp = cp
        self.engine = "cupy-graph"
        self.prog = compiled.prog
        self.rng = compiled.rng
        self.source = compiled.source
        self.graph = None
        self.warm = False
        self.failed = None  # why the graph could not be captured (then: no graph)

    def run(self, leaves):
        cp = self.cp
        if not self.warm or self.failed is not None:
            # the first call fills the pools with the sizes the capture will ask for
            self.warm = True
            return self.compiled.run(leaves)
        if self.graph is None:
            try:
                self._capture(leaves)
            except Exception as exc:  # noqa: BLE001 - CUDA refused the capture
                self.failed = f"{type(exc).__name__}: {exc}"
                self.engine = "cupy"
                return self.compiled.run(leaves)
        else:
            with self.stream:
                for dst, a in zip(self.static_in, leaves):
                    cp.copyto(dst, a._form(_cupy.BACKEND))
        self.graph.launch(stream=self.stream)
        self.stream.synchronize()
        return _copy_out(self.static_out)

    def _capture(self, leaves):
        cp = self.cp
        self.stream = cp.cuda.Stream(non_blocking=True)
        self.pool = cp.cuda.MemoryPool()  # the graph's addresses are its own
        with cp.cuda.using_allocator(self.pool.malloc), self.stream:
            self.static_in = [a._form(_cupy.BACKEND).copy() for a in leaves]
            static = [_from_cupy(s, a._device, a.dtype)
                      for s, a in zip(self.static_in, leaves)]
            self.compiled.run(static)  # warm the private pool
            self.stream.begin_capture()
            try:
                out = self.compiled.fn(static, [])
            finally:
                graph = self.stream.end_capture()
        self.graph = graph
        self.static_out = out


def _copy_out(x):
    """The graph's outputs (static buffers) as fresh Arrays."""
    if isinstance(x, Array):
        return _from_cupy(x._form(_cupy.BACKEND).copy(), x._device, x.dtype)
    t = type(x)
    if t is list or t is tuple:
        return t(_copy_out(a) for a in x)
    if t is dict:
        return {k: _copy_out(v) for k, v in x.items()}
    return x
