"""The wake-up classifier: front end + HOG + linear SVM, a scikit-learn estimator.

Re-exported by :mod:`analogfe.learn`, whose documentation describes the
whole always-on path.
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from .._validation import check_array, check_float, check_int
from ..features.image import frontend_features
from ..frontend.registry import emulate, frontend_spec
from ..sensor.exposure import resolve_exposure
from .metrics import classification_metrics

__all__ = ["WakeUpClassifier", "check_images"]


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
        frontend_spec(frontend, "frontend")  # a standard name, import path or entry point
    elif not callable(frontend):
        raise TypeError(f"frontend must be a name in frontend.FRONTENDS or a front end "
                        f"object, got {frontend!r}")
    return frontend


#: The dual solver is used up to this many samples per feature, the primal above.
_DUAL_SAMPLES_PER_FEATURE = 4


def _use_dual(n_samples, n_features):
    """Whether liblinear solves the dual (coordinate descent) or the primal
    (trust-region Newton) problem of the L2-regularised squared hinge loss.

    Both have the same optimum; what differs is how fast each reaches it
    within liblinear's tolerance. scikit-learn's ``dual="auto"`` takes the
    primal as soon as there are more samples than features. On the wake-up
    crops (about 1.2-1.5 samples per HOG feature, nearly separable) the
    primal stops at C >= 0.1 with an objective up to 38 % above the optimum
    after 1-2 s, where the dual reaches the optimum (to 1e-6) in 0.1 s. On
    the detector's windows (12-18 samples per feature) the primal is the
    faster of the two and reaches the optimum. Up to
    ``_DUAL_SAMPLES_PER_FEATURE`` samples per feature: the dual.
    """
    return n_samples <= _DUAL_SAMPLES_PER_FEATURE * n_features


def _fit_linear(F, y, *, C, standardize, class_weight, max_iter):
    """LinearSVC on (optionally standardised) features; weights folded back
    onto the raw features: ``decision = F @ coef.T + intercept``."""
    scaler = StandardScaler().fit(F) if standardize else None
    Z = scaler.transform(F) if scaler is not None else F
    svm = LinearSVC(C=C, class_weight=class_weight, max_iter=max_iter, random_state=0,
                    dual=_use_dual(*Z.shape)).fit(Z, y)
    coef = svm.coef_.astype(np.float64)
    intercept = svm.intercept_.astype(np.float64)
    if scaler is not None:
        coef = coef / scaler.scale_
        intercept = intercept - coef @ scaler.mean_
    return svm, scaler, coef, intercept


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
        (a name in :data:`analogfe.features.HOG_METHODS`: ``"fhog"``,
        ``"dalal-triggs"`` or ``"dpm-log"``).
    brightness : float
        Scene illumination factor applied to the electrons (e.g. ``2**-4``).
    exposure : {"auto", "fixed"} or AutoExposure
        Auto-exposure of the emulated camera (:func:`analogfe.frontend.emulate`):
        ``"auto"`` (default) meters each image and sets its exposure time
        and analog gain; ``"fixed"``: the nominal exposure at unity gain.
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
                 standardize=True, class_weight=None, max_iter=10000, exposure="auto"):
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
        self.exposure = exposure

    def __sklearn_tags__(self):
        # input is a stack of images (N, H, W[, 3]), not a 2-D feature table
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        return tags

    # -- features
    def _check_params(self):
        _check_frontend_name(self.frontend)
        check_int(self.cell_size, "cell_size", low=1)
        check_int(self.scale, "scale", low=0)
        check_float(self.C, "C", low=0.0, low_open=True)
        check_float(self.brightness, "brightness", low=0.0, low_open=True)
        resolve_exposure(self.exposure)
        if self.signal_e is not None:
            check_float(self.signal_e, "signal_e", low=0.0, low_open=True)

    def emulate(self, X):
        """Front end output for sRGB images ``X`` (see :func:`analogfe.frontend.emulate`)."""
        X = check_images(X)
        return emulate(X, self.frontend, sensor_config=self.sensor_config,
                                 seed=self.seed, signal_e=self.signal_e,
                                 brightness=self.brightness, exposure=self.exposure)

    def features_from_output(self, output):
        """HOG vectors ``(N, F)`` float32 of a stacked front end output."""
        f = frontend_features(output, scale=self.scale, cell_size=self.cell_size,
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
        self.svm_, self.scaler_, self.coef_, self.intercept_ = _fit_linear(
            F, y, C=self.C, standardize=self.standardize, class_weight=self.class_weight,
            max_iter=self.max_iter)
        self.classes_ = self.svm_.classes_
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
        (binary only; see :func:`analogfe.learn.metrics.classification_metrics`)."""
        scores = self.decision_function(X)
        if scores.ndim != 1:
            raise ValueError("evaluate needs a binary classifier")
        return classification_metrics(y, scores, self.predict(X))
