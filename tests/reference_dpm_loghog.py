"""Plain-loop transcription of the released log-HOG ``features.cc``.

An independent reading, pixel by pixel, of ``voc-release5-raw/features/features.cc``
of https://github.com/OuYaozhong/pascalraw-root (branch
``2b-logarithmic-hog-features``; the released DPM code of Omid-Zohoor et al.,
IEEE TCSVT 2018), to test :func:`analogfe.features.dpm_log_hog` and
``hog(..., method="dpm-log")`` against. Nothing here is vectorised or shared
with the package. float32 quantities of the C code (histograms, norms,
features) are numpy float32 scalars, double quantities Python floats, so every
operation rounds where the C code rounds.

Indices: the C code walks a column-major MATLAB array with ``x`` the column
and ``y`` the row; here arrays are row-major ``[row, col]`` = ``[y, x]``.
"""
import math

import numpy as np

EPS = 0.0001
FULLSCALE = math.log(8)
UU = (1.0000, 0.9397, 0.7660, 0.500, 0.1736, -0.1736, -0.5000, -0.7660, -0.9397)
VV = (0.0000, 0.3420, 0.6428, 0.8660, 0.9848, 0.9848, 0.8660, 0.6428, 0.3420)
F32 = np.float32


def c_round(v):
    """C ``round``: halves away from zero."""
    r = math.floor(abs(v))
    if abs(v) - r >= 0.5:
        r += 1
    return math.copysign(r, v) if r else 0.0


def quantize(value, bitdepth, fullscale):
    return c_round(value * (2.0 ** bitdepth - 0.5 - EPS) / fullscale)


def clip(v, lo, hi):
    return min(max(v, lo), hi)


def log_gradient_source(image, log_gradients=True, bitdepth=2):
    """``grad(y, x) -> (dx, dy, v)`` of an (H, W, 3) image, as the C code's
    per-pixel block: log, centred differences per channel, strongest channel,
    quantisation (``bitdepth`` = LOG_GRADIENT_BITDEPTH)."""
    h, w, nc = image.shape
    im = [[[float(image[y, x, c]) for x in range(w)] for y in range(h)] for c in range(nc)]
    if log_gradients:
        im = [[[math.log(p + EPS) for p in row] for row in ch] for ch in im]

    def grad(y, x):
        best = None
        for c in range(nc):
            dy = im[c][y + 1][x] - im[c][y - 1][x]
            dx = im[c][y][x + 1] - im[c][y][x - 1]
            v = abs(dx) + abs(dy)
            if best is None or v > best[2]:
                best = (dx, dy, v)
        dx, dy, v = best
        if log_gradients:
            dx = quantize(clip(dx, -FULLSCALE, FULLSCALE), bitdepth - 1, FULLSCALE)
            dy = quantize(clip(dy, -FULLSCALE, FULLSCALE), bitdepth - 1, FULLSCALE)
            v = abs(dx) + abs(dy)
        return dx, dy, v
    return grad


def given_gradient_source(gx, gy):
    """``grad(y, x)`` reading gradient maps that already exist (codes)."""
    def grad(y, x):
        dx, dy = float(gx[y, x]), float(gy[y, x])
        return dx, dy, abs(dx) + abs(dy)
    return grad


def features_cc(grad, height, width, sbin):
    """The C ``process()`` after its gradient block: (out0, out1, 32) float32,
    ``out0 = round(H/sbin) - 2`` rows of cells."""
    b0 = int(c_round(height / sbin))   # cells down (rows)
    b1 = int(c_round(width / sbin))    # cells across (columns)
    hist = [[[F32(0)] * 18 for _ in range(b1)] for _ in range(b0)]
    norm = [[F32(0)] * b1 for _ in range(b0)]
    out0, out1 = max(b0 - 2, 0), max(b1 - 2, 0)
    feat = np.zeros((out0, out1, 32), np.float32)
    vis0, vis1 = b0 * sbin, b1 * sbin

    for x in range(1, vis1 - 1):
        for y in range(1, vis0 - 1):
            dx, dy, v = grad(min(y, height - 2), min(x, width - 2))
            best_dot, best_o = 0.0, 0
            for o in range(9):
                dot = UU[o] * dx + VV[o] * dy
                if dot > best_dot:
                    best_dot, best_o = dot, o
                elif -dot > best_dot:
                    best_dot, best_o = -dot, o + 9
            ixp = math.floor((x + 0.5) / sbin)
            iyp = math.floor((y + 0.5) / sbin)
            if 0 <= ixp < b1 and 0 <= iyp < b0:
                hist[iyp][ixp][best_o] = F32(float(hist[iyp][ixp][best_o]) + v)

    for o in range(9):
        for r in range(b0):
            for c in range(b1):
                s = hist[r][c][o] + hist[r][c][o + 9]
                norm[r][c] = norm[r][c] + s * s

    def inv(r, c):   # block with top-left cell (row r, column c)
        s = norm[r][c] + norm[r + 1][c] + norm[r][c + 1] + norm[r + 1][c + 1]
        return F32(1.0 / math.sqrt(float(s) + EPS))

    for x in range(out1):
        for y in range(out0):
            n1, n2 = inv(y + 1, x + 1), inv(y, x + 1)
            n3, n4 = inv(y + 1, x), inv(y, x)
            t1 = t2 = t3 = t4 = F32(0)
            k = 0
            for _ in range(18):              # contrast-sensitive: zero
                feat[y, x, k] = 0
                k += 1
            for o in range(9):
                s = hist[y + 1][x + 1][o] + hist[y + 1][x + 1][o + 9]
                h1, h2, h3, h4 = s * n1, s * n2, s * n3, s * n4
                feat[y, x, k] = F32(0.5 * float(h1 + h2 + h3 + h4))
                t1, t2, t3, t4 = t1 + h1, t2 + h2, t3 + h3, t4 + h4
                k += 1
            for t in (t1, t2, t3, t4):
                feat[y, x, k] = F32(0.2357 * float(t))
                k += 1
            feat[y, x, k] = 0                # truncation feature
    return feat


def reference_dpm_image(image, sbin=8, bitdepth=2, log_gradients=True):
    """features.cc of an (H, W) or (H, W, 3) image (grey: three equal channels)."""
    image = np.asarray(image, np.float64)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    h, w = image.shape[:2]
    return features_cc(log_gradient_source(image, log_gradients, bitdepth), h, w, sbin)


def reference_dpm_gradients(gx, gy, sbin=8):
    """features.cc with its gradient block replaced by given gradient maps."""
    h, w = gx.shape
    return features_cc(given_gradient_source(gx, gy), h, w, sbin)
