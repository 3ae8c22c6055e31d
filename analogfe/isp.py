"""Scene input and the minimal ISP: sRGB <-> linear, unprocessing, Bayer
mosaic and demosaic, white balance, gamma.

(Skeleton in plain numpy; the mosaic/demosaic hot loops move to ``ext/``.)
"""
from __future__ import annotations

import numpy as np

from ._validation import check_array, check_choice

CFA_PATTERNS = ("RGGB", "BGGR", "GRBG", "GBRG")


def srgb_to_linear(image_srgb):
    """sRGB (uint8, uint16 or float in [0, 1]) -> linear float32 in [0, 1] (IEC 61966-2-1)."""
    a = np.asarray(image_srgb)
    if a.dtype == np.uint8:
        x = a.astype(np.float32) / 255.0
    elif a.dtype == np.uint16:
        x = a.astype(np.float32) / 65535.0
    else:
        x = check_array(a, "image_srgb", kinds="f", dtype=np.float32)
    x = np.clip(x, 0.0, 1.0)
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4).astype(np.float32)


def linear_to_srgb(image):
    """Linear float in [0, 1] -> sRGB float32 in [0, 1]."""
    x = np.clip(check_array(image, "image", kinds="f", dtype=np.float32), 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * x ** (1 / 2.4) - 0.055).astype(np.float32)


def cfa_index(cfa):
    """(2, 2) array of channel indices (0=R, 1=G, 2=B) for a CFA name."""
    check_choice(cfa, "cfa", CFA_PATTERNS)
    lut = {"R": 0, "G": 1, "B": 2}
    return np.array([[lut[cfa[0]], lut[cfa[1]]], [lut[cfa[2]], lut[cfa[3]]]], dtype=np.intp)


def mosaic(rgb, cfa="RGGB"):
    """(H, W, 3) linear RGB -> (H, W) Bayer mosaic float32."""
    rgb = check_array(rgb, "rgb", ndim=3, dtype=np.float32)
    if rgb.shape[2] != 3:
        raise ValueError(f"rgb must have 3 channels, got shape {rgb.shape}")
    idx = cfa_index(cfa)
    h, w, _ = rgb.shape
    ch = np.tile(idx, ((h + 1) // 2, (w + 1) // 2))[:h, :w]
    return np.take_along_axis(rgb, ch[..., None], axis=2)[..., 0].copy()


def demosaic(raw, cfa="RGGB"):
    """(H, W) Bayer mosaic -> (H, W, 3) by bilinear interpolation."""
    from scipy.ndimage import convolve

    raw = check_array(raw, "raw", ndim=2, dtype=np.float32)
    idx = cfa_index(cfa)
    h, w = raw.shape
    ch = np.tile(idx, ((h + 1) // 2, (w + 1) // 2))[:h, :w]
    k = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], np.float32) / 4.0
    out = np.empty((h, w, 3), np.float32)
    for c in range(3):
        m = (ch == c).astype(np.float32)
        num = convolve(raw * m, k, mode="mirror")
        den = convolve(m, k, mode="mirror")
        out[..., c] = num / np.maximum(den, 1e-12)
    return out
