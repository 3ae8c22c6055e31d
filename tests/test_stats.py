"""Intervals, chance levels and paired comparisons of analogfe.learn.stats,
against scipy, scikit-learn, published values and hand computation."""
import math

import numpy as np
import pytest
from scipy.stats import binomtest, norm
from sklearn.metrics import balanced_accuracy_score

from analogfe.learn.stats import (
    accuracy_interval,
    balanced_accuracy,
    bootstrap_interval,
    chance_level,
    format_interval,
    paired_difference_interval,
    summarize_seeds,
    wilson_interval,
)


def _paired(n_both, n_a_only, n_b_only, n_neither):
    """Right/wrong flags of two classifiers with the given paired 2x2 table."""
    a = [True] * (n_both + n_a_only) + [False] * (n_b_only + n_neither)
    b = [True] * n_both + [False] * n_a_only + [True] * n_b_only + [False] * n_neither
    return np.array(a), np.array(b)


# ----------------------------------------------------------------- Wilson

@pytest.mark.parametrize("k, n", [(0, 1), (1, 1), (0, 20), (3, 7), (50, 100), (199, 200),
                                  (200, 200), (9731, 10000)])
@pytest.mark.parametrize("confidence", [0.8, 0.95, 0.99])
def test_wilson_matches_scipy(k, n, confidence):
    ref = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    low, high = wilson_interval(k, n, confidence)
    np.testing.assert_allclose([low, high], [ref.low, ref.high], rtol=1e-12, atol=1e-15)
    assert 0.0 <= low <= k / n <= high <= 1.0


# Newcombe (1998), "Two-sided confidence intervals for the single proportion",
# Stat. Med. 17:857-872, Table II, method 3 (score interval, no correction)
@pytest.mark.parametrize("k, n, low, high", [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605),
                                             (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718),
                                             (29, 29, 0.8830, 1.0)])
def test_wilson_published_values(k, n, low, high):
    assert np.round(wilson_interval(k, n), 4).tolist() == [low, high]


def test_wilson_hand_computed():
    # 0 of n: the upper bound solves n p = z^2 (1 - p), so p = z^2 / (n + z^2)
    z = norm.ppf(0.975)
    assert wilson_interval(0, 20) == (0.0, pytest.approx(z * z / (20 + z * z), rel=1e-12))
    # 8 of 10 at z = 1.959964: centre (8 + z^2/2) / (10 + z^2) = 0.716742, half
    # width z sqrt(10 * 0.8 * 0.2 + z^2 / 4) / (10 + z^2) = 0.226579
    assert wilson_interval(8, 10) == pytest.approx((0.4901625, 0.9433178), abs=1e-6)


def test_wilson_is_not_wald():
    # Wald gives the point 1.0 at 20/20; Wilson does not
    low, high = wilson_interval(20, 20)
    assert high == 1.0 and low == pytest.approx(0.8389, abs=1e-4)


@pytest.mark.parametrize("args, exc, match", [
    ((1, 0), ValueError, "n must be >= 1"),
    ((5, 4), ValueError, r"successes must be in \[0, 4\]"),
    ((-1, 4), ValueError, "successes must be"),
    ((1.0, 4), TypeError, "successes must be an integer"),
    ((1, 4.0), TypeError, "n must be an integer"),
    ((True, 4), TypeError, "successes must be an integer"),
    ((1, 4, 0.0), ValueError, "confidence must be > 0"),
    ((1, 4, 1.0), ValueError, "confidence must be < 1"),
    ((1, 4, 95), ValueError, "confidence must be <= 1"),
    ((1, 4, float("nan")), ValueError, "confidence must be finite"),
])
def test_wilson_rejects(args, exc, match):
    with pytest.raises(exc, match=match):
        wilson_interval(*args)


# ------------------------------------------------- accuracy and chance level

def test_accuracy_interval_counts_and_wilson():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 4, 250)
    pred = np.where(rng.random(250) < 0.7, y, rng.integers(0, 4, 250))
    r = accuracy_interval(y, pred, confidence=0.9)
    k = int(sum(int(a) == int(b) for a, b in zip(y, pred)))
    ref = binomtest(k, 250).proportion_ci(confidence_level=0.9, method="wilson")
    assert (r["n"], r["correct"]) == (250, k)
    assert r["accuracy"] == k / 250
    assert (r["low"], r["high"]) == pytest.approx((ref.low, ref.high), rel=1e-12)


def test_accuracy_interval_string_labels():
    r = accuracy_interval(["face", "bg", "face"], ["face", "face", "face"])
    assert (r["correct"], r["n"]) == (2, 3)


@pytest.mark.parametrize("seed", range(4))
def test_balanced_accuracy_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    y = rng.choice(5, size=300, p=[0.6, 0.2, 0.1, 0.07, 0.03])
    pred = np.where(rng.random(300) < 0.6, y, rng.integers(0, 5, 300))
    assert balanced_accuracy(y, pred) == pytest.approx(balanced_accuracy_score(y, pred), rel=1e-12)


def test_balanced_accuracy_ignores_classes_never_true():
    y, pred = [0, 0, 1, 1], [0, 2, 1, 1]   # class 2 is predicted but never true
    with pytest.warns(UserWarning):        # sklearn warns and drops class 2
        ref = balanced_accuracy_score(y, pred)
    assert balanced_accuracy(y, pred) == ref == 0.75


def test_balanced_accuracy_of_majority_guess_is_one_over_classes():
    y = [0] * 90 + [1] * 7 + [2] * 3
    assert balanced_accuracy(y, [0] * 100) == pytest.approx(1 / 3)
    assert accuracy_interval(y, [0] * 100)["accuracy"] == 0.9


def test_chance_level():
    r = chance_level([2, 0, 2, 1, 2, 0, 2, 2])
    assert r == {"accuracy": 5 / 8, "balanced_accuracy": 1 / 3, "majority_class": 2,
                 "n_classes": 3, "n": 8}
    tie = chance_level(["b", "a", "b", "a"])
    assert (tie["accuracy"], tie["majority_class"], tie["n_classes"]) == (0.5, "a", 2)


def test_chance_level_is_the_majority_classifier_score():
    rng = np.random.default_rng(0)
    y = rng.choice(3, size=500, p=[0.2, 0.5, 0.3])
    r = chance_level(y)
    constant = np.full(500, r["majority_class"])
    assert r["accuracy"] == accuracy_interval(y, constant)["accuracy"]
    assert r["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y, constant))


@pytest.mark.parametrize("func", [accuracy_interval, balanced_accuracy])
@pytest.mark.parametrize("y_true, y_pred, exc, match", [
    ([], [], ValueError, "y_true must not be empty"),
    ([0, 1, 1], [0, 1], ValueError, "y_pred has 2 entries but y_true has 3"),
    ([0.0, np.nan], [0.0, 1.0], ValueError, "y_true contains NaN"),
    ([0, 1], [0, np.inf], ValueError, "y_pred contains NaN or infinity"),
    ([[0, 1]], [[0, 1]], ValueError, "y_true must have 1 dimensions"),
    (np.array([0, None], dtype=object), [0, 1], TypeError, "y_true must have a numeric dtype"),
])
def test_label_functions_reject(func, y_true, y_pred, exc, match):
    with pytest.raises(exc, match=match):
        func(y_true, y_pred)


def test_chance_level_and_accuracy_reject():
    with pytest.raises(ValueError, match="y_true must not be empty"):
        chance_level([])
    with pytest.raises(ValueError, match="y_true contains NaN"):
        chance_level([1.0, np.nan])
    with pytest.raises(ValueError, match="confidence must be < 1"):
        accuracy_interval([0, 1], [0, 1], confidence=1.0)


# ------------------------------------------------------- paired comparison

def _newcombe10_reference(t11, t12, t21, t22, confidence=0.95):
    """Newcombe (1998) method 10, transcribed separately: Wilson limits from
    scipy, phi from the table with ad - bc reduced by n/2 towards zero when
    positive (left alone when negative)."""
    n = t11 + t12 + t21 + t22
    e, f, g, h = t11 + t12, t21 + t22, t11 + t21, t12 + t22
    ci1 = binomtest(e, n).proportion_ci(confidence_level=confidence, method="wilson")
    ci2 = binomtest(g, n).proportion_ci(confidence_level=confidence, method="wilson")
    p1, p2 = e / n, g / n
    ad_bc = t11 * t22 - t12 * t21
    if e * f * g * h == 0:
        phi = 0.0
    elif ad_bc < 0:
        phi = ad_bc / math.sqrt(e * f * g * h)
    else:
        phi = max(ad_bc - n / 2, 0) / math.sqrt(e * f * g * h)
    theta = p1 - p2
    delta = math.sqrt((p1 - ci1.low) ** 2 - 2 * phi * (p1 - ci1.low) * (ci2.high - p2)
                      + (ci2.high - p2) ** 2)
    eps = math.sqrt((ci1.high - p1) ** 2 - 2 * phi * (ci1.high - p1) * (p2 - ci2.low)
                    + (p2 - ci2.low) ** 2)
    return theta, max(-1.0, theta - delta), min(1.0, theta + eps)


def test_paired_interval_published_example():
    # Cavo et al. (2012), complete response before/after consolidation therapy
    # (59, 6 / 16, 80): Fagerland, Lydersen & Laake, "Statistical Analysis of
    # Contingency Tables" (2017), ch. 8, Newcombe square-and-add interval
    # -0.0621 (-0.1186 to -0.0046). Without the continuity correction of phi
    # the interval would be (-0.1174, -0.0059).
    r = paired_difference_interval(*_paired(59, 6, 16, 80))
    assert np.round([r["diff"], r["low"], r["high"]], 4).tolist() == [-0.0621, -0.1186, -0.0046]
    assert (r["n"], r["n_both"], r["n_a_only"], r["n_b_only"], r["n_neither"]) == (161, 59, 6, 16, 80)


@pytest.mark.parametrize("table", [(36, 12, 2, 0), (1, 1, 7, 12), (10, 0, 0, 10), (0, 5, 0, 0),
                                   (20, 0, 0, 0), (3, 9, 1, 40), (0, 0, 0, 1), (40, 3, 7, 2)])
@pytest.mark.parametrize("confidence", [0.9, 0.95])
def test_paired_interval_matches_transcription(table, confidence):
    r = paired_difference_interval(*_paired(*table), confidence=confidence)
    theta, low, high = _newcombe10_reference(*table, confidence)
    assert (r["diff"], r["low"], r["high"]) == pytest.approx((theta, low, high), abs=1e-12)
    assert -1.0 <= r["low"] <= r["diff"] <= r["high"] <= 1.0


def test_paired_interval_orientation():
    # a is better: positive difference; swapping a and b mirrors everything
    a, b = _paired(30, 12, 3, 5)
    ab, ba = paired_difference_interval(a, b), paired_difference_interval(b, a)
    assert ab["diff"] == pytest.approx(9 / 50) and ab["low"] > 0
    assert (ba["diff"], ba["low"], ba["high"]) == pytest.approx((-ab["diff"], -ab["high"], -ab["low"]))
    assert ba["p_value"] == ab["p_value"] and (ba["n_a_only"], ba["n_b_only"]) == (3, 12)


def test_paired_interval_accepts_ints_and_ignores_order():
    a, b = _paired(30, 12, 3, 5)
    perm = np.random.default_rng(0).permutation(50)
    r1 = paired_difference_interval(a, b)
    r2 = paired_difference_interval(a[perm].astype(np.uint8), b[perm].astype(int))
    assert r1 == r2


@pytest.mark.parametrize("b, c", [(12, 3), (3, 12), (0, 7), (5, 5), (1, 0), (40, 25)])
def test_mcnemar_exact_p_value_by_hand(b, c):
    # two-sided: twice the smaller binomial(b + c, 1/2) tail, at most 1
    m = b + c
    tail = sum(math.comb(m, i) for i in range(min(b, c) + 1)) / 2 ** m
    r = paired_difference_interval(*_paired(10, b, c, 10))
    assert r["p_value"] == pytest.approx(min(1.0, 2 * tail), rel=1e-10)


def test_mcnemar_no_discordant_pairs():
    r = paired_difference_interval(*_paired(8, 0, 0, 2))
    assert r["p_value"] == 1.0 and r["diff"] == 0.0 and r["low"] < 0 < r["high"]


@pytest.mark.parametrize("probs", [(0.70, 0.12, 0.06, 0.12), (0.80, 0.05, 0.05, 0.10)])
def test_paired_interval_coverage(probs):
    # the table (both, a only, b only, neither) drawn 2000 times with n = 100;
    # the two classifiers agree on 82 % / 90 % of images, so an interval that
    # ignored the pairing would cover ~99 %
    rng = np.random.default_rng(1)
    truth = probs[1] - probs[2]
    hits = 0
    for _ in range(2000):
        table = rng.multinomial(100, probs)
        r = paired_difference_interval(*_paired(*table))
        hits += r["low"] <= truth <= r["high"]
    assert 0.93 <= hits / 2000 <= 0.97


@pytest.mark.parametrize("a, b, exc, match", [
    ([], [], ValueError, "correct_a must not be empty"),
    ([True, False], [True], ValueError, "correct_b has 1 entries but correct_a has 2"),
    ([1, 2], [1, 0], ValueError, "correct_a must hold booleans"),
    ([1.0, 0.0], [True, False], TypeError, "correct_a must have a numeric dtype of kind"),
    ([True, False], [np.nan, 1.0], TypeError, "correct_b must have a numeric dtype of kind"),
])
def test_paired_interval_rejects(a, b, exc, match):
    with pytest.raises(exc, match=match):
        paired_difference_interval(a, b)


def test_paired_interval_rejects_confidence():
    with pytest.raises(ValueError, match="confidence must be > 0"):
        paired_difference_interval([True], [False], confidence=0)


# --------------------------------------------------------------- bootstrap

def _bernoulli(n, p=0.8, seed=0):
    return (np.random.default_rng(seed).random(n) < p).astype(float)


def test_bootstrap_is_reproducible_and_seeded():
    x = _bernoulli(200)
    def mean(i):
        return x[i].mean()
    first = bootstrap_interval(mean, x.size, seed=5)
    assert bootstrap_interval(mean, x.size, seed=5) == first
    assert bootstrap_interval(mean, x.size, seed=6) != first
    assert bootstrap_interval(mean, x.size, seed=np.random.default_rng(5)) == first


def test_bootstrap_estimate_inside_and_indices_valid():
    x = _bernoulli(150)
    seen = []

    def mean(i):
        seen.append(i)
        return x[i].mean()

    est, low, high = bootstrap_interval(mean, x.size, n_boot=200)
    assert est == x.mean() and low < est < high
    assert len(seen) == 201 and np.array_equal(seen[0], np.arange(150))
    assert all(i.shape == (150,) and i.min() >= 0 and i.max() < 150 for i in seen)
    assert any(np.unique(i).size < 150 for i in seen[1:])   # with replacement


def test_bootstrap_narrows_with_more_items():
    widths = []
    for n in (50, 500, 5000):
        x = _bernoulli(n)
        _, low, high = bootstrap_interval(lambda i, x=x: x[i].mean(), n)
        widths.append(high - low)
    assert widths[0] > 2 * widths[1] > 4 * widths[2]


def test_bootstrap_of_a_proportion_matches_wilson():
    x = _bernoulli(3000, p=0.85, seed=2)
    _, low, high = bootstrap_interval(lambda i: x[i].mean(), x.size, n_boot=2000)
    w_low, w_high = wilson_interval(int(x.sum()), x.size)
    assert abs(low - w_low) < 0.004 and abs(high - w_high) < 0.004
    # and a 90 % interval is narrower
    _, low90, high90 = bootstrap_interval(lambda i: x[i].mean(), x.size, confidence=0.9)
    assert low < low90 < high90 < high


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"statistic": "mean"}, TypeError, "statistic must be callable"),
    ({"n_items": 1}, ValueError, "n_items must be >= 2"),
    ({"n_items": 10.0}, TypeError, "n_items must be an integer"),
    ({"n_boot": 5}, ValueError, "n_boot must be >= 10"),
    ({"confidence": 1.5}, ValueError, "confidence must be <= 1"),
    ({"seed": -1}, ValueError, "seed must be a non-negative int"),
    ({"statistic": lambda i: float("nan")}, ValueError, "statistic returned nan on all items"),
    ({"statistic": lambda i: np.inf if i[0] != 0 or i[1] != 1 else 0.0}, ValueError,
     "statistic returned inf on bootstrap replicate 0"),
    ({"statistic": lambda i: "0.5"}, TypeError, "statistic must return a real number"),
    ({"statistic": lambda i: np.zeros(2)}, TypeError, "statistic must return a real number"),
])
def test_bootstrap_rejects(kwargs, exc, match):
    args = {"statistic": lambda i: float(np.mean(i)), "n_items": 10} | kwargs
    with pytest.raises(exc, match=match):
        bootstrap_interval(**args)


# ------------------------------------------------------- seeds and format

def test_summarize_seeds():
    v = [0.91, 0.95, 0.88, 0.93]
    r = summarize_seeds(v)
    m = sum(v) / 4
    s = math.sqrt(sum((x - m) ** 2 for x in v) / 3)
    assert r == pytest.approx({"mean": m, "std": s, "n_seeds": 4, "min": 0.88, "max": 0.95})
    assert summarize_seeds([0.9]) == {"mean": 0.9, "std": 0.0, "n_seeds": 1, "min": 0.9, "max": 0.9}


@pytest.mark.parametrize("values, exc, match", [
    ([], ValueError, "values must not be empty"),
    ([0.9, np.nan], ValueError, "values contains NaN"),
    ([[0.9, 0.8]], ValueError, "values must have 1 dimensions"),
    (["a", "b"], TypeError, "values must have a numeric dtype"),
])
def test_summarize_seeds_rejects(values, exc, match):
    with pytest.raises(exc, match=match):
        summarize_seeds(values)


def test_format_interval():
    assert format_interval(0.98, 0.93, 0.995) == "0.980 [0.930, 0.995]"
    assert format_interval(0.98123, 0.9, 1.0, digits=1) == "1.0 [0.9, 1.0]"
    assert format_interval(np.float32(0.5), 0, 1, digits=0) == "0 [0, 1]"
    r = accuracy_interval([1] * 19 + [0], [1] * 20)
    assert format_interval(r["accuracy"], r["low"], r["high"]) == "0.950 [0.764, 0.991]"


@pytest.mark.parametrize("args, exc, match", [
    ((0.5, 0.6, 0.4), ValueError, "low must be <= high"),
    ((np.nan, 0.4, 0.6), ValueError, "value must be finite"),
    ((0.5, 0.4, 0.6, -1), ValueError, r"digits must be in \[0, 12\]"),
    ((0.5, 0.4, 0.6, 2.0), TypeError, "digits must be an integer"),
    (("0.5", 0.4, 0.6), TypeError, "value must be a real number"),
])
def test_format_interval_rejects(args, exc, match):
    with pytest.raises(exc, match=match):
        format_interval(*args)


def test_exported_from_learn():
    from analogfe import learn
    from analogfe.learn import stats
    for name in stats.__all__:
        assert getattr(learn, name) is getattr(stats, name)
        assert name in dir(learn)
