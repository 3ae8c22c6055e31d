"""The analogfe command: help, each subcommand on tiny inputs, bad input -> one line, exit 2."""
import json
import re
from pathlib import Path

import numpy as np
import pytest

from analogfe.app import cli
from analogfe.app.config import default_config, load_config


def _fails(argv, capsys):
    """Run main(argv); it must exit 2 with one line on stderr and no traceback."""
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2, err
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    return lines


@pytest.mark.parametrize("cmd", ["simulate", "cost", "train", "evaluate", "predict", "compare",
                                 "sweep", "budget", "fewshot"])
def test_help_has_an_example_per_subcommand(cmd, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main([cmd, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "example:" in out and f"analogfe {cmd}" in out
    assert ("--seed" in out) == (cmd not in ("cost", "predict")) and "--quiet" in out


def test_missing_input_file(capsys, tmp_path):
    lines = _fails(["simulate", str(tmp_path / "nope.dng")], capsys)
    assert len(lines) == 1 and "not found" in lines[0] and "nope.dng" in lines[0]


def test_unknown_builtin_sample_lists_valid_ones(capsys):
    lines = _fails(["simulate", "no-such-sample"], capsys)
    assert len(lines) == 1 and "astronaut" in lines[0]


def test_unknown_frontend_lists_valid_ones(capsys, tmp_path):
    lines = _fails(["train", "--frontend", "lg9", "--model", "svm", "-o", str(tmp_path)], capsys)
    assert len(lines) == 1 and "'lg1.5'" in lines[0] and "'rgb8'" in lines[0]


def test_unknown_dataset(capsys, tmp_path):
    lines = _fails(["compare", "--dataset", "no-such-dataset", "-o", str(tmp_path), "-q"], capsys)
    assert len(lines) == 1 and "no-such-dataset" in lines[0]


def test_unknown_config_key_lists_valid_keys(capsys, tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[resnet]\nepochz = 3\n")
    lines = _fails(["compare", "--config", str(cfg), "-o", str(tmp_path)], capsys)
    assert len(lines) == 1 and "resnet.epochz" in lines[0] and "epochs" in lines[0]


def test_unknown_sensor_key_lists_sensorconfig_fields(capsys, tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[sensor]\nfull_wel_e = 3\n")
    lines = _fails(["compare", "--config", str(cfg), "-o", str(tmp_path)], capsys)
    assert len(lines) == 1 and "full_well_e" in lines[0]


def test_unknown_section(capsys, tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[sensr]\nx = 1\n")
    lines = _fails(["compare", "--config", str(cfg), "-o", str(tmp_path)], capsys)
    assert len(lines) == 1 and "sensor" in lines[0] and "resnet" in lines[0]


@pytest.mark.parametrize("toml, word", [("[resnet]\nepochs = 0\n", "resnet.epochs"),
                                        ("[dataset]\ntest_size = 1.5\n", "dataset.test_size"),
                                        ("[svm]\nC = -1.0\n", "svm.C"),
                                        ("[resnet]\nenabled = 3\n", "resnet.enabled"),
                                        ("[sensor]\nfull_well_e = -5.0\n", "full_well_e"),
                                        ("[dataset\n", "TOML"),
                                        # round 3 of the bad-input corpus
                                        ('[frontends.options."lg1.5"]\ncomparator_noise = 0.1\n',
                                         "comparator_noise_ln, comparator_offset_ln"),
                                        ("[budget]\nbudgets = {}\n", "budget.budgets"),
                                        ("a = " + "[" * 5000 + "]" * 5000 + "\n", "too deeply"),
                                        ("a = " + "{b = " * 5000 + "1" + "}" * 5000 + "\n",
                                         "too deeply")])
def test_value_out_of_range_or_bad_file(capsys, tmp_path, toml, word):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(toml)
    lines = _fails(["compare", "--config", str(cfg), "-o", str(tmp_path)], capsys)
    assert len(lines) == 1 and word in lines[0]
    lines = _fails(["config", str(cfg)], capsys)  # what compare refuses, config refuses
    assert len(lines) == 1 and word in lines[0]


def test_missing_config_file(capsys, tmp_path):
    lines = _fails(["compare", "--config", str(tmp_path / "none.toml")], capsys)
    assert len(lines) == 1 and "none.toml" in lines[0]


def test_unknown_cost_preset(capsys):
    lines = _fails(["cost", "--preset", "nosuch"], capsys)
    assert len(lines) == 1 and "conventional" in lines[0]


def test_cost_prints_the_table(capsys):
    assert cli.main(["cost", "--preset", "jssc2019-1.5b", "--fps", "10"]) == 0
    out = capsys.readouterr().out
    assert "lg1.5" in out and "10 fps" in out and "pJ/pixel" in out


def test_config_defaults_and_overrides():
    cfg = load_config({"resnet": {"epochs": 3}}, overrides={"dataset": {"name": "wakeup-scenes"}})
    assert cfg["resnet"]["epochs"] == 3 and cfg["dataset"]["name"] == "wakeup-scenes"
    assert cfg["frontends"]["names"] == default_config()["frontends"]["names"]


def test_simulate_builtin_image(capsys, out_dir):
    assert cli.main(["simulate", "camera", "-o", str(out_dir), "--max-side", "64"]) == 0
    out = capsys.readouterr().out
    assert "lg1.5" in out and "bits/frame" in out
    bits = json.loads((out_dir / "bits.json").read_text())["rows"]
    by = {r["frontend"]: r["bits_per_frame"] for r in bits}
    # the link carries the 10-bit raw words of the digital front ends (ISP on the SoC)
    assert by["rgb8"] == by["gray8"] == 64 * 64 * 10
    # a log-gradient front end on the Bayer mosaic bins 2 x 2 quads: a quarter of the
    # pixels, so its saving is also given against the baseline at its own resolution
    row = {r["frontend"]: r for r in bits}["lg1.5"]
    assert row["output_pixels"] == 32 * 32
    assert row["link_saving_equal_resolution"] == pytest.approx(32 * 32 * 10 / by["lg1.5"])
    assert row["link_saving"] == pytest.approx(4 * row["link_saving_equal_resolution"])
    assert "saving, equal resolution x" in out
    assert "on the deployed sensor (320x240 at 1 frame/s" in out
    for name in ("scene.png", "electrons.png", "dn.png", "stages.npz", "lg1_5.npz",
                 "lg1_5_dx_scale2.png", "lg1_5_hog.png", "rgb8_hog.png", "overview.png"):
        assert (out_dir / name).is_file(), name
    assert "signal: mean" in out and "dB" in out and "saturated" in out
    # an existing output folder is not overwritten without --force
    lines = _fails(["simulate", "camera", "-o", str(out_dir), "--max-side", "64"], capsys)
    assert "--force" in lines[0]
    assert cli.main(["simulate", "camera", "-o", str(out_dir), "--max-side", "64", "-q", "--force"]) == 0
    assert capsys.readouterr().out.strip().startswith("wrote ")  # --quiet: only the paths


def test_signal_statistics_match_the_emva_formula():
    from analogfe import SensorConfig
    from analogfe.app.simulate import signal_statistics

    sc = SensorConfig(height=2, width=2, read_noise_e=3.0, gain_dn_per_e=0.5, full_well_e=1000.0,
                      adc_bits=10)
    e = np.array([[100.0, 100.0], [100.0, 1000.0]])
    dn = np.array([[50, 50], [50, 500]])
    st = signal_statistics(e, dn, sc)
    mu = 325.0
    assert st["mean_e"] == pytest.approx(mu)
    assert st["snr_db"] == pytest.approx(20 * np.log10(mu / np.sqrt(mu + 9 + 1 / (12 * 0.25))))
    assert st["saturated_fraction"] == 0.25
    with pytest.raises(ValueError, match="dn"):
        signal_statistics(e, dn[:1], sc)


def test_cost_quiet_prints_nothing(capsys):
    assert cli.main(["cost", "--preset", "jssc2019-1.5b", "--quiet"]) == 0
    assert capsys.readouterr().out == ""


def test_terminal_table_fits_120_columns():
    from analogfe.app.compare import COLUMNS

    row = {c[0]: 0.123456 for c in COLUMNS}
    row.update(frontend="lg2.75", svm_ci="[0.895, 0.996]", resnet_ci="[0.895, 0.996]",
               svm_ap_ci="[0.1, 0.2]", bits_per_frame=1_843_200, energy_ratio_survey_adc=0.5)
    cols = list(COLUMNS) + [("energy_ratio_survey_adc", "energy / survey-adc", ".3f")]
    narrow = cli.terminal_table([row, row], cols)
    assert max(map(len, narrow.splitlines())) <= 120
    assert "0.123 [0.895, 0.996]" in narrow and "energy / survey-adc" in narrow
    wide = cli.terminal_table([row], cols, wide=True)
    assert max(map(len, wide.splitlines())) > 120


def test_simulate_a_dng_file(capsys, out_dir, tmp_path):
    import numpy as np

    from analogfe.scene.raw import write_dng

    rng = np.random.default_rng(0)
    mosaic = rng.integers(0, 4095, (48, 64)).astype(np.uint16)
    path = tmp_path / "tiny.dng"
    write_dng(path, mosaic, cfa="RGGB", bits=12)
    assert cli.main(["simulate", str(path), "-o", str(out_dir), "-q"]) == 0
    with np.load(out_dir / "stages.npz") as z:
        assert z["scene"].shape == (48, 64)
    assert (out_dir / "lg2_75_dy_scale1.png").is_file()


def test_train_svm_saves_model_and_metrics(capsys, tiny_config, out_dir):
    assert cli.main(["train", "--frontend", "lg1.5", "--model", "svm", "--config", str(tiny_config),
                     "-o", str(out_dir), "-q"]) == 0
    m = json.loads((out_dir / "svm-lg1.5.json").read_text())
    assert 0.0 <= m["accuracy"] <= 1.0 and m["frontend"] == "lg1.5"
    assert (out_dir / "svm-lg1.5.model.npz").stat().st_size > 0  # arrays, never a pickle
    assert json.loads((out_dir / "svm-lg1.5.model.json").read_text())["weights"]["file"] \
        == "svm-lg1.5.model.npz"
    assert not list(out_dir.glob("*.pkl"))


def test_config_defaults_is_toml_that_reads_back_to_the_defaults(capsys, tmp_path):
    import tomllib

    from analogfe.app.config import SCHEMA, SCHEMA_HELP

    assert cli.main(["config", "--defaults"]) == 0
    text = capsys.readouterr().out
    assert load_config(tomllib.loads(text)) == default_config()
    for section, keys in SCHEMA.items():  # every key, with its meaning
        assert f"[{section}]" in text and set(SCHEMA_HELP[section]) == set(keys)
        for key in keys:
            assert f"# {SCHEMA_HELP[section][key]}" in text
    assert "# full_well_e = 10000.0" in text and "# link_pj_per_bit = 10.0" in text
    mine = tmp_path / "mine.toml"
    mine.write_text('[frontends.options."lg1.5"]\ncomparator_noise_ln = 0.02\n[sensor]\ncfa = "none"\n'
                    'read_noise_e = 3.0\n[cost.options]\nlink_pj_per_bit = 4.0\n[sweep.grid]\n'
                    'resolution = [1.0, 0.5]\n')
    assert cli.main(["config", str(mine)]) == 0  # a file, completed with the defaults
    assert load_config(tomllib.loads(capsys.readouterr().out)) == load_config(mine)
    preset = tmp_path / "preset.toml"  # a sensor preset, with a field changed
    preset.write_text('[sensor]\npreset = "quantisation-limited"\nread_noise_e = 3.0\n')
    assert cli.main(["config", str(preset)]) == 0
    text = capsys.readouterr().out
    assert 'preset = "quantisation-limited"' in text and "# adc_bits = 10" in text
    assert load_config(tomllib.loads(text)) == load_config(preset)
    bad = tmp_path / "bad.toml"
    bad.write_text('[sensor]\npreset = "imx0"\n')
    assert "unknown preset 'imx0'" in _fails(["config", str(bad)], capsys)[0]
    assert "--defaults or a configuration FILE" in _fails(["config"], capsys)[0]
    with pytest.raises(SystemExit) as exc:
        cli.main(["config", "--help"])
    assert exc.value.code == 0 and "analogfe config --defaults" in capsys.readouterr().out


def test_compare_end_to_end_and_resume(capsys, tiny_config, out_dir):
    assert cli.main(["compare", "--config", str(tiny_config), "-o", str(out_dir), "-q"]) == 0
    out = capsys.readouterr().out  # --quiet: where the report went, nothing else
    assert out.startswith("report: ") and len(out.strip().splitlines()) == 1
    md = (out_dir / "report.md").read_text()
    assert "| rgb8 |" in md and "| lg1.5 |" in md
    assert "| lg1.5 ResNet-10 |" in md and "k=-2" in md  # the per-brightness table
    for png in ("accuracy_vs_bits.png", "accuracy_vs_energy.png", "accuracy_vs_brightness.png",
                "energy_breakdown.png", "stages.png"):
        assert f"]({png})" in md and (out_dir / png).is_file()
    page = (out_dir / "report.html").read_text()
    assert "<table>" in page
    # the HTML reads at 1400 px: no table wider than MAX_HTML_COLUMNS, the main one grouped
    from analogfe.app.report import MAX_HTML_COLUMNS

    heads = re.findall(r"<thead><tr>(.*?)</tr></thead>", page)
    assert heads and max(h.count("<th>") for h in heads) <= MAX_HTML_COLUMNS
    for group in ("Accuracy (95 % intervals)", "Robustness: largest loss", "Cost: link bits"):
        assert group in page
    # the 1.5-bit threshold swept beside the formula's, each stored
    assert "| 2 (formula) |" in md and "| 1.25 |" in md and "| 1.5 |" in md
    assert (out_dir / "results" / "seed0" / "lg1.5-threshold-1.25.json").is_file()
    rows = json.loads((out_dir / "results.json").read_text())["rows"]
    by = {r["frontend"]: r for r in rows}
    assert by["rgb8"]["link_saving"] == 1.0 and by["lg1.5"]["link_saving"] > 1.5
    # the ResNets are compared on the same test images, as the SVMs
    assert "ResNet-10 accuracy differences on the same test images" in md
    stored = json.loads((out_dir / "results.json").read_text())["results"]
    for r in stored.values():
        assert np.mean(r["resnet"]["correct"]) == pytest.approx(r["resnet"]["accuracy"])
    stored = (out_dir / "results" / "seed0" / "lg1.5.json").read_text()

    # A second run reuses both front ends; a changed configuration recomputes.
    from analogfe.app.compare import run_compare as compare
    from analogfe.app.config import load_config

    cfg = load_config(tiny_config)
    (out_dir / "run.json").unlink()  # a folder of this run written before folders were claimed
    res = compare(cfg, out_dir, progress=False)
    assert sorted(res["reused"]) == ["lg1.5", "rgb8"] and (out_dir / "run.json").is_file()
    assert (out_dir / "results" / "seed0" / "lg1.5.json").read_text() == stored
    # Another frame rate keeps the accuracies and recomputes only the costs;
    # it is another configuration, so its report replaces this one only when forced.
    cfg["cost"]["fps"] = 10.0
    with pytest.raises(ValueError, match="holds the results of another run"):
        compare(cfg, out_dir, progress=False)
    res = compare(cfg, out_dir, progress=False, force=True)
    assert sorted(res["reused"]) == ["lg1.5", "rgb8"]
    new = json.loads((out_dir / "results.json").read_text())["rows"]
    assert new[1]["average_power_uw"] == pytest.approx(10 * rows[1]["average_power_uw"])
    assert new[1]["svm_accuracy"] == rows[1]["svm_accuracy"]
    cfg["svm"]["C"] = 0.5
    res = compare(cfg, out_dir, progress=False, force=True)
    assert res["reused"] == []


def test_frontend_options_build_the_front_end():
    from analogfe.app.tasks import frontend_for, sensor_config_for
    from analogfe.frontend import DigitalFrontEnd, LogGradientFrontEnd

    cfg = load_config({"frontends": {"options": {"lg1.5": {"scales": [1, 2]}, "rgb8": {"output": "rgb"}}}})
    sc = sensor_config_for(cfg, (32, 32), "lg1.5")
    fe, fe_sc = frontend_for("lg1.5", cfg, sc, 0)
    assert isinstance(fe, LogGradientFrontEnd) and fe.scales == (1, 2) and fe_sc == sc
    fe, fe_sc = frontend_for("rgb8", cfg, sensor_config_for(cfg, (32, 32), "rgb8"), 0)
    assert isinstance(fe, DigitalFrontEnd) and fe.sensor.config.cfa == "RGGB" and fe_sc is None
    assert frontend_for("gray8", cfg, sc, 0) == ("gray8", sc)
    with pytest.raises(ValueError, match="frontends.options front end"):
        load_config({"frontends": {"options": {"lg3": {}}}})
    with pytest.raises(ValueError, match="cost.options.link_pj"):
        load_config({"cost": {"options": {"link_pj": 1.0}}})


@pytest.mark.parametrize("suffix", [".png", ".dng"])
def test_corrupt_input_file(capsys, tmp_path, suffix):
    bad = tmp_path / f"bad{suffix}"
    bad.write_text("not an image")
    lines = _fails(["simulate", str(bad), "-o", str(tmp_path / "o")], capsys)
    assert len(lines) == 1 and str(bad) in lines[0]


def test_compare_on_an_image_folder_with_three_classes(tmp_path):
    import numpy as np
    from skimage.io import imsave

    from analogfe.app.compare import run_compare as compare

    rng = np.random.default_rng(0)
    for c, (name, freq) in enumerate([("stripes", 0.5), ("rings", 1.0), ("flat", 0.0)]):
        (tmp_path / "data" / name).mkdir(parents=True)
        yy, xx = np.mgrid[0:24, 0:24]
        for i in range(10):
            base = {0: np.sin(freq * xx + i), 1: np.sin(freq * np.hypot(xx - 12, yy - 12) + i),
                    2: np.zeros((24, 24))}[c]
            img = np.clip(128 + 80 * base + rng.normal(0, 10, (24, 24)), 0, 255).astype(np.uint8)
            imsave(tmp_path / "data" / name / f"{i}.png", img, check_contrast=False)
    cfg = load_config({"dataset": {"name": str(tmp_path / "data")}, "svm": {"C": 0.1},
                       "frontends": {"names": ["gray8", "lg1.5"]},
                       "resnet": {"epochs": 1, "width": 8}, "scene": {"brightness_exponents": [0]}})
    res = compare(cfg, tmp_path / "out", seed=0, progress=False)
    by = {r["frontend"]: r for r in res["rows"]}
    assert set(by) == {"gray8", "lg1.5"} and 0 <= by["lg1.5"]["svm_accuracy"] <= 1
    assert res["results"]["lg1.5"]["svm"]["roc_auc"] is None


@pytest.mark.parametrize("content", ["[]", "null", '{"result": {}}', "not json", "edited"])
def test_compare_recomputes_a_bad_stored_result(capsys, tiny_config, out_dir, content):
    from analogfe.app.compare import run_compare
    from analogfe.app.config import load_config

    cfg = load_config(tiny_config)
    first = run_compare(cfg, out_dir, progress=False)
    path = out_dir / "results" / "seed0" / "lg1.5.json"
    if content == "edited":  # valid JSON of the right shape, one number changed by hand
        d = json.loads(path.read_text())
        d["result"]["svm"]["accuracy"] = 0.123
        path.write_text(json.dumps(d))
    else:
        path.write_text(content)
    capsys.readouterr()
    again = run_compare(cfg, out_dir, progress=False)
    err = capsys.readouterr().err
    assert again["reused"] == ["rgb8"]
    assert err.count("\n") == 1 and str(path) in err and "recomputing" in err
    assert again["rows"] == first["rows"]


def test_fresh_compare_does_not_read_checkpoints(tiny_config, out_dir, monkeypatch):
    import torch

    from analogfe.app.compare import run_compare
    from analogfe.app.config import load_config

    cfg = load_config(tiny_config)
    run_compare(cfg, out_dir, progress=False)
    assert list((out_dir / "checkpoints").rglob("checkpoint.pt"))

    def no_load(*a, **k):
        raise AssertionError("a checkpoint was read")

    monkeypatch.setattr(torch, "load", no_load)
    res = run_compare(cfg, out_dir, progress=False, fresh=True)
    assert res["reused"] == []


def test_config_that_is_not_utf8_names_the_file(capsys, tmp_path):
    cfg = tmp_path / "latin1.toml"
    cfg.write_bytes('[dataset]\nname = "caf\xe9"\n'.encode("latin-1"))
    lines = _fails(["compare", "--config", str(cfg), "-o", str(tmp_path / "o")], capsys)
    assert len(lines) == 1 and str(cfg) in lines[0] and "UTF-8" in lines[0]


def test_seed_in_frontend_options_is_refused(capsys, tmp_path):
    cfg = tmp_path / "seed.toml"
    cfg.write_text('[frontends.options."lg1.5"]\nseed = 3\n')
    lines = _fails(["compare", "--config", str(cfg), "-o", str(tmp_path / "o")], capsys)
    assert len(lines) == 1 and "frontends.options.lg1.5.seed" in lines[0] and "--seed" in lines[0]


def test_simulate_on_a_folder(capsys, tmp_path):
    lines = _fails(["simulate", str(tmp_path), "-o", str(tmp_path / "o")], capsys)
    assert len(lines) == 1 and "is a folder" in lines[0]


@pytest.mark.parametrize("command", [["simulate", "camera"], ["compare"],
                                     ["train", "--frontend", "lg1.5", "--model", "svm"]])
def test_output_that_is_a_file_is_refused_first(capsys, tmp_path, command, monkeypatch):
    import analogfe.app.compare as comp
    import analogfe.app.simulate as sim

    def never(*a, **k):
        raise AssertionError("computed before checking the output folder")

    for mod, name in ((sim, "simulate"), (comp, "run_compare"), (comp, "train_one")):
        monkeypatch.setattr(mod, name, never)
    out = tmp_path / "report"
    out.write_text("a file")
    lines = _fails(command + ["-o", str(out)], capsys)
    assert len(lines) == 1 and "is a file" in lines[0]


@pytest.mark.parametrize("argv", [["compare", "--bogus"], ["nope"], ["cost"], ["train", "--seed", "x"],
                                  ["cost", "--preset", "conventional", "--seed", "1"],
                                  ["compare", "--seed", "-1"], ["compare", "--seed", str(2 ** 70)],
                                  ["compare", "--seeds", f"0,{2 ** 64}"],
                                  ["predict", "m.model.json", "a.png", "--seed", "0"]])
def test_argument_errors_are_one_line(capsys, argv):
    lines = _fails(argv, capsys)
    assert len(lines) == 1 and "error" in lines[0]


def test_emulate_refuses_float_images_above_one_and_contradicting_cfa():
    import numpy as np

    from analogfe.frontend import emulate, make_frontend
    from analogfe.sensor import SensorConfig

    with pytest.raises(ValueError, match=r"images_srgb.*\[0, 1\]"):
        emulate(np.full((8, 8), 1.5, np.float32), "lg1.5")
    with pytest.raises(ValueError, match="cfa='RGGB' contradicts the sensor's cfa None"):
        make_frontend("lg1.5", sensor_config=SensorConfig(cfa=None), cfa="RGGB")


def test_disk_full_during_training_is_one_line(capsys, tiny_config, tmp_path, monkeypatch):
    import os

    import analogfe._io as io_mod

    monkeypatch.setattr(io_mod.tempfile, "mkstemp",
                        lambda **kw: (os.open("/dev/full", os.O_WRONLY), str(tmp_path / "x.tmp")))
    lines = _fails(["train", "--frontend", "lg1.5", "--model", "resnet10", "--config",
                    str(tiny_config), "-o", str(tmp_path / "o"), "-q"], capsys)
    assert len(lines) == 1 and "No space left on device" in lines[0]


def test_simulate_with_a_frontend_cfa_contradicting_the_sensor(capsys, tmp_path):
    cfg = tmp_path / "cfa.toml"
    cfg.write_text('[frontends.options."lg1.5"]\ncfa = "GRBG"\n')
    lines = _fails(["simulate", "camera", "--config", str(cfg), "-o", str(tmp_path / "o"), "-q"],
                   capsys)
    assert len(lines) == 1 and "contradicts the sensor's cfa 'RGGB'" in lines[0]


def test_bad_cost_option_is_refused_before_any_training(capsys, tmp_path, monkeypatch):
    import analogfe.app.compare as comp

    def never(*a, **k):
        raise AssertionError("trained before checking the cost options")

    monkeypatch.setattr(comp, "split_from_config", never)
    cfg = tmp_path / "cost.toml"
    cfg.write_text("[cost.options]\nvdd_v = 1e200\n")
    lines = _fails(["compare", "--config", str(cfg), "-o", str(tmp_path / "o")], capsys)
    assert len(lines) == 1 and "cost.options" in lines[0] and "vdd_v" in lines[0]


def _every_default_written_out(cfg):
    """``cfg`` with the default of every front-end option, cost constant and
    sensor field written out as a user would write it in a TOML file."""
    import dataclasses
    import inspect

    from analogfe.frontend import LogGradientFrontEnd
    from analogfe.frontend.registry import FRONTENDS
    from analogfe.sensor import SensorConfig
    from analogfe.system import CostParams

    sensor = SensorConfig()
    full = json.loads(json.dumps(cfg))
    full["sensor"] = {f.name: getattr(sensor, f.name) for f in dataclasses.fields(sensor)
                      if f.name not in ("height", "width", "cfa")}  # set per front end
    lg = {k: p.default for k, p in inspect.signature(LogGradientFrontEnd).parameters.items()
          if p.default is not None and k not in ("seed", "bits")}
    lg.update(full_well_e=sensor.full_well_e, read_noise_e=sensor.read_noise_e)
    opts = {}
    for name in full["frontends"]["names"]:
        spec = FRONTENDS[name]
        opts[name] = {**spec.defaults, **(lg if "bits" in spec.defaults else {})}
    full["frontends"]["options"] = opts
    full["cost"]["options"] = {k: v for k, v in CostParams().to_dict().items() if v is not None}
    return json.loads(json.dumps(full, default=list))


def test_writing_every_default_out_changes_no_result(tiny_config, tmp_path):
    """One construction path: a configuration with every default written out
    (front-end options, cost constants, sensor fields) gives the results of
    the configuration that leaves them out, byte for byte."""
    from analogfe.app.compare import run_compare
    from analogfe.app.config import load_config

    cfg = load_config(tiny_config)
    full = load_config(_every_default_written_out(cfg))
    assert full["frontends"]["options"]["lg1.5"]["comparator_noise_ln"] == 0.0
    a = run_compare(cfg, tmp_path / "a", progress=False)
    b = run_compare(full, tmp_path / "b", progress=False)
    for r in (a, b):
        for v in r["results"].values():
            v.pop("seconds")
    assert json.dumps(a["results"], sort_keys=True) == json.dumps(b["results"], sort_keys=True)
    assert a["rows"] == b["rows"]


def test_one_front_end_costs_the_same_in_every_command(tiny_config, tmp_path, capsys):
    """lg1.5's link bits and energy per frame, and its ratios to the baselines,
    are the same numbers through compare, cost, simulate and sweep."""
    from analogfe.app.compare import run_compare
    from analogfe.app.simulate import simulate
    from analogfe.app.sweep import run_point
    from analogfe.system import cost_preset, get_baseline

    cfg = load_config(tiny_config)
    row = {r["frontend"]: r for r in run_compare(cfg, tmp_path / "c", progress=False)["rows"]}["lg1.5"]
    bits, uj = row["bits_per_frame"], row["energy_per_frame_uj"]
    # cost: the multi-scale JSSC preset is lg1.5 at QVGA; at compare's frame rate
    r = cost_preset("jssc2019-1.5b-ms", fps=cfg["cost"]["fps"])
    assert r.link_bits == bits and r.energy_pj * 1e-6 == pytest.approx(uj, rel=1e-12)
    survey = get_baseline("survey-adc").cost(240, 320, 1.0)
    assert row["energy_ratio_survey-adc"] == pytest.approx(r.energy_pj / survey.energy_pj, rel=1e-12)
    assert row["link_saving"] == pytest.approx(survey.link_bits / r.link_bits, rel=1e-12)
    capsys.readouterr()
    assert cli.main(["cost", "--preset", "jssc2019-1.5b-ms", "--fps", "1"]) == 0
    text = capsys.readouterr().out
    assert f"total energy   {uj:.4g} uJ/frame" in text and f"link           {bits} bits/frame" in text
    # simulate: the same front end on the deployed sensor
    sim = simulate("camera", cfg, tmp_path / "s", max_side=48, progress=False)
    dep = {d["frontend"]: d for d in sim["deployed"]}["lg1.5"]
    assert dep["bits_per_frame"] == bits and dep["energy_per_frame_uj"] == pytest.approx(uj, rel=1e-12)
    assert dep["energy_ratio_survey-adc"] == pytest.approx(row["energy_ratio_survey-adc"], rel=1e-12)
    # sweep: a grid point of lg1.5 at the resolution of the deployed sensor
    cfg["sweep"]["base_frontend"] = "lg1.5"
    pt = run_point({"bits": 2}, cfg, seed=0)
    assert pt["bits_per_frame"] == bits and pt["energy_per_frame_uj"] == pytest.approx(uj, rel=1e-12)
    assert pt["energy_ratio_survey-adc"] == pytest.approx(row["energy_ratio_survey-adc"], rel=1e-12)
    assert pt["link_saving"] == pytest.approx(row["link_saving"], rel=1e-12)


def test_compare_over_seeds_reports_mean_and_std(tiny_config, tmp_path, capsys):
    cfg = str(tiny_config)
    out = tmp_path / "o"
    assert cli.main(["compare", "--config", cfg, "-o", str(out), "-q", "--seeds", "0,1"]) == 0
    md = (out / "report.md").read_text()
    assert "Over seeds 0, 1: mean +- standard deviation" in md and "| seeds | 0, 1 |" in md
    res = json.loads((out / "results.json").read_text())
    accs = [res["per_seed"][s]["lg1.5"]["svm"]["accuracy"] for s in ("0", "1")]
    import numpy as np

    row = next(line for line in md.splitlines() if line.startswith("| lg1.5 | ") and "+-" in line)
    assert (f"{np.mean(accs):.3f} +- {np.std(accs, ddof=1):.3f} "
            f"[{min(accs):.3f}, {max(accs):.3f}] (2)") in row
    # every seed's own figures; the ResNet on resnet.seeds (here seed 0) only
    assert "Every seed's figures with their own 95 % intervals" in md
    assert "resnet" in res["per_seed"]["0"]["lg1.5"] and "resnet" not in res["per_seed"]["1"]["lg1.5"]
    rn = next(line for line in md.splitlines() if line.startswith("| lg1.5 | ") and "(1) |" in line)
    assert rn.count("(1)") == 2   # ResNet accuracy and loss over its one seed
    assert (out / "results" / "seed1" / "lg1.5.json").is_file()
    capsys.readouterr()
    for bad in ("0,0", "a", "-1"):
        with pytest.raises(SystemExit) as e:
            cli.main(["compare", "--config", cfg, "-o", str(out), "-q", "--seeds", bad])
        assert e.value.code == 2
        assert capsys.readouterr().err.count("\n") == 1


def test_a_stored_result_with_negative_int_keys_is_reused(tmp_path):
    """The brightness sweeps are dicts keyed by k = -5..3; JSON turns the keys
    into strings, which sort in another order ("-1" < "-5" < "0"). A stored
    result must still match its checksum when read back."""
    from analogfe._io import read_cached, write_cached

    result = {"svm": {"brightness": {k: 0.5 + 0.01 * k for k in range(-5, 4)}}}
    path = write_cached(tmp_path / "r.json", "key", result)
    back = read_cached(path, "key")
    assert back is not None and back["result"]["svm"]["brightness"]["-5"] == result["svm"]["brightness"][-5]


def test_exposure_config_and_both_sweeps(tiny_config):
    from analogfe.app.tasks import evaluate_svm, exposure_for, split_from_config
    from analogfe.sensor import AutoExposure

    cfg = load_config(tiny_config)
    assert cfg["scene"]["exposure"] == "auto"  # the default
    assert exposure_for(cfg) == AutoExposure() and exposure_for(cfg, "fixed") == "fixed"
    cfg = load_config(tiny_config, overrides={"scene": {"exposure": "fixed", "ae_max_gain": 4.0}})
    assert exposure_for(cfg, "auto") == AutoExposure(max_gain=4.0)
    split = split_from_config(cfg, seed=0)
    r = evaluate_svm(split, "lg1.5", cfg, seed=0)
    assert r["exposure"] == "fixed" and r["model"].exposure == "fixed"
    by = r["brightness_by_exposure"]
    assert list(by) == ["fixed", "auto"] and r["brightness"] == by["fixed"]
    for mode in by:
        assert sorted(by[mode]) == [-2, 0, 1]
        assert r["max_loss_by_exposure"][mode] == max(0.0, 100 * max(
            by[mode][0] - a for a in by[mode].values()))
    assert r["accuracy"] == by["fixed"][0] and r["max_loss"] == r["max_loss_by_exposure"]["fixed"]
    for bad, exc in (({"exposure": "manual"}, ValueError), ({"ae_target": 0.0}, ValueError),
                     ({"ae_max_gain": 0.5}, ValueError), ({"exposure": 1}, ValueError)):
        with pytest.raises(exc, match="scene\\."):
            load_config({"scene": bad})


def test_wakeup_training_and_test_scenes_show_disjoint_faces(monkeypatch):
    import numpy as np

    import analogfe.data.builtin as builtin
    from analogfe.app.tasks import split_from_config

    pools = []
    real = builtin.make_wakeup_scenes

    def spy(n, **kw):
        pools.append(kw["targets"])
        return real(n, **{**kw, "size": (64, 80), "target_size": (24, 30)})

    monkeypatch.setattr(builtin, "make_wakeup_scenes", spy)
    cfg = load_config({"dataset": {"name": "wakeup-scenes", "n_scenes": 12}})
    split, scenes = split_from_config(cfg, seed=3, with_scenes=True)
    train, test = pools
    assert len(train) + len(test) == 100 and len(test) == 25
    faces = {f.tobytes() for f in builtin.lfw_faces()}
    assert {f.tobytes() for f in train} | {f.tobytes() for f in test} == faces
    assert not {f.tobytes() for f in train} & {f.tobytes() for f in test}
    assert len(scenes.train.images) == 9 and len(scenes.test.images) == 3
    assert np.asarray(split.y_test).size > 0


def test_cost_reads_the_compare_layout_and_labels_scales(capsys, tmp_path):
    """One layout for cost settings: compare's own configuration file, [cost] and
    [cost.options], feeds `analogfe cost`; the help lists every preset with its
    scales, and a single-scale preset says so wherever its result is printed."""
    from analogfe.system import PRESETS, cost_preset

    cfg = tmp_path / "c.toml"
    cfg.write_text('[frontends]\nnames = ["rgb8", "lg1.5"]\n[cost]\nfps = 5.0\n'
                   'baselines = ["survey-adc"]\n[cost.options]\nlink_pj_per_bit = 4.0\n')
    assert load_config(cfg)["cost"]["options"] == {"link_pj_per_bit": 4.0}  # compare reads it
    assert cli.main(["cost", "--preset", "jssc2019-1.5b", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("jssc2019-1.5b (single scale): front end lg1.5")
    assert "at 5 fps" in out and "baseline survey-adc" in out and "commercial-adc" not in out
    row = next(line for line in out.splitlines() if line.startswith("jssc2019-1.5b (single scale) "))
    assert row
    r = cost_preset("jssc2019-1.5b", fps=5.0, link_pj_per_bit=4.0)
    assert r.table() in out
    assert cost_preset("jssc2019-1.5b-ms").name == "jssc2019-1.5b-ms"
    with pytest.raises(SystemExit):
        cli.main(["cost", "--help"])
    text = capsys.readouterr().out
    for name in PRESETS:
        assert f"  {name} " in text
    assert "jssc2019-1.5b      lg1.5  320x240 at 30 fps, single scale (1)" in text
    assert "jssc2019-1.5b-ms   lg1.5  320x240 at 30 fps, scales 1, 2, 4" in text
    assert "[cost.options]" in text and "link_pj_per_bit" in text


def test_config_reads_every_commands_file(capsys, tmp_path):
    """`analogfe config FILE` prints fewshot and budget files too, and a bad key names
    the --defaults that lists the valid ones for that kind of file."""
    import tomllib

    from analogfe.app.fewshot import load_fewshot_config

    examples = Path(__file__).resolve().parents[1] / "examples"
    assert cli.main(["config", str(examples / "fewshot_small.toml")]) == 0
    text = capsys.readouterr().out
    assert "[train]" in text and "[incremental]" in text
    assert load_fewshot_config(tomllib.loads(text)) == load_fewshot_config(examples / "fewshot_small.toml")
    assert cli.main(["config", str(examples / "budget_small.toml")]) == 0
    text = capsys.readouterr().out
    assert load_config(tomllib.loads(text)) == load_config(examples / "budget_small.toml")
    bad = tmp_path / "f.toml"
    bad.write_text("[data]\nn_clases = 3\n")
    line = _fails(["config", str(bad)], capsys)[0]
    assert "data.n_clases" in line and "analogfe fewshot --defaults" in line
    bad.write_text("[datset]\nname = 'lfw'\n")
    line = _fails(["config", str(bad)], capsys)[0]
    assert "'datset'" in line and "analogfe config --defaults" in line



@pytest.mark.parametrize("layout", ["presplit", "grouped"])
def test_compare_on_presplit_and_grouped_image_folders(tmp_path, layout, lfw_folder):
    from analogfe.app.compare import run_compare
    from analogfe.app.tasks import split_from_config

    root = lfw_folder(tmp_path / "data", layout)
    ds = {"name": str(root), "group_by": "folder" if layout == "grouped" else "none"}
    cfg = load_config({"dataset": ds, "svm": {"C": 0.1}, "frontends": {"names": ["gray8"]},
                       "resnet": {"epochs": 1, "width": 4},
                       "scene": {"brightness_exponents": [0]}})
    split = split_from_config(cfg, seed=0)
    if layout == "presplit":
        assert (len(split.y_train), len(split.y_val), len(split.y_test)) == (72, 16, 32)
    else:  # 6 groups of 10 per class: 2 of them (25 %) on the test side
        assert len(split.y_test) == 40 and split.X_val is None
    res = run_compare(cfg, tmp_path / "out", progress=False)
    assert res["results"]["gray8"]["svm"]["n_test"] == len(split.y_test)
    assert 0.5 < res["rows"][0]["svm_accuracy"] <= 1

