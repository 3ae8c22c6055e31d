"""Plain-numpy references for the CFA kernels (``ext/_cfa.pyx``) and the ISP
(``ext/_isp.pyx``, behind ``analogfe.frontend.process``)."""
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


def process_whole_frame(dn, config, *, output="rgb", white_balance=None, ccm=None,
                        digital_gain=1.0):
    """The minimal ISP as it was written before the row blocks: every step on
    whole frames (float64 (H, W, 3) temporaries). The blocked
    ``analogfe.frontend.process`` must give the same uint8 images."""
    from analogfe.scene import demosaic, linear_to_srgb, rgb_to_gray
    from analogfe.scene.camera import DEFAULT_RGB_TO_CAM, DEFAULT_WB_GAINS

    def to_uint8(lin):
        s = linear_to_srgb(np.clip(lin, 0.0, 1.0))
        return np.ascontiguousarray(np.floor(s * 255.0 + 0.5).astype(np.uint8))

    black = float(config.black_level_dn)
    white = min(2 ** config.adc_bits - 1, black + config.gain_dn_per_e * config.full_well_e)
    x = np.clip((dn.astype(np.float32) - np.float32(black)) / np.float32(white - black),
                0.0, 1.0)
    if config.cfa is None:
        gray = to_uint8(x * np.float32(digital_gain))
        return gray if output == "gray" else np.repeat(gray[..., None], 3, axis=-1)
    wb = np.array(DEFAULT_WB_GAINS if white_balance is None else white_balance, np.float64)
    ccm = np.linalg.inv(DEFAULT_RGB_TO_CAM) if ccm is None else np.asarray(ccm, np.float64)
    h, w = x.shape[-2:]
    gains = np.asarray(wb, np.float32)[channel_map(config.cfa, h, w)]
    balanced = np.clip(x * gains, 0.0, 1.0)
    rgb = demosaic(balanced, config.cfa).astype(np.float64)
    lin = np.clip(rgb @ ccm.T, 0.0, 1.0) * digital_gain
    if output == "gray":
        return to_uint8(rgb_to_gray(np.clip(lin, 0.0, 1.0)))
    return to_uint8(lin)


def process_numpy(dn, config, *, output="rgb", white_balance=None, ccm=None,
                  white_level_dn=None, digital_gain=1.0, block_pixels=1 << 17):
    """``analogfe.frontend.process`` as it was in numpy before the fused kernel
    (input checks left out): float32 normalise and white balance, the CFA
    demosaic kernel, float64 colour matrix and gamma, in row blocks of about
    ``block_pixels`` pixels with a halo of 2 rows above (keeping the Bayer
    phase) and 1 below. The benchmarks time it as the "before"; the tests
    check the kernel against it and against :func:`process_whole_frame`."""
    from analogfe.scene import demosaic, linear_to_srgb, rgb_to_gray
    from analogfe.scene.camera import DEFAULT_RGB_TO_CAM, DEFAULT_WB_GAINS

    def normalise(d):
        return np.clip((d.astype(np.float32) - np.float32(black)) / np.float32(white - black),
                       0.0, 1.0)

    def to_uint8(lin):
        s = linear_to_srgb(np.clip(lin, 0.0, 1.0))
        return np.ascontiguousarray(np.floor(s * 255.0 + 0.5).astype(np.uint8))

    black = float(config.black_level_dn)
    white = (min(2 ** config.adc_bits - 1, black + config.gain_dn_per_e * config.full_well_e)
             if white_level_dn is None else float(white_level_dn))
    if config.cfa is not None:
        wb = np.asarray(DEFAULT_WB_GAINS if white_balance is None else white_balance, np.float32)
        ccm = (np.linalg.inv(DEFAULT_RGB_TO_CAM) if ccm is None
               else np.asarray(ccm, np.float64))
    frames = dn.reshape((-1,) + dn.shape[-2:])
    h, w = frames.shape[1:]
    out = np.empty(frames.shape + ((3,) if output == "rgb" else ()), dtype=np.uint8)
    rows = max(2, (block_pixels // w) & ~1)
    for i in range(frames.shape[0]):
        for r0 in range(0, h, rows):
            r1 = min(r0 + rows, h)
            if config.cfa is None:
                gray = to_uint8(normalise(frames[i, r0:r1]) * np.float32(digital_gain))
                out[i, r0:r1] = gray if output == "gray" else gray[..., None]
                continue
            lo, hi = max(r0 - 2, 0), min(r1 + 1, h)
            x = normalise(frames[i, lo:hi])
            balanced = np.clip(x * wb[channel_map(config.cfa, *x.shape)], 0.0, 1.0)
            rgb = demosaic(balanced, config.cfa)[r0 - lo:r1 - lo].astype(np.float64)
            lin = np.clip(rgb @ ccm.T, 0.0, 1.0) * digital_gain
            if output == "gray":
                out[i, r0:r1] = to_uint8(rgb_to_gray(np.clip(lin, 0.0, 1.0)))
            else:
                out[i, r0:r1] = to_uint8(lin)
    return out.reshape(dn.shape + out.shape[3:])
