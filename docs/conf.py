"""Sphinx configuration of the analogfe documentation.

Build: ``python -m sphinx -W -b html docs docs/_build/html`` from the
repository root (with the ``docs`` extra installed and the kernels built).
"""
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DOCS / "_ext"))

import analogfe  # noqa: E402

project = "analogfe"
author = "the analogfe developers"
copyright = "the analogfe developers"
version = release = analogfe.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "analogfe_docs",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "generated/*.examples"]
root_doc = "index"

# --- API reference: autosummary of the names listed in api.rst, numpydoc docstrings
autosummary_generate = True
autosummary_ignore_module_all = False  # a module's __all__ says what is public
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # the numpydoc Parameters sections give the types
numpydoc_show_class_members = False  # the class template lists the members once
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# --- the examples as a gallery. They are command-line scripts whose default
# settings train for minutes, so the gallery shows their code and
# docstrings without running them (tests/test_examples.py runs each one).
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "plot_gallery": False,
    "filename_pattern": r"^$",
    "download_all_examples": False,
    "line_numbers": False,
    "remove_config_comments": True,
    "show_signature": False,
    "write_computation_times": False,
}

# --- HTML
html_theme = "pydata_sphinx_theme"
html_title = f"analogfe {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path = ["_static"]
html_css_files = ["analogfe.css"]  # code blocks wrap rather than being cut off on the right
html_show_sourcelink = False

# The module docstrings list the papers a module builds on under References
# without citing each one in their text; numpydoc's unreferenced-citation
# warning says nothing about a broken docstring there.
suppress_warnings = ["ref.citation"]
