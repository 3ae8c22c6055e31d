"""Speed of the whole per-frame wake-up path against the conventional OpenCV one.

Both paths start from the same scene (linear light, one frame) and end in a
linear score ``w . features + b`` (random weights: the dot product costs the
same whatever they are):

* **analogfe, log-gradient**: ``Sensor.expose`` (monochrome sensor) ->
  ``LogGradientFrontEnd(bits=2, scales=(1,))`` (1.5-bit codes) ->
  ``features.hog`` (FHOG, 8x8 cells, 31 features per cell) -> score;
* **OpenCV, conventional**: ``Sensor.expose`` + ``Sensor.readout`` (RGGB
  sensor, 10-bit ADC) -> 8 bits (``dn >> 2``) -> ``cv2.cvtColor`` Bayer to
  gray (OpenCV's demosaic) -> ``cv2.HOGDescriptor.compute`` (8x8 cells,
  16x16 blocks, 9 bins) -> score.

The sensor model is ours in both (a camera has one); the exposure is the same
call with the same cost. The table also gives the part after the exposure
(electrons -> score against electrons -> DN -> score), where the two paths
differ. Frames: QVGA (the wake-up camera) and VGA. Threads: 1 (analogfe
``n_threads=1``, ``cv2.setNumThreads(1)``) and 2 (both). Timed alternately in
one process, several rounds (``benchmarks/_timing.paired``): the best sample
of each, and the ratio as the median of the per-round ratios with their
25th-75th percentiles. Outputs are not compared: the two paths compute
different features by design (the run says so).

Run: ``python benchmarks/bench_wakeup_path.py [--repeats 15]``.
"""
import argparse
import os
import sys
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import environment, fmt_ratio, paired  # noqa: E402

SIGNAL_E = 5000.0


def make_scene(height, width):
    """A natural scene in linear light, (H, W) float32 in [0, 1]."""
    from skimage import data
    from skimage.transform import resize

    gray = resize(data.camera() / 255.0, (height, width), anti_aliasing=True)
    return (gray ** 2.2).astype(np.float32)


def paths(height, width, n_threads):
    """The four timed callables of one frame size and thread count."""
    import cv2

    import analogfe as afe
    from analogfe.features import hog

    scene = make_scene(height, width)
    mono = afe.Sensor(afe.SensorConfig(height=height, width=width), seed=0)
    bayer = afe.Sensor(afe.SensorConfig(height=height, width=width, cfa="RGGB"), seed=0)
    fe = afe.LogGradientFrontEnd(bits=2, scales=(1,))
    cells = (height // 8) * (width // 8)
    w_lg = np.random.default_rng(0).standard_normal(cells * 31).astype(np.float32)
    cv_hog = cv2.HOGDescriptor((width, height), (16, 16), (8, 8), (8, 8), 9)
    n_cv = cv_hog.getDescriptorSize()
    w_cv = np.random.default_rng(1).standard_normal(n_cv).astype(np.float32)
    e_mono = mono.expose(scene, signal_e=SIGNAL_E)
    e_bayer = bayer.expose(scene, signal_e=SIGNAL_E)

    def lg_after(e):
        codes = fe(e, n_threads=n_threads)
        f = hog(codes.dx[0], codes.dy[0], levels=3, n_threads=n_threads)
        return float(f.ravel() @ w_lg) + 0.5

    def cv_after(e):
        dn = bayer.readout(e)
        img8 = (dn >> 2).astype(np.uint8)
        gray = cv2.cvtColor(img8, cv2.COLOR_BayerRG2GRAY)
        f = cv_hog.compute(gray)
        return float(f.ravel() @ w_cv) + 0.5

    return {
        "lg": lambda: lg_after(mono.expose(scene, signal_e=SIGNAL_E)),
        "cv": lambda: cv_after(bayer.expose(scene, signal_e=SIGNAL_E)),
        "lg after exposure": lambda: lg_after(e_mono),
        "cv after exposure": lambda: cv_after(e_bayer),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)
    import cv2

    environment(peers=("cv2",))
    print("outputs: not compared (different features by design)")
    print(f"wake-up path, 1.5-bit log-gradient + FHOG vs OpenCV demosaic + HOGDescriptor "
          f"(OpenCV {cv2.__version__}); {args.repeats} rounds, run alternately; ms: best "
          f"sample; ratio = OpenCV / analogfe, median of the rounds [25th-75th percentile]")
    print(f"{'frame':>9} {'threads':>7} | {'analogfe':>9} {'OpenCV':>9} {'ratio':>20} | "
          f"{'after exposure: ours':>20} {'OpenCV':>9} {'ratio':>20}")
    for h, w in ((240, 320), (480, 640)):
        for t in (1, 2):
            cv2.setNumThreads(t)
            fns = paths(h, w, t)
            lg, cv, lg2, cv2_ = paired([fns["lg"], fns["cv"], fns["lg after exposure"],
                                        fns["cv after exposure"]], args.repeats)
            print(f"{w}x{h:<5} {t:>7} | {lg.min() * 1e3:7.3f}ms {cv.min() * 1e3:7.3f}ms "
                  f"{fmt_ratio(cv, lg):>20} | {lg2.min() * 1e3:18.3f}ms "
                  f"{cv2_.min() * 1e3:7.3f}ms {fmt_ratio(cv2_, lg2):>20}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
