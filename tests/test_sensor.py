"""Tests of analogfe.sensor: config, the noise kernels against their references,
reproducibility, the physics, and bad input."""
import copy
import math
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analogfe import sensor as sn
from analogfe._ext import _sensor
from analogfe.sensor import Sensor, SensorConfig, electrons_from_lux

sys.path.insert(0, str(Path(__file__).parent))
import reference_sensor as ref  # noqa: E402

SMALL = SensorConfig(height=12, width=16)


# ------------------------------------------------------------------- config --
def test_config_dict_round_trip_and_replace():
    c = SensorConfig(height=8, width=10, cfa="RGGB", adc_dnl_lsb=0.2)
    assert SensorConfig.from_dict(c.to_dict()) == c
    c2 = c.replace(read_noise_e=3.0)
    assert c2.read_noise_e == 3.0 and c.read_noise_e == 2.0
    with pytest.raises(ValueError, match="unknown SensorConfig key 'gain'.*gain_dn_per_e"):
        SensorConfig.from_dict({"gain": 1})
    with pytest.raises(ValueError, match="valid:"):
        c.replace(colour="x")
    with pytest.raises(Exception):
        c.height = 3  # frozen
    assert c.shape == (8, 10) and c.max_dn == 4095


@pytest.mark.parametrize("field, value, err", [
    ("height", 0, ValueError), ("height", 2.5, TypeError), ("width", -3, ValueError),
    ("full_well_e", 0.0, ValueError), ("full_well_e", math.inf, ValueError),
    ("read_noise_e", -1.0, ValueError), ("dark_current_e_per_s", -0.1, ValueError),
    ("prnu", 1.5, ValueError), ("dsnu_e", -1.0, ValueError),
    ("gain_dn_per_e", 0.0, ValueError), ("gain_dn_per_e", "1", TypeError),
    ("adc_bits", 17, ValueError), ("adc_bits", True, TypeError),
    ("black_level_dn", 4095, ValueError), ("black_level_dn", -1, ValueError),
    ("cfa", "RGBW", ValueError), ("adc_inl_lsb", -0.5, ValueError),
    ("adc_dnl_lsb", 2.0, ValueError), ("read_noise_e", math.nan, ValueError),
])
def test_config_validation_names_field(field, value, err):
    with pytest.raises(err, match=field):
        SensorConfig(**{field: value})


# ------------------------------------------------- kernels vs the references --
def test_rng_stream_matches_reference():
    out = np.empty(500)
    _sensor.uniforms(2**64 - 1, out)
    r = ref.XoshiroRef(2**64 - 1)
    assert [r.uniform() for _ in range(500)] == out.tolist()
    _sensor.normal(11, out)
    r = ref.XoshiroRef(11)
    assert [r.normal() for _ in range(500)] == out.tolist()
    out = np.empty(20001)  # odd: the last normal alone takes a new word
    _sensor.normal_pairs(12, out)
    assert ref.XoshiroRef(12).normal_pairs(out.size) == out.tolist()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**64 - 1), scale=st.sampled_from([0.0, 3.0, 30.0, 3e3, 3e5]))
def test_poisson_sampler_same_draws_as_reference(seed, scale):
    lam = np.random.default_rng(seed % 2**32).random(60) * scale
    out = np.empty(60)
    _sensor.poisson(lam, seed, out)
    r = ref.XoshiroRef(seed)
    assert [r.poisson(v) for v in lam] == out.tolist()


def test_poisson_edge_means_same_draws_as_reference():
    # means at the sampler switch (10) and where mu - 1.1484 is an integer (step I)
    # and on and just below the small-mean table's grid points j / 16
    grid = np.arange(1, 160) / 16.0
    lam = np.concatenate([np.arange(11, 80) + 1.1484, np.nextafter(10.0, [0.0, 20.0]),
                          [1e-300, 5e-324, 1e14], grid[::7], np.nextafter(grid[::5], 0.0)])
    lam = np.repeat(lam, 20)
    out = np.empty(lam.size)
    _sensor.poisson(lam, 2024, out)
    r = ref.XoshiroRef(2024)
    assert [r.poisson(v) for v in lam] == out.tolist()


def test_block_seeds_match_reference():
    assert _sensor.BLOCK_ROWS == ref.BLOCK_ROWS
    for seed in (0, 1, 2**63, 2**64 - 1):
        seeds = [_sensor.block_seed(seed, b) for b in range(200)]
        assert seeds == [ref.block_seed(seed, b) for b in range(200)]
        assert len(set(seeds)) == len(seeds)


# frames of up to 3 row blocks (the last one shorter), up to 3 frames, 1-3 threads
_TALL = st.sampled_from([1, 2, 5, ref.BLOCK_ROWS, ref.BLOCK_ROWS + 1, 2 * ref.BLOCK_ROWS + 7])


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 3), h=_TALL, w=st.integers(1, 4), seed=st.integers(0, 2**64 - 1),
       signal_e=st.floats(0.0, 5e4), dark=st.floats(0.0, 20.0),
       full_well=st.floats(10.0, 2e4), n_threads=st.integers(1, 3))
def test_expose_kernel_same_draws_as_reference(n, h, w, seed, signal_e, dark, full_well,
                                               n_threads):
    g = np.random.default_rng(seed % 2**32)
    scene = g.random((n, h, w), dtype=np.float32)
    prnu = (1 + 0.05 * g.standard_normal((h, w))).astype(np.float32)
    seeds = np.array([seed] + g.integers(0, 2**64, n - 1, dtype=np.uint64).tolist(), np.uint64)
    # one signal and dark level per frame (an auto-exposed stack)
    signals, darks = signal_e * g.uniform(0.1, 1.0, n), dark * g.uniform(0.1, 1.0, n)
    out = np.empty((n, h, w), np.float32)
    _sensor.expose(scene, prnu, signals, darks, full_well, seeds, out, n_threads)
    for f in range(n):
        want = ref.expose_exact(scene[f], prnu, signals[f], darks[f], full_well, int(seeds[f]))
        np.testing.assert_array_equal(out[f], want)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 3), h=_TALL, w=st.integers(1, 5), seed=st.integers(0, 2**64 - 1),
       read_noise=st.sampled_from([0.0, 0.7, 5.0]), gain=st.floats(0.01, 4.0),
       bits=st.integers(4, 12), nonlinear=st.booleans(), n_threads=st.integers(1, 3))
def test_readout_kernel_same_draws_as_reference(n, h, w, seed, read_noise, gain, bits,
                                                nonlinear, n_threads):
    cfg = SensorConfig(height=h, width=w, adc_bits=bits, black_level_dn=3,
                       adc_inl_lsb=1.5 * nonlinear, adc_dnl_lsb=0.4 * nonlinear)
    thr = Sensor(cfg, seed=seed % 97).adc_thresholds_dn
    g = np.random.default_rng(seed % 2**32)
    e = (g.random((n, h, w)) * 1.2 * cfg.max_dn / gain).astype(np.float32)
    e[:, 0, 0] = 0.0  # a dark pixel: a negative offset takes it below the black level
    # offsets of a few DN either way: some outputs clip at 0 DN
    dsnu = (4.0 / gain * g.standard_normal((h, w))).astype(np.float32)
    gains = gain * (1.0 + g.random(n))  # one conversion gain per frame
    seeds = np.array([seed] + g.integers(0, 2**64, n - 1, dtype=np.uint64).tolist(), np.uint64)
    out = np.empty((n, h, w), np.uint16)
    _sensor.readout(e, dsnu, read_noise, gains, 3.0, thr, cfg.max_dn, seeds, out, n_threads)
    for f in range(n):
        want = ref.readout_exact(e[f], dsnu, read_noise, gains[f], 3.0, thr, cfg.max_dn,
                                 int(seeds[f]))
        np.testing.assert_array_equal(out[f], want)


def test_sensor_uses_the_kernels_with_its_frame_seeds():
    cfg = SensorConfig(height=2 * ref.BLOCK_ROWS + 5, width=7)  # three row blocks
    s = Sensor(cfg, seed=4)
    scene = np.random.default_rng(0).random(cfg.shape, dtype=np.float32)
    rng = copy.deepcopy(s._rng)
    e = s.expose(scene, signal_e=800.0, exposure_s=0.5)
    seed = int(rng.integers(0, 2**64, dtype=np.uint64))
    want = ref.expose_exact(scene, s.prnu_gain, 800.0, cfg.dark_current_e_per_s * 0.5,
                            cfg.full_well_e, seed)
    np.testing.assert_array_equal(e, want)
    dn = s.readout(e)
    seed = int(rng.integers(0, 2**64, dtype=np.uint64))  # the next frame seed
    want = ref.readout_exact(e, s.dsnu_offset_e, 2.0, cfg.gain_dn_per_e, 64.0,
                             s.adc_thresholds_dn, cfg.max_dn, seed)
    np.testing.assert_array_equal(dn, want)


@pytest.mark.parametrize("shape", [(100, 37), (3, 100, 37), (1, 5, 8)])
@pytest.mark.parametrize("adc", [{}, {"adc_inl_lsb": 1.0, "adc_dnl_lsb": 0.3}])
def test_same_bits_whatever_the_thread_count(shape, adc):
    cfg = SensorConfig(height=shape[-2], width=shape[-1], **adc)
    scene = np.random.default_rng(1).random(shape, dtype=np.float32)
    scene[..., :10, :] *= 0.001  # small means (table sampler) and large ones (PD)
    gain = 1.0 if len(shape) == 2 else np.linspace(1.0, 4.0, shape[0])
    results = []
    for n_threads in (1, 2, 3, 64):
        s = Sensor(cfg, seed=3)
        e = s.expose(scene, signal_e=3000.0, n_threads=n_threads)
        results.append((e, s.readout(e, gain, n_threads=n_threads),
                        s.capture(scene, n_threads=n_threads)))
    for got in results[1:]:
        for a, b in zip(results[0], got):
            np.testing.assert_array_equal(a, b)


def test_stack_is_one_call_with_the_frames_seeds():
    # a stack draws the seeds its frames would draw one by one: the same frames
    cfg = SensorConfig(height=40, width=24)
    scene = np.random.default_rng(2).random((4,) + cfg.shape, dtype=np.float32)
    a, b = Sensor(cfg, seed=6), Sensor(cfg, seed=6)
    ea = a.expose(scene, n_threads=2)
    eb = np.stack([b.expose(f, n_threads=1) for f in scene])
    np.testing.assert_array_equal(ea, eb)
    np.testing.assert_array_equal(a.readout(ea, [1.0, 2.0, 3.0, 4.0], n_threads=3),
                                  np.stack([b.readout(f, g) for f, g in zip(eb, (1, 2, 3, 4))]))


def _capture_in_child(n_threads):
    s = Sensor(SensorConfig(height=70, width=20), seed=0)
    return s.capture(np.full(s.config.shape, 0.5, np.float32), n_threads=n_threads)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_sensor_in_a_forked_child_after_threads_in_the_parent():
    # GNU OpenMP hangs in a forked child whose parent ran a parallel region:
    # the child runs the kernels on one thread, with the same result
    import multiprocessing

    want = _capture_in_child(2)  # the parent's parallel regions
    with multiprocessing.get_context("fork").Pool(2) as pool:
        got = pool.map(_capture_in_child, [2, 3], chunksize=1)
    for g in got:
        np.testing.assert_array_equal(g, want)


# ---------------------------------------------------------- statistical tests --
def test_sampler_tables_match_independent_computation():
    ki, wi, fi = _sensor.ziggurat_tables()
    k2, w2, f2 = ref.ziggurat_tables_reference()
    np.testing.assert_array_equal(ki, np.array(k2, np.uint64))
    np.testing.assert_allclose(wi, w2, rtol=1e-15)
    np.testing.assert_allclose(fi, f2, rtol=1e-15)
    # every layer has the same area v (Marsaglia & Tsang 2000): x_{i+1} (f_i - f_{i+1})
    x = wi * 2.0**52
    area = x[2:] * (fi[1:-1] - fi[2:])
    np.testing.assert_allclose(area, ref.ZIG_V, rtol=1e-9)
    np.testing.assert_allclose(fi[1:], np.exp(-0.5 * x[1:] ** 2), rtol=1e-12)
    # the 32-bit words' tables (read noise): the same layers, 23-bit abscissae
    ki32, wi32 = _sensor.ziggurat_tables32()
    k3, w3, _ = ref.ziggurat_tables_reference(bits=23)
    np.testing.assert_array_equal(ki32, np.array(k3, np.uint32))
    np.testing.assert_allclose(wi32, w3, rtol=1e-15)
    np.testing.assert_allclose(wi32 * 2.0**23, x, rtol=1e-15)
    # small-mean Poisson tables: CDF of Poisson(j / 16) against scipy, and each
    # guide entry the first k with cdf[k] >= i / 32 of the kernel's own row
    cdf, guide = _sensor.poisson_tables()
    cdf2, guide2 = ref.poisson_tables_reference()
    np.testing.assert_allclose(cdf, cdf2, rtol=1e-13, atol=1e-15)
    assert np.all(np.diff(cdf, axis=1) >= 0) and np.all(cdf[:, -1] == 1.0)
    own = [[np.searchsorted(row, i / 32, side="left") for i in range(32)] for row in cdf]
    np.testing.assert_array_equal(guide, own)
    assert np.mean(guide == guide2) > 0.99


@pytest.mark.parametrize("lam", [0.01, 0.0625, 0.2, 0.99, 3.0, 5.53, 9.99, 10.0, 11.3, 23.7,
                                 47.0, 1234.5, 1e5])
def test_poisson_sampler_chi_square(lam):
    n = 40000
    out = np.empty(n)
    _sensor.poisson(np.full(n, lam), 12345, out)
    lo, hi = stats.poisson.ppf([1e-4, 1 - 1e-4], lam)
    edges = np.arange(lo, hi + 2) - 0.5
    edges[0], edges[-1] = -np.inf, np.inf
    observed = np.histogram(out, edges)[0]
    expected = n * np.diff(stats.poisson.cdf(edges, lam))
    keep = expected > 5
    chi2 = ((observed[keep] - expected[keep]) ** 2 / expected[keep]).sum()
    p = stats.chi2.sf(chi2, keep.sum() - 1)
    assert p > 1e-3, (lam, chi2, p)
    assert abs(out.mean() - lam) < 5 * math.sqrt(lam / n)


@pytest.mark.parametrize("sampler", [_sensor.normal, _sensor.normal_pairs])
def test_normal_sampler_ks(sampler):
    out = np.empty(50000)
    sampler(99, out)
    assert stats.kstest(out, "norm").pvalue > 1e-3
    assert abs(out.mean()) < 0.02 and abs(out.std() - 1) < 0.01
    # the pairs are independent: no correlation between the two halves
    assert abs(np.corrcoef(out[0::2], out[1::2])[0, 1]) < 0.03
    # the tail beyond the ziggurat's base (|x| > 3.654) is drawn too
    big = np.empty(2_000_000)
    sampler(7, big)
    tail = np.abs(big) > ref.ZIG_R
    expected = big.size * 2 * stats.norm.sf(ref.ZIG_R)
    assert abs(tail.sum() - expected) < 5 * math.sqrt(expected)


def test_expose_readout_statistics_match_numpy_reference():
    cfg = SensorConfig(height=64, width=64, prnu=0.02, dsnu_e=2.0, read_noise_e=3.0,
                       gain_dn_per_e=0.5, adc_bits=12)
    s = Sensor(cfg, seed=1)
    scene = np.full((32,) + cfg.shape, 0.4, np.float32)
    dn = s.capture(scene, signal_e=5000.0, exposure_s=0.1).astype(np.float64)
    want = np.stack([ref.capture_numpy(s, scene[0], 5000.0, 0.1, np.random.default_rng(i))
                     for i in range(32)]).astype(np.float64)
    # mean and temporal variance: same model, independent draws
    mu_e = 0.4 * 5000 + cfg.dark_current_e_per_s * 0.1
    mean_dn = 64 + 0.5 * (0.4 * 5000 * s.prnu_gain.mean() + 0.5 + s.dsnu_offset_e.mean())
    sigma_mean = math.sqrt(0.25 * mu_e / dn.size)
    assert abs(dn.mean() - mean_dn) < 5 * sigma_mean
    assert abs(want.mean() - mean_dn) < 5 * sigma_mean
    np.testing.assert_allclose(dn.var(0, ddof=1).mean(), want.var(0, ddof=1).mean(),
                               rtol=0.03)
    # the model's temporal variance: K^2 (mu_e + sigma_read^2) + 1/12
    model = 0.25 * (mu_e * np.mean(s.prnu_gain) + 9.0) + 1 / 12
    np.testing.assert_allclose(dn.var(0, ddof=1).mean(), model, rtol=0.03)


#: Signal levels (mean photo-electrons) of the cross-check with the emva1288
#: simulator: above the dark level, where the package clips the charge plus
#: read noise at 0 e-, and below the full well, where it clips it too.
PEER_LEVELS_E = (200.0, 1000.0, 3000.0, 7000.0)


def test_statistics_agree_with_emva1288_simulator():
    # The same linear camera model (EMVA 1288) in the standard's reference
    # simulator, at our settings and with our fixed pattern: per signal level
    # the mean DN and the temporal variance (over 64 frames, per pixel, then
    # averaged over 16384 pixels: a relative error of 0.18 % each) agree
    # within 1 %. Quantisation noise removed first: 1/12 DN^2 ours (rounding),
    # 1/6 DN^2 the package's (a uniform dither of 1 DN, then rounding).
    pytest.importorskip("emva1288")
    cfg = SensorConfig(height=128, width=128)
    s = Sensor(cfg, seed=0)
    t, n = 0.033, 64
    cam = ref.emva1288_camera(s, t, seed=1)
    for mu_e in PEER_LEVELS_E:
        scene = np.full((n,) + cfg.shape, mu_e / 2000.0, np.float32)
        ours = ref.temporal_stats(s.capture(scene, signal_e=2000.0, exposure_s=t))
        rad = ref.emva1288_radiance(cam, mu_e)
        peer = ref.temporal_stats([cam.grab(rad) for _ in range(n)])
        black = cfg.black_level_dn
        assert ours[0] == pytest.approx(peer[0], rel=0.01)
        assert ours[0] - black == pytest.approx(peer[0] - black, rel=0.01)
        assert ours[1] - 1 / 12 == pytest.approx(peer[1] - 1 / 6, rel=0.01), mu_e
        # and both are the model's: K^2 (mu_e + dark + sigma_read^2)
        model = cfg.gain_dn_per_e**2 * (mu_e * s.prnu_gain.mean()
                                        + cfg.dark_current_e_per_s * t + cfg.read_noise_e**2)
        assert ours[1] - 1 / 12 == pytest.approx(model, rel=0.01), mu_e


# ---------------------------------------------------------- reproducibility --
def test_seeds_fixed_pattern_and_temporal_noise():
    scene = np.full(SMALL.shape, 0.5, np.float32)
    a, b, c = Sensor(SMALL, seed=7), Sensor(SMALL, seed=7), Sensor(SMALL, seed=8)
    np.testing.assert_array_equal(a.prnu_gain, b.prnu_gain)
    np.testing.assert_array_equal(a.dsnu_offset_e, b.dsnu_offset_e)
    assert not np.array_equal(a.prnu_gain, c.prnu_gain)
    fa, fb = a.capture(scene), b.capture(scene)
    np.testing.assert_array_equal(fa, fb)  # same seed, same frames
    assert not np.array_equal(a.capture(scene), fa)  # next frame: new temporal noise
    stack = a.expose(np.stack([scene, scene]))
    assert stack.shape == (2,) + SMALL.shape and not np.array_equal(stack[0], stack[1])
    # a stack is the same as its frames one after the other (one seed per frame)
    x, y = Sensor(SMALL, seed=9), Sensor(SMALL, seed=9)
    frames = np.stack([scene, 0.5 * scene, 2 * scene])
    electrons = [y.expose(f) for f in frames]
    np.testing.assert_array_equal(x.capture(frames),
                                  np.stack([y.readout(e) for e in electrons]))
    # the fixed pattern does not depend on the ADC settings
    d = Sensor(SMALL.replace(adc_dnl_lsb=0.3), seed=7)
    np.testing.assert_array_equal(d.prnu_gain, a.prnu_gain)


# ------------------------------------------------------------------ physics --
def test_full_well_dark_and_adc_clipping():
    # the quantisation-limited preset's ADC (K = 0.1, 10 bits) clips below the full well
    cfg = SMALL.replace(dsnu_e=0.0, prnu=0.0, gain_dn_per_e=0.1, adc_bits=10)
    s = Sensor(cfg, seed=0)
    e = s.expose(np.full(cfg.shape, 5.0, np.float32), signal_e=1e4)
    np.testing.assert_array_equal(e, cfg.full_well_e)
    assert (s.readout(e) == cfg.max_dn).all()  # 64 + 0.1 * 1e4 > 1023: ADC clips
    dark = s.expose(np.zeros((50,) + cfg.shape, np.float32), exposure_s=2.0)
    assert abs(dark.mean() - 10.0) < 0.3 and abs(dark.var() - 10.0) < 1.0
    quiet = Sensor(cfg.replace(read_noise_e=0.0), seed=0)
    e = np.random.default_rng(0).random(cfg.shape).astype(np.float32) * 5000
    np.testing.assert_array_equal(quiet.readout(e),
                                  np.minimum(np.floor(e * 0.1 + 64.5), 1023))


def test_dsnu_is_an_offset_of_the_readout_not_of_the_charge():
    # EMVA 1288: the DSNU is an offset of the output. A dark exposure without
    # dark current holds no charge at all, and the readout adds the whole
    # offset, negative half included (the black level keeps it above 0 DN).
    # With the offset on the charge, clipped at 0 e-, the negative half was lost.
    cfg = SensorConfig(height=64, width=64, full_well_e=3000.0, dsnu_e=2.0,
                       dark_current_e_per_s=0.0, read_noise_e=0.0, gain_dn_per_e=1.0,
                       adc_bits=12, black_level_dn=100)
    s = Sensor(cfg, seed=0)
    dark = s.expose(np.zeros((2,) + cfg.shape, np.float32), exposure_s=0.2)
    np.testing.assert_array_equal(dark, 0.0)
    off = s.dsnu_offset_e.astype(np.float64)
    assert (off < -4.0).sum() > 50  # the test needs strongly negative offsets
    np.testing.assert_array_equal(s.readout(dark), np.floor(off + 100.5)[None].repeat(2, 0))
    # full-well clipping acts on the charge only: a saturated pixel keeps its offset
    full = s.expose(np.full(cfg.shape, 2.0, np.float32), signal_e=cfg.full_well_e)
    np.testing.assert_array_equal(full, cfg.full_well_e)
    np.testing.assert_array_equal(s.readout(full), np.floor(off + cfg.full_well_e + 100.5))


def test_dark_frames_per_pixel_mean_is_black_level_plus_offset():
    # with read noise (3 e-, K = 1: sigma 3.01 DN) the average of 64 dark frames
    # is black + K * offset within 5 standard errors (0.38 DN) in every pixel,
    # and the per-pixel temporal std is the read noise's; the offsets clipped
    # at 0 e- missed by up to 3 * dsnu_e = 6 DN
    cfg = SensorConfig(height=64, width=64, dsnu_e=2.0, dark_current_e_per_s=0.0,
                       read_noise_e=3.0, gain_dn_per_e=1.0, adc_bits=12, black_level_dn=100)
    s = Sensor(cfg, seed=1)
    n = 64
    dn = s.capture(np.zeros((n,) + cfg.shape, np.float32), exposure_s=0.2).astype(np.float64)
    sigma = math.sqrt(9.0 + 1.0 / 12.0)
    err = dn.mean(axis=0) - (100.0 + s.dsnu_offset_e)
    assert np.abs(err).max() < 5 * sigma / math.sqrt(n)
    # the spatial std of the dark signal is the DSNU (pattern std), not less
    avg_std = math.sqrt(dn.mean(axis=0).var(ddof=1) - sigma**2 / n)
    assert avg_std == pytest.approx(float(s.dsnu_offset_e.std()), rel=0.02)
    assert dn.std(axis=0, ddof=1).mean() == pytest.approx(sigma, rel=0.02)


def test_prnu_and_dsnu_are_fixed_and_sized():
    cfg = SensorConfig(height=100, width=100, prnu=0.03, dsnu_e=4.0)
    s = Sensor(cfg, seed=3)
    assert abs(s.prnu_gain.std() - 0.03) < 0.002 and abs(s.prnu_gain.mean() - 1) < 0.002
    assert abs(s.dsnu_offset_e.std() - 4.0) < 0.2


def test_adc_inl_dnl():
    cfg = SensorConfig(height=4, width=4, adc_bits=10, adc_inl_lsb=2.0, adc_dnl_lsb=0.3)
    t = Sensor(cfg, seed=0).adc_thresholds_dn
    assert t.shape == (1023,) and (np.diff(t) >= 0).all()
    dnl = np.diff(t) - 1
    assert abs(dnl.std() - 0.3) < 0.03
    inl = t - (np.arange(1, 1024) - 0.5)
    assert abs(inl.max() - 2.0) < 1.0 and abs(inl[:20].mean()) < 0.5
    assert Sensor(SensorConfig(), seed=0).adc_thresholds_dn.size == 0


def test_electrons_from_lux():
    assert sn.PHOTONS_PER_LUX_S_M2 == pytest.approx(4.09e15, rel=1e-3)
    e = electrons_from_lux(1000.0, 2.0, 5.0, 0.6, 0.033)
    want = 1000.0 / 16.0 * 4.0913e15 * 25e-12 * 0.6 * 0.033
    assert e == pytest.approx(want, rel=1e-3)
    assert electrons_from_lux(500.0, 4.0, 5.0, 0.6, 0.033) == pytest.approx(e / 8)
    assert electrons_from_lux(1000.0, 2.0, 5.0, 0.6, 0.033, reflectance=0.18) == \
        pytest.approx(0.18 * e)
    for kw, name in [({"f_number": 0.0}, "f_number"), ({"lux": -1.0}, "lux"),
                     ({"quantum_efficiency": 1.5}, "quantum_efficiency"),
                     ({"pixel_pitch_um": -2.0}, "pixel_pitch_um")]:
        args = dict(lux=10.0, f_number=2.0, pixel_pitch_um=5.0, quantum_efficiency=0.5,
                    exposure_s=0.01)
        args.update(kw)
        with pytest.raises(ValueError, match=name):
            electrons_from_lux(**args)


# ---------------------------------------------------------------- bad input --
@pytest.mark.parametrize("scene, err", [
    (np.zeros((12, 15), np.float32), ValueError),         # shape mismatch
    (np.zeros((1, 1, 12, 16), np.float32), ValueError),   # ndim
    (np.zeros(16, np.float32), ValueError),               # ndim
    (np.zeros((0, 12, 16), np.float32), ValueError),      # empty
    (np.full((12, 16), np.nan, np.float32), ValueError),
    (np.full((12, 16), np.inf, np.float32), ValueError),
    (np.full((12, 16), -0.1, np.float32), ValueError),    # negative light
    (np.zeros((12, 16), np.uint8), TypeError),            # dtype
    (None, TypeError),
])
def test_expose_bad_scene(scene, err):
    with pytest.raises(err, match="scene"):
        Sensor(SMALL, seed=0).expose(scene)


def test_bad_arguments():
    s = Sensor(SMALL, seed=0)
    ok = np.zeros(SMALL.shape, np.float32)
    with pytest.raises(ValueError, match="signal_e"):
        s.expose(ok, signal_e=-1.0)
    with pytest.raises(ValueError, match="exposure_s"):
        s.expose(ok, exposure_s=math.nan)
    with pytest.raises(ValueError, match="signal_e"):
        s.expose(np.full(SMALL.shape, 1e12, np.float32), signal_e=1e4)
    # huge electron counts still read out at the top code
    big = np.full(SMALL.shape, 3e38, np.float32)
    assert (s.readout(big) == SMALL.max_dn).all()
    assert (s.expose(np.full(SMALL.shape, 1e9, np.float32), signal_e=1e5)
            == SMALL.full_well_e).all()
    with pytest.raises(ValueError, match="electrons"):
        s.readout(np.full(SMALL.shape, -1.0, np.float32))
    with pytest.raises(ValueError, match="electrons"):
        s.readout(np.zeros((3, 3), np.float32))
    with pytest.raises(TypeError, match="electrons"):
        s.readout(np.zeros(SMALL.shape, np.int16))
    with pytest.raises(TypeError, match="config"):
        Sensor({"height": 3}, seed=0)
    with pytest.raises(TypeError, match="seed"):
        Sensor(SMALL, seed=1.5)
    ok = np.ones(SMALL.shape, np.float32)
    for call in (lambda n: s.expose(ok, n_threads=n), lambda n: s.readout(ok, n_threads=n),
                 lambda n: s.capture(ok, n_threads=n)):
        with pytest.raises(ValueError, match="n_threads"):
            call(0)
        with pytest.raises(TypeError, match="n_threads"):
            call(1.5)


def test_non_contiguous_input_gives_the_same_frames():
    scene = np.random.default_rng(0).random((16, 12), dtype=np.float32).T  # F-order
    a, b = Sensor(SMALL, seed=5), Sensor(SMALL, seed=5)
    np.testing.assert_array_equal(a.expose(scene), b.expose(np.ascontiguousarray(scene)))
    big = np.zeros((24, 32), np.float64)[::2, ::2]  # strided float64
    np.testing.assert_array_equal(a.capture(big), b.capture(np.zeros(SMALL.shape)))


# ------------------------------------------------- hardening: no crash, names --
_REPLACE_ATTRIBUTES = r"""
import numpy as np
from analogfe._ext import _sensor
from analogfe.sensor import Sensor, SensorConfig

s = Sensor(SensorConfig(height=8, width=8), seed=0)
big = SensorConfig(height=2000, width=2000)
for name, value in (("config", big), ("prnu_gain", np.ones((2, 2), np.float32)),
                    ("dsnu_offset_e", np.ones((2, 2), np.float32)),
                    ("adc_thresholds_dn", np.ones(2)), ("seed", 5)):
    try:
        setattr(s, name, value)
    except AttributeError:
        pass
    else:
        print("assigned", name)
# what the replaced attributes used to lead to: a 2000 x 2000 scene with the
# 8 x 8 pattern arrays (also straight into the kernels, which now check)
scene = np.ones((2000, 2000), np.float32)
seeds, gains = np.ones(1, np.uint64), np.full(1, 0.1)
for call in (lambda: s.expose(scene),
             lambda: _sensor.expose(scene[None], s.prnu_gain, gains, gains, 1e4, seeds,
                                    np.empty((1, 2000, 2000), np.float32), 2),
             lambda: _sensor.readout(scene[None], s.dsnu_offset_e, 1.0, gains, 64.0,
                                     s.adc_thresholds_dn, 1023, seeds,
                                     np.empty((1, 2000, 2000), np.uint16), 2),
             lambda: _sensor.readout(scene[None], np.zeros((2000, 2000), np.float32), 1.0,
                                     gains, 64.0, s.adc_thresholds_dn, 1023, seeds,
                                     np.empty((1, 8, 8), np.uint16), 2),
             lambda: _sensor.expose(scene[None], np.ones((2000, 2000), np.float32), gains,
                                    gains, 1e4, np.ones(3, np.uint64),
                                    np.empty((1, 2000, 2000), np.float32), 2),
             lambda: _sensor.readout(scene[None], np.zeros((2000, 2000), np.float32), 1.0,
                                     np.ones(2), 64.0, s.adc_thresholds_dn, 1023, seeds,
                                     np.empty((1, 2000, 2000), np.uint16), 2)):
    try:
        call()
    except ValueError:
        pass
    else:
        print("no ValueError")
for a in (s.prnu_gain, s.dsnu_offset_e, s.adc_thresholds_dn):
    if a.flags.writeable:
        print("writeable")
print("done")
"""


def test_replacing_attributes_raises_never_crashes():
    # in a subprocess: before the fix the expose kernel read past the 8 x 8
    # pattern arrays (a segfault in the production build)
    import subprocess

    res = subprocess.run([sys.executable, "-c", _REPLACE_ATTRIBUTES],
                         capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 0, (res.returncode, res.stderr[-2000:])
    assert res.stdout.split() == ["done"], res.stdout


def test_attributes_read_only_in_process():
    s = Sensor(SMALL, seed=0)
    for name in ("config", "prnu_gain", "dsnu_offset_e", "adc_thresholds_dn", "seed"):
        with pytest.raises(AttributeError):
            setattr(s, name, getattr(s, name))
    with pytest.raises(ValueError, match="read-only"):
        s.prnu_gain[0, 0] = 1e30  # would also bypass the mean check
    # copies stay locked and equal
    import pickle

    for t in (copy.deepcopy(s), pickle.loads(pickle.dumps(s))):
        assert not t.prnu_gain.flags.writeable and not t.dsnu_offset_e.flags.writeable
        np.testing.assert_array_equal(t.prnu_gain, s.prnu_gain)
        assert t.config == s.config


def test_error_messages_name_the_culprit():
    with pytest.raises(ValueError, match="adc_bits=2.*black_level_dn=64.*adc_bits >= 7"):
        SensorConfig(adc_bits=2)
    SensorConfig(adc_bits=7)  # the suggested width is enough
    with pytest.raises(ValueError, match="adc_bits >= 2"):
        SensorConfig(adc_bits=1, black_level_dn=1)
    with pytest.raises(ValueError, match="seed"):
        Sensor(SMALL, seed=-1)
    s = Sensor(SMALL, seed=0)
    ok = np.ones(SMALL.shape, np.float32)
    for t in (1e300, 1e12, sn.MAX_EXPOSURE_S * 1.001):
        with pytest.raises(ValueError, match="exposure_s"):
            s.expose(ok, exposure_s=t)
    s.expose(ok, exposure_s=sn.MAX_EXPOSURE_S)


def test_fixed_pattern_memory():
    # the fixed pattern is drawn in row blocks: the float64 normals of a whole
    # frame (two of them, and their float64 products) are never held; the peak
    # is the two float32 arrays plus one block (before: 4x the two arrays)
    import tracemalloc

    cfg = SensorConfig(height=1000, width=1200)
    Sensor(SensorConfig(height=4, width=4), seed=0)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        s = Sensor(cfg, seed=0)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    pattern = s.prnu_gain.nbytes + s.dsnu_offset_e.nbytes
    assert peak < 1.5 * pattern, (peak, pattern)


def test_fixed_pattern_drawn_in_blocks_same_values(monkeypatch):
    # the row-block draw gives the values of one whole-frame float64 draw,
    # rounded to float32 (blocks of 2 rows and a ragged last block here)
    from analogfe.sensor import model

    cfg = SensorConfig(height=13, width=17, prnu=0.9, dsnu_e=3.0, adc_dnl_lsb=0.2)
    monkeypatch.setattr(model, "_PATTERN_BLOCK_PIXELS", 40)
    s = Sensor(cfg, seed=11)
    rng = np.random.default_rng(11)
    z_gain, z_off = rng.standard_normal(cfg.shape), rng.standard_normal(cfg.shape)
    z_adc = rng.standard_normal(cfg.max_dn)
    want_gain = np.maximum(1.0 + cfg.prnu * z_gain, 0.0).astype(np.float32)
    assert (want_gain == 0).any()  # the clip is exercised
    np.testing.assert_array_equal(s.prnu_gain, want_gain)
    np.testing.assert_array_equal(s.dsnu_offset_e, (cfg.dsnu_e * z_off).astype(np.float32))
    np.testing.assert_array_equal(s.adc_thresholds_dn, model._adc_thresholds(cfg, z_adc))
    assert s.prnu_gain.dtype == s.dsnu_offset_e.dtype == np.float32
    # and the same as the default block size
    monkeypatch.undo()
    t = Sensor(cfg, seed=11)
    np.testing.assert_array_equal(t.prnu_gain, s.prnu_gain)
    np.testing.assert_array_equal(t.dsnu_offset_e, s.dsnu_offset_e)
