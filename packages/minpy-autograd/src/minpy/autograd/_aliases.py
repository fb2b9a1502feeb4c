"""``minpy.autograd.numpy`` and ``minpy.autograd.scipy``: other names of ``minpy.numpy``
and ``minpy.scipy`` (and of their submodules), so that HIPS Autograd code ports by
renaming one package (``autograd`` -> ``minpy.autograd``) as well as by the canonical
imports. The modules are the same objects, found by a finder on ``sys.meta_path`` that
answers only names under these two prefixes (two string comparisons for any other
import)."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

__all__ = ["install"]

#: alias prefix -> (target package, distribution that provides it)
ALIASES = {
    "minpy.autograd.numpy": ("minpy.numpy", "minpy-numpy"),
    "minpy.autograd.scipy": ("minpy.scipy", "minpy-scipy"),
}


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target):
        self.target = target
        self.spec = target.__spec__

    def create_module(self, spec):
        return self.target  # the target module itself: no second copy

    def exec_module(self, module):
        # The import system gave the module the alias's spec; its own must stay, or the
        # package's relative imports would load second copies under the alias's name.
        module.__spec__ = self.spec


class _AliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        for prefix, (package, dist) in ALIASES.items():
            if fullname == prefix or fullname.startswith(prefix + "."):
                name = package + fullname[len(prefix):]
                try:
                    module = importlib.import_module(name)
                except ImportError as exc:
                    if fullname == prefix:
                        raise ImportError(f"{fullname} is {package}; install it with "
                                          f"'pip install {dist}'") from exc
                    raise
                return importlib.util.spec_from_loader(fullname, _AliasLoader(module))
        return None


def install() -> None:
    """Put the finder first on ``sys.meta_path`` (once): the path finder would otherwise
    find ``minpy.autograd.numpy.random`` in ``minpy.numpy``'s directory (the alias's
    ``__path__``) and load a second copy of the module under the alias's name."""
    if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _AliasFinder())
