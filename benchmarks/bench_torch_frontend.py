"""Throughput of the log-gradient front end: torch (CPU, GPU) against Cython.

Frames per second of the front end (3 scales (1, 2, 4), electrons in, codes
out) on batches of QVGA (320x240, batch 64) and VGA (640x480, batch 16)
frames, 1.5 and 2.75 bits, one thread:

* **Cython**: the numpy :class:`analogfe.frontend.LogGradientFrontEnd`;
* **torch**: :class:`~analogfe.frontend.torch.TorchLogGradientFrontEnd` on
  CPU tensors as it runs by default (the Cython kernels as the forward of an
  ideal converter), ``method="hard"`` under ``torch.no_grad`` and ``"ste"``
  with learned thresholds (the training path: its forward, which records the
  autograd node, the staircase being built in the backward pass only);
* **tensor ops**: the same module with ``cpu_kernel=False`` (the torch ops
  throughout, the CPU path before the kernels served it), hard and STE.

The electrons (one ``Sensor.expose`` of random scenes), the modules and the
tensors are made before the timed calls; the contenders are timed
alternately in one process (rounds of ``benchmarks/_timing.py``): frames/s
of the best sample, and each ratio as the median of the per-round time
ratios with their 25th-75th percentiles, the load average beside each row.
The codes of all five are checked equal on the whole batch first.

With ``--device cuda`` (the default where a GPU is present) the tensor ops
also run on the GPU (batch 256 VGA by default), synchronised around each call.

Run: ``python benchmarks/bench_torch_frontend.py [--repeat 5] [--qvga-batch 64]
[--vga-batch 16] [--gpu-batch 256] [--device cpu]``.
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
from _timing import environment, fmt_ratio, load, paired  # noqa: E402

import analogfe as afe  # noqa: E402
from analogfe.frontend.torch import TorchLogGradientFrontEnd  # noqa: E402

SCALES = (1, 2, 4)


def _electrons(h, w, n):
    sensor = afe.Sensor(afe.SensorConfig(height=h, width=w), seed=0)
    scene = np.random.default_rng(0).random((n, h, w), dtype=np.float32)
    return sensor.expose(scene, signal_e=5000.0)


def _codes(out):
    dxs, dys = out
    return [p.detach().cpu().to(torch.int8).numpy() for p in dxs + dys]


def cpu_row(h, w, n, bits, repeat):
    """Times (5, repeat) of Cython, torch hard, torch STE, tensor-op hard, tensor-op STE."""
    e = _electrons(h, w, n)
    x = torch.from_numpy(e)
    fe = afe.LogGradientFrontEnd(bits=bits, scales=SCALES)
    mods = [TorchLogGradientFrontEnd(fe, method=m, learn_thresholds=m == "ste", cpu_kernel=k)
            for k in (True, False) for m in ("hard", "ste")]
    ref = fe(e, n_threads=1)
    ref = ref.dx + ref.dy
    for mod in mods:
        with torch.no_grad():
            got = _codes(mod(x))
        assert all(np.array_equal(a, b) for a, b in zip(got, ref)), f"{mod}: codes differ"

    def cython():
        fe(e, n_threads=1)

    def hard(mod):
        def run():
            with torch.no_grad():
                mod(x)
        return run

    def ste(mod):
        return lambda: mod(x)

    return paired([cython, hard(mods[0]), ste(mods[1]), hard(mods[2]), ste(mods[3])], repeat)


def gpu_row(h, w, n, bits, repeat):
    e = _electrons(h, w, n)
    fe = afe.LogGradientFrontEnd(bits=bits, scales=SCALES)
    tfe = TorchLogGradientFrontEnd(fe, method="hard")
    x = torch.from_numpy(e).cuda()
    got = _codes(tfe(x[:4]))
    ref = fe(e[:4])
    assert all(np.array_equal(a, b) for a, b in zip(got, ref.dx + ref.dy))

    def run():
        with torch.no_grad():
            tfe(x)
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
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--qvga-batch", type=int, default=64)
    ap.add_argument("--vga-batch", type=int, default=16)
    ap.add_argument("--gpu-batch", type=int, default=256)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    environment(peers=("torch",))
    print(f"log-gradient front end, scales {SCALES}, 1 CPU thread, {args.repeat} rounds; "
          "frames/s of the best sample; ratios: median of the rounds [25th-75th percentile]")
    print(f"{'frames':>16} {'bits':>5} | {'Cython':>8} {'hard':>8} {'STE':>8} {'ops hard':>8} "
          f"{'ops STE':>8} | {'hard / Cython':>19} {'STE / Cython':>19} "
          f"{'ops hard / hard':>19} {'ops STE / STE':>19} | load")
    for (w, h, n) in ((320, 240, args.qvga_batch), (640, 480, args.vga_batch)):
        for bits in (2, 3):
            t = cpu_row(h, w, n, bits, args.repeat)
            label = "1.5" if bits == 2 else "2.75"
            fps = " ".join(f"{n / s.min():8.1f}" for s in t)
            print(f"{n:>4} x {w}x{h:<4} {label:>5} | {fps} | {fmt_ratio(t[1], t[0]):>19} "
                  f"{fmt_ratio(t[2], t[0]):>19} {fmt_ratio(t[3], t[1]):>19} "
                  f"{fmt_ratio(t[4], t[2]):>19} | {load():.2f}", flush=True)
    if args.device == "cuda":
        if not torch.cuda.is_available():
            print("no CUDA device: GPU rows skipped")
            return
        name = torch.cuda.get_device_name()
        for bits in (2, 3):
            f = gpu_row(480, 640, args.gpu_batch, bits, args.repeat)
            print(f"GPU {name}: {args.gpu_batch} x 640x480, {bits} bits: {f:,.0f} frames/s "
                  "(tensor ops)")


if __name__ == "__main__":
    main()
