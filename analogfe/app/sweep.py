"""Sweep the design space of a front end on Dask.

A sweep is a grid over front-end parameters (any keyword of the base front
end: bits, scales, thresholds, non-idealities; plus ``resolution``, a factor on
the image and sensor size). Every combination is one task: it emulates the
sensor and the front end on the dataset, trains the wake-up classifier (or the
ResNet-10), measures accuracy and its loss over the brightness sweep, and asks
the cost model for bits, memory and energy. Each task's seed is derived from
its parameters, so a result does not depend on which worker ran it or in what
order. Results go to ``points/<hash>.json`` (atomically, one per point; a
later run with the same configuration skips them), ``sweep.csv``, the plots and
``sweep.md`` / ``sweep.html``.

The grid runs on ``dask.distributed``: a :class:`~distributed.LocalCluster` on
this machine by default (``sweep.n_workers`` x ``sweep.threads_per_worker``,
threads unless ``sweep.processes``), or an existing scheduler by address.
"""
from __future__ import annotations

import contextlib
import csv
import functools
import inspect
import io
import itertools
import json
import math

import numpy as np

from .._io import atomic_write_text, read_cached, write_cached
from .._validation import check_keys
from ..learn.selection import brightness_loss
from .config import config_hash, load_config, task_seed
from .outputs import claim_output
from .tasks import (
    baseline_costs,
    cost_ratios,
    evaluate_cost,
    fit_resnet,
    fit_svm_config,
    frontend_for,
    network_profile,
    sensor_config_for,
    split_from_config,
)

__all__ = ["MAX_GRID_POINTS", "grid_points", "valid_grid_keys", "run_point", "run_sweep", "point_label", "dask_client"]

POINT_VERSION = 4  # 2: power in mW; 3: link bits and ratios to the baselines; 4: cost model v2
_NOT_PARAMS = {"self", "seed", "sensor_config", "sensor", "kwargs", "kw"}


#: The most points a sweep's grid may have (each one trains a classifier).
MAX_GRID_POINTS = 4096


def valid_grid_keys(base_frontend):
    """Names a ``[sweep.grid]`` table may use for ``base_frontend``."""
    from ..frontend.registry import make_frontend

    fe = make_frontend(base_frontend)
    params = [p for p in inspect.signature(type(fe).__init__).parameters
              if p not in _NOT_PARAMS]
    return ["resolution"] + params


def _canon(v):
    if isinstance(v, (list, tuple)):
        return [_canon(x) for x in v]
    return v


def grid_points(config):
    """Every combination of ``config["sweep"]["grid"]``, in a fixed order.

    Returns
    -------
    points : list of dict
        ``{parameter: value}``; an empty grid gives one point, the base front end.

    Raises
    ------
    ValueError
        An unknown grid key (the message lists the valid ones), a value that
        is not a non-empty list, or more than :data:`MAX_GRID_POINTS` points.
    """
    grid = config["sweep"]["grid"]
    base = config["sweep"]["base_frontend"]
    valid = valid_grid_keys(base)
    check_keys(grid, valid, f"sweep.grid key for front end {base!r}:")
    for k, v in grid.items():
        if not isinstance(v, list) or not v:
            raise ValueError(f"sweep.grid.{k} must be a non-empty list of values, got {v!r}")
    for r in grid.get("resolution", []):
        if isinstance(r, bool) or not isinstance(r, (int, float)) or not 0.05 <= r <= 4:
            raise ValueError(f"sweep.grid.resolution values must be in [0.05, 4], got {r!r}")
    n = math.prod(len(v) for v in grid.values())
    if n > MAX_GRID_POINTS:
        sizes = " x ".join(f"{len(v)} {k}" for k, v in grid.items())
        raise ValueError(f"sweep.grid has {n:,} points ({sizes}), more than {MAX_GRID_POINTS:,}; "
                         "sweep fewer values (each point trains a classifier)")
    keys = list(grid)
    return [dict(zip(keys, map(_canon, combo))) for combo in itertools.product(*(grid[k] for k in keys))]


def point_label(point):
    """A short label of a grid point, e.g. ``bits=2 scales=1-2``."""
    if not point:
        return "base"
    parts = []
    for k, v in point.items():
        v = "-".join(map(str, v)) if isinstance(v, list) else v
        parts.append(f"{k}={v}")
    return " ".join(parts)


def _point_hash(config, point, seed):
    return config_hash(config, "dataset", "scene", "sensor", "svm", "resnet", "frontends", "cost",
                       extra={"point": point, "seed": seed, "base": config["sweep"]["base_frontend"],
                              "model": config["sweep"]["model"], "version": POINT_VERSION})


@functools.lru_cache(maxsize=4)
def _split_cached(config_json, seed):
    return split_from_config(json.loads(config_json), seed)


def _resized(split, factor):
    if factor == 1:
        return split
    from ..data.builtin import Split
    from ..scene.io import resize_image

    h, w = split.X_train.shape[1:3]
    size = (max(8, int(round(h * factor))), max(8, int(round(w * factor))))
    def rs(X):
        return None if X is None else np.stack([resize_image(im, size) for im in X])

    return Split(X_train=rs(split.X_train), X_test=rs(split.X_test), y_train=split.y_train,
                 y_test=split.y_test, classes=split.classes, X_val=rs(split.X_val),
                 y_val=split.y_val)


def run_point(point, config, seed=0):
    """Evaluate one grid point (one Dask task); a flat dict of results.

    The front end, sensor and classifier seeds are derived from ``seed`` and
    the point itself. ``bits_per_frame`` is the link bits; ``link_saving``
    and ``energy_ratio_<baseline>`` (wake-up path) are against the
    baselines of ``cost.baselines`` at the point's frame size.
    """
    sw = config["sweep"]
    point = dict(point)
    res_factor = float(point.pop("resolution", 1.0))
    pseed = task_seed(seed, point_label(point), res_factor)
    split = _resized(_split_cached(json.dumps(config, sort_keys=True), seed), res_factor)
    shape = split.X_train.shape[1:3]
    sc = sensor_config_for(config, shape, sw["base_frontend"])
    opts = {**config["frontends"]["options"].get(sw["base_frontend"], {}), **point}
    point_cfg = dict(config, frontends=dict(config["frontends"], options={sw["base_frontend"]: opts}))
    fe, fe_sc = frontend_for(sw["base_frontend"], point_cfg, sc, pseed)
    ks = sorted(set(config["scene"]["brightness_exponents"]) | {0})
    h, w = (max(8, int(round(config["cost"][k] * res_factor))) for k in ("height", "width"))
    if sw["model"] == "svm":
        clf = fit_svm_config(split, fe, fe_sc, config, sc, seed=pseed, cv_seed=pseed)
        acc = {k: float(clf.set_params(brightness=2.0 ** k).score(split.X_test, split.y_test))
               for k in ks}
        profile = None
    else:
        tm, acc = fit_resnet(split, fe, fe_sc, config, sc, seed=pseed,
                             test_seed=pseed, ks=ks)
        profile = network_profile(tm.model, h, w)
    cost_cfg = dict(config, cost=dict(config["cost"], height=h, width=w),
                    frontends=point_cfg["frontends"])
    cost = evaluate_cost(sw["base_frontend"], cost_cfg, cnn_profile=profile)
    path = cost["cnn" if profile is not None else "hog-svm"]
    baselines = baseline_costs(cost_cfg)
    return {
        "accuracy": acc[0],
        "max_loss": brightness_loss(acc)[0],
        "brightness": {str(k): v for k, v in acc.items()},
        "bits_per_frame": cost["bits_per_frame"],
        **cost_ratios(cost, baselines),
        "memory_kib": path["memory_bits"] / 8192.0,
        "energy_per_frame_uj": path["energy_per_frame_pj"] * 1e-6,
        "average_power_uw": path["average_power_mw"] * 1e3,
        "breakdown_pj": path["components_pj"],
        "image_size": [int(s) for s in shape],
        "n_test": int(len(split.y_test)),
        "chance": float(np.bincount(np.asarray(split.y_test)).max() / len(split.y_test)),
    }


_RESULT_COLUMNS = [("accuracy", "accuracy"), ("max_loss", "max loss 2^k (pts)"),
                   ("bits_per_frame", "link bits/frame"), ("link_saving", "link saving x"),
                   ("memory_kib", "memory (KiB)"), ("energy_per_frame_uj", "energy/frame (uJ)"),
                   ("average_power_uw", "avg power, dynamic (uW)")]


#: What a stored point must hold to be reused.
_POINT_KEYS = tuple(k for k, _ in _RESULT_COLUMNS) + ("brightness", "breakdown_pj")


def _csv_text(rows, keys):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(keys)
    for r in rows:
        w.writerow([json.dumps(r[k]) if isinstance(r[k], (list, dict)) else r[k] for k in keys])
    return buf.getvalue()


@contextlib.contextmanager
def dask_client(config, scheduler=None, *, n_workers=None, processes=None):
    """A Dask client for the duration of the block: on a
    :class:`~distributed.LocalCluster` of ``sweep.n_workers`` x
    ``sweep.threads_per_worker`` (threads unless ``sweep.processes``; the
    keywords override the worker count and the kind), or on the running
    scheduler at ``scheduler`` (ValueError if unreachable). Worker processes
    of the local cluster keep their freed memory for reuse
    (:func:`analogfe.app._malloc.keep_freed_memory`)."""
    from distributed import Client, LocalCluster

    sw = config["sweep"]
    cluster = None
    if scheduler is None:
        processes = sw["processes"] if processes is None else processes
        cluster = LocalCluster(n_workers=n_workers or sw["n_workers"],
                               threads_per_worker=sw["threads_per_worker"],
                               processes=processes, dashboard_address=None)
        client = Client(cluster)
        if processes:
            from ._malloc import keep_freed_memory

            client.run(keep_freed_memory)  # the workers this job started (see analogfe.app._malloc)
    else:
        try:
            client = Client(scheduler, timeout="5s")
        except (OSError, TimeoutError) as exc:
            raise ValueError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _run_dask(todo, config, seed, scheduler, progress, on_done):
    from distributed import as_completed
    from tqdm.auto import tqdm

    with dask_client(config, scheduler) as client:
        futures = {client.submit(run_point, p, config, seed, key=f"analogfe-point-{h}", pure=False): (h, p)
                   for h, p in todo}
        with tqdm(total=len(futures), desc="sweep", disable=not progress) as bar:
            for fut in as_completed(futures):
                h, p = futures[fut]
                on_done(h, p, fut.result())
                bar.update()


def run_sweep(config, out_dir, *, seed=0, scheduler=None, serial=False, progress=True, fresh=False,
              force=False):
    """Run a grid sweep and write its CSV, plots and report.

    Parameters
    ----------
    config : dict or path
        See :func:`analogfe.app.config.load_config`; the grid is ``sweep.grid``.
    out_dir : path
    seed : int
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:port``); default a
        local cluster.
    serial : bool
        Run every point in this process, without Dask (the reference the
        parallel run must equal).
    progress : bool
    fresh : bool
        Recompute points that a previous run stored (and take over the
        output folder, as ``force``).
    force : bool
        Write into ``out_dir`` even when it holds another run (its report is
        replaced); without it such a folder is refused
        (:func:`analogfe.app.outputs.claim_output`).

    Returns
    -------
    dict
        ``rows`` (one per point, grid order), ``columns``, ``csv``, ``plots``,
        ``report_md``, ``report_html``, ``reused`` (number of stored points).
    """
    from tqdm.auto import tqdm

    config = config if isinstance(config, dict) and "sweep" in config else load_config(config)
    points = grid_points(config)
    out = claim_output(out_dir, "sweep", config_hash(config, *(k for k in config if k != "budget"),
                                                     extra={"seed": seed}),
                       describe=f"grid {', '.join(config['sweep']['grid'])}, seed {seed}",
                       force=force or fresh)
    (out / "points").mkdir(parents=True, exist_ok=True)
    hashes = [_point_hash(config, p, seed) for p in points]
    results, todo = {}, []
    for h, p in zip(hashes, points):
        stored = None if fresh else read_cached(out / "points" / f"{h}.json", h, _POINT_KEYS)
        if stored is not None:
            results[h] = stored["result"]
        else:
            todo.append((h, p))
    reused = len(results)

    def done(h, p, r):
        write_cached(out / "points" / f"{h}.json", h, r, point=p, seed=seed)
        results[h] = json.loads(json.dumps(r))

    if todo:
        if serial:
            for h, p in tqdm(todo, desc="sweep", disable=not progress):
                done(h, p, run_point(p, config, seed))
        else:
            _run_dask(todo, config, seed, scheduler, progress, done)
    keys = list(config["sweep"]["grid"])
    rows = []
    for h, p in zip(hashes, points):
        r = results[h]
        row = {"point": point_label(p), **p}
        row.update({k: r[k] for k, _ in _RESULT_COLUMNS})
        row.update({k: v for k, v in r.items() if k.startswith("energy_ratio_")})
        row["brightness"] = {k: r["brightness"][k] for k in sorted(r["brightness"], key=int)}
        row["breakdown_pj"] = r["breakdown_pj"]
        row.update({k: r[k] for k in ("n_test", "chance") if k in r})
        rows.append(row)
    ratios = [f"energy_ratio_{b}" for b in config["cost"]["baselines"]]
    csv_keys = ["point"] + keys + [k for k, _ in _RESULT_COLUMNS] + ratios + ["brightness"]
    csv_path = atomic_write_text(out / "sweep.csv", _csv_text(rows, csv_keys))
    rep = _sweep_report(rows, config, out, seed)
    columns = [("point", "grid point")] + _RESULT_COLUMNS
    return {"rows": rows, "columns": columns, "csv": csv_path, "reused": reused, **rep}


def _with_intervals(rows):
    """Rows numbered 1..n, with the 95 % Wilson interval of each accuracy where
    the point stored its test-set size."""
    from ..learn.stats import wilson_interval

    out = []
    for i, r in enumerate(rows):
        r = dict(r, n=i + 1)
        n = r.get("n_test")
        if n:
            lo, hi = wilson_interval(int(round(r["accuracy"] * n)), n)
            r.update(accuracy_low=lo, accuracy_high=hi, accuracy_ci=f"[{lo:.3f}, {hi:.3f}]")
        out.append(r)
    return out


def _sweep_report(rows, config, out, seed):
    from .report import (
        plot_accuracy_vs,
        plot_brightness,
        plot_energy_breakdown,
        write_report,
    )

    rows = _with_intervals(rows)
    n_test = next((r["n_test"] for r in rows if r.get("n_test")), None)
    chance = next((r["chance"] for r in rows if r.get("chance") is not None), None)
    lab = f"{config['sweep']['model']} accuracy"
    series = [("bits_per_frame", "accuracy", lab)]
    if n_test:
        series = [("bits_per_frame", "accuracy", f"{lab} (95 % Wilson, {n_test} test images)",
                   ("accuracy_low", "accuracy_high"))]
    energy_series = [("energy_per_frame_uj", *series[0][1:])]
    curves = {f"{r['n']}: {r['point']}": (sorted(int(k) for k in r["brightness"]),
                                          [r["brightness"][str(k)]
                                           for k in sorted(int(k) for k in r["brightness"])])
              for r in rows}
    plots = [
        ("Accuracy vs bits per frame (points numbered as in the table)", plot_accuracy_vs(
            rows, series, out / "sweep_accuracy_vs_bits.png", xlabel="link bits per frame",
            label_key="point", chance=chance, title="Accuracy vs link bits per frame")),
        ("Accuracy vs energy per frame (Pareto front dashed; points numbered as in the table)",
         plot_accuracy_vs(
            rows, energy_series, out / "sweep_accuracy_vs_energy.png",
            xlabel="energy per frame (uJ)", label_key="point", pareto=True, chance=chance,
            title="Accuracy vs energy per frame")),
        ("Accuracy vs brightness", plot_brightness(
            curves, out / "sweep_accuracy_vs_brightness.png", n_test=n_test, chance=chance)),
        ("Energy per frame by stage (components named in the legend)", plot_energy_breakdown(
            {f"{r['n']}: {r['point']}": r["breakdown_pj"] for r in rows},
            out / "sweep_energy_breakdown.png", unit="uJ", scale=1e-6)),
    ]
    intro = (f"Grid over {', '.join(config['sweep']['grid']) or 'nothing'} of front end "
             f"'{config['sweep']['base_frontend']}' on dataset '{config['dataset']['name']}', "
             f"model {config['sweep']['model']}, seed {seed}; {len(rows)} points"
             + (f", each tested on {n_test} images (95 % Wilson intervals)" if n_test else "")
             + ". Link saving and energy / <baseline> (wake-up path) are against the baselines of "
             "cost.baselines at each point's frame size, listed with every assumption below.")
    from .assumptions import assumptions

    ratios = [(f"energy_ratio_{b}", f"energy / {b}", ".3f") for b in config["cost"]["baselines"]]
    ci = [("accuracy_ci", "95% CI")] if n_test else []
    assumed = ("Assumptions", assumptions(config, seeds=[seed]),
               [("quantity", "quantity"), ("value", "value"), ("source", "source")])
    md, html_ = write_report(out, title="analogfe sweep", intro=intro, rows=rows,
                             columns=[("n", "#"), ("point", "grid point")] + _RESULT_COLUMNS[:1] + ci
                             + _RESULT_COLUMNS[1:] + ratios,
                             figures=plots, tables=[assumed], name="sweep")
    return {"plots": [p for _, p in plots], "report_md": md, "report_html": html_}
