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

from ._validation import as_generator, check_array, check_choice, check_float

__all__ = [
    "CFA_PATTERNS",
    "srgb_to_linear",
    "linear_to_srgb",
    "rgb_to_gray",
    "cfa_index",
    "mosaic",
    "demosaic",
    "unprocess",
    "unprocess_params",
    "process",
]

CFA_PATTERNS = ("RGGB", "BGGR", "GRBG", "GBRG")

#: Rec.709 luma weights of linear R, G, B [3].
REC709_LUMA = np.array([0.2126, 0.7152, 0.0722], dtype=np.float64)

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
    if a.dtype == np.uint8:
        x = a.astype(np.float64) / 255.0
    elif a.dtype == np.uint16:
        x = a.astype(np.float64) / 65535.0
    elif a.dtype.kind == "f":
        x = check_array(a, "image_srgb", dtype=np.float64)
    else:
        raise TypeError(f"image_srgb must be uint8, uint16 or float, got {a.dtype}")
    if x.size == 0:
        raise ValueError(f"image_srgb must not be empty, got shape {x.shape}")
    x = np.clip(x, 0.0, 1.0)
    out = np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)
    return np.ascontiguousarray(out, dtype=np.float32)


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
    from ._ext import _cfa

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
    from ._ext import _cfa

    raw = check_array(raw, "raw", ndim=(2, 3), kinds="f", dtype=np.float32)
    if raw.shape[-1] < 2 or raw.shape[-2] < 2:
        raise ValueError(f"raw must be at least 2x2 to demosaic, got shape {raw.shape}")
    idx = _cfa_ints(cfa)
    frames = raw.reshape((-1,) + raw.shape[-2:])
    out = np.empty(frames.shape + (3,), dtype=np.float32)
    for i in range(frames.shape[0]):
        _cfa.demosaic_bilinear(frames[i], idx, out[i])
    return out.reshape(raw.shape + (3,))


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


# --------------------------------------------------------------------------- #
# the minimal ISP of the digital baseline
# --------------------------------------------------------------------------- #
OUTPUTS = ("rgb", "gray")


def process(dn, config, *, output="rgb", white_balance=None, ccm=None,
            white_level_dn=None, digital_gain=1.0):
    """Minimal ISP: sensor DN -> 8-bit sRGB (or gray).

    Steps: subtract the black level, normalise by the white level, white
    balance (Bayer sensors), bilinear demosaic, camera -> sRGB colour matrix,
    optional digital gain, sRGB gamma, rounding to 8 bits. A monochrome sensor
    gives gray directly; ``output="rgb"`` then repeats it in three channels.
    There is no auto exposure: a dark scene stays dark, as in the sensor.

    Parameters
    ----------
    dn : (H, W) or (N, H, W) ndarray, unsigned int
        Raw digital numbers from :meth:`analogfe.sensor.Sensor.readout`.
    config : SensorConfig
        Gives black level, ADC bits, gain, full well and the CFA.
    output : {"rgb", "gray"}
    white_balance : None or sequence of 3 float
        R, G, B gains; default the gains of the default camera of
        :func:`unprocess` (2.15, 1, 1.7).
    ccm : None or (3, 3) array_like
        Camera RGB -> linear sRGB; default the inverse of the default camera's
        sRGB -> camera matrix. Ignored on a monochrome sensor.
    white_level_dn : None or float
        DN that maps to 1.0; default the saturation level
        ``min(2**adc_bits - 1, black_level_dn + gain_dn_per_e * full_well_e)``.
    digital_gain : float
        Multiplies the linear image before the gamma.

    Returns
    -------
    image : uint8 ndarray
        (H, W, 3) / (N, H, W, 3) for ``"rgb"``, (H, W) / (N, H, W) for ``"gray"``.
    """
    check_choice(output, "output", OUTPUTS)
    if not hasattr(config, "black_level_dn") or not hasattr(config, "cfa"):
        raise TypeError(f"config must be a SensorConfig, got {type(config).__name__}")
    dn = check_array(dn, "dn", ndim=(2, 3), kinds="ui")
    if dn.shape[-2:] != (config.height, config.width):
        raise ValueError(
            f"dn must be (..., {config.height}, {config.width}) for this config, "
            f"got shape {dn.shape}"
        )
    digital_gain = check_float(digital_gain, "digital_gain", low=0.0)
    black = float(config.black_level_dn)
    if white_level_dn is None:
        white = min(2 ** config.adc_bits - 1,
                    black + config.gain_dn_per_e * config.full_well_e)
    else:
        white = check_float(white_level_dn, "white_level_dn")
    if white <= black:
        raise ValueError(f"white_level_dn ({white}) must exceed the black level ({black})")
    x = np.clip((dn.astype(np.float32) - np.float32(black)) / np.float32(white - black),
                0.0, 1.0)
    if config.cfa is None:
        lin = x * np.float32(digital_gain)
        gray = _to_uint8(lin)
        if output == "gray":
            return gray
        return np.repeat(gray[..., None], 3, axis=-1)
    if white_balance is None:
        wb = np.array(DEFAULT_WB_GAINS)
    else:
        wb = check_array(white_balance, "white_balance", ndim=1, kinds="iuf",
                         dtype=np.float64)
        if wb.shape != (3,) or (wb <= 0).any():
            raise ValueError(f"white_balance must be 3 positive gains, got {wb.tolist()}")
    if ccm is None:
        ccm = np.linalg.inv(DEFAULT_RGB_TO_CAM)
    else:
        ccm = check_array(ccm, "ccm", ndim=2, kinds="iuf", dtype=np.float64)
        if ccm.shape != (3, 3):
            raise ValueError(f"ccm must be (3, 3), got {ccm.shape}")
    gains = np.asarray(wb, np.float32)[_cfa_map(config.cfa, x.shape[-2:])]
    balanced = np.clip(x * gains, 0.0, 1.0)
    rgb = demosaic(balanced, config.cfa).astype(np.float64)
    lin = np.clip(rgb @ ccm.T, 0.0, 1.0) * digital_gain
    if output == "gray":
        return _to_uint8(rgb_to_gray(np.clip(lin, 0.0, 1.0)))
    return _to_uint8(lin)


def _cfa_map(cfa, shape):
    h, w = shape
    idx = cfa_index(cfa)
    return np.tile(idx, ((h + 1) // 2, (w + 1) // 2))[:h, :w]


def _to_uint8(lin):
    s = linear_to_srgb(np.clip(lin, 0.0, 1.0))
    return np.ascontiguousarray(np.floor(s * 255.0 + 0.5).astype(np.uint8))
