"""Hand-crafted features: HOG of what the sensor sends off chip.

Every front end goes through the same HOG: the int8 log-gradient codes of
:class:`analogfe.frontend.GradientCodes` and the 8-bit images of the digital
baseline (through their centred differences). Two HOG variants are registered
in :data:`HOG_METHODS`:

``"fhog"``
    The simplified Felzenszwalb HOG of the log-gradient detector's released
    code [2]_: 8x8-pixel cells, each pixel votes into its own cell only (no
    bilinear interpolation), orientation snapped to the nearest of
    ``2 * orientations`` signed directions (bin centres ``k * 180 / n`` deg,
    the dot-product search of ``features.cc`` [1]_), L1 magnitude
    ``|dx| + |dy|``, normalisation over the four 2x2-cell blocks that contain
    a cell, no 0.2 truncation. Per cell ``3 n + 4`` features (31 for n = 9),
    in the ``features.cc`` order: ``2n`` contrast-sensitive bins,
    ``n`` contrast-insensitive bins, 4 texture features (the cell's signed
    histogram summed and scaled by ``round(1/sqrt(2n), 4)`` = 0.2357, under
    each of the four block gains). ``features.cc``'s 32nd, constant-zero
    "truncation" feature (used only for DPM padding) is not output.
``"dalal-triggs"``
    Classic HOG [3]_: ``orientations`` unsigned bins ``[k, k + 1) * 180 / n``
    deg, L2 magnitude, hard assignment to the pixel's own cell and bin (no
    spatial or orientation interpolation, no Gaussian window), L2-Hys block
    normalisation (clip 0.2) of the four 2x2-cell blocks that contain a cell.
    Per cell ``4 n`` features (36 for n = 9), grouped by block.

Both return one feature vector per cell on the full ``floor(H / cell_size) x
floor(W / cell_size)`` grid; blocks that stick out of the grid use the
edge-replicated border cells, so border cells get features too.
``features.cc`` instead drops the outer ring of cells: its layout is
``hog(...)[1:-1, 1:-1]`` (interior cells never see the border convention).
:func:`image_hog` is a separate, exact re-implementation of
:func:`skimage.feature.hog`.

For integer codes the orientation bin and the vote of each ``(dx, dy)`` pair
come from a lookup table built once per (method, orientations, levels); no
trigonometry runs per pixel.

References
----------
.. [1] P. F. Felzenszwalb, R. B. Girshick, D. McAllester, D. Ramanan, "Object
   Detection with Discriminatively Trained Part-Based Models", IEEE TPAMI
   32(9):1627-1645, 2010, :DOI:`10.1109/TPAMI.2009.167` (voc-release5
   ``features.cc``).
.. [2] A. Omid-Zohoor, C. Young, D. Ta, B. Murmann, "Toward Always-On Mobile
   Object Detection: Energy Versus Performance Tradeoffs for Embedded HOG
   Feature Extraction", IEEE TCSVT 28(5):1102-1115, 2018.
.. [3] N. Dalal, B. Triggs, "Histograms of Oriented Gradients for Human
   Detection", CVPR 2005, :DOI:`10.1109/CVPR.2005.177`.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ._ext import _hog
from ._validation import check_array, check_choice, check_float, check_int, check_pair

__all__ = [
    "HOG_METHODS",
    "BLOCK_NORMS",
    "hog",
    "hog_lut",
    "image_hog",
    "image_gradients",
    "frontend_features",
    "window_features",
    "feature_pyramid",
    "PyramidLevel",
]

#: eps under the square root of the FHOG block energy (features.cc).
FHOG_EPS = 1e-4
#: eps of the Dalal-Triggs L2 norms (as scikit-image).
DT_EPS = 1e-5
#: L2-Hys clipping value (Dalal & Triggs 2005, section 6.4).
DT_CLIP = 0.2
#: Largest cell, block or window side accepted (in pixels or cells).
_MAX_PAIR = 1 << 20
#: Rec. 709 luma weights on the coded values, as skimage.color.rgb2gray.
LUMA_709 = (0.2125, 0.7154, 0.0721)


# ---------------------------------------------------------------------------
# Method registry
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _Method:
    n_bins: object           # orientations -> histogram bins
    n_features: object       # orientations -> features per cell
    default_eps: float


HOG_METHODS = {
    "fhog": _Method(lambda n: 2 * n, lambda n: 3 * n + 4, FHOG_EPS),
    "dalal-triggs": _Method(lambda n: n, lambda n: 4 * n, DT_EPS),
}

#: scikit-image's block normalisations and their kernel codes.
BLOCK_NORMS = {"L1": 0, "L1-sqrt": 1, "L2": 2, "L2-Hys": 3}


@lru_cache(maxsize=None)
def _fhog_directions(orientations):
    """Unit vectors of the bin centres, rounded to 4 decimals as features.cc."""
    theta = np.arange(orientations) * np.pi / orientations
    uu = np.round(np.cos(theta), 4)
    vv = np.round(np.sin(theta), 4)
    uu.flags.writeable = False
    vv.flags.writeable = False
    return uu, vv


@lru_cache(maxsize=None)
def _dt_boundaries(orientations):
    """cos and sin of the bin limits ``k * 180 / n`` deg, k = 0 .. n-1."""
    theta = np.arange(orientations) * np.pi / orientations
    ck, sk = np.cos(theta), np.sin(theta)
    ck.flags.writeable = False
    sk.flags.writeable = False
    return ck, sk


def _fhog_bin(gx, gy, uu, vv):
    """Signed bin of one gradient: features.cc's search, ties to the first."""
    best_dot, best_o, n = 0.0, 0, len(uu)
    for o in range(n):
        dot = uu[o] * gx + vv[o] * gy
        if dot > best_dot:
            best_dot, best_o = dot, o
        elif -dot > best_dot:
            best_dot, best_o = -dot, o + n
    return best_o


def _dt_bin(gx, gy, ck, sk):
    """Unsigned bin k: theta in [k, k+1) * 180 / n deg, by sign tests (as the kernel)."""
    if gy < 0.0 or (gy == 0.0 and gx < 0.0):
        gx, gy = -gx, -gy
    return sum(int(gy * ck[k] - gx * sk[k] >= 0.0) for k in range(1, len(ck)))


@lru_cache(maxsize=None)
def hog_lut(method, orientations, levels):
    """Lookup table of orientation bin and vote for every pair of codes.

    Parameters
    ----------
    method : {"fhog", "dalal-triggs"}
    orientations : int
        Unsigned orientation bins.
    levels : int
        Odd number of code levels, codes in ``[-(levels // 2), levels // 2]``
        (3 at 1.5 bit, 7 at 2.75 bit).

    Returns
    -------
    lut_bin : (levels**2,) int32 ndarray
        Histogram bin of the pair ``(dx, dy)`` at index
        ``(dx + h) * levels + (dy + h)``, ``h = levels // 2``.
    lut_mag : (levels**2,) float64 ndarray
        Its vote: ``|dx| + |dy|`` (fhog) or ``hypot(dx, dy)`` (dalal-triggs),
        in code units.
    """
    check_choice(method, "method", tuple(HOG_METHODS))
    check_int(orientations, "orientations", low=2, high=180)
    check_int(levels, "levels", low=3, high=255)
    if levels % 2 == 0:
        raise ValueError(f"levels must be odd, got {levels}")
    half = levels // 2
    codes = np.arange(-half, half + 1)
    lut_bin = np.empty((levels, levels), dtype=np.int32)
    lut_mag = np.empty((levels, levels), dtype=np.float64)
    uu, vv = _fhog_directions(orientations)
    ck, sk = _dt_boundaries(orientations)
    for i, gx in enumerate(codes):
        for j, gy in enumerate(codes):
            if method == "fhog":
                lut_bin[i, j] = _fhog_bin(float(gx), float(gy), uu, vv)
                lut_mag[i, j] = abs(gx) + abs(gy)
            else:
                lut_bin[i, j] = _dt_bin(float(gx), float(gy), ck, sk)
                lut_mag[i, j] = np.hypot(gx, gy)
    lut_bin, lut_mag = lut_bin.ravel(), lut_mag.ravel()
    lut_bin.flags.writeable = False
    lut_mag.flags.writeable = False
    return lut_bin, lut_mag


# ---------------------------------------------------------------------------
# HOG of gradient maps
# ---------------------------------------------------------------------------
def _check_gradients(dx, dy, levels):
    """Validate a pair of gradient maps; return (dx, dy, half or None)."""
    dx = check_array(dx, "dx", ndim=(2, 3), kinds="iuf")
    dy = check_array(dy, "dy", ndim=(2, 3), kinds="iuf")
    if dx.shape != dy.shape:
        raise ValueError(
            f"dx and dy must have the same shape, got {dx.shape} and {dy.shape}"
        )
    is_int = dx.dtype.kind in "iu"
    if is_int != (dy.dtype.kind in "iu"):
        raise TypeError(
            "dx and dy must both be integer codes or both float gradients, "
            f"got {dx.dtype} and {dy.dtype}"
        )
    if not is_int:
        dtype = np.float32 if (dx.dtype == np.float32 and dy.dtype == np.float32) else np.float64
        return dx.astype(dtype, copy=False), dy.astype(dtype, copy=False), None
    # min/max in the input's own dtype: a cheap vectorised pass each
    peaks = {name: max(-int(a.min()), int(a.max())) for name, a in (("dx", dx), ("dy", dy))}
    if levels is None:
        half = max(peaks["dx"], peaks["dy"], 1)
        if half > 127:
            raise ValueError(f"dx, dy integer codes must lie in [-127, 127], peak {half}")
    else:
        levels = check_int(levels, "levels", low=3, high=255)
        if levels % 2 == 0:
            raise ValueError(f"levels must be odd, got {levels}")
        half = levels // 2
        for name, peak in peaks.items():
            if peak > half:
                raise ValueError(
                    f"{name} has codes outside [-{half}, {half}] for levels={levels}"
                )
    return dx.astype(np.int8, copy=False), dy.astype(np.int8, copy=False), half


def _hist_one(dx, dy, method, orientations, cell, half):
    """Cell histograms (ny, nx, n_bins) float64 of one 2-D pair."""
    ny, nx = dx.shape[0] // cell, dx.shape[1] // cell
    hist = np.empty((ny, nx, HOG_METHODS[method].n_bins(orientations)), np.float64)
    if half is not None:
        lut_bin, lut_mag = hog_lut(method, orientations, 2 * half + 1)
        _hog.code_cell_histograms(dx, dy, half, lut_bin, lut_mag, cell, hist)
    elif method == "fhog":
        uu, vv = _fhog_directions(orientations)
        _hog.fhog_cell_histograms(dx, dy, uu, vv, cell, hist)
    else:
        ck, sk = _dt_boundaries(orientations)
        _hog.dt_cell_histograms(dx, dy, ck, sk, cell, hist)
    return hist


def _normalize(hist, method, orientations, eps):
    """Per-cell features (ny, nx, F) float32 from cell histograms."""
    ny, nx = hist.shape[:2]
    out = np.empty((ny, nx, HOG_METHODS[method].n_features(orientations)), np.float32)
    if method == "fhog":
        texture = round(1.0 / np.sqrt(2 * orientations), 4)
        _hog.fhog_normalize(hist, eps, texture, out)
    else:
        _hog.dt_normalize(hist, eps, DT_CLIP, out)
    return out


def hog(dx, dy, *, method="fhog", cell_size=8, orientations=9, levels=None, eps=None):
    """HOG of gradient maps: log-gradient codes or float gradients.

    Parameters
    ----------
    dx, dy : (H, W) or (N, H, W) ndarray
        Horizontal ``I[y, x+1] - I[y, x-1]`` and vertical
        ``I[y+1, x] - I[y-1, x]`` gradients (y down). Integer dtype: the codes
        of a log-gradient front end (any integer dtype with values in
        ``[-127, 127]``), binned through :func:`hog_lut`. Float dtype: real
        gradients. Both must have the same shape and kind.
    method : {"fhog", "dalal-triggs"}
        HOG variant, see the module documentation and :data:`HOG_METHODS`.
    cell_size : int
        Cell side in pixels (8 in the papers).
    orientations : int
        Unsigned orientation bins (9).
    levels : int, optional
        Number of code levels of integer input (3 at 1.5 bit, 7 at 2.75 bit);
        codes outside ``[-(levels // 2), levels // 2]`` raise. Default: the
        smallest table that holds the codes.
    eps : float, optional
        Regulariser of the block norms (``1e-4`` for fhog as features.cc,
        ``1e-5`` for dalal-triggs).

    Returns
    -------
    features : (ny, nx, F) or (N, ny, nx, F) float32 ndarray
        ``ny = H // cell_size``, ``nx = W // cell_size``; ``F = 3n + 4``
        (fhog) or ``4n`` (dalal-triggs). Pixels beyond the last whole cell
        are ignored.

    Raises
    ------
    ValueError
        Different shapes of ``dx`` and ``dy``, a map smaller than one cell,
        codes out of range, unknown ``method``.
    TypeError
        Non-numeric ``dx``/``dy``, or one integer and one float.

    Examples
    --------
    >>> import numpy as np
    >>> from analogfe.features import hog
    >>> dx = np.zeros((32, 48), np.int8); dx[:, 20] = 1
    >>> hog(dx, np.zeros_like(dx)).shape
    (4, 6, 31)
    """
    check_choice(method, "method", tuple(HOG_METHODS))
    cell = check_int(cell_size, "cell_size", low=1, high=4096)
    n = check_int(orientations, "orientations", low=2, high=180)
    eps = HOG_METHODS[method].default_eps if eps is None else check_float(
        eps, "eps", low=0.0, low_open=True)
    dx, dy, half = _check_gradients(dx, dy, levels)
    if dx.shape[-2] < cell or dx.shape[-1] < cell:
        raise ValueError(
            f"dx of shape {dx.shape} is smaller than one cell (cell_size={cell})"
        )
    if dx.ndim == 2:
        return _normalize(_hist_one(dx, dy, method, n, cell, half), method, n, eps)
    return np.stack([
        _normalize(_hist_one(a, b, method, n, cell, half), method, n, eps)
        for a, b in zip(dx, dy)
    ])


# ---------------------------------------------------------------------------
# scikit-image compatible HOG of an image
# ---------------------------------------------------------------------------
def _centred_gradients(channel):
    """(g_row, g_col) centred differences with a zero border, in channel's dtype."""
    g_row = np.zeros_like(channel)
    g_col = np.zeros_like(channel)
    np.subtract(channel[..., 2:, :], channel[..., :-2, :], out=g_row[..., 1:-1, :])
    np.subtract(channel[..., :, 2:], channel[..., :, :-2], out=g_col[..., :, 1:-1])
    return g_row, g_col


def image_hog(image, orientations=9, pixels_per_cell=(8, 8), cells_per_block=(3, 3),
              block_norm="L2-Hys", feature_vector=True, channel_axis=None,
              transform_sqrt=False):
    """HOG of an image, equal to :func:`skimage.feature.hog`.

    Same algorithm and parameters as scikit-image (centred differences with a
    zero border, per-pixel strongest channel for colour, orientation
    ``arctan2(g_row, g_col)`` in degrees modulo 180, bins limited by
    scikit-image's float32 edges, mean magnitude per cell, overlapping
    blocks normalised by ``block_norm``), computed in one pass by a Cython
    kernel; the cell histograms are summed in float64 where scikit-image
    sums in float32, so results agree within 1e-6 (about 1e-7 with 8x8
    cells; the difference is scikit-image's rounding).

    Parameters
    ----------
    image : (M, N) or (M, N, C) ndarray
        uint8 / integer / float image; colour needs ``channel_axis``.
    orientations : int
    pixels_per_cell : (int, int)
    cells_per_block : (int, int)
    block_norm : {"L1", "L1-sqrt", "L2", "L2-Hys"}
    feature_vector : bool
        Return ``ravel()`` of the block array.
    channel_axis : int, optional
        Axis of the colour channels.
    transform_sqrt : bool
        Square root of the image first (gamma compression).

    Returns
    -------
    out : (n_blocks_row, n_blocks_col, b_row, b_col, orientations) ndarray
        float32 for float16/float32 images, else float64; flattened if
        ``feature_vector``.

    Raises
    ------
    ValueError
        Unknown ``block_norm``, wrong dimensions, image smaller than one block.
    """
    check_choice(block_norm, "block_norm", tuple(BLOCK_NORMS))
    n = check_int(orientations, "orientations", low=1, high=3600)
    c_row, c_col = check_pair(pixels_per_cell, "pixels_per_cell", high=_MAX_PAIR)
    b_row, b_col = check_pair(cells_per_block, "cells_per_block", high=_MAX_PAIR)
    image = check_array(image, "image", ndim=(2, 3), kinds="buif",
                        nonnegative=bool(transform_sqrt))
    float_dtype = np.float32 if image.dtype in (np.float16, np.float32) else np.float64
    if channel_axis is not None:
        if image.ndim != 3:
            raise ValueError(f"image must have 3 dimensions with channel_axis, got {image.shape}")
        channel_axis = check_int(channel_axis, "channel_axis", low=-3, high=2)
        image = np.moveaxis(image, channel_axis, -1)
    elif image.ndim != 2:
        raise ValueError(
            f"image of shape {image.shape} has 3 dimensions: give channel_axis for colour"
        )
    s_row, s_col = image.shape[:2]
    ny, nx = s_row // c_row, s_col // c_col
    nby, nbx = ny - b_row + 1, nx - b_col + 1
    if nby <= 0 or nbx <= 0:
        raise ValueError(
            f"image of shape {image.shape} is too small for pixels_per_cell "
            f"{(c_row, c_col)} and cells_per_block {(b_row, b_col)}: it needs at "
            f"least {b_row * c_row} rows and {b_col * c_col} cols"
        )
    # uint8 is differenced exactly as it is; anything else in float_dtype
    if transform_sqrt or image.dtype != np.uint8 or image.ndim == 3:
        image = image.astype(float_dtype, copy=False)
    if transform_sqrt:
        image = np.sqrt(image)
    g_row = g_col = None
    if image.ndim == 3:
        g_row_c, g_col_c = _centred_gradients(np.moveaxis(image, -1, 0))
        idx = np.hypot(g_row_c, g_col_c).argmax(axis=0)[None]
        g_row = np.ascontiguousarray(np.take_along_axis(g_row_c, idx, 0)[0], dtype=np.float64)
        g_col = np.ascontiguousarray(np.take_along_axis(g_col_c, idx, 0)[0], dtype=np.float64)
    else:
        image = np.ascontiguousarray(image)

    # scikit-image's bin limits: float32 (180 / n) times float32 i.
    per = np.float32(180.0 / n)
    edges = (per * np.arange(n + 1, dtype=np.float32)).astype(np.float64)
    hist = np.empty((ny, nx, n), np.float64)
    # bands of whole cell rows (about 64 image rows): the gradient, angle and
    # histogram passes run on buffers that stay in cache
    rows = ny * c_row
    band = min(rows, c_row * max(1, 64 // c_row))
    angle = np.empty((band, s_col), np.float64)
    if g_row is None:
        buf_row = np.empty((band, s_col), np.float64)
        buf_col = np.empty((band, s_col), np.float64)
    for y0 in range(0, rows, band):
        m = min(band, rows - y0)
        if g_row is None:
            gr, gc = buf_row[:m], buf_col[:m]
            _hog.centred_gradients(image, y0, gr, gc)
        else:
            gr, gc = g_row[y0:y0 + m], g_col[y0:y0 + m]
        np.arctan2(gr, gc, out=angle[:m])  # numpy's, so the bins match scikit-image's
        _hog.image_cell_histograms(gr, gc, angle[:m], c_row, c_col, edges,
                                   hist[y0 // c_row:(y0 + m) // c_row])
    out = np.empty((nby, nbx, b_row, b_col, n), float_dtype)
    _hog.block_normalize(hist, b_row, b_col, BLOCK_NORMS[block_norm], 1e-5, out)
    return out.ravel() if feature_vector else out


# ---------------------------------------------------------------------------
# One HOG for every front end
# ---------------------------------------------------------------------------
_COLOR = ("max", "luma", "mean")


def _unit_float(image, name, ndim):
    """uint8 -> float32 / 255; float -> float32 as it is (taken as [0, 1])."""
    a = check_array(image, name, ndim=ndim, kinds="uf")
    if a.dtype.kind == "u":
        if a.dtype != np.uint8:
            raise TypeError(f"{name} must be uint8 or float, got {a.dtype}")
        return a.astype(np.float32) * np.float32(1.0 / 255.0)
    return a.astype(np.float32, copy=False)


def image_gradients(image, *, color="max"):
    """Centred gradients of an 8-bit or float image, for :func:`hog`.

    Parameters
    ----------
    image : (H, W), (H, W, 3), (N, H, W) or (N, H, W, 3) ndarray
        uint8 (scaled to [0, 1] by 1/255) or float (taken as [0, 1]). A 3-D
        array whose last axis has length 3 is one colour image.
    color : {"max", "luma", "mean"}
        Colour handling: per pixel the channel with the largest gradient
        (Dalal-Triggs and features.cc), or the gradients of the Rec. 709 luma
        (weights as :func:`skimage.color.rgb2gray`) or of the channel mean.

    Returns
    -------
    dx, dy : float32 ndarrays, shape of the image without the channel axis
        ``I[y, x+1] - I[y, x-1]`` and ``I[y+1, x] - I[y-1, x]``, zero on the
        one-pixel border (as the log-gradient front end).
    """
    check_choice(color, "color", _COLOR)
    a = _unit_float(image, "image", ndim=(2, 3, 4))
    rgb = a.ndim == 4 or (a.ndim == 3 and a.shape[-1] == 3)
    if a.ndim == 4 and a.shape[-1] != 3:
        raise ValueError(f"image of 4 dimensions must be (N, H, W, 3), got {a.shape}")
    if not rgb:
        g_row, g_col = _centred_gradients(a)
        return np.ascontiguousarray(g_col), np.ascontiguousarray(g_row)
    if color == "max":
        g_row, g_col = _centred_gradients(np.moveaxis(a, -1, 0))
        idx = (g_row * g_row + g_col * g_col).argmax(axis=0)[None]
        g_row = np.take_along_axis(g_row, idx, 0)[0]
        g_col = np.take_along_axis(g_col, idx, 0)[0]
    else:
        w = np.asarray(LUMA_709 if color == "luma" else (1 / 3, 1 / 3, 1 / 3), np.float32)
        g_row, g_col = _centred_gradients(np.ascontiguousarray(a @ w))
    return np.ascontiguousarray(g_col), np.ascontiguousarray(g_row)


def _is_codes(output):
    return hasattr(output, "dx") and hasattr(output, "dy")


def _code_levels(output):
    levels = getattr(output, "levels", None)
    if levels is None and getattr(output, "bits", None) is not None:
        levels = 2 ** int(output.bits) - 1
    return levels


def frontend_features(output, *, scale=0, cell_size=8, method="fhog", orientations=9,
                      color="max"):
    """HOG feature vector of one front end output, the same for every front end.

    Parameters
    ----------
    output : GradientCodes or ndarray
        A log-gradient output (its scale index ``scale`` is used, codes
        binned through the lookup table), or an 8-bit / float image
        ``(H, W)``, ``(H, W, 3)`` or a stack ``(N, H, W[, 3])`` whose centred
        differences (:func:`image_gradients`, image scaled to [0, 1]) are used.
    scale : int
        Index into ``output.scales`` (codes only).
    cell_size, method, orientations
        As :func:`hog`.
    color : {"max", "luma", "mean"}
        Colour handling of RGB images, see :func:`image_gradients`.

    Returns
    -------
    features : (F,) or (N, F) float32 ndarray
        ``hog(...).ravel()`` per frame.
    """
    if _is_codes(output):
        n_scales = len(output.dx)
        if len(output.dy) != n_scales:
            raise ValueError(f"output has {n_scales} dx maps but {len(output.dy)} dy maps")
        scale = check_int(scale, "scale", low=0, high=n_scales - 1)
        f = hog(output.dx[scale], output.dy[scale], method=method, cell_size=cell_size,
                orientations=orientations, levels=_code_levels(output))
    elif isinstance(output, np.ndarray):
        dx, dy = image_gradients(output, color=color)
        f = hog(dx, dy, method=method, cell_size=cell_size, orientations=orientations)
    else:
        raise TypeError(
            f"output must be GradientCodes or an image ndarray, got {type(output).__name__}"
        )
    return f.reshape(-1) if f.ndim == 3 else f.reshape(f.shape[0], -1)


# ---------------------------------------------------------------------------
# Windows and pyramids
# ---------------------------------------------------------------------------
def window_features(cell_map, window_cells, stride_cells=1):
    """Feature vectors of every window of a per-cell feature map.

    Parameters
    ----------
    cell_map : (ny, nx, F) ndarray
        Per-cell features, e.g. from :func:`hog`.
    window_cells : int or (int, int)
        Window height and width in cells.
    stride_cells : int or (int, int)
        Step between windows in cells.

    Returns
    -------
    features : (n_windows, wy * wx * F) float32 ndarray
        Row-major windows, each flattened as ``cell_map[r:r+wy, c:c+wx].ravel()``.
    positions : (n_windows, 2) int64 ndarray
        Top-left cell ``(row, col)`` of each window.

    Raises
    ------
    ValueError
        A window larger than the map, a non-3-D map.
    """
    m = check_array(cell_map, "cell_map", ndim=3, dtype=np.float32)
    wy, wx = check_pair(window_cells, "window_cells", high=_MAX_PAIR)
    sy, sx = check_pair(stride_cells, "stride_cells", high=_MAX_PAIR)
    ny, nx, nf = m.shape
    if wy > ny or wx > nx:
        raise ValueError(
            f"window_cells {(wy, wx)} is larger than the cell map {(ny, nx)}"
        )
    view = np.lib.stride_tricks.sliding_window_view(m, (wy, wx), axis=(0, 1))
    view = view[::sy, ::sx]                       # (py, px, F, wy, wx)
    py, px = view.shape[:2]
    feats = np.ascontiguousarray(view.transpose(0, 1, 3, 4, 2)).reshape(py * px, wy * wx * nf)
    rows, cols = np.meshgrid(np.arange(py) * sy, np.arange(px) * sx, indexing="ij")
    return feats, np.stack([rows.ravel(), cols.ravel()], axis=1).astype(np.int64)


@dataclass(frozen=True)
class PyramidLevel:
    """One level of a feature pyramid.

    Attributes
    ----------
    features : (ny, nx, F) or (N, ny, nx, F) float32 ndarray
    scale : float
        Size of one level pixel in full-resolution pixels (the binning factor
        of the front end, or ``downscale ** k`` of the image pyramid).
    cell_px : float
        Size of one cell in full-resolution pixels, ``cell_size * scale``;
        a window at cell ``(r, c)`` starts at pixel ``(r * cell_px, c * cell_px)``.
    """

    features: np.ndarray
    scale: float
    cell_px: float


def feature_pyramid(output_or_image, *, cell_size=8, method="fhog", orientations=9,
                    downscale=2.0, max_levels=None, min_cells=1, color="max", unit_px=1.0):
    """HOG at several scales: the front end's multi-scale readout, or an image pyramid.

    Parameters
    ----------
    output_or_image : GradientCodes or ndarray
        Log-gradient codes: one level per front end scale (the binned
        super-pixel readout, no digital resampling). Image ``(H, W)`` or
        ``(H, W, 3)`` (uint8 or float in [0, 1]): a Gaussian pyramid
        (:func:`skimage.transform.pyramid_gaussian`) with factor ``downscale``.
    cell_size, method, orientations, color
        As :func:`frontend_features`.
    downscale : float
        Image pyramid factor (> 1); ignored for codes.
    max_levels : int, optional
        At most this many levels.
    min_cells : int
        Levels with fewer cells than this along either axis are dropped.
    unit_px : float
        Size of the front end's unit pixel in frame pixels: 1, or 2 for
        codes of a Bayer sensor, whose scales count 2x2 quads. Multiplies
        ``scale`` and ``cell_px`` of every level.

    Returns
    -------
    levels : list of PyramidLevel
        Finest first.
    """
    cell = check_int(cell_size, "cell_size", low=1, high=4096)
    min_cells = check_int(min_cells, "min_cells", low=1)
    unit_px = check_float(unit_px, "unit_px", low=0.0, low_open=True)
    if max_levels is not None:
        max_levels = check_int(max_levels, "max_levels", low=1)
    levels = []
    if _is_codes(output_or_image):
        codes = output_or_image
        scales = tuple(getattr(codes, "scales", range(1, len(codes.dx) + 1)))
        for i, s in enumerate(scales):
            h, w = codes.dx[i].shape[-2:]
            if h < min_cells * cell or w < min_cells * cell:
                continue
            f = hog(codes.dx[i], codes.dy[i], method=method, cell_size=cell,
                    orientations=orientations, levels=_code_levels(codes))
            levels.append(PyramidLevel(f, unit_px * s, unit_px * cell * s))
    elif isinstance(output_or_image, np.ndarray):
        from skimage.transform import pyramid_gaussian

        downscale = check_float(downscale, "downscale", low=1.0, low_open=True)
        img = _unit_float(output_or_image, "output_or_image", ndim=(2, 3))
        rgb = img.ndim == 3
        if rgb and img.shape[-1] != 3:
            raise ValueError(f"output_or_image must be (H, W) or (H, W, 3), got {img.shape}")
        pyr = pyramid_gaussian(img, downscale=downscale, preserve_range=True,
                               channel_axis=-1 if rgb else None)
        for k, level in enumerate(pyr):
            if level.shape[0] < min_cells * cell or level.shape[1] < min_cells * cell:
                break
            dx, dy = image_gradients(level.astype(np.float32), color=color)
            f = hog(dx, dy, method=method, cell_size=cell, orientations=orientations)
            scale = unit_px * downscale ** k
            levels.append(PyramidLevel(f, scale, cell * scale))
            if max_levels is not None and len(levels) >= max_levels:
                break
    else:
        raise TypeError(
            "output_or_image must be GradientCodes or an image ndarray, "
            f"got {type(output_or_image).__name__}"
        )
    if max_levels is not None:
        levels = levels[:max_levels]
    if not levels:
        raise ValueError(
            f"output_or_image is smaller than {min_cells} cell(s) of {cell} pixels at every scale"
        )
    return levels
