"""The evaluation protocol of the main job on tiny wake-up scenes: AP on every
window, the detector's operating point chosen on training scenes, design
choices made on validation, never on the test set."""
import dataclasses
import json

import numpy as np
import pytest

from analogfe.app.config import load_config

TINY = {"dataset": {"name": "wakeup-scenes", "n_scenes": 40}, "svm": {"C": 0.1},
        "frontends": {"names": ["gray8", "lg1.5"], "threshold_sweep": [1.25]},
        "scene": {"brightness_exponents": [0]}, "resnet": {"enabled": False},
        "compare": {"seeds": [0]}}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    from analogfe.app.compare import run_compare

    out = tmp_path_factory.mktemp("protocol")
    res = run_compare(load_config(TINY), out, progress=False)
    return out, res


def test_ap_is_computed_on_every_window(tiny_run):
    from analogfe.learn.metrics import evaluate_detections

    out, res = tiny_run
    svm = res["results"]["lg1.5"]["svm"]
    d = svm["detections"]
    ev = evaluate_detections([np.asarray(b, float).reshape(-1, 4) for b in d["boxes"]],
                             [np.asarray(s, float) for s in d["scores"]],
                             [np.asarray(b, float).reshape(-1, 4) for b in d["gt_boxes"]])
    assert ev.ap == pytest.approx(svm["ap"], abs=1e-12)
    # no score cut: windows scoring below 0 (the old default threshold) are kept
    assert min(min(s) for s in d["scores"] if s) < 0
    # recall reaches what NMS leaves, not what a threshold leaves
    op = svm["operating_point"]
    assert ev.recall[-1] >= op["test"]["recall"]


def test_operating_point_is_chosen_on_training_scenes(tiny_run, monkeypatch):
    from analogfe.app.tasks import split_from_config
    from analogfe.app.detection import detector_operating_point
    from analogfe.learn.metrics import operating_point

    out, res = tiny_run
    op = res["results"]["gray8"]["svm"]["operating_point"]
    assert op["threshold"] == op["train"]["threshold"] == op["test"]["threshold"]
    for k in ("precision", "recall", "wakeups_per_frame", "wakeups_per_empty_frame"):
        assert 0.0 <= op["test"][k] <= 1.0
    # the threshold is the largest-F1 one of the training scenes' detections
    _, scenes = split_from_config(load_config(TINY), 0, with_scenes=True)

    class Fake:
        def detect_batch(self, images, keep_all):
            assert keep_all and len(images) == len(scenes.train.images)
            rng = np.random.default_rng(0)
            return [type("D", (), {"boxes": np.array([[0.0, 0, 30, 30]]),
                                   "scores": rng.normal(size=1)})() for _ in images]

    test_dets = ([np.zeros((0, 4))] * len(scenes.test.images),
                 [np.zeros(0)] * len(scenes.test.images))
    got = detector_operating_point(Fake(), scenes.train, scenes.test, test_dets)
    found = Fake().detect_batch(scenes.train.images, keep_all=True)
    want = operating_point([f.boxes for f in found], [f.scores for f in found], scenes.train.boxes)
    assert got["threshold"] == want["threshold"]
    assert got["test"]["wakeups_per_frame"] == 0.0


def test_threshold_is_chosen_on_validation_and_reported(tiny_run):
    out, res = tiny_run
    r = res["results"]["lg1.5"]
    choice = r["threshold_choice"]
    scores = {"2 (formula)": choice["formula_validation"]["score"],
              **{t: v["validation"]["score"] for t, v in r["threshold_sweep"].items()}}
    assert choice["chosen"] == max(scores, key=lambda t: (scores[t], t == "2 (formula)"))
    assert choice["formula_validation"]["metric"] == "ap"
    md = (out / "report.md").read_text()
    assert "chosen by the detector's AP on a held-out quarter of the training scenes" in md
    assert "| 2 (formula) |" in md and "| 1.25 |" in md and "AP - gray8 (test)" in md
    stored = json.loads((out / "results" / "seed0" / "lg1.5-threshold-1.25.json").read_text())
    assert "validation" in stored["result"]


def test_validation_score_never_reads_the_test_data():
    from analogfe.app.tasks import SceneSplit, split_from_config
    from analogfe.app.validation import validation_score, validation_split

    cfg = load_config(TINY)
    split, scenes = split_from_config(cfg, 0, with_scenes=True)
    a = validation_score(split, "lg1.5", cfg, seed=0, scenes=scenes)
    noise = dataclasses.replace(split, X_test=np.zeros_like(split.X_test))
    blank = dataclasses.replace(scenes.test, images=np.zeros_like(scenes.test.images))
    b = validation_score(noise, "lg1.5", cfg, seed=0, scenes=SceneSplit(scenes.train, blank))
    assert a == b and a["metric"] == "ap" and a["n_fit"] + a["n_val"] == len(scenes.train.images)
    c = validation_score(noise, "lg1.5", cfg, seed=0)  # no scenes: SVM on held-out crops
    assert c["metric"] == "accuracy" and 0.0 <= c["score"] <= 1.0
    fit, val = validation_split(scenes.train.labels, 0)
    assert not set(fit) & set(val) and len(fit) + len(val) == len(scenes.train.labels)
    with pytest.raises(ValueError, match="labels"):
        validation_split([0, 1, 1], 0)


def test_fixed_exposure_sweep_uses_models_trained_without_auto_exposure(tiny_config):
    from analogfe.app.tasks import (
        evaluate_svm,
        fit_svm_config,
        frontend_for,
        sensor_config_for,
        signal_for,
        split_from_config,
    )

    cfg = load_config(tiny_config)
    split = split_from_config(cfg, seed=0)
    r = evaluate_svm(split, "lg1.5", cfg, seed=0)
    assert r["trained_per_exposure"] and r["model"].exposure != "fixed"
    assert set(r["brightness_mismatched"]) == {"fixed"}
    # the fixed sweep is that of a classifier trained without auto-exposure
    sc = sensor_config_for(cfg, split.X_train.shape[1:3], "lg1.5")
    from analogfe.app.config import task_seed

    fe, fe_sc = frontend_for("lg1.5", cfg, sc, task_seed(0, "lg1.5", "sensor"))
    own = fit_svm_config(split, fe, fe_sc, cfg, sc, seed=task_seed(0, "lg1.5", "sensor"),
                         cv_seed=task_seed(0, "lg1.5", "cv"), mode="fixed")
    assert own.exposure == "fixed" and own.signal_e == signal_for(cfg, sc, "fixed", split.X_train)
    assert r["brightness_by_exposure"]["fixed"][0] == own.score(split.X_test, split.y_test)
    off = load_config(tiny_config, overrides={"scene": {"retrain_per_exposure": False}})
    r2 = evaluate_svm(split, "lg1.5", off, seed=0)
    assert "brightness_mismatched" not in r2
    assert r2["brightness_by_exposure"]["fixed"] == r["brightness_mismatched"]["fixed"]


def test_fixed_reference_puts_the_median_image_at_the_ae_target():
    from analogfe.app.tasks import fixed_reference_signal, signal_for
    from analogfe.scene.camera import unprocess
    from analogfe.sensor import SensorConfig
    from analogfe.sensor.exposure import saturation_e

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (9, 16, 16), dtype=np.uint8)
    sc = SensorConfig(height=16, width=16)
    s = fixed_reference_signal(images, sc, 0.18)
    means = unprocess(images).reshape(9, -1).mean(axis=1)
    assert np.median(means) * s == pytest.approx(0.18 * saturation_e(sc), rel=1e-9)
    cfg = load_config({})
    assert signal_for(cfg, sc, "fixed", images) == pytest.approx(s)
    assert signal_for(cfg, sc, "auto", images) == sc.full_well_e   # the AE's nominal
    assert signal_for(load_config({"scene": {"signal_e": 500.0}}), sc, "fixed", images) == 500.0
    with pytest.raises(ValueError, match="black"):
        fixed_reference_signal(np.zeros((3, 8, 8), np.uint8), sc, 0.18)


def test_energy_ratios_carry_the_range_of_their_assumptions():
    from analogfe.app.energy_ranges import energy_ranges
    from analogfe.app.tasks import baseline_costs, cost_ratios, evaluate_cost

    cfg = load_config({"frontends": {"names": ["rgb8", "gray8", "lg1.5"]}})
    rows = {r["ratio"]: r for r in energy_ranges(cfg)}
    assert "rgb8 / commercial-adc" not in rows   # a baseline's own front end is 1
    base = baseline_costs(cfg)
    for name in ("gray8", "lg1.5"):   # the central value is the main table's ratio
        want = cost_ratios(evaluate_cost(name, cfg), base)
        for b in ("commercial-adc", "survey-adc"):
            r = rows[f"{name} / {b}"]
            assert r["central"] == pytest.approx(want[f"energy_ratio_{b}"], rel=1e-9)
            assert r["low"] <= r["central"] <= r["high"]
            assert r["low"] == min([r["central"], *r["values"].values()])
    lg = rows["lg1.5 / commercial-adc"]["values"]
    # both chips pinned to their measured energy: the link energy cannot move it ...
    assert lg["link: 4 pJ/bit"] == pytest.approx(rows["lg1.5 / commercial-adc"]["central"], rel=1e-3)
    # ... what the measured figures include and how they split does
    assert lg["jssc_includes_link: no: the link on top"] > rows["lg1.5 / commercial-adc"]["central"]
    assert lg["adc_share: 70 %"] > lg["adc_share: 85 %"]
    assert rows["lg1.5 / commercial-adc"]["by"].startswith("jssc_includes_link")
    # the compressed descriptor is the labelled alternative: the trained one costs more
    comp = load_config({"frontends": {"names": ["rgb8", "gray8", "lg1.5"]},
                        "cost": {"options": {"hog_descriptor": "reachable-bins"}}})
    alt = cost_ratios(evaluate_cost("lg1.5", comp), baseline_costs(comp))
    assert rows["lg1.5 / commercial-adc"]["compressed"] == pytest.approx(
        alt["energy_ratio_commercial-adc"], rel=1e-9)
    assert rows["lg1.5 / commercial-adc"]["compressed"] < rows["lg1.5 / commercial-adc"]["central"]
