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
from _binrows cimport _bad, _nonfinite, _row_k, _row_k2, _row_k4


cdef int _bin_row(const float32_t *frame, Py_ssize_t h, Py_ssize_t w, Py_ssize_t k,
                  Py_ssize_t oy, float32_t *o, Py_ssize_t wo) noexcept nogil:
    """Output row ``oy`` of one (h, w) frame; 1 if an input it covers is not finite.

    It covers its k input rows, whole (the columns beyond ``wo * k`` too), and,
    for the last output row, the rows beyond ``(h // k) * k``.
    """
    cdef const float32_t *top = frame + oy * k * w
    cdef Py_ssize_t i, ho = h // k, rest = w - wo * k
    cdef int bad
    _row_k(top, w, k, o, wo)
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


cdef int _pyramid_unit(const float32_t *frame, Py_ssize_t h, Py_ssize_t w, Py_ssize_t b,
                       float32_t *o2, Py_ssize_t h2, Py_ssize_t w2,
                       float32_t *o4, Py_ssize_t h4, Py_ssize_t w4) noexcept nogil:
    """Unit ``b`` of one frame: for b < h4 the band of input rows 4b..4b+3
    (output rows 2b, 2b+1 of k = 2 and b of k = 4); b == h4 is the tail (the
    k = 2 row beyond the last band, if any, and every row below). Returns 1
    if an input row it covers holds NaN, infinity or a negative value."""
    cdef const float32_t *top
    cdef Py_ssize_t r0, r
    cdef int bad = 0
    if b < h4:
        top = frame + 4 * b * w
        _row_k2(top, top + w, o2 + 2 * b * w2, w2)
        _row_k2(top + 2 * w, top + 3 * w, o2 + (2 * b + 1) * w2, w2)
        _row_k4(top, top + w, top + 2 * w, top + 3 * w, o4 + b * w4, w4)
        return _bad(top, 4 * w)
    r0 = 4 * h4
    if 2 * h4 < h2:  # one more k = 2 row: input rows 4 h4, 4 h4 + 1
        top = frame + r0 * w
        _row_k2(top, top + w, o2 + 2 * h4 * w2, w2)
    if r0 < h:
        bad = _bad(frame + r0 * w, (h - r0) * w)
    return bad


def bin_mean_2_4(const float32_t[:, :, ::1] images, float32_t[:, :, ::1] out2,
                 float32_t[:, :, ::1] out4, int n_threads=1):
    """k = 2 and k = 4 binning of each image of a stack in one pass.

    Each band of four input rows gives two rows of the k = 2 output and one
    of the k = 4 output while it is in cache, summed exactly as
    :func:`bin_mean` sums them (same loops, same order): the outputs equal
    ``bin_mean(images, 2)`` and ``bin_mean(images, 4)`` bit for bit. The
    same pass tests every input value.

    Parameters
    ----------
    images : (N, H, W) float32, C-contiguous, H and W >= 4
    out2 : (N, H // 2, W // 2) float32, written in place
    out4 : (N, H // 4, W // 4) float32, written in place
    n_threads : int >= 1
        OpenMP threads sharing the bands of all images (static schedule); the
        result does not depend on it.

    Returns
    -------
    bad : bool
        True if any value of ``images`` (dropped rows and columns included)
        is NaN, infinite or negative.
    """
    cdef Py_ssize_t n_img = images.shape[0], h = images.shape[1], w = images.shape[2]
    cdef Py_ssize_t h2 = out2.shape[1], w2 = out2.shape[2], h4 = out4.shape[1], w4 = out4.shape[2]
    cdef Py_ssize_t r, n, b, units = h4 + 1
    cdef int bad = 0
    if n_img == 0:
        return False
    cdef const float32_t *src = &images[0, 0, 0]
    cdef float32_t *d2 = &out2[0, 0, 0]
    cdef float32_t *d4 = &out4[0, 0, 0]
    with nogil:
        for r in prange(n_img * units, schedule="static", num_threads=n_threads):
            n = r // units
            b = r - n * units
            bad |= _pyramid_unit(src + n * h * w, h, w, b, d2 + n * h2 * w2, h2, w2,
                                 d4 + n * h4 * w4, h4, w4)
    return bad != 0
