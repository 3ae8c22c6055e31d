"""Tests of analogfe.features: HOG kernels against numpy references and scikit-image."""
import numpy as np
import pytest
import reference_hog as ref
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from analogfe import features as F
from analogfe._ext import _hog
from analogfe.features import histograms as FH

FAST = settings(max_examples=25, deadline=None)


def _codes(rng, shape, levels):
    h = levels // 2
    return (rng.integers(-h, h + 1, shape).astype(np.int8),
            rng.integers(-h, h + 1, shape).astype(np.int8))


def _log_codes(image, bits):
    """1.5 / 2.75-bit log-gradient codes of a uint8 image (docs/references.rst, section 1)."""
    ln8 = np.log(8.0)
    L = np.log(image / 255.0 + 1e-4)
    dx = np.zeros_like(L)
    dy = np.zeros_like(L)
    dx[:, 1:-1] = L[:, 2:] - L[:, :-2]
    dy[1:-1] = L[2:] - L[:-2]
    s = (2 ** (bits - 1) - 0.5 - 1e-4) / ln8
    q = lambda v: np.round(np.clip(v, -ln8, ln8) * s).astype(np.int8)
    return q(dx), q(dy)


# ---------------------------------------------------------------------------
# Lookup table
# ---------------------------------------------------------------------------
def test_fhog_1p5_bit_reaches_four_unsigned_bins():
    lut_bin, lut_mag = F.hog_lut("fhog", 9, 3)
    reached = set((lut_bin[lut_mag > 0] % 9).tolist())
    assert reached == {0, 2, 4, 7}                      # 0, 40, 80, 140 deg
    centres = sorted(20 * b for b in reached)
    assert centres == [0, 40, 80, 140]
    # and codes of a disk (every edge direction) use exactly those bins
    yy, xx = np.mgrid[:96, :96]
    disk = np.where((yy - 47.5) ** 2 + (xx - 47.5) ** 2 < 30 ** 2, 200, 20).astype(np.uint8)
    dx, dy = _log_codes(disk, bits=2)
    f = F.hog(dx, dy, levels=3)
    unsigned = f[..., 18:27]
    assert set(np.flatnonzero(unsigned.sum(axis=(0, 1)) > 0).tolist()) == {0, 2, 4, 7}
    blob = 255 * np.exp(-0.5 * np.hypot(yy - 47.5, xx - 47.5))  # a cone in log space
    f7 = F.hog(*_log_codes(blob, bits=3), levels=7)
    assert np.count_nonzero(f7[..., 18:27].sum(axis=(0, 1))) > 4


def test_lut_more_bins_at_2p75_bit_and_dt_bins():
    lut_bin, lut_mag = F.hog_lut("fhog", 9, 7)
    assert len(set((lut_bin[lut_mag > 0] % 9).tolist())) == 9
    b, m = F.hog_lut("dalal-triggs", 9, 3)
    assert set(b[m > 0].tolist()) == {0, 2, 4, 6}       # bins [0,20), [40,60), [80,100), [120,140)
    g = np.meshgrid([-1, 0, 1], [-1, 0, 1], indexing="ij")
    np.testing.assert_allclose(m.reshape(3, 3), np.hypot(*g))


@pytest.mark.parametrize("levels", [3, 7])
@pytest.mark.parametrize("method", ["fhog", "dalal-triggs"])
def test_lut_equals_float_binning(method, levels):
    h = levels // 2
    g = np.arange(-h, h + 1, dtype=np.float64)
    gx, gy = np.meshgrid(g, g, indexing="ij")
    lut_bin, lut_mag = F.hog_lut(method, 9, levels)
    if method == "fhog":
        uu, vv = FH._fhog_directions(9)
        want = ref.fhog_bins(gx, gy, uu, vv).ravel()
        np.testing.assert_array_equal(lut_mag, (np.abs(gx) + np.abs(gy)).ravel())
    else:
        ck, sk = FH._dt_boundaries(9)
        want = ref.dt_bins(gx, gy, ck, sk).ravel()
    nz = lut_mag > 0
    np.testing.assert_array_equal(lut_bin[nz], want[nz])


def test_dt_sign_tests_equal_atan2_bins():
    rng = np.random.default_rng(1)
    gx, gy = rng.standard_normal((2, 5000))
    for n in (4, 9, 12):
        ck, sk = FH._dt_boundaries(n)
        np.testing.assert_array_equal(ref.dt_bins(gx, gy, ck, sk), ref.dt_bins_atan2(gx, gy, n))


# ---------------------------------------------------------------------------
# Kernels against the references
# ---------------------------------------------------------------------------
@FAST
@given(levels=st.sampled_from([3, 7, 15]), cell=st.integers(1, 9),
       h=st.integers(1, 40), w=st.integers(1, 40), seed=st.integers(0, 2**31),
       method=st.sampled_from(["fhog", "dalal-triggs"]), n=st.integers(2, 12))
def test_code_histograms_equal_reference_exactly(levels, cell, h, w, seed, method, n):
    rng = np.random.default_rng(seed)
    shape = (h * cell + rng.integers(0, cell), w * cell + rng.integers(0, cell))
    dx, dy = _codes(rng, shape, levels)
    lut_bin, lut_mag = F.hog_lut(method, n, levels)
    nb = F.HOG_METHODS[method].n_bins(n)
    got4 = np.empty((1, h, w, nb))
    got = got4[0]
    _hog.code_cell_histograms(dx[None], dy[None], levels // 2, lut_bin, lut_mag, cell, got4)
    want = ref.code_cell_histograms(dx, dy, lut_bin, lut_mag, levels // 2, cell, nb)
    # integer votes (fhog's L1) are exact; sqrt votes are summed in another order
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=0)
    if method == "fhog":
        np.testing.assert_array_equal(got, want)
    # any integer-valued table: exact
    mag_int = rng.integers(0, 6, lut_mag.shape).astype(np.float64)
    _hog.code_cell_histograms(dx[None], dy[None], levels // 2, lut_bin, mag_int, cell, got4, 2)
    np.testing.assert_array_equal(
        got, ref.code_cell_histograms(dx, dy, lut_bin, mag_int, levels // 2, cell, nb))


@FAST
@given(arrs=st.integers(2, 24).flatmap(lambda s: hnp.arrays(
           np.float64, (2, s, s + 3),
           elements=st.floats(-4, 4, allow_nan=False, width=32))),
       cell=st.integers(1, 6), method=st.sampled_from(["fhog", "dalal-triggs"]),
       n=st.integers(2, 12), single=st.booleans())
def test_float_histograms_equal_reference(arrs, cell, method, n, single):
    dx, dy = arrs
    if single:
        dx, dy = dx.astype(np.float32), dy.astype(np.float32)
    if dx.shape[0] < cell:
        return
    ny, nx = dx.shape[0] // cell, dx.shape[1] // cell
    a, b = (FH._fhog_directions(n) if method == "fhog" else FH._dt_boundaries(n))
    got = np.empty((ny, nx, F.HOG_METHODS[method].n_bins(n)))
    kern = _hog.fhog_cell_histograms if method == "fhog" else _hog.dt_cell_histograms
    kern(np.ascontiguousarray(dx), np.ascontiguousarray(dy), a, b, cell, got)
    want = ref.float_cell_histograms(dx, dy, method, a, b, cell)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@FAST
@given(hist=st.tuples(st.integers(1, 7), st.integers(1, 7), st.integers(2, 10)).flatmap(
           lambda s: hnp.arrays(np.float64, (s[0], s[1], 2 * s[2]),
                                elements=st.floats(0, 100, allow_nan=False))),
       eps=st.sampled_from([1e-4, 1.0]))
def test_fhog_normalize_equals_reference(hist, eps):
    n = hist.shape[2] // 2
    tex = round(1 / np.sqrt(2 * n), 4)
    got = np.empty(hist.shape[:2] + (3 * n + 4,), np.float32)
    _hog.fhog_normalize(hist, eps, tex, got)
    np.testing.assert_allclose(got, ref.fhog_normalize(hist, eps, tex), rtol=2e-6, atol=1e-7)


@FAST
@given(hist=st.tuples(st.integers(1, 7), st.integers(1, 7), st.integers(2, 10)).flatmap(
           lambda s: hnp.arrays(np.float64, s, elements=st.floats(0, 100, allow_nan=False))))
def test_dt_normalize_equals_reference(hist):
    got = np.empty(hist.shape[:2] + (4 * hist.shape[2],), np.float32)
    _hog.dt_normalize(hist, 1e-5, 0.2, got)
    np.testing.assert_allclose(got, ref.dt_normalize(hist, 1e-5, 0.2), rtol=2e-6, atol=1e-7)


@FAST
@given(img=st.tuples(st.integers(4, 30), st.integers(4, 30)).flatmap(
           lambda s: hnp.arrays(np.float64, s, elements=st.floats(-1e3, 1e3, allow_nan=False))),
       c=st.tuples(st.integers(1, 4), st.integers(1, 4)), n=st.integers(1, 13))
def test_image_histograms_equal_reference(img, c, n):
    g_row, g_col = ref.centred_gradients(img)
    k_row, k_col = np.empty_like(img), np.empty_like(img)
    _hog.centred_gradients(img, 0, k_row, k_col)
    np.testing.assert_array_equal(k_row, g_row)
    np.testing.assert_array_equal(k_col, g_col)
    # a band of rows, and uint8 / float32 images differenced in their precision
    y0 = img.shape[0] // 2
    for im in (img, img.astype(np.float32), np.abs(img).astype(np.uint8)):
        r_row, r_col = ref.centred_gradients(im.astype(np.float64) if im.dtype == np.uint8 else im)
        band_row = np.empty((img.shape[0] - y0, img.shape[1]))
        band_col = np.empty_like(band_row)
        _hog.centred_gradients(im, y0, band_row, band_col)
        np.testing.assert_array_equal(band_row, r_row[y0:])
        np.testing.assert_array_equal(band_col, r_col[y0:])
    per = np.float32(180.0 / n)
    edges = (per * np.arange(n + 1, dtype=np.float32)).astype(np.float64)
    ny, nx = img.shape[0] // c[0], img.shape[1] // c[1]
    got = np.empty((ny, nx, n))
    _hog.image_cell_histograms(g_row, g_col, np.arctan2(g_row, g_col), c[0], c[1], edges, got)
    want = ref.image_cell_histograms(g_row, g_col, c[0], c[1], n)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9)


@FAST
@given(hist=st.tuples(st.integers(1, 6), st.integers(1, 6), st.integers(1, 9)).flatmap(
           lambda s: hnp.arrays(np.float64, s, elements=st.floats(0, 50, allow_nan=False))),
       norm=st.sampled_from(list(F.BLOCK_NORMS)), b=st.tuples(st.integers(1, 3), st.integers(1, 3)))
def test_block_normalize_equals_reference(hist, norm, b):
    if b[0] > hist.shape[0] or b[1] > hist.shape[1]:
        return
    want = ref.block_normalize(hist, b[0], b[1], norm)
    got = np.empty(want.shape)
    _hog.block_normalize(hist, b[0], b[1], F.BLOCK_NORMS[norm], 1e-5, got)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------------------
# hog()
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["fhog", "dalal-triggs"])
def test_hog_codes_equal_float_path_and_reference(method):
    rng = np.random.default_rng(3)
    dx, dy = _codes(rng, (43, 61), 7)
    f_int = F.hog(dx, dy, method=method, levels=7)
    f_flt = F.hog(dx.astype(np.float32), dy.astype(np.float32), method=method)
    assert f_int.shape == (5, 7, 31 if method == "fhog" else 36) and f_int.dtype == np.float32
    np.testing.assert_allclose(f_int, f_flt, rtol=1e-6, atol=1e-7)
    lut_bin, lut_mag = F.hog_lut(method, 9, 7)
    hist = ref.code_cell_histograms(dx, dy, lut_bin, lut_mag, 3, 8, F.HOG_METHODS[method].n_bins(9))
    want = (ref.fhog_normalize(hist, 1e-4, 0.2357) if method == "fhog"
            else ref.dt_normalize(hist, 1e-5, 0.2))
    np.testing.assert_allclose(f_int, want, rtol=2e-6, atol=1e-7)


def test_fhog_layout_and_interior_cells():
    rng = np.random.default_rng(4)
    dx, dy = _codes(rng, (48, 56), 7)
    f = F.hog(dx, dy)
    sens, insens, tex = f[..., :18], f[..., 18:27], f[..., 27:]
    np.testing.assert_allclose(insens, sens[..., :9] + sens[..., 9:], rtol=1e-5)
    # texture: 0.2357 * sum of the signed histogram times each block gain, so
    # sum(tex) = 0.2357 * 2 * sum(sens)
    np.testing.assert_allclose(tex.sum(-1), 0.2357 * 2 * sens.sum(-1), rtol=1e-5)
    # an interior cell does not depend on the border convention: crop the
    # input one cell each side and the (now border) neighbours change, the
    # interior cells two cells in do not
    g = F.hog(dx[8:-8, 8:-8], dy[8:-8, 8:-8])
    np.testing.assert_allclose(g[1:-1, 1:-1], f[2:-2, 2:-2], rtol=1e-6)


def test_vertical_edge_votes_bin_zero():
    img = np.zeros((32, 32), np.uint8)
    img[:, 16:] = 200
    dx, dy = F.image_gradients(img)
    f = F.hog(dx, dy)
    cell = f[1, 1]                                   # the cell holding the edge, x 8..15
    assert np.argmax(cell[:18]) == 0 and cell[:18].max() > 0
    dt = F.hog(dx, dy, method="dalal-triggs")
    assert np.argmax(dt[1, 1, :9]) == 0


def test_hog_stacked_equals_loop():
    rng = np.random.default_rng(5)
    dx, dy = _codes(rng, (3, 24, 32), 3)
    f = F.hog(dx, dy)
    assert f.shape == (3, 3, 4, 31)
    for i in range(3):
        np.testing.assert_array_equal(f[i], F.hog(dx[i], dy[i]))


def test_hog_errors():
    a = np.zeros((16, 16), np.int8)
    with pytest.raises(ValueError, match="dx and dy"):
        F.hog(a, np.zeros((16, 17), np.int8))
    with pytest.raises(TypeError, match="dx and dy"):
        F.hog(a, a.astype(np.float32))
    with pytest.raises(TypeError, match="dx"):
        F.hog(a.astype(complex), a)
    with pytest.raises(ValueError, match="smaller than one cell"):
        F.hog(a[:7], a[:7])
    with pytest.raises(ValueError, match="method.*'fhog'"):
        F.hog(a, a, method="sift")
    with pytest.raises(ValueError, match="dy has codes outside"):
        F.hog(a, a + 2, levels=3)
    with pytest.raises(ValueError, match="levels"):
        F.hog(a, a, levels=4)
    with pytest.raises(ValueError, match="cell_size"):
        F.hog(a, a, cell_size=0)
    with pytest.raises(ValueError, match="dx"):
        F.hog(np.full((16, 16), np.nan), np.zeros((16, 16)))


@pytest.mark.parametrize("method", ["fhog", "dalal-triggs"])
@pytest.mark.parametrize("scale", [1e200, 2.0 ** 1000, 1e308])
def test_hog_huge_float_gradients_neither_overflow_nor_vanish(method, scale):
    # squares of 1e200 overflow float64: fhog came back all zeros, dalal-triggs
    # NaN. Gradients above 2**300 are scaled by a power of two first (exact);
    # HOG is scale-invariant up to eps, so the features equal those at scale 1.
    rng = np.random.default_rng(11)
    dx, dy = rng.uniform(-1, 1, (2, 32, 40))
    ref = F.hog(dx, dy, method=method)
    big = F.hog(dx * scale, dy * scale, method=method)
    assert np.isfinite(big).all() and big.any()
    np.testing.assert_allclose(big, ref, atol=1e-5)
    # the float64 extremes, opposite signs
    top = np.finfo(np.float64).max
    edge = F.hog(np.full((16, 16), top), np.full((16, 16), -top), method=method)
    assert np.isfinite(edge).all() and edge.any()


def test_hog_below_the_safe_peak_is_unchanged():
    # no scaling at or below 2**300: the same numbers, bit for bit, as the kernel
    rng = np.random.default_rng(12)
    dx, dy = rng.uniform(-1, 1, (2, 16, 24)) * 2.0 ** 299
    hist = np.empty((2, 3, 18))
    FH._fhog_float_histograms(dx, dy, 9, 8, hist)
    np.testing.assert_array_equal(F.hog(dx, dy), FH._normalize(hist, "fhog", 9, 1e-4))


def test_hog_eps_range():
    a = np.ones((16, 16))
    with pytest.raises(ValueError, match="eps must be <= 1000000.0"):
        F.hog(a, a, eps=1e308)  # eps**2 overflowed: dalal-triggs features all 0
    with pytest.raises(ValueError, match="eps"):
        F.hog(a, a, method="dalal-triggs", eps=1e200)
    assert np.isfinite(F.hog(a, a, method="dalal-triggs", eps=1e6)).all()


@pytest.mark.parametrize("dtype, big", [(np.float64, 1e250), (np.float64, 1.7e308),
                                        (np.float32, 3e38), (np.float16, 6e4)])
@pytest.mark.parametrize("block_norm", ["L1", "L2-Hys"])
def test_image_hog_huge_float_images_stay_finite(dtype, big, block_norm):
    # differences and squares of such images overflowed: NaN or zeros
    rng = np.random.default_rng(13)
    unit = rng.uniform(-1, 1, (32, 40))
    img = (unit * big).astype(dtype)
    out = F.image_hog(img, block_norm=block_norm)
    assert out.dtype == (np.float64 if dtype == np.float64 else np.float32)
    assert np.isfinite(out).all() and out.any()
    ref = F.image_hog((img.astype(np.float64) / big), block_norm=block_norm)
    np.testing.assert_allclose(out, ref, atol=1e-4)
    rgb = np.stack([img, img[::-1], img[:, ::-1]], axis=-1)
    out = F.image_hog(rgb, channel_axis=-1, block_norm=block_norm)
    assert np.isfinite(out).all() and out.any()
    out = F.image_hog(np.abs(img), transform_sqrt=True, block_norm=block_norm)
    assert np.isfinite(out).all() and out.any()


def test_image_hog_flags_must_be_bools():
    img = np.zeros((32, 32), np.uint8)
    with pytest.raises(TypeError, match="feature_vector must be True or False"):
        F.image_hog(img, feature_vector=2)
    with pytest.raises(TypeError, match="transform_sqrt must be True or False"):
        F.image_hog(img, transform_sqrt="no")
    assert F.image_hog(img, feature_vector=np.False_).ndim == 5


def test_image_features_reject_values_whose_differences_overflow():
    # float images are taken as [0, 1]; float32 differences of +-3e38 are inf
    alt = np.where((np.arange(16) // 2) % 2, 3e38, -3e38) * np.ones((16, 1))
    for bad, what in ((alt.astype(np.float32), "at most 8.51e\\+37"),
                      (np.full((16, 16), 1e300), "beyond the float32 range")):
        with pytest.raises(ValueError, match="image has values .*" + what):
            F.image_gradients(bad)
        with pytest.raises(ValueError, match="image has values"):
            F.frontend_features(bad)
        with pytest.raises(ValueError, match="output_or_image has values"):
            F.feature_pyramid(bad)
    ok = (alt / 4).astype(np.float32)  # 7.5e37 <= 2**126
    assert all(np.isfinite(g).all() for g in F.image_gradients(ok))
    with pytest.raises(ValueError, match="downscale"):
        F.feature_pyramid(np.zeros((32, 32), np.float32), downscale=1e308)


def test_descriptor_arithmetic_bad_levels():
    with pytest.raises(ValueError, match="levels must be in \\[2, 255\\]"):
        F.reachable_bins(256)  # 10**9 levels looped for ever
    with pytest.raises(ValueError, match="orientations"):
        F.reachable_bins(3, 10**9)
    with pytest.raises(ValueError, match="levels must be >= 2"):
        F.code_bits(0)  # was "math domain error"
    with pytest.raises(TypeError, match="levels"):
        F.code_bits("3")
    assert F.reachable_bins(255, 180) == 180


# ---------------------------------------------------------------------------
# image_hog() == skimage.feature.hog
# ---------------------------------------------------------------------------
def _real_images():
    from skimage import color, data
    return {
        "camera": data.camera()[::2, ::2],
        "astronaut_gray": (color.rgb2gray(data.astronaut())[::2, ::2] * 255).astype(np.uint8),
        "coins": data.coins(),
        "text": data.text(),
    }


@pytest.mark.parametrize("block_norm", ["L1", "L1-sqrt", "L2", "L2-Hys"])
def test_image_hog_equals_skimage_on_real_images(block_norm):
    from skimage.feature import hog as sk_hog
    from skimage.util import img_as_float
    for name, img in _real_images().items():
        for im in (img, img_as_float(img)):
            want = sk_hog(im, block_norm=block_norm)
            got = F.image_hog(im, block_norm=block_norm)
            assert got.dtype == want.dtype == np.float64 and got.shape == want.shape, name
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("kw", [
    dict(orientations=7, pixels_per_cell=(7, 5), cells_per_block=(2, 2)),
    dict(orientations=12, pixels_per_cell=(6, 6), cells_per_block=(1, 3), feature_vector=False),
    dict(orientations=4, pixels_per_cell=(10, 10), cells_per_block=(2, 1), transform_sqrt=True),
])
def test_image_hog_equals_skimage_other_parameters(kw):
    from skimage import data
    from skimage.feature import hog as sk_hog
    img = data.coins()[:150, :200]
    np.testing.assert_allclose(F.image_hog(img, **kw), sk_hog(img, **kw), rtol=0, atol=1e-6)
    f32 = (img / 255.0).astype(np.float32)
    got, want = F.image_hog(f32, **kw), sk_hog(f32, **kw)
    assert got.dtype == want.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=0, atol=2e-6)


def test_image_hog_color_equals_skimage():
    from skimage import data
    from skimage.feature import hog as sk_hog
    img = data.astronaut()[::4, ::4]
    np.testing.assert_allclose(F.image_hog(img, channel_axis=-1),
                               sk_hog(img, channel_axis=-1), rtol=0, atol=1e-6)
    moved = np.moveaxis(img, -1, 0)
    np.testing.assert_allclose(F.image_hog(moved, channel_axis=0),
                               sk_hog(moved, channel_axis=0), rtol=0, atol=1e-6)


def test_image_hog_errors():
    img = np.zeros((40, 40), np.uint8)
    with pytest.raises(ValueError, match="block_norm.*'L2-Hys'"):
        F.image_hog(img, block_norm="L3")
    with pytest.raises(ValueError, match="too small"):
        F.image_hog(img[:20], cells_per_block=(3, 3))
    with pytest.raises(ValueError, match="channel_axis"):
        F.image_hog(np.zeros((40, 40, 3)))
    with pytest.raises(TypeError, match="pixels_per_cell"):
        F.image_hog(img, pixels_per_cell="big")
    with pytest.raises(TypeError, match="image"):
        F.image_hog(np.zeros((40, 40), complex))


# ---------------------------------------------------------------------------
# frontend_features, windows, pyramids
# ---------------------------------------------------------------------------
def _frontend_codes(shape=(48, 64), n=None):
    from analogfe.frontend import LogGradientFrontEnd
    rng = np.random.default_rng(6)
    e = rng.uniform(50, 9000, shape if n is None else (n,) + shape).astype(np.float32)
    return LogGradientFrontEnd(bits=2, scales=(1, 2, 4))(e)


def test_frontend_features_codes_and_images():
    codes = _frontend_codes()
    f = F.frontend_features(codes)
    assert f.dtype == np.float32 and f.shape == (6 * 8 * 31,)
    np.testing.assert_array_equal(f, F.hog(codes.dx[0], codes.dy[0]).ravel())
    f2 = F.frontend_features(codes, scale=1, method="dalal-triggs")
    assert f2.shape == (3 * 4 * 36,)
    stacked = F.frontend_features(_frontend_codes(n=3))
    assert stacked.shape == (3, 6 * 8 * 31)

    rng = np.random.default_rng(7)
    gray = rng.integers(0, 256, (2, 40, 48), dtype=np.uint8)
    g = F.frontend_features(gray)
    assert g.shape == (2, 5 * 6 * 31) and g.dtype == np.float32
    img = gray[0].astype(np.float64) / 255.0
    dx = np.zeros_like(img)
    dy = np.zeros_like(img)
    dx[:, 1:-1] = img[:, 2:] - img[:, :-2]
    dy[1:-1] = img[2:] - img[:-2]
    np.testing.assert_allclose(g[0], F.hog(dx, dy).ravel(), rtol=1e-5, atol=1e-6)

    rgb = np.stack([gray[0], gray[1], gray[0]], axis=-1)
    assert F.frontend_features(rgb).shape == (5 * 6 * 31,)
    luma = F.frontend_features(rgb, color="luma")
    grey_rgb = np.repeat(gray[0][..., None], 3, axis=-1)
    np.testing.assert_allclose(F.frontend_features(grey_rgb, color="max"),
                               F.frontend_features(gray[0]), rtol=1e-6)
    assert not np.allclose(luma, F.frontend_features(rgb, color="max"))


def test_frontend_features_errors():
    codes = _frontend_codes()
    with pytest.raises(ValueError, match="scale"):
        F.frontend_features(codes, scale=3)
    with pytest.raises(TypeError, match="output"):
        F.frontend_features([[1, 2], [3, 4]])
    with pytest.raises(TypeError, match="image"):
        F.frontend_features(np.zeros((16, 16), np.uint16))
    with pytest.raises(ValueError, match="color"):
        F.frontend_features(np.zeros((16, 16, 3), np.uint8), color="hsv")
    with pytest.raises(ValueError, match="smaller than one cell"):
        F.frontend_features(codes, scale=2, cell_size=16)
    with pytest.raises(ValueError, match="image"):
        F.frontend_features(np.zeros((2, 16, 16, 4), np.uint8))


def test_window_features_positions_and_content():
    rng = np.random.default_rng(8)
    m = rng.standard_normal((7, 9, 5)).astype(np.float32)
    feats, pos = F.window_features(m, (3, 4), stride_cells=2)
    assert feats.shape == (3 * 3, 3 * 4 * 5) and pos.shape == (9, 2)
    for f, (r, c) in zip(feats, pos):
        np.testing.assert_array_equal(f, m[r:r + 3, c:c + 4].ravel())
    assert pos[-1].tolist() == [4, 4]
    feats1, pos1 = F.window_features(m, (7, 9))
    assert feats1.shape == (1, 7 * 9 * 5) and pos1.tolist() == [[0, 0]]
    with pytest.raises(ValueError, match="window_cells"):
        F.window_features(m, (8, 2))
    with pytest.raises(ValueError, match="cell_map"):
        F.window_features(m[0], 2)


def test_window_features_reject_float64_beyond_float32():
    m = np.zeros((4, 4, 2))
    m[3, 3, 1] = -1e300
    with pytest.raises(ValueError, match="cell_map has values beyond the float32 range"):
        F.window_features(m, 2)
    feats, _ = F.window_features(np.full((4, 4, 2), np.finfo(np.float32).max, np.float64), 2)
    assert np.isfinite(feats).all()


def test_image_hog_big_endian_float32_returns_float32():
    img = np.random.default_rng(4).random((32, 40)).astype(np.float32)
    for order in (">", "<"):
        out = F.image_hog(img.astype(img.dtype.newbyteorder(order)))
        assert out.dtype == np.float32
        np.testing.assert_array_equal(out, F.image_hog(img))
    out16 = F.image_hog(img.astype(">f2"))
    assert out16.dtype == np.float32
    np.testing.assert_array_equal(out16, F.image_hog(img.astype(np.float16)))
    rgb = np.random.default_rng(5).random((32, 40, 3)).astype(">f4")
    out = F.image_hog(rgb, channel_axis=-1)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, F.image_hog(rgb.astype(np.float32), channel_axis=-1))


def test_feature_pyramid_codes_and_images():
    codes = _frontend_codes((64, 96))
    levels = F.feature_pyramid(codes)
    assert [lv.scale for lv in levels] == [1.0, 2.0, 4.0]
    assert [lv.cell_px for lv in levels] == [8.0, 16.0, 32.0]
    assert [lv.features.shape[:2] for lv in levels] == [(8, 12), (4, 6), (2, 3)]
    np.testing.assert_array_equal(levels[1].features, F.hog(codes.dx[1], codes.dy[1]))
    assert len(F.feature_pyramid(codes, min_cells=3)) == 2
    assert [lv.cell_px for lv in F.feature_pyramid(codes, unit_px=2)] == [16.0, 32.0, 64.0]

    from skimage import data
    img = data.camera()[:96, :128]
    lv = F.feature_pyramid(img, downscale=2.0)
    assert [x.features.shape[:2] for x in lv] == [(12, 16), (6, 8), (3, 4), (1, 2)]
    assert [x.cell_px for x in lv] == [8.0, 16.0, 32.0, 64.0]
    assert len(F.feature_pyramid(img, max_levels=2)) == 2
    with pytest.raises(ValueError, match="output_or_image"):
        F.feature_pyramid(img[:4, :4])
    with pytest.raises(ValueError, match="downscale"):
        F.feature_pyramid(img, downscale=1.0)
    with pytest.raises(TypeError, match="output_or_image"):
        F.feature_pyramid(img.astype(np.uint16))
    with pytest.raises(TypeError, match="output_or_image"):
        F.feature_pyramid("camera.png")
    with pytest.raises(ValueError, match="unit_px"):
        F.feature_pyramid(codes, unit_px=0)


def test_hog_accepts_other_integer_dtypes_and_views():
    rng = np.random.default_rng(9)
    dx, dy = _codes(rng, (40, 48), 7)
    want = F.hog(dx, dy)
    np.testing.assert_array_equal(F.hog(dx.astype(np.int16), dy.astype(np.int32)), want)
    big_x = np.zeros((40, 96), np.int8)
    big_y = np.zeros((40, 96), np.int8)
    big_x[:, ::2], big_y[:, ::2] = dx, dy
    np.testing.assert_array_equal(F.hog(big_x[:, ::2], big_y[:, ::2]), want)
    with pytest.raises(ValueError, match="orientations"):
        F.hog(dx, dy, orientations=1)
    with pytest.raises(ValueError, match="dx, dy"):
        F.hog(dx.astype(np.int16) * 100, dy)


def test_image_histograms_special_angles_match_reference():
    # angles at the wrap-around (-0.0, -tiny -> 180 deg, which votes nowhere,
    # +-pi) and exactly on bin limits (0, 45, 90, 135 deg for n = 4 and 8)
    vals = [(0.0, 1.0), (-0.0, 1.0), (-1e-300, 1.0), (-1e-17, 1.0), (0.0, -1.0),
            (-0.0, -1.0), (1.0, 1.0), (1.0, 0.0), (1.0, -1.0), (-1.0, -1.0),
            (3.0, 3.0), (1e-300, -1.0), (2.0, 1e-16), (0.0, 0.0)]
    g_row = np.array([[v[0] for v in vals]] * 2)
    g_col = np.array([[v[1] for v in vals]] * 2)
    for n in (4, 7, 8, 9):
        per = np.float32(180.0 / n)
        edges = (per * np.arange(n + 1, dtype=np.float32)).astype(np.float64)
        got = np.empty((1, len(vals), n))
        _hog.image_cell_histograms(g_row, g_col, np.arctan2(g_row, g_col), 2, 1, edges, got)
        np.testing.assert_array_equal(got, ref.image_cell_histograms(g_row, g_col, 2, 1, n))


def test_centred_gradients_public_and_equal_reference():
    # one home for the centred differences: features, app.simulate and image_hog
    rng = np.random.default_rng(5)
    for img in (rng.random((7, 9)), rng.random((5, 6)).astype(np.float32),
                rng.integers(0, 256, (6, 4)).astype(np.float64)):
        g_row, g_col = F.centred_gradients(img)
        r_row, r_col = ref.centred_gradients(img)
        assert g_row.dtype == img.dtype and g_col.dtype == img.dtype
        np.testing.assert_array_equal(g_row, r_row)
        np.testing.assert_array_equal(g_col, r_col)
    stack = rng.random((3, 5, 8))
    g_row, g_col = F.centred_gradients(stack)
    for k in range(3):
        np.testing.assert_array_equal(g_row[k], ref.centred_gradients(stack[k])[0])
        np.testing.assert_array_equal(g_col[k], ref.centred_gradients(stack[k])[1])


def test_gaussian_levels_are_feature_pyramids_levels():
    # one image pyramid for feature_pyramid and the sliding-window detector
    from skimage import data
    from skimage.transform import pyramid_gaussian
    img = data.camera()[:96, :128]
    unit = img.astype(np.float32) * np.float32(1.0 / 255.0)
    got = list(F.gaussian_levels(unit, 1.5))
    assert [s for s, _ in got[:4]] == [1.0, 1.5, 2.25, 3.375]
    assert all(level.dtype == np.float32 for _, level in got)
    # levels until a reduction no longer shrinks the shape, as pyramid_gaussian
    assert len(got) == len(list(pyramid_gaussian(unit, downscale=1.5, preserve_range=True)))
    levels = F.feature_pyramid(img, downscale=1.5, cell_size=8)
    for lv, (s, level) in zip(levels, got):
        assert lv.scale == s
        np.testing.assert_array_equal(lv.features, F.hog(*F.image_gradients(level), cell_size=8))


@pytest.mark.parametrize("levels", [3, 5, 7, 15])
@pytest.mark.parametrize("n", [4, 9, 12])
def test_reachable_bins_match_the_fhog_table(levels, n):
    # reachable_bins (exact directions, ties within 1e-12 to the lower bin) and
    # hog_lut's fhog table (features.cc's 4-decimal directions, signed bins)
    # are separate rules; for these code levels they reach the same unsigned bins
    lut_bin, _ = F.hog_lut("fhog", n, levels)
    h = levels // 2
    nonzero = np.ones((levels, levels), bool)
    nonzero[h, h] = False
    assert len(np.unique(lut_bin.reshape(levels, levels)[nonzero] % n)) == F.reachable_bins(levels, n)


@pytest.mark.parametrize("method", ["fhog", "dalal-triggs"])
def test_code_hog_of_a_stack_is_one_call_and_does_not_depend_on_threads(method):
    # the cell rows of every frame are shared among the threads; each frame
    # of a stack gets the features of its own 2-D call
    rng = np.random.default_rng(5)
    dx, dy = _codes(rng, (4 * 37, 53), 3)
    dx, dy = dx.reshape(4, 37, 53), dy.reshape(4, 37, 53)
    want = F.hog(dx, dy, method=method, n_threads=1)
    for t in (2, 3, 64):
        np.testing.assert_array_equal(F.hog(dx, dy, method=method, n_threads=t), want)
    for i in range(4):
        np.testing.assert_array_equal(F.hog(dx[i], dy[i], method=method, n_threads=2), want[i])
    # a strided view goes in as well
    np.testing.assert_array_equal(F.hog(dx[:, :, ::-1], dy[:, :, ::-1], method=method),
                                  F.hog(dx[:, :, ::-1].copy(), dy[:, :, ::-1].copy(), method=method))
    with pytest.raises(ValueError, match="n_threads"):
        F.hog(dx, dy, n_threads=0)
