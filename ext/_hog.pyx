"""HOG kernels: cell histograms and block normalisation.

Every function trusts its input (``analogfe.features`` validates it), writes
into a caller-allocated output and releases the GIL. Histograms are
accumulated in float64 (a cell sums up to ``cell_size**2`` votes, an image up
to millions) and the features are stored in float32.

The plain-numpy reference of every kernel is ``tests/reference_hog.py``.
"""
from libc.math cimport sqrt, fabs, log, M_PI
from libc.stdlib cimport calloc, free
from libc.stdint cimport int32_t
from libc.string cimport memset

from cython cimport floating
from cython.parallel cimport prange, threadid

from _types cimport code_t, float32_t, float64_t, index_t


# --------------------------------------------------------------------------
# Cell histograms of integer codes (lookup table, no trigonometry per pixel)
# --------------------------------------------------------------------------
cdef void _code_cell_row(const code_t *dx, const code_t *dy, Py_ssize_t w, Py_ssize_t cy,
                         Py_ssize_t cell, Py_ssize_t nx, Py_ssize_t nb, Py_ssize_t L,
                         const index_t *lut_bin, const float64_t *lut_mag, Py_ssize_t n_codes,
                         int32_t *counts, float64_t *out) noexcept nogil:
    """Histograms of the ``nx`` cells of cell row ``cy`` of one (H, W) frame
    into ``out`` (nx, nb); ``counts`` is scratch of ``nx * n_codes`` int32."""
    cdef Py_ssize_t y, cx, x, x0, k
    cdef Py_ssize_t offset = (L // 2) * L + L // 2
    cdef int32_t *crow
    cdef const code_t *px
    cdef const code_t *py
    cdef int32_t c
    memset(counts, 0, nx * n_codes * sizeof(int32_t))
    for y in range(cy * cell, (cy + 1) * cell):
        px = dx + y * w
        py = dy + y * w
        for cx in range(nx):
            crow = counts + cx * n_codes + offset
            x0 = cx * cell
            for x in range(x0, x0 + cell):
                crow[px[x] * L + py[x]] += 1
    for cx in range(nx):
        for k in range(nb):
            out[cx * nb + k] = 0.0
        crow = counts + cx * n_codes
        for k in range(n_codes):
            c = crow[k]
            if c != 0:
                out[cx * nb + lut_bin[k]] += c * lut_mag[k]


def code_cell_histograms(const code_t[:, :, ::1] dx,         # IN  (N, H, W) codes
                         const code_t[:, :, ::1] dy,         # IN  (N, H, W) codes
                         int half,                           # codes in [-half, half]
                         const index_t[::1] lut_bin,         # IN  ((2h+1)**2,) bin
                         const float64_t[::1] lut_mag,       # IN  ((2h+1)**2,) vote
                         int cell,                           # cell side, pixels
                         float64_t[:, :, :, ::1] out,        # OUT (N, ny, nx, nbins)
                         int n_threads=1):
    """Orientation histogram of each ``cell x cell`` tile of integer codes.

    A pixel with codes ``(dx, dy)`` adds ``lut_mag[k]`` to bin ``lut_bin[k]``
    of its own cell, ``k = (dx + half) * (2 * half + 1) + (dy + half)``. The
    kernel first counts the code pairs of each cell (one increment per pixel)
    and folds the counts through the table once per cell.

    The cell rows of all frames are shared among ``n_threads`` OpenMP threads
    (static schedule), each with its own count scratch; a cell row is summed
    alike by any thread, so the result does not depend on ``n_threads``.
    """
    cdef Py_ssize_t n_img = out.shape[0], ny = out.shape[1], nx = out.shape[2]
    cdef Py_ssize_t nb = out.shape[3], h = dx.shape[1], w = dx.shape[2]
    cdef Py_ssize_t n_codes = lut_bin.shape[0]
    cdef Py_ssize_t L = 2 * half + 1
    cdef Py_ssize_t r, i, cy
    cdef int32_t *counts
    if n_img == 0 or ny == 0 or nx == 0:
        return
    n_threads = max(1, min(n_threads, n_img * ny))
    counts = <int32_t*> calloc(n_threads * nx * n_codes, sizeof(int32_t))
    if counts == NULL:
        raise MemoryError()
    with nogil:
        for r in prange(n_img * ny, schedule="static", num_threads=n_threads):
            i = r // ny
            cy = r - i * ny
            _code_cell_row(&dx[i, 0, 0], &dy[i, 0, 0], w, cy, cell, nx, nb, L,
                           &lut_bin[0], &lut_mag[0], n_codes,
                           counts + threadid() * nx * n_codes, &out[i, cy, 0, 0])
    free(counts)


# --------------------------------------------------------------------------
# Cell histograms of float gradients
# --------------------------------------------------------------------------
cdef inline int fhog_bin(double gx, double gy, const float64_t* uu,
                         const float64_t* vv, int n) noexcept nogil:
    """Signed bin in [0, 2n): the direction of largest dot product.

    Same result as features.cc's ``if (dot > best) ... else if (-dot > best)``
    search (the first maximum wins a tie); a zero gradient gets bin 0.
    Written with selects rather than branches (random gradients would
    mispredict them).
    """
    cdef double best = 0.0, dot, ad
    cdef int best_o = 0, o, cand
    cdef bint better
    for o in range(n):
        dot = uu[o] * gx + vv[o] * gy
        ad = fabs(dot)
        better = ad > best
        cand = o if dot > 0.0 else o + n
        best_o = cand if better else best_o
        best = ad if better else best
    return best_o


cdef inline int dt_bin(double gx, double gy, const float64_t* ck, const float64_t* sk,
                       int n) noexcept nogil:
    """Unsigned bin k in [0, n): theta in [k, k + 1) * 180 / n deg, no trigonometry.

    The gradient is turned into the upper half plane (theta in [0, 180)); the
    bin is the number of limits theta_k, k = 1 .. n-1, with theta >= theta_k,
    each the sign test ``gy cos theta_k - gx sin theta_k >= 0``.
    """
    cdef int k, b = 0
    cdef bint flip = gy < 0.0 or (gy == 0.0 and gx < 0.0)
    cdef double s = -1.0 if flip else 1.0
    gx = gx * s
    gy = gy * s
    for k in range(1, n):
        b += (gy * ck[k] - gx * sk[k]) >= 0.0
    return b


def fhog_cell_histograms(const floating[:, ::1] dx,          # IN  (H, W)
                         const floating[:, ::1] dy,          # IN  (H, W)
                         const float64_t[::1] uu,            # IN  (n,) cos of bin centres
                         const float64_t[::1] vv,            # IN  (n,) sin of bin centres
                         int cell,
                         float64_t[:, :, ::1] out):          # OUT (ny, nx, 2n)
    """Signed FHOG histograms: snap to the nearest of 2n directions, L1 vote."""
    _float_cell_histograms(dx, dy, &uu[0], &vv[0], <int> uu.shape[0], 0, cell, out)


def dt_cell_histograms(const floating[:, ::1] dx,            # IN  (H, W)
                       const floating[:, ::1] dy,            # IN  (H, W)
                       const float64_t[::1] ck,              # IN  (n,) cos(k pi / n)
                       const float64_t[::1] sk,              # IN  (n,) sin(k pi / n)
                       int cell,
                       float64_t[:, :, ::1] out):            # OUT (ny, nx, n)
    """Unsigned histograms (bins ``[k, k+1) * 180 / n`` deg), L2 vote."""
    _float_cell_histograms(dx, dy, &ck[0], &sk[0], <int> ck.shape[0], 1, cell, out)


cdef void _float_cell_histograms(const floating[:, ::1] dx, const floating[:, ::1] dy,
                                 const float64_t* ca, const float64_t* sa, int n, int kind,
                                 int cell, float64_t[:, :, ::1] out):
    cdef Py_ssize_t ny = out.shape[0], nx = out.shape[1], nb = out.shape[2]
    cdef Py_ssize_t cy, cx, y, x, k
    cdef double gx, gy
    cdef double* acc
    cdef double* arow
    acc = <double*> calloc(nx * nb, sizeof(double))
    if acc == NULL:
        raise MemoryError()
    with nogil:
        for cy in range(ny):
            memset(acc, 0, nx * nb * sizeof(double))
            for y in range(cy * cell, (cy + 1) * cell):
                for cx in range(nx):
                    arow = acc + cx * nb
                    for x in range(cx * cell, (cx + 1) * cell):
                        gx = dx[y, x]
                        gy = dy[y, x]
                        if kind == 0:
                            arow[fhog_bin(gx, gy, ca, sa, n)] += fabs(gx) + fabs(gy)
                        else:
                            arow[dt_bin(gx, gy, ca, sa, n)] += sqrt(gx * gx + gy * gy)
            for cx in range(nx):
                for k in range(nb):
                    out[cy, cx, k] = acc[cx * nb + k]
    free(acc)


# --------------------------------------------------------------------------
# Normalisation of cell histograms into per-cell features
# --------------------------------------------------------------------------
def fhog_normalize(const float64_t[:, :, ::1] hist,          # IN  (ny, nx, 2n)
                   double eps,
                   double texture_scale,
                   float32_t[:, :, ::1] out):                # OUT (ny, nx, 3n + 4)
    """FHOG features (Felzenszwalb et al. features.cc, without the 0.2 clip).

    Cell energy ``E = sum_o (h[o] + h[o+n])**2``; the energy grid is padded by
    edge replication, so every cell lies in four 2x2 blocks with gain
    ``1 / sqrt(sum of the block's four E + eps)``. Per cell: 2n signed and n
    unsigned sums over the four blocks, times 0.5, then 4 texture features
    ``texture_scale * sum_o h[o] * n_b`` for the blocks
    (-1,-1), (-1,0), (0,-1), (0,0) (offset of the block's top-left cell).
    """
    cdef Py_ssize_t ny = hist.shape[0], nx = hist.shape[1], nb = hist.shape[2]
    cdef Py_ssize_t n = nb // 2
    cdef Py_ssize_t y, x, o, i, j, yy, xx
    cdef double* energy
    cdef double* gain
    cdef double s, h, n1, n2, n3, n4, t1, e
    cdef Py_ssize_t ey = ny + 2, ex = nx + 2
    energy = <double*> calloc(ey * ex, sizeof(double))
    gain = <double*> calloc((ny + 1) * (nx + 1), sizeof(double))
    if energy == NULL or gain == NULL:
        free(energy)
        free(gain)
        raise MemoryError()
    with nogil:
        for i in range(ey):
            yy = min(max(i - 1, 0), ny - 1)
            for j in range(ex):
                xx = min(max(j - 1, 0), nx - 1)
                e = 0.0
                for o in range(n):
                    s = hist[yy, xx, o] + hist[yy, xx, o + n]
                    e = e + s * s
                energy[i * ex + j] = e
        for i in range(ny + 1):
            for j in range(nx + 1):
                gain[i * (nx + 1) + j] = 1.0 / sqrt(
                    energy[i * ex + j] + energy[i * ex + j + 1]
                    + energy[(i + 1) * ex + j] + energy[(i + 1) * ex + j + 1] + eps)
        for y in range(ny):
            for x in range(nx):
                # block with top-left cell (y-1+a, x-1+b) has gain index (y+a, x+b)
                n1 = gain[y * (nx + 1) + x]
                n2 = gain[y * (nx + 1) + x + 1]
                n3 = gain[(y + 1) * (nx + 1) + x]
                n4 = gain[(y + 1) * (nx + 1) + x + 1]
                s = 0.5 * (n1 + n2 + n3 + n4)
                t1 = 0.0
                for o in range(nb):
                    h = hist[y, x, o]
                    out[y, x, o] = <float32_t> (h * s)
                    t1 = t1 + h
                for o in range(n):
                    out[y, x, nb + o] = <float32_t> ((hist[y, x, o] + hist[y, x, o + n]) * s)
                out[y, x, nb + n] = <float32_t> (texture_scale * t1 * n1)
                out[y, x, nb + n + 1] = <float32_t> (texture_scale * t1 * n2)
                out[y, x, nb + n + 2] = <float32_t> (texture_scale * t1 * n3)
                out[y, x, nb + n + 3] = <float32_t> (texture_scale * t1 * n4)
    free(energy)
    free(gain)


def dt_normalize(const float64_t[:, :, ::1] hist,            # IN  (ny, nx, n)
                 double eps,
                 double clip,
                 float32_t[:, :, ::1] out):                  # OUT (ny, nx, 4n)
    """Dalal-Triggs L2-Hys over the four 2x2 blocks that contain each cell.

    The histogram grid is padded by edge replication. For each block,
    ``v / sqrt(|v|^2 + eps^2)``, clipped at ``clip``, renormalised the same
    way; the cell's own n values of each block are kept, blocks in the order
    (-1,-1), (-1,0), (0,-1), (0,0) (offset of the block's top-left cell).
    """
    cdef Py_ssize_t ny = hist.shape[0], nx = hist.shape[1], n = hist.shape[2]
    cdef Py_ssize_t y, x, o, a, b, by, bx, cyy, cxx, p, q, gi
    cdef double ss, ss2, v, g1
    cdef double e2 = eps * eps
    cdef Py_ssize_t gw = nx + 1
    cdef double* gain1
    cdef double* gain2
    gain1 = <double*> calloc((ny + 1) * gw, sizeof(double))
    gain2 = <double*> calloc((ny + 1) * gw, sizeof(double))
    if gain1 == NULL or gain2 == NULL:
        free(gain1)
        free(gain2)
        raise MemoryError()
    with nogil:
        # block (by, bx) has top-left cell (by - 1, bx - 1), clamped into the grid
        for by in range(ny + 1):
            for bx in range(nx + 1):
                ss = 0.0
                for p in range(2):
                    cyy = min(max(by - 1 + p, 0), ny - 1)
                    for q in range(2):
                        cxx = min(max(bx - 1 + q, 0), nx - 1)
                        for o in range(n):
                            v = hist[cyy, cxx, o]
                            ss = ss + v * v
                g1 = 1.0 / sqrt(ss + e2)
                ss2 = 0.0
                for p in range(2):
                    cyy = min(max(by - 1 + p, 0), ny - 1)
                    for q in range(2):
                        cxx = min(max(bx - 1 + q, 0), nx - 1)
                        for o in range(n):
                            v = min(hist[cyy, cxx, o] * g1, clip)
                            ss2 = ss2 + v * v
                gain1[by * gw + bx] = g1
                gain2[by * gw + bx] = 1.0 / sqrt(ss2 + e2)
        for y in range(ny):
            for x in range(nx):
                for a in range(2):
                    for b in range(2):
                        gi = (y + a) * gw + x + b
                        for o in range(n):
                            out[y, x, (2 * a + b) * n + o] = <float32_t> (
                                min(hist[y, x, o] * gain1[gi], clip) * gain2[gi])
    free(gain1)
    free(gain2)


# --------------------------------------------------------------------------
# scikit-image compatible HOG of an image
# --------------------------------------------------------------------------
ctypedef fused pixel_t:
    unsigned char
    float
    double


def centred_gradients(const pixel_t[:, ::1] image,            # IN  (H, W)
                      Py_ssize_t y0,                         # first row to compute
                      float64_t[:, ::1] g_row,               # OUT (m, W) rows y0 .. y0+m-1
                      float64_t[:, ::1] g_col):              # OUT (m, W)
    """Centred differences with a zero border, in the image's precision.

    ``g_row[i] = image[y+1] - image[y-1]`` and ``g_col[i, x] = image[y, x+1]
    - image[y, x-1]`` for ``y = y0 + i``; zero on the image's outer rows and
    columns. A float32 image is differenced in float32 (as scikit-image), a
    uint8 image exactly. Computing a band of rows at a time keeps the
    buffers in cache.
    """
    cdef Py_ssize_t H = image.shape[0], W = image.shape[1], m = g_row.shape[0]
    cdef Py_ssize_t i, y, x
    with nogil:
        for i in range(m):
            y = y0 + i
            if y == 0 or y == H - 1:
                for x in range(W):
                    g_row[i, x] = 0.0
            else:
                for x in range(W):
                    g_row[i, x] = image[y + 1, x] - image[y - 1, x]
            g_col[i, 0] = 0.0
            g_col[i, W - 1] = 0.0
            for x in range(1, W - 1):
                g_col[i, x] = image[y, x + 1] - image[y, x - 1]


def image_cell_histograms(const float64_t[:, ::1] g_row,     # IN  (H, W)
                          const float64_t[:, ::1] g_col,     # IN  (H, W)
                          const float64_t[:, ::1] angle,     # IN  (H, W) arctan2(g_row, g_col), rad
                          int c_row, int c_col,
                          const float64_t[::1] edges,        # IN  (n + 1,) bin edges, deg
                          float64_t[:, :, ::1] out):         # OUT (ny, nx, n)
    """Mean gradient magnitude per cell and orientation bin, as scikit-image.

    The orientation is scikit-image's ``rad2deg(angle) % 180`` evaluated as
    numpy does (``x * (180 / pi)``, then the floored remainder). A pixel is in
    bin ``i`` when ``edges[i] <= theta < edges[i + 1]`` (``edges`` are
    scikit-image's float32 bin limits); a pixel outside every bin does not
    vote. Single pass over the pixels.
    """
    cdef Py_ssize_t ny = out.shape[0], nx = out.shape[1], n = out.shape[2]
    cdef Py_ssize_t cy, cx, y, x, k, i
    cdef double inv_per = n / 180.0, o, r, c, inv_area = 1.0 / (c_row * c_col)
    cdef double rad2deg = 180.0 / M_PI
    cdef double* acc
    acc = <double*> calloc(nx * n, sizeof(double))
    if acc == NULL:
        raise MemoryError()
    with nogil:
        for cy in range(ny):
            memset(acc, 0, nx * n * sizeof(double))
            for y in range(cy * c_row, (cy + 1) * c_row):
                for cx in range(nx):
                    for x in range(cx * c_col, (cx + 1) * c_col):
                        o = angle[y, x] * rad2deg
                        # numpy's remainder(o, 180) for o in [-180, 180]
                        if o < 0.0:
                            o = o + 180.0
                        elif o >= 180.0:
                            o = 0.0
                        i = <Py_ssize_t> (o * inv_per)
                        if i > n:
                            i = n
                        while i > 0 and o < edges[i]:
                            i = i - 1
                        while i < n and o >= edges[i + 1]:
                            i = i + 1
                        if i >= n:
                            continue
                        r = g_row[y, x]
                        c = g_col[y, x]
                        acc[cx * n + i] += sqrt(r * r + c * c)
            for cx in range(nx):
                for k in range(n):
                    out[cy, cx, k] = acc[cx * n + k] * inv_area
    free(acc)


def block_normalize(const float64_t[:, :, ::1] hist,         # IN  (ny, nx, n), >= 0
                    int b_row, int b_col,
                    int method,                              # 0 L1, 1 L1-sqrt, 2 L2, 3 L2-Hys
                    double eps,
                    floating[:, :, :, :, ::1] out):          # OUT (nby, nbx, b_row, b_col, n)
    """scikit-image's block normalisation of every ``b_row x b_col`` block.

    The norm of a block is summed from per-cell sums (``sum h`` or
    ``sum h**2``, computed once per cell instead of once per block); L2-Hys
    skips its second pass when no value of the block reaches the clip.
    """
    cdef Py_ssize_t ny = hist.shape[0], nx = hist.shape[1], n = hist.shape[2]
    cdef Py_ssize_t nby = out.shape[0], nbx = out.shape[1]
    cdef Py_ssize_t by, bx, p, q, o, y, x
    cdef double s, v, g, g2, s2, mx
    cdef double* cell_sum
    cdef double* cell_max
    cell_sum = <double*> calloc(ny * nx, sizeof(double))
    cell_max = <double*> calloc(ny * nx, sizeof(double))
    if cell_sum == NULL or cell_max == NULL:
        free(cell_sum)
        free(cell_max)
        raise MemoryError()
    with nogil:
        for y in range(ny):
            for x in range(nx):
                s = 0.0
                mx = 0.0
                for o in range(n):
                    v = hist[y, x, o]
                    s = s + (fabs(v) if method <= 1 else v * v)
                    mx = v if v > mx else mx
                cell_sum[y * nx + x] = s
                cell_max[y * nx + x] = mx
        for by in range(nby):
            for bx in range(nbx):
                s = 0.0
                mx = 0.0
                for p in range(b_row):
                    for q in range(b_col):
                        s = s + cell_sum[(by + p) * nx + bx + q]
                        v = cell_max[(by + p) * nx + bx + q]
                        mx = v if v > mx else mx
                if method <= 1:
                    g = 1.0 / (s + eps)
                    for p in range(b_row):
                        for q in range(b_col):
                            for o in range(n):
                                v = hist[by + p, bx + q, o] * g
                                if method == 1:
                                    v = sqrt(v)
                                out[by, bx, p, q, o] = <floating> v
                    continue
                g = 1.0 / sqrt(s + eps * eps)
                if method == 2 or mx * g <= 0.2:
                    if method == 3:        # nothing clipped: the second norm in closed form
                        g = g / sqrt(s * g * g + eps * eps)
                    for p in range(b_row):
                        for q in range(b_col):
                            for o in range(n):
                                out[by, bx, p, q, o] = <floating> (hist[by + p, bx + q, o] * g)
                    continue
                s2 = 0.0
                for p in range(b_row):
                    for q in range(b_col):
                        for o in range(n):
                            v = min(hist[by + p, bx + q, o] * g, 0.2)
                            s2 = s2 + v * v
                g2 = 1.0 / sqrt(s2 + eps * eps)
                for p in range(b_row):
                    for q in range(b_col):
                        for o in range(n):
                            out[by, bx, p, q, o] = <floating> (
                                min(hist[by + p, bx + q, o] * g, 0.2) * g2)
    free(cell_sum)
    free(cell_max)


# --------------------------------------------------------------------------
# The log-HOG of the released DPM detector (dpm-log)
# --------------------------------------------------------------------------
def dpm_cell_histograms(const floating[:, ::1] dxt,          # IN  (W, H) gradients, transposed
                        const floating[:, ::1] dyt,          # IN  (W, H) gradients, transposed
                        const float64_t[::1] uu,             # IN  (n,) cos of bin centres
                        const float64_t[::1] vv,             # IN  (n,) sin of bin centres
                        int cell,
                        float32_t[:, :, ::1] out):           # OUT (bx, by, 2n), zeroed
    """Signed cell histograms with the pixel walk of the released log-HOG code.

    The maps come transposed (column-major, as the released MATLAB code
    holds them) and the cells column by column: ``out[cx, cy]``. ``(bx, by)``
    is the cell grid ``round(W / cell), round(H / cell)``; pixel ``(y, x)``
    for ``1 <= x <= bx * cell - 2`` (outer loop), ``1 <= y <= by * cell - 2``
    (inner loop) reads the gradient at ``(min(y, H - 2), min(x, W - 2))`` (so
    row and column 0 never vote, and a grid rounded up repeats the last
    interior row / column), snaps it to the largest dot product of the 2n
    signed directions and adds ``|dx| + |dy|`` to its bin of its own cell
    ``(y // cell, x // cell)``. The histogram is float32 and each vote is
    added in double then stored, in the released code's pixel order (so
    float votes round as there); requires ``H, W >= 3``.
    """
    cdef Py_ssize_t W = dxt.shape[0], H = dxt.shape[1]
    cdef Py_ssize_t bx = out.shape[0], by = out.shape[1]
    cdef Py_ssize_t y, x, yy, xx, cx
    cdef int n = <int> uu.shape[0], o
    cdef double gx, gy
    cdef float32_t* h
    with nogil:
        for x in range(1, bx * cell - 1):
            xx = min(x, W - 2)
            cx = x // cell
            for y in range(1, by * cell - 1):
                yy = min(y, H - 2)
                gx = dxt[xx, yy]
                gy = dyt[xx, yy]
                o = fhog_bin(gx, gy, &uu[0], &vv[0], n)
                h = &out[cx, y // cell, 0]
                h[o] = <float32_t> (h[o] + (fabs(gx) + fabs(gy)))


def log_offset(const float64_t[::1] x,                       # IN  (n,) >= 0
               double eps,
               float64_t[::1] out):                          # OUT (n,)
    """``out = log(x + eps)`` with the C library's ``log`` (as the released code)."""
    cdef Py_ssize_t i
    with nogil:
        for i in range(x.shape[0]):
            out[i] = log(x[i] + eps)
