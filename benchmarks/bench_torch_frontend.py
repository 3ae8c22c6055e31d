"""Throughput of expose + log-gradient front end: torch (CPU, GPU) against Cython.

Frames per second of ``Sensor.expose`` + ``LogGradientFrontEnd`` (3 scales
(1, 2, 4), hard codes) on batches of QVGA (320x240, batch 64) and VGA
(640x480) frames, 1.5 and 2.75 bits:

* **Cython**: the numpy :class:`analogfe.sensor.Sensor` and
  :class:`analogfe.frontend.LogGradientFrontEnd` (one thread);
* **torch CPU**: :class:`analogfe.frontend.torch.TorchSensor` and
  :class:`~analogfe.frontend.torch.TorchLogGradientFrontEnd` (one thread,
  ``method="hard"``, and ``"ste"``, the training path that also builds the
  surrogate's graph), timed alternately with the Cython path in one process
  (rounds of ``benchmarks/_timing.py``: frames/s of the best sample, the
  slowdown as the median of the per-round time ratios with their 25th-75th
  percentiles); the codes are checked equal first;
* **torch CUDA** when a GPU is present (``--device cuda``, batch 256 VGA by
  default), synchronised around each call.

Run: ``python benchmarks/bench_torch_frontend.py [--repeat 3] [--vga-batch 16]
[--gpu-batch 256]``.
"""
import argparse
import os
import sys
import time
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import environment, fmt_ratio, paired  # noqa: E402

import analogfe as afe  # noqa: E402
from analogfe.frontend.torch import TorchLogGradientFrontEnd, TorchSensor  # noqa: E402

SCALES = (1, 2, 4)


def _setup(h, w, n, bits, device):
    cfg = afe.SensorConfig(height=h, width=w)
    sensor = afe.Sensor(cfg, seed=0)
    fe = afe.LogGradientFrontEnd(bits=bits, scales=SCALES)
    scene = np.random.default_rng(0).random((n, h, w), dtype=np.float32)
    ts = TorchSensor(sensor).to(device)
    tfe = TorchLogGradientFrontEnd(fe, method="hard")
    return sensor, fe, scene, ts, tfe


def _check(fe, tfe, sensor, scene):
    e = sensor.expose(scene[:2], signal_e=5000.0)
    a, b = fe(e), tfe.codes(torch.from_numpy(e))
    diff = sum(int((x != y).sum()) for x, y in zip(a.dx + a.dy, b.dx + b.dy))
    assert diff == 0, f"{diff} codes differ from the Cython path"


def cpu_row(h, w, n, bits, repeat):
    sensor, fe, scene, ts, tfe = _setup(h, w, n, bits, "cpu")
    _check(fe, tfe, sensor, scene)
    x = torch.from_numpy(scene)
    gen = torch.Generator().manual_seed(0)

    def cython():
        fe(sensor.expose(scene, signal_e=5000.0))

    def torch_hard():
        with torch.no_grad():
            tfe(ts.expose(x, 5000.0, generator=gen), method="hard")

    def torch_ste():
        dxs, dys = tfe(ts.expose(x, 5000.0, generator=gen), method="ste")

    return paired([cython, torch_hard, torch_ste], repeat)


def gpu_row(h, w, n, bits, repeat):
    sensor, fe, scene, ts, tfe = _setup(h, w, n, bits, "cuda")
    x = torch.from_numpy(scene).cuda()
    gen = torch.Generator(device="cuda").manual_seed(0)
    e = sensor.expose(scene[:4], signal_e=5000.0)
    a, b = fe(e), tfe.codes(torch.from_numpy(e).cuda())
    assert sum(int((p != q).sum()) for p, q in zip(a.dx + a.dy, b.dx + b.dy)) == 0

    def run():
        with torch.no_grad():
            tfe(ts.expose(x, 5000.0, generator=gen), method="hard")
        torch.cuda.synchronize()

    run()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t0)
    return n / best


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--qvga-batch", type=int, default=64)
    ap.add_argument("--vga-batch", type=int, default=16)
    ap.add_argument("--gpu-batch", type=int, default=256)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    environment(peers=("torch",))
    print(f"expose + log-gradient front end, scales {SCALES}, 1 CPU thread, {args.repeat} "
          "rounds; frames/s of the best sample; slowdown: torch time / Cython time, median "
          "of the rounds [25th-75th percentile]")
    print(f"{'frames':>16} {'bits':>5} | {'Cython':>9} {'torch':>9} {'torch ste':>9} | "
          f"{'torch hard / Cython':>20} {'torch ste / Cython':>20}")
    for (w, h, n) in ((320, 240, args.qvga_batch), (640, 480, args.vga_batch)):
        for bits in (2, 3):
            tc, th, tst = cpu_row(h, w, n, bits, args.repeat)
            label = "1.5" if bits == 2 else "2.75"
            print(f"{n:>4} x {w}x{h:<4} {label:>5} | {n / tc.min():9.1f} {n / th.min():9.1f} "
                  f"{n / tst.min():9.1f} | {fmt_ratio(th, tc):>20} {fmt_ratio(tst, tc):>20}",
                  flush=True)
    if args.device == "cuda":
        if not torch.cuda.is_available():
            print("no CUDA device: GPU rows skipped")
            return
        name = torch.cuda.get_device_name()
        for bits in (2, 3):
            f = gpu_row(480, 640, args.gpu_batch, bits, args.repeat)
            print(f"GPU {name}: {args.gpu_batch} x 640x480, {bits} bits: {f:,.0f} frames/s")


if __name__ == "__main__":
    main()
