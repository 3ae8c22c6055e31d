"""Build script: every Cython kernel in ``ext/`` becomes ``analogfe._ext.<name>``.

Compiler directives are set once here for all kernels; the element types
they share are declared once in ``ext/_types.pxd``. Set the environment
variable ``ANALOGFE_BOUNDSCHECK=1`` before building to turn bounds and
wraparound checks back on while hunting a crash.

The kernels are built for the machine that builds them: on an x86-64 CPU
with AVX2 the compiler may use it (``-mavx2``; 8 float32 lanes instead of 4
in the vectorised loops). No floating-point contraction (FMA) is enabled, so
every result is bit for bit the one of the plain SSE2 build. Set
``ANALOGFE_SIMD=0`` to build for any x86-64 CPU (a binary to be copied to
another machine).
"""
import os
import platform
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


def _simd():
    """["-mavx2"] where the building CPU has AVX2 (x86-64, Linux), unless ANALOGFE_SIMD=0."""
    if os.environ.get("ANALOGFE_SIMD", "1").lower() in ("0", "off", "no", "false"):
        return []
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return []
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    return ["-mavx2"] if " avx2" in flags else []


SIMD = _simd()

# No floating-point traps are ever enabled in Python, so the compiler may turn
# a conditional select of floats (a clip) into branch-free vector code.
# Value-safe: unlike -ffast-math it changes no rounding and no NaN handling.
FP_FLAGS = ["-fno-trapping-math"]


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
        extra_compile_args=(["-O3"] if not DEBUG else ["-O0", "-g"]) + SIMD + FP_FLAGS
        + _openmp(pyx),
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
