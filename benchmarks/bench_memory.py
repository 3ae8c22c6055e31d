"""Peak memory and time of the 12 MP paths: sensor construction, the digital
front end's ISP, and the packing of log-gradient codes.

Each case runs in its own subprocess (so one case's freed memory or caches
never count for the next): it builds its inputs, times one call
(``time.perf_counter``, after a small warm-up call that loads the kernels),
then repeats the call under ``tracemalloc`` (numpy reports its array buffers
to it) and prints the peak traced memory above what was held before the
call, next to the bytes of the call's inputs and outputs. The figures recorded
before and after the hardening (2 shared cores) are printed alongside.

Cases, on a 4000 x 3000 (12 MP) frame:

* ``sensor``: ``Sensor(SensorConfig(height=3000, width=4000), seed=0)`` (the
  fixed pattern; output: the two float32 pattern arrays).
* ``rgb8``: ``DigitalFrontEnd(Sensor(RGGB config), "rgb")(electrons)``
  (readout + ISP; input float32 electrons, output uint8 (H, W, 3)).
* ``gray8``: the same with ``output="gray"``.
* ``process``: ``analogfe.frontend.process(dn, config, output="rgb")`` alone
  (input uint16 DN).
* ``pack``: ``LogGradientFrontEnd().pack(codes)`` (1.5-bit codes, scales
  (1, 2, 4), ``2bit`` packing; input the int8 code planes, output the bytes).
* ``pack3``: ``pack_codes`` of 12 M codes of 7 levels in the ``3bit`` packing
  (the general bit-stream path).

Run: ``python benchmarks/bench_memory.py [--case rgb8 ...]``.
"""
import argparse
import json
import os
import subprocess
import sys
import time
import tracemalloc

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np

H, W = 3000, 4000
MiB = 1024.0 * 1024.0

#: Figures recorded at 12 MP on 2 shared CPU cores (another test run beside,
#: load 1-2.5): (traced peak MiB above the inputs, seconds, best of 3 runs)
#: before the hardening (fixed pattern drawn as whole float64 frames, float64
#: (H, W, 3) ISP temporaries, one uint64 and one byte per packed bit) and
#: after it (row blocks, chunks; outputs bit-identical). Inputs + outputs,
#: MiB: sensor 92, rgb8 80, gray8 57, process 57, pack 38, pack3 16.
#: The ISP cases (rgb8, gray8, process) were measured again after the fused
#: ISP kernel (ext/_isp.pyx, default 2 threads, load 5-6; its per-thread scratch,
#: under 100 KB at 12 MP, is malloc'ed, not traced): their "after" is
#: that kernel; the numpy ISP in row blocks it replaced gave rgb8 (76, 1.25),
#: gray8 (48, 0.67), process (53, 1.21).
RECORDED = {
    "sensor": {"before": (366, 0.57), "after": (96, 0.34)},
    "rgb8": {"before": (1843, 6.39), "after": (57, 0.39)},
    "gray8": {"before": (1350, 2.72), "after": (34, 0.23)},
    "process": {"before": (1820, 4.12), "after": (34, 0.17)},
    "pack": {"before": (1006, 0.67), "after": (53, 0.05)},
    "pack3": {"before": (458, 0.30), "after": (5, 0.03)},
}


def _nbytes(x):
    if isinstance(x, np.ndarray):
        return x.nbytes
    if isinstance(x, (list, tuple)):
        return sum(_nbytes(v) for v in x)
    if hasattr(x, "dx"):  # GradientCodes
        return _nbytes(list(x.dx) + list(x.dy))
    if hasattr(x, "prnu_gain"):  # Sensor: its fixed pattern
        return x.prnu_gain.nbytes + x.dsnu_offset_e.nbytes
    return 0


def _setup(case):
    """``(call, warm_up, inputs)`` of one case."""
    from analogfe.frontend import DigitalFrontEnd, LogGradientFrontEnd, process
    from analogfe.frontend.packing import pack_codes
    from analogfe.sensor import Sensor, SensorConfig

    rng = np.random.default_rng(0)
    if case == "sensor":
        cfg = SensorConfig(height=H, width=W)
        small = SensorConfig(height=8, width=8)
        return (lambda: Sensor(cfg, seed=0)), (lambda: Sensor(small, seed=0)), None
    if case in ("rgb8", "gray8", "process"):
        cfg = SensorConfig(height=H, width=W, cfa="RGGB")
        sensor = Sensor(SensorConfig(height=H, width=W, cfa="RGGB"), seed=0)
        scene = rng.random((H, W), dtype=np.float32)
        electrons = sensor.expose(scene)
        del scene
        small = Sensor(SensorConfig(height=8, width=8, cfa="RGGB"), seed=0)
        if case == "process":
            dn = sensor.readout(electrons)
            del electrons, sensor
            return ((lambda: process(dn, cfg, output="rgb")),
                    (lambda: process(small.readout(np.ones((8, 8), np.float32)),
                                     small.config)), dn)
        fe = DigitalFrontEnd(sensor, output="rgb" if case == "rgb8" else "gray")
        fs = DigitalFrontEnd(small, output=fe.output)
        return (lambda: fe(electrons)), (lambda: fs(np.ones((8, 8), np.float32))), electrons
    if case == "pack":
        fe = LogGradientFrontEnd()
        electrons = (rng.random((H, W), dtype=np.float32) * 10000.0)
        codes = fe(electrons)
        del electrons
        small = fe(np.ones((16, 16), np.float32))
        return (lambda: fe.pack(codes)), (lambda: fe.pack(small)), codes
    if case == "pack3":
        codes = rng.integers(-3, 4, size=H * W, dtype=np.int8)
        return ((lambda: pack_codes(codes, "3bit", 7)),
                (lambda: pack_codes(codes[:100], "3bit", 7)), codes)
    raise ValueError(f"unknown case {case!r}")


def run_case(case):
    """In the child: one timed call, one traced call; a JSON line."""
    call, warm, inputs = _setup(case)
    warm()
    t0 = time.perf_counter()
    out = call()
    seconds = time.perf_counter() - t0
    out_bytes = _nbytes(out)
    del out
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    out = call()  # held until the peak is read (the outputs count)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    del out
    import resource
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux
    print(json.dumps({"case": case, "seconds": seconds, "peak_mib": peak / MiB,
                      "in_mib": _nbytes(inputs) / MiB, "out_mib": out_bytes / MiB,
                      "maxrss_mib": rss}))


def _fmt(v, spec):
    return "-" if v is None else format(v, spec)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", nargs="*", default=list(RECORDED), choices=list(RECORDED))
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        run_case(args.child)
        return
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from _timing import environment

    environment()
    print(f"12 MP ({W} x {H}); peak = tracemalloc peak above the inputs during one call, "
          "MiB; each case in its own process (a memory benchmark: no contender is "
          "timed beside it; 'before' and 'after' are recorded figures)")
    print(f"{'case':8} {'in+out':>8} {'peak':>8} {'ratio':>6} {'time s':>7} "
          f"{'maxrss':>7} | {'before: peak':>12} {'time s':>7} | {'after: peak':>11} "
          f"{'time s':>7}")
    for case in args.case:
        res = subprocess.run([sys.executable, __file__, "--child", case],
                             capture_output=True, text=True, check=True)
        r = json.loads(res.stdout.strip().splitlines()[-1])
        io = r["in_mib"] + r["out_mib"]
        (pb, tb), (pa, ta) = RECORDED[case]["before"], RECORDED[case]["after"]
        print(f"{case:8} {io:8.0f} {r['peak_mib']:8.0f} {r['peak_mib'] / io:6.2f} "
              f"{r['seconds']:7.2f} {r['maxrss_mib']:7.0f} | {_fmt(pb, '12.0f')} "
              f"{_fmt(tb, '7.2f')} | {_fmt(pa, '11.0f')} {_fmt(ta, '7.2f')}", flush=True)


if __name__ == "__main__":
    main()
