"""The few-bit log-ratio converter.

The log-ratio converter digitises the natural log of the ratio of two pixel
values, ``d = ln(I_a + eps) - ln(I_b + eps)`` with ``I`` the linear intensity
in [0, 1] (electrons / full well), clipped to ``[-ln 8, +ln 8]`` and
quantised either with the formula of the released log-HOG code,

    ``q = round(d * (2**(b-1) - 0.5 - 1e-4) / ln 8)``  (half away from zero),

(``b = 2``: 3 levels {-1, 0, 1}, the "1.5-bit" code, threshold at a ratio of
2:1; ``b = 3``: 7 levels {-3..3}, the "2.75-bit" code, thresholds at ratios
1.35, 2.44, 4.42), or against an explicit ascending list of ratio thresholds
``r_1 < ... < r_m`` (``2m + 1`` symmetric levels, ``|q| = #{i : |d| >= ln r_i}``).

Codes leave the chip packed (:mod:`analogfe.frontend.packing`).

References
----------
A. Omid-Zohoor, C. Young, D. Ta, B. Murmann, "Toward Always-On Mobile Object
Detection: Energy Versus Performance Tradeoffs for Embedded HOG Feature
Extraction", IEEE TCSVT 28(5):1102-1115, 2018. doi:10.1109/TCSVT.2017.2653187
C. Young, A. Omid-Zohoor, P. Lajevardi, B. Murmann, "A Data-Compressive
1.5/2.75-bit Log-Gradient QVGA Image Sensor With Multi-Scale Readout for
Always-On Object Detection", IEEE JSSC 54(11):2932-2946, 2019.
doi:10.1109/JSSC.2019.2937437
"""
from __future__ import annotations

import math

import numpy as np

from .._ext import _logratio
from .._validation import (
    as_generator,
    check_array,
    check_choice,
    check_float,
    check_int,
)

__all__ = ['LN8', 'EPS', 'GUARD', 'levels_for_bits', 'quantiser_scale', 'formula_thresholds_ln', 'formula_ratio_thresholds', 'check_ratio_thresholds', 'log_ratio_codes']

#: Clip of the log ratio, ``ln 8`` (released log-HOG code; REFERENCES sec. 1).
LN8 = math.log(8.0)
#: Offset inside the log that keeps ``ln(I + EPS)`` finite at zero light.
EPS = 1e-4
#: Guard in the quantiser scale: without it a difference clipped to exactly
#: ``ln 8`` would round one level too far.
GUARD = 1e-4
#: Converter resolutions the released code defines: ``bits -> levels``.
BITS_LEVELS = {2: 3, 3: 7}


def levels_for_bits(bits):
    """Number of code levels of the formula quantiser: ``2**bits - 1``.

    Parameters
    ----------
    bits : {2, 3}
        ``b`` of the released formula (2: the 1.5-bit code, 3: the 2.75-bit code).
    """
    bits = check_int(bits, "bits")
    check_choice(bits, "bits", tuple(BITS_LEVELS))
    return BITS_LEVELS[bits]


def quantiser_scale(bits):
    """The factor ``s = (2**(b-1) - 0.5 - GUARD) / ln 8`` of the formula quantiser."""
    levels_for_bits(bits)
    return (2 ** (bits - 1) - 0.5 - GUARD) / LN8


def formula_thresholds_ln(bits):
    """Decision thresholds of the formula quantiser in natural-log units.

    ``round(d * s)`` steps from level ``n - 1`` to ``n`` at ``d = (n - 0.5) / s``.

    Returns
    -------
    t : (2**(bits-1) - 1,) float64, ascending, positive
    """
    s = quantiser_scale(bits)
    return np.array([(n - 0.5) / s for n in range(1, 2 ** (bits - 1))], dtype=np.float64)


def formula_ratio_thresholds(bits):
    """The same thresholds as pixel ratios: ``exp(t)`` (2.0001 at 2 bits;
    1.35, 2.44, 4.42 at 3 bits)."""
    return np.exp(formula_thresholds_ln(bits))


def check_ratio_thresholds(thresholds, name="thresholds"):
    """Validate ratio thresholds: ascending, each above 1 and at most 8.

    That is ``1 < r_1 < ... < r_m <= 8``.

    Returns
    -------
    t : (m,) float64
        The thresholds in natural-log units, ``ln r``.
    """
    r = check_array(thresholds, name, ndim=1, dtype=np.float64, kinds="iuf")
    if r.size > 63:
        raise ValueError(f"{name} may hold at most 63 thresholds (127 int8 levels), got {r.size}")
    if (r <= 1.0).any() or (r > 8.0).any():
        raise ValueError(f"{name} must be ratios in (1, 8] (the converter clips at 8:1), got {r}")
    if r.size > 1 and (np.diff(r) <= 0).any():
        raise ValueError(f"{name} must be strictly ascending, got {r}")
    return np.log(r)


def _pair_intensity(a, name):
    a = check_array(a, name, dtype=np.float64, nonnegative=True)
    return a


def log_ratio_codes(a, b, bits=2, thresholds=None, *, eps=EPS, offset_ln=0.0,
                    noise_ln=0.0, seed=None):
    """Convert pairs of intensities with the log-ratio converter.

    Parameters
    ----------
    a, b : ndarray, same shape, float, >= 0
        Linear intensities of the two pixels of each pair (1.0 = full well).
        The code is that of ``ln(a + eps) - ln(b + eps)``.
    bits : {2, 3}
        Resolution of the formula quantiser (ignored when ``thresholds`` is given).
    thresholds : sequence of float, optional
        Ascending ratio thresholds in (1, 8]; ``m`` of them give ``2m + 1`` levels.
    eps : float
        Offset inside the log (1e-4 in the released code).
    offset_ln : float or ndarray broadcastable to ``a``
        Comparator offset added to each log ratio (natural-log units, nepers).
    noise_ln : float
        Standard deviation of Gaussian comparator noise added to each log ratio
        (natural-log units), drawn from ``seed``.
    seed : None, int or numpy.random.Generator

    Returns
    -------
    codes : ndarray of int8, shape of ``a``

    Notes
    -----
    With no offset and no noise and ``thresholds=None`` this is exactly the
    released formula (C library ``log`` in float64, ``round`` half away from
    zero). With an offset or noise the formula's own thresholds
    (:func:`formula_thresholds_ln`) are compared against the perturbed ratio.

    Examples
    --------
    >>> log_ratio_codes([0.5, 0.2, 0.1], [0.1, 0.2, 0.5])
    array([ 1,  0, -1], dtype=int8)
    """
    a = _pair_intensity(a, "a")
    b = _pair_intensity(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"b must have the shape of a {a.shape}, got {b.shape}")
    eps = check_float(eps, "eps", low=0.0, low_open=True)
    noise_ln = check_float(noise_ln, "noise_ln", low=0.0)
    off = check_array(offset_ln, "offset_ln", dtype=np.float64, kinds="iuf")
    try:
        off = np.broadcast_to(off, a.shape)
    except ValueError:
        raise ValueError(f"offset_ln must broadcast to {a.shape}, got {off.shape}") from None
    if thresholds is None:
        s = quantiser_scale(bits)
        t = formula_thresholds_ln(bits)
    else:
        s = 0.0
        t = check_ratio_thresholds(thresholds)
    pert = np.array(off, dtype=np.float64).ravel()
    if noise_ln > 0:
        pert = pert + noise_ln * as_generator(seed).standard_normal(pert.size)
    formula = thresholds is None and not pert.any()
    out = np.empty(a.size, dtype=np.int8)
    _logratio.pair_codes(a.ravel(), b.ravel(), eps, LN8, s, formula, pert, t, t, out)
    return out.reshape(a.shape)
