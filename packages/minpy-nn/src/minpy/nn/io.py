"""Data iterators.

:class:`NDArrayIter` serves minibatches of in-memory arrays (MXNet's ``NDArrayIter``
interface, as the original MinPy had it). Everything that takes an iterator -- a
:class:`~minpy.nn.solver.Solver` in particular -- also takes any Python iterable of
batches (see :func:`as_batches`): a list of ``(data, label)`` pairs, a ``DataLoader``-like
object, or a zero-argument callable returning a fresh iterable each epoch.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as _onp

import minpy.numpy as np
from minpy.core import Array

__all__ = ["DataBatch", "DataIter", "NDArrayIter", "as_batches", "to_batch"]


class DataBatch:
    """One minibatch: lists ``data`` and ``label`` of arrays, ``pad`` (how many
    examples at the end repeat earlier ones to fill the batch) and ``index``."""

    def __init__(self, data, label=None, pad=0, index=None):
        self.data = data
        self.label = label if label is not None else []
        self.pad = pad or 0
        self.index = index

    def __repr__(self):
        shapes = [tuple(d.shape) for d in self.data]
        return f"DataBatch(data={shapes}, label={[tuple(x.shape) for x in self.label]}, " \
               f"pad={self.pad})"


class DataIter:
    """Base class of MinPy's data iterators: ``reset()``, ``next()`` (a
    :class:`DataBatch`), Python iteration, ``batch_size``."""

    batch_size = 0

    def __iter__(self):
        return self

    def reset(self):
        """Start again from the first batch."""

    def next(self):
        if self.iter_next():
            return DataBatch(self.getdata(), self.getlabel(), self.getpad(),
                             self.getindex())
        raise StopIteration

    def __next__(self):
        return self.next()

    def iter_next(self) -> bool:
        raise NotImplementedError

    def getdata(self):
        raise NotImplementedError

    def getlabel(self):
        return []

    def getindex(self):
        return None

    def getpad(self) -> int:
        return 0


def _host(v, what):
    if isinstance(v, Array):
        return _onp.asarray(v._host_value())
    if isinstance(v, _onp.ndarray):
        return v
    if hasattr(v, "asnumpy"):   # an MXNet NDArray
        return v.asnumpy()
    raise TypeError(f"{what} must be a numpy.ndarray, a MinPy Array or an MXNet NDArray, "
                    f"not {type(v).__name__}")


def _named(data, default, allow_empty):
    """Canonical ``[(name, host array)]`` from an array, a list or a dict of arrays."""
    if data is None:
        if not allow_empty:
            raise ValueError("NDArrayIter needs data")
        return []
    if isinstance(data, dict):
        items = list(data.items())
    elif isinstance(data, (list, tuple)):
        if not data and not allow_empty:
            raise ValueError("NDArrayIter needs data")
        items = [(default, data[0])] if len(data) == 1 else \
            [(f"_{i}_{default}", d) for i, d in enumerate(data)]
    else:
        items = [(default, data)]
    return [(str(k), _host(v, f"{default} {k!r}")) for k, v in items]


class NDArrayIter(DataIter):
    """Minibatches of in-memory arrays.

    Parameters
    ----------
    data : array, list of arrays or dict name -> array
        Inputs; the first axis indexes the examples. Several inputs are served
        together (``batch.data`` is a list in the given order).
    label : array, list or dict, optional
        Labels, served in ``batch.label``.
    batch_size : int
    shuffle : bool
        Serve the examples in a fresh random order each epoch (each :meth:`reset`).
    last_batch_handle : {'pad', 'discard', 'roll_over'}
        An incomplete last batch is filled up with examples from the start of the
        epoch (``'pad'``; ``getpad()`` says how many), dropped (``'discard'``), or
        carried over to the front of the next epoch (``'roll_over'``).
    seed : int, optional
        Seeds the iterator's own shuffling generator; default: drawn from NumPy's global
        generator when the iterator is made, so ``minpy.numpy.random.seed`` makes
        runs reproducible. :meth:`get_state`/:meth:`set_state` save and restore the
        position and the generator (checkpoints do).

    Batches are MinPy Arrays on the current device; the data stay on the host.
    """

    def __init__(self, data, label=None, batch_size=1, shuffle=False,
                 last_batch_handle="pad", seed=None):
        if last_batch_handle not in ("pad", "discard", "roll_over"):
            raise ValueError("last_batch_handle must be 'pad', 'discard' or 'roll_over', "
                             f"not {last_batch_handle!r}")
        self.data = _named(data, "data", allow_empty=False)
        self.label = _named(label, "softmax_label", allow_empty=True)
        sizes = {k: v.shape[0] if v.ndim else None for k, v in self.data + self.label}
        n = self.data[0][1].shape[0]
        if any(s != n for s in sizes.values()):
            raise ValueError(f"NDArrayIter: every input needs the same number of examples "
                             f"along axis 0, got {sizes}")
        batch_size = int(batch_size)
        if not 0 < batch_size <= n:
            raise ValueError(f"batch_size must be in [1, {n}] (the number of examples), "
                             f"got {batch_size}")
        self.num_data = n
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.last_batch_handle = last_batch_handle
        if seed is None:
            seed = int(_onp.random.randint(0, 2 ** 31 - 1))
        self._rng = _onp.random.RandomState(seed)
        self._carry = _onp.zeros(0, dtype=_onp.int64)
        self._order = None
        self._cursor = 0
        self._current = None
        self.reset()

    # -- epochs and position ---------------------------------------------------------
    def _new_order(self):
        order = self._rng.permutation(self.num_data) if self.shuffle else \
            _onp.arange(self.num_data)
        return order

    def reset(self):
        """Start a new epoch (reshuffling when ``shuffle``)."""
        order = self._new_order()
        if self.last_batch_handle == "roll_over" and self._order is not None:
            left = self._order[self._cursor:] if self._cursor < len(self._order) else \
                self._carry
            order = _onp.concatenate([left, order]) if len(left) else order
            self._carry = _onp.zeros(0, dtype=_onp.int64)
        self._order = order
        self._cursor = 0
        self._current = None

    def hard_reset(self):
        """Start a new epoch, ignoring examples rolled over from the last one."""
        self._order = None
        self.reset()

    def _num_batches(self, length):
        if self.last_batch_handle == "pad":
            return -(-length // self.batch_size)
        return length // self.batch_size

    def __len__(self):
        """Batches in the current epoch."""
        return self._num_batches(len(self._order))

    def getnumiterations(self):
        """Batches per epoch (the original MinPy's name)."""
        return self._num_batches(self.num_data)

    def iter_next(self):
        start = self._cursor
        remaining = len(self._order) - start
        if remaining <= 0 or (remaining < self.batch_size and
                              self.last_batch_handle != "pad"):
            self._current = None
            return False
        idx = self._order[start:start + self.batch_size]
        pad = self.batch_size - len(idx)
        if pad:
            idx = _onp.concatenate([idx, self._order[:pad]])
        self._current = (idx, pad)
        self._cursor = start + self.batch_size
        return True

    def _take(self, source):
        if self._current is None:
            raise RuntimeError("NDArrayIter: no current batch; call next() (or reset())")
        idx = self._current[0]
        return [np.array(v[idx]) for _, v in source]

    def getdata(self):
        return self._take(self.data)

    def getlabel(self):
        return self._take(self.label)

    def getpad(self):
        return 0 if self._current is None else self._current[1]

    def getindex(self):
        return None if self._current is None else self._current[0].copy()

    @property
    def provide_data(self):
        """``[(name, (batch_size, ...))]`` for each input."""
        return [(k, (self.batch_size,) + v.shape[1:]) for k, v in self.data]

    @property
    def provide_label(self):
        """``[(name, (batch_size, ...))]`` for each label."""
        return [(k, (self.batch_size,) + v.shape[1:]) for k, v in self.label]

    def getsubiter(self, num_samples, shuffle=False):
        """An iterator over the first ``num_samples`` examples (in storage order)."""
        num_samples = min(int(num_samples), self.num_data)
        data = OrderedDict((k, v[:num_samples]) for k, v in self.data)
        label = OrderedDict((k, v[:num_samples]) for k, v in self.label)
        return NDArrayIter(data, label or None, min(self.batch_size, num_samples),
                           shuffle=shuffle, last_batch_handle="pad", seed=0)

    # -- checkpoints -----------------------------------------------------------------
    def get_state(self) -> dict:
        """The position and generator state: a dict of plain values and NumPy arrays."""
        kind, keys, pos, has_gauss, cached = self._rng.get_state()
        return {"rng_keys": keys.copy(), "rng_pos": int(pos), "rng_has_gauss": int(has_gauss),
                "rng_cached": float(cached), "order": None if self._order is None else
                self._order.copy(), "cursor": int(self._cursor), "carry": self._carry.copy()}

    def set_state(self, state: dict) -> None:
        """Restore a :meth:`get_state` snapshot."""
        self._rng.set_state(("MT19937", _onp.asarray(state["rng_keys"], dtype=_onp.uint32),
                             int(state["rng_pos"]), int(state["rng_has_gauss"]),
                             float(state["rng_cached"])))
        order = state.get("order")
        self._order = None if order is None else _onp.asarray(order, dtype=_onp.int64)
        self._cursor = int(state["cursor"])
        self._carry = _onp.asarray(state.get("carry", []), dtype=_onp.int64)
        self._current = None


def _as_array(v):
    return v if isinstance(v, Array) or type(v).__name__ == "ArrayBox" else np.array(v)


def to_batch(item) -> DataBatch:
    """A :class:`DataBatch` from what an iterable yields: a DataBatch, a ``(data,
    label)`` pair, a dict with ``'data'`` and ``'label'``, or a bare data array."""
    if isinstance(item, DataBatch):
        return item
    if hasattr(item, "data") and hasattr(item, "label") and not isinstance(item, Array):
        data, label = item.data, item.label
    elif isinstance(item, dict):
        data, label = item["data"], item.get("label")
    elif isinstance(item, (tuple, list)) and len(item) == 2:
        data, label = item
    else:
        data, label = item, None

    def as_list(x):
        if x is None:
            return []
        return [_as_array(v) for v in x] if isinstance(x, (list, tuple)) else [_as_array(x)]

    return DataBatch(as_list(data), as_list(label), getattr(item, "pad", 0) or 0)


def as_batches(source):
    """One epoch of :class:`DataBatch` from ``source``: a :class:`DataIter` (reset
    first), a zero-argument callable returning an iterable, or any iterable."""
    if isinstance(source, DataIter):
        source.reset()
        it = source
    elif callable(source) and not hasattr(source, "__iter__"):
        it = iter(source())
    else:
        it = iter(source)
        if it is source and hasattr(source, "reset"):
            source.reset()
            it = iter(source)
    for item in it:
        yield to_batch(item)
