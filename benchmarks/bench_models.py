"""ResNet-10 on each input encoding: training throughput, latency, cached memory.

For the built-in LFW data (25 x 25 pixels) and each front end / encoding:

- training throughput on CPU (samples/s: expand the cached batch, forward,
  backward, Adam step; batch 32);
- inference latency per sample on CPU (batch of 1, median);
- memory a cached epoch (the training images) takes: the compact form
  (uint8 images, int8 codes per scale as the front end emits them, int8 codes
  on the finest grid as :func:`analogfe.learn.encodings.pack` caches them) against the
  float32 tensors the model takes, and each against uint8 RGB.

Each figure is the best of ``--rounds`` rounds over all cases (the order
rotating; the machine may be shared); the speed against rgb8 is the median of
the per-round ratios with their 25th-75th percentiles. Run: ``python benchmarks/bench_models.py [--width 16] [--rounds 3]``.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

from analogfe import data, frontend
from analogfe.frontend import is_codes as afe_is_codes
from analogfe.learn import encodings as ENC
from analogfe.learn import experiments as XP
from analogfe.learn import models as M
from analogfe.system import network as NET

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import environment, fmt_ratio  # noqa: E402

CASES = [  # (front end, encoding)
    ("rgb8", "rgb8"),
    ("gray8", "gray8"),
    ("lg1.5", "lg-signed"),
    ("lg1.5", "lg-onehot"),
    ("lg2.75", "lg-signed"),
    ("lg2.75", "lg-onehot"),
]


def _native_code_bytes(images, fe_name, signal_e):
    out = frontend.emulate(images, fe_name, seed=0, signal_e=signal_e)
    if afe_is_codes(out):
        return sum(a.nbytes for a in out.dx) + sum(a.nbytes for a in out.dy)
    return out.nbytes


def _offchip_bytes(n, h, w, fe_name):
    fe = frontend.make_frontend(fe_name)
    return n * fe.bits_per_frame(h, w) / 8.0


def _train_throughput(model, enc, packed, y, batch=32, steps=10):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()
    n = len(y)

    def step(i):
        idx = torch.arange(i * batch, (i + 1) * batch) % n
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(enc(packed[idx])), y[idx])
        loss.backward()
        opt.step()

    step(0)  # warm-up
    t0 = time.perf_counter()
    for i in range(steps):
        step(i + 1)
    return steps * batch / (time.perf_counter() - t0)


def _latency_ms(model, enc, packed, repeat):
    model.eval()
    times = []
    with torch.no_grad():
        for i in range(repeat + 3):
            x = packed[i % len(packed)][None]
            t0 = time.perf_counter()
            model(enc(x))
            times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times[3:]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--repeat", type=int, default=100)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=None,
                    help="torch CPU threads (default: torch's); 1 on a busy shared machine")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    environment(peers=("torch",))
    torch.manual_seed(0)
    split = data.load_lfw(seed=0)
    images, y = np.asarray(split.X_train), torch.as_tensor(np.asarray(split.y_train))
    signal_e = XP.default_signal_e()
    n, h, w = images.shape[:3]
    print(f"LFW train set: {n} images of {h}x{w}; ResNet-10 width {args.width}; "
          f"CPU threads {torch.get_num_threads()}")
    rgb_bytes = n * h * w * 3
    setups = []
    for fe_name, enc_name in CASES:
        packed, levels = XP.emulate_dataset(images, fe_name, enc_name, signal_e=signal_e, seed=0)
        enc = ENC.InputEncoder(enc_name, levels)
        channels = enc(packed[:1]).shape[1]
        torch.manual_seed(0)
        model = M.resnet10(in_channels=channels, num_classes=2, width=args.width)
        setups.append((fe_name, enc_name, packed, enc, channels, model))
    # Rounds over all cases, best of the rounds: the figures are then least
    # disturbed by other load on a shared machine.
    thr_r = {i: [] for i in range(len(setups))}
    lat_r = {i: [] for i in range(len(setups))}
    for r in range(args.rounds):
        for j in range(len(setups)):  # the order rotates from round to round
            i = (r + j) % len(setups)
            _, _, packed, enc, _, model = setups[i]
            thr_r[i].append(_train_throughput(model, enc, packed, y, steps=args.steps))
            lat_r[i].append(_latency_ms(model, enc, packed, args.repeat))
    thr = {i: max(v) for i, v in thr_r.items()}
    lat = {i: min(v) for i, v in lat_r.items()}
    head = (f"{'front end':<8} {'encoding':<10} {'C':>3} {'MMAC':>6} {'train/s':>9} "
            f"{'lat ms':>7} {'packed B':>9} {'native B':>9} {'cached B':>9} {'float32 B':>9} "
            f"{'packed/RGB':>10} {'cached/RGB':>10} {'float/cached':>12}")
    print(head)
    print("-" * len(head))
    base_thr, base_lat = thr[0], lat[0]
    for i, (fe_name, enc_name, packed, enc, channels, model) in enumerate(setups):
        macs = NET.count_macs(model, (channels, h, w))
        native = _native_code_bytes(images, fe_name, signal_e)
        cached = packed.numel() * packed.element_size()
        floats = n * channels * h * w * 4
        offchip = _offchip_bytes(n, h, w, fe_name)
        print(f"{fe_name:<8} {enc_name:<10} {channels:>3} {macs / 1e6:6.2f} {thr[i]:9.0f} "
              f"{lat[i]:7.2f} {offchip:9.0f} {native:>9} {cached:>9} {floats:>9} "
              f"{offchip / rgb_bytes:10.2f} {cached / rgb_bytes:10.2f} {floats / cached:12.1f}")
    print("speed against rgb8 (median of the rounds [25th-75th percentile]): " + ", ".join(
        f"{s[0]}/{s[1]} train x{fmt_ratio(thr_r[i], thr_r[0]).strip()} latency "
        f"x{fmt_ratio(lat_r[i], lat_r[0]).strip()}"
        for i, s in enumerate(setups) if i))
    print("packed: the bits the front end sends off chip (bits_per_frame / 8); native: "
          "what it returns in memory (int8 codes per scale, or uint8 images); cached: "
          "pack() on the finest grid, 1 byte a value; float32: the model input. "
          f"Ratios against uint8 RGB ({rgb_bytes} B for the epoch).")


if __name__ == "__main__":
    main()
