"""Evaluation of wake-up classifiers and detectors.

Classification: accuracy, ROC AUC, precision-recall (through scikit-learn).
Detection: box IoU, greedy non-maximum suppression, and PASCAL VOC average
precision at an IoU threshold (0.5 by default), with the VOC2007 11-point
interpolated AP and the VOC2010+ area (all-points) AP.

Boxes are ``(x0, y0, x1, y1)`` in continuous image coordinates, ``x1 > x0``,
``y1 > y0``, so a box's area is ``(x1 - x0) * (y1 - y0)``. (The MATLAB VOC
devkit stores inclusive integer pixel indices and adds 1 to each side; convert
a devkit box with ``x1 + 1, y1 + 1`` to get the same IoU here.)

References
----------
.. [1] M. Everingham, L. Van Gool, C. K. I. Williams, J. Winn, A. Zisserman,
   "The PASCAL Visual Object Classes (VOC) Challenge", IJCV 88(2):303-338,
   2010, doi:10.1007/s11263-009-0275-4 (section 4.2: AP, 11-point
   interpolation; devkit ``VOCevaldet.m``: greedy matching by descending
   score, each ground-truth object matched once, "difficult" objects ignored).
.. [2] M. Everingham et al., "The PASCAL Visual Object Classes Challenge: A
   Retrospective", IJCV 111(1):98-136, 2015, doi:10.1007/s11263-014-0733-5
   (VOC2010+ AP: area under the monotone precision envelope at every recall).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._ext import _boxes
from .._validation import check_array, check_choice, check_float, check_int
from ..data.boxes import _check_boxes, box_iou

__all__ = [
    "nms",
    "voc_ap",
    "AP_RULES",
    "match_detections",
    "DetectionEvaluation",
    "evaluate_detections",
    "ap_bootstrap",
    "operating_point",
    "classification_metrics",
]


def nms(boxes, scores, iou_threshold=0.3):
    """Greedy non-maximum suppression.

    Take the highest-scoring box, drop every remaining box whose IoU with it
    exceeds ``iou_threshold``, repeat. Equal scores keep their input order.

    Parameters
    ----------
    boxes : (n, 4) array_like
        Boxes ``(x0, y0, x1, y1)``.
    scores : (n,) array_like
        Their scores (higher is more confident).
    iou_threshold : float
        Boxes overlapping a kept box by IoU strictly above this are dropped.

    Returns
    -------
    keep : (k,) ndarray of intp
        Indices of the kept boxes, by descending score.

    Raises
    ------
    ValueError
        Mismatched lengths, bad boxes, non-finite scores, threshold outside [0, 1].
    """
    b = _check_boxes(boxes, "boxes")
    s = check_array(scores, "scores", ndim=1, dtype=np.float64, allow_empty=True)
    if s.shape[0] != b.shape[0]:
        raise ValueError(f"scores has {s.shape[0]} entries but boxes has {b.shape[0]}")
    thr = check_float(iou_threshold, "iou_threshold", low=0.0, high=1.0)
    order = np.argsort(-s, kind="stable").astype(np.intp, copy=False)
    return _boxes.greedy_nms(np.ascontiguousarray(b, dtype=np.float64), order, thr)


def _ap_11point(recall, precision):
    # VOC2007: mean over t in {0, 0.1, ..., 1} of max precision at recall >= t.
    ap = 0.0
    for t in np.linspace(0.0, 1.0, 11):
        mask = recall >= t
        ap += (precision[mask].max() if mask.any() else 0.0) / 11.0
    return float(ap)


def _ap_area(recall, precision):
    # VOC2010+: area under the monotone (non-increasing) precision envelope.
    mrec = np.concatenate(([0.0], recall, [1.0]))
    mpre = np.concatenate(([0.0], precision, [0.0]))
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    i = np.nonzero(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1]))


AP_RULES = {"11point": _ap_11point, "area": _ap_area}
"""Registry of AP variants: ``"11point"`` (VOC2007) and ``"area"`` (VOC2010+)."""


def voc_ap(recall, precision, rule="area"):
    """PASCAL VOC average precision from a precision-recall curve.

    Parameters
    ----------
    recall : (n,) array_like
        Recall after each detection, in order of descending score
        (non-decreasing, in ``[0, 1]``).
    precision : (n,) array_like
        Precision after each detection.
    rule : {"area", "11point"}
        ``"11point"``: VOC2007, the mean of the interpolated precision
        ``max(precision[recall >= t])`` at ``t = 0, 0.1, ..., 1``.
        ``"area"``: VOC2010 onwards, the area under the interpolated
        (monotone non-increasing) precision envelope at every recall step.

    Returns
    -------
    ap : float
        In ``[0, 1]``.

    Raises
    ------
    ValueError
        Unknown ``rule``, mismatched lengths, values outside [0, 1], or
        decreasing ``recall``.

    References
    ----------
    Everingham et al. 2010 (section 4.2) and 2015; see the module docstring.

    Examples
    --------
    >>> voc_ap([0.5, 0.5, 1.0], [1.0, 0.5, 2 / 3])
    0.8333333333333333
    """
    check_choice(rule, "rule", tuple(AP_RULES))
    r = check_array(recall, "recall", ndim=1, dtype=np.float64, allow_empty=True)
    p = check_array(precision, "precision", ndim=1, dtype=np.float64, allow_empty=True)
    if r.shape != p.shape:
        raise ValueError(f"recall has shape {r.shape} but precision has shape {p.shape}")
    for arr, name in ((r, "recall"), (p, "precision")):
        if arr.size and (arr.min() < 0 or arr.max() > 1):
            raise ValueError(f"{name} must lie in [0, 1]")
    if r.size > 1 and (np.diff(r) < 0).any():
        raise ValueError("recall must be non-decreasing (detections in descending score order)")
    return AP_RULES[rule](r, p)


def _as_box_list(arg, name):
    if isinstance(arg, np.ndarray) and arg.ndim == 2:
        arg = [arg]
    try:
        items = list(arg)
    except TypeError:
        raise TypeError(f"{name} must be a list with one box array per image") from None
    return [_check_boxes(b, f"{name}[{i}]") for i, b in enumerate(items)]


def match_detections(det_boxes, det_scores, gt_boxes, difficult=None, iou_threshold=0.5):
    """Label detections true / false positive the PASCAL VOC way.

    Detections of all images are taken in descending score order (ties keep
    their input order). Each detection is compared with every ground-truth
    box of its image; at the highest IoU, if IoU >= ``iou_threshold``: a
    "difficult" object makes the detection neither TP nor FP (ignored); an
    object not yet matched makes it a TP and is marked matched; an already
    matched object makes it a FP (duplicate). Below the threshold: FP.

    Parameters
    ----------
    det_boxes : list of (n_i, 4) array_like
        Detections per image, ``(x0, y0, x1, y1)``.
    det_scores : list of (n_i,) array_like
        Their scores.
    gt_boxes : list of (m_i, 4) array_like
        Ground-truth boxes per image (same number of images).
    difficult : list of (m_i,) array_like of bool, optional
        VOC "difficult" flags; such objects neither count as positives nor
        make a detection false. Default: none is difficult.
    iou_threshold : float
        Minimum IoU for a match (VOC: 0.5, inclusive as in ``VOCevaldet.m``).

    Returns
    -------
    scores : (d,) ndarray of float64
        Scores of the detections kept (ignored ones removed), descending.
    tp : (d,) ndarray of bool
        True positive flags in that order (false positive where False).
    n_positives : int
        Number of non-difficult ground-truth objects.

    Raises
    ------
    ValueError
        Mismatched numbers of images or of boxes and scores or flags.
    """
    dets = _as_box_list(det_boxes, "det_boxes")
    gts = _as_box_list(gt_boxes, "gt_boxes")
    if isinstance(det_scores, np.ndarray) and det_scores.ndim == 1 and len(dets) == 1:
        det_scores = [det_scores]
    scores = [check_array(s, f"det_scores[{i}]", ndim=1, dtype=np.float64, allow_empty=True)
              for i, s in enumerate(det_scores)]
    if len(dets) != len(gts):
        raise ValueError(f"det_boxes covers {len(dets)} images but gt_boxes covers {len(gts)}")
    if len(scores) != len(dets):
        raise ValueError(f"det_scores covers {len(scores)} images but det_boxes covers {len(dets)}")
    for i, (d, s) in enumerate(zip(dets, scores)):
        if len(d) != len(s):
            raise ValueError(f"det_scores[{i}] has {len(s)} entries but det_boxes[{i}] has {len(d)}")
    if difficult is None:
        diff = [np.zeros(len(g), dtype=bool) for g in gts]
    else:
        diff = [np.asarray(f, dtype=bool).reshape(-1) for f in difficult]
        if len(diff) != len(gts):
            raise ValueError(f"difficult covers {len(diff)} images but gt_boxes covers {len(gts)}")
        for i, (f, g) in enumerate(zip(diff, gts)):
            if len(f) != len(g):
                raise ValueError(f"difficult[{i}] has {len(f)} flags but gt_boxes[{i}] has {len(g)}")
    thr = check_float(iou_threshold, "iou_threshold", low=0.0, high=1.0)

    n_pos = int(sum(int((~f).sum()) for f in diff))
    if not dets:
        return np.zeros(0), np.zeros(0, dtype=bool), n_pos
    image_of = np.concatenate([np.full(len(d), i, dtype=np.intp) for i, d in enumerate(dets)])
    all_boxes = np.concatenate(dets) if dets else np.zeros((0, 4))
    all_scores = np.concatenate(scores) if scores else np.zeros(0)
    order = np.argsort(-all_scores, kind="stable")
    matched = [np.zeros(len(g), dtype=bool) for g in gts]
    keep_scores, keep_tp = [], []
    for k in order:
        img = image_of[k]
        g = gts[img]
        if len(g):
            iou = box_iou(all_boxes[k][None], g)[0]
            j = int(np.argmax(iou))
            ovmax = iou[j]
        else:
            ovmax = -np.inf
        if ovmax >= thr and len(g):
            if diff[img][j]:
                continue  # a detection of a difficult object is ignored
            if not matched[img][j]:
                matched[img][j] = True
                keep_tp.append(True)
            else:
                keep_tp.append(False)
        else:
            keep_tp.append(False)
        keep_scores.append(all_scores[k])
    return np.asarray(keep_scores, dtype=np.float64), np.asarray(keep_tp, dtype=bool), n_pos


@dataclass
class DetectionEvaluation:
    """PASCAL VOC evaluation of one class.

    Attributes
    ----------
    ap : float
        Average precision by ``rule``.
    rule : str
        ``"area"`` or ``"11point"``.
    precision, recall : (d,) ndarray of float64
        The curve after each kept detection, descending score.
    scores : (d,) ndarray of float64
        Scores of the kept detections.
    tp : (d,) ndarray of bool
        True-positive flags.
    n_positives : int
        Non-difficult ground-truth objects.
    iou_threshold : float
        The IoU used for matching.
    """

    ap: float
    rule: str
    precision: np.ndarray
    recall: np.ndarray
    scores: np.ndarray
    tp: np.ndarray
    n_positives: int
    iou_threshold: float


def evaluate_detections(det_boxes, det_scores, gt_boxes, difficult=None, *,
                        iou_threshold=0.5, rule="area"):
    """PASCAL VOC average precision of detections against ground truth.

    Parameters are those of :func:`match_detections`, plus ``rule``
    (``"area"`` VOC2010+, or ``"11point"`` VOC2007; see :func:`voc_ap`).

    Returns
    -------
    DetectionEvaluation
        AP, the precision-recall curve and the TP flags. With no positive
        ground truth, recall is undefined: AP is NaN.

    Examples
    --------
    >>> ev = evaluate_detections([[[0, 0, 10, 10], [20, 20, 30, 30]]], [[0.9, 0.8]],
    ...                          [[[0, 0, 10, 10]]])
    >>> ev.ap, ev.tp.tolist()
    (1.0, [True, False])
    """
    check_choice(rule, "rule", tuple(AP_RULES))
    scores, tp, n_pos = match_detections(det_boxes, det_scores, gt_boxes, difficult,
                                         iou_threshold=iou_threshold)
    ctp = np.cumsum(tp, dtype=np.float64)
    cfp = np.cumsum(~tp, dtype=np.float64)
    precision = ctp / np.maximum(ctp + cfp, np.finfo(np.float64).eps)
    if n_pos == 0:
        recall = np.zeros_like(ctp)
        ap = float("nan")
    else:
        recall = ctp / n_pos
        ap = AP_RULES[rule](recall, precision)
    return DetectionEvaluation(ap=ap, rule=rule, precision=precision, recall=recall,
                               scores=scores, tp=tp, n_positives=n_pos,
                               iou_threshold=float(iou_threshold))


def _ap_of(scores, tp, n_pos, rule):
    """AP of pooled detections (any order) with ``n_pos`` positives; NaN if none."""
    if n_pos == 0:
        return float("nan")
    tp = tp[np.argsort(-scores, kind="stable")]
    ctp = np.cumsum(tp, dtype=np.float64)
    precision = ctp / np.arange(1, len(tp) + 1, dtype=np.float64)
    return AP_RULES[rule](ctp / n_pos, precision)


def _pool(matched):
    """Per-scene matches ``[(scores, tp, n_pos), ...]`` pooled and ranked once:
    ``(scores, tp, scene, n_pos)``, the first three by descending score (ties
    in scene order, then in each scene's order), ``n_pos`` per scene."""
    scores = np.concatenate([m[0] for m in matched]) if matched else np.zeros(0)
    tp = np.concatenate([m[1] for m in matched]) if matched else np.zeros(0, bool)
    scene = np.repeat(np.arange(len(matched)), [len(m[0]) for m in matched])
    order = np.argsort(-scores, kind="stable")
    npos = np.array([m[2] for m in matched], np.float64)
    return scores[order], tp[order], scene[order], npos


def _weighted_ap(tp, weight, n_pos, rule):
    """AP of ranked detections each counted ``weight`` times (a scene drawn
    ``weight`` times by a bootstrap sample), ``n_pos`` positives; NaN if none.

    The copies of one detection are adjacent in the ranked list and all true
    or all false positives; counting them as one point of the curve with its
    weight gives the AP of the list with every copy in it (the envelope of
    the precision is the same at the last copy as at the first), up to the
    rounding of the area's sum.
    """
    if n_pos == 0:
        return float("nan")
    drawn = weight > 0
    w, t = weight[drawn], tp[drawn]
    ctp = np.cumsum(w * t)
    return AP_RULES[rule](ctp / n_pos, ctp / np.cumsum(w))


def ap_bootstrap(systems, gt_boxes, *, n_boot=1000, seed=0, iou_threshold=0.5, rule="area"):
    """AP of several detectors on the same scenes, and on the same scene resamples.

    Detections are matched once per scene (:func:`match_detections`, which
    matches each scene on its own); each bootstrap sample draws ``n`` scenes
    with replacement and recomputes every system's AP on that same draw, so
    the rows of ``samples`` give a paired (percentile) interval of any
    difference of APs, e.g.
    ``np.nanpercentile(samples[:, 0] - samples[:, 1], [2.5, 97.5])``.

    Parameters
    ----------
    systems : sequence of (det_boxes, det_scores)
        Per system, its detections per scene (lists as in
        :func:`match_detections`), all over the same ``n`` scenes.
    gt_boxes : list of (m_i, 4) array_like
        Ground truth per scene.
    n_boot : int
        Number of resamples (1000).
    seed : int
        Seed of the resampling.
    iou_threshold, rule
        As :func:`evaluate_detections`.

    Returns
    -------
    ap : (k,) ndarray of float64
        AP of each system on all scenes (as :func:`evaluate_detections`, up
        to the order of equal scores).
    samples : (n_boot, k) ndarray of float64
        AP of each system on each resample; NaN where a resample holds no
        positive object.

    References
    ----------
    B. Efron, R. J. Tibshirani, "An Introduction to the Bootstrap", Chapman &
    Hall 1993, chapter 13 (percentile intervals).
    """
    check_choice(rule, "rule", tuple(AP_RULES))
    n_boot = check_int(n_boot, "n_boot", low=1)
    n = len(gt_boxes)
    per_system = []
    for det_boxes, det_scores in systems:
        if len(det_boxes) != n:
            raise ValueError(f"a system covers {len(det_boxes)} scenes but gt_boxes covers {n}")
        per_system.append([match_detections([b], [s], [g], iou_threshold=iou_threshold)
                           for b, s, g in zip(det_boxes, det_scores, gt_boxes)])
    rng = np.random.default_rng(seed)
    pooled = [_pool(matched) for matched in per_system]
    ap = np.array([_ap_of(sc, tp, npos.sum(), rule) for sc, tp, _, npos in pooled], np.float64)
    samples = np.empty((n_boot, len(per_system)), np.float64)
    for r in range(n_boot):
        copies = np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64)
        for j, (_, tp, scene, npos) in enumerate(pooled):
            samples[r, j] = _weighted_ap(tp, copies[scene], copies @ npos, rule)
    return ap, samples


def operating_point(det_boxes, det_scores, gt_boxes, threshold=None, *, iou_threshold=0.5):
    """A detector's deployment operating point: what it does at one score threshold.

    A wake-up detector fires on a frame when one of its detections scores at
    least ``threshold``. AP summarises the whole ranked list; this gives the
    one point a deployed detector runs at.

    Parameters
    ----------
    det_boxes, det_scores, gt_boxes
        As :func:`match_detections` (every detection after NMS, no score cut).
    threshold : float, optional
        The score threshold; default: the one of largest F1 (``2 TP / (D +
        P)``, D detections at or above it, P objects) on these detections,
        so pass the detections of the data the threshold is *chosen* on
        (training or validation scenes) and reuse the value on the test set.
    iou_threshold : float
        Minimum IoU of a true positive (0.5).

    Returns
    -------
    dict
        ``threshold``; ``precision`` and ``recall`` of the detections scoring
        at least it (precision 1 when none does); ``f1``;
        ``wakeups_per_frame``: the fraction of frames with at least one such
        detection; ``wakeups_per_empty_frame`` (frames without an object:
        false wake-ups; NaN when every frame has one) and
        ``wakeups_per_target_frame`` (frames with an object; NaN when none
        has); ``detections_per_frame``; ``n_frames``.

    Examples
    --------
    >>> op = operating_point([[[0, 0, 10, 10], [20, 20, 30, 30]], []], [[0.9, 0.2], []],
    ...                      [[[0, 0, 10, 10]], []], threshold=0.5)
    >>> op["precision"], op["recall"], op["wakeups_per_frame"]
    (1.0, 1.0, 0.5)
    """
    scores, tp, n_pos = match_detections(det_boxes, det_scores, gt_boxes,
                                         iou_threshold=iou_threshold)
    if threshold is None:
        if not len(scores):
            raise ValueError("det_scores holds no detection to choose a threshold on")
        f1 = 2.0 * np.cumsum(tp) / (np.arange(1, len(tp) + 1) + n_pos)
        # a threshold keeps every detection of equal score: look at the last of a tie
        last = np.r_[scores[1:] != scores[:-1], True]
        k = int(np.flatnonzero(last)[np.argmax(f1[last])])
        threshold = float(scores[k])
    t = check_float(threshold, "threshold")
    fired = scores >= t
    n_tp, n_det = int(tp[fired].sum()), int(fired.sum())
    gts = _as_box_list(gt_boxes, "gt_boxes")
    fires = np.array([bool(len(s)) and float(np.max(s)) >= t
                      for s in (np.asarray(v, np.float64).reshape(-1) for v in det_scores)])
    has = np.array([len(g) > 0 for g in gts])
    prec = n_tp / n_det if n_det else 1.0
    rec = n_tp / n_pos if n_pos else float("nan")
    return {"threshold": t, "precision": float(prec), "recall": float(rec),
            "f1": float(2 * n_tp / (n_det + n_pos)) if n_det + n_pos else float("nan"),
            "wakeups_per_frame": float(fires.mean()) if len(fires) else float("nan"),
            "wakeups_per_empty_frame": float(fires[~has].mean()) if (~has).any() else float("nan"),
            "wakeups_per_target_frame": float(fires[has].mean()) if has.any() else float("nan"),
            "detections_per_frame": n_det / len(gts) if len(gts) else float("nan"),
            "n_frames": len(gts)}


def classification_metrics(y_true, scores, y_pred=None):
    """Accuracy, ROC AUC and precision-recall of a binary wake-up classifier.

    Parameters
    ----------
    y_true : (n,) array_like
        True labels, two classes (the larger label is the positive class).
    scores : (n,) array_like of float
        Decision values (higher means more likely positive).
    y_pred : (n,) array_like, optional
        Predicted labels; default: positive where ``scores > 0``.

    Returns
    -------
    dict
        ``accuracy``, ``roc_auc``, ``average_precision`` (scikit-learn's
        non-interpolated step AP), ``ap_voc_area`` and ``ap_voc_11point``
        (the VOC variants on the same ranking), and ``precision``, ``recall``,
        ``thresholds`` from :func:`sklearn.metrics.precision_recall_curve`.

    Raises
    ------
    ValueError
        Mismatched lengths or not exactly two classes in ``y_true``.
    """
    from sklearn.metrics import (
        accuracy_score,
        average_precision_score,
        precision_recall_curve,
        roc_auc_score,
    )

    y = np.asarray(y_true).reshape(-1) if np.ndim(y_true) else None
    if y is None or y.size == 0:
        raise ValueError("y_true must be a non-empty 1-D array of labels")
    s = check_array(scores, "scores", ndim=1, dtype=np.float64)
    if len(s) != len(y):
        raise ValueError(f"scores has {len(s)} entries but y_true has {len(y)}")
    classes = np.unique(y)
    if len(classes) != 2:
        raise ValueError(f"y_true must hold exactly 2 classes, got {classes.tolist()}")
    pos = y == classes[1]
    if y_pred is None:
        pred = np.where(s > 0, classes[1], classes[0])
    else:
        pred = np.asarray(y_pred).reshape(-1)
        if len(pred) != len(y):
            raise ValueError(f"y_pred has {len(pred)} entries but y_true has {len(y)}")
    prec, rec, thr = precision_recall_curve(pos, s)
    order = np.argsort(-s, kind="stable")
    tp = pos[order]
    ctp = np.cumsum(tp, dtype=np.float64)
    vprec = ctp / np.arange(1, len(tp) + 1)
    vrec = ctp / pos.sum()
    return {
        "accuracy": float(accuracy_score(y, pred)),
        "roc_auc": float(roc_auc_score(pos, s)),
        "average_precision": float(average_precision_score(pos, s)),
        "ap_voc_area": _ap_area(vrec, vprec),
        "ap_voc_11point": _ap_11point(vrec, vprec),
        "precision": prec,
        "recall": rec,
        "thresholds": thr,
        "y_pred": pred,
    }
