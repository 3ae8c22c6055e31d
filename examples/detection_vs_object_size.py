"""Detection AP of an 8-bit camera vs log-gradient codes, per object size
======================================================================

Usage::

    .venv/bin/python examples/detection_vs_object_size.py           # 32-128 px (time: below)
    .venv/bin/python examples/detection_vs_object_size.py --n-train 150 --n-test 200 --n-boot 2000
    .venv/bin/python examples/detection_vs_object_size.py --tiny

The default run took 1 min 18 s on two CPU cores (AMD EPYC) shared with other
jobs (load average 8); expect less on idle cores.

A sensor designer asks: does 1.5-bit (or 2.75-bit) log-gradient readout cost
detection accuracy, and does the answer depend on how large the objects are?
The papers answer with DPM on PASCALRAW (objects of roughly 5-20 cells of
8 px) using the log-HOG features of their released code; this script reruns
that comparison with the same features (``method="dpm-log"``, see
:mod:`analogfe.features.dpm`) on the wake-up scenes of :mod:`analogfe.data`
(faces composited onto natural photographs, with boxes).

For each object size ``s`` (in pixels; 8-px cells) train and test scenes are
generated with every face exactly ``s`` x ``s``, so ``s / 8`` cells across.
Per front end a single-scale sliding-window detector (window ``s`` at full
resolution; or, with ``--window-px w``, window ``w`` on the readout scale
``s / w`` -- the sensor's binned codes, the image pyramid for gray8 -- as DPM
finds large objects on coarse levels), stride one
cell, linear SVM with one round of hard-negative mining,
:func:`analogfe.learn.train_detector`) is trained on the emulated train
scenes and run on the test scenes. AP is PASCAL VOC (IoU 0.5, area rule).
The gap ``AP(gray8) - AP(lg1.5)`` gets a 95 % percentile-bootstrap interval:
test scenes are resampled with replacement, both front ends' AP recomputed on
the same resample (:func:`analogfe.learn.metrics.ap_bootstrap`).

Assumptions: the default emulated sensor at full-well exposure (bright
scenes, shot noise only as the sensor model gives it), gray8 = the 8-bit
grey ISP output, whose float gradients get the same cell histograms and
normalisation (the released code's linear path), lg = the ideal-converter
log-gradient codes of the noisy exposure; one seed. The faces are LFW's
25 x 25 crops enlarged to ``s``: at 96 and 128 px their inside is smoother
than a real face of that size, which penalises the coarse 1.5-bit code at
full resolution more than the others.
"""
import argparse
import time

import numpy as np

from analogfe.app.report import text_table
from analogfe.data import make_wakeup_scenes
from analogfe.learn import train_detector
from analogfe.learn.metrics import ap_bootstrap

CELL = 8


def scene_size(s):
    """A scene that holds two ``s``-px objects and background around them."""
    return (2 * s + 32, 3 * s)


def run_size(s, a):
    size = scene_size(s)
    kw = {"size": size, "target_size": (s, s), "p_empty": a.p_empty, "max_targets": 2}
    train = make_wakeup_scenes(a.n_train, seed=a.seed, **kw)
    test = make_wakeup_scenes(a.n_test, seed=a.seed + 1, **kw)
    # the detection scale: 1 (window = object), or the binned readout scale
    # (1, 2 or 4; image pyramid level for gray8) at which the object fills the window
    w = a.window_px or s
    scale = s / w
    systems = []
    for fe in a.frontends:
        det = train_detector(train.images, train.boxes, frontend=fe, window=(w, w),
                             cell_size=CELL, method=a.method, scales=(scale,), threshold=None,
                             nms_iou=0.3, max_detections=a.max_detections, C=a.C,
                             hard_negative_rounds=1, seed=a.seed)
        found = det.detect_batch(test.images)
        systems.append(([d.boxes for d in found], [d.scores for d in found]))
    ap, samples = ap_bootstrap(systems, test.boxes, n_boot=a.n_boot, seed=a.seed)
    row = {"object px": s, "scale": scale, "cells": w // CELL, "test scenes": len(test),
           "objects": int(sum(len(b) for b in test.boxes))}
    for name, v in zip(a.frontends, ap):
        row[f"AP {name}"] = round(float(v), 3)
    base = a.frontends.index("gray8")
    for j, name in enumerate(a.frontends):
        if j == base:
            continue
        d = samples[:, base] - samples[:, j]
        lo, hi = np.nanpercentile(d, [2.5, 97.5])
        row[f"gray8 - {name} [95% CI]"] = f"{ap[base] - ap[j]:+.3f} [{lo:+.3f}, {hi:+.3f}]"
    return row


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[32, 64, 96, 128],
                   help="object sides in pixels (multiples of 8)")
    p.add_argument("--frontends", nargs="+", default=["gray8", "lg1.5", "lg2.75"],
                   help="front ends; gray8 is the reference of the gaps")
    p.add_argument("--method", default="dpm-log", help="HOG method (HOG_METHODS)")
    p.add_argument("--window-px", type=int, default=None,
                   help="fixed window (e.g. 32): each size is detected at the readout scale "
                        "size / window (1, 2 or 4) instead of at full resolution")
    p.add_argument("--n-train", type=int, default=40, help="train scenes per size")
    p.add_argument("--n-test", type=int, default=60, help="test scenes per size")
    p.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples")
    p.add_argument("--p-empty", type=float, default=0.3, help="share of scenes without faces")
    p.add_argument("--max-detections", type=int, default=20, help="boxes kept per scene")
    p.add_argument("--C", type=float, default=0.01, help="SVM regularisation")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tiny", action="store_true", help="one size, few scenes, two front ends")
    a = p.parse_args(argv)
    if a.tiny:
        a.sizes, a.frontends, a.n_train, a.n_test, a.n_boot = [32], ["gray8", "lg1.5"], 8, 6, 50
    if "gray8" not in a.frontends:
        p.error("--frontends must include gray8 (the reference of the gaps)")
    bad = [s for s in a.sizes if s % CELL or s < 3 * CELL]
    if bad:
        p.error(f"--sizes must be multiples of {CELL} of at least {3 * CELL}, got {bad}")
    if a.window_px and any(s % a.window_px or s // a.window_px not in (1, 2, 4) for s in a.sizes):
        p.error("with --window-px every size must be 1, 2 or 4 times the window")
    rows = []
    for s in a.sizes:
        t0 = time.perf_counter()
        rows.append(run_size(s, a))
        print(f"size {s} px done in {time.perf_counter() - t0:.0f} s", flush=True)
    print(f"\nDetection AP by object size: HOG {a.method!r}, {CELL}-px cells, "
          f"{a.n_train} train scenes per size, seed {a.seed}, "
          f"{a.n_boot} bootstrap resamples of the test scenes")
    print(text_table(rows))


if __name__ == "__main__":
    main()
