"""The generated supported-operators table."""

from __future__ import annotations

import numpy

from minpy.core._mxnet import BACKEND as MX
from minpy.numpy._support import FALLBACK, support_counts, support_table, write_rst
from minpy.numpy._table import TABLE

MXNET = MX.label


def test_support_table_rows():
    rows = support_table()
    names = [n for n, _ in rows]
    assert len(names) == len(set(names)) > 400
    where = dict(rows)
    assert where["add"] == MXNET and where["linalg.inv"] == MXNET
    assert where["logaddexp"] == FALLBACK and where["fft.fft"] == FALLBACK
    assert where["random.normal"] == MXNET
    for name, place in rows:
        op = TABLE.get(name)
        assert (place == MXNET) == (op is not None and "mxnet" in op.impls), name
    assert "float32" not in where and "linalg" not in where   # dtypes, modules: not ops
    assert all(callable(eval("numpy." + n, {"numpy": numpy})) for n in names)


def test_write_rst(tmp_path):
    path = tmp_path / "operators.rst"
    counts = write_rst(path)
    text = path.read_text()
    assert text.startswith("Operator support\n================\n")
    assert ".. list-table::" in text and "   * - ``numpy.add``\n     - MXNet" in text
    assert f"**{counts['names']}** NumPy functions resolve" in text
    assert counts == support_counts()
    assert counts["mxnet"] + counts["fallback"] == counts["names"]
