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
within 1 DN of the numpy ISP and equal to it almost everywhere. That is the
exact path (``afe_isp_pixel``, one pixel at a time).

Where the build has AVX2, a row goes through a fast path first, 8 pixels at
a time in float32 (``afe_isp_row``): the demosaic's means in float32, the
colour matrix, clips and gain in float32, and the sRGB curve computed (no
table): ``v**(5/12) = 2**(5 e / 12) * m**(5/12)`` for ``v = 2**e * m``, a
table of the 10 powers of two and a degree-6 polynomial in ``m - 1.5``. Its
error is bounded, and a code is kept only where the bound settles it; the
others are recomputed by the exact path, so the bytes are the exact path's:

* a linear value strays by at most ``eps = 2 (gain (9 A + 1) + 2) u`` (u =
  2**-24, A the largest sum of |entries| of a row of the colour matrix): a
  mean of four samples in float32 by under 4 u, each product by the
  rounding of the matrix entry, its input's error and its own rounding,
  the two sums by u A each, the gain's rounding and product; doubled. The
  luminance adds 10 u (weights, products and sums in float32, and numpy's
  float32 storage). A gain that makes ``eps`` reach 1e-4 takes the exact
  path for the whole row;
* the code is ``floor(d)``, ``d = 255 srgb(v) + 0.5``; computed here in
  float32 (the constants folded: ``269.025 v**(5/12) - 13.525``, and
  ``3294.6 v + 0.5`` below the knee) it strays from the float64 value by
  at most 8.0e-5 over every float32 ``v`` in [0, 1] (checked exhaustively),
  and numpy's float32 rounding of its own ``d`` by at most 766 u = 4.6e-5;
  the bound takes ``255 * 1.5e-6 + 4 * 766 u`` = 5.6e-4 for both;
* a code is kept where ``d`` lies farther from an integer than that plus
  ``255 * slope * eps``, with ``slope`` the curve's steepest slope over the
  octave of ``v`` plus 5% (which also covers ``eps`` around ``v``, eps <
  1e-4). Near the knee ``v`` and the exact value may lie on either side:
  the two branches differ there by 2.9e-8 plus 0.22 times the distance
  to the knee, within the slack of the octave's slope (13.34 against
  12.92). On the benchmark's VGA scene 0.5% of the pixels have a code
  recomputed for rgb, 0.2% for gray (5e-3 and 2.5e-3 on random 12-bit
  mosaics; the share grows with the gain: 3.6% for gray at gain 4).

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

    /* ---- one row of the fused ISP (demosaic, colour matrix, gamma, 8 bits) ----

       afe_isp_pixel: one pixel x of a row exactly as the numpy ISP computes
       it (balanced rows up, cen, down, index -1 and n valid): the bilinear
       demosaic of ext/_cfa.pyx (sums in double in row-major window order,
       stored as float32), the colour matrix, clip, digital gain and clip in
       double, the luminance stored as float32 for gray, and the gamma table.
       gx: parity of the green columns; ca: the colour of the other sites of
       the row (0 red, 2 blue), 2 - ca the colour of the rows above and below.

       afe_isp_row: a whole row. With AVX2, 8 pixels at a time in float32 (a
       fast path that may stray from those values by a bounded amount), and
       every code whose value lies too near a step of the 8-bit sRGB curve
       for that bound to settle it is recomputed by afe_isp_pixel: the bytes
       are those of afe_isp_pixel everywhere. The bound (the module docstring
       derives it): eps, the largest error of a linear value (colour matrix,
       clip, gain, clip; the luminance for gray), and the float32 power
       curve's own error; a code is kept when 255 * srgb + 0.5 lies farther
       than 255 * (curve error + slope * eps) plus the rounding of both
       sides from an integer. */
    static inline unsigned char afe_isp_code(double v, const unsigned char *base,
                                             const double *thr, double n_cells) {
        long i = (long)(v * n_cells);
        return (unsigned char)(base[i] + (v >= thr[i]));
    }
    static void afe_isp_pixel(const float *up, const float *cen, const float *down, long x,
                              int gx, int ca, const double *m, double gain, int gray,
                              const double *luma, const unsigned char *base,
                              const double *thr, double n_cells, unsigned char *o) {
        float c[3];
        double c0, c1, c2, v;
        if ((x & 1) == gx) {  /* green site */
            c[1] = cen[x];
            c[ca] = (float)(((double)cen[x - 1] + (double)cen[x + 1]) * 0.5);
            c[2 - ca] = (float)(((double)up[x] + (double)down[x]) * 0.5);
        } else {
            c[ca] = cen[x];
            c[1] = (float)(((((double)up[x] + (double)cen[x - 1]) + (double)cen[x + 1])
                            + (double)down[x]) * 0.25);
            c[2 - ca] = (float)(((((double)up[x - 1] + (double)up[x + 1])
                                  + (double)down[x - 1]) + (double)down[x + 1]) * 0.25);
        }
        c0 = (double)c[0] * m[0] + (double)c[1] * m[1] + (double)c[2] * m[2];
        c1 = (double)c[0] * m[3] + (double)c[1] * m[4] + (double)c[2] * m[5];
        c2 = (double)c[0] * m[6] + (double)c[1] * m[7] + (double)c[2] * m[8];
        c0 = afe_isp_clip01(afe_isp_clip01(c0) * gain);
        c1 = afe_isp_clip01(afe_isp_clip01(c1) * gain);
        c2 = afe_isp_clip01(afe_isp_clip01(c2) * gain);
        if (gray) {
            v = (float)(c0 * luma[0] + c1 * luma[1] + c2 * luma[2]);
            o[x] = afe_isp_code(v < 1.0 ? v : 1.0, base, thr, n_cells);
        } else {
            o[3 * x] = afe_isp_code(c0, base, thr, n_cells);
            o[3 * x + 1] = afe_isp_code(c1, base, thr, n_cells);
            o[3 * x + 2] = afe_isp_code(c2, base, thr, n_cells);
        }
    }
    #if defined(__AVX2__)
    #include <immintrin.h>
    #include <math.h>
    #include <string.h>
    #define AFE_U (1.0 / 16777216.0)  /* 2**-24: half an ulp of 1 in float32 */
    /* a bound on the error of the float32 curve below (degree-6 polynomial,
       the table of 2**(5 e / 12), constants and roundings), per unit of
       srgb: 3.1e-7 at most over every float32 in [0, 1], about 5x */
    #define AFE_CURVE_ERR 1.5e-6
    static inline __m256 afe_isp_clip8(__m256 v) {
        return _mm256_min_ps(_mm256_max_ps(v, _mm256_setzero_ps()), _mm256_set1_ps(1.0f));
    }
    /* 8 linear values v (float32, [0, 1]) -> 8-bit codes (int32), and the
       lanes whose code the bound does not settle (all bits set) in *unsure */
    static inline __m256i afe_isp_codes8(__m256 v, __m256 limlo, __m256 limhi,
                                         __m256 *unsure) {
        /* srgb = 1.055 v**(1/2.4) - 0.055, v = 2**e * m, m in [1, 2):
           v**(5/12) = 2**(5 e / 12) * m**(5/12), e in [-9, 0] where used
           (table by e + 9, clamped), m**(5/12) a polynomial in m - 1.5 */
        const __m256 p2lo = _mm256_setr_ps(0.07432544468767006f, 0.0992125657480125f,
            0.13243288803315136f, 0.17677669529663687f, 0.23596855813224087f,
            0.31498026247371826f, 0.42044820762685725f, 0.5612310241546865f);
        const __m256 p2hi = _mm256_setr_ps(0.7491535384383408f, 1.0f, 1.0f, 1.0f,
                                           1.0f, 1.0f, 1.0f, 1.0f);
        __m256i bits = _mm256_castps_si256(v);
        __m256i e = _mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(127 - 9));
        e = _mm256_max_epi32(e, _mm256_setzero_si256());  /* v <= 1: e <= 9 */
        __m256 hi = _mm256_castsi256_ps(_mm256_cmpgt_epi32(e, _mm256_set1_epi32(7)));
        __m256 t = _mm256_sub_ps(_mm256_castsi256_ps(_mm256_or_si256(
            _mm256_and_si256(bits, _mm256_set1_epi32(0x007FFFFF)),
            _mm256_set1_epi32(0x3F800000))), _mm256_set1_ps(1.5f));
        __m256 q = _mm256_set1_ps(-0.0026915257330983877f);
        q = _mm256_add_ps(_mm256_mul_ps(q, t), _mm256_set1_ps(0.005235440097749233f));
        q = _mm256_add_ps(_mm256_mul_ps(q, t), _mm256_set1_ps(-0.009645350277423859f));
        q = _mm256_add_ps(_mm256_mul_ps(q, t), _mm256_set1_ps(0.02242407575249672f));
        q = _mm256_add_ps(_mm256_mul_ps(q, t), _mm256_set1_ps(-0.06395487487316132f));
        q = _mm256_add_ps(_mm256_mul_ps(q, t), _mm256_set1_ps(0.32890623807907104f));
        q = _mm256_add_ps(_mm256_mul_ps(q, t), _mm256_set1_ps(1.1840535402297974f));
        __m256 p = _mm256_mul_ps(q, _mm256_blendv_ps(_mm256_permutevar8x32_ps(p2lo, e),
                                                     _mm256_permutevar8x32_ps(p2hi, e), hi));
        /* d = 255 srgb + 0.5 (the code is floor(d)), the constants folded */
        __m256 d = _mm256_blendv_ps(
            _mm256_sub_ps(_mm256_mul_ps(p, _mm256_set1_ps(269.025f)), _mm256_set1_ps(13.525f)),
            _mm256_add_ps(_mm256_mul_ps(v, _mm256_set1_ps(3294.6f)), _mm256_set1_ps(0.5f)),
            _mm256_cmp_ps(v, _mm256_set1_ps(0.0031308f), _CMP_LE_OQ));
        __m256 fl = _mm256_floor_ps(d);
        /* settled where d - floor(d) lies farther than the bound of the
           octave (limlo, limhi: afe_isp_row) from 0 and 1 */
        __m256 off = _mm256_andnot_ps(_mm256_set1_ps(-0.0f),
                                      _mm256_sub_ps(_mm256_sub_ps(d, fl), _mm256_set1_ps(0.5f)));
        *unsure = _mm256_or_ps(*unsure, _mm256_cmp_ps(
            off, _mm256_blendv_ps(_mm256_permutevar8x32_ps(limlo, e),
                                  _mm256_permutevar8x32_ps(limhi, e), hi), _CMP_GE_OQ));
        return _mm256_cvttps_epi32(fl);
    }
    #endif
    static void afe_isp_row(const float *up, const float *cen, const float *down, long n,
                            int gx, int ca, const double *m, double gain, int gray,
                            const double *luma, const unsigned char *base, const double *thr,
                            double n_cells, int fast, unsigned char *o) {
        long x = 0;
    #if defined(__AVX2__)
        int k;
        double rows = 0.0, a;
        for (k = 0; k < 3; k++) {
            a = fabs(m[3 * k]) + fabs(m[3 * k + 1]) + fabs(m[3 * k + 2]);
            rows = a > rows ? a : rows;
        }
        /* the error bound of a linear value (module docstring), and of the
           luminance; a non-finite or huge bound sends every pixel to the
           exact path */
        double eps_v = 2.0 * (gain * (9.0 * rows + 1.0) + 2.0) * AFE_U;
        double eps_d = gray ? eps_v + 10.0 * AFE_U : eps_v;
        if (fast && eps_d < 1e-4) {
            /* the bound per octave of v (e + 9, clamped at 0), in code units:
               255 (curve error + slope * eps) plus numpy's rounding of its own
               255 srgb + 0.5 (766 half ulps, 4x); slope: the curve's, at the
               octave's low end or the knee, plus 5%. A code is settled where
               |d - floor(d) - 0.5| stays below 0.5 minus that bound. */
            static const double slope[10] = {
                13.338231290301822, 11.722956768785155, 7.824134951843397, 5.221983579062654,
                3.485255899577153, 2.3261292383684093, 1.5525050066621704, 1.0361727783455899,
                0.6915623601708932, 0.46156249999999993};
            float lim[16];
            for (k = 0; k < 16; k++)
                lim[k] = (float)(0.5 - 255.0 * (AFE_CURVE_ERR + slope[k < 10 ? k : 9] * eps_d)
                                 - 4 * 766 * AFE_U);
            const __m256 limlo = _mm256_loadu_ps(lim), limhi = _mm256_loadu_ps(lim + 8);
            const __m256 m0 = _mm256_set1_ps((float)m[0]), m1 = _mm256_set1_ps((float)m[1]),
                m2 = _mm256_set1_ps((float)m[2]), m3 = _mm256_set1_ps((float)m[3]),
                m4 = _mm256_set1_ps((float)m[4]), m5 = _mm256_set1_ps((float)m[5]),
                m6 = _mm256_set1_ps((float)m[6]), m7 = _mm256_set1_ps((float)m[7]),
                m8 = _mm256_set1_ps((float)m[8]), vg = _mm256_set1_ps((float)gain),
                l0 = _mm256_set1_ps((float)luma[0]), l1 = _mm256_set1_ps((float)luma[1]),
                l2 = _mm256_set1_ps((float)luma[2]), half = _mm256_set1_ps(0.5f),
                one = _mm256_set1_ps(1.0f),
                quarter = _mm256_set1_ps(0.25f);
            const int unit_gain = gain == 1.0;
            const __m256 green = _mm256_castsi256_ps(
                gx ? _mm256_setr_epi32(0, -1, 0, -1, 0, -1, 0, -1)
                   : _mm256_setr_epi32(-1, 0, -1, 0, -1, 0, -1, 0));
            const __m128i pack3 = _mm_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14,
                                                -1, -1, -1, -1);
            for (; x + 8 <= n; x += 8) {
                __m256 c = _mm256_loadu_ps(cen + x), cm = _mm256_loadu_ps(cen + x - 1),
                       cp = _mm256_loadu_ps(cen + x + 1), u = _mm256_loadu_ps(up + x),
                       um = _mm256_loadu_ps(up + x - 1), upp = _mm256_loadu_ps(up + x + 1),
                       dd = _mm256_loadu_ps(down + x), dm = _mm256_loadu_ps(down + x - 1),
                       dp = _mm256_loadu_ps(down + x + 1);
                /* green sites: G = c, A = (left + right) / 2, B = (up + down) / 2;
                   ca sites: A = c, G = cross mean, B = diagonal mean */
                __m256 ca8 = _mm256_blendv_ps(c, _mm256_mul_ps(_mm256_add_ps(cm, cp), half),
                                              green);
                __m256 g = _mm256_blendv_ps(
                    _mm256_mul_ps(_mm256_add_ps(_mm256_add_ps(_mm256_add_ps(u, cm), cp), dd),
                                  quarter), c, green);
                __m256 ob = _mm256_blendv_ps(
                    _mm256_mul_ps(_mm256_add_ps(_mm256_add_ps(_mm256_add_ps(um, upp), dm), dp),
                                  quarter),
                    _mm256_mul_ps(_mm256_add_ps(u, dd), half), green);
                __m256 r = ca ? ob : ca8, b = ca ? ca8 : ob;
                __m256 v0 = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(r, m0),
                                                        _mm256_mul_ps(g, m1)),
                                          _mm256_mul_ps(b, m2));
                __m256 v1 = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(r, m3),
                                                        _mm256_mul_ps(g, m4)),
                                          _mm256_mul_ps(b, m5));
                __m256 v2 = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(r, m6),
                                                        _mm256_mul_ps(g, m7)),
                                          _mm256_mul_ps(b, m8));
                /* clip, gain, clip; a gain >= 0 keeps the value >= 0, and a
                   gain of 1 changes nothing */
                v0 = afe_isp_clip8(v0);
                v1 = afe_isp_clip8(v1);
                v2 = afe_isp_clip8(v2);
                if (!unit_gain) {
                    v0 = _mm256_min_ps(_mm256_mul_ps(v0, vg), one);
                    v1 = _mm256_min_ps(_mm256_mul_ps(v1, vg), one);
                    v2 = _mm256_min_ps(_mm256_mul_ps(v2, vg), one);
                }
                __m256 unsure = _mm256_setzero_ps();
                int bad;
                if (gray) {
                    __m256 y = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(v0, l0),
                                                           _mm256_mul_ps(v1, l1)),
                                             _mm256_mul_ps(v2, l2));
                    __m256i cy = afe_isp_codes8(_mm256_min_ps(y, one), limlo,
                                                limhi, &unsure);
                    __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(cy),
                                                _mm256_extracti128_si256(cy, 1));
                    _mm_storel_epi64((__m128i *)(o + x), _mm_packus_epi16(w, w));
                } else {
                    __m256i c0 = afe_isp_codes8(v0, limlo, limhi, &unsure);
                    __m256i c1 = afe_isp_codes8(v1, limlo, limhi, &unsure);
                    __m256i c2 = afe_isp_codes8(v2, limlo, limhi, &unsure);
                    __m256i px = _mm256_or_si256(c0, _mm256_or_si256(
                        _mm256_slli_epi32(c1, 8), _mm256_slli_epi32(c2, 16)));
                    __m128i lo = _mm_shuffle_epi8(_mm256_castsi256_si128(px), pack3);
                    __m128i hi = _mm_shuffle_epi8(_mm256_extracti128_si256(px, 1), pack3);
                    int w4 = _mm_extract_epi32(hi, 2);
                    _mm_storeu_si128((__m128i *)(o + 3 * x), lo);  /* 4 bytes over: hi's */
                    _mm_storel_epi64((__m128i *)(o + 3 * x + 12), hi);
                    memcpy(o + 3 * x + 20, &w4, 4);
                }
                bad = _mm256_movemask_ps(unsure);
                if (bad) {  /* the codes the bound leaves open: exactly */
                    for (k = 0; k < 8; k++)
                        if ((bad >> k) & 1)
                            afe_isp_pixel(up, cen, down, x + k, gx, ca, m, gain, gray, luma,
                                          base, thr, n_cells, o);
                }
            }
        }
    #endif
        for (; x < n; x++)
            afe_isp_pixel(up, cen, down, x, gx, ca, m, gain, gray, luma, base, thr, n_cells, o);
    }
    """
    double _clip01 "afe_isp_clip01"(double v) noexcept nogil
    float32_t _clip01f "afe_isp_clip01f"(float32_t v) noexcept nogil
    uint8_t _code "afe_isp_code"(double v, const uint8_t *base, const float64_t *thr,
                                 double n_cells) noexcept nogil
    void _row "afe_isp_row"(const float32_t *up, const float32_t *cen, const float32_t *down,
                            long n, int gx, int ca, const float64_t *m, double gain, int gray,
                            const float64_t *luma, const uint8_t *base, const float64_t *thr,
                            double n_cells, int fast, uint8_t *o) noexcept nogil


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


cdef void _bayer_block(const raw_t *frame, Py_ssize_t h, Py_ssize_t w, Py_ssize_t r0,
                       Py_ssize_t r1, const index_t *cfa, const float32_t *wb,
                       float32_t black, float32_t span, const float64_t *m, double gain,
                       bint gray, const float64_t *luma, const uint8_t *base,
                       const float64_t *thr, double n_cells, bint fast, float32_t *scratch,
                       uint8_t *out) noexcept nogil:
    """Output rows [r0, r1) of one frame. ``scratch``: 3 balanced rows of
    w + 2 (slot ``row % 3``), 2 rows of w white-balance gains. Each row goes
    through demosaic, colour matrix and gamma in one pass (``afe_isp_row``)."""
    cdef Py_ssize_t y, yy, py, gx, ca, x, pw = w + 2
    cdef const float32_t *up
    cdef const float32_t *cen
    cdef const float32_t *down
    cdef Py_ssize_t step = w if gray else 3 * w
    cdef float32_t *rows = scratch
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
        _row(up, cen, down, w, <int>gx, <int>ca, m, gain, gray, luma, base, thr, n_cells,
             fast, out + y * step)


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
                  bint gray, Py_ssize_t block_rows, int n_threads, bint fast=True):
    """Bayer DN -> 8-bit sRGB (or gray) of a stack; rows shared in blocks.
    ``fast=False``: every pixel through the exact path (``afe_isp_pixel``),
    for the tests that prove the fast path gives the same bytes."""
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
        scratch = <float32_t *>malloc((3 * (w + 2) + 2 * w) * sizeof(float32_t))
        for t in prange(n_img * n_blocks, schedule="static"):
            if scratch == NULL:
                with gil:
                    raise MemoryError("process: no memory for the scratch rows")
            i = t // n_blocks
            r0 = (t - i * n_blocks) * block_rows
            r1 = r0 + block_rows if r0 + block_rows < h else h
            _bayer_block(src + i * h * w, h, w, r0, r1, &cfa[0, 0], &wb[0], black, span,
                         &ccm[0, 0], gain, gray, &luma[0], &base[0], &thr[0], n_cells,
                         fast, scratch, dst + i * out_frame)
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
