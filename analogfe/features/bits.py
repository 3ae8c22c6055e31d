"""The size of a HOG descriptor of few-level codes: reachable orientation
bins, code and bin words, compression against an 8-bit image.

References
----------
.. [4] C. Young, A. Omid-Zohoor, P. Lajevardi, B. Murmann, "A Data-Compressive
   1.5/2.75-bit Log-Gradient QVGA Image Sensor With Multi-Scale Readout for
   Always-On Object Detection", IEEE JSSC 54(11):2932-2946, 2019,
   doi:10.1109/JSSC.2019.2937437.
"""
from __future__ import annotations

import math

import numpy as np

from .._validation import check_int

__all__ = ["reachable_bins", "code_bits", "hog_descriptor_bits", "hog_compression"]


# --------------------------------------------------------------------------
# HOG descriptor arithmetic (Young et al. [4]; FHOG orientation rule of
# Felzenszwalb et al., TPAMI 2010, features.cc of voc-release5)
# --------------------------------------------------------------------------
def reachable_bins(levels, orientations=9):
    """Number of unsigned orientation bins a pair of ``levels``-level codes
    can reach under the FHOG rule: the bin whose direction has the largest
    ``|dot product|`` with the gradient, ties to the lower bin (Felzenszwalb
    et al., TPAMI 2010). At 1.5 b: 0, 40, 80 and 140 degrees.

    Examples
    --------
    >>> reachable_bins(3), reachable_bins(7)
    (4, 9)
    """
    levels = check_int(levels, "levels", low=2, high=255)
    orientations = check_int(orientations, "orientations", low=1, high=3600)
    half = (levels - 1) // 2
    units = np.array([(math.cos(math.pi * k / orientations), math.sin(math.pi * k / orientations))
                      for k in range(orientations)])
    # every code pair but (0, 0), one row each, and |dot| with every bin
    # direction; (-dx, -dy) has the same |dot| as (dx, dy), so half the pairs do
    d = np.arange(-half, half + 1, dtype=np.float64)
    dx, dy = (a.ravel() for a in np.meshgrid(d, d, indexing="ij"))
    keep = (dx > 0) | ((dx == 0) & (dy > 0))
    dots = np.abs(dx[keep, None] * units[:, 0] + dy[keep, None] * units[:, 1])
    # the first bin within 1e-12 of the best one
    first = np.argmax(dots >= dots.max(axis=1, keepdims=True) - 1e-12, axis=1)
    return int(np.unique(first).size)


def code_bits(levels):
    """Bits of a ``levels``-level code word: 2 for ternary, 3 for 7 levels."""
    levels = check_int(levels, "levels", low=2)
    return max(1, math.ceil(math.log2(levels)))


def hog_descriptor_bits(levels=None, *, orientations=9, bin_bits=None, feature_bits=8):
    """Bits of one cell's HOG descriptor.

    ``levels=None`` is the digital (8-bit image) HOG: ``orientations x
    feature_bits``. For log-gradient codes of ``levels`` levels:
    ``reachable_bins(levels) x bin_bits``, with ``bin_bits`` = code bits + 3
    by default (an estimate that fits [4]: 5 bits at 1.5 b, 6 at 2.75 b).
    """
    if levels is None:
        return orientations * check_int(feature_bits, "feature_bits", low=1)
    if bin_bits is None:
        bin_bits = code_bits(levels) + 3
    return reachable_bins(levels, orientations) * check_int(bin_bits, "bin_bits", low=1)


def hog_compression(levels, *, cell_size=8, pixel_bits=8, orientations=9, bin_bits=None):
    """HOG descriptor compression against an 8-bit image, one scale.

    ``cell_size^2 x pixel_bits / hog_descriptor_bits(levels)``: 512 / 20 =
    25.6 at 1.5 b and 512 / 54 = 9.48 at 2.75 b (paper: 25x and 9.5x) [4].

    Examples
    --------
    >>> round(hog_compression(3), 1), round(hog_compression(7), 2)
    (25.6, 9.48)
    """
    cell_size = check_int(cell_size, "cell_size", low=1)
    pixel_bits = check_int(pixel_bits, "pixel_bits", low=1)
    return cell_size * cell_size * pixel_bits / hog_descriptor_bits(
        levels, orientations=orientations, bin_bits=bin_bits)
