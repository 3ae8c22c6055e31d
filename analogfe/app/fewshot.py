"""``analogfe fewshot``: few-shot enrollment on every front end, and its report.

:func:`load_fewshot_config` reads a TOML file against :data:`FEWSHOT_SCHEMA`
(unknown sections and keys are rejected by name), :func:`run_fewshot`
generates the glyph set (:func:`analogfe.data.glyphs.make_glyphs`), splits it
by class, and for each front end emulates the sensor and front end, meta-trains
the Conv-4 embedding (prototypical networks, and first-order MAML for the
comparison), evaluates N-way K-shot episodes on the meta-test classes beside
the floors on the same episodes (nearest prototype and nearest neighbour on
the raw front-end output, an untrained Conv-4) and the chance level, the
enroll / query brightness table, class-incremental enrollment and the cost;
:mod:`analogfe.app.fewshot_report` writes the report.

Everything a run computes is kept in the output folder: the generated set
(``data/``), the meta-training checkpoints (``checkpoints/``, resumable) and
each finished front end's results (``results/<frontend>.json``, keyed by a
hash of the configuration and seed), so an interrupted run resumes.
"""
from __future__ import annotations

import copy
import io
import time
from pathlib import Path

import numpy as np

from .._io import (
    atomic_write_bytes,
    atomic_write_json,
    read_cached,
    warn_recompute,
    write_cached,
)
from .._validation import check_keys
from .config import (
    _bool,
    _choice,
    _float,
    _frontend_name,
    _int,
    _list_of,
    _toml_table,
    config_hash,
    read_toml,
    task_seed,
)
from .outputs import claim_output

__all__ = ["FEWSHOT_SCHEMA", "FEWSHOT_HELP", "default_fewshot_config", "load_fewshot_config",
           "fewshot_toml", "run_fewshot", "evaluate_fewshot_frontend"]


def _folder_or_empty(v, name):
    if not isinstance(v, str):
        raise TypeError(f"{name} must be a folder path or \"\", got {v!r}")
    return v


def _fractions(v, name):
    f = _list_of(_float(0.0, 1.0))(v, name)
    if len(f) != 3 or abs(sum(f) - 1.0) > 1e-6:
        raise ValueError(f"{name} must be three fractions (meta-train, meta-val, meta-test) "
                         f"summing to 1, got {v!r}")
    return f


#: section -> key -> (default, validator). The training defaults are what one CPU core
#: runs in about 10 minutes per front end (width 32, 1500 episodes: on rgb8 the meta-val
#: 5-way 5-shot accuracy levelled off at 0.63-0.69 from episode 600 to 1500, measured).
FEWSHOT_SCHEMA = {
    "data": {
        "n_classes": (600, _int(3, 1100)),
        "n_drawings": (20, _int(2, 1000)),
        "size": (28, _int(16, 128)),
        "split": ([0.6, 0.1, 0.3], _fractions),
        # "" : the generated glyphs' own meta-test classes; else an image folder
        # (root/<class>/<image>) whose classes are the meta-test set
        "test_folder": ("", _folder_or_empty),
    },
    "frontends": {"names": (["rgb8", "gray8", "lg1.5", "lg2.75"], _list_of(_frontend_name))},
    "scene": {
        "exposure": ("auto", _choice(("auto", "fixed"))),
        "brightness_exponents": (list(range(-5, 4)), _list_of(_int(-12, 12))),
    },
    "train": {
        "width": (32, _int(1, 512)),
        "episodes": (1500, _int(1, 10**7)),
        "ways": (20, _int(2, 1000)),
        "shots": (5, _int(1, 100)),
        "queries": (5, _int(1, 100)),
        "lr": (1e-3, _float(0.0, 1.0, low_open=True)),
        "lr_decay_every": (1000, _int(0, 10**7)),
        "val_every": (100, _int(1, 10**7)),
        "val_episodes": (100, _int(1, 10**6)),
        "threads": (1, _int(1, 256)),
    },
    "maml": {
        "enabled": (True, _bool),
        "episodes": (300, _int(1, 10**7)),
        "ways": (5, _int(2, 1000)),
        "shots": (5, _int(1, 100)),
        "queries": (5, _int(1, 100)),
        "inner_steps": (5, _int(1, 1000)),
        "inner_lr": (0.1, _float(0.0, 10.0, low_open=True)),
        "test_steps": (10, _int(1, 1000)),
        "test_episodes": (100, _int(1, 10**6)),
    },
    "eval": {
        "ways": ([5, 20], _list_of(_int(2, 1000))),
        "shots": ([1, 5], _list_of(_int(1, 100))),
        "queries": (15, _int(1, 100)),
        "episodes": (600, _int(1, 10**6)),
        "brightness_ways": (5, _int(2, 1000)),
        "brightness_shots": (5, _int(1, 100)),
        "brightness_episodes": (100, _int(1, 10**6)),
    },
    "incremental": {
        "classes": (100, _int(1, 1000)),
        "shots": (5, _int(1, 100)),
        "bits": ([32, 8, 4], _list_of(_int(1, 32))),
        "runs": (3, _int(1, 100)),
        "head_steps": (20, _int(1, 10**5)),
        "head_lr": (0.1, _float(0.0, 100.0, low_open=True)),
    },
    "cost": {
        "fps": (1.0, _float(0.0, 10000.0, low_open=True)),
        "bits": (8, _int(1, 32)),
        "count_bits": (8, _int(1, 31)),
        "memory_kib": ([8, 32], _list_of(_int(1, 10**6))),
    },
}

#: One line per key: what it means.
FEWSHOT_HELP = {
    "data": {"n_classes": "character classes generated (glyph pool: about 1,100)",
             "n_drawings": "drawings per class", "size": "image side, pixels",
             "split": "fractions of the classes for meta-train, meta-val, meta-test",
             "test_folder": "an image folder (root/<class>/<image>) whose classes replace the "
                            "generated meta-test classes (\"\": the generated ones)"},
    "frontends": {"names": "front ends: standard names, import paths or entry points"},
    "scene": {"exposure": "auto-exposure of the emulated camera (auto, fixed)",
              "brightness_exponents": "k of the enroll / query brightness table: light x 2**k"},
    "train": {"width": "channels of the Conv-4 blocks (Snell et al. 2017: 64)",
              "episodes": "prototypical-network training episodes",
              "ways": "classes per training episode", "shots": "support drawings per class",
              "queries": "query drawings per class", "lr": "Adam learning rate",
              "lr_decay_every": "halve the learning rate every this many episodes (0: never)",
              "val_every": "validate on the meta-val classes every this many episodes",
              "val_episodes": "5-way 5-shot validation episodes",
              "threads": "torch threads"},
    "maml": {"enabled": "also meta-train and evaluate first-order MAML",
             "episodes": "first-order MAML training episodes",
             "ways": "classes per training episode", "shots": "support drawings per class",
             "queries": "query drawings per class", "inner_steps": "SGD steps of the adaptation",
             "inner_lr": "SGD step of the adaptation", "test_steps": "adaptation steps at test",
             "test_episodes": "test episodes per setting (MAML adapts in each: costly)"},
    "eval": {"ways": "N of the N-way test episodes", "shots": "K of the K-shot test episodes",
             "queries": "query drawings per class and episode",
             "episodes": "test episodes per setting (prototypes, nearest neighbour, the floors)",
             "brightness_ways": "ways of the enroll / query brightness table",
             "brightness_shots": "shots of the enroll / query brightness table",
             "brightness_episodes": "episodes per cell of the brightness table"},
    "incremental": {"classes": "classes enrolled one after the other (meta-test classes)",
                    "shots": "shots per enrolled class",
                    "bits": "bits per prototype dimension compared (32: float32)",
                    "runs": "class orders averaged",
                    "head_steps": "SGD steps of the fine-tuned linear head per new class",
                    "head_lr": "its step size"},
    "cost": {"fps": "frame rate, frames per second",
             "bits": "bits per prototype dimension of the cost table",
             "count_bits": "bits of each class's shot counter (up to 2**count_bits - 1 shots; "
                           "sizes the exact sums: bits + count_bits per dimension)",
             "memory_kib": "memories (KiB) for which the classes that fit are given"},
}


def default_fewshot_config():
    """The default few-shot configuration (a fresh nested dict)."""
    return {s: {k: copy.deepcopy(d) for k, (d, _) in keys.items()}
            for s, keys in FEWSHOT_SCHEMA.items()}


def load_fewshot_config(source=None):
    """Read, validate and complete a few-shot configuration.

    Parameters
    ----------
    source : None, path or dict
        A TOML file, a nested dict, or None for the defaults.

    Returns
    -------
    dict

    Raises
    ------
    ValueError
        An unknown section or key (named, with the valid ones), a value out
        of range, episodes that ask more ways than the meta-test or
        meta-train classes hold, or more shots + queries than drawings.
    TypeError
        A value of the wrong type.
    """
    user = read_toml(source)
    cfg = default_fewshot_config()
    for section, values in user.items():
        check_keys([section], tuple(FEWSHOT_SCHEMA), "config section")
        if not isinstance(values, dict):
            raise TypeError(f"config section {section!r} must be a table, got {values!r}")
        valid = FEWSHOT_SCHEMA[section]
        check_keys(values, valid, "config key", prefix=f"{section}.")
        for key, value in values.items():
            cfg[section][key] = valid[key][1](value, f"{section}.{key}")
    _check_sizes(cfg)
    return cfg


def _test_ways(cfg):
    """``(key, classes)`` that the meta-test side's episodes need."""
    return [("eval.ways", max(cfg["eval"]["ways"])),
            ("eval.brightness_ways", cfg["eval"]["brightness_ways"]),
            ("incremental.classes", cfg["incremental"]["classes"])]


def _test_draws(cfg):
    """``(key, drawings)`` that one meta-test class must hold for the episodes."""
    ev = cfg["eval"]
    return [("eval", max(ev["shots"]) + ev["queries"]),
            ("eval.brightness_shots", ev["brightness_shots"] + ev["queries"]),
            ("incremental", cfg["incremental"]["shots"] + 1)]


def _check_sizes(cfg):
    d = cfg["data"]
    n = d["n_classes"]
    n_val, n_test = int(round(d["split"][1] * n)), int(round(d["split"][2] * n))
    sides = {"train": n - n_val - n_test, "val": n_val, "test": n_test}
    need = [("train.ways", cfg["train"]["ways"], "train")]
    if not d["test_folder"]:  # else checked against the folder when it is read
        need += [(key, ways, "test") for key, ways in _test_ways(cfg)]
    if cfg["maml"]["enabled"]:
        need.append(("maml.ways", cfg["maml"]["ways"], "train"))
    for key, ways, side in need:
        if ways > sides[side]:
            raise ValueError(f"{key}={ways} exceeds the {sides[side]} meta-{side} classes of "
                             f"data.n_classes={n} with data.split={d['split']}")
    draws = [("train", cfg["train"]["shots"] + cfg["train"]["queries"]), *_test_draws(cfg)]
    if cfg["maml"]["enabled"]:
        draws.append(("maml", cfg["maml"]["shots"] + cfg["maml"]["queries"]))
    for key, k in draws:
        if k > d["n_drawings"]:
            raise ValueError(f"{key}: shots + queries = {k} exceeds data.n_drawings="
                             f"{d['n_drawings']}")
    if sides["val"] < 2:
        raise ValueError(f"data.split={d['split']} leaves fewer than 2 meta-val classes")


def fewshot_toml(config=None):
    """A few-shot configuration as TOML, every key with its meaning."""
    config = default_fewshot_config() if config is None else config
    lines = []
    for section in FEWSHOT_SCHEMA:
        if lines:
            lines.append("")
        _toml_table(lines, section, config[section], FEWSHOT_HELP[section])
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- the run
def _stored_glyphs(path, d, seed):
    """The set stored in ``path``; None (with a warning naming the file) when it
    does not load or is not a set of the [data] section's shape."""
    import zipfile

    from ..data.glyphs import GlyphSet

    try:
        with np.load(path, allow_pickle=False) as z:
            gs = GlyphSet(z["images"], z["labels"], tuple(str(c) for c in z["classes"]), seed)
        n = d["n_classes"] * d["n_drawings"]
        if gs.images.shape != (n, d["size"], d["size"], 3) or gs.labels.shape != (n,) \
                or len(gs.classes) != d["n_classes"] or gs.labels.dtype.kind not in "iu" \
                or not set(np.unique(gs.labels)) <= set(range(d["n_classes"])):
            raise ValueError("another shape than the [data] section's")
        return gs
    except (OSError, ValueError, KeyError, EOFError, TypeError, zipfile.BadZipFile,
            NotImplementedError) as exc:
        warn_recompute(path, f"not a stored glyph set ({' '.join(str(exc).split())[:120]})")
        return None


def _glyph_set(config, out, seed, progress, fresh=False):
    """The generated set, stored in ``out/data`` (keyed by the [data] section)."""
    from ..data.glyphs import make_glyphs

    d = config["data"]
    path = out / "data" / f"glyphs-{config_hash(config, 'data', extra=seed)}.npz"
    if path.is_file() and not fresh:
        gs = _stored_glyphs(path, d, seed)
        if gs is not None:
            return gs
    if progress:
        print(f"generating {d['n_classes']} classes x {d['n_drawings']} drawings "
              f"({d['size']}x{d['size']} px)")
    gs = make_glyphs(d["n_classes"], d["n_drawings"], size=d["size"], seed=seed)
    buf = io.BytesIO()
    np.savez_compressed(buf, images=gs.images, labels=gs.labels, classes=np.array(gs.classes))
    atomic_write_bytes(path, buf.getvalue())
    return gs


def _with_test_folder(config, gs, split):
    """The glyph set and class split with ``data.test_folder``'s classes as the
    meta-test classes (appended after the generated ones), when it is set.

    Classes with fewer images than an episode draws (shots + queries) are left
    out, with a line saying how many; LFW's identity folders, for example,
    keep the people with 20 images or more at 5 shots and 15 queries."""
    from ..data.folder import count_images, load_image_folder
    from ..data.glyphs import GlyphSet

    d = config["data"]
    if not d["test_folder"]:
        return gs, split
    draw = max(k for _, k in _test_draws(config))
    try:
        counts = count_images(d["test_folder"])
        keep = [c for c, n in counts.items() if n >= draw]
        for key, ways in _test_ways(config):
            if ways > len(keep):
                raise ValueError(f"{key}={ways} exceeds the {len(keep)} classes of "
                                 f"{d['test_folder']} with {draw} images or more "
                                 f"(shots + queries; {len(counts)} classes in all)")
        folder = load_image_folder(d["test_folder"], size=d["size"], mode="rgb", classes=keep)
    except (OSError, ValueError) as e:
        raise ValueError(f"data.test_folder: {e}") from None
    if len(keep) < len(counts):
        print(f"data.test_folder: {len(keep)} of {len(counts)} classes hold {draw} images or "
              "more (shots + queries); the others are left out")
    offset = gs.n_classes
    gs = GlyphSet(np.concatenate([gs.images, folder.images]),
                  np.concatenate([gs.labels, folder.labels + offset]),
                  gs.classes + tuple(f"{d['test_folder']}:{c}" for c in folder.classes), gs.seed)
    return gs, dict(split, test=np.arange(offset, offset + len(keep), dtype=np.int64))


#: What a stored front end's results hold; results of another version are recomputed
#: (2: the floors, chance and verdicts, and exact prototype sums).
_RESULTS_VERSION = 2


def _without(section, *keys):
    return {k: v for k, v in section.items() if k not in keys}


def _encoding(name):
    from ..learn.encodings import default_encoding

    return default_encoding(name)


def evaluate_fewshot_frontend(gs, split, name, config, *, seed=0, out=None, progress=False,
                              fresh=False):
    """Every measurement of one front end (see :func:`run_fewshot`); a JSON-able dict
    (``fresh``: do not resume the meta-training checkpoints in ``out``)."""
    import torch

    from ..learn.experiments import emulate_dataset
    from ..learn.fewshot.cost import enrollment_cost
    from ..learn.fewshot.evaluate import (
        FLOORS,
        brightness_table,
        compare_to_floor,
        evaluate_episodes,
        evaluate_maml,
        floor_features,
        incremental,
    )
    from ..learn.fewshot.meta import meta_train
    from ..learn.fewshot.enroll import embed

    tr, mm, ev, inc = config["train"], config["maml"], config["eval"], config["incremental"]
    enc = _encoding(name)
    exposure = config["scene"]["exposure"]
    noise = task_seed(seed, "fewshot-emulate", name)
    t0 = time.perf_counter()
    packed, levels = emulate_dataset(gs.images, name, enc, seed=noise, exposure=exposure)
    t_emulate = time.perf_counter() - t0
    # the checkpoint does not depend on the episode count: episode i and its learning
    # rate depend on i only, so a longer training continues a shorter one exactly
    key = config_hash(config, "data", "scene", extra=[seed, name, _without(tr, "episodes", "threads")])
    ck = (lambda m: Path(out) / "checkpoints" / name / m) if out else (lambda m: None)
    pn = meta_train(packed, gs.labels, split["train"], val_classes=split["val"], encoding=enc,
                    levels=levels, method="protonet", episodes=tr["episodes"], ways=tr["ways"],
                    shots=tr["shots"], queries=tr["queries"], width=tr["width"], lr=tr["lr"],
                    lr_decay_every=tr["lr_decay_every"], val_every=tr["val_every"],
                    val_episodes=tr["val_episodes"], seed=task_seed(seed, "protonet", name),
                    checkpoint_dir=ck("protonet"), key=key, progress=progress,
                    desc=f"{name} protonet", resume=not fresh)
    t1 = time.perf_counter()
    emb = embed(pn.model, pn.encoder, packed)
    test = split["test"]
    test_idx = np.flatnonzero(np.isin(gs.labels, test))
    # the floors on the meta-test drawings only: a sampler draws the same items
    # from them as from the whole set (the same classes, positions and seed)
    floors = floor_features(pn.model, pn.encoder, packed[test_idx],
                            seed=task_seed(seed, "untrained", name))
    table = []
    for ways in ev["ways"]:
        for shots in ev["shots"]:
            kw = dict(ways=ways, shots=shots, queries=ev["queries"], episodes=ev["episodes"],
                      seed=task_seed(seed, "episodes", ways, shots))
            row = dict(ways=ways, shots=shots, chance=1.0 / ways)
            for clf in ("prototype", "nearest-neighbour"):
                row[clf] = evaluate_episodes(emb, gs.labels, test, classifier=clf, **kw)
            for floor, (features, clf) in FLOORS.items():
                row[floor] = evaluate_episodes(floors[features], gs.labels[test_idx], test,
                                               classifier=clf, **kw)
            row["verdict"] = {f: compare_to_floor(row["prototype"], row[f]) for f in FLOORS}
            table.append(row)
    t_eval = time.perf_counter() - t1
    maml = None
    if mm["enabled"]:
        mk = config_hash(config, "data", "scene", extra=[seed, name, tr["width"], tr["lr"],
                                                         _without(mm, "episodes", "test_steps",
                                                                  "test_episodes")])
        fm = meta_train(packed, gs.labels, split["train"], encoding=enc, levels=levels,
                        method="fomaml", episodes=mm["episodes"], ways=mm["ways"],
                        shots=mm["shots"], queries=mm["queries"], width=tr["width"], lr=tr["lr"],
                        lr_decay_every=0, inner_steps=mm["inner_steps"], inner_lr=mm["inner_lr"],
                        val_every=50, seed=task_seed(seed, "fomaml", name),
                        checkpoint_dir=ck("fomaml"), key=mk, progress=progress,
                        desc=f"{name} fo-MAML", resume=not fresh)
        t2 = time.perf_counter()
        for row in table:
            row["fo-maml"] = evaluate_maml(
                fm, packed, gs.labels, test, ways=row["ways"], shots=row["shots"],
                queries=ev["queries"], episodes=mm["test_episodes"], steps=mm["test_steps"],
                seed=task_seed(seed, "episodes", row["ways"], row["shots"]), progress=progress)
        maml = dict(train_s=fm.seconds, eval_s=time.perf_counter() - t2, history=fm.history)
    t3 = time.perf_counter()
    by_k, floors_by_k = {}, {}
    for k in config["scene"]["brightness_exponents"]:
        pk, _ = emulate_dataset(gs.images[test_idx], name, enc, brightness=2.0 ** k, seed=noise,
                                exposure=exposure)
        by_k[k] = embed(pn.model, pn.encoder, pk)
        floors_by_k[k] = floor_features(pn.model, pn.encoder, pk,
                                        seed=task_seed(seed, "untrained", name))
    bkw = dict(ways=ev["brightness_ways"], shots=ev["brightness_shots"], queries=ev["queries"],
               episodes=ev["brightness_episodes"], seed=task_seed(seed, "bright"))
    bright = brightness_table(by_k, gs.labels[test_idx], test, **bkw)
    bright["floors"] = {f: brightness_table({k: v[features] for k, v in floors_by_k.items()},
                                            gs.labels[test_idx], test, classifier=clf, **bkw)
                        for f, (features, clf) in FLOORS.items()}
    t_bright = time.perf_counter() - t3
    t4 = time.perf_counter()
    incr = incremental(emb, gs.labels, test, n_classes=inc["classes"], shots=inc["shots"],
                       bits=inc["bits"], scale=pn.scale, runs=inc["runs"],
                       seed=task_seed(seed, "incremental"), head_steps=inc["head_steps"],
                       head_lr=inc["head_lr"], progress=progress)
    # the floors enroll the same classes and shots (same seed, same positions in the
    # meta-test rows) as float32 prototypes of their features
    incr["floors"] = {}
    for f in ("raw-prototype", "untrained"):
        fi = incremental(floors[FLOORS[f][0]], gs.labels[test_idx], test, n_classes=inc["classes"],
                         shots=inc["shots"], bits=(32,), runs=inc["runs"],
                         seed=task_seed(seed, "incremental"), heads=False)
        incr["floors"][f] = dict(curve=fi["curves"]["prototype-32bit"],
                                 final=fi["final"]["prototype-32bit"],
                                 memory_bits=fi["memory_bits"]["prototype-32bit"])
    t_inc = time.perf_counter() - t4
    size = config["data"]["size"]
    shape = (pn.model.in_channels, size, size)
    c = config["cost"]
    costs = {b: enrollment_cost(pn.model, shape, name, n_classes=inc["classes"], bits=b,
                                fps=c["fps"], count_bits=c["count_bits"], memory_kib=c["memory_kib"])
             for b in sorted(set(inc["bits"]) | {c["bits"]})}
    if out:
        buf = io.BytesIO()
        torch.save(pn.model.state_dict(), buf)
        atomic_write_bytes(Path(out) / "models" / f"protonet-{name}.pt", buf.getvalue())
    return dict(frontend=name, encoding=enc, levels=int(levels), channels=int(shape[0]),
                embedding_dim=int(emb.shape[1]), scale=pn.scale, episodes=table,
                brightness=bright, incremental=incr, cost={str(b): v for b, v in costs.items()},
                history=pn.history, maml=maml,
                seconds=dict(emulate=t_emulate, meta_train=pn.seconds, evaluate=t_eval,
                             brightness=t_bright, incremental=t_inc))


def run_fewshot(config=None, out_dir="analogfe-fewshot", *, seed=0, progress=True, fresh=False,
                force=False):
    """Generate the set, evaluate every front end, write the report.

    Parameters
    ----------
    config : dict, path or None
        :func:`load_fewshot_config` input.
    out_dir : path
    seed : int
        Seed of the set, the split, training, episodes and noise.
    progress : bool
        Progress bars and lines.
    fresh : bool
        Start afresh: ignore the stored set, results and checkpoints (they are
        overwritten), and take over the output folder, as ``force``.
    force : bool
        Write into ``out_dir`` even when it holds another run (its report is
        replaced); without it such a folder is refused
        (:func:`analogfe.app.outputs.claim_output`).

    Returns
    -------
    dict
        ``results`` (front end -> dict), ``rows`` and ``columns`` (the
        episode table), ``floor_lines`` (per front end: does the meta-trained
        embedding beat its floors), ``report_md``, ``report_html``,
        ``results_json``, ``seconds``.
    """
    from tqdm.auto import tqdm

    from .fewshot_report import write_fewshot_report
    from .tasks import torch_threads

    config = load_fewshot_config(config) if not (isinstance(config, dict) and "train" in config
                                                 and "incremental" in config) else config
    out = claim_output(out_dir, "fewshot", config_hash(config, extra={"seed": seed}),
                       describe=f"front ends {', '.join(config['frontends']['names'])}, seed {seed}",
                       force=force or fresh)
    t0 = time.perf_counter()
    gs = _glyph_set(config, out, seed, progress, fresh)
    split = gs.split_classes(config["data"]["split"], seed=seed)
    gs, split = _with_test_folder(config, gs, split)
    results = {}
    with torch_threads(config["train"]["threads"]):
        for name in tqdm(config["frontends"]["names"], desc="fewshot", disable=not progress):
            path = out / "results" / f"{name}.json"
            key = config_hash(config, extra=[seed, name, _RESULTS_VERSION])
            stored = None if fresh else read_cached(path, key)
            if stored is not None:
                results[name] = stored["result"]
                continue
            results[name] = evaluate_fewshot_frontend(gs, split, name, config, seed=seed, out=out,
                                                      progress=progress, fresh=fresh)
            write_cached(path, key, results[name])
    seconds = time.perf_counter() - t0
    summary = dict(config=config, seed=seed, classes={k: [gs.classes[i] for i in v]
                                                       for k, v in split.items()},
                   results=results, seconds=seconds)
    json_path = atomic_write_json(out / "results.json", summary)
    rep = write_fewshot_report(gs, split, results, config, out, seed=seed)
    return dict(results=results, rows=rep["rows"], columns=rep["columns"],
                floor_lines=rep["floor_lines"], report_md=rep["md"], report_html=rep["html"],
                results_json=json_path, seconds=seconds)
