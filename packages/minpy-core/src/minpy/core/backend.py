"""Backends as objects: what MinPy knows about each library that holds an Array's data.

A :class:`Backend` is one library MinPy computes with: NumPy on the host
(:data:`HOST`, :mod:`minpy.core._host`), MXNet (:mod:`minpy.core._mxnet`) and CuPy
(:mod:`minpy.core._cupy`). Each backend's module says everything about it: how it loads,
which devices it serves and why, which dtypes and sizes it holds, how data moves into
and out of its arrays (host copies, DLPack, ``__cuda_array_interface__``), how its RNG is
seeded, which process settings it scopes to MinPy's own calls, and it has slots that
the packages above core fill: :attr:`Backend.ops` (``minpy.numpy``: how table ops run on
it) and :attr:`Backend.jit_engine` (``minpy.jit``). Nothing outside a backend's module
names a backend: dispatch, policies, costs, transfers and DLPack ask these objects.

A backend *is* its name: :class:`Backend` subclasses :class:`str`, so ``backend ==
'cupy'``, ``op.impls['mxnet']`` and ``{'cupy': ...}[backend]`` keep working for code
that spells names, while MinPy's own code passes the objects.

A new backend is two files: a module here (a :class:`Backend` subclass, registered with
:func:`register`) and an op module in ``minpy.numpy`` (its implementations of table
entries); see the backends page of the documentation.
"""

from __future__ import annotations

import contextlib

import numpy as np

__all__ = ["Backend", "register", "get", "find", "backends", "device_backends",
           "cpu_backends", "HOST",
           "owner_of", "NO_SEED", "IndexOutOfRange"]

#: What :meth:`Backend.seed` records before a seed is given.
NO_SEED = object()

class IndexOutOfRange(IndexError):
    """NumPy's IndexError for an index out of range, found by a backend on its device
    (where the library itself would wrap the index around): the caller's error, raised
    as it is, never a reason to run the call elsewhere."""


_registry: dict = {}
_order: list = []


class Backend(str):
    """One array library MinPy computes with. Subclasses override what differs; the
    defaults describe a backend that holds nothing and serves no device.

    Attributes
    ----------
    label : str
        Its name in messages (``'MXNet'``).
    is_host : bool
        The host backend (NumPy): the reference every other one is checked against.
    transfer : str
        The direction :mod:`minpy.core.transfer` counts copies into its forms under
        (``'to_mxnet'``).
    costs, copy_costs : dict
        Its figures in the automatic policy's cost model (see the attributes).
    serves_cpu : bool
        Whether it computes for the CPU device too (MXNet's CPU kernels), so that a
        policy may choose it there.
    priority : int
        Backends are offered GPUs, and preferred on the CPU, in increasing priority.
    has_views : bool
        Whether its arrays have NumPy's strided views (a view of its form has the memory
        layout NumPy's host view would have).
    ops : object or None
        Set by ``minpy.numpy``'s op module of this backend: how table ops run on it.
    jit_engine : object or None
        Set by ``minpy.jit``: the engine that replays programs whose ops ran here.
    in_use : bool
        Set once an Array may hold a form of this backend (a device it serves was handed
        out, or its memory was imported): until then the dispatcher need not look for it.
    """

    label = "?"
    #: What the operator-support page says of the functions marked with this backend
    #: (``{count}``: how many have an implementation on it).
    support_note = ""
    priority = 100
    #: The automatic policy's cost model (``minpy.numpy._costs``): device kind ->
    #: ``(overhead_us, {op kind: us per unit})`` of an op computed here (units:
    #: elements, or multiply-adds for 'matmul'); no entry: it does not compute there.
    costs: dict = {}
    #: device kind -> ``(overhead_us, us per byte)`` of a copy into its form.
    copy_costs: dict = {}
    #: The Array method that gives this backend's form (``Array.asmxnet``), if any.
    array_method = None
    is_host = False
    transfer = ""
    serves_cpu = False
    has_views = False

    def __new__(cls, name, *args, **kwargs):
        return str.__new__(cls, name)

    def __init__(self, name):
        str.__init__(self)
        self.name = str(name)
        self.ops = None
        self.jit_engine = None
        self.in_use = False
        self._seed = NO_SEED
        self._reset_hooks: list = []

    def __repr__(self):
        return f"<backend {self.name!r}>"

    def __reduce__(self):
        return (get, (self.name,))

    # -- loading -------------------------------------------------------------------------
    #: The Python module that loads the library (its ``load()``, ``unavailable_reason()``,
    #: ``require()`` and its ``_module`` once loaded), when the backend has one: the
    #: backend modules keep their loaders as module functions, which other code calls too.
    loader = None

    def load(self):
        """The library's module, imported on first call; ``None`` when unavailable."""
        return self.loader.load() if self.loader is not None else None

    @property
    def module(self):
        """The module if it is loaded already, else ``None`` (never imports)."""
        return self.loader._module if self.loader is not None else None

    def available(self) -> bool:
        return self.load() is not None

    def unavailable_reason(self) -> str | None:
        """Why the backend cannot be used here, or ``None``."""
        if self.loader is not None:
            return self.loader.unavailable_reason()
        return None if self.available() else f"{self.label} is not available"

    def require(self):
        """The module, or an ImportError saying why it cannot be used."""
        if self.loader is not None:
            return self.loader.require()
        mod = self.load()
        if mod is None:
            raise ImportError(f"{self.label} is not available: {self.unavailable_reason()}")
        return mod

    def _loaded(self, module) -> None:
        """Called once the module loaded: a seed given before reaches it now."""
        if self._seed is not NO_SEED:
            self._apply_seed(module, self._seed)

    def on_reset(self, hook) -> None:
        """Call ``hook()`` whenever this backend is reset (:meth:`reset`): the layers
        above core forget what they cached from the module (loaded functions, plans)."""
        self._reset_hooks.append(hook)

    def reset(self) -> None:
        """Forget what was cached about the module (tests swap the module)."""
        self.in_use = False
        for hook in self._reset_hooks:
            hook()

    # -- devices -------------------------------------------------------------------------
    def num_gpus(self) -> int:
        """How many GPUs it sees (0 when it cannot use any)."""
        return 0

    def compute_capability(self, index: int) -> int | None:
        """GPU ``index``'s compute capability (``90`` for sm_90), if it can tell."""
        return None

    def gpu_verdict(self, index: int, capability: int | None, sm: str) -> tuple:
        """``(serves, why)``: whether it runs GPU ``index`` (of ``capability``, written
        ``sm``), and why (or why not) in words."""
        return False, f"{self.label} serves no GPU"

    def no_gpu_reason(self) -> str:
        """What to say when it sees no GPU."""
        return self.unavailable_reason() or "no usable device"

    #: The :class:`~minpy.core.Device` attribute that gives :meth:`context` under the
    #: original MinPy's spelling, if any (``device.mx_context``).
    context_attribute = None

    def context(self, device):
        """The library's own handle for ``device`` (an ``mx.Context``)."""
        raise NotImplementedError(f"{self.label} has no device handle")

    def mark_in_use(self) -> None:
        self.in_use = True

    # -- dtypes and sizes ----------------------------------------------------------------
    def holds(self, dtype) -> bool:
        """Whether its arrays can hold ``dtype`` exactly."""
        return False

    # -- forms ---------------------------------------------------------------------------
    def owns(self, obj) -> bool:
        """Whether ``obj`` is one of its arrays (never imports the library: an object of
        a library nobody imported cannot exist)."""
        return False

    def from_host(self, host: np.ndarray, device):
        """A copy of ``host`` as its form on ``device`` (the caller counts the copy)."""
        raise NotImplementedError

    def to_host(self, form) -> np.ndarray:
        """A host copy of ``form`` (the caller counts the copy)."""
        raise NotImplementedError

    def native(self, obj) -> tuple:
        """``(form, device)``: one of its arrays (:meth:`owns`) as its form without a
        copy, and the device its memory is on."""
        raise NotImplementedError

    def meta(self, form) -> tuple:
        """``(dtype, shape)`` of ``form``."""
        return np.dtype(form.dtype), tuple(form.shape)

    def copy(self, form, device):
        """A copy of ``form`` on ``device`` (a device served by this backend, or the
        CPU for a backend that serves it), or ``None`` when it cannot move it there
        (the copy then goes through the host)."""
        return None

    def adopt(self, obj, device, dtype=None):
        """``obj`` (one of its arrays) as a form on ``device``: a copy, as
        :func:`numpy.array` copies (cast to ``dtype`` if given); ``None`` where it must
        go through the host."""
        return None

    def wait(self, form) -> None:
        """Block until pending work producing ``form`` is done."""

    def setitem(self, form, key, value, device):
        """``form[key] = value`` on the device: the form to keep (a new one, or ``form``
        written in place). Raise :class:`NotImplementedError` to decline (the write
        then goes through the host form)."""
        raise NotImplementedError

    def result_is_view(self, result, parent) -> bool | None:
        """Whether its form ``result`` is a view of its form ``parent`` (for backends
        with :attr:`has_views`); ``None`` when it cannot tell."""
        return None

    # -- interchange ---------------------------------------------------------------------
    def dlpack_export(self, form, **kwargs):
        """A DLPack capsule of ``form``'s memory."""
        raise NotImplementedError

    def dlpack_import(self, obj, device):
        """``obj``'s memory (a DLPack producer on a device this backend serves) as its
        form, without a copy."""
        raise NotImplementedError

    def cuda_array_interface(self, form) -> dict | None:
        """``form``'s ``__cuda_array_interface__`` (``None`` for memory that is not on
        a CUDA device)."""
        return None

    # -- random numbers ------------------------------------------------------------------
    def seed(self, seed) -> None:
        """Seed its generators: now if the library is loaded, else when it loads."""
        self._seed = seed
        mod = self.module
        if mod is not None:
            self._apply_seed(mod, seed)

    def _apply_seed(self, module, seed) -> None:
        pass

    # -- process settings ----------------------------------------------------------------
    def enter(self) -> None:
        """Put the library's settings MinPy's calls need in force for this thread (see
        :meth:`scope`); cheap when already in force."""

    def exit(self) -> None:
        """Give the thread the library's settings back as the user left them."""

    @contextlib.contextmanager
    def scope(self):
        """``with backend.scope():`` MinPy's own calls into the library, with the
        settings they need, the user's restored afterwards (nests cheaply)."""
        self.enter()
        try:
            yield
        finally:
            self.exit()


def register(backend: Backend) -> Backend:
    """Add ``backend`` (one per name; the first registered of a name stays). GPUs are
    offered to device backends in order of :attr:`Backend.priority`."""
    known = _registry.get(backend.name)
    if known is not None:
        return known
    _registry[backend.name] = backend
    _order.append(backend)
    _order.sort(key=lambda b: b.priority)
    for listener in _listeners:
        listener(backend)
    return backend


#: Called with each backend registered from now on (the Array adds its ``as<name>()``).
_listeners: list = []


def unregister(backend: Backend) -> None:
    """Remove ``backend`` (a test's extra backend)."""
    if _registry.get(backend.name) is backend:
        del _registry[backend.name]
        _order.remove(backend)


def get(name) -> Backend:
    """The backend of ``name`` (a string or a backend); KeyError if none."""
    return _registry[name]


def find(name):
    """The backend of ``name``, or ``None``."""
    return _registry.get(name)


def backends() -> tuple:
    """Every registered backend, the host first."""
    return tuple(_order)


def device_backends() -> tuple:
    """Every registered backend but the host, by priority."""
    return tuple(b for b in _order if not b.is_host)


def cpu_backends() -> tuple:
    """Every device backend that computes on the CPU too (MXNet), by priority."""
    return tuple(b for b in _order if not b.is_host and b.serves_cpu)


def owner_of(obj):
    """The backend whose array ``obj`` is, or ``None``."""
    for b in _order:
        if not b.is_host and b.owns(obj):
            return b
    return None


# The built-in backends register themselves (the host first).
from ._host import HOST  # noqa: E402,I001
from . import _cupy, _mxnet  # noqa: E402,F401,I001
