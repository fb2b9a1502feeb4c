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

import weakref

import numpy as np

__all__ = ["Family", "ViewInfo", "link", "owner", "adopt", "bump", "check_traced_write"]


class Family:
    """Arrays sharing one host buffer: a version counter and weak references to the
    members (for :func:`check_traced_write`)."""

    __slots__ = ("version", "members", "_pruned_at")

    def __init__(self):
        self.version = 0
        self.members: list = []
        self._pruned_at = 8

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
        Backend name -> the family version that backend's cached form was made at.
    """

    __slots__ = ("fam", "base", "recipe", "stamps")

    def __init__(self, fam, base, recipe=None):
        self.fam = fam
        self.base = base
        self.recipe = recipe
        self.stamps = {}


def _join(array, fam, base, recipe=None) -> ViewInfo:
    vi = array._view = ViewInfo(fam, base, recipe)
    if array._mx is not None:
        vi.stamps["mxnet"] = fam.version
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
    while isinstance(base, np.ndarray):
        host, base = base, base.base
    return host


def bump(array) -> None:
    """A write through ``array`` is about to happen: every cached form of its family is
    stale from now on."""
    vi = array._view
    vi.fam.version += 1
    array._mx = None


def _candidates(args, kwargs):
    from .convert import Array
    for x in args:
        if isinstance(x, Array):
            yield x
        elif type(x) in (list, tuple):
            for e in x:
                if isinstance(e, Array):
                    yield e
    if kwargs:
        for x in kwargs.values():
            if isinstance(x, Array):
                yield x


def _parent_of(host, args, kwargs):
    """The Array among the arguments whose host buffer ``host`` shares, if any."""
    own = owner(host)
    for a in _candidates(args, kwargs):
        h = a._host
        if h is not None and (h is host or owner(h) is own):
            return a
    return None


def adopt(result, args, kwargs, device):
    """Wrap NumPy's ``result`` of a call on ``args``/``kwargs`` (whose Arrays' host forms
    NumPy was given) as Arrays, with NumPy's sharing: an input returned as it is gives
    that Array back, a view of an input's memory becomes a member of its family."""
    from .convert import Array, wrap
    if isinstance(result, np.ndarray):
        if result.base is None:
            for a in _candidates(args, kwargs):
                if a._host is result:
                    return a
            return Array._from_host(result, device)
        parent = _parent_of(result, args, kwargs)
        out = Array._from_host(result, device)
        if parent is not None:
            out._shared = False
            link(out, parent)
        return out
    t = type(result)
    if t is tuple or t is list:
        return t(adopt(r, args, kwargs, device) for r in result)
    return wrap(result, device)


def check_traced_write(box) -> None:
    """Refuse an in-place write to a traced value whose Array shares memory with
    another live Array: the tape records writes functionally, so the other Array would
    not see it and a gradient through it would be wrong."""
    from .convert import Array
    from .tracing import unbox_all
    value = unbox_all(box)
    if not isinstance(value, Array) or value._view is None:
        return
    vi = value._view
    others = [a for a in vi.fam.live() if a is not value]
    if vi.base is not None or others:
        raise ValueError(
            "in-place write to a traced array that shares memory with another array (a "
            "view such as x[1:3], x.T or x.reshape(...)): under grad the write cannot "
            "reach the other array, so its gradient would be wrong. Write 'y = y + v' "
            "(or np.where/np.concatenate) instead, or take a copy first (y = y.copy()).")
