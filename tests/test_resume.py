"""Resumed runs write what uninterrupted ones write, and stored state that is
corrupt or foreign is recomputed with a warning naming the file (``budget``,
``fewshot``, ``compare``); ``--fresh`` reads nothing stored."""
import json
import shutil

import pytest
from torch_fixtures import _one_thread  # noqa: F401  (autouse: one torch thread)

from analogfe.app import cli


def _run(argv, capsys):
    assert cli.main(argv) == 0
    return capsys.readouterr().err


def _outputs(out, names):
    return {n: (out / n).read_bytes() for n in names}


def without_section(md, heading):
    """``md`` less the section ``## heading`` (measured wall times: not reproducible)."""
    head, sep, rest = md.partition(f"## {heading}")
    assert sep, heading
    return head + rest[rest.index("\n## "):] if "\n## " in rest else head


def _truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


# --------------------------------------------------------------------------- fewshot
FEWSHOT_PLOTS = ("brightness_heatmaps.png", "incremental.png", "glyphs.png")


@pytest.fixture(scope="module")
def fewshot_run(tmp_path_factory):
    from test_fewshot import TINY

    d = tmp_path_factory.mktemp("fewshot")
    (d / "tiny.toml").write_text(TINY)
    assert cli.main(["fewshot", str(d / "tiny.toml"), "-o", str(d / "out"), "-q"]) == 0
    return d / "tiny.toml", d / "out"


def _fewshot_copy(fewshot_run, tmp_path):
    cfg, out = fewshot_run
    shutil.copytree(out, tmp_path / "out")
    return cfg, tmp_path / "out", _outputs(out, FEWSHOT_PLOTS + ("report.md",))


def test_a_resumed_fewshot_run_writes_the_same_report_and_plots(fewshot_run, tmp_path, capsys):
    cfg, out, before = _fewshot_copy(fewshot_run, tmp_path)
    for n in before:
        (out / n).unlink()
    assert _run(["fewshot", str(cfg), "-o", str(out), "-q"], capsys) == ""
    assert _outputs(out, before) == before  # byte for byte: rows by bits 4, 8, 32 as before
    md = before["report.md"].decode()
    assert md.index("| rgb8 | 4 |") < md.index("| rgb8 | 8 |") < md.index("| rgb8 | 32 |")


def test_corrupt_fewshot_state_is_recomputed_with_a_warning(fewshot_run, tmp_path, capsys):
    cfg, out, before = _fewshot_copy(fewshot_run, tmp_path)
    glyphs = next((out / "data").glob("glyphs-*.npz"))
    ck = out / "checkpoints" / "rgb8" / "protonet" / "metatrain.pt"
    _truncate(glyphs)
    _truncate(ck)
    (out / "results" / "rgb8.json").write_text("[]")  # so that the checkpoint is read
    (out / "results" / "lg1.5.json").write_text("garbage")
    err = _run(["fewshot", str(cfg), "-o", str(out), "-q"], capsys)
    for path in (glyphs, ck, out / "results" / "rgb8.json", out / "results" / "lg1.5.json"):
        assert f"analogfe: {path}: " in err and "recomputing" in err, (path, err)
    after = _outputs(out, before)
    heading = "Wall times"
    assert without_section(after.pop("report.md").decode(), heading) == \
        without_section(before.pop("report.md").decode(), heading)
    assert after == before
    # --fresh reads nothing stored: the same corrupt files give no warning
    _truncate(glyphs)
    _truncate(ck)
    (out / "results" / "rgb8.json").write_text("[]")
    assert _run(["fewshot", str(cfg), "-o", str(out), "-q", "--fresh"], capsys) == ""
    assert _outputs(out, FEWSHOT_PLOTS) == before


def test_a_meta_training_checkpoint_of_garbage_trains_afresh(tmp_path, capsys):
    import numpy as np
    import torch

    from analogfe.learn.fewshot.meta import meta_train

    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.integers(0, 256, (24, 1, 16, 16), dtype=np.uint8))
    y = np.repeat(np.arange(6), 4)
    kw = dict(encoding="gray8", ways=3, shots=1, queries=1, width=4, val_every=2, episodes=2,
              val_episodes=2, checkpoint_every=2, key="k", seed=1)
    straight = meta_train(x, y, np.arange(6), **kw)
    for blob in (b"", b"PK\x03\x04 torn", b"not a zip"):
        (tmp_path / "metatrain.pt").write_bytes(blob)
        again = meta_train(x, y, np.arange(6), checkpoint_dir=tmp_path, **kw)
        assert "metatrain.pt: not a meta-training checkpoint" in capsys.readouterr().err
        for a, b in zip(straight.model.state_dict().values(), again.model.state_dict().values()):
            assert torch.equal(a, b)
    torch.save([1, 2], tmp_path / "metatrain.pt")  # a torch file, but no checkpoint
    meta_train(x, y, np.arange(6), checkpoint_dir=tmp_path, **kw)
    assert "not a meta-training checkpoint (TypeError)" in capsys.readouterr().err


# --------------------------------------------------------------------------- budget
BUDGET_PLOTS = ("accuracy_vs_energy.png", "chosen_layers.png", "family.csv")
MEASURED = "Measured latency and throughput (whole network)"


@pytest.fixture(scope="module")
def budget_run(tmp_path_factory):
    from test_budget import TINY

    d = tmp_path_factory.mktemp("budget")
    (d / "tiny.toml").write_text(TINY.replace("max_steps = 3", "max_steps = 2"))
    assert cli.main(["budget", str(d / "tiny.toml"), "-o", str(d / "out"), "--serial", "-q"]) == 0
    return d / "tiny.toml", d / "out"


def _budget_copy(budget_run, tmp_path):
    cfg, out = budget_run
    shutil.copytree(out, tmp_path / "out")
    return cfg, tmp_path / "out", _outputs(out, BUDGET_PLOTS + ("budget.md",))


def _same_budget_outputs(out, before):
    after = _outputs(out, before)
    assert without_section(after.pop("budget.md").decode(), MEASURED) == \
        without_section(before["budget.md"].decode(), MEASURED)
    assert after == {k: v for k, v in before.items() if k != "budget.md"}


def test_a_resumed_budget_run_writes_the_same_report_and_plots(budget_run, tmp_path, capsys):
    cfg, out, before = _budget_copy(budget_run, tmp_path)
    state = json.loads((out / "state.json").read_text())
    assert list(state["budgets"]) == ["energy_uj", "weight_bits"]  # as configured, not sorted
    assert next(iter(state["family"][0]["arch"]["bits"])) == "stem.0"  # fc comes last
    for n in before:
        (out / n).unlink()
    assert _run(["budget", str(cfg), "-o", str(out), "--serial", "-q"], capsys) == ""
    _same_budget_outputs(out, before)


def _unmeasured(family_csv):
    """The rows of family.csv less the measured latency column."""
    import csv

    return [{k: v for k, v in r.items() if k != "latency_ms"}
            for r in csv.DictReader(family_csv.splitlines())]


def _unmeasured_md(md):
    """budget.md less what is measured: the section of whole-network timings
    and the per-layer look-up table's latency column of the family table."""
    lines, idx = [], None
    for line in without_section(md, MEASURED).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and "LUT latency ms" in cells:
            idx = cells.index("LUT latency ms")
        if not line.startswith("|"):
            idx = None
        lines.append(" | ".join(c for i, c in enumerate(cells) if i != idx))
    return "\n".join(lines)


def test_corrupt_budget_members_and_table_are_recomputed(budget_run, tmp_path, capsys):
    cfg, out, before = _budget_copy(budget_run, tmp_path)
    state = json.loads((out / "state.json").read_text())
    last = out / "members" / state["family"][-1]["checkpoint"]
    long1 = out / "members" / state["family"][1]["long_checkpoint"]
    _truncate(last)
    _truncate(long1)
    lut = json.loads((out / "latency_lut.json").read_text())
    (out / "latency_lut.json").write_text("[]")
    err = _run(["budget", str(cfg), "-o", str(out), "--serial", "-q"], capsys)
    for path in (last, long1, out / "latency_lut.json"):
        assert f"analogfe: {path}: " in err and "recomputing" in err, (path, err)
    assert json.loads((out / "state.json").read_text())["family"] == state["family"]
    # the latencies were measured again: compare all but them
    lut_again = json.loads((out / "latency_lut.json").read_text())
    assert set(lut_again["table"]) == set(lut["table"])
    assert _unmeasured((out / "family.csv").read_text()) == \
        _unmeasured(before["family.csv"].decode())
    assert (out / "chosen_layers.png").read_bytes() == before["chosen_layers.png"]


@pytest.mark.parametrize("content", ["[]", "{not json", '{"version": 1}', "null"])
def test_a_budget_state_of_garbage_starts_afresh_with_a_warning(tmp_path, capsys, content):
    from analogfe.learn.budget.search import STATE_NAME, _load_state

    (tmp_path / STATE_NAME).write_text(content)
    if content == '{"version": 1}':  # an object of no search: another search, refused
        with pytest.raises(ValueError, match=r"state\.json is from another search"):
            _load_state(tmp_path, "k")
        return
    assert _load_state(tmp_path, "k") is None
    assert f"analogfe: {tmp_path / STATE_NAME}: " in capsys.readouterr().err


@pytest.mark.parametrize("name", ["../../outside/step.pt", "/etc/passwd", "..", "sub/x.pt", 7])
def test_a_budget_state_naming_a_file_outside_its_folder_is_refused(budget_run, tmp_path, capsys,
                                                                    name):
    cfg, out, _ = _budget_copy(budget_run, tmp_path)
    (tmp_path / "outside").mkdir()
    shutil.copy(out / "members" / "step_001.pt", tmp_path / "outside" / "step.pt")
    state = json.loads((out / "state.json").read_text())
    state["family"][1]["checkpoint"] = name
    (out / "state.json").write_text(json.dumps(state))
    with pytest.raises(SystemExit) as exc:
        cli.main(["budget", str(cfg), "-o", str(out), "--serial", "-q"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and len(err.strip().splitlines()) == 1, err
    assert "state.json: checkpoint" in err and "refused" in err


def test_a_link_out_of_the_members_folder_is_refused(budget_run, tmp_path):
    from analogfe.app.config import config_hash  # noqa: F401  (the key is not reached)
    from analogfe.learn.budget.search import _load_state

    _, out, _ = _budget_copy(budget_run, tmp_path)
    state = json.loads((out / "state.json").read_text())
    (tmp_path / "step.pt").write_bytes((out / "members" / "step_001.pt").read_bytes())
    (out / "members" / "step_001.pt").unlink()
    (out / "members" / "step_001.pt").symlink_to(tmp_path / "step.pt")
    with pytest.raises(ValueError, match=r"step_001\.pt: checkpoint of .*state\.json resolves to "
                                         r".*outside"):
        _load_state(out, state["key"])


def test_fresh_budget_search_never_reads_the_state(tmp_path):
    from analogfe.learn.budget.search import STATE_NAME, netadapt

    (tmp_path / STATE_NAME).write_text('{"version": 1, "key": "k"}')

    class Started(Exception):
        pass

    def initial():
        raise Started

    with pytest.raises(ValueError, match="another search"):
        netadapt(initial, {}, None, {"macs": 1}, tmp_path, key="other")
    with pytest.raises(Started):
        netadapt(initial, {}, None, {"macs": 1}, tmp_path, key="other", fresh=True)


# --------------------------------------------------------------------------- compare
@pytest.fixture(scope="module")
def compare_run(tmp_path_factory):
    from conftest import TINY_TOML

    d = tmp_path_factory.mktemp("compare")
    (d / "tiny.toml").write_text(TINY_TOML)
    assert cli.main(["compare", "--config", str(d / "tiny.toml"), "-o", str(d / "out"), "-q"]) == 0
    names = sorted(p.name for p in (d / "out").glob("*.png")) + ["report.md"]
    assert "energy_breakdown.png" in names
    return d / "tiny.toml", d / "out", names


def test_a_resumed_compare_writes_the_same_report_and_plots(compare_run, tmp_path, capsys):
    cfg, done, names = compare_run
    shutil.copytree(done, tmp_path / "out")
    out = tmp_path / "out"
    before = _outputs(out, names)
    for n in names:
        (out / n).unlink()
    _run(["compare", "--config", str(cfg), "-o", str(out), "-q"], capsys)
    assert _outputs(out, names) == before


# --------------------------------------------------------------------------- kill -9
def _kill_midway(argv, marker, timeout=600):
    """Run ``analogfe argv`` in a subprocess and SIGKILL it once ``marker``
    exists (a result written part-way); True if it was still running then."""
    import os
    import signal
    import subprocess
    import sys
    import time

    env = {**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "analogfe.app.cli", *argv],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    t0 = time.monotonic()
    try:
        while not marker.exists() and proc.poll() is None:
            assert time.monotonic() - t0 < timeout, f"{marker} did not appear"
            time.sleep(0.02)
        running = proc.poll() is None
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    return running


def test_compare_killed_midway_then_rerun_writes_the_report_of_an_uninterrupted_run(
        compare_run, tmp_path, capsys):
    cfg, done, names = compare_run
    out = tmp_path / "out"
    argv = ["compare", "--config", str(cfg), "-o", str(out), "-q"]
    assert _kill_midway(argv, out / "results" / "seed0" / "rgb8.json")
    assert not (out / "report.md").exists()
    _run(argv, capsys)
    assert _outputs(out, names) == _outputs(done, names)


def test_budget_killed_midway_then_rerun_writes_the_report_of_an_uninterrupted_run(
        budget_run, tmp_path, capsys):
    cfg, done = budget_run
    out = tmp_path / "out"
    argv = ["budget", str(cfg), "-o", str(out), "--serial", "-q"]
    assert _kill_midway(argv, out / "members" / "step_001.pt")
    assert not (out / "budget.md").exists()
    _run(argv, capsys)
    before = _outputs(done, BUDGET_PLOTS + ("budget.md",))
    after = _outputs(out, before)
    assert _unmeasured_md(after.pop("budget.md").decode()) == \
        _unmeasured_md(before.pop("budget.md").decode())
    # the latencies of another run are measured again: all but them agree
    assert _unmeasured(after.pop("family.csv").decode()) == \
        _unmeasured(before.pop("family.csv").decode())
    assert after == before


def test_fewshot_killed_midway_then_rerun_writes_the_report_of_an_uninterrupted_run(
        fewshot_run, tmp_path, capsys):
    cfg, done = fewshot_run
    out = tmp_path / "out"
    argv = ["fewshot", str(cfg), "-o", str(out), "-q"]
    assert _kill_midway(argv, out / "results" / "rgb8.json")
    assert not (out / "report.md").exists()
    _run(argv, capsys)
    names = FEWSHOT_PLOTS + ("report.md",)
    before, after = _outputs(done, names), _outputs(out, names)
    assert without_section(after.pop("report.md").decode(), "Wall times") == \
        without_section(before.pop("report.md").decode(), "Wall times")
    assert after == before
