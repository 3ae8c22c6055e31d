"""Tests of analogfe.learn: the wake-up classifier, the detector, the LFW evidence."""
import dataclasses

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from analogfe.data import load_lfw, make_wakeup_scenes
from analogfe.data.boxes import box_iou
from analogfe.features import hog
from analogfe.frontend import LogGradientFrontEnd, emulate
from analogfe.learn import SlidingWindowDetector, WakeUpClassifier, train_detector
from analogfe.learn.wakeup import compare_frontends_lfw, format_comparison

FRONTENDS = ("rgb8", "gray8", "lg1.5", "lg2.75")


@pytest.fixture(scope="module")
def lfw():
    return load_lfw(seed=0)


@pytest.fixture(scope="module")
def fitted(lfw):
    return WakeUpClassifier("lg1.5", cell_size=5).fit(lfw.X_train, lfw.y_train)


# ---------------------------------------------------------------- classifier
@pytest.mark.parametrize("frontend", FRONTENDS)
def test_classifier_learns_faces(lfw, frontend):
    clf = WakeUpClassifier(frontend, cell_size=5, C=0.01).fit(lfw.X_train, lfw.y_train)
    # chance is 0.5 on the balanced 50-image test split
    assert clf.score(lfw.X_test, lfw.y_test) >= 0.8
    assert set(clf.predict(lfw.X_test)) <= {0, 1}
    assert clf.classes_.tolist() == [0, 1]


def test_decision_function_is_linear_in_raw_hog(lfw, fitted):
    F = fitted.features(lfw.X_test)
    assert F.dtype == np.float32 and F.shape == (len(lfw.X_test), fitted.n_hog_features_)
    d = fitted.decision_function(lfw.X_test)
    np.testing.assert_allclose(F.astype(np.float64) @ fitted.coef_[0] + fitted.intercept_[0],
                               d, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(fitted.predict(lfw.X_test), fitted.classes_[(d > 0).astype(int)])


def test_fit_is_reproducible_and_frontends_differ(lfw):
    X, y = lfw.X_train[:60], lfw.y_train[:60]
    a = WakeUpClassifier("lg1.5", cell_size=5, seed=3).fit(X, y)
    b = WakeUpClassifier("lg1.5", cell_size=5, seed=3).fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    c = WakeUpClassifier("lg2.75", cell_size=5, seed=3).fit(X, y)
    assert not np.allclose(a.features(X[:5]), c.features(X[:5]))


def test_string_labels(lfw):
    names = np.array(["other", "face"])[lfw.y_train]
    clf = WakeUpClassifier("gray8", cell_size=5).fit(lfw.X_train, names)
    assert clf.classes_.tolist() == ["face", "other"]
    pred = clf.predict(lfw.X_test)
    assert np.mean(pred == np.array(["other", "face"])[lfw.y_test]) >= 0.8
    # positive decision values mean classes_[1]
    np.testing.assert_array_equal(pred == "other", clf.decision_function(lfw.X_test) > 0)


def test_params_and_clone():
    clf = WakeUpClassifier("gray8", C=0.5, cell_size=4)
    p = clf.get_params()
    assert p["frontend"] == "gray8" and p["C"] == 0.5 and p["cell_size"] == 4
    c2 = clone(clf).set_params(C=2.0, frontend="lg2.75")
    assert c2.C == 2.0 and c2.frontend == "lg2.75" and clf.C == 0.5
    name = "WakeUpClassifier"
    check_no_attributes_set_in_init(name, WakeUpClassifier())
    check_parameters_default_constructible(name, WakeUpClassifier())
    check_get_params_invariance(name, WakeUpClassifier())
    check_set_params(name, WakeUpClassifier())


def _to_uint8(X):
    return np.clip(np.rint(np.asarray(X) * 255.0), 0, 255).astype(np.uint8)


def test_pipeline_and_grid_search(lfw):
    X, y = lfw.X_train, lfw.y_train
    pipe = Pipeline([("srgb8", FunctionTransformer(_to_uint8)),
                     ("wake", WakeUpClassifier("lg1.5", cell_size=5))])
    pipe.fit(X / 255.0, y)
    assert pipe.score(lfw.X_test / 255.0, lfw.y_test) >= 0.8
    grid = GridSearchCV(WakeUpClassifier(cell_size=5),
                        {"frontend": ["gray8", "lg1.5"], "C": [0.01, 1.0]}, cv=3)
    grid.fit(X, y)
    assert grid.best_params_["frontend"] in ("gray8", "lg1.5")
    assert len(grid.cv_results_["mean_test_score"]) == 4
    assert grid.score(lfw.X_test, lfw.y_test) >= 0.8
    assert cross_val_score(WakeUpClassifier("rgb8", cell_size=5), X, y, cv=3).mean() >= 0.8


def test_evaluate_metrics(lfw, fitted):
    m = fitted.evaluate(lfw.X_test, lfw.y_test)
    assert m["accuracy"] == pytest.approx(fitted.score(lfw.X_test, lfw.y_test))
    assert 0.8 <= m["roc_auc"] <= 1.0 and 0.8 <= m["ap_voc_area"] <= 1.0


def test_classifier_bad_input(lfw, fitted):
    X, y = lfw.X_train[:20], lfw.y_train[:20]
    with pytest.raises(ValueError, match="X"):
        WakeUpClassifier().fit(X[0], y[:1])  # one (H, W) image, not a stack
    with pytest.raises(ValueError, match="X"):
        WakeUpClassifier().fit(np.zeros((4, 8, 8, 4), np.uint8), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="y"):
        WakeUpClassifier().fit(X, y[:-1])
    with pytest.raises(ValueError, match="y"):
        WakeUpClassifier().fit(X, np.ones(len(X), int))
    with pytest.raises(ValueError, match="frontend"):
        WakeUpClassifier(frontend="lg9").fit(X, y)
    with pytest.raises(ValueError, match="cell_size"):
        WakeUpClassifier(cell_size=0).fit(X, y)
    with pytest.raises(ValueError, match="X"):
        WakeUpClassifier().fit(X / 100.0, y)  # floats beyond [0, 1]
    with pytest.raises(ValueError, match="X"):
        fitted.predict(np.zeros((2, 30, 30), np.uint8))  # other image size
    with pytest.raises(TypeError, match="X"):
        WakeUpClassifier().fit(np.array([["a"]] * 2), [0, 1])


# ---------------------------------------------------------------- detector
def test_detector_windows_match_classifier_features(fitted):
    rng = np.random.default_rng(0)
    scene = rng.integers(0, 256, (52, 64), dtype=np.uint8)
    det = SlidingWindowDetector(fitted, stride=5, scales=(1, 2), threshold=None, mode="crops")
    boxes, scores = det.window_scores(scene)
    # level 1: windows at y = 0, 5, ..., 25 (6) and x = 0, 5, ..., 35 (8); level 2
    # (26 x 32 px): y = 0, x = 0, 5, the last covering (10, 0, 60, 50) in the image
    assert len(boxes) == 6 * 8 + 2
    assert boxes[-1].tolist() == [10, 0, 60, 50]
    assert boxes[9].tolist() == [5, 5, 30, 30]
    # "crops": a window's score is the classifier's decision on that crop of
    # the same emulated frame
    out = emulate(scene[None], "lg1.5", seed=fitted.seed)
    crop = dataclasses.replace(out, dx=[out.dx[0][:, 5:30, 5:30]],
                               dy=[out.dy[0][:, 5:30, 5:30]], scales=(1,))
    F = fitted.features_from_output(crop)
    assert scores[9] == pytest.approx(fitted.decision_function_from_features(F)[0], abs=1e-9)
    # "pyramid": the same window cut from the cell map of the whole level
    pyr = SlidingWindowDetector(fitted, stride=5, scales=(1, 2), threshold=None)
    pboxes, pscores = pyr.window_scores(scene)
    np.testing.assert_array_equal(pboxes, boxes)
    cells = hog(out.dx[1][0], out.dy[1][0], cell_size=5, levels=out.levels)  # scale 2
    w = cells[0:5, 1:6].ravel().astype(np.float64)
    assert pscores[-1] == pytest.approx(w @ fitted.coef_[0] + fitted.intercept_[0], abs=1e-9)
    # the two modes see the same image: their scores are strongly correlated
    assert np.corrcoef(scores, pscores)[0, 1] > 0.8
    # raw weights give the same scores
    raw = SlidingWindowDetector((fitted.coef_, fitted.intercept_), frontend="lg1.5",
                                window=(25, 25), cell_size=5, stride=5, scales=(1, 2),
                                threshold=None, seed=fitted.seed)
    np.testing.assert_allclose(raw.window_scores(scene)[1], pscores, atol=1e-9)


def test_detector_bayer_codes_count_quads():
    # on a Bayer sensor the log-gradient codes of scale k are of 2k x 2k pixels
    fe = LogGradientFrontEnd(bits=2, scales=(1, 2), cfa="RGGB")
    scene = np.random.default_rng(3).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    det = SlidingWindowDetector((np.zeros(3 * 3 * 31), 0.0), frontend=fe, window=(12, 12),
                                cell_size=4, threshold=None)
    boxes, _ = det.window_scores(scene)
    assert sorted(set(boxes[:, 2] - boxes[:, 0])) == [24.0, 48.0]
    assert boxes[:, 2].max() <= 64 and boxes[:, 3].max() <= 64
    with pytest.raises(ValueError, match="scales"):
        SlidingWindowDetector((np.zeros(279), 0.0), frontend=fe, window=(12, 12), cell_size=4,
                              scales=(1,)).detect(scene)


@pytest.mark.parametrize("mode", ["pyramid", "crops"])
def test_detector_image_pyramid_for_8bit(lfw, mode):
    clf = WakeUpClassifier("gray8", cell_size=5).fit(lfw.X_train[:60], lfw.y_train[:60])
    scene = np.random.default_rng(2).integers(0, 256, (60, 70), dtype=np.uint8)
    det = SlidingWindowDetector(clf, stride=5, threshold=None, mode=mode, downscale=1.5)
    boxes, scores = det.window_scores(scene)
    sizes = sorted(set(np.round(boxes[:, 2] - boxes[:, 0], 6)))
    # levels of scale 1, 1.5, 2.25 (60 / 2.25 = 26.7 px still holds a 25-px window)
    assert sizes == [25.0, 37.5, 56.25]
    assert boxes[:, 2].max() <= 70 + 1e-9 and boxes[:, 3].max() <= 60 + 1e-9


def test_detector_nms_and_threshold(fitted):
    rng = np.random.default_rng(1)
    scene = rng.integers(0, 256, (50, 60), dtype=np.uint8)
    det = SlidingWindowDetector(fitted, scales=(1,), threshold=None, nms_iou=0.3)
    found = det.detect(scene)
    assert len(found) >= 1 and np.all(np.diff(found.scores) <= 0)
    iou = box_iou(found.boxes, found.boxes)
    np.fill_diagonal(iou, 0)
    assert iou.max() <= 0.3
    _, all_scores = det.window_scores(scene)
    assert found.scores[0] == all_scores.max()
    high = SlidingWindowDetector(fitted, scales=(1,), threshold=all_scores.max())
    assert len(high.detect(scene)) == 0
    top = SlidingWindowDetector(fitted, scales=(1,), threshold=None, max_detections=2)
    np.testing.assert_array_equal(top.detect(scene).boxes, found.boxes[:2])


def test_detector_finds_faces_in_scenes():
    kw = dict(size=(64, 80), target_size=(24, 27), max_targets=1)
    train = make_wakeup_scenes(30, seed=0, p_empty=0.0, **kw)
    X, y, _ = train.crops(window=24, negatives_per_image=6, seed=0)
    clf = WakeUpClassifier("lg1.5", cell_size=4, C=0.01).fit(X, y)
    test = make_wakeup_scenes(8, seed=100, p_empty=0.25, **kw)
    det = SlidingWindowDetector(clf, scales=(1,), threshold=-0.5)
    ev = det.evaluate(test.images, test.boxes)
    n_targets = sum(len(b) for b in test.boxes)
    assert ev.n_positives == n_targets >= 4
    # measured 0.88; a detector that finds nothing scores 0, random weights ~0.1
    assert ev.ap >= 0.5
    ev11 = det.evaluate(test.images, test.boxes, rule="11point")
    assert ev11.ap >= 0.5


def test_train_detector_on_emulated_scenes():
    kw = dict(size=(64, 80), target_size=(24, 27), max_targets=1)
    train = make_wakeup_scenes(30, seed=0, p_empty=0.0, **kw)
    det = train_detector(train.images, train.boxes, frontend="lg1.5", window=(24, 24),
                         cell_size=4, scales=(1,), hard_negative_rounds=1, threshold=-0.5)
    # every box yields at least its best window; 20 random negatives per scene
    # plus up to 10 hard ones per scene
    assert det.n_positives_ >= 30 and 600 <= det.n_negatives_ <= 900
    test = make_wakeup_scenes(8, seed=100, p_empty=0.25, **kw)
    ev = det.evaluate(test.images, test.boxes)
    assert ev.ap >= 0.5  # measured 0.81
    # AP is computed on every window: the deployment threshold does not cut it
    det.threshold = 1e9
    assert len(det.detect(test.images[0])) == 0
    assert det.evaluate(test.images, test.boxes).ap == ev.ap
    kept = det.detect_batch(test.images, keep_all=True)
    assert sum(len(d) for d in kept) == len(ev.scores)
    with pytest.raises(ValueError, match="gt_boxes"):
        train_detector(train.images, train.boxes[:-1], window=(24, 24), cell_size=4)
    with pytest.raises(ValueError, match="gt_boxes"):  # 60-px boxes, no 24-px window fits
        train_detector(train.images[:2], [[[0, 0, 60, 60]]] * 2, window=(24, 24),
                       cell_size=4, scales=(1,))


def test_detector_bad_input(fitted):
    det = SlidingWindowDetector(fitted, scales=(1,))
    with pytest.raises(ValueError, match="larger than image"):
        det.detect(np.zeros((20, 40), np.uint8))
    with pytest.raises(ValueError, match="image"):
        det.detect(np.zeros((2, 40, 40, 2), np.uint8))
    with pytest.raises(ValueError, match="scales"):
        SlidingWindowDetector(fitted, scales=(3,)).detect(np.zeros((90, 90), np.uint8))
    with pytest.raises(ValueError, match="stride"):
        SlidingWindowDetector(fitted, stride=3)
    with pytest.raises(ValueError, match="mode"):
        SlidingWindowDetector(fitted, mode="dense")
    with pytest.raises(ValueError, match="window"):
        SlidingWindowDetector(fitted, window=(30, 30))
    with pytest.raises(ValueError, match="frontend"):
        SlidingWindowDetector((np.ones(10), 0.0), window=(8, 8), cell_size=4)
    with pytest.raises(ValueError, match="nms_iou"):
        SlidingWindowDetector(fitted, nms_iou=2.0)
    with pytest.raises(TypeError, match="classifier"):
        SlidingWindowDetector("lg1.5")
    with pytest.raises(ValueError, match="frontend"):
        SlidingWindowDetector((np.ones(10), 0.0), frontend="lg7", window=(8, 8), cell_size=4)


# ---------------------------------------------------------------- evidence
def test_compare_frontends_lfw_table():
    rows = compare_frontends_lfw(seed=0, C=0.01)
    assert [r["frontend"] for r in rows] == list(FRONTENDS)
    for r in rows:
        assert r["n_train"] == 150 and r["n_test"] == 50 and r["cell_size"] == 5
        assert 0.8 <= r["accuracy"] <= 1.0 and 0.8 <= r["roc_auc"] <= 1.0
    text = format_comparison(rows)
    assert "lg1.5" in text and len(text.splitlines()) == 5


def test_exposure_mode_of_the_classifier_and_detector():
    split = load_lfw(seed=0, test_size=0.25)
    X, y = split.X_train[:40], split.y_train[:40]
    with pytest.raises(ValueError, match="unknown exposure 'manual'"):
        WakeUpClassifier("gray8", cell_size=5, exposure="manual").fit(X, y)
    fixed = WakeUpClassifier("gray8", cell_size=5, exposure="fixed").fit(X, y)
    auto = WakeUpClassifier("gray8", cell_size=5).fit(X, y)
    assert auto.exposure == "auto" and clone(fixed).exposure == "fixed"
    dark_fixed = fixed.set_params(brightness=2.0 ** -5).emulate(X[:4])
    dark_auto = auto.set_params(brightness=2.0 ** -5).emulate(X[:4])
    assert dark_fixed.mean() < 0.5 * dark_auto.mean()
    assert np.array_equal(dark_fixed, emulate(X[:4], "gray8", brightness=2.0 ** -5,
                                              exposure="fixed"))
    assert SlidingWindowDetector(fixed).exposure == "fixed"
    assert SlidingWindowDetector(fixed, exposure="auto").exposure == "auto"


@pytest.mark.parametrize("seed", range(3))
def test_linear_svm_reaches_the_optimum_on_crop_shaped_data(seed):
    # About 1.3 samples per feature, as the wake-up crops' HOG: the solver
    # _fit_linear picks must reach the optimum of the squared-hinge objective
    # (scikit-learn's dual="auto" takes the primal here, which stops 3e-4 above it).
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    from analogfe.learn.classifier import _fit_linear

    rng = np.random.default_rng(seed)
    F = rng.standard_normal((390, 300)) ** 2 * (rng.random((390, 300)) < 0.3)
    score = F @ rng.standard_normal(300) + 0.5 * rng.standard_normal(390)
    y = (score > np.median(score)).astype(int)
    Z = StandardScaler().fit_transform(F)

    def objective(coef, b):
        margin = np.maximum(0.0, 1.0 - np.where(y == 1, 1.0, -1.0) * (Z @ coef + b))
        return 0.5 * (coef @ coef + b * b) + (margin ** 2).sum()

    ref = LinearSVC(C=1.0, dual=True, tol=1e-10, max_iter=10 ** 6).fit(Z, y)
    svm, *_ = _fit_linear(F, y, C=1.0, standardize=True, class_weight=None, max_iter=20000)
    best = objective(ref.coef_.ravel(), ref.intercept_[0])
    assert objective(svm.coef_.ravel(), svm.intercept_[0]) <= best * (1 + 1e-5)
