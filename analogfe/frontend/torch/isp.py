"""The minimal ISP of the digital baseline on torch tensors.

:func:`process` mirrors :func:`analogfe.frontend.process` step by step (black
level, white level, white balance, bilinear demosaic with mirrored borders,
colour matrix, digital gain, sRGB gamma, 8 bits) in the same precisions
(float32 normalisation and demosaic output, float64 colour and gamma); its
codes are within one of the numpy ISP's (the demosaic's sums may round in
another order). The final rounding passes gradients straight through.

References
----------
T. Brooks, B. Mildenhall, T. Xue, J. Chen, D. Sharlet, J. T. Barron,
"Unprocessing Images for Learned Raw Denoising", CVPR 2019 (the ISP whose
inverse :func:`analogfe.scene.unprocess` is).
IEC 61966-2-1:1999 (the sRGB transfer function).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..._validation import check_choice, check_float
from ...scene.camera import DEFAULT_RGB_TO_CAM, DEFAULT_WB_GAINS
from ...scene.cfa import cfa_index
from ...scene.color import REC709_LUMA
from ...sensor.model import SensorConfig
from ..isp import OUTPUTS
from ._checks import check_tensor, check_values, ste

__all__ = ["process", "TorchISP", "demosaic", "linear_to_srgb"]

_WEIGHTS = torch.tensor([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]], dtype=torch.float64)


def linear_to_srgb(x):
    """sRGB transfer function of linear values clipped to [0, 1] (float64 inside)."""
    x = torch.clamp(x.to(torch.float64), 0.0, 1.0)
    lo = 12.92 * x
    hi = 1.055 * torch.clamp(x, min=0.0031308) ** (1 / 2.4) - 0.055
    return torch.where(x <= 0.0031308, lo, hi)


def demosaic(raw, cfa="RGGB"):
    """Bilinear demosaic of Bayer mosaics, as :func:`analogfe.scene.demosaic`.

    Parameters
    ----------
    raw : (N, H, W) torch.Tensor, float, H and W >= 2
    cfa : {"RGGB", "BGGR", "GRBG", "GBRG"}

    Returns
    -------
    rgb : (N, 3, H, W) torch.Tensor, dtype of ``raw``
        Normalised 3x3 convolution ``[[1, 2, 1], [2, 4, 2], [1, 2, 1]]`` per
        colour (float64), borders mirrored about the edge pixel; known samples kept.
    """
    raw = check_tensor(raw, "raw", ndim=(3,))
    n, h, w = raw.shape
    if h < 2 or w < 2:
        raise ValueError(f"raw must be at least 2x2 to demosaic, got shape {tuple(raw.shape)}")
    idx = torch.as_tensor(np.tile(cfa_index(cfa), ((h + 1) // 2, (w + 1) // 2))[:h, :w],
                          device=raw.device)
    masks = torch.stack([(idx == c) for c in range(3)]).to(torch.float64)  # (3, H, W)
    x = raw.to(torch.float64)[:, None] * masks[None]                        # (N, 3, H, W)
    wk = _WEIGHTS.to(raw.device).expand(3, 1, 3, 3)
    num = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="reflect"), wk, groups=3)
    den = F.conv2d(F.pad(masks[None], (1, 1, 1, 1), mode="reflect"), wk, groups=3)
    interp = (num / den).to(raw.dtype)
    return torch.where(masks[None].bool(), raw[:, None].expand(-1, 3, -1, -1), interp)


def _to_uint8_values(lin):
    # float32 from the gamma on, as the numpy ISP (its sRGB values are float32)
    v = linear_to_srgb(lin).to(torch.float32) * 255.0
    hard = torch.floor(v.detach() + 0.5)
    return ste(hard, v) if v.requires_grad else hard


def process(dn, config, *, output="rgb", white_balance=None, ccm=None, white_level_dn=None,
            digital_gain=1.0, check=True):
    """Minimal ISP: DN -> 8-bit sRGB (or gray) values, as :func:`analogfe.frontend.process`.

    Parameters
    ----------
    dn : (H, W) or (N, H, W) torch.Tensor
        Digital numbers (integer-valued float, or an integer tensor), e.g. from
        :func:`analogfe.frontend.torch.readout`.
    config : SensorConfig
        Black level, ADC bits, gain, full well and CFA.
    output : {"rgb", "gray"}
    white_balance, ccm, white_level_dn, digital_gain
        As :func:`analogfe.frontend.process`.
    check : bool
        Check that ``dn`` is finite and >= 0 (default; False skips the
        reduction inside a loop whose inputs are valid).

    Returns
    -------
    image : torch.Tensor, float
        Integer values 0..255, ``(..., 3, H, W)`` for ``"rgb"`` (channels
        first), ``(..., H, W)`` for ``"gray"``; float32, differentiable in ``dn``
        (rounding straight-through).

    Raises
    ------
    TypeError
        ``config`` not a SensorConfig, ``dn`` not a tensor.
    ValueError
        A shape other than the config's, an unknown ``output``, a white level
        not above the black level, white-balance gains that are not positive
        and finite, a colour matrix that is not finite; with ``check``, NaN,
        infinite or negative ``dn``.
    """
    check_choice(output, "output", OUTPUTS)
    if not isinstance(config, SensorConfig):
        raise TypeError(f"config must be a SensorConfig, got {type(config).__name__}")
    dn = check_tensor(dn, "dn", ndim=(2, 3), floating=False,
                      shape_hw=(config.height, config.width))
    if check:
        check_values(dn, "dn", nonnegative=True)
    digital_gain = check_float(digital_gain, "digital_gain", low=0.0)
    black = float(config.black_level_dn)
    white = (min(2 ** config.adc_bits - 1, black + config.gain_dn_per_e * config.full_well_e)
             if white_level_dn is None else check_float(white_level_dn, "white_level_dn"))
    if white <= black:
        raise ValueError(f"white_level_dn ({white}) must exceed the black level ({black})")
    frames = dn[None] if dn.ndim == 2 else dn
    f32 = torch.float32
    x = (frames.to(f32) - np.float32(black)) / np.float32(white - black)
    x = torch.clamp(x, 0.0, 1.0)
    if config.cfa is None:
        out = _to_uint8_values(x * np.float32(digital_gain))
        if output == "rgb":
            out = out[:, None].expand(-1, 3, -1, -1)
        return out[0] if dn.ndim == 2 else out
    wb = np.asarray(DEFAULT_WB_GAINS if white_balance is None else white_balance, np.float32)
    if wb.shape != (3,) or not (np.isfinite(wb).all() and (wb > 0).all()):
        raise ValueError(f"white_balance must be 3 positive finite gains, got {wb.tolist()}")
    ccm = np.linalg.inv(DEFAULT_RGB_TO_CAM) if ccm is None else np.asarray(ccm, np.float64)
    if ccm.shape != (3, 3) or not np.isfinite(ccm).all():
        raise ValueError(f"ccm must be a finite (3, 3) matrix, got {ccm.tolist()}")
    h, w = x.shape[-2:]
    idx = np.tile(cfa_index(config.cfa), ((h + 1) // 2, (w + 1) // 2))[:h, :w]
    wb_map = torch.as_tensor(wb[idx], device=x.device)
    balanced = torch.clamp(x * wb_map, 0.0, 1.0)
    rgb = demosaic(balanced, config.cfa).to(torch.float64)
    m = torch.as_tensor(ccm, device=x.device)
    lin = torch.clamp(torch.einsum("ij,njhw->nihw", m, rgb), 0.0, 1.0) * digital_gain
    if output == "gray":
        luma = torch.as_tensor(REC709_LUMA, device=x.device)
        gray = torch.einsum("j,njhw->nhw", luma, torch.clamp(lin, 0.0, 1.0)).to(f32)
        out = _to_uint8_values(gray)
    else:
        out = _to_uint8_values(lin)
    return out[0] if dn.ndim == 2 else out


class TorchISP(nn.Module):
    """Module form of :func:`process` for one sensor configuration.

    Parameters
    ----------
    config : SensorConfig
    output : {"rgb", "gray"}
    **kwargs
        ``white_balance``, ``ccm``, ``white_level_dn``, ``digital_gain``.
    """

    def __init__(self, config, output="rgb", **kwargs):
        super().__init__()
        if not isinstance(config, SensorConfig):
            raise TypeError(f"config must be a SensorConfig, got {type(config).__name__}")
        self.config = config
        self.output = check_choice(output, "output", OUTPUTS)
        self.kwargs = kwargs

    def forward(self, dn):
        return process(dn, self.config, output=self.output, **self.kwargs)

    def extra_repr(self):
        return f"output={self.output!r}, cfa={self.config.cfa!r}"
