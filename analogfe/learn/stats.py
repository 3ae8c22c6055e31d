"""Uncertainty of the numbers a front-end comparison reports.

Every accuracy comes with its test-set size and a confidence interval
(Wilson score interval), every result over several training seeds with its
mean and spread, every classifier with the chance level of its test set, and
every comparison of two front ends on the same test images with an interval
for the difference and an exact McNemar test. Metrics without a closed-form
interval (detector AP over test scenes) get a percentile bootstrap over the
test items.

All functions are pure and use numpy and scipy only.

References
----------
.. [1] E. B. Wilson, "Probable inference, the law of succession, and
   statistical inference", J. Am. Stat. Assoc. 22(158):209-212, 1927,
   doi:10.1080/01621459.1927.10502953.
.. [2] R. G. Newcombe, "Two-sided confidence intervals for the single
   proportion: comparison of seven methods", Stat. Med. 17(8):857-872, 1998,
   doi:10.1002/(SICI)1097-0258(19980430)17:8<857::AID-SIM777>3.0.CO;2-E.
.. [3] R. G. Newcombe, "Improved confidence intervals for the difference
   between binomial proportions based on paired data", Stat. Med.
   17(22):2635-2650, 1998,
   doi:10.1002/(SICI)1097-0258(19981130)17:22<2635::AID-SIM954>3.0.CO;2-C.
.. [4] Q. McNemar, "Note on the sampling error of the difference between
   correlated proportions or percentages", Psychometrika 12(2):153-157,
   1947, doi:10.1007/BF02295996.
.. [5] K. H. Brodersen, C. S. Ong, K. E. Stephan, J. M. Buhmann, "The
   balanced accuracy and its posterior distribution", ICPR 2010, pp.
   3121-3124, doi:10.1109/ICPR.2010.764.
.. [6] B. Efron, R. J. Tibshirani, "An Introduction to the Bootstrap",
   Chapman & Hall, 1993, ch. 13 (percentile intervals), doi:10.1201/9780429246593.
"""
from __future__ import annotations

import math
import numbers

import numpy as np
from scipy.special import ndtri

from .._validation import as_generator, check_array, check_float, check_int

__all__ = [
    "accuracy_interval",
    "balanced_accuracy",
    "bootstrap_interval",
    "chance_level",
    "format_interval",
    "paired_difference_interval",
    "summarize_seeds",
    "wilson_interval",
]

# dtype kinds accepted for class labels: bool, ints, floats, strings
_LABEL_KINDS = "biufUS"


def _check_confidence(confidence):
    """A confidence level strictly between 0 and 1, as a float."""
    c = check_float(confidence, "confidence", low=0.0, high=1.0, low_open=True)
    if c == 1.0:
        raise ValueError(f"confidence must be < 1, got {c}")
    return c


def _z(confidence):
    """Two-sided standard normal quantile: ``Phi^-1(1 - (1 - confidence) / 2)``."""
    return float(ndtri(0.5 + confidence / 2.0))


def _check_labels(y_true, y_pred):
    """Two 1-D label arrays of equal, non-zero length."""
    t = check_array(y_true, "y_true", ndim=1, kinds=_LABEL_KINDS)
    p = check_array(y_pred, "y_pred", ndim=1, kinds=_LABEL_KINDS)
    if t.shape[0] != p.shape[0]:
        raise ValueError(f"y_pred has {p.shape[0]} entries but y_true has {t.shape[0]}")
    return t, p


def _check_correct(correct, name):
    """A 1-D, non-empty array of right/wrong flags (bool, or ints 0 and 1) as bool."""
    if correct is not None and np.size(correct) == 0:  # [] is float64: say empty, not dtype
        raise ValueError(f"{name} must not be empty")
    c = check_array(correct, name, ndim=1, kinds="biu")
    if c.dtype.kind != "b":
        if np.any((c != 0) & (c != 1)):
            raise ValueError(f"{name} must hold booleans (or 0 and 1), "
                             f"got values {np.unique(c)[:5].tolist()}")
        c = c.astype(bool)
    return c


def wilson_interval(successes, n, confidence=0.95):
    """Wilson score interval for a binomial proportion (e.g. an accuracy).

    The interval is the set of proportions ``p`` not rejected by the score
    test of ``successes`` out of ``n``; unlike the Wald interval
    ``p_hat +- z sqrt(p_hat (1 - p_hat) / n)`` it stays inside [0, 1] and
    does not collapse to a point at 0 or ``n`` successes (0 errors out of
    200 test images still gives an upper error bound of about 1.9 %).

    Parameters
    ----------
    successes : int
        Number of successes ``k`` (e.g. correctly classified test images),
        ``0 <= k <= n``.
    n : int
        Number of trials (test-set size), ``n >= 1``.
    confidence : float
        Confidence level in (0, 1), e.g. 0.95.

    Returns
    -------
    low, high : float
        Interval bounds, ``0 <= low <= k / n <= high <= 1``.

    Raises
    ------
    TypeError
        ``successes`` or ``n`` is not an integer, ``confidence`` not a number.
    ValueError
        ``n < 1``, ``successes`` outside ``[0, n]``, ``confidence`` outside
        (0, 1).

    Notes
    -----
    With ``p = k / n`` and ``z`` the two-sided normal quantile [1]_ [2]_:

    .. math::

        \\frac{p + z^2 / (2n) \\pm z \\sqrt{p (1 - p) / n + z^2 / (4 n^2)}}
              {1 + z^2 / n}

    References
    ----------
    .. [1] E. B. Wilson, J. Am. Stat. Assoc. 22(158):209-212, 1927,
       doi:10.1080/01621459.1927.10502953.
    .. [2] R. G. Newcombe, Stat. Med. 17(8):857-872, 1998 (method 3).

    Examples
    --------
    >>> low, high = wilson_interval(81, 263)
    >>> round(low, 4), round(high, 4)
    (0.2553, 0.3662)
    """
    n = check_int(n, "n", low=1)
    k = check_int(successes, "successes", low=0, high=n)
    z = _z(_check_confidence(confidence))
    p = k / n
    z2n = z * z / n
    center = (p + z2n / 2.0) / (1.0 + z2n)
    half = z / (1.0 + z2n) * math.sqrt(p * (1.0 - p) / n + z2n / (4.0 * n))
    # at k = 0 or k = n the bound is exactly p; rounding must not cross it
    low = 0.0 if k == 0 else max(0.0, min(p, center - half))
    high = 1.0 if k == n else min(1.0, max(p, center + half))
    return low, high


def accuracy_interval(y_true, y_pred, confidence=0.95):
    """Accuracy of a classifier on a test set, its size and Wilson interval.

    Parameters
    ----------
    y_true, y_pred : (n,) array_like
        True and predicted class labels (ints, bools, floats or strings).
    confidence : float
        Confidence level in (0, 1).

    Returns
    -------
    result : dict
        ``accuracy`` (float), ``n`` (test-set size), ``correct`` (number of
        correct predictions), ``low`` and ``high`` (Wilson interval, see
        :func:`wilson_interval`).

    Raises
    ------
    ValueError
        Empty or not 1-D, mismatched lengths, NaN in float labels,
        ``confidence`` outside (0, 1).
    TypeError
        Labels of an unsupported dtype (e.g. objects).

    Examples
    --------
    >>> r = accuracy_interval([0, 1, 1, 0], [0, 1, 0, 0])
    >>> r["accuracy"], r["n"]
    (0.75, 4)
    """
    t, p = _check_labels(y_true, y_pred)
    confidence = _check_confidence(confidence)
    n = int(t.shape[0])
    k = int(np.count_nonzero(t == p))
    low, high = wilson_interval(k, n, confidence)
    return {"accuracy": k / n, "n": n, "correct": k, "low": low, "high": high}


def balanced_accuracy(y_true, y_pred):
    """Balanced accuracy: the mean over classes of the recall of each class.

    Only the classes that occur in ``y_true`` count (a class predicted but
    never true has no recall), as in
    ``sklearn.metrics.balanced_accuracy_score``. With balanced test classes it
    equals the accuracy; a classifier that always answers the majority class
    scores ``1 / n_classes`` however imbalanced the test set is [1]_.

    Parameters
    ----------
    y_true, y_pred : (n,) array_like
        True and predicted class labels.

    Returns
    -------
    score : float
        In [0, 1].

    Raises
    ------
    ValueError
        Empty or not 1-D, mismatched lengths, NaN in float labels.
    TypeError
        Labels of an unsupported dtype.

    References
    ----------
    .. [1] K. H. Brodersen et al., ICPR 2010, doi:10.1109/ICPR.2010.764.

    Examples
    --------
    >>> balanced_accuracy([0, 0, 0, 1], [0, 0, 0, 0])
    0.5
    """
    t, p = _check_labels(y_true, y_pred)
    classes, idx = np.unique(t, return_inverse=True)
    hits = np.bincount(idx, weights=(t == p), minlength=classes.size)
    support = np.bincount(idx, minlength=classes.size)
    return float(np.mean(hits / support))


def chance_level(y_true):
    """What a classifier that ignores its input scores on these test labels.

    Parameters
    ----------
    y_true : (n,) array_like
        True class labels of the test set.

    Returns
    -------
    result : dict
        ``accuracy``: the accuracy of always predicting the majority class,
        i.e. the fraction of the most frequent label (the bar an accuracy must
        clear); ``balanced_accuracy``: ``1 / n_classes``, the balanced
        accuracy of any constant prediction (and the expected balanced
        accuracy of random guessing); ``majority_class``: that label (the
        smallest one on a tie); ``n_classes``: the number of distinct labels
        in ``y_true``; ``n``: the test-set size.

    Raises
    ------
    ValueError
        Empty or not 1-D, NaN in float labels.
    TypeError
        Labels of an unsupported dtype.

    Examples
    --------
    >>> r = chance_level([1, 1, 1, 0])
    >>> r["accuracy"], r["balanced_accuracy"], r["majority_class"]
    (0.75, 0.5, 1)
    """
    t = check_array(y_true, "y_true", ndim=1, kinds=_LABEL_KINDS)
    classes, counts = np.unique(t, return_counts=True)
    top = int(np.argmax(counts))
    return {
        "accuracy": float(counts[top] / t.shape[0]),
        "balanced_accuracy": 1.0 / classes.size,
        "majority_class": classes[top].item(),
        "n_classes": int(classes.size),
        "n": int(t.shape[0]),
    }


def paired_difference_interval(correct_a, correct_b, confidence=0.95):
    """Difference in accuracy of two classifiers on the same test images.

    Both classifiers see the same images, so their errors are correlated;
    treating the two accuracies as independent gives an interval too wide
    when they agree on most images. This uses the paired 2x2 table

    =============  ==============  ===============
    \\              b correct       b wrong
    =============  ==============  ===============
    a correct      ``n_both``      ``n_a_only``
    a wrong        ``n_b_only``    ``n_neither``
    =============  ==============  ===============

    and Newcombe's method 10 [1]_: the Wilson intervals ``(l_a, u_a)`` and
    ``(l_b, u_b)`` of the two accuracies ``p_a`` and ``p_b`` combined with
    their estimated correlation ``phi``,

    .. math::

        L = d - \\sqrt{(p_a - l_a)^2 - 2 \\phi (p_a - l_a)(u_b - p_b) + (u_b - p_b)^2}

        U = d + \\sqrt{(p_b - l_b)^2 - 2 \\phi (p_b - l_b)(u_a - p_a) + (u_a - p_a)^2}

    with ``d = p_a - p_b = (n_a_only - n_b_only) / n``. As in [1]_ (and
    [2]_, "Newcombe square-and-add"), ``phi`` is the phi coefficient of the
    table with ``A = n_both n_neither - n_a_only n_b_only`` continuity
    corrected: ``A - n / 2`` if ``A > n / 2``, 0 if ``0 <= A <= n / 2``,
    ``A`` if ``A < 0``; ``phi = 0`` when a margin is empty.

    The p-value is the exact (conditional) McNemar test [3]_: under "no
    difference" each discordant image is equally likely to favour either
    classifier, so ``n_a_only`` is binomial(``n_a_only + n_b_only``, 1/2);
    two-sided p-value from ``scipy.stats.binomtest``, 1 when there are no
    discordant images.

    Parameters
    ----------
    correct_a, correct_b : (n,) array_like of bool
        Whether classifier a (resp. b) classified each test image correctly
        (bool, or ints 0 and 1), aligned image by image.
    confidence : float
        Confidence level in (0, 1).

    Returns
    -------
    result : dict
        ``diff`` (accuracy of a minus accuracy of b), ``low``, ``high``
        (interval for the difference, in [-1, 1]), ``p_value`` (exact
        McNemar), ``n`` (number of test images), ``n_a_only``,
        ``n_b_only`` (discordant counts), ``n_both``, ``n_neither``.

    Raises
    ------
    ValueError
        Empty or not 1-D, mismatched lengths, values other than 0/1,
        ``confidence`` outside (0, 1).
    TypeError
        Float or other non-boolean dtypes.

    References
    ----------
    .. [1] R. G. Newcombe, "Improved confidence intervals for the difference
       between binomial proportions based on paired data", Stat. Med.
       17(22):2635-2650, 1998 (method 10).
    .. [2] M. W. Fagerland, S. Lydersen, P. Laake, "Statistical Analysis of
       Contingency Tables", CRC Press, 2017, ch. 8, doi:10.1201/9781315374116.
    .. [3] Q. McNemar, Psychometrika 12(2):153-157, 1947,
       doi:10.1007/BF02295996.

    Examples
    --------
    >>> a = [True] * 90 + [False] * 10
    >>> b = [True] * 80 + [False] * 20
    >>> r = paired_difference_interval(a, b)
    >>> round(r["diff"], 2), r["n_a_only"], r["n_b_only"]
    (0.1, 10, 0)
    """
    a = _check_correct(correct_a, "correct_a")
    b = _check_correct(correct_b, "correct_b")
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"correct_b has {b.shape[0]} entries but correct_a has {a.shape[0]}")
    confidence = _check_confidence(confidence)
    n = int(a.shape[0])
    n_both = int(np.count_nonzero(a & b))
    n_a_only = int(np.count_nonzero(a & ~b))
    n_b_only = int(np.count_nonzero(~a & b))
    n_neither = n - n_both - n_a_only - n_b_only
    k_a, k_b = n_both + n_a_only, n_both + n_b_only
    p_a, p_b = k_a / n, k_b / n
    l_a, u_a = wilson_interval(k_a, n, confidence)
    l_b, u_b = wilson_interval(k_b, n, confidence)
    phi = _phi_corrected(n_both, n_a_only, n_b_only, n_neither)
    d = p_a - p_b
    da, ua = p_a - l_a, u_a - p_a
    db, ub = p_b - l_b, u_b - p_b
    low = d - math.sqrt(max(0.0, da * da - 2.0 * phi * da * ub + ub * ub))
    high = d + math.sqrt(max(0.0, db * db - 2.0 * phi * db * ua + ua * ua))
    return {
        "diff": d,
        "low": max(-1.0, low),
        "high": min(1.0, high),
        "p_value": _mcnemar_exact(n_a_only, n_b_only),
        "n": n,
        "n_a_only": n_a_only,
        "n_b_only": n_b_only,
        "n_both": n_both,
        "n_neither": n_neither,
    }


def _phi_corrected(n11, n12, n21, n22):
    """Continuity-corrected phi coefficient of a paired 2x2 table (Newcombe
    1998, method 10); 0 when a margin is empty."""
    n = n11 + n12 + n21 + n22
    margins = (n11 + n12) * (n21 + n22) * (n11 + n21) * (n12 + n22)
    if margins == 0:
        return 0.0
    A = n11 * n22 - n12 * n21
    if A > n / 2:
        A -= n / 2
    elif A >= 0:
        A = 0
    return A / math.sqrt(margins)


def _mcnemar_exact(b, c):
    """Two-sided exact McNemar p-value from the discordant counts."""
    if b + c == 0:
        return 1.0
    from scipy.stats import binomtest  # scipy.stats is slow to import; only here
    return float(binomtest(b, b + c, 0.5).pvalue)


def bootstrap_interval(statistic, n_items, *, n_boot=1000, seed=0, confidence=0.95):
    """Percentile bootstrap interval of a statistic computed over test items.

    The test items (images, scenes) are resampled with replacement
    ``n_boot`` times; each time ``statistic`` is called with the resampled
    item indices and recomputes its value from them (e.g. the detector AP
    from the detections and ground truths of the resampled scenes, a scene
    drawn twice counting twice). The interval is the ``(1 - confidence) / 2``
    and ``(1 + confidence) / 2`` quantiles of the replicates [1]_.

    Parameters
    ----------
    statistic : callable
        ``statistic(indices) -> float``, where ``indices`` is an
        ``(n_items,)`` array of ints in ``[0, n_items)``, possibly repeated.
        Called once with ``np.arange(n_items)`` for the estimate.
    n_items : int
        Number of test items, ``>= 2``.
    n_boot : int
        Number of bootstrap replicates, ``>= 10``; 1000 is enough for a 95 %
        interval to about +-0.01 of its bounds' quantile level.
    seed : int, numpy.random.Generator or None
        Seed of the resampling; an int (default 0) makes the interval
        reproducible.
    confidence : float
        Confidence level in (0, 1).

    Returns
    -------
    estimate, low, high : float
        The statistic on all items and the percentile interval. The estimate
        is not necessarily the centre of the interval.

    Raises
    ------
    TypeError
        ``statistic`` not callable, or returns something that is not a real
        number; ``n_items`` or ``n_boot`` not an int.
    ValueError
        ``n_items < 2``, ``n_boot < 10``, ``confidence`` outside (0, 1), or
        ``statistic`` returns NaN or infinity.

    Notes
    -----
    The percentile bootstrap assumes the items are independent and the
    statistic's sampling distribution is roughly symmetric. With few items
    (tens of scenes) it under-covers: a nominal 95 % interval holds the
    true value noticeably less often, as each replicate can only see the
    items at hand. Read a bootstrap interval over a small test set as a
    lower bound on the uncertainty.

    References
    ----------
    .. [1] B. Efron, R. J. Tibshirani, "An Introduction to the Bootstrap",
       Chapman & Hall, 1993, ch. 13.

    Examples
    --------
    >>> x = np.array([0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0])
    >>> est, low, high = bootstrap_interval(lambda i: x[i].mean(), x.size)
    >>> est, bool(low <= est <= high)
    (0.75, True)
    """
    if not callable(statistic):
        raise TypeError(f"statistic must be callable, got {statistic!r}")
    n_items = check_int(n_items, "n_items", low=2)
    n_boot = check_int(n_boot, "n_boot", low=10)
    confidence = _check_confidence(confidence)
    rng = as_generator(seed)
    estimate = _call_statistic(statistic, np.arange(n_items), "on all items")
    reps = np.empty(n_boot)
    for r in range(n_boot):
        idx = rng.integers(0, n_items, size=n_items)
        reps[r] = _call_statistic(statistic, idx, f"on bootstrap replicate {r}")
    alpha = 1.0 - confidence
    low, high = np.quantile(reps, [alpha / 2.0, 1.0 - alpha / 2.0])
    return estimate, float(low), float(high)


def _call_statistic(statistic, idx, where):
    value = statistic(idx)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"statistic must return a real number, got {value!r} {where}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"statistic returned {value} {where}")
    return value


def summarize_seeds(values):
    """Mean and spread of one result over several training seeds.

    Parameters
    ----------
    values : (n_seeds,) array_like of float
        The result (e.g. test accuracy) of each seed.

    Returns
    -------
    result : dict
        ``mean``, ``std`` (sample standard deviation, ``ddof=1``; 0.0 for a
        single seed), ``n_seeds``, ``min``, ``max``.

    Raises
    ------
    ValueError
        Empty or not 1-D, NaN or infinity, or a spread beyond the float range
        (values near the float limit are summed without overflow).
    TypeError
        Non-numeric values.

    Examples
    --------
    >>> r = summarize_seeds([0.90, 0.92, 0.94])
    >>> round(r["mean"], 3), round(r["std"], 3), r["n_seeds"]
    (0.92, 0.02, 3)
    """
    v = check_array(values, "values", ndim=1, dtype=np.float64)
    with np.errstate(over="ignore"):
        mean = float(v.mean())
        std = float(v.std(ddof=1)) if v.size > 1 else 0.0
    if not (np.isfinite(mean) and np.isfinite(std)):  # the sums overflow near the float limit
        scale = float(np.abs(v).max())
        mean = scale * float((v / scale).mean())
        with np.errstate(over="ignore"):
            std = scale * float((v / scale).std(ddof=1)) if v.size > 1 else 0.0
        if not np.isfinite(std):
            raise ValueError("values: their standard deviation exceeds the float range")
    return {
        "mean": mean,
        "std": std,
        "n_seeds": int(v.size),
        "min": float(v.min()),
        "max": float(v.max()),
    }


def format_interval(value, low, high, digits=3):
    """A value and its interval as text for a table, ``"0.980 [0.930, 0.995]"``.

    Parameters
    ----------
    value, low, high : float
        Point estimate and interval bounds, finite, ``low <= high``.
    digits : int
        Digits after the decimal point, 0 to 12.

    Returns
    -------
    text : str

    Raises
    ------
    TypeError
        A non-numeric argument.
    ValueError
        Non-finite values, ``low > high``, ``digits`` out of range.

    Examples
    --------
    >>> format_interval(0.98, 0.93, 0.995)
    '0.980 [0.930, 0.995]'
    """
    value = check_float(value, "value")
    low = check_float(low, "low")
    high = check_float(high, "high")
    digits = check_int(digits, "digits", low=0, high=12)
    if low > high:
        raise ValueError(f"low must be <= high, got low={low}, high={high}")
    return f"{value:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"
