"""Plain-numpy references for the CFA kernels (``ext/_cfa.pyx``)."""
from __future__ import annotations

import numpy as np

LUT = {"R": 0, "G": 1, "B": 2}


def channel_map(cfa, h, w):
    idx = np.array([[LUT[cfa[0]], LUT[cfa[1]]], [LUT[cfa[2]], LUT[cfa[3]]]])
    return np.tile(idx, ((h + 1) // 2, (w + 1) // 2))[:h, :w]


def mosaic_reference(rgb, cfa):
    h, w, _ = rgb.shape
    ch = channel_map(cfa, h, w)
    return np.take_along_axis(rgb, ch[..., None], axis=2)[..., 0].astype(np.float32)


def demosaic_reference(raw, cfa):
    """Normalised 3x3 [[1,2,1],[2,4,2],[1,2,1]] convolution per colour, mirror
    borders, float64 sums in row-major window order; known samples kept."""
    h, w = raw.shape
    ch = channel_map(cfa, h, w)
    pr = np.pad(raw.astype(np.float64), 1, mode="reflect")
    pc = np.pad(ch, 1, mode="reflect")
    num = np.zeros((3, h, w))
    den = np.zeros((3, h, w))
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            wgt = (2 - abs(dy)) * (2 - abs(dx))
            v = pr[1 + dy:1 + dy + h, 1 + dx:1 + dx + w]
            c = pc[1 + dy:1 + dy + h, 1 + dx:1 + dx + w]
            for k in range(3):
                m = c == k
                num[k] += np.where(m, wgt * v, 0.0)
                den[k] += np.where(m, wgt, 0)
    out = (num / np.maximum(den, 1)).astype(np.float32).transpose(1, 2, 0)
    for k in range(3):
        out[..., k] = np.where(ch == k, raw, out[..., k])
    return np.ascontiguousarray(out)
