"""Backends are objects (issue 19, item 1).

* A backend added in this one file (a test-only library whose arrays are NumPy arrays in
  a box: MinPy knows nothing about it) runs table ops through MinPy's own dispatch, its
  forms kept in the Array keyed by the backend, its copies counted under its own
  direction, its calls counted by the op statistics.
* A scan of minpy-core's and minpy-numpy's sources: outside the backend modules no code
  compares against a backend's name or touches a backend's form. The places that still
  do are pinned below (the refactor is not finished): a new one fails the test, and so
  does removing one without updating the pin.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import numpy as onp
import pytest

import minpy.numpy as np
from minpy.core import Array, cpu, transfer
from minpy.core import backend as backends

policy = importlib.import_module("minpy.numpy.policy")
ROOT = Path(__file__).resolve().parents[3]


# -- a backend in one file ------------------------------------------------------------
class Boxed:
    """The extra library's array: a NumPy array in a box."""

    __slots__ = ("data",)

    def __init__(self, data):
        self.data = data


class BoxBackend(backends.Backend):
    """A backend of the CPU whose arrays are :class:`Boxed`."""

    label = "Box"
    priority = 90
    transfer = "to_box"
    serves_cpu = True

    def load(self):
        return onp

    @property
    def module(self):
        return onp

    def holds(self, dtype):
        return dtype.kind in "biuf"

    def owns(self, obj):
        return isinstance(obj, Boxed)

    def from_host(self, host, device):
        return Boxed(onp.array(host, copy=True))

    def to_host(self, form):
        return onp.array(form.data, copy=True)

    def native(self, obj):
        return obj, cpu()

    def meta(self, form):
        return form.data.dtype, form.data.shape


class BoxOps:
    """The backend's op module: how a table op runs on boxes."""

    KINDS = ("elementwise", "reduction", "matmul")

    def __init__(self, be):
        self.be = be

    def run(self, op, args, kwargs, arrays, device):
        from minpy.numpy._dispatch import Rejected
        if op.kind not in self.KINDS:
            raise Rejected(f"{op.kind} ops")
        data = [a._form(self.be).data if isinstance(a, Array) else a for a in args]
        res = onp.asarray(op.numpy(*data, **kwargs))
        return Array._from_form(self.be, Boxed(res), device)


class PreferBox(policy.Policy):
    name = "prefer_box"

    def __init__(self, be):
        self.be = be

    def choose(self, op, arrays, device):
        return self.be if op.kind in BoxOps.KINDS else "numpy"


@pytest.fixture
def box():
    be = backends.register(BoxBackend("box"))
    be.ops = BoxOps(be)
    try:
        yield be
    finally:
        backends.unregister(be)


def test_an_extra_backend_runs_table_ops(box):
    ha, hb = onp.arange(6.0).reshape(2, 3), onp.ones((3, 2))
    a, b = np.array(ha), np.array(hb)
    transfer.reset_stats()
    with policy.policy(PreferBox(box)), policy.record_op_stat():
        c = np.exp(a) + 1.0              # two table ops, both on the box backend
        d = np.matmul(c, b)
        s = np.sum(d, axis=0)
        t = np.transpose(s)              # a view op: the box backend declines, NumPy runs
        stats = policy.op_stats()
    assert c.forms == ("box",) and d.forms == ("box",)
    assert transfer.stats().to_box == 2  # a and b, each copied into a box once
    onp.testing.assert_allclose(s.asnumpy(), ((onp.exp(ha) + 1.0) @ hb).sum(axis=0))
    onp.testing.assert_allclose(t.asnumpy(), s.asnumpy())
    for name in ("exp", "add", "matmul", "sum"):
        assert stats["calls"][(name, "box")][0] == 1, stats["calls"]
    assert backends.find("box") is box and box in backends.device_backends()


def test_the_extra_backend_is_gone_after_the_test():
    assert backends.find("box") is None


# -- nothing outside the backend modules names a backend ------------------------------
#: A comparison against a backend's name, or a read of a backend's form.
NAMES_A_BACKEND = re.compile(
    r"""(==|!=)\s*["'](mxnet|cupy)["']|["'](mxnet|cupy)["']\s*(==|!=)"""
    r"""|["'](mxnet|cupy)["']\s+(not\s+)?in\b"""
    r"""|\._mx\b|\._cp\b|_mx_value|_cp_value|_from_mx\b|_from_cupy\b""")

#: The backend modules: each says everything MinPy knows about one backend.
BACKEND_MODULES = {
    "core/_host.py", "core/_mxnet.py", "core/_cupy.py", "core/backend.py",
    "numpy/_ops.py",          # the op table's MXNet implementations
    "numpy/_mxnet_ops.py",    # how a table op runs on MXNet
    "numpy/_validate.py",     # MXNet's argument limits (called by _mxnet_ops only)
    "numpy/_cupy_ops.py",     # how a table op runs on CuPy
}

#: Sites still naming a backend (file -> count), to be removed as item 1 continues.
PINNED = {
    "core/array.py": 4,       # _mx_value/_cp_value/_from_mx/_from_cupy: the original
                              # spellings that minpy-symbol/jit/nn still call
    "numpy/_support.py": 2,   # the operator-support page's MXNet and CuPy columns
    "numpy/policy.py": 4,     # 'only_mxnet', 'only_cupy' and explain()
}


def _sites():
    found = {}
    for pkg in ("minpy-core/src/minpy/core", "minpy-numpy/src/minpy/numpy"):
        for path in sorted((ROOT / "packages" / pkg).glob("*.py")):
            key = f"{path.parent.name}/{path.name}"
            if key in BACKEND_MODULES:
                continue
            for line in path.read_text().splitlines():
                if NAMES_A_BACKEND.search(line.split("#")[0]):
                    found[key] = found.get(key, 0) + 1
    return found


def test_only_backend_modules_name_a_backend():
    assert _sites() == PINNED

