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


def _bits_of(values, width):
    """(n,) unsigned -> (n * width,) bits, MSB first."""
    shifts = np.arange(width - 1, -1, -1, dtype=np.uint64)
    return ((values[:, None].astype(np.uint64) >> shifts) & np.uint64(1)).astype(np.uint8).ravel()


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
    u = (c.astype(np.int64) + half).astype(np.uint64)
    g = p.codes_per_group
    if p.radix:
        n_groups = -(-u.size // g)
        u = np.concatenate([u, np.zeros(n_groups * g - u.size, np.uint64)]).reshape(n_groups, g)
        weights = np.uint64(p.max_levels) ** np.arange(g, dtype=np.uint64)
        u = (u * weights).sum(axis=1, dtype=np.uint64)
    bits = _bits_of(u, p.bits_per_group)
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
