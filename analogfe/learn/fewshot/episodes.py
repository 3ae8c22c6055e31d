"""N-way K-shot episodes drawn from one side of a class split, and their interval.

An episode takes ``ways`` classes of a pool, ``shots`` support and
``queries`` query drawings of each, without replacement inside the episode;
episode ``i`` of a sampler depends only on ``(seed, i)``, so a resumed
meta-training draws the same episodes as an uninterrupted one. A sampler only
ever sees the classes it is given: one built on the meta-test classes cannot
draw a meta-train class.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..._validation import check_array, check_float, check_int
from ..stats import _check_confidence, _z

__all__ = ["Episode", "EpisodeSampler", "episode_interval"]


@dataclass(frozen=True)
class Episode:
    """One N-way K-shot task.

    Attributes
    ----------
    classes : (ways,) ndarray of int64
        The dataset labels of the episode's classes; episode label ``c`` is
        ``classes[c]``.
    support, query : ndarray of int64
        Indices into the dataset, ``(ways * shots,)`` and
        ``(ways * queries,)``, class by class.
    support_labels, query_labels : ndarray of int64
        Episode labels ``0 .. ways - 1`` of the support and query items.
    """

    classes: np.ndarray
    support: np.ndarray
    query: np.ndarray
    support_labels: np.ndarray
    query_labels: np.ndarray


class EpisodeSampler:
    """Episodes over the classes ``pool`` of a labelled dataset.

    Parameters
    ----------
    labels : (N,) array_like of int
        Class label of every item of the dataset.
    pool : array_like of int
        The classes episodes may use (e.g. the meta-test classes).
    ways, shots, queries : int
        Classes per episode, support and query items per class.
    seed : int

    Raises
    ------
    ValueError
        ``ways`` larger than the pool, ``shots`` or ``queries`` below 1, or
        a class of the pool with fewer than ``shots + queries`` items.
    """

    def __init__(self, labels, pool, ways, shots, queries, seed=0):
        labels = check_array(labels, "labels", ndim=1, kinds="iu").astype(np.int64)
        if np.size(pool) == 0:
            raise ValueError("pool must hold at least one class")
        pool = np.unique(check_array(pool, "pool", ndim=1, kinds="iu").astype(np.int64))
        self.ways = check_int(ways, "ways", low=1)
        self.shots = check_int(shots, "shots", low=1)
        self.queries = check_int(queries, "queries", low=1)
        self.seed = check_int(seed, "seed", low=0)
        if self.ways > len(pool):
            raise ValueError(f"ways={self.ways} exceeds the {len(pool)} classes of the pool")
        self.pool = pool
        self.items = {int(c): np.flatnonzero(labels == c) for c in pool}
        need = self.shots + self.queries
        short = [c for c, idx in self.items.items() if len(idx) < need]
        if short:
            raise ValueError(f"shots + queries = {need} exceeds the items of class {short[0]} "
                             f"({len(self.items[short[0]])})")

    def episode(self, i):
        """Episode ``i`` (a function of the sampler's seed and ``i`` only)."""
        rng = np.random.default_rng([self.seed, int(i), 3])
        classes = rng.choice(self.pool, self.ways, replace=False)
        sup, qry = [], []
        for c in classes:
            idx = rng.permutation(self.items[int(c)])
            sup.append(idx[:self.shots])
            qry.append(idx[self.shots:self.shots + self.queries])
        ar = np.arange(self.ways, dtype=np.int64)
        return Episode(classes.astype(np.int64), np.concatenate(sup), np.concatenate(qry),
                       np.repeat(ar, self.shots), np.repeat(ar, self.queries))

    def __iter__(self):
        i = 0
        while True:
            yield self.episode(i)
            i += 1


def episode_interval(accuracies, confidence=0.95):
    """Mean episode accuracy and the half-width of its normal interval.

    ``half = z * s / sqrt(n)``, with ``s`` the sample standard deviation
    (``ddof=1``) of the ``n`` episode accuracies and ``z = 1.96`` at 95 %:
    how few-shot results are reported (Snell et al. 2017, over at least 600
    episodes).

    Parameters
    ----------
    accuracies : (n,) array_like of float
        One accuracy per episode, in [0, 1].
    confidence : float

    Returns
    -------
    mean, half : float
        The interval is ``[mean - half, mean + half]``; ``half`` is 0 for a
        single episode.

    Examples
    --------
    >>> m, h = episode_interval([0.8, 1.0, 0.9, 0.7])
    >>> round(m, 3), round(h, 4)
    (0.85, 0.1265)
    """
    a = check_array(accuracies, "accuracies", ndim=1, kinds="biuf").astype(np.float64)
    if a.size == 0:
        raise ValueError("accuracies must not be empty")
    z = _z(_check_confidence(confidence))
    check_float(float(a.min()), "accuracies", low=0.0, high=1.0)
    check_float(float(a.max()), "accuracies", low=0.0, high=1.0)
    half = 0.0 if a.size == 1 else z * float(a.std(ddof=1)) / math.sqrt(a.size)
    return float(a.mean()), half
