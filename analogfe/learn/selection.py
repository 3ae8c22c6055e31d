"""Model selection and the brightness summary shared by every run.

:func:`fit_svm` fits a wake-up classifier with a given C, or chooses C by
stratified 5-fold cross-validation on the training images only;
:func:`brightness_loss` summarises an accuracy-vs-brightness curve by its
largest drop against the reference exposure (k = 0).
"""
from __future__ import annotations

import numpy as np

__all__ = ["C_GRID", "CV_FOLDS", "fit_svm", "brightness_loss"]

#: C values searched when C is "auto" (``svm.C_grid`` of the run configuration).
C_GRID = (0.001, 0.01, 0.1, 1.0)
#: Folds of the cross-validation that chooses C.
CV_FOLDS = 5


def fit_svm(clf, X, y, C="auto", *, C_grid=C_GRID, cv_seed=0):
    """Fit ``clf`` (a :class:`~analogfe.learn.WakeUpClassifier`) on ``(X, y)``.

    Parameters
    ----------
    clf : estimator with a ``C`` parameter
    X, y : training images and labels
    C : float or "auto"
        A number is used as it is; ``"auto"`` picks the best of ``C_grid`` by
        stratified :data:`CV_FOLDS`-fold cross-validation (shuffled with
        ``cv_seed``) on ``(X, y)`` only, then refits on all of it.
    C_grid : sequence of float
    cv_seed : int
        Seed of the fold assignment.

    Returns
    -------
    The fitted classifier (for ``"auto"``: a refitted clone with the best C).

    Raises
    ------
    ValueError
        With ``"auto"``, if a class has fewer than :data:`CV_FOLDS` images.
    """
    if not (isinstance(C, str) and C == "auto"):
        return clf.set_params(C=C).fit(X, y)
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    fewest = int(np.unique(np.asarray(y), return_counts=True)[1].min())
    if fewest < CV_FOLDS:
        raise ValueError(f'svm.C = "auto" chooses C by {CV_FOLDS}-fold cross-validation and needs '
                         f"{CV_FOLDS} training images per class; the smallest class has {fewest}: "
                         "set svm.C to a number or use a larger dataset")
    cv = StratifiedKFold(CV_FOLDS, shuffle=True, random_state=cv_seed)
    return GridSearchCV(clf, {"C": list(C_grid)}, cv=cv).fit(X, y).best_estimator_


def brightness_loss(accuracy):
    """Largest accuracy drop against k = 0, in points, and the k where it is.

    Parameters
    ----------
    accuracy : dict
        ``{k: accuracy}`` over brightness exponents k (scene light x 2^k);
        must hold k = 0.

    Returns
    -------
    max_loss : float
        ``max(0, max_k 100 (acc[0] - acc[k]))``.
    worst_k : int
        The first k (in the dict's order) with the largest drop.
    """
    if 0 not in accuracy:
        raise ValueError(f"accuracy must hold k = 0, got keys {sorted(accuracy)}")
    losses = {k: 100.0 * (accuracy[0] - a) for k, a in accuracy.items()}
    worst = max(losses, key=losses.get)
    return max(0.0, losses[worst]), worst
