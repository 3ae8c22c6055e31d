"""HOG speed: analogfe.features against OpenCV and scikit-image, single thread.

One 640x480 frame (scikit-image's ``camera`` photograph resized), as

* its 1.5-bit log-gradient codes (``LogGradientFrontEnd(bits=2)``) for
  :func:`analogfe.features.hog` (FHOG, 8x8 cells, 9 orientations), and
* its 8-bit image for ``cv2.HOGDescriptor.compute`` (8x8 cells, 16x16 blocks
  with an 8-pixel stride, 9 bins, the whole frame as one window: the same cell
  grid) and for ``skimage.feature.hog`` (8x8 cells, 9 orientations).

:func:`analogfe.features.image_hog` is timed against ``skimage.feature.hog``
with identical parameters (and its output checked equal). The cases are
timed alternately, round after round (the order rotating); printed: each
one's best sample, and each ratio as the median of the per-round ratios with
their 25th-75th percentiles.

Run: ``python benchmarks/bench_hog.py [--repeat N]``.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import check_close, environment, fmt_ratio, paired, ratio  # noqa: E402

# targets of the issue: ours at least this many times faster
TARGETS = {
    "hog (1.5-bit codes) vs OpenCV HOGDescriptor.compute": 4.0,
    "hog (1.5-bit codes) vs skimage.feature.hog": 40.0,
    "image_hog vs skimage.feature.hog": 5.0,
}


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
    environment(peers=("cv2", "skimage"))
    image, codes = make_frame()
    dx, dy = codes[2]
    levels = {2: 3, 3: 7}
    print(f"frame {image.shape[1]}x{image.shape[0]}, "
          f"1.5-bit codes {sorted(np.unique(dx).tolist())}, "
          f"OpenCV {cv2.__version__}, cv2 threads {cv2.getNumThreads()}")

    cv_hog = cv2.HOGDescriptor((image.shape[1], image.shape[0]), (16, 16), (8, 8), (8, 8), 9)
    cases = {
        "hog fhog 1.5-bit": lambda: hog(dx, dy, levels=3),
        "hog fhog 2.75-bit": lambda: hog(*codes[3], levels=7),
        "hog dalal-triggs 1.5-bit": lambda: hog(dx, dy, method="dalal-triggs", levels=3),
        "OpenCV HOGDescriptor.compute": lambda: cv_hog.compute(image),
        "skimage.feature.hog (2x2 blocks)": lambda: sk_hog(image, cells_per_block=(2, 2)),
        "skimage.feature.hog (defaults)": lambda: sk_hog(image),
        "image_hog (defaults)": lambda: image_hog(image),
    }
    t = dict(zip(cases, paired(list(cases.values()), args.repeat)))
    for name, s in t.items():
        print(f"  {name:<36s} {s.min() * 1e3:9.3f} ms")

    diff = check_close(image_hog(image), sk_hog(image), "image_hog vs skimage", 1e-6)
    print(f"image_hog vs skimage.feature.hog: max |difference| {diff:.2e}")
    pairs = {
        "hog (1.5-bit codes) vs OpenCV HOGDescriptor.compute":
            ("OpenCV HOGDescriptor.compute", "hog fhog 1.5-bit"),
        "hog (1.5-bit codes) vs skimage.feature.hog":
            ("skimage.feature.hog (2x2 blocks)", "hog fhog 1.5-bit"),
        "image_hog vs skimage.feature.hog":
            ("skimage.feature.hog (defaults)", "image_hog (defaults)"),
    }
    ok = True
    for name, (peer, ours) in pairs.items():
        target, med = TARGETS[name], ratio(t[peer], t[ours])[0]
        ok &= med >= target
        print(f"  {name:<52s} {fmt_ratio(t[peer], t[ours])}  (target >= {target:.0f}x: "
              f"{'met' if med >= target else 'NOT met'})")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
