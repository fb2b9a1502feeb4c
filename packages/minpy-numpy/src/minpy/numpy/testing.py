"""``minpy.numpy.testing``: NumPy's :mod:`numpy.testing` for Arrays.

Every public name of :mod:`numpy.testing` is here. The comparison functions
(``assert_equal``, ``assert_allclose``, ``assert_array_equal``, ...) first replace every
:class:`~minpy.core.Array` among their arguments (also inside lists, tuples and dicts,
and traced values by their values) by its NumPy form, then run NumPy's own function: so
two Arrays, an Array and an ndarray, or nested containers of them, compare exactly as
NumPy compares ndarrays. Everything else (``assert_raises``, ``suppress_warnings``,
``TestCase``, ...) is NumPy's object itself: it calls the code under test with the
arguments as given.
"""

from __future__ import annotations

import functools

import numpy as _np
import numpy.testing as _nt

from minpy.core import Array, Box
from minpy.core.tracing import unbox_all

# Functions that take the code under test and its arguments: passed through unchanged.
_CALLERS = frozenset({"assert_raises", "assert_raises_regex", "assert_warns",
                      "assert_no_warnings", "assert_no_gc_cycles", "decorate_methods",
                      "measure", "rundocs", "runstring", "run_threaded", "break_cycles",
                      "temppath", "tempdir", "memusage", "jiffies", "check_support_sve"})


def _to_numpy(x):
    """``x`` with Arrays (and traced values) replaced by NumPy data, through lists,
    tuples and dicts."""
    if isinstance(x, Box):
        x = unbox_all(x)
    if isinstance(x, Array):
        host = x._host_value()
        return host[()] if host.ndim == 0 else host
    t = type(x)
    if t is list or t is tuple:
        return t(_to_numpy(e) for e in x)
    if t is dict:
        return {k: _to_numpy(v) for k, v in x.items()}
    return x


def _comparing(fn):
    @functools.wraps(fn)
    def compare(*args, **kwargs):
        __tracebackhide__ = True  # pytest shows the caller's line
        return fn(*_to_numpy(args), **_to_numpy(kwargs))
    compare.__doc__ = (f"NumPy's ``numpy.testing.{fn.__name__}`` on Arrays (see "
                       f":mod:`minpy.numpy.testing`).\n\n{fn.__doc__ or ''}")
    return compare


def _public():
    names = set(getattr(_nt, "__all__", ()))
    names.update(n for n in dir(_nt) if not n.startswith("_"))
    return sorted(names)


__all__ = []
for _name in _public():
    _obj = getattr(_nt, _name)
    if (callable(_obj) and not isinstance(_obj, type) and _name not in _CALLERS
            and (_name.startswith("assert_") or _name in ("print_assert_equal",
                                                          "build_err_msg"))):
        _obj = _comparing(_obj)
    globals()[_name] = _obj
    __all__.append(_name)

del _name, _obj, _np
