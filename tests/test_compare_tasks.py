"""compare over several tasks: the grid on Dask gives the serial run's results,
and the report says which conclusions hold on which task."""
import json

import pytest

from analogfe.app import cli
from analogfe.app.compare_tasks import compare_tasks_of, run_compare_tasks
from analogfe.app.config import load_config

SMALL = {"dataset": {"tasks": ["lfw", "textures"], "max_images": 60},
         "frontends": {"names": ["gray8", "lg1.5"], "threshold_sweep": []},
         "svm": {"C": 0.1}, "resnet": {"epochs": 1, "width": 4, "seeds": [0]},
         "scene": {"brightness_exponents": [0, 1]}, "compare": {"seeds": [0, 1]}}


def _strip(obj):
    """A results tree without its wall times."""
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k not in ("seconds",)}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def test_tasks_of_a_configuration():
    cfg = load_config(None)
    assert compare_tasks_of(cfg) == ["wakeup-scenes", "textures"]
    assert compare_tasks_of(load_config({"dataset": {"name": "lfw"}})) == ["lfw"]


@pytest.fixture(scope="module")
def serial_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("tasks") / "serial"
    res = run_compare_tasks(load_config(SMALL), out, serial=True, progress=False)
    return out, res


def test_two_tasks_give_a_report_across_tasks_and_a_verdict(serial_run):
    out, res = serial_run
    assert list(res["tasks"]) == ["lfw", "textures"]
    for task in ("lfw", "textures"):
        assert (out / task / "report.md").is_file()
        assert res["tasks"][task]["seeds"] == [0, 1]
    md = (out / "report.md").read_text()
    assert "Which conclusions hold on which task" in md and "| textures | SVM | lg1.5 - gray8 |" in md
    assert "| lfw | ResNet-10 | lg1.5 - gray8 |" in md  # the ResNet of seed 0
    verdict = json.loads((out / "verdict.json").read_text())
    assert verdict["tasks"] == ["lfw", "textures"] and len(verdict["conclusions"]) >= 5
    for row in verdict["conclusions"]:
        assert sorted(row["holds"] + row["fails"] + row["untested"]) == ["lfw", "textures"]


def test_the_grid_on_dask_gives_the_serial_results(serial_run, tmp_path):
    out, res = serial_run
    cfg = load_config(SMALL)
    cfg["sweep"]["processes"] = False
    dask = run_compare_tasks(cfg, tmp_path / "dask", serial=False, progress=False)
    for task in ("lfw", "textures"):
        a = json.loads((out / task / "results.json").read_text())
        b = json.loads((tmp_path / "dask" / task / "results.json").read_text())
        assert _strip(a["per_seed"]) == _strip(b["per_seed"])
    assert (out / "verdict.json").read_text() == (tmp_path / "dask" / "verdict.json").read_text()
    assert dask["verdict"] == res["verdict"]


def test_tasks_and_dataset_flags(tmp_path, capsys):
    with pytest.raises(SystemExit):
        cli.main(["compare", "--tasks", "lfw", "--dataset", "lfw", "-o", str(tmp_path / "o")])
    assert "--tasks or --dataset" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["compare", "--tasks", "lfw,,x", "-o", str(tmp_path / "o")])
    assert "distinct comma-separated tasks" in capsys.readouterr().err
