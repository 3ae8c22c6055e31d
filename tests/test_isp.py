"""Tests of analogfe.scene: transfer functions, unprocessing, CFA kernels, minimal ISP."""
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analogfe import scene as isp
from analogfe.frontend import process as _isp_process
from analogfe.scene.camera import DEFAULT_RGB_GAIN
from analogfe.sensor import SensorConfig

sys.path.insert(0, str(Path(__file__).parent))
from reference_isp import (  # noqa: E402
    demosaic_reference,
    mosaic_reference,
    process_numpy,
    process_whole_frame,
)


def _smooth_rgb(h=48, w=64, seed=0):
    """A smooth colourful test image (gradients, no pixel noise), uint8."""
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    r = 0.5 + 0.4 * np.sin(3 * x + 1)
    g = 0.5 + 0.4 * np.cos(2 * y + 2 * x)
    b = 0.5 + 0.4 * np.sin(4 * y)
    return np.round(np.stack([r, g, b], -1) * 255).astype(np.uint8)


# ----------------------------------------------------------------- transfer --
def test_srgb_to_linear_known_values():
    # IEC 61966-2-1: 0.5 -> ((0.5 + 0.055) / 1.055) ** 2.4 = 0.21404114
    v = isp.srgb_to_linear(np.array([0.0, 0.04045, 0.5, 1.0]))
    np.testing.assert_allclose(v, [0.0, 0.04045 / 12.92, 0.21404114, 1.0], rtol=1e-6)
    assert v.dtype == np.float32
    u8 = isp.srgb_to_linear(np.array([0, 128, 255], np.uint8))
    u16 = isp.srgb_to_linear(np.array([0, 128 * 257, 65535], np.uint16))
    np.testing.assert_allclose(u8, u16, rtol=1e-6)


def test_srgb_to_linear_of_integer_codes_is_the_float_formula():
    # uint8 / uint16 codes are looked up in a table: the same float32 numbers
    # as the formula on code / 255 (or / 65535), any shape, empty refused
    rng = np.random.default_rng(0)
    for dt, top in ((np.uint8, 255), (np.uint16, 65535)):
        a = rng.integers(0, top + 1, (3, 7, 5)).astype(dt)
        a.flat[:2] = (0, top)
        x = np.clip(a / float(top), 0.0, 1.0)
        want = np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4).astype(np.float32)
        got = isp.srgb_to_linear(a)
        assert got.dtype == np.float32 and got.shape == a.shape
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(isp.srgb_to_linear(a[:, ::2]), want[:, ::2])
        with pytest.raises(ValueError, match="empty"):
            isp.srgb_to_linear(np.zeros((0, 3), dt))


def test_srgb_round_trip():
    x = np.linspace(0, 1, 1001)
    np.testing.assert_allclose(isp.linear_to_srgb(isp.srgb_to_linear(x)), x, atol=2e-6)


def test_rgb_to_gray_rec709_and_skimage():
    from skimage.color import rgb2gray

    rgb = np.random.default_rng(0).random((5, 6, 3))
    g = isp.rgb_to_gray(rgb)
    np.testing.assert_allclose(g, rgb @ [0.2126, 0.7152, 0.0722], rtol=1e-6)
    np.testing.assert_allclose(g, rgb2gray(rgb), atol=1e-3)  # skimage: 0.2125/0.7154/0.0721


@pytest.mark.parametrize("bad, err", [
    (np.array(["a"]), TypeError), (np.zeros(0, np.uint8), ValueError),
    (np.array([np.nan]), ValueError), (np.array([1, 2], np.int64), TypeError),
    (None, TypeError)])
def test_srgb_to_linear_bad_input(bad, err):
    with pytest.raises(err, match="image_srgb"):
        isp.srgb_to_linear(bad)


def test_rgb_to_gray_bad_input():
    with pytest.raises(ValueError, match="rgb"):
        isp.rgb_to_gray(np.zeros((4, 4, 4)))


# ---------------------------------------------------------------------- CFA --
@settings(max_examples=40, deadline=None)
@given(h=st.integers(2, 11), w=st.integers(2, 11), cfa=st.sampled_from(isp.CFA_PATTERNS),
       seed=st.integers(0, 2**32 - 1))
def test_cfa_kernels_equal_reference(h, w, cfa, seed):
    rgb = np.random.default_rng(seed).random((h, w, 3), dtype=np.float32)
    raw = isp.mosaic(rgb, cfa)
    np.testing.assert_array_equal(raw, mosaic_reference(rgb, cfa))
    np.testing.assert_array_equal(isp.demosaic(raw, cfa), demosaic_reference(raw, cfa))


def test_demosaic_properties():
    rng = np.random.default_rng(1)
    raw = rng.random((10, 12), dtype=np.float32)
    for cfa in isp.CFA_PATTERNS:
        rgb = isp.demosaic(raw, cfa)
        np.testing.assert_array_equal(isp.mosaic(rgb, cfa), raw)  # samples kept
    flat = isp.demosaic(np.full((6, 8), 0.25, np.float32), "RGGB")
    np.testing.assert_array_equal(flat, 0.25)
    # a linear ramp is reproduced exactly by bilinear interpolation (interior)
    ramp = np.tile(np.arange(12, dtype=np.float32), (10, 1))
    rgb = isp.demosaic(isp.mosaic(np.repeat(ramp[..., None], 3, -1), "GRBG"), "GRBG")
    np.testing.assert_allclose(rgb[1:-1, 1:-1], np.repeat(ramp[1:-1, 1:-1, None], 3, -1))


def test_cfa_stacks_and_bad_input():
    rgb = np.random.default_rng(2).random((3, 6, 8, 3), dtype=np.float32)
    raw = isp.mosaic(rgb, "BGGR")
    assert raw.shape == (3, 6, 8)
    np.testing.assert_array_equal(raw[1], isp.mosaic(rgb[1], "BGGR"))
    assert isp.demosaic(raw, "BGGR").shape == (3, 6, 8, 3)
    with pytest.raises(ValueError, match="cfa.*'RGGB'"):
        isp.mosaic(rgb, "RGBG")
    with pytest.raises(ValueError, match="rgb"):
        isp.mosaic(rgb[..., :2], "RGGB")
    with pytest.raises(ValueError, match="raw"):
        isp.demosaic(np.zeros((1, 5), np.float32), "RGGB")
    with pytest.raises(ValueError, match="raw"):
        isp.demosaic(np.zeros(5, np.float32), "RGGB")
    with pytest.raises(TypeError, match="raw"):
        isp.demosaic(np.zeros((4, 4), np.uint8), "RGGB")
    with pytest.raises(ValueError, match="raw"):
        isp.demosaic(np.full((4, 4), np.inf, np.float32), "RGGB")
    nc = np.asfortranarray(rgb[0])
    np.testing.assert_array_equal(isp.mosaic(nc, "RGGB"), isp.mosaic(rgb[0], "RGGB"))


@pytest.mark.parametrize("big", [1e39, -1e300, np.finfo(np.float64).max])
def test_cfa_reject_float64_beyond_float32(big):
    # finite float64 values above the float32 range would come back as inf
    # after the cast to float32: rejected, naming the argument
    rgb = np.full((4, 4, 3), 0.5)
    rgb[1, 2, 0] = big
    with pytest.raises(ValueError, match="rgb has values beyond the float32 range"):
        isp.mosaic(rgb, "RGGB")
    with pytest.raises(ValueError, match="raw has values beyond the float32 range"):
        isp.demosaic(rgb[..., 0], "RGGB")
    # the float32 extremes themselves are kept, and stay finite
    edge = np.full((4, 4), np.finfo(np.float32).max, np.float32)
    assert np.isfinite(isp.demosaic(edge, "RGGB")).all()


def test_cfa_big_endian_input_equals_native():
    rgb = np.random.default_rng(3).random((6, 8, 3))
    np.testing.assert_array_equal(isp.mosaic(rgb.astype(">f8"), "GRBG"), isp.mosaic(rgb, "GRBG"))
    raw = rgb[..., 0].astype(np.float32)
    np.testing.assert_array_equal(isp.demosaic(raw.astype(">f4")), isp.demosaic(raw))


# --------------------------------------------------------------- unprocess --
def test_unprocess_monochrome_is_luminance():
    img = _smooth_rgb()
    raw = isp.unprocess(img)
    assert raw.shape == img.shape[:2] and raw.dtype == np.float32
    np.testing.assert_allclose(raw, isp.rgb_to_gray(isp.srgb_to_linear(img)), rtol=1e-6)
    gray = img[..., 1]
    np.testing.assert_array_equal(isp.unprocess(gray), isp.srgb_to_linear(gray))


def test_unprocess_bayer_steps():
    img = _smooth_rgb()
    raw = isp.unprocess(img, cfa="RGGB")
    assert raw.shape == img.shape[:2] and 0.0 <= raw.min() and raw.max() <= 1.0
    # undo by hand: the mosaic of (ccm @ linear) / (wb * rgb_gain) away from highlights
    p = isp.unprocess_params(None)
    cam = isp.srgb_to_linear(img).astype(np.float64) @ p["rgb_to_cam"].T
    cam = np.clip(cam / (p["wb_gains"] * p["rgb_gain"]), 0, 1)
    np.testing.assert_allclose(raw, mosaic_reference(cam.astype(np.float32), "RGGB"),
                               atol=1e-6)
    # white stays white: the colour matrix rows sum to 1
    np.testing.assert_allclose(p["rgb_to_cam"].sum(1), 1.0)


def test_unprocess_preserves_highlights():
    # Brooks et al.'s safe inverse gains: white stays white, no false colour
    white = np.full((6, 8, 3), 255, np.uint8)
    np.testing.assert_allclose(isp.unprocess(white, "RGGB"), 1.0, rtol=1e-6)
    mid = isp.unprocess(np.full((6, 8, 3), 128, np.uint8), "RGGB")
    # mid gray: red and blue divided by their white-balance gains
    g = isp.srgb_to_linear(np.uint8(128)) / DEFAULT_RGB_GAIN
    assert mid[0, 0] == pytest.approx(g / 2.15, rel=1e-5)   # R site
    assert mid[0, 1] == pytest.approx(g, rel=1e-5)          # G site
    assert mid[1, 1] == pytest.approx(g / 1.7, rel=1e-5)    # B site


def test_unprocess_seed_and_stacks():
    img = _smooth_rgb(16, 20)
    a = isp.unprocess(img, "GBRG", seed=3)
    np.testing.assert_array_equal(a, isp.unprocess(img, "GBRG", seed=3))
    assert not np.array_equal(a, isp.unprocess(img, "GBRG", seed=4))
    np.testing.assert_array_equal(isp.unprocess(img, "GBRG"), isp.unprocess(img, "GBRG"))
    stack = np.stack([img, img[::-1]])
    out = isp.unprocess(stack, "GBRG")
    assert out.shape == (2, 16, 20)
    np.testing.assert_array_equal(out[1], isp.unprocess(img[::-1], "GBRG"))
    assert isp.unprocess(stack[..., 0]).shape == (2, 16, 20)  # gray stack
    assert isp.unprocess(stack[..., 0], "RGGB").shape == (2, 16, 20)


def test_unprocess_bad_input():
    with pytest.raises(ValueError, match="cfa"):
        isp.unprocess(np.zeros((4, 4), np.uint8), cfa="XYZW")
    with pytest.raises(ValueError, match="image_srgb"):
        isp.unprocess(np.zeros((2, 3, 4, 5), np.uint8))
    with pytest.raises(ValueError, match="image_srgb"):
        isp.unprocess(np.zeros(7, np.uint8))
    with pytest.raises(ValueError, match="image_srgb"):
        isp.unprocess(np.full((4, 4), np.nan))
    with pytest.raises(TypeError, match="image_srgb"):
        isp.unprocess(np.zeros((4, 4), np.int32))
    with pytest.raises(TypeError, match="seed"):
        isp.unprocess(np.zeros((4, 4, 3), np.uint8), "RGGB", seed="x")


# ------------------------------------------------------------------ process --
def _ideal_dn(raw, cfg):
    """Noise-free DN of a linear raw image (scene 1.0 = white level)."""
    white = cfg.saturation_dn
    return np.floor(raw * (white - cfg.black_level_dn) + cfg.black_level_dn + 0.5).astype(
        np.uint16)


def test_process_inverts_unprocess():
    img = _smooth_rgb()
    for cfa in isp.CFA_PATTERNS:
        cfg = SensorConfig(height=48, width=64, cfa=cfa, adc_bits=16, gain_dn_per_e=4.0,
                           black_level_dn=256)
        out = _isp_process(_ideal_dn(isp.unprocess(img, cfa), cfg), cfg,
                          digital_gain=DEFAULT_RGB_GAIN)
        assert out.shape == img.shape and out.dtype == np.uint8
        err = np.abs(out.astype(float) - img)[2:-2, 2:-2]
        assert err.mean() < 1.0 and err.max() <= 6, (cfa, err.mean(), err.max())
        gray = _isp_process(_ideal_dn(isp.unprocess(img, cfa), cfg), cfg, output="gray",
                           digital_gain=DEFAULT_RGB_GAIN)
        assert gray.shape == img.shape[:2]


def test_process_monochrome():
    img = _smooth_rgb()[..., 0]
    cfg = SensorConfig(height=48, width=64, adc_bits=16, gain_dn_per_e=4.0)
    dn = _ideal_dn(isp.unprocess(img), cfg)
    gray = _isp_process(dn, cfg, output="gray")
    assert np.abs(gray.astype(int) - img).max() <= 1
    rgb = _isp_process(dn, cfg)
    assert rgb.shape == img.shape + (3,)
    np.testing.assert_array_equal(rgb[..., 2], gray)
    stack = _isp_process(np.stack([dn, dn]), cfg, output="gray")
    np.testing.assert_array_equal(stack[1], gray)


def test_process_black_and_white_levels():
    cfg = SensorConfig(height=2, width=2, adc_bits=10, black_level_dn=64)
    dn = np.array([[0, 64], [600, 1023]], np.uint16)
    out = _isp_process(dn, cfg, output="gray")
    assert out[0, 0] == 0 and out[0, 1] == 0 and out[1, 1] == 255
    # 600 DN: (600 - 64) / (1023 - 64) linear, sRGB encoded
    want = np.floor(isp.linear_to_srgb(np.array([(600 - 64) / 959])) * 255 + 0.5)
    assert out[1, 0] == want[0]


def _diff_to_reference(got, want):
    """(largest |difference| in DN, number of values that differ)."""
    d = np.abs(got.astype(int) - want.astype(int))
    return int(d.max()), int(np.count_nonzero(d))


@pytest.mark.parametrize("block", [1, 2, 3, 32])
def test_process_row_blocks_equal_numpy(monkeypatch, block):
    # the kernel's row blocks (1 row each, odd sizes, ragged last blocks, halos
    # at the frame edges) against the numpy ISP, whole frames and row blocks:
    # within 1 DN, and in practice equal (only the order of the colour
    # matrix's three products may differ from BLAS)
    from analogfe.frontend import isp as isp_module

    monkeypatch.setattr(isp_module, "_BLOCK_ROWS", block)
    rng = np.random.default_rng(block)
    k = n_diff = n_all = 0
    for shape in [(2, 2), (3, 5), (9, 7), (2, 13, 11), (33, 17)]:
        h, w = shape[-2:]
        for cfa in (None,) + isp.CFA_PATTERNS:
            cfg = SensorConfig(height=h, width=w, cfa=cfa, adc_bits=12, black_level_dn=16)
            dn = rng.integers(0, 4096, size=shape, dtype=np.uint16)
            for output in ("rgb", "gray"):
                kw = [{}, {"digital_gain": 1.7},
                      {"white_balance": [1.9, 1.0, 1.4],
                       "ccm": np.eye(3) + 0.1 * rng.standard_normal((3, 3))}][k % 3]
                if cfa is None:
                    kw.pop("white_balance", None), kw.pop("ccm", None)
                k += 1
                got = _isp_process(dn, cfg, output=output, **kw)
                for ref in (process_whole_frame, process_numpy):
                    worst, n = _diff_to_reference(got, ref(dn, cfg, output=output, **kw))
                    assert worst <= 1, (shape, cfa, output, kw)
                    n_diff, n_all = n_diff + n, n_all + got.size
    assert n_diff <= 1e-4 * n_all, (n_diff, n_all)


@settings(max_examples=60, deadline=None)
@given(cfa=st.sampled_from((None,) + isp.CFA_PATTERNS), output=st.sampled_from(("rgb", "gray")),
       h=st.integers(2, 40), w=st.integers(2, 40), n=st.sampled_from((None, 3)),
       bits=st.integers(8, 16), black=st.integers(0, 200), gain=st.floats(0.0, 4.0),
       custom=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_process_within_one_dn_of_numpy(cfa, output, h, w, n, bits, black, gain, custom, seed):
    # random mosaics, every CFA and monochrome, random levels, gains and
    # colour matrices: at most 1 DN from the numpy ISP; the share of values
    # that differ is bounded (in practice none)
    rng = np.random.default_rng(seed)
    cfg = SensorConfig(height=h, width=w, cfa=cfa, adc_bits=bits, black_level_dn=black,
                       gain_dn_per_e=0.01 * 2 ** bits)
    dn = rng.integers(0, 2 ** bits, size=(h, w) if n is None else (n, h, w), dtype=np.uint16)
    kw = {"digital_gain": gain}
    if custom:
        kw["white_level_dn"] = float(black + 1 + rng.integers(1, 2 ** bits))
        if cfa is not None:
            kw["white_balance"] = rng.uniform(0.3, 3.0, 3)
            kw["ccm"] = np.eye(3) + 0.3 * rng.standard_normal((3, 3))
    got = _isp_process(dn, cfg, output=output, **kw)
    worst, n_diff = _diff_to_reference(got, process_numpy(dn, cfg, output=output, **kw))
    assert worst <= 1 and n_diff <= max(1, 1e-3 * got.size), (worst, n_diff, got.size)


def test_process_large_frames_within_one_dn_and_share_reported():
    # larger random mosaics of each CFA (and monochrome): the share of values
    # that differ from the numpy ISP, printed (pytest -s), bounded at 1e-5
    rng = np.random.default_rng(7)
    for cfa in (None,) + isp.CFA_PATTERNS:
        cfg = SensorConfig(height=120, width=160, cfa=cfa, adc_bits=12, black_level_dn=64)
        dn = rng.integers(0, 4096, size=(2,) + cfg.shape, dtype=np.uint16)
        for output in ("rgb", "gray"):
            got = _isp_process(dn, cfg, output=output, digital_gain=1.3)
            worst, n_diff = _diff_to_reference(
                got, process_numpy(dn, cfg, output=output, digital_gain=1.3))
            print(f"isp {cfa} {output}: max {worst} DN, {n_diff} of {got.size} values differ")
            assert worst <= 1 and n_diff <= 1e-5 * got.size


def test_process_monochrome_every_dn_equals_numpy():
    # the whole input domain of a monochrome sensor: every uint16 DN, exactly
    # the numpy ISP's code (float32 normalise and gain, gamma table)
    dn = np.arange(65536, dtype=np.uint16).reshape(256, 256)
    for bits, black, gain in ((16, 0, 1.0), (16, 4096, 2.5), (12, 64, 1.0), (10, 64, 0.7)):
        cfg = SensorConfig(height=256, width=256, adc_bits=bits, black_level_dn=black,
                           gain_dn_per_e=2.0 ** bits)
        for output in ("gray", "rgb"):
            np.testing.assert_array_equal(
                _isp_process(dn, cfg, output=output, digital_gain=gain),
                process_numpy(dn, cfg, output=output, digital_gain=gain))


def test_gamma_table_equals_srgb_rounding():
    # the kernel's table gives floor(255 * linear_to_srgb(v) + 0.5) exactly:
    # at every switching point and its neighbours (one ulp either side), at
    # every cell edge, and on a dense grid of 2**22 + 1 values and 2**20
    # random ones; base[i] + (v >= thr[i]) evaluated here in numpy
    from analogfe.frontend.isp import GAMMA_CELLS, _gamma_table, _to_uint8

    base, thr = _gamma_table()
    assert base.shape == thr.shape == (GAMMA_CELLS + 1,)
    assert base[0] == 0 and base[-1] == 255
    t = np.sort(thr[thr < 2.0])
    v = np.concatenate([t, np.nextafter(t, 0.0), np.nextafter(t, 1.0),
                        np.arange(GAMMA_CELLS + 1) / GAMMA_CELLS,
                        np.linspace(0.0, 1.0, 2 ** 22 + 1),
                        np.random.default_rng(0).random(2 ** 20),
                        np.random.default_rng(1).random(2 ** 16) * 0.01])
    i = (v * GAMMA_CELLS).astype(np.intp)
    np.testing.assert_array_equal(base[i] + (v >= thr[i]), _to_uint8(v))
    # the code never decreases with the linear value (the table relies on it)
    assert (np.diff(_to_uint8(np.linspace(0.0, 1.0, 2 ** 22 + 1)).astype(int)) >= 0).all()


def test_process_threads_bit_identical_and_batch_is_one_call():
    rng = np.random.default_rng(3)
    for cfa in (None, "GRBG"):
        cfg = SensorConfig(height=70, width=37, cfa=cfa, adc_bits=12)
        dn = rng.integers(0, 4096, size=(5,) + cfg.shape, dtype=np.uint16)
        for output in ("rgb", "gray"):
            one = _isp_process(dn, cfg, output=output, n_threads=1)
            for n_threads in (2, 3, 64, None):
                np.testing.assert_array_equal(
                    _isp_process(dn, cfg, output=output, n_threads=n_threads), one)
            np.testing.assert_array_equal(
                np.stack([_isp_process(f, cfg, output=output, n_threads=2) for f in dn]), one)


@pytest.mark.parametrize("output", ["rgb", "gray"])
def test_process_fast_path_same_bytes_as_exact_path(monkeypatch, output):
    # the kernel's float32 fast path (AVX2 builds) keeps a code only where its
    # error bound settles it and recomputes the rest exactly: the bytes of the
    # exact path everywhere, on mosaics of every 16-bit DN (shuffled, so that
    # linear values are dense in [0, 1] and many lie next to a step of the
    # 8-bit curve), every CFA, odd sizes (the scalar tail of a row), digital
    # gains up to the largest the fast path takes, and random colour matrices
    from analogfe.frontend import isp as isp_module

    rng = np.random.default_rng(12)
    dn = rng.permutation(65536).astype(np.uint16).reshape(256, 256)
    for cfa, (h, w) in zip(isp.CFA_PATTERNS, [(256, 256), (255, 253), (131, 256), (64, 9)]):
        cfg = SensorConfig(height=h, width=w, cfa=cfa, adc_bits=16, black_level_dn=0,
                           gain_dn_per_e=10.0)
        for kw in ({}, {"digital_gain": 0.37}, {"digital_gain": 7.3},
                   {"digital_gain": 20.0, "ccm": np.eye(3)},
                   {"white_balance": rng.uniform(0.3, 3.0, 3),
                    "ccm": np.eye(3) + 0.3 * rng.standard_normal((3, 3))}):
            got = _isp_process(dn[:h, :w], cfg, output=output, **kw)
            monkeypatch.setattr(isp_module, "_FAST", False)
            want = _isp_process(dn[:h, :w], cfg, output=output, **kw)
            monkeypatch.setattr(isp_module, "_FAST", True)
            np.testing.assert_array_equal(got, want, err_msg=f"{cfa} {(h, w)} {kw}")


def test_process_into_out_equals_a_new_array():
    # out= (a stack, every output, Bayer and monochrome, odd sizes): the same
    # bytes as a new array, written in place and returned; stale contents of
    # a reused buffer are overwritten everywhere
    rng = np.random.default_rng(8)
    for cfa in (None, "RGGB", "GBRG"):
        cfg = SensorConfig(height=33, width=19, cfa=cfa, adc_bits=12)
        for shape in (cfg.shape, (3,) + cfg.shape):
            dn = rng.integers(0, 4096, size=shape, dtype=np.uint16)
            for output in ("rgb", "gray"):
                want = _isp_process(dn, cfg, output=output)
                buf = np.full(want.shape, 77, np.uint8)
                for n_threads in (1, 2):
                    got = _isp_process(dn, cfg, output=output, out=buf, n_threads=n_threads)
                    assert got is buf
                    np.testing.assert_array_equal(buf, want)
                    buf[...] = 255 - want


def test_process_bad_out():
    cfg = SensorConfig(height=4, width=6, cfa="RGGB")
    dn = np.zeros((4, 6), np.uint16)
    with pytest.raises(TypeError, match="out must be a uint8"):
        _isp_process(dn, cfg, out=np.zeros((4, 6, 3), np.uint16))
    with pytest.raises(TypeError, match="out must be a uint8"):
        _isp_process(dn, cfg, out=[[0] * 6] * 4)
    with pytest.raises(ValueError, match=r"out must have shape \(4, 6, 3\)"):
        _isp_process(dn, cfg, out=np.zeros((4, 6), np.uint8))
    with pytest.raises(ValueError, match=r"out must have shape \(4, 6\)"):
        _isp_process(dn, cfg, output="gray", out=np.zeros((4, 6, 3), np.uint8))
    with pytest.raises(ValueError, match="C-contiguous"):
        _isp_process(dn, cfg, out=np.zeros((4, 6, 6), np.uint8)[..., ::2])
    ro = np.zeros((4, 6, 3), np.uint8)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        _isp_process(dn, cfg, out=ro)
    raw = np.zeros(4 * 6 * 2, np.uint8)
    with pytest.raises(ValueError, match="share memory with dn"):
        _isp_process(raw.view(np.uint16).reshape(4, 6), cfg, output="gray",
                     out=raw[:24].reshape(4, 6))


def _process_in_child(args):
    dn, cfg = args
    return _isp_process(dn, cfg, n_threads=2)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_process_in_a_forked_child_after_threads_in_the_parent():
    # GNU OpenMP hangs in a forked child whose parent ran a parallel region:
    # process runs on one thread there (the shared guard of analogfe._threads)
    import multiprocessing

    cfg = SensorConfig(height=40, width=48, cfa="RGGB", adc_bits=12)
    dn = np.random.default_rng(5).integers(0, 4096, size=(3,) + cfg.shape, dtype=np.uint16)
    want = _isp_process(dn, cfg, n_threads=2)
    with multiprocessing.get_context("fork").Pool(2) as pool:
        got = pool.map_async(_process_in_child, [(dn, cfg), (dn[1], cfg)]).get(timeout=60)
    np.testing.assert_array_equal(got[0], want)
    np.testing.assert_array_equal(got[1], want[1])


def test_process_other_integer_dtypes():
    # uint8 is widened, other integers go through float32 as in numpy; the
    # same uint8 images as the numpy ISP (values above 65535 included)
    rng = np.random.default_rng(4)
    for cfa in (None, "BGGR"):
        cfg = SensorConfig(height=6, width=8, cfa=cfa, adc_bits=16, black_level_dn=3)
        for dtype, top in ((np.uint8, 255), (np.int32, 70000), (np.uint32, 2**20),
                           (np.int64, 65535), (np.int16, 30000)):
            dn = rng.integers(0, top, size=(2, 6, 8)).astype(dtype)
            want = process_numpy(dn, cfg)
            np.testing.assert_array_equal(_isp_process(dn, cfg), want)
            np.testing.assert_array_equal(_isp_process(dn.astype(">" + dn.dtype.str[1:]), cfg),
                                          want)


def test_process_memory():
    # the fused kernel keeps a few scratch rows per thread: the peak stays
    # below 4x the input and output arrays (about 30x with whole-frame float64
    # temporaries; the output array itself is most of it now)
    import tracemalloc

    cfg = SensorConfig(height=1200, width=1600, cfa="RGGB")
    dn = np.random.default_rng(0).integers(0, 1024, size=cfg.shape, dtype=np.uint16)
    _isp_process(dn[:4, :4], cfg.replace(height=4, width=4))
    for output, channels in (("rgb", 3), ("gray", 1)):
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            _isp_process(dn, cfg, output=output)
            peak = tracemalloc.get_traced_memory()[1] - base
        finally:
            tracemalloc.stop()
        io = dn.nbytes + dn.size * channels
        assert peak < 4 * io, (output, peak, io)


def test_process_bad_input():
    cfg = SensorConfig(height=4, width=4, cfa="RGGB")
    dn = np.zeros((4, 4), np.uint16)
    with pytest.raises(ValueError, match="output.*'rgb'"):
        _isp_process(dn, cfg, output="yuv")
    with pytest.raises(ValueError, match="dn"):
        _isp_process(np.zeros((4, 5), np.uint16), cfg)
    with pytest.raises(ValueError, match="dn"):
        _isp_process(np.zeros((2, 2, 4, 4, 1), np.uint16), cfg)
    with pytest.raises(ValueError, match="dn must be at least 2x2"):
        _isp_process(np.zeros((1, 4), np.uint16), cfg.replace(height=1))
    with pytest.raises(TypeError, match="dn"):
        _isp_process(np.zeros((4, 4), np.float32), cfg)
    with pytest.raises(TypeError, match="config"):
        _isp_process(dn, {"cfa": None})
    with pytest.raises(ValueError, match="white_balance"):
        _isp_process(dn, cfg, white_balance=[1.0, -1.0, 1.0])
    with pytest.raises(ValueError, match="ccm"):
        _isp_process(dn, cfg, ccm=np.eye(2))
    with pytest.raises(ValueError, match="white_level_dn"):
        _isp_process(dn, cfg, white_level_dn=10.0)
    with pytest.raises(ValueError, match="digital_gain"):
        _isp_process(dn, cfg, digital_gain=-1.0)
    with pytest.raises(ValueError, match="n_threads"):
        _isp_process(dn, cfg, n_threads=0)
    with pytest.raises(TypeError, match="n_threads"):
        _isp_process(dn, cfg, n_threads=1.5)
    with pytest.raises(TypeError, match="n_threads"):
        _isp_process(dn, cfg, n_threads=True)
    nc = np.zeros((4, 8), np.uint16)[:, ::2]
    np.testing.assert_array_equal(_isp_process(nc, cfg), _isp_process(dn, cfg))
