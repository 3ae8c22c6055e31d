"""Configuration of analogfe runs: a validated nested dict, read from TOML.

:data:`SCHEMA` lists every section and key with its default and its check,
:data:`SCHEMA_HELP` what each key means; :func:`config_toml` writes a
configuration (the defaults by default) back as TOML;
:func:`load_config` reads a TOML file (or a dict), rejects unknown sections
and keys with a message that lists the valid ones, checks every value, and
fills in the defaults. The ``sensor`` section holds
:class:`analogfe.sensor.SensorConfig` fields and is checked by it.
:func:`config_hash` keys stored results; :func:`derive_seed` gives each task a
seed that depends only on what the task is.
"""
from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

from .._validation import check_choice, check_float, check_int, check_keys
from ..features.histograms import HOG_METHODS
from ..learn.selection import C_GRID

__all__ = [
    "SCHEMA",
    "SCHEMA_HELP",
    "SECTIONS",
    "config_toml",
    "default_config",
    "load_config",
    "config_hash",
    "derive_seed",
    "task_seed",
]


# --------------------------------------------------------------------------- validators
def _int(low=None, high=None):
    return lambda v, name: check_int(v, name, low=low, high=high)


def _float(low=None, high=None, low_open=False):
    return lambda v, name: check_float(v, name, low=low, high=high, low_open=low_open)


def _bool(v, name):
    if not isinstance(v, bool):
        raise TypeError(f"{name} must be true or false, got {v!r}")
    return v


def _str(v, name):
    if not isinstance(v, str) or not v:
        raise TypeError(f"{name} must be a non-empty string, got {v!r}")
    return v


def _choice(choices):
    return lambda v, name: check_choice(v, name, choices)


def _list_of(item, min_len=1):
    def check(v, name):
        if not isinstance(v, (list, tuple)) or len(v) < min_len:
            raise TypeError(f"{name} must be a list of at least {min_len} item(s), got {v!r}")
        return [item(x, f"{name}[{i}]") for i, x in enumerate(v)]
    return check


def _size(v, name):
    if v in (None, [], ()):
        return []
    if not isinstance(v, (list, tuple)) or len(v) != 2:
        raise TypeError(f"{name} must be [] or [height, width], got {v!r}")
    return [_int(8, 4096)(x, f"{name}[{i}]") for i, x in enumerate(v)]


def _table(v, name):
    if not isinstance(v, dict):
        raise TypeError(f"{name} must be a table, got {v!r}")
    return dict(v)


def _auto_or(check):
    def wrapped(v, name):
        if v == "auto":
            return v
        if isinstance(v, str):
            raise ValueError(f"{name} must be \"auto\" or a number, got {v!r}")
        return check(v, name)
    return wrapped


_signal = _auto_or(_float(1.0, 1e7))


def _frontend_options(v, name):
    from ..frontend.registry import frontend_spec, is_import_path, make_frontend

    v = _table(v, name)
    for fe, kw in v.items():
        _table(kw, f"{name}.{fe}")
        for key in _RUN_SET:
            if key in kw:
                raise ValueError(f"{name}.{fe}.{key} is set by the run ({_RUN_SET[key]}); "
                                 "remove it from the options")
        if is_import_path(fe):  # imported when the run names it: checked by its class then
            continue
        spec = frontend_spec(fe, f"{name} front end")  # a standard name or an entry point
        keys = spec.option_keys()
        if keys is not None:
            check_keys(kw, keys, "front-end option", prefix=f"{name}.{fe}.")
        try:  # every value checked now, not when the front end is first built in a run
            make_frontend(fe, **kw)
        except (ValueError, TypeError) as exc:
            raise type(exc)(f"{name}.{fe}: {exc}") from None
    return v


#: Front-end keywords that a run sets itself, never taken from the options.
_RUN_SET = {"seed": "derived from --seed and the front end",
            "sensor_config": "the [sensor] section", "sensor": "the [sensor] section"}


def _cost_options(v, name):
    from ..system.model import CostParams

    v = _table(v, name)
    check_keys(v, CostParams.keys(), "config key", prefix=f"{name}.")
    try:  # every value checked now, not when the first cost is computed after training
        CostParams(**v)
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"{name}: {exc}") from None
    return v


def _baselines(v, name):
    from ..system.baseline import BASELINES

    names = _list_of(_choice(tuple(BASELINES)))(v, name)
    if len(set(names)) != len(names):
        raise ValueError(f"{name} lists a baseline twice: {names}")
    return names


def _frontend_name(v, name):
    from ..frontend.registry import frontend_spec

    # a standard name, or a front end of your own by import path or entry point:
    # imported and registered
    frontend_spec(_str(v, name), name)
    return v


def _budgets(v, name):
    from ..learn.budget import RESOURCES

    v = _table(v, name)
    if not v:
        raise ValueError(f"{name} must name at least one budget, e.g. {{ energy_uj = 0.8 }}; "
                         f"resources: {', '.join(RESOURCES)}")
    check_keys(v, tuple(RESOURCES), "budget resource", prefix=f"{name}.")
    for k, b in v.items():
        check_float(b, f"{name}.{k}", low=0.0, low_open=True)
    return v


def _moves(v, name):
    from ..learn.budget import MOVES

    v = _list_of(_str)(v, name)
    for m in v:
        check_choice(m, name, MOVES)
    return v


# The schema: section -> key -> (default, validator). The ``sensor`` section
# holds SensorConfig fields and is validated by SensorConfig itself.
SCHEMA = {
    "dataset": {
        # a registered name or a path; the default is the wake-up task (faces on natural
        # photographs, 800 scenes: about 550 test crops and 200 test scenes with boxes)
        "name": ("wakeup-scenes", _str),
        # the tasks compare runs while name is left at its default (--tasks, --dataset
        # or another name run one list or one task)
        "tasks": (["wakeup-scenes", "textures"], _list_of(_str)),
        "test_size": (0.25, _float(0.05, 0.9)),
        "max_images": (0, _int(0, None)),            # 0: every image
        "image_size": ([], _size),                   # [] native, or [height, width]
        "window": ("auto", _auto_or(_int(8, 1024))),  # image / crop size ("auto": the dataset's)
        "n_scenes": (800, _int(4, 100_000)),         # wake-up scenes generated (wakeup-scenes)
        # how a flat image folder is split: "none" (image by image) or "folder"
        # (root/<class>/<group>/<image>: whole groups on one side)
        "group_by": ("none", _choice(("none", "folder"))),
    },
    "scene": {
        "signal_e": ("auto", _signal),               # electrons for a scene value of 1.0
        "brightness_exponents": (list(range(-5, 4)), _list_of(_int(-12, 12))),
        # auto-exposure of the emulated camera (analogfe.sensor.AutoExposure): the
        # models train in this mode; the brightness sweep runs in both
        "exposure": ("auto", _choice(("auto", "fixed"))),
        "ae_target": (0.18, _float(0.0, 1.0, low_open=True)),   # 18 % grey (ISO 2720)
        "ae_max_gain": (16.0, _float(1.0, 1024.0)),             # analog gain 1-16x (AR0330)
        # each exposure mode's brightness sweep by a model trained in that mode (the
        # scene.exposure model tested in the other mode is a separate robustness row)
        "retrain_per_exposure": (True, _bool),
    },
    "frontends": {
        "names": (["rgb8", "gray8", "lg1.5", "lg2.75"], _list_of(_frontend_name)),
        "hog_method": ("fhog", _choice(tuple(HOG_METHODS))),
        "cell_size": ("auto", _auto_or(_int(2, 64))),
        "scale": (0, _int(0, 8)),                    # which scale's codes feed the HOG
        "options": ({}, _frontend_options),          # {name: {keyword: value}} per front end
        # ratio thresholds of the 1.5-bit front end's +-1 decision to evaluate beside the
        # formula's 2:1 (SVM accuracy and detector AP; [] for none)
        "threshold_sweep": ([1.25, 1.5], _list_of(_float(1.0, 100.0, low_open=True), min_len=0)),
    },
    "svm": {
        "C": ("auto", _auto_or(_float(0.0, 1e6, low_open=True))),
        "C_grid": (list(C_GRID), _list_of(_float(0.0, 1e6, low_open=True))),
        "max_iter": (20000, _int(10, 10**7)),
        # the detector of a dataset with boxes: rounds of hard-negative mining on the
        # training scenes (Dalal & Triggs' bootstrapping; 0: random negatives only)
        "hard_negative_rounds": (1, _int(0, 10)),
        "detector_C": (0.01, _float(0.0, 1e6, low_open=True)),  # the window SVM's C
    },
    "resnet": {
        "enabled": (True, _bool),
        "epochs": (15, _int(1, 10000)),
        "batch_size": (32, _int(1, 4096)),
        "lr": (3e-3, _float(0.0, 10.0, low_open=True)),
        "weight_decay": (1e-4, _float(0.0, 1.0)),
        "width": (16, _int(2, 512)),
        "patience": (0, _int(0, 10000)),             # early stopping; 0: off
        "threads": (1, _int(1, 256)),                # torch threads while training
        # the run's seeds the ResNet trains on ([] every one): the SVM and detector are
        # cheap and run on every seed, the ResNet on those that fit the time
        "seeds": ([0], _list_of(_int(0, 2**31 - 1), min_len=0)),
    },
    "cost": {
        "height": (240, _int(8, 16384)),             # the deployed sensor (QVGA default)
        "width": (320, _int(8, 16384)),
        "fps": (1.0, _float(0.0, 10000.0, low_open=True)),
        # the digital pipelines every ratio is taken against (system.BASELINES); the first
        # is the denominator of the main ratios and gives the 8-bit front ends their ADC;
        # every one gets an energy column
        "baselines": (["commercial-adc", "survey-adc"], _baselines),
        "options": ({}, _cost_options),              # CostParams overrides for system.cost
    },
    "compare": {
        # the main job's seeds (scenes, faces, split, noise, initialisation all follow
        # the seed); --seed or --seeds replace them
        "seeds": ([0, 1, 2], _list_of(_int(0, 2**31 - 1))),
        # the task x seed x front end grid runs on a local Dask cluster of this many
        # worker processes (one thread each); 1: in this process
        "n_workers": (2, _int(1, 256)),
    },
    "sweep": {
        "grid": ({}, _table),
        "base_frontend": ("lg1.5", _frontend_name),
        "model": ("svm", _choice(("svm", "resnet10"))),
        "n_workers": (2, _int(1, 1024)),
        "threads_per_worker": (1, _int(1, 256)),
        "processes": (False, _bool),
    },
    "budget": {
        # the front ends the search may use; the first is the initial network's
        "frontends": (["rgb8", "lg1.5"], _list_of(_frontend_name)),
        # resource -> budget (RESOURCES of analogfe.learn.budget); fractions of the
        # initial network's resources when relative (NetAdapt's budget ratio: 0.25)
        "budgets": ({"energy_uj": 0.25, "weight_bits": 0.25}, _budgets),
        "relative": (True, _bool),
        "initial_reduction": (0.025, _float(0.0, 1.0, low_open=True)),   # NetAdapt defaults
        "decay": (0.96, _float(0.0, 1.0, low_open=True)),
        "max_steps": (50, _int(1, 10000)),
        "short_term_iters": (40, _int(1, 10**6)),
        "long_term_epochs": (10, _int(0, 10000)),
        "moves": (["prune", "bits", "frontend"], _moves),
        "channel_step": (1, _int(1, 1024)),
        "min_channels": (2, _int(1, 1024)),
        "low_bits": (4, _int(2, 7)),
        "val_fraction": (0.2, _float(0.05, 0.9)),
        "weight_buffer_kib": (32, _int(1, 10**6)),
        "activation_buffer_kib": (32, _int(1, 10**6)),
        "latency_threads": (1, _int(1, 256)),
        "latency_repeats": (5, _int(1, 1000)),
        "throughput_batch": (16, _int(1, 4096)),
        "within_points": (1.0, _float(0.0, 100.0)),
    },
}
SECTIONS = tuple(SCHEMA) + ("sensor",)

#: One line per key of :data:`SCHEMA`: what it means, with its unit.
SCHEMA_HELP = {
    "dataset": {
        "name": "built-in name (wakeup-scenes, lfw, textures) or a dataset folder (VOC / PASCALRAW, "
                "image folder)",
        "test_size": "fraction of the images (wake-up scenes: of the scenes) held out for testing",
        "max_images": "keep a random subset of this many images (0: every image)",
        "image_size": "resize every image to [height, width] pixels ([]: native size)",
        "window": "image / crop size in pixels (\"auto\": the dataset's own)",
        "tasks": "the tasks compare runs when name is left at wakeup-scenes (each a built-in "
                 "name or a folder); a verdict table says which conclusions hold on which",
        "n_scenes": "wake-up scenes generated (wakeup-scenes only)",
        "group_by": "split of a flat image folder: \"none\" (image by image) or \"folder\" "
                    "(root/<class>/<group>/<image>, each group, e.g. a source photograph or an "
                    "identity, kept on one side); a folder with train/ and test/ keeps its own split",
    },
    "scene": {
        "signal_e": "electrons for a scene value of 1.0 at k = 0 (\"auto\": the full well with "
                    "auto-exposure; without, the auto-exposure's point on the median training image)",
        "brightness_exponents": "exponents k of the brightness sweep: light scaled by 2**k",
        "exposure": "auto-exposure of the emulated camera the models train with (auto, fixed)",
        "ae_target": "auto-exposure target, fraction of the saturation signal (18 % grey)",
        "ae_max_gain": "largest analog gain of the auto-exposure, times",
        "retrain_per_exposure": "sweep each exposure mode with a model trained in it (false: "
                                "the scene.exposure model in both modes)",
    },
    "frontends": {
        "names": "front ends compared: standard names, import paths 'pkg.module:Class' or "
                 "entry points of analogfe.frontends",
        "hog_method": "HOG variant of the wake-up SVM (fhog, dalal-triggs, dpm-log)",
        "cell_size": "HOG cell in pixels (\"auto\": 5 below 64-pixel images, else 8)",
        "scale": "which scale of a multi-scale front end feeds the HOG (0: the finest)",
        "options": "keyword arguments per front end: [frontends.options.\"lg1.5\"]",
        "threshold_sweep": "lg1.5 also evaluated at these +-1 ratio thresholds (formula: 2); [] none",
    },
    "svm": {
        "C": "SVM regularisation C (\"auto\": 5-fold cross-validation over C_grid)",
        "C_grid": "the values of C tried by cross-validation",
        "max_iter": "iteration limit of the linear SVM solver",
        "hard_negative_rounds": "rounds of hard-negative mining of the detector (0: random negatives)",
        "detector_C": "C of the detector's window SVM",
    },
    "resnet": {
        "enabled": "train the ResNet-10 too (false: the wake-up SVM only)",
        "epochs": "training epochs",
        "batch_size": "images per training step",
        "lr": "learning rate",
        "weight_decay": "weight decay of the optimiser",
        "width": "channels of the first stage (doubled at each of the four stages)",
        "patience": "early stopping after this many epochs without progress (0: off)",
        "threads": "torch threads while training",
        "seeds": "the run's seeds the ResNet-10 trains on ([]: every seed)",
    },
    "cost": {
        "height": "rows of the deployed sensor, pixels",
        "width": "columns of the deployed sensor, pixels",
        "fps": "frame rate, frames per second",
        "baselines": "digital pipelines every ratio is taken against; the first is the main one",
        "options": "cost-model constants (CostParams fields), e.g. link_pj_per_bit",
    },
    "compare": {
        "seeds": "seeds of the main job; --seed S runs S alone, --seeds a list",
        "n_workers": "worker processes of the local Dask cluster that runs the task x seed x "
                     "front end grid (1: in this process; --scheduler: a running cluster)",
    },
    "sweep": {
        "grid": "values per front-end parameter; every combination is one task",
        "base_frontend": "the front end whose parameters the grid varies",
        "model": "the classifier trained per grid point (svm, resnet10)",
        "n_workers": "Dask workers of the local cluster",
        "threads_per_worker": "threads per Dask worker",
        "processes": "workers as processes (true) or threads (false)",
    },
    "budget": {
        "frontends": "front ends the budget search may use; the first feeds the initial network",
        "budgets": "largest allowed value per resource (energy_uj, network_uj, macs, weight_bits, "
                   "activation_bits, offchip_bits, latency_ms)",
        "relative": "budgets are fractions of the initial network's resources",
        "initial_reduction": "first step's resource reduction, fraction of the initial resource",
        "decay": "factor on the reduction per step",
        "max_steps": "most steps of the search",
        "short_term_iters": "batches of the short-term fine-tuning of each proposal",
        "long_term_epochs": "epochs of the long-term fine-tuning of each member (0: none)",
        "moves": "moves of the search (prune, bits, frontend)",
        "channel_step": "channels are pruned in multiples of this",
        "min_channels": "fewest channels a channel group keeps",
        "low_bits": "bit width a bits move drops 8-bit layers to",
        "val_fraction": "part of the training images that scores the proposals",
        "weight_buffer_kib": "on-chip weight buffer of the dataflow model, KiB",
        "activation_buffer_kib": "on-chip activation buffer of the dataflow model, KiB",
        "latency_threads": "torch threads of the latency measurements",
        "latency_repeats": "timed runs per latency measurement (the median is kept)",
        "throughput_batch": "batch size of the throughput measurement",
        "within_points": "the chosen network: the smallest within this many validation-accuracy points "
                         "of the initial",
    },
}


def default_config():
    """The default configuration as a nested dict (a fresh copy)."""
    cfg = {s: {k: copy.deepcopy(d) for k, (d, _) in keys.items()} for s, keys in SCHEMA.items()}
    cfg["sensor"] = {}
    return cfg


def _validate_sensor(section):
    from ..sensor.model import SensorConfig

    if not isinstance(section, dict):
        raise TypeError(f"sensor must be a table, got {section!r}")
    section = dict(section)
    if section.get("cfa") == "none":  # TOML has no null: "none" is a monochrome sensor
        section["cfa"] = None
    try:
        SensorConfig.from_dict(dict(section))
    except TypeError as exc:
        raise ValueError(f"sensor: {exc}") from None
    except ValueError as exc:
        msg = str(exc)
        raise ValueError(msg if msg.startswith("sensor") else f"sensor: {msg}") from None
    return section


def read_toml(source):
    """The user's tables: ``{}`` for None, a copy of a dict, or a TOML file
    read as UTF-8 (FileNotFoundError if it is missing, ValueError naming the
    file if it is not UTF-8 text, not valid TOML, or nested beyond the
    interpreter's recursion limit)."""
    import tomllib

    if source is None:
        return {}
    if isinstance(source, dict):
        return copy.deepcopy(source)
    path = Path(source)
    if not path.is_file():
        raise FileNotFoundError(f"config file not found: {path}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"config file {path} is not valid TOML: {exc}") from None
    except RecursionError:
        raise ValueError(f"config file {path} nests its tables or arrays too deeply") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"config file {path} is not UTF-8 text (byte {exc.start}); "
                         "save it as UTF-8") from None


def load_config(source=None, *, overrides=None):
    """Read, validate and complete a configuration.

    Parameters
    ----------
    source : None, path or dict
        A TOML file, an already-parsed nested dict, or None for the defaults.
    overrides : dict, optional
        A nested dict applied after ``source`` (e.g. from the command line).

    Returns
    -------
    config : dict
        Every section of :data:`SCHEMA` plus ``sensor``, defaults filled in.

    Raises
    ------
    FileNotFoundError
        ``source`` is a path that does not exist.
    ValueError
        Unknown section or key (the message lists the valid ones), a value out
        of range, or a TOML syntax error.
    TypeError
        A value of the wrong type.
    """
    user = read_toml(source)
    cfg = default_config()
    for layer in (user, overrides or {}):
        for section, values in layer.items():
            check_keys([section], SECTIONS, "config section")
            if not isinstance(values, dict):
                raise TypeError(f"config section {section!r} must be a table, got {values!r}")
            if section == "sensor":
                cfg["sensor"].update(values)
                continue
            valid = SCHEMA[section]
            check_keys(values, valid, "config key", prefix=f"{section}.")
            for key, value in values.items():
                cfg[section][key] = valid[key][1](value, f"{section}.{key}")
    cfg["sensor"] = _validate_sensor(cfg["sensor"])
    return cfg


def config_hash(config, *sections, extra=None):
    """A short, stable hash of some sections of a configuration (and ``extra``)."""
    part = {s: config[s] for s in (sections or sorted(config))}
    if extra is not None:
        part["_extra"] = extra
    blob = json.dumps(part, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def derive_seed(seed, *keys):
    """A 32-bit seed derived from ``seed`` and ``keys`` (stable across processes).

    The seed of a task depends only on what the task is, never on the order or
    the worker that runs it.
    """
    blob = json.dumps([seed, *keys], sort_keys=True, default=str).encode()
    return int.from_bytes(hashlib.sha256(blob).digest()[:4], "little")


def task_seed(seed, *keys):
    """:func:`derive_seed` reduced below 2**31, the range numpy, scikit-learn
    and torch all accept as a seed."""
    return derive_seed(seed, *keys) % 2**31


# --------------------------------------------------------------------------- TOML out
_BARE_KEY = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def _toml_key(key):
    return key if key and set(key) <= _BARE_KEY else json.dumps(key, ensure_ascii=False)


def _toml_value(v, name):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v) if isinstance(v, float) else str(int(v))
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # JSON escapes are TOML basic-string escapes
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x, name) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(x, name)}" for k, x in v.items()) + "}"
    raise TypeError(f"{name}: {type(v).__name__} has no TOML form")


def _toml_table(lines, header, table, help_=None):
    """``[header]`` with its plain keys, then each table value as ``[header.key]``."""
    lines.append(f"[{header}]")
    for key, value in table.items():
        if not isinstance(value, dict):
            if help_ and key in help_:
                lines.append(f"# {help_[key]}")
            lines.append(f"{_toml_key(key)} = {_toml_value(value, f'{header}.{key}')}")
    for key, value in table.items():
        if isinstance(value, dict):
            lines.append("")
            if help_ and key in help_:
                lines.append(f"# {help_[key]}")
            _toml_table(lines, f"{header}.{_toml_key(key)}", value)
            if not value:
                lines.extend(_commented_keys(header, key))


def _commented_keys(header, key):
    """The keys an empty table takes, as comments with their defaults."""
    if (header, key) == ("cost", "options"):
        from ..system.params import CostParams

        return [f"# {k} = {_toml_value(v, k)}" for k, v in CostParams().to_dict().items()
                if v is not None and not isinstance(v, tuple)]
    if (header, key) == ("frontends", "options"):
        return ["# e.g. [frontends.options.\"lg1.5\"] with comparator_noise_ln = 0.02: keyword",
                "# arguments of LogGradientFrontEnd, DigitalFrontEnd or a plug-in's class"]
    if (header, key) == ("sweep", "grid"):
        return ["# e.g. resolution = [1.0, 0.5]"]
    return []


def config_toml(config=None, *, comments=True):
    """A configuration as TOML text: every section and key, defaults filled in.

    ``load_config`` reads the text back to the same configuration. The
    ``[sensor]`` fields left at the :class:`~analogfe.sensor.SensorConfig`
    defaults are listed as comments (their values are the front end's or the
    images' where that is so: ``cfa``, ``height``, ``width``).

    Parameters
    ----------
    config : dict, optional
        From :func:`load_config`; the default configuration if None.
    comments : bool
        Precede each key with its meaning from :data:`SCHEMA_HELP`.

    Returns
    -------
    text : str
    """
    import dataclasses

    from ..sensor.model import SENSOR_PRESETS, SensorConfig

    config = default_config() if config is None else config
    lines = []
    for section in SCHEMA:
        if lines:
            lines.append("")
        _toml_table(lines, section, config[section], SCHEMA_HELP[section] if comments else None)
    lines += ["", "# SensorConfig fields (EMVA 1288 linear camera model); commented: the default",
              "# (cfa: each front end's own sensor, height and width: the images')", "[sensor]"]
    sensor = {k: ("none" if v is None and k == "cfa" else v) for k, v in config["sensor"].items()}
    base = SENSOR_PRESETS[sensor.get("preset", "default")]
    if "preset" in sensor:  # the base the other fields change
        lines.append(f"preset = {_toml_value(sensor['preset'], 'sensor.preset')}")
    else:
        lines.append('# preset = "default"  # or "quantisation-limited" (analogfe.sensor.SENSOR_PRESETS)')
    for f in dataclasses.fields(SensorConfig):
        if f.name in sensor:
            lines.append(f"{f.name} = {_toml_value(sensor[f.name], 'sensor.' + f.name)}")
        else:
            default = getattr(base, f.name)
            default = "none" if default is None else default
            lines.append(f"# {f.name} = {_toml_value(default, f.name)}")
    return "\n".join(lines) + "\n"
