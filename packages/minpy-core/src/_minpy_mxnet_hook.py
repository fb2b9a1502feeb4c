"""Route every ``import mxnet`` of the process through MinPy's MXNet shim.

Imported at interpreter start by ``minpy-core-mxnet.pth`` (installed by minpy-core into
site-packages), so that ``import mxnet`` works *before* ``import minpy...`` too: on
NumPy 2 and on NumPy 1.24-1.26 MXNet 1.9.1 cannot import on its own. This module must
stay cheap (it runs in every Python process of the environment): it imports nothing,
and its finder answers ``None`` at once for every module but the top-level ``mxnet``.
Only then does it import :mod:`minpy.core._mxnet`, whose loader does the work.

``MINPY_MXNET_HOOK=0`` in the environment turns the finder off (MXNet then imports as
if MinPy were not installed, until ``minpy.core`` is imported).
"""

import sys


class MXNetShimFinder:
    """A ``sys.meta_path`` finder for ``mxnet`` alone; see the module docstring."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "mxnet":
            return None
        import os

        if os.environ.get("MINPY_MXNET_HOOK", "1") == "0":
            return None
        try:
            from minpy.core import _mxnet
        except Exception:  # MinPy broken or half-uninstalled: MXNet imports as it would
            return None
        return _mxnet.find_spec(fullname, path)


def install():
    """Put the finder first on ``sys.meta_path`` (once)."""
    if not any(type(f).__name__ == "MXNetShimFinder" for f in sys.meta_path):
        sys.meta_path.insert(0, MXNetShimFinder())


install()
