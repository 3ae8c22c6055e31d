"""Window features and feature pyramids.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_array, check_float, check_int, check_pair
from ..frontend.codes import code_levels, is_codes
from .histograms import _MAX_PAIR, hog
from .image import _unit_float, image_gradients

__all__ = ['window_features', 'gaussian_levels', 'PyramidLevel', 'feature_pyramid']


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
        A window larger than the map, a non-3-D map, NaN, infinity or values
        beyond the float32 range in ``cell_map``.
    TypeError
        ``window_cells`` or ``stride_cells`` neither an int nor a pair of ints.
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


def gaussian_levels(image, downscale):
    """Levels of scikit-image's Gaussian pyramid of a float image, finest first.

    The image pyramid of the 8-bit front ends, shared by
    :func:`feature_pyramid` and the sliding-window detector: each level is
    the previous one smoothed and reduced by ``downscale``
    (:func:`skimage.transform.pyramid_gaussian` with ``preserve_range=True``),
    until a reduction no longer changes the shape. Levels are computed as
    they are asked for. No checks: the callers validate their input.

    Parameters
    ----------
    image : (H, W) or (H, W, 3) float ndarray
        Values in [0, 1] (e.g. uint8 / 255); a 3-D image is colour, its
        channels smoothed separately. Reduced in its own float precision.
    downscale : float
        Factor between levels, > 1.

    Yields
    ------
    scale : float
        ``downscale ** k`` for level ``k``: input pixels per level pixel.
    level : float32 ndarray
        The level, shaped like ``image`` with fewer rows and columns.
    """
    from skimage.transform import pyramid_gaussian

    rgb = image.ndim == 3
    pyr = pyramid_gaussian(image, downscale=downscale, preserve_range=True,
                           channel_axis=-1 if rgb else None)
    for k, level in enumerate(pyr):
        yield downscale ** k, level.astype(np.float32)


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
        Image pyramid factor, in ``(1, 1e6]``; ignored for codes.
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
    if is_codes(output_or_image):
        codes = output_or_image
        scales = tuple(getattr(codes, "scales", range(1, len(codes.dx) + 1)))
        for i, s in enumerate(scales):
            h, w = codes.dx[i].shape[-2:]
            if h < min_cells * cell or w < min_cells * cell:
                continue
            f = hog(codes.dx[i], codes.dy[i], method=method, cell_size=cell,
                    orientations=orientations, levels=code_levels(codes))
            levels.append(PyramidLevel(f, unit_px * s, unit_px * cell * s))
    elif isinstance(output_or_image, np.ndarray):
        downscale = check_float(downscale, "downscale", low=1.0, low_open=True, high=1e6)
        img = _unit_float(output_or_image, "output_or_image", ndim=(2, 3))
        if img.ndim == 3 and img.shape[-1] != 3:
            raise ValueError(f"output_or_image must be (H, W) or (H, W, 3), got {img.shape}")
        for level_scale, level in gaussian_levels(img, downscale):
            if level.shape[0] < min_cells * cell or level.shape[1] < min_cells * cell:
                break
            dx, dy = image_gradients(level, color=color)
            f = hog(dx, dy, method=method, cell_size=cell, orientations=orientations)
            scale = unit_px * level_scale
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
