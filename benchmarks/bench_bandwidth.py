"""Frame kernels against the memory: each kernel's time over a copy of its minimum bytes.

One thread, VGA (640x480) and 12 MP (4000x3000), one frame per call. For
each kernel, its **minimum bytes** ``M`` are the bytes it cannot avoid
reading plus those it cannot avoid writing (its input and output arrays,
and the per-pixel fixed pattern it reads), and the reference is
``np.copyto`` of an ``M``-byte buffer into another (both allocated and
touched before the timed calls):

* ``lg 1.5`` / ``lg 2.75``: :class:`analogfe.frontend.LogGradientFrontEnd`
  (``bits`` 2 / 3, scales (1, 2, 4), centred pairs): reads the float32
  electrons (4 B/px), writes int8 ``dx`` and ``dy`` at every scale
  (2 x (1 + 1/4 + 1/16) B/px);
* ``isp rgb``: :func:`analogfe.frontend.process` of an RGGB mosaic: reads
  uint16 DN (2 B/px), writes 8-bit RGB (3 B/px);
* ``pack 1.5`` / ``pack 2.75``: :func:`analogfe.frontend.pack_codes` of one
  int8 code per pixel (3 levels into ``2bit``, 7 levels into ``3bit``, the
  default packings): reads 1 B/px, writes 2 or 3 bits per code;
* ``readout``: :meth:`analogfe.sensor.Sensor.readout`: reads the float32
  electrons and the float32 DSNU offset of each pixel, writes uint16 DN
  (10 B/px).

A copy of ``M`` bytes reads ``M`` and writes ``M``: it moves twice the
kernel's minimum bytes, so a kernel that moved only its minimum bytes at the
copy's speed would show 0.5x. The kernel and the copy are timed alternately
in one process (rounds of ``benchmarks/_timing.py``); printed are the best
sample of each (ms), the median of the per-round ratios kernel / copy with
their 25th-75th percentiles, the kernel's minimum bytes per second, and the
load average. The copy has no output to compare with the kernel's (the
kernels are checked against their references in ``tests/`` and the peer
benchmarks); the copy itself is checked.

``--per-pixel`` instead times the log-gradient front end at VGA and at
12 MP alternately (one frame per call, one thread) and prints the per-pixel
time at 12 MP over that at VGA: median of the rounds [25th-75th
percentile], and the ratio of the best samples. A front end that read the
12 MP frame once at the speed it reads a cached VGA frame would show 1.0x.

Run: ``python benchmarks/bench_bandwidth.py [--repeats 7] [--no-12mp] [--only lg]
[--per-pixel]``.
"""
import argparse
import os
import sys
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import check_equal, environment, fmt_ratio, load, paired  # noqa: E402

import analogfe as afe  # noqa: E402
from analogfe.frontend import LogGradientFrontEnd, pack_codes, process  # noqa: E402

SIZES = {"VGA": (480, 640), "12 MP": (3000, 4000)}


def kernels(h, w):
    """(name, callable, minimum bytes) of each kernel on one (h, w) frame, set up here."""
    cfg = afe.SensorConfig(height=h, width=w, cfa="RGGB")
    sensor = afe.Sensor(cfg, seed=0)
    scene = np.random.default_rng(0).random((h, w), dtype=np.float32)
    e = sensor.expose(scene, signal_e=5000.0, n_threads=1)
    dn = sensor.readout(e, n_threads=1)
    rng = np.random.default_rng(1)
    out = []
    for bits, label in ((2, "1.5"), (3, "2.75")):
        fe = LogGradientFrontEnd(bits=bits, scales=(1, 2, 4))
        written = 2 * sum(hs * ws for hs, ws in fe.code_shapes(h, w))
        out.append((f"lg {label}", lambda fe=fe: fe(e, n_threads=1), e.nbytes + written))
    out.append(("isp rgb", lambda: process(dn, cfg, n_threads=1), dn.nbytes + 3 * h * w))
    for levels, packing, width, label in ((3, "2bit", 2, "1.5"), (7, "3bit", 3, "2.75")):
        codes = rng.integers(-(levels // 2), levels // 2 + 1, (h, w)).astype(np.int8)
        out.append((f"pack {label}", lambda c=codes, p=packing, n=levels: pack_codes(c, p, n),
                    codes.nbytes + -(-codes.size * width // 8)))
    out.append(("readout", lambda: sensor.readout(e, n_threads=1),
                e.nbytes + sensor.dsnu_offset_e.nbytes + dn.nbytes))
    return out


def copier(nbytes):
    """``np.copyto`` of ``nbytes`` bytes, its buffers allocated and touched here."""
    src = np.random.default_rng(2).integers(0, 256, nbytes, dtype=np.uint8)
    dst = np.zeros(nbytes, np.uint8)
    np.copyto(dst, src)
    check_equal(dst, src, "copy")
    return lambda: np.copyto(dst, src)


def per_pixel(repeats):
    """12 MP over VGA, per pixel, of the log-gradient front end (1.5 and 2.75 bit)."""
    frames = {}
    for size, (h, w) in SIZES.items():
        sensor = afe.Sensor(afe.SensorConfig(height=h, width=w, cfa="RGGB"), seed=0)
        scene = np.random.default_rng(0).random((h, w), dtype=np.float32)
        frames[size] = sensor.expose(scene, signal_e=5000.0, n_threads=1)
    px = {size: f.size for size, f in frames.items()}
    print(f"per-pixel time, 12 MP / VGA, one thread, {repeats} rounds (alternated)")
    print(f"{'kernel':>10} | {'VGA ns/px':>9} {'12 MP ns/px':>11} | {'12 MP / VGA':>19} "
          f"{'best':>6} | load")
    for bits, label in ((2, "1.5"), (3, "2.75")):
        fe = LogGradientFrontEnd(bits=bits, scales=(1, 2, 4))
        t = paired([lambda: fe(frames["VGA"], n_threads=1),
                    lambda: fe(frames["12 MP"], n_threads=1)], repeats)
        vga, big = t[0] / px["VGA"], t[1] / px["12 MP"]
        print(f"{'lg ' + label:>10} | {vga.min() * 1e9:9.3f} {big.min() * 1e9:11.3f} | "
              f"{fmt_ratio(big, vga):>19} {big.min() / vga.min():5.2f}x | {load():.2f}",
              flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--no-12mp", action="store_true")
    ap.add_argument("--only", default="",
                    help="time only the kernels whose name starts with this (e.g. 'lg')")
    ap.add_argument("--per-pixel", action="store_true",
                    help="the front end's per-pixel time at 12 MP over VGA (alternated)")
    args = ap.parse_args(argv)
    environment()
    if args.per_pixel:
        per_pixel(args.repeats)
        return
    print(f"one thread, one frame per call, {args.repeats} rounds; ms of the best sample; "
          "kernel / copy of its minimum bytes: median of the rounds [25th-75th percentile]")
    print(f"{'kernel':>10} {'size':>6} | {'min MB':>7} {'kernel ms':>10} {'copy ms':>9} | "
          f"{'kernel / copy':>19} {'kernel GB/s':>11} | load")
    for size, (h, w) in SIZES.items():
        if args.no_12mp and size == "12 MP":
            continue
        for name, fn, nbytes in kernels(h, w):
            if not name.startswith(args.only):
                continue
            t = paired([fn, copier(nbytes)], args.repeats)
            print(f"{name:>10} {size:>6} | {nbytes / 1e6:7.2f} {t[0].min() * 1e3:10.3f} "
                  f"{t[1].min() * 1e3:9.3f} | {fmt_ratio(t[0], t[1]):>19} "
                  f"{nbytes / t[0].min() / 1e9:11.2f} | {load():.2f}", flush=True)


if __name__ == "__main__":
    main()
