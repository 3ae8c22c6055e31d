"""Episodic evaluation and its floors, the enroll / query brightness table, and
class-incremental enrollment without stored samples.

Everything but :func:`evaluate_maml` works on embeddings computed once per
drawing (:func:`analogfe.learn.fewshot.enroll.embed`): the embedding
never changes after meta-training, which is the point of the device.

A meta-trained embedding earns its place only above two floors, evaluated on
the same episodes (:func:`floor_features`): the raw front-end output the
network would see, flattened, with no network at all, and a Conv-4 of the
same architecture that was never trained (seed-fixed random weights).
:func:`compare_to_floor` says whether one accuracy beats another with
non-overlapping 95 % intervals.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..._validation import check_array, check_choice, check_int
from .episodes import EpisodeSampler, episode_interval
from .enroll import Conv4, RunningPrototypes, embed, prototype_logits, prototypes

__all__ = ["CLASSIFIERS", "FLOORS", "VERDICTS", "evaluate_episodes", "evaluate_maml",
           "floor_features", "compare_to_floor", "brightness_table", "incremental"]

#: How an episode's queries are classified from embeddings.
CLASSIFIERS = ("prototype", "nearest-neighbour")

#: The floors of a meta-trained embedding: result key -> (features of
#: :func:`floor_features`, classifier of :func:`evaluate_episodes`).
FLOORS = {"raw-prototype": ("raw", "prototype"),
          "raw-nearest-neighbour": ("raw", "nearest-neighbour"),
          "untrained": ("untrained", "prototype")}

#: What :func:`compare_to_floor` may answer.
VERDICTS = ("beats", "not distinguishable", "below")


def _check_embeddings(emb, labels, name="embeddings"):
    emb = check_array(emb, name, ndim=2, kinds="f").astype(np.float32)
    labels = check_array(labels, "labels", ndim=1, kinds="iu").astype(np.int64)
    if len(emb) != len(labels):
        raise ValueError(f"{name} has {len(emb)} rows but labels {len(labels)}")
    return emb, labels


def _classify(support, sup_labels, query, ways, classifier):
    s, q = torch.from_numpy(support), torch.from_numpy(query)
    if classifier == "prototype":
        return prototype_logits(q, prototypes(s, torch.from_numpy(sup_labels), ways)).argmax(1).numpy()
    return sup_labels[torch.cdist(q, s).argmin(1).numpy()]


def _summary(acc):
    mean, half = episode_interval(acc)
    return dict(mean=mean, half=half, low=mean - half, high=mean + half, n=len(acc))


def evaluate_episodes(embeddings, labels, pool, *, ways=5, shots=1, queries=15, episodes=600,
                      seed=0, classifier="prototype", query_embeddings=None):
    """Mean N-way K-shot accuracy over episodes of the classes ``pool``.

    Parameters
    ----------
    embeddings : (N, D) ndarray
        Embedding of every drawing (support side).
    labels : (N,) ndarray of int
    pool : array_like of int
        Classes the episodes draw from (the meta-test classes).
    ways, shots, queries, episodes : int
    seed : int
    classifier : {"prototype", "nearest-neighbour"}
        Nearest prototype (prototypical networks) or nearest support
        embedding (the floor).
    query_embeddings : (N, D) ndarray, optional
        Embeddings the queries are taken from (e.g. another brightness);
        ``embeddings`` if None.

    Returns
    -------
    dict
        ``mean``, ``half`` (95 % half-width), ``low``, ``high``, ``n``
        (episodes).
    """
    emb, labels = _check_embeddings(embeddings, labels)
    qemb = emb if query_embeddings is None else _check_embeddings(query_embeddings, labels,
                                                                  "query_embeddings")[0]
    classifier = check_choice(classifier, "classifier", CLASSIFIERS)
    episodes = check_int(episodes, "episodes", low=1)
    sampler = EpisodeSampler(labels, pool, ways, shots, queries, seed=seed)
    acc = []
    for i in range(episodes):
        ep = sampler.episode(i)
        pred = _classify(emb[ep.support], ep.support_labels, qemb[ep.query], ways, classifier)
        acc.append(float((pred == ep.query_labels).mean()))
    return _summary(acc)


@torch.no_grad()
def floor_features(model, encoder, packed, *, seed=0, batch_size=256):
    """The floors' features of a packed set: raw input and an untrained Conv-4.

    Parameters
    ----------
    model : Conv4
        The meta-trained embedding (only its architecture is used).
    encoder : callable
        Packed tensor -> model input, as the meta-trained model is fed.
    packed : (N, C0, H, W) torch.Tensor
    seed : int
        Seed of the untrained Conv-4's random initialisation (PyTorch's
        default one; the global random state is left as it was).
    batch_size : int

    Returns
    -------
    dict
        ``raw``: ``(N, C * H * W)`` float32, the network's input flattened
        (the codes or pixels as the network sees them, no network);
        ``untrained``: ``(N, D)`` float32, the embedding of a Conv-4 with
        ``model``'s channels and width that was never trained (evaluation
        mode: batch norm at its initial statistics, as :func:`embed` runs).
    """
    if not isinstance(model, Conv4):
        raise TypeError(f"model must be a Conv4, got {type(model).__name__}")
    seed = check_int(seed, "seed", low=0)
    batch_size = check_int(batch_size, "batch_size", low=1)
    raw = [encoder(packed[i:i + batch_size]).flatten(1).float()
           for i in range(0, len(packed), batch_size)]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        untrained = Conv4(model.in_channels, model.width)
    return dict(raw=torch.cat(raw).numpy().astype(np.float32) if raw else
                np.zeros((0, 0), np.float32),
                untrained=embed(untrained, encoder, packed, batch_size))


def compare_to_floor(trained, floor):
    """Whether an accuracy beats a floor, from their 95 % intervals.

    Parameters
    ----------
    trained, floor : dict
        :func:`evaluate_episodes` results (``low`` and ``high``).

    Returns
    -------
    str
        ``"beats"`` when ``trained``'s lower bound exceeds ``floor``'s upper
        bound, ``"below"`` when its upper bound is under the floor's lower
        bound, else ``"not distinguishable"`` (:data:`VERDICTS`).

    Examples
    --------
    >>> compare_to_floor(dict(low=0.6, high=0.7), dict(low=0.5, high=0.58))
    'beats'
    >>> compare_to_floor(dict(low=0.6, high=0.7), dict(low=0.65, high=0.75))
    'not distinguishable'
    """
    for name, r in (("trained", trained), ("floor", floor)):
        if not isinstance(r, dict) or "low" not in r or "high" not in r:
            raise TypeError(f"{name} must be an evaluate_episodes result (low, high), got {r!r}")
    if trained["low"] > floor["high"]:
        return "beats"
    if trained["high"] < floor["low"]:
        return "below"
    return "not distinguishable"


def evaluate_maml(trained, packed, labels, pool, *, ways=5, shots=1, queries=15, episodes=100,
                  seed=0, steps=10, lr=None, progress=False):
    """N-way K-shot accuracy of first-order MAML: adapt on each support set.

    Parameters
    ----------
    trained : MetaTrained
        Meta-trained with ``method="fomaml"``.
    packed : (N, C0, H, W) torch.Tensor
    labels, pool, ways, shots, queries, episodes, seed
        As :func:`evaluate_episodes`.
    steps : int
        SGD steps of the adaptation.
    lr : float, optional
        Its step size (default: the meta-training one).
    progress : bool

    Returns
    -------
    dict
        As :func:`evaluate_episodes`.
    """
    from tqdm.auto import tqdm

    from .meta import adapt_predict

    labels = np.asarray(labels)
    sampler = EpisodeSampler(labels, pool, ways, shots, queries, seed=seed)
    lr = trained.inner_lr if lr is None else lr
    acc = []
    for i in tqdm(range(check_int(episodes, "episodes", low=1)), desc="MAML episodes",
                  disable=not progress, leave=False):
        ep = sampler.episode(i)
        xs = trained.encoder(packed[ep.support])
        xq = trained.encoder(packed[ep.query])
        _, _, logits = adapt_predict(trained.model, xs, torch.from_numpy(ep.support_labels), xq,
                                     ways, steps, lr)
        acc.append(float((logits.argmax(1).numpy() == ep.query_labels).mean()))
    return _summary(acc)


def brightness_table(embeddings_by_k, labels, pool, *, ways=5, shots=5, queries=15, episodes=100,
                     seed=0, classifier="prototype"):
    """Accuracy with the support enrolled at one brightness and queried at another.

    Parameters
    ----------
    embeddings_by_k : dict of int -> (N, D) ndarray
        Embeddings of the drawings with the linear light scaled by ``2**k``.
    labels, pool, ways, shots, queries, episodes, seed, classifier
        As :func:`evaluate_episodes`; every cell uses the same episodes.

    Returns
    -------
    dict
        ``ks`` (sorted list), ``accuracy`` and ``half``: ``(len(ks),
        len(ks))`` lists, row = enroll k, column = query k; ``episodes``.
    """
    if not embeddings_by_k:
        raise ValueError("embeddings_by_k must not be empty")
    ks = sorted(embeddings_by_k)
    acc = np.zeros((len(ks), len(ks)))
    half = np.zeros_like(acc)
    for a, ke in enumerate(ks):
        for b, kq in enumerate(ks):
            r = evaluate_episodes(embeddings_by_k[ke], labels, pool, ways=ways, shots=shots,
                                  queries=queries, episodes=episodes, seed=seed,
                                  classifier=classifier, query_embeddings=embeddings_by_k[kq])
            acc[a, b], half[a, b] = r["mean"], r["half"]
    return dict(ks=ks, accuracy=acc.tolist(), half=half.tolist(), episodes=episodes)


def _finetune_head(W, b, x, y, steps, lr):
    """SGD on a linear head with the new class's shots only (it forgets)."""
    W, b = W.clone().requires_grad_(True), b.clone().requires_grad_(True)
    opt = torch.optim.SGD([W, b], lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        F.cross_entropy(x @ W.T + b, y).backward()
        opt.step()
    return W.detach(), b.detach()


def _joint_head(x, y, n_classes):
    """Upper bound: a softmax head refit on every stored shot of every class."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    if n_classes == 1:
        return lambda q: np.zeros(len(q), np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = LogisticRegression(C=1.0, max_iter=300).fit(x, y)
    return clf.predict


def incremental(embeddings, labels, pool, *, n_classes=100, shots=5, bits=(32, 8, 4), scale=1.0,
                runs=3, seed=0, head_steps=20, head_lr=0.1, heads=True, progress=False):
    """Class-incremental enrollment: classes arrive one at a time, ``shots`` each.

    After each arrival the accuracy over the held-out drawings of every class
    seen so far is measured for

    * ``prototype-<b>bit``: :class:`RunningPrototypes` on a ``b``-bit grid,
      updated shot by shot (exact sums sized for ``shots`` shots, quantised
      on read); no sample is stored and the embedding is never retrained;
    * ``finetune-head``: a linear head (one row per class) trained by SGD on
      the new class's shots only (no stored sample: it forgets);
    * ``joint (stores samples)``: the upper bound that keeps every shot and
      refits a softmax head on all of them after each arrival.

    Parameters
    ----------
    embeddings : (N, D) ndarray
    labels : (N,) ndarray of int
    pool : array_like of int
        Classes that may arrive (meta-test); at least ``n_classes``.
    n_classes, shots : int
    bits : sequence of int
        Prototype memory precisions.
    scale : float
        Full scale of the quantiser (:attr:`MetaTrained.scale`).
    runs : int
        Class orders averaged.
    seed : int
    head_steps, head_lr : int, float
        The fine-tuned head's SGD.
    heads : bool
        Also the fine-tuned and joint heads (False: the prototypes only, e.g.
        for a floor's features).
    progress : bool

    Returns
    -------
    dict
        ``classes`` (1 .. n_classes), ``curves`` (method -> mean accuracy
        per step), ``final`` (method -> accuracy after the last class),
        ``memory_bits`` (method -> bits after the last class: the
        prototypes' sums and counters,
        :func:`~analogfe.learn.fewshot.enroll.prototype_memory_bits`; the
        joint model's stored shots counted at 8 bits per dimension),
        ``runs``.
    """
    from tqdm.auto import tqdm

    emb, labels = _check_embeddings(embeddings, labels)
    pool = np.unique(np.asarray(pool, dtype=np.int64))
    n_classes = check_int(n_classes, "n_classes", low=1, high=len(pool))
    shots = check_int(shots, "shots", low=1)
    dim = emb.shape[1]
    names = [f"prototype-{b}bit" for b in bits] + (["finetune-head", "joint (stores samples)"]
                                                   if heads else [])
    curves = {m: np.zeros((runs, n_classes)) for m in names}
    for r in tqdm(range(check_int(runs, "runs", low=1)), desc="incremental", disable=not progress,
                  leave=False):
        rng = np.random.default_rng([seed, r, 5])
        order = rng.choice(pool, n_classes, replace=False)
        protos = {b: RunningPrototypes(dim, b, scale, max_shots=shots) for b in bits}
        W, bias = torch.zeros(0, dim), torch.zeros(0)
        sx, sy, qx, qy = [], [], [], []
        for t, c in enumerate(order):
            idx = rng.permutation(np.flatnonzero(labels == c))
            if len(idx) <= shots:
                raise ValueError(f"class {c} has {len(idx)} drawings; shots={shots} leaves no query")
            shot_x = emb[idx[:shots]]
            for b in bits:
                for x in shot_x:
                    protos[b].update(t, x)
            sx.append(shot_x)
            sy.append(np.full(shots, t))
            qx.append(emb[idx[shots:]])
            qy.append(np.full(len(idx) - shots, t))
            Q, Y = np.concatenate(qx), np.concatenate(qy)
            for b in bits:
                curves[f"prototype-{b}bit"][r, t] = float((protos[b].predict(Q) == Y).mean())
            if not heads:
                continue
            W = torch.cat([W, torch.zeros(1, dim)])
            bias = torch.cat([bias, torch.zeros(1)])
            W, bias = _finetune_head(W, bias, torch.from_numpy(shot_x), torch.full((shots,), t),
                                     head_steps, head_lr)
            head_pred = (torch.from_numpy(Q) @ W.T + bias).argmax(1).numpy()
            curves["finetune-head"][r, t] = float((head_pred == Y).mean())
            joint = _joint_head(np.concatenate(sx), np.concatenate(sy), t + 1)
            curves["joint (stores samples)"][r, t] = float((joint(Q) == Y).mean())
    mem = {f"prototype-{b}bit": protos[b].memory_bits for b in bits}
    if heads:
        mem["finetune-head"] = (n_classes * (dim + 1)) * 32
        mem["joint (stores samples)"] = n_classes * shots * dim * 8
    mean = {m: v.mean(axis=0).tolist() for m, v in curves.items()}
    return dict(classes=list(range(1, n_classes + 1)), curves=mean,
                final={m: v[-1] for m, v in mean.items()}, memory_bits=mem, runs=runs,
                shots=shots, dim=dim)
