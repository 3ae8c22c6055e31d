"""The report of a comparison: its main table, figures, statistics and notes.

:func:`write_compare_report` turns the per-front-end measurements of
:func:`analogfe.app.compare.run_compare` (one seed, or several) into
``report.md``, ``report.html`` and ``results.json`` with the plots: the
main table (:data:`COLUMNS`, :func:`result_rows`), the stage figure of each
front end on the sensor it was evaluated on, the brightness curves of each
exposure mode, the paired difference tables, the energy ranges and the
assumptions.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .._io import atomic_write_json
from ._report_tables import (
    ap_difference_table,
    baseline_table,
    brightness_table,
    chance_note,
    difference_table,
    energy_range_table,
    operating_point_table,
    per_seed_table,
    seed_gap_table,
    seed_table,
    threshold_table,
)
from .tasks import baseline_costs, cell_size_for, cost_ratios, resnet_runs

__all__ = ["COLUMNS", "EXPOSURE_LABELS", "result_rows", "write_compare_report"]


COLUMNS = [
    ("frontend", "front end"),
    ("svm_accuracy", "SVM acc.", ".3f"),
    ("svm_ci", "SVM 95% CI"),
    ("svm_balanced", "SVM bal. acc.", ".3f"),
    ("svm_ap", "detector AP", ".3f"),
    ("svm_ap_ci", "AP 95% CI"),
    ("det_precision", "det. precision at threshold", ".3f"),
    ("det_recall", "det. recall at threshold", ".3f"),
    ("det_wakeups", "wake-ups/frame", ".3f"),
    ("resnet_accuracy", "ResNet-10 acc.", ".3f"),
    ("resnet_ci", "ResNet 95% CI"),
    ("svm_brightness_loss", "SVM loss 2^k, AE (pts)", ".1f"),
    ("svm_brightness_loss_fixed", "SVM loss 2^k, fixed exp. (pts)", ".1f"),
    ("resnet_brightness_loss", "ResNet loss 2^k, AE (pts)", ".1f"),
    ("resnet_brightness_loss_fixed", "ResNet loss 2^k, fixed exp. (pts)", ".1f"),
    ("bits_per_frame", "link bits/frame"),
    ("link_saving", "link saving x", ".2f"),
    ("memory_kib", "memory (KiB)", ",.1f"),
    ("energy_per_frame_uj", "SVM path uJ/frame", ",.1f"),
    ("cnn_energy_per_frame_uj", "CNN path uJ/frame", ",.0f"),
    ("average_power_uw", "avg power, dynamic (uW)", ",.1f"),
]


def _ratio_columns(baselines):
    """One energy-ratio column per baseline, named after it."""
    return [(f"energy_ratio_{b}", f"energy / {b}", ".3f") for b in baselines]


def _loss(model_result, mode):
    """The brightness loss of one model in exposure ``mode``, None if not swept."""
    return model_result.get("max_loss_by_exposure", {}).get(mode)


def result_rows(results, baselines):
    """Table rows (one per front end) from :func:`evaluate_frontend` results.

    ``memory_kib``, ``energy_per_frame_uj`` and ``average_power_uw`` are those
    of the wake-up path (front end + HOG + SVM detector); ``cnn_*`` of the
    front end + ResNet-10 path. ``bits_per_frame`` is what crosses the link
    in the energy model; ``link_saving`` is the first baseline's link bits
    over these, ``energy_ratio_<baseline>`` this wake-up path's energy over
    the baseline's (``baselines`` from :func:`analogfe.app.tasks.baseline_costs`).
    Accuracies carry their 95 % Wilson interval (``*_low``, ``*_high``, ``*_ci``).
    """
    from ..learn.stats import wilson_interval

    rows = []
    for name, r in results.items():
        c = r["cost"]
        svm = c["hog-svm"]
        row = {"frontend": name,
               "svm_accuracy": r["svm"]["accuracy"],
               "svm_ap": r["svm"].get("ap"),
               "svm_brightness_loss": _loss(r["svm"], "auto"),
               "svm_brightness_loss_fixed": _loss(r["svm"], "fixed"),
               "n_test": r["svm"].get("n_test"),
               "bits_per_frame": c["bits_per_frame"],
               "memory_kib": svm["memory_bits"] / 8192.0,
               "energy_per_frame_uj": svm["energy_per_frame_pj"] * 1e-6,
               "average_power_uw": svm["average_power_mw"] * 1e3}
        if "ap_interval" in r["svm"]:
            lo, hi = r["svm"]["ap_interval"]
            row.update(svm_ap_low=lo, svm_ap_high=hi, svm_ap_ci=f"[{lo:.3f}, {hi:.3f}]")
        if "operating_point" in r["svm"]:
            op = r["svm"]["operating_point"]["test"]
            row.update(det_threshold=op["threshold"], det_precision=op["precision"],
                       det_recall=op["recall"], det_wakeups=op["wakeups_per_frame"],
                       det_false_wakeups=op["wakeups_per_empty_frame"])
        if "interval" in r["svm"]:
            lo, hi = r["svm"]["interval"]
            row.update(svm_accuracy_low=lo, svm_accuracy_high=hi, svm_ci=f"[{lo:.3f}, {hi:.3f}]",
                       svm_balanced=r["svm"]["balanced_accuracy"])
        if "resnet" in r:
            row["resnet_accuracy"] = r["resnet"]["accuracy"]
            row["resnet_brightness_loss"] = _loss(r["resnet"], "auto")
            row["resnet_brightness_loss_fixed"] = _loss(r["resnet"], "fixed")
            n = r["svm"].get("n_test")
            if n:  # the same test images: the count of correct ones is accuracy x n
                lo, hi = wilson_interval(int(round(row["resnet_accuracy"] * n)), n)
                row.update(resnet_accuracy_low=lo, resnet_accuracy_high=hi,
                           resnet_ci=f"[{lo:.3f}, {hi:.3f}]")
        if "cnn" in c:
            row["cnn_energy_per_frame_uj"] = c["cnn"]["energy_per_frame_pj"] * 1e-6
        row.update(cost_ratios(c, baselines))
        rows.append(row)
    return rows


def _stage_figure(split, config, path, seed):
    """Every stage on one test image, each front end on the sensor, frame size and
    exposure it was evaluated on (as the assumptions table states them): one
    group of rows per sensor, e.g. rgb8 on its Bayer sensor, gray8 and the
    log-gradient front ends on the monochrome one."""
    from ..frontend.registry import emulate
    from ..scene.camera import unprocess
    from ..sensor.exposure import resolve_exposure
    from ..sensor.model import Sensor
    from .report import plot_stages
    from .simulate import stage_panels
    from .tasks import frontend_for, sensor_config_for, signal_for, task_seed

    i = int(np.flatnonzero(np.asarray(split.y_test) == np.max(split.y_test))[0])
    img = np.asarray(split.X_test[i])
    shape = img.shape[:2]
    cell = cell_size_for(config, shape)
    mode = config["scene"]["exposure"]
    ae = resolve_exposure(mode)
    groups = {}  # one sensor per group of front ends
    for name in dict.fromkeys(config["frontends"]["names"]):
        groups.setdefault(sensor_config_for(config, shape, name), []).append(name)
    panels, ncols = [], 4
    for sc, names in groups.items():
        sensor = Sensor(sc, seed=task_seed(seed, "stages"))
        raw = unprocess(img, cfa=sc.cfa)
        signal = signal_for(config, sc)
        if ae is None:
            electrons, gain = sensor.expose(raw, signal_e=signal), 1.0
        else:
            electrons, setting = ae.expose(sensor, raw[None], signal_e=signal)
            electrons, gain = electrons[0], float(np.reshape(setting.gain, -1)[0])
        outputs = {}
        for name in names:
            fe, fe_sc = frontend_for(name, config, sc, task_seed(seed, name, "sensor"))
            outputs[name] = emulate(img, fe, sensor_config=fe_sc, seed=task_seed(seed, name, "sensor"),
                                    signal_e=signal, exposure=mode)
        stages = {"scene": raw, "electrons_e": electrons, "dn": sensor.readout(electrons, gain=gain),
                  "sensor_config": sc, "outputs": outputs}
        sensor_name = f"{'monochrome' if sc.cfa is None else sc.cfa + ' Bayer'} {sc.height}x{sc.width}"
        where = [f"[{sensor_name} sensor of\n{', '.join(names)}]", f"[{sensor_name}]",
                 f"[{sensor_name}]"]
        group = [(f"{t}\n{where[k]}" if k < 3 else t, im, kw, *rest)
                 for k, (t, im, kw, *rest) in enumerate(stage_panels(stages, cell_size=cell,
                                                                     max_scales=2))]
        panels += group + [None] * (-len(group) % ncols)  # the next sensor starts a new row
    what = EXPOSURE_LABELS[mode]
    return plot_stages(panels, path, ncols=ncols,
                       title=f"Every stage on one test image ({split.classes[int(split.y_test[i])]}): "
                             f"each front end on the sensor it was evaluated on, {what}, k = 0")


def _brightness_curves(results, mode, *, mismatched=False):
    """``{"<front end> <model>": (ks, accuracies)}`` of every trained model,
    its test sweep in exposure ``mode`` ("auto" or "fixed"); with
    ``mismatched``, also the sweeps in ``mode`` of the models trained in the
    other mode (labelled with the mode they were trained in)."""
    curves = {}
    for name, r in results.items():
        for model, label in (("svm", "SVM"), ("resnet", "ResNet-10")):
            res = r.get(model, {})
            sweeps = [(f"{name} {label}", res.get("brightness_by_exposure", {}).get(mode))]
            if mismatched and mode in res.get("brightness_mismatched", {}):
                trained = EXPOSURE_LABELS[res["exposure"]]
                sweeps.append((f"{name} {label}, trained with {trained} (mismatch)",
                               res["brightness_mismatched"][mode]))
            for key, sw in sweeps:
                if sw is not None:
                    b = {int(k): v for k, v in sw.items()}
                    curves[key] = (sorted(b), [b[k] for k in sorted(b)])
    return curves


#: The two exposure modes of every brightness sweep, as the report names them.
EXPOSURE_LABELS = {"auto": "auto-exposure", "fixed": "fixed exposure"}


def _mode_label(mode, config):
    """How the brightness table of exposure ``mode`` names its models and its k = 0."""
    if mode == "auto":
        return (f"{EXPOSURE_LABELS[mode]} (the scene's light scaled by 2^k, each frame metered "
                f"to {config['scene']['ae_target']:g} of saturation)")
    ref = ("k = 0 is the auto-exposure's operating point on the median training image (its "
           f"mean at {config['scene']['ae_target']:g} of the saturation signal; per front end)"
           if config["scene"]["signal_e"] == "auto" else
           f"k = 0 puts white at scene.signal_e = {config['scene']['signal_e']:g} e-")
    trained = ("models trained without auto-exposure; the rows marked mismatch are the "
               "auto-exposure models tested without it" if config["scene"]["retrain_per_exposure"]
               else "the auto-exposure models tested without it (a mismatch)")
    return f"{EXPOSURE_LABELS[mode]}: {ref}; {trained}"


def _report_plots(results, rows, curves, config, out, *, seed, split, has_rn, lux0=None):
    """The report's figures as (caption, path)."""
    from .report import plot_accuracy_vs, plot_brightness, plot_energy_breakdown

    c = config["cost"]
    chance = next((r["svm"]["chance"]["accuracy"] for r in results.values() if "chance" in r["svm"]),
                  None)

    def ci(model):
        return ((f"{model}_accuracy_low", f"{model}_accuracy_high"),)

    ykeys = [("svm_accuracy", "wake-up SVM", *ci("svm"))] \
        + ([("resnet_accuracy", "ResNet-10", *ci("resnet"))] if has_rn else [])
    plots = [("Accuracy vs link bits per frame (95 % Wilson intervals)", plot_accuracy_vs(
        rows, [("bits_per_frame", k, lab, *rest) for k, lab, *rest in ykeys],
        out / "accuracy_vs_bits.png",
        xlabel=f"link bits per frame ({c['width']}x{c['height']})",
        title="Accuracy vs link bits per frame", chance=chance))]
    plots.append(("Accuracy vs energy per frame (Pareto front dashed; 95 % Wilson intervals)",
                  plot_accuracy_vs(
        rows, [("energy_per_frame_uj", "svm_accuracy", "wake-up SVM (HOG + SVM path)", *ci("svm"))]
        + ([("cnn_energy_per_frame_uj", "resnet_accuracy", "ResNet-10 (CNN path)", *ci("resnet"))]
           if has_rn else []),
        out / "accuracy_vs_energy.png", xlabel="energy per frame (uJ)", pareto=True,
        title="Accuracy vs energy per frame", chance=chance)))
    n_test = next((r["svm"]["n_test"] for r in results.values() if "n_test" in r["svm"]), None)
    for mode, stem in (("auto", "accuracy_vs_brightness"), ("fixed", "accuracy_vs_brightness_fixed")):
        if curves.get(mode):
            lab = EXPOSURE_LABELS[mode]
            plots.append((f"Accuracy vs brightness, {lab}", plot_brightness(
                curves[mode], out / f"{stem}.png", group_by_first_word=True, n_test=n_test,
                chance=chance, title=f"Accuracy vs brightness, {lab}", lux0=lux0)))
    plots.append(("Energy per frame by stage (components named in the legend)", plot_energy_breakdown(
        {n: r["cost"]["hog-svm"]["components_pj"] for n, r in results.items()},
        out / "energy_breakdown.png", unit="uJ", scale=1e-6,
        title=f"Energy per frame of the wake-up path by stage ({c['width']}x{c['height']})")))
    if split is not None:
        plots.append(("Every stage on one example image",
                      _stage_figure(split, config, out / "stages.png", seed)))
    return plots


def _report_text(results, config, *, seed, split, has_ap):
    """The report's introduction and notes: dataset, sizes, seed, what each ratio is."""
    ds, c = config["dataset"], config["cost"]
    first = c["baselines"][0]
    n = "" if split is None else f" ({len(split.y_train)} training and {len(split.y_test)} test images)"
    intro = (f"Front ends compared on dataset '{ds['name']}'{n}, seed {seed}. Accuracy is on the "
             f"test split at brightness 2^0; the brightness loss is the largest drop in accuracy "
             f"points over scales 2^k, k in {sorted(config['scene']['brightness_exponents'])}. "
             f"Bits, memory and energy are for a {c['width']}x{c['height']} sensor at "
             f"{c['fps']:g} frame/s (the same frame and rate for every front end and baseline).")
    notes = [("Link bits/frame: what crosses the link in the energy model (for the 8-bit front "
              "ends the ISP runs on the application processor, so the link carries the 10-bit "
              "raw mosaic, not the 8-bit image). Link saving: the link bits of baseline "
              f"'{first}' over those of the front end. Energy / <baseline>: the front end's "
              "wake-up-path energy per frame over that baseline's; the baselines are named "
              "digital pipelines (analogfe.system.BASELINES), listed with their assumptions below."),
             ("Energy per frame, memory and average power are those of the always-on wake-up path "
              "(sensor and front end, link, ISP for the 8-bit front ends, HOG and a sliding-window "
              "linear-SVM detector over the whole frame, from analogfe.system.cost); the CNN path "
              "runs the ResNet-10 over the whole frame instead. Only dynamic energy is modelled "
              "(no static, bias or leakage power), so the average power is a lower bound, "
              "loosest at low frame rates."),
             _memory_note(config),
             ("Calibration: the log-ratio converter's energy per decision "
              f"({_rdc(config):g} pJ) is calibrated so that the JSSC 2019 chip comes out at its "
              "measured 99 pJ/pixel given an assumed 10 pJ pixel read and the link energy; the "
              "commercial column-ADC FoM likewise to 0.70 nJ/pixel. An assumption both "
              "calibrations absorb (link energy, pixel read) hardly moves a ratio; how the "
              "measured figures are split and what they include does: the energy-range table "
              "gives every ratio with its range and the assumption that moves it most. The HOG "
              "descriptor is costed as trained: 31 FHOG features per cell, 8 bits each, for "
              "every front end (cost option hog_descriptor).")]
    if has_ap:
        shape = (32, 32) if split is None else tuple(int(v) for v in split.X_test.shape[1:3])
        win, cell = "x".join(map(str, shape)), cell_size_for(config, shape)
        n = next((r["svm"].get("n_test_scenes") for r in results.values()
                  if "n_test_scenes" in r["svm"]), None)
        sv = config["svm"]
        notes.append("Detector AP: PASCAL VOC average precision (area, IoU 0.5) of a sliding-window "
                     "detector per front end, trained on the windows of the training scenes "
                     f"(C {sv['detector_C']:g}, {sv['hard_negative_rounds']} round(s) of hard-negative "
                     f"mining), on the {n} test scenes, with a 95 % "
                     "percentile-bootstrap interval over test scenes. AP is computed on the whole "
                     "ranked list (every window after NMS, no score cut), as the VOC and COCO "
                     "protocols do. The deployed detector fires on a frame when a window scores "
                     "at least a threshold, chosen per front end on the training scenes (largest "
                     "F1), never on the test scenes: 'det. precision / recall at threshold' and "
                     "'wake-ups/frame' (the fraction of test frames it fires on; half the scenes "
                     "hold no target) are that operating point on the test scenes. The AP gap "
                     "between front ends "
                     f"depends on the objects' size in HOG cells (here {win} px windows of "
                     f"{cell} px cells); examples/detection_vs_object_size.py measures the gap "
                     "per object size with the released log-HOG features.")
    if any("resnet" in r for r in results.values()):
        r0 = next(r for r in results.values() if "resnet" in r)
        notes.append(f"ResNet-10: width {config['resnet']['width']}, {r0['resnet']['params']:,} "
                     f"parameters, up to {config['resnet']['epochs']} epochs.")
    return intro, notes


def _rdc(config):
    from ..system.params import CostParams

    return CostParams(**dict(config["cost"]["options"])).rdc_pj_per_comparison


def _memory_note(config):
    """Where the first baseline's frame buffer sits, and where its memory
    energy steps (memories are costed by size from Horowitz's table)."""
    from ..system.baseline import get_baseline
    from ..system.energy import memory_level

    c = config["cost"]
    b = get_baseline(c["baselines"][0])
    opts = dict(c["options"])

    def per_pixel(h, w):
        r = b.cost(h, w, c["fps"], "hog-svm", **opts)
        fb = next((x for x in r.components if x.name == "frame buffer"), None)
        return r.energy_pj / (h * w), fb

    here, fb = per_pixel(c["height"], c["width"])
    if fb is None:
        return ("The baselines write no frame buffer (cost option frame_buffer = false).")
    h, w = c["height"], c["width"]
    while memory_level(fb.memory_bits) != "DRAM" and h < 16384:  # the next size up that steps
        h, w = h + c["height"] // 2, w + c["width"] // 2
        _, fb2 = per_pixel(h, w)
        if memory_level(fb2.memory_bits) != memory_level(fb.memory_bits):
            break
    there, fb2 = per_pixel(h, w)
    return (f"Memory: the 8-bit front ends write their ISP output to an assumed full-frame buffer "
            f"and read it back once (cost option frame_buffer): {fb.memory_bits / 8192:,.1f} KiB of "
            f"baseline {b.name}'s memory here, in a {memory_level(fb.memory_bits)} SRAM. Memories are "
            f"costed by size in steps (Horowitz's 8 KB, 32 KB and 1 MB SRAM arrays, DRAM above), so "
            f"at {w}x{h} the buffer moves to {memory_level(fb2.memory_bits)} and the baseline's energy "
            f"per pixel steps from {here:,.0f} to {there:,.0f} pJ.")


def write_compare_report(results, config, out_dir, *, seed=0, split=None, per_seed=None):
    """Plots, ``report.md``, ``report.html`` and ``results.json`` of a comparison.

    ``per_seed`` (seed -> results, the first being ``results``) adds the
    table of mean +- std over seeds."""
    from .assumptions import assumptions, sensor_used, white_light
    from .report import write_report

    out = Path(out_dir)
    baselines = baseline_costs(config)
    rows = result_rows(results, baselines)
    has_rn = any("resnet" in r for r in results.values())
    has_ap = any("ap" in r["svm"] for r in results.values())
    cols = [c for c in COLUMNS if (has_rn or not c[0].startswith(("resnet", "cnn")))
            and (has_ap or not c[0].startswith(("svm_ap", "det_")))]
    at = next(i for i, c in enumerate(cols) if c[0] == "energy_per_frame_uj") + 1
    cols[at:at] = _ratio_columns(config["cost"]["baselines"])
    curves = {mode: _brightness_curves(results, mode) for mode in EXPOSURE_LABELS}
    shape = (32, 32) if split is None else tuple(int(s) for s in split.X_test.shape[1:3])
    lux0 = white_light(config, shape)[1]
    plots = _report_plots(results, rows, curves, config, out, seed=seed, split=split,
                          has_rn=has_rn, lux0=lux0)
    intro, notes = _report_text(results, config, seed=seed, split=split, has_ap=has_ap)
    chance = chance_note(results)
    if chance:
        notes.insert(0, chance)
    seeds = list(per_seed) if per_seed else [seed]
    assumed = assumptions(config, seeds=seeds, split=split)
    ap_table = ap_difference_table(results, seed)
    th_table = threshold_table(results, seed)
    op_table = operating_point_table(results)
    diffs = [t for t in (difference_table(results), difference_table(results, "resnet")) if t]
    tables = [*diffs, *([ap_table] if ap_table else []),
              *([op_table] if op_table else []),
              *([th_table] if th_table else []),
              *(brightness_table(_brightness_curves(results, m, mismatched=True),
                                 lux0 if m == "auto" else None, _mode_label(m, config))
                for m in EXPOSURE_LABELS if curves[m]),
              baseline_table(baselines), energy_range_table(config),
              ("Assumptions", assumed, [("quantity", "quantity"), ("value", "value"),
                                        ("source", "source")])]
    if len(seeds) > 1:
        gaps = seed_gap_table(per_seed)
        tables[0:0] = [seed_table(per_seed), per_seed_table(per_seed), *([gaps] if gaps else [])]
        rn = [s for s in seeds if resnet_runs(config, s)]
        intro += (f" The main table is seed {seeds[0]}'s; the next tables give the mean, "
                  f"standard deviation and range over seeds {', '.join(map(str, seeds))}, every "
                  "seed's figures with their own intervals, and the 1.5-bit detector's AP gap on "
                  "every seed"
                  + (f" (the ResNet-10 on seed(s) {', '.join(map(str, rn))})." if rn else "."))
    robust = [c[0] for c in cols if "brightness_loss" in c[0]]
    accuracy = [c[0] for c in cols
                if c[0].startswith(("svm_", "resnet_", "det_")) and c[0] not in robust]
    groups = [("Accuracy (95 % intervals) and the detector's operating point", accuracy),
              ("Robustness: largest loss over the brightness sweep", robust),
              ("Cost: link bits, memory, energy and power",
               [c[0] for c in cols[1:] if c[0] not in accuracy + robust])]
    md, html_ = write_report(out, title="analogfe: front ends against the RGB baseline", intro=intro,
                             rows=rows, columns=cols, figures=plots, notes=notes, tables=tables,
                             column_groups=groups)
    sensors = {name: sensor_used(config, shape, name) for name in results}
    extra = {"seeds": seeds, "per_seed": {str(k): v for k, v in per_seed.items()}} \
        if per_seed and len(seeds) > 1 else {"seeds": seeds}
    atomic_write_json(out / "results.json", {"seed": seed, **extra, "config": config, "rows": rows,
                                             "baselines": baselines, "sensors": sensors,
                                             "assumptions": assumed, "results": results})
    return {"rows": rows, "columns": cols, "plots": [p for _, p in plots],
            "report_md": md, "report_html": html_}
