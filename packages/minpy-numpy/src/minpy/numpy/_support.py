"""The supported-operators table, generated from the op table (never written by hand).

``python -m minpy.numpy._support [PATH]`` writes ``docs/operators.rst`` (or ``PATH``).

:func:`support_table` lists every public callable of ``numpy``, ``numpy.linalg``,
``numpy.random`` and ``numpy.fft`` with where MinPy can run it on the CPU: the labels of
the device backends that compute on the CPU too and implement it (``'MXNet'``; such an
entry still runs in NumPy for the arguments or dtypes it does not accept, or when the
policy says so), else ``'NumPy fallback'``. Each device backend that serves GPUs only
has a column of its own (:func:`implemented_on`: what runs on a GPU it serves).
:func:`scipy_rows` adds ``minpy.scipy``'s functions when minpy-scipy is installed. What
the page says of each backend is the backend's own ``support_note``; nothing here names
a backend.
"""

from __future__ import annotations

import inspect
import sys
import warnings
from pathlib import Path

import numpy as np

from minpy.core import backend as _backend

from ._namespace import public_names
from ._table import TABLE

__all__ = ["support_table", "support_counts", "write_rst", "implemented_on",
           "gpu_only_backends", "scipy_rows", "FALLBACK"]

FALLBACK = "NumPy fallback"
_MODULES = (("", np), ("linalg.", np.linalg), ("random.", np.random), ("fft.", np.fft))


def gpu_only_backends() -> list:
    """The device backends that serve GPUs only (a column each)."""
    return [b for b in _backend.device_backends() if not b.serves_cpu]


def _callable_public(module):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in public_names(module):
            if name.startswith("__"):
                continue
            try:
                obj = getattr(module, name)
            except AttributeError:  # listed but expired (NumPy 2 removals)
                continue
            if inspect.ismodule(obj) or isinstance(obj, (type, np.dtype)):
                continue        # classes, dtypes and submodules are NumPy's own objects
            if callable(obj):
                yield name


def support_table() -> list[tuple[str, str]]:
    """``(numpy name, where it runs on the CPU)`` for every public callable of numpy,
    numpy.linalg, numpy.random and numpy.fft (dotted for submodules), sorted: the labels
    of the CPU-serving device backends that implement it (``'MXNet'``), else
    :data:`FALLBACK`."""
    import minpy.numpy.random  # noqa: F401  (registers the random entries)
    on_cpu = _backend.cpu_backends()
    rows = []
    for prefix, module in _MODULES:
        for name in _callable_public(module):
            op = TABLE.get(prefix + name)
            labels = [b.label for b in on_cpu if op is not None and b in op.impls]
            rows.append((prefix + name, ", ".join(labels) or FALLBACK))
    return sorted(rows)


def implemented_on(name: str, backend) -> bool:
    """Whether the op table has an implementation of ``name`` on ``backend`` (it runs
    there for the arguments its entry accepts; a name the installed library lacks is
    found missing on the first call and runs in NumPy)."""
    import minpy.numpy  # noqa: F401  (attaches every backend's implementations)
    op = TABLE.get(name)
    return op is not None and backend in op.impls


def gradient_classes(names):
    """``name -> (class, note)`` from ``minpy.autograd``'s classification of NumPy's
    callables (differentiable with a rule, non-differentiable, not applicable), or
    ``None`` when minpy-autograd is not installed (this package does not need it)."""
    try:
        from minpy.autograd.rules.classification import classify
    except ImportError:
        return None
    return {n: classify(n) for n in names}


def scipy_rows():
    """``(name, runs on, GPU-only backends that have it, gradient)`` for
    ``minpy.scipy``'s functions, or
    ``None`` when minpy-scipy is not installed (this package does not need it)."""
    try:
        from minpy.scipy._support import rows
    except ImportError:
        return None
    return rows()


def _scipy_section(rows):
    title = "SciPy functions (``minpy.scipy``)"
    gpu = gpu_only_backends()
    labels = ", ".join(f"*{b.label}*" for b in gpu)
    lines = [
        "", title, "-" * len(title), "",
        "``minpy.scipy`` (the minpy-scipy distribution, :doc:`scipy`) runs SciPy's own "
        "function on the host; *Runs on* names the device backends whose kernel gives "
        f"SciPy's values (measured, in float32 and float64); {labels} marks those the "
        "installed library has. The *Gradient* column names the arguments with a "
        "gradient rule (checked against finite differences to second order); "
        "differentiating along another argument raises NotImplementedError.", "",
        f"**{len(rows)}** functions, **{sum(1 for r in rows if r[-1].startswith('rule'))}** "
        "with gradient rules.", "",
        ".. list-table::", "   :header-rows: 1",
        "   :widths: 32 18" + " 10" * len(gpu) + " 40", "",
        "   * - SciPy name", "     - Runs on", *[f"     - {b.label}" for b in gpu],
        "     - Gradient"]
    for name, where, on, grad in rows:
        lines += [f"   * - ``{name}``", f"     - {where}",
                  *[f"     - {b.label if b in on else '-'}" for b in gpu], f"     - {grad}"]
    return lines


def _gradient_cell(cls, note):
    return f"{cls}: {note}" if note not in ("rule",) else "rule"


def support_counts(rows=None) -> dict:
    """``{'names': ..., 'fallback': ..., <backend name>: ...}``: how many functions
    resolve, fall back, and have an implementation on each device backend."""
    rows = support_table() if rows is None else rows
    counts = {"names": len(rows),
              "fallback": sum(1 for _, where in rows if where == FALLBACK)}
    for b in _backend.device_backends():
        counts[b.name] = sum(1 for name, _ in rows if implemented_on(name, b))
    return counts


def write_rst(path) -> dict:
    """Write the supported-operators page to ``path``; return the counts."""
    import minpy.numpy as mnp
    rows = support_table()
    counts = support_counts(rows)
    on_cpu, gpu = _backend.cpu_backends(), gpu_only_backends()
    per_module = []
    for prefix, module in _MODULES:
        mine = [r for r in rows if (r[0].startswith(prefix) if prefix else "." not in r[0])]
        on = [f"{sum(1 for n, _ in mine if implemented_on(n, b))} on {b.label}"
              for b in on_cpu]
        per_module.append(f"``{module.__name__}``: {len(mine)} functions"
                          + "".join(f", {x}" for x in on))
    title = "Operator support"
    lines = [
        title, "=" * len(title), "",
        ".. This page is generated by ``python -m minpy.numpy._support``; do not edit it.",
        "",
        "Every public function of NumPy resolves in ``minpy.numpy``. The functions marked "
        "*NumPy fallback* always run in NumPy on the host copy of their arguments and "
        "return MinPy Arrays. Results, dtypes and exceptions are NumPy's on every backend.",
        "",
        f"Generated with NumPy {np.__version__} and MinPy {mnp.__version__}: "
        f"**{counts['names']}** NumPy functions resolve, **{counts['fallback']}** fall "
        "back to NumPy.",
        "",
    ]
    for b in (*on_cpu, *gpu):
        if b.support_note:
            lines += [b.support_note.format(count=counts[b.name]), ""]
    lines += [f"* {p}" for p in per_module]
    grads = gradient_classes([name for name, _ in rows])
    if grads is not None:
        from collections import Counter
        tally = Counter(cls for cls, _ in grads.values())
        lines += [
            "", "The *Gradient* column is ``minpy.autograd``'s classification of each "
            "function (``minpy/autograd/rules/classification.py``): *rule* means "
            "``minpy.autograd`` differentiates it (checked against finite differences); "
            "*non-differentiable* functions return integers, booleans, shapes or values "
            "that depend only on integers, and are not recorded; *not applicable* are "
            "I/O, printing, configuration, callables run on host values, in-place writes "
            "and random draws without a location-scale form. A test fails when a "
            "differentiable function has no rule.", "",
            f"Gradients: **{tally.get('differentiable', 0)}** differentiable with a rule, "
            f"**{tally.get('non-differentiable', 0)}** non-differentiable, "
            f"**{tally.get('not applicable', 0)}** not applicable"
            + (f", **{tally['differentiable, no rule']}** differentiable without a rule"
               if tally.get("differentiable, no rule") else "") + "."]
    header = ["   * - NumPy name", "     - Runs on", *[f"     - {b.label}" for b in gpu]]
    widths = "50 30" + " 20" * len(gpu)
    if grads is not None:
        header.append("     - Gradient")
        widths = "32 18" + " 10" * len(gpu) + " 40"
    lines += ["", ".. list-table::", "   :header-rows: 1", f"   :widths: {widths}", "",
              *header]
    for name, where in rows:
        lines += [f"   * - ``numpy.{name}``", f"     - {where}",
                  *[f"     - {b.label if implemented_on(name, b) else '-'}" for b in gpu]]
        if grads is not None:
            lines.append(f"     - {_gradient_cell(*grads[name])}")
    extra = scipy_rows()
    if extra:
        lines += _scipy_section(extra)
    Path(path).write_text("\n".join(lines) + "\n")
    return counts


def _main(argv):
    default = Path(__file__).resolve().parents[5] / "docs" / "operators.rst"
    path = Path(argv[1]) if len(argv) > 1 else default
    counts = write_rst(path)
    on = ", ".join(f"{counts[b.name]} on {b.label}" for b in _backend.device_backends())
    print(f"wrote {path}: {counts['names']} names ({on}), {counts['fallback']} falling "
          "back to NumPy")


if __name__ == "__main__":
    _main(sys.argv)
