"""Meta-training of the Conv-4 embedding on one front end's output.

Two methods, chosen by ``method=`` from :data:`METHODS`:

* ``"protonet"`` -- prototypical networks (Snell et al. 2017): each episode
  embeds support and query drawings, takes each class's mean support
  embedding as its prototype and minimises the cross-entropy of the softmax
  over negative squared distances of the queries; Adam, learning rate halved
  every ``lr_decay_every`` episodes. Every ``val_every`` episodes the
  5-way 5-shot prototype accuracy on the meta-validation classes is measured
  and the best embedding is kept.
* ``"fomaml"`` -- first-order MAML (Finn et al. 2017, their first-order
  approximation; the optimisation-based family of Reptile, Nichol et al.
  2018): per episode a copy of the network and a linear head that starts at
  zero (so any number of ways can be adapted to) take ``inner_steps`` SGD
  steps on the support set; the query loss gradient at the adapted weights
  is applied to the shared weights with Adam. Batch norm uses the
  statistics of the batch at hand in training and at test (as MAML does).
  The last weights are kept.

No few-shot library is used: ``easyfsl`` requires torchvision, which does
not install beside the pinned CPU torch, and ``learn2learn`` does not build
on Python 3.11; the loops are short.

Training checkpoints every ``checkpoint_every`` episodes to
``checkpoint_dir/metatrain.pt`` (written atomically, read back with
``torch.load(weights_only=True)``); episode ``i`` depends only on
``(seed, i)``, so an interrupted run resumes where it stopped.
"""
from __future__ import annotations

import copy
import io
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..._io import atomic_write_bytes, warn_recompute
from ..._validation import check_choice, check_float, check_int
from ..encodings import InputEncoder
from .episodes import EpisodeSampler, episode_interval
from .enroll import Conv4, embed, prototype_logits, prototypes

__all__ = ["METHODS", "MetaTrained", "meta_train", "adapt_predict"]

#: Meta-training methods by name.
METHODS = ("protonet", "fomaml")


@dataclass
class MetaTrained:
    """A meta-trained embedding and how to feed it.

    Attributes
    ----------
    model : Conv4
    encoder : InputEncoder
    method : str
    scale : float
        99.9th percentile of the meta-train embedding values: the full scale
        of the prototype quantiser.
    history : list of dict
        ``episode``, ``loss`` (mean since the last entry), ``val_accuracy``
        (protonet).
    episodes : int
        Episodes trained.
    seconds : float
        Wall time of the training (this process; a resumed run adds to it).
    inner_steps, inner_lr : int, float
        Adaptation of ``"fomaml"`` (unused by ``"protonet"``).
    """

    model: Conv4
    encoder: InputEncoder
    method: str
    scale: float = 1.0
    history: list = field(default_factory=list)
    episodes: int = 0
    seconds: float = 0.0
    inner_steps: int = 5
    inner_lr: float = 0.1


def _lr(lr, i, decay_every):
    return lr * 0.5 ** (i // decay_every) if decay_every else lr


def _protonet_loss(model, x, ep):
    z = model(x)
    ns = len(ep.support)
    logits = prototype_logits(z[ns:], prototypes(z[:ns], torch.from_numpy(ep.support_labels),
                                                 len(ep.classes)))
    return F.cross_entropy(logits, torch.from_numpy(ep.query_labels))


def adapt_predict(model, xs, ys, xq, ways, steps, lr):
    """First-order MAML adaptation on one task: predictions for the queries.

    A copy of ``model`` plus a zero linear head take ``steps`` SGD steps on
    the support ``(xs, ys)``; returns the copy, the head and the query
    logits (with the graph, for the outer gradient).
    """
    fast = copy.deepcopy(model)
    fast.train()
    dim = fast(xs[:1]).shape[1]
    head = torch.nn.Linear(dim, ways)
    torch.nn.init.zeros_(head.weight)
    torch.nn.init.zeros_(head.bias)
    opt = torch.optim.SGD(list(fast.parameters()) + list(head.parameters()), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        F.cross_entropy(head(fast(xs)), ys).backward()
        opt.step()
    return fast, head, head(fast(xq))


def _fomaml_step(model, x, ep, steps, lr):
    ns = len(ep.support)
    ys = torch.from_numpy(ep.support_labels)
    fast, _, logits = adapt_predict(model, x[:ns], ys, x[ns:], len(ep.classes), steps, lr)
    loss = F.cross_entropy(logits, torch.from_numpy(ep.query_labels))
    fast.zero_grad()
    loss.backward()
    for p, q in zip(model.parameters(), fast.parameters()):  # first order: grad at adapted weights
        p.grad = None if q.grad is None else q.grad.detach().clone()
    return loss


def _validate(model, encoder, packed, labels, pool, episodes, seed):
    idx = np.flatnonzero(np.isin(labels, pool))  # embed the meta-val drawings only
    emb = torch.from_numpy(embed(model, encoder, packed[idx]))
    full = torch.zeros((len(labels), emb.shape[1]))
    full[idx] = emb
    emb = full
    fewest = int(min((labels == c).sum() for c in pool))  # 5-way 5-shot 5 queries if they fit
    shots = min(5, fewest // 2)
    sampler = EpisodeSampler(labels, pool, min(5, len(pool)), shots, min(5, fewest - shots),
                             seed=seed)
    acc = []
    for i in range(episodes):
        ep = sampler.episode(i)
        p = prototypes(emb[ep.support], torch.from_numpy(ep.support_labels), len(ep.classes))
        pred = prototype_logits(emb[ep.query], p).argmax(1).numpy()
        acc.append(float((pred == ep.query_labels).mean()))
    return episode_interval(acc)[0]


def _save(path, state):
    buf = io.BytesIO()
    torch.save(state, buf)
    atomic_write_bytes(path, buf.getvalue())


def _restore(ck, key, method, episodes, model, opt):
    """Load the checkpoint ``ck`` into ``model`` and ``opt``; the training state
    it holds, or None (a foreign or later one: train afresh; an unreadable
    one: the same, with a warning naming the file)."""
    try:
        saved = torch.load(ck, weights_only=True)
        if not isinstance(saved, dict):
            raise TypeError("not a dict")
        # a checkpoint past the episodes asked for cannot be rewound: train afresh
        if saved.get("key") != key or saved.get("method") != method or saved["start"] > episodes:
            return None
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["opt"])
        return {k: saved[k] for k in ("start", "history", "best", "best_val", "seconds")}
    except Exception as exc:  # a truncated or foreign file fails in torch in many ways
        warn_recompute(ck, f"not a meta-training checkpoint ({type(exc).__name__})")
        return None


def meta_train(packed, labels, train_classes, *, encoding, levels=3, method="protonet",
               val_classes=None, episodes=2000, ways=20, shots=5, queries=5, width=64, lr=1e-3,
               lr_decay_every=2000, inner_steps=5, inner_lr=0.1, val_every=250, val_episodes=100,
               seed=0, checkpoint_dir=None, checkpoint_every=100, key="", progress=False,
               desc="meta-train", resume=True):
    """Meta-train a Conv-4 embedding on episodes of the meta-train classes.

    Parameters
    ----------
    packed : (N, C0, H, W) torch.Tensor
        One front end's output for every drawing
        (:func:`analogfe.learn.experiments.emulate_dataset`).
    labels : (N,) ndarray of int
    train_classes, val_classes : array_like of int
        Meta-train classes (episodes are drawn from these only) and
        meta-validation classes (model selection of ``"protonet"``; None:
        keep the last weights).
    encoding : str
        :data:`analogfe.learn.encodings.ENCODINGS` name of ``packed``.
    levels : int
        Code levels (log-gradient codes).
    method : {"protonet", "fomaml"}
    episodes, ways, shots, queries : int
        Training episodes and their shape.
    width : int
        Channels of the Conv-4 blocks.
    lr, lr_decay_every : float, int
        Adam learning rate, halved every ``lr_decay_every`` episodes (0: never).
    inner_steps, inner_lr : int, float
        ``"fomaml"``: SGD steps and step size of the adaptation.
    val_every, val_episodes : int
        Validation cadence and its 5-way 5-shot episodes (5 queries per
        class; fewer shots and queries when the classes have fewer than 10
        drawings).
    seed : int
    checkpoint_dir : path, optional
        Resumable training (see the module notes).
    checkpoint_every : int
    key : str
        What the checkpoint must have been written for (e.g. a configuration
        hash); a checkpoint with another key, or one past ``episodes``, is
        ignored. Leave ``episodes`` out of it: a longer training then
        continues a shorter one, exactly.
    progress : bool
        A tqdm bar.
    desc : str
        Its label.
    resume : bool
        Continue from the checkpoint in ``checkpoint_dir`` (False: train
        afresh and overwrite it). An unreadable checkpoint is reported on
        stderr and trained afresh.

    Returns
    -------
    MetaTrained

    Raises
    ------
    ValueError
        An unknown method, ``ways`` above the meta-train classes, ``shots``
        or ``queries`` below 1, ``val_every``, ``val_episodes`` or
        ``checkpoint_every`` below 1, a class with too few drawings, or
        ``packed`` holding NaN or infinite values.
    """
    from tqdm.auto import tqdm

    method = check_choice(method, "method", METHODS)
    episodes = check_int(episodes, "episodes", low=0)
    lr = check_float(lr, "lr", low=0.0, low_open=True)
    labels = np.asarray(labels)
    if not isinstance(packed, torch.Tensor) or packed.ndim != 4 or len(packed) != len(labels):
        raise ValueError(f"packed must be a (N, C, H, W) tensor with one row per label "
                         f"({len(labels)}), got {getattr(packed, 'shape', type(packed))}")
    for name, v in (("val_every", val_every), ("val_episodes", val_episodes),
                    ("checkpoint_every", checkpoint_every)):
        check_int(v, name, low=1)
    if packed.is_floating_point() and not bool(torch.isfinite(packed).all()):
        raise ValueError("packed holds NaN or infinite values: the front end's output is not "
                         "a valid training input")
    sampler = EpisodeSampler(labels, train_classes, ways, shots, queries, seed=seed)
    encoder = InputEncoder(encoding, levels)
    torch.manual_seed(seed)
    cin = packed.shape[1] * (levels if encoding == "lg-onehot" else 1)
    model = Conv4(cin, width)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    state = dict(start=0, history=[], best=None, best_val=-1.0, seconds=0.0)
    ck = Path(checkpoint_dir) / "metatrain.pt" if checkpoint_dir else None
    if ck is not None and ck.is_file() and resume:
        restored = _restore(ck, key, method, episodes, model, opt)
        if restored is None:  # the model and optimiser may be half loaded: build them again
            torch.manual_seed(seed)
            model = Conv4(cin, width)
            opt = torch.optim.Adam(model.parameters(), lr=lr)
        else:
            state.update(restored)
    t0, losses = time.perf_counter() - state["seconds"], []
    bar = tqdm(total=episodes, initial=min(state["start"], episodes), desc=desc,
               disable=not progress, leave=False)
    for i in range(state["start"], episodes):
        ep = sampler.episode(i)
        for g in opt.param_groups:
            g["lr"] = _lr(lr, i, lr_decay_every)
        x = encoder(packed[np.concatenate([ep.support, ep.query])])
        model.train()
        opt.zero_grad()
        if method == "protonet":
            loss = _protonet_loss(model, x, ep)
            loss.backward()
        else:
            loss = _fomaml_step(model, x, ep, inner_steps, inner_lr)
        opt.step()
        losses.append(float(loss.detach()))
        bar.update(1)
        done = i + 1
        if done % val_every == 0 or done == episodes:
            entry = dict(episode=done, loss=float(np.mean(losses)))
            if method == "protonet" and val_classes is not None and len(val_classes) >= 2:
                va = _validate(model, encoder, packed, labels, val_classes, val_episodes, seed + 1)
                entry["val_accuracy"] = va
                if va > state["best_val"]:
                    state["best_val"], state["best"] = va, copy.deepcopy(model.state_dict())
            state["history"].append(entry)
            losses = []
            bar.set_postfix({k: round(v, 3) for k, v in entry.items() if k != "episode"})
        if ck is not None and (done % checkpoint_every == 0 or done == episodes):
            state["seconds"] = time.perf_counter() - t0
            _save(ck, dict(key=key, method=method, model=model.state_dict(), opt=opt.state_dict(),
                           start=done, history=state["history"], best=state["best"],
                           best_val=state["best_val"], seconds=state["seconds"]))
    bar.close()
    if state["best"] is not None:
        model.load_state_dict(state["best"])
    model.eval()
    tm = MetaTrained(model, encoder, method, history=state["history"], episodes=episodes,
                     seconds=time.perf_counter() - t0, inner_steps=inner_steps, inner_lr=inner_lr)
    emb = embed(model, encoder, packed[np.isin(labels, np.asarray(train_classes))][:4000])
    tm.scale = float(max(np.percentile(emb, 99.9), 1e-6))
    return tm
