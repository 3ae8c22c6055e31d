"""Tests of analogfe.learn.train: the loop, checkpoints, resume, metrics, comparison."""
import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch_fixtures import _one_thread  # noqa: F401  (autouse: one torch thread)

from analogfe.learn import experiments as XP
from analogfe.learn import models as M
from analogfe.learn import train as T


def _toy(n=48, seed=0, channels=2, size=8):
    """Two separable classes: the sign of the mean of channel 0."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, channels, size, size, generator=g)
    y = torch.arange(n) % 2
    x[:, 0] += (2 * y - 1).view(-1, 1, 1).float()
    return x, y


def _net(seed=0):
    torch.manual_seed(seed)
    return M.ResNet(blocks=(1, 1), width=4, in_channels=2, num_classes=2)


def _same_weights(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        torch.testing.assert_close(sa[k], sb[k], rtol=0, atol=0, msg=k)


KW = dict(batch_size=16, lr=1e-2, progress=False, device="cpu")


def test_fit_learns_and_is_repeatable():
    train, val = _toy(seed=0), _toy(24, seed=1)
    a = T.fit(_net(), train, val, epochs=3, seed=5, **KW)
    b = T.fit(_net(), train, val, epochs=3, seed=5, **KW)
    _same_weights(a.model, b.model)
    assert a.history == b.history
    assert a.metrics["accuracy"] >= 0.75
    assert [h["epoch"] for h in a.history] == [1, 2, 3]
    c = T.fit(_net(), train, val, epochs=3, seed=6, **KW)  # another shuffling
    assert c.history != a.history


def test_precise_bn_fixes_lagging_statistics():
    # small, offset inputs and 3 steps per epoch: the running averages of
    # batch norm lag far behind, evaluation falls to chance without precise BN
    (xt, yt), (xv, yv) = _toy(48), _toy(24, seed=1)
    train, val = (0.05 * xt + 0.2, yt), (0.05 * xv + 0.2, yv)
    kw = dict(epochs=2, seed=0, **KW)
    lag = T.fit(_net(), train, val, precise_bn=False, **kw)
    fixed = T.fit(_net(), train, val, precise_bn=True, **kw)
    assert lag.metrics["accuracy"] == 0.5
    assert fixed.metrics["accuracy"] >= 0.9


def test_resume_after_interrupt_gives_same_weights(tmp_path):
    train, val = _toy(), _toy(24, seed=1)
    full = T.fit(_net(), train, val, epochs=3, seed=1, patience=5, **KW)

    def interrupt(epoch, logs):
        if epoch == 1:
            raise KeyboardInterrupt

    ck = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        T.fit(_net(), train, val, epochs=3, seed=1, patience=5, checkpoint_dir=str(ck),
              callbacks=[interrupt], **KW)
    saved = torch.load(ck / T.CHECKPOINT_NAME, weights_only=True)  # tensors and plain types
    assert saved["epoch"] == 1
    assert not [p for p in os.listdir(ck) if p.startswith(".tmp")]
    # a fresh model object (other initial weights) resumes from the file
    resumed = T.fit(_net(seed=99), train, val, epochs=3, seed=1, patience=5,
                    checkpoint_dir=str(ck), **KW)
    _same_weights(full.model, resumed.model)
    assert resumed.history == full.history
    metrics = json.loads((ck / T.METRICS_NAME).read_text())
    assert metrics["epochs_run"] == 3
    assert metrics["accuracy"] == pytest.approx(full.metrics["accuracy"])
    assert np.array(metrics["confusion_matrix"]).sum() == 24


class _Planted:
    """Unpickling this runs code: it would create the file ``marker``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


@pytest.mark.parametrize("content", ["callable", "truncated", "random", "empty", "list"])
def test_unreadable_or_planted_checkpoint_is_ignored(tmp_path, capsys, content):
    train = _toy()
    ck = tmp_path / "run"
    ck.mkdir()
    marker = tmp_path / "code-ran"
    if content == "callable":
        torch.save({"config": _Planted(marker)}, ck / T.CHECKPOINT_NAME)
    elif content == "truncated":
        T.fit(_net(), train, epochs=1, checkpoint_dir=str(ck), **KW)
        data = (ck / T.CHECKPOINT_NAME).read_bytes()
        (ck / T.CHECKPOINT_NAME).write_bytes(data[: len(data) // 2])
    elif content == "list":
        torch.save([1, 2], ck / T.CHECKPOINT_NAME)
    else:
        size = 0 if content == "empty" else 4096
        (ck / T.CHECKPOINT_NAME).write_bytes(np.random.default_rng(0).bytes(size))
    capsys.readouterr()
    res = T.fit(_net(), train, epochs=2, checkpoint_dir=str(ck), **KW)
    assert not marker.exists()
    assert "ignoring unreadable checkpoint" in capsys.readouterr().err
    assert res.epochs_run == 2
    # the run wrote a good checkpoint over the bad one
    assert torch.load(ck / T.CHECKPOINT_NAME, weights_only=True)["epoch"] == 2


def test_checkpoint_from_other_configuration(tmp_path):
    train = _toy()
    T.fit(_net(), train, epochs=1, checkpoint_dir=str(tmp_path), **KW)
    with pytest.raises(ValueError, match=r"another configuration.*lr: checkpoint 0.01 != now 0.02"):
        T.fit(_net(), train, epochs=2, checkpoint_dir=str(tmp_path),
              **{**KW, "lr": 2e-2})
    other = M.ResNet(blocks=(1, 1), width=8, in_channels=2, num_classes=2)
    with pytest.raises(ValueError, match="model: checkpoint"):
        T.fit(other, train, epochs=2, checkpoint_dir=str(tmp_path), **KW)
    # resume=False starts over
    r = T.fit(other, train, epochs=1, checkpoint_dir=str(tmp_path), resume=False, **KW)
    assert r.epochs_run == 1


class _Linear(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.fc = nn.Linear(2 * 8 * 8, 2)

    def forward(self, x):
        return self.fc(x.flatten(1))


def test_early_stopping():
    train, val = _toy(), _toy(24, seed=1)
    # a learning rate this small leaves predictions, so val accuracy, unchanged
    r = T.fit(_Linear(), train, val, epochs=20, seed=0, patience=2, monitor="val_accuracy",
              **{**KW, "lr": 1e-12})
    assert r.stopped_early and r.epochs_run == 3
    with pytest.raises(ValueError, match="patience needs val_data"):
        T.fit(_Linear(), train, epochs=2, patience=2, **KW)


def test_confusion_metrics_by_hand():
    m = T.confusion_metrics([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], classes=["a", "b", "c"])
    assert m["accuracy"] == pytest.approx(3 / 5)
    assert m["per_class_accuracy"] == {"a": 0.5, "b": 1.0, "c": 0.0}
    assert m["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]


def test_progress_bar_shows_loss_and_accuracy(capsys):
    T.fit(_net(), _toy(16), epochs=1, **{**KW, "progress": True})
    err = capsys.readouterr().err
    assert "loss=" in err and "acc=" in err


def test_pick_device():
    assert T.pick_device("cpu").type == "cpu"
    want = "cuda" if torch.cuda.is_available() else "cpu"
    assert T.pick_device().type == want


def test_fit_argument_errors():
    with pytest.raises(ValueError, match="unknown optimizer"):
        T.fit(_net(), _toy(), optimizer="rmsprop", **KW)
    with pytest.raises(ValueError, match="train_data: 4 inputs but 3 labels"):
        T.fit(_net(), (torch.zeros(4, 2, 8, 8), [0, 1, 0]), **KW)
    with pytest.raises(ValueError, match="3 channels"):
        T.fit(_net(), (torch.zeros(4, 3, 8, 8), [0, 1, 0, 1]), **KW)


# ------------------------------------------------- front ends, comparison, sweep


def _small_split(n_train=24, n_test=16):
    from analogfe import data

    s = data.load_lfw(seed=0)
    return data.Split(s.X_train[:n_train], s.X_test[:n_test], s.y_train[:n_train],
                      s.y_test[:n_test], s.classes)


TINY = dict(epochs=1, width=2, batch_size=8, progress=False, device="cpu")


def test_emulate_dataset_shapes_and_brightness():
    X = _small_split().X_train[:4]
    rgb, _ = XP.emulate_dataset(X, "rgb8")  # gray images go to RGB as 3 equal channels
    assert rgb.dtype == torch.uint8 and rgb.shape == (4, 3, 25, 25)
    codes, levels = XP.emulate_dataset(X, "lg2.75", chunk=3)
    assert codes.dtype == torch.int8 and codes.shape == (4, 6, 25, 25) and levels == 7
    dark, _ = XP.emulate_dataset(X, "gray8", brightness=2.0 ** -5, exposure="fixed")
    bright, _ = XP.emulate_dataset(X, "gray8", exposure="fixed")
    assert dark.float().mean() < 0.5 * bright.float().mean()
    # auto-exposure (the default) brings the dark frames back to mid-grey
    dark_ae, _ = XP.emulate_dataset(X, "gray8", brightness=2.0 ** -5)
    bright_ae, _ = XP.emulate_dataset(X, "gray8")
    assert abs(dark_ae.float().mean() - bright_ae.float().mean()) < 0.1 * bright_ae.float().mean()
    with pytest.raises(ValueError, match="exposure"):
        XP.emulate_dataset(X, "gray8", exposure="manual")
    assert XP.default_signal_e() == pytest.approx(10000.0)


def test_compare_and_sweep_tiny(tmp_path):
    split = _small_split()
    out = XP.compare_encodings(split, frontends=("gray8", "lg1.5", ("gray8", "gray8-norm")),
                              seed=0, ks=(-2, 0, 1), checkpoint_dir=str(tmp_path), **TINY)
    assert [r["frontend"] for r in out["rows"]] == ["gray8", "lg1.5", "gray8:gray8-norm"]
    assert [r["channels"] for r in out["rows"]] == [1, 6, 1]
    assert out["models"]["gray8:gray8-norm"].encoding == "gray8-norm"
    assert (tmp_path / "lg1.5" / T.METRICS_NAME).exists()
    sweep = out["sweep"]
    assert sweep["ks"] == [-2, 0, 1]
    for row in sweep["rows"]:
        tm = out["models"][row["frontend"]]
        acc0 = tm.evaluate(split.X_test, split.y_test, seed=10_000)["accuracy"]
        assert row["k0"] == pytest.approx(acc0)
        want = max(0.0, max(100 * (row["k0"] - a) for a in row["accuracy"].values()))
        assert row["max_loss"] == pytest.approx(want)
    text = XP.format_sweep(sweep)
    assert "k=-2" in text and "max loss" in text and len(text.splitlines()) == 5
    text = XP.format_compare(out["rows"])
    assert "gray8:gray8-norm" in text and len(text.splitlines()) == 5
    with pytest.raises(ValueError, match="ks must contain 0"):
        XP.brightness_sweep(out["models"], split.X_test, split.y_test, ks=(1, 2))


def test_compare_on_image_folder(tmp_path):
    import cv2

    rng = np.random.default_rng(0)
    for c, name in enumerate(("bars", "flat")):
        (tmp_path / name).mkdir()
        for i in range(6):
            im = rng.integers(60, 90, (16, 16)).astype(np.uint8)
            if c == 0:
                im[:, ::4] = 220
            cv2.imwrite(str(tmp_path / name / f"{i}.png"), im)
    out = XP.compare_encodings(str(tmp_path), frontends=("lg1.5",), test_size=0.5, **TINY)
    assert out["split"].classes == ("bars", "flat") and len(out["split"].X_test) == 6
    assert 0.0 <= out["rows"][0]["test_accuracy"] <= 1.0


def test_fit_on_emulated_dataset():
    from analogfe.learn.dataset import EmulatedDataset

    s = _small_split(8, 4)
    ds = EmulatedDataset(s.X_train, s.y_train, "lg1.5", encoding="lg-onehot")
    x, _ = ds[0]
    net = M.resnet10(in_channels=x.shape[0], width=2)
    r = T.fit(net, ds, epochs=1, batch_size=4, progress=False, device="cpu")
    assert r.epochs_run == 1


def test_checkpoint_of_another_frontend(tmp_path):
    split = _small_split(16, 8)
    XP.train_frontend(split, "lg1.5", checkpoint_dir=str(tmp_path), **TINY)
    with pytest.raises(ValueError, match=r"levels: checkpoint 3 != now 7.*frontend: "
                                         r"checkpoint 'lg1.5' != now 'lg2.75'"):
        XP.train_frontend(split, "lg2.75", checkpoint_dir=str(tmp_path), **TINY)


def test_compare_on_wakeup_scene_crops():
    out = XP.compare_encodings("wakeup-scenes", frontends=("lg1.5",), window=16,
                              load_kw=dict(n=8, size=(64, 96), target_size=(16, 24)), **TINY)
    assert out["split"].X_train.shape[1:] == (16, 16)
    assert out["split"].classes == ("non-face", "face")
    assert 0.0 <= out["rows"][0]["test_accuracy"] <= 1.0


def test_disk_full_while_saving_a_checkpoint(tmp_path, monkeypatch):
    import errno

    import analogfe._io as io_mod

    # every temporary file is /dev/full: the first write fails with ENOSPC
    monkeypatch.setattr(io_mod.tempfile, "mkstemp",
                        lambda **kw: (os.open("/dev/full", os.O_WRONLY), str(tmp_path / "x.tmp")))
    ck = tmp_path / "run"
    with pytest.raises(OSError) as exc:
        T.fit(_net(), _toy(), epochs=1, checkpoint_dir=str(ck), **KW)
    assert exc.value.errno == errno.ENOSPC
    assert os.listdir(ck) == []  # nothing half-written


def test_resnet_result_does_not_depend_on_the_callers_thread_count():
    """The comparison trains and tests the ResNet on ``resnet.threads`` torch threads
    with deterministic algorithms, whatever the process or machine sets: the same
    accuracies digit for digit with 1 or 2 threads set outside (README,
    reproducibility)."""
    import torch

    from analogfe.app.config import load_config
    from analogfe.app.tasks import evaluate_resnet, split_from_config

    cfg = load_config({"dataset": {"name": "lfw", "max_images": 48},
                       "resnet": {"epochs": 1, "width": 4}, "scene": {"brightness_exponents": [0, 1]}})
    split = split_from_config(cfg, 0)
    before = torch.get_num_threads()
    out = []
    try:
        for n in (1, 2):
            torch.set_num_threads(n)
            r = evaluate_resnet(split, "lg1.5", cfg, seed=0)
            out.append((r["accuracy"], r["brightness_by_exposure"],
                        [p.detach().clone() for p in r["model"].model.parameters()]))
            assert torch.get_num_threads() == n  # restored after the run
    finally:
        torch.set_num_threads(before)
    assert out[0][:2] == out[1][:2]
    assert all(torch.equal(a, b) for a, b in zip(out[0][2], out[1][2]))
