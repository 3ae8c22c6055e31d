"""The tables of the compare report beyond the main one: paired differences,
the 1.5-bit threshold, brightness, baselines, energy ranges, seeds.

Each builder returns ``(caption, rows, columns)`` for
:func:`analogfe.app.report.write_report`.
"""
from __future__ import annotations

import numpy as np

#: The front end whose +-1 threshold ``frontends.threshold_sweep`` varies.
SWEPT = "lg1.5"
#: The label of the 1.5-bit converter's own ratio threshold in the sweep.
FORMULA = "2 (formula)"


def brightness_table(curves, lux0=None, mode_label=None):
    """Accuracy per brightness exponent; ``lux0``: the illuminance of k = 0,
    which labels each column with its equivalent illuminance."""
    ks = sorted({k for ks_, _ in curves.values() for k in ks_})
    rows = []
    for label, (k, acc) in curves.items():
        row = {"model": label}
        row.update({f"k={kk}": a for kk, a in zip(k, acc)})
        rows.append(row)

    def head(k):
        return f"k={k}" if lux0 is None else f"k={k} ({lux0 * 2.0 ** k:,.3g} lx)"

    what = f", {mode_label}" if mode_label else ""
    lux = "" if lux0 is None else " (equivalent scene illuminance)"
    return (f"Accuracy at each brightness 2^k{what}{lux}", rows,
            [("model", "front end, model")] + [(f"k={k}", head(k)) for k in ks])


def difference_table(results, model="svm"):
    """Accuracy differences of ``model`` ("svm" or "resnet") between front
    ends on the same test images, with Newcombe's paired 95 % interval and
    the exact McNemar p-value; None when fewer than two front ends have it."""
    from itertools import combinations

    from ..learn.stats import paired_difference_interval

    have = [n for n, r in results.items() if "correct" in r.get(model, {})]
    if len(have) < 2:
        return None
    rows = []
    for a, b in combinations(have, 2):
        d = paired_difference_interval(np.asarray(results[b][model]["correct"], bool),
                                       np.asarray(results[a][model]["correct"], bool))
        rows.append({"pair": f"{b} - {a}", "diff": 100 * d["diff"],
                     "ci": f"[{100 * d['low']:+.1f}, {100 * d['high']:+.1f}]",
                     "disc": f"{d['n_a_only']} / {d['n_b_only']}", "p": d["p_value"],
                     "real": "yes" if d["low"] > 0 or d["high"] < 0 else "no"})
    label = {"svm": "SVM", "resnet": "ResNet-10"}[model]
    return (f"{label} accuracy differences on the same test images (points)", rows,
            [("pair", "front ends"), ("diff", "difference", "+.1f"), ("ci", "95% CI (Newcombe)"),
             ("disc", "right only in first / second"), ("p", "McNemar p", ".3g"),
             ("real", "interval excludes 0")])


def ap_difference_table(results, seed):
    """Detector AP differences between front ends on the same test scenes:
    paired percentile-bootstrap 95 % intervals (the same scene resamples for
    every front end)."""
    from itertools import combinations

    from ..learn.metrics import ap_bootstrap
    from .config import task_seed
    from .tasks import AP_BOOTSTRAP

    have = [n for n, r in results.items() if "detections" in r["svm"]]
    if len(have) < 2:
        return None
    d0 = results[have[0]]["svm"]["detections"]
    gt = [np.asarray(b, float).reshape(-1, 4) for b in d0["gt_boxes"]]
    systems = [([np.asarray(b, float).reshape(-1, 4) for b in results[n]["svm"]["detections"]["boxes"]],
                [np.asarray(v, float) for v in results[n]["svm"]["detections"]["scores"]])
               for n in have]
    ap, samples = ap_bootstrap(systems, gt, n_boot=AP_BOOTSTRAP, seed=task_seed(seed, "ap-bootstrap"))
    idx = {n: i for i, n in enumerate(have)}
    rows = []
    for a, b in combinations(have, 2):
        diff = samples[:, idx[b]] - samples[:, idx[a]]
        lo, hi = np.nanpercentile(diff, [2.5, 97.5])
        rows.append({"pair": f"{b} - {a}", "diff": ap[idx[b]] - ap[idx[a]],
                     "ci": f"[{lo:+.3f}, {hi:+.3f}]",
                     "real": "yes" if lo > 0 or hi < 0 else "no"})
    n = len(gt)
    return (f"Detector AP differences on the same {n} test scenes (paired bootstrap, "
            f"{AP_BOOTSTRAP} resamples)", rows,
            [("pair", "front ends"), ("diff", "AP difference", "+.3f"), ("ci", "95% CI"),
             ("real", "interval excludes 0")])


def chance_note(results):
    r = next((r["svm"] for r in results.values() if "chance" in r["svm"]), None)
    if r is None:
        return None
    return (f"Statistics: {r['n_test']} test images; every accuracy comes with its 95 % Wilson "
            f"interval. Chance: always answering the majority test class scores "
            f"{r['chance']['accuracy']:.3f} accuracy ({r['chance']['balanced_accuracy']:.3f} "
            "balanced accuracy, the mean per-class recall, which an always-the-same answer "
            "cannot beat). Differences between front ends are paired on the same test images "
            "(table below); a difference whose interval includes 0 is not shown to be real.")


def energy_range_table(config):
    """Every energy ratio as a central value with the range of its estimated
    assumptions (:func:`analogfe.app.energy_ranges.energy_ranges`), the one
    that moves it most, and the compressed-descriptor alternative."""
    from .energy_ranges import ENERGY_ASSUMPTIONS, energy_ranges

    rows = energy_ranges(config)
    for r in rows:
        r["range"] = f"[{r['low']:.3f}, {r['high']:.3f}]"
    varied = "; ".join(f"{what}: {', '.join(lab for lab, _ in vals)}"
                       for what, vals in ENERGY_ASSUMPTIONS.values())
    static = ", ".join(sorted({f"{r['ratio'].split(' / ')[1]} {r['baseline_uw']:,.1f} uW"
                               for r in rows}))
    return ("Energy ratios (wake-up path) with the range of their estimated assumptions, "
            f"one at a time ({varied}). Only dynamic energy is modelled: a static power on "
            "both sensors equal to the baseline's dynamic power at this frame rate "
            f"({static}) would halve every saving. 'compressed descriptor' is the ratio "
            "with the JSSC 2019 chip's reachable-bin HOG descriptor instead of the 31 FHOG "
            "features per cell the SVM is trained on (a labelled alternative, not what is "
            "trained)", rows,
            [("ratio", "energy ratio"), ("central", "central", ".3f"), ("range", "range"),
             ("by", "moved most by"), ("compressed", "compressed descriptor", ".3f")])


def baseline_table(baselines):
    rows = [{"baseline": name, "bits": b["bits_per_frame"],
             "uj": b["energy_per_frame_pj"] * 1e-6, "kib": b["memory_bits"] / 8192.0,
             "fom": b["baseline"]["adc_fom_fj"], "source": b["baseline"]["source"],
             "footing": b["baseline"]["footing"]}
            for name, b in baselines.items()]
    return ("Baselines (wake-up path, same frame and rate; the 8-bit front ends are costed on "
            "the first one's ADC, and on each one's ADC for its ratio)", rows,
            [("baseline", "baseline"), ("bits", "link bits/frame"), ("uj", "uJ/frame", ",.2f"),
             ("kib", "memory (KiB)", ",.1f"), ("fom", "ADC FoM (fJ/step)", ",.0f"),
             ("source", "ADC FoM source"), ("footing", "footing against the log converter")])


def _chosen_threshold(r):
    """``(label, svm result)`` of the 1.5-bit threshold chosen on validation, or None."""
    choice = r.get("threshold_choice", {}).get("chosen")
    if choice is None:
        return None
    return choice, (r["svm"] if choice == FORMULA else r["threshold_sweep"][choice])


def _seed_values(per_seed, name, model, key):
    """``[(seed, value)]`` of ``results[name][model][key]`` over the seeds that have it;
    ``model="lg1.5-validated"`` reads the validated threshold's SVM result."""
    out = []
    for s, res in per_seed.items():
        r = res.get(name, {})
        if model == "validated":
            ch = _chosen_threshold(r)
            d = ch[1] if ch else {}
        else:
            d = r.get(model, {})
        if d.get(key) is not None:
            out.append((s, d[key]))
    return out


def seed_table(per_seed):
    """Mean, standard deviation and range over seeds of every accuracy, AP and
    loss, one row per front end (the ResNet over the seeds it ran on)."""
    from ..learn.stats import summarize_seeds

    seeds = list(per_seed)
    keys = [("svm", "accuracy", "SVM acc."), ("svm", "ap", "detector AP"),
            ("validated", "ap", "AP, validated threshold"), ("svm", "max_loss", "SVM loss (pts)"),
            ("resnet", "accuracy", "ResNet-10 acc."), ("resnet", "max_loss", "ResNet loss (pts)")]
    names = list(per_seed[seeds[0]])
    cols, rows = [("frontend", "front end")], []
    for model, k, label in keys:
        if any(_seed_values(per_seed, n, model, k) for n in names):
            cols.append((f"{model}_{k}", f"{label} mean +- std [min, max] (n)"))
    for name in names:
        row = {"frontend": name}
        for model, k, _ in keys:
            vals = [v for _, v in _seed_values(per_seed, name, model, k)]
            if vals and any(c[0] == f"{model}_{k}" for c in cols):
                v = summarize_seeds(vals)
                d = 1 if k == "max_loss" else 3
                row[f"{model}_{k}"] = (f"{v['mean']:.{d}f} +- {v['std']:.{d}f} "
                                       f"[{v['min']:.{d}f}, {v['max']:.{d}f}] ({len(vals)})")
        rows.append(row)
    caption = (f"Over seeds {', '.join(map(str, seeds))}: mean +- standard deviation (ddof 1), "
               "range and number of seeds; each seed draws its own scenes, faces and split")
    return caption, rows, cols


def per_seed_table(per_seed):
    """Every seed's main figures with their 95 % intervals, one row per seed
    and front end: SVM accuracy (Wilson), detector AP (bootstrap), the
    1.5-bit threshold chosen on validation and its AP, ResNet accuracy."""
    from ..learn.stats import wilson_interval

    rows = []
    for s, res in per_seed.items():
        for name, r in res.items():
            svm = r["svm"]
            row = {"seed": s, "frontend": name, "svm": svm["accuracy"],
                   "svm_ci": "[{:.3f}, {:.3f}]".format(*svm["interval"]) if "interval" in svm else ""}
            if "ap" in svm:
                row.update(ap=svm["ap"], ap_ci="[{:.3f}, {:.3f}]".format(*svm["ap_interval"]))
            ch = _chosen_threshold(r)
            if ch and "ap" in ch[1]:
                row.update(t=ch[0], t_ap=ch[1]["ap"],
                           t_ci="[{:.3f}, {:.3f}]".format(*ch[1]["ap_interval"]))
            if "resnet" in r and svm.get("n_test"):
                n = svm["n_test"]
                lo, hi = wilson_interval(int(round(r["resnet"]["accuracy"] * n)), n)
                row.update(rn=r["resnet"]["accuracy"], rn_ci=f"[{lo:.3f}, {hi:.3f}]")
            rows.append(row)
    cols = [("seed", "seed"), ("frontend", "front end"), ("svm", "SVM acc.", ".3f"),
            ("svm_ci", "95% CI")]
    for keys, more in ((("ap",), [("ap", "detector AP", ".3f"), ("ap_ci", "AP 95% CI")]),
                       (("t",), [("t", "lg1.5 threshold (validated)"),
                                 ("t_ap", "its AP", ".3f"), ("t_ci", "its AP 95% CI")]),
                       (("rn",), [("rn", "ResNet-10 acc.", ".3f"), ("rn_ci", "ResNet 95% CI")])):
        if any(k in r for r in rows for k in keys):
            cols += more
    return "Every seed's figures with their own 95 % intervals", rows, cols


def seed_gap_table(per_seed, reference="gray8"):
    """Per seed, the paired detector-AP gap of the 1.5-bit front end to
    ``reference`` at the formula's threshold and at the threshold chosen on
    validation: does the conclusion hold on every seed?"""
    rows = []
    for s, res in per_seed.items():
        r, ref = res.get(SWEPT, {}), res.get(reference, {}).get("svm", {}).get("detections")
        if ref is None or "detections" not in r.get("svm", {}):
            continue
        row = {"seed": s}
        d, lo, hi = _paired_ap_gap(r["svm"]["detections"], ref, s)
        row.update(f=d, f_ci=f"[{lo:+.3f}, {hi:+.3f}]", f_real="yes" if lo > 0 or hi < 0 else "no")
        ch = _chosen_threshold(r)
        if ch and "detections" in ch[1]:
            d, lo, hi = _paired_ap_gap(ch[1]["detections"], ref, s)
            row.update(t=ch[0], v=d, v_ci=f"[{lo:+.3f}, {hi:+.3f}]",
                       v_real="yes" if lo > 0 or hi < 0 else "no")
        rows.append(row)
    if not rows:
        return None
    cols = [("seed", "seed"), ("f", f"{SWEPT} (formula 2) - {reference} AP", "+.3f"),
            ("f_ci", "paired 95% CI"), ("f_real", "excludes 0")]
    if any("t" in r for r in rows):
        cols += [("t", "validated threshold"), ("v", f"{SWEPT} (validated) - {reference} AP", "+.3f"),
                 ("v_ci", "paired 95% CI"), ("v_real", "excludes 0")]
    return (f"The {SWEPT} - {reference} detector AP gap on every seed (paired bootstrap over "
            "each seed's test scenes)", rows, cols)


def _paired_ap_gap(detections, reference, seed):
    """AP of ``detections`` minus AP of ``reference`` (both ``svm["detections"]``
    on the same test scenes) and its paired bootstrap 95 % interval."""
    from ..learn.metrics import ap_bootstrap
    from .config import task_seed
    from .tasks import AP_BOOTSTRAP

    gt = [np.asarray(b, float).reshape(-1, 4) for b in reference["gt_boxes"]]
    systems = [([np.asarray(b, float).reshape(-1, 4) for b in d["boxes"]],
                [np.asarray(v, float) for v in d["scores"]]) for d in (detections, reference)]
    ap, samples = ap_bootstrap(systems, gt, n_boot=AP_BOOTSTRAP, seed=task_seed(seed, "ap-bootstrap"))
    lo, hi = np.nanpercentile(samples[:, 0] - samples[:, 1], [2.5, 97.5])
    return float(ap[0] - ap[1]), float(lo), float(hi)


def threshold_table(results, seed=0, reference="gray8"):
    """The 1.5-bit front end at each swept ratio threshold beside the formula's
    2:1, with the validation score each was chosen by and the test figures of
    each; the validated choice is marked. With detections of front end
    ``reference`` on the same scenes, each threshold's paired AP gap to it."""
    r = results.get(SWEPT)
    if not r or "threshold_sweep" not in r:
        return None
    choice = r.get("threshold_choice", {})
    entries = [(FORMULA, {**r["svm"], "validation": choice.get("formula_validation")})]
    entries += list(r["threshold_sweep"].items())
    ref = results.get(reference, {}).get("svm", {}).get("detections")
    rows = []
    for t, svm in entries:
        val = svm.get("validation") or {}
        row = {"t": t, "chosen": "yes" if t == choice.get("chosen") else "",
               "val": val.get("score"), "acc": svm["accuracy"],
               "ci": "[{:.3f}, {:.3f}]".format(*svm["interval"]) if "interval" in svm else ""}
        if "ap" in svm:
            row.update(ap=svm["ap"], ap_ci="[{:.3f}, {:.3f}]".format(*svm["ap_interval"]))
            if ref is not None and "detections" in svm:
                d, lo, hi = _paired_ap_gap(svm["detections"], ref, seed)
                row.update(gap=d, gap_ci=f"[{lo:+.3f}, {hi:+.3f}]")
        rows.append(row)
    metric = next((e[1]["validation"]["metric"] for e in entries if e[1].get("validation")), None)
    cols = [("t", "ratio threshold")]
    if metric:
        cols += [("val", f"validation {'AP' if metric == 'ap' else 'accuracy'}", ".3f"),
                 ("chosen", "chosen on validation")]
    cols += [("acc", "SVM acc. (test)", ".3f"), ("ci", "95% CI")]
    if any("ap" in x for x in rows):
        cols += [("ap", "detector AP (test)", ".3f"), ("ap_ci", "AP 95% CI")]
    if any("gap" in x for x in rows):
        cols += [("gap", f"AP - {reference} (test)", "+.3f"), ("gap_ci", "paired 95% CI")]
    how = ("the detector's AP on a held-out quarter of the training scenes" if metric == "ap"
           else "the SVM's accuracy on a held-out quarter of the training crops")
    chosen = choice.get("chosen")
    what = (f"chosen by {how} (the test set is not read to choose): {chosen}" if chosen
            else "no validation choice")
    return (f"{SWEPT}: the +-1 ratio threshold (same bits), {what}; the formula's 2 is the "
            "reference row", rows, cols)


def operating_point_table(results):
    """The wake-up detector's deployment point per front end: the score
    threshold chosen on the training scenes and what it does on the test scenes."""
    rows = []
    for name, r in results.items():
        op = r["svm"].get("operating_point")
        if op is None:
            continue
        tr, te = op["train"], op["test"]
        rows.append({"frontend": name, "t": op["threshold"], "p_tr": tr["precision"],
                     "r_tr": tr["recall"], "p": te["precision"], "r": te["recall"],
                     "wake": te["wakeups_per_frame"], "false": te["wakeups_per_empty_frame"],
                     "hit": te["wakeups_per_target_frame"]})
    if not rows:
        return None
    return ("Detector operating point: the window score it fires on, chosen on the training "
            "scenes (largest F1), and its precision, recall and wake-ups per frame on the test "
            "scenes", rows,
            [("frontend", "front end"), ("t", "score threshold", ".3f"),
             ("p_tr", "precision (train)", ".3f"), ("r_tr", "recall (train)", ".3f"),
             ("p", "precision (test)", ".3f"), ("r", "recall (test)", ".3f"),
             ("wake", "wake-ups per frame", ".3f"), ("false", "per empty frame", ".3f"),
             ("hit", "per frame with a target", ".3f")])
