# Element types shared by the kernels in ext/ (declared once, cimported by each).
#
# The .pxd sits next to the kernels and is cimported by its bare name
# (``from _types cimport ...``): the kernels are built as analogfe._ext.<name>
# from ext/, so a relative cimport would look for analogfe/_ext/_types.pxd.
# setup.py puts ext/ on cythonize's include path. ctypedefs and inline helpers
# only: no runtime module, nothing is imported at run time.
from libc.stdint cimport uint16_t

# int8: the codes of the log-ratio converters (dx, dy)
ctypedef signed char code_t

# float32: pixels and electrons (images, sensor frames), float32 features
ctypedef float float32_t

# float64: histograms, thresholds, tables, gradients and other double arrays
ctypedef double float64_t

# uint16: raw sensor output in digital numbers
ctypedef uint16_t dn_t

# int32: index tables (the CFA channel map, the HOG bin lookup)
ctypedef int index_t


# Index of a pixel reflected about the edge pixel: d c b | a b c d | c b a
# (the bilinear demosaic of ext/_cfa.pyx and the ISP kernel of ext/_isp.pyx).
cdef inline Py_ssize_t mirror_index(Py_ssize_t i, Py_ssize_t n) noexcept nogil:
    if i < 0:
        return -i
    if i >= n:
        return 2 * n - 2 - i
    return i
