"""Compare front ends against the RGB baseline: accuracy, bits, memory, energy.

The main job of analogfe. For every front end (RGB 8-bit baseline, gray 8-bit,
log-gradient 1.5 and 2.75 bit by default) it emulates the sensor on a dataset,
trains the wake-up SVM on HOG features and the small ResNet on the front end
output, measures accuracy (and its loss over a brightness sweep), and asks the
cost model for bits per frame, memory, energy per frame and average power.
Each front end's result is stored atomically as JSON in the output folder, keyed
by a hash of the configuration, so an interrupted run resumes where it stopped.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from .config import config_hash, derive_seed, load_config
from .report import atomic_write_json

__all__ = [
    "load_config",
    "load_split",
    "sensor_config_for",
    "signal_for",
    "cell_size_for",
    "evaluate_svm",
    "evaluate_resnet",
    "evaluate_cost",
    "evaluate_frontend",
    "result_rows",
    "write_compare_report",
    "compare",
]


# --------------------------------------------------------------------------- data
RESULT_VERSION = 1


def _scene_split(scenes, test_size, seed, window):
    """Split wake-up scenes by scene; crops for classification, test scenes for AP."""
    from sklearn.model_selection import train_test_split

    from .data.builtin import Split, WakeupScenes

    lab = np.asarray(scenes.labels)
    strat = lab if 0 < lab.sum() < len(lab) else None
    idx_tr, idx_te = train_test_split(np.arange(len(scenes)), test_size=test_size,
                                      random_state=seed, stratify=strat)

    def sub(idx):
        idx = np.sort(idx)
        return WakeupScenes(scenes.images[idx], [scenes.boxes[i] for i in idx], scenes.lux[idx],
                            scenes.labels[idx], tuple(scenes.backgrounds[i] for i in idx))

    tr, te = sub(idx_tr), sub(idx_te)
    X_tr, y_tr, _ = tr.crops(window, seed=seed)
    X_te, y_te, _ = te.crops(window, seed=seed)
    return Split(X_tr, X_te, y_tr, y_te, tuple(scenes.classes)), te


def load_split(config, seed=0, *, with_scenes=False):
    """The dataset of ``config["dataset"]`` as a train / test split of images.

    Through :func:`analogfe.data.load_split`: ``"lfw"`` as it is, the wake-up
    scenes split by scene and cut into target and background crops, a VOC /
    PASCALRAW folder as object and background crops, an image folder as its
    images; ``dataset.window`` sets the size of every image (``"auto"``: the
    dataset's own). ``max_images`` keeps a random subset; ``image_size``
    resizes to ``[height, width]``.

    Returns
    -------
    split : Split
    scenes : WakeupScenes or None
        Only with ``with_scenes``: the test scenes with their boxes, for the
        detector's average precision (wake-up scenes only).
    """
    from . import data
    from .data.builtin import Split

    ds = config["dataset"]
    name, ts = ds["name"], ds["test_size"]
    window = None if ds["window"] == "auto" else ds["window"]
    scenes = None
    if name == "wakeup-scenes" and with_scenes:
        # Split here (as data.load_split does) to keep the test scenes and their boxes.
        split, scenes = _scene_split(data.load_dataset(name, seed=seed), ts, seed, window or 32)
    else:
        split = data.load_split(name, test_size=ts, seed=seed, window=window)
    X_train, y_train = np.asarray(split.X_train), np.asarray(split.y_train)
    X_test, y_test = np.asarray(split.X_test), np.asarray(split.y_test)
    n = ds["max_images"]
    if n and n < len(y_train) + len(y_test):
        rng = np.random.default_rng(derive_seed(seed, "max_images"))
        n_test = max(2, int(round(n * len(y_test) / (len(y_train) + len(y_test)))))
        it = np.sort(rng.permutation(len(y_train))[: n - n_test])
        iv = np.sort(rng.permutation(len(y_test))[:n_test])
        X_train, y_train, X_test, y_test = X_train[it], y_train[it], X_test[iv], y_test[iv]
    if ds["image_size"]:
        from .data._io import resize_image

        size = tuple(ds["image_size"])
        X_train = np.stack([resize_image(im, size) for im in X_train])
        X_test = np.stack([resize_image(im, size) for im in X_test])
    if len(np.unique(y_train)) < 2 or len(y_test) == 0:
        raise ValueError(f"dataset {name!r} gives {len(y_train)} training images of "
                         f"{len(np.unique(y_train))} class(es) and {len(y_test)} test images; "
                         "training needs two classes and a test split")
    split = Split(X_train=X_train, X_test=X_test, y_train=y_train, y_test=y_test,
                  classes=tuple(split.classes))
    return (split, scenes) if with_scenes else split


def sensor_config_for(config, shape, frontend=None):
    """The SensorConfig of ``config["sensor"]`` with height and width of ``shape``.

    Without a ``cfa`` in the configuration, a named front end gets its own
    sensor's (:data:`analogfe.frontend.FRONTENDS`: Bayer RGGB for ``rgb8``,
    monochrome for the others).
    """
    from .frontend import FRONTENDS
    from .sensor import SensorConfig

    d = dict(config["sensor"])
    d.update(height=int(shape[0]), width=int(shape[1]))
    if "cfa" not in d and frontend in FRONTENDS:
        d["cfa"] = FRONTENDS[frontend][2]
    return SensorConfig.from_dict(d)


def signal_for(config, sensor_config):
    """``scene.signal_e``; ``"auto"`` is full well / 8 (3 stops of headroom)."""
    from .train import default_signal_e

    s = config["scene"]["signal_e"]
    return default_signal_e(sensor_config) if s == "auto" else float(s)


# --------------------------------------------------------------------------- models
def frontend_for(name, config, sensor_config, seed):
    """The front end to emulate and the sensor config to pass with it.

    Without ``frontends.options`` for ``name`` that is the name itself (the
    emulation builds it on ``sensor_config``); with options, the object built
    by :func:`analogfe.frontend.make_frontend` (a digital front end carries
    its own sensor, so the sensor config is then None).
    """
    opts = dict(config["frontends"]["options"].get(name, {}))
    if not opts:
        return name, sensor_config
    from .frontend import LogGradientFrontEnd, make_frontend

    fe = make_frontend(name, sensor_config=sensor_config, seed=seed, **opts)
    return fe, (sensor_config if isinstance(fe, LogGradientFrontEnd) else None)


def cell_size_for(config, shape):
    """``frontends.cell_size``; ``"auto"`` is 5 px on crops under 64 px (LFW), else 8."""
    c = config["frontends"]["cell_size"]
    if c == "auto":
        from .wakeup import LFW_CELL_SIZE

        return LFW_CELL_SIZE if min(shape) < 64 else 8
    return int(c)


def evaluate_svm(split, name, config, *, seed=0, scenes=None, progress=False):
    """Train the wake-up SVM on one front end; accuracy and the brightness sweep.

    The classifier is :class:`analogfe.wakeup.WakeUpClassifier` (front end,
    HOG, linear SVM). With ``svm.C = "auto"`` C is chosen by 5-fold
    cross-validation on the training split only.

    Returns
    -------
    result : dict
        ``accuracy`` and ``roc_auc`` (None for more than two classes) at k = 0,
        ``brightness`` ({k: accuracy}),
        ``max_loss`` (largest drop against k = 0, in points), ``C``,
        ``n_features``, ``model`` (the fitted classifier), and with
        ``scenes`` (test scenes with boxes) ``ap``: PASCAL VOC average
        precision (area, IoU 0.5) of the sliding-window detector
        (:class:`analogfe.wakeup.SlidingWindowDetector`) built on the classifier.
    """
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from tqdm.auto import tqdm

    from .wakeup import WakeUpClassifier

    shape = split.X_train.shape[1:3]
    sc = sensor_config_for(config, shape, name)
    fr = config["frontends"]
    fe, fe_sc = frontend_for(name, config, sc, derive_seed(seed, name, "sensor") % 2**31)
    clf = WakeUpClassifier(frontend=fe, sensor_config=fe_sc, seed=derive_seed(seed, name, "sensor") % 2**31,
                           scale=fr["scale"], cell_size=cell_size_for(config, shape),
                           method=fr["hog_method"], signal_e=signal_for(config, sc),
                           max_iter=config["svm"]["max_iter"])
    C = config["svm"]["C"]
    if C == "auto":
        fewest = int(np.unique(np.asarray(split.y_train), return_counts=True)[1].min())
        if fewest < 5:
            raise ValueError(f'svm.C = "auto" chooses C by 5-fold cross-validation and needs 5 '
                             f"training images per class; the smallest class has {fewest}: "
                             "set svm.C to a number or use a larger dataset")
        cv = StratifiedKFold(5, shuffle=True, random_state=derive_seed(seed, name, "cv") % 2**31)
        search = GridSearchCV(clf, {"C": list(config["svm"]["C_grid"])}, cv=cv)
        clf = search.fit(split.X_train, split.y_train).best_estimator_
    else:
        clf.set_params(C=C).fit(split.X_train, split.y_train)
    if len(clf.classes_) == 2:
        m = clf.evaluate(split.X_test, split.y_test)
    else:  # ROC AUC and AP of the ranking are defined for two classes only
        m = {"accuracy": clf.score(split.X_test, split.y_test), "roc_auc": None}
    acc = {0: float(m["accuracy"])}
    ks = sorted(set(config["scene"]["brightness_exponents"]) - {0})
    for k in tqdm(ks, desc=f"{name} SVM brightness", disable=not progress, leave=False):
        acc[k] = float(clf.set_params(brightness=2.0 ** k).score(split.X_test, split.y_test))
    clf.set_params(brightness=1.0)
    acc = dict(sorted(acc.items()))
    loss = max(0.0, max(100.0 * (acc[0] - a) for a in acc.values()))
    auc = None if m["roc_auc"] is None else float(m["roc_auc"])
    out = {"accuracy": acc[0], "roc_auc": auc, "brightness": acc, "max_loss": loss,
           "C": float(clf.C), "n_features": int(clf.n_hog_features_), "model": clf}
    if scenes is not None and len(clf.classes_) == 2:
        from .wakeup import SlidingWindowDetector

        out["ap"] = float(SlidingWindowDetector(clf).evaluate(scenes.images, scenes.boxes).ap)
    return out


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


def evaluate_resnet(split, name, config, *, seed=0, checkpoint_dir=None, progress=False):
    """Train the ResNet-10 on one front end; accuracy and the brightness sweep."""
    with torch_threads(config["resnet"]["threads"]):
        return _evaluate_resnet(split, name, config, seed=seed, checkpoint_dir=checkpoint_dir,
                                progress=progress)


def _evaluate_resnet(split, name, config, *, seed, checkpoint_dir, progress):
    from . import train as _train

    r = config["resnet"]
    sc = sensor_config_for(config, split.X_train.shape[1:3], name)
    fe, fe_sc = frontend_for(name, config, sc, derive_seed(seed, name, "resnet") % 2**31)
    tm = _train.train_frontend(
        split, fe, epochs=r["epochs"], width=r["width"], seed=derive_seed(seed, name, "resnet") % 2**31,
        signal_e=signal_for(config, sc), sensor_config=fe_sc, checkpoint_dir=checkpoint_dir,
        batch_size=r["batch_size"], lr=r["lr"], weight_decay=r["weight_decay"],
        patience=r["patience"] or None, progress=progress)
    ks = sorted(set(config["scene"]["brightness_exponents"]) | {0})
    sw = _train.brightness_sweep({name: tm}, split.X_test, split.y_test, ks=ks,
                                 seed=derive_seed(seed, name, "test") % 2**31)
    row = sw["rows"][0]
    acc = {int(k): float(v) for k, v in row["accuracy"].items()}
    from .models import model_profile

    shape = (tm.model.in_channels,) + tuple(split.X_test.shape[1:3])
    prof = model_profile(tm.model, shape)
    frame = model_profile(tm.model, (tm.model.in_channels, config["cost"]["height"], config["cost"]["width"]))
    return {"accuracy": acc[0], "brightness": acc, "max_loss": float(row["max_loss"]),
            "model": tm, "params": int(prof["params"]), "macs": int(prof["macs"]),
            "encoding": tm.encoding, "epochs_run": int(tm.result.epochs_run),
            "frame_profile": {k: int(frame[k]) for k in ("params", "macs", "activation_bits")}}


def evaluate_cost(name, config, *, cnn_profile=None):
    """Bits, memory, energy per frame and average power of one front end.

    Evaluated with :func:`analogfe.system.cost` for the deployed sensor
    (``cost.height`` x ``cost.width``, QVGA by default) at ``cost.fps``, once
    with the wake-up back end (HOG + linear SVM detector, ``"hog-svm"``) and,
    given the ResNet's profile at that frame size, once with the CNN back end.

    Returns
    -------
    dict
        ``bits_per_frame`` and, per back end (``"hog-svm"``, ``"cnn"``):
        ``energy_per_frame_pj``, ``average_power_w``, ``memory_bits``,
        ``link_bits``, ``data_rate_mbps``, ``components_pj`` (name -> pJ),
        ``stages_pj``.
    """
    from . import system
    from .frontend import make_frontend

    c = config["cost"]
    h, w = c["height"], c["width"]
    sc = sensor_config_for(config, (h, w), name)
    opts = dict(config["frontends"]["options"].get(name, {}))
    fe = make_frontend(name, sensor_config=sc, seed=0, **opts)
    out = {"bits_per_frame": int(fe.bits_per_frame(h, w))}
    backends = {"hog-svm": {}}
    if cnn_profile is not None:
        backends["cnn"] = {"cnn": {k: cnn_profile[k] for k in ("params", "macs", "activation_bits")}}
    for backend, extra in backends.items():
        r = system.cost(fe, h, w, c["fps"], backend, name=name, **{**dict(c["options"]), **extra})
        comps = {}
        for comp in r.components:
            comps[comp.name] = comps.get(comp.name, 0.0) + float(comp.energy_pj)
        out[backend] = {
            "energy_per_frame_pj": float(r.energy_pj),
            "average_power_w": float(r.power_mw) * 1e-3,
            "memory_bits": float(r.memory_bits),
            "link_bits": float(r.link_bits),
            "data_rate_mbps": float(r.data_rate_mbps),
            "components_pj": comps,
            "stages_pj": {k: float(v) for k, v in r.stage_energy_pj().items()},
        }
    return out


# --------------------------------------------------------------------------- compare
def _frontend_hash(config, name, seed):
    fr = {k: v for k, v in config["frontends"].items() if k not in ("names", "baseline", "options")}
    extra = {"frontend": name, "options": config["frontends"]["options"].get(name, {}),
             "frontends": fr, "seed": seed, "version": RESULT_VERSION,
             # the ResNet's profile is taken at the cost model's frame size
             "frame": [config["cost"]["height"], config["cost"]["width"]]}
    return config_hash(config, "dataset", "scene", "sensor", "svm", "resnet", extra=extra)


def _load_result(path, key):
    try:
        d = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    return d if d.get("config_hash") == key else None


def evaluate_frontend(split, name, config, *, seed=0, scenes=None, out_dir=None, progress=False):
    """Every measurement of one front end (SVM, ResNet, brightness, cost) as a dict."""
    t0 = time.perf_counter()
    res = {"frontend": name}
    svm = evaluate_svm(split, name, config, seed=seed, scenes=scenes, progress=progress)
    res["svm"] = {k: v for k, v in svm.items() if k != "model"}
    if config["resnet"]["enabled"]:
        ck = None
        if out_dir is not None:
            ck = str(Path(out_dir) / "checkpoints" / f"{name}-{_frontend_hash(config, name, seed)}")
        rn = evaluate_resnet(split, name, config, seed=seed, checkpoint_dir=ck, progress=progress)
        res["resnet"] = {k: v for k, v in rn.items() if k != "model"}
    res["cost"] = evaluate_cost(name, config, cnn_profile=res.get("resnet", {}).get("frame_profile"))
    res["seconds"] = time.perf_counter() - t0
    return res


COLUMNS = [
    ("frontend", "front end"),
    ("svm_accuracy", "SVM acc.", ".3f"),
    ("svm_ap", "detector AP", ".3f"),
    ("resnet_accuracy", "ResNet-10 acc.", ".3f"),
    ("svm_brightness_loss", "SVM loss 2^k (pts)", ".1f"),
    ("resnet_brightness_loss", "ResNet loss 2^k (pts)", ".1f"),
    ("bits_per_frame", "bits/frame"),
    ("compression", "compression x", ".2f"),
    ("memory_kib", "memory (KiB)", ",.1f"),
    ("energy_per_frame_uj", "SVM path uJ/frame", ",.1f"),
    ("energy_ratio", "energy vs baseline", ".3f"),
    ("cnn_energy_per_frame_uj", "CNN path uJ/frame", ",.0f"),
    ("average_power_uw", "avg power (uW)", ",.1f"),
]


def result_rows(results, baseline):
    """Table rows (one per front end) from :func:`evaluate_frontend` results.

    ``memory_kib``, ``energy_per_frame_uj`` and ``average_power_uw`` are those
    of the wake-up path (front end + HOG + SVM detector); ``cnn_*`` of the
    front end + ResNet-10 path.
    """
    base = results.get(baseline)
    rows = []
    for name, r in results.items():
        c = r["cost"]
        svm = c["hog-svm"]
        row = {"frontend": name,
               "svm_accuracy": r["svm"]["accuracy"],
               "svm_ap": r["svm"].get("ap"),
               "svm_brightness_loss": r["svm"]["max_loss"],
               "bits_per_frame": c["bits_per_frame"],
               "memory_kib": svm["memory_bits"] / 8192.0,
               "energy_per_frame_uj": svm["energy_per_frame_pj"] * 1e-6,
               "average_power_uw": svm["average_power_w"] * 1e6}
        if "resnet" in r:
            row["resnet_accuracy"] = r["resnet"]["accuracy"]
            row["resnet_brightness_loss"] = r["resnet"]["max_loss"]
        if "cnn" in c:
            row["cnn_energy_per_frame_uj"] = c["cnn"]["energy_per_frame_pj"] * 1e-6
        if base is not None:
            row["compression"] = base["cost"]["bits_per_frame"] / c["bits_per_frame"]
            row["energy_ratio"] = svm["energy_per_frame_pj"] / base["cost"]["hog-svm"]["energy_per_frame_pj"]
        rows.append(row)
    return rows


def _stage_figure(split, config, path, seed):
    from .isp import unprocess
    from .report import plot_stages
    from .simulate import simulate_stages, stage_panels

    i = int(np.flatnonzero(np.asarray(split.y_test) == np.max(split.y_test))[0])
    img = np.asarray(split.X_test[i])
    cfa = config["sensor"].get("cfa", "RGGB")
    scene = unprocess(img, cfa=cfa)
    st = simulate_stages(scene, config, cfa=cfa, seed=seed)
    cell = cell_size_for(config, scene.shape)
    return plot_stages(stage_panels(st, cell_size=cell, max_scales=2), path, ncols=5,
                       title=f"Every stage on one test image ({split.classes[int(split.y_test[i])]})")


def _brightness_table(curves):
    ks = sorted({k for ks_, _ in curves.values() for k in ks_})
    rows = []
    for label, (k, acc) in curves.items():
        row = {"model": label}
        row.update({f"k={kk}": a for kk, a in zip(k, acc)})
        rows.append(row)
    return ("Accuracy at each brightness 2^k", rows,
            [("model", "front end, model")] + [(f"k={k}", f"k={k}") for k in ks])


def write_compare_report(results, config, out_dir, *, seed=0, split=None):
    """Plots, ``report.md``, ``report.html`` and ``results.json`` of a comparison."""
    from .report import (atomic_write_json, plot_accuracy_vs, plot_brightness,
                         plot_energy_breakdown, write_report)

    out = Path(out_dir)
    base = config["frontends"]["baseline"]
    rows = result_rows(results, base)
    has_rn = any("resnet" in r for r in results.values())
    ykeys = [("svm_accuracy", "wake-up SVM")] + ([("resnet_accuracy", "ResNet-10")] if has_rn else [])
    has_ap = any("ap" in r["svm"] for r in results.values())
    cols = [c for c in COLUMNS if (has_rn or not c[0].startswith(("resnet", "cnn")))
            and (has_ap or c[0] != "svm_ap")]
    c = config["cost"]
    plots = []
    plots.append(("Accuracy vs bits per frame", plot_accuracy_vs(
        rows, [("bits_per_frame", k, lab) for k, lab in ykeys], out / "accuracy_vs_bits.png",
        xlabel=f"bits off chip per frame ({c['height']}x{c['width']})",
        title="Accuracy vs bits per frame")))
    plots.append(("Accuracy vs energy per frame (Pareto front dashed)", plot_accuracy_vs(
        rows, [("energy_per_frame_uj", "svm_accuracy", "wake-up SVM (HOG + SVM path)")]
        + ([("cnn_energy_per_frame_uj", "resnet_accuracy", "ResNet-10 (CNN path)")] if has_rn else []),
        out / "accuracy_vs_energy.png", xlabel="energy per frame (uJ)", pareto=True,
        title="Accuracy vs energy per frame")))
    curves = {}
    for name, r in results.items():
        for model, label in (("svm", "SVM"), ("resnet", "ResNet-10")):
            if model in r:
                b = {int(k): v for k, v in r[model]["brightness"].items()}
                curves[f"{name} {label}"] = (sorted(b), [b[k] for k in sorted(b)])
    plots.append(("Accuracy vs brightness", plot_brightness(curves, out / "accuracy_vs_brightness.png",
                                                            group_by_first_word=True)))
    plots.append(("Energy per frame by component", plot_energy_breakdown(
        {n: r["cost"]["hog-svm"]["components_pj"] for n, r in results.items()},
        out / "energy_breakdown.png", unit="uJ", scale=1e-6,
        title=f"Energy per frame of the wake-up path by component ({c['height']}x{c['width']})")))
    if split is not None:
        plots.append(("Every stage on one example image",
                      _stage_figure(split, config, out / "stages.png", seed)))
    ds = config["dataset"]
    n = "" if split is None else f" ({len(split.y_train)} training and {len(split.y_test)} test images)"
    intro = (f"Front ends compared on dataset '{ds['name']}'{n}, seed {seed}. Accuracy is on the "
             f"test split at brightness 2^0; the brightness loss is the largest drop in accuracy "
             f"points over scales 2^k, k in {sorted(config['scene']['brightness_exponents'])}. "
             f"Bits, memory and energy are for a {c['height']}x{c['width']} sensor at "
             f"{c['fps']:g} fps; compression and energy ratio are against '{base}'.")
    notes = ["Energy per frame, memory and average power are those of the always-on wake-up path "
             "(sensor and front end, link, ISP for the 8-bit front ends, HOG and a sliding-window "
             "linear-SVM detector over the whole frame, from analogfe.system.cost); the CNN path "
             "runs the ResNet-10 over the whole frame instead."]
    if has_ap:
        notes.append("Detector AP: PASCAL VOC average precision (area, IoU 0.5) of the sliding-window "
                     "detector built on each wake-up SVM, on the test scenes.")
    if any("resnet" in r for r in results.values()):
        r0 = next(r for r in results.values() if "resnet" in r)
        notes.append(f"ResNet-10: width {config['resnet']['width']}, {r0['resnet']['params']:,} "
                     f"parameters, up to {config['resnet']['epochs']} epochs.")
    md, html_ = write_report(out, title="analogfe: front ends against the RGB baseline", intro=intro,
                             rows=rows, columns=cols, figures=plots, notes=notes,
                             tables=[_brightness_table(curves)])
    atomic_write_json(out / "results.json", {"seed": seed, "config": config, "rows": rows,
                                             "results": results})
    return {"rows": rows, "columns": cols, "plots": [p for _, p in plots],
            "report_md": md, "report_html": html_}


def compare(config=None, out_dir="analogfe-out", *, seed=0, progress=True, fresh=False):
    """The main job: every front end against the baseline, and the report.

    Parameters
    ----------
    config : dict, path or None
        See :func:`load_config`.
    out_dir : path
        Output folder: ``results/<frontend>.json`` (one per finished front end,
        reused by a later run with the same configuration and seed),
        ``checkpoints/``, the plots, ``report.md``, ``report.html``,
        ``results.json``.
    seed : int
    progress : bool
        tqdm progress bars.
    fresh : bool
        Recompute every front end even when a stored result matches. A
        stored result whose cost settings differ (e.g. another ``cost.fps``)
        keeps its accuracies and gets its costs recomputed.

    Returns
    -------
    dict
        ``rows``, ``columns``, ``plots``, ``report_md``, ``report_html``,
        ``results`` (front end -> measurements), ``reused`` (names reused).
    """
    from tqdm.auto import tqdm

    config = config if isinstance(config, dict) and "frontends" in config and "cost" in config \
        else load_config(config)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    split, scenes = load_split(config, seed, with_scenes=True)
    results, reused = {}, []
    names = list(dict.fromkeys(config["frontends"]["names"]))
    bar = tqdm(names, desc="compare", disable=not progress)
    for name in bar:
        bar.set_postfix_str(name)
        key = _frontend_hash(config, name, seed)
        path = out / "results" / f"{name}.json"
        stored = None if fresh else _load_result(path, key)
        cost_key = config_hash(config, "cost")
        if stored is not None:
            r = stored["result"]
            reused.append(name)
            if stored.get("cost_hash") != cost_key:  # the cost model alone is cheap to redo
                r["cost"] = evaluate_cost(name, config,
                                          cnn_profile=r.get("resnet", {}).get("frame_profile"))
                atomic_write_json(path, {**stored, "cost_hash": cost_key, "result": r})
        else:
            r = evaluate_frontend(split, name, config, seed=seed, scenes=scenes, out_dir=out,
                                  progress=progress)
            atomic_write_json(path, {"config_hash": key, "cost_hash": cost_key, "frontend": name,
                                     "result": r})
        results[name] = json.loads(json.dumps(r, default=float))
    rep = write_compare_report(results, config, out, seed=seed, split=split)
    rep.update(results=results, reused=reused)
    return rep


def train_one(frontend, model, config, out_dir, *, seed=0, progress=True):
    """Train one classifier on one front end; save the model and its metrics.

    Parameters
    ----------
    frontend : str
        A name of :data:`analogfe.frontend.FRONTENDS`.
    model : {"svm", "resnet10"}
    config : dict
        From :func:`load_config` (``dataset``, ``svm`` / ``resnet`` sections).
    out_dir : path
        Gets ``<model>-<frontend>.pkl`` (the fitted WakeUpClassifier) or
        ``<model>-<frontend>.pt`` (the ResNet's state dict, plus the training
        checkpoint folder), and ``<model>-<frontend>.json`` (metrics).

    Returns
    -------
    dict
        ``accuracy``, ``model_path``, ``metrics_path``, ``metrics``.
    """
    import io
    import pickle

    from ._validation import check_choice
    from .frontend import FRONTENDS
    from .report import _atomic_write_bytes

    check_choice(frontend, "frontend", tuple(FRONTENDS))
    check_choice(model, "model", ("svm", "resnet10"))
    out = Path(out_dir)
    stem = f"{model}-{frontend}"
    split = load_split(config, seed)
    if model == "svm":
        r = evaluate_svm(split, frontend, config, seed=seed, progress=progress)
        model_path = _atomic_write_bytes(out / f"{stem}.pkl", pickle.dumps(r["model"]))
    else:
        import torch

        r = evaluate_resnet(split, frontend, config, seed=seed, progress=progress,
                            checkpoint_dir=str(out / f"{stem}-checkpoints"))
        buf = io.BytesIO()
        torch.save(r["model"].model.state_dict(), buf)
        model_path = _atomic_write_bytes(out / f"{stem}.pt", buf.getvalue())
    metrics = {k: v for k, v in r.items() if k != "model"}
    metrics.update(frontend=frontend, model=model, dataset=config["dataset"]["name"], seed=seed,
                   n_train=int(len(split.y_train)), n_test=int(len(split.y_test)),
                   classes=list(split.classes))
    metrics_path = atomic_write_json(out / f"{stem}.json", metrics)
    return {"accuracy": r["accuracy"], "model_path": str(model_path),
            "metrics_path": str(metrics_path), "metrics": metrics}
