"""Plain-numpy references of the HOG kernels in ``ext/_hog.pyx``.

Deliberately naive and vectorised differently from the kernels (``np.add.at``
scatter, explicit padding, per-block loops), so that agreement means
something.
"""
from __future__ import annotations

import numpy as np


def code_cell_histograms(dx, dy, lut_bin, lut_mag, half, cell, n_bins):
    """Scatter every pixel's table vote into its cell: (ny, nx, n_bins) float64."""
    ny, nx = dx.shape[0] // cell, dx.shape[1] // cell
    dx = dx[: ny * cell, : nx * cell].astype(np.int64)
    dy = dy[: ny * cell, : nx * cell].astype(np.int64)
    k = (dx + half) * (2 * half + 1) + (dy + half)
    rows = np.arange(ny * cell)[:, None] // cell
    cols = np.arange(nx * cell)[None, :] // cell
    hist = np.zeros((ny, nx, n_bins))
    np.add.at(hist, (np.broadcast_to(rows, k.shape), np.broadcast_to(cols, k.shape),
                     lut_bin[k]), lut_mag[k])
    return hist


def fhog_bins(gx, gy, uu, vv):
    """features.cc's search, vectorised over pixels, literally as written."""
    gx = np.asarray(gx, np.float64)
    gy = np.asarray(gy, np.float64)
    best_dot = np.zeros(gx.shape)
    best_o = np.zeros(gx.shape, np.int64)
    n = len(uu)
    for o in range(n):
        dot = uu[o] * gx + vv[o] * gy
        pos = dot > best_dot
        neg = ~pos & (-dot > best_dot)
        best_o = np.where(pos, o, np.where(neg, o + n, best_o))
        best_dot = np.where(pos, dot, np.where(neg, -dot, best_dot))
    return best_o


def dt_bins(gx, gy, ck, sk):
    """Unsigned bins by sign tests against the bin limits (as the kernel)."""
    gx = np.asarray(gx, np.float64)
    gy = np.asarray(gy, np.float64)
    flip = (gy < 0) | ((gy == 0) & (gx < 0))
    gx = np.where(flip, -gx, gx)
    gy = np.where(flip, -gy, gy)
    b = np.zeros(gx.shape, np.int64)
    for k in range(1, len(ck)):
        b += (gy * ck[k] - gx * sk[k]) >= 0.0
    return b


def dt_bins_atan2(gx, gy, n):
    """Unsigned bins from the angle: floor(theta / (180 / n)), theta in [0, 180)."""
    theta = np.mod(np.arctan2(gy, gx), np.pi)
    return np.minimum((theta * (n / np.pi)).astype(np.int64), n - 1)


def float_cell_histograms(dx, dy, method, uu_or_ck, vv_or_sk, cell):
    """Cell histograms of float gradients: fhog (2n bins, L1) or dalal-triggs (n, L2)."""
    ny, nx = dx.shape[0] // cell, dx.shape[1] // cell
    gx = dx[: ny * cell, : nx * cell].astype(np.float64)
    gy = dy[: ny * cell, : nx * cell].astype(np.float64)
    n = len(uu_or_ck)
    if method == "fhog":
        b, mag, nb = fhog_bins(gx, gy, uu_or_ck, vv_or_sk), np.abs(gx) + np.abs(gy), 2 * n
    else:
        b, mag, nb = dt_bins(gx, gy, uu_or_ck, vv_or_sk), np.sqrt(gx * gx + gy * gy), n
    hist = np.zeros((ny, nx, nb))
    for y in range(ny * cell):
        for x in range(nx * cell):
            hist[y // cell, x // cell, b[y, x]] += mag[y, x]
    return hist


def fhog_normalize(hist, eps, texture_scale):
    """FHOG per-cell features from (ny, nx, 2n) histograms, edge-replicated blocks."""
    ny, nx, nb = hist.shape
    n = nb // 2
    energy = ((hist[..., :n] + hist[..., n:]) ** 2).sum(-1)
    e = np.pad(energy, 1, mode="edge")
    block = e[:-1, :-1] + e[:-1, 1:] + e[1:, :-1] + e[1:, 1:]      # (ny+1, nx+1)
    gain = 1.0 / np.sqrt(block + eps)
    out = np.zeros((ny, nx, 3 * n + 4))
    for y in range(ny):
        for x in range(nx):
            g = [gain[y, x], gain[y, x + 1], gain[y + 1, x], gain[y + 1, x + 1]]
            h = hist[y, x]
            out[y, x, :nb] = 0.5 * sum(h * gk for gk in g)
            hu = h[:n] + h[n:]
            out[y, x, nb:nb + n] = 0.5 * sum(hu * gk for gk in g)
            out[y, x, nb + n:] = [texture_scale * np.sum(h * gk) for gk in g]
    return out


def dt_normalize(hist, eps, clip):
    """L2-Hys of the four 2x2 blocks containing each cell, edge-replicated."""
    ny, nx, n = hist.shape
    p = np.pad(hist, ((1, 1), (1, 1), (0, 0)), mode="edge")
    out = np.zeros((ny, nx, 4 * n))
    for y in range(ny):
        for x in range(nx):
            for a in range(2):
                for b in range(2):
                    # block top-left cell (y-1+a, x-1+b) = padded (y+a, x+b)
                    blk = p[y + a: y + a + 2, x + b: x + b + 2]
                    v = blk / np.sqrt(np.sum(blk ** 2) + eps ** 2)
                    v = np.minimum(v, clip)
                    v = v / np.sqrt(np.sum(v ** 2) + eps ** 2)
                    out[y, x, (2 * a + b) * n:(2 * a + b + 1) * n] = v[1 - a, 1 - b]
    return out


def image_cell_histograms(g_row, g_col, c_row, c_col, n):
    """scikit-image's per-orientation masks, float32 bin edges, float64 sums."""
    orientation = np.rad2deg(np.arctan2(g_row, g_col)) % 180
    magnitude = np.hypot(g_row, g_col)
    ny, nx = g_row.shape[0] // c_row, g_row.shape[1] // c_col
    per = np.float32(180.0 / n)
    hist = np.zeros((ny, nx, n))
    for i in range(n):
        start = np.float64(per * np.float32(i + 1))
        end = np.float64(per * np.float32(i))
        keep = (orientation < start) & (orientation >= end)
        m = np.where(keep, magnitude, 0.0)[: ny * c_row, : nx * c_col]
        hist[..., i] = m.reshape(ny, c_row, nx, c_col).sum(axis=(1, 3)) / (c_row * c_col)
    return hist


def block_normalize(hist, b_row, b_col, method, eps=1e-5):
    """scikit-image's _hog_normalize_block over every block."""
    ny, nx, n = hist.shape
    out = np.zeros((ny - b_row + 1, nx - b_col + 1, b_row, b_col, n))
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            block = hist[r:r + b_row, c:c + b_col]
            if method == "L1":
                v = block / (np.sum(np.abs(block)) + eps)
            elif method == "L1-sqrt":
                v = np.sqrt(block / (np.sum(np.abs(block)) + eps))
            elif method == "L2":
                v = block / np.sqrt(np.sum(block ** 2) + eps ** 2)
            else:
                v = block / np.sqrt(np.sum(block ** 2) + eps ** 2)
                v = np.minimum(v, 0.2)
                v = v / np.sqrt(np.sum(v ** 2) + eps ** 2)
            out[r, c] = v
    return out


def centred_gradients(image):
    """(g_row, g_col) with a zero one-pixel border, in the image's dtype."""
    g_row = np.zeros_like(image)
    g_col = np.zeros_like(image)
    g_row[1:-1] = image[2:] - image[:-2]
    g_col[:, 1:-1] = image[:, 2:] - image[:, :-2]
    return g_row, g_col
