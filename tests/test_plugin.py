"""A front end defined outside the package goes through cost, compare, train and sweep."""
import json
import sys
import textwrap

import pytest

from analogfe.app import cli

PLUGIN = textwrap.dedent('''
    from analogfe.frontend import DigitalFrontEnd
    from analogfe.sensor import Sensor


    class Gray4(DigitalFrontEnd):
        """8-bit gray inside, 4 bits per pixel sent off chip (a compressed link)."""

        def __init__(self, sensor_config, seed=0):
            super().__init__(Sensor(sensor_config, seed=seed), output="gray")

        def bits_per_frame(self, height, width):
            return height * width * 4
''')
PATH = "afe_thirdparty_fe:Gray4"


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    (tmp_path / "afe_thirdparty_fe.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield PATH
    sys.modules.pop("afe_thirdparty_fe", None)
    from analogfe.frontend.registry import FRONTENDS

    FRONTENDS.pop(PATH, None)


def test_cost_honours_the_bits_a_front_end_reports(plugin):
    import analogfe as afe
    from analogfe.frontend.registry import make_frontend

    fe = make_frontend(plugin, sensor_config=afe.SensorConfig(height=24, width=32))
    assert isinstance(fe, afe.frontend.protocol.FrontEnd)
    assert afe.system.cost(fe, 24, 32, 1.0).link_bits == 24 * 32 * 4
    plain = make_frontend("gray8", sensor_config=afe.SensorConfig(height=24, width=32))
    assert afe.system.cost(plain, 24, 32, 1.0).link_bits == 24 * 32 * 12  # raw words, ISP on SoC


def test_bad_import_paths_are_one_line_errors(capsys):
    from analogfe.frontend.registry import frontend_spec

    with pytest.raises(ValueError, match="cannot import"):
        frontend_spec("no_such_module_xyz:Thing")
    with pytest.raises(ValueError, match="not a front-end class"):
        frontend_spec("json:JSONDecoder")


def _tiny_config(tmp_path, names):
    """A TOML file: 48 LFW images, these front ends, no ResNet, brightness 2^0 only."""
    cfg = tmp_path / "c.toml"
    cfg.write_text('[dataset]\nname = "lfw"\nmax_images = 48\n[frontends]\nnames = ['
                   + ", ".join(f'"{n}"' for n in names) + ']\n'
                   '[resnet]\nenabled = false\n[scene]\nbrightness_exponents = [0]\n')
    return cfg


def test_plugin_goes_through_compare_train_and_sweep(plugin, tmp_path, capsys):
    cfg = _tiny_config(tmp_path, ["gray8", plugin])
    assert cli.main(["compare", "--config", str(cfg), "-o", str(tmp_path / "cmp"), "-q"]) == 0
    rows = {r["frontend"]: r for r in json.loads((tmp_path / "cmp" / "results.json").read_text())["rows"]}
    assert rows[plugin]["bits_per_frame"] == 320 * 240 * 4  # the cost model's frame
    assert rows[plugin]["svm_accuracy"] > 0.5
    assert cli.main(["train", "--frontend", plugin, "--model", "svm", "--config", str(cfg),
                     "-o", str(tmp_path / "tr"), "-q"]) == 0
    sw = tmp_path / "s.toml"
    sw.write_text('[dataset]\nname = "lfw"\nmax_images = 48\n[scene]\nbrightness_exponents = [0]\n'
                  f'[sweep]\nbase_frontend = "{plugin}"\nmodel = "svm"\n'
                  '[sweep.grid]\nresolution = [1.0, 0.5]\n')
    assert cli.main(["sweep", str(sw), "--serial", "-o", str(tmp_path / "sw"), "-q"]) == 0
    assert (tmp_path / "sw" / "sweep.csv").read_text().count("\n") == 3


@pytest.fixture
def entry_point(plugin, monkeypatch):
    """``gray4`` registered by a (fake) installed package in ``analogfe.frontends``."""
    from importlib import metadata

    from analogfe.frontend.registry import ENTRY_POINT_GROUP, FRONTENDS

    ep = metadata.EntryPoint(name="gray4", value=plugin, group=ENTRY_POINT_GROUP)
    real = metadata.entry_points

    def entry_points(**kw):
        if kw.get("group") == ENTRY_POINT_GROUP:
            return metadata.EntryPoints([ep])
        return real(**kw)

    monkeypatch.setattr(metadata, "entry_points", entry_points)
    yield "gray4"
    FRONTENDS.pop("gray4", None)


def test_an_entry_point_name_resolves_to_its_front_end(entry_point):
    import analogfe as afe
    from analogfe.frontend.registry import frontend_spec, make_frontend, plugin_names

    assert plugin_names() == ("gray4",)
    with pytest.raises(ValueError, match="valid: .*'gray4'"):
        frontend_spec("gray5")
    spec = frontend_spec(entry_point)
    fe = make_frontend(entry_point, sensor_config=afe.SensorConfig(height=24, width=32))
    assert type(fe).__name__ == "Gray4" and spec.cfa is None
    assert afe.system.cost(fe, 24, 32, 1.0).link_bits == 24 * 32 * 4


def test_an_entry_point_to_something_else_is_one_line(monkeypatch):
    from importlib import metadata

    from analogfe.frontend.registry import ENTRY_POINT_GROUP, frontend_spec

    ep = metadata.EntryPoint(name="broken", value="json:JSONDecoder", group=ENTRY_POINT_GROUP)
    monkeypatch.setattr(metadata, "entry_points", lambda **kw: metadata.EntryPoints([ep]))
    with pytest.raises(ValueError, match="entry point 'broken'.*not a front-end class"):
        frontend_spec("broken")


def test_an_entry_point_front_end_goes_through_train_and_reloads(entry_point, tmp_path, capsys):
    cfg = _tiny_config(tmp_path, [entry_point])
    assert cli.main(["train", "--frontend", entry_point, "--model", "svm", "--config", str(cfg),
                     "-o", str(tmp_path / "tr"), "-q"]) == 0
    m = json.loads((tmp_path / "tr" / "svm-gray4.json").read_text())
    assert m["frontend"] == "gray4" and m["accuracy"] > 0.5
    from analogfe.learn import load_model

    model = load_model(tmp_path / "tr" / "svm-gray4.model.json")  # the name resolves again
    assert model.metadata["frontend"]["name"] == "gray4"
    assert cli.main(["evaluate", str(tmp_path / "tr" / "svm-gray4.model.json")]) == 0
    assert f"accuracy {m['accuracy']:.3f}" in capsys.readouterr().out


def test_plugin_goes_through_the_cost_command(plugin, capsys):
    from analogfe.app import cli

    assert cli.main(["cost", "--preset", "jssc2019-1.5b", "--frontend", plugin, "--fps", "1"]) == 0
    out = capsys.readouterr().out
    assert f"{320 * 240 * 4} bits/frame" in out  # the bits it reports, 4 per pixel
    assert "baseline: commercial-adc" in out
    with pytest.raises(SystemExit) as e:
        cli.main(["cost", "--preset", "jssc2019-1.5b", "--frontend", "no_such_mod_q:X"])
    assert e.value.code == 2 or e.value.code is None
