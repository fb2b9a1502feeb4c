"""``conformance/cupy_standin.py`` (the CuPy 14 stand-in: NumPy behind the real CuPy's
names; NOT a GPU) as the module ``cupy_standin``, one copy per process."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def _load():
    mod = sys.modules.get("cupy_standin")
    if mod is None:
        path = Path(__file__).resolve().parents[3] / "conformance" / "cupy_standin.py"
        spec = importlib.util.spec_from_file_location("cupy_standin", path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules["cupy_standin"] = mod
        spec.loader.exec_module(mod)
    return mod


cupy_standin = _load()
