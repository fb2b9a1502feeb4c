"""Turning a :class:`~._program.Program` into one straight-line Python function.

Both replay engines that run on Python calls (the host NumPy engine and the dispatch
engine) compile a program to the source of a function ``run(I, U)`` -- ``I`` the input
leaves, ``U`` a list the function fills with undo records -- with one local variable
per slot, every constant bound once in the function's globals, and no interpretation
loop: a replay costs the calls themselves.
"""

from __future__ import annotations

import itertools

import numpy as onp

from ._program import Ref, refs_in

__all__ = ["GuardFail", "Source", "can_fail", "undo_plan"]


class GuardFail(Exception):
    """A replay met another outcome than the captured run (a guard, a result shape)."""


_counter = itertools.count()


class Source:
    """Lines of a function under construction, with its constants."""

    def __init__(self, ns=None):
        self.ns = dict(ns or {})
        self.lines = []
        self._consts = {}

    def const(self, value, hint="c"):
        """The name of ``value`` in the function's globals (bound once)."""
        key = (type(value), id(value))
        name = self._consts.get(key)
        if name is None:
            name = f"{hint}{len(self.ns)}"
            self.ns[name] = value
            self._consts[key] = name
            self._consts[(type(value), id(value), "keep")] = value  # keep the id valid
        return name

    def emit(self, line, indent=1):
        self.lines.append("    " * indent + line)

    def expr(self, t, ref):
        """Source text of template ``t``; ``ref(slot)`` names a slot's variable."""
        if not refs_in(t):
            return self._literal(t)
        tt = type(t)
        if tt is Ref:
            return ref(t.slot)
        if tt is list:
            return "[" + ", ".join(self.expr(a, ref) for a in t) + "]"
        if tt is tuple:
            inner = ", ".join(self.expr(a, ref) for a in t)
            return "(" + inner + ("," if len(t) == 1 else "") + ")"
        if isinstance(t, tuple) and hasattr(t, "_fields"):
            return self.const(tt, "T") + "(" + ", ".join(self.expr(a, ref) for a in t) + ")"
        if tt is dict:
            return "{" + ", ".join(f"{self._literal(k)}: {self.expr(v, ref)}"
                                   for k, v in t.items()) + "}"
        if tt is slice:
            return "slice(" + ", ".join(self.expr(a, ref) for a in
                                        (t.start, t.stop, t.step)) + ")"
        raise TypeError(f"cannot compile template {t!r}")

    def _literal(self, v):
        t = type(v)
        if v is None or v is Ellipsis or t is bool:
            return repr(v)
        if t is int or t is str:
            return repr(v)
        if t is float and v == v and v not in (float("inf"), float("-inf")):
            return repr(v)
        return self.const(v)

    def call(self, fn, args, kwargs, ref):
        """Source of ``fn(*args, **kwargs)`` (templates)."""
        parts = [self.expr(a, ref) for a in args]
        parts += [f"{k}={self.expr(v, ref)}" for k, v in kwargs.items()]
        return f"{fn}({', '.join(parts)})"

    def compile(self, name):
        text = "\n".join(self.lines) + "\n"
        filename = f"<minpy.jit {name} #{next(_counter)}>"
        code = compile(text, filename, "exec")
        exec(code, self.ns)  # noqa: S102 - our own generated source
        fn = self.ns["run"]
        fn.source = text
        return fn


def can_fail(ins) -> bool:
    """Whether replaying ``ins`` may raise or fail a guard where the capture did not
    (its outcome depends on values, not only on shapes and dtypes)."""
    kind = ins.kind
    if kind == "guard" or kind == "prim" or kind == "ufunc_at":
        return True
    if kind == "assign":
        return False
    if kind == "setitem":
        return bool(refs_in(ins.args[0]))  # array indices may be out of bounds
    op = ins.op
    if "guard_value" in ins.info:
        return True
    if isinstance(op.numpy, onp.ufunc) and "out" not in ins.kwargs:
        return False
    return True  # shape checks, linalg, indices, samplers with array parameters


def undo_plan(prog, preserved):
    """``(slots, rng)``: the input/external slots whose memory the program writes
    before its last instruction that may fail (their contents are saved first, so a
    failed replay leaves them as they were), and whether NumPy's generator state must
    be saved too (a sampler before that instruction). ``preserved(slot)`` is the
    input or external slot whose memory a write into ``slot`` reaches, or ``None``."""
    last = -1
    for k, ins in enumerate(prog.instrs):
        if can_fail(ins):
            last = k
    slots = []
    rng = False
    for k, ins in enumerate(prog.instrs[:last]):
        target = None
        if ins.kind in ("setitem", "ufunc_at") or (
                ins.kind == "assign" and ins.info["mode"] == "copy"):
            target = ins.info["target"]
        elif ins.kind == "op":
            if "writes" in ins.info:
                target = ins.info["writes"]
            elif "out" in ins.kwargs:
                outs = refs_in(ins.kwargs["out"])
                for s in outs:
                    root = preserved(s)
                    if root is not None and root not in slots:
                        slots.append(root)
            op = ins.op
            if op is not None and (op.kind == "random" or op.name.startswith("random.")):
                rng = True
        if target is not None:
            root = preserved(target)
            if root is not None and root not in slots:
                slots.append(root)
    return slots, rng
