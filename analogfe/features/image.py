"""HOG and gradients of images (scikit-image compatible), and the same HOG of
any front end's output.
"""
from __future__ import annotations

import math

import numpy as np

from .._ext import _hog
from .._validation import (
    _cast,
    check_array,
    check_bool,
    check_choice,
    check_int,
    check_pair,
    finite_peak,
)
from ..frontend.codes import code_levels, is_codes
from ..scene.color import REC709_LUMA
from .histograms import _MAX_PAIR, BLOCK_NORMS, SAFE_PEAK, _scale_to_safe, hog

#: Largest magnitude of a float32 image whose centred differences (taken in
#: float32, as scikit-image) cannot overflow: 2**126 - (-2**126) = 2**127.
SAFE_PEAK_F32 = 2.0 ** 126
#: Largest magnitude accepted in a float image of :func:`image_gradients` and
#: the features built on it (values are taken as [0, 1]): its float32
#: differences stay finite.
MAX_UNIT_FLOAT = SAFE_PEAK_F32

__all__ = ['image_hog', 'image_gradients', 'centred_gradients', 'frontend_features']


# ---------------------------------------------------------------------------
# scikit-image compatible HOG of an image
# ---------------------------------------------------------------------------
def centred_gradients(channel):
    """Centred differences with a zero border, in ``channel``'s dtype.

    Parameters
    ----------
    channel : (..., H, W) ndarray
        One image or a stack of them (rows and columns are the last two axes).

    Returns
    -------
    g_row, g_col : ndarrays shaped and typed like ``channel``
        ``I[y+1, x] - I[y-1, x]`` and ``I[y, x+1] - I[y, x-1]``; zero on the
        one-pixel border (as scikit-image's HOG and the log-gradient front end).
    """
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
        float32 for float16/float32 images (either byte order), else float64;
        flattened if ``feature_vector``.

    Notes
    -----
    A float image of any finite size is accepted. When its largest magnitude
    (after ``transform_sqrt``) is above ``2**126`` (float16/float32, whose
    differences are taken in float32) or ``2**300`` (float64) it is first
    scaled by a power of two that brings it below (exact), so no difference
    or sum of squares overflows to infinity (where scikit-image returns NaN
    or zeros). HOG is invariant to the scale of the image up to the
    ``1e-5`` of the block norms, so only blocks smaller than about ``1e-30``
    (float32) or ``1e-90`` (float64) times the largest value change.

    Raises
    ------
    ValueError
        Unknown ``block_norm``, wrong dimensions, image smaller than one
        block, NaN or infinity, negative values with ``transform_sqrt``.
    TypeError
        Non-numeric image, non-integer sizes, non-bool ``feature_vector`` or
        ``transform_sqrt``.
    """
    check_choice(block_norm, "block_norm", tuple(BLOCK_NORMS))
    n = check_int(orientations, "orientations", low=1, high=3600)
    c_row, c_col = check_pair(pixels_per_cell, "pixels_per_cell", high=_MAX_PAIR)
    b_row, b_col = check_pair(cells_per_block, "cells_per_block", high=_MAX_PAIR)
    feature_vector = check_bool(feature_vector, "feature_vector")
    transform_sqrt = check_bool(transform_sqrt, "transform_sqrt")
    image, float_dtype, peak = _check_hog_image(image, channel_axis, transform_sqrt)
    ny, nx = image.shape[0] // c_row, image.shape[1] // c_col
    nby, nbx = ny - b_row + 1, nx - b_col + 1
    if nby <= 0 or nbx <= 0:
        raise ValueError(
            f"image of shape {image.shape} is too small for pixels_per_cell "
            f"{(c_row, c_col)} and cells_per_block {(b_row, b_col)}: it needs at "
            f"least {b_row * c_row} rows and {b_col * c_col} cols"
        )
    image, g_row, g_col = _hog_input(image, float_dtype, transform_sqrt, peak)
    hist = _image_cell_histograms(image, g_row, g_col, n, c_row, c_col, ny, nx)
    out = np.empty((nby, nbx, b_row, b_col, n), float_dtype)
    _hog.block_normalize(hist, b_row, b_col, BLOCK_NORMS[block_norm], 1e-5, out)
    return out.ravel() if feature_vector else out


def _check_hog_image(image, channel_axis, transform_sqrt):
    """:func:`image_hog`'s image, channels last, the float dtype of its
    result (float32 for float16/float32 images, else float64) and the
    largest magnitude of a float image (0.0 for an integer image)."""
    image = check_array(image, "image", ndim=(2, 3), kinds="buif", finite=False,
                        nonnegative=bool(transform_sqrt))
    small = image.dtype.kind == "f" and image.dtype.itemsize <= 4
    float_dtype = np.float32 if small else np.float64
    peak = 0.0
    if image.dtype.kind == "f":
        # finite in the dtype it is computed in (a longdouble may not fit float64)
        image, source = _cast(image, float_dtype), image
        peak = finite_peak(image, "image", source=source)
    if channel_axis is not None:
        if image.ndim != 3:
            raise ValueError(f"image must have 3 dimensions with channel_axis, got {image.shape}")
        channel_axis = check_int(channel_axis, "channel_axis", low=-3, high=2)
        image = np.moveaxis(image, channel_axis, -1)
    elif image.ndim != 2:
        raise ValueError(
            f"image of shape {image.shape} has 3 dimensions: give channel_axis for colour"
        )
    return image, float_dtype, peak


def _hog_input(image, float_dtype, transform_sqrt, peak=0.0):
    """What the histogram pass reads: ``(image, None, None)`` for a grey image
    (contiguous; its gradients are taken band by band), or ``(image, g_row,
    g_col)`` with the float64 gradients of the strongest channel for colour.
    A float image whose largest magnitude ``peak`` (before the square root)
    could overflow the differences or the norms is scaled by a power of two."""
    # uint8 is differenced exactly as it is; anything else in float_dtype
    if transform_sqrt or image.dtype != np.uint8 or image.ndim == 3:
        image = image.astype(float_dtype, copy=False)
    if transform_sqrt:
        image = np.sqrt(image)
        peak = math.sqrt(peak)
    safe = SAFE_PEAK_F32 if float_dtype == np.float32 else SAFE_PEAK
    (image,) = _scale_to_safe((image,), peak, safe)
    if image.ndim != 3:
        return np.ascontiguousarray(image), None, None
    g_row_c, g_col_c = centred_gradients(np.moveaxis(image, -1, 0))
    idx = np.hypot(g_row_c, g_col_c).argmax(axis=0)[None]
    g_row = np.ascontiguousarray(np.take_along_axis(g_row_c, idx, 0)[0], dtype=np.float64)
    g_col = np.ascontiguousarray(np.take_along_axis(g_col_c, idx, 0)[0], dtype=np.float64)
    return image, g_row, g_col


def _image_cell_histograms(image, g_row, g_col, n, c_row, c_col, ny, nx):
    """(ny, nx, n) float64 cell histograms of :func:`image_hog`.

    Runs in bands of whole cell rows (about 64 image rows), so the gradient,
    angle and histogram passes work on buffers that stay in cache. Gradients
    of a grey image (``g_row is None``) are computed band by band from
    ``image``; colour gradients are given whole."""
    s_col = image.shape[1]
    # scikit-image's bin limits: float32 (180 / n) times float32 i.
    per = np.float32(180.0 / n)
    edges = (per * np.arange(n + 1, dtype=np.float32)).astype(np.float64)
    hist = np.empty((ny, nx, n), np.float64)
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
    return hist


# ---------------------------------------------------------------------------
# One HOG for every front end
# ---------------------------------------------------------------------------
_COLOR = ("max", "luma", "mean")


def _unit_float(image, name, ndim):
    """uint8 -> float32 / 255; float -> float32 as it is (taken as [0, 1]),
    finite after the cast and at most :data:`MAX_UNIT_FLOAT` in magnitude (so
    its float32 differences are finite)."""
    a = check_array(image, name, ndim=ndim, kinds="uf", finite=False)
    if a.dtype.kind == "u":
        if a.dtype != np.uint8:
            raise TypeError(f"{name} must be uint8 or float, got {a.dtype}")
        return a.astype(np.float32) * np.float32(1.0 / 255.0)
    return check_array(a, name, dtype=np.float32, max_abs=MAX_UNIT_FLOAT)


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

    Raises
    ------
    ValueError
        NaN, infinity, or a float value of magnitude above ``2**126``
        (:data:`MAX_UNIT_FLOAT`; the image is taken as [0, 1], and larger
        values would make the float32 differences infinite).
    TypeError
        An integer image other than uint8.
    """
    check_choice(color, "color", _COLOR)
    a = _unit_float(image, "image", ndim=(2, 3, 4))
    rgb = a.ndim == 4 or (a.ndim == 3 and a.shape[-1] == 3)
    if a.ndim == 4 and a.shape[-1] != 3:
        raise ValueError(f"image of 4 dimensions must be (N, H, W, 3), got {a.shape}")
    if not rgb:
        g_row, g_col = centred_gradients(a)
        return np.ascontiguousarray(g_col), np.ascontiguousarray(g_row)
    if color == "max":
        g_row, g_col = centred_gradients(np.moveaxis(a, -1, 0))
        idx = (g_row * g_row + g_col * g_col).argmax(axis=0)[None]
        g_row = np.take_along_axis(g_row, idx, 0)[0]
        g_col = np.take_along_axis(g_col, idx, 0)[0]
    else:
        w = np.asarray(REC709_LUMA if color == "luma" else (1 / 3, 1 / 3, 1 / 3), np.float32)
        g_row, g_col = centred_gradients(np.ascontiguousarray(a @ w))
    return np.ascontiguousarray(g_col), np.ascontiguousarray(g_row)




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
    if is_codes(output):
        n_scales = len(output.dx)
        if len(output.dy) != n_scales:
            raise ValueError(f"output has {n_scales} dx maps but {len(output.dy)} dy maps")
        scale = check_int(scale, "scale", low=0, high=n_scales - 1)
        f = hog(output.dx[scale], output.dy[scale], method=method, cell_size=cell_size,
                orientations=orientations, levels=code_levels(output))
    elif isinstance(output, np.ndarray):
        dx, dy = image_gradients(output, color=color)
        f = hog(dx, dy, method=method, cell_size=cell_size, orientations=orientations)
    else:
        raise TypeError(
            f"output must be GradientCodes or an image ndarray, got {type(output).__name__}"
        )
    return f.reshape(-1) if f.ndim == 3 else f.reshape(f.shape[0], -1)
