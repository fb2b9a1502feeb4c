"""View families: Arrays that share memory, as NumPy's views do.

A *family* is every Array that shares one host buffer: an owner (the *root*) and its
views (``a[2:5]``, ``a.T``, ``a.reshape(...)``, ...). The host form is the family's
truth: every write through any member goes to the shared host buffer, in place, and
bumps the family's :attr:`Family.version`. Every other form of a member (its MXNet
array today, a CuPy array tomorrow) is a *cache* stamped with the version it was made
at (:attr:`ViewInfo.stamps`, one entry per backend); a stamp older than the family's
version is never read, the form is rebuilt from the host instead. So a write through
any member is seen by all the others whichever form each was last read in.

A member made by a backend (e.g. ``x[1:3]`` computed by MXNet while ``x`` lives only in
MXNet) need not have a host form yet: its :attr:`ViewInfo.recipe` says how to derive
its host view from its parent's host form (``numpy_fn(parent_host, *args,
**kwargs)``), so the host view is made only when someone needs it, and it then shares
the root's buffer.

Arrays that never had a view taken have no family (``_view is None``) and keep their
copy-on-write fast paths: nothing here runs for them.
"""

from __future__ import annotations

import dis
import weakref

import numpy as np

from . import convert

__all__ = ["Family", "ViewInfo", "link", "owner", "adopt", "bump", "expose", "current",
           "settle", "check_traced_write"]


class Family:
    """Arrays sharing one host buffer: a version counter, weak references to the
    members (for :func:`check_traced_write`), and whether NumPy code outside MinPy holds
    the buffer for writing (:func:`expose`)."""

    __slots__ = ("version", "members", "_pruned_at", "exposed")

    def __init__(self):
        self.version = 0
        self.members: list = []
        self._pruned_at = 8
        self.exposed = False

    def add(self, array) -> None:
        members = self.members
        members.append(weakref.ref(array))
        if len(members) > self._pruned_at:  # drop dead references now and then
            members[:] = [r for r in members if r() is not None]
            self._pruned_at = 2 * len(members) + 8

    def live(self) -> list:
        return [a for a in (r() for r in self.members) if a is not None]


class ViewInfo:
    """One Array's place in its family.

    Attributes
    ----------
    fam : Family
    base : Array or None
        The root (NumPy's ``.base`` of a view: the array that owns the memory); ``None``
        for the root itself.
    recipe : tuple or None
        ``(parent, numpy_fn, args, kwargs)``: how to derive this member's host view
        from its parent's host form, for members a backend made without one.
    stamps : dict
        Backend -> the family version that backend's cached form was made at.
    """

    __slots__ = ("fam", "base", "recipe", "stamps")

    def __init__(self, fam, base, recipe=None):
        self.fam = fam
        self.base = base
        self.recipe = recipe
        self.stamps = {}


def _join(array, fam, base, recipe=None) -> ViewInfo:
    vi = array._view = ViewInfo(fam, base, recipe)
    forms = array._forms
    if forms:
        for backend in forms:
            vi.stamps[backend] = fam.version
    fam.add(array)
    return vi


def family_of(array) -> ViewInfo:
    """``array``'s ViewInfo, making it the root of a new family if it has none."""
    vi = array._view
    if vi is None:
        vi = _join(array, Family(), None)
    return vi


def link(child, parent, recipe=None) -> None:
    """Make ``child`` a view of ``parent``: a member of ``parent``'s family."""
    pv = family_of(parent)
    _join(child, pv.fam, pv.base if pv.base is not None else parent, recipe)


def owner(host: np.ndarray) -> np.ndarray:
    """The outermost ndarray of ``host``'s ``.base`` chain: two host forms share a
    buffer family exactly when their owners are the same object."""
    base = host.base
    while base is not None:
        if not isinstance(base, np.ndarray):
            # as_strided's results (sliding_window_view, ...) keep their array in the
            # ``base`` of a small interface object
            base = getattr(base, "base", None)
            if not isinstance(base, np.ndarray):
                break
        host, base = base, base.base
    return host


def bump(array) -> None:
    """A write through ``array`` is about to happen: every cached form of its family is
    stale from now on."""
    vi = array._view
    vi.fam.version += 1
    array._forms = None


def settle(array) -> None:
    """``array``'s host form is about to take another layout (``a.shape = ...``,
    ``a.resize(...)``): the members of its family still waiting to derive their host
    views from it (:attr:`ViewInfo.recipe`) derive them now, from the layout they were
    made from."""
    vi = array._view
    if vi is not None:
        for member in vi.fam.live():
            if member._host is None and member._view.recipe is not None:
                member._host_value()


def current(vi, backend) -> bool:
    """Whether the cached ``backend`` form of the member ``vi`` describes may be read:
    made at the family's present version, and no one outside MinPy may write the buffer
    (an exposed family's forms are never trusted: they are made again at each use)."""
    return vi.stamps.get(backend) == vi.fam.version and not vi.fam.exposed


def expose(array) -> None:
    """NumPy code keeps ``array``'s host buffer to write it later (an ``nditer`` with
    'readwrite' operands): from now on no cached device form of its family is read."""
    vi = family_of(array)
    vi.fam.version += 1
    vi.fam.exposed = True
    array._forms = None


def _parent_of(own, result, args, kwargs):
    """The Array among the arguments (one level into lists; keyword values) whose host
    form is ``result`` itself, else the first whose host buffer has owner ``own``
    (shared memory), if any."""
    Array = convert.Array
    found = None
    for x in (*args, *kwargs.values()) if kwargs else args:
        t = type(x)
        for e in x if (t is list or t is tuple) else (x,):
            if isinstance(e, Array):
                h = e._host
                if h is result:
                    return e
                if found is None and h is not None and (
                        h is own or (h.base is not None and owner(h) is own)):
                    found = e
    return found


def adopt(result, args, kwargs, device, given=None):
    """Wrap NumPy's ``result`` of a call on ``args``/``kwargs`` (whose Arrays' host forms
    NumPy was given) as Arrays, with NumPy's sharing: an input returned as it is gives
    that Array back, a view of an input's memory becomes a member of its family.
    ``given`` maps ``id(view)`` to ``(view, Array)`` for the read-only views NumPy was
    handed instead of host forms (:mod:`minpy.core._handoff`)."""
    Array = convert.Array
    if type(result) is np.ndarray or isinstance(result, np.ndarray):
        if given:
            entry = given.get(id(result))
            if entry is not None and entry[0] is result:
                return entry[1]
        parent = _parent_of(owner(result), result, args, kwargs)
        if parent is not None and parent._host is result:
            return parent  # NumPy gave the argument itself back (out=, asarray)
        out = Array._from_host(result, device)
        if parent is not None:  # the memory of an argument: one family
            out._shared = False
            link(out, parent)
        return out
    t = type(result)
    if t is tuple or t is list:
        return t(adopt(r, args, kwargs, device, given) for r in result)
    return convert.wrap(result, device)


_SKIP = frozenset({"SWAP", "COPY", "ROT_TWO", "ROT_THREE", "DUP_TOP_TWO", "NOP", "CACHE",
                   "EXTENDED_ARG"})
_instructions: dict = {}


def augmented_subscript(frame) -> bool:
    """Whether ``frame`` is executing the in-place operator of an augmented subscript
    assignment (``y[i] += v``): the operator's result is then stored back by
    ``y[i] = result`` at once."""
    if frame is None:
        return False
    code = frame.f_code
    table = _instructions.get(code)
    if table is None:
        ins = list(dis.get_instructions(code))
        table = _instructions[code] = ({x.offset: k for k, x in enumerate(ins)}, ins)
    index, ins = table
    k = index.get(frame.f_lasti)
    if k is None:
        return False
    for x in ins[k + 1:]:
        if x.opname not in _SKIP:
            return x.opname == "STORE_SUBSCR"
    return False


def check_traced_write(box, value=None, frame=None) -> None:
    """Refuse an in-place write to a traced value where the tape cannot record it
    correctly. The tape records writes functionally (the box is rebound to a new
    value), so a write must not be meant to reach another array: it may not go through
    a view (``v = x[1:3]; v += 1``; allowed as the first half of ``x[1:3] += 1``, whose
    store does the write), nor go to an array a live traced view of which would then
    read the old values (``v = y[0]; y[0] = 5; v.sum()``). ``value`` is the value being
    stored (it may be such a view: ``y[0] = y[0] * 2``); ``frame`` is the caller's frame
    of an in-place operator."""
    from .convert import Array
    from .tracing import unbox_all
    target = unbox_all(box)
    if not isinstance(target, Array) or target._view is None:
        return
    vi = target._view
    if vi.base is not None:
        if frame is not None and augmented_subscript(frame):
            return
        _refuse("through a view (such as x[1:3], x.T or x.reshape(...)) of another array")
    others = [a for a in vi.fam.live() if a is not target]
    if others and _boxed(others, box, value):
        _refuse("to an array while a traced view of it (such as y[0] or y.T) is in use")


def _boxed(arrays, box, value) -> bool:
    """Whether a traced value of ``box``'s trace other than ``box`` and ``value`` holds
    one of ``arrays`` (through the boxes of outer traces, under nested ``grad``): a view
    the program still holds. Views only a tape keeps are never read by the program."""
    import gc

    from .tracing import Box
    want = box._trace_id
    frontier = list(arrays)
    while frontier:
        ids = {id(f) for f in frontier}
        outer = []
        for ref in gc.get_referrers(*frontier):
            if not isinstance(ref, Box) or id(ref._value) not in ids or ref is value:
                continue
            if ref._trace_id == want:
                return True
            if ref._trace_id < want:  # an outer trace's box: look for ours around it
                outer.append(ref)
        frontier = outer
    return False


def _refuse(what):
    raise ValueError(
        f"in-place write to a traced array {what}: under grad the write cannot reach the "
        "arrays that share its memory, so a gradient through them would be wrong. Write "
        "'y = y + v' (or np.where/np.concatenate) instead, or take a copy first "
        "(y = y.copy()); 'x[1:3] += v' itself works.")
