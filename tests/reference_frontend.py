"""Plain-numpy references of the log-gradient front end (binning + converter).

A direct transcription of the released log-HOG formula (Omid-Zohoor et al.,
TCSVT 2018; docs/references.rst, section 1) as a user would write it in numpy::

    I = binned electrons / full_well_e
    L = ln(I + 1e-4)
    dx = L[y, x+1] - L[y, x-1],  dy = L[y+1, x] - L[y-1, x]
    q = round(clip(d, -ln 8, ln 8) * (2**(b-1) - 0.5 - 1e-4) / ln 8)

``round`` is half away from zero (C ``round``), and ``log`` is a parameter:
numpy's SIMD ``np.log`` (the default, what a user writes) may differ from the
C library's ``log`` in the last bit on some CPUs, so the exact-agreement tests
pass :func:`libm_log` (Python's ``math.log``, the same C function the kernel
calls).
"""
import math

import numpy as np

LN8 = math.log(8.0)


def libm_log(x):
    """Elementwise C-library natural log (``math.log``) of a float64 array."""
    x = np.asarray(x, dtype=np.float64)
    return np.fromiter((math.log(v) for v in x.ravel()), dtype=np.float64,
                       count=x.size).reshape(x.shape)


def round_half_away(t):
    """Round to nearest, ties away from zero (C ``round``), exactly."""
    r = np.trunc(t)
    return np.where(np.abs(t - r) >= 0.5, r + np.sign(t), r)


def bin_reference(x, k):
    """Mean of k x k blocks: float64 sums in row-major order inside each block, float32 out."""
    x = np.asarray(x, dtype=np.float32)
    h, w = x.shape[-2] // k * k, x.shape[-1] // k * k
    acc = np.zeros(x.shape[:-2] + (h // k, w // k), dtype=np.float64)
    for i in range(k):
        for j in range(k):
            acc += x[..., i:h:k, j:w:k]
    return (acc / (k * k)).astype(np.float32)


def differences_reference(L, pairs="centred"):
    """dx, dy of a log image, zero where the pair leaves the image."""
    dx = np.zeros_like(L)
    dy = np.zeros_like(L)
    if pairs == "centred":
        dx[..., :, 1:-1] = L[..., :, 2:] - L[..., :, :-2]
        dy[..., 1:-1, :] = L[..., 2:, :] - L[..., :-2, :]
    else:
        dx[..., :, :-1] = L[..., :, 1:] - L[..., :, :-1]
        dy[..., :-1, :] = L[..., 1:, :] - L[..., :-1, :]
    return dx, dy


def quantise_reference(d, bits):
    s = (2 ** (bits - 1) - 0.5 - 1e-4) / LN8
    return round_half_away(np.clip(d, -LN8, LN8) * s).astype(np.int8)


def quantise_thresholds_reference(d, t_pos, t_neg, pert=0.0):
    """Symmetric threshold quantiser: ``t_pos``/``t_neg`` (..., W, m) per column."""
    v = np.clip(d, -LN8, LN8) + pert
    up = (v[..., None] >= t_pos).sum(axis=-1)
    down = (-v[..., None] >= t_neg).sum(axis=-1)
    return np.where(v >= 0, up, -down).astype(np.int8)


def log_image_reference(x, full_well_e=10000.0, eps=1e-4, log=np.log):
    return log(x.astype(np.float64) / full_well_e + eps)


def frontend_reference(electrons, bits=2, scales=(1, 2, 4), full_well_e=10000.0,
                       pairs="centred", cfa=None, eps=1e-4, log=np.log):
    """Codes per scale, ``([dx_1, dx_2, ...], [dy_1, ...])``, int8."""
    x = np.asarray(electrons, dtype=np.float32)
    if cfa is not None:
        x = bin_reference(x, 2)
    dxs, dys = [], []
    for k in scales:
        L = log_image_reference(bin_reference(x, k), full_well_e, eps, log)
        dx, dy = differences_reference(L, pairs)
        dxs.append(quantise_reference(dx, bits))
        dys.append(quantise_reference(dy, bits))
    return dxs, dys


def pack_codes_bitwise(codes, packing, levels):
    """``analogfe.frontend.pack_codes`` as first written: every digit widened
    to 64 bits, one byte per bit, ``np.packbits`` (the chunked version must
    give the same bytes)."""
    from analogfe.frontend import PACKINGS

    p = PACKINGS[packing]
    half = (levels - 1) // 2
    u = (np.asarray(codes).ravel().astype(np.int64) + half).astype(np.uint64)
    g = p.codes_per_group
    if p.radix:
        n_groups = -(-u.size // g)
        u = np.concatenate([u, np.zeros(n_groups * g - u.size, np.uint64)]).reshape(n_groups, g)
        weights = np.uint64(p.max_levels) ** np.arange(g, dtype=np.uint64)
        u = (u * weights).sum(axis=1, dtype=np.uint64)
    width = p.bits_per_group
    shifts = np.arange(width - 1, -1, -1, dtype=np.uint64)
    bits = ((u[:, None] >> shifts) & np.uint64(1)).astype(np.uint8).ravel()
    return np.packbits(bits)


def unpack_codes_bitwise(data, packing, levels, count):
    """``analogfe.frontend.unpack_codes`` as first written: one byte per bit,
    64-bit group values, digits by ``//`` and ``%`` (the kernel must give the
    same codes, also for bytes no packing of valid codes produces)."""
    from analogfe.frontend import PACKINGS

    p = PACKINGS[packing]
    width = p.bits_per_group
    bits = np.unpackbits(np.asarray(data, np.uint8))[:p.bits(count)]
    shifts = np.arange(width - 1, -1, -1, dtype=np.uint64)
    vals = (bits.reshape(-1, width).astype(np.uint64) << shifts).sum(axis=1)
    if p.radix:
        g = p.codes_per_group
        weights = np.uint64(p.max_levels) ** np.arange(g, dtype=np.uint64)
        vals = ((vals[:, None] // weights) % np.uint64(p.max_levels)).ravel()
    half = (levels - 1) // 2
    return (vals[:count].astype(np.int64) - half).astype(np.int8)
