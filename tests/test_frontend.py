"""The log-gradient and digital front ends (analogfe.frontend)."""
import math
import os
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from reference_frontend import (
    bin_reference,
    differences_reference,
    frontend_reference,
    libm_log,
    quantise_reference,
    log_image_reference,
    pack_codes_bitwise,
    quantise_thresholds_reference,
)

from analogfe import frontend
from analogfe import frontend as adc
from analogfe.frontend import (
    DigitalFrontEnd,
    GradientCodes,
    LogGradientFrontEnd,
    bin_image,
    emulate,
    make_frontend,
)
from analogfe.sensor import Sensor, SensorConfig

FW = 10000.0


def _assert_codes_equal(out, dxs, dys):
    assert len(out.dx) == len(dxs)
    for a, b in zip(out.dx + out.dy, dxs + dys):
        assert a.dtype == np.int8
        np.testing.assert_array_equal(a, b)


def _scene(h=24, w=32, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.random((h, w)) ** 3 * FW).astype(np.float32)


# --------------------------------------------------------------- binning ----
@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float32, st.tuples(st.integers(1, 3), st.integers(1, 17), st.integers(1, 17)),
                  elements=st.floats(0, 1e6, width=32)),
       st.integers(1, 5))
def test_binning_equals_reference(x, k):
    if k > min(x.shape[1:]):
        with pytest.raises(ValueError, match="k"):
            bin_image(x, k)
        return
    np.testing.assert_array_equal(bin_image(x, k), bin_reference(x, k))
    np.testing.assert_array_equal(bin_image(x[0], k), bin_reference(x[0], k))


def test_binning_rejects_float64_beyond_float32():
    x = np.full((4, 4), 100.0)
    x[2, 1] = 1e300  # finite in float64, inf in float32
    with pytest.raises(ValueError, match="image has values beyond the float32 range"):
        bin_image(x, 2)
    with pytest.raises(ValueError, match="image has values beyond the float32 range"):
        bin_image(-x, 1)
    with pytest.raises(ValueError, match="electrons has values beyond the float32 range"):
        LogGradientFrontEnd(scales=(1,))(np.full((8, 8), 1e39))
    with pytest.raises(TypeError, match="image"):
        bin_image(np.ones((4, 4), bool), 2)
    # big-endian input: the same numbers as native
    y = _scene()
    np.testing.assert_array_equal(bin_image(y.astype(">f4"), 2), bin_image(y, 2))
    be = LogGradientFrontEnd(scales=(1, 2))(y.astype(">f8"))
    ne = LogGradientFrontEnd(scales=(1, 2))(y.astype(np.float64))
    for a, b in zip(be.dx + be.dy, ne.dx + ne.dy):
        np.testing.assert_array_equal(a, b)


def test_binning_is_the_block_mean():
    x = np.arange(24, dtype=np.float32).reshape(4, 6)
    np.testing.assert_array_equal(bin_image(x, 2), [[3.5, 5.5, 7.5], [15.5, 17.5, 19.5]])
    assert bin_image(x, 3).shape == (1, 2)


def _bits(a):
    """The float32 bit patterns (exact equality, -0.0 and +0.0 told apart)."""
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)


def test_binning_same_bits_for_any_thread_count():
    rng = np.random.default_rng(7)
    for _ in range(12):
        n, h, w = int(rng.integers(1, 5)), int(rng.integers(4, 70)), int(rng.integers(4, 70))
        x = (rng.random((n, h, w)) ** 3 * 1e5).astype(np.float32)
        x[rng.random(x.shape) < 0.1] *= -1
        x[rng.random(x.shape) < 0.05] = -0.0  # blocks of -0.0 bin to +0.0, as in the reference
        x[rng.random(x.shape) < 0.02] = np.float32(3e38)  # float64 sums, no overflow
        for k in (2, 3, 4, 5):
            if k > min(h, w):
                continue
            want = _bits(bin_reference(x, k))
            for t in (1, 2, 3):
                np.testing.assert_array_equal(_bits(bin_image(x, k, n_threads=t)), want)
                np.testing.assert_array_equal(_bits(bin_image(x[0], k, n_threads=t)), want[0])
    # a block of -0.0 sums to +0.0 (the sum starts at 0.0), at every k
    z = np.full((2, 12, 12), -0.0, np.float32)
    for k in (2, 3, 4, 5):
        assert not _bits(bin_image(z, k, n_threads=2)).any()
    # more threads than output rows
    x = _scene(5, 9)
    np.testing.assert_array_equal(_bits(bin_image(x, 2, n_threads=64)), _bits(bin_reference(x, 2)))


def test_binning_sums_in_row_major_order():
    # block [[1, 2**-53], [-2**-53, -1]] (top left of each k x k block, zeros
    # elsewhere): row-major float64 adds give -2**-53 (1 + 2**-53 rounds to 1);
    # column-major, reversed or pairwise orders give 0 or +2**-53
    for k in (2, 3, 4, 5):
        x = np.zeros((2, 3 * k + 1, 4 * k + 1), np.float32)
        x[:, 0:-1:k, 0:-1:k] = 1.0
        x[:, 0:-1:k, 1:-1:k] = 2.0**-53
        x[:, 1:-1:k, 0:-1:k] = -(2.0**-53)
        x[:, 1:-1:k, 1:-1:k] = -1.0
        want = bin_reference(x, k)
        assert (want < 0).all()
        for t in (1, 2, 3):
            np.testing.assert_array_equal(_bits(bin_image(x, k, n_threads=t)), _bits(want))


def test_binning_exact_over_every_float32_exponent():
    # random bit patterns: every exponent, subnormals and -0.0 included
    rng = np.random.default_rng(11)
    x = rng.integers(0, 2**32, size=(2, 61, 83), dtype=np.uint64).astype(np.uint32).view(np.float32)
    x = np.where(np.isfinite(x), x, np.float32(1.0))
    for k in (2, 3, 4, 5):
        want = _bits(bin_reference(x, k))
        for t in (1, 2):
            np.testing.assert_array_equal(_bits(bin_image(x, k, n_threads=t)), want)


def _bin_in_child(args):
    x, k = args
    return bin_image(x, k, n_threads=2)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_binning_in_a_forked_child_after_threads_in_the_parent():
    # GNU OpenMP hangs in a forked child whose parent ran a parallel region:
    # bin_image runs on one thread there
    import multiprocessing

    x = _scene(48, 64)
    want = bin_image(x, 2, n_threads=2)
    with multiprocessing.get_context("fork").Pool(2) as pool:
        got = pool.map_async(_bin_in_child, [(x, 2), (x, 4)]).get(timeout=60)
    np.testing.assert_array_equal(got[0], want)
    np.testing.assert_array_equal(got[1], bin_image(x, 4, n_threads=2))


@pytest.mark.parametrize("kw", [{"bits": 2}, {"bits": 3}, {"bits": 2, "pairs": "adjacent"},
                                {"bits": 3, "eps": 1e-40},
                                {"bits": 2, "comparator_offset_ln": 0.05},
                                {"bits": 3, "pairs": "adjacent", "threshold_mismatch_ln": 0.02}])
@pytest.mark.parametrize("cfa", [None, "RGGB"])
def test_log_gradient_codes_do_not_depend_on_the_thread_count(kw, cfa):
    # rows (of every frame of a stack) are shared among the threads; a row's
    # codes depend only on its own and its neighbour rows, so any count gives
    # the same codes (eps=1e-40 takes the single-thread float64 path; an
    # offset or a mismatch the threshold path, in blocks of rows)
    rng = np.random.default_rng(kw["bits"])
    x = (rng.random((3, 37, 53)) * 3000).astype(np.float32)
    x[1, 5:9, 7:30] = 0.0  # a dark patch: ties and the clipped range
    fe = LogGradientFrontEnd(scales=(1, 2, 4), cfa=cfa, **kw)
    want = fe(x, n_threads=1)
    for t in (2, 3, 64):
        got = fe(x, n_threads=t)
        for a, b in zip(want.dx + want.dy, got.dx + got.dy):
            np.testing.assert_array_equal(a, b)
    one = fe(x[2], n_threads=2)
    for a, b in zip(want.dx + want.dy, one.dx + one.dy):
        np.testing.assert_array_equal(a[2], b)


def test_log_gradient_checks_n_threads():
    fe = LogGradientFrontEnd(bits=2)
    x = np.ones((8, 8), np.float32)
    with pytest.raises(ValueError, match="n_threads"):
        fe(x, n_threads=0)
    with pytest.raises(TypeError, match="n_threads"):
        fe(x, n_threads=1.5)


def test_default_threads_follow_omp_num_threads(monkeypatch):
    from analogfe import _threads
    from analogfe._threads import default_threads, resolve_threads, usable_cores

    monkeypatch.setattr(_threads, "_seen", [0, 1e18])  # idle machine
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert usable_cores() == cores
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert default_threads() == 3 and resolve_threads(None) == 3
    monkeypatch.setenv("OMP_NUM_THREADS", "not a number")
    assert default_threads() == cores
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert default_threads() == cores
    assert resolve_threads(5) == 5
    # a default count is capped by the work; an explicit one is not
    monkeypatch.setenv("OMP_NUM_THREADS", "8")
    assert resolve_threads(None, work=32 * 32) == 1
    assert resolve_threads(None, work=320 * 240) == 1
    assert resolve_threads(None, work=640 * 480) == 4
    assert resolve_threads(None, work=4000 * 3000) == 8
    assert resolve_threads(3, work=32 * 32) == 3


def test_binning_default_threads_count_its_cheaper_pixels(monkeypatch):
    # binning is cheap per pixel: a VGA frame bins on one thread by default,
    # a 12 MP frame on several; an explicit count is used as asked
    from analogfe import _threads
    from analogfe.frontend import log_gradient

    monkeypatch.setattr(_threads, "_seen", [0, 1e18])  # idle machine
    monkeypatch.setenv("OMP_NUM_THREADS", "8")
    used = []
    real = log_gradient._binning.bin_mean

    def spy(x, k, out, n):
        used.append(n)
        return real(x, k, out, n)

    monkeypatch.setattr(log_gradient._binning, "bin_mean", spy)
    bin_image(np.ones((480, 640), np.float32), 2)
    bin_image(np.ones((3000, 4000), np.float32), 2)
    bin_image(np.ones((480, 640), np.float32), 2, n_threads=3)
    assert used == [1, 8, 3]


def _in_a_fresh_process(code, **env):
    import subprocess

    full = {k: v for k, v in os.environ.items()
            if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS")}
    full.update(env)
    out = subprocess.run([sys.executable, "-c", code], env=full, capture_output=True,
                         text=True, timeout=120, check=True)
    return out.stdout.split()


_WAIT = ("import os, analogfe, analogfe._threads as t; "
         "print(os.environ.get('OMP_WAIT_POLICY'), t.SPINNING)")


def test_import_asks_openmp_threads_to_sleep_unless_the_user_chose():
    assert _in_a_fresh_process(_WAIT) == ["PASSIVE", "False"]
    assert _in_a_fresh_process(_WAIT, OMP_WAIT_POLICY="active") == ["active", "False"]
    assert _in_a_fresh_process(_WAIT, GOMP_SPINCOUNT="1000") == ["None", "False"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_runtime_loaded_before_us_is_seen_spinning():
    pytest.importorskip("torch")
    # torch's CPU build loads GNU OpenMP itself: imported first, its threads spin
    assert _in_a_fresh_process("import torch; " + _WAIT) == ["None", "True"]


def test_the_default_leaves_out_cores_that_other_work_keeps_busy(monkeypatch):
    from analogfe import _threads

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(_threads, "_CORES", 4)
    for others, want in ((0, 4), (1, 3), (3, 1), (7, 1)):
        monkeypatch.setattr(_threads, "_seen", [others, 1e18])  # counted "now"
        assert _threads.default_threads() == want
        assert _threads.resolve_threads(None, work=4000 * 3000) == want
        assert _threads.resolve_threads(4) == 4
    monkeypatch.setenv("OMP_NUM_THREADS", "3")  # the user's count stands
    assert _threads.default_threads() == 3
    if sys.platform.startswith("linux"):  # a real count: this process runs
        monkeypatch.setattr(_threads, "_seen", [0, -1.0])
        assert 0 <= _threads._others_running() < 10000 and _threads._seen[1] > 0


def test_binning_checks_n_threads():
    x = _scene()
    for bad in (0, -1):
        with pytest.raises(ValueError, match="n_threads"):
            bin_image(x, 2, n_threads=bad)
    for bad in (1.5, "2", True):
        with pytest.raises(TypeError, match="n_threads"):
            bin_image(x, 2, n_threads=bad)
    np.testing.assert_array_equal(bin_image(x, 2, n_threads=np.int64(2)), bin_image(x, 2))


@pytest.mark.parametrize("k", [1, 2, 3, 4])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_binning_rejects_nan_and_infinity_anywhere(k, bad):
    # 13 x 18: k = 2, 3, 4 leave dropped rows and/or columns; one bad value in
    # a kept block, a dropped column, the dropped rows, a later frame
    for where in [(0, 0, 0), (0, 5, 17), (0, 12, 3), (2, 12, 17), (1, 6, 7)]:
        x = _scene(13, 18)[None].repeat(3, axis=0)
        x[where] = bad
        with pytest.raises(ValueError, match="image contains NaN or infinity"):
            bin_image(x, k, n_threads=2)
        with pytest.raises(ValueError, match="image contains NaN or infinity"):
            bin_image(x[where[0]], k)
    # the image's own error comes before those of k and n_threads, as before
    x = _scene()
    x[3, 3] = np.nan
    for kw in ({"k": 0}, {"k": 100}, {"k": 2.5}, {"k": 2, "n_threads": 0}):
        with pytest.raises(ValueError, match="image contains NaN or infinity"):
            bin_image(x, **kw)
    with pytest.raises(ValueError, match="beyond the float32 range"):
        bin_image(np.full((8, 8), 1e39), 2, n_threads=0)


# ------------------------------------------------- exactness vs formula ----
_values = st.floats(0, 2 * FW, width=32)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2), st.integers(3, 20), st.integers(3, 20), st.sampled_from([2, 3]),
       st.sampled_from([(1,), (1, 2), (2, 3), (1, 2, 4)]), st.sampled_from(["centred", "adjacent"]),
       st.sampled_from([None, "RGGB"]), st.data())
def test_codes_equal_released_formula(n, h, w, bits, scales, pairs, cfa, data):
    unit = 2 if cfa else 1
    h, w = h * unit * max(scales), w * unit * max(scales)
    shape = (h, w) if n == 0 else (n, h, w)
    e = data.draw(hnp.arrays(np.float32, shape, elements=_values))
    fe = LogGradientFrontEnd(bits=bits, scales=scales, pairs=pairs, cfa=cfa, full_well_e=FW)
    out = fe(e)
    dxs, dys = frontend_reference(e, bits, scales, FW, pairs, cfa, log=libm_log)
    _assert_codes_equal(out, dxs, dys)
    assert out.scales == scales and out.levels == 2 ** bits - 1 and out.bits == bits


@settings(max_examples=80, deadline=None)
@given(st.floats(1.0, 0.3 * FW), st.sampled_from([2, 3]), st.integers(0, 2),
       st.sampled_from(["centred", "adjacent"]))
def test_codes_exact_at_ratios_near_thresholds(base_e, bits, level, pairs):
    # pixel pairs whose ratio sits on a decision threshold, to the float32 grid:
    # the exact-threshold value and its float32 neighbours on either side
    t = adc.formula_thresholds_ln(bits)
    r = math.exp(t[min(level, t.size - 1)])
    eps_e = 1e-4 * FW
    base = np.float32(base_e)
    hi = np.float32((float(base) + eps_e) * r - eps_e)
    ladder = [hi]
    for _ in range(3):
        ladder = [np.nextafter(ladder[0], np.float32(0))] + ladder + [np.nextafter(ladder[-1], np.float32(np.inf))]
    row = np.ravel([[base, base, v, v] for v in ladder]).astype(np.float32)
    e = np.stack([row, row[::-1], np.roll(row, 1), row, row])
    e = np.concatenate([e, e[:, ::-1]], 0)
    fe = LogGradientFrontEnd(bits=bits, scales=(1,), pairs=pairs)
    dxs, dys = frontend_reference(e, bits, (1,), FW, pairs, log=libm_log)
    out = fe(e)
    _assert_codes_equal(out, dxs, dys)
    assert len(set(np.abs(out.dx[0]).ravel().tolist())) >= 2  # the ladder straddles the threshold


@pytest.mark.parametrize("bits", [2, 3])
def test_codes_exact_within_1e9_of_a_threshold(bits):
    # the kernel decides on ratios and falls back to the log formula within
    # 1e-9 of a threshold: find float32 pixel pairs that land in that band
    eps_e = 1e-4 * FW
    base = np.arange(100.0, 3000.0, 0.37, dtype=np.float32)
    picked = []
    for r in np.exp(adc.formula_thresholds_ln(bits)):
        hi = ((base.astype(np.float64) + eps_e) * r - eps_e).astype(np.float32)
        u_hi = hi.astype(np.float64) / FW + 1e-4
        u_lo = base.astype(np.float64) / FW + 1e-4
        band = np.abs(u_hi / u_lo / r - 1) < 1e-9
        picked += list(zip(base[band][:20], hi[band][:20]))
    assert len(picked) >= 10
    row = np.ravel([[b, b, h, h] for b, h in picked]).astype(np.float32)
    e = np.stack([row, row[::-1], row, row])
    fe = LogGradientFrontEnd(bits=bits, scales=(1,))
    _assert_codes_equal(fe(e), *frontend_reference(e, bits, (1,), FW, log=libm_log))
    a, b = np.array(picked, np.float64).T / FW
    np.testing.assert_array_equal(adc.log_ratio_codes(a, b, bits=bits), _pair_reference(a, b, bits))


def _pair_reference(a, b, bits):
    from reference_frontend import quantise_reference
    return quantise_reference(libm_log(a + 1e-4) - libm_log(b + 1e-4), bits)


def test_numpy_log_reference_agrees_on_a_scene():
    # what a user writes (np.log) agrees with the kernel except within 1 ulp of a decision
    e = _scene(48, 64)
    dxs, dys = frontend_reference(e, 2, (1, 2, 4), FW)
    _assert_codes_equal(LogGradientFrontEnd()(e), dxs, dys)


def test_batched_kernel_on_one_plane_equals_reference():
    from analogfe._ext import _logratio
    e = _scene(20, 24)
    for bits in (2, 3):
        s, m = adc.quantiser_scale(bits), 2 ** (bits - 1) - 1
        b = [np.empty((1, 20, 24), np.int8) for _ in range(2)]
        _logratio.codes_batch(e[None], FW, 1e-4, adc.LN8, s, m, False, *b)
        ref = frontend_reference(e, bits, (1,), FW, "adjacent", log=libm_log)
        for y, r in zip(b, (ref[0][0], ref[1][0])):
            np.testing.assert_array_equal(y[0], r)


@pytest.mark.parametrize("bits", [2, 3])
@pytest.mark.parametrize("fw,eps", [(FW, 1e-4), (1.0, 1e-4), (3300.0, 2.5e-3)])
def test_float32_ratio_path_is_exact_near_thresholds(bits, fw, eps):
    # pairs placed within +-1e-5 (relative) of every decision ratio: inside
    # and just outside the float32 path's band, in dx (along rows) and dy
    from analogfe._ext import _logratio
    rng = np.random.default_rng(bits)
    s, m = adc.quantiser_scale(bits), 2 ** (bits - 1) - 1
    c = eps * fw
    n = 4000
    lo = (rng.random(n) ** 3 * 2 * fw).astype(np.float32)
    ratio = np.exp((rng.integers(1, m + 1, n) - 0.5) / s)
    rel = rng.choice([0.0, 1e-9, 1e-7, 1e-6, 3e-6, 5e-6, 1e-5], n) * rng.uniform(-1, 1, n)
    hi = np.maximum(((lo + c) * ratio * (1 + rel) - c).astype(np.float32), 0)
    flip = rng.random(n) < 0.5
    a, b = np.where(flip, lo, hi), np.where(flip, hi, lo)
    d = libm_log(a.astype(np.float64) / fw + eps) - libm_log(b.astype(np.float64) / fw + eps)
    want = quantise_reference(d, bits)
    rows = np.stack([b, a, a], axis=1)[None]  # centred dx of column 1: (a, b)
    for x, got in ((rows, lambda dx, dy: dx[0, :, 1]),
                   (np.ascontiguousarray(rows.transpose(0, 2, 1)), lambda dx, dy: dy[0, 1])):
        dx, dy = np.empty(x.shape, np.int8), np.empty(x.shape, np.int8)
        _logratio.codes_batch(x, fw, eps, adc.LN8, s, m, True, dx, dy)
        np.testing.assert_array_equal(got(dx, dy), want)


@pytest.mark.parametrize("m", [1, 2, 3, 5])
@pytest.mark.parametrize("centred", [True, False])
def test_ratio_path_of_explicit_thresholds_is_exact(m, centred):
    # codes_batch with thresholds_ln (the ideal converter of learned or given
    # thresholds, decided on ratios) against the float64 log formula and the
    # thresholds kernel, with pairs within +-1e-5 of every threshold ratio
    from analogfe._ext import _logratio
    rng = np.random.default_rng(m + 10 * centred)
    t = np.sort(rng.uniform(0.05, adc.LN8, m))
    if m > 1:
        t[-1] = adc.LN8  # the clip itself is a threshold
    fw, eps, n = FW, 1e-4, 3000
    c = eps * fw
    lo = (rng.random(n) ** 3 * 2 * fw).astype(np.float32)
    rel = rng.choice([0.0, 1e-9, 1e-7, 1e-6, 3e-6, 5e-6, 1e-5, 0.3], n) * rng.uniform(-1, 1, n)
    hi = np.maximum(((lo + c) * np.exp(rng.choice(t, n)) * (1 + rel) - c).astype(np.float32), 0)
    flip = rng.random(n) < 0.5
    a, b = np.where(flip, lo, hi), np.where(flip, hi, lo)
    d = np.clip(libm_log(a.astype(np.float64) / fw + eps)
                - libm_log(b.astype(np.float64) / fw + eps), -adc.LN8, adc.LN8)
    want = np.where(d >= 0, (d[:, None] >= t).sum(1), -(-d[:, None] >= t).sum(1))
    rows = (np.stack([b, a, a], axis=1) if centred else np.stack([a, b], axis=1)[:, ::-1])[None]
    col = 1 if centred else 0
    for x, got in ((np.ascontiguousarray(rows), lambda dx, dy: dx[0, :, col]),
                   (np.ascontiguousarray(rows.transpose(0, 2, 1)), lambda dx, dy: dy[0, col])):
        for n_threads in (1, 2):
            dx, dy = np.empty(x.shape, np.int8), np.empty(x.shape, np.int8)
            _logratio.codes_batch(x, fw, eps, adc.LN8, 0.0, m, centred, dx, dy, n_threads,
                                  thresholds_ln=t)
            np.testing.assert_array_equal(got(dx, dy), want)
            ref = [np.empty(x.shape, np.int8) for _ in range(2)]
            _logratio.codes_thresholds_batch(
                x, fw, eps, adc.LN8, centred, np.zeros((1, 2) + x.shape[1:]),
                np.ascontiguousarray(np.broadcast_to(t, (4, x.shape[2], m))), *ref)
            np.testing.assert_array_equal(dx, ref[0])
            np.testing.assert_array_equal(dy, ref[1])


def test_stack_equals_frames():
    e = np.stack([_scene(seed=s) for s in range(3)])
    fe = LogGradientFrontEnd(bits=3)
    out = fe(e)
    assert out.stacked and len(out) == 3 and out.dx[1].shape == (3, 12, 16)
    for i in range(3):
        one = fe(e[i])
        _assert_codes_equal(out.frame(i), one.dx, one.dy)


def test_border_convention_and_shapes():
    e = _scene(24, 32)
    c = LogGradientFrontEnd(scales=(1, 2, 4))(e)
    assert [d.shape for d in c.dx] == [(24, 32), (12, 16), (6, 8)]
    for dx, dy in zip(c.dx, c.dy):
        assert not dx[:, [0, -1]].any() and not dy[[0, -1], :].any()
    a = LogGradientFrontEnd(scales=(1,), pairs="adjacent")(e)
    assert not a.dx[0][:, -1].any() and not a.dy[0][-1, :].any()
    assert a.dx[0][:, 0].any()


def test_bayer_quads_are_the_unit_pixel():
    rng = np.random.default_rng(0)
    e = (rng.random((25, 33)) * FW).astype(np.float32)
    c = LogGradientFrontEnd(scales=(1, 2), cfa="GRBG")(e)
    assert [d.shape for d in c.dx] == [(12, 16), (6, 8)]
    quads = bin_reference(e, 2)
    mono = LogGradientFrontEnd(scales=(1, 2))(quads)
    _assert_codes_equal(c, mono.dx, mono.dy)
    # colour is discarded: permuting the pixels inside each quad changes nothing
    swapped = e[:24, :32].reshape(12, 2, 16, 2)[:, ::-1, :, ::-1].reshape(24, 32)
    c2 = LogGradientFrontEnd(scales=(1, 2), cfa="GRBG")(np.ascontiguousarray(swapped))
    for a, b in zip(c.dx, c2.dx):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------ physics ----
@pytest.mark.parametrize("gain", [0.125, 0.5, 4.0])
def test_illumination_invariance(gain):
    rng = np.random.default_rng(2)
    e = (rng.uniform(0.01, 0.2, (32, 40)) * FW).astype(np.float32)
    fe = LogGradientFrontEnd(bits=3, eps=1e-12)
    a, b = fe(e), fe((e * np.float32(gain)).astype(np.float32))
    for x, y in zip(a.dx + a.dy, b.dx + b.dy):
        np.testing.assert_array_equal(x, y)
    # with the released eps, dark regions lose their gradients instead
    dim = LogGradientFrontEnd(bits=3)(e * np.float32(1e-4))
    assert np.abs(dim.dx[0]).sum() < np.abs(a.dx[0]).sum() / 4


def test_reachable_levels():
    # pairs of contrast 1.1:1 .. 50:1 (and their inverses) reach every level, no more
    row = []
    for r in (1.1, 1.5, 2.6, 4.6, 50.0):
        row += [100.0, 100.0 * r]
    e = np.tile(np.array(row, np.float32)[None], (5, 1))
    for bits, levels in ((2, 3), (3, 7)):
        c = LogGradientFrontEnd(bits=bits, scales=(1,), pairs="adjacent")(e)
        half = (levels - 1) // 2
        assert set(np.unique(c.dx[0]).tolist()) == set(range(-half, half + 1))


def test_two_to_one_threshold_of_one_point_five_bit():
    eps_e = 1e-4 * FW
    lo = 1000.0
    fe = LogGradientFrontEnd(bits=2, scales=(1,), pairs="adjacent")
    for ratio, code in ((2.001, 1), (1.999, 0), (1.9, 0), (2.1, 1)):
        hi = (lo + eps_e) * ratio - eps_e
        e = np.array([[lo, hi, lo]] * 3, np.float32)
        assert fe(e).dx[0][0, :2].tolist() == [code, -code], ratio


# ------------------------------------------------------- non-idealities ----
def test_non_idealities_off_by_default():
    fe = LogGradientFrontEnd()
    assert fe.ideal and fe.comparator_offset_ln == 0 and fe.comparator_noise_ln == 0
    assert fe.threshold_mismatch_ln == 0
    e = _scene()
    _assert_codes_equal(fe(e), *frontend_reference(e, log=libm_log))


def test_fixed_non_idealities_match_threshold_reference():
    e = _scene(24, 32)
    fe = LogGradientFrontEnd(bits=3, scales=(1, 2), comparator_offset_ln=0.05,
                             threshold_mismatch_ln=0.05, seed=7)
    out = fe(e)
    for i, k in enumerate((1, 2)):
        L = log_image_reference(bin_reference(e, k), FW, 1e-4, libm_log)
        dx, dy = differences_reference(L)
        thr, off = fe._converter(k, 32, L.shape[1])
        np.testing.assert_array_equal(
            out.dx[i] * (np.arange(L.shape[1]) % (L.shape[1] - 1) != 0),
            quantise_thresholds_reference(dx, thr[0], thr[1], off[0]) *
            (np.arange(L.shape[1]) % (L.shape[1] - 1) != 0))
        np.testing.assert_array_equal(
            out.dy[i][1:-1], quantise_thresholds_reference(dy, thr[2], thr[3], off[1])[1:-1])
    # fixed pattern: the same instance gives the same codes every frame, a new seed not
    _assert_codes_equal(fe(e), out.dx, out.dy)
    other = LogGradientFrontEnd(bits=3, scales=(1, 2), comparator_offset_ln=0.05,
                                threshold_mismatch_ln=0.05, seed=8)(e)
    assert any((a != b).any() for a, b in zip(other.dx, out.dx))


def test_column_pattern_does_not_depend_on_width():
    fe = LogGradientFrontEnd(comparator_offset_ln=0.1, threshold_mismatch_ln=0.1, seed=3)
    t1, o1 = fe._converter(1, 40, 40)
    t2, o2 = fe._converter(1, 80, 80)
    np.testing.assert_array_equal(o1, o2[:, :40])
    np.testing.assert_array_equal(t1, t2[:, :40])
    t4, o4 = fe._converter(4, 80, 20)
    np.testing.assert_array_equal(o4, o2[:, ::4])


def test_pixel_read_noise_is_temporal_seeded_and_from_the_sensor():
    e = np.full((24, 32), 50.0, np.float32)
    e[:, 16:] = 80.0
    assert LogGradientFrontEnd().read_noise_e == 0 and LogGradientFrontEnd().noiseless
    a = LogGradientFrontEnd(bits=3, read_noise_e=10.0, seed=2)
    b = LogGradientFrontEnd(bits=3, read_noise_e=10.0, seed=2)
    f1, f2, g1 = a(e), a(e), b(e)
    _assert_codes_equal(f1, g1.dx, g1.dy)
    assert (f1.dx[0] != f2.dx[0]).any()
    clean = LogGradientFrontEnd(bits=3)(e)
    assert (f1.dx[0] != clean.dx[0]).mean() > 0.05
    # binning averages the read noise down
    assert (f1.dx[2] != clean.dx[2]).mean() < (f1.dx[0] != clean.dx[0]).mean()
    fe = make_frontend("lg1.5", SensorConfig(read_noise_e=3.5))
    assert fe.read_noise_e == 3.5 and not fe.noiseless and fe.ideal


def test_comparator_noise_is_temporal_and_seeded():
    e = _scene()
    kw = dict(bits=3, comparator_noise_ln=0.2)
    a = LogGradientFrontEnd(seed=5, **kw)
    b = LogGradientFrontEnd(seed=5, **kw)
    f1, f2 = a(e), a(e)
    g1 = b(e)
    _assert_codes_equal(f1, g1.dx, g1.dy)  # seeded
    assert (f1.dx[0] != f2.dx[0]).any()  # new every frame
    ideal = LogGradientFrontEnd(bits=3)(e)
    frac = np.mean(f1.dx[0] != ideal.dx[0])
    assert 0.01 < frac < 0.6


# ---------------------------------------------------------- thresholds ----
def test_explicit_thresholds_match_reference():
    e = _scene(24, 32)
    ratios = [1.2, 1.8, 3.0, 6.0]
    fe = LogGradientFrontEnd(thresholds=ratios, scales=(1,))
    out = fe(e)
    assert out.levels == 9 and out.bits == 4 and fe.name == "lg9L" and fe.packing == "4bit"
    t = np.log(ratios)
    L = log_image_reference(e, FW, 1e-4, libm_log)
    dx, dy = differences_reference(L)
    np.testing.assert_array_equal(out.dx[0], quantise_thresholds_reference(dx, t, t))
    np.testing.assert_array_equal(out.dy[0], quantise_thresholds_reference(dy, t, t))


# ------------------------------------------------ bits, packing, counts ----
@pytest.mark.parametrize("bits, packing, per_code", [
    (2, None, 2), (2, "2bit", 2), (2, "base3-5in8", 1.6), (3, None, 3), (3, "base7-6in17", 17 / 6),
    (2, "8bit", 8),
])
def test_bits_per_frame_and_pack_round_trip(bits, packing, per_code):
    h, w = 40, 48
    fe = LogGradientFrontEnd(bits=bits, scales=(1, 2, 4), packing=packing)
    n = sum(hs * (ws - 2) + (hs - 2) * ws for hs, ws in [(40, 48), (20, 24), (10, 12)])
    assert fe.codes_per_frame(h, w) == n
    assert fe.bits_per_frame(h, w) == adc.packed_bits(n, fe.packing, fe.levels)
    assert abs(fe.bits_per_frame(h, w) - n * per_code) <= adc.PACKINGS[fe.packing].bits_per_group
    c = fe(_scene(h, w))
    data = fe.pack(c)
    assert data.size == math.ceil(fe.bits_per_frame(h, w) / 8)
    _assert_codes_equal(fe.unpack(data, h, w), c.dx, c.dy)
    # the parts are fed without joining them: the bytes of the joined interiors
    # (dx without its first and last column, dy without its first and last row)
    joined = np.concatenate([p.ravel() for dx, dy in zip(c.dx, c.dy)
                             for p in (dx[:, 1:-1], dy[1:-1, :])])
    np.testing.assert_array_equal(data, pack_codes_bitwise(joined, fe.packing, fe.levels))


def test_operation_counts():
    fe = LogGradientFrontEnd(bits=2, scales=(1, 2, 4))
    oc = fe.operation_counts(240, 320)
    assert oc["pixels"] == 76800 and oc["binned_pixels"] == 120 * 160 + 60 * 80
    assert oc["linear_adc_conversions"] == 0 and oc["linear_adc_bits"] == 0
    assert oc["codes"] == fe.codes_per_frame(240, 320)
    assert oc["log_comparisons"] == 2 * oc["codes"]
    assert oc["bits_off_chip"] == fe.bits_per_frame(240, 320) == 2 * oc["codes"]
    bayer = LogGradientFrontEnd(bits=3, scales=(1,), cfa="RGGB").operation_counts(240, 320)
    assert bayer["binned_pixels"] == 120 * 160 and bayer["log_comparisons"] == 3 * bayer["codes"]
    d = DigitalFrontEnd(Sensor(SensorConfig(height=8, width=8, cfa="RGGB")), "rgb")
    oc = d.operation_counts(240, 320)
    assert oc == {"pixels": 76800, "binned_pixels": 0, "linear_adc_conversions": 76800,
                  "linear_adc_bits": 921600, "codes": 230400, "log_comparisons": 0,
                  "bits_off_chip": 1843200}
    assert DigitalFrontEnd(Sensor(SensorConfig(height=8, width=8)), "gray").bits_per_frame(240, 320) \
        == 614400


# ------------------------------------------------- digital, registry, emulate ----
def test_digital_front_end_stack_and_names():
    cfg = SensorConfig(height=16, width=20, cfa="RGGB")
    fe = DigitalFrontEnd(Sensor(cfg, seed=0), "rgb")
    e = np.full((2, 16, 20), 3000.0, np.float32)
    out = fe(e)
    assert out.shape == (2, 16, 20, 3) and out.dtype == np.uint8 and fe.name == "rgb8"
    g = DigitalFrontEnd(Sensor(cfg, seed=0), "gray")(e[0])
    assert g.shape == (16, 20) and g.dtype == np.uint8


def test_registry():
    assert set(frontend.FRONTENDS) == {"rgb8", "gray8", "lg1.5", "lg2.75"}
    for name in frontend.FRONTENDS:
        assert make_frontend(name).name == name
    fe = make_frontend("lg2.75", SensorConfig(cfa="BGGR", full_well_e=5000.0), scales=(1, 2))
    assert fe.cfa == "BGGR" and fe.full_well_e == 5000.0 and fe.scales == (1, 2)
    with pytest.raises(ValueError, match="lg1.5"):
        make_frontend("lg3")


def test_emulate_paths():
    rng = np.random.default_rng(0)
    imgs = (rng.random((2, 24, 32, 3)) * 255).astype(np.uint8)
    out = emulate(imgs, "lg1.5", seed=1)
    assert isinstance(out, GradientCodes) and out.dx[0].shape == (2, 24, 32)
    again = emulate(imgs, "lg1.5", seed=1)
    _assert_codes_equal(out, again.dx, again.dy)
    one = emulate(imgs[0], "rgb8")
    assert one.shape == (24, 32, 3) and one.dtype == np.uint8
    gray = emulate(imgs[..., 0], "gray8")
    assert gray.shape == (2, 24, 32)
    # brightness scales the light: dark frames lose codes, white clips at full well
    dark = emulate(imgs[0], "lg1.5", brightness=2.0 ** -12)
    assert np.abs(dark.dx[0]).sum() < np.abs(emulate(imgs[0], "lg1.5").dx[0]).sum()
    fe = LogGradientFrontEnd(scales=(1, 2), cfa="RGGB")
    assert emulate(imgs[0], fe).dx[0].shape == (12, 16)
    with pytest.raises(ValueError, match="cfa"):
        emulate(imgs[0], fe, sensor_config=SensorConfig())
    # a digital front end of another size runs the same kind of sensor at the images' size
    d = DigitalFrontEnd(Sensor(SensorConfig(height=10, width=10)), "gray")
    assert emulate(imgs[0], d).shape == (24, 32)
    d2 = DigitalFrontEnd(Sensor(SensorConfig(height=24, width=32), seed=3), "gray")
    np.testing.assert_array_equal(emulate(imgs[0], d2, seed=3),
                                  emulate(imgs[0], "gray8", seed=3))


def test_emulate_brightness_invariance_of_codes():
    # one stop up or down barely changes 1.5-bit codes of a well-lit scene (eps, noise aside)
    from skimage import data as skdata
    img = skdata.camera()[::4, ::4]
    ref = emulate(img, "lg1.5", signal_e=4000.0)
    for b in (0.5, 2.0):
        c = emulate(img, "lg1.5", signal_e=4000.0, brightness=b)
        assert np.mean(c.dx[0] != ref.dx[0]) < 0.1


# ------------------------------------------------------------ auto-exposure --
def _lfw(n=6):
    from skimage.data import lfw_subset
    return (lfw_subset()[:n] * 255).astype(np.uint8)


@pytest.mark.parametrize("name", ["rgb8", "gray8", "lg1.5", "lg2.75"])
def test_fixed_exposure_is_the_plain_pipeline(name):
    # exposure="fixed" is the emulation without AE, byte for byte: unprocess,
    # one expose of the stack at signal_e * brightness, the front end
    from analogfe.scene import unprocess

    imgs = _lfw()
    if name == "rgb8":
        imgs = np.repeat(imgs[..., None], 3, axis=-1)
    cfg = SensorConfig(cfa=frontend.FRONTENDS[name].cfa, height=25, width=25)
    out = emulate(imgs, name, seed=4, brightness=0.125, exposure="fixed")
    fe = make_frontend(name, cfg, seed=4)
    sensor = fe.sensor if isinstance(fe, DigitalFrontEnd) else Sensor(cfg, seed=4)
    ref = fe(sensor.expose(unprocess(imgs, cfa=cfg.cfa), signal_e=cfg.full_well_e * 0.125))
    if name.startswith("lg"):
        _assert_codes_equal(out, ref.dx, ref.dy)
    else:
        assert out.dtype == ref.dtype and np.array_equal(out, ref)
    assert np.array_equal(codes_or_image(emulate(imgs, name, seed=4, brightness=0.125,
                                                 exposure=None)), codes_or_image(out))


def codes_or_image(out):
    return np.concatenate([d.ravel() for d in out.dx + out.dy]) if isinstance(
        out, GradientCodes) else out


def test_auto_exposure_brightens_the_dark_digital_image_and_per_image():
    from analogfe.scene import unprocess
    from analogfe.sensor import AutoExposure
    from analogfe.sensor.exposure import saturation_e

    imgs = _lfw()
    fixed = emulate(imgs, "gray8", seed=1, brightness=2.0 ** -5, exposure="fixed")
    auto = emulate(imgs, "gray8", seed=1, brightness=2.0 ** -5)  # the default
    assert fixed.mean() < 25 and 60 < auto.mean() < 160
    # each image is metered on its own: one image alone gets the same setting
    one = emulate(imgs[2], "gray8", seed=1, brightness=2.0 ** -5)
    assert abs(float(one.mean()) - float(auto[2].mean())) < 3.0
    # the same at k = 0 and at k = -5 up to noise (exposure 3x, then gain)
    k0 = emulate(imgs, "gray8", seed=1)
    assert abs(float(k0.mean()) - float(auto.mean())) < 6.0
    # the auto setting is the documented one: target 18 % of the saturation signal
    cfg = SensorConfig(height=25, width=25)
    ae = AutoExposure()
    raw = unprocess(imgs)
    s = ae.settings(raw, cfg.full_well_e * 2.0 ** -5, cfg)
    reached = s.metered_e * s.exposure * s.gain
    on_target = s.gain < ae.max_gain
    assert on_target.sum() >= 4 and (s.gain[~on_target] == ae.max_gain).all()
    np.testing.assert_allclose(reached[on_target], 0.18 * saturation_e(cfg), rtol=1e-9)
    assert (reached[~on_target] < 0.18 * saturation_e(cfg)).all()
    assert (s.exposure == ae.max_exposure_s / ae.nominal_exposure_s).all()
    # no gain available: darker than with gain
    no_gain = emulate(imgs, "gray8", seed=1, brightness=2.0 ** -5,
                      exposure=AutoExposure(max_gain=1.0))
    assert no_gain.mean() < auto.mean() / 3


def test_auto_exposure_of_a_log_gradient_front_end_is_exposure_time_only():
    from analogfe.scene import unprocess
    from analogfe.sensor import AutoExposure

    imgs = _lfw()
    cfg = SensorConfig(height=25, width=25)
    out = emulate(imgs, "lg1.5", seed=2, brightness=2.0 ** -5)
    fe = make_frontend("lg1.5", cfg, seed=2)
    e, s = AutoExposure().expose(Sensor(cfg, seed=2), unprocess(imgs),
                                 signal_e=cfg.full_well_e * 2.0 ** -5)
    assert (s.gain > 1.0).all()  # a digital front end would also get gain here
    ref = fe(e)
    _assert_codes_equal(out, ref.dx, ref.dy)


def test_a_gain_before_the_log_ratio_converter_only_rescales_eps():
    # (g a + eps FW) / (g b + eps FW) = (a + eps/g FW) / (b + eps/g FW): a
    # power-of-two gain scales every float exactly, so the codes are equal
    e = _scene(24, 32)
    g = 4.0
    amplified = LogGradientFrontEnd(scales=(1, 2), eps=1e-4)(e * np.float32(g))
    ref = LogGradientFrontEnd(scales=(1, 2), eps=1e-4 / g)(e)
    _assert_codes_equal(amplified, ref.dx, ref.dy)


def test_emulate_exposure_errors():
    img = np.zeros((16, 16), np.uint8)
    with pytest.raises(ValueError, match="unknown exposure 'manual'; valid: 'auto', 'fixed'"):
        emulate(img, "gray8", exposure="manual")
    with pytest.raises(TypeError, match="exposure"):
        emulate(img, "gray8", exposure=2.0)
    with pytest.raises(ValueError, match="gain"):
        DigitalFrontEnd(Sensor(SensorConfig(height=16, width=16)), "gray")(
            np.zeros((16, 16), np.float32), gain=0.0)


# ------------------------------------------------------------ bad input ----
@pytest.mark.parametrize("kw, exc, match", [
    ({"bits": 4}, ValueError, "bits"), ({"bits": "2"}, TypeError, "bits"),
    ({"scales": (0, 1)}, ValueError, "scales"), ({"scales": (1.5,)}, TypeError, "scales"),
    ({"scales": ()}, ValueError, "scales"), ({"scales": (1, 1)}, ValueError, "scales"),
    ({"scales": 2}, TypeError, "scales"),
    ({"pairs": "diagonal"}, ValueError, "pairs"), ({"packing": "zip"}, ValueError, "packing"),
    ({"packing": "base3-5in8", "bits": 3}, ValueError, "packing"),
    ({"cfa": "RGBW"}, ValueError, "cfa"), ({"full_well_e": 0.0}, ValueError, "full_well_e"),
    ({"eps": -1.0}, ValueError, "eps"), ({"read_noise_e": -1.0}, ValueError, "read_noise_e"), ({"comparator_noise_ln": -0.1}, ValueError, "comparator_noise_ln"),
    ({"comparator_offset_ln": float("nan")}, ValueError, "comparator_offset_ln"),
    ({"threshold_mismatch_ln": -1}, ValueError, "threshold_mismatch_ln"),
    ({"thresholds": [3.0, 2.0]}, ValueError, "thresholds"),
    ({"scales": (1, 2.0)}, TypeError, "scales\\[1\\] must be an integer"),
    ({"scales": "12"}, TypeError, "scales must be a sequence of ints"),
    ({"scales": {1: 2}}, TypeError, "scales must be a sequence of ints"),
    # noise beyond any real pixel or converter: np.float32(1e300) is inf, codes from NaN
    ({"read_noise_e": 1e300}, ValueError, "read_noise_e must be <= 1000000.0"),
    ({"comparator_offset_ln": 1e300}, ValueError, "comparator_offset_ln must be <= 10.0"),
    ({"comparator_noise_ln": 11.0}, ValueError, "comparator_noise_ln must be <= 10.0"),
    ({"threshold_mismatch_ln": 1e9}, ValueError, "threshold_mismatch_ln must be <= 10.0"),
])
def test_bad_constructor_arguments(kw, exc, match):
    with pytest.raises(exc, match=match):
        LogGradientFrontEnd(**kw)


@pytest.mark.parametrize("e, exc, match", [
    (np.zeros(10, np.float32), ValueError, "electrons"),
    (np.zeros((1, 2, 3, 4), np.float32), ValueError, "electrons"),
    (np.zeros((0, 8), np.float32), ValueError, "electrons"),
    (np.full((8, 8), np.nan, np.float32), ValueError, "electrons"),
    (np.full((8, 8), -1.0, np.float32), ValueError, "electrons"),
    (np.full((8, 8), "a"), TypeError, "electrons"),
    (np.zeros((8, 8), np.float32), ValueError, "scales"),  # scale 4 of 8 pixels is 2 < 3
])
def test_bad_electrons(e, exc, match):
    with pytest.raises(exc, match=match):
        LogGradientFrontEnd()(e)


def test_non_contiguous_input_is_accepted():
    e = _scene(24, 64)
    fe = LogGradientFrontEnd(scales=(1, 2))
    _assert_codes_equal(fe(e[:, ::2]), *frontend_reference(np.ascontiguousarray(e[:, ::2]),
                                                           scales=(1, 2), log=libm_log))


def test_bad_sizes_and_emulate_arguments():
    fe = LogGradientFrontEnd()
    for bad in (0, -1):
        with pytest.raises(ValueError, match="height"):
            fe.bits_per_frame(bad, 10)
    with pytest.raises(TypeError, match="width"):
        fe.operation_counts(10, 2.5)
    img = np.zeros((16, 16), np.uint8)
    with pytest.raises(ValueError, match="frontend"):
        emulate(img, "lg9")
    with pytest.raises(TypeError, match="frontend"):
        emulate(img, 3)
    with pytest.raises(ValueError, match="brightness"):
        emulate(img, "lg1.5", brightness=0.0)
    with pytest.raises(ValueError, match="images_srgb"):
        emulate(np.zeros((2, 8, 8, 4), np.uint8), "lg1.5")
    with pytest.raises(ValueError, match="images_srgb"):
        emulate(np.zeros(8, np.uint8), "lg1.5")
    with pytest.raises(ValueError, match="signal_e"):
        emulate(img, "lg1.5", signal_e=-1.0)
    with pytest.raises(TypeError, match="codes"):
        fe.pack(np.zeros(3))


def test_digital_front_end_bad_input():
    with pytest.raises(TypeError, match="sensor"):
        DigitalFrontEnd(SensorConfig(), "rgb")
    with pytest.raises(ValueError, match="output"):
        DigitalFrontEnd(Sensor(SensorConfig(height=8, width=8)), "yuv")
    fe = DigitalFrontEnd(Sensor(SensorConfig(height=8, width=8)), "gray")
    with pytest.raises(ValueError, match="electrons"):
        fe(np.zeros((8, 9), np.float32))
    with pytest.raises(ValueError, match="electrons"):
        fe(np.full((8, 8), -5.0, np.float32))
    with pytest.raises(TypeError, match="sensor_config"):
        make_frontend("lg1.5", sensor_config={"cfa": None})


@pytest.mark.parametrize("name", ["rgb8", "gray8", "lg1.5", "lg2.75"])
def test_emulate_an_object_as_its_name_and_repeatably(name):
    """emulate depends on its arguments only: a front end built with the seed
    emulates as its name does, and a second call repeats the first (the
    object's generator state does not leak from one call into the next)."""
    from analogfe.frontend import emulate, make_frontend
    from analogfe.sensor import SensorConfig

    rng = np.random.default_rng(1)
    X = rng.integers(0, 256, (3, 24, 32, 3), dtype=np.uint8)
    cfa = "RGGB" if name == "rgb8" else None
    cfg = SensorConfig(height=24, width=32, cfa=cfa, read_noise_e=3.0)
    fe = make_frontend(name, sensor_config=cfg, seed=7)

    def arrays(out):
        return [out] if isinstance(out, np.ndarray) else list(out.dx) + list(out.dy)

    by_name = arrays(emulate(X, name, sensor_config=cfg, seed=7))
    for _ in range(2):
        got = arrays(emulate(X, fe, sensor_config=cfg, seed=7))
        assert all(np.array_equal(a, b) for a, b in zip(got, by_name, strict=True))
    other = arrays(emulate(X, fe, sensor_config=cfg, seed=8))
    assert not all(np.array_equal(a, b) for a, b in zip(other, by_name, strict=True))


@pytest.mark.parametrize("shape", [(1, 8, 8), (2, 37, 53), (1, 30, 41), (3, 17, 22)])
def test_fused_binning_of_scales_2_and_4_equals_two_binnings(shape):
    # one pass gives k = 2 and k = 4 bit for bit as two bin_mean calls, and
    # flags NaN, infinity and negative values anywhere (dropped rows included)
    from analogfe._ext import _binning

    rng = np.random.default_rng(shape[1])
    x = (rng.random(shape) * 5000).astype(np.float32)
    n, h, w = shape
    for t in (1, 2, 5):
        o2 = np.empty((n, h // 2, w // 2), np.float32)
        o4 = np.empty((n, h // 4, w // 4), np.float32)
        assert not _binning.bin_mean_2_4(x, o2, o4, t)
        np.testing.assert_array_equal(_bits(o2), _bits(bin_image(x, 2, n_threads=1)))
        np.testing.assert_array_equal(_bits(o4), _bits(bin_image(x, 4, n_threads=1)))
    for value in (np.nan, np.inf, -1e-3):
        for where in ((0, 0, 0), (n - 1, h - 1, w - 1), (n - 1, h // 2, w - 1)):
            y = x.copy()
            y[where] = value
            assert _binning.bin_mean_2_4(y, o2, o4, 2), (value, where)


@pytest.mark.parametrize("value, match", [(np.nan, "NaN"), (-1.0, "negative"),
                                          (np.inf, "infinity")])
def test_front_end_names_bad_electrons_on_the_fused_path(value, match):
    fe = LogGradientFrontEnd(bits=2, scales=(1, 2, 4))
    x = np.full((2, 16, 16), 100.0, np.float32)
    x[1, 15, 15] = value
    with pytest.raises(ValueError, match=f"electrons.*{match}|{match}.*electrons"):
        fe(x)
    with pytest.raises(ValueError, match="electrons"):
        fe(np.full((16, 16), 1e39))


def test_pixel_read_noise_is_the_sensor_stream_and_thread_independent():
    # the front end's pixel read noise: max(float32(e + sigma * z), 0) with z
    # the paired 32-bit ziggurat normals of each (frame, 32-row block) stream,
    # as the transcription in tests/reference_sensor.py draws them
    from reference_sensor import block_streams

    from analogfe._ext import _sensor

    rng = np.random.default_rng(3)
    x = (rng.random((2, 70, 9)) * 20).astype(np.float32)
    seeds = np.array([11, 2**63 + 5], np.uint64)
    for t in (1, 2, 3):
        out = np.empty_like(x)
        _sensor.pixel_noise(x, 4.0, seeds, out, t)
        for f in range(2):
            for rows, gen in block_streams(70, int(seeds[f])):
                block = x[f, rows.start:rows.stop].ravel()
                z = np.array(gen.normal_pairs(block.size))
                want = np.maximum((block.astype(np.float64) + 4.0 * z).astype(np.float32), 0)
                np.testing.assert_array_equal(out[f, rows.start:rows.stop].ravel(), want)
    # a noisy front end: the same codes for any thread count
    fe = LogGradientFrontEnd(bits=3, read_noise_e=5.0)
    e = (rng.random((3, 40, 44)) * 3000).astype(np.float32)
    want = fe.with_noise_seed(7)(e, n_threads=1)
    for t in (2, 3):
        got = fe.with_noise_seed(7)(e, n_threads=t)
        for a, b in zip(want.dx + want.dy, got.dx + got.dy):
            np.testing.assert_array_equal(a, b)
