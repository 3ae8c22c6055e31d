"""Bayer colour filter array kernels: mosaic and bilinear demosaic.

The Python wrappers in ``analogfe.isp`` validate the input; these kernels
trust it (contiguous float32, a (2, 2) int32 channel map with values 0..2,
demosaic input at least 2x2) and write into caller-allocated outputs.
"""
from _types cimport float32_t, index_t, mirror_index


def mosaic(const float32_t[:, :, ::1] rgb,  # IN  (H, W, 3) linear RGB
           const index_t[:, ::1] cfa,       # IN  (2, 2) channel of each tile site
           float32_t[:, ::1] out):          # OUT (H, W) mosaic
    cdef Py_ssize_t h = rgb.shape[0], w = rgb.shape[1], y, x
    with nogil:
        for y in range(h):
            for x in range(w):
                out[y, x] = rgb[y, x, cfa[y & 1, x & 1]]


def demosaic_bilinear(const float32_t[:, ::1] raw,   # IN  (H, W) mosaic, H, W >= 2
                      const index_t[:, ::1] cfa,     # IN  (2, 2) channel map
                      float32_t[:, :, ::1] out):     # OUT (H, W, 3)
    """Normalised 3x3 convolution with weights [[1,2,1],[2,4,2],[1,2,1]] per
    colour, sums in double in row-major window order; known samples kept."""
    cdef Py_ssize_t h = raw.shape[0], w = raw.shape[1]
    cdef Py_ssize_t y, x, dy, dx, yy, xx
    cdef int c, cc, wgt
    cdef double num[3]
    cdef double den[3]
    with nogil:
        for y in range(h):
            for x in range(w):
                for c in range(3):
                    num[c] = 0.0
                    den[c] = 0.0
                for dy in range(-1, 2):
                    yy = mirror_index(y + dy, h)
                    for dx in range(-1, 2):
                        xx = mirror_index(x + dx, w)
                        wgt = (2 - (dy if dy >= 0 else -dy)) * (2 - (dx if dx >= 0 else -dx))
                        cc = cfa[yy & 1, xx & 1]
                        num[cc] += wgt * <double>raw[yy, xx]
                        den[cc] += wgt
                cc = cfa[y & 1, x & 1]
                for c in range(3):
                    if c == cc:
                        out[y, x, c] = raw[y, x]
                    else:
                        out[y, x, c] = <float32_t>(num[c] / den[c])
