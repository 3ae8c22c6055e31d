"""Build script: every Cython kernel in ``ext/`` becomes ``analogfe._ext.<name>``.

Compiler directives are set once here for all kernels; the element types
they share are declared once in ``ext/_types.pxd``. Set the environment
variable ``ANALOGFE_BOUNDSCHECK=1`` before building to turn bounds and
wraparound checks back on while hunting a crash.
"""
import os
from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

HERE = Path(__file__).parent
ONLY = [n for n in os.environ.get("ANALOGFE_EXT", "").split(",") if n]
DEBUG = os.environ.get("ANALOGFE_BOUNDSCHECK", "0") not in ("", "0")

COMPILER_DIRECTIVES = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "initializedcheck": DEBUG,
    "cdivision": True,
    "nonecheck": False,
    "embedsignature": True,
}


def _openmp(pyx):
    """-fopenmp for a kernel that uses OpenMP (``cython.parallel``: prange), else nothing."""
    return ["-fopenmp"] if "cython.parallel" in pyx.read_text() else []


# One table of extensions: every ext/*.pyx file is one kernel module.
EXTENSIONS = [
    Extension(
        f"analogfe._ext.{pyx.stem}",
        [str(pyx.relative_to(HERE))],
        include_dirs=[np.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=(["-O3"] if not DEBUG else ["-O0", "-g"]) + _openmp(pyx),
        extra_link_args=_openmp(pyx),
    )
    for pyx in sorted((HERE / "ext").glob("*.pyx"))
    # ANALOGFE_EXT=_hog,_binning builds only the named kernels (a quick rebuild).
    if not ONLY or pyx.stem in ONLY
]

setup(
    # ext/ on the include path: the kernels cimport their shared element types
    # from ext/_types.pxd (``from _types cimport ...``).
    ext_modules=cythonize(EXTENSIONS, compiler_directives=COMPILER_DIRECTIVES,
                          include_path=[str(HERE / "ext")]),
)
