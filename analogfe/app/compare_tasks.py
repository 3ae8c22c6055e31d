"""The main job over several tasks, and its task x seed x front end grid on Dask.

:func:`run_compare_tasks` compares the front ends on every task of
``dataset.tasks`` (the built-in wake-up scenes and textures by default), each
task in its own sub-folder with its own report, and writes a report of the
decision across tasks: each task's main figures, and the verdict table of
:mod:`analogfe.app.verdict` (which paired differences and which conclusions
hold on which task).

Every (task, seed, front end) measurement is independent work, and so is the
1.5-bit threshold sweep of each (task, seed): ``compute_grid`` runs them
as Dask tasks (a local cluster of ``compare.n_workers`` processes, or a
running scheduler), each storing its result where the serial run stores it
(:func:`analogfe.app.compare.frontend_result`), so the reports are then
written from the stored results and are the same as a serial run's
(:func:`analogfe.app.compare.compute_grid`).
"""
from __future__ import annotations

import copy
import time
from pathlib import Path

__all__ = ["task_config", "compare_tasks_of", "run_compare_tasks", "write_tasks_report"]

def task_config(config, task):
    """``config`` with ``dataset.name`` set to ``task``."""
    cfg = copy.deepcopy(config)
    cfg["dataset"]["name"] = task
    return cfg


def compare_tasks_of(config):
    """The tasks ``compare`` runs: ``dataset.name`` alone when it is not the
    default, else ``dataset.tasks``."""
    from .config import SCHEMA

    name = config["dataset"]["name"]
    if name != SCHEMA["dataset"]["name"][0]:
        return [name]
    return list(dict.fromkeys(config["dataset"]["tasks"]))


def _slug(task):
    from .outputs import folder_name

    return folder_name(Path(str(task)).name or str(task)).strip("_") or "task"


def run_compare_tasks(config, out_dir, *, tasks=None, seeds=None, seed=None, scheduler=None,
                      serial=False, progress=True, fresh=False, force=False):
    """The main job on every task, and the decision across them.

    Parameters
    ----------
    config : dict
        A loaded configuration (:func:`analogfe.app.config.load_config`).
    out_dir : path
        With one task, its report as :func:`analogfe.app.compare.run_compare`
        writes it; with several, ``<out_dir>/<task>/`` per task and, in
        ``out_dir``, ``report.md`` / ``report.html`` across the tasks and
        ``verdict.json``.
    tasks : list of str, optional
        Default :func:`compare_tasks_of` ``(config)``.
    seeds, seed
        As :func:`analogfe.app.compare.run_compare`.
    scheduler, serial
        Where the grid runs (:func:`analogfe.app.compare.compute_grid`); ``serial``: in this
        process, one item after the other.
    progress, fresh, force
        As :func:`analogfe.app.compare.run_compare`.

    Returns
    -------
    dict
        One task: :func:`~analogfe.app.compare.run_compare`'s result. Several:
        ``tasks`` (task -> that result), ``rows``, ``columns``, ``report_md``,
        ``report_html``, ``verdict`` (the conclusion rows), ``seconds``.
    """
    from .compare import _check_seeds, claim_compare_output, compute_grid, run_compare
    from .outputs import claim_output
    from .config import config_hash

    t0 = time.perf_counter()
    tasks = list(dict.fromkeys(tasks or compare_tasks_of(config)))
    if seeds is None:
        seeds = config["compare"]["seeds"] if seed is None else [seed]
    seeds = _check_seeds(seeds)
    if len(tasks) == 1:
        return run_compare(task_config(config, tasks[0]), out_dir, seeds=seeds, progress=progress,
                           fresh=fresh, force=force, scheduler=scheduler, serial=serial)
    out = claim_output(out_dir, "compare-tasks",
                       config_hash(config, extra={"tasks": tasks, "seeds": seeds}),
                       describe=f"tasks {', '.join(tasks)}, seeds {','.join(map(str, seeds))}",
                       force=force or fresh)
    runs = []
    for task in tasks:
        cfg = task_config(config, task)
        runs.append((cfg, claim_compare_output(cfg, out / _slug(task), seeds, force=force or fresh)))
    if not serial:
        compute_grid(runs, seeds, scheduler=scheduler, progress=progress, fresh=fresh)
        fresh = False
    reports = {}
    for task, (cfg, task_out) in zip(tasks, runs):
        if progress:
            print(f"task {task}:", flush=True)
        reports[task] = run_compare(cfg, task_out, seeds=seeds, progress=progress, fresh=fresh,
                                    force=True, serial=True)
    rep = write_tasks_report(reports, config, out, seeds=seeds)
    rep.update(tasks=reports, seconds=time.perf_counter() - t0)
    return rep


#: The columns of the report across tasks: each task's main figures.
TASK_COLUMNS = [("task", "task"), ("frontend", "front end"),
                ("svm_accuracy", "SVM acc.", ".3f"), ("svm_ci", "SVM 95% CI"),
                ("svm_ap", "detector AP", ".3f"), ("resnet_accuracy", "ResNet-10 acc.", ".3f"),
                ("resnet_ci", "ResNet 95% CI"), ("svm_brightness_loss", "SVM loss, AE (pts)", ".1f"),
                ("bits_per_frame", "link bits/frame"), ("energy_per_frame_uj", "SVM path uJ/frame",
                                                        ",.1f")]


def write_tasks_report(reports, config, out, *, seeds):
    """``report.md`` / ``report.html`` across tasks and ``verdict.json``."""
    from .._io import atomic_write_json
    from .report import write_report
    from .verdict import conclusion_rows, verdict_tables

    names = list(dict.fromkeys(config["frontends"]["names"]))
    per_task = {t: r["per_seed"] for t, r in reports.items()}
    rows = [{"task": t, **row} for t, r in reports.items() for row in r["rows"]]
    present = {k for row in rows for k, v in row.items() if v not in (None, "")}
    cols = [c for c in TASK_COLUMNS if c[0] in present]
    links = ", ".join(f"{t}: {_slug(t)}/report.md" for t in reports)
    intro = (f"The front ends compared on {len(reports)} tasks ({', '.join(reports)}), seeds "
             f"{', '.join(map(str, seeds))}. The table gives each task's first seed with its test-set "
             "intervals; each task's own report has every column, figure and statistic "
             f"({links}). The verdict tables below say, for each pair of front ends, on which "
             "tasks their paired difference excludes 0, and on which tasks each conclusion of "
             "the README holds.")
    md, html_ = write_report(out, title="analogfe: front ends across tasks", intro=intro,
                             rows=rows, columns=cols, figures=[],
                             tables=verdict_tables(per_task, names))
    verdict = conclusion_rows(per_task, names)
    atomic_write_json(out / "verdict.json", {"tasks": list(reports), "seeds": seeds,
                                             "conclusions": verdict})
    return {"rows": rows, "columns": cols, "report_md": md, "report_html": html_,
            "verdict": verdict}
