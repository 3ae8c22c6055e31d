"""The minimal ISP of the digital baseline: black level, white balance,
demosaic, colour matrix, sRGB gamma, 8 bits.
"""
from __future__ import annotations

import numpy as np

from .._validation import check_array, check_choice, check_float
from ..scene.camera import DEFAULT_RGB_TO_CAM, DEFAULT_WB_GAINS
from ..scene.cfa import cfa_index, demosaic
from ..scene.color import linear_to_srgb, rgb_to_gray

__all__ = ['process']


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
    if config.cfa is not None:
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
        if config.height < 2 or config.width < 2:
            raise ValueError(f"dn must be at least 2x2 to demosaic (cfa {config.cfa!r}), "
                             f"got shape {dn.shape}")
        wb = np.asarray(wb, np.float32)
    # Row blocks: every step is per pixel except the demosaic's 3x3 window, so
    # each block is computed from its rows plus a halo (2 rows above, keeping
    # an even first row and so the Bayer phase; 1 below) with the whole-frame
    # arithmetic, and the uint8 result is identical to processing the frame at
    # once; the float64 temporaries stay one block in size.
    frames = dn.reshape((-1,) + dn.shape[-2:])
    h, w = frames.shape[1:]
    out = np.empty(frames.shape + ((3,) if output == "rgb" else ()), dtype=np.uint8)
    rows = max(2, (_BLOCK_PIXELS // w) & ~1)
    for i in range(frames.shape[0]):
        for r0 in range(0, h, rows):
            r1 = min(r0 + rows, h)
            if config.cfa is None:
                lin = _normalise(frames[i, r0:r1], black, white) * np.float32(digital_gain)
                gray = _to_uint8(lin)
                out[i, r0:r1] = gray if output == "gray" else gray[..., None]
                continue
            lo, hi = max(r0 - 2, 0), min(r1 + 1, h)
            x = _normalise(frames[i, lo:hi], black, white)
            balanced = np.clip(x * wb[_cfa_map(config.cfa, x.shape)], 0.0, 1.0)
            rgb = demosaic(balanced, config.cfa)[r0 - lo:r1 - lo].astype(np.float64)
            lin = np.clip(rgb @ ccm.T, 0.0, 1.0) * digital_gain
            if output == "gray":
                out[i, r0:r1] = _to_uint8(rgb_to_gray(np.clip(lin, 0.0, 1.0)))
            else:
                out[i, r0:r1] = _to_uint8(lin)
    return out.reshape(dn.shape + out.shape[3:])


#: Pixels per row block of :func:`process` (its float64 temporaries, about
#: 200 bytes a pixel, stay near 25 MB).
_BLOCK_PIXELS = 1 << 17


def _normalise(dn, black, white):
    """DN -> [0, 1] float32: ``(dn - black) / (white - black)``, clipped."""
    return np.clip((dn.astype(np.float32) - np.float32(black)) / np.float32(white - black),
                   0.0, 1.0)


def _cfa_map(cfa, shape):
    h, w = shape
    idx = cfa_index(cfa)
    return np.tile(idx, ((h + 1) // 2, (w + 1) // 2))[:h, :w]


def _to_uint8(lin):
    s = linear_to_srgb(np.clip(lin, 0.0, 1.0))
    return np.ascontiguousarray(np.floor(s * 255.0 + 0.5).astype(np.uint8))
