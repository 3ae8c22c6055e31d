"""The bad-input corpus, round 3: each case gives a clear error naming its
argument (or is refused), as the numpy/Cython API does. The torch front end,
thread counts, the search and training parameters, front-end configuration
after construction, and a few public helpers."""
import math

import numpy as np
import pytest
import torch

import analogfe as afe
from analogfe.frontend import torch as tfe
from analogfe.sensor import Sensor, SensorConfig

LN8 = math.log(8.0)


# --------------------------------------------------------------------------- torch front end
def _electrons(value):
    e = torch.full((1, 12, 12), 1000.0, dtype=torch.float64)
    e[0, 5, 5] = value
    return e


@pytest.mark.parametrize("value, match", [(float("nan"), "electrons must be finite"),
                                          (float("inf"), "electrons must be finite"),
                                          (-1.0, "electrons must be non-negative")])
@pytest.mark.parametrize("method", ["hard", "soft", "ste"])
def test_torch_log_gradient_refuses_what_the_cython_one_refuses(value, match, method):
    with pytest.raises(ValueError, match=match):
        tfe.log_gradient(_electrons(value), scales=(1,), method=method)
    fe = tfe.TorchLogGradientFrontEnd(bits=2, scales=(1,), method=method)
    with pytest.raises(ValueError, match=match):
        fe(_electrons(value))
    with pytest.raises(ValueError, match=match.split(" must")[0]):  # the numpy front end agrees
        afe.LogGradientFrontEnd(bits=2, scales=(1,))(_electrons(value)[0].numpy())


def test_torch_checks_can_be_switched_off_in_a_training_loop():
    e = _electrons(1000.0)
    fe = tfe.TorchLogGradientFrontEnd(bits=2, scales=(1,), method="hard", check=False)
    on = tfe.TorchLogGradientFrontEnd(bits=2, scales=(1,), method="hard")
    assert all(torch.equal(a, b) for a, b in zip(fe(e)[0], on(e)[0]))
    fe(_electrons(-5.0))  # not checked: the caller vouches for its input
    tfe.log_gradient(_electrons(-5.0), scales=(1,), check=False)


@pytest.mark.parametrize("thresholds, match", [
    ([0.5, 0.2], "strictly ascending"), ([0.2, 0.2], "strictly ascending"),
    ([-0.1, 0.3], r"in \(0, ln 8"), ([0.0, 0.3], r"in \(0, ln 8"),
    ([0.2, float("nan")], r"finite and in \(0, ln 8"), ([0.2, float("inf")], "finite"),
    ([0.2, LN8 + 0.01], r"in \(0, ln 8"), ([], "non-empty"), ([[0.1, 0.2]], "1-D"),
    (np.linspace(0.01, 2.0, 64), "at most 63")])
def test_torch_thresholds_ln_are_checked(thresholds, match):
    with pytest.raises(ValueError, match=match):
        tfe.log_gradient(_electrons(1000.0), np.asarray(thresholds, dtype=np.float64), scales=(1,))
    dxs, _ = tfe.log_gradient(_electrons(1000.0), [0.2, LN8], scales=(1,))  # ln 8 itself is valid
    assert dxs[0].dtype == torch.int8


def test_torch_readout_checks_electrons_and_max_dn():
    ts = tfe.TorchSensor(Sensor(SensorConfig(height=4, width=6), seed=0))
    e = torch.full((1, 4, 6), 100.0)
    for bad, match in ((float("nan"), "finite"), (float("inf"), "finite"), (-3.0, "non-negative")):
        x = e.clone()
        x[0, 1, 1] = bad
        with pytest.raises(ValueError, match=f"electrons must be {match}"):
            ts.readout(x)
    assert ts.readout(e, generator=0).shape == (1, 4, 6)
    off = ts.dsnu_offset_e
    for max_dn in (-1, 0, 2 ** 31):
        with pytest.raises(ValueError, match="max_dn"):
            tfe.readout(e, off, max_dn=max_dn)
    with pytest.raises(TypeError, match="max_dn"):
        tfe.readout(e, off, max_dn=1023.5)
    with pytest.raises(ValueError, match="read_noise_e must be finite"):
        tfe.readout(e, off, read_noise_e=float("nan"))


def test_torch_process_checks_white_balance_colour_matrix_and_dn():
    cfg = SensorConfig(height=4, width=6, cfa="RGGB")
    dn = torch.full((1, 4, 6), 300.0)
    for kw, match in (({"white_balance": [2.0, float("nan"), 1.5]}, "white_balance"),
                      ({"white_balance": [2.0, float("inf"), 1.5]}, "white_balance"),
                      ({"ccm": np.full((3, 3), np.nan)}, "ccm"),
                      ({"ccm": np.full((3, 3), np.inf)}, "ccm")):
        with pytest.raises(ValueError, match=match):
            tfe.process(dn, cfg, **kw)
    for bad, match in ((float("nan"), "finite"), (-1.0, "non-negative")):
        x = dn.clone()
        x[0, 0, 0] = bad
        with pytest.raises(ValueError, match=f"dn must be {match}"):
            tfe.process(x, cfg)
    assert tfe.process(dn, cfg).shape == (1, 3, 4, 6)


# --------------------------------------------------------------------------- thread counts
@pytest.mark.parametrize("n", [2 ** 31, 10 ** 6, 1025, 2 ** 70])
def test_thread_counts_have_an_upper_bound(n):
    sensor = Sensor(SensorConfig(height=8, width=8), seed=0)
    scene = np.full((8, 8), 0.5)
    e = sensor.expose(scene, signal_e=1000.0)
    dx = np.zeros((16, 16))
    calls = (lambda: sensor.expose(scene, signal_e=1000.0, n_threads=n),
             lambda: sensor.readout(e, n_threads=n),
             lambda: afe.LogGradientFrontEnd(bits=2, scales=(1,))(e, n_threads=n),
             lambda: afe.features.hog(dx, dx, n_threads=n))
    for call in calls:
        with pytest.raises(ValueError, match=r"n_threads must be in \[1, 1024\]"):
            call()


# --------------------------------------------------------------------------- learning
@pytest.mark.parametrize("kw, match", [
    ({"threads": 10 ** 6}, r"threads must be in \[1, 1024\]"), ({"threads": 0}, "threads"),
    ({"lr": -1e-3}, "lr must be >"), ({"lr": 0.0}, "lr must be >"),
    ({"lr": float("nan")}, "lr must be finite"), ({"lr": float("inf")}, "lr must be finite"),
    ({"weight_decay": -1.0}, "weight_decay must be >="),
    ({"weight_decay": float("nan")}, "weight_decay must be finite"),
    ({"lr": 10 ** 400}, "lr must be finite")])
def test_search_parameters_are_checked(kw, match):
    from analogfe.learn.budget.search import SearchParams

    with pytest.raises(ValueError, match=match):
        SearchParams(**kw)


@pytest.mark.parametrize("kw, match", [({"val_every": 0}, "val_every"),
                                       ({"val_episodes": 0}, "val_episodes"),
                                       ({"checkpoint_every": 0}, "checkpoint_every")])
def test_meta_train_cadences_are_checked(kw, match):
    from analogfe.learn.fewshot import meta_train

    x = torch.zeros(12, 1, 16, 16)
    with pytest.raises(ValueError, match=match):
        meta_train(x, np.repeat(np.arange(6), 2), np.arange(6), encoding="gray8-norm", ways=2,
                   shots=1, queries=1, episodes=2, **kw)


def test_nan_training_input_is_refused_with_a_message():
    from analogfe.learn import fewshot
    from analogfe.learn.train import fit

    x = torch.rand(8, 1, 16, 16)
    x[3, 0, 2, 2] = float("nan")
    y = np.arange(8) % 2
    net = afe.learn.models.resnet10(1, width=2)
    with pytest.raises(ValueError, match="train_data: the inputs hold NaN or infinite values"):
        fit(net, (x, y), epochs=1, progress=False)
    with pytest.raises(ValueError, match="packed holds NaN"):
        fewshot.meta_train(x, np.repeat(np.arange(4), 2), np.arange(4), encoding="gray8-norm",
                           ways=2, shots=1, queries=1, episodes=1)


def test_a_training_loss_that_becomes_nan_stops_training():
    from analogfe.learn.train import fit

    class Exploding(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(1))

        def forward(self, x):
            return torch.stack([x.flatten(1).sum(1) * self.w * float("inf"),
                                torch.zeros(len(x))], 1)

    x, y = torch.rand(4, 1, 2, 2), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="training loss is nan"):
        fit(Exploding(), (x, y), epochs=1, progress=False)


def test_summarize_seeds_does_not_overflow():
    from analogfe.learn.stats import summarize_seeds

    r = summarize_seeds([1e308] * 3)
    assert r["mean"] == 1e308 and r["std"] == 0.0
    r = summarize_seeds([1.5e308, 1.7e308, 1.6e308])
    assert r["mean"] == pytest.approx(1.6e308) and r["std"] == pytest.approx(1e307)
    with pytest.raises(ValueError, match="standard deviation exceeds the float range"):
        summarize_seeds([1.7e308, -1.7e308, 1.7e308])
    assert summarize_seeds([0.9, 0.92, 0.94])["mean"] == np.mean([0.9, 0.92, 0.94])


# --------------------------------------------------------------------------- configuration
def test_sweep_grid_size_is_bounded():
    from analogfe.app.config import load_config
    from analogfe.app.sweep import MAX_GRID_POINTS, grid_points

    cfg = load_config({"sweep": {"grid": {"comparator_noise_ln": [0.01 * i for i in range(1000)],
                                          "read_noise_e": [0.1 * i for i in range(1000)]}}})
    with pytest.raises(ValueError, match=r"sweep.grid has 1,000,000 points \(1000 "
                                         r"comparator_noise_ln x 1000 read_noise_e\), more than"):
        grid_points(cfg)
    cfg["sweep"]["grid"] = {"read_noise_e": [0.1] * MAX_GRID_POINTS}
    assert len(grid_points(cfg)) == MAX_GRID_POINTS


@pytest.mark.parametrize("options, match", [
    ({"lg1.5": {"comparator_noise": 0.1}}, r"unknown front-end option 'frontends.options.lg1.5"
                                           r".comparator_noise'; valid: .*comparator_noise_ln"),
    ({"rgb8": {"gain": 2.0}}, r"'frontends.options.rgb8.gain'; valid: output"),
    ({"lg1.5": {"comparator_noise_ln": -1.0}}, r"frontends.options.lg1.5: comparator_noise_ln"),
    ({"lg2.75": {"scales": [0]}}, r"frontends.options.lg2.75: scales")])
def test_front_end_options_are_checked_when_the_config_is_read(options, match):
    from analogfe.app.config import load_config

    with pytest.raises(ValueError, match=match):
        load_config({"frontends": {"options": options}})


def test_front_end_configuration_is_fixed_after_construction():
    fe = afe.LogGradientFrontEnd(bits=2, scales=(1, 2))
    for name, value in (("scales", (0,)), ("bits", 3), ("full_well_e", -1.0), ("packing", "x")):
        with pytest.raises(AttributeError, match=f"LogGradientFrontEnd.{name} is fixed"):
            setattr(fe, name, value)
    with pytest.raises(AttributeError, match="is fixed"):
        del fe.scales
    assert fe.scales == (1, 2) and fe(np.full((8, 8), 500.0)).scales == (1, 2)
    d = afe.frontend.make_frontend("gray8")
    with pytest.raises(AttributeError, match="DigitalFrontEnd.output is fixed"):
        d.output = "rgb"
    import copy
    import pickle

    for twin in (copy.deepcopy(fe), pickle.loads(pickle.dumps(fe)), fe.with_noise_seed(1)):
        with pytest.raises(AttributeError, match="is fixed"):
            twin.scales = (4,)


def test_fewshot_prototypes_is_the_documented_function():
    from analogfe.learn import fewshot

    emb = np.arange(12, dtype=np.float32).reshape(6, 2)
    p = fewshot.prototypes(emb, np.array([0, 0, 1, 1, 2, 2]))
    assert callable(fewshot.prototypes) and tuple(p.shape) == (3, 2)
    assert fewshot.enroll.prototypes is fewshot.prototypes


@pytest.mark.parametrize("kw, exc, match", [({"raw_bits": "x"}, TypeError, "raw_bits"),
                                            ({"raw_bits": 2.5}, TypeError, "raw_bits"),
                                            ({"raw_bits": 17}, ValueError, "raw_bits"),
                                            ({"black_level": "x"}, TypeError, "black_level"),
                                            ({"black_level": 4095}, ValueError, "black_level")])
def test_read_image_names_its_arguments(tmp_path, kw, exc, match):
    import imageio.v3 as iio

    from analogfe.scene.io import read_image

    iio.imwrite(tmp_path / "a.png", np.zeros((4, 4), np.uint8))
    with pytest.raises(exc, match=match):
        read_image(tmp_path / "a.png", **kw)


@pytest.mark.parametrize("shape", [(5, 5), (7, 40), (40, 7), (1, 1), (7, 7, 3)])
def test_feature_pyramid_of_a_small_image_is_a_clear_error(shape):
    from analogfe.features import feature_pyramid

    with pytest.raises(ValueError, match="smaller than 1 cell"):
        feature_pyramid(np.zeros(shape), cell_size=8)
    codes = afe.LogGradientFrontEnd(bits=2, scales=(1,))(np.full((6, 6), 500.0))
    with pytest.raises(ValueError, match="smaller than"):
        feature_pyramid(codes, cell_size=8)
