"""A torch ``Dataset`` that emulates sensor + front end on the fly, with a disk cache.

Each item is one image pushed through :func:`analogfe.frontend.emulate`
(unprocess, sensor exposure with its noise, front end). Emulation is the slow
part of training on front-end outputs, so outputs can be kept in an on-disk
cache: one compressed ``.npz`` file per item, named by a SHA-256 over

* the image bytes, shape and dtype,
* the front end's configuration (its name or its class and public attributes),
* the sensor configuration (``SensorConfig.to_dict()``),
* the item's seed, the brightness, the signal level and the exposure mode,
* the package version and the cache format.

Every entry is written to a temporary file in the cache folder and moved into
place with :func:`os.replace`, which is atomic on POSIX and Windows: an
interrupted run leaves either the whole entry or none (plus, at worst, a
``*.tmp`` file that is never read). An entry that cannot be read back, or whose
stored key differs from the expected one, is recomputed and rewritten.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np
import torch.utils.data

from .._io import atomic_write
from .._validation import check_array, check_float, check_int
from ..frontend.codes import GradientCodes
from ..frontend.registry import emulate
from ..sensor.exposure import exposure_key
from .encodings import encode

__all__ = ["EmulatedDataset", "item_seed", "codes_to_array", "CACHE_FORMAT"]

#: Bumped whenever the layout of a cache entry changes.
CACHE_FORMAT = 2  # 2: classes named by their module paths in the stage layout


def item_seed(seed, index):
    """The seed of item ``index``: a function of ``(seed, index)`` only.

    Drawn from ``numpy.random.SeedSequence([seed, index])`` so that nearby
    indices get unrelated streams and the result does not depend on the order
    in which items are read (shuffling, several DataLoader workers).
    """
    state = np.random.SeedSequence([int(seed), int(index)]).generate_state(1, np.uint64)[0]
    return int(state >> np.uint64(1))


def codes_to_array(output, scale_index=0):
    """One frame's front-end output as a numpy array, for a ``transform``.

    Parameters
    ----------
    output : GradientCodes or ndarray
        Front-end output of one frame.
    scale_index : int
        Which scale of a :class:`~analogfe.frontend.GradientCodes` to take
        (0 = the finest).

    Returns
    -------
    array : ndarray
        ``(2, H_s, W_s)`` int8 ``[dx, dy]`` for gradient codes; an image is
        returned unchanged (``(H, W)`` or ``(H, W, 3)`` uint8).
    """
    if hasattr(output, "dx") and hasattr(output, "dy"):
        n = len(output.dx)
        scale_index = check_int(scale_index, "scale_index", low=-n, high=n - 1)
        return np.stack([np.asarray(output.dx[scale_index]), np.asarray(output.dy[scale_index])])
    return np.asarray(output)


def _describe(value, depth=0):
    """A JSON-serialisable stand-in for a configuration value, or ``_SKIP``."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if isinstance(value, np.ndarray):
        return {"array": hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest(),
                "shape": list(value.shape), "dtype": str(value.dtype)}
    if depth > 3:
        return _SKIP
    if isinstance(value, (tuple, list)):
        items = [_describe(v, depth + 1) for v in value]
        return _SKIP if any(i is _SKIP for i in items) else items
    if isinstance(value, dict):
        items = {str(k): _describe(v, depth + 1) for k, v in value.items()}
        return {k: v for k, v in sorted(items.items()) if v is not _SKIP}
    if hasattr(value, "to_dict"):
        return _describe(value.to_dict(), depth + 1)
    if hasattr(value, "__dict__") and not callable(value):
        # a nested object (e.g. the Sensor of a digital front end)
        cls = type(value)
        attrs = {k: v for k, v in vars(value).items() if not k.startswith("_")}
        return {"class": _qualified(cls), **_describe(attrs, depth + 1)}
    return _SKIP


_SKIP = object()


def _qualified(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


# The dataclass outputs a cache entry may be decoded into: a cache entry names
# one of these, never a callable of its choice.
_OUTPUT_TYPES = {_qualified(GradientCodes): GradientCodes}


def frontend_config(frontend):
    """A JSON-able description of a front end (name or object) for cache keys.

    A name stands for itself; an object is described by its class and every
    public attribute that is a number, string, sequence, dict, array (hashed)
    or configuration with ``to_dict`` (e.g. a digital front end's sensor).
    """
    if isinstance(frontend, str):
        return {"name": frontend}
    cls = type(frontend)
    public = {k: v for k, v in getattr(frontend, "__dict__", {}).items() if not k.startswith("_")}
    name = getattr(frontend, "name", None)
    return {"class": _qualified(cls),
            "name": name if isinstance(name, str) else None, "attrs": _describe(public)}


def _encode_output(output):
    """Front-end output -> (dict of arrays for np.savez, JSON meta)."""
    if dataclasses.is_dataclass(output):
        arrays, meta = {}, {"type": "dataclass", "fields": {}}
        for f in dataclasses.fields(output):
            value = getattr(output, f.name)
            if isinstance(value, (list, tuple)) and value and all(isinstance(v, np.ndarray) for v in value):
                for i, v in enumerate(value):
                    arrays[f"{f.name}__{i}"] = v
                meta["fields"][f.name] = {"arrays": len(value), "tuple": isinstance(value, tuple)}
            elif isinstance(value, np.ndarray):
                arrays[f.name] = value
                meta["fields"][f.name] = {"array": True}
            else:
                meta["fields"][f.name] = {"value": _describe(value),
                                          "tuple": isinstance(value, tuple)}
        return arrays, meta
    return {"output": np.asarray(output)}, {"type": "array"}


def _decode_output(arrays, meta, output_type):
    if meta["type"] == "array":
        return arrays["output"]
    kwargs = {}
    for name, spec in meta["fields"].items():
        if "arrays" in spec:
            values = [arrays[f"{name}__{i}"] for i in range(spec["arrays"])]
            kwargs[name] = tuple(values) if spec["tuple"] else values
        elif spec.get("array"):
            kwargs[name] = arrays[name]
        else:
            v = spec["value"]
            kwargs[name] = tuple(v) if spec["tuple"] and isinstance(v, list) else v
    return output_type(**kwargs)


def _add_batch_axis(output):
    """One frame's output -> a stack of one frame (what ``encode`` takes)."""
    if dataclasses.is_dataclass(output) and hasattr(output, "dx"):
        return dataclasses.replace(output, dx=[d[None] for d in output.dx],
                                   dy=[d[None] for d in output.dy])
    return np.asarray(output)[None]


class EmulatedDataset(torch.utils.data.Dataset):
    """Images -> emulated sensor + front end, item by item, optionally cached.

    Parameters
    ----------
    images : (N, H, W) or (N, H, W, 3) uint8 array, or sequence of such images
        sRGB images (sizes may differ when given as a sequence).
    labels : (N,) array_like of int
    frontend : str or front-end object
        A name of :data:`analogfe.frontend.FRONTENDS` (``"rgb8"``, ``"gray8"``,
        ``"lg1.5"``, ``"lg2.75"``) or an object such as
        :class:`~analogfe.LogGradientFrontEnd`.
    sensor_config : SensorConfig, optional
        Passed to :func:`~analogfe.frontend.emulate`; its height and width
        follow each image when not given.
    seed : int
        Base seed; item ``i`` uses :func:`item_seed(seed, i) <item_seed>`, so
        an item's noise does not depend on the order items are read. (Each
        item is thereby a different draw of the sensor, fixed-pattern noise
        included.) A front-end *object* that carries its own sensor (a
        ``DigitalFrontEnd``) keeps that sensor's state between calls, so its
        temporal noise does depend on the order: pass a front-end name for
        order-independent items.
    brightness : float
        Factor on the electrons before the front end (e.g. ``2**k``), clipped
        at the full well by the emulation.
    exposure : {"auto", "fixed"} or AutoExposure
        Auto-exposure of the emulation (:func:`~analogfe.frontend.emulate`),
        per image; part of the cache key.
    signal_e : float or (N,) array_like, optional
        Electrons per unit linear scene value, one for all items or one per
        item (e.g. :meth:`WakeupScenes.signal_e`); None uses emulate's default.
    cache_dir : str or path-like, optional
        Folder of the on-disk cache (created if missing); None disables it.
    encoding : str, optional
        Turn the output into a tensor with ``analogfe.encode(output,
        encoding)`` and drop the batch axis: ``x`` is then ``(C, H, W)``.
    transform : callable, optional
        Applied last to ``x`` (e.g. :func:`codes_to_array`).

    Notes
    -----
    ``dataset[i]`` returns ``(x, y)`` with ``y`` an ``int`` and ``x``, without
    ``encoding`` or ``transform``, the front end's raw output for one frame: a
    :class:`~analogfe.frontend.GradientCodes` whose ``dx[s]``/``dy[s]`` are
    ``(H_s, W_s)`` int8 arrays (one per scale; scales have different sizes, so
    they are not stacked), or a uint8 image ``(H, W)`` / ``(H, W, 3)`` for the
    digital front ends. Use ``transform=codes_to_array`` for a ``(2, H, W)``
    int8 array of the finest scale, or ``encoding=`` for a tensor, before a
    ``DataLoader``'s default collation.

    Several ``DataLoader`` workers (or processes) may share one cache folder:
    each writes its own temporary file and the last ``os.replace`` of an
    entry wins, with identical content.

    Examples
    --------
    >>> from analogfe.data import load_lfw, EmulatedDataset, codes_to_array
    >>> split = load_lfw(size=32)
    >>> ds = EmulatedDataset(split.X_train, split.y_train, "lg1.5",
    ...                      transform=codes_to_array)       # doctest: +SKIP
    >>> x, y = ds[0]                                          # doctest: +SKIP
    """

    def __init__(self, images, labels, frontend, *, sensor_config=None, seed=0,
                 brightness=1.0, signal_e=None, cache_dir=None, encoding=None, transform=None,
                 exposure="auto"):
        if isinstance(images, np.ndarray):
            arr = check_array(images, "images", ndim=(3, 4), kinds="u", dtype=np.uint8)
            self.images = list(arr)
        else:
            self.images = [check_array(im, f"images[{i}]", ndim=(2, 3), kinds="u", dtype=np.uint8)
                           for i, im in enumerate(images)]
        self.labels = check_array(labels, "labels", ndim=1, kinds="iub", dtype=np.int64)
        if len(self.labels) != len(self.images):
            raise ValueError(
                f"labels must have one entry per image, got {len(self.labels)} labels "
                f"for {len(self.images)} images"
            )
        if not isinstance(frontend, str) and not callable(frontend):
            raise TypeError(f"frontend must be a name or a front-end object, got {frontend!r}")
        self.frontend = frontend
        self.sensor_config = sensor_config
        self.seed = check_int(seed, "seed", low=0)
        self.brightness = check_float(brightness, "brightness", low=0.0, low_open=True)
        # the key names the mode and, for auto-exposure, every AE parameter
        self._exposure_key = exposure_key(exposure)
        self.exposure = exposure
        if signal_e is None:
            self.signal_e = None
        else:
            s = check_array(signal_e, "signal_e", ndim=(0, 1), dtype=np.float64, nonnegative=True)
            if s.ndim == 1 and len(s) != len(self.images):
                raise ValueError(f"signal_e must be a scalar or have {len(self.images)} entries, "
                                 f"got {len(s)}")
            self.signal_e = s
        self.cache_dir = None if cache_dir is None else Path(os.fspath(cache_dir))
        if self.cache_dir is not None:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
        if transform is not None and not callable(transform):
            raise TypeError(f"transform must be callable, got {transform!r}")
        self.encoding = encoding
        self.transform = transform
        self._fe_config = frontend_config(frontend)
        cfg = sensor_config.to_dict() if hasattr(sensor_config, "to_dict") else sensor_config
        described = _describe(cfg)
        self._sensor_config = repr(cfg) if described is _SKIP else described
        self.cache_hits = 0
        self.cache_misses = 0

    def __len__(self):
        return len(self.images)

    # -- emulation ---------------------------------------------------------
    def _signal(self, index):
        if self.signal_e is None:
            return None
        return float(self.signal_e if self.signal_e.ndim == 0 else self.signal_e[index])

    def cache_key(self, index):
        """Hex SHA-256 naming the cache entry of item ``index``."""
        from .. import __version__

        image = self.images[index]
        h = hashlib.sha256()
        h.update(image.tobytes())
        meta = {
            "format": CACHE_FORMAT,
            "version": __version__,
            "shape": list(image.shape),
            "dtype": str(image.dtype),
            "frontend": self._fe_config,
            "sensor_config": self._sensor_config,
            "seed": item_seed(self.seed, index),
            "brightness": self.brightness,
            "signal_e": self._signal(index),
            "exposure": self._exposure_key,
        }
        h.update(json.dumps(meta, sort_keys=True, default=str).encode())
        return h.hexdigest()

    def _compute(self, index):
        kwargs = {"sensor_config": self.sensor_config, "seed": item_seed(self.seed, index),
                  "brightness": self.brightness, "exposure": self.exposure}
        signal = self._signal(index)
        if signal is not None:
            kwargs["signal_e"] = signal
        return emulate(self.images[index], self.frontend, **kwargs)

    def _cache_path(self, key):
        return self.cache_dir / key[:2] / f"{key}.npz"

    def _read(self, path, key):
        """The cached output, or None when absent, unreadable or not this key's."""
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
            meta = json.loads(bytes(arrays.pop("__meta__")).decode())
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error,
                UnicodeDecodeError, NotImplementedError):
            # (zipfile raises NotImplementedError for a corrupted version or
            # compression field of an entry)
            return None
        if meta.get("key") != key:
            return None
        return arrays, meta

    def _write(self, path, key, output):
        arrays, meta = _encode_output(output)
        meta["key"] = key
        if meta["type"] == "dataclass":
            meta["class"] = _qualified(type(output))
        arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        atomic_write(path, lambda fh: np.savez_compressed(fh, **arrays))

    def emulated(self, index):
        """The front-end output of item ``index`` (from the cache when present)."""
        index = check_int(index, "index", low=-len(self), high=len(self) - 1) % len(self)
        if self.cache_dir is None:
            return self._compute(index)
        key = self.cache_key(index)
        path = self._cache_path(key)
        hit = self._read(path, key)
        if hit is not None:
            arrays, meta = hit
            output_type = None
            if meta["type"] == "dataclass":  # only the output types analogfe knows, by full name
                output_type = _OUTPUT_TYPES.get(meta.get("class"))
            if meta["type"] == "array" or output_type is not None:
                try:
                    out = _decode_output(arrays, meta, output_type)
                except (TypeError, KeyError, ValueError):
                    out = None  # stale layout: recompute below
                if out is not None:
                    self.cache_hits += 1
                    return out
        self.cache_misses += 1
        output = self._compute(index)
        self._write(path, key, output)
        return output

    def __getitem__(self, index):
        output = self.emulated(index)
        x = output
        if self.encoding is not None:

            x = encode(_add_batch_axis(output), self.encoding)[0]
        if self.transform is not None:
            x = self.transform(x)
        return x, int(self.labels[index])
