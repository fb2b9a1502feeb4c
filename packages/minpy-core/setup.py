"""Build shim: ships ``src/minpy-core-mxnet.pth`` at the top of site-packages.

The ``.pth`` file imports ``_minpy_mxnet_hook`` at interpreter start, which routes a
user's ``import mxnet`` through MinPy's NumPy shim whatever the import order (see
``src/_minpy_mxnet_hook.py``). setuptools has no declarative way to install a file
outside a package, so ``build_py`` copies it next to the modules: into the wheel's root
for a regular install, into the editable wheel for ``pip install -e``.
"""

import os

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
PTH = "minpy-core-mxnet.pth"


class BuildPyWithPth(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            # An editable wheel holds only what is written to install_lib (its root);
            # build_lib is a scratch directory there.
            target = self.get_finalized_command("install").install_lib
        else:
            target = self.build_lib
        self.copy_file(os.path.join(HERE, "src", PTH), os.path.join(target, PTH),
                       preserve_mode=False)

    def get_outputs(self, include_bytecode=True):
        outputs = super().get_outputs(include_bytecode)
        if not getattr(self, "editable_mode", False):
            outputs.append(os.path.join(self.build_lib, PTH))
        return outputs


setup(cmdclass={"build_py": BuildPyWithPth})
