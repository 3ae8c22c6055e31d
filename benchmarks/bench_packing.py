"""Speed and memory of :func:`analogfe.frontend.pack_codes` / ``unpack_codes`` against numpy.

The peer is what a user would write in plain numpy for the same packing
(same bytes, checked before timing):

* fixed width ``w`` (``2bit``, ``3bit``, ``4bit``, ``8bit``): digits as
  uint8, ``np.unpackbits`` of each, its low ``w`` bits, ``np.packbits``::

      u = (codes.astype(np.int16) + half).astype(np.uint8)
      data = np.packbits(np.unpackbits(u[:, None], axis=1)[:, 8 - w:].ravel())

  and back: ``np.unpackbits``, the bits of each code as rows, ``np.packbits``
  of each row (MSB first), shifted down by ``8 - w``.
* radix (``base3-5in8``, ``base7-6in17``): digits on int64, the group values
  by Horner over the ``g`` digits of each group (first digit least
  significant), then their low ``width`` bits through ``unpackbits`` /
  ``packbits`` (a plain ``astype(np.uint8)`` for 8-bit groups); back: the
  group values from the bits, digits by ``%`` and ``//`` on int64.

(For ``8bit`` a user might skip the bit shuffling altogether: that peer,
``(codes.astype(np.int16) + half).astype(np.uint8)`` and back, is timed too,
as ``8bit/astype``.)

Ours includes its input validation (the range check of the codes). Each case
times ours and the peer alternately in one process, several repeats; each
sample is the mean of enough calls to last a few milliseconds; the best sample
of each is reported. Peak memory is tracemalloc's peak during one call of ours,
against the size of its input plus its output.

Run: ``python benchmarks/bench_packing.py [--repeats 5] [--count 12000000]``.
"""
from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402
from _timing import race  # noqa: E402  (benchmarks/_timing.py)

from analogfe.frontend import PACKINGS, pack_codes, unpack_codes  # noqa: E402

#: packing -> levels timed (the most a packing holds, odd)
CASES = [("2bit", 3), ("3bit", 7), ("4bit", 15), ("8bit", 255),
         ("base3-5in8", 3), ("base7-6in17", 7), ("8bit/astype", 255)]


def _low_bits(vals_be_bytes, nbytes, width):
    """Rows of big-endian bytes -> the low ``width`` bits of each row, packed MSB first."""
    bits = np.unpackbits(vals_be_bytes.reshape(-1, nbytes), axis=1)[:, 8 * nbytes - width:]
    return np.packbits(bits.ravel())


def _rows_of_bits(data, n_rows, width):
    """Stream -> (n_rows, width) bits."""
    return np.unpackbits(data)[:n_rows * width].reshape(n_rows, width)


def peer_pack(codes, packing, levels):
    p = PACKINGS[packing]
    half = (levels - 1) // 2
    if not p.radix:
        u = (codes.astype(np.int16) + half).astype(np.uint8)
        if p.bits_per_group == 8:
            return np.packbits(np.unpackbits(u[:, None], axis=1).ravel())
        return _low_bits(u, 1, p.bits_per_group)
    g, base, width = p.codes_per_group, p.max_levels, p.bits_per_group
    u = codes.astype(np.int64) + half
    n_groups = -(-u.size // g)
    u = np.concatenate([u, np.zeros(n_groups * g - u.size, np.int64)]).reshape(n_groups, g)
    vals = u[:, g - 1].copy()
    for i in range(g - 2, -1, -1):
        vals *= base
        vals += u[:, i]
    if width == 8:
        return vals.astype(np.uint8)
    return _low_bits(vals.astype(">u4").view(np.uint8), 4, width)


def peer_unpack(data, packing, levels, count):
    p = PACKINGS[packing]
    half = (levels - 1) // 2
    width = p.bits_per_group
    if not p.radix:
        bits = _rows_of_bits(data, count, width)
        u = np.packbits(bits, axis=1)[:, 0] >> np.uint8(8 - width)
        return (u.astype(np.int16) - half).astype(np.int8)
    g, base = p.codes_per_group, p.max_levels
    n_groups = -(-count // g)
    if width == 8:
        vals = data[:n_groups].astype(np.int64)
    else:
        bits = _rows_of_bits(data, n_groups, width)
        bits = np.concatenate([np.zeros((n_groups, 32 - width), np.uint8), bits], axis=1)
        vals = np.packbits(bits, axis=1).view(">u4")[:, 0].astype(np.int64)
    digits = np.empty((n_groups, g), np.int64)
    for i in range(g):
        digits[:, i] = vals % base
        vals //= base
    return (digits.ravel()[:count] - half).astype(np.int8)


def peer_pack_astype(codes, packing, levels):
    return (codes.astype(np.int16) + (levels - 1) // 2).astype(np.uint8)


def peer_unpack_astype(data, packing, levels, count):
    return (data[:count].astype(np.int16) - (levels - 1) // 2).astype(np.int8)




def peak_bytes(fn):
    """tracemalloc peak of one call, above what was allocated before it."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--count", type=int, default=12_000_000, help="codes per call (12 MP)")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    n = args.count
    print(f"pack_codes / unpack_codes vs numpy, {n} codes, best of {args.repeats}, "
          f"{os.cpu_count()} CPUs; ratio = peer / ours; memory = tracemalloc peak of ours "
          f"/ (input + output)")
    head = (f"{'packing':<12} {'pack ms':>8} {'peer ms':>8} {'ratio':>7} "
            f"{'unpack ms':>9} {'peer ms':>8} {'ratio':>7} {'pack mem':>8} {'unpack mem':>10}")
    print(head)
    print("-" * len(head))
    for packing, levels in CASES:
        name = packing.split("/")[0]
        pp, pu = ((peer_pack_astype, peer_unpack_astype) if "/" in packing
                  else (peer_pack, peer_unpack))
        half = (levels - 1) // 2
        # one in 7 codes offset by a count not a multiple of any group size
        codes = rng.integers(-half, half + 1, n + 7).astype(np.int8)
        data = pack_codes(codes, name, levels)
        np.testing.assert_array_equal(pp(codes, name, levels), data)
        np.testing.assert_array_equal(unpack_codes(data, name, levels, codes.size), codes)
        np.testing.assert_array_equal(pu(data, name, levels, codes.size), codes)
        t = race([lambda c=codes, p=name, lv=levels: pack_codes(c, p, lv),
                  lambda c=codes, p=name, lv=levels, f=pp: f(c, p, lv),
                  lambda d=data, p=name, lv=levels, k=codes.size: unpack_codes(d, p, lv, k),
                  lambda d=data, p=name, lv=levels, k=codes.size, f=pu: f(d, p, lv, k)],
                 args.repeats)
        io = codes.nbytes + data.nbytes
        mem_p = peak_bytes(lambda c=codes, p=name, lv=levels: pack_codes(c, p, lv)) / io
        mem_u = peak_bytes(lambda d=data, p=name, lv=levels, k=codes.size:
                           unpack_codes(d, p, lv, k)) / io
        tp, tpp, tu, tup = (v * 1e3 for v in t)
        print(f"{packing:<12} {tp:8.2f} {tpp:8.2f} {tpp / tp:6.2f}x "
              f"{tu:9.2f} {tup:8.2f} {tup / tu:6.2f}x {mem_p:7.2f}x {mem_u:9.2f}x")


if __name__ == "__main__":
    main()
