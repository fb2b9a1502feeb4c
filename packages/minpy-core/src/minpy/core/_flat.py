"""``Array.flat``: NumPy's ``flatiter`` over an Array, for reading and writing."""

from __future__ import annotations

__all__ = ["FlatIter"]


class FlatIter:
    """A flat (C-order) iterator over an Array, as :attr:`numpy.ndarray.flat`: it
    iterates, indexes (``a.flat[3]``, ``a.flat[[1, 4]]``) and assigns
    (``a.flat[::2] = 0``); assignment writes into the Array, through its family."""

    __slots__ = ("base",)

    def __init__(self, array):
        self.base = array

    def __iter__(self):
        from .operators import lookup
        return iter(lookup("ravel")(self.base))

    def __len__(self):
        return self.base.size

    def __getitem__(self, key):
        from .convert import to_host, wrap
        return wrap(self.base._host_value().flat[to_host(key)], self.base._device)

    def __setitem__(self, key, value):
        from .convert import to_host
        self.base._writable_host().flat[to_host(key)] = to_host(value)

    def __array__(self, dtype=None, copy=None):
        host = self.base._host_value().ravel()
        return host if dtype is None else host.astype(dtype)

    def copy(self):
        from .operators import lookup
        return lookup("copy")(lookup("ravel")(self.base))
