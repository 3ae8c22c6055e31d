"""The log-HOG features of the released log-gradient DPM detector (``"dpm-log"``).

Omid-Zohoor et al. [1]_ and Young et al. [2]_ detect objects with DPM on
log-gradient codes, using the features of their released voc-release5 fork
[3]_ (``features/features.cc`` of the ``2b-logarithmic-hog-features`` branch;
``12b-logarithmic-hog-features`` differs only in the code bit depth, and
``12b-linear-hog-features`` skips the log and the quantisation). Per image:

1. ``L = ln(I + 1e-4)`` of each of the three colour channels, with ``I`` the
   image as given (12-bit raw DN in the papers); centred differences
   ``dx = L[y, x+1] - L[y, x-1]``, ``dy = L[y+1, x] - L[y-1, x]``; per pixel
   the channel with the largest ``|dx| + |dy|`` (the first on a tie).
2. Each of dx, dy clipped to ``[-ln 8, ln 8]`` and quantised to
   ``round(d * (2**(b-1) - 0.5 - 1e-4) / ln 8)`` (C ``round``: half away
   from zero); the vote is the L1 magnitude of the codes.
3. The code pair snapped to the one of 18 signed directions (unit vectors at
   ``k * 20`` deg, rounded to 4 decimals) with the largest dot product; the
   pixel votes into its own 8x8 cell only (no bilinear interpolation).
4. The cell grid is ``round(H / 8) x round(W / 8)`` (rounded, not floored);
   row 0 and column 0 never vote, and pixels of a grid rounded past the
   image read the last interior gradient row / column again.
5. Per cell: 9 contrast-insensitive sums ``h[o] + h[o+9]``, each normalised
   by the four 2x2-cell blocks holding the cell (``1 / sqrt(E + 1e-4)``,
   ``E`` the block's sum of squared unsigned sums), NOT truncated at 0.2,
   the four results summed and halved; 4 texture features ``0.2357 * t_k``
   (``t_k`` the cell's normalised unsigned bins under block ``k``); the 18
   contrast-sensitive features set to 0; a 32nd "truncation" feature of 0.
   The outer ring of cells is dropped: the output is
   ``(round(H/8) - 2) x (round(W/8) - 2)`` cells of 32 features, output cell
   ``(i, j)`` being grid cell ``(i + 1, j + 1)``. Histograms and norms are
   float32, as in the released code, and so are the features.

:func:`dpm_log_hog` computes these features of an image (steps 1-5).
``hog(dx, dy, method="dpm-log")`` (registered in
:data:`analogfe.features.HOG_METHODS`) computes steps 3-5 on gradients that
already exist: the codes of :class:`analogfe.LogGradientFrontEnd`, which with
its non-idealities off are steps 1-2 on one channel of linear intensity
(``I = electrons / full_well``, so the ``1e-4`` offset is relative to full
well rather than to one DN), or float gradients, voted as they are (the
released code's linear path: no log, no quantisation).

References
----------
.. [1] A. Omid-Zohoor, C. Young, D. Ta, B. Murmann, "Toward Always-On Mobile
   Object Detection: Energy Versus Performance Tradeoffs for Embedded HOG
   Feature Extraction", IEEE TCSVT 28(5):1102-1115, 2018,
   :DOI:`10.1109/TCSVT.2017.2653187`.
.. [2] C. Young, A. Omid-Zohoor, P. Lajevardi, B. Murmann, "A Data-Compressive
   1.5/2.75-bit Log-Gradient QVGA Image Sensor With Multi-Scale Readout for
   Always-On Object Detection", IEEE JSSC 54(11):2932-2946, 2019,
   :DOI:`10.1109/JSSC.2019.2937437`.
.. [3] The released detector code, a voc-release5 fork; public mirror
   https://github.com/OuYaozhong/pascalraw-root, branch
   ``2b-logarithmic-hog-features``, ``voc-release5-raw/features/features.cc``.
"""
from __future__ import annotations

import math

import numpy as np

from .._ext import _hog
from .._validation import check_array, check_float, check_int

__all__ = ["DPM_FEATURES", "dpm_log_codes", "dpm_log_hog"]

#: Features per cell: 18 contrast-sensitive (zero), 9 contrast-insensitive,
#: 4 texture, 1 truncation (zero).
DPM_FEATURES = 32
#: The released code's small constant: offset inside the log, guard of the
#: quantiser and regulariser of the block norms.
DPM_EPS = 1e-4
#: Full-scale log gradient, ``ln 8`` (a neighbour ratio of 8:1).
DPM_FULLSCALE = math.log(8.0)
#: Texture feature scale of the released code.
DPM_TEXTURE = 0.2357
#: Unit vectors of the 9 unsigned bin centres (k * 20 deg), as the released
#: code tabulates them (cos, sin rounded to 4 decimals).
DPM_UU = np.array([1.0, 0.9397, 0.7660, 0.5, 0.1736, -0.1736, -0.5, -0.7660, -0.9397])
DPM_VV = np.array([0.0, 0.3420, 0.6428, 0.8660, 0.9848, 0.9848, 0.8660, 0.6428, 0.3420])
for _a in (DPM_UU, DPM_VV):
    _a.flags.writeable = False


def dpm_grid(height, width, cell):
    """The released code's cell grid: ``round(H / cell), round(W / cell)``
    (half away from zero)."""
    return math.floor(height / cell + 0.5), math.floor(width / cell + 0.5)


def dpm_cell_map(dx, dy, orientations, cell, eps):
    """Features ``(by - 2, bx - 2, 3n + 5)`` float32 of one pair of 2-D
    gradient maps (trusted: same shape, C-contiguous float32 / float64,
    grid at least 3 x 3 cells). The registry entry of ``"dpm-log"``."""
    by, bx = dpm_grid(dx.shape[0], dx.shape[1], cell)
    if orientations == len(DPM_UU):
        uu, vv = DPM_UU, DPM_VV
    else:
        theta = np.arange(orientations) * np.pi / orientations
        uu, vv = np.round(np.cos(theta), 4), np.round(np.sin(theta), 4)
    # column-major walk, as the released code (the order float votes round in)
    hist_t = np.zeros((bx, by, 2 * orientations), np.float32)
    _hog.dpm_cell_histograms(np.ascontiguousarray(dx.T), np.ascontiguousarray(dy.T),
                             uu, vv, cell, hist_t)
    return _dpm_normalize(np.ascontiguousarray(hist_t.transpose(1, 0, 2)), orientations, eps)


def _dpm_normalize(hist, n, eps):
    """Block-normalised features of signed cell histograms, in the released
    code's float32 arithmetic and order of operations."""
    by, bx = hist.shape[:2]
    u = hist[..., :n] + hist[..., n:]                     # unsigned sums, float32
    energy = np.zeros((by, bx), np.float32)
    for o in range(n):
        energy += u[..., o] * u[..., o]
    # block (r, c) = cells (r..r+1, c..c+1), summed down the column first
    blocks = ((energy[:-1, :-1] + energy[1:, :-1]) + energy[:-1, 1:]) + energy[1:, 1:]
    gain = (1.0 / np.sqrt(blocks.astype(np.float64) + eps)).astype(np.float32)
    g = (gain[1:, 1:], gain[:-1, 1:], gain[1:, :-1], gain[:-1, :-1])  # cell top-left .. bottom-right
    uc = u[1:-1, 1:-1]
    out = np.zeros((by - 2, bx - 2, 3 * n + 5), np.float32)
    t = [np.zeros((by - 2, bx - 2), np.float32) for _ in range(4)]
    for o in range(n):
        h = [uc[..., o] * gk for gk in g]
        out[..., 2 * n + o] = ((h[0] + h[1]) + h[2]) + h[3]
        out[..., 2 * n + o] *= np.float32(0.5)
        for k in range(4):
            t[k] += h[k]
    for k in range(4):
        out[..., 3 * n + k] = DPM_TEXTURE * t[k].astype(np.float64)
    return out


def _check_image(image):
    a = check_array(image, "image", ndim=(2, 3), kinds="buif", nonnegative=True)
    if a.ndim == 3 and a.shape[-1] != 3:
        raise ValueError(f"image must be (H, W) or (H, W, 3), got shape {a.shape}")
    if a.shape[0] < 3 or a.shape[1] < 3:
        raise ValueError(f"image of shape {a.shape} needs at least 3 rows and 3 columns")
    return a


def _c_round(x):
    """C ``round``: to the nearest integer, halves away from zero."""
    t = np.trunc(x)
    return t + np.copysign((np.abs(x - t) >= 0.5).astype(x.dtype), x)


def dpm_log_codes(image, *, bits=2, eps=DPM_EPS):
    """Quantised log gradients of an image by the released log-HOG rule.

    Parameters
    ----------
    image : (H, W) or (H, W, 3) ndarray
        Linear, non-negative image in any unit (the released code reads 12-bit
        raw DN, 0-4095); integer or float. Colour: per pixel the channel with
        the largest ``|dx| + |dy|`` before quantisation (the first on a tie).
    bits : int
        ``b`` of the quantiser, 2 to 12: 2 gives the 1.5-bit codes
        {-1, 0, 1}, 3 the 2.75-bit codes {-3..3}, 12 the
        ``12b-logarithmic-hog-features`` branch.
    eps : float
        Offset inside the log and guard of the quantiser, in image units
        (1e-4), > 0.

    Returns
    -------
    dx, dy : (H, W) int16 ndarrays
        ``round(clip(d, -ln 8, ln 8) * (2**(b-1) - 0.5 - eps) / ln 8)`` of
        ``d = L[y, x+1] - L[y, x-1]`` and ``L[y+1, x] - L[y-1, x]``,
        ``L = ln(image + eps)`` (C library ``log``); 0 on the one-pixel border.

    Raises
    ------
    ValueError
        Negative, NaN or infinite values, an image smaller than 3 x 3 or not
        (H, W[, 3]), ``bits`` or ``eps`` out of range.
    TypeError
        A non-numeric image.
    """
    bits = check_int(bits, "bits", low=2, high=12)
    eps = check_float(eps, "eps", low=0.0, low_open=True, high=1.0)
    a = _check_image(image)
    chans = a[None] if a.ndim == 2 else np.moveaxis(a, -1, 0)
    flat = np.ascontiguousarray(chans, dtype=np.float64).reshape(-1)
    log_i = np.empty_like(flat)
    _hog.log_offset(flat, eps, log_i)
    log_i = log_i.reshape(chans.shape)
    gx = log_i[:, 1:-1, 2:] - log_i[:, 1:-1, :-2]
    gy = log_i[:, 2:, 1:-1] - log_i[:, :-2, 1:-1]
    best_x, best_y = gx[0], gy[0]
    best_v = np.abs(best_x) + np.abs(best_y)
    for c in range(1, len(chans)):
        v = np.abs(gx[c]) + np.abs(gy[c])
        take = v > best_v
        best_x = np.where(take, gx[c], best_x)
        best_y = np.where(take, gy[c], best_y)
        best_v = np.where(take, v, best_v)
    step = 2.0 ** (bits - 1) - 0.5 - eps
    dx = np.zeros(a.shape[:2], np.int16)
    dy = np.zeros(a.shape[:2], np.int16)
    for out, g in ((dx, best_x), (dy, best_y)):
        g = np.clip(g, -DPM_FULLSCALE, DPM_FULLSCALE)
        out[1:-1, 1:-1] = _c_round(g * step / DPM_FULLSCALE)
    return dx, dy


def dpm_log_hog(image, *, bits=2, cell_size=8, eps=DPM_EPS):
    """The released log-HOG detector features of an image.

    ``features.cc`` of the released DPM code (see the module documentation):
    :func:`dpm_log_codes`, then ``hog(dx, dy, method="dpm-log")``.

    Parameters
    ----------
    image : (H, W) or (H, W, 3) ndarray
        Linear, non-negative image (12-bit raw DN in the papers).
    bits : int
        Code bit depth ``b``, 2 to 12 (2: 1.5 bit, 3: 2.75 bit).
    cell_size : int
        Cell side in pixels (8).
    eps : float
        The released code's constant (1e-4): log offset, quantiser guard and
        block-norm regulariser.

    Returns
    -------
    features : (round(H / c) - 2, round(W / c) - 2, 32) float32 ndarray
        Per cell: 18 zeros, 9 contrast-insensitive, 4 texture, 1 zero;
        output cell ``(i, j)`` covers pixels from ``((i + 1) c, (j + 1) c)``.

    Raises
    ------
    ValueError
        As :func:`dpm_log_codes`, or fewer than 3 x 3 cells.

    Examples
    --------
    >>> import numpy as np
    >>> from analogfe.features import dpm_log_hog
    >>> img = np.full((40, 48), 100.0); img[:, 24:] = 400.0
    >>> dpm_log_hog(img).shape
    (3, 4, 32)
    """
    cell = check_int(cell_size, "cell_size", low=1, high=4096)
    dx, dy = dpm_log_codes(image, bits=bits, eps=eps)
    check_dpm_grid(dx.shape, cell)
    return dpm_cell_map(dx.astype(np.float64), dy.astype(np.float64), 9, cell, eps)


def check_dpm_grid(shape, cell, name="image"):
    """Raise ValueError unless ``shape`` (…, H, W) gives at least 3 x 3 cells
    of the released code's rounded grid (and H, W >= 3)."""
    h, w = shape[-2:]
    by, bx = dpm_grid(h, w, cell)
    if min(by, bx) < 3 or min(h, w) < 3:
        need = math.ceil(2.5 * cell)
        raise ValueError(
            f"{name} of shape {tuple(shape)} is too small for dpm-log with cell_size={cell}: "
            f"round(H / cell) and round(W / cell) must be at least 3 (about {need} pixels)"
        )
