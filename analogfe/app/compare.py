"""Compare front ends against the RGB baseline: accuracy, bits, memory, energy.

The main job of analogfe. For every front end (RGB 8-bit baseline, gray 8-bit,
log-gradient 1.5 and 2.75 bit by default) it emulates the sensor on a dataset,
trains the wake-up SVM on HOG features and the small ResNet on the front end
output, measures accuracy (and its loss over a brightness sweep), and asks the
cost model for bits per frame, memory, energy per frame and average power.
Each front end's result is stored atomically as JSON in the output folder, keyed
by a hash of the configuration, so an interrupted run resumes where it stopped.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from .._io import atomic_write_json, read_cached, write_cached
from ._report_tables import FORMULA, SWEPT
from .compare_report import COLUMNS, result_rows, write_compare_report
from .config import config_hash, load_config
from .tasks import (
    COST_VERSION,
    RESULT_VERSION,
    evaluate_cost,
    evaluate_resnet,
    evaluate_svm,
    resnet_runs,
    split_from_config,
)

# COLUMNS, result_rows and write_compare_report live in compare_report; resnet_runs
# in tasks: the names stay importable from here
__all__ = [
    "evaluate_frontend",
    "frontend_result",
    "claim_compare_output",
    "compute_grid",
    "grid_point",
    "run_compare",
    "finished_line",
]


# --------------------------------------------------------------------------- compare
def _frontend_hash(config, name, seed):
    fr = {k: v for k, v in config["frontends"].items()
          if k not in ("names", "options", "threshold_sweep")}
    extra = {"frontend": name, "options": config["frontends"]["options"].get(name, {}),
             "frontends": fr, "seed": seed, "version": RESULT_VERSION,
             # the ResNet's profile is taken at the cost model's frame size
             "frame": [config["cost"]["height"], config["cost"]["width"]]}
    return config_hash(config, "dataset", "scene", "sensor", "svm", "resnet", extra=extra)


def evaluate_frontend(split, name, config, *, seed=0, scenes=None, out_dir=None, progress=False,
                      resume=True, on_stage=None):
    """Every measurement of one front end (SVM, ResNet, brightness, cost) as a dict.

    With ``out_dir`` the ResNet checkpoints under ``out_dir/checkpoints/``;
    ``resume=False`` starts its training again whatever is stored there.
    ``on_stage(label)``, when given, is called as each stage starts and once
    more with None at the end (labels: :func:`frontend_stages`)."""
    stages = iter(frontend_stages(config, scenes is not None, seed) + [None])
    on_stage = on_stage or (lambda label: None)
    t0 = time.perf_counter()
    res = {"frontend": name}
    on_stage(next(stages))
    svm = evaluate_svm(split, name, config, seed=seed, scenes=scenes, progress=progress)
    res["svm"] = {k: v for k, v in svm.items() if k != "model"}
    if resnet_runs(config, seed):
        on_stage(next(stages))
        ck = None
        if out_dir is not None:
            ck = str(Path(out_dir) / "checkpoints" / f"{name}-{_frontend_hash(config, name, seed)}")
        rn = evaluate_resnet(split, name, config, seed=seed, checkpoint_dir=ck, progress=progress,
                             resume=resume)
        res["resnet"] = {k: v for k, v in rn.items() if k != "model"}
    on_stage(next(stages))
    res["cost"] = evaluate_cost(name, config, cnn_profile=res.get("resnet", {}).get("frame_profile"))
    res["seconds"] = time.perf_counter() - t0
    on_stage(next(stages))
    return res


def frontend_stages(config, has_scenes, seed=0):
    """The stages :func:`evaluate_frontend` runs at ``seed``, as the progress bar names them."""
    svm = "SVM, brightness sweep" + (", detector" if has_scenes else "")
    resnet = ["ResNet-10 training, brightness sweep"] if resnet_runs(config, seed) else []
    return [svm, *resnet, "cost"]


def run_compare(config=None, out_dir="analogfe-out", *, seed=None, seeds=None, progress=True,
                fresh=False, force=False, scheduler=None, serial=True):
    """The main job: every front end against the baseline, and the report.

    Parameters
    ----------
    config : dict, path or None
        See :func:`load_config`.
    out_dir : path
        Output folder: ``results/seed<seed>/<frontend>.json`` (one per finished
        front end, reused by a later run with the same configuration and seed),
        ``checkpoints/``, the plots, ``report.md``, ``report.html``,
        ``results.json``.
    seed : int, optional
        Run this seed alone.
    seeds : sequence of int, optional
        Run everything once per seed (scenes, faces, split, sensor noise,
        cross-validation, network initialisation all follow the seed); the
        report gives the first seed's table with its test-set intervals, the
        main figures of every seed and their mean and spread. Default
        ``[seed]`` when ``seed`` is given, else ``compare.seeds`` (0, 1, 2).
        The ResNet trains on the seeds of ``resnet.seeds`` among them.
    progress : bool
        A progress bar and one line per finished front end (its accuracies,
        link bits and energy: :func:`finished_line`).
    fresh : bool
        Recompute every front end even when a stored result matches, and
        train the ResNets from the start (stored checkpoints are not read). A
        stored result whose cost settings differ (e.g. another ``cost.fps``)
        keeps its accuracies and gets its costs recomputed. A stored file that
        is not a valid result of this configuration (unreadable, edited,
        foreign) is recomputed, with one line on stderr. Also takes over an
        output folder of another run, as ``force``.
    force : bool
        Write into ``out_dir`` even when it holds another configuration's or
        command's run (its report is replaced); without it such a folder is
        refused (:func:`analogfe.app.outputs.claim_output`).
    scheduler : str, optional
        With ``serial=False``: the address of a running Dask scheduler
        (default: a local cluster of ``compare.n_workers`` processes).
    serial : bool
        Compute every seed and front end in this process, one after the other.
        Without it the seed x front end grid runs on Dask first
        (:func:`compute_grid`), with the same results.

    Returns
    -------
    dict
        ``rows``, ``columns``, ``plots``, ``report_md``, ``report_html``,
        ``results`` (front end -> measurements of the first seed), ``reused``
        (names reused at the first seed), ``seeds``, ``per_seed`` (seed ->
        front end -> measurements).
    """
    config = config if isinstance(config, dict) and "frontends" in config and "cost" in config \
        else load_config(config)
    if seeds is None:
        seeds = config["compare"]["seeds"] if seed is None else [seed]
    seeds = _check_seeds(seeds)
    out = claim_compare_output(config, out_dir, seeds, force=force or fresh)
    if not serial:  # the seed x front end grid on Dask; the loop below then reads it back
        compute_grid([(config, out)], seeds, scheduler=scheduler, progress=progress, fresh=fresh)
        fresh = False
    per_seed, reused, split = {}, [], None
    for s in seeds:
        results, sp, used = _run_seed(config, out, s, progress=progress, fresh=fresh)
        per_seed[s] = results
        if s == seeds[0]:
            reused, split = used, sp
    first = seeds[0]
    if progress:
        print("writing the report: plots, the stage figure, statistics tables ...", flush=True)
    rep = write_compare_report(per_seed[first], config, out, seed=first, split=split,
                               per_seed=per_seed)
    rep.update(results=per_seed[first], reused=reused, seeds=seeds, per_seed=per_seed)
    return rep


def claim_compare_output(config, out_dir, seeds, *, force=False):
    """The output folder of a comparison, claimed for this configuration and
    these seeds (:func:`analogfe.app.outputs.claim_output`)."""
    from .outputs import claim_output

    def same_run(folder):  # a folder of this run, written before folders were claimed
        try:
            old = json.loads((folder / "results.json").read_text(encoding="utf-8"))
            return old.get("seeds") == seeds and all(
                json.dumps(old["config"][k], sort_keys=True) == json.dumps(config[k], sort_keys=True)
                for k in _RUN_SECTIONS)
        except (OSError, ValueError, KeyError, TypeError):
            return False

    out = claim_output(out_dir, "compare", config_hash(config, *_RUN_SECTIONS, extra={"seeds": seeds}),
                       describe=f"dataset {config['dataset']['name']}, seeds "
                                f"{','.join(map(str, seeds))}", force=force, adopt=same_run)
    return out


#: The configuration sections a comparison's results depend on.
_RUN_SECTIONS = ("dataset", "scene", "sensor", "frontends", "svm", "resnet", "cost")


def _check_seeds(seeds):
    from .._validation import check_ints

    seeds = list(check_ints(seeds, "seeds", low=0, high=2**31 - 1))
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds lists a seed twice: {seeds}")
    return seeds


def frontend_result(config, out, seed, name, split, scenes, *, fresh=False, on_stage=None):
    """One front end's measurements at one seed, and whether they were stored.

    The result stored in ``out/results/seed<seed>/<name>.json`` for this
    configuration when there is one (its costs recomputed when only the cost
    settings changed), else computed by :func:`evaluate_frontend` and stored.
    """
    key = _frontend_hash(config, name, seed)
    path = Path(out) / "results" / f"seed{seed}" / f"{name}.json"
    stored = None if fresh else read_cached(path, key, required=("frontend", "svm", "cost"))
    cost_key = config_hash(config, "cost", extra={"cost_version": COST_VERSION})
    if stored is not None:
        r = stored["result"]
        if stored.get("cost_hash") != cost_key:  # the cost model alone is cheap to redo
            r["cost"] = evaluate_cost(name, config,
                                      cnn_profile=r.get("resnet", {}).get("frame_profile"))
            write_cached(path, key, r, cost_hash=cost_key, frontend=name)
    else:
        # the caller prints one line per finished front end, not the inner epochs' bars
        r = evaluate_frontend(split, name, config, seed=seed, scenes=scenes, out_dir=out,
                              progress=False, resume=not fresh, on_stage=on_stage)
        write_cached(path, key, r, cost_hash=cost_key, frontend=name)
    return json.loads(json.dumps(r, default=float)), stored is not None


def _run_seed(config, out, seed, *, progress, fresh):
    """Every front end at one seed: ``(results, split, reused names)``; each
    result stored in ``results/seed<seed>/<front end>.json``."""
    from tqdm.auto import tqdm

    split, scenes = split_from_config(config, seed, with_scenes=True)
    results, reused = {}, []
    names = list(dict.fromkeys(config["frontends"]["names"]))
    n_stages = len(frontend_stages(config, scenes is not None, seed))
    # one step per stage of every front end and per swept threshold
    bar = tqdm(total=len(names) * n_stages + len(_swept_thresholds(config)),
               desc=f"compare (seed {seed})", disable=not progress, unit="stage")

    def stage(name):
        started = []

        def on_stage(label):
            if started:  # the stage before this one is done
                bar.update(1)
            started.append(label)
            bar.set_postfix_str(f"{name}: {label}" if label else "", refresh=True)
        return on_stage

    for name in names:
        results[name], was_stored = frontend_result(config, out, seed, name, split, scenes,
                                                    fresh=fresh, on_stage=stage(name))
        if was_stored:
            reused.append(name)
            bar.update(n_stages)
        if progress:
            bar.write(finished_line(results[name], reused=was_stored))
    sweep = _threshold_sweep(config, out, seed, split, scenes, progress=progress, fresh=fresh,
                             bar=bar)
    bar.close()
    if sweep:
        results[SWEPT]["threshold_sweep"] = sweep["sweep"]
        results[SWEPT]["threshold_choice"] = {
            "chosen": sweep["chosen"], "formula_validation": sweep["formula_validation"]}
    return results, split, reused


def _swept_thresholds(config):
    """The thresholds :func:`_threshold_sweep` evaluates (none when it is off)."""
    fr = config["frontends"]
    if SWEPT not in fr["names"] or "thresholds" in fr["options"].get(SWEPT, {}):
        return []
    return list(fr["threshold_sweep"])


def _threshold_sweep(config, out, seed, split, scenes, *, progress, fresh, bar=None):
    """The 1.5-bit front end's SVM (and detector) at each ratio threshold of
    ``frontends.threshold_sweep``, and the validation score of each threshold
    and of the formula's (:func:`analogfe.app.validation.validation_score`,
    on the training data only): ``{"sweep": {threshold: svm result with its
    "validation"}, "formula_validation": {...}, "chosen": label}``, each
    stored in ``results/seed<seed>/lg1.5-threshold-<t>.json``. Empty when
    the run has no lg1.5 or no thresholds."""
    import copy

    from .validation import validation_score

    ts = _swept_thresholds(config)  # none when the run's own lg1.5 has explicit thresholds
    if not ts:
        return {}

    def stored_or(cfg, stem, compute, **meta):
        key = _frontend_hash(cfg, SWEPT, seed)
        path = out / "results" / f"seed{seed}" / f"{SWEPT}-{stem}.json"
        stored = None if fresh else read_cached(path, key, required=("validation",))
        if stored is not None:
            return stored["result"]
        r = json.loads(json.dumps(compute(), default=float))
        write_cached(path, key, r, frontend=SWEPT, **meta)
        return r

    formula = stored_or(config, "threshold-formula", lambda: {
        "validation": validation_score(split, SWEPT, config, seed=seed, scenes=scenes)})
    sweep = {}
    for t in ts:
        cfg = copy.deepcopy(config)
        cfg["frontends"]["options"].setdefault(SWEPT, {})["thresholds"] = [float(t)]

        def compute(cfg=cfg):
            svm = evaluate_svm(split, SWEPT, cfg, seed=seed, scenes=scenes, brightness=False)
            svm = {k: v for k, v in svm.items() if k != "model"}
            svm["validation"] = validation_score(split, SWEPT, cfg, seed=seed, scenes=scenes)
            return svm

        if bar is not None:
            bar.set_postfix_str(f"{SWEPT} at threshold {t:g}: SVM" + (", detector" if scenes else "")
                                + ", validation", refresh=True)
        svm = stored_or(cfg, f"threshold-{t:g}", compute, threshold=t)
        sweep[f"{t:g}"] = svm
        line = (f"  {SWEPT} at threshold {t:g}: SVM {svm['accuracy']:.3f}"
                + (f", AP {svm['ap']:.3f}" if "ap" in svm else "")
                + f", validation {svm['validation']['metric']} {svm['validation']['score']:.3f}")
        if bar is not None:
            bar.update(1)
            if progress:
                bar.write(line)
        elif progress:
            print(line, flush=True)
    # the largest validation score; a tie keeps the formula's threshold
    scores = {FORMULA: formula["validation"]["score"],
              **{t: v["validation"]["score"] for t, v in sweep.items()}}
    chosen = max(scores, key=lambda t: (np.nan_to_num(scores[t], nan=-1.0), t == FORMULA))
    return {"sweep": sweep, "formula_validation": formula["validation"], "chosen": chosen}


def finished_line(result, *, reused=False):
    """One line that sums up a finished front end: its accuracies with their
    95 % intervals, link bits and wake-up-path energy per frame.

    Parameters
    ----------
    result : dict
        From :func:`evaluate_frontend`.
    reused : bool
        The result was read back from an earlier run.

    Returns
    -------
    line : str
    """
    from ..learn.stats import wilson_interval

    svm, c = result["svm"], result["cost"]
    n = svm.get("n_test")

    def acc(a):
        if not n:
            return f"{a:.3f}"
        lo, hi = wilson_interval(int(round(a * n)), n)
        return f"{a:.3f} [{lo:.3f}, {hi:.3f}]"

    parts = [f"{result['frontend']:<8}", f"SVM {acc(svm['accuracy'])}"]
    if svm.get("ap") is not None:
        parts.append(f"AP {svm['ap']:.3f}")
    if "resnet" in result:
        parts.append(f"ResNet-10 {acc(result['resnet']['accuracy'])}")
    parts.append(f"{c['bits_per_frame']:,.0f} link bits and "
                 f"{c['hog-svm']['energy_per_frame_pj'] * 1e-6:.1f} uJ per frame")
    when = "reused" if reused else f"{result.get('seconds', 0.0):.0f} s"
    return "  ".join(parts[:1]) + " " + ", ".join(parts[1:]) + f" ({when})"


def train_one(frontend, model, config, out_dir, *, seed=0, progress=True, fresh=False):
    """Train one classifier on one front end; save the model and its metrics.

    Parameters
    ----------
    frontend : str
        A name of :data:`analogfe.frontend.FRONTENDS`, the import path of a
        front end of your own (``"mypkg.module:MyFrontEnd"``) or the name of an
        entry point of the group ``analogfe.frontends``.
    model : {"svm", "resnet10"}
    config : dict
        From :func:`load_config` (``dataset``, ``svm`` / ``resnet`` sections).
    out_dir : path
        Gets ``<model>-<frontend>.model.json`` (what rebuilds the model:
        architecture, encoding, front end, sensor, signal, exposure, HOG
        settings, classes; :func:`analogfe.learn.load_model` reads it) with
        its weights beside it, ``.model.npz`` (the SVM's arrays) or
        ``.model.pt`` (the ResNet's state dict; plus the training checkpoint
        folder), and ``<model>-<frontend>.json`` (metrics).
    fresh : bool
        Ignore the ResNet's training checkpoint of an earlier run.

    Returns
    -------
    dict
        ``accuracy``, ``model_path`` (the description), ``weights_path``,
        ``metrics_path``, ``metrics``.
    """
    from .._validation import check_choice
    from ..frontend.registry import frontend_spec
    from ..learn.saved import save_model
    from .config import task_seed
    from .tasks import sensor_config_for

    frontend_spec(frontend, "frontend")  # a standard name, an import path or an entry point
    check_choice(model, "model", ("svm", "resnet10"))
    out = Path(out_dir)
    stem = f"{model}-{frontend}"
    split = split_from_config(config, seed)
    shape = tuple(int(v) for v in split.X_train.shape[1:3])
    training = {"dataset": config["dataset"], "seed": seed, "n_train": int(len(split.y_train)),
                "n_test": int(len(split.y_test))}
    saved = {"frontend": frontend, "options": config["frontends"]["options"].get(frontend, {}),
             "sensor_config": sensor_config_for(config, shape, frontend), "classes": split.classes,
             "image_shape": shape, "image_channels": 1 if split.X_train.ndim == 3 else 3}
    if model == "svm":
        r = evaluate_svm(split, frontend, config, seed=seed, progress=progress)
        # the classifier's front end is built, and emulates, with the "sensor" seed
        save_seed = {"frontend_seed": task_seed(seed, frontend, "sensor")}
    else:
        r = evaluate_resnet(split, frontend, config, seed=seed, progress=progress,
                            checkpoint_dir=str(out / f"{stem}-checkpoints"), resume=not fresh)
        # its test accuracy: brightness_sweep's noise seed, the test seed + 10 000
        save_seed = {"frontend_seed": task_seed(seed, frontend, "resnet"),
                     "seed": task_seed(seed, frontend, "test") + 10_000}
    training["accuracy"] = r["accuracy"]
    model_path = save_model(out / f"{stem}.model.json", r["model"], training=training,
                            **saved, **save_seed)
    metrics = {k: v for k, v in r.items() if k != "model"}
    metrics.update(frontend=frontend, model=model, dataset=config["dataset"]["name"], seed=seed,
                   n_train=int(len(split.y_train)), n_test=int(len(split.y_test)),
                   classes=list(split.classes))
    metrics_path = atomic_write_json(out / f"{stem}.json", metrics)
    weights = json.loads(model_path.read_text())["weights"]["file"]
    return {"accuracy": r["accuracy"], "model_path": str(model_path),
            "weights_path": str(out / weights), "metrics_path": str(metrics_path),
            "metrics": metrics}


# --------------------------------------------------------------------------- the grid
#: The grid item of a (task, seed) that is not a front end: the 1.5-bit
#: front end's threshold sweep.
THRESHOLD_SWEEP = "threshold sweep"


_SPLITS = {}


def _split(config, seed):
    """The split (and scenes) of ``config`` at ``seed``, kept per process: a
    worker that computes several front ends of one task and seed builds it once."""
    from .tasks import split_from_config

    key = (json.dumps(config["dataset"], sort_keys=True), seed)
    if key not in _SPLITS:
        _SPLITS.clear()  # one task and seed at a time is enough
        _SPLITS[key] = split_from_config(config, seed, with_scenes=True)
    return _SPLITS[key]


def grid_point(config, out, seed, item, fresh=False):
    """Compute and store one grid item: a front end's measurements at ``seed``,
    or the threshold sweep (:data:`THRESHOLD_SWEEP`); returns its wall seconds."""
    t0 = time.perf_counter()
    split, scenes = _split(config, seed)
    if item == THRESHOLD_SWEEP:
        _threshold_sweep(config, Path(out), seed, split, scenes, progress=False, fresh=fresh)
    else:
        frontend_result(config, Path(out), seed, item, split, scenes, fresh=fresh)
    return time.perf_counter() - t0


def _items(config):
    names = list(dict.fromkeys(config["frontends"]["names"]))
    return names + ([THRESHOLD_SWEEP] if _swept_thresholds(config) else [])


def compute_grid(runs, seeds, *, scheduler=None, progress=True, fresh=False):
    """Compute every (run, seed, item) of the grid and store each result.

    Parameters
    ----------
    runs : list of (config, out)
        One comparison per task: its configuration and claimed output folder.
    seeds : list of int
    scheduler : str, optional
        Address of a running Dask scheduler; default a local cluster of the
        first configuration's ``compare.n_workers`` processes (one thread
        each). With one worker and no scheduler, the grid runs in this process.
    progress : bool
    fresh : bool
        Recompute what is stored.

    Returns
    -------
    list of dict
        ``task``, ``seed``, ``item``, ``seconds`` of each grid item.
    """
    from tqdm.auto import tqdm

    points = [(cfg, str(out), s, item) for cfg, out in runs for s in seeds for item in _items(cfg)]
    n_workers = runs[0][0]["compare"]["n_workers"]
    done = []
    bar = tqdm(total=len(points), desc="compare grid (task x seed x front end)", unit="item",
               disable=not progress)

    def record(point, seconds):
        cfg, _, s, item = point
        done.append({"task": cfg["dataset"]["name"], "seed": s, "item": item, "seconds": seconds})
        bar.set_postfix_str(f"{cfg['dataset']['name']}, seed {s}, {item}", refresh=False)
        bar.update(1)

    if scheduler is None and n_workers == 1:
        for p in points:
            record(p, grid_point(*p, fresh=fresh))
    else:
        from distributed import as_completed

        from .sweep import dask_client

        # in the order of the points: each task and seed, its front ends, then its sweep
        with dask_client(runs[0][0], scheduler, n_workers=n_workers, processes=True) as client:
            futures = {client.submit(grid_point, *p, fresh=fresh, pure=False): p for p in points}
            for fut in as_completed(futures):
                record(futures[fut], fut.result())
    bar.close()
    return done
