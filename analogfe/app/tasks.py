"""The run helpers shared by compare, sweep and simulate: config -> objects,
the SVM and ResNet evaluations, the cost of one front end.
"""
from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np

from ..learn.selection import brightness_loss
from .config import derive_seed, task_seed

__all__ = ["split_from_config", "sensor_config_for", "signal_for", "fixed_reference_signal", "exposure_for",
           "EXPOSURE_MODES", "frontend_for", "cell_size_for",
           "torch_threads", "holdout_statistics", "fit_svm_config", "evaluate_svm",
           "fit_resnet",
           "resnet_sweep", "network_profile", "evaluate_resnet", "evaluate_cost",
           "baseline_costs", "cost_ratios", "deployed_frontend", "deployed_cost_rows",
           "resnet_runs"]


# --------------------------------------------------------------------------- data
RESULT_VERSION = 5  # 2: average_power_mw; 3: bits_per_frame is the link bits;
#                     4: brightness_by_exposure (auto-exposure the default);
#                     5: AP on every window, the detector's operating point
#: Version of the cost figures of a stored result; a change recomputes the
#: costs (cheap) and keeps the accuracies. 2: 8-bit front ends on each
#: baseline's ADC, derived HOG bin words, pyramid of the 8-bit front ends;
#: 3: the detector costed on the 31 FHOG features per cell it is trained on.
COST_VERSION = 3
#: The exposure modes every brightness sweep is evaluated in (``scene.exposure``).
EXPOSURE_MODES = ("auto", "fixed")


def _held_out_scenes(n, test_size, seed, window):
    """Wake-up scenes whose training and test scenes show disjoint faces.

    The 100 LFW-subset faces are shuffled by the seed and divided in the
    proportion of the split; the training scenes paste only the first part,
    the test scenes only the rest, so no face image is seen in training and
    tested on (the subset has no identity labels, so one person may still
    appear in both parts). Each part is cut into target crops and two
    background crops per scene of ``window`` pixels; the scenes are kept
    with their boxes for the detector.
    """
    from ..data.builtin import Split, lfw_faces, make_wakeup_scenes

    faces = lfw_faces()
    order = np.random.default_rng(derive_seed(seed, "faces")).permutation(len(faces))
    n_test_faces = max(1, int(round(test_size * len(faces))))
    n_test = max(2, int(round(test_size * n)))
    parts = {}
    for part, idx, count in (("train", order[n_test_faces:], n - n_test),
                             ("test", order[:n_test_faces], n_test)):
        parts[part] = make_wakeup_scenes(count, targets=faces[np.sort(idx)],
                                         seed=task_seed(seed, "scenes", part))
    X_tr, y_tr, _ = parts["train"].crops(window, seed=seed)
    X_te, y_te, _ = parts["test"].crops(window, seed=seed)
    split = Split(X_tr, X_te, y_tr, y_te, tuple(parts["train"].classes))
    return split, SceneSplit(parts["train"], parts["test"])


class SceneSplit(NamedTuple):
    """The training and test scenes (with boxes) behind a crop split: the
    detector trains on the first (windows and hard negatives) and its AP is
    measured on the second."""

    train: object
    test: object


def split_from_config(config, seed=0, *, with_scenes=False):
    """The dataset of ``config["dataset"]`` as a train / test split of images.

    Through :func:`analogfe.data.load_split`: ``"lfw"`` as it is, the wake-up
    scenes generated as training and test scenes with disjoint faces
    (``dataset.n_scenes`` in all, ``test_size`` of them for testing) and cut
    into target and background crops, a VOC /
    PASCALRAW folder as object and background crops, an image folder as its
    images (split at random, by group with ``dataset.group_by = "folder"``,
    or as given by a pre-split folder's ``train/``, ``val/``, ``test/``); ``dataset.window`` sets the size of every image (``"auto"``: the
    dataset's own). ``max_images`` keeps a random subset; ``image_size``
    resizes to ``[height, width]``.

    Returns
    -------
    split : Split
    scenes : SceneSplit or None
        Only with ``with_scenes``: the training and test scenes with their
        boxes, for the detector (wake-up scenes only).
    """
    from .. import data
    from ..data.builtin import Split

    ds = config["dataset"]
    name, ts = ds["name"], ds["test_size"]
    window = None if ds["window"] == "auto" else ds["window"]
    scenes = None
    if name == "wakeup-scenes":
        split, scenes = _held_out_scenes(ds["n_scenes"], ts, seed, window or 32)
    else:
        kw = {}
        if ds["group_by"] != "none" and not data.is_presplit_folder(name):
            kw["group_by"] = ds["group_by"]
        split = data.load_split(name, test_size=ts, seed=seed, window=window, **kw)
    parts = {"train": (split.X_train, split.y_train), "test": (split.X_test, split.y_test)}
    if split.X_val is not None:
        parts["val"] = (split.X_val, split.y_val)
    parts = {k: (np.asarray(X), np.asarray(y)) for k, (X, y) in parts.items()}
    n, total = ds["max_images"], sum(len(y) for _, y in parts.values())
    if n and n < total:
        rng = np.random.default_rng(derive_seed(seed, "max_images"))
        keep = {k: max(2, int(round(n * len(y) / total))) for k, (_, y) in parts.items()
                if k != "train"}
        keep["train"] = n - sum(keep.values())
        for k, (X, y) in parts.items():
            idx = np.sort(rng.permutation(len(y))[: keep[k]])
            parts[k] = (X[idx], y[idx])
    if ds["image_size"]:
        from ..scene.io import resize_image

        size = tuple(ds["image_size"])
        parts = {k: (np.stack([resize_image(im, size) for im in X]), y)
                 for k, (X, y) in parts.items()}
    (X_train, y_train), (X_test, y_test) = parts["train"], parts["test"]
    if len(np.unique(y_train)) < 2 or len(y_test) == 0:
        raise ValueError(f"dataset {name!r} gives {len(y_train)} training images of "
                         f"{len(np.unique(y_train))} class(es) and {len(y_test)} test images; "
                         "training needs two classes and a test split")
    X_val, y_val = parts.get("val", (None, None))
    split = Split(X_train=X_train, X_test=X_test, y_train=y_train, y_test=y_test,
                  classes=tuple(split.classes), X_val=X_val, y_val=y_val)
    return (split, scenes) if with_scenes else split


def sensor_config_for(config, shape, frontend=None):
    """The SensorConfig of ``config["sensor"]`` with height and width of ``shape``.

    Without a ``cfa`` in the configuration, a named front end gets its own
    sensor's (:data:`analogfe.frontend.FRONTENDS`: Bayer RGGB for ``rgb8``,
    monochrome for the others).
    """
    from ..frontend.registry import FRONTENDS
    from ..sensor.model import SensorConfig

    d = dict(config["sensor"])
    d.update(height=int(shape[0]), width=int(shape[1]))
    if "cfa" not in d and frontend in FRONTENDS:
        d["cfa"] = FRONTENDS[frontend].cfa
    return SensorConfig.from_dict(d)


def signal_for(config, sensor_config, mode=None, images=None):
    """``scene.signal_e`` of exposure ``mode`` (default ``scene.exposure``).

    ``"auto"`` with auto-exposure is the full well (white fills the well at
    the nominal exposure, see :data:`analogfe.learn.experiments.DEFAULT_SIGNAL_FRACTION`;
    the auto-exposure then sets each frame's exposure). ``"auto"`` with fixed
    exposure and the training ``images`` given is
    :func:`fixed_reference_signal`: k = 0 is the auto-exposure's operating
    point on the median training image, so the sweep's k > 0 over-exposes and
    k < 0 under-exposes relative to what an auto-exposure would set.
    """
    from ..learn.experiments import default_signal_e

    s = config["scene"]["signal_e"]
    if s != "auto":
        return float(s)
    mode = config["scene"]["exposure"] if mode is None else mode
    if mode == "fixed" and images is not None:
        return fixed_reference_signal(images, sensor_config, config["scene"]["ae_target"])
    return default_signal_e(sensor_config)


def fixed_reference_signal(images_srgb, sensor_config, target):
    """Electrons for a raw value of 1.0 that put the median image's mean at
    ``target`` of the saturation signal: the fixed exposure that matches the
    auto-exposure (:class:`analogfe.sensor.AutoExposure`, average metering)
    on the median training image.

    Parameters
    ----------
    images_srgb : (N, H, W[, 3]) array_like
        The training images (sRGB), unprocessed as the emulation does
        (:func:`analogfe.scene.unprocess` with the sensor's CFA).
    sensor_config : SensorConfig
    target : float
        Fraction of :func:`analogfe.sensor.exposure.saturation_e` (``scene.ae_target``).

    Returns
    -------
    signal_e : float
    """
    from ..scene.camera import unprocess
    from ..sensor.exposure import saturation_e

    raw = unprocess(np.asarray(images_srgb), cfa=sensor_config.cfa)
    m = float(np.median(raw.reshape(len(raw), -1).mean(axis=1)))
    if not m > 0:
        raise ValueError("images_srgb: the median image is black; no exposure meters it")
    return float(target) * saturation_e(sensor_config) / m


def exposure_for(config, mode=None):
    """The ``exposure=`` of the emulation for ``mode`` (default ``scene.exposure``).

    ``"auto"``: an :class:`analogfe.sensor.AutoExposure` with ``scene.ae_target``
    and ``scene.ae_max_gain`` (exposure limits: its defaults, 139 us to 100 ms);
    ``"fixed"``: the nominal exposure at unity gain.
    """
    from .._validation import check_choice
    from ..sensor.exposure import AutoExposure

    s = config["scene"]
    mode = s["exposure"] if mode is None else check_choice(mode, "mode", EXPOSURE_MODES)
    if mode == "fixed":
        return "fixed"
    return AutoExposure(target=s["ae_target"], max_gain=s["ae_max_gain"])


def _other_mode(config):
    return next(m for m in EXPOSURE_MODES if m != config["scene"]["exposure"])


def _sweep_result(config, by, mismatched=None):
    """The brightness entries of a result: the configured mode's ``brightness``
    and ``max_loss``, both modes' in ``brightness_by_exposure`` and
    ``max_loss_by_exposure`` (each mode's sweep by a model trained in it when
    ``scene.retrain_per_exposure``), and ``mismatched`` ({mode: {k: accuracy}}
    of the ``scene.exposure`` model tested in the other mode) with its losses."""
    mine = config["scene"]["exposure"]
    by = {m: dict(sorted(by[m].items())) for m in (mine, _other_mode(config))}
    out = {"exposure": mine, "brightness": by[mine], "max_loss": brightness_loss(by[mine])[0],
           "brightness_by_exposure": by,
           "max_loss_by_exposure": {m: brightness_loss(a)[0] for m, a in by.items()},
           "trained_per_exposure": bool(config["scene"]["retrain_per_exposure"])}
    if mismatched:
        out["brightness_mismatched"] = {m: dict(sorted(a.items())) for m, a in mismatched.items()}
        out["max_loss_mismatched"] = {m: brightness_loss(a)[0] for m, a in mismatched.items()}
    return out


# --------------------------------------------------------------------------- models
def frontend_for(name, config, sensor_config, seed):
    """The front end to emulate and the sensor config to pass with it.

    Without ``frontends.options`` for ``name`` that is the name itself (the
    emulation builds it on ``sensor_config``); with options, the object built
    by :func:`analogfe.frontend.make_frontend` (a digital front end carries
    its own sensor, so the sensor config is then None); see
    :func:`analogfe.learn.saved.build_frontend`, which a reloaded model uses.
    """
    from ..learn.saved import build_frontend

    return build_frontend(name, dict(config["frontends"]["options"].get(name, {})),
                          sensor_config, seed)


def cell_size_for(config, shape):
    """``frontends.cell_size``; ``"auto"`` is 5 px on crops under 64 px (LFW), else 8."""
    c = config["frontends"]["cell_size"]
    if c == "auto":
        from ..learn.wakeup import LFW_CELL_SIZE

        return LFW_CELL_SIZE if min(shape) < 64 else 8
    return int(c)


def fit_svm_config(split, fe, fe_sc, config, sc, *, seed, cv_seed, mode=None, C=None):
    """The wake-up classifier of ``config`` (front end, HOG, SVM sections) fitted
    on ``split``'s training images in exposure ``mode`` (default
    ``scene.exposure``; its signal from :func:`signal_for`); C by
    :func:`analogfe.learn.selection.fit_svm` unless given."""
    from ..learn.classifier import WakeUpClassifier
    from ..learn.selection import fit_svm

    shape = split.X_train.shape[1:3]
    fr = config["frontends"]
    clf = WakeUpClassifier(frontend=fe, sensor_config=fe_sc, seed=seed, scale=fr["scale"],
                           cell_size=cell_size_for(config, shape), method=fr["hog_method"],
                           signal_e=signal_for(config, sc, mode, split.X_train),
                           max_iter=config["svm"]["max_iter"], exposure=exposure_for(config, mode))
    return fit_svm(clf, split.X_train, split.y_train, config["svm"]["C"] if C is None else C,
                   C_grid=config["svm"]["C_grid"], cv_seed=cv_seed)


def evaluate_svm(split, name, config, *, seed=0, scenes=None, progress=False, brightness=True):
    """Train the wake-up SVM on one front end; accuracy and the brightness sweep.

    ``brightness=False`` leaves the brightness sweeps out (accuracy, its
    statistics and the detector only).

    The classifier is :class:`analogfe.learn.classifier.WakeUpClassifier` (front end,
    HOG, linear SVM). With ``svm.C = "auto"`` C is chosen by 5-fold
    cross-validation on the training split only. The classifier is trained
    with the exposure mode ``scene.exposure`` and its brightness sweep is
    evaluated in both modes (``"auto"``: auto-exposure per image, ``"fixed"``:
    none).

    Returns
    -------
    result : dict
        ``accuracy`` and ``roc_auc`` (None for more than two classes) at k = 0,
        ``exposure`` (the configured mode), ``brightness`` ({k: accuracy} in
        that mode), ``max_loss`` (its largest drop against k = 0, in points),
        ``brightness_by_exposure`` ({"auto": {k: accuracy}, "fixed": {k:
        accuracy}}) and ``max_loss_by_exposure`` ({mode: points}), ``C``,
        ``n_features``, ``model`` (the fitted classifier), and with
        ``scenes`` (a :class:`SceneSplit`) ``ap``: PASCAL VOC average
        precision (area, IoU 0.5) on the test scenes of a sliding-window
        detector trained on the training scenes' own windows with
        ``svm.hard_negative_rounds`` rounds of hard-negative mining
        (:func:`analogfe.app.detection.fit_detector`; the classifier's
        front end, sensor, exposure, HOG and window, C = ``svm.detector_C``;
        the crops' C does not carry over to the far more numerous windows),
        its 95 % bootstrap
        interval ``ap_interval``, ``operating_point`` (the score threshold
        the wake-up detector fires on, chosen on the training scenes, and its
        precision, recall and wake-ups per frame on the test scenes:
        :func:`analogfe.app.detection.detector_operating_point`), ``n_test_scenes``, ``detections`` and
        ``detector_windows`` (positive and negative training windows).
    """
    from tqdm.auto import tqdm

    shape = split.X_train.shape[1:3]
    sc = sensor_config_for(config, shape, name)
    fe, fe_sc = frontend_for(name, config, sc, task_seed(seed, name, "sensor"))
    clf = fit_svm_config(split, fe, fe_sc, config, sc, seed=task_seed(seed, name, "sensor"),
                         cv_seed=task_seed(seed, name, "cv"))
    if len(clf.classes_) == 2:
        m = clf.evaluate(split.X_test, split.y_test)
    else:  # ROC AUC and AP of the ranking are defined for two classes only
        pred = clf.predict(split.X_test)
        m = {"accuracy": float(np.mean(pred == np.asarray(split.y_test))), "roc_auc": None,
             "y_pred": pred}
    stats = holdout_statistics(split.y_test, m["y_pred"])
    mine, other = config["scene"]["exposure"], _other_mode(config)
    ks = sorted(set(config["scene"]["brightness_exponents"]) | {0})

    def sweep(model, mode):
        acc = {}
        saved = model.get_params()
        model.set_params(exposure=exposure_for(config, mode),
                         signal_e=signal_for(config, sc, mode, split.X_train))
        for k in tqdm(ks, desc=f"{name} SVM brightness", disable=not progress, leave=False):
            if k == 0 and model is clf and mode == mine:
                acc[0] = float(m["accuracy"])  # measured above
                continue
            model.set_params(brightness=2.0 ** k)
            acc[k] = float(model.score(split.X_test, split.y_test))
        model.set_params(**{p: saved[p] for p in ("brightness", "exposure", "signal_e")})
        return acc

    auc = None if m["roc_auc"] is None else float(m["roc_auc"])
    out = {"accuracy": float(m["accuracy"]), "roc_auc": auc, "C": float(clf.C),
           "n_features": int(clf.n_hog_features_), "model": clf, **stats}
    if brightness:
        by, mismatched = {mine: sweep(clf, mine)}, None
        if config["scene"]["retrain_per_exposure"]:  # C as chosen for the first mode
            own = fit_svm_config(split, fe, fe_sc, config, sc, seed=task_seed(seed, name, "sensor"),
                                 cv_seed=task_seed(seed, name, "cv"), mode=other, C=clf.C)
            by[other], mismatched = sweep(own, other), {other: sweep(clf, other)}
        else:
            by[other] = sweep(clf, other)
        out.update(_sweep_result(config, by, mismatched))
    if scenes is not None and len(clf.classes_) == 2:
        from ..learn.metrics import ap_bootstrap
        from .detection import detector_operating_point, fit_detector

        det = fit_detector(scenes.train, fe, fe_sc, config, shape,
                           seed=task_seed(seed, name, "sensor"), signal_e=clf.signal_e,
                           cell_size=cell_size_for(config, shape), exposure=exposure_for(config))
        test = scenes.test
        # AP on the whole ranked list: every window goes to NMS, none is cut by score
        found = det.detect_batch(test.images, keep_all=True)
        dets = ([d.boxes for d in found], [d.scores for d in found])
        ap, samples = ap_bootstrap([dets], test.boxes, n_boot=AP_BOOTSTRAP,
                                   seed=task_seed(seed, "ap-bootstrap"))
        lo, hi = np.nanpercentile(samples[:, 0], [2.5, 97.5])
        out.update(ap=float(ap[0]), ap_interval=[float(lo), float(hi)],
                   operating_point=detector_operating_point(det, scenes.train, test, dets),
                   n_test_scenes=len(test.images),
                   detector_windows={"positive": int(det.n_positives_),
                                     "negative": int(det.n_negatives_)},
                   detections={"boxes": [np.round(b, 3).tolist() for b in dets[0]],
                               "scores": [np.asarray(v, float).tolist() for v in dets[1]],
                               "gt_boxes": [np.asarray(b, float).tolist() for b in test.boxes]})
    return out


#: Resamples of the test scenes behind each detector AP interval.
AP_BOOTSTRAP = 2000


def holdout_statistics(y_true, y_pred):
    """What a reader needs to judge one accuracy on a finite test set.

    Returns
    -------
    dict
        ``n_test``; ``interval``: the 95 % Wilson interval of the accuracy
        ``[low, high]``; ``balanced_accuracy`` (mean per-class recall);
        ``chance``: the accuracy of always answering the majority test class
        and the balanced accuracy of chance (1 / classes); ``correct``: one
        0/1 per test image, in order, for paired comparisons between front
        ends on the same images (:func:`analogfe.learn.stats.paired_difference_interval`).
    """
    from ..learn.stats import accuracy_interval, balanced_accuracy, chance_level

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    a = accuracy_interval(y_true, y_pred)
    ch = chance_level(y_true)
    return {"n_test": int(a["n"]), "interval": [float(a["low"]), float(a["high"])],
            "balanced_accuracy": float(balanced_accuracy(y_true, y_pred)),
            "chance": {"accuracy": float(ch["accuracy"]),
                       "balanced_accuracy": float(ch["balanced_accuracy"])},
            "correct": [int(v) for v in (y_true == y_pred)]}


def torch_threads(n):
    """Context manager: run torch on ``n`` threads, then restore the setting.

    The ResNet-10 on small images trains fastest on one thread here: with two
    threads on two busy cores, torch's workers wait on each other and a
    training took 40 times longer (measured). ``resnet.threads`` sets it.
    """
    import contextlib

    import torch

    @contextlib.contextmanager
    def ctx():
        old = torch.get_num_threads()
        torch.set_num_threads(n)
        try:
            yield
        finally:
            torch.set_num_threads(old)

    return ctx()


def fit_resnet(split, fe, fe_sc, config, sc, *, seed, test_seed, ks, checkpoint_dir=None,
               progress=False, resume=True, mode=None):
    """Train the ResNet of ``config["resnet"]`` on one front end and sweep brightness.

    Returns the :class:`~analogfe.learn.experiments.TrainedModel` (trained
    in exposure ``mode``, default ``scene.exposure``, at its
    :func:`signal_for`) and its test accuracy at every brightness exponent
    of ``ks`` (``{k: accuracy}``) in that mode. Training and sweep run on
    ``resnet.threads`` torch threads.
    """
    from ..learn.experiments import train_frontend

    r = config["resnet"]
    with torch_threads(r["threads"]):
        tm = train_frontend(
            split, fe, epochs=r["epochs"], width=r["width"], seed=seed,
            signal_e=signal_for(config, sc, mode, split.X_train), sensor_config=fe_sc,
            checkpoint_dir=checkpoint_dir, batch_size=r["batch_size"], lr=r["lr"],
            weight_decay=r["weight_decay"], patience=r["patience"] or None, progress=progress,
            resume=resume, exposure=exposure_for(config, mode))
    return tm, resnet_sweep(tm, split, config, ks=ks, seed=test_seed)


def resnet_sweep(tm, split, config, *, ks, seed, exposure=None):
    """Test accuracy ``{k: accuracy}`` of a trained ResNet over ``ks``
    (:func:`analogfe.learn.experiments.brightness_sweep`) with ``exposure``
    (default: the mode it was trained with), on ``resnet.threads`` threads."""
    from ..learn.experiments import brightness_sweep

    with torch_threads(config["resnet"]["threads"]):
        sw = brightness_sweep({tm.name: tm}, split.X_test, split.y_test, ks=ks, seed=seed,
                              exposure=exposure)
    return {int(k): float(v) for k, v in sw["rows"][0]["accuracy"].items()}


def network_profile(model, height, width):
    """``params``, ``macs`` and ``activation_bits`` of ``model`` on one
    ``height`` x ``width`` frame (:func:`analogfe.system.network.model_profile`)."""
    from ..system.network import model_profile

    prof = model_profile(model, (model.in_channels, int(height), int(width)))
    return {k: int(prof[k]) for k in ("params", "macs", "activation_bits")}


def evaluate_resnet(split, name, config, *, seed=0, checkpoint_dir=None, progress=False,
                    resume=True):
    """Train the ResNet-10 on one front end; accuracy and the brightness sweep.

    Trained with the exposure mode ``scene.exposure``; the brightness sweep
    is evaluated in both modes, as in :func:`evaluate_svm` (``brightness``,
    ``max_loss``, ``brightness_by_exposure``, ``max_loss_by_exposure``; with
    ``scene.retrain_per_exposure`` a second ResNet trained in the other mode
    sweeps that mode, and the first one's sweep there is
    ``brightness_mismatched``), and ``correct``: one 0/1 per test image at
    k = 0, for paired comparisons as the SVM's.
    """
    sc = sensor_config_for(config, split.X_train.shape[1:3], name)
    fe, fe_sc = frontend_for(name, config, sc, task_seed(seed, name, "resnet"))
    ks = sorted(set(config["scene"]["brightness_exponents"]) | {0})
    test_seed = task_seed(seed, name, "test")
    tm, acc = fit_resnet(split, fe, fe_sc, config, sc, seed=task_seed(seed, name, "resnet"),
                         test_seed=test_seed, ks=ks,
                         checkpoint_dir=checkpoint_dir, progress=progress, resume=resume)
    mine, other = config["scene"]["exposure"], _other_mode(config)
    with torch_threads(config["resnet"]["threads"]):  # per test image, as the sweep's k = 0
        pred = tm.evaluate(split.X_test, split.y_test, seed=test_seed + 10_000)["y_pred"]
    correct = [int(v) for v in (np.asarray(pred) == np.asarray(split.y_test))]
    at_other = dataclasses.replace(tm, signal_e=signal_for(config, sc, other, split.X_train))
    tested = resnet_sweep(at_other, split, config, ks=ks, seed=test_seed,
                          exposure=exposure_for(config, other))
    by, mismatched = {mine: acc}, None
    if config["scene"]["retrain_per_exposure"]:
        ck = None if checkpoint_dir is None else f"{checkpoint_dir}-{other}"
        _, by[other] = fit_resnet(split, fe, fe_sc, config, sc,
                                  seed=task_seed(seed, name, "resnet"), test_seed=test_seed,
                                  ks=ks, checkpoint_dir=ck, progress=progress, resume=resume,
                                  mode=other)
        mismatched = {other: tested}
    else:
        by[other] = tested
    prof = network_profile(tm.model, *split.X_test.shape[1:3])
    frame = network_profile(tm.model, config["cost"]["height"], config["cost"]["width"])
    return {"accuracy": by[mine][0], **_sweep_result(config, by, mismatched), "model": tm,
            "params": prof["params"], "macs": prof["macs"],
            "encoding": tm.encoding, "epochs_run": int(tm.result.epochs_run),
            "frame_profile": frame, "correct": correct}


def _summary(r):
    """The JSON-ready figures of one :class:`~analogfe.system.CostResult`."""
    comps = {}
    for comp in r.components:
        comps[comp.name] = comps.get(comp.name, 0.0) + float(comp.energy_pj)
    return {
        "energy_per_frame_pj": float(r.energy_pj),
        "average_power_mw": float(r.power_mw),
        "memory_bits": float(r.memory_bits),
        "link_bits": float(r.link_bits),
        "data_rate_mbps": float(r.data_rate_mbps),
        "components_pj": comps,
        "stages_pj": {k: float(v) for k, v in r.stage_energy_pj().items()},
    }


def evaluate_cost(name, config, *, cnn_profile=None):
    """Bits, memory, energy per frame and average power of one front end.

    Evaluated with :func:`analogfe.system.cost` for the deployed sensor
    (``cost.height`` x ``cost.width``, QVGA by default) at ``cost.fps``, once
    with the wake-up back end (HOG + linear SVM detector, ``"hog-svm"``) and,
    given the ResNet's profile at that frame size, once with the CNN back end.
    The front end is built as the emulation builds it (its sensor from
    ``[sensor]``, with the CFA of the front end when none is configured; its
    ``[frontends.options]``).

    Returns
    -------
    dict
        ``bits_per_frame``: the bits that cross the link per frame in the
        energy model (for a digital front end with the ISP on the SoC, the
        raw ADC words); ``output_bits_per_frame``: the front end's own output
        (e.g. 24-bit RGB); and per back end (``"hog-svm"``, ``"cnn"``):
        ``energy_per_frame_pj``, ``average_power_mw``, ``memory_bits``,
        ``link_bits``, ``data_rate_mbps``, ``components_pj`` (name -> pJ),
        ``stages_pj``; ``energy_by_baseline_pj``: the wake-up path's energy
        with the linear ADC of each baseline of ``cost.baselines`` (what its
        energy ratio divides). The 8-bit front ends' own figures use the
        first baseline's ADC unless ``[cost.options]`` sets ``adc_fom_fj``.
    """
    from ..system import model as system

    c = config["cost"]
    h, w = c["height"], c["width"]
    fe = deployed_frontend(name, config)
    out = {"output_bits_per_frame": int(fe.bits_per_frame(h, w))}
    backends = {"hog-svm": {}}
    if cnn_profile is not None:
        backends["cnn"] = {"cnn": {k: cnn_profile[k] for k in ("params", "macs", "activation_bits")}}
    opts = dict(c["options"])
    for backend, extra in backends.items():
        r = system.cost(fe, h, w, c["fps"], backend, name=name,
                        **{**_adc_of(c["baselines"][0], opts), **opts, **extra})
        out[backend] = _summary(r)
    out["bits_per_frame"] = int(round(out["hog-svm"]["link_bits"]))
    # the wake-up path on the ADC of each baseline, for the ratio to that baseline
    out["energy_by_baseline_pj"] = {
        b: float(system.cost(fe, h, w, c["fps"], "hog-svm", **{**opts, **_adc_of(b, {})}).energy_pj)
        for b in c["baselines"]}
    return out


def deployed_frontend(name, config):
    """Front end ``name`` as the cost model sees it: on the deployed sensor of
    ``[cost]`` (its CFA as the emulation gives it), with its ``[frontends.options]``.

    The deployed sensor's ADC word is the first baseline's (the commercial
    sensor's 10 bits), as its ADC figure of merit is: the 8-bit front ends
    are costed as the chip they stand for, whatever ADC the emulation reads
    (12 bits by default, chosen so that EMVA 1288 characterisation resolves
    the read noise; the 8-bit ISP output hardly depends on it).
    """
    from ..frontend.registry import make_frontend

    c = config["cost"]
    sc = costed_sensor(config, sensor_config_for(config, (c["height"], c["width"]), name))
    return make_frontend(name, sensor_config=sc, seed=0,
                         **config["frontends"]["options"].get(name, {}))


def costed_sensor(config, sensor_config):
    """``sensor_config`` with the first baseline's ADC word (see
    :func:`deployed_frontend`)."""
    from ..system.baseline import get_baseline

    return sensor_config.replace(adc_bits=get_baseline(config["cost"]["baselines"][0]).adc_bits)


def _adc_of(baseline, options):
    """The linear ADC figure of merit of ``baseline``, unless ``options`` set
    one: an 8-bit front end is costed with the ADC of the baseline it is
    compared with (a log-gradient front end has no linear ADC)."""
    from ..system.baseline import get_baseline

    return {} if "adc_fom_fj" in options else {"adc_fom_fj": get_baseline(baseline).adc_fom_fj}


def baseline_costs(config, height=None, width=None):
    """The wake-up path (``"hog-svm"``) of every baseline of ``cost.baselines``.

    At ``height`` x ``width`` (default ``cost.height`` x ``cost.width``) and
    ``cost.fps``, with ``[cost.options]`` except the fields each baseline
    fixes (:meth:`analogfe.system.baseline.Baseline.overrides`).

    Returns
    -------
    dict
        Baseline name -> the figures of :func:`evaluate_cost`'s back ends,
        plus ``bits_per_frame`` and ``baseline`` (its fields).
    """
    from ..system.baseline import get_baseline

    c = config["cost"]
    h, w = height or c["height"], width or c["width"]
    out = {}
    for name in c["baselines"]:
        b = get_baseline(name)
        summary = _summary(b.cost(h, w, c["fps"], "hog-svm", **dict(c["options"])))
        out[name] = {**summary, "bits_per_frame": int(round(summary["link_bits"])),
                     "baseline": b.describe()}
    return out


def cost_ratios(cost, baselines):
    """``link_saving`` (baseline link bits / these) against the first baseline
    and ``energy_ratio_<baseline>`` (this wake-up path's energy / the
    baseline's) for every baseline, an 8-bit front end costed on that
    baseline's ADC; ``cost`` from :func:`evaluate_cost`, ``baselines`` from
    :func:`baseline_costs`."""
    out = {}
    for i, (name, b) in enumerate(baselines.items()):
        if i == 0:
            out["link_saving"] = b["bits_per_frame"] / cost["bits_per_frame"] \
                if cost["bits_per_frame"] else float("inf")
        mine = cost.get("energy_by_baseline_pj", {}).get(name, cost["hog-svm"]["energy_per_frame_pj"])
        out[f"energy_ratio_{name}"] = mine / b["energy_per_frame_pj"]
    return out


def deployed_cost_rows(config, names=None):
    """One row per front end of its cost on the deployed sensor.

    ``frontend``, ``bits_per_frame`` (link bits), ``link_saving``,
    ``energy_per_frame_uj`` (wake-up path), ``average_power_uw`` and
    ``energy_ratio_<baseline>``: the figures ``analogfe compare`` reports,
    from the same :func:`evaluate_cost` and :func:`baseline_costs`, so every
    command gives one front end the same numbers.
    """
    names = list(dict.fromkeys(names if names is not None else config["frontends"]["names"]))
    baselines = baseline_costs(config)
    rows = []
    for name in names:
        c = evaluate_cost(name, config)
        rows.append({"frontend": name, "bits_per_frame": c["bits_per_frame"],
                     "energy_per_frame_uj": c["hog-svm"]["energy_per_frame_pj"] * 1e-6,
                     "average_power_uw": c["hog-svm"]["average_power_mw"] * 1e3,
                     **cost_ratios(c, baselines)})
    return rows


def resnet_runs(config, seed):
    """Whether the ResNet trains at ``seed``: ``resnet.enabled`` and ``seed``
    in ``resnet.seeds`` (or that list empty)."""
    r = config["resnet"]
    return bool(r["enabled"]) and (not r["seeds"] or seed in r["seeds"])
