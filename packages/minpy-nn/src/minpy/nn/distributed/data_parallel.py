"""Data-parallel training of MinPy models on MXNet's KVStore.

Every worker holds the whole model, computes gradients with ``minpy.autograd`` on its
own shard of the data, and the KVStore sums the gradients of all workers:

* ``'local'`` / ``'device'``: one process (MXNet's in-process stores); ``rank`` 0 of 1.
* ``'dist_sync'``: a parameter server (ps-lite, MXNet's); every step waits for all
  workers, so ``N`` workers on batches of ``B`` take exactly the steps one process takes
  on the concatenated batches of ``N * B``.
* ``'dist_async'``: the servers apply each worker's gradients as they arrive.

The update runs either on the servers (``server_optimizer=``: an MXNet optimizer; the
workers push gradients and pull back weights) or on every worker (the default for
the synchronous stores: the workers pull the summed gradients and all run the same
``minpy.nn.optim`` rule, so their parameters stay identical; :meth:`check_identical`
verifies it). MinPy never implements a transport or a server of its own.
"""

from __future__ import annotations

import os
import socket

import numpy as onp

from minpy.nn.distributed import _watchdog

__all__ = ["DataParallel", "KVSTORE_TYPES", "ClusterError", "shard", "ShardedIter",
           "cluster_env"]

KVSTORE_TYPES = ("local", "device", "dist_sync", "dist_async")
# Keys of the parameters count up from 0; every gathered value gets a fresh key from
# here on, so that a gather never meets a parameter's optimizer state on a server.
_GATHER_BASE = 1 << 24
_ENV = ("DMLC_ROLE", "DMLC_PS_ROOT_URI", "DMLC_PS_ROOT_PORT", "DMLC_NUM_SERVER",
        "DMLC_NUM_WORKER")
_DEFAULT_CONNECT_TIMEOUT = 60.0
# minpy.nn.optim names -> MXNet optimizer names and the config keys that differ.
_MX_OPTIMIZERS = {"sgd": "sgd", "sgd_momentum": "sgd", "nesterov": "nag", "adam": "adam",
                  "rmsprop": "rmsprop", "adagrad": "adagrad"}
_MX_CONFIG_KEYS = {"weight_decay": "wd", "decay_rate": "gamma1"}
# Per rule: MXNet's spelling of a minpy.nn.optim key, and minpy.nn.optim's defaults
# where MXNet's differ.
_MX_RULE_KEYS = {"adagrad": {"epsilon": "eps"}}
_MX_RULE_DEFAULTS = {"sgd_momentum": {"momentum": 0.9}, "nesterov": {"momentum": 0.9},
                     "rmsprop": {"gamma1": 0.99}, "adagrad": {"eps": 1e-8}}


class ClusterError(RuntimeError):
    """The distributed job is misconfigured (environment, ranks, shapes)."""


def _mx():
    from minpy.core import _mxnet
    return _mxnet.require()


def cluster_env() -> dict:
    """The ps-lite variables of this process (``DMLC_*``), as strings; missing ones are
    absent."""
    return {k: os.environ[k] for k in _ENV if k in os.environ}


def _check_cluster_env() -> None:
    env = cluster_env()
    missing = [k for k in _ENV if k not in env]
    if missing:
        raise ClusterError(
            f"a 'dist_*' KVStore needs the ps-lite variables {', '.join(missing)}; start "
            "the script with 'python -m minpy.nn.launch -n WORKERS -s SERVERS script.py' "
            "or set them as the 'Training on several machines' guide shows")
    if env["DMLC_ROLE"] != "worker":
        raise ClusterError(f"DMLC_ROLE is {env['DMLC_ROLE']!r}; training scripts run as "
                           "'worker' (servers and the scheduler run minpy.nn.distributed.node)")
    for k in ("DMLC_PS_ROOT_PORT", "DMLC_NUM_SERVER", "DMLC_NUM_WORKER"):
        if not env[k].isdigit() or int(env[k]) < 1:
            raise ClusterError(f"{k} must be a positive integer, not {env[k]!r}")


def _scheduler_reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2.0):
            return True
    except OSError:
        return False


def _connect_failure(seconds: float) -> str:
    env = cluster_env()
    host, port = env.get("DMLC_PS_ROOT_URI", "?"), env.get("DMLC_PS_ROOT_PORT", "0")
    where = f"{host}:{port}"
    if not _scheduler_reachable(host, int(port) if port.isdigit() else 0):
        return (f"no scheduler is listening at {where} (connection refused) after "
                f"{seconds:g} s: start it first (python -m minpy.nn.launch does), or fix "
                "DMLC_PS_ROOT_URI/DMLC_PS_ROOT_PORT")
    return (f"the cluster did not come up within {seconds:g} s: the scheduler at {where} "
            f"waits for DMLC_NUM_WORKER={env.get('DMLC_NUM_WORKER')} workers and "
            f"DMLC_NUM_SERVER={env.get('DMLC_NUM_SERVER')} servers, and fewer have "
            "registered (wrong counts, or a process that cannot reach it)")


_SERVER_OPTIMIZER_CLASS = None


def _server_optimizer_class():
    """The optimizer the servers run: the user's MXNet optimizer for parameter keys, and
    an accumulation (``stored += pushed``) for gather keys. It is pickled to the
    servers under the name ``_ServerOptimizer`` of this module (see ``__getattr__``)."""
    global _SERVER_OPTIMIZER_CLASS
    if _SERVER_OPTIMIZER_CLASS is None:
        import sys
        # On a server started by MXNet's own import-time hook, mxnet is still importing
        # (its optimizer module is ready): use it rather than import it again.
        mx = sys.modules.get("mxnet")
        if mx is None or not hasattr(mx, "optimizer"):
            mx = _mx()

        class ServerOptimizer(mx.optimizer.Optimizer):
            def __init__(self, inner):
                super().__init__(rescale_grad=inner.rescale_grad)
                self.inner = inner
                self.aggregate_num = 0  # one key at a time: gather keys are special

            def create_state_multi_precision(self, index, weight):
                if index >= _GATHER_BASE:
                    return None
                return self.inner.create_state_multi_precision(index, weight)

            def update_multi_precision(self, index, weight, grad, state):
                if index >= _GATHER_BASE:
                    weight[:] += grad
                else:
                    self.inner.update_multi_precision(index, weight, grad, state)

        ServerOptimizer.__module__ = __name__
        ServerOptimizer.__name__ = ServerOptimizer.__qualname__ = "_ServerOptimizer"
        _SERVER_OPTIMIZER_CLASS = ServerOptimizer
    return _SERVER_OPTIMIZER_CLASS


def __getattr__(name):
    # pickle finds the server optimizer's class here; it is built on first use because
    # it subclasses MXNet's Optimizer and MXNet is imported lazily.
    if name == "_ServerOptimizer":
        return _server_optimizer_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _mx_optimizer(spec, rescale_grad: float):
    """An MXNet optimizer from ``spec``: an ``mx.optimizer.Optimizer``, a name of
    ``minpy.nn.optim`` (``'sgd'``, ``'sgd_momentum'``, ``'adam'``, ...), or
    ``(name, config)`` with the config keys ``minpy.nn.optim`` uses."""
    mx = _mx()
    if isinstance(spec, mx.optimizer.Optimizer):
        spec.rescale_grad = rescale_grad
        return spec
    name, config = (spec, {}) if isinstance(spec, str) else spec
    if name not in _MX_OPTIMIZERS:
        raise ValueError(f"server_optimizer {name!r}: not one of {sorted(_MX_OPTIMIZERS)} "
                         "and not an mx.optimizer.Optimizer")
    keys = {**_MX_CONFIG_KEYS, **_MX_RULE_KEYS.get(name, {})}
    kwargs = {keys.get(k, k): v for k, v in dict(config).items()}
    for k, v in _MX_RULE_DEFAULTS.get(name, {}).items():
        kwargs.setdefault(k, v)
    kwargs.setdefault("learning_rate", 1e-2)  # minpy.nn.optim's default
    return mx.optimizer.create(_MX_OPTIMIZERS[name], rescale_grad=rescale_grad, **kwargs)


class DataParallel:
    """One worker's handle on a data-parallel job.

    Parameters
    ----------
    kvstore : {'local', 'device', 'dist_sync', 'dist_async'}
        MXNet KVStore type. The ``dist_*`` types need the ps-lite environment, which
        ``python -m minpy.nn.launch`` sets.
    server_optimizer : str, (str, dict) or mx.optimizer.Optimizer, optional
        Run the update on the servers with this optimizer: the workers push gradients
        and pull weights. Required for ``'dist_async'``. Gradients are averaged over the
        workers in ``'dist_sync'`` (``rescale_grad = 1 / num_workers``), applied one
        worker at a time in ``'dist_async'``.
    compression : dict, optional
        MXNet gradient compression, e.g. ``{'type': '2bit', 'threshold': 0.5}``.
    connect_timeout : float, optional
        Seconds to wait for the whole cluster to register (default
        ``MINPY_DIST_CONNECT_TIMEOUT`` or 60); past it the process ends with a message
        saying whether the scheduler was reachable.
    timeout : float, optional
        Seconds any one push/pull may take before the process ends (default
        ``MINPY_DIST_TIMEOUT``; none). Under the launcher a lost peer is reported within
        about a second without it; set it when processes run without the launcher.

    Attributes
    ----------
    rank, num_workers : int
        This worker's rank (ps-lite assigns it) and the number of workers.
    """

    def __init__(self, kvstore: str = "dist_sync", *, server_optimizer=None,
                 compression=None, connect_timeout=None, timeout=None):
        if kvstore not in KVSTORE_TYPES:
            raise ValueError(f"kvstore must be one of {KVSTORE_TYPES}, not {kvstore!r}")
        self.type = kvstore
        self.distributed = kvstore.startswith("dist")
        if kvstore == "dist_async" and server_optimizer is None:
            raise ValueError("'dist_async' applies each worker's gradients on the servers as "
                             "they arrive: pass server_optimizer= (e.g. ('sgd', "
                             "{'learning_rate': 0.1}))")
        env_connect = os.environ.get("MINPY_DIST_CONNECT_TIMEOUT")
        env_timeout = os.environ.get("MINPY_DIST_TIMEOUT")
        self.connect_timeout = float(connect_timeout if connect_timeout is not None
                                     else env_connect or _DEFAULT_CONNECT_TIMEOUT)
        self.timeout = float(timeout) if timeout is not None else (
            float(env_timeout) if env_timeout else None)
        mx = _mx()
        if self.distributed:
            _check_cluster_env()
            self._watchdog = _watchdog.get(f"worker pid {os.getpid()}")
            _watchdog.exit_on_uncaught_exception()
            with self._watchdog.deadline(self.connect_timeout,
                                         lambda: _connect_failure(self.connect_timeout)):
                self._kv = mx.kv.create(kvstore)
            self._watchdog.name = f"worker rank {self._kv.rank}"
            # The launcher reads this line to label the output by rank.
            print(f"[minpy.nn.distributed] worker rank {self._kv.rank} of "
                  f"{self._kv.num_workers} connected ({kvstore})", flush=True)
        else:
            self._watchdog = None
            self._kv = mx.kv.create(kvstore)
        self.rank = int(self._kv.rank)
        self.num_workers = int(self._kv.num_workers)
        if compression:
            self._kv.set_gradient_compression(dict(compression))
        self.compression = dict(compression) if compression else None
        self.update_on_kvstore = server_optimizer is not None
        if self.update_on_kvstore:
            rescale = 1.0 / self.num_workers if kvstore != "dist_async" else 1.0
            inner = _mx_optimizer(server_optimizer, rescale)
            # The servers (or the local store) run this optimizer on parameter keys and
            # sum gathered values on gather keys.
            self._kv.set_optimizer(_server_optimizer_class()(inner))
        self._keys: dict = {}
        self._bufs: dict = {}
        self._next_gather = _GATHER_BASE
        self.bytes_pushed = 0
        self.bytes_pulled = 0

    # -- plumbing --------------------------------------------------------------------
    def _guard(self, what: str):
        if self._watchdog is None:
            import contextlib
            return contextlib.nullcontext()
        return self._watchdog.deadline(
            self.timeout, lambda: f"no reply from the parameter servers within "
            f"{self.timeout:g} s during {what}: a server or another worker was probably lost")

    def _key_list(self, names):
        unknown = [n for n in names if n not in self._keys]
        if unknown:
            raise KeyError(f"parameters {unknown} were not registered with init_params()")
        return [self._keys[n] for n in names]

    @staticmethod
    def _host(value):
        return onp.ascontiguousarray(onp.asarray(value))

    # -- parameters ------------------------------------------------------------------
    def init_params(self, params: dict) -> dict:
        """Register ``params`` (name -> array) with the KVStore and return rank 0's
        values, so that every worker starts from the same parameters. Every worker
        calls it with the same names and shapes. Called again (e.g. a second
        ``Solver.train``), it hands out rank 0's values again; when the servers run the
        optimizer, their weights are authoritative and are returned instead."""
        mx = _mx()
        from minpy.core.convert import wrap
        names = sorted(params)
        new = [n for n in names if n not in self._keys]
        for n in new:
            self._keys[n] = len(self._keys)
        hosts = {n: self._host(params[n]) for n in names}
        for n in names:
            h = hosts[n]
            if n in self._bufs and self._bufs[n][0].shape != h.shape:
                raise ClusterError(f"parameter {n!r} changed shape from "
                                   f"{self._bufs[n][0].shape} to {h.shape}")
            self._bufs[n] = (mx.nd.array(h, dtype=h.dtype), mx.nd.empty(h.shape,
                                                                         dtype=h.dtype))
        keys = self._key_list(new)
        with self._guard("init_params"):
            if new:  # init pushes rank 0's values and waits for every worker
                self._kv.init(keys, [self._bufs[n][0] for n in new])
            old = [n for n in names if n not in new]
            if old and not self.update_on_kvstore:
                # The store holds the last summed gradients: broadcast as a sum of rank
                # 0's values and everyone else's zeros.
                if self.rank != 0:
                    for n in old:
                        self._bufs[n][0][:] = 0
                self._kv.pushpull(self._key_list(old), [self._bufs[n][0] for n in old],
                                  out=[self._bufs[n][1] for n in old])
            outs = [self._bufs[n][1] for n in names]
            self._kv.pull(self._key_list(names), out=outs)
            mx.nd.waitall()
        return {n: wrap(self._bufs[n][1].asnumpy()) for n in names}

    def _exchange(self, values: dict, what: str) -> dict:
        mx = _mx()
        from minpy.core.convert import wrap
        names = sorted(values)
        keys = self._key_list(names)
        for n in names:
            h = self._host(values[n])
            buf = self._bufs[n][0]
            if self.compression and h.dtype != onp.float32:
                raise ClusterError(f"{what}: {n!r} is {h.dtype}; MXNet compresses float32 "
                                   "gradients only")
            if buf.shape != h.shape:
                raise ClusterError(f"{what}: {n!r} has shape {h.shape}, the parameter "
                                   f"{buf.shape}")
            buf[:] = h
            self.bytes_pushed += h.nbytes
            self.bytes_pulled += h.nbytes
        with self._guard(what):
            pushed = [self._bufs[n][0] for n in names]
            pulled = [self._bufs[n][1] for n in names]
            # One call for all keys: ps-lite batches them per server. MXNet's pushpull
            # does not compress, so compressed gradients go as a push, then a pull.
            if self.compression:
                self._kv.push(keys, pushed)
                self._kv.pull(keys, out=pulled)
            else:
                self._kv.pushpull(keys, pushed, out=pulled)
            mx.nd.waitall()
        return {n: wrap(self._bufs[n][1].asnumpy()) for n in names}

    def aggregate(self, grads: dict) -> dict:
        """The mean over all workers of each worker's ``grads`` (the update then runs on
        every worker). Not available when the servers run the optimizer."""
        if self.update_on_kvstore:
            raise ClusterError("the servers run the optimizer (server_optimizer=...): "
                               "use step(), which pushes gradients and pulls weights")
        summed = self._exchange(grads, "aggregate")
        if self.num_workers == 1:
            return summed
        scale = 1.0 / self.num_workers
        return {n: g * onp.asarray(scale, dtype=g.dtype) for n, g in summed.items()}

    def step(self, grads: dict) -> dict:
        """Push ``grads``, let the servers run their optimizer, pull the new weights
        (every parameter in ``grads``)."""
        if not self.update_on_kvstore:
            raise ClusterError("no server_optimizer: use aggregate() and update on the "
                               "workers, or create DataParallel(..., server_optimizer=...)")
        return self._exchange(grads, "step")

    def pull_params(self, names) -> dict:
        """The servers' current values of the parameters ``names``."""
        mx = _mx()
        from minpy.core.convert import wrap
        names = sorted(names)
        with self._guard("pull_params"):
            self._kv.pull(self._key_list(names), out=[self._bufs[n][1] for n in names])
            mx.nd.waitall()
        return {n: wrap(self._bufs[n][1].asnumpy()) for n in names}

    # -- collectives -------------------------------------------------------------------
    def allreduce(self, value) -> onp.ndarray:
        """The sum over all workers of ``value`` (a number or NumPy-like array), as a
        float64 NumPy array; every worker calls it, in the same order."""
        mx = _mx()
        host = onp.array(value, dtype=onp.float64, ndmin=1)
        if not self.distributed and self.num_workers == 1:
            return host.reshape(onp.shape(value))
        if self.compression:
            raise ClusterError("gathers are not available with gradient compression: MXNet "
                               "compresses every push, the gathered values too")
        key = self._next_gather
        self._next_gather += 1
        arr = mx.nd.array(host, dtype=onp.float64)
        out = mx.nd.zeros(host.shape, dtype=onp.float64)
        with self._guard("allreduce"):
            self._kv.init(key, out)  # a fresh zero; init waits for every worker
            self._kv.push(key, arr)
            mx.nd.waitall()
            self.barrier()  # every worker's push has reached the servers
            self._kv.pull(key, out=out)
            mx.nd.waitall()
        return out.asnumpy().reshape(onp.shape(value))

    def allgather(self, value) -> onp.ndarray:
        """Every worker's ``value`` (same shape on all), stacked in rank order."""
        host = onp.asarray(value, dtype=onp.float64)
        slots = onp.zeros((self.num_workers,) + host.shape)
        slots[self.rank] = host
        return self.allreduce(slots)

    def barrier(self) -> None:
        """Wait until every worker reaches this call."""
        if self.distributed:
            self._kv._barrier()

    def check_identical(self, params: dict, rtol: float = 0.0) -> None:
        """Raise :class:`ClusterError` unless every worker holds the same ``params``
        (compares per-parameter sums and sums of squares across workers)."""
        names = sorted(params)
        stats = []
        for n in names:
            h = self._host(params[n]).astype(onp.float64)
            stats.extend([h.sum(), (h * h).sum(), onp.abs(h).max(initial=0.0)])
        every = self.allgather(onp.array(stats))
        diff = onp.abs(every - every[0]).max(axis=0)
        bad = [names[i // 3] for i in onp.nonzero(diff > rtol * onp.abs(every[0]) + 0.0)[0]]
        if bad:
            raise ClusterError(f"workers disagree on parameters {sorted(set(bad))}")

    def accuracy(self, correct, total) -> float:
        """Global accuracy from each worker's ``correct`` count over its ``total``."""
        c, t = self.allreduce([float(correct), float(total)])
        return float(c / t) if t else float("nan")

    # -- data --------------------------------------------------------------------------
    def shard(self, *arrays, pad: bool = True):
        """This worker's equal share of ``arrays`` (along axis 0); see :func:`shard`."""
        return shard(*arrays, rank=self.rank, num_workers=self.num_workers, pad=pad)

    @property
    def is_chief(self) -> bool:
        """Rank 0: the worker that writes checkpoints and shows progress."""
        return self.rank == 0

    def stats(self) -> dict:
        return {"kvstore": self.type, "rank": self.rank, "num_workers": self.num_workers,
                "bytes_pushed": self.bytes_pushed, "bytes_pulled": self.bytes_pulled,
                "update_on_kvstore": self.update_on_kvstore}


def shard(*arrays, rank: int, num_workers: int, pad: bool = True):
    """Rows ``[rank * m, (rank + 1) * m)`` of each array, ``m = ceil(n / num_workers)``.

    Every worker gets the same number of rows (synchronous training deadlocks when one
    worker runs out of batches first): with ``pad`` the last shards are completed with
    rows from the start, otherwise ``m = n // num_workers`` and the remainder is dropped.
    Returns one array, or a tuple for several.
    """
    if not 0 <= rank < num_workers:
        raise ValueError(f"rank {rank} is not in [0, {num_workers})")
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError("arrays to shard differ in length: "
                         f"{[len(a) for a in arrays]}")
    m = -(-n // num_workers) if pad else n // num_workers
    idx = onp.arange(rank * m, (rank + 1) * m) % n
    out = tuple(a[idx] for a in arrays)
    return out[0] if len(out) == 1 else out


class ShardedIter:
    """Batches ``rank, rank + N, rank + 2N, ...`` of ``iterable`` (``N`` workers).

    With ``equal=True`` (training) only full groups of ``N`` batches are used, so that
    every worker gets the same number of batches when all read the same sequence (same
    data, same shuffling seed): a synchronous step needs every worker. With
    ``equal=False`` (evaluation) the last, incomplete group is served too, so that the
    workers together see every batch once. Iterators with ``reset()`` are reset with it;
    other attributes (``batch_size``, ...) are the wrapped iterator's.
    """

    def __init__(self, iterable, rank: int, num_workers: int, equal: bool = True):
        if not 0 <= rank < num_workers:
            raise ValueError(f"rank {rank} is not in [0, {num_workers})")
        self.base = iterable
        self.rank = rank
        self.num_workers = num_workers
        self.equal = equal

    def reset(self):
        if hasattr(self.base, "reset"):
            self.base.reset()

    def __getattr__(self, name):
        if name == "base":  # not set yet (unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.base, name)

    def __len__(self):
        n = len(self.base)
        if self.equal:
            return n // self.num_workers
        return len(range(self.rank, n, self.num_workers))

    def __iter__(self):
        # One epoch of the base, started as minpy.nn.io.as_batches starts one.
        if callable(self.base) and not hasattr(self.base, "__iter__"):
            source = self.base()
        else:
            source = self.base
            if hasattr(source, "reset"):
                source.reset()
        for i, batch in enumerate(source):
            if i % self.num_workers == self.rank:
                pending = batch
                if not self.equal:
                    yield pending
                    pending = None
            if self.equal and i % self.num_workers == self.num_workers - 1:
                yield pending

