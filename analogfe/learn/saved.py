"""Saved models: a JSON description beside weights that never run code.

A trained model is saved as two files:

* ``<name>.json``: everything needed to rebuild it -- the architecture and
  its constructor arguments, the input encoding, the front end (a standard
  name, an import path ``"package.module:Class"`` or an entry-point name, its
  options and seed), the sensor configuration, the signal, the exposure
  mode, the HOG settings of the wake-up SVM, the classes -- and the name and
  SHA-256 of the weights file;
* the weights: the ResNet's ``state_dict`` written by :func:`torch.save`
  (``.pt``, read back with ``torch.load(..., weights_only=True)``), or the
  wake-up SVM's arrays (``.npz``: SVM weights and intercept, the feature
  scaler's mean and scale, the class labels; read back with
  ``allow_pickle=False``).

Nothing in either file is unpickled into arbitrary objects: a weights file
that is not what its description says (another format, a pickle renamed,
a changed checksum) is refused with a :class:`ValueError`. Nothing in a
description chooses code either: it may name a standard front end or the
entry point of an installed plug-in; an import path ``"package.module:Class"``
is imported only when the caller passes ``allow_import=True`` (``analogfe
predict --allow-import``). Every field is checked before anything is built.

Examples
--------
>>> model = load_model("train-out/svm-lg1.5.model.json")   # doctest: +SKIP
>>> model.evaluate(images, labels)["accuracy"]             # doctest: +SKIP
0.917
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from .._io import atomic_write, atomic_write_json

__all__ = ["FORMAT", "FORMAT_VERSION", "ARCHITECTURES", "SavedModel", "save_model", "load_model",
           "build_frontend"]

#: The ``format`` field of every model description.
FORMAT = "analogfe-model"
#: The version of the description this module writes and reads.
FORMAT_VERSION = 1
#: Architecture name -> the constructor arguments it takes (checked on load).
ARCHITECTURES = {
    "resnet": ("blocks", "width", "in_channels", "num_classes", "stem", "input_size"),
    "wakeup-svm": ("C", "scale", "cell_size", "method", "standardize", "class_weight", "max_iter"),
}
_WEIGHTS_SUFFIX = {"resnet": ".pt", "wakeup-svm": ".npz"}
_SVM_ARRAYS = ("svm_coef", "svm_intercept", "coef", "intercept", "classes", "scaler_mean",
               "scaler_scale", "scaler_var")
_ZIP_MAGIC = b"PK\x03\x04"  # torch.save writes a zip archive
# The largest image side a saved model may take.
_MAX_IMAGE_SIDE = 16384


# --------------------------------------------------------------------------- front end
def build_frontend(name, options, sensor_config, seed):
    """The front end to emulate and the sensor config to pass with it.

    Without ``options`` that is the name itself (the emulation builds it on
    ``sensor_config``); with options, the object built by
    :func:`analogfe.frontend.make_frontend` (a digital front end carries its
    own sensor, so the sensor config is then None).

    Parameters
    ----------
    name : str
        A standard name, an import path or an entry-point name.
    options : dict
        Keyword arguments of the front end.
    sensor_config : SensorConfig
    seed : int
        Seed of the front end built with options.

    Returns
    -------
    frontend : str or front end object
    sensor_config : SensorConfig or None
    """
    if not isinstance(options, dict):
        raise TypeError(f"options must be a dict, got {type(options).__name__}")
    if not options:
        return name, sensor_config
    from ..frontend.log_gradient import LogGradientFrontEnd
    from ..frontend.registry import make_frontend

    fe = make_frontend(name, sensor_config=sensor_config, seed=seed, **options)
    return fe, (sensor_config if isinstance(fe, LogGradientFrontEnd) else None)


# --------------------------------------------------------------------------- the model
class SavedModel:
    """A reloaded model: a front end, its emulation and a classifier.

    Built by :func:`load_model`; ``predict`` and ``evaluate`` take sRGB
    images, emulate the saved front end on them (the saved sensor, signal,
    exposure mode and noise seed) and classify its output.

    Attributes
    ----------
    metadata : dict
        The JSON description.
    architecture : {"resnet", "wakeup-svm"}
    classes : list of str
        Class names; a label is an index into them.
    image_shape : (int, int)
        ``(H, W)`` the model takes.
    estimator : WakeUpClassifier or TrainedModel
        The rebuilt model.
    """

    def __init__(self, metadata, estimator):
        self.metadata = metadata
        self.architecture = metadata["architecture"]["name"]
        self.classes = [str(c) for c in metadata["classes"]]
        self.image_shape = tuple(metadata["image_shape"])
        self.estimator = estimator

    def __repr__(self):
        fe = self.metadata["frontend"]["name"]
        return (f"SavedModel({self.architecture!r}, frontend={fe!r}, "
                f"image_shape={self.image_shape}, classes={self.classes})")

    def _check(self, images):
        from .classifier import check_images

        X = check_images(images, "images")
        if tuple(X.shape[1:3]) != self.image_shape:
            raise ValueError(f"images are {X.shape[1]}x{X.shape[2]} but the model takes "
                             f"{self.image_shape[0]}x{self.image_shape[1]}")
        return X

    def prepare(self, image):
        """One sRGB image as the model takes it: resized to :attr:`image_shape`,
        and gray or RGB as the training images were.

        Parameters
        ----------
        image : (H, W) or (H, W, 3) ndarray of uint8

        Returns
        -------
        (H', W') or (H', W', 3) ndarray of uint8
        """
        from ..scene.io import resize_image

        image = np.asarray(image)
        if image.dtype != np.uint8 or image.ndim not in (2, 3) \
                or (image.ndim == 3 and image.shape[-1] != 3):
            raise ValueError(f"image must be 8-bit sRGB (H, W) or (H, W, 3), got {image.dtype} "
                             f"{image.shape}")
        channels = self.metadata.get("image_channels")
        if channels == 1 and image.ndim == 3:
            luma = image.astype(np.float64) @ np.array([0.2126, 0.7152, 0.0722])  # Rec. 709
            image = np.clip(np.rint(luma), 0, 255).astype(np.uint8)
        elif channels == 3 and image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=-1)
        return resize_image(image, self.image_shape)

    def label_name(self, label):
        """The class name of a predicted label (the label itself if it is no index)."""
        if isinstance(label, (int, np.integer)) and 0 <= int(label) < len(self.classes):
            return self.classes[int(label)]
        return str(label)

    def predict(self, images, *, device=None):
        """Predicted labels of sRGB images.

        Parameters
        ----------
        images : (N, H, W) or (N, H, W, 3) array_like
            uint8 sRGB images of :attr:`image_shape`.
        device : str, optional
            Torch device of the ResNet (CUDA when present if None).

        Returns
        -------
        labels : (N,) ndarray
        """
        X = self._check(images)
        if self.architecture == "wakeup-svm":
            return self.estimator.predict(X)
        return self._resnet_logits(X, device).argmax(1).numpy().astype(np.int64)

    def scores(self, images, *, device=None):
        """The score behind each prediction.

        Parameters
        ----------
        images : (N, H, W) or (N, H, W, 3) array_like
            uint8 sRGB images of :attr:`image_shape`.
        device : str, optional
            Torch device of the ResNet.

        Returns
        -------
        scores : ndarray
            ResNet: ``(N, n_classes)`` softmax outputs (they sum to 1 but are not
            calibrated probabilities). SVM: the signed distance to the
            hyperplane, ``(N,)`` for two classes (positive: the second class,
            ``classes[1]``), else ``(N, n_classes)``.
        """
        X = self._check(images)
        if self.architecture == "wakeup-svm":
            return np.asarray(self.estimator.decision_function(X))
        import torch

        return torch.softmax(self._resnet_logits(X, device).double(), 1).numpy()

    def _resnet_logits(self, X, device):
        """The ResNet's outputs on checked images, in the batches of
        :func:`analogfe.learn.train.evaluate`."""
        import torch
        from torch.utils.data import DataLoader, TensorDataset

        from .encodings import InputEncoder
        from .experiments import emulate_dataset
        from .train import pick_device

        tm = self.estimator
        packed, _ = emulate_dataset(X, tm.frontend, tm.encoding, signal_e=tm.signal_e,
                                    sensor_config=tm.sensor_config, seed=self.metadata["seed"],
                                    exposure=tm.exposure)
        loader = DataLoader(TensorDataset(packed), batch_size=256)
        device = pick_device(device)
        tm.model.to(device).eval()
        enc = InputEncoder(tm.encoding, tm.levels).to(device).eval()
        with torch.no_grad():
            return torch.cat([tm.model(enc(x.to(device))).float().cpu() for (x,) in loader])

    def evaluate(self, images, labels, *, classes=None, device=None):
        """Accuracy on labelled sRGB images, with its 95 % Wilson interval.

        Parameters
        ----------
        images : (N, H, W) or (N, H, W, 3) array_like
        labels : (N,) array_like of int
            Label ``i`` is class ``classes[i]``.
        classes : sequence of str, optional
            The class names of the labels, when they are not the model's
            (another dataset may order the same classes differently): labels
            are translated by name.
        device : str, optional

        Returns
        -------
        dict
            ``accuracy``, ``n``, ``correct``, ``low``, ``high``
            (:func:`analogfe.learn.stats.accuracy_interval`) and ``y_pred``.

        Raises
        ------
        ValueError
            Labels of another length than the images, or ``classes`` that
            name a class the model does not know.
        """
        from .stats import accuracy_interval

        labels = np.asarray(labels)
        if labels.ndim != 1 or len(labels) != len(images):
            raise ValueError(f"labels must be 1-D with one label per image, got shape "
                             f"{labels.shape} for {len(images)} images")
        if classes is not None:
            labels = self._translate(labels, [str(c) for c in classes])
        y_pred = self.predict(images, device=device)
        out = accuracy_interval(labels, y_pred)
        out["y_pred"] = y_pred
        return out

    def _translate(self, labels, classes):
        unknown = [c for c in classes if c not in self.classes]
        if unknown:
            raise ValueError(f"classes {unknown} are not the model's ({', '.join(self.classes)})")
        if labels.dtype.kind not in "iu" or labels.min() < 0 or labels.max() >= len(classes):
            raise ValueError(f"labels must be indices into classes (0..{len(classes) - 1})")
        return np.array([self.classes.index(c) for c in classes])[labels]


# --------------------------------------------------------------------------- save
def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _exposure_description(exposure):
    from ..sensor.exposure import exposure_key

    return exposure_key(exposure)


def save_model(path, model, *, frontend, sensor_config, frontend_seed=0, options=None,
               classes, seed=None, image_shape=None, image_channels=None, training=None):
    """Save a trained model as a JSON description and a weights file beside it.

    Parameters
    ----------
    path : path
        The description, ending in ``.json``; the weights go beside it with
        the suffix ``.pt`` (ResNet) or ``.npz`` (wake-up SVM).
    model : WakeUpClassifier or TrainedModel
        A fitted wake-up classifier or a trained ResNet.
    frontend : str
        The front end's name (standard, import path or entry point).
    sensor_config : SensorConfig
        The sensor the front end was built on (:func:`build_frontend`).
    frontend_seed : int
        The seed the front end was built with (used with ``options``).
    options : dict, optional
        The front end's options.
    classes : sequence of str
        Class names; label ``i`` is ``classes[i]``.
    seed : int, optional
        Noise seed of the emulation when predicting: a wake-up classifier's
        own ``seed`` if None; for a ResNet, the seed its test accuracy was
        measured with.
    image_shape : (int, int), optional
        ``(H, W)`` of the images the model takes; a wake-up classifier's own
        if None; needed for a ResNet.
    image_channels : {1, 3}, optional
        Whether it was trained on gray (1) or RGB (3) images; lets
        :meth:`SavedModel.prepare` convert an image of the other kind.
    training : dict, optional
        What it was trained on (dataset section, seed, accuracy ...), kept as
        it is for the reader.

    Returns
    -------
    path : Path
        The description.
    """
    from .._version import __version__
    from .classifier import WakeUpClassifier
    from .experiments import TrainedModel

    path = Path(os.fspath(path))
    if image_channels not in (None, 1, 3):
        raise ValueError(f"image_channels must be 1, 3 or None, got {image_channels!r}")
    if path.suffix != ".json":
        raise ValueError(f"path must end in .json, got {path.name!r}")
    options = dict(options or {})
    meta = {"format": FORMAT, "version": FORMAT_VERSION,
            "frontend": {"name": frontend, "options": options, "seed": int(frontend_seed)},
            "sensor": sensor_config.to_dict(), "classes": [str(c) for c in classes],
            "training": training or {}, "analogfe_version": __version__,
            "image_channels": None if image_channels is None else int(image_channels)}
    if isinstance(model, WakeUpClassifier):
        arch = "wakeup-svm"
        meta.update(architecture={"name": arch, "arguments": {k: model.get_params()[k]
                                                              for k in ARCHITECTURES[arch]}},
                    signal_e=model.signal_e, exposure=_exposure_description(model.exposure),
                    seed=int(model.seed if seed is None else seed),
                    image_shape=list(model.image_shape_),
                    n_features=int(model.n_hog_features_))
        weights = path.with_suffix(".npz")
        arrays = _svm_arrays(model)
        atomic_write(weights, lambda fh: np.savez(fh, **arrays))
    elif isinstance(model, TrainedModel):
        import torch

        arch = "resnet"
        if seed is None or image_shape is None:
            raise ValueError("seed and image_shape: a ResNet needs the noise seed its test accuracy "
                             "was measured with and the size of its images")
        meta.update(architecture={"name": arch, "arguments": dict(model.model.config)},
                    encoding=model.encoding, levels=int(model.levels), signal_e=model.signal_e,
                    exposure=_exposure_description(model.exposure), seed=int(seed),
                    image_shape=[int(v) for v in image_shape])
        weights = path.with_suffix(".pt")
        state = {k: v.detach().cpu() for k, v in model.model.state_dict().items()}
        atomic_write(weights, lambda fh: torch.save(state, fh))
    else:
        raise TypeError(f"model must be a WakeUpClassifier or a TrainedModel, got "
                        f"{type(model).__name__}")
    if len(meta["image_shape"]) != 2:
        raise ValueError(f"image_shape must be (height, width), got {image_shape!r}")
    meta["weights"] = {"file": weights.name, "sha256": _sha256(weights)}
    return atomic_write_json(path, meta)


def _svm_arrays(clf):
    scaler = clf.scaler_
    n = clf.n_hog_features_
    return {"svm_coef": clf.svm_.coef_, "svm_intercept": clf.svm_.intercept_,
            "coef": clf.coef_, "intercept": clf.intercept_, "classes": np.asarray(clf.classes_),
            "scaler_mean": scaler.mean_ if scaler is not None else np.zeros(n),
            "scaler_scale": scaler.scale_ if scaler is not None else np.ones(n),
            "scaler_var": scaler.var_ if scaler is not None else np.ones(n)}


# --------------------------------------------------------------------------- load
def _bad(path, why):
    return ValueError(f"{path}: {why}")


def _read_description(path):
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise _bad(path, "not a model description (not UTF-8 text)") from None
    except ValueError as exc:
        raise _bad(path, f"not a model description (invalid JSON: {exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise _bad(path, f"not a model description (no \"format\": \"{FORMAT}\")")
    if meta.get("version") != FORMAT_VERSION:
        raise _bad(path, f"model format version {meta.get('version')!r} is not supported "
                         f"(this analogfe reads version {FORMAT_VERSION})")
    need = {"architecture": dict, "frontend": dict, "sensor": dict, "classes": list,
            "image_shape": list, "weights": dict, "exposure": (str, dict), "seed": int}
    for key, kind in need.items():
        if not isinstance(meta.get(key), kind):
            raise _bad(path, f"model description lacks a valid {key!r}")
    arch = meta["architecture"]
    name = arch.get("name")
    if name not in ARCHITECTURES:
        raise _bad(path, f"unknown architecture {name!r}; valid: "
                         f"{', '.join(repr(a) for a in ARCHITECTURES)}")
    args = arch.get("arguments")
    if not isinstance(args, dict) or set(args) != set(ARCHITECTURES[name]):
        raise _bad(path, f"architecture {name!r} takes the arguments "
                         f"{', '.join(ARCHITECTURES[name])}")
    if len(meta["classes"]) < 2:
        raise _bad(path, "model description needs two classes")
    shape = meta["image_shape"]
    if len(shape) != 2 or not all(_is_int(v, 1, _MAX_IMAGE_SIDE) for v in shape):
        raise _bad(path, f"image_shape must be [height, width] of ints in 1..{_MAX_IMAGE_SIDE}, "
                         f"got {shape!r}")
    if meta.get("image_channels") not in (None, 1, 3) or isinstance(meta.get("image_channels"), bool):
        raise _bad(path, f"image_channels must be 1, 3 or null, got {meta.get('image_channels')!r}")
    for where, seed in (("seed", meta["seed"]), ("frontend seed", meta["frontend"].get("seed", 0))):
        if not _is_int(seed, 0, 2 ** 63 - 1):
            raise _bad(path, f"{where} must be an int in 0..2**63-1, got {seed!r}")
    return meta


def _is_int(v, low, high):
    return isinstance(v, int) and not isinstance(v, bool) and low <= v <= high


def _weights_path(path, meta):
    w = meta["weights"]
    name, digest = w.get("file"), w.get("sha256")
    suffix = _WEIGHTS_SUFFIX[meta["architecture"]["name"]]
    if not isinstance(name, str) or Path(name).name != name or name.startswith(".") \
            or not name.endswith(suffix):
        raise _bad(path, f"weights must be a {suffix} file beside the description, got {name!r}")
    wpath = path.parent / name
    if not wpath.is_file():
        raise FileNotFoundError(f"weights file not found: {wpath}")
    if _sha256(wpath) != digest:
        raise _bad(wpath, "checksum does not match the model description (changed or foreign)")
    return wpath


def _load_state_dict(wpath):
    import torch

    with open(wpath, "rb") as fh:
        if fh.read(4) != _ZIP_MAGIC:
            raise _bad(wpath, "not a torch state dict (not a torch.save zip archive)")
    try:
        state = torch.load(wpath, map_location="cpu", weights_only=True)
    except Exception as exc:  # a foreign file can fail in any way; never unpickle it further
        msg = " ".join(str(exc).split())[:200]
        raise _bad(wpath, f"refused as a torch state dict ({type(exc).__name__}: {msg})") from None
    if not isinstance(state, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                              for k, v in state.items()):
        raise _bad(wpath, "not a state dict of tensors")
    return state


def _load_arrays(wpath, n_features):
    import zipfile

    try:
        with np.load(wpath, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise _bad(wpath, f"refused as SVM arrays ({' '.join(str(exc).split())[:200]})") from None
    missing = [k for k in _SVM_ARRAYS if k not in arrays]
    if missing:
        raise _bad(wpath, f"SVM arrays lack {', '.join(missing)}")
    if any(arrays[k].dtype.kind not in "fiu" for k in _SVM_ARRAYS if k != "classes") \
            or arrays["classes"].dtype.kind not in "iuU":
        raise _bad(wpath, "SVM arrays of an unexpected dtype")
    bad = [k for k in _SVM_ARRAYS if k != "classes" and not np.isfinite(arrays[k]).all()]
    if bad:
        raise _bad(wpath, f"SVM arrays hold NaN or infinite values ({', '.join(bad)})")
    if arrays["svm_coef"].shape[-1] != n_features or arrays["scaler_mean"].shape != (n_features,):
        raise _bad(wpath, f"SVM arrays do not have the {n_features} features of the description")
    return arrays


def _sensor(path, meta):
    from ..sensor.model import SensorConfig

    try:
        return SensorConfig.from_dict(dict(meta["sensor"]))
    except (TypeError, ValueError) as exc:
        raise _bad(path, f"sensor: {exc}") from None


def _exposure(path, meta):
    from ..sensor.exposure import AutoExposure

    e = meta["exposure"]
    if e == "fixed":
        return "fixed"
    try:
        return AutoExposure(**e)
    except (TypeError, ValueError) as exc:
        raise _bad(path, f"exposure: {exc}") from None


def _rebuild_svm(meta, wpath, fe, fe_sc, exposure):
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    from .classifier import WakeUpClassifier

    args = meta["architecture"]["arguments"]
    n = meta.get("n_features")
    if not isinstance(n, int) or n < 1:
        raise _bad(wpath, "model description lacks n_features")
    a = _load_arrays(wpath, n)
    clf = WakeUpClassifier(frontend=fe, sensor_config=fe_sc, seed=meta["seed"],
                           signal_e=meta["signal_e"], exposure=exposure, **args)
    clf._check_params()
    svm = LinearSVC(C=args["C"], class_weight=args["class_weight"], max_iter=args["max_iter"],
                    random_state=0)
    svm.coef_, svm.intercept_, svm.classes_ = a["svm_coef"], a["svm_intercept"], a["classes"]
    svm.n_features_in_ = n
    scaler = None
    if args["standardize"]:
        scaler = StandardScaler()
        scaler.mean_, scaler.scale_, scaler.var_ = a["scaler_mean"], a["scaler_scale"], a["scaler_var"]
        scaler.n_features_in_ = n
    clf.svm_, clf.scaler_, clf.coef_, clf.intercept_ = svm, scaler, a["coef"], a["intercept"]
    clf.classes_ = a["classes"]
    clf.image_shape_ = tuple(int(v) for v in meta["image_shape"])
    clf.n_hog_features_ = n
    return clf


def _rebuild_resnet(path, meta, wpath, fe, fe_sc, exposure):
    from .encodings import InputEncoder
    from .experiments import TrainedModel
    from .models import ResNet

    args = dict(meta["architecture"]["arguments"])
    if not isinstance(args["blocks"], list):
        raise _bad(path, "architecture argument blocks must be a list")
    args["blocks"] = tuple(args["blocks"])
    try:
        model = ResNet(**args)
        InputEncoder(meta.get("encoding"), meta.get("levels"))  # checks both
    except (TypeError, ValueError) as exc:
        raise _bad(path, str(exc)) from None
    if args["num_classes"] != len(meta["classes"]):
        raise _bad(path, f"num_classes {args['num_classes']} but {len(meta['classes'])} classes")
    try:
        model.load_state_dict(_load_state_dict(wpath), strict=True)
    except RuntimeError as exc:
        raise _bad(wpath, "weights do not fit the architecture of the description "
                          f"({' '.join(str(exc).split())[:200]})") from None
    model.eval()
    return TrainedModel(fe, meta["encoding"], meta["levels"], model, meta["signal_e"], fe_sc,
                        exposure=exposure)


def load_model(path, *, allow_import=False):
    """Reload a model saved by :func:`save_model` (``analogfe train``).

    Parameters
    ----------
    path : path
        The JSON description (``<model>-<front end>.model.json``).
    allow_import : bool
        Whether a front end named by an import path ``"package.module:Class"``
        in the description may be imported (default False: only standard
        names, entry points of installed plug-ins and plug-ins this process
        already registered). Pass True only for a description you trust.

    Returns
    -------
    SavedModel

    Raises
    ------
    FileNotFoundError
        The description or its weights file does not exist.
    ValueError
        Not a model description, an unknown architecture or front end, a
        weights file of another format (a pickle, say), another checksum or
        shape than the description's.

    Examples
    --------
    >>> m = load_model("train-out/resnet10-lg1.5.model.json")   # doctest: +SKIP
    >>> m.predict(images)                                        # doctest: +SKIP
    array([1, 0, 1])
    """
    from ..frontend.registry import frontend_spec
    from ..learn.experiments import default_signal_e

    path = Path(os.fspath(path))
    if not path.is_file():
        raise FileNotFoundError(f"model file not found: {path}")
    meta = _read_description(path)
    wpath = _weights_path(path, meta)
    fr = meta["frontend"]
    if not isinstance(fr.get("name"), str) or not isinstance(fr.get("options", {}), dict) \
            or not isinstance(fr.get("seed", 0), int):
        raise _bad(path, "frontend must give name (str), options (table) and seed (int)")
    try:
        frontend_spec(fr["name"], "frontend", allow_import=allow_import)
    except ValueError as exc:
        raise _bad(path, str(exc)) from None
    sc = _sensor(path, meta)
    fe, fe_sc = build_frontend(fr["name"], fr.get("options", {}), sc, fr.get("seed", 0))
    signal = meta.get("signal_e")
    if signal is None:  # the emulation's default: the full well of the saved sensor
        meta["signal_e"] = default_signal_e(sc)
    elif isinstance(signal, bool) or not isinstance(signal, (int, float)) or not signal > 0:
        raise _bad(path, f"signal_e must be a number of electrons > 0, got {signal!r}")
    exposure = _exposure(path, meta)
    if meta["architecture"]["name"] == "wakeup-svm":
        est = _rebuild_svm(meta, wpath, fe, fe_sc, exposure)
    else:
        est = _rebuild_resnet(path, meta, wpath, fe, fe_sc, exposure)
    return SavedModel(meta, est)
