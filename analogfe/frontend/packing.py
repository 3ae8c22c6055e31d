"""Packing of few-level codes into the bytes sent off chip.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_array, check_choice, check_int

__all__ = ['Packing', 'PACKINGS', 'default_packing', 'packed_bits', 'pack_codes', 'unpack_codes']


# --------------------------------------------------------------- packing --
@dataclass(frozen=True)
class Packing:
    """How codes of ``levels`` symmetric levels leave the chip.

    ``codes_per_group`` codes, as unsigned digits ``u = q + (levels - 1) // 2``,
    are packed into one group of ``bits_per_group`` bits: a fixed-width field
    per code (``codes_per_group = 1``) or a base-``levels`` number
    ``sum u_i * levels**i`` (e.g. 5 ternary codes in 8 bits, 3**5 = 243 <= 256).
    Groups are written MSB first into one bit stream; the last group is padded
    with zero codes and the stream with zero bits to a whole byte.
    """

    name: str
    bits_per_group: int
    codes_per_group: int
    max_levels: int
    radix: bool

    @property
    def bits_per_code(self):
        """Average bits per code (e.g. 1.6 for ``base3-5in8``)."""
        return self.bits_per_group / self.codes_per_group

    def bits(self, count):
        """Bits of a stream of ``count`` codes (before padding to a byte)."""
        return -(-int(count) // self.codes_per_group) * self.bits_per_group


#: Packings by name; ``default_packing(levels)`` picks the narrowest fixed width.
PACKINGS = {
    "2bit": Packing("2bit", 2, 1, 4, False),
    "3bit": Packing("3bit", 3, 1, 8, False),
    "4bit": Packing("4bit", 4, 1, 16, False),
    "8bit": Packing("8bit", 8, 1, 256, False),
    "base3-5in8": Packing("base3-5in8", 8, 5, 3, True),
    "base7-6in17": Packing("base7-6in17", 17, 6, 7, True),
}


def default_packing(levels):
    """Name of the narrowest fixed-width packing for ``levels`` levels."""
    levels = check_int(levels, "levels", low=2, high=255)
    for name in ("2bit", "3bit", "4bit", "8bit"):
        if PACKINGS[name].max_levels >= levels:
            return name
    raise ValueError(f"levels {levels} too many for any packing")  # pragma: no cover


def get_packing(packing, levels):
    """Resolve a packing name for codes of ``levels`` levels (ValueError if it cannot hold them)."""
    check_choice(packing, "packing", tuple(PACKINGS))
    p = PACKINGS[packing]
    if p.radix and p.max_levels != levels or levels > p.max_levels:
        raise ValueError(
            f"packing {packing!r} holds codes of {p.max_levels} levels"
            f"{'' if p.radix else ' or fewer'}, not {levels}"
        )
    return p


def packed_bits(count, packing, levels):
    """Bits of ``count`` codes of ``levels`` levels in ``packing`` (before byte padding)."""
    count = check_int(count, "count", low=0)
    return get_packing(packing, levels).bits(count)


def _values_of(bits, width):
    shifts = np.arange(width - 1, -1, -1, dtype=np.uint64)
    return (bits.reshape(-1, width).astype(np.uint64) << shifts).sum(axis=1)


def pack_codes(codes, packing, levels):
    """Pack int8 codes into a byte stream.

    Parameters
    ----------
    codes : ndarray of int8
        Codes in ``[-(levels-1)//2, (levels-1)//2]``, packed in C order.
    packing : str
        A name in :data:`PACKINGS`.
    levels : int
        Number of levels of the code (odd).

    Returns
    -------
    data : (ceil(packed_bits / 8),) uint8
    """
    levels = check_int(levels, "levels", low=3, high=255)
    if levels % 2 == 0:
        raise ValueError(f"levels must be odd (symmetric codes), got {levels}")
    p = get_packing(packing, levels)
    c = check_array(codes, "codes", kinds="i", allow_empty=True).ravel()
    half = (levels - 1) // 2
    if c.size and (c.min() < -half or c.max() > half):
        raise ValueError(f"codes must lie in [{-half}, {half}] for {levels} levels")
    g, width = p.codes_per_group, p.bits_per_group
    n_groups = -(-c.size // g)
    out = np.empty(-(-n_groups * width // 8), dtype=np.uint8)
    # Chunks of whole groups that fill whole bytes (a multiple of 8 groups), so
    # each chunk's bytes are written on their own; the temporaries are a few
    # bytes per code of one chunk (32 per group on the general path).
    step = max(1, _PACK_CHUNK_CODES // (8 * g)) * 8 * g
    pos = 0
    for a in range(0, c.size, step):
        u = (c[a:a + step].astype(np.int16) + half).astype(np.uint16)  # digits 0..254
        if p.radix:
            u = _radix_groups(u, g, p.max_levels)
        data = _pack_fields(u, width)
        out[pos:pos + data.size] = data
        pos += data.size
    return out


#: Codes per chunk of :func:`pack_codes` (rounded to whole groups and bytes).
_PACK_CHUNK_CODES = 1 << 16


def _radix_groups(u, g, base):
    """Digits (n,) -> (ceil(n / g),) uint32 group values ``sum u_i base**i``
    (the first digit least significant; the last group padded with zero digits)."""
    n_groups = -(-u.size // g)
    if n_groups * g != u.size:
        u = np.concatenate([u, np.zeros(n_groups * g - u.size, u.dtype)])
    u = u.reshape(n_groups, g)
    vals = np.zeros(n_groups, dtype=np.uint32)
    for i in range(g - 1, -1, -1):  # Horner: exact, base**g < 2**32
        vals *= np.uint32(base)
        vals += u[:, i]
    return vals


def _pack_fields(values, width):
    """(n,) unsigned values of ``width`` bits -> their bits, MSB first, as bytes
    (the last byte padded with zero bits); no byte per bit below 8 bits."""
    if width == 8:
        return values.astype(np.uint8)
    if 8 % width == 0:
        per = 8 // width
        v = values.astype(np.uint8)
        if v.size % per:
            v = np.concatenate([v, np.zeros(per - v.size % per, np.uint8)])
        v = v.reshape(-1, per)
        data = v[:, 0] << np.uint8(8 - width)
        for j in range(1, per):
            data |= v[:, j] << np.uint8(8 - width * (j + 1))
        return data
    if width < 8:
        # 8 values -> one integer of 8 * width bits (<= 56) -> its low ``width``
        # bytes, big-endian
        v = values.astype(np.uint64)
        if v.size % 8:
            v = np.concatenate([v, np.zeros(8 - v.size % 8, np.uint64)])
        v = v.reshape(-1, 8)
        acc = v[:, 0].copy()
        for j in range(1, 8):
            acc <<= np.uint64(width)
            acc |= v[:, j]
        data = acc.astype(">u8").view(np.uint8).reshape(-1, 8)[:, 8 - width:].ravel()
        return data[:-(-values.size * width // 8)]
    # general width (<= 32): big-endian bytes of each value, their bits, the
    # low ``width`` of each
    be = values.astype(">u4").view(np.uint8).reshape(-1, 4)
    bits = np.unpackbits(be, axis=1)[:, 32 - width:]
    return np.packbits(bits)


def unpack_codes(data, packing, levels, count):
    """Inverse of :func:`pack_codes`: the first ``count`` codes of a stream.

    Returns
    -------
    codes : (count,) int8
    """
    levels = check_int(levels, "levels", low=3, high=255)
    p = get_packing(packing, levels)
    count = check_int(count, "count", low=0)
    d = check_array(data, "data", ndim=1, kinds="u", allow_empty=True)
    if d.dtype != np.uint8:
        raise TypeError(f"data must be uint8, got {d.dtype}")
    n_bits = p.bits(count)
    if d.size * 8 < n_bits:
        raise ValueError(f"data holds {d.size * 8} bits, {count} codes need {n_bits}")
    bits = np.unpackbits(d)[:n_bits]
    vals = _values_of(bits, p.bits_per_group)
    if p.radix:
        g = p.codes_per_group
        weights = np.uint64(p.max_levels) ** np.arange(g, dtype=np.uint64)
        vals = (vals[:, None] // weights) % np.uint64(p.max_levels)
        vals = vals.ravel()
    half = (levels - 1) // 2
    return (vals[:count].astype(np.int64) - half).astype(np.int8)
