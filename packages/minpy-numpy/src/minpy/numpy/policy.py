"""Which implementation runs: the policies, the cost model behind the automatic one,
fallback notifications and the op statistics.

Policies (set globally with :func:`set_global_policy`, for a block with
``with policy(...)``, for a function with :func:`wrap_policy`):

``'auto'`` (default)
    Per op, per size, per device: the implementation with the lower estimated cost,
    counting the conversions the operands need from where they live now. On a GPU this
    is MXNet for all but tiny host-resident arrays; on the CPU, where MXNet's wheel is
    slower than NumPy on every op measured, it is almost always NumPy.
``'prefer_mxnet'``
    MXNet whenever it has the op and accepts the arguments, else NumPy.
``'only_numpy'``
    NumPy for everything.
``'only_mxnet'``
    MXNet or an error naming the op: nothing falls back.
``'only_cupy'``
    CuPy or an error naming the op: nothing falls back (for testing the CuPy backend).

On a GPU that CuPy serves (one MXNet's kernels cannot run on, see
:func:`minpy.core.backend_info`), the device backend is CuPy: ``'auto'`` weighs CuPy
against NumPy, and ``'prefer_mxnet'`` prefers the device backend, CuPy.

A *fallback* is a call that a policy sent to MXNet but that ran in NumPy (no MXNet
implementation, or MXNet rejected those arguments). Fallbacks are counted, and
:func:`set_fallback_mode` makes them ``'ignore'``-d, ``'warn'``, ``'log'`` or ``'raise'``.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import json
import logging
import os
import time
import warnings
from collections import defaultdict
from dataclasses import dataclass

from minpy.core import backend as _backend
from minpy.core import transfer
from minpy.core.device import device_backend as _core_device_backend

from ._costs import _listeners as _cost_listeners
from ._costs import estimate, numpy_dominates

__all__ = [
    "Policy", "AutoPolicy", "PreferMXNetPolicy", "OnlyNumPyPolicy",
    "OnlyMXNetPolicy", "OnlyCuPyPolicy",  # noqa: F822  (made by only(): _add_only_policy)
    "AutoBlacklistPolicy", "OnlyBackendPolicy", "only", "get_policy",
    "set_global_policy", "policy", "wrap_policy",
    "FallbackWarning", "FallbackError", "set_fallback_mode", "fallback_mode",
    "record_op_stat", "show_op_stat", "op_stats", "reset_op_stat", "explain",
]

_log = logging.getLogger("minpy.fallback")
_policy_log = logging.getLogger("minpy.policy")


class Policy:
    """Decides, for one call, whether a device backend's implementation or NumPy runs."""

    name = "policy"
    #: A device backend's failures raise instead of falling back to NumPy.
    strict = False
    #: The policy wants the device backend: NumPy running an op is a fallback (counted
    #: and notified), not a choice.
    wants_device = False
    #: NumPy runs every call whose arrays are all host-resident on a CPU, so the
    #: dispatcher may skip :meth:`choose` for those.
    host_fast = False

    def choose(self, op, arrays, device) -> str:
        """A device backend (an object of :mod:`minpy.core.backend`, or its name) or
        ``'numpy'`` for ``op`` on ``arrays`` (the call's Array arguments) with the
        result on ``device``."""
        raise NotImplementedError

    def rejected(self, op, signature, reason) -> None:
        """Called when a device backend rejected a call this policy sent to it."""

    def __repr__(self):
        return f"<{type(self).__name__} {self.name!r}>"


def device_backend(device):
    """The backend that computes on ``device`` besides NumPy
    (:func:`minpy.core.device.device_backend`: the one serving a GPU; on the CPU, or for
    ``None``, the device backend that serves the CPU too: MXNet)."""
    return _core_device_backend(device)


class PreferMXNetPolicy(Policy):
    """The device backend whenever it implements the op and accepts the arguments: on
    the CPU, the one that computes there too (MXNet: the policy's name is the original
    MinPy's); on a GPU, the one serving it (CuPy on the GPUs MXNet cannot run on).
    Picking a backend of GPUs only is said once per policy object (an INFO record on
    the ``minpy`` logger)."""

    name = "prefer_mxnet"
    wants_device = True
    _said = None

    def choose(self, op, arrays, device):
        backend = device_backend(device)
        if backend is None or backend not in op.impls:
            return "numpy"
        if not backend.serves_cpu and self._said is not backend:
            self._said = backend
            _policy_log.info(
                "policy %r: %s is served by %s (%s cannot run there): the ops go to %s",
                self.name, device, backend.label, " or ".join(
                    b.label for b in _backend.cpu_backends()),
                backend.label)
        return backend


class OnlyNumPyPolicy(Policy):
    """NumPy for every op."""

    name = "only_numpy"
    host_fast = True

    def choose(self, op, arrays, device):
        return "numpy"


class OnlyBackendPolicy(Policy):
    """One device backend for every op; an op, argument or device it lacks raises an
    error. :func:`only` makes the policy ``'only_<name>'`` of each registered backend
    (``OnlyMXNetPolicy``, ``OnlyCuPyPolicy``: ``Only<label>Policy``)."""

    strict = True
    wants_device = True
    #: The backend's registered name (:func:`minpy.core.backend.get`).
    backend_name = ""
    hint = "; use policy('prefer_mxnet') or 'auto' to let it run in NumPy"

    def choose(self, op, arrays, device):
        backend = _backend.get(self.backend_name)
        # A backend of GPUs only (CuPy) runs on the GPUs it serves and nowhere else.
        if not backend.serves_cpu and device_backend(device) is not backend:
            raise NotImplementedError(
                f"minpy.numpy.{op.name}: the policy is {self.name!r} but the call's "
                f"device {device} is not a GPU that {backend.label} serves")
        if backend not in op.impls:
            raise NotImplementedError(
                f"minpy.numpy.{op.name} has no {backend.label} implementation and the "
                f"policy is {self.name!r}{self.hint}")
        return backend


class AutoPolicy(Policy):
    """The cheaper implementation by the cost model of :mod:`minpy.numpy._costs`."""

    name = "auto"
    #: ``numpy_dominates("cpu")``, kept as a plain attribute (the dispatcher reads it on
    #: every call) and refreshed by :func:`._costs.set_costs` (see ``_refresh_host_fast``).
    host_fast = False

    def choose(self, op, arrays, device):
        backend = device_backend(device)
        if backend is None or backend not in op.impls:
            return "numpy"
        if not backend.serves_cpu:  # a backend of the GPU only (CuPy)
            if not arrays:
                return backend  # creation and sampling: born on the GPU the user chose
            # Every operand on the GPU and one only there: NumPy would first copy it
            # off the GPU, which alone costs more than a device call in the model, so
            # the estimate is skipped (it is most of the tiny-op overhead).
            off_host = False
            for a in arrays:
                if not a._holds(backend):
                    break
                off_host = off_host or a._host is None
            else:
                if off_host:
                    return backend
        costs = estimate(op, arrays, device, backend)
        return backend if costs[backend] < costs["numpy"] else "numpy"


def no_implementation() -> str:
    """The fallback reason of an op no device backend serving the CPU implements
    (``'no MXNet implementation'``)."""
    return "no " + " or ".join(b.label for b in _backend.cpu_backends()) + " implementation"


def _refresh_host_fast():
    AutoPolicy.host_fast = numpy_dominates("cpu")


_refresh_host_fast()
_cost_listeners.append(_refresh_host_fast)


class AutoBlacklistPolicy(PreferMXNetPolicy):
    """Prefer MXNet, but remember each (op, dtypes, ndims) MXNet rejected and send it to
    NumPy from then on. The original MinPy's auto-blacklist; ``rule_file`` (JSON) keeps
    the learned rules across sessions."""

    name = "auto_blacklist"

    def __init__(self, rule_file: str | None = None):
        self.rule_file = rule_file
        self.rules: set[str] = set()
        self._write_failed = False
        if rule_file and os.path.exists(rule_file):
            try:
                with open(rule_file) as fh:
                    rules = json.load(fh)
            except (OSError, ValueError) as exc:
                raise ValueError(
                    f"AutoBlacklistPolicy: cannot read the rule file {rule_file!r} "
                    f"({type(exc).__name__}: {exc}); fix or delete it") from exc
            if not isinstance(rules, list) or not all(isinstance(r, str) for r in rules):
                raise ValueError(
                    f"AutoBlacklistPolicy: the rule file {rule_file!r} does not hold a "
                    "JSON list of rule strings; fix or delete it")
            self.rules = set(rules)

    @staticmethod
    def _key(op, arrays):
        return op.name + ":" + ",".join(f"{a.dtype}/{a.ndim}" for a in arrays)

    def choose(self, op, arrays, device):
        if self._key(op, arrays) in self.rules:
            return "numpy"
        return super().choose(op, arrays, device)

    def rejected(self, op, arrays, reason):
        key = self._key(op, arrays)
        if key in self.rules:
            return
        self.rules.add(key)
        if self.rule_file and not self._write_failed:
            try:
                with open(self.rule_file, "w") as fh:
                    json.dump(sorted(self.rules), fh, indent=1)
            except OSError as exc:
                # The rules still hold for this session; the op itself must not fail.
                self._write_failed = True
                warnings.warn(f"AutoBlacklistPolicy: cannot write the rule file "
                              f"{self.rule_file!r} ({exc}); learned rules are kept in "
                              "memory only", RuntimeWarning, stacklevel=4)


_NAMED = {"auto": AutoPolicy, "prefer_mxnet": PreferMXNetPolicy,
          "only_numpy": OnlyNumPyPolicy, "auto_blacklist": AutoBlacklistPolicy}
#: backend name -> its 'only_<name>' policy class (made once, by :func:`only`).
_ONLY: dict = {}


def only(backend) -> type:
    """The policy class ``'only_<name>'`` of ``backend`` (a registered device backend,
    or its name): that backend for every op, an error for anything it cannot run."""
    be = _backend.get(backend)
    cls = _ONLY.get(be.name)
    if cls is None:
        doc = (f"{be.label} for every op" + ("" if be.serves_cpu else
               f", on a GPU {be.label} serves") + f"; an op, argument or device "
               f"{be.label} lacks raises an error (nothing falls back).")
        cls = _ONLY[be.name] = type(f"Only{be.label}Policy", (OnlyBackendPolicy,), {
            "__doc__": doc, "__module__": __name__, "name": f"only_{be.name}",
            "backend_name": be.name})
    return cls


def _named():
    """Every policy name: the built-in ones and 'only_<name>' of each device backend."""
    return {**_NAMED, **{f"only_{b.name}": only(b) for b in _backend.device_backends()}}


def _add_only_policy(backend) -> None:
    """Make ``backend``'s 'only_<name>' policy a name of this module
    (``OnlyMXNetPolicy``): for each backend registered, now and later."""
    if not backend.is_host:
        cls = only(backend)
        globals()[cls.__name__] = cls


for _be in _backend.backends():
    _add_only_policy(_be)
_backend._listeners.append(_add_only_policy)


def _as_policy(p) -> Policy:
    if isinstance(p, Policy):
        return p
    if isinstance(p, type) and issubclass(p, Policy):
        return p()
    named = _NAMED.get(p) if isinstance(p, str) else None
    if named is None and isinstance(p, str) and p.startswith("only_"):
        be = _backend.find(p[len("only_"):])
        named = only(be) if be is not None and not be.is_host else None
    if named is None:
        raise ValueError(f"unknown policy {p!r}; choose one of {sorted(_named())}")
    return named()


# ``with policy(...)`` and ``with fallback_mode(...)`` set context variables, not
# thread-locals: each thread and each asyncio task sees its own (a task starts with the
# settings in force where it was created), and none leaks into another.
_policy_var: contextvars.ContextVar = contextvars.ContextVar("minpy.numpy.policy")
_fallback_var: contextvars.ContextVar = contextvars.ContextVar("minpy.numpy.fallback")
_get_policy = _policy_var.get
_global_policy: Policy = AutoPolicy()


def get_policy() -> Policy:
    """The policy in force in this thread or asyncio task."""
    return _get_policy(_global_policy)


def set_global_policy(p) -> None:
    """Set the process-wide policy: a name ('auto', 'prefer_mxnet', 'only_numpy',
    'only_mxnet', 'auto_blacklist') or a :class:`Policy`."""
    global _global_policy
    _global_policy = _as_policy(p)


@contextlib.contextmanager
def policy(p):
    """Use policy ``p`` inside the ``with`` block, in this thread or asyncio task only."""
    chosen = _as_policy(p)
    token = _policy_var.set(chosen)
    try:
        yield chosen
    finally:
        _policy_var.reset(token)


def wrap_policy(p):
    """Decorator: run the function under policy ``p`` (the original MinPy spelling)."""
    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with policy(p):
                return fn(*args, **kwargs)
        return wrapper
    return deco


# -- fallback notification -------------------------------------------------------------
class FallbackWarning(UserWarning):
    """Warned when an op the policy sent to MXNet ran in NumPy."""


class FallbackError(RuntimeError):
    """Raised, in fallback mode 'raise', instead of falling back to NumPy."""


_FALLBACK_MODES = ("ignore", "warn", "log", "raise")
_global_fallback = "ignore"


def _check_mode(mode):
    if mode not in _FALLBACK_MODES:
        raise ValueError(f"fallback mode must be one of {_FALLBACK_MODES}, not {mode!r}")
    return mode


def set_fallback_mode(mode: str) -> None:
    """What a fallback does: 'ignore' (default; still counted), 'warn', 'log', 'raise'."""
    global _global_fallback
    _global_fallback = _check_mode(mode)


@contextlib.contextmanager
def fallback_mode(mode: str):
    """Apply fallback ``mode`` inside the ``with`` block, in this thread or asyncio task."""
    token = _fallback_var.set(_check_mode(mode))
    try:
        yield
    finally:
        _fallback_var.reset(token)


def notify_fallback(op_name: str, reason: str) -> None:
    """Apply the fallback mode to one fallback of ``op_name``."""
    _recorder.fallbacks[op_name] += 1
    mode = _fallback_var.get(_global_fallback)
    if mode == "ignore":
        return
    message = f"minpy.numpy.{op_name} fell back to NumPy: {reason}"
    if mode == "raise":
        raise FallbackError(message)
    if mode == "warn":
        warnings.warn(message, FallbackWarning, stacklevel=4)
    else:
        _log.info("%s", message)


# -- op statistics ---------------------------------------------------------------------
@dataclass
class _Recorder:
    active: bool = False
    started: float = 0.0
    copies_at_start: dict = None  # direction -> (copies, bytes)

    def __post_init__(self):
        self.calls = defaultdict(lambda: [0, 0.0])  # (op, backend) -> [count, seconds]
        self.fallbacks = defaultdict(int)


_recorder = _Recorder()


def recording() -> bool:
    return _recorder.active


def record(op_name: str, backend: str, seconds: float) -> None:
    entry = _recorder.calls[(op_name, backend)]
    entry[0] += 1
    entry[1] += seconds


def _copies():
    """Backend -> (copies into its forms, bytes) so far (the host's: copies to host)."""
    s = transfer.stats()
    return {b: (getattr(s, b.transfer), getattr(s, b.transfer + "_bytes"))
            for b in _backend.backends() if b.transfer}


def reset_op_stat() -> None:
    """Forget what was recorded."""
    global _recorder
    active = _recorder.active
    _recorder = _Recorder(active=active, started=time.perf_counter(),
                          copies_at_start=_copies())


class _StatScope:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _recorder.active = False


def record_op_stat() -> _StatScope:
    """Start recording what ran where (op, implementation, count, time, conversions).
    Works as a plain call or as a ``with`` block (recording stops at its end)."""
    reset_op_stat()
    _recorder.active = True
    return _StatScope()


def op_stats() -> dict:
    """What was recorded: ``calls`` {(op, backend): (count, seconds)}, ``fallbacks``
    {op: count}, ``copies`` {backend name: (copies into its forms, bytes)} since
    recording began (the host's, ``'numpy'``: copies to the host, off every device), and
    ``transfers``, the original 4-tuple (copies into the forms of the device backend
    that serves the CPU (MXNet), bytes, copies to the host, bytes)."""
    start = _recorder.copies_at_start or {}
    copies = {}
    for b, (n, nb) in _copies().items():
        n0, nb0 = start.get(b, (0, 0))
        copies[b.name] = (n - n0, nb - nb0)
    on_cpu = _backend.cpu_backends()
    first = copies.get(on_cpu[0].name, (0, 0)) if on_cpu else (0, 0)
    return {
        "calls": {k: tuple(v) for k, v in _recorder.calls.items()},
        "fallbacks": dict(_recorder.fallbacks),
        "copies": copies,
        "transfers": (*first, *copies[_backend.HOST.name]),
    }


def show_op_stat(file=None) -> str:
    """Print (and return) a table of what ran where since :func:`record_op_stat`."""
    from ._table import TABLE
    stats = op_stats()
    lines = [f"{'op':<24}{'implementation':<16}{'calls':>8}{'total ms':>12}"]
    no_kernel = False
    for (name, backend), (count, secs) in sorted(stats["calls"].items()):
        op = TABLE.get(name)
        if backend == _backend.HOST and (op is None or not any(
                be in op.impls for be in _backend.device_backends())):
            backend, no_kernel = "numpy*", True
        lines.append(f"{name:<24}{backend:<16}{count:>8}{secs * 1e3:>12.3f}")
    if no_kernel:
        lines.append("* no device backend implements it: a NumPy fallback under every "
                     "policy")
    if stats["fallbacks"]:
        lines.append("fallbacks to NumPy: " + ", ".join(
            f"{k} x{v}" for k, v in sorted(stats["fallbacks"].items())))
    host = _backend.HOST
    parts = []
    for b in _backend.device_backends():
        n, nb = stats["copies"].get(b.name, (0, 0))
        if n or b.serves_cpu:
            parts.append(f"{n} host->{b.label} ({nb} bytes)")
    n, nb = stats["copies"][host.name]
    lines.append("conversions: " + ", ".join([*parts, f"{n} ->host ({nb} bytes)"]))
    text = "\n".join(lines)
    print(text, file=file)
    return text


def explain(name: str, *args, **kwargs) -> dict:
    """What the current policy would run for ``minpy.numpy.<name>(*args)``, and the
    automatic policy's cost estimates (microseconds) for each implementation."""
    from ._dispatch import arrays_of, result_device
    from ._table import TABLE
    op = TABLE.get(name)
    if op is None:
        return {"op": name, "choice": "numpy", "reason": no_implementation()}
    arrays = arrays_of(op, args)
    device = result_device(arrays)
    backend = device_backend(device)
    return {"op": name, "policy": get_policy().name,
            "choice": get_policy().choose(op, arrays, device),
            "estimated_us": estimate(op, arrays, device, backend)}
