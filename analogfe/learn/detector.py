"""The multi-scale sliding-window detector and its training on emulated scenes.

Re-exported by :mod:`analogfe.learn`, whose documentation describes the
whole always-on path.

References
----------
.. [1] N. Dalal, B. Triggs, "Histograms of Oriented Gradients for Human
   Detection", CVPR 2005, doi:10.1109/CVPR.2005.177 (hard-negative mining).
.. [2] P. Felzenszwalb, R. Girshick, D. McAllester, D. Ramanan, "Object
   Detection with Discriminatively Trained Part-Based Models", IEEE TPAMI
   32(9):1627-1645, 2010, doi:10.1109/TPAMI.2009.167 (sliding window over a
   feature pyramid, greedy NMS).
"""
from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._validation import check_array, check_choice, check_float, check_int, check_pair
from ..data.boxes import box_iou
from ..features.histograms import HOG_METHODS, hog
from ..features.image import image_gradients
from ..features.pyramid import gaussian_levels, window_features
from ..frontend.codes import is_codes
from ..frontend.registry import emulate
from ..sensor.exposure import resolve_exposure
from .classifier import (
    WakeUpClassifier,
    _check_frontend_name,
    _fit_linear,
    check_images,
)
from .metrics import evaluate_detections, nms

__all__ = ["Detections", "DETECTOR_MODES", "SlidingWindowDetector", "train_detector"]


# ------------------------------------------------------------------ detector
@dataclass
class Detections:
    """Boxes found in one image.

    Attributes
    ----------
    boxes : (k, 4) ndarray of float64
        ``(x0, y0, x1, y1)`` in pixels of the input image, by descending score.
    scores : (k,) ndarray of float64
        Linear SVM decision values.
    """

    boxes: np.ndarray
    scores: np.ndarray

    def __len__(self):
        return len(self.scores)


def _windows(a, wh, ww, stride):
    # all (wh, ww) windows over the first two axes of ``a`` at ``stride``:
    # (n, wh, ww, ...) contiguous, and the top-left (row, col) of each.
    v = np.lib.stride_tricks.sliding_window_view(a, (wh, ww), axis=(0, 1))[::stride, ::stride]
    ny, nx = v.shape[:2]
    v = np.moveaxis(v, (-2, -1), (2, 3)).reshape((ny * nx, wh, ww) + a.shape[2:])
    rows, cols = np.meshgrid(np.arange(ny) * stride, np.arange(nx) * stride, indexing="ij")
    return np.ascontiguousarray(v), rows.ravel(), cols.ravel()


#: How window features are computed: on the cell map of a whole pyramid level
#: (fast; :func:`analogfe.features.feature_pyramid` + ``window_features``) or
#: by HOG of each cropped window (slow; exactly the classifier's features).
DETECTOR_MODES = ("pyramid", "crops")


class SlidingWindowDetector:
    """Multi-scale sliding-window detector with non-maximum suppression.

    The pyramid levels are, for a log-gradient front end, the codes of its
    scales (the sensor's multi-scale readout of binned super-pixels, no
    digital resampling), and for an 8-bit front end a Gaussian image pyramid
    with factor ``downscale`` (:func:`analogfe.features.feature_pyramid`). A
    window of the classifier's training size slides over every level; its HOG
    vector is scored by the linear model; windows scoring above ``threshold``
    are mapped to input-image pixels (times the level's scale) and thinned by
    greedy NMS (:func:`analogfe.learn.metrics.nms`).

    Parameters
    ----------
    classifier : WakeUpClassifier or (coef, intercept)
        A fitted binary :class:`WakeUpClassifier` trained at ``scale=0`` (its
        front end, sensor, seed, HOG settings and image size are used), or
        raw weights on the HOG vector ``(F,)`` and a float; then
        ``frontend``, ``window`` and ``cell_size`` must be given.
    window : (int, int), optional
        Window ``(h, w)`` in pixels of a level; default: the classifier's
        training image size.
    stride : int, optional
        Step between windows in pixels of a level; default ``cell_size``. In
        ``"pyramid"`` mode a multiple of ``cell_size``.
    scales : tuple of float, optional
        Keep only the pyramid levels of these scales (pixels of the input per
        level pixel); default all levels into which the window fits.
    threshold : float or None
        Reported windows score strictly above this; None keeps all (before
        NMS). A deployment setting: :meth:`evaluate` and AP ignore it.
    nms_iou : float
        IoU above which a lower-scoring box is suppressed.
    max_detections : int, optional
        At most this many boxes per image after NMS.
    mode : {"pyramid", "crops"}
        ``"pyramid"``: HOG once per level, windows cut from its cell map (the
        FHOG block normalisation of a window's border cells then sees the
        cells around it, as in Felzenszwalb et al.). ``"crops"``: HOG of each
        cropped window of the level, the classifier's own features; any stride.
    downscale : float
        Factor between the levels of the baseline's image pyramid.
    frontend, cell_size, method, sensor_config, seed, brightness, signal_e, exposure
        Override (or, with raw weights, give) the classifier's settings.

    Examples
    --------
    >>> det = SlidingWindowDetector(clf, scales=(1, 2), threshold=0.5)  # doctest: +SKIP
    >>> found = det.detect(scene)                                        # doctest: +SKIP
    >>> found.boxes, found.scores                                        # doctest: +SKIP
    """

    def __init__(self, classifier, window=None, stride=None, scales=None, threshold=0.0,
                 nms_iou=0.3, max_detections=None, *, mode="pyramid", downscale=2.0,
                 frontend=None, cell_size=None, method=None, sensor_config=None, seed=None,
                 brightness=None, signal_e=None, exposure=None):
        if isinstance(classifier, WakeUpClassifier):
            check_is_fitted(classifier, "svm_")
            if classifier.coef_.shape[0] != 1:
                raise ValueError("classifier must be binary (one weight vector)")
            if classifier.scale != 0:
                raise ValueError("classifier must be trained at scale=0; the detector "
                                 "chooses the scales")
            coef, intercept = classifier.coef_[0], float(classifier.intercept_[0])
            base = classifier
        elif isinstance(classifier, (tuple, list)) and len(classifier) == 2:
            coef = check_array(classifier[0], "classifier[0] (coef)", ndim=(1, 2),
                               dtype=np.float64).reshape(-1)
            intercept = check_float(float(np.asarray(classifier[1]).reshape(-1)[0]),
                                    "classifier[1] (intercept)")
            missing = [n for n, v in (("frontend", frontend), ("window", window),
                                      ("cell_size", cell_size)) if v is None]
            if missing:
                raise ValueError(f"with raw weights, give {', '.join(missing)}")
            base = WakeUpClassifier()
        else:
            raise TypeError("classifier must be a fitted WakeUpClassifier or (coef, intercept)")

        def pick(value, attr):
            return getattr(base, attr) if value is None else value

        self.frontend = _check_frontend_name(pick(frontend, "frontend"))
        self.cell_size = check_int(pick(cell_size, "cell_size"), "cell_size", low=1)
        self.method = pick(method, "method")
        self.sensor_config = pick(sensor_config, "sensor_config")
        self.seed = pick(seed, "seed")
        self.brightness = check_float(pick(brightness, "brightness"), "brightness",
                                      low=0.0, low_open=True)
        self.signal_e = pick(signal_e, "signal_e")
        self.exposure = pick(exposure, "exposure")
        resolve_exposure(self.exposure)
        window = base.image_shape_ if window is None else window
        if not isinstance(window, (tuple, list)) or len(window) != 2:
            raise ValueError(f"window must be (h, w), got {window!r}")
        self.window = check_pair(window, "window")
        if base is classifier and self.window != classifier.image_shape_:
            raise ValueError(f"window {self.window} differs from the classifier's training "
                             f"image size {classifier.image_shape_}")
        self.mode = check_choice(mode, "mode", DETECTOR_MODES)
        self.stride = check_int(self.cell_size if stride is None else stride, "stride", low=1)
        if self.mode == "pyramid" and self.stride % self.cell_size:
            raise ValueError(f"stride {self.stride} must be a multiple of cell_size "
                             f"{self.cell_size} in 'pyramid' mode")
        if self.mode == "pyramid" and min(self.window) < self.cell_size:
            raise ValueError(f"window {self.window} is smaller than one cell")
        if scales is not None:
            scales = (scales,) if isinstance(scales, numbers.Real) else tuple(scales)
            if not scales:
                raise ValueError("scales must name at least one level")
            scales = tuple(check_float(s, "scales", low=1.0) for s in scales)
        self.scales = scales
        self.downscale = check_float(downscale, "downscale", low=1.0, low_open=True)
        self.threshold = -np.inf if threshold is None else check_float(threshold, "threshold")
        self.nms_iou = check_float(nms_iou, "nms_iou", low=0.0, high=1.0)
        self.max_detections = (None if max_detections is None
                               else check_int(max_detections, "max_detections", low=1))
        self.coef_ = coef
        self.intercept_ = intercept
        self._hog = WakeUpClassifier(frontend=self.frontend, cell_size=self.cell_size,
                                     method=self.method)

    # -- levels and windows
    def _wanted(self, scale):
        return self.scales is None or any(abs(scale - s) < 1e-6 for s in self.scales)

    def _levels(self, output, i, shape):
        """(scale, level) of frame ``i`` of a stacked output: codes or an image.

        ``shape`` is the input image's (H, W): it tells whether the codes of
        scale ``k`` count pixels (``H // k`` rows) or, on a Bayer sensor,
        2 x 2 quads (``H // 2k`` rows); the level's scale is then ``2k``."""
        if is_codes(output):
            k0, h0 = output.scales[0], output.dx[0].shape[-2]
            quad = 1 if shape[0] // k0 == h0 else 2
            have = tuple(float(k * quad) for k in output.scales)
            missing = [s for s in (self.scales or ()) if not any(abs(s - h) < 1e-6 for h in have)]
            if missing:
                raise ValueError(f"scales {missing} are not among the front end's scales {have}")
            for j, s in enumerate(have):
                if self._wanted(s):
                    yield s, dataclasses.replace(output, dx=[output.dx[j][i]],
                                                 dy=[output.dy[j][i]], scales=(output.scales[j],))
        else:
            # the baseline's Gaussian image pyramid, as feature_pyramid builds it
            image = np.asarray(output)[i]
            if image.dtype == np.uint8:
                image = image.astype(np.float32) * np.float32(1.0 / 255.0)
            for s, level in gaussian_levels(image, self.downscale):
                if self._wanted(s):
                    yield s, level
                if min(level.shape[:2]) < 2:
                    return

    def _level_windows(self, level):
        """HOG vectors (n, F) of every window of one level, and their (row, col) px."""
        wh, ww = self.window
        if is_codes(level):
            h, w = level.dx[0].shape
        else:
            h, w = level.shape[:2]
        if h < wh or w < ww:
            return None
        if self.mode == "crops":
            if is_codes(level):
                cdx, rows, cols = _windows(level.dx[0], wh, ww, self.stride)
                cdy = _windows(level.dy[0], wh, ww, self.stride)[0]
                crops = dataclasses.replace(level, dx=[cdx], dy=[cdy])
            else:
                crops, rows, cols = _windows(level, wh, ww, self.stride)
            return self._hog.features_from_output(crops), rows, cols
        c = self.cell_size
        if is_codes(level):
            cell_map = hog(level.dx[0], level.dy[0], method=self.method, cell_size=c,
                                     levels=getattr(level, "levels", None))
        else:
            dx, dy = image_gradients(level)
            cell_map = hog(dx, dy, method=self.method, cell_size=c)
        # a method that drops b border cells gives a window w - 2b cells of
        # features, found at the window's own top-left cell index
        b = HOG_METHODS[self.method].border_cells
        wy, wx = wh // c - 2 * b, ww // c - 2 * b
        if cell_map.shape[0] < wy or cell_map.shape[1] < wx:
            return None
        F, pos = window_features(cell_map, (wy, wx), self.stride // c)
        return F, pos[:, 0] * c, pos[:, 1] * c

    def _window_table(self, output, i, shape):
        """Boxes (n, 4) in input pixels and HOG vectors (n, D) of every window
        of every level of frame ``i``."""
        wh, ww = self.window
        if self.mode == "pyramid":  # the region the window's whole cells cover
            wh, ww = wh // self.cell_size * self.cell_size, ww // self.cell_size * self.cell_size
        all_boxes, all_f = [], []
        for s, level in self._levels(output, i, shape):
            got = self._level_windows(level)
            if got is None:
                continue
            F, rows, cols = got
            all_f.append(F)
            all_boxes.append(np.stack([cols * s, rows * s, (cols + ww) * s, (rows + wh) * s],
                                      axis=1).astype(np.float64))
        if not all_boxes:
            return np.zeros((0, 4)), np.zeros((0, 0), np.float32)
        return np.concatenate(all_boxes), np.concatenate(all_f)

    def _scores(self, output, i, shape):
        boxes, F = self._window_table(output, i, shape)
        if not len(boxes):
            return boxes, np.zeros(0)
        if F.shape[1] != self.coef_.shape[0]:
            raise ValueError(f"window HOG has {F.shape[1]} features but the weights "
                             f"have {self.coef_.shape[0]}")
        return boxes, F.astype(np.float64) @ self.coef_ + self.intercept_

    def _emulate(self, images):
        return emulate(images, self.frontend, sensor_config=self.sensor_config,
                                 seed=self.seed, signal_e=self.signal_e,
                                 brightness=self.brightness, exposure=self.exposure)

    def _check_image(self, image, name="image"):
        a = check_array(image, name, ndim=(2, 3), kinds="uif")
        if a.ndim == 3 and a.shape[-1] != 3:
            raise ValueError(f"{name} must be (H, W) or (H, W, 3), got {a.shape}; "
                             "for a stack use detect_batch")
        a = check_images(a[None], name)[0]
        if a.shape[0] < self.window[0] or a.shape[1] < self.window[1]:
            raise ValueError(f"window {self.window} is larger than {name} {a.shape[:2]}")
        return a

    def window_scores(self, image):
        """Every window of every level of one image, before threshold and NMS.

        Returns
        -------
        boxes : (n, 4) ndarray of float64
            Windows in input-image pixels ``(x0, y0, x1, y1)``, level by level.
        scores : (n,) ndarray of float64
            Decision values ``coef . hog + intercept``.
        """
        image = self._check_image(image)
        return self._scores(self._emulate(image[None]), 0, image.shape[:2])

    def _select(self, boxes, scores, threshold=None):
        keep = scores > (self.threshold if threshold is None else threshold)
        boxes, scores = boxes[keep], scores[keep]
        idx = nms(boxes, scores, self.nms_iou)[: self.max_detections]
        return Detections(boxes[idx], scores[idx])

    def detect(self, image):
        """Detect targets in one sRGB image ``(H, W)`` or ``(H, W, 3)``.

        Returns
        -------
        Detections
            Boxes in input pixels and scores, after threshold and NMS.

        Raises
        ------
        ValueError
            Bad ``image``, a ``window`` larger than the image, ``scales`` the
            front end does not read out.
        """
        return self._select(*self.window_scores(image))

    def detect_batch(self, images, *, keep_all=False):
        """:meth:`detect` on a stack ``(N, H, W[, 3])`` (emulated in one call,
        so frame ``j`` sees the sensor's ``j``-th temporal noise) or a list.

        ``keep_all=True`` ignores ``threshold``: every window goes to NMS, the
        whole ranked list that average precision is computed on."""
        thr = -np.inf if keep_all else None
        if isinstance(images, np.ndarray):
            stack = check_images(images, "images")
            for j in range(len(stack)):
                self._check_image(stack[j], f"images[{j}]")
            output = self._emulate(stack)
            return [self._select(*self._scores(output, j, stack.shape[1:3]), thr)
                    for j in range(len(stack))]
        return [self._select(*self.window_scores(im), thr) for im in images]

    def evaluate(self, images, gt_boxes, difficult=None, *, iou_threshold=0.5, rule="area"):
        """PASCAL VOC AP of the detector on images with ground truth
        (see :func:`analogfe.learn.metrics.evaluate_detections`), on every
        window after NMS whatever ``threshold`` (the whole ranked list, as
        the VOC and COCO protocols compute AP)."""
        found = self.detect_batch(images, keep_all=True)
        return evaluate_detections([d.boxes for d in found], [d.scores for d in found],
                                   gt_boxes, difficult, iou_threshold=iou_threshold,
                                   rule=rule)


def train_detector(images, gt_boxes, *, frontend="lg1.5", window=(24, 24), cell_size=4,
                   C=0.01, pos_iou=0.6, neg_iou=0.3, negatives_per_image=20,
                   hard_negative_rounds=1, hard_negatives_per_image=10, standardize=True,
                   seed=0, **detector_kw):
    """Train a detector on the windows of the emulated scenes themselves.

    The features a deployed detector sees come from the front end's readout
    of whole scenes (binned super-pixels for a log-gradient sensor), not from
    resized crops. Here the scenes are emulated once; every pyramid window
    overlapping a ground-truth box by IoU >= ``pos_iou`` (and the best window
    of each box, if its IoU >= 0.5) is a positive; ``negatives_per_image``
    random windows with IoU < ``neg_iou`` are negatives. A linear SVM is
    trained, then ``hard_negative_rounds`` times the highest-scoring negative
    windows above the margin (Dalal & Triggs' bootstrapping) are added and the
    SVM retrained.

    Parameters
    ----------
    images : (N, H, W) or (N, H, W, 3) array_like
        sRGB training scenes.
    gt_boxes : list of (K_i, 4) array_like
        Target boxes per scene, ``(x0, y0, x1, y1)``.
    frontend, window, cell_size
        Front end name or object, window ``(h, w)`` in level pixels, HOG cell.
    C : float
        SVM regularisation.
    pos_iou, neg_iou : float
        IoU bounds of positive and negative windows.
    negatives_per_image, hard_negatives_per_image : int
        Random negatives, and hard negatives per round, drawn per scene.
    hard_negative_rounds : int
        Rounds of hard-negative mining (0 for none).
    standardize : bool
        Standardise the features before the SVM (folded into the weights).
    seed : int
        Sensor seed and the seed of the negative sampling.
    **detector_kw
        Other :class:`SlidingWindowDetector` arguments (``stride``,
        ``scales``, ``threshold``, ``nms_iou``, ``downscale``, ``method``, ...).

    Returns
    -------
    SlidingWindowDetector
        With the trained weights; ``n_positives_`` and ``n_negatives_`` tell
        how many windows it was trained on.

    Raises
    ------
    ValueError
        Bad ``images``, ``gt_boxes`` of another length, no positive window
        (boxes too small or too large for ``window`` and the scales), or no
        negative window.
    """
    images = check_images(images, "images")
    gts = [np.asarray(b, dtype=np.float64).reshape(-1, 4) for b in gt_boxes]
    if len(gts) != len(images):
        raise ValueError(f"gt_boxes covers {len(gts)} images but images has {len(images)}")
    pos_iou = check_float(pos_iou, "pos_iou", low=0.0, high=1.0)
    neg_iou = check_float(neg_iou, "neg_iou", low=0.0, high=1.0)
    n_neg = check_int(negatives_per_image, "negatives_per_image", low=1)
    n_hard = check_int(hard_negatives_per_image, "hard_negatives_per_image", low=0)
    rounds = check_int(hard_negative_rounds, "hard_negative_rounds", low=0)
    det = SlidingWindowDetector((np.zeros(1), 0.0), frontend=frontend, window=window,
                                cell_size=cell_size, seed=seed, **detector_kw)
    for j in range(len(images)):
        det._check_image(images[j], f"images[{j}]")
    output = det._emulate(images)
    rng = np.random.default_rng(seed)

    def tables():
        return _window_tables(det, output, images.shape[1:3], gts)

    pos, neg = _sample_windows(tables(), pos_iou, neg_iou, n_neg, rng)
    fit = dict(C=C, standardize=standardize, class_weight=None, max_iter=10000)
    coef, b = _train_window_svm(pos, neg, fit)
    for _ in range(rounds):
        hard = _hard_negatives(tables(), coef, b, neg_iou, n_hard)
        if not len(hard):
            break
        neg = np.concatenate([neg, hard])
        coef, b = _train_window_svm(pos, neg, fit)
    det.coef_, det.intercept_ = coef, b
    det.n_positives_, det.n_negatives_ = len(pos), len(neg)
    return det


def _window_tables(det, output, shape, gts):
    """Per scene: HOG vectors (n, D) of all ``det``'s windows of the emulated
    ``output`` and their IoU (n, K) with the scene's ground-truth boxes."""
    for j, gt in enumerate(gts):
        boxes, F = det._window_table(output, j, shape)
        iou = box_iou(boxes, gt) if len(gt) else np.zeros((len(boxes), 0))
        yield F, iou


def _best_iou(F, iou):
    """Each window's largest IoU with any box (0 in a scene without boxes)."""
    return iou.max(axis=1) if iou.shape[1] else np.zeros(len(F))


def _sample_windows(tables, pos_iou, neg_iou, n_neg, rng):
    """Positive windows (IoU >= ``pos_iou``, plus each box's best window if its
    IoU >= 0.5) and up to ``n_neg`` random negatives (IoU < ``neg_iou``) per scene."""
    pos, neg = [], []
    for F, iou in tables:
        best = _best_iou(F, iou)
        is_pos = best >= pos_iou
        for g in range(iou.shape[1]):
            k = int(np.argmax(iou[:, g]))
            is_pos[k] |= iou[k, g] >= 0.5
        pos.append(F[is_pos])
        cand = np.nonzero(best < neg_iou)[0]
        neg.append(F[rng.choice(cand, min(n_neg, len(cand)), replace=False)])
    pos, neg = np.concatenate(pos), np.concatenate(neg)
    if not len(pos):
        raise ValueError("gt_boxes: no window overlaps a box by IoU >= 0.5; check window "
                         "and scales against the box sizes")
    if not len(neg):
        raise ValueError(f"images: no window overlaps the boxes by less than neg_iou={neg_iou}")
    return pos, neg


def _train_window_svm(pos, neg, fit):
    """Linear SVM on positive and negative windows: ``(coef (D,), intercept)``."""
    X = np.concatenate([pos, neg])
    y = np.r_[np.ones(len(pos), np.int64), np.zeros(len(neg), np.int64)]
    _, _, coef, b = _fit_linear(X, y, **fit)
    return coef[0], float(b[0])


def _hard_negatives(tables, coef, b, neg_iou, n_hard):
    """Per scene, the ``n_hard`` highest-scoring negative windows inside the
    margin (score > -1) of the SVM ``(coef, b)``, concatenated."""
    hard = []
    for F, iou in tables:
        best = _best_iou(F, iou)
        s = F.astype(np.float64) @ coef + b
        cand = np.nonzero((best < neg_iou) & (s > -1.0))[0]  # inside the margin
        hard.append(F[cand[np.argsort(-s[cand], kind="stable")[:n_hard]]])
    return np.concatenate(hard)
