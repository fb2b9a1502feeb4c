"""Sphinx configuration for the MinPy documentation."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "_ext"))

project = "MinPy"
author = "The MinPy authors"
copyright = "MinPy authors"
release = "0.1.0"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "internal_links",  # _ext/: every link between pages of the build must resolve
]

html_theme = "alabaster"
nitpicky = False
# Viewcode's "[docs]" link of a function documented twice (as ``minpy.core.f`` in the API
# page and as ``minpy.core.dtypes.f`` in a guide) pointed at an anchor that exists on
# neither page when it followed ``minpy.core``'s re-exports; link from defining modules.
viewcode_follow_imported_members = False
exclude_patterns = ["_build"]
autodoc_member_order = "bysource"
