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
offset plus noise. Each row is computed once into a three-row ring buffer, so
the plane stays in cache.

The formula quantiser is evaluated on ratios: it compares ``u_hi`` with
``u_lo * R_n`` (``u = I + eps``, ``R_n = exp((n - 0.5) / s)`` the ratio where
the rounding steps to level n) and calls ``log`` only for the rare ratios
within 1e-9 of a threshold, where it applies the float64 log formula itself.
The float64 formula is off from the true log ratio by ~1e-15, so outside that
band both decide alike: the codes equal the formula bit for bit, as the
converter of the sensor compares ratios, not logs.

``codes_batch`` with 1 or 3 thresholds per side (1.5 and 2.75 bit) first
decides each run of pairs (a row's dx, or its dy, in chunks of 256 pairs) in
float32 on ``x + eps * full_well_e`` (the same ratio), branch-free so that
the compiler vectorises it, with a band of 4e-6 around each threshold ratio
(its own error is below 3e-7). A chunk holding any ratio inside that band is
redone on the float64 path above, so the codes are still the formula's bit
for bit. These row decisions live in ``ext/_ratiorows.pxd``, shared with the
fused binning and conversion of ``ext/_pyramid.pyx``.
Given ``thresholds_ln``, it decides the thresholds quantiser of an ideal
converter (one threshold set, no perturbation) alike, on the ratios
``exp(t_n)``, its float64 fallback being the thresholds quantiser itself.

Pairs: centred (``dx[y, x] = L[y, x+1] - L[y, x-1]``, zero code in the first
and last column; ``dy`` likewise along rows) or adjacent
(``dx[y, x] = L[y, x+1] - L[y, x]``, zero code in the last column).
"""
from libc.math cimport log
from libc.stdlib cimport malloc, free
from cython.parallel cimport prange, threadid

from _types cimport code_t, float32_t, float64_t
from _ratiorows cimport FastConv, _conv_row, _fast_setup, _q_formula, _q_ratio, _q_thresholds


cdef inline void _fill_row(const float32_t[:, ::1] x, Py_ssize_t y, double full_well_e,
                           double eps, bint take_log, double *dst) noexcept nogil:
    """``u = x / full_well_e + eps`` of row ``y`` (or ``log(u)`` if ``take_log``)."""
    cdef Py_ssize_t i
    cdef const float32_t *src = &x[y, 0]
    if take_log:
        for i in range(x.shape[1]):
            dst[i] = log(<double>src[i] / full_well_e + eps)
    else:
        for i in range(x.shape[1]):
            dst[i] = <double>src[i] / full_well_e + eps


cdef void _plane(const float32_t[:, ::1] x,         # IN  (H, W) electrons
                 double full_well_e, double eps, double clip, double s,
                 bint centred, bint formula,
                 const float64_t[::1] r_up,         # IN  (m,) formula: R_n (1 + 1e-9)
                 const float64_t[::1] r_down,       # IN  (m,) formula: R_n (1 - 1e-9)
                 const float64_t[:, :, ::1] pert,   # IN  (2, H, W) offset + noise (thresholds only)
                 const float64_t[:, :, ::1] thr,    # IN  (4, W, m) dx+, dx-, dy+, dy- (thresholds only)
                 code_t[:, ::1] dx,                 # OUT (H, W)
                 code_t[:, ::1] dy,                 # OUT (H, W)
                 double *buf,                       # scratch, 3 * W doubles
                 Py_ssize_t y0, Py_ssize_t y1,      # rows y0 .. y1 - 1
                 const float64_t *t_ln) noexcept nogil:  # formula on ratios: NULL, or thresholds
    cdef Py_ssize_t h = x.shape[0], w = x.shape[1]
    cdef Py_ssize_t m = thr.shape[2], mr = r_up.shape[0]
    cdef Py_ssize_t y, i, first, last, off_lo, off_hi
    cdef double *prev
    cdef double *cur
    cdef double *nxt
    cdef double *lo
    cdef code_t *ox
    cdef code_t *oy
    cdef bint has_dy
    # formula: rows hold u = I + eps (decided on ratios); thresholds: rows hold log(u).
    # Row y sits in slot y % 3 of the ring; rows y0 - 1 and y0 first.
    _fill_row(x, y0, full_well_e, eps, not formula, buf + (y0 % 3) * w)
    if y0 >= 1:
        _fill_row(x, y0 - 1, full_well_e, eps, not formula, buf + ((y0 + 2) % 3) * w)
    if centred:
        first, last, off_lo, off_hi = 1, w - 1, -1, 1
    else:
        first, last, off_lo, off_hi = 0, w - 1, 0, 1
    for y in range(y0, y1):
        if y + 1 < h:
            _fill_row(x, y + 1, full_well_e, eps, not formula, buf + ((y + 1) % 3) * w)
        cur = buf + (y % 3) * w
        prev = buf + ((y + 2) % 3) * w
        nxt = buf + ((y + 1) % 3) * w
        ox = &dx[y, 0]
        oy = &dy[y, 0]
        # dx: pairs along the row; no pair at the border -> 0
        for i in range(w):
            ox[i] = 0
        if formula:
            for i in range(first, last):
                ox[i] = _q_ratio(cur[i + off_hi], cur[i + off_lo], clip, s,
                                 &r_up[0], &r_down[0], mr, t_ln)
        else:
            for i in range(first, last):
                ox[i] = _q_thresholds(cur[i + off_hi] - cur[i + off_lo], clip, pert[0, y, i],
                                      &thr[0, i, 0], &thr[1, i, 0], m)
        # dy: pairs along the column
        if centred:
            has_dy = y >= 1 and y + 1 < h
            lo = prev
        else:
            has_dy = y + 1 < h
            lo = cur
        if not has_dy:
            for i in range(w):
                oy[i] = 0
        elif formula:
            for i in range(w):
                oy[i] = _q_ratio(nxt[i], lo[i], clip, s, &r_up[0], &r_down[0], mr, t_ln)
        else:
            for i in range(w):
                oy[i] = _q_thresholds(nxt[i] - lo[i], clip, pert[1, y, i],
                                      &thr[2, i, 0], &thr[3, i, 0], m)


def _dummy():
    import numpy as np
    return np.zeros((2, 1, 1)), np.zeros((4, 1, 0)), np.zeros(1)


def _ratio_bands(double s, Py_ssize_t m):
    """``R_n (1 +- 1e-9)`` with ``R_n = exp((n - 0.5) / s)``, n = 1..m."""
    import numpy as np
    r = np.exp((np.arange(1, m + 1) - 0.5) / s)
    return r * (1.0 + 1e-9), r * (1.0 - 1e-9)


def _ratio_bands_of(t_ln):
    """``R_n (1 +- 1e-9)`` with ``R_n = exp(t_n)``."""
    import numpy as np
    r = np.exp(np.asarray(t_ln, dtype=np.float64))
    return r * (1.0 + 1e-9), r * (1.0 - 1e-9)


def codes_batch(const float32_t[:, :, ::1] x, double full_well_e, double eps, double clip,
                double s, Py_ssize_t m, bint centred, code_t[:, :, ::1] dx,
                code_t[:, :, ::1] dy, int n_threads=1, thresholds_ln=None):
    """Formula quantiser on a stack: ``x`` (N, H, W) -> ``dx``, ``dy`` (N, H, W).

    With 1 or 3 levels per side (1.5 and 2.75 bit) the rows of all planes
    are shared among ``n_threads`` OpenMP threads (static schedule); every
    row is computed alike whatever thread takes it, so the codes do not
    depend on ``n_threads``. Other quantisers run on one thread.

    ``thresholds_ln`` (an (m,) float64 array, ascending, each in (0, clip]):
    the thresholds quantiser of an ideal converter on these thresholds
    instead (``s`` unused), decided on ratios alike: the codes of
    :func:`codes_thresholds_batch` with every threshold of every column
    ``thresholds_ln`` and no perturbation.
    """
    cdef const float64_t[::1] t_view
    cdef const float64_t *t_ln = NULL
    cdef const float64_t[:, :, ::1] pert
    cdef const float64_t[:, :, ::1] thr
    cdef const float64_t[::1] r_up
    cdef const float64_t[::1] r_down
    cdef Py_ssize_t n, r, y, h = x.shape[1], w = x.shape[2]
    cdef FastConv cv
    cdef double *buf
    if x.shape[0] == 0 or h == 0 or w == 0:
        return
    if thresholds_ln is not None:
        t_view = thresholds_ln
        m = t_view.shape[0]
        t_ln = &t_view[0]
    if _fast_setup(&cv, full_well_e, eps, clip, s, m, t_ln, centred):
        # no numpy on this path: a call on a small plane costs microseconds
        with nogil:
            for r in prange(x.shape[0] * h, schedule="static", num_threads=n_threads):
                n = r // h
                y = r - n * h
                _conv_row(&cv, &x[n, y - 1, 0] if y >= 1 else NULL, &x[n, y, 0],
                          &x[n, y + 1, 0] if y + 1 < h else NULL, w, &dx[n, y, 0], &dy[n, y, 0])
        return
    pert, thr, _ = _dummy()
    if t_ln != NULL:
        r_up, r_down = _ratio_bands_of(thresholds_ln)
    else:
        r_up, r_down = _ratio_bands(s, m)
    buf = <double *>malloc(3 * x.shape[2] * sizeof(double))
    if buf == NULL:
        raise MemoryError()
    try:
        with nogil:
            for n in range(x.shape[0]):
                _plane(x[n], full_well_e, eps, clip, s, centred, True, r_up, r_down, pert, thr,
                       dx[n], dy[n], buf, 0, h, t_ln)
    finally:
        free(buf)


#: Rows of one unit of work of :func:`codes_thresholds_batch` (a thread takes
#: whole units; each computes the logs of its rows and of the row above).
DEF BLOCK_ROWS = 16


def codes_thresholds_batch(const float32_t[:, :, ::1] x, double full_well_e, double eps,
                           double clip, bint centred,
                           const float64_t[:, :, :, ::1] pert,   # (N, 2, H, W)
                           const float64_t[:, :, ::1] thr,       # (4, W, m)
                           code_t[:, :, ::1] dx, code_t[:, :, ::1] dy, int n_threads=1):
    """Threshold quantiser (explicit thresholds and/or non-idealities) on a
    stack ``x`` (N, H, W); ``pert`` adds comparator offset and noise (in
    natural-log units) to each difference; ``thr`` holds the per-column
    thresholds of the dx and dy converters, positive and negative side.

    Blocks of BLOCK_ROWS rows of every plane are shared among ``n_threads``
    OpenMP threads (static schedule), each with its own three-row ring
    buffer; a row's codes depend only on its own and its neighbour rows, so
    they do not depend on ``n_threads``."""
    cdef Py_ssize_t n_img = x.shape[0], h = x.shape[1], w = x.shape[2]
    cdef Py_ssize_t nb = (h + BLOCK_ROWS - 1) // BLOCK_ROWS
    cdef Py_ssize_t r, n, b
    cdef const float64_t[::1] none_r
    cdef double *buf
    if n_img == 0 or h == 0 or w == 0:
        return
    _, _, none_r = _dummy()
    n_threads = max(1, min(n_threads, n_img * nb))
    buf = <double *>malloc(n_threads * 3 * w * sizeof(double))
    if buf == NULL:
        raise MemoryError()
    try:
        with nogil:
            for r in prange(n_img * nb, schedule="static", num_threads=n_threads):
                n = r // nb
                b = r - n * nb
                _plane(x[n], full_well_e, eps, clip, 0.0, centred, False, none_r, none_r,
                       pert[n], thr, dx[n], dy[n], buf + threadid() * 3 * w,
                       b * BLOCK_ROWS, min(h, (b + 1) * BLOCK_ROWS), NULL)
    finally:
        free(buf)


def pair_codes(const float64_t[::1] a, const float64_t[::1] b, double eps, double clip,
               double s, bint formula, const float64_t[::1] pert,
               const float64_t[::1] t_pos, const float64_t[::1] t_neg, code_t[::1] out):
    """Codes of ``ln(a + eps) - ln(b + eps)`` for flat arrays of intensities.

    ``formula`` picks ``round(clip(d) * s)`` (decided on ratios, with ``m``
    levels per side, ``m`` the length of ``t_pos``); otherwise the thresholds
    ``t_pos``/``t_neg`` (ascending, natural-log units) with ``pert`` (same
    length as ``a``) added to each clipped difference."""
    cdef Py_ssize_t i, m = t_pos.shape[0]
    cdef double d
    cdef const float64_t[::1] r_up
    cdef const float64_t[::1] r_down
    if formula:
        r_up, r_down = _ratio_bands(s, m)
    with nogil:
        for i in range(a.shape[0]):
            if formula:
                out[i] = _q_ratio(a[i] + eps, b[i] + eps, clip, s, &r_up[0], &r_down[0], m, NULL)
            else:
                d = log(b[i] + eps)
                d = log(a[i] + eps) - d
                out[i] = _q_thresholds(d, clip, pert[i], &t_pos[0], &t_neg[0], m)
