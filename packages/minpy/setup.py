"""Build shim: dependencies are dynamic so that sibling MinPy packages in this
checkout are installed from their directories (see ../_siblings.py)."""

import os
import sys

from setuptools import setup

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
try:
    from _siblings import local
except ImportError:  # built away from the monorepo (e.g. from an sdist): keep the pins
    def local(requirements, here):
        return requirements

setup(install_requires=local([
    "minpy-core==0.1.0",
    "minpy-numpy==0.1.0",
    "minpy-autograd==0.1.0",
    "minpy-symbol==0.1.0",
    "minpy-nn==0.1.0",
    "minpy-jit==0.1.0",
    "minpy-scipy==0.1.0",
], HERE))
