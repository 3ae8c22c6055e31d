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

A second table times the 1.5-bit codes (3 levels, ``2bit``) at QVGA, VGA
and 12 MP against the strongest numpy **shift-and-or** packings we could
write, the fastest of three at each size (all give our bytes, checked):

* ``columns``: digits ``u = codes.view(np.uint8) + 1``, four columns of
  ``u.reshape(-1, 4)`` shifted by 6, 4, 2, 0 and or-ed;
* ``multiply``: the digits as little-endian 32-bit words, multiplied by
  ``2**30 + 2**20 + 2**10 + 1`` in place (the four 2-bit digits meet in the
  top byte), the top byte of each word (``view(np.uint8)[3::4]``) copied out;
* ``multiply-shift``: the same, then ``>> 24`` and ``astype(np.uint8)``.

Each size has a second row, ``out``: ``pack_codes(..., out=buf)`` into a
buffer allocated once outside the timed calls, against ``multiply`` and
``multiply-shift`` writing into buffers allocated once as well (the words
and the bytes: ``np.add(..., out=)``, ``np.multiply(..., out=)``,
``np.copyto``), so that neither side pays for fresh pages. At 12 MP the
allocating row depends on the C library's allocator: after a peer's large
temporaries are freed, a new 3 MB output may come back as fresh pages
whose faults cost more than the packing (in one traced run on the
benchmarks' machine, 1.8 ms a call instead of 0.5 ms whenever ours followed
``multiply-shift``), which the ``out`` row leaves out.

Ours includes its input validation (the range check of the codes); the numpy
peers check nothing. Each case times ours and the peer alternately in one
process (the order rotating), several rounds; each sample is the mean of
enough calls to last a few milliseconds. Printed: the best sample of each
(ms) and the median of the per-round ratios peer / ours with their 25th-75th
percentiles. Peak memory is tracemalloc's peak during one call of ours,
against the size of its input plus its output.

Run: ``python benchmarks/bench_packing.py [--repeats 7] [--count 12000000]``.
"""
from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402
from _timing import check_equal, environment, fmt_ratio, paired  # noqa: E402

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




_MUL = np.uint32(2**30 + 2**20 + 2**10 + 1)


def _digits_2bit(codes):
    """codes in [-1, 1] -> digits + 1 as uint8, padded to a multiple of 4."""
    u = codes.view(np.uint8) + np.uint8(1)
    if u.size % 4:
        u = np.concatenate([u, np.zeros(4 - u.size % 4, np.uint8)])
    return u


def shift_columns(codes):
    u = _digits_2bit(codes).reshape(-1, 4)
    out = u[:, 0] << 6
    out |= u[:, 1] << 4
    out |= u[:, 2] << 2
    out |= u[:, 3]
    return out


def shift_multiply(codes):
    w = _digits_2bit(codes).view("<u4")
    np.multiply(w, _MUL, out=w)
    return np.ascontiguousarray(w.view(np.uint8)[3::4])


def shift_multiply_shift(codes):
    w = _digits_2bit(codes).view("<u4")
    np.multiply(w, _MUL, out=w)
    return (w >> 24).astype(np.uint8)


SHIFT_PEERS = {"columns": shift_columns, "multiply": shift_multiply,
               "multiply-shift": shift_multiply_shift}


def _multiply_into(codes, w):
    """The digits of ``codes`` into the words ``w`` (its padding bytes
    zeroed), multiplied in place; the words' bytes."""
    u = w.view(np.uint8)
    np.add(codes.view(np.uint8), np.uint8(1), out=u[:codes.size])
    u[codes.size:] = 0
    np.multiply(w, _MUL, out=w)
    return u


def shift_multiply_into(codes, w, out):
    np.copyto(out, _multiply_into(codes, w)[3::4])
    return out


def shift_multiply_shift_into(codes, w, out):
    _multiply_into(codes, w)
    np.right_shift(w, np.uint32(24), out=w)
    np.copyto(out, w, casting="unsafe")
    return out


#: The same packings into buffers allocated once (``w``: ceil(n / 4) uint32
#: words, ``out``: the bytes), the peers of ``pack_codes(..., out=)``.
SHIFT_PEERS_INTO = {"multiply": shift_multiply_into, "multiply-shift": shift_multiply_shift_into}


def shift_table(repeats):
    """1.5-bit codes in 2-bit fields vs the numpy shift-and-or peers."""
    rng = np.random.default_rng(3)
    print(f"\n1.5-bit codes (2bit) vs numpy shift-and-or (fastest of {', '.join(SHIFT_PEERS)})")
    head = (f"{'size':<10} {'codes':>9} {'ours ms':>8} {'peer ms':>8} {'peer':>14} "
            f"{'peer / ours':>20} {'best':>7}")
    print(head)
    print("-" * len(head))
    for size, n in (("QVGA", 320 * 240), ("VGA", 640 * 480), ("12MP", 4000 * 3000)):
        codes = rng.integers(-1, 2, n).astype(np.int8)
        ours = pack_codes(codes, "2bit", 3)
        for name, f in SHIFT_PEERS.items():
            check_equal(f(codes), ours, f"shift peer {name} {size}")
        t = paired([lambda c=codes: pack_codes(c, "2bit", 3)]
                   + [lambda c=codes, f=f: f(c) for f in SHIFT_PEERS.values()], repeats)
        _shift_row(size, n, t, SHIFT_PEERS)
        # into buffers allocated here, outside the timed calls
        buf, w = np.empty_like(ours), np.empty(ours.size, np.uint32)
        for name, f in SHIFT_PEERS_INTO.items():
            check_equal(f(codes, w, np.empty_like(ours)), ours, f"shift peer {name} {size}")
        t = paired([lambda c=codes: pack_codes(c, "2bit", 3, out=buf)]
                   + [lambda c=codes, f=f: f(c, w, buf) for f in SHIFT_PEERS_INTO.values()],
                   repeats)
        _shift_row(size + " out", n, t, SHIFT_PEERS_INTO)


def _shift_row(size, n, t, peers):
    best = 1 + int(np.argmin(t[1:].min(axis=1)))
    print(f"{size:<10} {n:9d} {t[0].min() * 1e3:8.4f} {t[best].min() * 1e3:8.4f} "
          f"{list(peers)[best - 1]:>14} {fmt_ratio(t[best], t[0]):>20} "
          f"{t[best].min() / t[0].min():6.2f}x", flush=True)


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
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--count", type=int, default=12_000_000, help="codes per call (12 MP)")
    args = ap.parse_args(argv)
    environment()
    rng = np.random.default_rng(0)
    n = args.count
    print(f"pack_codes / unpack_codes vs numpy, {n} codes, {args.repeats} rounds; "
          f"ratio = peer / ours, median [25th-75th percentile]; memory = tracemalloc "
          f"peak of ours / (input + output)")
    head = (f"{'packing':<12} {'pack ms':>8} {'peer ms':>8} {'pack ratio':>20} "
            f"{'unpack ms':>9} {'peer ms':>8} {'unpack ratio':>20} {'pack mem':>8} "
            f"{'unpack mem':>10}")
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
        t = paired([lambda c=codes, p=name, lv=levels: pack_codes(c, p, lv),
                  lambda c=codes, p=name, lv=levels, f=pp: f(c, p, lv),
                  lambda d=data, p=name, lv=levels, k=codes.size: unpack_codes(d, p, lv, k),
                  lambda d=data, p=name, lv=levels, k=codes.size, f=pu: f(d, p, lv, k)],
                 args.repeats)
        io = codes.nbytes + data.nbytes
        mem_p = peak_bytes(lambda c=codes, p=name, lv=levels: pack_codes(c, p, lv)) / io
        mem_u = peak_bytes(lambda d=data, p=name, lv=levels, k=codes.size:
                           unpack_codes(d, p, lv, k)) / io
        tp, tpp, tu, tup = (v.min() * 1e3 for v in t)
        print(f"{packing:<12} {tp:8.2f} {tpp:8.2f} {fmt_ratio(t[1], t[0]):>20} "
              f"{tu:9.2f} {tup:8.2f} {fmt_ratio(t[3], t[2]):>20} {mem_p:7.2f}x {mem_u:9.2f}x")
    shift_table(args.repeats)


if __name__ == "__main__":
    main()
