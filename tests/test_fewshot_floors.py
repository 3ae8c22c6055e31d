"""The few-shot floors: raw front-end output and an untrained Conv-4 on the same
episodes as the meta-trained embedding, the interval-aware verdict, chance, and
the report's tables."""
import json
import tomllib

import numpy as np
import pytest
import torch
from sklearn.neighbors import KNeighborsClassifier, NearestCentroid
from test_fewshot import TINY
from torch_fixtures import _one_thread  # noqa: F401  (autouse: one torch thread)

from analogfe.app.fewshot import load_fewshot_config, run_fewshot
from analogfe.app.fewshot_report import episode_rows, floor_lines, floor_rows
from analogfe.learn.encodings import InputEncoder
from analogfe.learn.fewshot.enroll import Conv4
from analogfe.learn.fewshot.episodes import EpisodeSampler
from analogfe.learn.fewshot.evaluate import (
    FLOORS,
    VERDICTS,
    compare_to_floor,
    evaluate_episodes,
    floor_features,
)


def _packed(n_classes=6, per_class=5, seed=0):
    rng = np.random.default_rng(seed)
    x = torch.from_numpy(rng.integers(0, 256, (n_classes * per_class, 1, 16, 16), dtype=np.uint8))
    return x, np.repeat(np.arange(n_classes), per_class)


def test_raw_floor_is_the_network_input_flattened_and_the_untrained_net_is_seeded():
    x, _ = _packed()
    enc = InputEncoder("gray8")
    model = Conv4(1, 6)
    state = torch.random.get_rng_state()
    a = floor_features(model, enc, x, seed=3, batch_size=7)
    assert torch.equal(torch.random.get_rng_state(), state)  # the global stream is untouched
    np.testing.assert_array_equal(a["raw"], (x.numpy().reshape(len(x), -1) / 255.0)
                                  .astype(np.float32))
    assert a["untrained"].shape == (len(x), model.embedding_dim(16, 16))
    b = floor_features(model, enc, x, seed=3)
    c = floor_features(model, enc, x, seed=4)
    np.testing.assert_array_equal(a["untrained"], b["untrained"])
    assert not np.array_equal(a["untrained"], c["untrained"])
    # the untrained net is not the trained one, only its architecture
    assert not np.allclose(a["untrained"], model.eval()(enc(x)).detach().numpy())
    with pytest.raises(TypeError, match="model must be a Conv4"):
        floor_features(torch.nn.Linear(2, 2), enc, x)


def test_floors_match_scikit_learn_on_the_same_episodes():
    rng = np.random.default_rng(5)
    labels = np.repeat(np.arange(8), 6)
    feats = (rng.normal(size=(8, 20))[labels] + rng.normal(scale=1.5, size=(48, 20))).astype(np.float32)
    pool = np.arange(2, 8)
    kw = dict(ways=4, shots=2, queries=3, episodes=20, seed=9)
    sampler = EpisodeSampler(labels, pool, kw["ways"], kw["shots"], kw["queries"], seed=kw["seed"])
    ref = {"nearest-neighbour": [], "prototype": []}
    for i in range(kw["episodes"]):
        ep = sampler.episode(i)
        for clf, est in (("nearest-neighbour", KNeighborsClassifier(1)),
                         ("prototype", NearestCentroid())):
            est.fit(feats[ep.support], ep.support_labels)
            ref[clf].append(np.mean(est.predict(feats[ep.query]) == ep.query_labels))
    for clf, acc in ref.items():
        got = evaluate_episodes(feats, labels, pool, classifier=clf, **kw)
        assert got["mean"] == pytest.approx(np.mean(acc), abs=1e-12)
        # the floors run on the meta-test rows only: the same episodes, the same result
        rows = np.flatnonzero(np.isin(labels, pool))
        assert evaluate_episodes(feats[rows], labels[rows], pool, classifier=clf, **kw) == got


def test_verdict_needs_intervals_that_do_not_overlap():
    r = lambda m, h: dict(mean=m, half=h, low=m - h, high=m + h)  # noqa: E731
    assert compare_to_floor(r(0.70, 0.05), r(0.50, 0.05)) == "beats"
    assert compare_to_floor(r(0.50, 0.05), r(0.70, 0.05)) == "below"
    assert compare_to_floor(r(0.70, 0.05), r(0.65, 0.05)) == "not distinguishable"
    assert compare_to_floor(r(0.70, 0.05), r(0.60, 0.05)) == "not distinguishable"  # touching
    assert set(VERDICTS) == {"beats", "below", "not distinguishable"}
    with pytest.raises(TypeError, match="floor"):
        compare_to_floor(r(0.7, 0.1), 0.5)


def test_tiny_run_reports_the_floors_and_chance_beside_the_meta_trained_embedding(tmp_path):
    cfg = load_fewshot_config(tomllib.loads(TINY))
    cfg["maml"]["enabled"] = False
    res = run_fewshot(cfg, tmp_path / "out", progress=False)
    stored = json.loads(res["results_json"].read_text())["results"]
    assert set(stored) == {"rgb8", "lg1.5"}
    for name, r in stored.items():
        assert [(e["ways"], e["shots"]) for e in r["episodes"]] == [(3, 1), (3, 2)]
        for e in r["episodes"]:
            assert e["chance"] == pytest.approx(1 / 3)
            for f in FLOORS:
                assert set(e[f]) == {"mean", "half", "low", "high", "n"}
                assert e[f]["n"] == e["prototype"]["n"] == cfg["eval"]["episodes"]
                assert e["verdict"][f] == compare_to_floor(e["prototype"], e[f])
            # one shot: a prototype is that shot, so both raw classifiers agree
            if e["shots"] == 1:
                assert e["raw-prototype"] == e["raw-nearest-neighbour"]
    md = res["report_md"].read_text()
    for text in ("floor: raw input, prototypes", "floor: raw input, nearest neighbour",
                 "floor: untrained Conv-4, prototypes", "chance (100 / ways) | 33.3 | 33.3",
                 "Meta-trained embedding against its floors", "rgb8: the meta-trained embedding",
                 "lg1.5: the meta-trained embedding"):
        assert text in md, text
    rows, _ = floor_rows(stored)
    assert len(rows) == 4 and all(r["chance"] == "33.3" for r in rows)
    # the brightness table carries the floors too, on the same episodes per cell
    for r in stored.values():
        b = r["brightness"]
        assert set(b["floors"]) == set(FLOORS)
        for f in FLOORS:
            assert b["floors"][f]["ks"] == b["ks"] == [-1, 0, 1]
            assert np.shape(b["floors"][f]["accuracy"]) == (3, 3)
    assert "| rgb8 | floor: untrained Conv-4, prototypes |" in md.split("Enroll / query")[1]
    # and class-incremental enrollment: float32 prototypes of the floors' features
    for r in stored.values():
        inc = r["incremental"]
        assert set(inc["floors"]) == {"raw-prototype", "untrained"}
        for fl in inc["floors"].values():
            assert len(fl["curve"]) == 4 and fl["final"] == fl["curve"][-1]
        assert "finetune-head" in inc["curves"]
    assert "| lg1.5 | floor: raw input, prototypes (32 bit) |" in md


def _fake(mean_trained, mean_floor, half=0.01):
    s = lambda m: dict(mean=m, half=half, low=m - half, high=m + half, n=600)  # noqa: E731
    e = dict(ways=5, shots=5, chance=0.2, prototype=s(mean_trained))
    e.update({f: s(mean_floor) for f in FLOORS})
    e["verdict"] = {f: compare_to_floor(e["prototype"], e[f]) for f in FLOORS}
    return {"episodes": [e]}


def test_report_lines_say_whether_and_by_how_much_the_floors_are_beaten():
    lines = floor_lines({"good": _fake(0.7, 0.5), "bad": _fake(0.4, 0.5)})
    assert lines[0] == ("good: the meta-trained embedding beats both floors (raw input and "
                        "untrained Conv-4) in every setting (1).")
    assert lines[1].startswith("bad: the meta-trained embedding beats both floors in 0 of 1 "
                               "settings; its mean trails raw prototypes by up to 10.0 points")
    rows, _ = floor_rows({"bad": _fake(0.4, 0.5)})
    assert "raw nearest neighbour: below (-10.0 points)" in rows[0]["verdict"]
    assert floor_rows({"good": _fake(0.7, 0.5)})[0][0]["verdict"] == "beats every floor"
    # results stored before the floors existed still make a table, without them
    old = {"x": {"episodes": [dict(ways=5, shots=1, prototype=_fake(0.5, 0.5)["episodes"][0]
                                   ["prototype"])]}}
    assert floor_rows(old)[0] == [] and floor_lines(old) == []
    rows, cols = episode_rows(old)
    assert rows[-1] == {"frontend": "any", "method": "chance (100 / ways)", "5-way 1-shot": "20.0"}


def test_incremental_floor_enrolls_the_same_classes_and_shots():
    from analogfe.learn.fewshot.evaluate import incremental

    rng = np.random.default_rng(2)
    labels = np.repeat(np.arange(8), 5)
    feats = (rng.normal(size=(8, 12))[labels] + rng.normal(size=(40, 12))).astype(np.float32)
    pool = np.arange(3, 8)
    kw = dict(n_classes=4, shots=2, bits=(32,), runs=2, seed=4)
    full = incremental(feats, labels, pool, head_steps=2, **kw)
    rows = np.flatnonzero(np.isin(labels, pool))
    protos_only = incremental(feats[rows], labels[rows], pool, heads=False, **kw)
    assert set(protos_only["curves"]) == {"prototype-32bit"}
    assert protos_only["curves"]["prototype-32bit"] == full["curves"]["prototype-32bit"]
    assert protos_only["memory_bits"] == {"prototype-32bit": full["memory_bits"]["prototype-32bit"]}
