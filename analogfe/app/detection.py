"""The wake-up detector of a comparison: trained on the training scenes, and its
deployment point chosen on them (never on the test scenes)."""
from __future__ import annotations

__all__ = ["fit_detector", "detector_operating_point"]


def fit_detector(train, fe, fe_sc, config, shape, *, seed, signal_e, cell_size, exposure):
    """The sliding-window detector of ``config`` trained on the scenes ``train``.

    :func:`analogfe.learn.detector.train_detector` on the front end ``fe``
    (with ``fe_sc``), the HOG settings of ``[frontends]``, the window
    ``shape``, ``svm.detector_C`` and ``svm.hard_negative_rounds``, the
    signal ``signal_e``, the HOG cell ``cell_size`` and the auto-exposure
    ``exposure`` the caller resolved from ``[scene]`` and ``[frontends]``.
    Its ``threshold`` is None: every window goes to NMS.
    """
    from ..learn.detector import train_detector

    shape = tuple(int(v) for v in shape)
    return train_detector(
        train.images, train.boxes, frontend=fe, window=shape, cell_size=cell_size,
        C=config["svm"]["detector_C"], seed=seed,
        hard_negative_rounds=config["svm"]["hard_negative_rounds"],
        method=config["frontends"]["hog_method"], sensor_config=fe_sc,
        signal_e=signal_e, exposure=exposure, threshold=None)


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
