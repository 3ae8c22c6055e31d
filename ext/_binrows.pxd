# Row helpers of the binning kernels (inline, no runtime module): cimported by
# ext/_binning.pyx and by the fused binning + conversion of ext/_pyramid.pyx,
# so both bin every block with the same loops, in the same order (bit for bit).
#
# float32 in, float64 accumulation, float32 out; each output sums its block
# from 0.0 in row-major order (row i outer, column j inner), then divides by
# k * k in float64.
from _types cimport float32_t


cdef inline int _nonfinite(const float32_t *p, Py_ssize_t n) noexcept nogil:
    """1 if any of p[0:n] is NaN or +-infinity (x - x is 0 for finite x, else NaN)."""
    cdef Py_ssize_t i
    cdef int bad = 0
    cdef float32_t zero = 0.0  # compared in float32 (a double 0.0 would convert every value)
    for i in range(n):
        bad |= (p[i] - p[i]) != zero
    return bad


cdef inline void _row_k2(const float32_t *r0, const float32_t *r1,
                         float32_t *o, Py_ssize_t wo) noexcept nogil:
    cdef Py_ssize_t x
    cdef double a
    for x in range(wo):
        a = 0.0 + <double>r0[2 * x]
        a = a + <double>r0[2 * x + 1]
        a = a + <double>r1[2 * x]
        a = a + <double>r1[2 * x + 1]
        o[x] = <float32_t>(a / 4.0)


cdef inline void _row_k4(const float32_t *r0, const float32_t *r1,
                         const float32_t *r2, const float32_t *r3,
                         float32_t *o, Py_ssize_t wo) noexcept nogil:
    cdef Py_ssize_t x
    cdef double a
    for x in range(wo):
        a = 0.0 + <double>r0[4 * x]
        a = a + <double>r0[4 * x + 1]
        a = a + <double>r0[4 * x + 2]
        a = a + <double>r0[4 * x + 3]
        a = a + <double>r1[4 * x]
        a = a + <double>r1[4 * x + 1]
        a = a + <double>r1[4 * x + 2]
        a = a + <double>r1[4 * x + 3]
        a = a + <double>r2[4 * x]
        a = a + <double>r2[4 * x + 1]
        a = a + <double>r2[4 * x + 2]
        a = a + <double>r2[4 * x + 3]
        a = a + <double>r3[4 * x]
        a = a + <double>r3[4 * x + 1]
        a = a + <double>r3[4 * x + 2]
        a = a + <double>r3[4 * x + 3]
        o[x] = <float32_t>(a / 16.0)


cdef inline void _row_any(const float32_t *top, Py_ssize_t w, Py_ssize_t k,
                          float32_t *o, Py_ssize_t wo) noexcept nogil:
    """General k: ``top`` is the first of the k input rows, ``w`` the row stride."""
    cdef Py_ssize_t x, i, j
    cdef double a
    cdef double n_pix = <double>(k * k)
    cdef const float32_t *p
    for x in range(wo):
        a = 0.0
        for i in range(k):
            p = top + i * w + x * k
            for j in range(k):
                a = a + <double>p[j]
        o[x] = <float32_t>(a / n_pix)


cdef inline int _bad(const float32_t *p, Py_ssize_t n) noexcept nogil:
    """1 if any of p[0:n] is NaN, infinite or negative: a value is good when
    it is at least 0 (false for NaN and below 0; -0.0 passes) and at most
    the largest finite float32 (false for +infinity)."""
    cdef Py_ssize_t i
    cdef int bad = 0
    cdef float32_t zero = 0.0, top = 3.4028234663852886e38  # FLT_MAX
    for i in range(n):
        bad |= (not (p[i] >= zero)) | (p[i] > top)
    return bad


cdef inline void _row_k(const float32_t *top, Py_ssize_t stride, Py_ssize_t k,
                        float32_t *o, Py_ssize_t wo) noexcept nogil:
    """One binned row of ``wo`` blocks from its ``k`` source rows (the first
    at ``top``, the next ``stride`` values on): the loop of k = 2 or 4, else
    the general one."""
    if k == 2:
        _row_k2(top, top + stride, o, wo)
    elif k == 4:
        _row_k4(top, top + stride, top + 2 * stride, top + 3 * stride, o, wo)
    else:
        _row_any(top, stride, k, o, wo)
