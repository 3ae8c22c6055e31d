"""The ``analogfe`` command: simulate, cost, train, evaluate, predict, compare,
sweep, budget, fewshot, config.

Every subcommand but ``config`` takes ``--quiet``, and every one that draws at
random ``--seed`` (an integer from 0 to 2**63 - 1; ``cost`` and ``predict`` draw
nothing at random and take none). Bad input (a missing file,
an unknown front end, dataset or config key, a value out of range) prints one
line on stderr and exits with status 2, without a traceback (set the
environment variable ``ANALOGFE_DEBUG=1`` to see it).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

from ._cli_text import EPILOGS as _EPILOGS

__all__ = ["main", "build_parser", "terminal_table", "TERMINAL_COLUMNS"]

EXIT_USAGE = 2



class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr (exit status 2)."""

    def error(self, message):
        print(f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)",
              file=sys.stderr)
        raise SystemExit(EXIT_USAGE)

    def parse_args(self, args=None, namespace=None):
        """As argparse's, but an unknown option of a subcommand is that
        subcommand's error, pointing to its own ``--help``."""
        args, extra = self.parse_known_args(args, namespace)
        if extra:
            sub = self._subparsers._group_actions[0].choices.get(getattr(args, "command", None)) \
                if self._subparsers is not None else None
            (sub or self).error(f"unrecognized arguments: {' '.join(extra)}")
        return args


def _seed(text):
    """``--seed N`` -> N, an integer in [0, 2**63 - 1]; a usage error otherwise."""
    try:
        seed = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if not 0 <= seed <= _MAX_SEED:
        raise argparse.ArgumentTypeError(f"expected an integer from 0 to 2**63 - 1, got {text}")
    return seed


_MAX_SEED = 2 ** 63 - 1


def _common(parser, seed_help="seed of every random draw (default 0)", seed_default=0, seed=True):
    if seed:
        parser.add_argument("--seed", type=_seed, default=seed_default, help=seed_help)
    parser.add_argument("--quiet", "-q", action="store_true",
                        help="no progress bars or tables (the paths of files written are still printed)")


_FRESH_HELP = ("start afresh: ignore the results, checkpoints and data stored by an earlier run "
               "(they are overwritten)")


def build_parser():
    """The argument parser of the ``analogfe`` command."""
    p = _Parser(
        prog="analogfe",
        description="Mixed-signal front end of an always-on camera: simulate sensor "
                    "pipelines, train on emulated features, compare against the RGB "
                    "baseline on accuracy, bits, memory and energy, sweep the design space.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  analogfe compare -o analogfe-out\n\n"
               "Run 'analogfe SUBCOMMAND --help' for the options of each subcommand.")
    from .. import __version__

    p.add_argument("--version", action="version", version=f"analogfe {__version__}")
    sub = p.add_subparsers(dest="command", metavar="SUBCOMMAND", required=True)

    def add(name, help_, common=True, **kw):
        epilog = _EPILOGS[name]
        if name == "cost":
            from ..system.model import presets_help

            epilog = epilog.replace("{presets}", presets_help())
        sp = sub.add_parser(name, help=help_, description=help_, epilog=epilog,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
        if common:
            _common(sp, **kw)
        return sp

    s = add("simulate", "run an image or a raw file through the sensor and every front end")
    s.add_argument("image", metavar="IMAGE_OR_RAW", help="image file, raw file or scikit-image sample name")
    s.add_argument("--config", metavar="FILE", help="TOML configuration ([sensor], [scene], [frontends])")
    s.add_argument("-o", "--output", metavar="DIR", default="analogfe-simulate",
                   help="output folder (must be new or empty unless --force)")
    s.add_argument("--force", action="store_true", help="overwrite the files of an existing output folder")
    s.add_argument("--max-side", type=int, default=1024, metavar="N",
                   help="subsample larger inputs (raw: whole Bayer quads) to at most N pixels a side")

    c = add("cost", "print the bits, memory and energy table of a cost preset", seed=False)
    c.add_argument("--preset", required=True, metavar="NAME",
                   help="cost preset (listed below)")
    c.add_argument("--config", metavar="FILE",
                   help="TOML file whose [cost] section overrides the preset's frame, rate and "
                        "constants (format below)")
    c.add_argument("--fps", type=float, default=None, metavar="N", help="frame rate (default: the preset's)")
    c.add_argument("--frontend", default=None, metavar="NAME|MODULE:CLASS",
                   help="cost another front end in the preset's scenario: a registered name, "
                        "an import path package.module:Class or an entry-point name")

    t = add("train", "train the wake-up SVM or the ResNet-10 on one front end's output")
    t.add_argument("--frontend", required=True, metavar="NAME",
                   help="rgb8, gray8, lg1.5, lg2.75, an import path mypkg.module:Class or the name "
                        "of an analogfe.frontends entry point")
    t.add_argument("--model", required=True, choices=("svm", "resnet10"))
    t.add_argument("--dataset", default=None, metavar="NAME|PATH",
                   help="built-in name or dataset folder (default: the config's, else "
                        "wakeup-scenes; lfw: a quick one)")
    t.add_argument("--config", metavar="FILE", help="TOML configuration")
    t.add_argument("-o", "--output", metavar="DIR", default="analogfe-train",
                   help="output folder: <model>-<frontend>.model.json and its weights, "
                        "<model>-<frontend>.json (metrics)")
    t.add_argument("--fresh", action="store_true", help=_FRESH_HELP)

    e = add("evaluate", "reload a saved model and measure its accuracy on a test split",
            seed_help="seed of the split (default: the one the model was trained with)",
            seed_default=None)
    e.add_argument("model", metavar="MODEL", help="the .model.json written by 'analogfe train'")
    e.add_argument("--dataset", default=None, metavar="NAME|PATH",
                   help="built-in name or dataset folder (default: the one it was trained on)")
    e.add_argument("--config", metavar="FILE",
                   help="TOML configuration whose [dataset] section makes the split (default: "
                        "the model's own)")

    r = add("predict", "reload a saved model and classify image files", seed=False)
    r.add_argument("model", metavar="MODEL", help="the .model.json written by 'analogfe train'")
    r.add_argument("images", metavar="IMAGE", nargs="+", help="8-bit image files")
    for model_cmd in (e, r):
        model_cmd.add_argument("--allow-import", action="store_true",
                       help="import a plug-in front end that the model names by its import path "
                            "'package.module:Class' (only for a model you trust)")

    m = add("compare", "compare front ends against the RGB baseline and write a report (the main job)",
            seed_help="run this seed alone (default: the config's compare.seeds, 0, 1 and 2)",
            seed_default=None)
    m.add_argument("--dataset", default=None, metavar="NAME|PATH",
                   help="built-in name or dataset folder (default: the config's, else "
                        "wakeup-scenes; lfw: a quick one)")
    m.add_argument("--config", metavar="FILE", help="TOML configuration")
    m.add_argument("--frontends", type=_name_list, default=None, metavar="NAME,NAME,...",
                   help="front ends to compare, e.g. rgb8,lg1.5 (registered names or "
                        "module:Class; default: the config's, else rgb8,gray8,lg1.5,lg2.75)")
    _output_options(m, "analogfe-out; another dataset, --config FILE, --frontends or --seeds "
                       "adds its name, e.g. analogfe-out-lfw")
    m.add_argument("--wide", action="store_true",
                   help="print every column of the table (default: the main ones, within 120 columns; "
                        "the report always has them all)")
    m.add_argument("--tasks", type=_task_list, default=None, metavar="TASK,TASK,...",
                   help="tasks to compare on, each a built-in name or a folder (default: the "
                        "config's dataset.tasks, wakeup-scenes,textures; --dataset: that one)")
    m.add_argument("--scheduler", metavar="tcp://HOST:PORT", default=None,
                   help="run the task x seed x front end grid on a running Dask scheduler "
                        "(default: a local cluster of compare.n_workers processes)")
    m.add_argument("--serial", action="store_true",
                   help="run the grid in this process, one item after the other")
    m.add_argument("--seeds", type=_seed_list, default=None, metavar="S,S,...",
                   help="run once per seed (e.g. 0,1,2) and report mean +- std over them "
                        "(default: --seed alone, else the config's compare.seeds)")

    w = add("sweep", "grid sweep over front-end parameters on Dask")
    _dask_run_options(w, "[sweep.grid]", "the grid")
    _output_options(w, "analogfe-sweep-<CONFIG's stem>", fresh=False)

    b = add("budget", "the most accurate front end + network within budgets (NetAdapt search)")
    _dask_run_options(b, "[budget]", "the proposals")
    _output_options(b, "analogfe-budget-<CONFIG's stem>", fresh=False)
    f = add("fewshot", "few-shot enrollment without stored samples, on every front end")
    f.add_argument("config", metavar="CONFIG.toml", nargs="?", default=None,
                   help="TOML configuration (default: the built-in defaults)")
    _output_options(f, "analogfe-fewshot, or analogfe-fewshot-<CONFIG's stem>")
    f.add_argument("--defaults", action="store_true",
                   help="print the default configuration as TOML and exit")

    d = add("fetch", "download a dataset of the anchors' papers into the cache (needs internet)",
            common=False)
    d.add_argument("name", metavar="NAME", help="lfw (faces, one folder per identity) or pascalraw")
    d.add_argument("--data-home", metavar="DIR", default=None,
                   help="cache folder (default: $ANALOGFE_DATA, else the user cache)")
    d.add_argument("--url", default=None, metavar="URL", help="a mirror of the same archive")
    d.add_argument("--quiet", "-q", action="store_true", help="no progress bar")

    g = add("config", "print a configuration as TOML, every key with its meaning", common=False)
    g.add_argument("file", metavar="FILE", nargs="?", help="a TOML configuration, completed with "
                                                           "the defaults")
    g.add_argument("--defaults", action="store_true", help="the default configuration")
    return p


def _seed_list(text):
    """``--seeds 0,1,2`` -> [0, 1, 2]; a usage error otherwise."""
    try:
        seeds = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not seeds or any(not 0 <= s <= _MAX_SEED for s in seeds) or len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"expected distinct integers from 0 to 2**63 - 1, "
                                         f"got {text!r}")
    return seeds


def _say(args, *lines):
    if not args.quiet:
        for line in lines:
            print(line)


def _written(*lines):
    """Where the results went: printed even with ``--quiet``."""
    for line in lines:
        print(line)


#: The columns of ``compare``'s terminal table (the report has every column).
TERMINAL_COLUMNS = (("frontend", "front end"), ("svm_accuracy", "SVM acc. [95% CI]"),
                    ("svm_ap", "AP", ".3f"), ("resnet_accuracy", "ResNet acc. [95% CI]"),
                    ("bits_per_frame", "bits/frame"), ("link_saving", "saving x", ".2f"),
                    ("energy_per_frame_uj", "SVM uJ/frame", ",.1f"))
_DROP_FIRST = ("link_saving", "svm_ap", "energy_per_frame_uj", "resnet_accuracy")


def terminal_table(rows, columns, *, wide=False, max_width=120):
    """``compare``'s table for the terminal: the main columns, within ``max_width``
    characters, plus the energy ratio to the first baseline; ``wide``: every column.

    Parameters
    ----------
    rows : list of dict
    columns : list of tuple
        Every column, as the report has them.
    wide : bool
    max_width : int
        Columns are dropped, the least needed first, until the table fits.

    Returns
    -------
    text : str
    """
    from .report import text_table

    if wide:
        return text_table(rows, columns)
    present = {c[0] for c in columns}
    ratio = next((c for c in columns if c[0].startswith("energy_ratio_")), None)
    cols = [c for c in TERMINAL_COLUMNS if c[0] in present] + ([ratio] if ratio else [])
    rows = [dict(r) for r in rows]
    for r in rows:  # an accuracy and its interval in one cell
        for model in ("svm", "resnet"):
            a = r.get(f"{model}_accuracy")
            if a is not None:
                r[f"{model}_accuracy"] = f"{a:.3f} {r.get(f'{model}_ci', '')}".strip()
    text = text_table(rows, cols)
    for key in _DROP_FIRST:  # the least needed columns go first
        if max(map(len, text.splitlines())) <= max_width:
            break
        cols = [c for c in cols if c[0] != key]
        text = text_table(rows, cols)
    return text


def _dask_run_options(parser, table, what):
    """CONFIG.toml, --scheduler and --serial of a command that runs its tasks on Dask."""
    parser.add_argument("config", metavar="CONFIG.toml", help=f"TOML file with a {table} table")
    parser.add_argument("--scheduler", metavar="tcp://HOST:PORT", default=None,
                        help="address of a running Dask scheduler (default: a local cluster)")
    parser.add_argument("--serial", action="store_true",
                        help=f"run {what} in this process, without Dask")
    parser.add_argument("--fresh", action="store_true", help=_FRESH_HELP + " (implies --force)")


def _output_options(parser, default, fresh=True):
    """-o, --force (and --fresh) of a command that writes a report into a folder it claims."""
    parser.add_argument("-o", "--output", metavar="DIR", default=None,
                        help=f"output folder (default: {default}); a folder that holds another "
                             "run's results is refused unless --force")
    if fresh:
        parser.add_argument("--fresh", action="store_true", help=_FRESH_HELP + " (implies --force)")
    parser.add_argument("--force", action="store_true",
                        help="write into an output folder that holds another configuration's "
                             "run, replacing its report")


def _distinct(text, what):
    """``a,b,c`` -> ["a", "b", "c"]: non-empty and distinct, else a usage error."""
    items = [t.strip() for t in text.split(",")]
    if not all(items) or len(set(items)) != len(items):
        raise argparse.ArgumentTypeError(f"expected distinct comma-separated {what}, got {text!r}")
    return items


def _task_list(text):
    """``--tasks wakeup-scenes,textures`` -> a list of distinct names or folders."""
    return _distinct(text, "tasks")


def _name_list(text):
    """``--frontends rgb8,lg1.5`` -> ["rgb8", "lg1.5"]; a usage error otherwise."""
    from ..frontend.registry import frontend_spec

    names = _distinct(text, "names")
    for n in names:
        try:
            frontend_spec(n, "--frontends")
        except (ValueError, TypeError, ImportError) as exc:
            raise argparse.ArgumentTypeError(" ".join(str(exc).split())) from None
    return names


def _output(args, command):
    """``-o`` or the command's default folder for these settings."""
    from .outputs import default_output

    if args.output is not None:
        return args.output
    dataset = getattr(args, "dataset", None)
    if getattr(args, "tasks", None):
        dataset = "_".join(args.tasks)
    seeds = getattr(args, "seeds", None) or ([args.seed] if args.seed else None)
    return default_output(command, dataset=dataset,
                          config_file=args.config, seeds=seeds,
                          frontends=getattr(args, "frontends", None))


def _cmd_simulate(args):
    from .config import load_config
    from .simulate import simulate

    if os.path.isdir(args.output) and any(os.scandir(args.output)) and not args.force:
        raise ValueError(f"output folder {args.output} exists and is not empty; pass --force to "
                         "overwrite its files or choose another -o")
    config = load_config(args.config)
    res = simulate(args.image, config, args.output, seed=args.seed, max_side=args.max_side,
                   progress=not args.quiet)
    from .report import text_table

    c = config["cost"]
    binned = " (log-gradient front ends bin each 2x2 colour quad)" if res["cfa"] else ""
    _say(args, f"input {res['source']} -> sensor {res['width']}x{res['height']}"
               f" (cfa {res['cfa'] or 'none'})",
         f"link bits on this image{binned}; saving against {res['baseline']} on the same "
         "sensor, and at the front end's own output resolution:",
         text_table(res["bits"], [("frontend", "front end"), ("bits_per_frame", "link bits/frame"),
                                  ("output_pixels", "output pixels", ","),
                                  ("link_saving", "saving, same sensor x", ".2f"),
                                  ("link_saving_equal_resolution", "saving, equal resolution x",
                                   ".2f")]),
         "",
         f"on the deployed sensor ({c['width']}x{c['height']} at {c['fps']:g} frame/s, "
         "monochrome log-gradient sensor), as 'analogfe compare' reports them:",
         text_table(res["deployed"], [("frontend", "front end"),
                                      ("bits_per_frame", "link bits/frame"),
                                      ("link_saving", "link saving x", ".2f"),
                                      ("energy_per_frame_uj", "SVM path uJ/frame", ",.2f")]
                    + [(f"energy_ratio_{b}", f"energy / {b}", ".3f") for b in c["baselines"]]))
    sig = res["signal"]
    _say(args, f"signal: mean {sig['mean_e']:,.0f} e-, temporal SNR {sig['snr_db']:.1f} dB at that "
               f"mean (shot, read and quantisation noise), {100 * sig['saturated_fraction']:.2f} % "
               "of pixels saturated")
    _written(f"wrote {len(res['files'])} files to {args.output} (overview: "
             f"{os.path.join(args.output, 'overview.png')})")
    return 0


def _cmd_cost(args):
    from ..system.command import cost_cli

    text = cost_cli(args.preset, args.config, args.fps, frontend=args.frontend)
    if text and not args.quiet:
        print(text if text.endswith("\n") else text + "\n", end="")
    return 0


def _cmd_train(args):
    from .compare import train_one
    from .config import load_config

    overrides = {"dataset": {"name": args.dataset}} if args.dataset else None
    config = load_config(args.config, overrides=overrides)
    res = train_one(args.frontend, args.model, config, args.output, seed=args.seed,
                    progress=not args.quiet, fresh=args.fresh)
    _say(args, f"{args.model} on {args.frontend}: test accuracy {res['accuracy']:.3f}")
    _written(f"model: {res['model_path']} (weights {res['weights_path']})",
             f"metrics: {res['metrics_path']}")
    return 0


def _cmd_evaluate(args):
    from ..learn.saved import load_model
    from ..learn.stats import format_interval
    from .config import load_config
    from .tasks import split_from_config

    model = load_model(args.model, allow_import=args.allow_import)
    trained = model.metadata.get("training") or {}
    overrides = {"dataset": {"name": args.dataset}} if args.dataset else None
    source = args.config if args.config else {"dataset": trained.get("dataset", {})}
    config = load_config(source, overrides=overrides)
    seed = args.seed if args.seed is not None else trained.get("seed", 0)
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"{args.model}: training seed must be an integer >= 0, got {seed!r}")
    split = split_from_config(config, seed)
    shape = tuple(split.X_test.shape[1:3])
    if shape != model.image_shape:
        raise ValueError(f"{config['dataset']['name']} gives {shape[0]}x{shape[1]} images but the model "
                         f"takes {model.image_shape[0]}x{model.image_shape[1]}: set dataset.image_size "
                         "or dataset.window in a --config file")
    r = model.evaluate(split.X_test, split.y_test, classes=split.classes)  # matched by name
    fe = model.metadata["frontend"]["name"]
    print(f"{model.architecture} on {fe}: accuracy {format_interval(r['accuracy'], r['low'], r['high'])} "
          f"(95 % Wilson interval), n = {r['n']} test images of {config['dataset']['name']} "
          f"(seed {seed})")
    return 0


def _cmd_predict(args):
    import numpy as np

    from ..learn.saved import load_model
    from ..scene.io import read_image

    model = load_model(args.model, allow_import=args.allow_import)
    images = []
    for path in args.images:
        im = read_image(path, raw_bits=16)  # a 16-bit file is read, then refused below
        if im.dtype != np.uint8:
            raise ValueError(f"{path}: predict takes 8-bit images (PNG, JPEG, TIFF); this file "
                             "holds 16-bit or raw data: save it as an 8-bit sRGB image first")
        images.append(model.prepare(im))
    batch = np.stack(images)
    labels, scores = model.predict(batch), model.scores(batch)
    svm = model.architecture == "wakeup-svm"
    est = model.estimator
    for path, label, score in zip(args.images, labels, scores):
        if not svm:
            why = f"softmax {float(np.max(score)):.3f}"
        elif np.ndim(score) == 0:
            why = (f"SVM decision value {float(score):+.3f}, positive means "
                   f"{model.label_name(est.classes_[1])}")
        else:
            why = f"SVM decision value {float(np.max(score)):+.3f}, the largest of {len(score)}"
        print(f"{path}: {model.label_name(label)} ({why})")
    return 0


def _cmd_config(args):
    from .config import SECTIONS, config_toml, load_config, read_toml
    from .fewshot import FEWSHOT_SCHEMA, fewshot_toml, load_fewshot_config

    if args.defaults == (args.file is not None):
        raise ValueError("give either --defaults or a configuration FILE")
    if args.file is None:
        print(config_toml(load_config(None)), end="")
        return 0
    # compare, sweep, budget, simulate and cost share one layout; fewshot has its own
    fewshot_only = set(FEWSHOT_SCHEMA) - set(SECTIONS)
    is_fewshot = bool(set(read_toml(args.file)) & fewshot_only)
    try:
        text = fewshot_toml(load_fewshot_config(args.file)) if is_fewshot \
            else config_toml(load_config(args.file))
    except ValueError as exc:
        kind, see = (("a few-shot configuration", "analogfe fewshot --defaults") if is_fewshot else
                     ("a compare / sweep / budget configuration", "analogfe config --defaults"))
        raise ValueError(f"{exc} (read as {kind}; every key with its meaning: {see})") from None
    print(text, end="")
    return 0


def _cmd_compare(args):
    from .compare_tasks import run_compare_tasks
    from .config import load_config

    overrides = {}
    if args.dataset:
        overrides["dataset"] = {"name": args.dataset}
    if args.frontends:
        overrides["frontends"] = {"names": args.frontends}
    config = load_config(args.config, overrides=overrides)
    t0 = time.perf_counter()
    if args.tasks and args.dataset:
        raise ValueError("give --tasks or --dataset, not both")
    tasks = [args.dataset] if args.dataset else args.tasks
    res = run_compare_tasks(config, _output(args, "out"), tasks=tasks, seed=args.seed,
                            seeds=args.seeds, scheduler=args.scheduler, serial=args.serial,
                            progress=not args.quiet, fresh=args.fresh, force=args.force)
    if "tasks" in res:
        for task, r in res["tasks"].items():
            _say(args, "", f"task {task}:", terminal_table(r["rows"], r["columns"], wide=args.wide))
        _say(args, "", "which conclusions hold on which task:",
             *(f"  {v['text']}: holds on {', '.join(v['holds']) or 'none'}"
               + (f"; not on {', '.join(v['fails'])}" if v["fails"] else "") for v in res["verdict"]))
    else:
        _say(args, "", terminal_table(res["rows"], res["columns"], wide=args.wide))
    _written(f"report: {res['report_md']} and {res['report_html']} (every column, the plots, "
             "the statistics and the assumptions)")
    _say(args, f"done in {time.perf_counter() - t0:.1f} s")
    return 0


def _cmd_sweep(args):
    from .config import load_config
    from .report import text_table
    from .sweep import run_sweep

    config = load_config(args.config)
    res = run_sweep(config, _output(args, "sweep"), seed=args.seed, scheduler=args.scheduler,
                    serial=args.serial, progress=not args.quiet, fresh=args.fresh,
                    force=args.force)
    _say(args, "", text_table(res["rows"], res["columns"]))
    _written(f"results: {res['csv']}", f"report: {res['report_md']} and {res['report_html']}")
    return 0


def _cmd_budget(args):
    from .budget import run_budget
    from .config import load_config
    from .report import text_table

    config = load_config(args.config)
    t0 = time.perf_counter()
    res = run_budget(config, _output(args, "budget"), seed=args.seed, scheduler=args.scheduler,
                     serial=args.serial, progress=not args.quiet, fresh=args.fresh,
                     force=args.force)
    cols = [c for c in res["columns"] if c[0] in _BUDGET_TERMINAL]  # every column: budget.md
    _say(args, "", text_table(res["rows"], cols),
         f"chosen: step {res['chosen']}; final: step {res['final']}; every column of the table: "
         f"{res['report_md']} and {res['csv']}",
         f"done in {time.perf_counter() - t0:.1f} s")
    _written(f"results: {res['csv']}", f"report: {res['report_md']} and {res['report_html']}")
    return 0


#: The columns of ``budget``'s terminal table (its report and CSV have every column).
_BUDGET_TERMINAL = ("step", "move", "frontend", "test_accuracy", "ci", "energy_uj", "macs",
                    "weight_bits", "latency_ms")


def _cmd_fewshot(args):
    from .fewshot import fewshot_toml, load_fewshot_config, run_fewshot
    from .report import text_table

    if args.defaults:
        print(fewshot_toml(), end="")
        return 0
    config = load_fewshot_config(args.config)
    res = run_fewshot(config, _output(args, "fewshot"), seed=args.seed, progress=not args.quiet,
                      fresh=args.fresh, force=args.force)
    _say(args, "", text_table(res["rows"], res["columns"]), "", *res["floor_lines"])
    _written(f"report: {res['report_md']} and {res['report_html']}",
             f"results: {res['results_json']}")
    _say(args, f"done in {res['seconds']:.1f} s")
    return 0


def _cmd_fetch(args):
    from ..data.remote import fetch

    folder = fetch(args.name, data_home_path=args.data_home, url=args.url,
                   progress=not args.quiet)
    print(folder)
    return 0


_COMMANDS = {
    "fetch": _cmd_fetch,
    "simulate": _cmd_simulate,
    "cost": _cmd_cost,
    "train": _cmd_train,
    "evaluate": _cmd_evaluate,
    "predict": _cmd_predict,
    "compare": _cmd_compare,
    "sweep": _cmd_sweep,
    "budget": _cmd_budget,
    "fewshot": _cmd_fewshot,
    "config": _cmd_config,
}


def _message(exc):
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    if isinstance(exc, OSError) and exc.strerror and exc.filename:
        return f"{exc.strerror}: {exc.filename}"
    return str(exc) or type(exc).__name__


def main(argv=None):
    """Run the ``analogfe`` command; returns 0, or exits with status 2 on bad input.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).
    """
    from ._malloc import keep_freed_memory

    parser = build_parser()
    args = parser.parse_args(argv)
    keep_freed_memory()  # the run's loops reuse freed buffers (analogfe.app._malloc)
    try:
        out = getattr(args, "output", None)
        if out is not None and os.path.exists(out) and not os.path.isdir(out):
            raise ValueError(f"output {out} is a file, not a folder")
        return _COMMANDS[args.command](args)
    except (ValueError, TypeError, KeyError, OSError) as exc:  # OSError: missing files, bad folders
        if os.environ.get("ANALOGFE_DEBUG", "0") not in ("", "0"):
            raise
        line = " ".join(_message(exc).split())  # one line, whatever the message holds
        print(f"analogfe {args.command}: error: {line}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None
    except KeyboardInterrupt:
        print(f"analogfe {args.command}: interrupted; run the same command again to resume",
              file=sys.stderr)
        raise SystemExit(130) from None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
