"""HOG speed: analogfe.features against OpenCV and scikit-image, single thread.

One 640x480 frame (scikit-image's ``camera`` photograph resized), as

* its 1.5-bit log-gradient codes (``LogGradientFrontEnd(bits=2)``) for
  :func:`analogfe.features.hog` (FHOG, 8x8 cells, 9 orientations), and
* its 8-bit image for ``cv2.HOGDescriptor.compute`` (8x8 cells, 16x16 blocks
  with an 8-pixel stride, 9 bins, the whole frame as one window: the same cell
  grid) and for ``skimage.feature.hog`` (8x8 cells, 9 orientations).

:func:`analogfe.features.image_hog` is timed against ``skimage.feature.hog``
with identical parameters (and its output checked equal). Every time is the
best of several repeats (the least disturbed by other processes).

Run: ``python benchmarks/bench_hog.py [--repeat N]``.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

# targets of the issue: ours at least this many times faster
TARGETS = {
    "hog (1.5-bit codes) vs OpenCV HOGDescriptor.compute": 4.0,
    "hog (1.5-bit codes) vs skimage.feature.hog": 40.0,
    "image_hog vs skimage.feature.hog": 5.0,
}


def best_times_s(cases, repeat):
    """Best time per call of each ``name: (fn, calls)``, seconds.

    The cases are timed in turns, round after round, so a burst of load
    from other processes hits them alike; each keeps its fastest round.
    """
    best = {name: np.inf for name in cases}
    for fn, _ in cases.values():
        fn()
    for _ in range(repeat):
        for name, (fn, number) in cases.items():
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            best[name] = min(best[name], (time.perf_counter() - t0) / number)
    return best


def make_frame(height=480, width=640):
    """8-bit gray frame and its 1.5- and 2.75-bit log-gradient codes."""
    from skimage import data
    from skimage.transform import resize

    from analogfe.frontend import LogGradientFrontEnd

    image = (resize(data.camera(), (height, width), anti_aliasing=True) * 255).astype(np.uint8)
    # sRGB-coded 8-bit -> linear light -> electrons (a 10,000 e- full well)
    electrons = ((image / 255.0) ** 2.2 * 9000.0 + 20.0).astype(np.float32)
    codes = {}
    for bits in (2, 3):
        out = LogGradientFrontEnd(bits=bits, scales=(1,))(electrons)
        codes[bits] = (out.dx[0], out.dy[0])
    return image, codes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)

    import cv2
    from skimage.feature import hog as sk_hog

    from analogfe.features import hog, image_hog

    cv2.setNumThreads(1)
    image, codes = make_frame()
    dx, dy = codes[2]
    levels = {2: 3, 3: 7}
    print(f"frame {image.shape[1]}x{image.shape[0]}, "
          f"1.5-bit codes {sorted(np.unique(dx).tolist())}, "
          f"OpenCV {cv2.__version__}, cv2 threads {cv2.getNumThreads()}")

    cv_hog = cv2.HOGDescriptor((image.shape[1], image.shape[0]), (16, 16), (8, 8), (8, 8), 9)
    t = best_times_s({
        "hog fhog 1.5-bit": (lambda: hog(dx, dy, levels=3), 10),
        "hog fhog 2.75-bit": (lambda: hog(*codes[3], levels=7), 10),
        "hog dalal-triggs 1.5-bit": (lambda: hog(dx, dy, method="dalal-triggs", levels=3), 10),
        "OpenCV HOGDescriptor.compute": (lambda: cv_hog.compute(image), 5),
        "skimage.feature.hog (2x2 blocks)": (lambda: sk_hog(image, cells_per_block=(2, 2)), 1),
        "skimage.feature.hog (defaults)": (lambda: sk_hog(image), 1),
        "image_hog (defaults)": (lambda: image_hog(image), 3),
    }, args.repeat)
    for name, s in t.items():
        print(f"  {name:<36s} {s * 1e3:9.3f} ms")

    diff = np.abs(image_hog(image) - sk_hog(image)).max()
    print(f"image_hog vs skimage.feature.hog: max |difference| {diff:.2e}")
    ratios = {
        "hog (1.5-bit codes) vs OpenCV HOGDescriptor.compute":
            t["OpenCV HOGDescriptor.compute"] / t["hog fhog 1.5-bit"],
        "hog (1.5-bit codes) vs skimage.feature.hog":
            t["skimage.feature.hog (2x2 blocks)"] / t["hog fhog 1.5-bit"],
        "image_hog vs skimage.feature.hog":
            t["skimage.feature.hog (defaults)"] / t["image_hog (defaults)"],
    }
    ok = True
    for name, ratio in ratios.items():
        target = TARGETS[name]
        ok &= ratio >= target
        print(f"  {name:<52s} {ratio:7.1f}x  (target >= {target:.0f}x: "
              f"{'met' if ratio >= target else 'NOT met'})")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
