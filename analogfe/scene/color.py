"""sRGB <-> linear light and linear RGB -> gray.

References
----------
.. [2] IEC 61966-2-1:1999, the sRGB colour space (transfer function).
.. [3] ITU-R BT.709-6, luma coefficients of linear RGB.
"""
from __future__ import annotations

import numpy as np

from .._validation import check_array

__all__ = ['srgb_to_linear', 'linear_to_srgb', 'rgb_to_gray']


#: Rec.709 luma weights of linear R, G, B [3].
REC709_LUMA = np.array([0.2126, 0.7152, 0.0722], dtype=np.float64)


# --------------------------------------------------------------------------- #
# transfer functions
# --------------------------------------------------------------------------- #
def srgb_to_linear(image_srgb):
    """sRGB-encoded image -> linear float32 in [0, 1] (IEC 61966-2-1).

    Parameters
    ----------
    image_srgb : ndarray, uint8, uint16 or float
        Any shape. uint8 is scaled by 1/255, uint16 by 1/65535; floats are
        taken as sRGB values in [0, 1] (values outside are clipped).

    Returns
    -------
    linear : ndarray, float32, same shape
    """
    a = np.asarray(image_srgb) if image_srgb is not None else None
    if a is None:
        raise TypeError("image_srgb must be an array, got None")
    if a.dtype in (np.uint8, np.uint16):
        if a.size == 0:
            raise ValueError(f"image_srgb must not be empty, got shape {a.shape}")
        # integer codes: a look-up in the table of every code (the same numbers)
        return np.take(_integer_table(a.dtype.itemsize), a)
    if a.dtype.kind == "f":
        x = check_array(a, "image_srgb", dtype=np.float64)
    else:
        raise TypeError(f"image_srgb must be uint8, uint16 or float, got {a.dtype}")
    if x.size == 0:
        raise ValueError(f"image_srgb must not be empty, got shape {x.shape}")
    return _decode(x)


def _decode(x):
    """float64 sRGB values -> linear float32 (clipped to [0, 1] first)."""
    x = np.clip(x, 0.0, 1.0)
    out = np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)
    return np.ascontiguousarray(out, dtype=np.float32)


_TABLES = {}


def _integer_table(itemsize):
    """Linear float32 of every uint8 (itemsize 1) or uint16 (2) code."""
    if itemsize not in _TABLES:
        top = 255.0 if itemsize == 1 else 65535.0
        _TABLES[itemsize] = _decode(np.arange(int(top) + 1, dtype=np.float64) / top)
    return _TABLES[itemsize]


def linear_to_srgb(x):
    """Linear float in [0, 1] -> sRGB-encoded float32 in [0, 1] (IEC 61966-2-1).

    Parameters
    ----------
    x : ndarray, float
        Linear values, any shape; clipped to [0, 1].

    Returns
    -------
    srgb : ndarray, float32, same shape
    """
    x = np.clip(check_array(x, "x", kinds="f", dtype=np.float64), 0.0, 1.0)
    out = np.where(x <= 0.0031308, 12.92 * x, 1.055 * x ** (1 / 2.4) - 0.055)
    return np.ascontiguousarray(out, dtype=np.float32)


def rgb_to_gray(rgb):
    """Linear RGB -> luminance with the Rec.709 weights.

    Parameters
    ----------
    rgb : (..., 3) ndarray, float
        Linear RGB (not gamma-encoded).

    Returns
    -------
    gray : (...) ndarray, float32
    """
    rgb = check_array(rgb, "rgb", kinds="f")
    if rgb.ndim < 1 or rgb.shape[-1] != 3:
        raise ValueError(f"rgb must have 3 channels in its last axis, got shape {rgb.shape}")
    return np.ascontiguousarray(rgb.astype(np.float64) @ REC709_LUMA, dtype=np.float32)
