"""The budget run: the most accurate (front end, network) within budgets.

``analogfe budget CONFIG.toml -o DIR`` reads the ``[budget]`` section (the
budgets, the front ends, the search parameters) with the dataset, sensor,
ResNet and cost sections of the same configuration, and:

1. emulates every front end of ``budget.frontends`` on the dataset (the
   training split less a stratified validation part that scores the
   proposals, and the test split);
2. costs each front end's sensor, converter and link per frame on the
   deployed sensor (:func:`analogfe.system.cost`, back end ``"none"``);
3. trains the initial network: the ResNet-10 of ``[resnet]`` with 8-bit
   quantisation-aware training on the first front end;
4. runs the NetAdapt loop (:func:`analogfe.learn.budget.search.netadapt`),
   its proposals as tasks on Dask (a local cluster of ``[sweep]`` workers by
   default, ``scheduler`` for a running one, ``serial`` for none), then the
   long-term fine-tuning and the test of every member;
5. measures the latency of every member from the per-layer look-up table
   and the latency and throughput of the chosen networks as a whole;
6. writes ``family.csv``, ``budget.md`` / ``budget.html``, the plots,
   ``members/`` (a state_dict and an architecture JSON per member) and
   ``state.json`` (a run started again on the folder resumes).
"""
from __future__ import annotations

import contextlib
import csv
import functools
import io
import math

import numpy as np

from .._io import atomic_write_json, atomic_write_text, read_json_object, strict_json, warn_recompute
from .config import config_hash, load_config, task_seed
from .outputs import claim_output
from .tasks import (
    _adc_of,
    deployed_frontend,
    exposure_for,
    frontend_for,
    sensor_config_for,
    signal_for,
    split_from_config,
)

__all__ = ["run_budget", "frontend_costs", "budget_data"]

_VERSION = 1


def frontend_costs(config, names):
    """Sensor, converter and link per frame of each front end on the deployed
    sensor: ``{name: {"energy_pj", "link_bits"}}`` (``cost`` section; the
    8-bit front ends on the ADC of the first baseline)."""
    from ..system import model as system

    c = config["cost"]
    opts = dict(c["options"])
    out = {}
    for name in names:
        r = system.cost(deployed_frontend(name, config), c["height"], c["width"], c["fps"], "none",
                        name=name, **{**_adc_of(c["baselines"][0], opts), **opts})
        out[name] = {"energy_pj": float(r.energy_pj), "link_bits": float(r.link_bits)}
    return out


def budget_data(config, split, names, seed):
    """Every front end's packed training, validation and test tensors:
    ``{name: {"train", "val", "test": (X, y), "encoding", "levels"}}``."""
    import torch

    from ..learn.encodings import default_encoding
    from ..learn.experiments import _training_split, emulate_dataset

    X, y, _, idx_tr, idx_va = _training_split(split, config["budget"]["val_fraction"], seed)
    yt, y_test = torch.as_tensor(y), torch.as_tensor(np.asarray(split.y_test).astype(np.int64))
    out = {}
    for name in names:
        sc = sensor_config_for(config, split.X_train.shape[1:3], name)
        fe, fe_sc = frontend_for(name, config, sc, task_seed(seed, name, "resnet"))
        kw = dict(signal_e=signal_for(config, sc), sensor_config=fe_sc, exposure=exposure_for(config))
        packed, levels = emulate_dataset(X, fe, seed=task_seed(seed, name, "resnet"), **kw)
        test, _ = emulate_dataset(np.asarray(split.X_test), fe, seed=task_seed(seed, name, "test"), **kw)
        out[name] = {"train": (packed[idx_tr], yt[idx_tr]), "val": (packed[idx_va], yt[idx_va]),
                     "test": (test, y_test), "encoding": default_encoding(name), "levels": levels}
    return out


@contextlib.contextmanager
def _dask_map(config, scheduler, progress):
    """A ``map_fn`` on Dask, on the client the sweep uses
    (:func:`analogfe.app.sweep.dask_client`): results in the order of the payloads."""
    from distributed import as_completed
    from tqdm.auto import tqdm

    from .sweep import dask_client

    with dask_client(config, scheduler) as client:
        def map_fn(fn, payloads, desc):
            futures = client.map(fn, payloads, pure=False)
            with tqdm(total=len(futures), desc=desc, disable=not progress, leave=False) as bar:
                for _ in as_completed(futures):
                    bar.update()
            return client.gather(futures)

        yield map_fn


def _params(config):
    from ..learn.budget.search import SearchParams

    b, r = config["budget"], config["resnet"]
    return SearchParams(
        initial_reduction=b["initial_reduction"], decay=b["decay"], max_steps=b["max_steps"],
        short_term_iters=b["short_term_iters"], long_term_epochs=b["long_term_epochs"],
        batch_size=r["batch_size"], lr=r["lr"], weight_decay=r["weight_decay"],
        channel_step=b["channel_step"], min_channels=b["min_channels"], low_bits=b["low_bits"],
        moves=tuple(b["moves"]), threads=r["threads"])


def run_budget(config, out_dir, *, seed=0, scheduler=None, serial=False, progress=True,
               fresh=False, force=False):
    """Run the budget search and write its table, checkpoints, plots and report.

    Parameters
    ----------
    config : dict or path
        See :func:`analogfe.app.config.load_config` (the ``[budget]`` section).
    out_dir : path
    seed : int
    scheduler : str, optional
        Address of a running Dask scheduler; default a local cluster.
    serial : bool
        Run the proposals in this process, without Dask.
    progress : bool
    fresh : bool
        Start afresh: ignore the state, members and latency table of an
        earlier run in ``out_dir`` (they are overwritten); implies ``force``.
    force : bool
        Write into ``out_dir`` even when it holds another run (its report and
        search state are replaced); without it such a folder is refused
        (:func:`analogfe.app.outputs.claim_output`).

    Returns
    -------
    dict
        ``rows`` (one per member), ``columns``, ``state``, ``chosen`` (step of
        the smallest member within ``within_points`` of the initial),
        ``final`` (step of the last member), ``timings`` (measured latency
        and throughput of the chosen networks), ``csv``, ``report_md``,
        ``report_html``, ``plots``.
    """
    from ..learn.budget.resources import LatencyTable, ResourceModel
    from ..learn.budget.search import long_term, netadapt, serial_map, train_initial
    from ..system.dataflow import DataflowParams

    config = config if isinstance(config, dict) and "budget" in config else load_config(config)
    b, c = config["budget"], config["cost"]
    out = claim_output(out_dir, "budget", config_hash(config, *(k for k in config if k != "sweep"),
                                                      extra={"seed": seed}),
                       describe=f"budgets {', '.join(b['budgets'])}, seed {seed}",
                       force=force or fresh)
    names = list(dict.fromkeys(b["frontends"]))
    split = split_from_config(config, seed)
    data = budget_data(config, split, names, seed)
    costs = frontend_costs(config, names)
    dataflow = DataflowParams(weight_buffer_bytes=1024 * b["weight_buffer_kib"],
                              activation_buffer_bytes=1024 * b["activation_buffer_kib"])
    # one latency table for the search (when latency_ms is budgeted) and the report,
    # kept in latency_lut.json so a resumed run looks up what an earlier one measured
    lut = LatencyTable(threads=b["latency_threads"], repeats=b["latency_repeats"],
                       table=None if fresh else _stored_lut(out / "latency_lut.json", b))
    resources = ResourceModel(costs, (c["height"], c["width"]), dataflow,
                              latency=lut if "latency_ms" in b["budgets"] else None)
    params = _params(config)
    key = config_hash(config, "dataset", "scene", "sensor", "frontends", "resnet", "cost", "budget",
                      extra={"seed": seed, "version": _VERSION})
    ctx = (contextlib.nullcontext(functools.partial(serial_map, progress=progress)) if serial
           else _dask_map(config, scheduler, progress))
    with ctx as map_fn:
        def initial():
            d = {k: data[names[0]][k] for k in ("train", "encoding", "levels")}
            d["eval"] = data[names[0]]["val"]
            return train_initial(names[0], d, width=config["resnet"]["width"],
                                 epochs=config["resnet"]["epochs"], params=params,
                                 seed=task_seed(seed, "initial"), map_fn=map_fn)

        state = netadapt(initial, data, resources, dict(b["budgets"]), out, relative=b["relative"],
                         key=key, params=params, seed=seed, map_fn=map_fn, progress=progress,
                         on_step=lambda _: _save_lut(out, lut), fresh=fresh)
        state = long_term(state, data, out, params=params, seed=seed, map_fn=map_fn)
    rows = _rows(state, data, resources, lut)
    _save_lut(out, lut)
    primary = state.get("primary", next(iter(state["budgets"])))
    chosen, final = _chosen(rows, b["within_points"], primary), rows[-1]["step"]
    timings = _timings(state, data, out, config, sorted({0, chosen, final}))
    csv_path = atomic_write_text(out / "family.csv", _csv(rows))
    rep = _report(out, state, rows, chosen, final, timings, config, seed)
    return {"rows": rows, "columns": _COLUMNS, "state": state, "chosen": chosen, "final": final,
            "timings": timings, "csv": csv_path, **rep}


def _save_lut(out, lut):
    atomic_write_json(out / "latency_lut.json", strict_json(
        {"threads": lut.threads, "batch": lut.batch, "repeats": lut.repeats, "unit": "ms",
         "table": lut.table}))


def _stored_lut(path, b):
    """The per-layer latencies stored by an earlier run with the same timing
    settings; None (with a warning naming the file) for anything else."""
    d = read_json_object(path)
    if d is None:
        return None
    table = d.get("table")
    if d.get("threads") != b["latency_threads"] or d.get("repeats") != b["latency_repeats"]:
        warn_recompute(path, "measured with other latency_threads or latency_repeats")
    elif not (isinstance(table, dict) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0
            for v in table.values())):
        warn_recompute(path, "not a table of latencies in ms")
    else:
        return table
    return None


_COLUMNS = [("step", "step"), ("move", "move"), ("frontend", "front end"),
            ("test_accuracy", "test acc."), ("ci", "95% CI"), ("n_test", "n test"),
            ("val_accuracy", "val acc. (short-term)"), ("val_long", "val acc. (long-term)"),
            ("energy_uj", "energy uJ/frame"),
            ("network_uj", "network uJ/frame"), ("macs", "MACs/frame"),
            ("weight_bits", "weight bits"), ("activation_bits", "peak act. bits"),
            ("offchip_bits", "off-chip bits/frame"), ("latency_ms", "LUT latency ms")]


def _rows(state, data, resources, lut):
    from ..learn.budget.search import load_member
    from ..learn.stats import accuracy_interval

    rows = []
    for m in state["family"]:
        y_true = data[m["frontend"]]["test"][1].numpy()
        acc = accuracy_interval(y_true, np.asarray(m["test"]["y_pred"]))
        net = load_member(m["arch"]).net
        row = {"step": m["step"], "move": m["move"], "frontend": m["frontend"],
               "test_accuracy": acc["accuracy"], "ci": f"[{acc['low']:.3f}, {acc['high']:.3f}]",
               "ci_low": acc["low"], "ci_high": acc["high"], "n_test": acc["n"],
               "val_accuracy": m["val_accuracy"], "val_long": m.get("val_long"), **m["resources"],
               "latency_ms": m["resources"].get("latency_ms", lut.network_ms(resources.layers(net)))}
        row.update({f"delta_{j}": v for j, v in m["delta"].items()})
        row.update({f"target_{j}": v for j, v in m["targets"].items()})
        rows.append(row)
    return rows


def _chosen(rows, within_points, resource):
    """The smallest member (by the first budgeted resource) whose validation
    accuracy after the long-term fine-tune is within ``within_points`` of the
    initial network's: chosen on the validation split, so that the test
    accuracy reported for it is not selected on the test set."""
    floor = rows[0]["val_long"] - within_points / 100.0
    ok = [r for r in rows if r["val_long"] >= floor - 1e-12]
    return min(ok, key=lambda r: (r[resource], -r["step"]))["step"]


def _timings(state, data, out, config, steps):
    """Measured latency and throughput of the members ``steps`` as whole
    networks on the deployed frame: batch 1 and ``throughput_batch`` on
    ``latency_threads`` CPU threads, and on the GPU when there is one; the
    float network, without the cost of fake quantisation."""
    import torch

    from ..learn.budget.resources import measure_network
    from ..learn.budget.search import load_member

    b, c = config["budget"], config["cost"]
    out_rows = []
    by_step = {m["step"]: m for m in state["family"]}
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for s in steps:
        m = by_step[s]
        net = load_member(m["arch"], out / "members" / m["long_checkpoint"]).float_net()
        shape = (net.in_channels, c["height"], c["width"])
        for dev in devices:
            for batch in (1, b["throughput_batch"]):
                r = measure_network(net, shape, batch=batch, threads=b["latency_threads"],
                                    repeats=b["latency_repeats"], device=dev)
                out_rows.append({"step": s, **r})
    return out_rows


def _csv(rows):
    keys = list(rows[0])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(keys)
    for r in rows:
        w.writerow([r.get(k) for k in keys])
    return buf.getvalue()


# --------------------------------------------------------------------------- report
def _plot_family(rows, state, path, chosen):
    """Test accuracy (95 % interval) against energy per frame: every member,
    the Pareto front, the energy budget, the initial and the chosen network."""
    from .plots import _plain_formatter, _pyplot, pareto_front, save_figure

    plt = _pyplot()
    x = np.array([r["energy_uj"] for r in rows])
    y = np.array([r["test_accuracy"] for r in rows])
    err = np.array([[r["test_accuracy"] - r["ci_low"] for r in rows],
                    [r["ci_high"] - r["test_accuracy"] for r in rows]])
    fig, ax = plt.subplots(figsize=(10.0, 4.8))
    for fe in dict.fromkeys(r["frontend"] for r in rows):
        k = [i for i, r in enumerate(rows) if r["frontend"] == fe]
        ax.errorbar(x[k], y[k], yerr=err[:, k], fmt="o", ms=4, capsize=2, label=f"members ({fe})")
    front = pareto_front(x, y)
    # the front as steps from each member to the next cheaper-and-better one,
    # its members ringed (a front of one member is the ring alone)
    if len(front) > 1:
        ax.step(x[front], y[front], where="post", color="k", ls="--", lw=1)
    ax.plot(x[front], y[front], "o", ms=10, mfc="none", mec="k", mew=1, ls="none")
    from matplotlib.lines import Line2D

    key = Line2D([], [], color="k", lw=1, ls="--" if len(front) > 1 else "none", marker="o", ms=10,
                 mfc="none", mec="k", label=f"Pareto front ({len(front)} member"
                                            f"{'s' if len(front) > 1 else ''})")
    for i, r in enumerate(rows):
        ax.annotate(str(r["step"]), (x[i], y[i]), textcoords="offset points", xytext=(4, 3), fontsize=7)
    if "energy_uj" in state["budgets"]:
        ax.axvline(state["budgets"]["energy_uj"], color="tab:red", lw=1, label="energy budget")
    ci = next(i for i, r in enumerate(rows) if r["step"] == chosen)
    ax.plot(x[ci], y[ci], "*", ms=14, mfc="none", mec="tab:green", label=f"chosen (step {chosen})")
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(_plain_formatter())
    ax.xaxis.set_minor_formatter(_plain_formatter())
    ax.tick_params(axis="x", which="minor", labelsize=7)
    ax.set_xlabel("energy per frame, whole system (uJ)")
    ax.set_ylabel(f"test accuracy (n = {rows[0]['n_test']})")
    ax.set_title("Budget search: the family, step by step (labels: step)")
    handles, _ = ax.get_legend_handles_labels()
    ax.legend(handles=[key, *handles], fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0),
              borderaxespad=0.0, frameon=False)
    fig.tight_layout()
    return save_figure(fig, path)


def _plot_layers(state, chosen, path):
    """Output channels of every layer, initial against chosen, and the chosen
    network's weight / activation bits per layer."""
    from .plots import _pyplot, save_figure

    plt = _pyplot()
    fam = {m["step"]: m for m in state["family"]}
    a0, a1 = fam[0]["arch"], fam[chosen]["arch"]
    names = list(a1["bits"])
    c0 = [a0["shapes"][n][1] for n in names]
    c1 = [a1["shapes"][n][1] for n in names]
    xs = np.arange(len(names))
    fig, (ax, bx) = plt.subplots(2, 1, figsize=(7.5, 5.2), sharex=True)
    ax.bar(xs - 0.2, c0, 0.4, label="initial", color="0.7")
    ax.bar(xs + 0.2, c1, 0.4, label=f"chosen (step {chosen})", color="tab:blue")
    ax.set_ylabel("output channels")
    ax.legend(fontsize=8)
    bx.bar(xs - 0.2, [a1["bits"][n][0] for n in names], 0.4, label="weight bits", color="tab:orange")
    bx.bar(xs + 0.2, [a1["bits"][n][1] for n in names], 0.4, label="activation bits", color="tab:purple")
    bx.set_ylabel("bits")
    bx.set_yticks([0, 4, 8])
    bx.legend(fontsize=8)
    bx.set_xticks(xs)
    bx.set_xticklabels(names, rotation=60, ha="right", fontsize=7)
    ax.set_title(f"Per-layer channels and bits ({a1['frontend']})")
    return save_figure(fig, path)


def _report(out, state, rows, chosen, final, timings, config, seed):
    from .report import write_report

    plots = {"family": _plot_family(rows, state, out / "accuracy_vs_energy.png", chosen),
             "layers": _plot_layers(state, chosen, out / "chosen_layers.png")}
    b = config["budget"]
    budgets = ", ".join(f"{j} <= {v:.4g}" for j, v in state["budgets"].items())
    intro = (f"NetAdapt search under {budgets} on {config['dataset']['name']}, seed {seed}; "
             f"{len(rows) - 1} steps ({state['stopped']}). Energy per frame: the front end's sensor, "
             f"converter and link plus the network by data movement on the "
             f"{config['cost']['height']}x{config['cost']['width']} frame; latency from the "
             f"per-layer table (batch 1, {b['latency_threads']} thread(s), float32 on this CPU).")
    notes = [f"Chosen: step {chosen}, the smallest member (by the first budget) within "
             f"{b['within_points']:g} points of the initial network's validation accuracy (after "
             "the long-term fine-tune; the test split plays no part in the choice); final: step "
             f"{final}. Test accuracy after {b['long_term_epochs']} epochs of long-term fine-tuning "
             "(the initial network as trained); 95 % Wilson intervals."]
    tcols = [("step", "step"), ("device", "device"), ("threads", "threads"), ("batch", "batch"),
             ("latency_ms", "latency ms (median)"), ("throughput_fps", "images/s")]
    md, html_path = write_report(
        out, title="Lightweight networks under budgets", intro=intro, rows=rows, columns=_COLUMNS,
        notes=notes, tables=[("Measured latency and throughput (whole network)", timings, tcols)],
        figures=[("Accuracy vs energy per frame", plots["family"]),
                 ("Channels and bits per layer of the chosen network", plots["layers"])],
        name="budget")
    return {"report_md": md, "report_html": html_path, "plots": plots}
