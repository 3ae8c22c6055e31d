"""Train and evaluate the small ResNets on emulated front end outputs.

:func:`fit` is the loop: tqdm progress bars with loss and accuracy, an atomic
checkpoint each epoch (model, optimizer, epoch, random states, configuration),
resume from the last checkpoint with nothing lost, a seed that makes a run
repeatable on CPU, early stopping on validation, metrics saved as JSON beside
the checkpoint. :func:`compare_encodings` trains the same network on the same
split with the same epoch budget for each front end, and
:func:`brightness_sweep` evaluates the trained models with the scene's linear
light scaled by ``2**k`` before the front end (both defined in
``analogfe.learn.experiments`` and importable from here).

References
----------
Y. Wu, J. Johnson, "Rethinking 'Batch' in BatchNorm", arXiv:2105.07576, 2021
(precise batch-norm statistics, see ``precise_bn`` of :func:`fit`). The paper
behind the comparison (Lu & Murmann, 2022) is cited in ``analogfe.learn.experiments``.
"""
from __future__ import annotations

import contextlib
import dataclasses
import io
import math
import os
import random
import sys
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

from .._io import atomic_write_bytes, atomic_write_json, is_jsonable, strict_json
from .._validation import check_array, check_choice, check_float, check_int

__all__ = [
    "CHECKPOINT_NAME",
    "METRICS_NAME",
    "pick_device",
    "confusion_metrics",
    "evaluate",
    "fit",
    "FitResult",
]

CHECKPOINT_NAME = "checkpoint.pt"
METRICS_NAME = "metrics.json"


# Keys of the run configuration that must match to resume from a checkpoint.
_RESUME_KEYS = ("model", "encoding", "levels", "optimizer", "lr", "weight_decay",
                "batch_size", "seed", "n_train", "monitor", "precise_bn", "frontend", "signal_e",
                "exposure")


# --------------------------------------------------------------------------
# Small utilities
# --------------------------------------------------------------------------


def pick_device(device=None):
    """``torch.device``: CUDA when present and ``device`` is None, else CPU."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


@contextlib.contextmanager
def _deterministic(enabled):
    """Deterministic torch algorithms inside the block, previous setting after."""
    before = torch.are_deterministic_algorithms_enabled()
    warn_before = torch.is_deterministic_algorithms_warn_only_enabled()
    if enabled:
        torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before, warn_only=warn_before)


def _rng_state(generator):
    """Every random state of a run, as tensors and plain types only (so that a
    checkpoint loads with ``torch.load(weights_only=True)``)."""
    name, keys, pos, has_gauss, gauss = np.random.get_state()
    return dict(torch=torch.get_rng_state(),
                numpy=(name, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, gauss),
                python=random.getstate(), loader=generator.get_state())


def _set_rng_state(state, generator):
    torch.set_rng_state(state["torch"])
    name, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), pos, has_gauss, gauss))
    random.setstate(state["python"])
    generator.set_state(state["loader"])


def _as_dataset(data, name):
    if isinstance(data, Dataset):
        return data
    if isinstance(data, (tuple, list)) and len(data) == 2:
        x, y = data
        x = x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))
        y = torch.as_tensor(np.asarray(y), dtype=torch.long)
        if len(x) != len(y):
            raise ValueError(f"{name}: {len(x)} inputs but {len(y)} labels")
        if x.is_floating_point() and not bool(torch.isfinite(x).all()):
            raise ValueError(f"{name}: the inputs hold NaN or infinite values")
        return TensorDataset(x, y)
    raise TypeError(f"{name} must be a torch Dataset or a pair (inputs, labels)")


# --------------------------------------------------------------------------
# Metrics and evaluation
# --------------------------------------------------------------------------


def confusion_metrics(y_true, y_pred, classes=None):
    """Accuracy, per-class accuracy (recall) and the confusion matrix.

    Parameters
    ----------
    y_true, y_pred : (N,) array_like of int
    classes : sequence, optional
        Class names, index = label; ``range(max label + 1)`` when None.

    Returns
    -------
    dict
        ``accuracy`` (float), ``per_class_accuracy`` (dict name -> float, NaN
        for a class absent from ``y_true``), ``confusion_matrix`` (list of
        lists, rows = true class), ``classes``, ``n``.
    """
    from sklearn.metrics import accuracy_score, confusion_matrix

    y_true = check_array(y_true, "y_true", ndim=1, kinds="iu")
    y_pred = check_array(y_pred, "y_pred", ndim=1, kinds="iu")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true {y_true.shape} and y_pred {y_pred.shape} differ")
    n_classes = len(classes) if classes is not None else int(max(y_true.max(), y_pred.max())) + 1
    names = [str(c) for c in classes] if classes is not None else [str(i) for i in range(n_classes)]
    cm = confusion_matrix(y_true, y_pred, labels=np.arange(n_classes))
    support = cm.sum(axis=1)
    per_class = {names[i]: (float(cm[i, i] / support[i]) if support[i] else float("nan"))
                 for i in range(n_classes)}
    return dict(accuracy=float(accuracy_score(y_true, y_pred)), per_class_accuracy=per_class,
                confusion_matrix=cm.tolist(), classes=names, n=int(len(y_true)))


def _predict(model, loader, encoder, device, criterion=None):
    model.eval()
    if encoder is not None:
        encoder.eval()
    preds, labels, loss_sum = [], [], 0.0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            if encoder is not None:
                x = encoder(x)
            out = model(x)
            if criterion is not None:
                loss_sum += float(criterion(out, y)) * len(y)  # float64 sum
            preds.append(out.argmax(1).cpu())
            labels.append(y.cpu())
    y_pred = torch.cat(preds).numpy().astype(np.int64)
    y_true = torch.cat(labels).numpy().astype(np.int64)
    return y_true, y_pred, loss_sum / max(len(y_true), 1)


def evaluate(model, data, *, encoder=None, batch_size=256, device=None, classes=None):
    """Metrics of a model on a dataset.

    Parameters
    ----------
    model : nn.Module
    data : Dataset or (inputs, labels)
        Items ``(x, y)``; ``x`` is the model input, or the compact tensor of
        :func:`analogfe.learn.encodings.pack` when ``encoder`` is given.
    encoder : nn.Module, optional
        Applied to each batch first (e.g. :class:`analogfe.learn.encodings.InputEncoder`).
    batch_size : int
    device : str or torch.device, optional
        CUDA when present if None.
    classes : sequence, optional
        Class names for the per-class figures.

    Returns
    -------
    dict
        See :func:`confusion_metrics`, plus ``loss`` (mean cross-entropy)
        and ``y_pred`` (the predicted class of each item, in order).
    """
    device = pick_device(device)
    ds = _as_dataset(data, "data")
    loader = DataLoader(ds, batch_size=check_int(batch_size, "batch_size", low=1))
    model.to(device)
    if encoder is not None:
        encoder.to(device)
    y_true, y_pred, loss = _predict(model, loader, encoder, device, nn.CrossEntropyLoss())
    out = confusion_metrics(y_true, y_pred, classes)
    out["loss"] = loss
    out["y_pred"] = np.asarray(y_pred)
    return out


# --------------------------------------------------------------------------
# The training loop
# --------------------------------------------------------------------------


@dataclass
class FitResult:
    """What :func:`fit` returns.

    Attributes
    ----------
    model : nn.Module
        The trained model (best validation weights when early stopping ran).
    history : list of dict
        Per epoch: ``epoch``, ``loss``, ``accuracy``, and ``val_loss``,
        ``val_accuracy`` when validation data was given.
    metrics : dict
        Validation metrics of the final model (:func:`evaluate`), or training
        metrics without validation data.
    epochs_run : int
    stopped_early : bool
    checkpoint : str or None
        Path of the last checkpoint.
    """

    model: nn.Module
    history: list
    metrics: dict
    epochs_run: int
    stopped_early: bool
    checkpoint: str | None = None


def _recalibrate_bn(model, loader, encoder, device):
    """Batch-norm statistics of the current weights over the whole training set.

    Resets every batch norm's running mean and variance and re-estimates them
    as the plain average over one pass (no gradients), as "precise BN" does
    (Wu & Johnson, "Rethinking 'Batch' in BatchNorm", arXiv:2105.07576). On a
    small set with few steps per epoch the running averages otherwise lag
    behind the weights and evaluation-mode accuracy falls to chance.
    """
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)
           and m.track_running_stats]
    if not bns:
        return
    momenta = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
    model.train()
    if encoder is not None:
        encoder.train()  # the training distribution (e.g. a random exposure per sample)
    with torch.no_grad():
        for x, _ in loader:
            x = x.to(device)
            model(encoder(x) if encoder is not None else x)
    for m, mom in zip(bns, momenta):
        m.momentum = mom


def _check_resume(saved, config, path):
    diff = [f"{k}: checkpoint {saved.get(k)!r} != now {config.get(k)!r}"
            for k in _RESUME_KEYS if saved.get(k) != config.get(k)]
    if diff:
        raise ValueError(
            f"checkpoint {path} is from another configuration ("
            + "; ".join(diff) + "); use another checkpoint_dir or resume=False"
        )


def fit(model, train_data, val_data=None, *, encoder=None, epochs=10, batch_size=32,
        lr=1e-3, weight_decay=5e-4, optimizer="adam", seed=0, patience=None,
        monitor="val_loss", checkpoint_dir=None, resume=True, device=None,
        progress=True, callbacks=(), classes=None, deterministic=True, precise_bn=True,
        extra_config=None):
    """Train a classifier, with checkpoints, resume and early stopping.

    Parameters
    ----------
    model : nn.Module
        Maps a float batch ``(N, C, H, W)`` to logits ``(N, K)``. Its
        ``config`` attribute (if any) goes into the checkpoint.
    train_data, val_data : Dataset or (inputs, labels)
        Items ``(x, y)``. With ``encoder``, ``x`` is compact (e.g. int8 codes
        from :func:`analogfe.learn.encodings.pack`) and is expanded batch by batch.
    encoder : nn.Module, optional
        Applied to every batch before the model, on the training device, in
        training mode during the training passes and in evaluation mode for
        validation. Its parameters that require a gradient are trained with
        the model's (and saved in the checkpoint). With
        :class:`analogfe.learn.SensorInTheLoop` the sensor and front end are
        emulated on the fly: ``x`` is the linear raw scene, and every sample of
        every epoch gets a new exposure and noise draw.
    epochs : int
        Total epochs (a resumed run continues up to this number).
    batch_size : int
    lr, weight_decay : float
    optimizer : {"adam", "sgd"}
        Adam, or SGD with momentum 0.9.
    seed : int
        Seeds torch, numpy, random and the DataLoader's shuffling generator:
        the same seed on CPU gives the same weights.
    patience : int, optional
        Stop when ``monitor`` has not improved for this many epochs (needs
        ``val_data``); the best weights are restored at the end.
    monitor : {"val_loss", "val_accuracy"}
    checkpoint_dir : str, optional
        Folder for ``checkpoint.pt`` (written atomically after each epoch) and
        ``metrics.json``.
    resume : bool
        Continue from ``checkpoint_dir/checkpoint.pt`` when it exists.
    device : str or torch.device, optional
        CUDA when present if None, else CPU.
    progress : bool
        tqdm bars with loss and accuracy; False silences them.
    callbacks : sequence of callable
        ``callback(epoch, logs)`` after each epoch's checkpoint is written
        (raise to stop; a later call with ``resume=True`` carries on).
    classes : sequence, optional
        Class names for the metrics.
    deterministic : bool
        Deterministic torch algorithms during the run.
    precise_bn : bool
        After each epoch, re-estimate the batch-norm statistics over the
        training set with the epoch's final weights (see
        :func:`_recalibrate_bn`).
    extra_config : dict, optional
        Saved with the checkpoint (e.g. front end and encoding).

    Returns
    -------
    FitResult

    Raises
    ------
    ValueError
        A checkpoint from another configuration (the message names the keys
        that differ), ``patience`` without ``val_data``, inputs that hold NaN
        or infinite values, or a training loss that becomes NaN or infinite
        (before the step that would spread it into the weights).
    """
    epochs = check_int(epochs, "epochs", low=1)
    batch_size = check_int(batch_size, "batch_size", low=1)
    lr = check_float(lr, "lr", low=0.0, low_open=True)
    weight_decay = check_float(weight_decay, "weight_decay", low=0.0)
    check_choice(optimizer, "optimizer", ("adam", "sgd"))
    check_choice(monitor, "monitor", ("val_loss", "val_accuracy"))
    seed = check_int(seed, "seed", low=0)
    if patience is not None:
        patience = check_int(patience, "patience", low=1)
        if val_data is None:
            raise ValueError("patience needs val_data for early stopping")
    train_ds = _as_dataset(train_data, "train_data")
    val_ds = _as_dataset(val_data, "val_data") if val_data is not None else None
    device = pick_device(device)
    config = dict(model=getattr(model, "config", type(model).__name__),
                  encoding=getattr(encoder, "encoding", None),
                  levels=getattr(encoder, "levels", None), optimizer=optimizer, lr=lr,
                  weight_decay=weight_decay, batch_size=batch_size, seed=seed,
                  n_train=len(train_ds), monitor=monitor, precise_bn=precise_bn, epochs=epochs,
                  patience=patience)
    config.update(extra_config or {})
    ckpt_path = os.path.join(checkpoint_dir, CHECKPOINT_NAME) if checkpoint_dir else None
    with _deterministic(deterministic):
        run = _Run.start(model, encoder, train_ds, val_ds, config, device, ckpt_path, resume)
        epoch = run.state.epoch
        for epoch in range(run.state.epoch + 1, epochs + 1):
            if run.state.stopped:
                break
            logs = run.epoch(epoch, epochs, progress)
            if ckpt_path:
                run.save(ckpt_path)
            for cb in callbacks:
                cb(epoch, logs)
        metrics = run.finish(classes)
        if checkpoint_dir:
            atomic_write_json(os.path.join(checkpoint_dir, METRICS_NAME), strict_json(metrics))
    st = run.state
    return FitResult(model, st.history, metrics, len(st.history), bool(st.stopped), ckpt_path)


@dataclass
class _State:
    """What a checkpoint restores: the epoch reached, the history, and the
    early-stopping bookkeeping (best monitored score, its weights, epochs
    without improvement)."""

    epoch: int = 0
    history: list = dataclasses.field(default_factory=list)
    best: float | None = None
    best_state: dict | None = None
    bad: int = 0
    stopped: bool = False
    best_encoder: dict | None = None  # the encoder's trainable parameters at the best epoch


@dataclass
class _Run:
    """One training run of :func:`fit`: model, optimiser, loaders and state."""

    model: nn.Module
    encoder: nn.Module | None
    opt: torch.optim.Optimizer
    loader: DataLoader
    val_loader: DataLoader | None
    bn_loader: DataLoader
    generator: torch.Generator
    config: dict
    device: torch.device
    train_ds: Dataset
    val_ds: Dataset | None
    state: _State

    @classmethod
    def start(cls, model, encoder, train_ds, val_ds, config, device, ckpt_path, resume):
        """Seed everything, build optimiser and loaders, restore a checkpoint."""
        seed, batch_size = config["seed"], config["batch_size"]
        torch.manual_seed(seed)
        np.random.seed(seed)
        random.seed(seed)
        generator = torch.Generator().manual_seed(seed)
        # The model is built by the caller; re-seeded weights would break the
        # caller's own seeding, so they are taken as given.
        model.to(device)
        if encoder is not None:
            encoder.to(device)
        # an encoder's own trainable parameters (e.g. the converter thresholds of
        # analogfe.learn.SensorInTheLoop) are trained with the model
        params = list(model.parameters())
        if encoder is not None:
            params += [p for p in encoder.parameters() if p.requires_grad]
        lr, wd = config["lr"], config["weight_decay"]
        opt = (torch.optim.Adam(params, lr=lr, weight_decay=wd) if config["optimizer"] == "adam"
               else torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=wd))
        loader = DataLoader(train_ds, batch_size=batch_size, shuffle=True, num_workers=0,
                            generator=generator)
        val_loader = DataLoader(val_ds, batch_size=256) if val_ds is not None else None
        run = cls(model, encoder, opt, loader, val_loader, DataLoader(train_ds, batch_size=batch_size),
                  generator, config, device, train_ds, val_ds, _State())
        if ckpt_path and resume and os.path.exists(ckpt_path):
            run.restore(ckpt_path)
        return run

    def restore(self, ckpt_path):
        """Continue from a checkpoint. It is loaded with ``weights_only=True``:
        tensors and plain types only, nothing in it can run code. A file that
        does not load (truncated, foreign, or carrying pickled code) is
        reported on stderr and training starts again."""
        keys = ("config", "model", "optimizer", "rng", "epoch", "history", "best",
                "best_state", "bad_epochs")
        try:
            ck = torch.load(ckpt_path, map_location=self.device, weights_only=True)
            if not isinstance(ck, dict) or any(k not in ck for k in keys):
                raise ValueError("not an analogfe checkpoint")
        except Exception as exc:  # any unreadable file: start again, say why
            why = (str(exc).splitlines() or [""])[0][:200]
            print(f"analogfe: ignoring unreadable checkpoint {ckpt_path} "
                  f"({type(exc).__name__}: {why}); training from the start", file=sys.stderr)
            return
        _check_resume(ck["config"], self.config, ckpt_path)
        self.model.load_state_dict(ck["model"])
        if self.encoder is not None and ck.get("encoder"):
            self.encoder.load_state_dict(ck["encoder"])
        self.opt.load_state_dict(ck["optimizer"])
        _set_rng_state(ck["rng"], self.generator)
        self.state = _State(ck["epoch"], ck["history"], ck["best"], ck["best_state"],
                            ck["bad_epochs"], best_encoder=ck.get("best_encoder") or None)
        patience = self.config["patience"]
        self.state.stopped = patience is not None and self.state.bad >= patience

    def save(self, ckpt_path):
        st = self.state
        ck = dict(model=self.model.state_dict(), optimizer=self.opt.state_dict(), epoch=st.epoch,
                  rng=_rng_state(self.generator), config=self.config, history=st.history,
                  best=st.best, best_state=st.best_state, bad_epochs=st.bad,
                  encoder=self.encoder.state_dict() if self.encoder is not None else {},
                  best_encoder=st.best_encoder or {})
        buf = io.BytesIO()  # serialised in memory: a full disk is an OSError of the write
        torch.save(ck, buf)
        atomic_write_bytes(ckpt_path, buf.getvalue())

    def _train_pass(self, desc, progress):
        """One pass over the training set: summed loss, correct, seen."""
        from tqdm.auto import tqdm

        model, criterion = self.model, nn.CrossEntropyLoss()
        model.train()
        if self.encoder is not None:
            self.encoder.train()
        loss_sum, correct, seen = 0.0, 0, 0
        bar = tqdm(self.loader, desc=desc, disable=not progress, leave=False)
        for x, y in bar:
            x, y = x.to(self.device), y.to(self.device)
            if self.encoder is not None:
                x = self.encoder(x)
            self.opt.zero_grad(set_to_none=True)
            out = model(x)
            loss = criterion(out, y)
            if not math.isfinite(loss.item()):  # before the step spreads it into the weights
                raise ValueError(f"{desc}: the training loss is {loss.item()} after {seen} samples: "
                                 "NaN or infinite inputs, or a learning rate too large")
            loss.backward()
            self.opt.step()
            loss_sum += loss.item() * len(y)  # python float: float64 sum
            correct += int((out.argmax(1) == y).sum())
            seen += len(y)
            bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.3f}")
        bar.close()
        return loss_sum, correct, seen

    def _validate(self, logs):
        """Validation loss and accuracy into ``logs``; early-stopping bookkeeping."""
        st, monitor, patience = self.state, self.config["monitor"], self.config["patience"]
        yt, yp, vloss = _predict(self.model, self.val_loader, self.encoder, self.device,
                                 nn.CrossEntropyLoss())
        logs.update(val_loss=vloss, val_accuracy=float((yt == yp).mean()))
        score = (1.0 if monitor == "val_loss" else -1.0) * logs[monitor]
        if st.best is None or score < st.best:
            st.best, st.bad = score, 0
            st.best_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
            if self.encoder is not None:  # e.g. learned converter thresholds: the same epoch's
                st.best_encoder = {k: p.detach().clone()
                                   for k, p in self.encoder.named_parameters() if p.requires_grad}
        else:
            st.bad += 1
        st.stopped = patience is not None and st.bad >= patience

    def epoch(self, epoch, epochs, progress):
        """Train one epoch, recalibrate batch norm, validate; the epoch's logs."""
        from tqdm.auto import tqdm

        loss_sum, correct, seen = self._train_pass(f"epoch {epoch}/{epochs}", progress)
        if self.config["precise_bn"]:
            _recalibrate_bn(self.model, self.bn_loader, self.encoder, self.device)
        logs = dict(epoch=epoch, loss=loss_sum / seen, accuracy=correct / seen)
        if self.val_loader is not None:
            self._validate(logs)
        self.state.history.append(logs)
        self.state.epoch = epoch
        if progress:
            tqdm.write(" ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}"
                                for k, v in logs.items()))
        return logs

    def finish(self, classes):
        """Best weights back in the model; metrics on the validation (or training) set."""
        st = self.state
        if st.best_state is not None:
            self.model.load_state_dict(st.best_state)
        if st.best_encoder:  # the encoder's parameters of the same (best) epoch as the weights
            params = dict(self.encoder.named_parameters())
            with torch.no_grad():
                for k, v in st.best_encoder.items():
                    params[k].copy_(v)
        data = self.val_ds if self.val_ds is not None else self.train_ds
        metrics = evaluate(self.model, data, encoder=self.encoder, device=self.device,
                           classes=classes)
        metrics.pop("y_pred")  # the figures are kept, not the predictions
        metrics.update(history=st.history, epochs_run=len(st.history), stopped_early=bool(st.stopped),
                       config={k: v for k, v in self.config.items() if is_jsonable(v)})
        return metrics

