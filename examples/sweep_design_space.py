"""Sweep the design space of the log-gradient front end on Dask
============================================================

Usage::

    .venv/bin/python examples/sweep_design_space.py -o sweep-out                 # local Dask cluster
    .venv/bin/python examples/sweep_design_space.py --scheduler tcp://host:8786  # a running scheduler
    .venv/bin/python examples/sweep_design_space.py --tiny

The grid (bits x scales x comparator noise x resolution) is read from
``examples/sweep_small.toml``; every point is one Dask task with its own seed.
Writes sweep.csv, the plots and sweep.md; an interrupted sweep resumes.
"""
import argparse
from pathlib import Path

from analogfe.app.config import load_config
from analogfe.app.report import text_table
from analogfe.app.sweep import run_sweep

HERE = Path(__file__).resolve().parent


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default=str(HERE / "sweep_small.toml"))
    p.add_argument("--scheduler", default=None)
    p.add_argument("-o", "--output", default=None,
                   help="output folder (default sweep-out, with --tiny sweep-out-tiny)")
    p.add_argument("--tiny", action="store_true", help="2 points, 40 images")
    a = p.parse_args(argv)
    overrides = None
    if a.tiny:
        overrides = {"dataset": {"max_images": 40}, "scene": {"brightness_exponents": [0]},
                     "sweep": {"grid": {"bits": [2, 3]}, "n_workers": 1}}
    cfg = load_config(a.config, overrides=overrides)
    if a.tiny:
        cfg["sweep"]["grid"] = {"bits": [2, 3]}
    out = a.output or ("sweep-out-tiny" if a.tiny else "sweep-out")
    res = run_sweep(cfg, out, scheduler=a.scheduler, progress=not a.tiny)
    print(text_table(res["rows"], res["columns"]))
    print(f"results: {res['csv']}")


if __name__ == "__main__":
    main()
