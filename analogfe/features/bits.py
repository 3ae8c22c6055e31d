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

__all__ = ["reachable_bins", "code_bits", "bin_word_bits", "hog_descriptor_bits",
           "hog_compression", "PUBLISHED_HOG_COMPRESSION", "published_bin_bits"]

#: HOG descriptor compression against an 8-bit image that Young et al. [4]
#: report for 1.5-bit (3-level) and 2.75-bit (7-level) codes.
PUBLISHED_HOG_COMPRESSION = {3: 25.0, 7: 9.5}


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


def bin_word_bits(levels, cell_size=8):
    """Bits a histogram bin of ``levels``-level codes needs, derived.

    Every pixel of a ``cell_size`` x ``cell_size`` cell may vote into the
    same bin, each with at most the largest L1 magnitude of a code pair,
    ``|dx| + |dy| = levels - 1``; the bin must hold
    ``cell_size^2 (levels - 1)`` without overflow:
    ``ceil(log2(cell_size^2 (levels - 1) + 1))`` bits, 8 at 1.5 b and 9 at
    2.75 b for 8-pixel cells.

    Examples
    --------
    >>> bin_word_bits(3), bin_word_bits(7)
    (8, 9)
    """
    levels = check_int(levels, "levels", low=2, high=255)
    cell_size = check_int(cell_size, "cell_size", low=1, high=4096)
    return max(1, math.ceil(math.log2(cell_size * cell_size * (levels - 1) + 1)))


def published_bin_bits(levels, *, cell_size=8, pixel_bits=8, orientations=9):
    """The bin word that the published compression of [4] implies.

    ``cell_size^2 x pixel_bits / (reachable bins x published compression)``:
    5.1 bits at 1.5 b and 6.0 at 2.75 b, against the 8 and 9 that
    :func:`bin_word_bits` derives -- the paper's figures hold only if a bin
    saturates (or drops low bits) at 5 or 6 bits; the paper does not say which.
    """
    published = PUBLISHED_HOG_COMPRESSION.get(levels)
    if published is None:
        raise ValueError(f"levels: a compression is published for {sorted(PUBLISHED_HOG_COMPRESSION)}"
                         f" levels, not {levels!r}")
    return cell_size * cell_size * pixel_bits / (reachable_bins(levels, orientations) * published)


def hog_descriptor_bits(levels=None, *, orientations=9, bin_bits=None, feature_bits=8,
                        cell_size=8):
    """Bits of one cell's HOG descriptor.

    ``levels=None`` is the digital (8-bit image) HOG: ``orientations x
    feature_bits``. For log-gradient codes of ``levels`` levels:
    ``reachable_bins(levels) x bin_bits``, with ``bin_bits`` derived from the
    cell size and the largest vote by default (:func:`bin_word_bits`: 8 bits
    at 1.5 b, 9 at 2.75 b).
    """
    if levels is None:
        return orientations * check_int(feature_bits, "feature_bits", low=1)
    if bin_bits is None:
        bin_bits = bin_word_bits(levels, cell_size)
    return reachable_bins(levels, orientations) * check_int(bin_bits, "bin_bits", low=1)


def hog_compression(levels, *, cell_size=8, pixel_bits=8, orientations=9, bin_bits=None):
    """HOG descriptor compression against an 8-bit image, one scale.

    ``cell_size^2 x pixel_bits / hog_descriptor_bits(levels)``. With the bin
    word derived from the cell (:func:`bin_word_bits`): 512 / (4 x 8) = 16 at
    1.5 b and 512 / (9 x 9) = 6.3 at 2.75 b. The paper reports 25x and 9.5x
    [4] (:data:`PUBLISHED_HOG_COMPRESSION`), which 5- and 6-bit bins give
    (``bin_bits=5`` / ``6``: 25.6 and 9.48; see :func:`published_bin_bits`).

    Examples
    --------
    >>> round(hog_compression(3), 1), round(hog_compression(7), 2)
    (16.0, 6.32)
    >>> round(hog_compression(3, bin_bits=5), 1), round(hog_compression(7, bin_bits=6), 2)
    (25.6, 9.48)
    """
    cell_size = check_int(cell_size, "cell_size", low=1)
    pixel_bits = check_int(pixel_bits, "pixel_bits", low=1)
    return cell_size * cell_size * pixel_bits / hog_descriptor_bits(
        levels, orientations=orientations, bin_bits=bin_bits, cell_size=cell_size)
