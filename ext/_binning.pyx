"""k x k charge binning: the mean of each k x k block of pixels.

Kernel behind :func:`analogfe.frontend.bin_image`. Inputs are trusted
(validated by the caller). float32 in, float64 accumulation (a block of up to
thousands of values summed in float32 would lose the low bits), float32 out.
The sum of each block starts at 0.0 and runs in row-major order within the
block (row ``i`` outer, column ``j`` inner); the numpy reference in ``tests/``
sums in the same order, so the two agree bit for bit. The mean is the sum
divided by ``k * k`` in float64, then stored as float32.

Each output row is computed by one thread, from its own k input rows, in the
same order whatever the thread count: the result does not depend on
``n_threads``. k = 2 and k = 4 have loops of their own (the compiler
vectorises them across output columns; every output still sums its block in
the order above); other k take the general loop.

The kernel also reports whether any input value, including the rows and
columns dropped beyond a multiple of ``k``, is NaN or infinite, so the caller
need not scan the image a second time: a block sum in float64 of finite
float32 values is finite, and so is its mean rounded to float32 (it is at
most the largest magnitude in the block), so a non-finite output marks a
non-finite input.
"""
from cython.parallel cimport prange

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


cdef int _bin_row(const float32_t *frame, Py_ssize_t h, Py_ssize_t w, Py_ssize_t k,
                  Py_ssize_t oy, float32_t *o, Py_ssize_t wo) noexcept nogil:
    """Output row ``oy`` of one (h, w) frame; 1 if an input it covers is not finite.

    It covers its k input rows, whole (the columns beyond ``wo * k`` too), and,
    for the last output row, the rows beyond ``(h // k) * k``.
    """
    cdef const float32_t *top = frame + oy * k * w
    cdef Py_ssize_t i, ho = h // k, rest = w - wo * k
    cdef int bad
    if k == 2:
        _row_k2(top, top + w, o, wo)
    elif k == 4:
        _row_k4(top, top + w, top + 2 * w, top + 3 * w, o, wo)
    else:
        _row_any(top, w, k, o, wo)
    bad = _nonfinite(o, wo)
    if rest:
        for i in range(k):
            bad |= _nonfinite(top + i * w + wo * k, rest)
    if oy == ho - 1 and h > ho * k:
        bad |= _nonfinite(frame + ho * k * w, (h - ho * k) * w)
    return bad


def bin_mean(const float32_t[:, :, ::1] images, Py_ssize_t k, float32_t[:, :, ::1] out,
             int n_threads=1):
    """Mean of every k x k block of each image of a stack.

    Parameters
    ----------
    images : (N, H, W) float32, C-contiguous
    k : int >= 1, at most H and W
    out : (N, H // k, W // k) float32, C-contiguous, written in place
    n_threads : int >= 1
        OpenMP threads; the output rows of all images are shared among them
        in equal contiguous parts (static schedule). The result does not
        depend on it.

    Returns
    -------
    nonfinite : bool
        True if any value of ``images`` (dropped rows and columns included)
        is NaN or infinite.
    """
    cdef Py_ssize_t n_img = images.shape[0], h = images.shape[1], w = images.shape[2]
    cdef Py_ssize_t ho = out.shape[1], wo = out.shape[2]
    cdef Py_ssize_t r, n, oy
    cdef int bad = 0
    if n_img == 0 or ho == 0 or wo == 0:
        return False
    cdef const float32_t *src = &images[0, 0, 0]
    cdef float32_t *dst = &out[0, 0, 0]
    with nogil:
        for r in prange(n_img * ho, schedule="static", num_threads=n_threads):
            n = r // ho
            oy = r - n * ho
            bad |= _bin_row(src + n * h * w, h, w, k, oy, dst + r * wo, wo)
    return bad != 0
