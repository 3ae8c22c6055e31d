"""Front ends: the digital baseline and the analog log-gradient front end.

(Skeleton in plain numpy; binning and the converter move to ``ext/``.)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import check_array

LN8 = float(np.log(8.0))
EPS = 1e-4


@dataclass
class GradientCodes:
    """Output of a log-gradient front end: int8 codes per scale."""

    dx: list
    dy: list
    scales: tuple
    bits: int


def bin_image(image, k):
    """k x k charge averaging (crop to a multiple of k)."""
    image = check_array(image, "image", ndim=(2, 3), dtype=np.float32)
    h, w = image.shape[-2] // k * k, image.shape[-1] // k * k
    a = image[..., :h, :w]
    return a.reshape(a.shape[:-2] + (h // k, k, w // k, k)).mean(axis=(-3, -1)).astype(np.float32)


class LogGradientFrontEnd:
    def __init__(self, bits=2, scales=(1, 2, 4), full_well_e=10000.0):
        self.bits = bits
        self.scales = tuple(scales)
        self.full_well_e = full_well_e

    @property
    def levels(self):
        return 2 ** self.bits - 1

    def __call__(self, electrons):
        e = check_array(electrons, "electrons", ndim=(2, 3), dtype=np.float32)
        dxs, dys = [], []
        for k in self.scales:
            L = np.log(bin_image(e, k) / self.full_well_e + EPS)
            dx = np.zeros_like(L)
            dy = np.zeros_like(L)
            dx[..., :, 1:-1] = L[..., :, 2:] - L[..., :, :-2]
            dy[..., 1:-1, :] = L[..., 2:, :] - L[..., :-2, :]
            s = (2 ** (self.bits - 1) - 0.5 - 1e-4) / LN8
            dxs.append(np.round(np.clip(dx, -LN8, LN8) * s).astype(np.int8))
            dys.append(np.round(np.clip(dy, -LN8, LN8) * s).astype(np.int8))
        return GradientCodes(dxs, dys, self.scales, self.bits)

    def bits_per_frame(self, height, width):
        n = sum((height // k) * (width // k) * 2 for k in self.scales)
        return n * 2 if self.bits == 2 else n * 3
