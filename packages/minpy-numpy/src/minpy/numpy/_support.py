"""The supported-operators table, generated from the op table (never written by hand).

``python -m minpy.numpy._support [PATH]`` writes ``docs/operators.rst`` (or ``PATH``).

:func:`support_table` lists every public callable of ``numpy``, ``numpy.linalg``,
``numpy.random`` and ``numpy.fft`` with where MinPy can run it: ``'MXNet'`` when the op
table has an MXNet implementation (which still runs in NumPy for the arguments or dtypes
its entry does not accept, or when the policy says so), else ``'NumPy fallback'``.
:func:`on_cupy` says which of them have a CuPy implementation (the page's *CuPy*
column: what runs on a GPU that CuPy serves). :func:`scipy_rows` adds ``minpy.scipy``'s
functions when minpy-scipy is installed.
"""

from __future__ import annotations

import inspect
import sys
import warnings
from pathlib import Path

import numpy as np

from ._namespace import public_names
from ._table import TABLE

__all__ = ["support_table", "support_counts", "write_rst", "on_cupy", "scipy_rows"]

MXNET = "MXNet"
FALLBACK = "NumPy fallback"
_MODULES = (("", np), ("linalg.", np.linalg), ("random.", np.random), ("fft.", np.fft))


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
    """``(numpy name, 'MXNet' or 'NumPy fallback')`` for every public callable of numpy,
    numpy.linalg, numpy.random and numpy.fft (dotted for submodules), sorted."""
    import minpy.numpy.random  # noqa: F401  (registers the random entries)
    rows = []
    for prefix, module in _MODULES:
        for name in _callable_public(module):
            op = TABLE.get(prefix + name)
            rows.append((prefix + name,
                         MXNET if op is not None and "mxnet" in op.impls else FALLBACK))
    return sorted(rows)


def on_cupy(name: str) -> bool:
    """Whether the op table has a CuPy implementation of ``name`` (it runs on CuPy on a
    GPU CuPy serves, for the arguments its entry accepts; a name the installed CuPy
    lacks is found missing on the first call and runs in NumPy)."""
    import minpy.numpy  # noqa: F401  (attaches the CuPy implementations)
    op = TABLE.get(name)
    return op is not None and "cupy" in op.impls


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
    """``(name, runs on, on CuPy, gradient)`` for ``minpy.scipy``'s functions, or
    ``None`` when minpy-scipy is not installed (this package does not need it)."""
    try:
        from minpy.scipy._support import rows
    except ImportError:
        return None
    return rows()


def _scipy_section(rows):
    title = "SciPy functions (``minpy.scipy``)"
    lines = [
        "", title, "-" * len(title), "",
        "``minpy.scipy`` (the minpy-scipy distribution, :doc:`scipy`) runs SciPy's own "
        "function on the host; *MXNet* marks the functions whose MXNet operator gives "
        "SciPy's values (measured, in float32 and float64), *CuPy* those the installed "
        "CuPy has in ``cupyx.scipy``. The *Gradient* column names the arguments with a "
        "gradient rule (checked against finite differences to second order); "
        "differentiating along another argument raises NotImplementedError.", "",
        f"**{len(rows)}** functions, **{sum(1 for r in rows if r[3].startswith('rule'))}** "
        "with gradient rules.", "",
        ".. list-table::", "   :header-rows: 1", "   :widths: 32 18 10 40", "",
        "   * - SciPy name", "     - Runs on", "     - CuPy", "     - Gradient"]
    for name, where, cupy, grad in rows:
        lines += [f"   * - ``{name}``", f"     - {where}", f"     - {'CuPy' if cupy else '-'}",
                  f"     - {grad}"]
    return lines


def _gradient_cell(cls, note):
    return f"{cls}: {note}" if note not in ("rule",) else "rule"


def support_counts(rows=None) -> dict:
    rows = support_table() if rows is None else rows
    on_mxnet = sum(1 for _, where in rows if where == MXNET)
    return {"names": len(rows), "mxnet": on_mxnet, "fallback": len(rows) - on_mxnet,
            "cupy": sum(1 for name, _ in rows if on_cupy(name))}


def write_rst(path) -> dict:
    """Write the supported-operators page to ``path``; return the counts."""
    import minpy.numpy as mnp
    rows = support_table()
    counts = support_counts(rows)
    per_module = []
    for prefix, module in _MODULES:
        mine = [r for r in rows if (r[0].startswith(prefix) if prefix else "." not in r[0])]
        n_mx = sum(1 for _, w in mine if w == MXNET)
        per_module.append(f"``{module.__name__}``: {len(mine)} functions, {n_mx} on MXNet")
    title = "Operator support"
    lines = [
        title, "=" * len(title), "",
        ".. This page is generated by ``python -m minpy.numpy._support``; do not edit it.",
        "",
        "Every public function of NumPy resolves in ``minpy.numpy``. The functions marked "
        "*MXNet* have an entry in MinPy's op table with an MXNet implementation: the "
        "policy in force (see :doc:`policy`) decides per call whether MXNet or NumPy runs "
        "them, and MXNet runs them only for the arguments and dtypes it handles exactly "
        "as NumPy does (anything else, for example a dtype MXNet cannot hold or an "
        "argument its kernel treats differently, runs in NumPy). The functions marked "
        "*NumPy fallback* always run in NumPy on the host copy of their arguments and "
        "return MinPy Arrays. Results, dtypes and exceptions are NumPy's in both cases; "
        "the conformance suite (``conformance/``) checks every MXNet entry against NumPy.",
        "",
        f"Generated with NumPy {np.__version__} and MinPy {mnp.__version__}: "
        f"**{counts['names']}** NumPy functions resolve, **{counts['mxnet']}** can run on "
        f"MXNet, **{counts['fallback']}** fall back to NumPy.",
        "",
        "The *CuPy* column marks the functions with a CuPy implementation: on a GPU that "
        "CuPy serves (one MXNet's kernels cannot run on, such as Hopper; see "
        ":doc:`devices`) they run on CuPy, under the same rules (arguments CuPy does not "
        "handle as NumPy does run in NumPy). "
        f"**{counts['cupy']}** functions have one. Whether the installed CuPy has each "
        "name, and gives NumPy's results, is checked on a real GPU by the conformance "
        "suite's GPU leg (``bench/gpu_check.sh``).",
        "",
    ]
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
    header = ["   * - NumPy name", "     - Runs on", "     - CuPy"]
    widths = "50 30 20"
    if grads is not None:
        header.append("     - Gradient")
        widths = "32 18 10 40"
    lines += ["", ".. list-table::", "   :header-rows: 1", f"   :widths: {widths}", "",
              *header]
    for name, where in rows:
        lines += [f"   * - ``numpy.{name}``", f"     - {where}",
                  f"     - {'CuPy' if on_cupy(name) else '-'}"]
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
    print(f"wrote {path}: {counts['names']} names, {counts['mxnet']} on MXNet, "
          f"{counts['fallback']} falling back to NumPy")


if __name__ == "__main__":
    _main(sys.argv)
