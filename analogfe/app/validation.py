"""Choices made without the test set: a validation score for design parameters
(the detector and its deployment threshold: :mod:`analogfe.app.detection`).

A design parameter of a front end (the 1.5-bit converter's ratio threshold,
say) is chosen by a score on a validation split of the *training* data; the
test set is read once, for the chosen value's reported number.
"""
from __future__ import annotations

import numpy as np

from .config import task_seed
from .detection import fit_detector

__all__ = ["VALIDATION_FRACTION", "validation_split", "validation_score"]

#: Fraction of the training scenes (or crops) held out to validate a design choice.
VALIDATION_FRACTION = 0.25


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
    from .tasks import (
        cell_size_for,
        exposure_for,
        fit_svm_config,
        frontend_for,
        sensor_config_for,
        signal_for,
    )

    shape = tuple(int(v) for v in split.X_train.shape[1:3])
    sc = sensor_config_for(config, shape, name)
    fe, fe_sc = frontend_for(name, config, sc, task_seed(seed, name, "sensor"))
    if scenes is not None:
        tr = scenes.train
        fit, val = validation_split(tr.labels, seed)

        def part(idx):
            return WakeupScenes(tr.images[idx], [tr.boxes[i] for i in idx], tr.lux[idx],
                                tr.labels[idx], tuple(tr.backgrounds[i] for i in idx))

        det = fit_detector(part(fit), fe, fe_sc, config, shape,
                           seed=task_seed(seed, name, "sensor"),
                           signal_e=signal_for(config, sc, None, split.X_train),
                           cell_size=cell_size_for(config, shape), exposure=exposure_for(config))
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
