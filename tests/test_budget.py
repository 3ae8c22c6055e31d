"""Lightweight networks under budgets: the dataflow energy model, pruning,
quantisation, the NetAdapt loop and the ``analogfe budget`` command
(references, section 8)."""
import json

import pytest
import torch
from torch_fixtures import _one_thread  # noqa: F401  (autouse: one torch thread)

from analogfe.app import cli
from analogfe.app.config import load_config
from analogfe.learn.budget.prune import channel_groups, describe, prune_group, rebuild
from analogfe.learn.budget.quant import QuantizedNet
from analogfe.learn.budget.search import load_member
from analogfe.learn.models import resnet10
from analogfe.system.dataflow import DataflowParams, energy_table, layer_shapes, network_cost
from analogfe.system.energy import mac_pj
from analogfe.system.network import count_macs

TINY = """
[dataset]
name = "lfw"
max_images = 100

[resnet]
epochs = 1
width = 4
batch_size = 16

[cost]
height = 32
width = 32

[budget]
frontends = ["rgb8", "lg1.5"]
budgets = { energy_uj = 0.8, weight_bits = 0.8 }
initial_reduction = 0.1
max_steps = 3
short_term_iters = 2
long_term_epochs = 1
latency_repeats = 2
throughput_batch = 2

[sweep]
n_workers = 2
"""




@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """The tiny configuration run once through the command line (serially)."""
    d = tmp_path_factory.mktemp("budget")
    cfg = d / "tiny.toml"
    cfg.write_text(TINY)
    out = d / "out"
    assert cli.main(["budget", str(cfg), "-o", str(out), "--serial", "--quiet"]) == 0
    return cfg, out, json.loads((out / "state.json").read_text())


# --------------------------------------------------------------------------- dataflow
def _layer(name, cin, cout, k, hw_in, hw_out):
    macs = hw_out * hw_out * cout * cin * k * k if k else cin * cout
    return dict(name=name, kind="conv" if k else "linear", cin=cin, cout=cout, kernel=[k or 1, k or 1],
                stride=1, groups=1, in_hw=[hw_in, hw_in], out_hw=[hw_out, hw_out],
                weights=cin * cout * (k * k if k else 1), macs=macs,
                in_values=cin * hw_in * hw_in if k else cin,
                out_values=cout * hw_out * hw_out if k else cout)


def test_quantised_counters_match_a_hand_count():
    layers = [_layer("a", 3, 8, 3, 16, 16), _layer("fc", 8, 2, 0, 1, 1)]
    c = network_cost(layers, {"a": (4, 8), "fc": (8, 4)})
    assert c.macs == 16 * 16 * 8 * 3 * 9 + 8 * 2
    # weights at their widths + one bias per output channel at the accumulator width
    assert c.weight_bits == (8 * 3 * 9 * 4 + 8 * 12) + (8 * 2 * 8 + 2 * 12)
    # peak: the largest input + output of a layer at its activation width
    assert c.activation_bits == (3 * 256 + 8 * 256) * 8
    t = energy_table()
    assert c.components_pj["mac"] == pytest.approx(16 * 16 * 8 * 27 * mac_pj(4, 8) + 16 * mac_pj(8, 4))
    assert c.components_pj["rf"] == pytest.approx((16 * 16 * 8 * 27 + 16) * 3 * 12 * t["rf_pj_per_bit"])


def test_energy_totals_are_the_sum_of_parts_and_halving_bits_halves_traffic():
    layers = layer_shapes(resnet10(3, width=8), (3, 32, 32))
    checked = 0
    for params in (DataflowParams(), DataflowParams(weight_buffer_bytes=64, activation_buffer_bytes=64),
                   DataflowParams(weight_buffer_bytes=2**20, activation_buffer_bytes=2**20)):
        c8 = network_cost(layers, None, params)
        assert c8.energy_pj == pytest.approx(sum(c8.components_pj.values()))
        for k in c8.components_pj:  # each component is the sum over the layers
            assert c8.components_pj[k] == pytest.approx(sum(r["components_pj"][k] for r in c8.layers))
        c4 = network_cost(layers, {r["name"]: (4, 4) for r in layers}, params)
        same_levels = all(a["weight_level"] == b["weight_level"] and a["input_level"] == b["input_level"]
                          and a["output_level"] == b["output_level"]
                          for a, b in zip(c8.layers, c4.layers))
        if same_levels:  # the model: every access is as wide as the bits it moves
            assert c4.memory_traffic_pj == pytest.approx(c8.memory_traffic_pj / 2)
            assert c4.weight_bits * 2 == c8.weight_bits
            checked += 1
    assert checked >= 2
    # the convolutions all in DRAM (tiny buffers): halving the bits halves the off-chip traffic
    tiny = DataflowParams(weight_buffer_bytes=64, activation_buffer_bytes=64)
    convs = [r for r in layers if r["kind"] == "conv"]
    c8, c4 = (network_cost(convs, {r["name"]: (b, b) for r in convs}, tiny) for b in (8, 4))
    assert c4.dram_bits * 2 == c8.dram_bits and c8.dram_bits > 0


def test_dataflow_rejects_bad_parameters():
    with pytest.raises(ValueError, match="weight_buffer_bytes"):
        DataflowParams(weight_buffer_bytes=0)
    with pytest.raises(ValueError, match="bits"):
        network_cost([_layer("a", 1, 1, 3, 4, 4)], {"a": (0, 8)})


# --------------------------------------------------------------------------- pruning, quantisation
def test_pruning_nothing_keeps_the_function_and_macs_match_a_hand_count():
    torch.manual_seed(0)
    net = resnet10(3).eval()
    x = torch.randn(2, 3, 32, 32)
    before = net(x)
    assert prune_group(net, "stem.0", 0, (3, 32, 32)) == []
    assert torch.equal(net(x), before)
    groups = channel_groups(net, (3, 32, 32))
    assert len(groups) == 8  # the stem/stage-1 residual, 3 stage outputs, 4 inner convolutions
    assert "stages.0.0.conv2" in groups["stem.0"]  # coupled through the residual addition
    prune_group(net, "stem.0", 6, (3, 32, 32))       # 16 -> 10, through the residual
    prune_group(net, "stages.0.0.conv1", 4, (3, 32, 32))  # 16 -> 12
    hand = (1024 * 10 * 27 + 1024 * 12 * 10 * 9 + 1024 * 10 * 12 * 9            # stem, stage 1
            + 256 * 32 * 10 * 9 + 256 * 32 * 32 * 9 + 256 * 32 * 10            # stage 2
            + 64 * 64 * 32 * 9 + 64 * 64 * 64 * 9 + 64 * 64 * 32               # stage 3
            + 16 * 128 * 64 * 9 + 16 * 128 * 128 * 9 + 16 * 128 * 64 + 128 * 2)  # stage 4, fc
    assert count_macs(net, (3, 32, 32)) == hand
    again = rebuild(describe(net))  # the architecture description rebuilds it
    again.load_state_dict(net.state_dict())
    assert torch.equal(again.eval()(x), net(x))


def test_quantised_net_uses_its_bit_widths():
    torch.manual_seed(0)
    q = QuantizedNet(resnet10(3, width=4), {"stem.0": (4, 4)})
    q.train()
    q(torch.randn(8, 3, 16, 16))
    w = q.wq["stem__0"](q.net.stem[0].weight)
    assert torch.unique(w).numel() <= 16  # 4-bit grid
    assert torch.unique(q.wq["fc"](q.net.fc.weight)).numel() > 16
    with pytest.raises(ValueError, match="weight_bits"):
        q.set_bits("fc", 9, 8)
    with pytest.raises(ValueError, match="nope"):
        QuantizedNet(resnet10(3), {"nope": (4, 4)})


# --------------------------------------------------------------------------- the search
def test_family_meets_every_reduction_and_the_final_meets_every_budget(tiny_run):
    _, _, state = tiny_run
    fam, budgets = state["family"], state["budgets"]
    assert len(fam) >= 2 and state["stopped"] == "every budget met"
    for prev, m in zip(fam, fam[1:]):
        for j in budgets:
            assert m["resources"][j] <= prev["resources"][j] - m["delta"][j] + 1e-9
            if prev["resources"][j] > budgets[j]:
                assert m["delta"][j] > 0
    assert all(fam[-1]["resources"][j] <= b for j, b in budgets.items())


def test_budget_command_writes_loadable_members_and_resumes(tiny_run, capsys):
    cfg, out, state = tiny_run
    for name in ("family.csv", "budget.md", "budget.html", "accuracy_vs_energy.png",
                 "chosen_layers.png", "latency_lut.json"):
        assert (out / name).is_file(), name
    for m in state["family"]:
        arch = json.loads((out / "members" / m["checkpoint"].replace(".pt", ".json")).read_text())
        q = load_member(arch, out / "members" / m["long_checkpoint"]).eval()  # weights_only=True
        assert q(torch.zeros(1, q.in_channels, 25, 25)).shape == (1, 2)
    capsys.readouterr()
    assert cli.main(["budget", str(cfg), "-o", str(out), "--serial"]) == 0  # resumes
    assert json.loads((out / "state.json").read_text())["family"] == state["family"]
    printed = capsys.readouterr().out
    table = printed.split("chosen: step")[0]
    assert "test acc." in table and max(map(len, table.splitlines())) <= 140, table
    assert "every column of the table" in printed and "budget.md" in printed


def test_same_seed_same_family_serially_and_on_dask(tiny_run, tmp_path):
    from analogfe.app.budget import run_budget

    cfg, _, state = tiny_run
    res = run_budget(load_config(cfg), tmp_path / "dask", seed=0, progress=False)  # local cluster
    fam = res["state"]["family"]
    keys = ("move", "frontend", "resources", "val_accuracy", "delta", "arch")
    assert [{k: m[k] for k in keys} for m in fam] == [{k: m[k] for k in keys} for m in state["family"]]
    assert [m["test"]["y_pred"] for m in fam] == [m["test"]["y_pred"] for m in state["family"]]


def test_bad_budget_configuration_raises(tmp_path):
    with pytest.raises(ValueError, match="budget.bogus"):
        load_config({"budget": {"bogus": 1}})
    with pytest.raises(ValueError, match="budget.budgets.speed"):
        load_config({"budget": {"budgets": {"speed": 1.0}}})
    with pytest.raises(ValueError, match="budget.moves"):
        load_config({"budget": {"moves": ["grow"]}})
    with pytest.raises(ValueError, match="budget.initial_reduction"):
        load_config({"budget": {"initial_reduction": 0.0}})
    bad = tmp_path / "bad.toml"
    bad.write_text("[budget]\nbudgetz = 1\n")
    with pytest.raises(SystemExit):
        cli.main(["budget", str(bad), "-o", str(tmp_path / "o")])


def test_pruning_leaves_batch_norm_statistics_and_switching_keeps_quantisers():
    from analogfe.learn.budget.prune import switch_input

    torch.manual_seed(0)
    net = resnet10(3, width=4)
    net.train()
    stats = net.stem[1].running_mean.clone()
    channel_groups(net, (3, 16, 16))
    assert torch.equal(net.stem[1].running_mean, stats) and net.training
    q = QuantizedNet(net)
    switch_input(q.net, 6)
    q.relink()
    assert q.net.stem[0].__dict__["_afe_input_fq"] is q.aq["stem__0"]
    assert len(q.net.stem[0]._forward_pre_hooks) == 1


def test_interrupted_search_resumes_to_the_same_family(tiny_run, tmp_path, monkeypatch):
    from analogfe.app.budget import run_budget
    from analogfe.learn.budget import search

    cfg, _, state = tiny_run
    real, calls = search.finetune, []

    def failing(payload):
        if payload.get("iters") and len(calls) >= 1:  # stop inside the first step
            raise KeyboardInterrupt
        if payload.get("iters"):
            calls.append(1)
        return real(payload)

    monkeypatch.setattr(search, "finetune", failing)
    out = tmp_path / "again"
    with pytest.raises(KeyboardInterrupt):
        run_budget(load_config(cfg), out, serial=True, progress=False)
    assert len(json.loads((out / "state.json").read_text())["family"]) == 1  # the initial network
    monkeypatch.setattr(search, "finetune", real)
    res = run_budget(load_config(cfg), out, serial=True, progress=False)
    keys = ("move", "resources", "val_accuracy", "arch")
    assert [{k: m[k] for k in keys} for m in res["state"]["family"]] == \
        [{k: m[k] for k in keys} for m in state["family"]]


def test_latency_resource_is_the_sum_of_the_look_up_table():
    from analogfe.learn.budget.resources import LatencyTable, ResourceModel, _layer_key

    lut = LatencyTable(threads=1, repeats=1)
    rm = ResourceModel({"rgb8": {"energy_pj": 1e6, "link_bits": 100}}, (16, 16), latency=lut)
    q = QuantizedNet(resnet10(3, width=2))
    r = rm(q, "rgb8")
    layers = rm.layers(q.net)
    assert r["latency_ms"] == pytest.approx(sum(lut.table[_layer_key(x, 1)] for x in layers))
    n = len(lut.table)
    assert rm(q, "rgb8")["latency_ms"] == r["latency_ms"] and len(lut.table) == n  # looked up
    assert "latency_ms" not in ResourceModel({"rgb8": {"energy_pj": 0, "link_bits": 0}}, (16, 16))(q, "rgb8")
    cfg = load_config({"budget": {"budgets": {"latency_ms": 0.5}}})
    assert cfg["budget"]["budgets"] == {"latency_ms": 0.5}


def test_float_net_has_no_quantisers():
    torch.manual_seed(0)
    q = QuantizedNet(resnet10(3, width=4), {"stem.0": (4, 4)}).eval()
    x = torch.rand(1, 3, 16, 16)
    f = q.float_net().eval()
    assert "_afe_input_fq" not in f.stem[0].__dict__ and "_afe_input_fq" in q.net.stem[0].__dict__
    plain = resnet10(3, width=4)
    plain.load_state_dict(q.net.state_dict())
    assert torch.equal(f(x), plain.eval()(x))  # the float network, shadow weights


def test_the_chosen_member_is_picked_on_validation_accuracy_not_test():
    from analogfe.app.budget import _chosen

    rows = [dict(step=0, val_long=0.95, test_accuracy=0.95, macs=100),
            dict(step=1, val_long=0.945, test_accuracy=0.90, macs=50),  # test says no, val says yes
            dict(step=2, val_long=0.93, test_accuracy=0.96, macs=20)]   # test says yes, val says no
    assert _chosen(rows, 1.0, "macs") == 1


def test_budget_on_a_presplit_image_folder(tmp_path, lfw_folder):
    root = lfw_folder(tmp_path / "data", "presplit")
    cfg = tmp_path / "b.toml"
    cfg.write_text(TINY.replace('name = "lfw"\nmax_images = 100', f'name = "{root}"')
                   .replace("max_steps = 3", "max_steps = 1"))
    assert cli.main(["budget", str(cfg), "-o", str(tmp_path / "out"), "--serial", "--quiet"]) == 0
    state = json.loads((tmp_path / "out" / "state.json").read_text())
    assert state and (tmp_path / "out" / "family.csv").is_file()
