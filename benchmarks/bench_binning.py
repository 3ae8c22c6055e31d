"""Speed of k x k charge binning (:func:`analogfe.frontend.bin_image`) against numpy.

The peer is what a user would write in plain numpy, "adding rows then
neighbours", accumulating in float64 as ``bin_image`` does. Two spellings are
timed and the ratio is taken against the faster one, so it is never flattered:

* ``reshape``: the textbook one::

      x = img[..., :H // k * k, :W // k * k]
      rows = x.reshape(..., H // k, k, W // k * k).sum(axis=-2, dtype=np.float64)
      binned = rows.reshape(..., H // k, W // k, k).sum(axis=-1) / (k * k)

* ``slices`` (the fastest variant found, 1.8-5x faster than ``reshape``
  here): the same two steps as adds of strided slices, in place where it
  can, and a multiplication by ``1 / (k * k)``, which for the k = 2 and 4
  timed here gives the same numbers as the division and is about 10 % faster::

      rows = np.add(x[..., 0::k, :], x[..., 1::k, :], dtype=np.float64)
      for i in range(2, k): rows += x[..., i::k, :]
      binned = rows[..., 0::k] + rows[..., 1::k]
      for j in range(2, k): binned += rows[..., j::k]
      binned *= 1.0 / (k * k)

  (Also tried and slower: ``astype`` then ``+=``, ``np.add.reduceat`` over
  columns, reshape + ``sum`` for the neighbours, a float32 output.)

Both peers return float64 (``bin_image`` also stores float32; the peers get
that conversion for free). ``bin_image`` includes its input validation (the
NaN / infinity check). A batch is one call on an (N, H, W) stack, for ours and
for the peers. Each case times ours (at 1 and 2 threads, where ``bin_image``
takes ``n_threads``) and both peers alternately in one process, several
rounds (the order rotating); each sample is the mean of enough calls to last
a few milliseconds; the best sample of each is printed, and the median of the
per-round ratios with their 25th-75th percentiles.

Run: ``python benchmarks/bench_binning.py [--repeats 7]``.
"""
from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import inspect  # noqa: E402

import numpy as np  # noqa: E402
from _timing import environment, fmt_ratio, paired  # noqa: E402  (benchmarks/_timing.py)

from analogfe.frontend import bin_image  # noqa: E402

CASES = [  # label, shape, k
    ("VGA k=2", (480, 640), 2),
    ("VGA k=4", (480, 640), 4),
    ("12MP k=2", (3000, 4000), 2),
    ("12MP k=4", (3000, 4000), 4),
    ("batch 64xQVGA k=2", (64, 240, 320), 2),
]


def peer_reshape(img, k):
    """numpy, rows then neighbours, reshape + sum (float64 accumulation)."""
    *lead, h, w = img.shape
    ho, wo = h // k, w // k
    x = img[..., :ho * k, :wo * k]
    rows = x.reshape(*lead, ho, k, wo * k).sum(axis=-2, dtype=np.float64)
    return rows.reshape(*lead, ho, wo, k).sum(axis=-1) / (k * k)


def peer_slices(img, k):
    """numpy, rows then neighbours, adds of strided slices (float64 accumulation)."""
    *_, h, w = img.shape
    x = img[..., :h // k * k, :w // k * k]
    rows = np.add(x[..., 0::k, :], x[..., 1::k, :], dtype=np.float64)
    for i in range(2, k):
        rows += x[..., i::k, :]
    binned = rows[..., 0::k] + rows[..., 1::k]
    for j in range(2, k):
        binned += rows[..., j::k]
    binned *= 1.0 / (k * k)  # the same as / (k * k) for a power of two
    return binned




def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args(argv)
    threaded = "n_threads" in inspect.signature(bin_image).parameters
    rng = np.random.default_rng(0)
    environment()
    print(f"bin_image vs numpy (float64 accumulation), {args.repeats} rounds; ms: best "
          "sample; ratio = faster peer / ours, median of the rounds [25th-75th percentile]")
    head = (f"{'case':<19} {'ours 1t ms':>10} {'ours 2t ms':>10} {'reshape ms':>10} "
            f"{'slices ms':>10} {'ratio 1t':>20} {'ratio 2t':>20}")
    print(head)
    print("-" * len(head))
    for label, shape, k in CASES:
        img = (rng.random(shape, dtype=np.float32) ** 2.2 * 10000.0).astype(np.float32)
        ours = bin_image(img, k)
        for peer in (peer_reshape, peer_slices):  # same numbers (exact float64 sums here)
            np.testing.assert_allclose(ours, peer(img, k), rtol=1e-6)
        if threaded:
            fns = [lambda img=img, k=k: bin_image(img, k, n_threads=1),
                   lambda img=img, k=k: bin_image(img, k, n_threads=2)]
        else:
            fns = [lambda img=img, k=k: bin_image(img, k)]
        fns += [lambda img=img, k=k: peer_reshape(img, k),
                lambda img=img, k=k: peer_slices(img, k)]
        t = list(paired(fns, args.repeats))
        if not threaded:
            t.insert(1, np.full(args.repeats, np.nan))
        peer = t[2] if t[2].min() <= t[3].min() else t[3]
        t1, t2, tr, ts = (v.min() * 1e3 for v in t)
        print(f"{label:<19} {t1:10.3f} {t2:10.3f} {tr:10.3f} {ts:10.3f} "
              f"{fmt_ratio(peer, t[0]):>20} {fmt_ratio(peer, t[1]):>20}")


if __name__ == "__main__":
    main()
