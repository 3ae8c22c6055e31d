"""Choices made without the test set: the detector of one front end, its
deployment threshold, and a validation score for design parameters.

A design parameter of a front end (the 1.5-bit converter's ratio threshold,
say) is chosen by a score on a validation split of the *training* data; the
test set is read once, for the chosen value's reported number.
"""
from __future__ import annotations

import numpy as np

from .config import task_seed

__all__ = ["VALIDATION_FRACTION", "fit_detector", "detector_operating_point", "validation_split",
           "validation_score"]

#: Fraction of the training scenes (or crops) held out to validate a design choice.
VALIDATION_FRACTION = 0.25


def fit_detector(train, fe, fe_sc, config, sc, shape, *, seed, signal_e=None):
    """The sliding-window detector of ``config`` trained on the scenes ``train``.

    :func:`analogfe.learn.detector.train_detector` on the front end ``fe``
    (with ``fe_sc``), the HOG settings of ``[frontends]``, the window
    ``shape``, ``svm.detector_C`` and ``svm.hard_negative_rounds``, the
    signal and exposure of ``[scene]`` (``sc``: the sensor config the signal
    is taken from, or ``signal_e``). Its ``threshold`` is None: every window
    goes to NMS.
    """
    from ..learn.detector import train_detector
    from .tasks import cell_size_for, exposure_for, signal_for

    shape = tuple(int(v) for v in shape)
    return train_detector(
        train.images, train.boxes, frontend=fe, window=shape, cell_size=cell_size_for(config, shape),
        C=config["svm"]["detector_C"], seed=seed,
        hard_negative_rounds=config["svm"]["hard_negative_rounds"],
        method=config["frontends"]["hog_method"], sensor_config=fe_sc,
        signal_e=signal_for(config, sc) if signal_e is None else signal_e,
        exposure=exposure_for(config), threshold=None)


def detector_operating_point(det, train, test, test_dets):
    """The wake-up detector's deployment point: the score threshold of largest
    F1 on the training scenes ``train`` (never the test scenes), and what it
    does on the test scenes ``test`` (``test_dets``: their ``(boxes,
    scores)``, every window after NMS) (:func:`analogfe.learn.metrics.operating_point`).

    Returns
    -------
    dict
        ``chosen_on``, ``threshold``, ``train`` (the point on the training
        scenes) and ``test`` (precision, recall, wake-ups per frame, per
        empty and per target frame at that threshold).
    """
    from ..learn.metrics import operating_point

    found = det.detect_batch(train.images, keep_all=True)
    tr = operating_point([d.boxes for d in found], [d.scores for d in found], train.boxes)
    te = operating_point(*test_dets, test.boxes, threshold=tr["threshold"])
    return {"chosen_on": "training scenes (largest F1)", "threshold": tr["threshold"],
            "train": tr, "test": te}


def validation_split(labels, seed, fraction=VALIDATION_FRACTION):
    """Indices ``(fit, val)`` of a stratified split of the training items.

    Parameters
    ----------
    labels : (n,) array_like
        Per item the label to stratify on (a scene: whether it holds a target).
    seed : int
        The run's seed; the split's own is derived from it.
    fraction : float
        Fraction of the items in ``val``.

    Returns
    -------
    fit, val : ndarray of intp
        Sorted, disjoint, together every item.
    """
    from sklearn.model_selection import train_test_split

    labels = np.asarray(labels)
    if len(labels) < 4:
        raise ValueError(f"labels: {len(labels)} training items are too few to hold out a "
                         "validation part")
    counts = np.unique(labels, return_counts=True)[1]
    stratify = labels if len(counts) > 1 and counts.min() >= 2 else None
    fit, val = train_test_split(np.arange(len(labels)), test_size=fraction, stratify=stratify,
                                random_state=task_seed(seed, "validation"))
    return np.sort(fit), np.sort(val)


def validation_score(split, name, config, *, seed=0, scenes=None):
    """How well front end ``name`` of ``config`` does on a validation split of
    the training data: the score its design parameters are chosen by.

    With ``scenes`` (a :class:`analogfe.app.tasks.SceneSplit`): the detector
    (:func:`fit_detector`) trained on :data:`VALIDATION_FRACTION` less of
    the training scenes and its AP on the rest (whole ranked list). Without:
    the wake-up SVM trained on part of the training crops, its accuracy on
    the rest. The test data is never read.

    Returns
    -------
    dict
        ``metric`` ("ap" or "accuracy"), ``score``, ``n_fit``, ``n_val``.
    """
    from ..data.builtin import Split, WakeupScenes
    from ..learn.metrics import evaluate_detections
    from .tasks import fit_svm_config, frontend_for, sensor_config_for, signal_for

    shape = tuple(int(v) for v in split.X_train.shape[1:3])
    sc = sensor_config_for(config, shape, name)
    fe, fe_sc = frontend_for(name, config, sc, task_seed(seed, name, "sensor"))
    if scenes is not None:
        tr = scenes.train
        fit, val = validation_split(tr.labels, seed)

        def part(idx):
            return WakeupScenes(tr.images[idx], [tr.boxes[i] for i in idx], tr.lux[idx],
                                tr.labels[idx], tuple(tr.backgrounds[i] for i in idx))

        det = fit_detector(part(fit), fe, fe_sc, config, sc, shape,
                           seed=task_seed(seed, name, "sensor"),
                           signal_e=signal_for(config, sc, None, split.X_train))
        v = part(val)
        found = det.detect_batch(v.images, keep_all=True)
        ap = evaluate_detections([d.boxes for d in found], [d.scores for d in found], v.boxes).ap
        return {"metric": "ap", "score": float(ap), "n_fit": len(fit), "n_val": len(val)}
    y = np.asarray(split.y_train)
    fit, val = validation_split(y, seed)
    X = np.asarray(split.X_train)
    sub = Split(X[fit], X[val], y[fit], y[val], split.classes)
    clf = fit_svm_config(sub, fe, fe_sc, config, sc, seed=task_seed(seed, name, "sensor"),
                         cv_seed=task_seed(seed, name, "cv"))
    return {"metric": "accuracy", "score": float(clf.score(X[val], y[val])),
            "n_fit": len(fit), "n_val": len(val)}
