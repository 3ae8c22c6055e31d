"""Scene input and the minimal ISP.

sRGB <-> linear, "unprocessing" of sRGB images into plausible camera raw
(Brooks et al., CVPR 2019), Bayer mosaic and bilinear demosaic (Cython
kernels in ``ext/_cfa.pyx``), and the minimal image signal processor of the
digital baseline: black level, white balance, demosaic, colour matrix, sRGB
gamma, 8 bits.

References
----------
.. [1] T. Brooks, B. Mildenhall, T. Xue, J. Chen, D. Sharlet, J. T. Barron,
   "Unprocessing Images for Learned Raw Denoising", CVPR 2019,
   doi:10.1109/CVPR.2019.01129.
.. [2] IEC 61966-2-1:1999, the sRGB colour space (transfer function).
.. [3] ITU-R BT.709-6, luma coefficients of linear RGB.
"""
from __future__ import annotations

import numpy as np

from .._validation import as_generator, check_choice
from .cfa import CFA_PATTERNS, mosaic
from .color import REC709_LUMA, srgb_to_linear

__all__ = ['unprocess_params', 'unprocess']


#: linear sRGB -> CIE XYZ (D65), IEC 61966-2-1 [2].
RGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)

#: XYZ -> camera matrices of four cameras, as used by Brooks et al. [1]
#: (their ``random_ccm``; a random convex combination is one plausible camera).
XYZ_TO_CAMS = np.array(
    [
        [[1.0234, -0.2969, -0.2266], [-0.5625, 1.6328, -0.0469], [-0.0703, 0.2188, 0.6406]],
        [[0.4913, -0.0541, -0.0202], [-0.6130, 1.3513, 0.2906], [-0.1564, 0.2151, 0.7183]],
        [[0.8380, -0.2630, -0.0639], [-0.2887, 1.0725, 0.2496], [-0.0627, 0.1427, 0.5438]],
        [[0.6596, -0.2079, -0.0562], [-0.4782, 1.3016, 0.1933], [-0.0970, 0.1581, 0.5181]],
    ]
)

#: White-balance gains of the default camera: the centres of Brooks et al.'s
#: ranges (red U(1.9, 2.4), blue U(1.5, 1.9)); green is 1.
DEFAULT_WB_GAINS = (2.15, 1.0, 1.7)
#: Brightness gain undone by unprocessing: 1 / 0.8, the mean of Brooks et al.'s
#: ``rgb_gain = 1 / N(0.8, 0.1)``.
DEFAULT_RGB_GAIN = 1.25
#: Highlight-preserving inverse gains start here (Brooks et al. use 0.9).
_WB_INFLECTION = 0.9


def _ccm_from_xyz2cam(xyz2cam):
    """sRGB -> camera matrix with rows normalised to sum 1 (white stays white)."""
    rgb2cam = xyz2cam @ RGB_TO_XYZ
    return rgb2cam / rgb2cam.sum(axis=1, keepdims=True)


#: Default linear sRGB -> camera RGB matrix: the mean of the four cameras.
DEFAULT_RGB_TO_CAM = _ccm_from_xyz2cam(XYZ_TO_CAMS.mean(axis=0))


# --------------------------------------------------------------------------- #
# unprocessing (Brooks et al. 2019)
# --------------------------------------------------------------------------- #
def unprocess_params(seed=None):
    """Camera parameters for :func:`unprocess`.

    Parameters
    ----------
    seed : None, int or numpy.random.Generator
        ``None``: the default camera (mean colour matrix of the four cameras
        of Brooks et al., red/blue gains 2.15/1.7, brightness gain 1.25).
        Otherwise a random camera drawn as Brooks et al. do: a random convex
        combination of the four XYZ->camera matrices, red gain U(1.9, 2.4),
        blue gain U(1.5, 1.9), brightness gain 1 / N(0.8, 0.1).

    Returns
    -------
    params : dict
        ``rgb_to_cam`` (3, 3), ``wb_gains`` (3,) (R, G, B, as an ISP would
        apply them), ``rgb_gain`` float.
    """
    if seed is None:
        return {
            "rgb_to_cam": DEFAULT_RGB_TO_CAM.copy(),
            "wb_gains": np.array(DEFAULT_WB_GAINS),
            "rgb_gain": DEFAULT_RGB_GAIN,
        }
    rng = as_generator(seed)
    w = rng.uniform(1e-8, 1e8, size=len(XYZ_TO_CAMS))
    xyz2cam = np.tensordot(w / w.sum(), XYZ_TO_CAMS, axes=1)
    red = rng.uniform(1.9, 2.4)
    blue = rng.uniform(1.5, 1.9)
    rgb_gain = 1.0 / np.clip(rng.normal(0.8, 0.1), 0.5, 1.1)
    return {
        "rgb_to_cam": _ccm_from_xyz2cam(xyz2cam),
        "wb_gains": np.array([red, 1.0, blue]),
        "rgb_gain": float(rgb_gain),
    }


def _as_linear_frames(image_srgb):
    """sRGB image(s) -> linear float64 (N, H, W, C) with C in {1, 3}, and layout."""
    lin = srgb_to_linear(image_srgb).astype(np.float64)
    if lin.ndim == 2:  # (H, W) gray
        return lin[None, :, :, None], False
    if lin.ndim == 3:
        if lin.shape[-1] == 3:  # (H, W, 3)
            return lin[None], False
        return lin[..., None], True  # (N, H, W) gray stack
    if lin.ndim == 4 and lin.shape[-1] == 3:
        return lin, True
    raise ValueError(
        "image_srgb must be (H, W), (H, W, 3), (N, H, W) or (N, H, W, 3), "
        f"got shape {lin.shape}"
    )


def unprocess(image_srgb, cfa=None, seed=None):
    """sRGB image(s) -> plausible linear camera raw in [0, 1].

    Brooks et al. [1]: inverse sRGB gamma, inverse colour matrix (sRGB ->
    camera RGB), inverse white balance and brightness gain with highlight
    preservation, then the Bayer mosaic. A monochrome sensor (``cfa=None``)
    sees the Rec.709 luminance of the linear image (no colour matrix, no
    white balance, no brightness gain: a gray image round-trips exactly).

    Parameters
    ----------
    image_srgb : ndarray, uint8, uint16 or float in [0, 1]
        (H, W) gray, (H, W, 3) RGB, (N, H, W) gray stack or (N, H, W, 3).
        A 3-D array whose last axis is 3 is read as one RGB image.
    cfa : None or {"RGGB", "BGGR", "GRBG", "GBRG"}
        Bayer pattern of the sensor; ``None`` for a monochrome sensor.
    seed : None, int or numpy.random.Generator
        ``None``: the default camera; otherwise a random camera per call
        (see :func:`unprocess_params`).

    Returns
    -------
    raw : (H, W) or (N, H, W) ndarray, float32
        Linear camera raw in [0, 1]: the Bayer mosaic, or the luminance.

    Examples
    --------
    >>> import numpy as np
    >>> raw = unprocess(np.full((4, 6, 3), 128, np.uint8), cfa="RGGB")
    >>> raw.shape, raw.dtype
    ((4, 6), dtype('float32'))
    """
    if cfa is not None:
        check_choice(cfa, "cfa", CFA_PATTERNS)
    frames, stacked = _as_linear_frames(image_srgb)
    if cfa is None:
        if frames.shape[-1] == 3:
            raw = frames @ REC709_LUMA
        else:
            raw = frames[..., 0]
        raw = np.clip(raw, 0.0, 1.0).astype(np.float32)
        return raw if stacked else raw[0]
    if frames.shape[-1] == 1:
        frames = np.repeat(frames, 3, axis=-1)
    p = unprocess_params(seed)
    cam = frames @ p["rgb_to_cam"].T  # inverse of the ISP's cam -> sRGB matrix
    inv = 1.0 / (p["wb_gains"] * p["rgb_gain"])
    # Highlight preservation (Brooks et al., safe_invert_gains): near white the
    # inverse gains fade to 1 so saturated highlights are not darkened into a
    # false colour.
    gray = cam.mean(axis=-1, keepdims=True)
    mask = (np.maximum(gray - _WB_INFLECTION, 0.0) / (1.0 - _WB_INFLECTION)) ** 2
    safe = np.maximum(mask + (1.0 - mask) * inv, inv)
    cam = np.clip(cam * safe, 0.0, 1.0).astype(np.float32)
    raw = mosaic(cam, cfa)
    return raw if stacked else raw[0]
