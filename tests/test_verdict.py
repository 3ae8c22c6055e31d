"""The verdict across tasks, on hand-made per-seed results."""
import numpy as np

from analogfe.app.verdict import conclusion_rows, pair_differences, verdict_markdown
from analogfe.learn.stats import paired_difference_interval


def _res(correct, loss=0.5, bits=100, pj=10.0, resnet=None):
    r = {"svm": {"correct": [int(c) for c in correct], "max_loss_by_exposure": {"auto": loss}},
         "cost": {"bits_per_frame": bits, "hog-svm": {"energy_per_frame_pj": pj}}}
    if resnet is not None:
        r["resnet"] = {"correct": [int(c) for c in resnet]}
    return r


def _tasks():
    rng = np.random.default_rng(0)
    n = 400
    base = rng.random(n) < 0.9
    worse = base & (rng.random(n) < 0.8)        # lg1.5: clearly below gray8
    same = base.copy()
    same[:3] = ~same[:3]                         # lg2.75: 3 images apart
    easy = {s: {"rgb8": _res(base, bits=200, pj=50), "gray8": _res(base),
                "lg1.5": _res(base, bits=50, pj=5), "lg2.75": _res(same, loss=3.0)}
            for s in (0, 1)}
    hard = {s: {"rgb8": _res(base, bits=200, pj=50), "gray8": _res(base),
                "lg1.5": _res(worse, bits=50, pj=5, resnet=worse), "lg2.75": _res(same)}
            for s in (0, 1, 2)}
    hard[0]["gray8"]["resnet"] = {"correct": [int(c) for c in base]}
    return {"faces": easy, "textures": hard}


def test_pair_differences_are_the_paired_intervals_of_each_seed():
    pt = _tasks()
    names = ["rgb8", "gray8", "lg1.5", "lg2.75"]
    rows = pair_differences(pt, names)
    r = next(r for r in rows if r["task"] == "textures" and r["pair"] == "lg1.5 - gray8"
             and r["model"] == "svm")
    ref = paired_difference_interval(pt["textures"][0]["lg1.5"]["svm"]["correct"],
                                     pt["textures"][0]["gray8"]["svm"]["correct"])
    assert np.isclose(r["difference"], 100 * ref["diff"]) and np.isclose(r["low"], 100 * ref["low"])
    assert r["seeds"] == [0, 1, 2] and r["below"] == 3 and r["above"] == 0
    # the ResNet row exists only where both front ends have a ResNet (seed 0)
    rn = [r for r in rows if r["model"] == "resnet"]
    assert [(r["task"], r["pair"], r["seeds"]) for r in rn] == [("textures", "lg1.5 - gray8", [0])]
    # pairs: each front end against every one before it
    assert sorted({r["pair"] for r in rows}) == sorted(
        ["gray8 - rgb8", "lg1.5 - rgb8", "lg1.5 - gray8", "lg2.75 - rgb8", "lg2.75 - gray8",
         "lg2.75 - lg1.5"])


def test_conclusions_say_on_which_tasks_they_hold():
    pt = _tasks()
    names = ["rgb8", "gray8", "lg1.5", "lg2.75"]
    by = {r["text"]: r for r in conclusion_rows(pt, names)}
    level = by["on crop classification the SVMs of all front ends are level (no paired interval excludes 0)"]
    assert level["holds"] == ["faces"] and level["fails"] == ["textures"]
    below = by["lg1.5's SVM is below gray8's"]
    assert below["holds"] == ["textures"] and below["fails"] == ["faces"]
    assert by["lg2.75's SVM is level with gray8's"]["holds"] == ["faces", "textures"]
    rn = by["lg1.5's ResNet is below gray8's"]
    assert rn["holds"] == ["textures"] and rn["untested"] == ["faces"]
    robust = next(v for k, v in by.items() if k.startswith("with auto-exposure"))
    assert robust["holds"] == ["textures"] and robust["fails"] == ["faces"]  # lg2.75 lost 3.0
    cheap = by["lg1.5 sends fewer link bits and spends less wake-up-path energy than rgb8"]
    assert cheap["holds"] == ["faces", "textures"]
    md = verdict_markdown(pt, names)
    assert "| lg1.5's SVM is below gray8's | textures | faces | - |" in md
    assert "| textures | SVM | lg1.5 - gray8 |" in md and "3 / 0 of 3" in md
