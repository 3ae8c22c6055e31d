"""Wake-up classifier and sliding-window detector on what the sensor sends out.

The whole always-on path for a user's images: sRGB -> emulated sensor and
front end (:func:`analogfe.frontend.emulate`) -> HOG of the front end output
(:func:`analogfe.features.frontend_features`) -> linear SVM
(:class:`sklearn.svm.LinearSVC`). Every front end -- the 8-bit RGB baseline,
8-bit gray, and the 1.5- / 2.75-bit log-gradient codes -- goes through the
same HOG, so their accuracies compare the information each one keeps.

:class:`WakeUpClassifier` is a scikit-learn estimator (fit / predict /
decision_function / score, get_params / set_params, usable in
:class:`~sklearn.pipeline.Pipeline` and
:class:`~sklearn.model_selection.GridSearchCV`). :class:`SlidingWindowDetector`
slides its linear model over a multi-scale pyramid of the front end output
and keeps the best boxes by greedy non-maximum suppression; evaluation is in
:mod:`analogfe.metrics`.

References
----------
.. [1] A. Omid-Zohoor, C. Young, D. Ta, B. Murmann, "Toward Always-On Mobile
   Object Detection: Energy Versus Performance Tradeoffs for Embedded HOG
   Feature Extraction", IEEE TCSVT 28(5):1102-1115, 2018,
   doi:10.1109/TCSVT.2017.2653187.
.. [2] C. Young, A. Omid-Zohoor, P. Lajevardi, B. Murmann, "A Data-Compressive
   1.5/2.75-bit Log-Gradient QVGA Image Sensor With Multi-Scale Readout for
   Always-On Object Detection", IEEE JSSC 54(11):2932-2946, 2019,
   doi:10.1109/JSSC.2019.2937437.
.. [3] N. Dalal, B. Triggs, "Histograms of Oriented Gradients for Human
   Detection", CVPR 2005, doi:10.1109/CVPR.2005.177.
.. [4] P. Felzenszwalb, R. Girshick, D. McAllester, D. Ramanan, "Object
   Detection with Discriminatively Trained Part-Based Models", IEEE TPAMI
   32(9):1627-1645, 2010, doi:10.1109/TPAMI.2009.167 (sliding window over a
   feature pyramid, greedy NMS).
"""
from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from . import features as _features
from . import frontend as _frontend
from ._validation import check_array, check_choice, check_float, check_int
from .metrics import classification_metrics, evaluate_detections, nms

__all__ = [
    "WakeUpClassifier",
    "SlidingWindowDetector",
    "Detections",
    "check_images",
    "compare_frontends_lfw",
    "format_comparison",
]

LFW_CELL_SIZE = 5
"""HOG cell for the 25 x 25 LFW subset crops: 5 x 5 cells of 5 px, no crop.

The papers' 8-px cells would leave 3 x 3 cells (24 px) of a 25-px face, too
few for the block normalisation of FHOG; 5 px tiles 25 px exactly."""


# ------------------------------------------------------------------ input
def check_images(X, name="X"):
    """Validate a stack of sRGB images for a front end.

    Parameters
    ----------
    X : (N, H, W) or (N, H, W, 3) array_like
        uint8 sRGB images (uint16 and floats in [0, 1] are accepted too).
        A 3-D array is always a stack of gray images, never one RGB image.
    name : str
        Argument name used in the error messages.

    Returns
    -------
    X : ndarray
        C-contiguous, dtype unchanged.

    Raises
    ------
    ValueError
        Wrong number of dimensions, a last axis other than 3 on 4-D input,
        float values outside [0, 1], or empty images.
    TypeError
        Non-numeric dtype.
    """
    X = check_array(X, name, ndim=(3, 4), kinds="uif")
    if X.ndim == 4 and X.shape[-1] != 3:
        raise ValueError(f"{name} must be (N, H, W) or (N, H, W, 3), got shape {X.shape}")
    if X.dtype.kind == "f" and (X.min() < 0 or X.max() > 1):
        raise ValueError(f"{name} as float must be sRGB in [0, 1], got range "
                         f"[{X.min():.3g}, {X.max():.3g}]")
    if X.dtype.kind == "i":
        if X.min() < 0 or X.max() > 255:
            raise ValueError(f"{name} as integers must be 8-bit sRGB in [0, 255]")
        X = X.astype(np.uint8)
    return X


def _check_frontend_name(frontend):
    if isinstance(frontend, str):
        check_choice(frontend, "frontend", tuple(_frontend.FRONTENDS))
    elif not callable(frontend):
        raise TypeError(f"frontend must be a name in frontend.FRONTENDS or a front end "
                        f"object, got {frontend!r}")
    return frontend


def _is_codes(output):
    return hasattr(output, "dx") and hasattr(output, "dy")


# ------------------------------------------------------------------ classifier
class WakeUpClassifier(ClassifierMixin, BaseEstimator):
    """Front end + HOG + linear SVM: the always-on wake-up classifier.

    Parameters
    ----------
    frontend : str or front end object, default "lg1.5"
        A name in :data:`analogfe.frontend.FRONTENDS` (``"rgb8"``,
        ``"gray8"``, ``"lg1.5"``, ``"lg2.75"``) or a front end object.
    sensor_config : SensorConfig or None
        Sensor of the emulation; its height/width follow the images when None.
    seed : int
        Seed of the emulated sensor (fixed pattern and temporal noise); the
        same seed is used in fit and predict, as one physical sensor would be.
    C : float
        Inverse regularisation strength of :class:`~sklearn.svm.LinearSVC`.
    scale : int
        Index of the front end scale (multi-scale readout) fed to HOG.
    cell_size : int
        HOG cell in pixels of that scale (papers: 8; LFW's 25-px crops: 5).
    method : str
        HOG variant of :func:`analogfe.features.frontend_features`
        (``"fhog"`` or ``"dalal-triggs"``).
    brightness : float
        Scene illumination factor applied to the electrons (e.g. ``2**-4``).
    signal_e : float or None
        Mean photo-electrons for a scene value of 1.0 (front end default if None).
    standardize : bool
        Standardise features (zero mean, unit variance) before the SVM.
    class_weight : dict, "balanced" or None
        Passed to :class:`~sklearn.svm.LinearSVC`.
    max_iter : int
        Passed to :class:`~sklearn.svm.LinearSVC`.

    Attributes
    ----------
    classes_ : ndarray
        Class labels.
    image_shape_ : tuple
        ``(H, W)`` of the training images; predict needs the same size.
    n_hog_features_ : int
        Length of the HOG vector.
    coef_ : (1, F) or (n_classes, F) ndarray of float64
        Linear weights on the *raw* HOG features (standardisation folded in),
        so ``decision_function(X) == features(X) @ coef_.T + intercept_``.
    intercept_ : (1,) or (n_classes,) ndarray of float64
    svm_ : LinearSVC
        The fitted SVM (on standardised features when ``standardize``).
    scaler_ : StandardScaler or None

    Examples
    --------
    >>> from skimage.data import lfw_subset
    >>> X = (lfw_subset() * 255).astype("uint8"); y = [1] * 100 + [0] * 100
    >>> clf = WakeUpClassifier("lg1.5", cell_size=5).fit(X[::2], y[::2])
    >>> clf.score(X[1::2], y[1::2]) > 0.8
    True
    """

    def __init__(self, frontend="lg1.5", sensor_config=None, seed=0, C=1.0, scale=0,
                 cell_size=8, method="fhog", brightness=1.0, signal_e=None,
                 standardize=True, class_weight=None, max_iter=10000):
        self.frontend = frontend
        self.sensor_config = sensor_config
        self.seed = seed
        self.C = C
        self.scale = scale
        self.cell_size = cell_size
        self.method = method
        self.brightness = brightness
        self.signal_e = signal_e
        self.standardize = standardize
        self.class_weight = class_weight
        self.max_iter = max_iter

    # -- features
    def _check_params(self):
        _check_frontend_name(self.frontend)
        check_int(self.cell_size, "cell_size", low=1)
        check_int(self.scale, "scale", low=0)
        check_float(self.C, "C", low=0.0, low_open=True)
        check_float(self.brightness, "brightness", low=0.0, low_open=True)
        if self.signal_e is not None:
            check_float(self.signal_e, "signal_e", low=0.0, low_open=True)

    def emulate(self, X):
        """Front end output for sRGB images ``X`` (see :func:`analogfe.frontend.emulate`)."""
        X = check_images(X)
        return _frontend.emulate(X, self.frontend, sensor_config=self.sensor_config,
                                 seed=self.seed, signal_e=self.signal_e,
                                 brightness=self.brightness)

    def features_from_output(self, output):
        """HOG vectors ``(N, F)`` float32 of a stacked front end output."""
        f = _features.frontend_features(output, scale=self.scale, cell_size=self.cell_size,
                                        method=self.method)
        return np.asarray(f, dtype=np.float32).reshape(len(f), -1)

    def features(self, X):
        """HOG vectors of the emulated front end output.

        Parameters
        ----------
        X : (N, H, W) or (N, H, W, 3) array_like
            sRGB images.

        Returns
        -------
        (N, F) ndarray of float32
        """
        self._check_params()
        return self.features_from_output(self.emulate(X))

    # -- estimator API
    def fit(self, X, y):
        """Emulate the front end on ``X``, extract HOG, train the linear SVM.

        Parameters
        ----------
        X : (N, H, W) or (N, H, W, 3) array_like
            sRGB training images, all of one size.
        y : (N,) array_like
            Labels, at least two classes.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            Bad ``X`` (see :func:`check_images`), ``y`` of another length or
            with a single class, unknown ``frontend``, bad parameters.
        """
        self._check_params()
        X = check_images(X)
        y = np.asarray(y)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D, got shape {y.shape}")
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} images but y has {len(y)} labels")
        check_classification_targets(y)
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(f"y must hold at least 2 classes, got only {classes.tolist()}")
        F = self.features(X)
        self.image_shape_ = tuple(X.shape[1:3])
        self.n_hog_features_ = F.shape[1]
        if self.standardize:
            self.scaler_ = StandardScaler().fit(F)
            Z = self.scaler_.transform(F)
        else:
            self.scaler_ = None
            Z = F
        self.svm_ = LinearSVC(C=self.C, class_weight=self.class_weight,
                              max_iter=self.max_iter, random_state=0).fit(Z, y)
        self.classes_ = self.svm_.classes_
        coef = self.svm_.coef_.astype(np.float64)
        intercept = self.svm_.intercept_.astype(np.float64)
        if self.scaler_ is not None:
            s = self.scaler_.scale_
            coef = coef / s
            intercept = intercept - coef @ self.scaler_.mean_
        self.coef_ = coef
        self.intercept_ = intercept
        return self

    def _features_checked(self, X):
        check_is_fitted(self, "svm_")
        X = check_images(X)
        if tuple(X.shape[1:3]) != self.image_shape_:
            raise ValueError(f"X images are {X.shape[1:3]} but the classifier was fitted "
                             f"on {self.image_shape_}")
        return self.features(X)

    def decision_function_from_features(self, F):
        """Signed distance to the hyperplane for HOG vectors ``F`` ``(N, F)``."""
        F = check_array(F, "F", ndim=2, dtype=np.float64)
        if F.shape[1] != self.n_hog_features_:
            raise ValueError(f"F has {F.shape[1]} features, expected {self.n_hog_features_}")
        Z = self.scaler_.transform(F) if self.scaler_ is not None else F
        return self.svm_.decision_function(Z)

    def decision_function(self, X):
        """Decision values: ``(N,)`` for two classes (positive = ``classes_[1]``),
        else ``(N, n_classes)``."""
        return self.decision_function_from_features(self._features_checked(X))

    def predict(self, X):
        """Predicted labels ``(N,)``."""
        F = self._features_checked(X)
        Z = self.scaler_.transform(F) if self.scaler_ is not None else F
        return self.svm_.predict(Z)

    def evaluate(self, X, y):
        """Accuracy, ROC AUC, AP and the precision-recall curve on ``(X, y)``
        (binary only; see :func:`analogfe.metrics.classification_metrics`)."""
        scores = self.decision_function(X)
        if scores.ndim != 1:
            raise ValueError("evaluate needs a binary classifier")
        return classification_metrics(y, scores, self.predict(X))


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


def _bin_mean(image, k):
    # k x k block mean of an 8-bit image (crop to a multiple of k): the
    # digital baseline's image pyramid, the same binning as the analog one.
    if k == 1:
        return image
    h, w = image.shape[0] // k * k, image.shape[1] // k * k
    a = image[:h, :w].astype(np.float32)
    a = a.reshape((h // k, k, w // k, k) + a.shape[2:]).mean(axis=(1, 3))
    return np.clip(np.round(a), 0, 255).astype(np.uint8)


def _windows(a, wh, ww, stride):
    # all (wh, ww) windows of the first two axes of ``a`` at ``stride``:
    # returns (n, wh, ww, ...) and the (y, x) of each window's top left.
    v = np.lib.stride_tricks.sliding_window_view(a, (wh, ww), axis=(0, 1))
    v = v[::stride, ::stride]
    ny, nx = v.shape[:2]
    v = np.moveaxis(v, (-2, -1), (2, 3)).reshape((ny * nx, wh, ww) + a.shape[2:])
    ys, xs = np.meshgrid(np.arange(ny) * stride, np.arange(nx) * stride, indexing="ij")
    return np.ascontiguousarray(v), ys.ravel(), xs.ravel()


class SlidingWindowDetector:
    """Multi-scale sliding-window detector with non-maximum suppression.

    Every pyramid level is one binning factor ``k``: for a log-gradient front
    end the codes of its scale ``k`` (the sensor's multi-scale readout, no
    digital resampling); for an 8-bit front end the ``k x k`` block mean of
    the image (a digital image pyramid). A window of the training size slides
    over each level in steps of ``stride`` pixels of that level; its HOG
    vector is scored by the linear model; windows scoring above ``threshold``
    are mapped to input-image coordinates (times ``k``) and thinned by greedy
    NMS.

    Parameters
    ----------
    classifier : WakeUpClassifier or (coef, intercept)
        A fitted :class:`WakeUpClassifier` (its front end, sensor, seed, HOG
        settings and training image size are used), or raw linear weights on
        the HOG vector ``(F,)`` and a float; then ``frontend``, ``window`` and
        ``cell_size`` must be given.
    window : (int, int), optional
        Window ``(h, w)`` in pixels of a level; default: the classifier's
        training image size.
    stride : int, optional
        Step between windows in pixels of a level; default ``cell_size``.
    scales : tuple of int
        Binning factors of the pyramid levels. For a log-gradient front end
        each must be one of its ``scales``.
    threshold : float or None
        A reported window scores strictly above this decision value; None
        keeps every window (NMS still applies).
    nms_iou : float
        IoU above which a lower-scoring box is suppressed.
    max_detections : int, optional
        Keep at most this many boxes per image after NMS.
    frontend, cell_size, method, sensor_config, seed, brightness, signal_e
        Override (or, with raw weights, give) the classifier's settings.

    Examples
    --------
    >>> det = SlidingWindowDetector(clf, stride=4, scales=(1, 2), threshold=0.5)
    >>> found = det.detect(scene)          # doctest: +SKIP
    >>> found.boxes, found.scores          # doctest: +SKIP
    """

    def __init__(self, classifier, window=None, stride=None, scales=(1, 2, 4),
                 threshold=0.0, nms_iou=0.3, max_detections=None, *, frontend=None,
                 cell_size=None, method=None, sensor_config=None, seed=None,
                 brightness=None, signal_e=None):
        if isinstance(classifier, WakeUpClassifier):
            check_is_fitted(classifier, "svm_")
            if classifier.coef_.shape[0] != 1:
                raise ValueError("classifier must be binary (one weight vector)")
            coef, intercept = classifier.coef_[0], float(classifier.intercept_[0])
            if classifier.scale != 0:
                raise ValueError("classifier must be trained at scale=0 (full resolution); "
                                 "the detector picks the scales itself")
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
            base = WakeUpClassifier(frontend=frontend, cell_size=cell_size)
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
        if window is None:
            window = base.image_shape_
        if (not isinstance(window, (tuple, list)) or len(window) != 2):
            raise ValueError(f"window must be (h, w), got {window!r}")
        self.window = (check_int(window[0], "window[0]", low=1),
                       check_int(window[1], "window[1]", low=1))
        if isinstance(classifier, WakeUpClassifier) and self.window != classifier.image_shape_:
            raise ValueError(f"window {self.window} differs from the classifier's training "
                             f"image size {classifier.image_shape_}")
        self.stride = check_int(self.cell_size if stride is None else stride, "stride", low=1)
        if isinstance(scales, numbers.Integral):
            scales = (scales,)
        self.scales = tuple(check_int(k, "scales", low=1) for k in scales)
        if not self.scales:
            raise ValueError("scales must name at least one binning factor")
        self.threshold = (-np.inf if threshold is None
                          else check_float(threshold, "threshold"))
        self.nms_iou = check_float(nms_iou, "nms_iou", low=0.0, high=1.0)
        self.max_detections = (None if max_detections is None
                               else check_int(max_detections, "max_detections", low=1))
        self.coef_ = coef
        self.intercept_ = intercept
        self._hog = WakeUpClassifier(frontend=self.frontend, cell_size=self.cell_size,
                                     method=self.method, scale=0)

    # -- pyramid
    def _emulate(self, images):
        return _frontend.emulate(images, self.frontend, sensor_config=self.sensor_config,
                                 seed=self.seed, signal_e=self.signal_e,
                                 brightness=self.brightness)

    def _levels(self, output, i):
        """(k, level of frame ``i`` of a stacked output) for every pyramid factor."""
        if _is_codes(output):
            have = tuple(output.scales)
            for k in self.scales:
                if k not in have:
                    raise ValueError(f"scales {self.scales} must be among the front end "
                                     f"scales {have}")
            for k in self.scales:
                j = have.index(k)
                yield k, (output.dx[j][i], output.dy[j][i])
        else:
            img = np.asarray(output)[i]
            for k in self.scales:
                yield k, _bin_mean(img, k)

    def _level_features(self, output, level, template):
        wh, ww = self.window
        if isinstance(level, tuple):
            dx, dy = level
            if dx.shape[0] < wh or dx.shape[1] < ww:
                return None
            cdx, ys, xs = _windows(dx, wh, ww, self.stride)
            cdy, _, _ = _windows(dy, wh, ww, self.stride)
            crops = dataclasses.replace(template, dx=[cdx], dy=[cdy], scales=(1,))
        else:
            if level.shape[0] < wh or level.shape[1] < ww:
                return None
            crops, ys, xs = _windows(level, wh, ww, self.stride)
        return self._hog.features_from_output(crops), ys, xs

    def window_scores(self, image):
        """Scores of every window at every level of one image.

        Returns
        -------
        boxes : (n, 4) ndarray of float64
            Windows in input-image pixels ``(x0, y0, x1, y1)``.
        scores : (n,) ndarray of float64
            Decision values ``coef . hog + intercept``.
        """
        image = self._check_image(image)
        output = self._emulate(image[None])
        return self._scores(output, 0)

    def _scores(self, output, i):
        wh, ww = self.window
        all_boxes, all_scores = [], []
        for k, level in self._levels(output, i):
            got = self._level_features(output, level, output)
            if got is None:
                continue
            F, ys, xs = got
            if F.shape[1] != self.coef_.shape[0]:
                raise ValueError(f"window HOG has {F.shape[1]} features but the weights "
                                 f"have {self.coef_.shape[0]}")
            s = F.astype(np.float64) @ self.coef_ + self.intercept_
            boxes = np.stack([xs * k, ys * k, (xs + ww) * k, (ys + wh) * k], axis=1)
            all_boxes.append(boxes.astype(np.float64))
            all_scores.append(s)
        if not all_boxes:
            return np.zeros((0, 4)), np.zeros(0)
        return np.concatenate(all_boxes), np.concatenate(all_scores)

    def _check_image(self, image, name="image"):
        a = check_array(image, name, ndim=(2, 3), kinds="uif")
        if a.ndim == 3 and a.shape[-1] != 3:
            raise ValueError(f"{name} must be (H, W) or (H, W, 3); for a stack use detect_batch")
        a = check_images(a[None], name)[0]
        wh, ww = self.window
        if a.shape[0] < wh * self.scales[0] or a.shape[1] < ww * self.scales[0]:
            raise ValueError(f"window {self.window} at scale {self.scales[0]} is larger than "
                             f"{name} {a.shape[:2]}")
        return a

    def _select(self, boxes, scores):
        keep = scores > self.threshold
        boxes, scores = boxes[keep], scores[keep]
        idx = nms(boxes, scores, self.nms_iou)
        if self.max_detections is not None:
            idx = idx[: self.max_detections]
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
            Bad ``image`` or a ``window`` larger than the image.
        """
        return self._select(*self.window_scores(image))

    def detect_batch(self, images):
        """Detect in a stack ``(N, H, W[, 3])`` or a list of images; one
        :class:`Detections` per image. A stack is emulated in one call."""
        if isinstance(images, np.ndarray):
            stack = check_images(images, "images")
            for j in range(len(stack)):
                self._check_image(stack[j], f"images[{j}]")
            output = self._emulate(stack)
            return [self._select(*self._scores(output, j)) for j in range(len(stack))]
        return [self.detect(im) for im in images]

    def evaluate(self, images, gt_boxes, difficult=None, *, iou_threshold=0.5,
                 method="area"):
        """PASCAL VOC AP of the detector on images with ground truth
        (see :func:`analogfe.metrics.evaluate_detections`)."""
        found = self.detect_batch(images)
        return evaluate_detections([d.boxes for d in found], [d.scores for d in found],
                                   gt_boxes, difficult, iou_threshold=iou_threshold,
                                   method=method)


# ------------------------------------------------------------------ evidence
def compare_frontends_lfw(seed=0, *, frontends=("rgb8", "gray8", "lg1.5", "lg2.75"),
                          cell_size=LFW_CELL_SIZE, C=None, test_size=0.25,
                          brightness=1.0, method="fhog"):
    """Test accuracy of the wake-up classifier per front end on the LFW subset.

    The face / non-face subset shipped with scikit-image (200 images of
    25 x 25 px), split once by :func:`analogfe.data.load_lfw` with ``seed``;
    every front end sees the same split, sensor seed and HOG
    (``cell_size`` px cells, :data:`LFW_CELL_SIZE` = 5 by default).

    Parameters
    ----------
    seed : int
        Split and sensor seed.
    frontends : tuple of str
        Front end names.
    cell_size : int
        HOG cell in pixels.
    C : float or None
        SVM regularisation; None chooses it per front end by 5-fold
        cross-validation on the training split only, from
        ``(0.001, 0.01, 0.1, 1)``.
    test_size : float
        Fraction of images held out.
    brightness, method
        As in :class:`WakeUpClassifier`.

    Returns
    -------
    list of dict
        One row per front end: ``frontend``, ``accuracy``, ``roc_auc``,
        ``ap`` (VOC area AP of the test ranking), ``C``, ``n_train``,
        ``n_test``, ``n_features``, ``cell_size``.
    """
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    from .data import load_lfw

    split = load_lfw(seed=seed, test_size=test_size)
    rows = []
    for name in frontends:
        clf = WakeUpClassifier(frontend=name, seed=seed, cell_size=cell_size,
                               brightness=brightness, method=method)
        if C is None:
            cv = StratifiedKFold(5, shuffle=True, random_state=seed)
            search = GridSearchCV(clf, {"C": [0.001, 0.01, 0.1, 1.0]}, cv=cv)
            clf = search.fit(split.X_train, split.y_train).best_estimator_
        else:
            clf.set_params(C=C).fit(split.X_train, split.y_train)
        m = clf.evaluate(split.X_test, split.y_test)
        rows.append({"frontend": name, "accuracy": m["accuracy"], "roc_auc": m["roc_auc"],
                     "ap": m["ap_voc_area"], "C": clf.C, "n_train": len(split.y_train),
                     "n_test": len(split.y_test), "n_features": clf.n_hog_features_,
                     "cell_size": cell_size})
    return rows


def format_comparison(rows):
    """Plain-text table of :func:`compare_frontends_lfw` rows."""
    lines = [f"{'frontend':<10}{'accuracy':>10}{'ROC AUC':>10}{'AP':>8}{'C':>8}{'HOG dims':>10}"]
    for r in rows:
        lines.append(f"{r['frontend']:<10}{r['accuracy']:>10.3f}{r['roc_auc']:>10.3f}"
                     f"{r['ap']:>8.3f}{r['C']:>8g}{r['n_features']:>10d}")
    return "\n".join(lines)
