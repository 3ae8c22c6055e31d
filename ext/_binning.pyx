"""k x k charge binning: the mean of each k x k block of pixels.

Kernel behind :func:`analogfe.frontend.bin_image`. Inputs are trusted
(validated by the caller). float32 in, float64 accumulation (a block of up to
thousands of values summed in float32 would lose the low bits), float32 out.
The sum of each block runs in row-major order within the block (row ``i``
outer, column ``j`` inner); the numpy reference in ``tests/`` sums in the same
order, so the two agree bit for bit.
"""
from libc.stdlib cimport malloc, free

from _types cimport float32_t


cdef int _bin_plane(const float32_t[:, ::1] image,  # IN  (H, W)
                    Py_ssize_t k,
                    float32_t[:, ::1] out,          # OUT (H // k, W // k)
                    double *acc) noexcept nogil:    # scratch, W // k doubles
    cdef Py_ssize_t ho = out.shape[0], wo = out.shape[1]
    cdef Py_ssize_t oy, ox, i, j, y
    cdef double n_pix = <double>(k * k)
    cdef const float32_t *row
    for oy in range(ho):
        for ox in range(wo):
            acc[ox] = 0.0
        for i in range(k):
            y = oy * k + i
            row = &image[y, 0]
            for ox in range(wo):
                for j in range(k):
                    acc[ox] += <double>row[ox * k + j]
        for ox in range(wo):
            out[oy, ox] = <float32_t>(acc[ox] / n_pix)
    return 0


def bin_mean(const float32_t[:, :, ::1] images, Py_ssize_t k, float32_t[:, :, ::1] out):
    """Mean of every k x k block of each image of a stack.

    Parameters
    ----------
    images : (N, H, W) float32, C-contiguous
    k : int >= 1
    out : (N, H // k, W // k) float32, C-contiguous, written in place
    """
    cdef Py_ssize_t n
    cdef double *acc = <double *>malloc(max(out.shape[2], 1) * sizeof(double))
    if acc == NULL:
        raise MemoryError()
    try:
        with nogil:
            for n in range(images.shape[0]):
                _bin_plane(images[n], k, out[n], acc)
    finally:
        free(acc)
