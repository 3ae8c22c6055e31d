"""The default thread count against one thread, on a busy and an idle machine.

Every frame kernel (sensor expose + readout, the log-gradient front end at
scales 1, 2, 4, 2x2 binning, HOG of 1.5-bit codes, the RGB ISP) at QVGA,
VGA and 12 MP, called with ``n_threads=None`` (the default) and with
``n_threads=1``, alternated in this one process; printed: the median of the
paired ratios ``time(None) / time(1)`` (< 1: the default is faster) with its
25th-75th percentiles, and the outputs checked equal.

``--load`` starts two CPU-bound background processes (a busy loop each) for
the run and stops them at the end: on a 2-core machine the default must then
stay within 1.2x of one thread. Without it the machine's own load is what it
is (printed): on idle cores the default should gain at 12 MP.

``--cpu-time`` also prints, at 12 MP, the CPU time per call of the busiest
thread on one thread over that on every usable core (the default on idle
cores): the speed-up on idle cores, estimated where the cores are shared (as
``bench_sensor.py`` does).

Run: ``python benchmarks/bench_threads.py [--load] [--repeats N] [--no-12mp] [--cpu-time]``.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import busiest_thread_s, check_equal, environment, fmt_ratio, load, paired, ratio  # noqa: E402

SIZES = {"QVGA": (240, 320), "VGA": (480, 640), "12MP": (3000, 4000)}


def _spin():  # a CPU-bound background process
    while True:
        pass


def kernels(h, w):
    """name -> f(n_threads), or (f, f for the output check), for one frame of (h, w)."""
    from analogfe.features import hog
    from analogfe.frontend import LogGradientFrontEnd, bin_image
    from analogfe.frontend.isp import process
    from analogfe.sensor import Sensor, SensorConfig

    rng = np.random.default_rng(0)
    scene = rng.uniform(0.05, 0.95, (h, w)).astype(np.float32)
    cfg = SensorConfig(height=h, width=w, cfa="RGGB", adc_bits=10, black_level_dn=64)
    sensor = Sensor(cfg, seed=1)
    electrons = sensor.expose(scene, 2000.0, 0.033, n_threads=1)
    dn = sensor.readout(electrons, n_threads=1)
    fe = LogGradientFrontEnd(bits=2, scales=(1, 2, 4), full_well_e=cfg.full_well_e)
    out = fe(electrons, n_threads=1)
    dx, dy = np.ascontiguousarray(out.dx[0]), np.ascontiguousarray(out.dy[0])

    def expose_readout(nt, s=sensor):
        return s.readout(s.expose(scene, 2000.0, 0.033, n_threads=nt), n_threads=nt)

    def check(nt):  # a fresh sensor: the same temporal noise whatever the count
        return expose_readout(nt, Sensor(cfg, seed=1))

    return {
        "expose+readout": (expose_readout, check),
        "LG front end": lambda nt: _lg(fe, electrons, nt),
        "binning 2x2": lambda nt: bin_image(electrons, 2, n_threads=nt),
        "hog 1.5-bit": lambda nt: hog(dx, dy, levels=3, n_threads=nt),
        "ISP rgb": lambda nt: process(dn, cfg, n_threads=nt),
    }


def _lg(fe, electrons, nt):
    out = fe(electrons, n_threads=nt)
    return np.concatenate([a.ravel() for a in (*out.dx, *out.dy)])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--load", action="store_true", help="two CPU-bound background processes")
    p.add_argument("--repeats", type=int, default=9)
    p.add_argument("--no-12mp", action="store_true")
    p.add_argument("--cpu-time", action="store_true")
    args = p.parse_args(argv)

    background = []
    if args.load:
        ctx = mp.get_context("spawn")
        background = [ctx.Process(target=_spin, daemon=True) for _ in range(2)]
        for b in background:
            b.start()
        time.sleep(2.0)
    try:
        environment()
        print(f"# background: {'two busy-loop processes' if args.load else 'none started'}")
        print(f"{'kernel':<16s} {'size':<5s} {'None / 1 thread':>22s} "
              f"{'1 thread ms':>11s} {'load':>5s}")
        worst = 0.0
        for size, (h, w) in SIZES.items():
            if size == "12MP" and args.no_12mp:
                continue
            reps = max(3, args.repeats // 2) if size == "12MP" else args.repeats
            for name, f in kernels(h, w).items():
                f, same = f if isinstance(f, tuple) else (f, f)
                check_equal(same(None), same(1), f"{name} {size}")
                t = paired([lambda: f(None), lambda: f(1)], reps, min_sample_s=0.03)
                worst = max(worst, ratio(t[0], t[1])[0])
                print(f"{name:<16s} {size:<5s} {fmt_ratio(t[0], t[1]):>22s} "
                      f"{np.median(t[1]) * 1e3:11.2f} {load():5.2f}", flush=True)
                if args.cpu_time and size == "12MP":
                    from analogfe._threads import usable_cores

                    n = usable_cores()  # the default on idle cores
                    calls = max(3, int(1.0 / np.median(t[1])))  # some 100 clock ticks
                    c1, cn = (busiest_thread_s(lambda nt=nt: f(nt), calls) for nt in (1, n))
                    print(f"{'':<16s} {'':<5s} idle cores, estimated: busiest thread's CPU "
                          f"time 1 thread / {n} threads = {c1 / cn:.2f}x", flush=True)
        print(f"worst time(None) / time(1): {worst:.2f}")
    finally:
        for b in background:
            b.terminate()
            b.join()


if __name__ == "__main__":
    main()
