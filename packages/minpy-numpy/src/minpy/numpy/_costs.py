"""The cost model of the automatic policy.

Each estimate is ``overhead + per_unit * units`` microseconds, where units are elements
(or multiply-adds for 'matmul'), plus the copies the operands need to reach the
implementation from the forms they hold now. The figures are the backends' own
(:attr:`minpy.core.backend.Backend.costs` and ``copy_costs``, in each backend's module,
which says which were measured and which are placeholders); :func:`set_costs` replaces
them with a user's own measurements (``bench/bench_gpu.py`` prints the call that adopts
a GPU's).
"""

from __future__ import annotations

from minpy.core import backend as _backend

__all__ = ["set_costs", "estimate", "numpy_dominates", "costs_of"]

_HOST = _backend.HOST


def costs_of(backend, device_kind: str):
    """``(overhead_us, {op kind: us per unit})`` of ``backend`` on a ``device_kind``
    device, or ``None`` where it does not compute."""
    return _backend.get(backend).costs.get(device_kind)


def set_costs(device_kind: str, backend, overhead_us: float, per_unit: dict) -> None:
    """Replace the model's figures for one backend (an object or its name: ``'cupy'``)
    on one kind of device."""
    be = _backend.get(backend)
    be.costs = {**be.costs, device_kind: (float(overhead_us), dict(per_unit))}
    _dominates.clear()
    for listener in _listeners:
        listener()


_dominates: dict = {}
#: called (no arguments) after every :func:`set_costs`: values derived from the model
#: and cached elsewhere (``AutoPolicy.host_fast``) are refreshed by them.
_listeners: list = []


def numpy_dominates(device_kind: str) -> bool:
    """Whether, on this kind of device, NumPy is estimated cheaper than every device
    backend that computes there, for every op kind and size, when the operands are
    host-resident (copies only add to the device side then). True for the measured CPU
    figures."""
    known = _dominates.get(device_kind)
    if known is None:
        np_over, np_per = _HOST.costs[device_kind]
        known = True
        rivals = _backend.cpu_backends() if device_kind == "cpu" else _backend.device_backends()
        for be in rivals:
            figures = be.costs.get(device_kind)
            if figures is None:
                continue
            over, per = figures
            known = known and np_over <= over and all(
                np_per.get(k, np_per["default"]) <= per.get(k, per["default"])
                for k in set(np_per) | set(per))
        _dominates[device_kind] = known
    return known


def _units(op, arrays) -> float:
    if not arrays:
        return 1.0
    if op.kind == "matmul" and len(arrays) >= 2:
        a, b = arrays[0].shape, arrays[1].shape
        m = a[-2] if len(a) > 1 else 1
        k = a[-1] if a else 1
        n = b[-1] if len(b) > 1 else 1
        return float(m * k * n)
    return float(max(a.size for a in arrays))


def estimate(op, arrays, device, backend) -> dict:
    """Estimated microseconds of ``op`` on ``arrays`` for NumPy and for the device
    ``backend`` (the one computing on ``device``): ``{'numpy': us, backend: us}``."""
    be = _backend.get(backend)
    kind = device.kind
    units = _units(op, arrays)
    np_over, np_per = _HOST.costs[kind]
    be_over, be_per = be.costs[kind]
    cost_np = np_over + np_per.get(op.kind, np_per["default"]) * units
    cost_be = be_over + be_per.get(op.kind, be_per["default"]) * units
    to_host, to_be = _HOST.copy_costs[kind], be.copy_costs[kind]
    for a in arrays:
        if a._host is None:
            cost_np += to_host[0] + to_host[1] * a.nbytes
        if not a._holds(be):
            cost_be += to_be[0] + to_be[1] * a.nbytes
    return {_HOST.name: cost_np, be: cost_be}
