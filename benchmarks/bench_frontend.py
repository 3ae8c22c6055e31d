"""Speed of the log-gradient front end against vectorised numpy.

Single thread, 3 scales (1, 2, 4), 1.5- and 2.75-bit codes, at VGA (640x480)
and 12 MP (4000x3000). :class:`analogfe.frontend.LogGradientFrontEnd`
(Cython binning and the log-ratio converter, decided on pixel ratios) against:

* the **numpy peer** (:class:`NumpyPeer`), the fastest plain numpy we could
  write for the released formula, every work buffer and output allocated
  once outside the timed calls and filled with ``out=``: binning by strided
  slice sums in float64 (scale 4 from the float64 sums of scale 2),
  ``np.log`` on float32 (once per pixel), centred differences by slicing,
  then the faster of two quantisers, both timed in every round (the peer's
  sample is the faster one's): ``np.clip``, the scale and ``np.rint`` (ties
  to even, where the released formula rounds them away from zero: such a
  tie is a pair on a threshold), or counting the thresholds each difference
  passes (``np.greater_equal`` into a boolean buffer added to the int8
  codes). Deciding on pixel ratios instead of logs (as ours does) was
  slower in numpy at both depths, and so was the same chain allocating its
  arrays on every call;
* the **converter only**: both sides given the same binned planes, ours
  ``_logratio.codes_batch`` against the peer's log / difference / clip /
  round (the binning excluded).

The two are timed alternately in one process, several rounds (the order
rotating; each sample the mean of enough calls to last a few milliseconds):
the best sample of each is printed, and the median of the per-round ratios
with their 25th-75th percentiles. Codes are
checked: the peer must give our codes, except that float32 ``np.log`` may
flip a pair whose float64 log difference lies within 1e-5 of a decision
threshold (counted and printed as ``f32 flips``; any other difference fails).

``--passes`` prints where the time goes, pass by pass, at each size: ours
unfused (the binning of k = 2 and 4 in one pass, the converter on each
scale's plane) against the fused pass, and numpy's binning and converter
per scale.

``--reference`` also times ``tests/reference_frontend.frontend_reference``
(float64, one block element at a time) at VGA, as this benchmark used to.

The ``2 threads`` column is the front end on two threads against the same
single-thread numpy (numpy has no threads for these operations).

Run: ``python benchmarks/bench_frontend.py [--repeat 20] [--no-12mp] [--passes] [--reference]``.
"""
import argparse
import inspect
import math
import os
import sys
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import environment, fmt_ratio, load, paired  # noqa: E402
from reference_frontend import frontend_reference  # noqa: E402

from analogfe._ext import _binning, _logratio  # noqa: E402
from analogfe.frontend import LogGradientFrontEnd, bin_image  # noqa: E402
from analogfe.frontend.converter import formula_thresholds_ln, quantiser_scale  # noqa: E402

LN8 = math.log(8.0)
SCALES = (1, 2, 4)
FW = 10000.0
EPS = 1e-4


# ------------------------------------------------------------ numpy peer --
class NumpyPeer:
    """The numpy front end on (h, w) frames, every work buffer and output
    allocated once here (outside the timed calls) and filled with ``out=``.

    Binning: float64 sums of the 2x2 blocks by strided slices (row-major
    within the block), scale 4 from those sums, stored in float32. Converter,
    per scale: ``ln(plane / FW + EPS)`` in float32, centred differences by
    slicing, then ``quantiser``: ``"rint"`` (clip, scale, ``np.rint``: ties
    to even, where the released formula rounds them away from zero; such a
    tie is a pair on a threshold) or ``"count"`` (the thresholds passed on
    either side, counted into the int8 codes).
    """

    def __init__(self, h, w, bits, quantiser="rint"):
        self.bits, self.quantiser = bits, quantiser
        self.s = np.float32(quantiser_scale(bits))
        self.t = formula_thresholds_ln(bits).astype(np.float32)
        f64, f32 = np.float64, np.float32
        self.sums = [np.empty((h // 2, w // 2), f64), np.empty((h // 4, w // 4), f64)]
        self.planes = [None] + [np.empty(a.shape, f32) for a in self.sums]
        self.work = []
        for k in SCALES:
            hs, ws = h // k, w // k
            self.work.append({
                "L": np.empty((hs, ws), f32),
                "d": [np.empty((hs, ws - 2), f32), np.empty((hs - 2, ws), f32)],
                "passed": [np.empty((hs, ws - 2), bool), np.empty((hs - 2, ws), bool)],
                "codes": [np.zeros((hs, ws), np.int8), np.zeros((hs, ws), np.int8)],
            })

    @staticmethod
    def _bin2(x, out):
        h, w = out.shape[0] * 2, out.shape[1] * 2
        np.copyto(out, x[0:h:2, 0:w:2])
        out += x[0:h:2, 1:w:2]
        out += x[1:h:2, 0:w:2]
        out += x[1:h:2, 1:w:2]

    def binned(self, x):
        """The planes of SCALES = (1, 2, 4), float32 (buffers of this peer)."""
        s2, s4 = self.sums
        self._bin2(x, s2)
        self._bin2(s2, s4)
        np.multiply(s2, 0.25, out=s2)
        np.multiply(s4, 1.0 / 16.0, out=s4)
        np.copyto(self.planes[1], s2)
        np.copyto(self.planes[2], s4)
        self.planes[0] = x
        return self.planes

    def codes(self, i, plane):
        """(dx, dy) int8 of scale ``i`` from its plane (zero border)."""
        wk = self.work[i]
        L = wk["L"]
        np.multiply(plane, np.float32(1.0 / FW), out=L)
        L += np.float32(EPS)
        np.log(L, out=L)
        for (hi, lo, inner), d, passed, c in zip(
                ((L[:, 2:], L[:, :-2], (slice(None), slice(1, -1))),
                 (L[2:], L[:-2], (slice(1, -1), slice(None)))),
                wk["d"], wk["passed"], wk["codes"]):
            np.subtract(hi, lo, out=d)
            v = c[inner]
            if self.quantiser == "rint":
                np.clip(d, -LN8, LN8, out=d)
                d *= self.s
                np.rint(d, out=d)
                np.copyto(v, d, casting="unsafe")
            else:
                v[...] = 0
                for tn in self.t:
                    v += np.greater_equal(d, tn, out=passed).view(np.int8)
                    v -= np.less_equal(d, -tn, out=passed).view(np.int8)
        return wk["codes"]

    def __call__(self, x):
        return [self.codes(i, p) for i, p in enumerate(self.binned(x))]


# ---------------------------------------------------------------- checks --
def f32_flips(planes, ours_dx, ours_dy, peer_out, bits):
    """Codes where the peer differs from ours; fail unless each such pair is
    within 1e-5 of a decision threshold in float64."""
    s = quantiser_scale(bits)
    n = 0
    for plane, dx, dy, (pdx, pdy) in zip(planes, ours_dx, ours_dy, peer_out):
        L = np.log(plane.astype(np.float64) / FW + EPS)
        for ours, theirs, d in ((dx[:, 1:-1], pdx[:, 1:-1], L[:, 2:] - L[:, :-2]),
                                (dy[1:-1], pdy[1:-1], L[2:] - L[:-2])):
            bad = ours != theirs
            t = np.clip(d[bad], -LN8, LN8) * s
            near = np.abs(np.abs(t - np.trunc(t)) - 0.5) < 1e-5 * s
            assert near.all(), "numpy peer and analogfe differ away from a threshold"
            n += int(bad.sum())
    return n


def call(fe, x, n_threads):
    """``fe(x)`` on ``n_threads`` threads (a build without the argument: its default)."""
    if "n_threads" in inspect.signature(fe.__call__).parameters:
        return fe(x, n_threads=n_threads)
    return fe(x)


def batch_rows(rng, repeat):
    """64 QVGA frames: one (64, H, W) call against 64 calls of one frame, on
    1 and 2 threads; the front end and its HOG."""
    from analogfe.features import hog

    x = np.stack([scene(240, 320, rng) for _ in range(64)])
    print("64 QVGA frames, one (N, H, W) call vs 64 calls (ratio = 64 calls / one call)")
    for bits, label in ((2, "1.5"), (3, "2.75")):
        fe = LogGradientFrontEnd(bits=bits, scales=SCALES, full_well_e=FW)
        codes = fe(x)
        dx, dy = codes.dx[0], codes.dy[0]
        for t in (1, 2):
            one, many, h_one, h_many = paired([
                lambda: call(fe, x, t), lambda: [call(fe, f, t) for f in x],
                lambda: hog(dx, dy, n_threads=t),
                lambda: [hog(a, b, n_threads=t) for a, b in zip(dx, dy)]], max(3, repeat // 4))
            print(f"  {label:>4} bit, {t} thread(s): front end {one.min() * 1e3:7.2f} ms vs "
                  f"{many.min() * 1e3:7.2f} ms {fmt_ratio(many, one)} | hog "
                  f"{h_one.min() * 1e3:7.2f} ms vs {h_many.min() * 1e3:7.2f} ms "
                  f"{fmt_ratio(h_many, h_one)}")


def scene(height, width, rng):
    return (rng.random((height, width)) ** 2.2 * FW).astype(np.float32)


def _faster(peers, x, repeat=3):
    """The quantiser of the faster of ``peers`` (a dict) on ``x``, best of a few rounds."""
    t = paired([lambda p=p: p(x) for p in peers.values()], repeat)
    return list(peers)[int(np.argmin(t.min(axis=1)))]


def passes(x, bits, repeat):
    """Where the time goes at one size: ours unfused (the binning of k = 2 and
    4 in one pass, the converter on each scale's plane) and fused, against
    numpy's binning and converter per scale (the faster quantiser); ms of the
    best sample, the passes timed alternately."""
    fe = LogGradientFrontEnd(bits=bits, scales=SCALES, full_well_e=FW)
    x3 = x[None]
    o2 = np.empty((1, x.shape[0] // 2, x.shape[1] // 2), np.float32)
    o4 = np.empty((1, x.shape[0] // 4, x.shape[1] // 4), np.float32)
    planes = [x3, o2, o4]
    _binning.bin_mean_2_4(x3, o2, o4, 1)
    m, s = fe._t_ln.size, quantiser_scale(bits)
    bufs = [(np.empty(p.shape, np.int8), np.empty(p.shape, np.int8)) for p in planes]
    conv = [lambda p=p, b=b: _logratio.codes_batch(p, FW, EPS, LN8, s, m, True, *b, 1)
            for p, b in zip(planes, bufs)]
    peers = {q: NumpyPeer(*x.shape, bits, q) for q in ("rint", "count")}
    quantiser = _faster(peers, x)
    peer = peers[quantiser]
    np_planes = [p.copy() for p in peer.binned(x)]
    np_conv = [lambda i=i, p=p: peer.codes(i, p) for i, p in enumerate(np_planes)]
    t = paired([lambda: call(fe, x, 1), lambda: _binning.bin_mean_2_4(x3, o2, o4, 1), *conv,
                lambda: peer.binned(x), *np_conv], repeat)
    best = [f"{v.min() * 1e3:.3f}" for v in t]
    unfused = t[1].min() + sum(v.min() for v in t[2:5])
    print(f"  {x.shape[1]}x{x.shape[0]} {bits - 0.5 if bits == 2 else 2.75} bit: ours fused "
          f"{best[0]} ms; unfused {unfused * 1e3:.3f} ms = binning 2+4 {best[1]} + converter "
          f"k=1 {best[2]}, k=2 {best[3]}, k=4 {best[4]} | numpy ({quantiser}) binning "
          f"{best[5]} + converter k=1 {best[6]}, k=2 {best[7]}, k=4 {best[8]} ms", flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--no-12mp", action="store_true")
    ap.add_argument("--passes", action="store_true")
    ap.add_argument("--reference", action="store_true")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    environment()
    sizes = ((480, 640),) if args.no_12mp else ((480, 640), (3000, 4000))
    if args.passes:
        print(f"where the time goes, one thread, {args.repeat} rounds (12 MP: "
              f"max(3, repeat // 5)); ms of the best sample; load {load():.2f}")
        for (h, w) in sizes:
            x = scene(h, w, rng)
            for bits in (2, 3):
                passes(x, bits, args.repeat if h * w < 1e6 else max(3, args.repeat // 5))
        return
    print(f"log-gradient front end, scales {SCALES}, {args.repeat} rounds "
          "(12 MP: max(3, repeat // 5)), random scene, run alternately; numpy on 1 thread "
          "(per round the faster of its two quantisers: 'rint' or 'count', named by the "
          "rounds it won), analogfe on 1 (and 2) threads; ms: best sample; speed-up: numpy / "
          "ours, median of the rounds [25th-75th percentile]; best: ratio of the best samples")
    print(f"{'size':>9} {'bits':>5} | {'analogfe':>9} {'numpy':>9} {'speed-up':>20} {'best':>6} "
          f"| {'conv ours':>9} {'conv np':>9} {'speed-up':>20} | {'2 threads':>9} "
          f"{'speed-up':>20} | f32 flips | numpy chain | load")
    for (h, w) in sizes:
        x = scene(h, w, rng)
        planes = [bin_image(x, k, n_threads=1) for k in SCALES]
        repeat = args.repeat if h * w < 1e6 else max(3, args.repeat // 5)
        for bits, label in ((2, "1.5"), (3, "2.75")):
            fe = LogGradientFrontEnd(bits=bits, scales=SCALES, full_well_e=FW)
            ours = fe(x)
            rint, count = (NumpyPeer(h, w, bits, q) for q in ("rint", "count"))
            for p, q in zip(planes, rint.binned(x)):
                assert np.array_equal(p, q), "numpy peer binning differs"
            flips = [f32_flips(planes, ours.dx, ours.dy, peer(x), bits) for peer in (rint, count)]
            m = fe._t_ln.size
            s = quantiser_scale(bits)
            bufs = [(np.empty(p.shape, np.int8), np.empty(p.shape, np.int8)) for p in planes]
            p3 = [p[None] for p in planes]

            def conv_ours():
                for p, (dx, dy) in zip(p3, bufs):
                    _logratio.codes_batch(p, FW, EPS, LN8, s, m, True, dx[None], dy[None])

            t_o, t_pr, t_pc, c_o, c_pr, c_pc, t_2 = paired(
                [lambda: call(fe, x, 1), lambda: rint(x), lambda: count(x), conv_ours,
                 lambda: [rint.codes(i, p) for i, p in enumerate(planes)],
                 lambda: [count.codes(i, p) for i, p in enumerate(planes)],
                 lambda: call(fe, x, 2)], repeat)
            t_p, c_p = np.minimum(t_pr, t_pc), np.minimum(c_pr, c_pc)
            won = int((t_pr <= t_pc).sum())
            chain = f"rint {won}, count {repeat - won}"
            print(f"{w}x{h:<4} {label:>5} | {t_o.min() * 1e3:7.3f}ms {t_p.min() * 1e3:7.3f}ms "
                  f"{fmt_ratio(t_p, t_o):>20} {t_p.min() / t_o.min():5.2f}x | "
                  f"{c_o.min() * 1e3:7.3f}ms {c_p.min() * 1e3:7.3f}ms {fmt_ratio(c_p, c_o):>20} | "
                  f"{t_2.min() * 1e3:7.3f}ms {fmt_ratio(t_p, t_2):>20} | {flips[0]}/{flips[1]} | "
                  f"{chain} | {load():.2f}", flush=True)
    batch_rows(rng, args.repeat)
    if args.reference:
        x = scene(480, 640, rng)
        fe = LogGradientFrontEnd(bits=2, scales=SCALES)
        t_o, t_r = paired([lambda: fe(x), lambda: frontend_reference(x, 2, SCALES, FW)],
                          args.repeat)
        print(f"VGA 1.5 bit vs tests/ reference: {t_o.min() * 1e3:.2f} ms vs "
              f"{t_r.min() * 1e3:.2f} ms, {fmt_ratio(t_r, t_o)}")


if __name__ == "__main__":
    main()
