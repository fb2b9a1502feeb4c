"""Backends are objects (issue 19, item 1).

* A backend added in this one file (a test-only library whose arrays are NumPy arrays in
  a box: MinPy knows nothing about it) runs table ops through MinPy's own dispatch, its
  forms kept in the Array keyed by the backend, its copies counted under its own
  direction, its calls counted by the op statistics; it gets its 'only_box' policy,
  its figures in the cost model and its column on the operator-support page from the
  registry, with no change anywhere else.
* A scan of every distribution's sources (packages/*/src), on their syntax trees:
  outside the backend modules no code spells a backend's name (compared, as a key, an
  argument or a result; a module to import is not a backend) or touches a backend's
  form through a backend-named attribute.
"""

from __future__ import annotations

import ast
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
    support_note = "*Box* marks the **{count}** functions the test's box library has."
    costs = {"cpu": (1.0, {"default": 1e-3})}
    copy_costs = {"cpu": (1.0, 1e-5)}

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
    """The backend's op module: its implementations of table entries (NumPy's own
    function, run on the boxes' contents) and how a call runs on it."""

    KINDS = ("elementwise", "reduction", "matmul")

    def __init__(self, be):
        self.be = be

    def attach(self):
        from minpy.numpy._table import TABLE, Impl
        for op in TABLE.values():
            if op.kind in self.KINDS:
                op.impls[self.be] = Impl(lambda module, fn=op.numpy: fn,
                                         accepts=lambda args, kw: "out" not in kw)

    def detach(self):
        from minpy.numpy._table import TABLE
        for op in TABLE.values():
            op.impls.pop(self.be, None)

    def run(self, op, args, kwargs, arrays, device):
        from minpy.numpy import _plan
        from minpy.numpy._dispatch import Rejected
        impl = op.impls[self.be]
        if not impl.accepts(args, kwargs):
            raise Rejected("out=")
        plan = _plan.plan(self.be, impl, op, args, kwargs, arrays)
        if plan.rejected:
            raise Rejected(plan.rejected)
        data = [a._form(self.be).data if isinstance(a, Array) else a for a in args]
        res = onp.asarray(impl.function(self.be.module)(*data, **kwargs), dtype=plan.dtype)
        return Array._from_form(self.be, Boxed(res), device)


@pytest.fixture
def box():
    be = backends.register(BoxBackend("box"))
    be.ops = BoxOps(be)
    be.ops.attach()
    try:
        yield be
    finally:
        be.ops.detach()
        backends.unregister(be)


def test_an_extra_backend_runs_table_ops(box):
    ha, hb = onp.arange(6.0).reshape(2, 3), onp.ones((3, 2))
    a, b = np.array(ha), np.array(hb)
    transfer.reset_stats()
    with policy.policy("only_box") as pol, policy.record_op_stat():
        c = np.exp(a) + 1.0              # two table ops, both on the box backend
        d = np.matmul(c, b)
        s = np.sum(d, axis=0)
        stats = policy.op_stats()
    assert type(pol).__name__ == "OnlyBoxPolicy" and pol.name == "only_box"
    assert c.forms == ("box",) and d.forms == ("box",)
    assert transfer.stats().to_box == 2  # a and b, each copied into a box once
    assert stats["copies"]["box"] == (2, 96)
    onp.testing.assert_allclose(s.asnumpy(), ((onp.exp(ha) + 1.0) @ hb).sum(axis=0))
    for name in ("exp", "add", "matmul", "sum"):
        assert stats["calls"][(name, "box")][0] == 1, stats["calls"]
    assert backends.find("box") is box and box in backends.device_backends()


def test_an_extra_backend_declines_what_it_lacks(box):
    a = np.array(onp.arange(6.0).reshape(2, 3))
    with policy.policy("prefer_mxnet"):  # the CPU's device backend is MXNet, not the box
        assert "box" not in np.exp(a).forms
    with policy.policy("only_box"):
        with pytest.raises(NotImplementedError, match="no Box implementation"):
            np.transpose(a)               # a view op: not among the box's kinds
        with pytest.raises(NotImplementedError, match="Box cannot run this call"):
            np.exp(np.array(onp.arange(3, dtype=onp.complex128)))  # a dtype it lacks


def test_an_extra_backend_joins_costs_and_the_support_page(box, tmp_path):
    from minpy.numpy._costs import estimate
    from minpy.numpy._support import support_counts, write_rst
    a = np.array(onp.ones(1000))
    costs = estimate(np.exp.op, [a], cpu(), box)
    assert costs[box] == pytest.approx(1.0 + 1e-3 * 1000 + 1.0 + 1e-5 * 8000)
    counts = support_counts()
    assert 0 < counts["box"] < counts["names"]
    write_rst(tmp_path / "ops.rst")
    text = (tmp_path / "ops.rst").read_text()
    assert f"the **{counts['box']}** functions the test's box library has" in text
    assert "   * - ``numpy.exp``\n     - MXNet, Box" in text


def test_the_extra_backend_is_gone_after_the_test():
    assert backends.find("box") is None
    from minpy.numpy._table import TABLE
    assert not any("box" in op.impls for op in TABLE.values())


# -- nothing outside the backend modules names a backend ------------------------------
#: The built-in device backends' names.
NAMES = ("mxnet", "cupy")

#: A read of a backend's form through a backend-named attribute (the Array's former
#: ``_mx``/``_cp``/``_mx_value``/``_from_mx`` spellings), found in the source text.
NAMED_ATTRIBUTE = re.compile(r"\._mx\b|\._cp\b|_mx_value|_cp_value|_from_mx\b|_from_cupy\b")

#: Calls whose string argument names a Python module (``importlib.import_module('mxnet')``,
#: ``sys.modules.get('mxnet')``): importing a library is not naming a backend.
_IMPORTS = {"import_module", "find_spec", "__import__"}

#: The backend modules, in every distribution (paths under ``src/``, ``minpy/``
#: dropped): each says what MinPy knows about one backend.
BACKEND_MODULES = {
    "core/_host.py", "core/_mxnet.py", "core/_cupy.py", "core/backend.py",
    "_minpy_mxnet_hook.py",   # MXNet's import hook (the *.pth file's half of _mxnet.py)
    "numpy/_ops.py",          # the op table's MXNet implementations
    "numpy/_random_ops.py",   # MXNet's samplers (more of MXNet's implementations)
    "numpy/_mxnet_ops.py",    # how a table op runs on MXNet
    "numpy/_validate.py",     # MXNet's argument limits (called by _mxnet_ops only)
    "numpy/_cupy_ops.py",     # how a table op runs on CuPy
    "jit/_mxnet_engine.py",   # MXNet's jit engine (Backend.jit_engine)
    "jit/_cupy_engine.py",    # CuPy's jit engine
    "scipy/_mxnet_kernels.py",  # MXNet's operators for SciPy functions
    "scipy/_cupy_kernels.py",   # CuPy's cupyx.scipy functions
}

#: Sites still naming a backend (file -> count), each with its reason.
PINNED = {}


def _sources():
    """``(key, path)`` of every source module of every distribution."""
    for src in sorted((ROOT / "packages").glob("*/src")):
        for path in sorted(src.rglob("*.py")):
            rel = path.relative_to(src).as_posix()
            yield (rel[len("minpy/"):] if rel.startswith("minpy/") else rel), path


def _module_names(tree) -> set:
    """The ids of string constants that name a Python module to import."""
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            modules = (isinstance(f, ast.Attribute) and name == "get"
                       and isinstance(f.value, ast.Attribute) and f.value.attr == "modules")
            if name in _IMPORTS or modules:
                ids.update(id(a) for a in node.args)
    return ids


def names_a_backend(text: str) -> list:
    """The lines of ``text`` (Python source) that name a backend: a string constant that
    is a backend's name (compared, used as a key, passed, returned: anything but a
    module to import; docstrings and comments merely mention them) or a backend-named
    attribute."""
    tree = ast.parse(text)
    skip = _module_names(tree)
    lines = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and node.value in NAMES
                and id(node) not in skip):
            lines.add(node.lineno)
    for i, line in enumerate(text.splitlines(), 1):
        if NAMED_ATTRIBUTE.search(line.split("#")[0]):
            lines.add(i)
    return sorted(lines)


def _sites():
    found = {}
    for key, path in _sources():
        if key in BACKEND_MODULES:
            continue
        lines = names_a_backend(path.read_text())
        if lines:
            found[key] = len(lines)
    return found


def test_the_scan_reads_every_distribution():
    keys = {key.split("/")[0] for key, _ in _sources()}
    assert {"core", "numpy", "autograd", "symbol", "nn", "jit", "scipy"} <= keys
    assert set(BACKEND_MODULES) <= {key for key, _ in _sources()}


def test_the_scan_finds_a_backend_name():
    for line in ('if be == "cupy":\n    pass', "x = a._mx_value()", "'mxnet' in op.impls",
                 "Array._from_mx(v)", "impls['cupy'] = f", "def f():\n    return 'mxnet'",
                 "d = {'mxnet': 1}", "f(backend='cupy')"):
        assert names_a_backend(line), line
    for line in ("x = a._form(backend)", '"""Runs on mxnet or cupy."""',
                 "importlib.import_module('mxnet')", "m = sys.modules.get('cupy')",
                 "# 'mxnet' in a comment", "s = 'mxnet_engine'"):
        assert not names_a_backend(line), line


def test_only_backend_modules_name_a_backend():
    assert _sites() == PINNED


def test_the_array_has_no_backend_named_spellings():
    for name in ("_mx", "_cp", "_mx_value", "_cp_value", "_from_mx", "_from_cupy"):
        assert not hasattr(Array, name), name
