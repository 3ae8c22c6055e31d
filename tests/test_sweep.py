"""The design-space sweep: grid, seeds per point, Dask equals serial, resume."""
import csv

import pytest

from analogfe.app.config import load_config
from analogfe.app.sweep import grid_points, point_label, run_sweep, valid_grid_keys

SWEEP = {
    "dataset": {"name": "lfw", "max_images": 40},
    "svm": {"C": 0.1},
    "scene": {"brightness_exponents": [-1, 0]},
    "sweep": {"grid": {"bits": [2, 3], "scales": [[1], [1, 2]]}, "n_workers": 2},
}


def test_grid_is_the_product_in_order():
    cfg = load_config({"sweep": {"grid": {"bits": [2, 3], "resolution": [1.0, 0.5, 0.25]}}})
    pts = grid_points(cfg)
    assert len(pts) == 6
    assert pts[0] == {"bits": 2, "resolution": 1.0} and pts[-1] == {"bits": 3, "resolution": 0.25}
    assert point_label({"bits": 2, "scales": [1, 2]}) == "bits=2 scales=1-2"


def test_empty_grid_is_one_point():
    assert grid_points(load_config(None)) == [{}]


def test_unknown_grid_key_lists_valid_ones():
    cfg = load_config({"sweep": {"grid": {"bitz": [2]}}})
    with pytest.raises(ValueError, match="bitz.*valid: resolution, bits, scales"):
        grid_points(cfg)
    assert "comparator_noise_ln" in valid_grid_keys("lg1.5")


def test_grid_values_must_be_lists():
    with pytest.raises(ValueError, match="sweep.grid.bits"):
        grid_points(load_config({"sweep": {"grid": {"bits": 2}}}))
    with pytest.raises(ValueError, match="resolution"):
        grid_points(load_config({"sweep": {"grid": {"resolution": [9.0]}}}))


def test_dask_local_cluster_equals_serial_and_resumes(tmp_path):
    cfg = load_config(SWEEP)
    par = run_sweep(cfg, tmp_path / "dask", seed=3, progress=False)
    ser = run_sweep(cfg, tmp_path / "serial", seed=3, serial=True, progress=False)
    assert len(par["rows"]) == 4
    assert par["rows"] == ser["rows"]
    assert (tmp_path / "dask" / "sweep.csv").read_text() == (tmp_path / "serial" / "sweep.csv").read_text()
    with open(par["csv"]) as f:
        rows = list(csv.DictReader(f))
    assert [r["point"] for r in rows] == ["bits=2 scales=1", "bits=2 scales=1-2",
                                          "bits=3 scales=1", "bits=3 scales=1-2"]
    # 2.75-bit codes cost more bits than 1.5-bit codes at the same scales.
    assert int(rows[2]["bits_per_frame"]) > int(rows[0]["bits_per_frame"])
    for png in par["plots"]:
        assert png.is_file()
    csv_text = (tmp_path / "serial" / "sweep.csv").read_text()
    again = run_sweep(cfg, tmp_path / "serial", seed=3, serial=True, progress=False)
    assert again["reused"] == 4 and again["rows"] == ser["rows"]
    # a resumed sweep writes the same bytes as an uninterrupted one
    assert (tmp_path / "serial" / "sweep.csv").read_text() == csv_text


@pytest.mark.parametrize("content", ["[]", "null", '{"result": {}}', "{", "edited"])
def test_bad_stored_point_is_recomputed(tmp_path, capsys, content):
    import json

    cfg = load_config({**SWEEP, "sweep": {"grid": {"bits": [2]}}})
    first = run_sweep(cfg, tmp_path, seed=3, serial=True, progress=False)
    (path,) = (tmp_path / "points").glob("*.json")
    if content == "edited":
        d = json.loads(path.read_text())
        d["result"]["accuracy"] = 0.5
        path.write_text(json.dumps(d))
    else:
        path.write_text(content)
    capsys.readouterr()
    again = run_sweep(cfg, tmp_path, seed=3, serial=True, progress=False)
    err = capsys.readouterr().err
    assert again["reused"] == 0 and again["rows"] == first["rows"]
    assert str(path) in err and "recomputing" in err


def test_sweep_cli_bad_scheduler_address(tmp_path, capsys):
    from analogfe.app import cli

    p = tmp_path / "s.toml"
    p.write_text('[sweep.grid]\nbits = [2]\n[dataset]\nmax_images = 20\n')
    with pytest.raises(SystemExit) as exc:
        cli.main(["sweep", str(p), "--scheduler", "tcp://127.0.0.1:1", "-o", str(tmp_path / "o"), "-q"])
    assert exc.value.code == 2
    assert "scheduler" in capsys.readouterr().err
