"""Packing of few-level codes into the bytes sent off chip.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._ext import _packing
from .._validation import check_array, check_choice, check_int, check_out

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


def pack_codes(codes, packing, levels, *, out=None):
    """Pack int8 codes into a byte stream.

    Parameters
    ----------
    codes : ndarray of int8
        Codes in ``[-(levels-1)//2, (levels-1)//2]``, packed in C order.
    packing : str
        A name in :data:`PACKINGS`.
    levels : int
        Number of levels of the code (odd).
    out : (ceil(packed_bits / 8),) uint8 ndarray, optional
        Where to write the bytes (C-contiguous, writeable, not sharing memory
        with ``codes``): a caller packing frame after frame reuses one buffer
        instead of a new array per call (fresh pages cost more than packing
        them at 12 MP).

    Returns
    -------
    data : (ceil(packed_bits / 8),) uint8
        ``out`` itself when given.

    Raises
    ------
    ValueError
        A code out of range; ``levels`` even or out of [3, 255]; an unknown
        ``packing`` or one that cannot hold ``levels``; ``out`` of another
        shape, not C-contiguous, read-only or sharing memory with ``codes``.
    TypeError
        ``codes`` not of an integer dtype; ``out`` not a uint8 ndarray.
    """
    if (codes.__class__ is np.ndarray and codes.dtype is _INT8 and levels.__class__ is int
            and levels == 3 and packing.__class__ is str and packing == "2bit"):
        # the common case (a frame of 1.5-bit codes), checked in a few attribute
        # reads: the kernel range-checks the codes and checks out (None: the
        # general path below applies)
        data = _packing.pack_ternary(codes, out)
        if data is not None:
            return data
    levels = check_int(levels, "levels", low=3, high=255)
    if levels % 2 == 0:
        raise ValueError(f"levels must be odd (symmetric codes), got {levels}")
    p = get_packing(packing, levels)
    c = check_array(codes, "codes", kinds="i", allow_empty=True)
    if out is not None:
        check_out(out, (-(-p.bits(c.size) // 8),), codes, "codes")
    return pack_parts([c], p, levels, out=out)


_INT8 = np.dtype(np.int8)  # the fast path of pack_codes compares dtypes by identity


#: Codes per piece fed to the packing kernel from a 1-D input (and per
#: conversion of a non-int8 input to int8).
_PACK_CHUNK_CODES = 1 << 20


def pack_parts(parts, p, levels, out=None):
    """Pack the codes of ``parts`` (integer arrays, each in C order, one after
    the other) as one stream of :class:`Packing` ``p``, without joining them,
    into ``out`` (checked by the caller) or a new array.

    int8 parts whose rows are contiguous (e.g. a column slice of a C-ordered
    plane) go to the kernel as they are; others are converted in chunks.
    Raises ValueError if a code lies outside ``[-(levels-1)//2, (levels-1)//2]``.
    """
    half = (levels - 1) // 2
    if p.name == "2bit" and half == 1 and len(parts) == 1 and parts[0].dtype == np.int8:
        # one frame of 1.5-bit codes: one kernel call where it is contiguous
        data = _packing.pack_ternary(np.asarray(parts[0]), out)
        if data is not None:
            return data
    count = sum(int(c.size) for c in parts)
    n_groups = -(-count // p.codes_per_group)
    if out is None:
        out = np.empty(-(-n_groups * p.bits_per_group // 8), dtype=np.uint8)
    packer = _packing.Packer(out, p.bits_per_group, p.codes_per_group, p.max_levels, half)
    for c in parts:
        if c.size == 0:
            continue
        if c.dtype == np.int8 and c.ndim == 2 and (c.strides[1] == 1 or c.shape[1] == 1):
            ok = packer.feed(c)
        else:
            ok = _feed_flat(packer, c, half)
        if not ok:
            raise ValueError(f"codes must lie in [{-half}, {half}] for {levels} levels")
    n = packer.finish()
    assert n == out.size
    return out


def _feed_flat(packer, c, half):
    """Feed ``c`` in C order in chunks of :data:`_PACK_CHUNK_CODES` (int8 views where
    it can; other dtypes range-checked, then converted chunk by chunk)."""
    c = c.ravel()  # a view when it can be (C-contiguous input)
    if c.dtype != np.int8 and (c.min() < -half or c.max() > half):
        return False
    step = max(1, _PACK_CHUNK_CODES)
    for a in range(0, c.size, step):
        piece = c[a:a + step]
        if piece.dtype != np.int8:
            piece = piece.astype(np.int8)
        if not packer.feed(piece.reshape(1, -1)):
            return False
    return True


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
    out = np.empty(count, dtype=np.int8)
    if count:
        _packing.unpack(np.ascontiguousarray(d), out, p.bits_per_group, p.codes_per_group,
                        p.max_levels, (levels - 1) // 2)
    return out
