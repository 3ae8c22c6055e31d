# The log-ratio converter's per-pair and per-row decisions (inline, no
# runtime module): cimported by ext/_logratio.pyx and by the fused binning +
# conversion of ext/_pyramid.pyx, so both decide every pair with the same
# code (bit for bit). See ext/_logratio.pyx for the formulas and the float32
# fast path's error bound.
from libc.math cimport exp, log, round

from _types cimport code_t, float32_t, float64_t


cdef enum:
    FAST_M_MAX = 3
    RUN_CHUNK = 256     # pairs decided together (and redone together when ambiguous)


cdef inline double _clip(double d, double c) noexcept nogil:
    if d > c:
        return c
    if d < -c:
        return -c
    return d


cdef inline code_t _q_formula(double d, double c, double s) noexcept nogil:
    return <code_t>round(_clip(d, c) * s)


cdef inline code_t _q_thresholds(double d, double c, double p,
                                 const float64_t *t_pos, const float64_t *t_neg,
                                 Py_ssize_t m) noexcept nogil:
    cdef Py_ssize_t i
    cdef int q = 0
    d = _clip(d, c) + p
    if d >= 0.0:
        for i in range(m):
            if d >= t_pos[i]:
                q += 1
    else:
        for i in range(m):
            if -d >= t_neg[i]:
                q -= 1
    return <code_t>q


cdef inline code_t _q_ratio(double hi, double lo, double clip, double s,
                            const float64_t *r_up, const float64_t *r_down,
                            Py_ssize_t m, const float64_t *t_ln) noexcept nogil:
    """The formula quantiser decided on the ratio ``hi / lo`` of two ``u`` values.

    Level n starts where ``round(d * s)`` reaches n, at the ratio
    ``R_n = exp((n - 0.5) / s)``. ``r_up = R_n (1 + 1e-9)`` and
    ``r_down = R_n (1 - 1e-9)``: a ratio outside that band is decided by
    multiplications alone (the float64 log formula is off by ~1e-15 at most,
    far inside the band); a ratio inside it falls back to the log formula
    itself. The result is therefore exactly ``round(clip(log(hi) - log(lo)) * s)``
    while calling ``log`` only near a decision threshold.

    With ``t_ln`` (not NULL) the thresholds quantiser on ``t_ln`` instead:
    ``R_n = exp(t_n)``, and the fallback is :func:`_q_thresholds` (no
    perturbation) on the same float64 log difference; exact likewise, for
    thresholds up to ``clip`` (a larger one is never reached by the clipped
    difference, but is by a ratio)."""
    cdef int q = 0, amb = 0
    cdef Py_ssize_t i
    cdef double a, b
    for i in range(m):
        # branch-free: counts of thresholds clearly passed, on either side
        a = lo * r_up[i]
        b = hi * r_up[i]
        q += (hi > a) - (lo > b)
        amb |= ((hi >= lo * r_down[i]) & (hi <= a)) | ((lo >= hi * r_down[i]) & (lo <= b))
    if amb:
        if t_ln != NULL:
            return _q_thresholds(log(hi) - log(lo), clip, 0.0, t_ln, t_ln, m)
        return _q_formula(log(hi) - log(lo), clip, s)
    return <code_t>q


cdef inline int _pairs_m1(const float32_t *hi, const float32_t *lo, Py_ssize_t n,
                          float32_t c, float32_t ru0, float32_t kb,
                          code_t *out) noexcept nogil:
    """One threshold per side: ``out[i]`` from ``u_hi = hi[i] + c`` over
    ``u_lo = lo[i] + c``; returns nonzero if a ratio lies within the band of a
    threshold (``out`` is then not trusted for the whole run).

    The code is the sign of ``u_hi - u_lo`` times the count of thresholds
    that ``max(u) / min(u)`` clearly passes (``> R (1 + band)``); a ratio is
    ambiguous where it passes ``R (1 - band)`` but not ``R (1 + band)``,
    tested as ``max(u) * kb >= min(u) * R (1 + band)`` with
    ``kb = (1 + band) / (1 - band)``: one product more per pair, whatever
    the number of thresholds."""
    cdef Py_ssize_t i
    cdef float32_t a, b, mx, mn
    cdef int amb = 0, up, dn, neg
    for i in range(n):
        a = hi[i] + c
        b = lo[i] + c
        mx = a if a > b else b
        mn = b if a > b else a
        neg = b > a
        up = mx > mn * ru0
        dn = mx * kb >= mn * ru0
        out[i] = <code_t>((up ^ -neg) + neg)
        amb |= dn - up
    return amb


cdef inline int _pairs_m3(const float32_t *hi, const float32_t *lo, Py_ssize_t n,
                          float32_t c, const float32_t *ru, float32_t kb,
                          code_t *out) noexcept nogil:
    """As :func:`_pairs_m1` with three thresholds per side."""
    cdef Py_ssize_t i
    cdef float32_t a, b, mx, mn, mxk, p0, p1, p2
    cdef float32_t ru0 = ru[0], ru1 = ru[1], ru2 = ru[2]
    cdef int amb = 0, up, dn, neg
    for i in range(n):
        a = hi[i] + c
        b = lo[i] + c
        mx = a if a > b else b
        mn = b if a > b else a
        neg = b > a
        p0 = mn * ru0
        p1 = mn * ru1
        p2 = mn * ru2
        mxk = mx * kb
        up = (mx > p0) + (mx > p1) + (mx > p2)
        dn = (mxk >= p0) + (mxk >= p1) + (mxk >= p2)
        out[i] = <code_t>((up ^ -neg) + neg)
        amb |= dn - up
    return amb


cdef inline void _pairs_exact(const float32_t *hi, const float32_t *lo, Py_ssize_t n,
                              double full_well_e, double eps, double clip, double s,
                              const float64_t *r_up, const float64_t *r_down, Py_ssize_t m,
                              const float64_t *t_ln, code_t *out) noexcept nogil:
    """The float64 path of :func:`_plane` on one run of pairs."""
    cdef Py_ssize_t i
    for i in range(n):
        out[i] = _q_ratio(<double>hi[i] / full_well_e + eps, <double>lo[i] / full_well_e + eps,
                          clip, s, r_up, r_down, m, t_ln)


cdef inline void _run(const float32_t *hi, const float32_t *lo, Py_ssize_t n,
                      float32_t c, const float32_t *ru, float32_t kb,
                      double full_well_e, double eps, double clip, double s,
                      const float64_t *r_up, const float64_t *r_down, Py_ssize_t m,
                      const float64_t *t_ln, code_t *out) noexcept nogil:
    """``n`` pairs on the fast path, in chunks of RUN_CHUNK: a chunk holding a
    ratio within the band of a threshold is redone on the float64 path (a
    chunk, not the whole run: on a 4000-pixel row of 2.75-bit codes about
    one run in forty holds such a ratio)."""
    cdef int amb
    cdef Py_ssize_t i0 = 0, n0
    while i0 < n:
        n0 = n - i0 if n - i0 < RUN_CHUNK else RUN_CHUNK
        if m == 1:
            amb = _pairs_m1(hi + i0, lo + i0, n0, c, ru[0], kb, out + i0)
        else:
            amb = _pairs_m3(hi + i0, lo + i0, n0, c, ru, kb, out + i0)
        if amb:
            _pairs_exact(hi + i0, lo + i0, n0, full_well_e, eps, clip, s, r_up, r_down, m,
                         t_ln, out + i0)
        i0 += n0


cdef inline void _row_codes(const float32_t *up, const float32_t *row, const float32_t *down,
                            Py_ssize_t w, double full_well_e, double eps, double clip, double s,
                            bint centred, float32_t c, const float32_t *ru, float32_t kb,
                            const float64_t *r_up, const float64_t *r_down, Py_ssize_t m,
                            const float64_t *t_ln, code_t *ox, code_t *oy) noexcept nogil:
    """One row ``row`` (``w`` values) of a plane: the formula quantiser (m = 1
    or 3) decided on float32 ratios, into the rows ``ox`` (dx) and ``oy`` (dy).
    ``up`` and ``down`` are the plane's rows above and below (NULL at the
    first and last row): a row of codes depends on these three rows only, so
    rows can be computed in any order, by any thread, from any buffer.

    ``u_a / u_b`` with ``u = x / full_well_e + eps`` equals
    ``(x_a + c) / (x_b + c)`` with ``c = eps * full_well_e``. In float32,
    ``x + c`` (x is exact) is off by at most 2**-24 relative, ``c`` itself
    by 2**-24, the threshold ``ru``/``rd`` by 2**-24 and the product by
    2**-24: the comparison ``a > b * ru`` is off from the exact ratio
    comparison by < 3e-7 relative, far inside the band of ``kb`` (4e-6). A
    ratio within the band of a threshold marks its run (the row's dx, or its
    dy), which is then redone on the float64 path (:func:`_pairs_exact`),
    itself exact to the formula. So the codes are the formula's bit for bit.
    """
    cdef Py_ssize_t i, first, n
    if centred:
        first, n = 1, w - 2
    else:
        first, n = 0, w - 1
    for i in range(w):
        ox[i] = 0
    # dx: hi = row[i + 1], lo = row[i - 1] (centred) or row[i] (adjacent)
    if n > 0:
        _run(row + first + 1, row + first - (1 if centred else 0), n, c, ru, kb,
             full_well_e, eps, clip, s, r_up, r_down, m, t_ln, ox + first)
    # dy: hi = down[i], lo = up[i] (centred) or row[i] (adjacent)
    if down != NULL and (up != NULL or not centred):
        _run(down, up if centred else row, w, c, ru, kb,
             full_well_e, eps, clip, s, r_up, r_down, m, t_ln, oy)
    else:
        for i in range(w):
            oy[i] = 0


# The float32 fast path's constants. FAST_BAND: relative half-width of the
# band around a ratio threshold within which it does not decide (its own
# error is below 3e-7, see _row_codes, so outside the band its decision is
# that of the exact float64 path). It runs only for eps * full_well_e in
# [FAST_C_MIN, FAST_C_MAX] (every u and product then a normal float32).
cdef extern from *:
    """
    #define ANALOGFE_FAST_BAND 4e-6
    #define ANALOGFE_FAST_C_MIN 1e-30
    #define ANALOGFE_FAST_C_MAX 1e30
    """
    const double FAST_BAND "ANALOGFE_FAST_BAND"
    const double FAST_C_MIN "ANALOGFE_FAST_C_MIN"
    const double FAST_C_MAX "ANALOGFE_FAST_C_MAX"


ctypedef struct FastConv:
    # the converter of the fast path (formula or ideal thresholds, m = 1 or 3)
    double full_well_e, eps, clip, s
    bint centred
    Py_ssize_t m
    const float64_t *t_ln       # NULL: the formula quantiser
    float32_t c, kb             # eps * full_well_e; (1 + band) / (1 - band)
    float32_t ru[FAST_M_MAX]    # R_n (1 + band), float32
    float64_t fu[FAST_M_MAX]    # R_n (1 + 1e-9): the exact path's band
    float64_t fd[FAST_M_MAX]    # R_n (1 - 1e-9)


cdef inline bint _fast_setup(FastConv *cv, double full_well_e, double eps, double clip,
                             double s, Py_ssize_t m, const float64_t *t_ln,
                             bint centred) noexcept nogil:
    """Fill ``cv`` for the formula quantiser of scale ``s`` with ``m`` levels
    per side (``t_ln`` NULL), or the thresholds quantiser on ``t_ln`` (m
    ascending thresholds in (0, clip]); returns 0 where the fast path does
    not apply (m other than 1 or 3, ``eps * full_well_e`` out of range)."""
    cdef Py_ssize_t n
    cdef double c = eps * full_well_e
    if not ((m == 1 or m == 3) and FAST_C_MIN <= c <= FAST_C_MAX):
        return 0
    cv.full_well_e, cv.eps, cv.clip, cv.s = full_well_e, eps, clip, s
    cv.centred, cv.m, cv.t_ln = centred, m, t_ln
    cv.c = <float32_t>c
    cv.kb = <float32_t>((1.0 + FAST_BAND) / (1.0 - FAST_BAND))
    for n in range(m):
        cv.fu[n] = exp(t_ln[n]) if t_ln != NULL else exp((n + 0.5) / s)
        cv.ru[n] = <float32_t>(cv.fu[n] * (1.0 + FAST_BAND))
        cv.fd[n] = cv.fu[n] * (1.0 - 1e-9)
        cv.fu[n] = cv.fu[n] * (1.0 + 1e-9)
    return 1


cdef inline void _conv_row(const FastConv *cv, const float32_t *up, const float32_t *row,
                           const float32_t *down, Py_ssize_t w,
                           code_t *ox, code_t *oy) noexcept nogil:
    """:func:`_row_codes` with the converter ``cv``."""
    _row_codes(up, row, down, w, cv.full_well_e, cv.eps, cv.clip, cv.s, cv.centred, cv.c,
               cv.ru, cv.kb, cv.fu, cv.fd, cv.m, cv.t_ln, ox, oy)
