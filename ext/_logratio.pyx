"""The log-ratio converter: log, neighbour difference, clip, quantise.

Kernels behind :class:`analogfe.frontend.LogGradientFrontEnd` and
:func:`analogfe.adc.log_ratio_codes`. Inputs are trusted (validated by the
caller); outputs are caller-allocated int8 arrays written in place.

Per pixel of a (binned) plane ``x`` in electrons::

    L = log(x / full_well_e + eps)              # float64, C library log
    d = L[neighbour 1] - L[neighbour 0]         # the log of a ratio
    d = min(max(d, -clip), clip)                # clip = ln 8
    q = round(d * s)                            # "formula" quantiser
  or
    q = +#{i : d + p >= t_pos[col, i]}  if d + p >= 0
        -#{i : -(d + p) >= t_neg[col, i]} otherwise   # "thresholds" quantiser

with ``round`` half away from zero (C ``round``) and ``p`` the comparator
offset plus noise. ``L`` of each row is computed once into a three-row ring
buffer, so the log is evaluated once per pixel and the plane stays in cache.

Pairs: centred (``dx[y, x] = L[y, x+1] - L[y, x-1]``, zero code in the first
and last column; ``dy`` likewise along rows) or adjacent
(``dx[y, x] = L[y, x+1] - L[y, x]``, zero code in the last column).
"""
from libc.math cimport log, round
from libc.stdlib cimport malloc, free


cdef inline double _clip(double d, double c) noexcept nogil:
    if d > c:
        return c
    if d < -c:
        return -c
    return d


cdef inline signed char _q_formula(double d, double c, double s) noexcept nogil:
    return <signed char>round(_clip(d, c) * s)


cdef inline signed char _q_thresholds(double d, double c, double p,
                                      const double *t_pos, const double *t_neg,
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
    return <signed char>q


cdef inline void _log_row(const float[:, ::1] x, Py_ssize_t y, double full_well_e,
                          double eps, double *dst) noexcept nogil:
    cdef Py_ssize_t i
    cdef const float *src = &x[y, 0]
    for i in range(x.shape[1]):
        dst[i] = log(<double>src[i] / full_well_e + eps)


cdef void _plane(const float[:, ::1] x,             # IN  (H, W) electrons
                 double full_well_e, double eps, double clip, double s,
                 bint centred, bint formula,
                 const double[:, :, ::1] pert,      # IN  (2, H, W) offset + noise (thresholds only)
                 const double[:, :, ::1] thr,       # IN  (4, W, m) dx+, dx-, dy+, dy- (thresholds only)
                 signed char[:, ::1] dx,            # OUT (H, W)
                 signed char[:, ::1] dy,            # OUT (H, W)
                 double *buf) noexcept nogil:       # scratch, 3 * W doubles
    cdef Py_ssize_t h = x.shape[0], w = x.shape[1]
    cdef Py_ssize_t m = thr.shape[2]
    cdef Py_ssize_t y, i, first, last
    cdef double *prev
    cdef double *cur
    cdef double *nxt
    cdef double *lo
    cdef double *hi
    cdef bint has_dy
    _log_row(x, 0, full_well_e, eps, buf)
    for y in range(h):
        if y + 1 < h:
            _log_row(x, y + 1, full_well_e, eps, buf + ((y + 1) % 3) * w)
        cur = buf + (y % 3) * w
        prev = buf + ((y + 2) % 3) * w
        nxt = buf + ((y + 1) % 3) * w
        # dx: pairs along the row
        if centred:
            first, last = 1, w - 1
        else:
            first, last = 0, w - 1
        for i in range(w):
            dx[y, i] = 0
        for i in range(first, last):
            if centred:
                lo, hi = cur + i - 1, cur + i + 1
            else:
                lo, hi = cur + i, cur + i + 1
            if formula:
                dx[y, i] = _q_formula(hi[0] - lo[0], clip, s)
            else:
                dx[y, i] = _q_thresholds(hi[0] - lo[0], clip, pert[0, y, i],
                                         &thr[0, i, 0], &thr[1, i, 0], m)
        # dy: pairs along the column
        if centred:
            has_dy = y >= 1 and y + 1 < h
            lo = prev
        else:
            has_dy = y + 1 < h
            lo = cur
        for i in range(w):
            if not has_dy:
                dy[y, i] = 0
            elif formula:
                dy[y, i] = _q_formula(nxt[i] - lo[i], clip, s)
            else:
                dy[y, i] = _q_thresholds(nxt[i] - lo[i], clip, pert[1, y, i],
                                         &thr[2, i, 0], &thr[3, i, 0], m)


def _dummy():
    import numpy as np
    return np.zeros((2, 1, 1)), np.zeros((4, 1, 0))


def codes_2d(const float[:, ::1] x, double full_well_e, double eps, double clip,
             double s, bint centred, signed char[:, ::1] dx, signed char[:, ::1] dy):
    """Formula quantiser on one plane: ``x`` (H, W) float32 electrons ->
    ``dx``, ``dy`` (H, W) int8, written in place."""
    cdef const double[:, :, ::1] pert
    cdef const double[:, :, ::1] thr
    pert, thr = _dummy()
    cdef double *buf = <double *>malloc(3 * x.shape[1] * sizeof(double))
    if buf == NULL:
        raise MemoryError()
    try:
        with nogil:
            _plane(x, full_well_e, eps, clip, s, centred, True, pert, thr, dx, dy, buf)
    finally:
        free(buf)


def codes_batch(const float[:, :, ::1] x, double full_well_e, double eps, double clip,
                double s, bint centred, signed char[:, :, ::1] dx, signed char[:, :, ::1] dy):
    """Formula quantiser on a stack: ``x`` (N, H, W) -> ``dx``, ``dy`` (N, H, W)."""
    cdef const double[:, :, ::1] pert
    cdef const double[:, :, ::1] thr
    cdef Py_ssize_t n
    pert, thr = _dummy()
    cdef double *buf = <double *>malloc(3 * x.shape[2] * sizeof(double))
    if buf == NULL:
        raise MemoryError()
    try:
        with nogil:
            for n in range(x.shape[0]):
                _plane(x[n], full_well_e, eps, clip, s, centred, True, pert, thr,
                       dx[n], dy[n], buf)
    finally:
        free(buf)


def codes_thresholds_batch(const float[:, :, ::1] x, double full_well_e, double eps,
                           double clip, bint centred,
                           const double[:, :, :, ::1] pert,   # (N, 2, H, W)
                           const double[:, :, ::1] thr,       # (4, W, m)
                           signed char[:, :, ::1] dx, signed char[:, :, ::1] dy):
    """Threshold quantiser (explicit thresholds and/or non-idealities) on a
    stack ``x`` (N, H, W); ``pert`` adds comparator offset and noise (in
    natural-log units) to each difference; ``thr`` holds the per-column
    thresholds of the dx and dy converters, positive and negative side."""
    cdef Py_ssize_t n
    cdef double *buf = <double *>malloc(3 * x.shape[2] * sizeof(double))
    if buf == NULL:
        raise MemoryError()
    try:
        with nogil:
            for n in range(x.shape[0]):
                _plane(x[n], full_well_e, eps, clip, 0.0, centred, False, pert[n], thr,
                       dx[n], dy[n], buf)
    finally:
        free(buf)


def pair_codes(const double[::1] a, const double[::1] b, double eps, double clip,
               double s, bint formula, const double[::1] pert,
               const double[::1] t_pos, const double[::1] t_neg, signed char[::1] out):
    """Codes of ``ln(a + eps) - ln(b + eps)`` for flat arrays of intensities.

    ``formula`` picks ``round(clip(d) * s)``; otherwise the thresholds
    ``t_pos``/``t_neg`` (ascending, natural-log units) with ``pert`` (same
    length as ``a``) added to each clipped difference."""
    cdef Py_ssize_t i, m = t_pos.shape[0]
    cdef double d
    with nogil:
        for i in range(a.shape[0]):
            d = log(b[i] + eps)
            d = log(a[i] + eps) - d
            if formula:
                out[i] = _q_formula(d, clip, s)
            else:
                out[i] = _q_thresholds(d, clip, pert[i], &t_pos[0], &t_neg[0], m)
