"""Every example runs on tiny settings and prints what its user story promises."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

CASES = {
    "simulate_raw.py": ["lg1.5", "bits/frame", "CFA RGGB"],
    "train_wakeup.py": ["rgb8", "lg1.5", "accuracy"],
    "train_resnet_brightness.py": ["k=-2", "k=2", "max loss"],
    "sensor_in_the_loop.py": ["rgb8 in the loop", "lg2.75 fixed", "7 levels, learned"],
    "compare_custom_frontend.py": ["rgb8 (baseline)", "custom lg3L", "energy vs baseline"],
    "sweep_design_space.py": ["bits=2", "bits=3", "sweep.csv"],
    "detection_vs_object_size.py": ["gray8 - lg1.5 [95% CI]", "test scenes", "dpm-log"],
    "fewshot_enrollment.py": ["classes enrolled", "accuracy", "prototype memory"],
}


def test_every_example_is_tested():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_example_runs_tiny(name, tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg")
    cmd = [sys.executable, str(EXAMPLES / name), "--tiny"]
    if name in ("simulate_raw.py", "sweep_design_space.py"):
        cmd += ["-o", str(tmp_path / "out")]
    r = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    for word in CASES[name]:
        assert word in r.stdout, (word, r.stdout)
    if name == "simulate_raw.py":  # every front end's saving is a number, not "-"
        rows = [ln.split() for ln in r.stdout.splitlines() if ln.startswith(("rgb8 ", "lg1.5 "))]
        assert len(rows) == 2 and all(float(row[-1]) > 0 for row in rows), r.stdout
        assert float(rows[1][-1]) > float(rows[0][-1])


def test_example_configs_are_valid():
    from analogfe.app.config import load_config
    from analogfe.app.sweep import grid_points

    load_config(EXAMPLES / "compare_small.toml")
    from analogfe.app.fewshot import load_fewshot_config

    load_fewshot_config(EXAMPLES / "fewshot_small.toml")
    assert len(grid_points(load_config(EXAMPLES / "sweep_small.toml"))) == 16
    assert load_config(EXAMPLES / "budget_small.toml")["budget"]["frontends"][0] == "rgb8"
