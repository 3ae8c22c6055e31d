"""The report of ``analogfe fewshot``: tables, heat maps, curves, the glyphs as
each front end sees them (Markdown and HTML through :func:`analogfe.app.report.write_report`)."""
from __future__ import annotations

import numpy as np

from .plots import _PALETTE, _RC, _pyplot, save_figure
from .report import write_report

__all__ = ["episode_rows", "floor_rows", "floor_lines", "plot_brightness_heatmaps",
           "plot_incremental", "plot_glyph_views", "write_fewshot_report"]

_METHODS = (("prototype", "prototypes"), ("nearest-neighbour", "nearest neighbour"),
            ("fo-maml", "first-order MAML"),
            ("raw-prototype", "floor: raw input, prototypes"),
            ("raw-nearest-neighbour", "floor: raw input, nearest neighbour"),
            ("untrained", "floor: untrained Conv-4, prototypes"))

#: The floors by result key: how the report names them.
_FLOOR_NAMES = {"raw-prototype": "raw prototypes", "raw-nearest-neighbour": "raw nearest neighbour",
                "untrained": "untrained Conv-4"}


def _cell(r):
    return f"{100 * r['mean']:.1f} ± {100 * r['half']:.1f}"


def _setting(e):
    return f"{e['ways']}-way {e['shots']}-shot"


def episode_rows(results):
    """One row per front end and method: ``"acc ± half"`` (%) per N-way K-shot,
    the floors beside the meta-trained embedding, and a last row with the
    chance level."""
    rows, settings, ways = [], [], {}
    for name, res in results.items():
        for key, label in _METHODS:
            row = {"frontend": name, "method": label}
            for e in res["episodes"]:
                col = _setting(e)
                if col not in settings:
                    settings.append(col)
                    ways[col] = e["ways"]
                if key in e:
                    row[col] = _cell(e[key])
                    row[f"n {col}"] = e[key]["n"]
            if len(row) > 2:
                rows.append(row)
    if settings:
        rows.append({"frontend": "any", "method": "chance (100 / ways)",
                     **{s: f"{100 / ways[s]:.1f}" for s in settings}})
    cols = [("frontend", "front end"), ("method", "method")] + [
        (s, f"{s} (%, 95% CI; chance {100 / ways[s]:.0f})") for s in settings]
    return rows, cols


def _short(e, floor):
    """The verdict on one floor, with the gap in points when it is not beaten."""
    v = e["verdict"][floor]
    gap = 100 * (e["prototype"]["mean"] - e[floor]["mean"])
    return v if v == "beats" else f"{v} ({gap:+.1f} points)"


def floor_rows(results):
    """Per front end and N-way K-shot: the meta-trained prototypes, each floor and
    chance side by side (%), and the verdict on each floor (interval-aware:
    :func:`analogfe.learn.fewshot.evaluate.compare_to_floor`)."""
    rows = []
    for name, res in results.items():
        for e in res["episodes"]:
            if "verdict" not in e:
                continue
            beaten = [f for f in _FLOOR_NAMES if e["verdict"][f] == "beats"]
            rows.append(dict(frontend=name, setting=_setting(e), trained=_cell(e["prototype"]),
                             **{f: _cell(e[f]) for f in _FLOOR_NAMES},
                             chance=f"{100 * e['chance']:.1f}",
                             verdict="beats every floor" if len(beaten) == len(_FLOOR_NAMES)
                             else "; ".join(f"{_FLOOR_NAMES[f]}: {_short(e, f)}"
                                            for f in _FLOOR_NAMES if f not in beaten)))
    cols = [("frontend", "front end"), ("setting", "episodes"),
            ("trained", "meta-trained prototypes (%)")] + [
        (f, f"floor: {n} (%)") for f, n in _FLOOR_NAMES.items()] + [
        ("chance", "chance (%)"), ("verdict", "meta-trained vs floors")]
    return rows, cols


def floor_lines(results):
    """One line per front end: in which settings the meta-trained embedding beats
    both floors (raw input, by either classifier, and the untrained Conv-4)."""
    lines = []
    for name, res in results.items():
        eps = [e for e in res["episodes"] if "verdict" in e]
        if not eps:
            continue
        good = [_setting(e) for e in eps if all(v == "beats" for v in e["verdict"].values())]
        if len(good) == len(eps):
            lines.append(f"{name}: the meta-trained embedding beats both floors (raw input and "
                         f"untrained Conv-4) in every setting ({len(eps)}).")
            continue
        worst = {f: min(100 * (e["prototype"]["mean"] - e[f]["mean"]) for e in eps)
                 for f in _FLOOR_NAMES}
        short = ", ".join(f"{_FLOOR_NAMES[f]} by up to {-g:.1f} points" for f, g in worst.items()
                          if g < 0)
        lines.append(f"{name}: the meta-trained embedding beats both floors in {len(good)} of "
                     f"{len(eps)} settings" + (f" ({', '.join(good)})" if good else "")
                     + (f"; its mean trails {short}" if short else "; elsewhere the intervals overlap")
                     + ".")
    return lines


def plot_brightness_heatmaps(results, path, *, chance=None):
    """One 9 x 9 heat map per front end: accuracy, enroll k (rows) x query k (columns).

    One colour scale for every front end, spanning the data (not 0-100 %), so
    that the cells' differences show; each cell is labelled with its value,
    and the colour bar states the range and the chance level."""
    plt = _pyplot()
    names = list(results)
    n = len(names)
    accs = [100 * np.asarray(results[name]["brightness"]["accuracy"]) for name in names]
    lo = float(np.floor(min(a.min() for a in accs))) if accs else 0.0
    hi = float(np.ceil(max(a.max() for a in accs))) if accs else 100.0
    hi = max(hi, lo + 1.0)
    with plt.rc_context(_RC):
        fig, axes = plt.subplots(1, n, figsize=(max(10.0, 3.6 * n), 4.0), squeeze=False,
                                 layout="constrained")
        im = None
        for ax, name, acc in zip(axes[0], names, accs):
            b = results[name]["brightness"]
            im = ax.imshow(acc, vmin=lo, vmax=hi, cmap="viridis", origin="lower")
            ks = b["ks"]
            ax.set_xticks(range(len(ks)), [str(k) for k in ks])
            ax.set_yticks(range(len(ks)), [str(k) for k in ks])
            ax.set_xlabel("query brightness k (light x 2^k)")
            ax.set_ylabel("enroll brightness k")
            ax.set_title(name)
            for i in range(len(ks)):
                for j in range(len(ks)):
                    ax.text(j, i, f"{acc[i, j]:.0f}", ha="center", va="center", fontsize=6.5,
                            color="white" if acc[i, j] < (lo + hi) / 2 else "black")
        what = f"accuracy (%), scale {lo:.0f}-{hi:.0f}" + (f"; chance {chance:.0f}"
                                                           if chance is not None else "")
        fig.colorbar(im, ax=axes[0].tolist(), fraction=0.02, label=what)
        return save_figure(fig, path, tight=False)


def plot_incremental(results, path):
    """Accuracy over every class seen so far vs classes enrolled, per front end
    (the floors dotted, grey)."""
    plt = _pyplot()
    names = list(results)
    with plt.rc_context(_RC):
        fig, axes = plt.subplots(1, len(names), figsize=(max(10.0, 3.6 * len(names)), 3.8),
                                 squeeze=False, sharey=True, layout="constrained")
        for ax, name in zip(axes[0], names):
            inc = results[name]["incremental"]
            for i, (m, curve) in enumerate(inc["curves"].items()):
                ax.plot(inc["classes"], 100 * np.asarray(curve), color=_PALETTE[i % len(_PALETTE)],
                        label=m, lw=1.4, ls="--" if "joint" in m else "-")
            for j, (f, fl) in enumerate(inc.get("floors", {}).items()):
                ax.plot(inc["classes"], 100 * np.asarray(fl["curve"]), color=("0.45", "0.7")[j % 2],
                        label=dict(_METHODS)[f], lw=1.2, ls=":")
            ax.set_title(name)
            ax.set_xlabel("classes enrolled")
            ax.set_ylim(0, 100)
            ax.grid(alpha=0.3)
        axes[0][0].set_ylabel("accuracy over all classes seen (%)")
        axes[0][-1].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8)
        return save_figure(fig, path, tight=False)


def plot_glyph_views(images, names, path, *, seed=0):
    """A few generated drawings as each front end sees them (log-gradient: the
    finest scale's dx codes)."""
    from ..frontend.codes import is_codes
    from ..frontend.registry import emulate

    plt = _pyplot()
    rows = [("scene (sRGB)", images)]
    for name in names:
        out = emulate(images, name, seed=seed)
        rows.append((f"{name} (dx codes)" if is_codes(out) else name,
                     np.asarray(out.dx[0]) if is_codes(out) else np.asarray(out)))
    n = len(images)
    with plt.rc_context(_RC):
        fig, axes = plt.subplots(len(rows), n, figsize=(max(10.0, 1.25 * n), 1.35 * len(rows)),
                                 squeeze=False, layout="constrained")
        for (label, arr), ax_row in zip(rows, axes):
            for j, ax in enumerate(ax_row):
                a = arr[j]
                if a.dtype.kind == "i":
                    v = max(1, int(np.abs(arr).max()))
                    ax.imshow(a, cmap="coolwarm", vmin=-v, vmax=v, interpolation="nearest")
                else:
                    ax.imshow(a, cmap="gray" if a.ndim == 2 else None, vmin=0, vmax=255,
                              interpolation="nearest")
                ax.set_xticks([])
                ax.set_yticks([])
            ax_row[0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8.5)
        return save_figure(fig, path, tight=False)


def _brightness_summary(results):
    rows, cells = [], 0
    labels = dict(_METHODS)
    for name, res in results.items():
        tables = [("prototypes", res["brightness"])] + [
            (labels[f], b) for f, b in res["brightness"].get("floors", {}).items()]
        for method, b in tables:
            cells = len(b["ks"]) ** 2
            acc = 100 * np.asarray(b["accuracy"])
            ks = b["ks"]
            k0 = ks.index(0) if 0 in ks else len(ks) // 2
            worst = np.unravel_index(np.argmin(acc), acc.shape)
            rows.append(dict(frontend=name, method=method, k0=acc[k0, k0],
                             diagonal=float(np.mean(np.diag(acc))), mean=float(acc.mean()),
                             worst=float(acc.min()),
                             worst_cell=f"enroll {ks[worst[0]]}, query {ks[worst[1]]}",
                             episodes=b["episodes"]))
    cols = [("frontend", "front end"), ("method", "method"), ("k0", "k=0 both (%)", ".1f"),
            ("diagonal", "same k, mean (%)", ".1f"), ("mean", f"all {cells} cells, mean (%)", ".1f"),
            ("worst", "worst cell (%)", ".1f"), ("worst_cell", "worst cell"),
            ("episodes", "episodes per cell")]
    return rows, cols


def _incremental_rows(results):
    rows, n = [], 1
    for name, res in results.items():
        inc = res["incremental"]
        n = inc["classes"][-1]
        early = min(10, n)
        for m, acc in inc["final"].items():
            rows.append(dict(frontend=name, method=m, accuracy=100 * acc,
                             early=100 * inc["curves"][m][early - 1],
                             memory_kib=inc["memory_bits"][m] / 8192.0))
        for f, fl in inc.get("floors", {}).items():
            rows.append(dict(frontend=name, method=f"{dict(_METHODS)[f]} (32 bit)",
                             accuracy=100 * fl["final"], early=100 * fl["curve"][early - 1],
                             memory_kib=fl["memory_bits"] / 8192.0))
    early = [("early", f"after {min(10, n)} classes (%)", ".1f")] if n > 10 else []
    cols = [("frontend", "front end"), ("method", "method"), *early,
            ("accuracy", f"after {n} classes (%)", ".1f"),
            ("memory_kib", f"memory for {n} classes (KiB)", ".2f")]
    return rows, cols


def _cost_rows(results):
    rows = []
    for name, res in results.items():
        for b, c in res["cost"].items():
            rows.append(dict(frontend=name, bits=int(b), dim=c["dim"], per_class=c["bits_per_class"],
                             kib=c["memory_kib"], fit=", ".join(f"{v:,} in {k} KiB" for k, v in
                                                                c["classes_in_kib"].items()),
                             fe_nj=c["frontend_pj"] / 1e3, emb_nj=c["embedding_pj"] / 1e3,
                             macs=c["embedding_macs"], dist_nj=c["distance_pj"] / 1e3,
                             rec_nj=c["recognition_pj_per_frame"] / 1e3,
                             enr_nj=c["enrollment_pj_per_shot"] / 1e3, n=c["n_classes"]))
    cols = [("frontend", "front end"), ("bits", "bits/dim"), ("dim", "dim"),
            ("per_class", "bits/class"), ("kib", "KiB (enrolled classes)", ".3f"),
            ("fit", "classes that fit"), ("fe_nj", "front end nJ/frame", ".1f"),
            ("macs", "embedding MACs"), ("emb_nj", "embedding nJ", ".1f"),
            ("dist_nj", "distances nJ", ".2f"), ("rec_nj", "recognition nJ/frame", ".1f"),
            ("enr_nj", "enrollment nJ/shot", ".1f")]
    return rows, cols


def _time_rows(results):
    rows = []
    for name, res in results.items():
        s = res["seconds"]
        m = res.get("maml") or {}
        rows.append(dict(frontend=name, emulate=s["emulate"], train=s["meta_train"],
                         evaluate=s["evaluate"], brightness=s["brightness"],
                         incremental=s["incremental"], maml_train=m.get("train_s"),
                         maml_eval=m.get("eval_s"),
                         val=(res["history"][-1].get("val_accuracy") if res["history"] else None)))
    cols = [("frontend", "front end"), ("emulate", "emulation s", ".1f"),
            ("train", "protonet meta-training s", ".1f"), ("evaluate", "episodes s", ".1f"),
            ("brightness", "brightness table s", ".1f"), ("incremental", "incremental s", ".1f"),
            ("maml_train", "fo-MAML training s", ".1f"), ("maml_eval", "fo-MAML episodes s", ".1f"),
            ("val", "last meta-val 5-way 5-shot acc.", ".3f")]
    return rows, cols


def write_fewshot_report(gs, split, results, config, out, *, seed=0):
    """``report.md``, ``report.html`` and the figures of a few-shot run."""
    rows, cols = episode_rows(results)
    figs = []
    if results:
        ways = config["eval"]["brightness_ways"]
        figs.append((f"Enroll / query brightness: accuracy per front end (chance {100 / ways:.0f} %)",
                     plot_brightness_heatmaps(results, out / "brightness_heatmaps.png",
                                              chance=100 / ways)))
        figs.append(("Class-incremental enrollment without stored samples",
                     plot_incremental(results, out / "incremental.png")))
    test = split["test"][:8]
    pick = [int(np.flatnonzero(gs.labels == c)[0]) for c in test]
    figs.append(("Meta-test classes as each front end sees them",
                 plot_glyph_views(gs.images[pick], list(results), out / "glyphs.png", seed=seed)))
    d, ev, tr = config["data"], config["eval"], config["train"]
    intro = (f"Few-shot enrollment on {d['n_classes']} generated character classes x "
             f"{d['n_drawings']} drawings ({d['size']}x{d['size']} px; meta-train / val / test "
             f"{len(split['train'])} / {len(split['val'])} / {len(split['test'])} classes), seed "
             f"{seed}. Conv-4 embedding (width {tr['width']}) meta-trained per front end with "
             f"prototypical networks ({tr['episodes']} episodes of {tr['ways']}-way "
             f"{tr['shots']}-shot); accuracy on meta-test classes only, mean over "
             f"{ev['episodes']} episodes ({ev['queries']} queries per class) with its 95 % "
             "interval (1.96 s / sqrt(n)). First-order MAML: "
             + (f"{config['maml']['test_episodes']} episodes per setting." if config["maml"]["enabled"]
                else "off."))
    notes = [*floor_lines(results),
             "Floors, on the same episodes as the meta-trained embedding: the raw front-end "
             "output as the network sees it, flattened, classified by nearest prototype and by "
             "nearest neighbour (no network), and a Conv-4 of the same architecture never trained "
             "(seed-fixed random weights). \"beats\": the meta-trained interval's lower bound "
             "exceeds the floor's upper bound; \"below\": the reverse; else \"not "
             "distinguishable\" (the gap in the means is given).",
             "For scale: prototypical networks reach 98.8 % (5-way 1-shot) and 99.7 % (5-way "
             "5-shot) on Omniglot (Snell et al. 2017); this set is not Omniglot (textured "
             "backgrounds, ink colour, illumination, elastic warps, sensor noise), so the rgb8 "
             "row is the reference for the other front ends.",
             "Brightness: the linear light of the meta-test drawings is scaled by 2**k before "
             f"the sensor (auto-exposure: {config['scene']['exposure']}); support enrolled at one "
             "k, queries at another, the same episodes in every cell."]
    n_inc = next((r["incremental"]["classes"][-1] for r in results.values()), None)
    tables = [("Meta-trained embedding against its floors (same episodes; 95 % intervals)",)
              + floor_rows(results),
              (f"Enroll / query brightness ({ev['brightness_ways']}-way "
               f"{ev['brightness_shots']}-shot; chance {100 / ev['brightness_ways']:.0f} %)",)
              + _brightness_summary(results),
              ("Class-incremental enrollment" + (f" (chance after {n_inc} classes: "
                                                 f"{100 / n_inc:.2g} %)" if n_inc else ""),)
              + _incremental_rows(results),
              ("Cost of enrollment and recognition per frame",) + _cost_rows(results),
              ("Wall times (this machine, torch threads = "
               f"{config['train']['threads']})",) + _time_rows(results)]
    md, html = write_report(out, title="Few-shot enrollment without stored samples", intro=intro,
                            rows=rows, columns=cols, figures=figs, notes=notes, tables=tables)
    return dict(md=md, html=html, rows=rows, columns=cols, floor_lines=floor_lines(results))
