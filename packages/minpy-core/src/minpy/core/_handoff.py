"""Handing Arrays' host buffers to NumPy code: the one door (:func:`call`).

Every NumPy function MinPy runs on an Array's data goes through :func:`call`: the
fallback of a name no backend implements, a NumPy run the policy chose, a ufunc method
(``np.add.at``, ``np.add.reduce``), a function NumPy's ``__array_function__`` protocol
hands back, the methods of a random ``Generator``. NumPy code may write into what it is
given (``np.copyto(a, b)``, ``np.put``, ``out=``), and a write that MinPy does not see
would leave the Array's cached MXNet or CuPy form, and the other members of its view
family, stale: later reads would silently give the old values. So:

* **Declared writers.** :data:`WRITERS` names every NumPy function and method that
  writes into an argument, and which one(s); ``out=`` of any function and the positional
  outputs of a ufunc are writes too. A written Array gets its host buffer through
  :meth:`Array._writable_host`: made private if it is shared copy-on-write, its family's
  version bumped, its cached device forms dropped: what every MinPy write does.
* **Everything else read-only.** An Array handed to NumPy code not declared to write it
  gets a read-only view of its host buffer (trusted calls excepted, below). An undeclared
  writer therefore fails inside NumPy (``assignment destination is read-only``);
  :func:`call` runs it again with every Array writable, warns
  (:class:`UndeclaredWriteWarning`) and counts it in :data:`undeclared`: loud and right,
  never silently stale. ``conformance/test_writers.py`` keeps :data:`WRITERS`
  complete against a scan of NumPy's public functions and methods.
* **NumPy's results.** A result that is a given Array's buffer itself is that Array
  (``np.asarray(a) is a``); a view of one joins its view family
  (:func:`~minpy.core._views.adopt`), writable where NumPy's is: a read-only view derived
  from a read-only view handed out here is made again by running the call once more on
  the writable buffers (it has just shown that it writes nothing).
* **Trusted calls** (a ufunc's ``__call__``, the NumPy function of an op-table entry:
  known to write nothing but ``out``) get the buffers as they are: the hot path pays
  nothing for the guard.
* **Writes after the call** (``nested_iters``/``nditer`` with ``readwrite`` operands keep
  the buffers and write while iterating): the written Arrays' family is marked exposed
  (:func:`~minpy.core._views.expose`), so that no cached device form of it is trusted
  again.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
import warnings
from collections import Counter

import numpy as np

from . import _views, convert, tracing
from .tracing import Box

__all__ = ["Writes", "WRITERS", "ARRAY_WRITERS", "call", "writer_of", "out_position",
           "UndeclaredWriteWarning", "undeclared"]


class UndeclaredWriteWarning(UserWarning):
    """NumPy code wrote into an Array MinPy handed it read-only: the call was run again
    with writable buffers (the values are right); the function belongs in
    :data:`WRITERS`."""


#: Names of undeclared writers met so far (how many times each).
undeclared: Counter = Counter()


class Writes:
    """Which arguments one NumPy callable writes into.

    Parameters
    ----------
    args : tuple of int
        Positions of the written parameters, as the callable is called (a bound method
        without ``self``). A list or tuple there is written element by element.
    kwargs : tuple of str
        The same parameters' names, for keyword calls.
    when : callable, optional
        ``(args, kwargs) -> bool``: whether this call writes (``nan_to_num`` writes only
        with ``copy=False``). Default: always.
    later : bool
        The written buffers are kept and written after the call returns (iterators).
    """

    __slots__ = ("args", "kwargs", "when", "later")

    def __init__(self, args=(), kwargs=(), when=None, later=False):
        self.args, self.kwargs, self.when, self.later = tuple(args), tuple(kwargs), when, later

    def __repr__(self):
        return f"Writes(args={self.args}, kwargs={self.kwargs}, later={self.later})"


def _copy_false(pos, name):
    def when(args, kwargs):
        return not (args[pos] if len(args) > pos else kwargs.get(name, True))
    return when


def _iter_writes(pos, name):
    """``nditer``/``nested_iters``: writes when an operand is flagged 'readwrite' or
    'writeonly'."""
    def when(args, kwargs):
        flags = args[pos] if len(args) > pos else kwargs.get(name)
        return flags is not None and any(
            f in ("readwrite", "writeonly") for f in np.ravel(np.asarray(flags, object)))
    return when


_OUT_3 = Writes((2,), ("out",))  # Generator.random/standard_normal(size, dtype, out)

#: Every NumPy function and method that writes into an argument other than ``out=``
#: (NumPy's documentation of each, and the scan of conformance/test_writers.py), by its
#: dotted name under ``numpy`` (``'random.Generator.shuffle'``: a method; ``'ufunc.at'``:
#: that method of every ufunc).
WRITERS: dict[str, Writes] = {
    "copyto": Writes((0,), ("dst",)),
    "place": Writes((0,), ("arr",)),
    "put": Writes((0,), ("a",)),
    "putmask": Writes((0,), ("a",)),
    "put_along_axis": Writes((0,), ("arr",)),
    "fill_diagonal": Writes((0,), ("a",)),
    "nan_to_num": Writes((0,), ("x",), when=_copy_false(1, "copy")),
    # ``k %= 4`` in place: an array ``k`` (``rot90(m, np.array(5))``) is left reduced.
    "rot90": Writes((1,), ("k",)),
    # ``max_line_width -= len(prefix)`` in place, for an array ``max_line_width``
    "array_repr": Writes((1,), ("max_line_width",)),
    "array_str": Writes((1,), ("max_line_width",)),
    "array2string": Writes((1,), ("max_line_width",)),
    "nditer": Writes((0,), ("op",), when=_iter_writes(2, "op_flags"), later=True),
    "nested_iters": Writes((0,), ("op",), when=_iter_writes(3, "op_flags"), later=True),
    "random.shuffle": Writes((0,), ("x",)),
    "random.RandomState.shuffle": Writes((0,), ("x",)),
    "random.Generator.shuffle": Writes((0,), ("x",)),
    "random.Generator.random": _OUT_3,
    "random.Generator.standard_normal": _OUT_3,
    "random.Generator.standard_exponential": Writes((3,), ("out",)),
    "random.Generator.standard_gamma": Writes((3,), ("out",)),
    "ufunc.at": Writes((0,), ()),
    "ufunc.reduce": Writes((3,), ()),       # reduce(array, axis, dtype, out)
    "ufunc.accumulate": Writes((3,), ()),   # accumulate(array, axis, dtype, out)
    "ufunc.reduceat": Writes((4,), ()),     # reduceat(array, indices, axis, dtype, out)
    "lib.recfunctions.assign_fields_by_name": Writes((0,), ("dst",)),
    "lib.recfunctions.recursive_fill_fields": Writes((1,), ("output",)),
}

#: ``numpy.ndarray``'s methods and settable attributes that write into the array itself
#: (``Array`` implements each through :meth:`Array._writable_host` or
#: :meth:`Array._assign`); ``__i<op>__`` stands for every in-place operator.
ARRAY_WRITERS = ("__setitem__", "__i<op>__", "fill", "sort", "partition",
                 "put", "resize", "setflags", "setfield", "byteswap", "itemset", "flat",
                 "real", "imag", "shape")

#: Classes whose methods have entries (``'random.Generator.<method>'``).
_CLASSES = {np.random.Generator: "random.Generator",
            np.random.RandomState: "random.RandomState"}
_by_object: dict = {}


def _resolve(name):
    obj = np
    for part in name.split("."):
        sub = getattr(obj, part, None)
        if sub is None and obj.__name__.startswith("numpy"):  # numpy.lib.recfunctions
            try:
                sub = importlib.import_module(f"{obj.__name__}.{part}")
            except ImportError:
                return None
        if sub is None:
            return None
        obj = sub
    return obj


def writer_of(fn) -> Writes | None:
    """The :class:`Writes` entry of NumPy callable ``fn`` (a function, a ufunc's bound
    method, a Generator's bound method), or ``None``."""
    if not _by_object:
        for name, spec in WRITERS.items():
            obj = _resolve(name) if not name.startswith("ufunc.") else None
            if obj is not None:
                _by_object[id(obj)] = (obj, spec)  # the object kept: its id stays its own
        _by_object[None] = None
    entry = _by_object.get(id(fn))
    if entry is not None and entry[0] is fn:
        return entry[1]
    owner = getattr(fn, "__self__", None)
    name = getattr(fn, "__name__", None)
    if owner is None or name is None or type(owner).__name__ == "module":
        return None
    if isinstance(owner, np.ufunc):
        return WRITERS.get("ufunc." + name)
    for cls in type(owner).__mro__:
        prefix = _CLASSES.get(cls)
        if prefix is not None:
            return WRITERS.get(f"{prefix}.{name}")
    return None


def out_position(fn):
    """``(index, names after it)`` of the positional ``out`` parameter of NumPy's ``fn``
    (a ufunc's first output follows its inputs); ``(sys.maxsize, ())`` if it has none."""
    if isinstance(fn, np.ufunc):
        return fn.nin, ()
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return _documented_out_position(fn)
    for i, p in enumerate(params):
        if p.name == "out" and p.kind is p.POSITIONAL_OR_KEYWORD:
            return i, tuple(q.name for q in params[i + 1:] if q.kind is q.POSITIONAL_OR_KEYWORD)
    return sys.maxsize, ()


def _documented_out_position(fn):
    """:func:`out_position` read off the first line of the docstring (``dot(a, b,
    out=None)``), for NumPy 1's C functions, which have no signature."""
    line = (getattr(fn, "__doc__", None) or "").strip().split("\n", 1)[0]
    start, end = line.find("("), line.rfind(")")
    if start < 0 or end < start:
        return sys.maxsize, ()
    names, depth, current = [], 0, ""
    for ch in line[start + 1:end] + ",":
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            names.append(current.strip().split("=")[0].strip())
            current = ""
        else:
            current += ch
    if "out" not in names or "*" in names[:names.index("out")]:
        return sys.maxsize, ()
    i = names.index("out")
    after = names[i + 1:]
    return i, tuple(after[:after.index("*")] if "*" in after else after)


_out_positions: dict = {}


def _positional_out(fn):
    """The index of ``fn``'s positional ``out`` (cached per function object)."""
    entry = _out_positions.get(id(fn))
    if entry is None or entry[0] is not fn:
        if len(_out_positions) > 1024:
            _out_positions.clear()
        entry = _out_positions[id(fn)] = (fn, out_position(fn)[0])
    return entry[1]


def _collect(x, found: list) -> None:
    if isinstance(x, (convert.Array, Box)):
        found.append(x)
    elif type(x) is list or type(x) is tuple:
        for e in x:
            _collect(e, found)


def targets(fn, spec, args, kwargs, positional_out=True) -> list:
    """The Arrays (and traced values) that this call of ``fn`` writes into: those at
    ``spec``'s places, ``out=``, and a ufunc's or (unless ``positional_out`` is false:
    the caller passes ``out`` by keyword) a function's positional outputs."""
    found: list = []
    if spec is not None and (spec.when is None or spec.when(args, kwargs)):
        for i in spec.args:
            if i < len(args):
                _collect(args[i], found)
        for k in spec.kwargs:
            if kwargs and k in kwargs:
                _collect(kwargs[k], found)
    if kwargs and "out" in kwargs:
        _collect(kwargs["out"], found)
    if isinstance(fn, np.ufunc):
        if len(args) > fn.nin:
            _collect(args[fn.nin:], found)
    elif positional_out and len(args) > 1 and type(
            getattr(fn, "__self__", None)).__name__ in ("module", "NoneType"):
        # a function's positional ``out`` (bound methods' are declared in WRITERS)
        pos = _positional_out(fn)
        if pos < len(args):
            _collect(args[pos], found)
    return found


def _has_box(x) -> bool:
    """Whether ``x`` holds a traced value of a tracer that cannot record writes."""
    if isinstance(x, Box):
        return not x._absorbs_writes
    t = type(x)
    if t is list or t is tuple:
        return any(_has_box(e) for e in x)
    if t is dict:
        return any(_has_box(e) for e in x.values())
    return False


def refuse_traced_write(name, args, kwargs) -> None:
    """A write into or from a traced value cannot be recorded by the tape: raise (a
    capturing tracer, whose boxes absorb writes, records the call instead)."""
    if _has_box(args) or (kwargs and _has_box(kwargs)):
        raise TypeError(
            f"{name} writes into its argument in place, and a traced value takes part: "
            "under grad that write cannot be recorded, so a gradient through it would be "
            "wrong. Compute the result functionally instead (np.where, np.concatenate, "
            "'y = y + v'), or call it outside the differentiated function.")


def _write_host(a):
    """``a``'s host buffer for a write: :meth:`Array._writable_host` (a read-only one as
    it is, so that NumPy raises its own error)."""
    host = a._host_value()
    if not host.flags.writeable:
        return host
    return a._writable_host()


def _hosts(x, written, given):
    """``x`` with Arrays replaced by host buffers (into lists, tuples and dicts): written
    ones writable, others as they are (``given is None``) or as read-only views recorded
    in ``given`` (id -> (view, Array))."""
    t = type(x)
    if t is tuple or t is list:
        Array = convert.Array
        return t([_host(e, written, given) if isinstance(e, Array) else (
            _hosts(e, written, given) if type(e) in _NESTED else e) for e in x])
    if t is dict:
        return {k: _hosts(v, written, given) for k, v in x.items()}
    if isinstance(x, convert.Array):
        return _host(x, written, given)
    return x


def _host(a, written, given):
    """One Array's host buffer for NumPy (see :func:`_hosts`)."""
    if written:
        for w in written:
            if w is a:
                return _write_host(a)
    host = a._host_value(share=True)
    if given is None:
        return host
    view = host.view()
    view.setflags(write=False)  # (a read-only host stays read-only, as it is)
    given[id(view)] = (view, a)
    return view


_NESTED = (tuple, list, dict)
_READ_ONLY = re.compile(r"read-only|readonly|not writeable", re.I)


def _derived_read_only(res, given) -> bool:
    """Whether ``res`` holds a read-only view (not one of ``given`` itself) of the
    memory of a buffer handed out read-only."""
    if isinstance(res, np.ndarray):
        if res.base is None or id(res) in given or res.flags.writeable:
            return False
        own = _views.owner(res)
        return any(_views.owner(v) is own for v, _ in given.values())
    t = type(res)
    if t is tuple or t is list:
        return any(_derived_read_only(r, given) for r in res)
    return False


def call(fn, args, kwargs=None, device=None, *, trusted=False, spec=False, name=None,
         positional_out=True):
    """``fn(*args, **kwargs)`` in NumPy on the Arrays' host buffers (see the module), its
    result wrapped as Arrays with NumPy's sharing (results go to ``device``; default:
    the current one).

    Parameters
    ----------
    fn : callable
        NumPy's function (or bound method).
    trusted : bool
        ``fn`` writes nothing but its declared arguments and ``out``: hand the other
        buffers as they are.
    spec : Writes or None, optional
        ``fn``'s entry, when the caller has it (default: :func:`writer_of`).
    name : str, optional
        What messages call ``fn``.
    positional_out : bool
        Whether ``args`` may hold ``fn``'s ``out`` by position (the dispatcher passes
        it by keyword).
    """
    if kwargs is None:
        kwargs = {}
    if spec is False:
        spec = writer_of(fn)
    if spec is None and not kwargs and not positional_out and type(fn) is not np.ufunc:
        written = ()  # the common fallback call: nothing declared, no out
    else:
        written = targets(fn, spec, args, kwargs, positional_out)
    if written:
        if tracing._open_traces or any(isinstance(w, Box) for w in written):
            # (a box that absorbs writes passes: its capture records the call)
            refuse_traced_write(name or _name(fn), args, kwargs)
        if spec is not None and spec.later:
            for a in written:
                _views.expose(a)
    given = None if trusted else {}
    hargs = _hosts(args, written, given)
    hkwargs = _hosts(kwargs, written, given) if kwargs else kwargs
    try:
        res = fn(*hargs, **hkwargs)
    except ValueError as exc:
        if not given or not _READ_ONLY.search(str(exc)):
            raise
        return _undeclared_write(fn, args, kwargs, device, name)
    if given and not written and _derived_read_only(res, given):
        # NumPy's writeability for a view of an argument: the same call, which has just
        # shown that it writes nothing, on the writable buffers
        return call(fn, args, kwargs, device, trusted=True, spec=spec, name=name,
                    positional_out=positional_out)
    return _views.adopt(res, args, kwargs, device, given)


def _undeclared_write(fn, args, kwargs, device, name):
    """An undeclared writer hit a read-only buffer: warn, count, and run it again with
    every Array writable."""
    label = name or _name(fn)
    undeclared[label] += 1
    warnings.warn(
        f"{label} wrote into an argument that MinPy handed it read-only; it was run again "
        "with writable buffers (the values are right). Declare it in "
        "minpy.core._handoff.WRITERS.", UndeclaredWriteWarning, stacklevel=3)
    everything: list = []
    _collect(list(args) + list(kwargs.values()), everything)
    refuse_traced_write(label, args, kwargs)
    res = fn(*_hosts(args, everything, None), **_hosts(kwargs, everything, None))
    return _views.adopt(res, args, kwargs, device)


def _name(fn) -> str:
    owner = getattr(fn, "__self__", None)
    base = getattr(fn, "__name__", repr(fn))
    if isinstance(owner, np.ufunc):
        return f"numpy.{owner.__name__}.{base}"
    if owner is not None and type(owner).__name__ != "module":
        return f"numpy.random.{type(owner).__name__}.{base}"
    return f"{getattr(fn, '__module__', None) or 'numpy'}.{base}"


def ufunc_method(ufunc, method, args, kwargs, device=None):
    """``ufunc.<method>(*args, **kwargs)`` (``at``, ``reduce``, ``accumulate``,
    ``reduceat``, ``outer``) on Arrays: trusted, writes as :data:`WRITERS` says."""
    return call(getattr(ufunc, method), args, kwargs, device, trusted=True)
