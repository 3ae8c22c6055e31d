"""The decision across tasks: which differences and conclusions hold on which task.

``compare`` runs every task of ``dataset.tasks``; this module turns their
results into a verdict table -- for each task, each pair of front ends and
each model, the paired difference in accuracy on the same test images
(Newcombe's interval, exact McNemar) at every seed -- and one line per
conclusion of the README, saying on which tasks it holds. A conclusion holds
on a task when it holds on every seed the task was run with.

The inputs are the per-seed results that :func:`analogfe.app.compare.run_compare`
stores: ``{task: {seed: {front end: result}}}``, each result holding
``svm.correct`` (and ``resnet.correct`` where the ResNet ran), the brightness
losses and the cost.
"""
from __future__ import annotations

import numpy as np

__all__ = ["CONCLUSIONS", "pair_differences", "conclusion_rows", "verdict_tables",
           "verdict_markdown"]

#: Models whose paired differences the verdict gives: result key -> label.
MODELS = {"svm": "SVM", "resnet": "ResNet-10"}

#: Largest accuracy loss (points) over the auto-exposure brightness sweep
#: that the robustness conclusion allows.
ROBUST_LOSS_PTS = 2.0


def _pairs(names):
    """``(a, b)`` for ``a - b``: each front end against every one before it."""
    return [(a, b) for i, a in enumerate(names) for b in names[:i]]


def _diff(results, a, b, model):
    from ..learn.stats import paired_difference_interval

    ra, rb = results.get(a, {}).get(model), results.get(b, {}).get(model)
    if not ra or not rb or "correct" not in ra or "correct" not in rb:
        return None
    ca, cb = np.asarray(ra["correct"], bool), np.asarray(rb["correct"], bool)
    if ca.shape != cb.shape or ca.size == 0:
        return None
    return paired_difference_interval(ca, cb)


def pair_differences(per_task, names, models=tuple(MODELS)):
    """One row per task, pair of front ends and model.

    Parameters
    ----------
    per_task : dict
        ``{task: {seed: {front end: result}}}``.
    names : sequence of str
        Front ends in report order; pairs are ``a - b`` with ``b`` before ``a``.
    models : sequence of str
        Keys of :data:`MODELS`.

    Returns
    -------
    list of dict
        ``task``, ``pair``, ``model``, ``seeds`` (those with the model),
        ``difference``, ``low``, ``high``, ``p_value`` (points and p of the
        first of them), ``mean_difference`` over them, ``below`` and
        ``above`` (seeds whose interval lies wholly below / above 0).
    """
    rows = []
    for task, by_seed in per_task.items():
        for a, b in _pairs(list(names)):
            for model in models:
                got = [(s, _diff(res, a, b, model)) for s, res in by_seed.items()]
                got = [(s, d) for s, d in got if d is not None]
                if not got:
                    continue
                first = got[0][1]
                rows.append({
                    "task": task, "pair": f"{a} - {b}", "model": model,
                    "seeds": [s for s, _ in got],
                    "difference": 100 * first["diff"], "low": 100 * first["low"],
                    "high": 100 * first["high"], "p_value": first["p_value"],
                    "mean_difference": 100 * float(np.mean([d["diff"] for _, d in got])),
                    "below": sum(d["high"] < 0 for _, d in got),
                    "above": sum(d["low"] > 0 for _, d in got),
                })
    return rows


def _rows_of(diffs, task, pair, model):
    return [r for r in diffs if r["task"] == task and r["pair"] == pair and r["model"] == model]


def _every_seed(diffs, task, pair, model, test):
    rows = _rows_of(diffs, task, pair, model)
    if not rows:
        return None
    r = rows[0]
    return test(r, len(r["seeds"]))


def _level(diffs, task, a, b, model):
    return _every_seed(diffs, task, f"{a} - {b}", model,
                       lambda r, n: r["below"] == 0 and r["above"] == 0)


def _below(diffs, task, a, b, model):
    return _every_seed(diffs, task, f"{a} - {b}", model, lambda r, n: r["below"] == n)


def _no_pair_apart(diffs, task, model):
    rows = [r for r in diffs if r["task"] == task and r["model"] == model]
    return None if not rows else all(r["below"] == 0 and r["above"] == 0 for r in rows)


def _robust(per_task, task, model, names):
    losses = []
    for res in per_task[task].values():
        for n in names:
            loss = res.get(n, {}).get(model, {}).get("max_loss_by_exposure", {}).get("auto")
            if loss is not None:
                losses.append(loss)
    return None if not losses else max(losses) <= ROBUST_LOSS_PTS


def _cheaper(per_task, task, a, b):
    res = next(iter(per_task[task].values()))
    ca, cb = res.get(a, {}).get("cost"), res.get(b, {}).get("cost")
    if not ca or not cb:
        return None
    return (ca["bits_per_frame"] < cb["bits_per_frame"]
            and ca["hog-svm"]["energy_per_frame_pj"] < cb["hog-svm"]["energy_per_frame_pj"])


#: The conclusions the README draws, each with the test that decides, task by
#: task, whether it holds there: ``(text, test(per_task, diffs, task, names))``
#: where the test gives True, False, or None (the task lacks what it needs).
CONCLUSIONS = (
    ("on crop classification the SVMs of all front ends are level (no paired interval excludes 0)",
     lambda pt, d, t, n: _no_pair_apart(d, t, "svm")),
    ("lg2.75's SVM is level with gray8's",
     lambda pt, d, t, n: _level(d, t, "lg2.75", "gray8", "svm")),
    ("lg1.5's SVM is below gray8's",
     lambda pt, d, t, n: _below(d, t, "lg1.5", "gray8", "svm")),
    ("lg2.75's ResNet is level with gray8's",
     lambda pt, d, t, n: _level(d, t, "lg2.75", "gray8", "resnet")),
    ("lg1.5's ResNet is below gray8's",
     lambda pt, d, t, n: _below(d, t, "lg1.5", "gray8", "resnet")),
    (f"with auto-exposure no front end's SVM loses more than {ROBUST_LOSS_PTS:g} points over "
     "the brightness sweep",
     lambda pt, d, t, n: _robust(pt, t, "svm", n)),
    ("lg1.5 sends fewer link bits and spends less wake-up-path energy than rgb8",
     lambda pt, d, t, n: _cheaper(pt, t, "lg1.5", "rgb8")),
)


def conclusion_rows(per_task, names, diffs=None):
    """One row per conclusion: ``text``, ``holds`` (tasks), ``fails`` (tasks),
    ``untested`` (tasks without what it needs)."""
    diffs = pair_differences(per_task, names) if diffs is None else diffs
    rows = []
    for text, test in CONCLUSIONS:
        verdicts = {t: test(per_task, diffs, t, list(names)) for t in per_task}
        rows.append({"text": text,
                     "holds": [t for t, v in verdicts.items() if v is True],
                     "fails": [t for t, v in verdicts.items() if v is False],
                     "untested": [t for t, v in verdicts.items() if v is None]})
    return rows


def verdict_tables(per_task, names):
    """The verdict as report tables ``(caption, rows, columns)``: the
    conclusions, then the paired differences per task."""
    diffs = pair_differences(per_task, names)
    concl = [{"text": r["text"], **{k: ", ".join(r[k]) or "-" for k in ("holds", "fails", "untested")}}
             for r in conclusion_rows(per_task, names, diffs)]
    pairs = [{"task": r["task"], "model": MODELS[r["model"]], "pair": r["pair"],
              "diff": f"{r['difference']:+.1f} [{r['low']:+.1f}, {r['high']:+.1f}]",
              "p": r["p_value"], "mean": r["mean_difference"],
              "seeds": f"{r['below']} / {r['above']} of {len(r['seeds'])}"} for r in diffs]
    return [
        (f"Which conclusions hold on which task (tasks: {', '.join(per_task)}; a conclusion holds "
         "on a task when it holds on every seed the task ran)", concl,
         [("text", "conclusion"), ("holds", "holds on"), ("fails", "does not hold on"),
          ("untested", "not tested on")]),
        ("Paired differences per task, accuracy points on the same test images: the first "
         "seed's difference with its 95 % Newcombe interval and exact McNemar p, the mean over "
         "the seeds, and on how many seeds the interval lies wholly below / above 0", pairs,
         [("task", "task"), ("model", "model"), ("pair", "front ends"),
          ("diff", "difference [95% CI]"), ("p", "McNemar p", ".3g"),
          ("mean", "mean over seeds", "+.1f"), ("seeds", "seeds below / above 0")]),
    ]


def verdict_markdown(per_task, names):
    """The verdict tables as Markdown (:func:`verdict_tables`)."""
    from .report import markdown_table

    return "\n".join(f"## {cap}\n\n{markdown_table(rows, cols)}"
                      for cap, rows, cols in verdict_tables(per_task, names))
