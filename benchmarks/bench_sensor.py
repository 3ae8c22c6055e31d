"""Speed of the sensor and CFA kernels against the plain-numpy references.

One 640x480 frame, single thread, best of several repeats:

* ``Sensor.expose`` + ``Sensor.readout`` (fused Cython kernels) vs the numpy
  model a user would write (``tests/reference_sensor.py``: numpy Generator
  Poisson and normal draws, float64 temporaries);
* ``isp.mosaic`` / ``isp.demosaic`` vs ``tests/reference_isp.py``.

Run: ``python benchmarks/bench_sensor.py [--repeats N]``.
"""
from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from analogfe import scene as isp  # noqa: E402
from analogfe.sensor import Sensor, SensorConfig  # noqa: E402

TESTS = Path(__file__).resolve().parent.parent / "tests"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, TESTS / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def race(ours, peer, repeats):
    """Time two callables alternately (so load changes hit both alike).

    Returns ``((best, median) of ours, (best, median) of peer)`` in seconds.
    """
    t_ours, t_peer = [], []
    for _ in range(repeats):
        for fn, times in ((ours, t_ours), (peer, t_peer)):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    return ((min(t_ours), float(np.median(t_ours))),
            (min(t_peer), float(np.median(t_peer))))


def scene_640x480():
    """A natural scene: the scikit-image astronaut, unprocessed to raw, 480x640."""
    from skimage import data, transform

    img = transform.resize(data.astronaut(), (480, 640), anti_aliasing=True)
    return isp.unprocess((img * 255).round().astype(np.uint8))


def main(repeats=15):
    ref_sensor = _load("reference_sensor")
    ref_isp = _load("reference_isp")
    scene = scene_640x480()
    cfg = SensorConfig(height=480, width=640)
    sensor = Sensor(cfg, seed=0)
    rng = np.random.default_rng(0)
    signal_e, exposure_s = 2000.0, 0.033

    rows = [("sensor expose+readout", *race(
        lambda: sensor.readout(sensor.expose(scene, signal_e, exposure_s)),
        lambda: ref_sensor.capture_numpy(sensor, scene, signal_e, exposure_s, rng),
        repeats))]
    e = sensor.expose(scene, signal_e, exposure_s)
    rows.append(("  expose", *race(
        lambda: sensor.expose(scene, signal_e, exposure_s),
        lambda: ref_sensor.expose_numpy(scene, sensor.prnu_gain, signal_e,
                                        cfg.dark_current_e_per_s * exposure_s,
                                        cfg.full_well_e, rng),
        repeats)))
    rows.append(("  readout", *race(
        lambda: sensor.readout(e),
        lambda: ref_sensor.readout_numpy(e, sensor.dsnu_offset_e, cfg.read_noise_e,
                                         cfg.gain_dn_per_e, cfg.black_level_dn,
                                         sensor.adc_thresholds_dn, cfg.max_dn, rng),
        repeats)))

    rgb = np.random.default_rng(1).random((480, 640, 3), dtype=np.float32)
    raw = isp.mosaic(rgb, "RGGB")
    rows.append(("mosaic", *race(lambda: isp.mosaic(rgb, "RGGB"),
                                 lambda: ref_isp.mosaic_reference(rgb, "RGGB"), repeats)))
    rows.append(("demosaic (bilinear)", *race(lambda: isp.demosaic(raw, "RGGB"),
                                              lambda: ref_isp.demosaic_reference(raw, "RGGB"),
                                              max(3, repeats // 3))))

    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"640x480 frame, single thread, best of {repeats} (median in brackets); "
          f"load average {load} on {os.cpu_count()} CPUs")
    print(f"{'kernel':24s} {'analogfe ms':>18s} {'numpy ref ms':>18s} {'ratio':>7s}")
    for name, (o_best, o_med), (p_best, p_med) in rows:
        print(f"{name:24s} {o_best * 1e3:8.2f} ({o_med * 1e3:7.2f}) "
              f"{p_best * 1e3:8.2f} ({p_med * 1e3:7.2f}) {p_best / o_best:6.1f}x")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15)
    main(ap.parse_args().repeats)
