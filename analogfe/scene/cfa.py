"""Bayer colour filter arrays: pattern names, mosaic and bilinear demosaic
(Cython kernels in ``ext/_cfa.pyx``).
"""
from __future__ import annotations

import numpy as np

from .._validation import check_array, check_choice

__all__ = ['CFA_PATTERNS', 'cfa_index', 'mosaic', 'demosaic']


#: The Bayer patterns by name: the colours of the top-left 2 x 2 quad, row by row.
CFA_PATTERNS = ("RGGB", "BGGR", "GRBG", "GBRG")


# --------------------------------------------------------------------------- #
# Bayer colour filter array
# --------------------------------------------------------------------------- #
def cfa_index(cfa):
    """(2, 2) array of channel indices (0 = R, 1 = G, 2 = B) of a CFA name.

    Parameters
    ----------
    cfa : {"RGGB", "BGGR", "GRBG", "GBRG"}
        Colours of the top-left 2x2 tile in row-major order.
    """
    check_choice(cfa, "cfa", CFA_PATTERNS)
    lut = {"R": 0, "G": 1, "B": 2}
    return np.array([[lut[cfa[0]], lut[cfa[1]]], [lut[cfa[2]], lut[cfa[3]]]], dtype=np.intp)


def _cfa_ints(cfa):
    return np.ascontiguousarray(cfa_index(cfa), dtype=np.int32)


def mosaic(rgb, cfa="RGGB"):
    """Sample a linear RGB image through a Bayer colour filter array.

    Parameters
    ----------
    rgb : (H, W, 3) or (N, H, W, 3) ndarray, float
        Linear RGB.
    cfa : {"RGGB", "BGGR", "GRBG", "GBRG"}

    Returns
    -------
    raw : (H, W) or (N, H, W) ndarray, float32
    """
    from .._ext import _cfa

    rgb = check_array(rgb, "rgb", ndim=(3, 4), kinds="f", dtype=np.float32)
    if rgb.shape[-1] != 3:
        raise ValueError(f"rgb must have 3 channels in its last axis, got shape {rgb.shape}")
    idx = _cfa_ints(cfa)
    frames = rgb.reshape((-1,) + rgb.shape[-3:])
    out = np.empty(frames.shape[:-1], dtype=np.float32)
    for i in range(frames.shape[0]):
        _cfa.mosaic(frames[i], idx, out[i])
    return out.reshape(rgb.shape[:-1])


def demosaic(raw, cfa="RGGB"):
    """Bilinear demosaic of a Bayer mosaic.

    Each missing colour is the normalised 3x3 convolution of that colour's
    samples with the weights ``[[1, 2, 1], [2, 4, 2], [1, 2, 1]]`` (in the
    interior: the mean of the 2 or 4 nearest samples), borders mirrored about
    the edge pixel (``d c b | a b c d | c b a``), which keeps the Bayer phase.
    Known samples are kept as they are.

    Parameters
    ----------
    raw : (H, W) or (N, H, W) ndarray, float
        Bayer mosaic, H and W at least 2.
    cfa : {"RGGB", "BGGR", "GRBG", "GBRG"}

    Returns
    -------
    rgb : (H, W, 3) or (N, H, W, 3) ndarray, float32
    """
    from .._ext import _cfa

    raw = check_array(raw, "raw", ndim=(2, 3), kinds="f", dtype=np.float32)
    if raw.shape[-1] < 2 or raw.shape[-2] < 2:
        raise ValueError(f"raw must be at least 2x2 to demosaic, got shape {raw.shape}")
    idx = _cfa_ints(cfa)
    frames = raw.reshape((-1,) + raw.shape[-2:])
    out = np.empty(frames.shape + (3,), dtype=np.float32)
    for i in range(frames.shape[0]):
        _cfa.demosaic_bilinear(frames[i], idx, out[i])
    return out.reshape(raw.shape + (3,))
