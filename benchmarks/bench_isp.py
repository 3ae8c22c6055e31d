"""Speed of the minimal ISP (:func:`analogfe.frontend.process`) against OpenCV and rawpy.

All on the same 10-bit RGGB mosaic (a smooth colourful scene plus 8 DN of
noise, black level 64, the default white balance and colour matrix), timed alternately in one process, best of
several repeats; each sample is the mean of enough calls to last a few
milliseconds. Ratios are peer time / ``process`` time (> 1: ours faster).

* ``before``: ``process`` as it was in numpy (``tests/reference_isp.py::
  process_numpy``: float32 normalise, the CFA demosaic kernel, float64 colour
  matrix and ``linear_to_srgb``, row blocks); single-threaded.
* ``opencv``: what a user would chain in OpenCV on the uint16 mosaic:
  ``cv2.subtract`` (black level), ``cv2.cvtColor(..., COLOR_Bayer*2RGB)``
  (bilinear demosaic, 16-bit), ``cv2.transform`` with one 3x3 matrix holding
  white balance, normalisation, colour matrix and digital gain (16-bit output,
  saturating: the clip to [0, 1] as 0..65535), and the sRGB gamma as a
  65536-entry uint8 lookup table (``np.take``: ``cv2.LUT`` takes only 8-bit
  input, and an 8-bit linear image would lose the shadows). Gray output adds
  ``cv2.cvtColor(..., COLOR_RGB2GRAY)`` on the linear 16-bit image before the
  table (OpenCV's own weights, Rec. 601: its gray differs from ours, Rec. 709,
  by several DN on a colourful scene). ``cv2.setNumThreads`` is set to the thread count of the row.
* ``rawpy``: LibRaw's ``postprocess`` on a DNG of the same mosaic
  (``analogfe.scene.raw.write_dng``, written once, opened once; only
  ``postprocess`` is timed) with ``demosaic_algorithm=LINEAR``,
  ``user_wb`` = the same gains, ``no_auto_bright=True``, ``no_auto_scale``
  left off (LibRaw scales to its working range itself), ``gamma=(2.4, 12.92)``
  (sRGB), ``output_color=sRGB``, ``output_bps=8``, ``user_flip=0``. It
  ignores ``cv2``/OpenMP thread settings (LibRaw here runs single-threaded),
  so its time is the same in both thread rows.

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
from _timing import race  # noqa: E402  (benchmarks/_timing.py)

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


def opencv_chain(cfg, output="rgb"):
    """The OpenCV pipeline of the module docstring, as a function of the mosaic."""
    import cv2

    black = cfg.black_level_dn
    span = cfg.saturation_dn - black
    ccm = np.linalg.inv(DEFAULT_RGB_TO_CAM)
    m = (65535.0 / span) * ccm @ np.diag(DEFAULT_WB_GAINS)
    lut = np.floor(linear_to_srgb(np.arange(65536) / 65535.0) * 255.0 + 0.5).astype(np.uint8)
    code = getattr(cv2, f"COLOR_Bayer{_CV_BAYER[cfg.cfa]}2RGB")

    def run(dn):
        x = cv2.subtract(dn, black)
        rgb = cv2.cvtColor(x, code)
        lin = cv2.transform(rgb, m)
        if output == "gray":
            lin = cv2.cvtColor(lin, cv2.COLOR_RGB2GRAY)
        return np.take(lut, lin)
    return run


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


def _set_cv_threads(n):
    import cv2

    cv2.setNumThreads(n)


def bench_frame(label, h, w, repeats, folder):
    cfg = _config(h, w)
    dn = _mosaic(cfg)
    try:
        raw, rp = rawpy_chain(cfg, dn, folder)
    except ImportError as exc:  # rawpy and pidng: the optional test extra
        print(f"rawpy column left out: {exc}")
        raw = rp = None
    rows = []
    for output in ("rgb", "gray"):
        cv = opencv_chain(cfg, output)
        ours = process(dn, cfg, output=output)
        ref = process_numpy(dn, cfg, output=output)
        d = np.abs(ours.astype(int) - ref)
        note = f"max |ours - before| {d.max()} DN on {np.count_nonzero(d)} of {d.size} values"
        vs_cv = np.abs(cv(dn).astype(int) - ours)[4:-4, 4:-4].mean()
        note += f"; mean |opencv - ours| {vs_cv:.2f} DN"
        if output == "rgb" and rp is not None:
            vs_rp = np.abs(rp().astype(int) - ours)[4:-4, 4:-4].mean()
            note += f", |rawpy - ours| {vs_rp:.2f} DN"
        print(f"{label} {output}: {note}", flush=True)
        fns = {"before": lambda: process_numpy(dn, cfg, output=output)}
        for nt in (1, 2):
            fns[f"ours {nt}t"] = (lambda nt=nt: process(dn, cfg, output=output, n_threads=nt))
            fns[f"opencv {nt}t"] = (lambda nt=nt: (_set_cv_threads(nt), cv(dn)))
        if output == "rgb" and rp is not None:
            fns["rawpy"] = rp
        t = dict(zip(fns, race(list(fns.values()), repeats)))
        for nt in (1, 2):
            ours_t = t[f"ours {nt}t"]
            row = {"case": f"{label} {output}", "threads": nt, "ours_ms": ours_t * 1e3,
                   "before_x": t["before"] / ours_t, "opencv_x": t[f"opencv {nt}t"] / ours_t,
                   "rawpy_x": t["rawpy"] / ours_t if "rawpy" in t else float("nan"),
                   "before_ms": t["before"] * 1e3, "opencv_ms": t[f"opencv {nt}t"] * 1e3,
                   "rawpy_ms": t["rawpy"] * 1e3 if "rawpy" in t else float("nan")}
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
    assert np.array_equal(one(), np.stack(many()))
    t_one, t_many = race([one, many], repeats)
    print(f"batch {n}xQVGA rgb, {n_threads} threads: one call {t_one * 1e3:.1f} ms, "
          f"{n} calls {t_many * 1e3:.1f} ms: {t_many / t_one:.2f}x", flush=True)
    return t_many / t_one


def _print_row(r):
    print(f"{r['case']:<14} {r['threads']}t  ours {r['ours_ms']:8.2f} ms | before "
          f"{r['before_ms']:8.2f} ms {r['before_x']:5.2f}x | opencv {r['opencv_ms']:8.2f} ms "
          f"{r['opencv_x']:5.2f}x | rawpy {r['rawpy_ms']:8.2f} ms {r['rawpy_x']:5.2f}x",
          flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-12mp", action="store_true", help="VGA and the batch only")
    args = ap.parse_args(argv)
    print(f"cores: {os.cpu_count()}; ratios are peer time / process time (> 1: ours faster)")
    sizes = [("VGA", 480, 640)] + ([] if args.no_12mp else [("12MP", 3000, 4000)])
    with tempfile.TemporaryDirectory() as folder:
        rows = [r for label, h, w in sizes for r in bench_frame(label, h, w, args.repeats, folder)]
    bench_batch(args.repeats)
    return rows


if __name__ == "__main__":
    main()
