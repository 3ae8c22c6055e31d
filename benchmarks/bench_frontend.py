"""Speed of the log-gradient front end against the plain-numpy reference.

One 640x480 frame of electrons, single thread, 3 scales (1, 2, 4), 1.5-bit
codes: :class:`analogfe.frontend.LogGradientFrontEnd` (Cython binning and
fused log-ratio converter) vs ``tests/reference_frontend.frontend_reference``
(the numpy code a user would write: strided block sums, ``np.log``, slicing
differences, ``np.clip``, rounding). Prints best-of-N times and their ratio,
and checks that both give the same codes.

Run: ``python benchmarks/bench_frontend.py [--repeat 20]``.
"""
import argparse
import os
import sys
import time
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from reference_frontend import frontend_reference  # noqa: E402

from analogfe.frontend import LogGradientFrontEnd  # noqa: E402


def best_time(fn, repeat):
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--height", type=int, default=480)
    ap.add_argument("--width", type=int, default=640)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    noise = rng.random((args.height, args.width)) ** 2.2
    from skimage import data as skdata
    from skimage.transform import resize
    natural = resize(skdata.camera() / 255.0, (args.height, args.width)) ** 2.2
    fe = LogGradientFrontEnd(bits=2, scales=(1, 2, 4))
    print(f"log-gradient front end, {args.width}x{args.height}, scales (1, 2, 4), 1.5 bit, "
          "1 thread, best of", args.repeat)
    for label, scene in (("random scene", noise), ("camera photo", natural)):
        electrons = (scene * 10000.0).astype(np.float32)
        ours = fe(electrons)
        dxs, dys = frontend_reference(electrons, 2, (1, 2, 4), 10000.0)
        mismatch = sum(int((a != b).sum()) for a, b in zip(ours.dx + ours.dy, dxs + dys))
        t_ours = best_time(lambda: fe(electrons), args.repeat)
        t_ref = best_time(lambda: frontend_reference(electrons, 2, (1, 2, 4), 10000.0),
                          args.repeat)
        print(f"  {label}: analogfe (Cython) {t_ours * 1e3:7.2f} ms | numpy reference (tests/) "
              f"{t_ref * 1e3:7.2f} ms | speed-up {t_ref / t_ours:5.1f}x | codes differing: {mismatch}")


if __name__ == "__main__":
    main()
