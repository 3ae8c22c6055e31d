"""Binning and log-ratio conversion of every scale in one pass over a frame.

Kernel behind :class:`analogfe.frontend.LogGradientFrontEnd` on its fast
path (an ideal converter, the formula or ideal thresholds, 1 or 3 levels per
side). Inputs are trusted (validated by the caller); outputs are
caller-allocated int8 arrays written in place.

The unfused front end bins each scale into a plane of its own
(:func:`analogfe._ext._binning.bin_mean`) and converts each plane afterwards
(:func:`analogfe._ext._logratio.codes_batch`): at 12 MP the frame and the
planes leave the caches between the passes, so the frame is read from memory
once per pass. Here the frame is walked once, in steps of ``L`` base rows
(``L`` the least common multiple of the scales): each step bins the rows of
every scale it completes into a three-row ring per scale (scale 1 reads the
frame's rows in place) and converts the row of each scale whose neighbours
are then known, while the step's rows are still in cache.

Bit for bit the unfused result: each binned row is summed by the same row
function of ``ext/_binrows.pxd`` as :func:`bin_mean` (same loops, same
order) and each row of codes is decided by the same ``_row_codes`` of
``ext/_ratiorows.pxd`` as ``codes_batch``, from the same three rows. A row
of codes depends only on three binned rows, so the split into units (frames
and blocks of steps, shared among threads) changes no code: a unit also bins
the step above and the step below it (its halo) and converts only its own
rows.

On a Bayer stack the base is the 2x2 quads (each step first bins its quad
rows from the frame, as ``bin_mean(x, 2)`` does), and every scale bins the
quads.
"""
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy
from cython.parallel cimport prange, threadid

from _types cimport code_t, float32_t, float64_t
from _binrows cimport _bad, _row_k, _row_k2
from _ratiorows cimport FastConv, _conv_row, _fast_setup

#: Most scales one call takes (the rings of a unit live on its stack).
DEF MAX_SCALES = 8
#: Largest step (least common multiple of the scales) the kernel takes.
DEF MAX_STEP = 64

MAX_SCALES_ = MAX_SCALES
MAX_STEP_ = MAX_STEP


cdef void _emit(const FastConv *cv, const float32_t *up, const float32_t *row,
                const float32_t *down, Py_ssize_t w, code_t *ox, code_t *oy) noexcept nogil:
    """One row of codes (:func:`_conv_row`), compiled as a function of its own."""
    _conv_row(cv, up, row, down, w, ox, oy)


ctypedef void (*emit_t)(const FastConv *, const float32_t *, const float32_t *,
                       const float32_t *, Py_ssize_t, code_t *, code_t *) noexcept nogil

# The stepping of _unit calls the converter through a pointer the compiler
# cannot see through, so that the converter's vectorised loops are compiled
# in _emit alone: inlined into _unit, among its many live variables, the
# 2.75-bit loop ran about 10 % slower (measured at VGA).
cdef extern from *:
    """
    static void *analogfe_opaque(void *p) {
    #if defined(__GNUC__)
        __asm__("" : "+r"(p));
    #endif
        return p;
    }
    """
    void *opaque "analogfe_opaque"(void *) noexcept nogil


cdef int _unit(const float32_t *frame, Py_ssize_t h, Py_ssize_t w, bint cfa, bint check,
               Py_ssize_t hb, Py_ssize_t wb, Py_ssize_t step,
               Py_ssize_t ns, const Py_ssize_t *ks, const Py_ssize_t *hs, const Py_ssize_t *ws,
               code_t **dxs, code_t **dys,          # OUT per scale: this frame's (hs, ws) codes
               Py_ssize_t u0, Py_ssize_t u1,       # base rows of the unit (u0 a multiple of step)
               float32_t *scratch, const FastConv *cv) noexcept nogil:
    """Codes of the rows of every scale that start in base rows [u0, u1) of
    one frame; returns 1 if ``check`` and a frame row of the unit holds NaN,
    infinity or a negative value.

    ``scratch``: the step's quad rows (Bayer: ``step * wb`` floats), then a
    ring of three rows per scale (``3 * ws[s]`` floats each)."""
    cdef const float32_t *ring[MAX_SCALES][3]
    cdef float32_t *store[MAX_SCALES]
    cdef float32_t *quads = scratch
    cdef const float32_t *src
    cdef const float32_t *up
    cdef const float32_t *down
    cdef float32_t *slot
    cdef Py_ssize_t r, e, j, y, k, si, stride, r_end
    cdef int bad = 0
    cdef bint own
    cdef emit_t emit = <emit_t>opaque(<void *>_emit)
    slot = scratch + (step * wb if cfa else 0)
    for si in range(ns):
        store[si] = slot
        slot = slot + 3 * ws[si]
    r = u0 - step if u0 > 0 else 0             # the step above: halo
    r_end = u1 + step if u1 + step < hb else hb  # the step below: halo
    while r < r_end:
        e = r + step if r + step < hb else hb
        own = r >= u0 and r < u1
        if cfa:
            for j in range(r, e):
                _row_k2(frame + 2 * j * w, frame + (2 * j + 1) * w, quads + (j - r) * wb, wb)
            src, stride = quads, wb
            if check and own:
                bad |= _bad(frame + 2 * r * w, 2 * (e - r) * w)
        else:
            src, stride = frame + r * w, w
            if check and own:
                bad |= _bad(src, (e - r) * w)
        for si in range(ns):
            k = ks[si]
            for j in range(r // k, e // k):
                slot = store[si] + (j % 3) * ws[si]
                if k == 1 and not cfa:
                    ring[si][j % 3] = src + (j - r) * stride
                elif k == 1:
                    memcpy(slot, src + (j - r) * stride, ws[si] * sizeof(float32_t))
                    ring[si][j % 3] = slot
                else:
                    _row_k(src + (j * k - r) * stride, stride, k, slot, ws[si])
                    ring[si][j % 3] = slot
                y = j - 1  # its three rows are known now
                if y >= 0 and y * k >= u0 and y * k < u1:
                    up = ring[si][(y + 2) % 3] if y >= 1 else NULL
                    emit(cv, up, ring[si][y % 3], ring[si][j % 3], ws[si],
                              dxs[si] + y * ws[si], dys[si] + y * ws[si])
        r = e
    for si in range(ns):  # the last row of a scale has no row below
        y = hs[si] - 1
        k = ks[si]
        if y * k >= u0 and y * k < u1:
            up = ring[si][(y + 2) % 3] if y >= 1 else NULL
            down = NULL
            emit(cv, up, ring[si][y % 3], down, ws[si],
                      dxs[si] + y * ws[si], dys[si] + y * ws[si])
    if check and cfa and u1 == hb and h > 2 * hb:  # the odd last row of a Bayer frame
        bad |= _bad(frame + 2 * hb * w, (h - 2 * hb) * w)
    return bad


cdef Py_ssize_t _gcd(Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    while b:
        a, b = b, a % b
    return a


def step_of(scales):
    """Base rows of one step: the least common multiple of ``scales``."""
    cdef Py_ssize_t k, lcm = 1
    for k in scales:
        lcm = lcm // _gcd(lcm, k) * k
    return lcm


cdef _check_codes(code_t[:, :, ::1] view, Py_ssize_t n, Py_ssize_t h, Py_ssize_t w,
                  Py_ssize_t k):
    if view.shape[0] != n or view.shape[1] != h or view.shape[2] != w:
        raise ValueError(f"codes of scale {k} must be {(n, h, w)}, got "
                         f"{(view.shape[0], view.shape[1], view.shape[2])}")


def takes(double full_well_e, double eps, Py_ssize_t m):
    """True when the converter's fast path takes ``m`` levels per side and
    ``eps * full_well_e`` (as :func:`codes_pyramid` requires)."""
    cdef FastConv cv
    return bool(_fast_setup(&cv, full_well_e, eps, 0.0, 1.0, m, NULL, True))


def codes_pyramid(const float32_t[:, :, ::1] x, scales, bint cfa, double full_well_e,
                  double eps, double clip, double s, Py_ssize_t m, bint centred,
                  list dxs, list dys, int n_threads=1, thresholds_ln=None, bint check=True):
    """Bin every scale and convert it, in one pass over each frame of ``x``.

    Parameters
    ----------
    x : (N, H, W) float32, C-contiguous
        Electrons (Bayer: the mosaic, binned to (H // 2, W // 2) quads first).
    scales : sequence of int
        At most ``MAX_SCALES_`` distinct bin factors whose least common
        multiple is at most ``MAX_STEP_``; each leaves a plane of at least
        one row and column.
    cfa : bool
    full_well_e, eps, clip, s, m, centred, thresholds_ln
        The converter, as for :func:`analogfe._ext._logratio.codes_batch`;
        it must take the fast path there (m = 1 or 3, ``eps * full_well_e``
        in range; checked: ValueError otherwise).
    dxs, dys : lists of (N, H_s, W_s) int8, C-contiguous, written in place
        One per scale, H_s = H_b // k and W_s = W_b // k of the base
        (H_b, W_b): (H, W), or (H // 2, W // 2) on a Bayer stack.
    n_threads : int >= 1
        OpenMP threads sharing the units (frames and blocks of steps; static
        schedule); the codes do not depend on it.
    check : bool
        Test every value of ``x`` (the dropped rows and columns included).

    Returns
    -------
    bad : bool
        True if ``check`` and a value of ``x`` is NaN, infinite or negative
        (the codes are then not meaningful).
    """
    cdef Py_ssize_t n_img = x.shape[0], h = x.shape[1], w = x.shape[2]
    cdef Py_ssize_t hb = h // 2 if cfa else h, wb = w // 2 if cfa else w
    cdef Py_ssize_t ns = len(scales), si, k, step, n_steps, per_frame, units, per_thread, r, n, u
    cdef Py_ssize_t ks[MAX_SCALES]
    cdef Py_ssize_t hs[MAX_SCALES]
    cdef Py_ssize_t ws[MAX_SCALES]
    cdef code_t *dx0[MAX_SCALES]
    cdef code_t *dy0[MAX_SCALES]
    cdef code_t[:, :, ::1] view
    cdef const float64_t[::1] t_view
    cdef const float64_t *t_ln = NULL
    cdef FastConv cv
    cdef float32_t *scratch
    cdef int bad = 0
    if ns < 1 or ns > MAX_SCALES or len(dxs) != ns or len(dys) != ns:
        raise ValueError(f"codes_pyramid takes 1 to {MAX_SCALES} scales, with dx and dy each")
    step = step_of(scales)
    if step > MAX_STEP:
        raise ValueError(f"the scales' least common multiple {step} exceeds {MAX_STEP}")
    if thresholds_ln is not None:
        t_view = thresholds_ln
        m = t_view.shape[0]
        t_ln = &t_view[0]
    if not _fast_setup(&cv, full_well_e, eps, clip, s, m, t_ln, centred):
        raise ValueError("codes_pyramid takes the fast path's converters only")
    per_thread = step * wb if cfa else 0
    for si in range(ns):
        k = scales[si]
        ks[si], hs[si], ws[si] = k, hb // k, wb // k
        if hs[si] < 1 or ws[si] < 1:
            raise ValueError(f"scale {k} leaves no super-pixel of a {(hb, wb)} base")
        per_thread += 3 * ws[si]
        view = dxs[si]
        _check_codes(view, n_img, hs[si], ws[si], k)
        dx0[si] = &view[0, 0, 0] if view.size else NULL
        view = dys[si]
        _check_codes(view, n_img, hs[si], ws[si], k)
        dy0[si] = &view[0, 0, 0] if view.size else NULL
    if n_img == 0:
        return False
    # units: a frame, or (one frame on several threads) equal blocks of its steps
    n_steps = (hb + step - 1) // step
    per_frame = max(1, min(n_steps, (n_threads + n_img - 1) // n_img))
    units = n_img * per_frame
    n_threads = max(1, min(n_threads, units))
    scratch = <float32_t *>malloc(n_threads * per_thread * sizeof(float32_t))
    if scratch == NULL:
        raise MemoryError()
    try:
        with nogil:
            for r in prange(units, schedule="static", num_threads=n_threads):
                n = r // per_frame
                u = r - n * per_frame
                bad |= _frame_unit(&x[n, 0, 0], h, w, cfa, check, hb, wb, step, ns, ks, hs, ws,
                                   dx0, dy0, n, n_steps * u // per_frame * step,
                                   min(hb, n_steps * (u + 1) // per_frame * step),
                                   scratch + threadid() * per_thread, &cv)
    finally:
        free(scratch)
    return bad != 0


cdef int _frame_unit(const float32_t *frame, Py_ssize_t h, Py_ssize_t w, bint cfa, bint check,
                     Py_ssize_t hb, Py_ssize_t wb, Py_ssize_t step, Py_ssize_t ns,
                     const Py_ssize_t *ks, const Py_ssize_t *hs, const Py_ssize_t *ws,
                     code_t **dx0, code_t **dy0, Py_ssize_t n, Py_ssize_t u0, Py_ssize_t u1,
                     float32_t *scratch, const FastConv *cv) noexcept nogil:
    """:func:`_unit` on frame ``n`` of the stack whose outputs start at ``dx0``, ``dy0``."""
    cdef code_t *dxn[MAX_SCALES]
    cdef code_t *dyn[MAX_SCALES]
    cdef Py_ssize_t si
    for si in range(ns):
        dxn[si] = dx0[si] + n * hs[si] * ws[si]
        dyn[si] = dy0[si] + n * hs[si] * ws[si]
    return _unit(frame, h, w, cfa, check, hb, wb, step, ns, ks, hs, ws, dxn, dyn, u0, u1,
                 scratch, cv)
