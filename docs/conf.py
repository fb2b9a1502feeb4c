"""Sphinx configuration for the MinPy documentation.

Pages are reStructuredText (the guides) or MyST Markdown notebooks (the front page and
the tutorials, executed by myst-nb at every build: a cell that raises fails the build).
``docs/README.md`` says how to add a tutorial and how the pages are checked.
"""

import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

project = "MinPy"
author = "The MinPy authors"
copyright = "MinPy authors"
# The version of the meta package (every distribution shares it): [project] version.
release = version = re.search(
    r'^version\s*=\s*"([^"]+)"',
    (HERE.parent / "packages" / "minpy" / "pyproject.toml").read_text(), re.M).group(1)

extensions = [
    "myst_nb",
    "sphinx_design",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "internal_links",   # _ext/: every link between pages of the build must resolve
    "tutorials",        # _ext/: the tutorial gallery, from the tutorials' front matter
    "bench_results",    # _ext/: the benchmarks page, from docs/benchmarks/results.json
]

nitpicky = False
# Viewcode's "[docs]" link of a function documented twice (as ``minpy.core.f`` in the API
# page and as ``minpy.core.dtypes.f`` in a guide) pointed at an anchor that exists on
# neither page when it followed ``minpy.core``'s re-exports; link from defining modules.
viewcode_follow_imported_members = False
# README.md is for the people who write these pages; benchmarks/ holds the data and plots
# that ``nox -s bench`` writes (read by the bench_results extension, not pages).
exclude_patterns = ["_build", "README.md", "benchmarks", "**.ipynb_checkpoints"]
autodoc_member_order = "bysource"

# -- notebooks (myst-nb) ------------------------------------------------------------------
# Every notebook runs at every build (MINPY_DOCS_EXECUTE=off skips it while editing
# prose; "cache" reuses unchanged notebooks' outputs from _build/.jupyter_cache).
nb_execution_mode = {"off": "off", "cache": "cache"}.get(
    os.environ.get("MINPY_DOCS_EXECUTE", ""), "force")
nb_execution_cache_path = str(HERE / "_build" / ".jupyter_cache")
nb_execution_raise_on_error = True   # a failing cell fails the build
nb_execution_show_tb = True          # ... and the log shows the traceback
nb_execution_timeout = 180           # seconds per cell
nb_execution_in_temp = True          # files a tutorial writes never land in docs/
nb_merge_streams = True
nb_render_markdown_format = "myst"   # Markdown outputs may hold tables
# MXNet's and Python's warnings on stderr are noise on a page; errors still fail the build.
nb_output_stderr = "remove"
# No "dollarmath": MathJax comes from a CDN, which a reader offline (and the browser
# check) cannot reach; write formulas in plain text.
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
# The kernels that execute the notebooks get an IPython profile of their own (under
# _build, written here): high-resolution inline figures and no history database, with no
# boilerplate in the tutorials.
_IPYTHONDIR = HERE / "_build" / ".ipython"
(_IPYTHONDIR / "profile_default").mkdir(parents=True, exist_ok=True)
(_IPYTHONDIR / "profile_default" / "ipython_kernel_config.py").write_text(
    'c.InlineBackend.figure_formats = {"retina"}\n'
    "c.HistoryManager.enabled = False\n"
    "c.IPKernelApp.log_level = 'ERROR'\n")   # not its notice about TCP, per notebook
os.environ["IPYTHONDIR"] = str(_IPYTHONDIR)
# The tutorials print what ran where; MXNet's own log lines would interleave with it.
os.environ.setdefault("MXNET_STORAGE_FALLBACK_LOG_VERBOSE", "0")

# -- HTML -----------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"MinPy {release}"
html_logo = "_static/minpy-logo.svg"      # a nabla: NumPy code, differentiated
html_favicon = "_static/minpy-logo.svg"
html_static_path = ["_static"]
html_css_files = ["minpy.css"]
templates_path = ["_templates"]
html_show_sourcelink = True
html_copy_source = True
html_sourcelink_suffix = ""          # "Show source" opens the .rst/.md file itself
html_theme_options = {
    "logo": {"text": "MinPy", "alt_text": "MinPy"},
    "navbar_start": ["navbar-logo", "minpy-version"],
    "navbar_end": ["theme-switcher", "navbar-icon-links"],
    "secondary_sidebar_items": ["page-toc", "edit-this-page", "sourcelink"],
    "header_links_before_dropdown": 6,
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
    "pygments_light_style": "tango",
    "pygments_dark_style": "github-dark",
}
html_sidebars = {"index": [], "benchmarks": [], "tutorials/index": []}
# Beside the front page's example: install and where to read on (one screen); every
# other page has its contents and the "Show source" link there.
html_theme_options["secondary_sidebar_items"] = {
    "**": html_theme_options["secondary_sidebar_items"], "index": ["minpy-front"]}
html_context = {"default_mode": "auto"}
# "Edit this page" needs the address of the repository's web view, which this checkout
# does not record: MINPY_DOCS_EDIT_URL=https://host/org/minpy/edit/main/docs turns the
# button on ("Show source" is always there and links the page's source in the build).
if os.environ.get("MINPY_DOCS_EDIT_URL"):
    html_theme_options["use_edit_page_button"] = True
    html_context["edit_page_url_template"] = (
        os.environ["MINPY_DOCS_EDIT_URL"].rstrip("/") + "/{{ file_name }}")
    html_context["edit_page_provider_name"] = "the repository"
