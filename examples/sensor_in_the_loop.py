"""The sensor in the training loop: brightness sweeps and co-designed thresholds
=============================================================================

User story: a researcher trains on emulated front end outputs and wants the
network to see a new exposure and noise draw per sample and epoch, as PixelRNN
and the LED "virtual camera" line of work do, and to co-design the
log-ratio converter's thresholds with the network.

1. Brightness sweep: each front end (rgb8, gray8, lg1.5, lg2.75) trained at
   a fixed exposure (the numpy/Cython emulation, once, before training) and
   with the sensor in the loop (torch emulation per batch, brightness 2**k,
   k uniform in [-5, 3] per sample); all tested through the numpy/Cython
   emulation without auto-exposure at k = -5..3.
2. Co-design: lg1.5 (3 levels) and lg2.75 (7 levels) trained in the loop with
   the formula thresholds and with learned thresholds (STE, T = 0.1 nepers);
   the learned thresholds go back into ``LogGradientFrontEnd(thresholds=...)``
   and ``analogfe.system.cost``.

Run: ``.venv/bin/python examples/sensor_in_the_loop.py [--epochs 30] [--seeds 0 1 2]``
(``--tiny`` for a smoke run).
"""
import argparse

import numpy as np
import torch

from analogfe.data import load_lfw
from analogfe.frontend import LogGradientFrontEnd
from analogfe.learn.experiments import brightness_sweep, train_frontend
from analogfe.learn.in_the_loop import train_in_the_loop
from analogfe.system import cost

FRONTENDS = ("rgb8", "gray8", "lg1.5", "lg2.75")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--tiny", action="store_true", help="2 epochs, one seed, k in {-2, 0, 2}")
    args = ap.parse_args()
    torch.set_num_threads(1)
    epochs, seeds, ks = args.epochs, args.seeds, list(range(-5, 4))
    if args.tiny:
        epochs, seeds, ks = 2, [0], [-2, 0, 2]
    kw = dict(epochs=epochs, progress=False, device="cpu", batch_size=16, width=16)
    split = load_lfw(seed=0)
    print(f"LFW subset: {len(split.y_train)} training (80 % fit, 20 % validation), "
          f"{len(split.y_test)} test images, {split.X_train.shape[1:]} px; ResNet-10 width 16, "
          f"{epochs} epochs, batch 16, Adam 1e-3; seeds {seeds}; test without auto-exposure")

    rows = {}
    for seed in seeds:
        models = []
        for fe in FRONTENDS:
            tm = train_frontend(split, fe, seed=seed, exposure="fixed", **kw)
            tm.label = f"{fe} fixed"
            models.append(tm)
            models.append(train_in_the_loop(split, fe, k_range=(-5, 3), seed=seed,
                                            label=f"{fe} in the loop", **kw))
        sweep = brightness_sweep(models, split.X_test, split.y_test, ks=ks, seed=seed)
        for r in sweep["rows"]:
            rows.setdefault(r["frontend"], []).append([r["accuracy"][k] for k in ks])
    print("\nBrightness sweep: test accuracy (%) at brightness 2**k, mean over seeds")
    head = f"{'front end':<22}" + "".join(f"{'k=' + str(k):>7}" for k in ks) + f"{'mean':>7}{'max loss':>10}"
    print(head + "\n" + "-" * len(head))
    for name, accs in rows.items():
        a = 100 * np.mean(accs, axis=0)
        loss = max(a[ks.index(0)] - a)
        print(f"{name:<22}" + "".join(f"{v:7.1f}" for v in a) + f"{a.mean():7.1f}{loss:10.1f}")

    print("\nCo-design (in the loop, k in [-5, 3]): formula vs learned thresholds")
    head = (f"{'converter':<26}{'ratio thresholds':<28}{'acc k=0':>8}{'acc mean':>9}"
            f"{'link bits QVGA':>15}{'uJ/frame':>9}")
    print(head + "\n" + "-" * len(head))
    for bits in (2, 3):
        for learn in (False, True):
            accs, acc0, thr = [], [], []
            for seed in seeds:
                tm = train_in_the_loop(split, LogGradientFrontEnd(bits=bits, read_noise_e=2.0, seed=seed),
                                       k_range=(-5, 3), seed=seed, learn_thresholds=learn,
                                       temperature=0.1, **kw)
                fe = tm.frontend
                sw = brightness_sweep([tm], split.X_test, split.y_test, ks=ks, seed=seed)["rows"][0]
                accs.append(np.mean([sw["accuracy"][k] for k in ks]))
                acc0.append(sw["accuracy"][0])
                thr.append(fe.thresholds if fe.thresholds is not None else
                           tuple(np.exp(fe._t_ln).tolist()))
            c = cost(fe, 240, 320, 30.0)
            t = np.mean(thr, axis=0)
            name = f"{(2 ** bits) - 1} levels, {'learned' if learn else 'formula'}"
            print(f"{name:<26}{', '.join(f'{v:.3f}' for v in t):<28}{100 * np.mean(acc0):8.1f}"
                  f"{100 * np.mean(accs):9.1f}{c.link_bits:15.0f}{c.energy_pj / 1e6:9.2f}")


if __name__ == "__main__":
    main()
