"""Train the small ResNet on each front end's output and sweep the brightness
==========================================================================

Usage::

    .venv/bin/python examples/train_resnet_brightness.py            # LFW, 15 epochs, k = -5..3
    .venv/bin/python examples/train_resnet_brightness.py --tiny

The scene's linear light is scaled by 2**k before the front end (electrons
clipped at full well); each model is trained at k = 0 and evaluated at every
k. Lu & Murmann (2022) report that 1.5-bit log-gradient input loses 1.7
points over k = -5..3 where RGB input loses up to 10.
"""
import argparse

from analogfe.app.tasks import torch_threads
from analogfe.data import load_lfw
from analogfe.learn.experiments import brightness_sweep, format_sweep, train_frontend


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--frontends", nargs="+", default=["rgb8", "lg1.5"])
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest for this small net)")
    p.add_argument("--tiny", action="store_true", help="1 epoch, 40 images, k in {-2, 0, 2}")
    a = p.parse_args(argv)
    split = load_lfw(seed=a.seed)
    ks = range(-5, 4)
    if a.tiny:
        from analogfe.data import Split

        split = Split(split.X_train[:40], split.X_test[:16], split.y_train[:40], split.y_test[:16],
                      split.classes)
        a.epochs, ks = 1, (-2, 0, 2)
    with torch_threads(a.threads):
        models = {name: train_frontend(split, name, epochs=a.epochs, width=16, seed=a.seed,
                                       progress=not a.tiny) for name in a.frontends}
        table = brightness_sweep(models, split.X_test, split.y_test, ks=ks, seed=a.seed)
    print(format_sweep(table))


if __name__ == "__main__":
    main()
