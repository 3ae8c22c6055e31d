"""Saved models reload: the same accuracy on the same test split, image by image;
files that are not what they claim (a pickle, a foreign architecture, a changed
checksum) are refused with one line."""
import hashlib
import json
import pickle
from pathlib import Path

import numpy as np
import pytest

import analogfe.learn.saved as saved
from analogfe.app import cli
from analogfe.app.compare import train_one
from analogfe.app.config import load_config
from analogfe.app.tasks import split_from_config
from analogfe.learn import load_model

TINY = """
[dataset]
name = "lfw"
max_images = 48

[svm]
C = 0.1

[resnet]
epochs = 1
width = 4

[scene]
brightness_exponents = [0]

[frontends.options."lg2.75"]
comparator_noise_ln = 0.05
"""


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    p = tmp_path_factory.mktemp("cfg") / "tiny.toml"
    p.write_text(TINY)
    return p


@pytest.fixture(scope="module")
def trained(config, tmp_path_factory):
    """One SVM and two ResNets, each trained once for the module; ``"in_memory"``:
    the model as it was before saving."""
    import analogfe.learn.saved as saved

    out = tmp_path_factory.mktemp("trained")
    cfg = load_config(config)
    kept, real = [], saved.save_model

    def keep(path, model, **kw):
        kept.append(model)
        return real(path, model, **kw)

    res = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(saved, "save_model", keep)
        for m, fe in (("svm", "lg2.75"), ("resnet10", "rgb8"), ("resnet10", "lg1.5")):
            res[m, fe] = train_one(fe, m, cfg, out, seed=0, progress=False)
            res[m, fe]["in_memory"] = kept.pop()
    return res


def _fails(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("key", [("svm", "lg2.75"), ("resnet10", "rgb8"), ("resnet10", "lg1.5")])
def test_a_saved_model_reloads_to_the_same_accuracy(trained, config, key, capsys):
    res = trained[key]
    model = load_model(res["model_path"])
    split = split_from_config(load_config(config), 0)
    r = model.evaluate(split.X_test, split.y_test)
    assert r["accuracy"] == res["accuracy"] and r["n"] == len(split.y_test)
    # image by image, not only in total: the model before saving predicts the same
    before = saved.SavedModel(model.metadata, res["in_memory"]).predict(split.X_test)
    np.testing.assert_array_equal(r["y_pred"], before)
    if "correct" in res["metrics"]:  # the SVM's per-image record
        assert (r["y_pred"] == split.y_test).astype(int).tolist() == res["metrics"]["correct"]
    assert cli.main(["evaluate", res["model_path"]]) == 0
    out = capsys.readouterr().out
    assert f"accuracy {res['accuracy']:.3f} [" in out and f"n = {r['n']} test images of lfw" in out


def test_the_description_says_how_to_rebuild_the_model(trained):
    svm = json.loads(open(trained["svm", "lg2.75"]["model_path"]).read())
    assert svm["architecture"]["name"] == "wakeup-svm"
    assert svm["architecture"]["arguments"]["cell_size"] == 5
    assert svm["frontend"]["options"] == {"comparator_noise_ln": 0.05}
    assert svm["weights"]["file"].endswith(".npz") and svm["classes"] == ["non-face", "face"]
    rn = json.loads(open(trained["resnet10", "rgb8"]["model_path"]).read())
    assert rn["architecture"]["arguments"]["width"] == 4 and rn["encoding"] == "rgb8"
    assert rn["sensor"]["cfa"] == "RGGB" and rn["exposure"]["target"] == 0.18


def _copy(res, tmp_path):
    """The description and weights of a trained model, copied for tampering."""
    src = json.loads(open(res["model_path"]).read())
    dst = tmp_path / "m.model.json"
    (tmp_path / src["weights"]["file"]).write_bytes(open(res["weights_path"], "rb").read())
    dst.write_text(json.dumps(src))
    return dst, src


def _plant(meta_path, meta, data):
    """Replace the weights by ``data`` and the checksum by its own."""
    (meta_path.parent / meta["weights"]["file"]).write_bytes(data)
    meta["weights"]["sha256"] = hashlib.sha256(data).hexdigest()
    meta_path.write_text(json.dumps(meta))


class _Planted:
    """Unpickling this would create a folder: the loader must never do it."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.makedirs, (self.marker,))


def test_a_pickle_in_place_of_the_weights_is_refused(trained, tmp_path, capsys):
    import io

    import torch

    path, meta = _copy(trained["resnet10", "rgb8"], tmp_path)
    marker = str(tmp_path / "planted-ran")
    _plant(path, meta, pickle.dumps({"stem.0.weight": _Planted(marker)}))
    with pytest.raises(ValueError, match="not a torch state dict"):
        load_model(path)
    assert "not a torch state dict" in _fails(["evaluate", str(path)], capsys)
    buf = io.BytesIO()  # the same object inside a torch.save archive
    torch.save({"stem.0.weight": _Planted(marker)}, buf)
    _plant(path, meta, buf.getvalue())
    assert "refused as a torch state dict" in _fails(["predict", str(path), "x.png"], capsys)
    import os

    assert not os.path.exists(marker)


def test_svm_arrays_with_pickled_objects_are_refused(trained, tmp_path, capsys):
    import io

    path, meta = _copy(trained["svm", "lg2.75"], tmp_path)
    with np.load(trained["svm", "lg2.75"]["weights_path"]) as z:
        arrays = dict(z)
    arrays["classes"] = np.array([0, "face"], dtype=object)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    _plant(path, meta, buf.getvalue())
    assert "refused as SVM arrays" in _fails(["evaluate", str(path)], capsys)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_svm_arrays_with_nan_weights_are_refused(trained, tmp_path, capsys, bad):
    import io

    path, meta = _copy(trained["svm", "lg2.75"], tmp_path)
    with np.load(trained["svm", "lg2.75"]["weights_path"]) as z:
        arrays = dict(z)
    arrays["svm_coef"] = arrays["svm_coef"].copy()
    arrays["svm_coef"].flat[3] = bad
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    _plant(path, meta, buf.getvalue())
    assert "SVM arrays hold NaN or infinite values (svm_coef)" in _fails(["evaluate", str(path)],
                                                                          capsys)


@pytest.mark.parametrize("edit, message", [
    (lambda m: m["architecture"].update(name="transformer"), "unknown architecture 'transformer'"),
    (lambda m: m["architecture"]["arguments"].update(depth=50), "takes the arguments"),
    (lambda m: m.update(format="something-else"), "not a model description"),
    (lambda m: m.update(version=99), "version 99 is not supported"),
    (lambda m: m["weights"].update(file="../elsewhere.pt"), "beside the description"),
    (lambda m: m["weights"].update(sha256="0" * 64), "checksum does not match"),
    (lambda m: m["frontend"].update(name="lg9"), "unknown frontend 'lg9'"),
    (lambda m: m["sensor"].update(adc_bits=40), "sensor: "),
    (lambda m: m["architecture"]["arguments"].update(width=8), "do not fit the architecture"),
    # fields checked before anything is built (round 3 of the bad-input corpus)
    (lambda m: m.update(image_channels=7), "image_channels must be 1, 3 or null, got 7"),
    (lambda m: m.update(image_shape=[-4, 32]), "of ints in 1..16384, got"),
    (lambda m: m.update(image_shape=[32, 10 ** 9]), "of ints in 1..16384, got"),
    (lambda m: m.update(seed=2 ** 70), "seed must be an int in 0..2"),
    (lambda m: m.update(seed=-1), "seed must be an int in 0..2"),
    (lambda m: m["frontend"].update(seed=2 ** 64), "frontend seed must be an int in 0..2"),
    (lambda m: m["architecture"]["arguments"].update(width=10 ** 7), "parameters, more than"),
    (lambda m: m["architecture"]["arguments"].update(blocks=[1] * 40), "1 to 8 stages"),
])
def test_a_tampered_description_is_one_line(trained, tmp_path, capsys, edit, message):
    path, meta = _copy(trained["resnet10", "lg1.5"], tmp_path)
    edit(meta)
    path.write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        load_model(path)
    assert message in _fails(["evaluate", str(path)], capsys)


@pytest.mark.parametrize("content", [b"\x80\x04K\x01.", b"{not json", b"[1, 2]"])
def test_a_file_that_is_no_description_is_one_line(tmp_path, capsys, content):
    path = tmp_path / "m.model.json"
    path.write_bytes(content)
    assert "not a model description" in _fails(["evaluate", str(path)], capsys)


def test_missing_files_are_one_line(trained, tmp_path, capsys):
    assert "model file not found" in _fails(["evaluate", str(tmp_path / "none.json")], capsys)
    path, meta = _copy(trained["svm", "lg2.75"], tmp_path)
    (tmp_path / meta["weights"]["file"]).unlink()
    assert "weights file not found" in _fails(["predict", str(path), "x.png"], capsys)
    good = trained["svm", "lg2.75"]["model_path"]
    assert "image file not found" in _fails(["predict", good, str(tmp_path / "no.png")], capsys)


def test_predict_prints_one_line_per_image(trained, config, tmp_path, capsys):
    import imageio.v3 as iio

    split = split_from_config(load_config(config), 0)
    files = []
    for i, im in enumerate(split.X_test[:2]):
        files.append(str(tmp_path / f"gray{i}.png"))
        iio.imwrite(files[-1], im)
    files.append(str(tmp_path / "colour.png"))  # another size, RGB: resized, made gray
    iio.imwrite(files[-1], np.repeat(np.kron(split.X_test[2], np.ones((2, 2), np.uint8))[..., None],
                                     3, axis=-1))
    for key in (("svm", "lg2.75"), ("resnet10", "rgb8")):
        assert cli.main(["predict", trained[key]["model_path"], *files]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert [ln.split(": ", 1)[0] for ln in lines] == files
        labels = [ln.split(": ", 1)[1].split(" (")[0] for ln in lines]
        assert all(lab in ("face", "non-face") for lab in labels)
        # the score beside each label is the model's own
        model = load_model(trained[key]["model_path"])
        batch = np.stack([model.prepare(iio.imread(f)) for f in files])
        scores, pred = model.scores(batch), model.predict(batch)
        for ln, sc, p in zip(lines, scores, pred):
            if key[0] == "svm":
                positive = model.label_name(model.estimator.classes_[1])
                assert f"(SVM decision value {sc:+.3f}, positive means {positive})" in ln
                assert (sc > 0) == (model.label_name(p) == positive)
            else:
                assert sc.sum() == pytest.approx(1.0) and int(np.argmax(sc)) == int(p)
                assert f"(softmax {sc.max():.3f})" in ln
    deep = tmp_path / "deep.png"  # 16-bit: refused without advice about options predict lacks
    iio.imwrite(deep, np.full((8, 8), 60000, np.uint16))
    line = _fails(["predict", trained["svm", "lg2.75"]["model_path"], str(deep)], capsys)
    assert "8-bit" in line and "raw_bits" not in line


def test_evaluate_on_images_of_another_size_names_both(trained, capsys, tmp_path):
    cfg = tmp_path / "big.toml"
    cfg.write_text('[dataset]\nname = "lfw"\nmax_images = 48\nimage_size = [32, 32]\n')
    line = _fails(["evaluate", trained["svm", "lg2.75"]["model_path"], "--config", str(cfg)], capsys)
    assert "32x32" in line and "25x25" in line and "dataset.image_size" in line


def test_labels_of_another_dataset_are_matched_by_class_name(trained, config, capsys):
    model = load_model(trained["svm", "lg2.75"]["model_path"])
    split = split_from_config(load_config(config), 0)
    mine = model.evaluate(split.X_test, split.y_test)
    swapped = model.evaluate(split.X_test, 1 - split.y_test, classes=["face", "non-face"])
    assert swapped["accuracy"] == mine["accuracy"]
    with pytest.raises(ValueError, match=r"classes \['cat'\] are not the model's"):
        model.evaluate(split.X_test, split.y_test, classes=["cat", "face"])
    # an image folder sorts its classes (face, non-face): the other order than LFW's
    folder = str(Path(__file__).parents[1] / "datasets" / "image-folder" / "sample")
    assert cli.main(["evaluate", trained["svm", "lg2.75"]["model_path"], "--dataset", folder]) == 0
    assert "accuracy 1.000 [" in capsys.readouterr().out
