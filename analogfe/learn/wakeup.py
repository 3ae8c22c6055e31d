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
(the sensor's multi-scale readout, or an image pyramid for the 8-bit
baseline) and keeps the best boxes by greedy non-maximum suppression.
:func:`train_detector` trains one on the windows of emulated scenes, with
hard-negative mining. :func:`compare_frontends_lfw` is the front-end
comparison on the LFW subset. Evaluation (accuracy, ROC AUC, PR, PASCAL VOC
AP) is in :mod:`analogfe.learn.metrics`.

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

from .classifier import WakeUpClassifier
from .selection import fit_svm

__all__ = ["LFW_CELL_SIZE", "compare_frontends_lfw", "format_comparison"]

LFW_CELL_SIZE = 5
"""HOG cell for the 25 x 25 LFW subset crops: 5 x 5 cells of 5 px, no crop.

The papers' 8-px cells would leave 3 x 3 cells (24 px) of a 25-px face, too
few for FHOG's 2 x 2-block normalisation to see more than the border; 5 px
tiles 25 px exactly (4 px: 6 x 6 cells on 24 px, one row and column unused)."""


# ------------------------------------------------------------------ evidence
def compare_frontends_lfw(seed=0, *, frontends=("rgb8", "gray8", "lg1.5", "lg2.75"),
                          cell_size=LFW_CELL_SIZE, C=None, test_size=0.25,
                          brightness=1.0, method="fhog", exposure="auto"):
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
        :data:`~analogfe.learn.selection.C_GRID`.
    test_size : float
        Fraction of images held out.
    brightness, method, exposure
        As in :class:`WakeUpClassifier`.

    Returns
    -------
    list of dict
        One row per front end: ``frontend``, ``accuracy``, ``roc_auc``,
        ``ap`` (VOC area AP of the test ranking), ``C``, ``n_train``,
        ``n_test``, ``n_features``, ``cell_size``.
    """
    from ..data import load_lfw

    split = load_lfw(seed=seed, test_size=test_size)
    rows = []
    for name in frontends:
        clf = WakeUpClassifier(frontend=name, seed=seed, cell_size=cell_size,
                               brightness=brightness, method=method, exposure=exposure)
        clf = fit_svm(clf, split.X_train, split.y_train, "auto" if C is None else C, cv_seed=seed)
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
