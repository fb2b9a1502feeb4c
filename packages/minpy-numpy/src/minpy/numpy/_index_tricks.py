"""``r_`` and ``c_``: NumPy's index-expression concatenators, made to follow traced
values.

NumPy's own ``numpy.r_[x, y]`` turns every item into a NumPy array first, which a traced
value refuses (its gradient would be lost). These objects give NumPy's results (same
directives, slices, ``ndmin`` and transposition rules, same result dtype) and, when an
item is traced, build the result from ``minpy.numpy`` operations (``reshape``,
``transpose``, ``astype``, ``concatenate``) so that the tracer records it. Without traced
items they run NumPy's and return an Array.
"""

from __future__ import annotations

import numpy as _np

from minpy.core.convert import wrap
from minpy.core.tracing import Box

__all__ = ["r_", "c_"]


def _has_box(x):
    if isinstance(x, Box):
        return True
    return type(x) in (list, tuple) and any(_has_box(a) for a in x)


class _Concatenator:
    """One of NumPy's ``AxisConcatenator`` objects, traced-value aware."""

    __slots__ = ("_numpy", "axis", "ndmin", "trans1d")

    def __init__(self, numpy_obj, axis=0, ndmin=1, trans1d=-1):
        self._numpy = numpy_obj
        self.axis, self.ndmin, self.trans1d = axis, ndmin, trans1d

    def __len__(self):
        return 0

    def __getitem__(self, key):
        if not _has_box(key):
            res = self._numpy[key]
            return wrap(res) if type(res) is _np.ndarray else res
        import minpy.numpy as mnp
        if not isinstance(key, tuple):
            key = (key,)
        axis, ndmin, trans1d = self.axis, self.ndmin, self.trans1d
        objs, kinds = [], []
        for k, item in enumerate(key):
            if isinstance(item, str):
                if k != 0:
                    raise ValueError("special directives must be the first entry.")
                if item in ("r", "c"):
                    raise TypeError("the matrix directives 'r' and 'c' build numpy.matrix, "
                                    "which cannot hold traced values")
                try:
                    vec = [int(x) for x in item.split(",")]
                except ValueError as exc:
                    raise ValueError(f"unknown special directive {item!r}") from exc
                axis = vec[0]
                if len(vec) > 1:
                    ndmin = vec[1]
                if len(vec) > 2:
                    trans1d = vec[2]
                continue
            if isinstance(item, slice):
                obj = mnp.array(_np.r_[item])
                if ndmin > 1:
                    obj = mnp.reshape(obj, (1,) * (ndmin - 1) + obj.shape)
                    if trans1d != -1:
                        obj = mnp.swapaxes(obj, -1, trans1d)
                kinds.append(obj.dtype)
            elif type(item) in _np.ScalarType:
                obj = item
                kinds.append(item)
            else:
                obj = mnp.array(item) if not isinstance(item, Box) else item
                item_ndim = obj.ndim
                if item_ndim < ndmin:
                    obj = mnp.reshape(obj, (1,) * (ndmin - item_ndim) + tuple(obj.shape))
                    if trans1d != -1:
                        k2 = ndmin - item_ndim
                        k1 = trans1d + k2 + 1 if trans1d < 0 else trans1d
                        axes = list(range(ndmin))
                        obj = mnp.transpose(obj, axes[:k1] + axes[k2:] + axes[k1:k2])
                kinds.append(obj.dtype)
            objs.append(obj)
        final = _np.result_type(*kinds) if kinds else None
        out = []
        for obj in objs:
            if type(obj) in _np.ScalarType:
                obj = mnp.array(obj, dtype=final, ndmin=ndmin)
            elif final is not None and obj.dtype != final:
                obj = obj.astype(final)
            out.append(obj)
        return mnp.concatenate(tuple(out), axis=axis)


r_ = _Concatenator(_np.r_, 0)
c_ = _Concatenator(_np.c_, -1, 2, 0)
