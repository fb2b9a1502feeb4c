"""Capturing one run of a function: the traced value :class:`JitBox` and the recorder.

The capture is a trace of :mod:`minpy.core.tracing`, opened outermost by ``jit``: the
function's array arguments are boxed, and the recorder is installed as the tracing
hook (``tracing._capture``), so it is offered every primitive call first. A call whose
arguments hold only this capture's boxes (or no boxes at all: creation, random
sampling, ops on arrays read from globals) is *run for real*, eagerly, on the unboxed
values, and recorded as an instruction; its answer is boxed. A call on values another
trace follows (``grad`` inside the function) is left to that trace, which unboxes its
level and calls the primitive again with this capture's boxes: so the backward pass
of a ``grad`` taken inside the function is recorded too (no trace is idle there, so
the NumPy mode of :mod:`minpy.autograd` stays off and its rules run through
``minpy.numpy``).

Because every value is computed for real, the capturing call *is* an eager call: its
results, its writes and its exceptions are eager MinPy's, at the same statements.
What the function does with a value in Python is seen through the box:

* ``bool(x)``, ``int(x)``, ``float(x)``, ``x.item()``, ``len``-free control flow on a
  value: a *guard* (the replay recomputes the value and compares; another outcome
  re-captures);
* ``print(x)``, ``x.asnumpy()``, ``numpy.asarray(x)``, ``x.tolist()``: the value
  leaves to code the capture cannot see; the program is dropped and the function runs
  eagerly from then on (one :class:`JitWarning`);
* a box kept after the call (stored in a list, a dict, an attribute): the same.
"""

from __future__ import annotations

import gc
import weakref
from threading import get_ident

import numpy as onp

from minpy.autograd.tracer import ArrayBox
from minpy.core import Array
from minpy.core import tracing as _tracing
from minpy.core.backend import HOST
from minpy.core.operators import ArrayMethods, lookup
from minpy.core.tracing import Box

from ._program import Instr, Program, Ref

__all__ = ["JitBox", "Capture", "active", "JitWarning"]


class JitWarning(UserWarning):
    """A jitted function runs eagerly (and why), or re-captures too often."""


#: The capture recording now (one at a time in the process; its thread only).
_ACTIVE = None

#: Arrays made outside primitives during a capture (``np.array([...])``) that no one
#: holds afterwards become constants of the program; up to this many elements each
#: (bigger ones make the function eager, with the reason).
SNAPSHOT_LIMIT = 1 << 20

#: NumPy functions that write into their first argument (the namespace runs them on
#: the shared host form, in place).
_WRITERS = frozenset({"copyto", "place", "put", "putmask", "fill_diagonal",
                      "put_along_axis"})


def active():
    """The capture recording in this thread, or ``None``."""
    c = _ACTIVE
    if c is not None and c.thread == get_ident():
        return c
    return None


def _mine(box):
    c = _ACTIVE
    if c is not None and box._trace_id == c.tid and c.thread == get_ident():
        return c
    return None


class _Decline(Exception):
    pass


class JitBox(Box, ArrayMethods):
    """A value of a captured run: it behaves as the Array it holds (its value is real),
    and the capture records what is done with it."""

    __slots__ = ("__weakref__",)
    __array_priority__ = 300.0
    __hash__ = None
    _absorbs_writes = True

    @classmethod
    def _record(cls, ans, fun, args, kwargs, paths, parents, trace_id):
        # Reached only for a call the capture declined while its own trace is the
        # innermost: one that mixes in a value a trace around the capture follows, which
        # spoils the capture. The call ran for real (the outer trace recorded it):
        # its answer is what the function goes on with.
        return ans

    # -- static attributes (shapes and dtypes are part of the signature): read off the
    # value, as autograd's traced values do
    shape = ArrayBox.shape
    dtype = ArrayBox.dtype
    ndim = ArrayBox.ndim
    size = ArrayBox.size
    itemsize = ArrayBox.itemsize
    nbytes = ArrayBox.nbytes
    device = ArrayBox.device
    context = ArrayBox.device
    __len__ = ArrayBox.__len__
    __iter__ = ArrayBox.__iter__

    # -- values read into Python: guards ---------------------------------------------
    def _guarded(self, how, value, *args):
        c = _mine(self)
        if c is not None:
            c.guard(self, how, value, args)
        return value

    def __bool__(self):
        return self._guarded("bool", bool(self._value))

    def __int__(self):
        return self._guarded("int", int(self._value))

    def __index__(self):
        return self._guarded("index", self._value.__index__())

    def __float__(self):
        return self._guarded("float", float(self._value))

    def __complex__(self):
        return self._guarded("complex", complex(self._value))

    def item(self, *args):
        v = self._value
        value = v.item(*args) if hasattr(v, "item") else v
        return self._guarded("item", value, *args)

    # -- values leaving for code the capture cannot see: the function runs eagerly ---
    def _escape(self, what):
        c = _mine(self)
        if c is not None:
            c.spoil(f"{what} reads a value into Python code the capture cannot follow")
        return self._value

    def asnumpy(self):
        v = self._escape("asnumpy()")
        return v.asnumpy() if isinstance(v, Array) else onp.array(v)

    def tolist(self):
        return onp.asarray(self._escape("tolist()")).tolist()

    def tobytes(self, order="C"):
        return onp.asarray(self._escape("tobytes()")).tobytes(order)

    def __array__(self, dtype=None, copy=None):
        v = onp.asarray(self._escape("numpy.asarray() (a NumPy function on it)"))
        return v if dtype is None else v.astype(dtype, copy=False)

    def __repr__(self):
        return repr(self._escape("printing (repr)"))

    def __str__(self):
        return str(self._escape("printing (str)"))

    def __format__(self, spec):
        return format(self._escape("printing (format)"), spec)

    def __reduce__(self):
        return (Array, (onp.asarray(self._escape("pickling")),))

    # -- NumPy's own functions on a box: the namespace's, so they are recorded ---------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if not _tracing.is_live(self):  # kept after its capture: its value
            return getattr(ufunc, method)(*_tracing.unbox_all(inputs),
                                          **_tracing.unbox_all(kwargs))
        if method == "__call__":
            return lookup(ufunc.__name__)(*inputs, **kwargs)
        if method == "at":
            target, *rest = inputs
            c = _mine(self) if isinstance(target, JitBox) else None
            if c is not None and target is self:
                return c.ufunc_at(ufunc, target, rest)
        c = _mine(self)
        if c is not None:
            c.spoil(f"numpy.{ufunc.__name__}.{method} is not recorded")
        return getattr(ufunc, method)(*_tracing.unbox_all(inputs), **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        if not _tracing.is_live(self):
            return func(*_tracing.unbox_all(args), **_tracing.unbox_all(kwargs))
        module = func.__module__ or "numpy"
        sub = module.split(".")[1] if module.startswith("numpy.") else ""
        name = func.__name__ if sub in ("", "core", "lib", "_core") else (
            f"{sub}.{func.__name__}")
        try:
            fn = lookup(name)
        except AttributeError:
            fn = None
        if fn is None:
            c = _mine(self)
            if c is not None:
                c.spoil(f"numpy.{name} is not a minpy.numpy function")
            return func(*_tracing.unbox_all(args), **kwargs)
        return fn(*args, **kwargs)

    # -- writes ------------------------------------------------------------------------
    def __setitem__(self, key, value):
        c = _mine(self)
        if c is None:
            self._value[_tracing.unbox_all(key)] = _tracing.unbox_all(value)
            return
        c.setitem(self, key, value)

    def _replace_with(self, result):
        c = _mine(self)
        if c is None:
            self._value._replace_with(_tracing.unbox_all(result))
            return
        c.assign(self, result)

    def _write_into(self, target, key, value):
        c = _mine(self)
        if c is None:  # a box kept after its capture: its value
            if key is None:
                target._assign(_tracing.unbox_all(value))
            else:
                target[_tracing.unbox_all(key)] = _tracing.unbox_all(value)
            return
        if key is None:
            c.assign(target, value)
        else:
            c.setitem(target, key, value)


_PLAIN = (Array, onp.ndarray)


def _is_array(x):
    return isinstance(x, _PLAIN)


class Capture:
    """Records one run of a function into a :class:`~._program.Program`."""

    def __init__(self, name):
        self.prog = Program()
        self.prog.name = name
        self.slot_of = {}        # id(plain value) -> slot
        self.keep = []           # every value in slot_of (ids stay unique meanwhile)
        self.values = {}         # slot -> the value at capture (arrays)
        self.box_of = {}         # slot -> its box (during the capture)
        self.boxes = []          # weakrefs to every box made (leak check)
        self.ext_refs = {}       # external slot -> weakref to its object
        self.snapshots = {}      # external slot -> copy of its value when first read
        self.random = []         # (state before, state after) of each random call
        self.spoiled = None      # why the run cannot be replayed (or None)
        self.thread = get_ident()
        self.tid = None
        self.written = set()     # slots written into

    # -- lifecycle -----------------------------------------------------------------------
    def start(self, tid):
        global _ACTIVE
        self.tid = tid
        self.rng_start = _rng_state()
        _ACTIVE = self
        _tracing._capture = self.hook
        # Arrays made during the capture, whoever makes them: an array the program
        # reads that was made here (``np.array([...])`` is no primitive) is a constant
        # of the program, remade every call; any other is read by reference. Array's
        # constructor hook ``_set`` is wrapped for the capture only (no cost elsewhere).
        # (ids: an external was alive all along, so no Array made meanwhile shares its id)
        born = self.born = set()
        plain_set = Array._set

        def _set(arr, *a, **k):
            born.add(id(arr))
            return plain_set(arr, *a, **k)
        self._plain_set = plain_set
        Array._set = _set

    def stop(self):
        global _ACTIVE
        if _tracing._capture == self.hook:
            _tracing._capture = None
        if _ACTIVE is self:
            _ACTIVE = None
        if getattr(self, "_plain_set", None) is not None:
            Array._set = self._plain_set
            self._plain_set = None

    def spoil(self, reason):
        if self.spoiled is None:
            self.spoiled = reason

    # -- slots ---------------------------------------------------------------------------
    def box_input(self, value):
        """Box one array argument (an Array; an ndarray is read as an Array sharing its
        buffer) as a new input slot."""
        if isinstance(value, onp.ndarray):
            arr = Array._from_host(value)
            arr._shared = True
            value = arr
        s = self.prog.new_slot("input")
        self.prog.inputs.append(s)
        self._note(s, value)
        return self._box(s, value)

    def _note(self, s, value):
        m = self.prog.meta[s]
        self.slot_of[id(value)] = s
        self.keep.append(value)
        self.values[s] = value
        if _is_array(value):
            m.is_array = True
            m.shape, m.dtype = tuple(value.shape), value.dtype
            if isinstance(value, Array):
                m.device = value._device
                if value._host is None:
                    m.backend = value._resident()
        else:
            m.scalar_type = type(value)

    def _box(self, s, value):
        box = JitBox(value, self.tid, s)
        self.box_of[s] = box
        self.boxes.append(weakref.ref(box))
        return box

    def plain_slot(self, obj):
        """The slot of a plain array (a box's value, or an external seen before), else a
        new external slot for it."""
        s = self.slot_of.get(id(obj))
        if s is not None:
            return s
        s = self.prog.new_slot("external")
        self.prog.externals.append((s, None))
        self.ext_refs[s] = (weakref.ref(obj), id(obj) in self.born)
        host = obj._host if isinstance(obj, Array) else obj
        if host is not None and host.size <= SNAPSHOT_LIMIT:
            self.snapshots[s] = onp.array(host, copy=True)
        self._note(s, obj)
        return s

    # -- templates -------------------------------------------------------------------------
    def _foreign(self, x):
        """Whether ``x`` holds a box this capture must leave to another trace. A live
        traced value whose innermost value is a plain array (a ``grad`` started inside
        the function on an array it did not get as a box) is given this capture's box of
        that array first, so the other trace hands its calls on to this capture."""
        t = type(x)
        if t is JitBox and x._trace_id == self.tid:
            return False
        if isinstance(x, Box):
            if _tracing.is_live(x) and x._trace_id < self.tid:
                # A value a trace around the call follows (a closure over a traced
                # value inside grad): the program would cut it off from its trace.
                self.spoil("it reads a value that a trace around it follows (a "
                           "closure over a traced value); pass it as an argument")
                return True
            b = x
            while isinstance(b._value, Box):
                b = b._value
            if (_tracing.is_live(b) and not isinstance(b, JitBox)
                    and _is_array(b._value)):
                v = b._value
                s = self.plain_slot(v)
                b._value = self.box_of.get(s) or self._box(s, v)
            return True
        if t is list or t is tuple or (isinstance(x, tuple) and hasattr(x, "_fields")):
            found = False
            for a in x:
                found = self._foreign(a) or found
            return found
        if t is dict:
            found = False
            for a in x.values():
                found = self._foreign(a) or found
            return found
        if t is slice:
            return self._foreign((x.start, x.stop, x.step))
        return False

    def template(self, x):
        """``(template, value)``: ``x`` with this capture's boxes and plain arrays as
        :class:`Ref` s, and with the boxes unboxed."""
        t = type(x)
        if t is JitBox:
            return Ref(x._node), x._value
        if t is Array or t is onp.ndarray or isinstance(x, _PLAIN):
            return Ref(self.plain_slot(x)), x
        if t is list or t is tuple:
            parts = [self.template(a) for a in x]
            if not any(type(p[0]) is Ref or p[0] is not p[1] for p in parts):
                return x, x
            return t(p[0] for p in parts), t(p[1] for p in parts)
        if isinstance(x, tuple) and hasattr(x, "_fields"):
            parts = [self.template(a) for a in x]
            return t(*[p[0] for p in parts]), t(*[p[1] for p in parts])
        if t is dict:
            parts = {k: self.template(v) for k, v in x.items()}
            return ({k: p[0] for k, p in parts.items()}, {k: p[1] for k, p in parts.items()})
        if t is slice:
            (a, b, c), (va, vb, vc) = self.template((x.start, x.stop, x.step))
            return slice(a, b, c), slice(va, vb, vc)
        return x, x

    # -- the hook: every primitive call ------------------------------------------------
    def hook(self, wrapped, fun, args, kwargs):
        if get_ident() != self.thread:
            return _tracing.DECLINED
        if self._foreign(args) or (kwargs and self._foreign(kwargs)):
            return _tracing.DECLINED
        targs, vals = self.template(args)
        tkw, kvals = self.template(kwargs) if kwargs else ({}, {})
        op = getattr(wrapped, "op", None)
        name = op.name if op is not None else getattr(wrapped, "primitive_name", "?")
        is_random = op is not None and (op.kind == "random" or name.startswith("random."))
        info = {}
        out_ref = kvals.get("out") if kvals else None
        if out_ref is not None:
            info["out_mode"] = [_assign_mode(o, None) for o in (
                out_ref if type(out_ref) is tuple else (out_ref,)) if isinstance(o, Array)]
        _tracing._capture = None
        try:
            before = _rng_state() if is_random else None
            ans = fun(*vals, **kvals)
            if is_random:
                self.random.append((before, _rng_state()))
                self.prog.has_random = True
        finally:
            _tracing._capture = self.hook
        if name in _WRITERS and targs and type(targs[0]) is Ref:
            info["writes"] = targs[0].slot
            self._wrote(targs[0].slot)
        if out_ref is not None:
            for o in (tkw["out"] if type(tkw["out"]) is tuple else (tkw["out"],)):
                if type(o) is Ref:
                    self._wrote(o.slot)
        ins = Instr("op" if op is not None else "prim", wrapped, op, targs, tkw, None, info)
        out_t, boxed = self._result(ans, ins)
        ins.outs = out_t
        self.prog.instrs.append(ins)
        return boxed

    def _result(self, ans, ins):
        """``(template, value for the caller)`` of an answer: arrays become slots
        (boxed), an argument returned as it is keeps its slot, other values are
        guarded."""
        t = type(ans)
        if t is Array or t is onp.ndarray or isinstance(ans, _PLAIN):
            s = self.slot_of.get(id(ans))
            if s is not None:  # an argument itself (out=, asarray(x))
                ins.info.setdefault("identity", True)
                box = self.box_of.get(s)
                return Ref(s), (box if box is not None else ans)
            s = self.prog.new_slot("result")
            self._note(s, ans)
            m = self.prog.meta[s]
            if isinstance(ans, Array):
                m.fresh = ans._view is None and ans._host is not None and ans._host.base is None
                self.prog.backends.add(m.backend)
            return Ref(s), self._box(s, ans)
        if t is tuple or t is list or (isinstance(ans, tuple) and hasattr(ans, "_fields")):
            if any(_is_array(a) for a in ans):
                parts = [self._result(a, ins) for a in ans]
                if t is tuple or t is list:
                    return t(p[0] for p in parts), t(p[1] for p in parts)
                return t(*[p[0] for p in parts]), t(*[p[1] for p in parts])
        if ans is None or isinstance(ans, (bool, int, float, complex, str, onp.generic,
                                           onp.dtype, tuple, list)):
            if ans is not None:
                ins.info["guard_value"] = ans  # a value the replay must find again
            return None, ans
        self.spoil(f"{ins.name} returned a {type(ans).__name__}, which is not recorded")
        return None, ans

    # -- guards and writes -------------------------------------------------------------
    def guard(self, box, how, value, args=()):
        self.prog.instrs.append(Instr("guard", info={
            "slot": box._node, "how": how, "value": value, "args": args}))

    def _target(self, target):
        if type(target) is JitBox:
            return target._node, target._value
        return self.plain_slot(target), target

    def _wrote(self, s):
        self.written.add(s)

    def setitem(self, target, key, value):
        s, tv = self._target(target)
        tkey, kv = self.template(key)
        tval, vv = self.template(value)
        host_before = tv._host if isinstance(tv, Array) else None
        _tracing._capture = None
        try:
            tv[kv] = vv
        finally:
            _tracing._capture = self.hook
        cow = isinstance(tv, Array) and host_before is not None and tv._host is not host_before
        if isinstance(tv, Array) and tv._host is None:
            self.prog.backends.add(tv._resident())
        self._wrote(s)
        self.prog.instrs.append(Instr("setitem", args=(tkey, tval),
                                      info={"target": s, "cow": cow}))

    def assign(self, target, result):
        s, tv = self._target(target)
        tres, rv = self.template(result)
        if not isinstance(tv, Array) or not isinstance(rv, Array):
            raise TypeError(f"in-place update of a {type(tv).__name__} with a "
                            f"{type(rv).__name__}")
        mode = _assign_mode(tv, rv)
        _tracing._capture = None
        try:
            tv._assign(rv)
        finally:
            _tracing._capture = self.hook
        self._wrote(s)
        self.prog.instrs.append(Instr("assign", args=(tres,), info={"target": s, "mode": mode}))

    def ufunc_at(self, ufunc, target, rest):
        s, tv = self._target(target)
        trest, rv = self.template(tuple(rest))
        host_before = tv._host
        _tracing._capture = None
        try:
            lookup(ufunc.__name__).at(tv, *rv)
        finally:
            _tracing._capture = self.hook
        cow = host_before is not None and tv._host is not host_before
        self._wrote(s)
        self.prog.instrs.append(Instr("ufunc_at", fn=ufunc, args=trest,
                                      info={"target": s, "cow": cow}))

    # -- the answer and the end ----------------------------------------------------------
    def output(self, x):
        """``(template, value)`` of the function's answer."""
        t = type(x)
        if t is JitBox:
            if x._trace_id != self.tid:
                x = _tracing.unbox_dead(x)
                return self.output(x)
            return Ref(x._node), x._value
        if isinstance(x, Box):
            if _tracing.is_live(x):
                if x._trace_id < self.tid:  # a trace around the call follows it
                    self.spoil("it returns a value that a trace around it follows")
                    return None, x
                raise TypeError("jit: the function returned a value traced by another "
                                "trace (a value of an unfinished grad)")
            return self.output(_tracing.unbox_dead(x))
        if _is_array(x):
            return Ref(self.plain_slot(x)), x
        if t is list or t is tuple:
            parts = [self.output(a) for a in x]
            return t(p[0] for p in parts), t(p[1] for p in parts)
        if isinstance(x, tuple) and hasattr(x, "_fields"):
            parts = [self.output(a) for a in x]
            return t(*[p[0] for p in parts]), t(*[p[1] for p in parts])
        if t is dict:
            parts = {k: self.output(v) for k, v in x.items()}
            return ({k: p[0] for k, p in parts.items()}, {k: p[1] for k, p in parts.items()})
        return x, x

    def finish(self):
        """The program, or ``None`` with :attr:`spoiled` saying why it cannot be
        replayed. Call after :meth:`stop` and :meth:`output`."""
        prog = self.prog
        self._check_random()
        self._families()
        # Drop every reference the capture holds, then see what outlived the run.
        self.slot_of.clear()
        self.keep.clear()
        self.box_of.clear()
        self.values.clear()
        if any(r() is not None for r in self.boxes):
            gc.collect()  # reference cycles hold nothing
            if any(r() is not None for r in self.boxes):
                self.spoil("a traced value was kept after the call (stored in a list, "
                           "a dict, an attribute or a global), which a replay would not do")
        self.boxes.clear()
        externals = []
        for s, _ in prog.externals:
            ref, born = self.ext_refs[s]
            obj = ref()
            if obj is not None and not born:  # made before the call: by reference
                externals.append((s, obj))
                continue
            # Made during the run, outside primitives (np.array of Python data), or
            # dropped by then: a constant of the program, as it was when first read.
            snap = self.snapshots.get(s)
            if snap is None:
                self.spoil("an array of more than {SNAPSHOT_LIMIT} elements was made "
                           "inside the function outside minpy.numpy's functions")
                continue
            prog.meta[s].kind = "const"
            prog.consts[s] = snap
        prog.externals = externals
        self.snapshots.clear()
        for s in self.written:
            prog.meta[s].written = True
        if self.spoiled is not None:
            return None
        if not prog.backends:
            prog.backends.add(HOST)
        return prog

    def _check_random(self):
        """NumPy's global generator must have moved only by the recorded calls: a draw
        the capture did not see (``seed``, ``shuffle``, NumPy's own functions) would be
        a constant in every replay."""
        chain = [self.rng_start]
        for before, after in self.random:
            chain += [before, after]
        chain.append(_rng_state())
        for a, b in zip(chain[0::2], chain[1::2]):
            if not _same_rng(a, b):
                self.spoil("NumPy's random generator was used outside minpy.numpy's "
                           "recorded random functions (seed, shuffle, numpy.random "
                           "itself)")
                return

    def _families(self):
        """Which input and external slots share memory with written slots, and which
        belong to a view family (the replay puts them into one first)."""
        fam_slots = {}
        for s, v in self.values.items():
            vi = getattr(v, "_view", None)
            if vi is not None:
                fam_slots.setdefault(id(vi.fam), []).append(s)
                self.prog.meta[s].family = id(vi.fam)
        for s, v in self.values.items():
            vi = getattr(v, "_view", None)
            if vi is not None and vi.base is not None:
                root = self.slot_of.get(id(vi.base))
                if root is not None and root != s:
                    self.prog.meta[s].view_of = root
        written = set(self.written)
        for s in list(written):
            fid = self.prog.meta[s].family
            if fid is not None:
                written.update(fam_slots.get(fid, ()))
        self.written = written


def _assign_mode(target, source):
    """How ``target._assign(source)`` (or a write into ``target`` through ``out=``)
    stores: 'copy' into the target's buffer (a view family, a read-only buffer), else
    'take' the source's buffer over ('take_copy': a copy of it, for a source in a
    family)."""
    if target._view is not None or (target._host is not None
                                    and not target._host.flags.writeable):
        return "copy"
    if source is not None and source._view is not None:
        return "take_copy"
    return "take"


def _rng_state():
    return onp.random.get_state()


def _same_rng(a, b):
    return a[0] == b[0] and a[2:] == b[2:] and onp.array_equal(a[1], b[1])
