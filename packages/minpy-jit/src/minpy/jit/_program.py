"""What a capture records: slots, instructions, and the program an engine compiles.

A *slot* is one value of the captured run: an input (an array argument), an external
(an array the function read without being given it: a global, a closure, an attribute),
a constant, or the result of an instruction. The program is *imperative*, as the run
was: instructions may write into slots (``x[i] = v``, ``x += v``, ``out=``), and view
instructions give slots that share memory with others, exactly as NumPy did during the
capture. An engine replays it with the same writes and the same sharing.

Instructions (:class:`Instr`) by ``kind``:

``op``
    a ``minpy.numpy`` function (``op`` is its table entry) on argument templates;
    ``outs`` is the result slot, a tuple/list of slots, or ``None`` (the result was an
    argument itself, or is not needed).
``prim``
    any other primitive (a custom one, :class:`minpy.symbol.Function`): called on Arrays.
``setitem``
    ``slots[target][key] = value`` (``cow``: the target's buffer was shared, so it is
    copied first, as the eager write did).
``assign``
    ``target`` takes ``source``'s data, as an in-place operator does: ``copy`` writes
    into the target's buffer (a view family, a read-only buffer), else the target takes
    the source's buffer over.
``ufunc_at``
    ``ufunc.at(slots[target], ...)``, in place.
``guard``
    the captured run read a value into Python (``bool(x)``, ``float(x)``, ``int(x)``,
    ``x.item()``, a non-array result): the replay recomputes it and compares.
"""

from __future__ import annotations

import numpy as onp

from minpy.core.backend import HOST

__all__ = ["Ref", "Instr", "Program", "refs_in", "map_template"]


class Ref:
    """A slot, where a template holds a value of the run."""

    __slots__ = ("slot",)

    def __init__(self, slot):
        self.slot = slot

    def __repr__(self):
        return f"s{self.slot}"


class Instr:
    """One recorded step (see the module docstring for the kinds)."""

    __slots__ = ("kind", "fn", "op", "args", "kwargs", "outs", "info")

    def __init__(self, kind, fn=None, op=None, args=(), kwargs=None, outs=None, info=None):
        self.kind = kind
        self.fn = fn
        self.op = op
        self.args = args
        self.kwargs = kwargs or {}
        self.outs = outs
        self.info = info or {}

    @property
    def name(self):
        if self.op is not None:
            return self.op.name
        return getattr(self.fn, "primitive_name", None) or getattr(
            self.fn, "__name__", self.kind)

    def reads(self):
        """The slots this instruction reads."""
        out = refs_in(self.args) + refs_in(self.kwargs)
        if self.kind in ("setitem", "assign", "ufunc_at"):
            out.append(self.info["target"])
        if self.kind == "guard":
            out.append(self.info["slot"])
        return out

    def out_slots(self):
        return refs_in(self.outs) if self.outs is not None else []

    def __repr__(self):
        return f"<{self.kind} {self.name} {self.args!r} {self.kwargs!r} -> {self.outs!r}>"


def refs_in(t, out=None):
    """The slots referenced anywhere in template ``t``."""
    if out is None:
        out = []
    tt = type(t)
    if tt is Ref:
        out.append(t.slot)
    elif tt is list or tt is tuple or isinstance(t, tuple):
        for a in t:
            refs_in(a, out)
    elif tt is dict:
        for a in t.values():
            refs_in(a, out)
    elif tt is slice:
        refs_in((t.start, t.stop, t.step), out)
    return out


def map_template(t, fn):
    """``t`` with every :class:`Ref` replaced by ``fn(ref)`` (same structure)."""
    tt = type(t)
    if tt is Ref:
        return fn(t)
    if tt is list or tt is tuple:
        return tt(map_template(a, fn) for a in t)
    if isinstance(t, tuple) and hasattr(t, "_fields"):
        return tt(*[map_template(a, fn) for a in t])
    if tt is dict:
        return {k: map_template(v, fn) for k, v in t.items()}
    if tt is slice:
        return slice(*map_template((t.start, t.stop, t.step), fn))
    return t


class SlotMeta:
    """What the capture saw of one slot: ``kind`` ('input', 'external', 'const',
    'result'), and for arrays shape, dtype, device and where the value lived."""

    __slots__ = ("kind", "shape", "dtype", "device", "is_array", "scalar_type", "written",
                 "view_of", "fresh", "family", "backend")

    def __init__(self, kind):
        self.kind = kind
        self.shape = self.dtype = self.device = self.scalar_type = None
        self.is_array = False
        self.written = False     # some instruction writes into it (or through a view)
        self.view_of = None      # the slot whose memory it views (at capture)
        self.fresh = False       # a new buffer nothing else shares (a ufunc's result)
        self.family = None       # the view family it belonged to at capture (id)
        self.backend = HOST      # the backend its value was computed on


class Program:
    """A captured run: everything an engine needs to replay it.

    Attributes
    ----------
    instrs : list of Instr
    meta : list of SlotMeta, one per slot
    inputs : list of int
        The slot of each dynamic argument leaf, in flattening order.
    externals : list of (int, object)
        Slots of arrays read by reference at every replay (the object is kept).
    consts : dict
        slot -> value: arrays made outside primitives during the capture (``np.array``
        of Python data), copied where the program writes them.
    output : template
        The function's answer with slots where its arrays are.
    backends : set of str
        The backends (:class:`minpy.core.backend.Backend`) the captured ops ran on.
    """

    def __init__(self):
        self.instrs = []
        self.meta = []
        self.inputs = []
        self.externals = []
        self.consts = {}
        self.output = None
        self.backends = set()
        self.has_random = False
        self.name = "?"

    def new_slot(self, kind):
        self.meta.append(SlotMeta(kind))
        return len(self.meta) - 1

    @property
    def n_slots(self):
        return len(self.meta)

    def summary(self) -> str:
        kinds = {}
        for ins in self.instrs:
            kinds[ins.kind] = kinds.get(ins.kind, 0) + 1
        counts = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
        return (f"{len(self.instrs)} instructions ({counts}), "
                f"{len(self.inputs)} inputs, {len(self.externals)} externals, "
                f"{len(self.consts)} constants, backends {sorted(map(str, self.backends))}")

    def dump(self) -> str:
        """A readable listing of the program (for debugging and the docs)."""
        lines = [self.summary()]
        for k, ins in enumerate(self.instrs):
            lines.append(f"{k:4d}  {ins!r}")
        lines.append(f"  -> {self.output!r}")
        return "\n".join(lines)


def same_value(a, b) -> bool:
    """Equality of guard values, with NaN equal to NaN (a value read twice is the same
    value)."""
    if type(a) is not type(b):
        return False
    try:
        if a == b:
            return True
    except Exception:  # noqa: BLE001  (an uncomparable value never matches)
        return False
    if isinstance(a, float) or isinstance(a, (onp.floating, onp.complexfloating, complex)):
        return a != a and b != b
    return False
