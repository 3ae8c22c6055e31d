"""The minimal ISP fused in one pass: DN -> 8-bit sRGB or gray.

Kernels behind :func:`analogfe.frontend.process`, which validates the input
and builds the tables; these kernels trust it: contiguous arrays, frames at
least 2x2 for a Bayer sensor, a (2, 2) int32 Bayer channel map, a gamma table
built by ``analogfe.frontend.isp._gamma_table``.

Each step repeats the arithmetic of the numpy ISP it replaces (kept in
``tests/reference_isp.py``), only without its temporaries:

* normalise and white balance in float32, as numpy does on float32 arrays:
  ``clip(clip((dn - black) / span, 0, 1) * wb[site], 0, 1)``;
* bilinear demosaic exactly as ``ext/_cfa.pyx`` computes it (weights
  [[1,2,1],[2,4,2],[1,2,1]], mirrored edges, sums in double in row-major
  window order, the mean stored as float32, known samples kept): with the
  Bayer layout every window has fixed weights, so the sums are written out
  per site (halving the weights of a window changes no rounding);
* colour matrix, clip, digital gain, clip in double (``rgb @ ccm.T``; the
  luminance of ``output="gray"`` is stored as float32 like ``rgb_to_gray``);
* sRGB gamma and rounding to 8 bits through a threshold table instead of
  ``pow``: the linear range [0, 1] is cut into ``n_cells`` equal cells (a
  power of two, so ``v * n_cells`` is exact), ``base[i]`` is the code at the
  start of cell ``i`` and ``thr[i]`` the one threshold inside it where the
  code steps up (2.0 if none). The code of ``v`` is
  ``base[i] + (v >= thr[i])``: the thresholds are the exact switching points
  of the numpy rounding, so the table adds no error of its own.

Only the order of the three products of the colour matrix may differ from
numpy's matrix product (BLAS), by an ulp of a double; the output is then
within 1 DN of the numpy ISP and equal to it almost everywhere.

Work is shared in row blocks of ``block_rows`` rows of every frame of the
stack (one task each, static schedule); a block computes its own halo rows,
so the output does not depend on ``n_threads``. Each thread has three
scratch rows of balanced values (rows ``y - 1``, ``y``, ``y + 1``, in slot
``row % 3``), padded by one mirrored column on each side.
"""
from cython.parallel cimport parallel, prange
from libc.stdlib cimport free, malloc

from _types cimport dn_t, float32_t, float64_t, index_t, mirror_index

ctypedef unsigned char uint8_t

# Raw input: uint16 DN, or float32 (other integer dtypes, converted by the caller).
ctypedef fused raw_t:
    dn_t
    float32_t


cdef extern from *:
    """
    /* v clipped to [0, 1] without branches: the clips of random-looking
       pixels are unpredictable. SSE2's maxsd / minsd (a NaN gives 0);
       compilers keep C conditionals as branches here. */
    #if defined(__SSE2__)
    #include <emmintrin.h>
    static inline double afe_isp_clip01(double v) {
        __m128d x = _mm_max_sd(_mm_set_sd(v), _mm_setzero_pd());
        return _mm_cvtsd_f64(_mm_min_sd(x, _mm_set_sd(1.0)));
    }
    static inline float afe_isp_clip01f(float v) {
        __m128 x = _mm_max_ss(_mm_set_ss(v), _mm_setzero_ps());
        return _mm_cvtss_f32(_mm_min_ss(x, _mm_set_ss(1.0f)));
    }
    #else
    static inline double afe_isp_clip01(double v) {
        v = v > 0.0 ? v : 0.0;
        return v < 1.0 ? v : 1.0;
    }
    static inline float afe_isp_clip01f(float v) {
        v = v > 0.0f ? v : 0.0f;
        return v < 1.0f ? v : 1.0f;
    }
    #endif
    """
    double _clip01 "afe_isp_clip01"(double v) noexcept nogil
    float32_t _clip01f "afe_isp_clip01f"(float32_t v) noexcept nogil


#: Pixels of a row segment carried through demosaic, colour matrix and gamma
#: together (even, to keep the Bayer phase; its scratch, 36 bytes a pixel,
#: stays in the L1 cache).
cdef enum:
    SEGMENT = 256


cdef inline uint8_t _code(double v, const uint8_t *base, const float64_t *thr,
                          double n_cells) noexcept nogil:
    """8-bit sRGB code of a linear value in [0, 1]."""
    cdef Py_ssize_t i = <Py_ssize_t>(v * n_cells)
    return base[i] + (v >= thr[i])


cdef void _balance_row(const raw_t *src, Py_ssize_t w, const float32_t *gains,
                       float32_t black, float32_t span, float32_t *dst) noexcept nogil:
    """One mosaic row -> balanced float32 ``clip(clip((v - black) / span, 0, 1) *
    gains[x], 0, 1)`` at dst[1 : w + 1]; dst[0], dst[w + 1] mirrored. Selects,
    no branches: the compiler vectorises the loop."""
    cdef Py_ssize_t x
    cdef float32_t v, zero = 0.0, one = 1.0
    for x in range(w):
        v = (<float32_t>src[x] - black) / span
        v = v if v > zero else zero
        v = (v if v < one else one) * gains[x]
        v = v if v > zero else zero
        dst[1 + x] = v if v < one else one
    dst[0] = dst[2]
    dst[w + 1] = dst[w - 1]


cdef void _demosaic_row(const float32_t *up, const float32_t *cen, const float32_t *down,
                        Py_ssize_t w, Py_ssize_t gx, Py_ssize_t ca,
                        float32_t *rgb) noexcept nogil:
    """One row of the bilinear demosaic into planar rows rgb[c * w + x].

    ``up``, ``cen``, ``down``: balanced rows y - 1, y, y + 1 (index -1 and w
    valid: mirrored). ``gx``: parity of the green columns of this row;
    ``ca``: the other colour of this row (0 red, 2 blue), ``2 - ca`` the
    colour of the rows above and below. At a green site, ``ca`` is the mean
    of left and right, ``2 - ca`` of up and down; at a ``ca`` site, green is
    the mean of the 4 neighbours and ``2 - ca`` of the 4 diagonals; sums in
    double in row-major window order, as ``ext/_cfa.pyx``.
    """
    cdef Py_ssize_t x
    cdef float32_t *pa = rgb + ca * w
    cdef float32_t *pg = rgb + w
    cdef float32_t *pb = rgb + (2 - ca) * w
    for x in range(gx, w, 2):  # green sites
        pg[x] = cen[x]
        pa[x] = <float32_t>((<double>cen[x - 1] + <double>cen[x + 1]) * 0.5)
        pb[x] = <float32_t>((<double>up[x] + <double>down[x]) * 0.5)
    for x in range(1 - gx, w, 2):  # red or blue sites
        pa[x] = cen[x]
        pg[x] = <float32_t>((((<double>up[x] + <double>cen[x - 1])
                              + <double>cen[x + 1]) + <double>down[x]) * 0.25)
        pb[x] = <float32_t>((((<double>up[x - 1] + <double>up[x + 1])
                              + <double>down[x - 1]) + <double>down[x + 1]) * 0.25)


cdef void _linear_row(float32_t *rgb, Py_ssize_t w, const float64_t *m,
                      double gain, double *lin) noexcept nogil:
    """Planar camera RGB row -> colour matrix, clip, gain, clip -> planar linear
    sRGB ``lin[c * w + x]`` in [0, 1]. Branch-free selects, so that the
    compiler vectorises the loop."""
    cdef Py_ssize_t x
    cdef double r, g, b, c0, c1, c2
    cdef double m0 = m[0], m1 = m[1], m2 = m[2], m3 = m[3], m4 = m[4], m5 = m[5]
    cdef double m6 = m[6], m7 = m[7], m8 = m[8]
    for x in range(w):
        r = rgb[x]
        g = rgb[w + x]
        b = rgb[2 * w + x]
        c0 = r * m0 + g * m1 + b * m2
        c1 = r * m3 + g * m4 + b * m5
        c2 = r * m6 + g * m7 + b * m8
        c0 = c0 if c0 > 0.0 else 0.0
        c1 = c1 if c1 > 0.0 else 0.0
        c2 = c2 if c2 > 0.0 else 0.0
        c0 = (c0 if c0 < 1.0 else 1.0) * gain
        c1 = (c1 if c1 < 1.0 else 1.0) * gain
        c2 = (c2 if c2 < 1.0 else 1.0) * gain
        lin[x] = c0 if c0 < 1.0 else 1.0
        lin[w + x] = c1 if c1 < 1.0 else 1.0
        lin[2 * w + x] = c2 if c2 < 1.0 else 1.0


cdef void _rgb_row(const double *lin, Py_ssize_t w, const uint8_t *base,
                   const float64_t *thr, double n_cells, uint8_t *o) noexcept nogil:
    """Planar linear sRGB row in [0, 1] -> 8-bit sRGB (w, 3)."""
    cdef Py_ssize_t x
    for x in range(w):
        o[3 * x] = _code(lin[x], base, thr, n_cells)
        o[3 * x + 1] = _code(lin[w + x], base, thr, n_cells)
        o[3 * x + 2] = _code(lin[2 * w + x], base, thr, n_cells)


cdef void _gray_row(double *lin, Py_ssize_t w, const float64_t *luma, const uint8_t *base,
                    const float64_t *thr, double n_cells, uint8_t *o) noexcept nogil:
    """Planar linear sRGB row in [0, 1] -> luminance stored as float32
    (``rgb_to_gray``), clipped -> 8-bit sRGB gray (w,)."""
    cdef Py_ssize_t x
    cdef double l0 = luma[0], l1 = luma[1], l2 = luma[2], v
    for x in range(w):
        v = <float32_t>(lin[x] * l0 + lin[w + x] * l1 + lin[2 * w + x] * l2)
        lin[x] = v if v < 1.0 else 1.0
    for x in range(w):
        o[x] = _code(lin[x], base, thr, n_cells)


cdef void _bayer_block(const raw_t *frame, Py_ssize_t h, Py_ssize_t w, Py_ssize_t r0,
                       Py_ssize_t r1, const index_t *cfa, const float32_t *wb,
                       float32_t black, float32_t span, const float64_t *m, double gain,
                       bint gray, const float64_t *luma, const uint8_t *base,
                       const float64_t *thr, double n_cells, float32_t *scratch,
                       uint8_t *out) noexcept nogil:
    """Output rows [r0, r1) of one frame. ``scratch``: the planar linear
    (double) and demosaicked RGB of one row segment, 3 balanced rows of
    w + 2 (slot ``row % 3``), 2 rows of w white-balance gains. Each row goes
    through demosaic, colour matrix and gamma in segments of SEGMENT pixels."""
    cdef Py_ssize_t y, yy, py, gx, ca, k, x, n, pw = w + 2, seg = SEGMENT
    cdef const float32_t *up
    cdef const float32_t *cen
    cdef const float32_t *down
    cdef Py_ssize_t step = w if gray else 3 * w
    cdef double *lin = <double *>scratch  # first: malloc's alignment
    cdef float32_t *rgb = <float32_t *>(lin + 3 * SEGMENT)
    cdef float32_t *rows = rgb + 3 * SEGMENT
    cdef float32_t *gains = rows + 3 * pw
    for py in range(2):  # white-balance gain of every column, even and odd rows
        for x in range(w):
            gains[py * w + x] = wb[cfa[2 * py + (x & 1)]]
    for yy in range(r0 - 1 if r0 > 0 else 0, (r0 + 2) if r0 + 2 < h else h):
        _balance_row(frame + yy * w, w, gains + (yy & 1) * w, black, span,
                     rows + (yy % 3) * pw)
    for y in range(r0, r1):
        if y > r0 and y + 1 < h:
            yy = y + 1
            _balance_row(frame + yy * w, w, gains + (yy & 1) * w, black, span,
                         rows + (yy % 3) * pw)
        py = y & 1
        gx = 0 if cfa[2 * py] == 1 else 1
        up = rows + (mirror_index(y - 1, h) % 3) * pw + 1
        cen = rows + (y % 3) * pw + 1
        down = rows + (mirror_index(y + 1, h) % 3) * pw + 1
        ca = cfa[2 * py + 1 - gx]
        for k in range((w + seg - 1) // seg):
            x = k * seg
            n = w - x if w - x < seg else seg
            _demosaic_row(up + x, cen + x, down + x, n, gx, ca, rgb)
            _linear_row(rgb, n, m, gain, lin)
            if gray:
                _gray_row(lin, n, luma, base, thr, n_cells, out + y * step + x)
            else:
                _rgb_row(lin, n, base, thr, n_cells, out + y * step + 3 * x)


def process_bayer(const raw_t[:, :, ::1] dn,       # IN  (N, H, W) mosaic, H, W >= 2
                  const index_t[:, ::1] cfa,       # IN  (2, 2) Bayer channel map
                  const float32_t[::1] wb,         # IN  (3,) white-balance gains
                  float32_t black, float32_t span,
                  const float64_t[:, ::1] ccm,     # IN  (3, 3) camera RGB -> linear sRGB
                  double gain,
                  const float64_t[::1] luma,       # IN  (3,) luminance weights
                  const uint8_t[::1] base,         # IN  (n_cells + 1,) gamma table codes
                  const float64_t[::1] thr,        # IN  (n_cells + 1,) gamma table thresholds
                  uint8_t[:, :, ::1] out,          # OUT (N, H, W * 3) RGB or (N, H, W) gray
                  bint gray, Py_ssize_t block_rows, int n_threads):
    """Bayer DN -> 8-bit sRGB (or gray) of a stack; rows shared in blocks."""
    cdef Py_ssize_t n_img = dn.shape[0], h = dn.shape[1], w = dn.shape[2]
    cdef Py_ssize_t n_blocks = (h + block_rows - 1) // block_rows
    cdef Py_ssize_t t, i, r0, r1
    cdef double n_cells = <double>(base.shape[0] - 1)
    cdef float32_t *scratch = NULL  # set per thread in the parallel block
    if n_img == 0:
        return
    cdef const raw_t *src = &dn[0, 0, 0]
    cdef uint8_t *dst = &out[0, 0, 0]
    cdef Py_ssize_t out_frame = out.shape[1] * out.shape[2]
    with nogil, parallel(num_threads=n_threads):
        scratch = <float32_t *>malloc((3 * (w + 2) + 3 * SEGMENT + 2 * w) * sizeof(float32_t)
                                      + 3 * SEGMENT * sizeof(double))
        for t in prange(n_img * n_blocks, schedule="static"):
            if scratch == NULL:
                with gil:
                    raise MemoryError("process: no memory for the scratch rows")
            i = t // n_blocks
            r0 = (t - i * n_blocks) * block_rows
            r1 = r0 + block_rows if r0 + block_rows < h else h
            _bayer_block(src + i * h * w, h, w, r0, r1, &cfa[0, 0], &wb[0], black, span,
                         &ccm[0, 0], gain, gray, &luma[0], &base[0], &thr[0], n_cells,
                         scratch, dst + i * out_frame)
        free(scratch)


def process_mono(const raw_t[:, :, ::1] dn,        # IN  (N, H, W) DN
                 float32_t black, float32_t span, float32_t gain,
                 const uint8_t[::1] base,          # IN  (n_cells + 1,) gamma table codes
                 const float64_t[::1] thr,         # IN  (n_cells + 1,) gamma table thresholds
                 uint8_t[:, :, ::1] out,           # OUT (N, H, W * channels)
                 Py_ssize_t channels, int n_threads):
    """Monochrome DN -> 8-bit sRGB gray, repeated in ``channels`` (1 or 3).

    float32 ``clip((dn - black) / span, 0, 1) * gain``, then the gamma
    table; rows shared among the threads.
    """
    cdef Py_ssize_t n_img = dn.shape[0], h = dn.shape[1], w = dn.shape[2]
    cdef Py_ssize_t r, x, c
    cdef float32_t v
    cdef uint8_t code
    cdef double n_cells = <double>(base.shape[0] - 1)
    if n_img == 0 or h == 0 or w == 0:
        return
    cdef const raw_t *src = &dn[0, 0, 0]
    cdef uint8_t *dst = &out[0, 0, 0]
    with nogil:
        for r in prange(n_img * h, schedule="static", num_threads=n_threads):
            for x in range(w):
                v = _clip01f((<float32_t>src[r * w + x] - black) / span) * gain
                # NaN (an infinite gain at 0) gives 0, as numpy's cast to uint8 does
                code = _code(_clip01(<double>v), &base[0], &thr[0], n_cells)
                for c in range(channels):
                    dst[(r * w + x) * channels + c] = code
