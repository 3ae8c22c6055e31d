"""The released log-HOG detector features ("dpm-log") against a plain-loop
transcription of the released features.cc (tests/reference_dpm_loghog.py)."""
import numpy as np
import pytest
import reference_dpm_loghog as ref
from hypothesis import given, settings
from hypothesis import strategies as st

from analogfe import features as F
from analogfe.app.config import load_config
from analogfe.data import make_wakeup_scenes
from analogfe.frontend import LogGradientFrontEnd
from analogfe.frontend.registry import emulate
from analogfe.learn import WakeUpClassifier
from analogfe.learn.detector import SlidingWindowDetector

FAST = settings(max_examples=20, deadline=None)
#: Shapes around the cell grid's rounding: multiples of 8, rounded down
#: (x.4 cells) and up (x.5, x.6 cells), the smallest grid (20 px -> 3 cells).
SHAPES = [(64, 64), (45, 61), (83, 37), (20, 20), (36, 44), (21, 29), (71, 92)]


def _codes(rng, shape, levels):
    h = levels // 2
    dx = rng.integers(-h, h + 1, shape).astype(np.int8)
    dy = rng.integers(-h, h + 1, shape).astype(np.int8)
    dx[:, [0, -1]] = 0  # a centred pair leaves the border at 0
    dy[[0, -1], :] = 0
    return dx, dy


# ---------------------------------------------------------------------------
# Codes (the front end's gradients) against the transcription
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("levels", [3, 7])
@pytest.mark.parametrize("shape", SHAPES)
def test_dpm_log_codes_equal_features_cc(levels, shape):
    dx, dy = _codes(np.random.default_rng(levels * 1000 + shape[0]), shape, levels)
    got = F.hog(dx, dy, method="dpm-log", levels=levels)
    want = ref.reference_dpm_gradients(dx, dy)
    assert got.shape == want.shape == (int(np.floor(shape[0] / 8 + 0.5)) - 2,
                                       int(np.floor(shape[1] / 8 + 0.5)) - 2, 32)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, want)


@FAST
@given(h=st.integers(18, 50), w=st.integers(18, 50), levels=st.sampled_from([3, 7]),
       cell=st.sampled_from([4, 6, 8]), seed=st.integers(0, 2**32 - 1))
def test_dpm_log_random_codes_and_cells_equal_features_cc(h, w, levels, cell, seed):
    dx, dy = _codes(np.random.default_rng(seed), (h, w), levels)
    if min(np.floor(h / cell + 0.5), np.floor(w / cell + 0.5)) < 3:
        with pytest.raises(ValueError, match="too small for dpm-log"):
            F.hog(dx, dy, method="dpm-log", cell_size=cell)
        return
    np.testing.assert_array_equal(F.hog(dx, dy, method="dpm-log", cell_size=cell),
                                  ref.reference_dpm_gradients(dx, dy, sbin=cell))


def test_dpm_log_all_zero_codes_give_zero_features():
    z = np.zeros((45, 61), np.int8)
    got = F.hog(z, z, method="dpm-log")
    np.testing.assert_array_equal(got, ref.reference_dpm_gradients(z, z))
    assert not got.any()


def test_dpm_log_one_edge_votes_as_released():
    # a vertical step: dx = 1 in one column, every vote in bin 0 (0 deg); the
    # cells holding it get unsigned bin 0 only, the 18 signed features stay 0
    dx = np.zeros((40, 40), np.int8)
    dx[:, 20] = 1
    got = F.hog(dx, np.zeros_like(dx), method="dpm-log")
    np.testing.assert_array_equal(got, ref.reference_dpm_gradients(dx, np.zeros_like(dx)))
    assert not got[..., :18].any() and not got[..., 19:27].any() and not got[..., 31].any()
    assert (got[:, 1, 18] > 0).all()   # output column 1 = grid column 2 = pixels 16-23


def test_dpm_log_stack_and_float_codes_match_2d():
    rng = np.random.default_rng(5)
    pairs = [_codes(rng, (45, 61), 7) for _ in range(3)]
    dx, dy = np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])
    got = F.hog(dx, dy, method="dpm-log")
    for i, (a, b) in enumerate(pairs):
        np.testing.assert_array_equal(got[i], ref.reference_dpm_gradients(a, b))
    np.testing.assert_array_equal(
        F.hog(dx.astype(np.float64), dy.astype(np.float64), method="dpm-log"), got)


def test_dpm_log_float_gradients_equal_features_cc_linear_path():
    # float gradients are voted as they are: features.cc with LOG_GRADIENTS = 0
    rng = np.random.default_rng(3)
    img = rng.uniform(0, 4095, (43, 53))
    gx = np.zeros_like(img)
    gy = np.zeros_like(img)
    gx[:, 1:-1] = img[:, 2:] - img[:, :-2]
    gy[1:-1] = img[2:] - img[:-2]
    np.testing.assert_array_equal(F.hog(gx, gy, method="dpm-log"),
                                  ref.reference_dpm_image(img, log_gradients=False))


# ---------------------------------------------------------------------------
# Images by the released gradient rule
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("bits", [2, 3, 12])
@pytest.mark.parametrize("shape", [(64, 72, 3), (45, 61, 3), (37, 50)])
def test_dpm_log_hog_of_image_equals_features_cc(bits, shape):
    rng = np.random.default_rng(bits + shape[0])
    # 12-bit raw DN with a smooth part (small gradients) and a noisy one
    img = np.round(rng.uniform(0, 4095, shape) * rng.uniform(0, 1, shape[:1] + (1,) * (len(shape) - 1)))
    img[:10] = 0.0  # dark rows: log(eps)
    np.testing.assert_array_equal(F.dpm_log_hog(img, bits=bits),
                                  ref.reference_dpm_image(img, bitdepth=bits))


def test_dpm_log_codes_colour_takes_strongest_channel():
    rng = np.random.default_rng(8)
    img = rng.uniform(1, 4095, (24, 30, 3))
    dx, dy = F.dpm_log_codes(img, bits=3)
    grad = ref.log_gradient_source(img, True, 3)
    for y in range(1, 23):
        for x in range(1, 29):
            assert (dx[y, x], dy[y, x]) == grad(y, x)[:2]
    assert not dx[0].any() and not dx[:, 0].any() and not dy[-1].any()


# ---------------------------------------------------------------------------
# Real frames through the front end
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("bits", [2, 3])
def test_dpm_log_of_frontend_frames_equals_features_cc(bits):
    scenes = make_wakeup_scenes(2, size=(96, 124), seed=1, p_empty=0.0)
    fe = LogGradientFrontEnd(bits=bits, scales=(1, 2))
    out = emulate(scenes.images, fe, seed=0)
    for i in range(2):
        for j in range(2):
            dx, dy = out.dx[j][i], out.dy[j][i]
            assert dx.any()
            np.testing.assert_array_equal(
                F.hog(dx, dy, method="dpm-log", levels=out.levels),
                ref.reference_dpm_gradients(dx, dy))


def test_ideal_frontend_codes_are_the_released_gradient_rule():
    # noiseless front end on electrons: features.cc's own log, difference and
    # quantiser on I = electrons / full well (one channel)
    rng = np.random.default_rng(2)
    fw = 10000.0
    e = (rng.uniform(0, 1, (48, 56)) ** 3 * fw).astype(np.float32)
    fe = LogGradientFrontEnd(bits=2, scales=(1,), full_well_e=fw)
    codes = fe(e)
    img = e.astype(np.float64) / fw
    np.testing.assert_array_equal(F.hog(codes.dx[0], codes.dy[0], method="dpm-log"),
                                  ref.reference_dpm_image(img, bitdepth=2))


# ---------------------------------------------------------------------------
# The test can fail: other HOG variants differ
# ---------------------------------------------------------------------------
def test_fhog_is_not_the_released_log_hog():
    dx, dy = _codes(np.random.default_rng(0), (64, 64), 3)
    want = ref.reference_dpm_gradients(dx, dy)
    fhog = F.hog(dx, dy, method="fhog")[1:-1, 1:-1]   # features.cc's cells
    assert fhog.shape[:2] == want.shape[:2]
    assert fhog[..., :18].any()                         # contrast-sensitive kept
    assert not np.allclose(fhog[..., 18:27], want[..., 18:27], atol=1e-3)
    # a one-cell shift of the grid (floor instead of the released pixel walk)
    shifted = F.hog(dx[1:, 1:], dy[1:, 1:], method="dpm-log")
    assert not np.array_equal(shifted[:want.shape[0], :want.shape[1]], want)


# ---------------------------------------------------------------------------
# Registry, users of method=, validation
# ---------------------------------------------------------------------------
def test_dpm_log_is_registered_everywhere_method_is_taken():
    assert "dpm-log" in F.HOG_METHODS
    assert F.HOG_METHODS["dpm-log"].n_features(9) == F.DPM_FEATURES == 32
    cfg = load_config(overrides={"frontends": {"hog_method": "dpm-log"}})
    assert cfg["frontends"]["hog_method"] == "dpm-log"
    with pytest.raises(ValueError, match="dpm-log"):
        load_config(overrides={"frontends": {"hog_method": "nope"}})
    _, lut_mag = F.hog_lut("dpm-log", 9, 3)
    assert lut_mag.max() == 2
    with pytest.raises(ValueError, match="dpm-log"):
        F.hog(np.zeros((16, 16), np.int8), np.zeros((16, 16), np.int8), method="nope")


def test_dpm_log_classifier_and_detector_windows_agree():
    scenes = make_wakeup_scenes(6, size=(64, 80), seed=4, target_size=(32, 40), p_empty=0.3)
    crops = np.stack([s[:32, :32] for s in scenes.images])
    y = np.r_[0, 1, 0, 1, 0, 1]
    clf = WakeUpClassifier(frontend="lg1.5", cell_size=8, method="dpm-log").fit(crops, y)
    det = SlidingWindowDetector(clf, scales=(1.0,), threshold=None)
    found = det.detect(scenes.images[0])
    assert len(found) and np.isfinite(found.scores).all()
    # a pyramid window's features are the level map's cells at its own index
    out = det._emulate(scenes.images[:1])
    level = next(det._levels(out, 0, scenes.images.shape[1:3]))[1]
    feats, rows, cols = det._level_windows(level)
    cell_map = F.hog(level.dx[0], level.dy[0], method="dpm-log")
    k = int(np.nonzero((rows == 16) & (cols == 24))[0][0])
    np.testing.assert_array_equal(feats[k], cell_map[2:4, 3:5].ravel())


def test_dpm_log_errors():
    z = np.zeros((19, 40), np.int8)
    with pytest.raises(ValueError, match="too small for dpm-log"):
        F.hog(z, z, method="dpm-log")
    with pytest.raises(ValueError, match="too small for dpm-log"):
        F.dpm_log_hog(np.ones((40, 19)))
    with pytest.raises(ValueError, match="bits"):
        F.dpm_log_codes(np.ones((24, 24)), bits=13)
    with pytest.raises(ValueError, match="image"):
        F.dpm_log_codes(-np.ones((24, 24)))
    with pytest.raises(ValueError, match="image"):
        F.dpm_log_codes(np.ones((24, 24, 4)))
    with pytest.raises(ValueError, match="eps"):
        F.dpm_log_hog(np.ones((24, 24)), eps=0.0)
    with pytest.raises(TypeError):
        F.dpm_log_codes(np.array([["a"] * 24] * 24))
