"""Enroll new wake-up targets from a few shots, without storing them
=====================================================================

Usage::

    .venv/bin/python examples/fewshot_enrollment.py            # lg1.5, a few minutes
    .venv/bin/python examples/fewshot_enrollment.py --frontend rgb8
    .venv/bin/python examples/fewshot_enrollment.py --tiny

A Conv-4 embedding is meta-trained (prototypical networks) on generated
character classes as the front end sees them; then new classes, never seen in
training, are enrolled on the "device" one shot at a time: each class keeps
only an exact sum of its shots quantised to 8 bits per dimension and a count
(no image is stored; the prototype is quantised again when read), and every
query is matched to the nearest prototype. The script prints the
accuracy over all enrolled classes as they arrive and the prototype memory.
"""
import argparse

import numpy as np
import torch

from analogfe.data.glyphs import make_glyphs
from analogfe.learn.experiments import emulate_dataset
from analogfe.learn.fewshot.meta import meta_train
from analogfe.learn.fewshot.enroll import RunningPrototypes, embed


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--frontend", default="lg1.5")
    p.add_argument("--shots", type=int, default=5)
    p.add_argument("--bits", type=int, default=8, help="bits per prototype dimension")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tiny", action="store_true", help="30 classes, a few training episodes")
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    n_classes, episodes, width = (30, 20, 8) if a.tiny else (200, 400, 32)
    gs = make_glyphs(n_classes, 20, seed=a.seed)
    split = gs.split_classes((0.6, 0.1, 0.3), seed=a.seed)
    enc = "lg-signed" if a.frontend.startswith("lg") else a.frontend
    packed, levels = emulate_dataset(gs.images, a.frontend, enc, seed=a.seed)
    tm = meta_train(packed, gs.labels, split["train"], val_classes=split["val"], encoding=enc,
                    levels=levels, episodes=episodes, ways=5 if a.tiny else 20, width=width,
                    val_every=max(1, episodes // 4), seed=a.seed)
    emb = embed(tm.model, tm.encoder, packed)
    device = RunningPrototypes(emb.shape[1], bits=a.bits, scale=tm.scale, max_shots=a.shots)
    rng = np.random.default_rng(a.seed)
    queries, qlabels = [], []
    print(f"{a.frontend}: {len(split['train'])} meta-train classes, enrolling "
          f"{len(split['test'])} new classes, {a.shots} shots each, {a.bits}-bit prototypes")
    for t, c in enumerate(split["test"]):
        idx = rng.permutation(np.flatnonzero(gs.labels == c))
        for x in emb[idx[:a.shots]]:  # one shot at a time; the shot is then dropped
            device.update(t, x)
        queries.append(emb[idx[a.shots:]])
        qlabels.append(np.full(len(idx) - a.shots, t))
        if (t + 1) % 5 == 0 or t + 1 == len(split["test"]):
            acc = float((device.predict(np.concatenate(queries)) == np.concatenate(qlabels)).mean())
            print(f"{t + 1:4d} classes enrolled: accuracy {acc:.3f} over all of them, "
                  f"prototype memory {device.memory_bits / 8:,.0f} bytes")


if __name__ == "__main__":
    main()
