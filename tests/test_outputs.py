"""Output folders never clobber each other: a run of another configuration or
command is refused (one line on the command line) unless forced, and each
dataset, configuration file and seed list has its own default folder."""
import json

import pytest

from analogfe.app import cli
from analogfe.app.outputs import MANIFEST, OutputInUse, claim_output, default_output


def test_claim_resumes_the_same_run_and_refuses_another(tmp_path):
    out = tmp_path / "o"
    assert claim_output(out, "compare", "aaa", describe="dataset lfw") == out
    assert json.loads((out / MANIFEST).read_text())["config_hash"] == "aaa"
    (out / "report.md").write_text("first")
    claim_output(out, "compare", "aaa", describe="dataset lfw")  # the same run resumes
    with pytest.raises(OutputInUse, match=r"another run \(compare dataset lfw; this one: compare"):
        claim_output(out, "compare", "bbb")
    with pytest.raises(OutputInUse, match="another run"):
        claim_output(out, "sweep", "aaa")  # another command, same hash
    assert (out / "report.md").read_text() == "first"
    claim_output(out, "sweep", "bbb", force=True)
    assert json.loads((out / MANIFEST).read_text())["command"] == "sweep"


def test_claim_refuses_a_folder_of_no_run_and_a_file(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("x")
    with pytest.raises(OutputInUse, match="holds no run.json"):
        claim_output(tmp_path / "mine", "compare", "aaa")
    (tmp_path / "mine" / MANIFEST).write_text("not json")
    with pytest.raises(OutputInUse, match="holds no run.json"):
        claim_output(tmp_path / "mine", "compare", "aaa")
    (tmp_path / "f").write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        claim_output(tmp_path / "f", "compare", "aaa", force=True)
    (tmp_path / "empty").mkdir()
    claim_output(tmp_path / "empty", "compare", "aaa")  # an empty folder is anyone's


def test_default_output_folders_differ_per_setting():
    assert default_output("out") == "analogfe-out"
    names = {default_output("out", dataset="lfw"), default_output("out", dataset="data/voc/"),
             default_output("out", config_file="a/small.toml"), default_output("out", seeds=[0, 1]),
             default_output("out", seeds=[0]), default_output("fewshot"),
             default_output("out", frontends=["rgb8", "lg1.5"])}
    assert names == {"analogfe-out-lfw", "analogfe-out-voc", "analogfe-out-small",
                     "analogfe-out-seeds0-1", "analogfe-out", "analogfe-fewshot",
                     "analogfe-out-rgb8_lg1.5"}
    assert default_output("out", dataset="my data/x y") == "analogfe-out-x_y"


def test_compare_of_another_dataset_never_replaces_the_main_report(tmp_path, tiny_config, capsys,
                                                                   monkeypatch):
    """The README's two compare commands (the main job and --dataset lfw) land in two
    folders; sending the second into the first's folder is refused in one line."""
    monkeypatch.chdir(tmp_path)
    calls = []
    import analogfe.app.compare_tasks as ct

    def fake(config, out_dir, **kw):  # where each run would write, without running it
        tasks = kw["tasks"] or ct.compare_tasks_of(config)
        out = claim_output(out_dir, "compare", "+".join(tasks), force=kw["force"])
        (out / "report.md").write_text("+".join(tasks))
        calls.append((str(out_dir), kw["seeds"], config["frontends"]["names"], tasks))
        return {"rows": [], "columns": [("frontend", "front end")], "report_md": "m",
                "report_html": "h"}

    monkeypatch.setattr(ct, "run_compare_tasks", fake)
    assert cli.main(["compare", "-q"]) == 0
    assert cli.main(["compare", "-q", "--dataset", "lfw", "--frontends", "rgb8,lg1.5"]) == 0
    assert cli.main(["compare", "-q", "--dataset", "wakeup-scenes", "--seeds", "0,1"]) == 0
    assert cli.main(["compare", "-q", "--tasks", "textures,lfw"]) == 0
    assert [c[0] for c in calls] == ["analogfe-out", "analogfe-out-lfw-rgb8_lg1.5",
                                     "analogfe-out-wakeup-scenes-seeds0-1",
                                     "analogfe-out-textures_lfw"]
    assert calls[0][3] == ["wakeup-scenes", "textures"] and calls[3][3] == ["textures", "lfw"]
    assert calls[1][2] == ["rgb8", "lg1.5"] and calls[2][1] == [0, 1]
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        cli.main(["compare", "-q", "--dataset", "lfw", "-o", "analogfe-out"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count("\n") == 1
    assert "analogfe-out holds the results of another run" in err and "--force" in err
    assert (tmp_path / "analogfe-out" / "report.md").read_text() == "wakeup-scenes+textures"
    assert cli.main(["compare", "-q", "--dataset", "lfw", "-o", "analogfe-out", "--force"]) == 0
    assert (tmp_path / "analogfe-out" / "report.md").read_text() == "lfw"


@pytest.mark.parametrize("argv, words", [
    (["--frontends", "rgb8,lg9"], "unknown --frontends 'lg9'"),
    (["--frontends", "rgb8,,lg1.5"], "distinct comma-separated"),
    (["--frontends", "rgb8,rgb8"], "distinct comma-separated"),
    (["--seeds", "0,x"], "comma-separated integers"),
    (["--tasks-typo", "1"], "unrecognized arguments"),
])
def test_compare_flag_errors_point_to_compare_help(capsys, argv, words):
    with pytest.raises(SystemExit) as e:
        cli.main(["compare", *argv])
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count("\n") == 1
    assert words in err and err.rstrip().endswith("(see analogfe compare --help)")


def test_sweep_into_a_compare_folder_is_refused(tmp_path, tiny_config):
    from analogfe.app.config import load_config
    from analogfe.app.sweep import run_sweep

    claim_output(tmp_path / "o", "compare", "x")
    cfg = load_config({"sweep": {"grid": {"bits": [2]}}, "dataset": {"max_images": 20}})
    with pytest.raises(OutputInUse, match="compare"):
        run_sweep(cfg, tmp_path / "o", serial=True, progress=False)


def test_a_folder_of_the_same_run_from_before_manifests_is_adopted(tmp_path):
    out = tmp_path / "old"
    out.mkdir()
    (out / "results.json").write_text("{}")
    with pytest.raises(OutputInUse):
        claim_output(out, "compare", "aaa", adopt=lambda o: False)
    claim_output(out, "compare", "aaa", adopt=lambda o: (o / "results.json").is_file())
    assert json.loads((out / MANIFEST).read_text())["config_hash"] == "aaa"
