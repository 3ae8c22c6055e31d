"""Speed of the sensor kernels against the peers a user would otherwise pick.

Every comparison times ours and the peer alternately in this one process
(``_timing.paired``: rounds of samples, the order rotating, so load from
elsewhere on the machine hits both alike) and prints the best sample of each
and the ratio peer time / our time (> 1: analogfe is faster) as the median of
the per-round ratios with their 25th-75th percentiles:

* ``Sensor.expose`` + ``Sensor.readout`` (fused Cython kernels, one random
  stream per block of 32 rows) vs the numpy model a user would write
  (``tests/reference_sensor.py``: numpy Generator Poisson and normal draws,
  float64 temporaries, single-threaded), at 640x480 and 12 MP (3000x4000),
  ours on 1 and 2 threads;
* our own scaling from 1 to 2 threads, at 12 MP and on a stack of 64 VGA
  frames (wall time, and the CPU time of the busiest thread: the wall time
  on idle cores, which a loaded machine does not give), and a stack of 64
  QVGA frames as one call against 64 calls;
* the same linear camera model in ESA's Pyxel (its model functions on a CMOS
  detector: shot noise, conversion, dark current, collection, full well,
  measurement, output-node noise, offset, simple ADC) and in the simulator of
  the EMVA 1288 reference implementation (``emva1288.camera.Camera.grab``),
  at matching settings (QE folded into the signal, our PRNU and DSNU, dark
  current, read noise, gain K, black level, ADC bits), on the same scene;
* the statistics check that the chains agree: per signal level (flat
  scenes), the mean DN and the temporal variance (over frames, per pixel,
  averaged) of ours and each peer, with each chain's quantisation noise
  taken out (1/12 DN^2 for a rounding ADC, ours and Pyxel's here; 1/6 for
  emva1288's, which adds a uniform dither of 1 DN before rounding);
* ``isp.mosaic`` / ``isp.demosaic`` vs ``tests/reference_isp.py``.

Run: ``python benchmarks/bench_sensor.py [--repeats N] [--quick]``
(``--quick``: no 12 MP and smaller stacks).

Peers: ``emva1288`` is in the test extra. Pyxel is not in any default
extra (it brings some ninety packages, astropy, numba, xarray and pandas
among them, into every set-up and CI run): install it beside analogfe with
``pip install -e '.[pyxel]'`` (it leaves the pinned numpy, scipy, torch,
scikit-image and dask as they are), or in a separate environment::

    python3 -m venv /tmp/pyxelvenv
    /tmp/pyxelvenv/bin/pip install pyxel-sim emva1288 numpy==<ours> scipy scikit-image lazy_loader imageio
    PYTHONPATH=. /tmp/pyxelvenv/bin/python benchmarks/bench_sensor.py

(the kernels built in place with the same Python and numpy). Without Pyxel
its rows are skipped with a message.
"""
from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")
# Waiting OpenMP threads sleep instead of spinning: on a machine shared with
# other work a spinning thread takes the core from the thread it waits for,
# and its spinning would count as work in the busiest-thread CPU time.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from analogfe import scene as isp  # noqa: E402
from analogfe.sensor import Sensor, SensorConfig  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import busiest_thread_s as _busiest_thread_s  # noqa: E402
from _timing import environment, fmt_ratio, paired  # noqa: E402

TESTS = Path(__file__).resolve().parent.parent / "tests"
SIGNAL_E, EXPOSURE_S = 2000.0, 0.033
#: Signal levels of the statistics check, mean photo-electrons (between the
#: dark level and the full well, where the peers clip differently from us).
LEVELS_E = (200.0, 1000.0, 3000.0, 7000.0)


def _load(name):
    spec = importlib.util.spec_from_file_location(name, TESTS / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def scene_640x480():
    """A natural scene: the scikit-image astronaut, unprocessed to raw, 480x640."""
    from skimage import data, transform

    img = transform.resize(data.astronaut(), (480, 640), anti_aliasing=True)
    return isp.unprocess((img * 255).round().astype(np.uint8))


def scene_tiled(h, w):
    """The 640x480 scene tiled to (h, w)."""
    base = scene_640x480()
    reps = (-(-h // base.shape[0]), -(-w // base.shape[1]))
    return np.ascontiguousarray(np.tile(base, reps)[:h, :w])


# ------------------------------------------------------------------ Pyxel --
def pyxel_available():
    try:
        import pyxel  # noqa: F401
    except ImportError as exc:
        print(f"Pyxel rows skipped: pyxel-sim is not importable ({exc}); see this "
              "file's docstring for installing it")
        return False
    return True


class PyxelChain:
    """Our linear camera model as ESA Pyxel's model functions on a CMOS detector.

    The mean photon count per pixel is ``scene * signal_e * prnu_gain`` (QE
    folded in, our PRNU pattern); then Pyxel's ``shot_noise`` (Poisson),
    ``simple_conversion`` (QE 1, no binomial sampling), ``simple_dark_current``,
    ``simple_collection``, ``simple_full_well``, ``simple_measurement`` (K in
    volts: one ADC step is ``LSB_V``), our DSNU offset (volts, added to the
    signal), ``output_node_noise`` (the read noise), ``dc_offset`` (black level
    + 0.5 LSB, so that the ADC's truncation rounds as ours) and ``simple_adc``.
    """

    LSB_V = 1e-3

    def __init__(self, sensor, exposure_s):
        from pyxel.detectors import CMOS, Characteristics, CMOSGeometry, Environment

        c = sensor.config
        self.sensor, self.exposure_s = sensor, exposure_s
        v_per_e = c.gain_dn_per_e * self.LSB_V
        self.det = CMOS(
            geometry=CMOSGeometry(row=c.height, col=c.width, pixel_vert_size=5.0,
                                  pixel_horz_size=5.0),
            environment=Environment(),
            characteristics=Characteristics(
                quantum_efficiency=1.0, pre_amplification=1.0,
                full_well_capacity=c.full_well_e, adc_bit_resolution=c.adc_bits,
                adc_voltage_range=(0.0, c.max_dn * self.LSB_V)))
        self.det.characteristics.charge_to_volt_conversion = v_per_e
        self.det.set_readout(times=[exposure_s])
        self.det.time_step = exposure_s  # the dark current integrates over it
        self.dsnu_v = sensor.dsnu_offset_e.astype(np.float64) * v_per_e
        self.read_noise_v = c.read_noise_e * v_per_e
        self.offset_v = (c.black_level_dn + 0.5) * self.LSB_V

    def frame(self, scene, signal_e):
        from pyxel.models.charge_collection import simple_collection, simple_full_well
        from pyxel.models.charge_generation import simple_conversion, simple_dark_current
        from pyxel.models.charge_measurement import dc_offset, output_node_noise, simple_measurement
        from pyxel.models.photon_collection import shot_noise
        from pyxel.models.readout_electronics import simple_adc

        c, det = self.sensor.config, self.det
        det.empty()
        det.photon.array = scene.astype(np.float64) * signal_e * self.sensor.prnu_gain
        shot_noise(det)
        simple_conversion(det, binomial_sampling=False)
        simple_dark_current(det, dark_rate=c.dark_current_e_per_s)
        simple_collection(det)
        simple_full_well(det)
        simple_measurement(det)
        det.signal.array = det.signal.array + self.dsnu_v
        output_node_noise(det, std_deviation=self.read_noise_v)
        dc_offset(det, offset=self.offset_v)
        simple_adc(det)
        return det.image.array.copy()


# -------------------------------------------------------------- sections --
def _ours(sensor, scene, n_threads):
    return lambda: sensor.readout(sensor.expose(scene, SIGNAL_E, EXPOSURE_S, n_threads=n_threads),
                                  n_threads=n_threads)


def vs_numpy(ref, shapes, repeats):
    """expose + readout vs numpy, 1 and 2 threads, per frame size."""
    rows = []
    for h, w in shapes:
        cfg = SensorConfig(height=h, width=w)
        sensor = Sensor(cfg, seed=0)
        scene = scene_tiled(h, w)
        rng = np.random.default_rng(0)
        t1, t2, tn = paired([_ours(sensor, scene, 1), _ours(sensor, scene, 2),
                           lambda: ref.capture_numpy(sensor, scene, SIGNAL_E, EXPOSURE_S, rng)],
                          repeats if h * w < 4e6 else max(3, repeats // 3))
        rows.append((f"expose+readout {w}x{h}", t1, t2, tn))
        if h * w < 4e6:  # the two stages on their own at VGA
            e = sensor.expose(scene, SIGNAL_E, EXPOSURE_S)
            dark = cfg.dark_current_e_per_s * EXPOSURE_S
            rows.append(("  expose", *paired(
                [lambda: sensor.expose(scene, SIGNAL_E, EXPOSURE_S, n_threads=1),
                 lambda: sensor.expose(scene, SIGNAL_E, EXPOSURE_S, n_threads=2),
                 lambda: ref.expose_numpy(scene, sensor.prnu_gain, SIGNAL_E, dark,
                                          cfg.full_well_e, rng)], repeats)))
            rows.append(("  readout", *paired(
                [lambda: sensor.readout(e, n_threads=1), lambda: sensor.readout(e, n_threads=2),
                 lambda: ref.readout_numpy(e, sensor.dsnu_offset_e, cfg.read_noise_e,
                                           cfg.gain_dn_per_e, cfg.black_level_dn,
                                           sensor.adc_thresholds_dn, cfg.max_dn, rng)],
                repeats)))
    print(f"\n{'numpy peer (single thread)':34s} {'1 thr ms':>9s} {'2 thr ms':>9s} "
          f"{'numpy ms':>9s} {'1 thr':>20s} {'2 thr':>20s}")
    for name, t1, t2, tn in rows:
        print(f"{name:34s} {t1.min() * 1e3:9.2f} {t2.min() * 1e3:9.2f} {tn.min() * 1e3:9.2f} "
              f"{fmt_ratio(tn, t1):>20s} {fmt_ratio(tn, t2):>20s}")


def scaling(cases, repeats):
    """1 -> 2 threads, expose + readout: wall time (best of the alternate
    samples) and, where /proc is there, the CPU time of the busiest thread
    (what the wall time would be on otherwise idle cores)."""
    cpu = os.path.isdir("/proc/self/task")
    print(f"\n{'threads 1 -> 2':34s} {'1 thr ms':>9s} {'2 thr ms':>9s} {'speed-up':>9s}"
          + (f" {'busiest thread CPU ms, 1 / 2 thr':>34s} {'speed-up':>9s}" if cpu else ""))
    for name, (n, h, w) in cases:
        sensor = Sensor(SensorConfig(height=h, width=w), seed=0)
        scene = scene_tiled(h, w)
        if n > 1:
            scene = np.ascontiguousarray(np.broadcast_to(scene, (n, h, w)))
        t1, t2 = paired([_ours(sensor, scene, 1), _ours(sensor, scene, 2)], repeats)
        line = f"{name:34s} {t1.min() * 1e3:9.2f} {t2.min() * 1e3:9.2f} {fmt_ratio(t1, t2)}"
        if cpu:
            # enough calls for some 100 clock ticks of CPU time per count
            calls = max(3, int(2.0 / t1.min()))
            c1, c2 = (_busiest_thread_s(_ours(sensor, scene, k), calls) for k in (1, 2))
            line += f" {c1 * 1e3:24.0f} / {c2 * 1e3:7.0f} {c1 / c2:8.2f}x"
        print(line)


def batches(n, repeats):
    """A stack of n QVGA frames as one call vs n calls."""
    cfg = SensorConfig(height=240, width=320)
    sensor = Sensor(cfg, seed=0)
    stack = np.ascontiguousarray(np.broadcast_to(scene_tiled(240, 320), (n, 240, 320)))
    e = sensor.expose(stack, SIGNAL_E, EXPOSURE_S)
    print(f"\n{f'{n} QVGA frames: one call vs {n}':34s} {'1 call ms':>9s} "
          f"{f'{n} calls':>9s} {'ratio':>9s}")
    for threads in (1, 2):
        one = [lambda: sensor.expose(stack, SIGNAL_E, EXPOSURE_S, n_threads=threads),
               lambda: sensor.readout(e, n_threads=threads)]
        many = [lambda: [sensor.expose(f, SIGNAL_E, EXPOSURE_S, n_threads=threads) for f in stack],
                lambda: [sensor.readout(f, n_threads=threads) for f in e]]
        for stage, a, b in zip(("expose", "readout"), one, many):
            ta, tb = paired([a, b], repeats)
            print(f"{f'  {stage}, {threads} thread(s)':34s} {ta.min() * 1e3:9.2f} "
                  f"{tb.min() * 1e3:9.2f} {fmt_ratio(tb, ta)}")


def vs_simulators(ref, with_pyxel, repeats):
    """expose + readout vs the emva1288 simulator and Pyxel's chain, VGA."""
    cfg = SensorConfig(height=480, width=640)
    sensor = Sensor(cfg, seed=0)
    scene = scene_640x480()
    cam = ref.emva1288_camera(sensor, EXPOSURE_S, seed=1)
    radiance = ref.emva1288_radiance(cam, scene * SIGNAL_E)
    peers = [("emva1288 Camera.grab", lambda: cam.grab(radiance))]
    if with_pyxel:
        chain = PyxelChain(sensor, EXPOSURE_S)
        peers.append(("Pyxel model chain", lambda: chain.frame(scene, SIGNAL_E)))
    print(f"\n{'simulator peers, 640x480':34s} {'1 thr ms':>9s} {'2 thr ms':>9s} "
          f"{'peer ms':>9s} {'1 thr':>20s} {'2 thr':>20s}")
    for name, fn in peers:
        t1, t2, tp = paired([_ours(sensor, scene, 1), _ours(sensor, scene, 2), fn],
                            max(3, repeats // 2))
        print(f"{name:34s} {t1.min() * 1e3:9.2f} {t2.min() * 1e3:9.2f} {tp.min() * 1e3:9.2f} "
              f"{fmt_ratio(tp, t1):>20s} {fmt_ratio(tp, t2):>20s}")


def statistics(ref, with_pyxel, n_frames, side=128):
    """Mean and temporal variance per signal level: ours vs each peer."""
    cfg = SensorConfig(height=side, width=side)
    sensor = Sensor(cfg, seed=0)
    cam = ref.emva1288_camera(sensor, EXPOSURE_S, seed=1)
    chain = PyxelChain(sensor, EXPOSURE_S) if with_pyxel else None
    print(f"\nstatistics, {side}x{side} pixels, {n_frames} frames per level; variance "
          "without quantisation noise (ours, Pyxel: 1/12 DN^2; emva1288: 1/6)")
    print(f"{'level e-':>9s} {'chain':10s} {'mean DN':>9s} {'var DN^2':>9s} "
          f"{'d mean':>8s} {'d var':>8s}")
    worst = {}
    for mu_e in LEVELS_E:
        flat = np.full((n_frames,) + cfg.shape, mu_e / SIGNAL_E, np.float32)
        m0, v0 = ref.temporal_stats(sensor.capture(flat, SIGNAL_E, EXPOSURE_S))
        v0 -= 1 / 12
        print(f"{mu_e:9.0f} {'analogfe':10s} {m0:9.3f} {v0:9.4f}")
        rows = [("emva1288", [cam.grab(ref.emva1288_radiance(cam, mu_e))
                              for _ in range(n_frames)], 1 / 6)]
        if chain is not None:
            rows.append(("Pyxel", [chain.frame(flat[0], SIGNAL_E) for _ in range(n_frames)],
                         1 / 12))
        for name, frames, q in rows:
            m, v = ref.temporal_stats(frames)
            v -= q
            dm, dv = m / m0 - 1, v / v0 - 1
            w = worst.setdefault(name, [0.0, 0.0])
            w[0], w[1] = max(w[0], abs(dm)), max(w[1], abs(dv))
            print(f"{'':9s} {name:10s} {m:9.3f} {v:9.4f} {dm:+8.2%} {dv:+8.2%}")
    for name, (dm, dv) in worst.items():
        verdict = "within 1 %" if max(dm, dv) <= 0.01 else "NOT within 1 %"
        print(f"{name}: largest relative difference of the mean {dm:.2%}, of the "
              f"variance {dv:.2%}: {verdict}")


def cfa(ref_isp, repeats):
    rgb = np.random.default_rng(1).random((480, 640, 3), dtype=np.float32)
    raw = isp.mosaic(rgb, "RGGB")
    print(f"\n{'CFA, 640x480':34s} {'ours ms':>9s} {'numpy ms':>9s} {'ratio':>9s}")
    for name, ours, peer, rep in (
            ("mosaic", lambda: isp.mosaic(rgb, "RGGB"),
             lambda: ref_isp.mosaic_reference(rgb, "RGGB"), repeats),
            ("demosaic (bilinear)", lambda: isp.demosaic(raw, "RGGB"),
             lambda: ref_isp.demosaic_reference(raw, "RGGB"), max(3, repeats // 3))):
        t, tp = paired([ours, peer], rep)
        print(f"{name:34s} {t.min() * 1e3:9.2f} {tp.min() * 1e3:9.2f} {fmt_ratio(tp, t)}")


def main(repeats=7, quick=False):
    ref_sensor = _load("reference_sensor")
    ref_isp = _load("reference_isp")
    with_pyxel = pyxel_available()
    environment(peers=("emva1288", "pyxel"))
    print(f"{repeats} rounds, ours and peer alternately; ms: best sample; ratios: peer / ours, "
          "median of the rounds [25th-75th percentile] (load from other processes blunts "
          "the 2-thread rows)")
    vs_numpy(ref_sensor, [(480, 640)] + ([] if quick else [(3000, 4000)]), repeats)
    n = 8 if quick else 64
    scaling([("12 MP (3000x4000)", (1, 3000, 4000))] * (not quick)
            + [(f"{n} x 640x480 stack", (n, 480, 640))], max(3, repeats // 2))
    batches(n, repeats)
    vs_simulators(ref_sensor, with_pyxel, repeats)
    statistics(ref_sensor, with_pyxel, 16 if quick else 64)
    cfa(ref_isp, repeats)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="no 12 MP, smaller stacks")
    args = ap.parse_args()
    main(args.repeats, args.quick)
