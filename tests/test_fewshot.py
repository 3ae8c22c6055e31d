"""Few-shot enrollment: the glyph set, episodes, prototypes without stored samples,
the interval, quantised memory, and the ``fewshot`` command end to end."""
import math

import numpy as np
import pytest
import torch
from torch_fixtures import _one_thread  # noqa: F401  (autouse: one torch thread)

from analogfe.app import cli
from analogfe.app.fewshot import FEWSHOT_SCHEMA, load_fewshot_config
from analogfe.data.glyphs import DISTINCT_MAX_CORRELATION, _reference, glyph_pool, make_glyphs
from analogfe.learn.fewshot.episodes import EpisodeSampler, episode_interval
from analogfe.learn.fewshot.enroll import (
    Conv4,
    RunningPrototypes,
    accumulator_bits,
    counter_bits,
    prototype_logits,
    prototype_memory_bits,
    prototypes,
    quantize,
)

TINY = """
[data]
n_classes = 24
n_drawings = 6
split = [0.5, 0.125, 0.375]
[frontends]
names = ["rgb8", "lg1.5"]
[scene]
brightness_exponents = [-1, 0, 1]
[train]
width = 4
episodes = 4
ways = 3
shots = 2
queries = 2
val_every = 2
val_episodes = 3
[maml]
episodes = 2
ways = 3
shots = 2
queries = 2
test_episodes = 2
test_steps = 2
[eval]
ways = [3]
shots = [1, 2]
queries = 2
episodes = 5
brightness_ways = 3
brightness_shots = 2
brightness_episodes = 3
[incremental]
classes = 4
shots = 2
runs = 1
head_steps = 2
"""




# ----------------------------------------------------------------------- the data
def test_generator_is_deterministic_per_seed():
    a = make_glyphs(5, 3, size=16, seed=3)
    b = make_glyphs(5, 3, size=16, seed=3)
    c = make_glyphs(5, 3, size=16, seed=4)
    assert a.images.shape == (15, 16, 16, 3) and a.images.dtype == np.uint8
    assert np.array_equal(a.images, b.images) and a.classes == b.classes
    assert not np.array_equal(a.images, c.images)
    assert np.array_equal(a.labels, np.repeat(np.arange(5), 3))
    # every drawing of a class differs (its own warp, stroke, texture, light)
    assert len({a.images[i].tobytes() for i in range(3)}) == 3


def test_classes_are_distinct_and_the_default_meets_the_issue():
    pool = glyph_pool()
    codes = [c for c, _ in pool]
    assert len(set(codes)) == len(codes)
    refs = np.stack([_reference(c) for c in codes])
    corr = refs @ refs.T
    np.fill_diagonal(corr, -1)
    assert corr.max() <= DISTINCT_MAX_CORRELATION + 1e-6
    cfg = load_fewshot_config()
    assert cfg["data"]["n_classes"] >= 600 and cfg["data"]["n_drawings"] >= 20
    assert cfg["eval"]["episodes"] >= 600
    assert len(pool) >= cfg["data"]["n_classes"]
    # Latin o, Greek omicron and Cyrillic o render alike: at most one is a class
    assert sum(c in codes for c in (0x6F, 0x3BF, 0x43E)) <= 1


def test_class_split_is_disjoint_and_covers_every_class():
    gs = make_glyphs(10, 2, size=16, seed=0)
    sp = gs.split_classes((0.6, 0.2, 0.2), seed=1)
    allc = np.concatenate([sp["train"], sp["val"], sp["test"]])
    assert sorted(allc.tolist()) == list(range(10))
    with pytest.raises(ValueError, match="fractions"):
        gs.split_classes((0.5, 0.5))
    with pytest.raises(ValueError, match="without classes"):
        gs.split_classes((1.0, 0.0, 0.0))


# ----------------------------------------------------------------------- episodes
def test_episodes_never_mix_meta_train_and_meta_test_classes():
    labels = np.repeat(np.arange(30), 6)
    train, test = np.arange(0, 20), np.arange(20, 30)
    for pool in (train, test):
        s = EpisodeSampler(labels, pool, ways=5, shots=2, queries=3, seed=0)
        for i in range(50):
            ep = s.episode(i)
            used = set(labels[ep.support]) | set(labels[ep.query])
            assert used <= set(pool.tolist()) and len(set(ep.classes)) == 5
            assert not set(ep.support) & set(ep.query)
            assert np.array_equal(labels[ep.support], ep.classes[ep.support_labels])
    e1, e2 = EpisodeSampler(labels, test, 5, 2, 3, seed=0).episode(7), \
        EpisodeSampler(labels, test, 5, 2, 3, seed=0).episode(7)
    assert np.array_equal(e1.query, e2.query)  # episode i depends on (seed, i) only


@pytest.mark.parametrize("kw, word", [(dict(ways=11), "ways"), (dict(shots=0), "shots"),
                                      (dict(queries=5), "shots \\+ queries"),
                                      (dict(pool=[]), "pool")])
def test_bad_episode_arguments_are_named(kw, word):
    args = dict(labels=np.repeat(np.arange(10), 6), pool=np.arange(10), ways=5, shots=2, queries=2)
    args.update(kw)
    with pytest.raises(ValueError, match=word):
        EpisodeSampler(**args)


def test_interval_matches_a_hand_computation():
    acc = [0.8, 1.0, 0.9, 0.7, 0.6]
    mean = sum(acc) / 5
    sd = math.sqrt(sum((a - mean) ** 2 for a in acc) / 4)
    m, h = episode_interval(acc)
    assert m == pytest.approx(0.8)
    assert h == pytest.approx(1.959964 * sd / math.sqrt(5), rel=1e-6)
    assert episode_interval([0.5]) == (0.5, 0.0)
    with pytest.raises(ValueError, match="empty"):
        episode_interval([])
    with pytest.raises(ValueError, match="accuracies"):
        episode_interval([1.5])


# ----------------------------------------------------------------------- prototypes
def test_prototype_is_the_mean_of_its_support_embeddings():
    rng = np.random.default_rng(0)
    z = torch.from_numpy(rng.normal(size=(12, 7)).astype(np.float32))
    y = torch.tensor([0, 1, 2] * 4)
    p = prototypes(z, y)
    for c in range(3):
        assert torch.allclose(p[c], z[y == c].mean(0), atol=1e-6)
    logits = prototype_logits(z, p)
    assert torch.allclose(logits[3, 1], -((z[3] - p[1]) ** 2).sum(), atol=1e-5)
    with pytest.raises(ValueError, match="labels"):
        prototypes(z, torch.tensor([0, 2] * 6))  # class 1 has no support item
    with pytest.raises(ValueError, match="support"):
        prototypes(z[:0], torch.tensor([], dtype=torch.long))
    with pytest.raises(ValueError, match="query"):
        prototype_logits(z[:, :3], p)


def test_a_new_shot_updates_the_prototype_without_any_stored_sample():
    rng = np.random.default_rng(1)
    shots = rng.normal(size=(6, 5)).astype(np.float32)
    rp = RunningPrototypes(5)
    for k, x in enumerate(shots, 1):
        rp.update(0, x)
        # the device kept one mean and one count per class, nothing else
        assert set(vars(rp)) == {"dim", "bits", "scale", "max_shots", "sums", "counts"}
        assert rp.means.shape == (1, 5) and rp.counts.tolist() == [k]
        np.testing.assert_allclose(rp.means[0], shots[:k].mean(0), atol=1e-5)
    rp.update(1, shots[0])  # a new class
    assert rp.n_classes == 2 and rp.predict(shots[:1]).tolist() == [1]
    with pytest.raises(ValueError, match="label"):
        rp.update(5, shots[0])
    with pytest.raises(ValueError, match="embedding"):
        rp.update(0, shots[0][:3])


def test_prototype_memory_counts_the_sums_and_the_counter():
    # 4-bit grid, up to 255 shots: 4 + 8 = 12-bit sums and an 8-bit counter per class
    assert accumulator_bits(4, 255) == 12 and counter_bits(255) == 8
    assert accumulator_bits(8, 1) == 8 and accumulator_bits(8, 50) == 14
    assert accumulator_bits(8, 64) == 14 and accumulator_bits(8, 65) == 15
    assert accumulator_bits(32, 50) == 64 and counter_bits(1) == 1 and counter_bits(50) == 6
    assert prototype_memory_bits(100, 32, 4) == 100 * (32 * 12 + 8)
    assert prototype_memory_bits(100, 32, 4, max_shots=16) == 100 * (32 * 8 + 5)
    for bits in (32, 8, 4):
        rp = RunningPrototypes(16, bits=bits, scale=2.0, max_shots=20)
        for c in range(7):
            rp.update(c, np.full(16, 0.3 * c, np.float32))
        assert rp.memory_bits == 7 * (16 * accumulator_bits(bits, 20) + counter_bits(20))
        if bits < 32:  # the prototypes as read sit on the quantiser's grid
            step = 2.0 / (2 ** bits - 1)
            np.testing.assert_allclose(rp.means / step, np.rint(rp.means / step), atol=1e-4)
            assert rp.sums.max() < 2 ** rp.accumulator_bits
    q = quantize(np.array([0.0, 0.49, 0.51, 5.0]), 1, 1.0)
    assert q.tolist() == [0.0, 0.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="bits"):
        quantize(np.zeros(2), 20, 1.0)
    with pytest.raises(ValueError, match="bits"):
        accumulator_bits(20, 5)
    with pytest.raises(ValueError, match="max_shots"):
        RunningPrototypes(4, bits=8, max_shots=0)


def _requantised_running_mean(shots, bits, scale):
    """The former scheme, as a reference that fails the bound: ``m += (x - m) / n``
    re-quantised after every shot."""
    m = np.zeros(shots.shape[1])
    for n, x in enumerate(shots, 1):
        m = quantize(m + (x - m) / n, bits, scale).astype(np.float64)
    return m


@pytest.mark.parametrize("bits", [4, 8])
@pytest.mark.parametrize("n_shots", [1, 5, 50])
def test_prototype_read_is_the_quantised_batch_mean_within_half_a_step(bits, n_shots):
    rng = np.random.default_rng([bits, n_shots])
    scale = 3.0
    step = scale / (2 ** bits - 1)
    # embeddings as ReLU outputs: non-negative, some beyond the full scale
    shots = np.maximum(rng.normal(1.2, 1.0, (n_shots, 96)), 0).astype(np.float32)
    rp = RunningPrototypes(96, bits=bits, scale=scale, max_shots=50)
    for x in shots:
        rp.update(0, x)
    # independent reference: plain numpy, the batch mean of the quantised shots
    q = np.clip(np.round(shots.astype(np.float64) / step), 0, 2 ** bits - 1)
    batch = q.mean(axis=0) * step
    err = np.abs(rp.means[0].astype(np.float64) - batch)
    assert err.max() <= step / 2 * (1 + 1e-5)
    # exactly the batch mean rounded to the grid (halves up)
    np.testing.assert_array_equal(np.rint(rp.means[0] / step), np.floor(q.mean(axis=0) + 0.5))
    np.testing.assert_array_equal(rp.sums[0], q.sum(axis=0))
    if n_shots == 50 and bits == 8:  # the case where re-quantising drifted by several steps
        drift = np.abs(_requantised_running_mean(shots, bits, scale) - batch).max() / step
        assert drift > 2.0 and err.max() / step <= 0.5 + 1e-5


def test_float32_prototype_is_the_batch_mean():
    rng = np.random.default_rng(3)
    shots = rng.normal(0.5, 1.0, (50, 40)).astype(np.float32)
    rp = RunningPrototypes(40, bits=32, max_shots=50)
    for x in shots:
        rp.update(0, x)
    ref = shots.astype(np.float64).mean(axis=0).astype(np.float32)
    assert np.all(np.abs(rp.means[0] - ref) <= np.spacing(np.abs(ref)))


def test_a_shot_beyond_max_shots_is_refused():
    rp = RunningPrototypes(3, bits=4, scale=1.0, max_shots=3)
    for _ in range(3):
        rp.update(0, np.ones(3, np.float32))  # the largest code, three times: 45 < 2**6
    assert rp.sums[0].tolist() == [45, 45, 45] and rp.accumulator_bits == 6
    with pytest.raises(ValueError, match="max_shots=3 .*6-bit sums would overflow"):
        rp.update(0, np.ones(3, np.float32))
    assert rp.counts.tolist() == [3]
    rp.update(1, np.ones(3, np.float32))  # another class still enrolls


def test_conv4_checks_its_input_shape():
    m = Conv4(3, 8)
    assert m(torch.zeros(2, 3, 28, 28)).shape == (2, m.embedding_dim(28, 28)) == (2, 8)
    with pytest.raises(ValueError, match="x must be"):
        m(torch.zeros(2, 1, 28, 28))


# ----------------------------------------------------------------------- config and the command
def test_config_rejects_bad_keys_and_impossible_episodes(tmp_path):
    with pytest.raises(ValueError, match="train.epochz"):
        load_fewshot_config({"train": {"epochz": 3}})
    with pytest.raises(ValueError, match="config section 'trian'"):
        load_fewshot_config({"trian": {}})
    with pytest.raises(ValueError, match="eval.ways"):
        load_fewshot_config({"data": {"n_classes": 20}, "train": {"ways": 5},
                             "incremental": {"classes": 5}})
    with pytest.raises(ValueError, match="train.shots"):
        load_fewshot_config({"train": {"shots": 0}})
    with pytest.raises(TypeError, match="eval.shots"):
        load_fewshot_config({"eval": {"shots": 5}})
    assert set(load_fewshot_config()) == set(FEWSHOT_SCHEMA)


def test_defaults_print_as_toml_that_reads_back(capsys, tmp_path):
    assert cli.main(["fewshot", "--defaults"]) == 0
    p = tmp_path / "d.toml"
    p.write_text(capsys.readouterr().out)
    assert load_fewshot_config(p) == load_fewshot_config()


def test_tiny_fewshot_runs_end_to_end_through_the_cli(tmp_path, capsys):
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(TINY)
    out = tmp_path / "out"
    assert cli.main(["fewshot", str(cfg), "-o", str(out), "-q"]) == 0
    for f in ("report.md", "report.html", "results.json", "brightness_heatmaps.png",
              "incremental.png", "glyphs.png", "checkpoints/rgb8/protonet/metatrain.pt"):
        assert (out / f).is_file(), f
    md = (out / "report.md").read_text()
    assert "3-way 1-shot" in md and "first-order MAML" in md and "lg1.5" in md
    import json

    res = json.loads((out / "results.json").read_text())["results"]
    inc = res["lg1.5"]["incremental"]
    assert len(inc["curves"]["prototype-4bit"]) == 4
    # 4 classes of exact sums sized for 2 shots (4 + 1 bits) and a 2-bit counter
    assert inc["memory_bits"]["prototype-4bit"] == 4 * (res["lg1.5"]["embedding_dim"] * 5 + 2)
    # the checkpoint loads with weights_only, and a second run reuses every result
    torch.load(out / "checkpoints" / "rgb8" / "protonet" / "metatrain.pt", weights_only=True)
    capsys.readouterr()
    assert cli.main(["fewshot", str(cfg), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "lg1.5" in printed and "chance (100 / ways)" in printed
    assert "lg1.5: the meta-trained embedding beats both floors" in printed


def test_bad_config_key_is_one_line_through_the_cli(tmp_path, capsys):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[eval]\nwayz = [5]\n")
    with pytest.raises(SystemExit) as exc:
        cli.main(["fewshot", str(cfg), "-o", str(tmp_path / "o")])
    assert exc.value.code == 2 and "eval.wayz" in capsys.readouterr().err


def _tiny_packed(n_classes=8, per_class=4, seed=0):
    rng = np.random.default_rng(seed)
    x = torch.from_numpy(rng.integers(0, 256, (n_classes * per_class, 1, 16, 16), dtype=np.uint8))
    return x, np.repeat(np.arange(n_classes), per_class)


@pytest.mark.parametrize("method", ["protonet", "fomaml"])
def test_interrupted_meta_training_resumes_to_the_same_weights(tmp_path, method):
    from analogfe.learn.fewshot.meta import meta_train

    x, y = _tiny_packed()
    kw = dict(encoding="gray8", method=method, ways=3, shots=1, queries=1, width=4, val_every=2,
              val_episodes=2, val_classes=np.arange(6, 8), checkpoint_every=2, key="k", seed=1)
    straight = meta_train(x, y, np.arange(6), episodes=6, **kw)
    meta_train(x, y, np.arange(6), episodes=4, checkpoint_dir=tmp_path, **kw)  # "interrupted"
    resumed = meta_train(x, y, np.arange(6), episodes=6, checkpoint_dir=tmp_path, **kw)
    for a, b in zip(straight.model.state_dict().values(), resumed.model.state_dict().values()):
        assert torch.equal(a, b)
    assert [h["episode"] for h in resumed.history] == [h["episode"] for h in straight.history]
    with pytest.raises(ValueError, match="ways"):
        meta_train(x, y, np.arange(6), episodes=1, **{**kw, "ways": 7})


def test_cost_counts_prototype_memory_and_what_fits():
    from analogfe.learn.fewshot.cost import enrollment_cost

    m = Conv4(1, 8)
    c = enrollment_cost(m, (1, 28, 28), "lg1.5", n_classes=100, bits=4, count_bits=8,
                        memory_kib=(8,))
    # 8 sums of 4 + 8 bits (up to 255 shots) and the 8-bit counter
    assert c["dim"] == 8 and c["accumulator_bits"] == 12 and c["bits_per_class"] == 8 * 12 + 8
    assert c["memory_kib"] == pytest.approx(100 * 104 / 8192)
    assert c["classes_in_kib"] == {8: 8 * 8192 // 104}
    assert c["recognition_pj_per_frame"] > c["frontend_pj"] + c["embedding_pj"]
    c32 = enrollment_cost(m, (1, 28, 28), "lg1.5", n_classes=100, bits=32)
    assert c32["distance_pj"] > c["distance_pj"]


def test_a_folder_of_classes_is_the_meta_test_set(tmp_path, capsys):
    import imageio.v3 as iio

    from analogfe.app.fewshot import run_fewshot

    # 4 classes of 5 flat-colour images: what the episodes draw must come from them
    root = tmp_path / "real"
    for k in range(4):
        (root / f"c{k}").mkdir(parents=True)
        for i in range(5):
            iio.imwrite(root / f"c{k}" / f"{i}.png", np.full((20, 20, 3), 40 * k + i, np.uint8))
    import tomllib

    cfg = load_fewshot_config(tomllib.loads(TINY))
    cfg["frontends"]["names"] = ["rgb8"]
    cfg["maml"]["enabled"] = False
    cfg["data"]["test_folder"] = str(root)
    res = run_fewshot(cfg, tmp_path / "out", progress=False)
    import json

    classes = json.loads(res["results_json"].read_text())["classes"]
    assert classes["test"] == [f"{root}:c{k}" for k in range(4)]
    assert not any(str(root) in c for c in classes["train"] + classes["val"])
    # too few classes or images for the episodes: a message naming the key
    cfg["eval"]["ways"] = [5]
    with pytest.raises(ValueError, match="eval.ways=5 exceeds the 4 classes of .*real with 4 images"):
        run_fewshot(cfg, tmp_path / "out2", progress=False)
    # a class with too few images for an episode is left out, the run says so
    cfg["eval"]["ways"], cfg["incremental"]["classes"] = [3], 3
    for i in range(2, 5):
        (root / "c3" / f"{i}.png").unlink()
    res = run_fewshot(cfg, tmp_path / "out4", progress=False)
    classes = json.loads(res["results_json"].read_text())["classes"]
    assert classes["test"] == [f"{root}:c{k}" for k in range(3)]
    assert "3 of 4 classes hold 4 images or more" in capsys.readouterr().out
    cfg["data"]["test_folder"] = str(tmp_path / "missing")
    with pytest.raises(ValueError, match="data.test_folder: image folder not found"):
        run_fewshot(cfg, tmp_path / "out3", progress=False)
