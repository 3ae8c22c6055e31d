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
from .config import config_hash, load_config
from .tasks import (
    COST_VERSION,
    RESULT_VERSION,
    baseline_costs,
    cell_size_for,
    cost_ratios,
    evaluate_cost,
    evaluate_resnet,
    evaluate_svm,
    split_from_config,
)

__all__ = [
    "evaluate_frontend",
    "result_rows",
    "write_compare_report",
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
    stages = iter(frontend_stages(config, scenes is not None) + [None])
    on_stage = on_stage or (lambda label: None)
    t0 = time.perf_counter()
    res = {"frontend": name}
    on_stage(next(stages))
    svm = evaluate_svm(split, name, config, seed=seed, scenes=scenes, progress=progress)
    res["svm"] = {k: v for k, v in svm.items() if k != "model"}
    if config["resnet"]["enabled"]:
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


def frontend_stages(config, has_scenes):
    """The stages :func:`evaluate_frontend` runs, as the progress bar names them."""
    svm = "SVM, brightness sweep" + (", detector" if has_scenes else "")
    resnet = ["ResNet-10 training, brightness sweep"] if config["resnet"]["enabled"] else []
    return [svm, *resnet, "cost"]


COLUMNS = [
    ("frontend", "front end"),
    ("svm_accuracy", "SVM acc.", ".3f"),
    ("svm_ci", "SVM 95% CI"),
    ("svm_balanced", "SVM bal. acc.", ".3f"),
    ("svm_ap", "detector AP", ".3f"),
    ("svm_ap_ci", "AP 95% CI"),
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


def _brightness_table(curves, lux0=None, mode_label=None):
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
    return (f"Accuracy at each brightness 2^k{what} (equivalent scene illuminance)", rows,
            [("model", "front end, model")] + [(f"k={k}", head(k)) for k in ks])


def _brightness_curves(results, mode):
    """``{"<front end> <model>": (ks, accuracies)}`` of every trained model,
    its test sweep in exposure ``mode`` ("auto" or "fixed")."""
    curves = {}
    for name, r in results.items():
        for model, label in (("svm", "SVM"), ("resnet", "ResNet-10")):
            if model in r and mode in r[model].get("brightness_by_exposure", {}):
                b = {int(k): v for k, v in r[model]["brightness_by_exposure"][mode].items()}
                curves[f"{name} {label}"] = (sorted(b), [b[k] for k in sorted(b)])
    return curves


#: The two exposure modes of every brightness sweep, as the report names them.
EXPOSURE_LABELS = {"auto": "auto-exposure", "fixed": "fixed exposure"}


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
              "commercial column-ADC FoM likewise to 0.70 nJ/pixel. Both therefore depend on the "
              "assumed link energy: the sensitivity table recomputes every ratio at 4, 10, 14 "
              "and 20 pJ/bit.")]
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
                     "percentile-bootstrap interval over test scenes. The AP gap between front ends "
                     f"depends on the objects' size in HOG cells (here {win} px windows of "
                     f"{cell} px cells); examples/detection_vs_object_size.py measures the gap "
                     "per object size with the released log-HOG features.")
    if any("resnet" in r for r in results.values()):
        r0 = next(r for r in results.values() if "resnet" in r)
        notes.append(f"ResNet-10: width {config['resnet']['width']}, {r0['resnet']['params']:,} "
                     f"parameters, up to {config['resnet']['epochs']} epochs.")
    return intro, notes


def _difference_table(results):
    """SVM accuracy differences between front ends on the same test images,
    with Newcombe's paired 95 % interval and the exact McNemar p-value."""
    from itertools import combinations

    from ..learn.stats import paired_difference_interval

    have = [n for n, r in results.items() if "correct" in r["svm"]]
    rows = []
    for a, b in combinations(have, 2):
        d = paired_difference_interval(np.asarray(results[b]["svm"]["correct"], bool),
                                       np.asarray(results[a]["svm"]["correct"], bool))
        rows.append({"pair": f"{b} - {a}", "diff": 100 * d["diff"],
                     "ci": f"[{100 * d['low']:+.1f}, {100 * d['high']:+.1f}]",
                     "disc": f"{d['n_a_only']} / {d['n_b_only']}", "p": d["p_value"],
                     "real": "yes" if d["low"] > 0 or d["high"] < 0 else "no"})
    return ("SVM accuracy differences on the same test images (points)", rows,
            [("pair", "front ends"), ("diff", "difference", "+.1f"), ("ci", "95% CI (Newcombe)"),
             ("disc", "right only in first / second"), ("p", "McNemar p", ".3g"),
             ("real", "interval excludes 0")])


def _ap_difference_table(results, seed):
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


def _chance_note(results):
    r = next((r["svm"] for r in results.values() if "chance" in r["svm"]), None)
    if r is None:
        return None
    return (f"Statistics: {r['n_test']} test images; every accuracy comes with its 95 % Wilson "
            f"interval. Chance: always answering the majority test class scores "
            f"{r['chance']['accuracy']:.3f} accuracy ({r['chance']['balanced_accuracy']:.3f} "
            "balanced accuracy, the mean per-class recall, which an always-the-same answer "
            "cannot beat). Differences between front ends are paired on the same test images "
            "(table below); a difference whose interval includes 0 is not shown to be real.")


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


def _sensitivity_table(config):
    """The energy ratios at 4, 10, 14 and 20 pJ/bit of link energy."""
    from ..system.baseline import get_baseline
    from .tasks import link_sensitivity

    rows = link_sensitivity(config)
    names = list(dict.fromkeys(config["frontends"]["names"]))
    cols = [("link_pj_per_bit", "link (pJ/bit)", ".0f"), ("rdc_pj", "comparator (pJ)", ".2f"),
            ("commercial_fom_fj", "commercial ADC (fJ/step)", ",.0f")]
    cols += [(f"{n}/{b}", f"{n} / {b}", ".3f") for b in config["cost"]["baselines"] for n in names
             if n != get_baseline(b).frontend]  # the baseline's own front end is 1 by construction
    return ("Sensitivity of the energy ratios to the link energy (the comparator energy and the "
            "commercial ADC FoM recalibrated to their chips at each link energy)", rows, cols)


def _baseline_table(baselines):
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


def _seed_table(per_seed):
    """Mean +- std over seeds of every accuracy and loss, one row per front end."""
    from ..learn.stats import summarize_seeds

    seeds = list(per_seed)
    keys = [("svm", "accuracy", "SVM acc."), ("svm", "max_loss", "SVM loss (pts)"),
            ("svm", "ap", "detector AP"), ("resnet", "accuracy", "ResNet-10 acc."),
            ("resnet", "max_loss", "ResNet loss (pts)")]
    rows, cols = [], [("frontend", "front end")]
    for model, k, label in keys:
        if all(k in r.get(model, {}) for res in per_seed.values() for r in res.values()):
            cols.append((f"{model}_{k}", f"{label} mean +- std"))
    for name in per_seed[seeds[0]]:
        row = {"frontend": name}
        for model, k, _ in keys:
            if any(c[0] == f"{model}_{k}" for c in cols):
                v = summarize_seeds([per_seed[s][name][model][k] for s in seeds])
                digits = 1 if k == "max_loss" else 3
                row[f"{model}_{k}"] = f"{v['mean']:.{digits}f} +- {v['std']:.{digits}f}"
        rows.append(row)
    caption = f"Over {len(seeds)} seeds ({', '.join(map(str, seeds))}): mean +- std (ddof 1)"
    return caption, rows, cols


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
            and (has_ap or not c[0].startswith("svm_ap"))]
    at = next(i for i, c in enumerate(cols) if c[0] == "energy_per_frame_uj") + 1
    cols[at:at] = _ratio_columns(config["cost"]["baselines"])
    curves = {mode: _brightness_curves(results, mode) for mode in EXPOSURE_LABELS}
    shape = (32, 32) if split is None else tuple(int(s) for s in split.X_test.shape[1:3])
    lux0 = white_light(config, shape)[1]
    plots = _report_plots(results, rows, curves, config, out, seed=seed, split=split,
                          has_rn=has_rn, lux0=lux0)
    intro, notes = _report_text(results, config, seed=seed, split=split, has_ap=has_ap)
    chance = _chance_note(results)
    if chance:
        notes.insert(0, chance)
    seeds = list(per_seed) if per_seed else [seed]
    assumed = assumptions(config, seeds=seeds, split=split)
    ap_table = _ap_difference_table(results, seed)
    th_table = _threshold_table(results)
    tables = [_difference_table(results), *([ap_table] if ap_table else []),
              *([th_table] if th_table else []),
              *(_brightness_table(curves[m], lux0, EXPOSURE_LABELS[m]) for m in EXPOSURE_LABELS
                if curves[m]),
              _baseline_table(baselines), _sensitivity_table(config),
              ("Assumptions", assumed, [("quantity", "quantity"), ("value", "value"),
                                        ("source", "source")])]
    if len(seeds) > 1:
        tables.insert(0, _seed_table(per_seed))
        intro += (f" The main table is seed {seeds[0]}'s; the next table gives the mean and "
                  f"standard deviation over seeds {', '.join(map(str, seeds))}.")
    robust = [c[0] for c in cols if "brightness_loss" in c[0]]
    accuracy = [c[0] for c in cols if c[0].startswith(("svm_", "resnet_")) and c[0] not in robust]
    groups = [("Accuracy (95 % intervals)", accuracy),
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


def run_compare(config=None, out_dir="analogfe-out", *, seed=0, seeds=None, progress=True,
                fresh=False, force=False):
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
    seed : int
    seeds : sequence of int, optional
        Run everything once per seed (split, sensor noise, cross-validation,
        network initialisation all follow the seed); the report gives the
        first seed's table with its test-set intervals and the mean +- std
        of every accuracy over the seeds. Default ``[seed]``.
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

    Returns
    -------
    dict
        ``rows``, ``columns``, ``plots``, ``report_md``, ``report_html``,
        ``results`` (front end -> measurements of the first seed), ``reused``
        (names reused at the first seed), ``seeds``.
    """
    config = config if isinstance(config, dict) and "frontends" in config and "cost" in config \
        else load_config(config)
    seeds = [seed] if seeds is None else _check_seeds(seeds)
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
                                f"{','.join(map(str, seeds))}", force=force or fresh, adopt=same_run)
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
    rep.update(results=per_seed[first], reused=reused, seeds=seeds)
    return rep


#: The configuration sections a comparison's results depend on.
_RUN_SECTIONS = ("dataset", "scene", "sensor", "frontends", "svm", "resnet", "cost")


def _check_seeds(seeds):
    from .._validation import check_ints

    seeds = list(check_ints(seeds, "seeds", low=0, high=2**31 - 1))
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds lists a seed twice: {seeds}")
    return seeds


def _run_seed(config, out, seed, *, progress, fresh):
    """Every front end at one seed: ``(results, split, reused names)``; each
    result stored in ``results/seed<seed>/<front end>.json``."""
    from tqdm.auto import tqdm

    split, scenes = split_from_config(config, seed, with_scenes=True)
    results, reused = {}, []
    names = list(dict.fromkeys(config["frontends"]["names"]))
    n_stages = len(frontend_stages(config, scenes is not None))
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
        key = _frontend_hash(config, name, seed)
        path = out / "results" / f"seed{seed}" / f"{name}.json"
        stored = None if fresh else read_cached(path, key, required=("frontend", "svm", "cost"))
        cost_key = config_hash(config, "cost", extra={"cost_version": COST_VERSION})
        if stored is not None:
            r = stored["result"]
            reused.append(name)
            bar.update(n_stages)
            if stored.get("cost_hash") != cost_key:  # the cost model alone is cheap to redo
                r["cost"] = evaluate_cost(name, config,
                                          cnn_profile=r.get("resnet", {}).get("frame_profile"))
                write_cached(path, key, r, cost_hash=cost_key, frontend=name)
        else:
            # one line per finished front end below, not the inner epochs' bars
            r = evaluate_frontend(split, name, config, seed=seed, scenes=scenes, out_dir=out,
                                  progress=False, resume=not fresh, on_stage=stage(name))
            write_cached(path, key, r, cost_hash=cost_key, frontend=name)
        results[name] = json.loads(json.dumps(r, default=float))
        if progress:
            bar.write(finished_line(results[name], reused=stored is not None))
    sweep = _threshold_sweep(config, out, seed, split, scenes, progress=progress, fresh=fresh,
                             bar=bar)
    bar.close()
    if sweep:
        results["lg1.5"]["threshold_sweep"] = sweep
    return results, split, reused


#: The front end whose +-1 threshold ``frontends.threshold_sweep`` varies.
SWEPT = "lg1.5"


def _swept_thresholds(config):
    """The thresholds :func:`_threshold_sweep` evaluates (none when it is off)."""
    fr = config["frontends"]
    if SWEPT not in fr["names"] or "thresholds" in fr["options"].get(SWEPT, {}):
        return []
    return list(fr["threshold_sweep"])


def _threshold_sweep(config, out, seed, split, scenes, *, progress, fresh, bar=None):
    """The 1.5-bit front end's SVM (and detector) at each ratio threshold of
    ``frontends.threshold_sweep``: ``{threshold: svm result}``, each stored
    in ``results/seed<seed>/lg1.5-threshold-<t>.json``. Empty when the run
    has no lg1.5 or no thresholds."""
    import copy

    ts = _swept_thresholds(config)  # none when the run's own lg1.5 has explicit thresholds
    if not ts:
        return {}
    out_sweep = {}
    for t in ts:
        cfg = copy.deepcopy(config)
        cfg["frontends"]["options"].setdefault(SWEPT, {})["thresholds"] = [float(t)]
        key = _frontend_hash(cfg, SWEPT, seed)
        path = out / "results" / f"seed{seed}" / f"{SWEPT}-threshold-{t:g}.json"
        stored = None if fresh else read_cached(path, key, required=("accuracy",))
        if bar is not None:
            bar.set_postfix_str(f"{SWEPT} at threshold {t:g}: SVM" + (", detector" if scenes else ""),
                                refresh=True)
        if stored is None:
            svm = evaluate_svm(split, SWEPT, cfg, seed=seed, scenes=scenes)
            svm = json.loads(json.dumps({k: v for k, v in svm.items() if k != "model"},
                                        default=float))
            write_cached(path, key, svm, frontend=SWEPT, threshold=t)
        else:
            svm = stored["result"]
        out_sweep[f"{t:g}"] = svm
        line = (f"  {SWEPT} at threshold {t:g}: SVM {svm['accuracy']:.3f}"
                + (f", AP {svm['ap']:.3f}" if "ap" in svm else ""))
        if bar is not None:
            bar.update(1)
            if progress:
                bar.write(line)
        elif progress:
            print(line, flush=True)
    return out_sweep


def _threshold_table(results):
    """The 1.5-bit front end at each swept threshold beside the formula's 2:1."""
    r = results.get(SWEPT)
    if not r or "threshold_sweep" not in r:
        return None
    entries = [("2 (formula)", r["svm"])] + list(r["threshold_sweep"].items())
    rows = []
    for t, svm in entries:
        row = {"t": t, "acc": svm["accuracy"],
               "ci": "[{:.3f}, {:.3f}]".format(*svm["interval"]) if "interval" in svm else ""}
        if "ap" in svm:
            row.update(ap=svm["ap"], ap_ci="[{:.3f}, {:.3f}]".format(*svm["ap_interval"]))
        rows.append(row)
    cols = [("t", "ratio threshold"), ("acc", "SVM acc.", ".3f"), ("ci", "95% CI")]
    if any("ap" in x for x in rows):
        cols += [("ap", "detector AP", ".3f"), ("ap_ci", "AP 95% CI")]
    key = "ap" if any("ap" in x for x in rows) else "acc"
    best = max(rows, key=lambda x: x.get(key, -1.0))
    return (f"{SWEPT}: the +-1 ratio threshold (same bits; best on the test set by "
            f"{'AP' if key == 'ap' else 'accuracy'}: {best['t']}, a descriptive choice that "
            "flatters it)", rows, cols)


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
