"""Sphinx configuration for the MinPy documentation."""

project = "MinPy"
author = "The MinPy authors"
copyright = "MinPy authors"
release = "0.1.0"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]

html_theme = "alabaster"
nitpicky = False
exclude_patterns = ["_build"]
autodoc_member_order = "bysource"
