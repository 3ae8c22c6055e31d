"""Speed of the minimal ISP (:func:`analogfe.frontend.process`) against OpenCV and rawpy.

All on the same 10-bit RGGB mosaic (a smooth colourful scene plus 8 DN of
noise, black level 64, the default white balance and colour matrix), timed alternately in one process, best of
several rounds (the order rotating); each sample is the mean of enough calls
to last a few milliseconds. Ratios are peer time / ``process`` time (> 1: ours
faster), the median of the per-round ratios with their 25th-75th percentiles.

* ``before``: ``process`` as it was in numpy (``tests/reference_isp.py::
  process_numpy``: float32 normalise, the CFA demosaic kernel, float64 colour
  matrix and ``linear_to_srgb``, row blocks); single-threaded.
* ``opencv``: what a user would chain in OpenCV on the uint16 mosaic:
  ``cv2.subtract`` (black level), ``cv2.cvtColor(..., COLOR_Bayer*2RGB)``
  (bilinear demosaic, 16-bit), ``cv2.transform`` with one 3x3 matrix holding
  white balance, normalisation, colour matrix and digital gain (16-bit output,
  saturating: the clip to [0, 1] as 0..65535), and the sRGB gamma as a
  65536-entry uint8 lookup table (``np.take`` into a preallocated output
  with ``mode="wrap"``: every uint16 value indexes the table, so nothing
  wraps, and numpy skips the bounds check and the buffered copy of the
  default ``mode="raise"``, about 12% of the table's time; ``cv2.LUT`` takes
  only 8-bit input, and an 8-bit linear image would lose the shadows). Gray
  output adds ``cv2.cvtColor(..., COLOR_RGB2GRAY)`` on the
  linear 16-bit image before the table (OpenCV's own weights, Rec. 601: its
  gray differs from ours, Rec. 709, by several DN on a colourful scene). The
  table, the matrix and every buffer are built before timing, and
  ``cv2.setNumThreads`` is set before each thread count's round, outside the
  timed calls. Four variants: the table on the whole image, the table in
  blocks of 32 rows, and the whole chain in blocks of 32 rows (plus a halo
  of 2 rows for the demosaic), all giving the same bytes (checked); and the
  table in blocks with no ``cv2.subtract`` pass, the black level taken off
  by the offset column of a 3x4 ``cv2.transform`` matrix after the demosaic
  (a few values in a million 1 DN off the others: checked within 1 DN, the
  count printed). The fastest of them (best sample) is the peer of the row.
* ``rawpy``: LibRaw's ``postprocess`` on a DNG of the same mosaic
  (``analogfe.scene.raw.write_dng``, written once, opened once; only
  ``postprocess`` is timed) with ``demosaic_algorithm=LINEAR``,
  ``user_wb`` = the same gains, ``no_auto_bright=True``, ``no_auto_scale``
  left off (LibRaw scales to its working range itself), ``gamma=(2.4, 12.92)``
  (sRGB), ``output_color=sRGB``, ``output_bps=8``, ``user_flip=0``. It
  ignores ``cv2``/OpenMP thread settings (LibRaw here runs single-threaded),
  so its time is the same in both thread rows.

``ours`` writes into an output array allocated once outside the timed
calls (``process(..., out=...)``), as the OpenCV chain does; ``new array``
is the same call returning a new array each time (printed for reference: at
12 MP its 36 MB of fresh pages cost the kernel's page faults every call).

Batch: 64 QVGA frames as one (64, 240, 320) call against 64 calls of one
frame each (2 threads). Output check: ours equals ``process_numpy``
(at most 1 DN; the count of differing values is printed); the OpenCV chain
and rawpy are printed as the mean absolute difference from ours, a sanity
check that they compute the same kind of image.

Run: ``python benchmarks/bench_isp.py [--repeats 5] [--no-12mp]``.
"""
from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from _timing import (  # noqa: E402
    check_close,
    check_equal,
    environment,
    fmt_ratio,
    load,
    paired,
)

from analogfe.frontend import process  # noqa: E402
from analogfe.scene.camera import DEFAULT_RGB_TO_CAM, DEFAULT_WB_GAINS  # noqa: E402
from analogfe.scene.cfa import cfa_index  # noqa: E402
from analogfe.scene.color import linear_to_srgb  # noqa: E402
from analogfe.sensor import SensorConfig  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from reference_isp import process_numpy  # noqa: E402

#: OpenCV's Bayer codes are named after the 2x2 block starting at (1, 1):
#: an RGGB mosaic is COLOR_BayerBG2RGB.
_CV_BAYER = {"RGGB": "BG", "BGGR": "RG", "GRBG": "GB", "GBRG": "GR"}


def _config(h, w):
    return SensorConfig(height=h, width=w, cfa="RGGB", adc_bits=10, black_level_dn=64)


def _mosaic(cfg, n=None, seed=0):
    """A smooth colourful scene (three slow waves, one per colour) as the
    sensor's mosaic in DN, plus Gaussian noise of 8 DN: neither flat nor white
    noise, so the peers' outputs can be compared with ours."""
    h, w = cfg.shape
    y = (np.arange(h, dtype=np.float32) / max(h, w))[:, None]
    x = (np.arange(w, dtype=np.float32) / max(h, w))[None, :]
    site = cfa_index(cfg.cfa)[np.arange(h)[:, None] & 1, np.arange(w)[None, :] & 1]
    scene = np.where(site == 0, 0.45 + 0.35 * np.sin(7 * x + 1),
                     np.where(site == 1, 0.45 + 0.35 * np.cos(5 * y + 6 * x),
                              0.45 + 0.35 * np.sin(9 * y)))
    rng = np.random.default_rng(seed)
    black, span = cfg.black_level_dn, cfg.saturation_dn - cfg.black_level_dn
    frames = [np.clip(np.rint(black + span * scene + rng.normal(0.0, 8.0, (h, w))),
                      0, cfg.max_dn).astype(np.uint16) for _ in range(n or 1)]
    return frames[0] if n is None else np.stack(frames)


def opencv_chain(cfg, shape, output="rgb", lut_rows=None, chain_rows=None,
                 black_in_matrix=False):
    """The OpenCV pipeline of the module docstring for mosaics of ``shape``,
    its table and buffers built here, outside any timed call. ``lut_rows``:
    the table applied in blocks of that many rows (else on the whole image);
    ``chain_rows`` (even): the whole chain run on blocks of that many rows
    plus two halo rows above and below (the demosaic's window; the halo's
    output is dropped), so that the intermediates stay in the cache.
    ``black_in_matrix``: no ``cv2.subtract`` pass; the black level is taken
    off after the demosaic (whose weights sum to 1), as the offset column of
    a 3x4 ``cv2.transform`` matrix (a mosaic sample below the black level
    then pulls its neighbours down instead of counting as 0)."""
    import cv2

    black = cfg.black_level_dn
    span = cfg.saturation_dn - black
    ccm = np.linalg.inv(DEFAULT_RGB_TO_CAM)
    m = (65535.0 / span) * ccm @ np.diag(DEFAULT_WB_GAINS)
    if black_in_matrix:
        m = np.hstack([m, -black * m.sum(axis=1, keepdims=True)])
    lut = np.floor(linear_to_srgb(np.arange(65536) / 65535.0) * 255.0 + 0.5).astype(np.uint8)
    code = getattr(cv2, f"COLOR_Bayer{_CV_BAYER[cfg.cfa]}2RGB")
    h, w = shape
    bh = h if chain_rows is None else min(h, chain_rows + 4)
    sub = np.empty((bh, w), np.uint16)
    rgb = np.empty((bh, w, 3), np.uint16)
    lin = np.empty((bh, w, 3), np.uint16)
    gray = np.empty((bh, w), np.uint16)
    out = np.empty((h, w) if output == "gray" else (h, w, 3), np.uint8)
    step = h if lut_rows is None else lut_rows

    def chain(dn, r0, r1, keep0):
        n = r1 - r0
        if black_in_matrix:
            cv2.cvtColor(dn[r0:r1], code, dst=rgb[:n])
        else:
            cv2.subtract(dn[r0:r1], black, dst=sub[:n])
            cv2.cvtColor(sub[:n], code, dst=rgb[:n])
        cv2.transform(rgb[:n], m, dst=lin[:n])
        if output == "gray":
            cv2.cvtColor(lin[:n], cv2.COLOR_RGB2GRAY, dst=gray[:n])
        return (gray if output == "gray" else lin)[keep0 - r0:n]

    def run(dn):
        v = chain(dn, 0, h, 0)
        for r in range(0, h, step):
            np.take(lut, v[r:r + step], out=out[r:r + step], mode="wrap")
        return out

    def run_blocks(dn):
        for r in range(0, h, chain_rows):
            e = min(h, r + chain_rows)
            v = chain(dn, max(0, r - 2), min(h, e + 2), r)
            np.take(lut, v[:e - r], out=out[r:e], mode="wrap")
        return out
    return run if chain_rows is None else run_blocks


def opencv_chains(cfg, shape, output):
    """The variants timed (the fastest is the peer): name -> chain."""
    return {"whole image": opencv_chain(cfg, shape, output),
            "table in 32-row blocks": opencv_chain(cfg, shape, output, lut_rows=32),
            "chain in 32-row blocks": opencv_chain(cfg, shape, output, chain_rows=32),
            "black in the matrix, table in 32-row blocks": opencv_chain(
                cfg, shape, output, lut_rows=32, black_in_matrix=True)}


def rawpy_chain(cfg, dn, folder):
    """rawpy postprocess on a DNG of ``dn`` (the module docstring's options)."""
    import rawpy

    from analogfe.scene.raw import write_dng

    path = write_dng(Path(folder) / "mosaic.dng", dn, cfg.cfa, black_level=cfg.black_level_dn,
                     white_level=cfg.saturation_dn, bits=cfg.adc_bits)
    raw = rawpy.imread(str(path))
    r, g, b = DEFAULT_WB_GAINS
    opts = dict(demosaic_algorithm=rawpy.DemosaicAlgorithm.LINEAR, user_wb=[r, g, b, g],
                no_auto_bright=True, gamma=(2.4, 12.92), output_color=rawpy.ColorSpace.sRGB,
                output_bps=8, user_flip=0)
    return raw, (lambda: raw.postprocess(**opts))


def bench_frame(label, h, w, repeats, folder):
    import cv2

    cfg = _config(h, w)
    dn = _mosaic(cfg)
    try:
        raw, rp = rawpy_chain(cfg, dn, folder)
    except ImportError as exc:  # rawpy and pidng: the optional test extra
        print(f"rawpy column left out: {exc}")
        raw = rp = None
    rows = []
    for output in ("rgb", "gray"):
        chains = opencv_chains(cfg, (h, w), output)
        ours = process(dn, cfg, output=output)
        ref = process_numpy(dn, cfg, output=output)
        d = np.abs(ours.astype(int) - ref)
        note = f"max |ours - before| {d.max()} DN on {np.count_nonzero(d)} of {d.size} values"
        cv_out = [c(dn).copy() for c in chains.values()]
        for o in cv_out[1:3]:
            check_equal(o, cv_out[0], "the OpenCV chains")
        check_close(cv_out[3], cv_out[0], "the OpenCV chain with the black level in the matrix",
                    atol=1)
        note += (f"; values of the opencv chain with the black level in the matrix 1 DN off "
                 f"the others: {np.count_nonzero(cv_out[3] != cv_out[0])}")
        vs_cv = np.abs(cv_out[0].astype(int) - ours)[4:-4, 4:-4].mean()
        note += f"; mean |opencv - ours| {vs_cv:.2f} DN"
        if output == "rgb" and rp is not None:
            vs_rp = np.abs(rp().astype(int) - ours)[4:-4, 4:-4].mean()
            note += f", |rawpy - ours| {vs_rp:.2f} DN"
        print(f"{label} {output}: {note}", flush=True)
        for nt in (1, 2):
            cv2.setNumThreads(nt)  # set up outside the timed calls
            buf = np.empty_like(ours)  # set up outside the timed calls, as the chains' buffers
            fns = {"ours": lambda nt=nt: process(dn, cfg, output=output, n_threads=nt, out=buf),
                   **{k: (lambda c=c: c(dn)) for k, c in chains.items()}}
            if nt == 1:
                fns["new array"] = lambda: process(dn, cfg, output=output, n_threads=1)
                fns["before"] = lambda: process_numpy(dn, cfg, output=output)
                if output == "rgb" and rp is not None:
                    fns["rawpy"] = rp
            t = dict(zip(fns, paired(list(fns.values()), repeats)))
            cv_name = min(chains, key=lambda k: t[k].min())
            row = {"case": f"{label} {output}", "threads": nt, "ours_ms": t["ours"].min() * 1e3,
                   "opencv": cv_name, "opencv_ms": t[cv_name].min() * 1e3,
                   "opencv_x": fmt_ratio(t[cv_name], t["ours"]), "load": load()}
            for k in ("new array", "before", "rawpy"):
                if k in t:
                    row[f"{k}_ms"] = t[k].min() * 1e3
                    row[f"{k}_x"] = fmt_ratio(t[k], t["ours"])
            rows.append(row)
            _print_row(row)
    if raw is not None:
        raw.close()
    return rows


def bench_batch(repeats, n=64, n_threads=2):
    cfg = _config(240, 320)
    stack = _mosaic(cfg, n)
    one = lambda: process(stack, cfg, n_threads=n_threads)  # noqa: E731
    many = lambda: [process(f, cfg, n_threads=n_threads) for f in stack]  # noqa: E731
    check_equal(one(), np.stack(many()), "one call and frame by frame")
    t = paired([one, many], repeats)
    print(f"batch {n}xQVGA rgb, {n_threads} threads: one call {t[0].min() * 1e3:.1f} ms, "
          f"{n} calls {t[1].min() * 1e3:.1f} ms: {fmt_ratio(t[1], t[0])}", flush=True)


def _print_row(r):
    extra = "".join(f" | {k} {r[f'{k}_ms']:8.2f} ms {r[f'{k}_x']}"
                    for k in ("new array", "before", "rawpy") if f"{k}_x" in r)
    print(f"{r['case']:<10} {r['threads']}t ours {r['ours_ms']:8.2f} ms | opencv "
          f"({r['opencv']}) {r['opencv_ms']:8.2f} ms {r['opencv_x']}{extra} | load "
          f"{r['load']:.2f}", flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--no-12mp", action="store_true", help="VGA and the batch only")
    args = ap.parse_args(argv)
    environment(peers=("cv2", "rawpy"))
    print("ms: best sample; ratios: peer time / process time (> 1: ours faster), median "
          "of the paired rounds [25th-75th percentile]")
    sizes = [("VGA", 480, 640)] + ([] if args.no_12mp else [("12MP", 3000, 4000)])
    with tempfile.TemporaryDirectory() as folder:
        rows = [r for label, h, w in sizes for r in bench_frame(label, h, w, args.repeats, folder)]
    bench_batch(args.repeats)
    return rows


if __name__ == "__main__":
    main()
