"""The cost model of the automatic policy.

Each estimate is ``overhead + per_unit * units`` microseconds, where units are elements
(or multiply-adds for 'matmul'), plus the conversions the operands need to reach the
implementation from the forms they hold now.

The CPU figures were measured on the development machine (2 cores, MXNet 1.9.1 CPU
wheel with ``NaiveEngine`` and ``OMP_NUM_THREADS=2``, NumPy 2.4, float32, arrays of 10,
1e5 and 1e6 elements, 64..2048 square matmuls; ``bench/`` re-measures them).
The GPU figures are NOT measured: no GPU that MXNet 1.9.1 can run on was available.
They are conservative placeholders (PCIe at ~10 GB/s, ~15 us per kernel launch), and
:func:`set_costs` replaces them with a user's own measurements.
"""

from __future__ import annotations

#: device kind -> backend -> (overhead_us, {kind: us per unit}).
COSTS = {
    "cpu": {
        "numpy": (0.5, {"elementwise": 4e-4, "reduction": 2e-4, "matmul": 3e-6,
                        "default": 5e-4}),
        "mxnet": (12.0, {"elementwise": 1.5e-3, "reduction": 3.6e-3, "matmul": 1.1e-5,
                         "default": 2e-3}),
    },
    "gpu": {  # placeholders, see the module docstring
        "numpy": (0.5, {"elementwise": 4e-4, "reduction": 2e-4, "matmul": 3e-6,
                        "default": 5e-4}),
        "mxnet": (15.0, {"elementwise": 2e-6, "reduction": 4e-6, "matmul": 2e-8,
                         "default": 5e-6}),
        # CuPy on a GPU MXNet cannot run on (Hopper and newer): placeholders too, of
        # the same shape (~10 us per call, HBM-bound elementwise work) until
        # bench/gpu_check.sh measures them on a real GPU.
        "cupy": (10.0, {"elementwise": 1e-6, "reduction": 2e-6, "matmul": 1e-8,
                        "default": 5e-6}),
    },
}

#: device kind -> direction -> (overhead_us, us per byte).
CONVERSIONS = {
    "cpu": {"to_mxnet": (35.0, 4.5e-5), "to_host": (4.5, 3.7e-5)},
    "gpu": {"to_mxnet": (20.0, 1e-4), "to_host": (20.0, 1e-4),
            # placeholder, as the GPU figures above: ~25 GB/s, PCIe 5 from pageable memory
            "to_cupy": (20.0, 4e-5)},
}


def set_costs(device_kind: str, backend: str, overhead_us: float, per_unit: dict) -> None:
    """Replace the model's figures for one backend on one kind of device."""
    COSTS[device_kind][backend] = (overhead_us, dict(per_unit))
    _dominates.clear()
    for listener in _listeners:
        listener()


_dominates: dict = {}
#: called (no arguments) after every :func:`set_costs`: values derived from the model
#: and cached elsewhere (``AutoPolicy.host_fast``) are refreshed by them.
_listeners: list = []


def numpy_dominates(device_kind: str) -> bool:
    """Whether, on this kind of device, NumPy is estimated cheaper than MXNet for every
    op kind and size when the operands are host-resident (conversions only add to
    MXNet's side then). True for the measured CPU figures."""
    known = _dominates.get(device_kind)
    if known is None:
        (np_over, np_per), (mx_over, mx_per) = (COSTS[device_kind]["numpy"],
                                                COSTS[device_kind]["mxnet"])
        kinds = set(np_per) | set(mx_per)
        known = _dominates[device_kind] = np_over <= mx_over and all(
            np_per.get(k, np_per["default"]) <= mx_per.get(k, mx_per["default"])
            for k in kinds)
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


def estimate(op, arrays, device, backend: str = "mxnet") -> dict:
    """Estimated microseconds of ``op`` on ``arrays`` for NumPy and for the device
    ``backend`` ('mxnet', or 'cupy' on a GPU CuPy serves)."""
    kind = device.kind
    units = _units(op, arrays)
    costs, conversions = COSTS[kind], CONVERSIONS[kind]
    np_over, np_per = costs["numpy"]
    mx_over, mx_per = costs[backend]
    cost_np = np_over + np_per.get(op.kind, np_per["default"]) * units
    cost_mx = mx_over + mx_per.get(op.kind, mx_per["default"]) * units
    for a in arrays:
        if a._host is None:
            c0, c1 = conversions["to_host"]
            cost_np += c0 + c1 * a.nbytes
        if not a._holds(backend):
            c0, c1 = conversions["to_" + backend]
            cost_mx += c0 + c1 * a.nbytes
    return {"numpy": cost_np, backend: cost_mx}
