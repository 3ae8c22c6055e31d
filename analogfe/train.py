"""Train and evaluate the small ResNets on emulated front end outputs.

:func:`fit` is the loop: tqdm progress bars with loss and accuracy, an atomic
checkpoint each epoch (model, optimizer, epoch, random states, configuration),
resume from the last checkpoint with nothing lost, a seed that makes a run
repeatable on CPU, early stopping on validation, metrics saved as JSON beside
the checkpoint. :func:`compare_encodings` trains the same network on the same
split with the same epoch budget for each front end, and
:func:`brightness_sweep` evaluates the trained models with the scene's linear
light scaled by ``2**k`` before the front end.

References
----------
Q. Lu, B. Murmann, "Improving the Energy Efficiency and Robustness of tinyML
Computer Vision using Log-Gradient Input Images", arXiv:2203.02571, 2022
(1.5-bit log-gradient input loses 1.7 points over brightness 2^-5 .. 2^3, RGB
input up to 10).
"""
from __future__ import annotations

import contextlib
import json
import os
import random
import tempfile
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

from . import models as _models
from ._validation import check_array, check_choice, check_float, check_int

__all__ = [
    "CHECKPOINT_NAME",
    "METRICS_NAME",
    "DEFAULT_SIGNAL_FRACTION",
    "pick_device",
    "confusion_metrics",
    "evaluate",
    "fit",
    "FitResult",
    "TrainedModel",
    "emulate_dataset",
    "train_frontend",
    "compare_encodings",
    "brightness_sweep",
    "format_sweep",
    "format_compare",
    "default_signal_e",
]

CHECKPOINT_NAME = "checkpoint.pt"
METRICS_NAME = "metrics.json"

# Default exposure of the comparison: a raw value of 1.0 (white) gives
# full_well_e * DEFAULT_SIGNAL_FRACTION electrons at k = 0. With 1.0, white
# just reaches the full well (and the 10-bit ADC's full scale) at k = 0, so the
# digital path reproduces the input sRGB image: k = 0 is the well-exposed
# frame, k > 0 over-exposes (clips at full well), k < 0 under-exposes (shot
# and read noise, fewer DN). Pass signal_e=full_well_e / 8 to leave the
# sweep's 3 stops of highlight headroom at k = 0 instead.
DEFAULT_SIGNAL_FRACTION = 1.0

# Keys of the run configuration that must match to resume from a checkpoint.
_RESUME_KEYS = ("model", "encoding", "levels", "optimizer", "lr", "weight_decay",
                "batch_size", "seed", "n_train", "monitor", "precise_bn", "frontend", "signal_e")


# --------------------------------------------------------------------------
# Small utilities
# --------------------------------------------------------------------------


def pick_device(device=None):
    """``torch.device``: CUDA when present and ``device`` is None, else CPU."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def _atomic_write(path, write):
    """Write a file through a temp file in the same folder and ``os.replace``."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def _save_json(path, obj):
    _atomic_write(path, lambda fh: fh.write(json.dumps(obj, indent=2).encode()))


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
    return dict(torch=torch.get_rng_state(), numpy=np.random.get_state(),
                python=random.getstate(), loader=generator.get_state())


def _set_rng_state(state, generator):
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
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
        :func:`analogfe.models.pack` when ``encoder`` is given.
    encoder : nn.Module, optional
        Applied to each batch first (e.g. :class:`analogfe.models.InputEncoder`).
    batch_size : int
    device : str or torch.device, optional
        CUDA when present if None.
    classes : sequence, optional
        Class names for the per-class figures.

    Returns
    -------
    dict
        See :func:`confusion_metrics`, plus ``loss`` (mean cross-entropy).
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
        from :func:`analogfe.models.pack`) and is expanded batch by batch.
    encoder : nn.Module, optional
        Applied to every batch before the model.
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
        that differ), or ``patience`` without ``val_data``.
    """
    from tqdm.auto import tqdm

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
        torch.manual_seed(seed)
        np.random.seed(seed)
        random.seed(seed)
        generator = torch.Generator().manual_seed(seed)
        # The model is built by the caller; re-seeded weights would break the
        # caller's own seeding, so they are taken as given.
        model.to(device)
        if encoder is not None:
            encoder.to(device)
        params = model.parameters()
        opt = (torch.optim.Adam(params, lr=lr, weight_decay=weight_decay) if optimizer == "adam"
               else torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay))
        criterion = nn.CrossEntropyLoss()
        loader = DataLoader(train_ds, batch_size=batch_size, shuffle=True, num_workers=0,
                            generator=generator)
        val_loader = DataLoader(val_ds, batch_size=256) if val_ds is not None else None
        bn_loader = DataLoader(train_ds, batch_size=batch_size)
        history, start, best, best_state, bad = [], 0, None, None, 0
        if ckpt_path and resume and os.path.exists(ckpt_path):
            ck = torch.load(ckpt_path, map_location=device, weights_only=False)
            _check_resume(ck["config"], config, ckpt_path)
            model.load_state_dict(ck["model"])
            opt.load_state_dict(ck["optimizer"])
            _set_rng_state(ck["rng"], generator)
            history, start = ck["history"], ck["epoch"]
            best, best_state, bad = ck["best"], ck["best_state"], ck["bad_epochs"]
        stopped = patience is not None and bad >= patience
        sign = 1.0 if monitor == "val_loss" else -1.0
        epoch = start
        for epoch in range(start + 1, epochs + 1):
            if stopped:
                break
            model.train()
            loss_sum, correct, seen = 0.0, 0, 0
            bar = tqdm(loader, desc=f"epoch {epoch}/{epochs}", disable=not progress, leave=False)
            for x, y in bar:
                x, y = x.to(device), y.to(device)
                if encoder is not None:
                    x = encoder(x)
                opt.zero_grad(set_to_none=True)
                out = model(x)
                loss = criterion(out, y)
                loss.backward()
                opt.step()
                loss_sum += loss.item() * len(y)  # python float: float64 sum
                correct += int((out.argmax(1) == y).sum())
                seen += len(y)
                bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.3f}")
            bar.close()
            if precise_bn:
                _recalibrate_bn(model, bn_loader, encoder, device)
            logs = dict(epoch=epoch, loss=loss_sum / seen, accuracy=correct / seen)
            if val_loader is not None:
                yt, yp, vloss = _predict(model, val_loader, encoder, device, criterion)
                logs.update(val_loss=vloss, val_accuracy=float((yt == yp).mean()))
                score = sign * logs[monitor]
                if best is None or score < best:
                    best, bad = score, 0
                    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                else:
                    bad += 1
                stopped = patience is not None and bad >= patience
            history.append(logs)
            if progress:
                tqdm.write(" ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}"
                                    for k, v in logs.items()))
            if ckpt_path:
                ck = dict(model=model.state_dict(), optimizer=opt.state_dict(), epoch=epoch,
                          rng=_rng_state(generator), config=config, history=history,
                          best=best, best_state=best_state, bad_epochs=bad)
                _atomic_write(ckpt_path, lambda fh, ck=ck: torch.save(ck, fh))
            for cb in callbacks:
                cb(epoch, logs)
        if best_state is not None:
            model.load_state_dict(best_state)
        if val_ds is not None:
            metrics = evaluate(model, val_ds, encoder=encoder, device=device, classes=classes)
        else:
            metrics = evaluate(model, train_ds, encoder=encoder, device=device, classes=classes)
        metrics.update(history=history, epochs_run=len(history), stopped_early=bool(stopped),
                       config={k: v for k, v in config.items() if _jsonable(v)})
        if checkpoint_dir:
            _save_json(os.path.join(checkpoint_dir, METRICS_NAME), _clean_json(metrics))
    return FitResult(model, history, metrics, len(history), bool(stopped), ckpt_path)


def _jsonable(v):
    try:
        json.dumps(v)
        return True
    except TypeError:
        return False


def _clean_json(obj):
    """NaN -> None so the JSON file is strict."""
    if isinstance(obj, float) and obj != obj:
        return None
    if isinstance(obj, dict):
        return {k: _clean_json(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clean_json(v) for v in obj]
    return obj


# --------------------------------------------------------------------------
# Front end -> dataset, one model per front end, the brightness sweep
# --------------------------------------------------------------------------


def _frontend_name(frontend):
    return frontend if isinstance(frontend, str) else getattr(frontend, "name", repr(frontend))


def default_signal_e(sensor_config=None):
    """Electrons for a raw value of 1.0 at k = 0: ``full_well_e`` by default.

    See :data:`DEFAULT_SIGNAL_FRACTION`: white reaches full well at k = 0.
    """
    if sensor_config is None:
        from .sensor import SensorConfig

        sensor_config = SensorConfig()
    return float(sensor_config.full_well_e) * DEFAULT_SIGNAL_FRACTION


def _as_frontend_images(images, frontend, encoding):
    """Gray images go to an RGB path as three equal channels."""
    if encoding.startswith("rgb8") and (images.ndim == 2 or images.shape[-1] != 3):
        return np.repeat(images[..., None], 3, axis=-1)
    return images


def emulate_dataset(images_srgb, frontend, encoding=None, *, brightness=1.0, signal_e=None,
                    sensor_config=None, seed=0, chunk=512):
    """sRGB images -> the compact tensor a model is trained on.

    Runs :func:`analogfe.frontend.emulate` (unprocess, expose with
    ``brightness``, front end) in chunks and :func:`analogfe.models.pack`.

    Parameters
    ----------
    images_srgb : (N, H, W) or (N, H, W, 3) ndarray of uint8
    frontend : str or front end object
        e.g. ``"rgb8"``, ``"gray8"``, ``"lg1.5"``, ``"lg2.75"``.
    encoding : str, optional
        :data:`analogfe.models.ENCODINGS` name; the front end's default if None.
    brightness : float
        Factor on the linear light (``2**k``); electrons clip at full well.
    signal_e : float, optional
        Electrons of a scene value of 1.0 at brightness 1;
        :func:`default_signal_e` if None.
    sensor_config : SensorConfig, optional
    seed : int
        Noise seed (fixed pattern and temporal).
    chunk : int
        Images emulated per call (bounds memory).

    Returns
    -------
    packed : torch.Tensor
        uint8 or int8 ``(N, C0, H, W)``.
    levels : int
        Code levels (3 for images, unused there).
    """
    from . import frontend as _fe

    images = check_array(images_srgb, "images_srgb", ndim=(3, 4), kinds="u")
    encoding = encoding or _models.default_encoding(frontend)
    _models._check_encoding(encoding)
    if signal_e is None:
        signal_e = default_signal_e(sensor_config)
    check_float(brightness, "brightness", low=0.0, low_open=True)
    images = _as_frontend_images(images, frontend, encoding)
    parts, levels = [], 3
    for i in range(0, len(images), check_int(chunk, "chunk", low=1)):
        out = _fe.emulate(images[i:i + chunk], frontend, sensor_config=sensor_config,
                          seed=seed + i, signal_e=signal_e, brightness=brightness)
        if _models._is_codes(out):
            levels = _models._levels(out)
        parts.append(_models.pack(out, encoding))
    return torch.cat(parts), levels


@dataclass
class TrainedModel:
    """A model trained on one front end's output, and how to feed it.

    Attributes
    ----------
    frontend : str or object
        The front end (registry name or object).
    encoding : str
    levels : int
    model : analogfe.models.ResNet
    signal_e : float
    sensor_config : SensorConfig or None
    result : FitResult
    label : str, optional
        Name in tables; the front end's name if None.
    """

    frontend: object
    encoding: str
    levels: int
    model: nn.Module
    signal_e: float
    sensor_config: object = None
    result: FitResult | None = field(default=None, repr=False)
    label: str | None = None

    @property
    def name(self):
        return self.label or _frontend_name(self.frontend)

    def evaluate(self, images_srgb, labels, *, brightness=1.0, seed=0, device=None):
        """Metrics on sRGB images passed through the front end at ``brightness``."""
        packed, _ = emulate_dataset(images_srgb, self.frontend, self.encoding,
                                    brightness=brightness, signal_e=self.signal_e,
                                    sensor_config=self.sensor_config, seed=seed)
        enc = _models.InputEncoder(self.encoding, self.levels)
        return evaluate(self.model, (packed, labels), encoder=enc, device=device)


def _load_split(dataset, seed, test_size, window=None, load_kw=None):
    """A train / test Split from a name, a folder or a loaded dataset."""
    from . import data as _data

    if hasattr(dataset, "X_train"):
        return dataset
    if isinstance(dataset, (str, os.PathLike)):
        return _data.load_split(dataset, test_size=test_size, seed=seed, window=window,
                                **(load_kw or {}))
    if hasattr(dataset, "split"):  # ImageSet, WakeupScenes, VOCDataset
        kw = {} if window is None or not hasattr(dataset, "crops") else {"window": window}
        return dataset.split(test_size=test_size, seed=seed, **kw)
    raise TypeError(f"dataset: cannot make a train / test split from {type(dataset).__name__}")


def train_frontend(split, frontend, encoding=None, *, epochs=30, width=16, blocks=(1, 1, 1, 1),
                   batch_size=16, val_fraction=0.2, signal_e=None, sensor_config=None, seed=0,
                   checkpoint_dir=None, **fit_kw):
    """Train one ResNet on one front end's emulated output.

    Parameters
    ----------
    split : Split
        ``X_train, y_train`` (uint8 sRGB images), ``classes``.
    frontend : str or front end object
    encoding : str, optional
    epochs, width, blocks, batch_size : see :func:`fit`, :class:`analogfe.models.ResNet`
    val_fraction : float
        Stratified part of the training images held out for early stopping
        and model selection (0 for none).
    signal_e, sensor_config, seed : see :func:`emulate_dataset`
    checkpoint_dir : str, optional
    **fit_kw
        Passed to :func:`fit` (``batch_size``, ``lr``, ``patience``,
        ``progress``, ``device`` ...).

    Returns
    -------
    TrainedModel
    """
    from sklearn.model_selection import train_test_split

    encoding = encoding or _models.default_encoding(frontend)
    signal_e = default_signal_e(sensor_config) if signal_e is None else signal_e
    X = np.asarray(split.X_train)
    y = np.asarray(split.y_train).astype(np.int64)
    classes = list(getattr(split, "classes", sorted(set(y.tolist()))))
    if val_fraction:
        check_float(val_fraction, "val_fraction", low=0.0, high=0.9)
        idx_tr, idx_va = train_test_split(np.arange(len(y)), test_size=val_fraction,
                                          random_state=seed, stratify=y)
    else:
        idx_tr, idx_va = np.arange(len(y)), None
    packed, levels = emulate_dataset(X, frontend, encoding, signal_e=signal_e,
                                     sensor_config=sensor_config, seed=seed)
    torch.manual_seed(seed)
    model = _models.ResNet(blocks, width, packed.shape[1] if encoding != "lg-onehot"
                           else packed.shape[1] * levels, len(classes))
    enc = _models.InputEncoder(encoding, levels)
    yt = torch.as_tensor(y)
    val = (packed[idx_va], yt[idx_va]) if idx_va is not None else None
    extra = dict(frontend=_frontend_name(frontend), signal_e=signal_e)
    res = fit(model, (packed[idx_tr], yt[idx_tr]), val, encoder=enc, epochs=epochs, seed=seed,
              batch_size=batch_size,
              checkpoint_dir=checkpoint_dir, classes=classes, extra_config=extra, **fit_kw)
    return TrainedModel(frontend, encoding, levels, res.model, signal_e, sensor_config, res)


def compare_encodings(dataset="lfw", frontends=("rgb8", "gray8", "lg1.5", "lg2.75"), *,
                      encodings=None, epochs=30, seed=0, test_size=0.25, width=16,
                      batch_size=16, checkpoint_dir=None, ks=None, window=None, load_kw=None,
                      **kw):
    """Same split, same network, same epoch budget for each front end.

    Parameters
    ----------
    dataset : str, path or dataset object
        ``"lfw"`` (built-in), ``"wakeup-scenes"``, a PASCAL VOC / PASCALRAW
        folder or an image folder (:func:`analogfe.data.load_dataset`), or a
        loaded Split, ImageSet or VOCDataset. VOC layouts and the wake-up
        scenes give crops of the annotated objects plus background windows.
    frontends : sequence
        Front end names or objects, or ``(front end, encoding)`` pairs (named
        ``"frontend:encoding"`` in the table), e.g. ``("gray8", "gray8-norm")``.
    encodings : dict, optional
        Front end name -> encoding (default: :func:`analogfe.models.default_encoding`).
    epochs, seed, width, batch_size : see :func:`train_frontend`, :func:`fit`
        (small batches give batch norm enough steps on a 150-image set)
    test_size : float
        Test fraction when the dataset is loaded here.
    checkpoint_dir : str, optional
        One sub-folder per front end.
    ks : sequence of int, optional
        Also run :func:`brightness_sweep` on the test images.
    window : int or (int, int), optional
        Size of every image (:func:`analogfe.data.load_split`: resizes LFW and
        image folders, crop size of VOC layouts and the wake-up scenes).
    load_kw : dict, optional
        Passed to :func:`analogfe.data.load_split` (e.g. ``mode`` of an image
        folder, ``classes`` of a VOC folder, ``n`` of the wake-up scenes).
    **kw
        Passed to :func:`train_frontend` / :func:`fit`.

    Returns
    -------
    dict
        ``models`` (name -> TrainedModel), ``rows`` (per front end: ``frontend``,
        ``encoding``, ``channels``, ``test_accuracy``, ``params``, ``macs``,
        ``epochs_run``), ``split``, and ``sweep`` when ``ks`` is given.
    """
    from . import data as _data

    split = _load_split(dataset, seed, test_size, window, load_kw)
    X_train, X_test = np.asarray(split.X_train), np.asarray(split.X_test)
    classes = getattr(split, "classes", None)
    if classes is None:
        classes = tuple(str(c) for c in sorted(set(np.asarray(split.y_train).tolist())))
    split = _data.Split(X_train, X_test, np.asarray(split.y_train), np.asarray(split.y_test),
                        tuple(classes))
    encodings = dict(encodings or {})
    trained, rows = {}, []
    for fe in frontends:
        name = _frontend_name(fe[0] if isinstance(fe, tuple) else fe)
        enc = encodings.get(name)
        if isinstance(fe, tuple):
            fe, enc = fe
            name = f"{name}:{enc}"
        if name in trained:
            raise ValueError(f"frontends: {name!r} appears twice")
        ck = os.path.join(checkpoint_dir, name.replace(":", "_")) if checkpoint_dir else None
        tm = train_frontend(split, fe, enc, epochs=epochs, width=width,
                            seed=seed, checkpoint_dir=ck, batch_size=batch_size, **kw)
        tm.label = name
        trained[name] = tm
        m = tm.evaluate(split.X_test, split.y_test, seed=seed + 10_000)
        shape = (tm.model.in_channels,) + tuple(split.X_test.shape[1:3])
        prof = _models.model_profile(tm.model, shape)
        rows.append(dict(frontend=name, encoding=tm.encoding, channels=tm.model.in_channels,
                         test_accuracy=m["accuracy"], params=prof["params"], macs=prof["macs"],
                         epochs_run=tm.result.epochs_run))
    out = dict(models=trained, rows=rows, split=split)
    if ks is not None:
        out["sweep"] = brightness_sweep(trained, split.X_test, split.y_test, ks=ks, seed=seed)
    return out


def brightness_sweep(models, images_srgb, labels, *, ks=range(-5, 4), seed=0, device=None):
    """Accuracy of each trained model with the scene's light scaled by ``2**k``.

    The linear light is multiplied by ``2**k`` before the front end
    (``emulate(..., brightness=2**k)``, electrons clipped at full well), at
    the exposure the model was trained with (``signal_e``). The noise seed is
    the same at every k and for every front end.

    Parameters
    ----------
    models : dict of name -> TrainedModel, or a sequence of TrainedModel
    images_srgb : (N, H, W[, 3]) ndarray of uint8
        Test images.
    labels : (N,) array_like of int
    ks : iterable of int
        Exponents; must contain 0 (the reference).
    seed : int
    device : optional

    Returns
    -------
    dict
        ``ks`` (list), ``rows``: one dict per model with ``frontend``,
        ``encoding``, ``accuracy`` (dict k -> accuracy), ``k0`` (accuracy at
        k = 0), ``max_loss`` (largest drop against k = 0, in accuracy points
        x 100), ``worst_k``. :func:`format_sweep` prints it.

    Notes
    -----
    Measured on the built-in LFW subset (150 training images: 120 fit, 30
    validation; 50 test images; 25 x 25 pixels;
    one test image = 2 points), ResNet-10 width 16, 30 epochs, batch 16, k =
    -5..3, largest loss against k = 0 in points, mean of seeds 0, 1, 2:

    ================  ==============================  ======================
    input             k = 0 at full well (default)    3 stops headroom (/8)
    ================  ==============================  ======================
    rgb8              49.3                            48.0
    gray8             48.7                            48.0
    lg1.5             11.3                            4.7
    lg2.75            15.3                            9.3
    rgb8-norm         4.7                             43.3
    gray8-norm        7.3                             13.3
    ================  ==============================  ======================

    The 8-bit inputs fall to chance at k <= -3: the minimal ISP has no auto
    exposure, so a dark frame is a distribution the network never saw;
    standardising each image (``-norm``) recovers that unless the frame is
    deep in noise and quantisation (headroom case). With k = 0 at full well
    the log-gradient codes lose their points at k = +3, where most of the
    face clips at full well; with 3 stops of headroom nothing clips and the
    1.5-bit code loses 2 to 10 points, near the 1.7 of Lu & Murmann (2022).
    """
    ks = [check_int(k, "ks", low=-30, high=30) for k in ks]
    if 0 not in ks:
        raise ValueError(f"ks must contain 0 (the reference exposure), got {ks}")
    if isinstance(models, dict):
        models = list(models.values())
    labels = check_array(labels, "labels", ndim=1, kinds="iu").astype(np.int64)
    rows = []
    for tm in models:
        acc = {}
        for k in ks:
            acc[k] = tm.evaluate(images_srgb, labels, brightness=2.0 ** k, seed=seed + 10_000,
                                 device=device)["accuracy"]
        losses = {k: 100.0 * (acc[0] - a) for k, a in acc.items()}
        worst = max(losses, key=losses.get)
        rows.append(dict(frontend=tm.name, encoding=tm.encoding, accuracy=acc, k0=acc[0],
                         max_loss=max(0.0, losses[worst]), worst_k=worst))
    return dict(ks=ks, rows=rows)


def format_sweep(table):
    """Text table of :func:`brightness_sweep`: accuracy (%) per k, largest loss."""
    ks = table["ks"]
    w = max([12] + [len(r["frontend"]) + 2 for r in table["rows"]])
    head = f"{'front end':<{w}}" + "".join(f"{'k=' + str(k):>7}" for k in ks) + f"{'max loss':>10}"
    lines = [head, "-" * len(head)]
    for r in table["rows"]:
        lines.append(f"{r['frontend']:<{w}}" + "".join(f"{100 * r['accuracy'][k]:7.1f}" for k in ks)
                     + f"{r['max_loss']:10.1f}")
    return "\n".join(lines)


def format_compare(rows):
    """Text table of :func:`compare_encodings` rows: accuracy, size and MACs."""
    w = max([12] + [len(r["frontend"]) + 2 for r in rows])
    head = (f"{'front end':<{w}}{'encoding':<12}{'C':>4}{'test acc %':>11}{'params':>9}"
            f"{'MMAC':>8}{'epochs':>7}")
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['frontend']:<{w}}{r['encoding']:<12}{r['channels']:>4}"
                     f"{100 * r['test_accuracy']:11.1f}{r['params']:>9}"
                     f"{r['macs'] / 1e6:8.2f}{r['epochs_run']:>7}")
    return "\n".join(lines)
