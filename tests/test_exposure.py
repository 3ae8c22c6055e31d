"""Tests of analogfe.sensor.exposure (auto-exposure) and the analog gain of
Sensor.readout: the chosen exposure and gain, their limits, the noise they
imply, and bad input."""
import math

import numpy as np
import pytest

from analogfe.sensor import AutoExposure, Sensor, SensorConfig, saturation_e
from analogfe.sensor.exposure import (
    DEFAULT_MAX_EXPOSURE_S,
    DEFAULT_MIN_EXPOSURE_S,
    NOMINAL_EXPOSURE_S,
    exposure_key,
    resolve_exposure,
)

CFG = SensorConfig(height=16, width=20)
T_MAX = DEFAULT_MAX_EXPOSURE_S / NOMINAL_EXPOSURE_S
T_MIN = DEFAULT_MIN_EXPOSURE_S / NOMINAL_EXPOSURE_S


def flat(value, shape=(16, 20)):
    return np.full(shape, value, np.float32)


# ------------------------------------------------------------------ settings --
def test_saturation_is_the_adc_top_or_the_full_well():
    legacy = CFG.replace(gain_dn_per_e=0.1, adc_bits=10)
    assert saturation_e(legacy) == pytest.approx((1023 - 64) / 0.1)  # ADC clips first
    assert saturation_e(legacy.replace(gain_dn_per_e=0.05)) == 10000.0  # full well first
    assert saturation_e(CFG) == 10000.0  # the default: the ADC's top is above the full well


def test_mid_scene_needs_no_change():
    # a metered mean already on target: nominal exposure, unity gain
    target_e = 0.18 * saturation_e(CFG)
    s = AutoExposure().settings(flat(target_e / 10000.0), 10000.0, CFG)
    assert float(s.exposure) == pytest.approx(1.0) and float(s.gain) == 1.0
    assert float(s.metered_e) == pytest.approx(target_e, rel=1e-6)


def test_dark_scene_takes_the_longest_exposure_then_gain():
    target_e = 0.18 * saturation_e(CFG)
    m = target_e / 20.0  # needs 20x: 3.03x exposure, then 6.6x gain
    s = AutoExposure().settings(flat(m / 1000.0), 1000.0, CFG)
    assert float(s.exposure) == pytest.approx(T_MAX)
    assert float(s.gain) == pytest.approx(20.0 / T_MAX)
    assert float(s.exposure_s) == pytest.approx(DEFAULT_MAX_EXPOSURE_S)
    # beyond the gain too: both at their limits, the frame stays under target
    s = AutoExposure(max_gain=4.0).settings(flat(m / 1000.0), 1000.0, CFG)
    assert float(s.exposure) == pytest.approx(T_MAX) and float(s.gain) == 4.0
    # no gain allowed: exposure only
    s = AutoExposure(max_gain=1.0).settings(flat(m / 1000.0), 1000.0, CFG)
    assert float(s.gain) == 1.0


def test_slightly_dark_scene_uses_exposure_only():
    target_e = 0.18 * saturation_e(CFG)
    s = AutoExposure().settings(flat(target_e / 2.0 / 1000.0), 1000.0, CFG)
    assert float(s.exposure) == pytest.approx(2.0) and float(s.gain) == 1.0


def test_bright_scene_takes_a_shorter_exposure_down_to_one_row():
    target_e = 0.18 * saturation_e(CFG)
    s = AutoExposure().settings(flat(target_e * 8.0 / 1000.0), 1000.0, CFG)
    assert float(s.exposure) == pytest.approx(1 / 8.0) and float(s.gain) == 1.0
    s = AutoExposure().settings(flat(1.0), 1e7, CFG)  # far too bright
    assert float(s.exposure) == pytest.approx(T_MIN) and float(s.gain) == 1.0


def test_black_frame_gets_everything_and_stacks_are_per_frame():
    target_e = 0.18 * saturation_e(CFG)
    stack = np.stack([flat(0.0), flat(target_e / 1000.0), flat(target_e * 4 / 1000.0)])
    s = AutoExposure().settings(stack, 1000.0, CFG)
    assert s.exposure.shape == (3,) and s.gain.shape == (3,)
    np.testing.assert_allclose(s.exposure, [T_MAX, 1.0, 0.25])
    np.testing.assert_allclose(s.gain, [16.0, 1.0, 1.0])


def test_metering_is_the_mean():
    # half the frame black, half white: the mean meters, not the peak
    scene = flat(0.0)
    scene[:, 10:] = 0.2
    s = AutoExposure().settings(scene, 1000.0, CFG)
    assert float(s.metered_e) == pytest.approx(100.0)


# ------------------------------------------------------------- noise and gain --
def test_readout_gain_scales_signal_and_read_noise_not_quantisation():
    # flat field, no fixed pattern and no dark current: after AE the DN mean
    # and variance follow the linear camera model (EMVA 1288):
    #   mean - black = g K mu,  var = (g K)^2 (mu + sigma_r^2) + 1/12
    cfg = SensorConfig(height=200, width=250, prnu=0.0, dsnu_e=0.0, dark_current_e_per_s=0.0,
                       read_noise_e=15.0, gain_dn_per_e=0.1, adc_bits=12, black_level_dn=64)
    sensor = Sensor(cfg, seed=3)
    signal_e = 1000.0
    scene = flat(0.1, cfg.shape)  # 100 e- at the nominal exposure
    e, s = AutoExposure().expose(sensor, scene, signal_e=signal_e)
    t, g = float(s.exposure), float(s.gain)
    assert t == pytest.approx(T_MAX) and 1.0 < g < 16.0
    mu = 0.1 * signal_e * t
    assert e.mean() == pytest.approx(mu, rel=0.01)
    assert e.var() == pytest.approx(mu, rel=0.05)  # Poisson: longer exposure, more photons
    dn = sensor.readout(e, gain=g).astype(np.float64)
    k = g * cfg.gain_dn_per_e
    assert dn.mean() - cfg.black_level_dn == pytest.approx(k * mu, rel=0.01)
    var = k**2 * (mu + cfg.read_noise_e**2) + 1 / 12
    assert dn.var() == pytest.approx(var, rel=0.05)
    # the same charge at unity gain: the signal-to-noise ratio of the DN
    # is the same except for the quantisation step (1/12 DN^2)
    dn1 = sensor.readout(e).astype(np.float64)
    var1 = cfg.gain_dn_per_e**2 * (mu + cfg.read_noise_e**2) + 1 / 12
    assert dn1.var() == pytest.approx(var1, rel=0.05)


def test_gain_is_clipped_by_the_adc_and_exposure_by_the_full_well():
    cfg = SensorConfig(height=8, width=8, prnu=0.0, dsnu_e=0.0, dark_current_e_per_s=0.0)
    sensor = Sensor(cfg, seed=0)
    e = sensor.expose(flat(1.0, cfg.shape), signal_e=4.0 * cfg.full_well_e)
    assert e.max() == cfg.full_well_e
    dn = sensor.readout(flat(5000.0, cfg.shape), gain=4.0)
    assert int(dn.max()) == cfg.max_dn


def test_unity_gain_is_todays_readout():
    a, b = Sensor(CFG, seed=5), Sensor(CFG, seed=5)
    e = a.expose(flat(0.3), signal_e=2000.0)
    assert np.array_equal(e, b.expose(flat(0.3), signal_e=2000.0))
    assert np.array_equal(a.readout(e), b.readout(e, gain=1.0))
    stack = np.stack([e, e])
    assert np.array_equal(a.readout(stack, gain=[1.0, 1.0]), b.readout(stack))


def test_ae_expose_uses_the_random_stream_as_one_expose_call():
    # with the nominal setting on every frame, AE's frame-by-frame exposure
    # is the plain stacked exposure
    target_e = 0.18 * saturation_e(CFG)
    stack = np.stack([flat(target_e / 1000.0)] * 3)
    e_ae, s = AutoExposure().expose(Sensor(CFG, seed=2), stack, signal_e=1000.0)
    np.testing.assert_allclose(s.exposure, 1.0)
    e = Sensor(CFG, seed=2).expose(stack, signal_e=float(1000.0 * s.exposure[0]))
    assert np.array_equal(e_ae, e)


def test_ae_expose_of_a_stack_is_frame_by_frame_exposure_in_order():
    # frames at different exposures: one stacked call gives the bits of
    # exposing each frame by itself at its own setting, in frame order
    rng = np.random.default_rng(5)
    stack = np.stack([flat(v) for v in (0.02, 0.9, 3.0, 10.0)])
    stack += rng.uniform(0.0, 0.05, stack.shape).astype(np.float32)
    e_ae, s = AutoExposure().expose(Sensor(CFG, seed=3), stack, signal_e=1500.0)
    assert len(np.unique(s.exposure)) >= 3
    one = Sensor(CFG, seed=3)
    want = [one.expose(f, signal_e=float(1500.0 * t), exposure_s=float(ts))
            for f, t, ts in zip(stack, s.exposure, s.exposure_s)]
    assert np.array_equal(e_ae, np.stack(want))
    for nt in (1, 2, 3):
        e, _ = AutoExposure().expose(Sensor(CFG, seed=3), stack, signal_e=1500.0, n_threads=nt)
        assert np.array_equal(e, e_ae)


def test_expose_takes_one_signal_and_exposure_per_frame():
    s = Sensor(CFG, seed=0)
    stack = np.stack([flat(0.5)] * 2)
    with pytest.raises(ValueError, match="signal_e must be a scalar or one value per frame"):
        s.expose(stack, signal_e=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="signal_e"):
        s.expose(stack, signal_e=[1.0, -2.0])
    with pytest.raises(ValueError, match="exposure_s"):
        s.expose(stack, exposure_s=[0.01, 1e5])
    with pytest.raises(ValueError, match="exposure_s"):
        s.expose(stack, exposure_s=[0.01, math.nan])
    with pytest.raises(TypeError, match="signal_e"):
        s.expose(stack, signal_e=["a", "b"])


# ------------------------------------------------------------------- errors --
@pytest.mark.parametrize("kw, match", [
    ({"target": 0.0}, "target"), ({"target": 1.5}, "target"),
    ({"max_gain": 0.5}, "max_gain"), ({"max_exposure_s": 0.0}, "max_exposure_s"),
    ({"min_exposure_s": -1.0}, "min_exposure_s"),
    ({"min_exposure_s": 0.2}, "min_exposure_s .* must not exceed max_exposure_s"),
    ({"nominal_exposure_s": 0.5}, "nominal_exposure_s"),
])
def test_bad_parameters(kw, match):
    with pytest.raises(ValueError, match=match):
        AutoExposure(**kw)


def test_bad_input():
    ae = AutoExposure()
    with pytest.raises(ValueError, match="scene"):
        ae.settings(flat(-1.0), 1000.0, CFG)
    with pytest.raises(TypeError, match="scene"):
        ae.settings(np.ones((4, 4), np.uint8), 1000.0, CFG)
    with pytest.raises(ValueError, match="signal_e"):
        ae.settings(flat(0.5), -1.0, CFG)
    with pytest.raises(TypeError, match="config"):
        ae.settings(flat(0.5), 1000.0, {"height": 16})
    with pytest.raises(TypeError, match="sensor"):
        ae.expose("sensor", flat(0.5))
    s = Sensor(CFG, seed=0)
    e = s.expose(flat(0.5))
    with pytest.raises(ValueError, match=r"gain must lie in \[1, 1024\]"):
        s.readout(e, gain=0.5)
    with pytest.raises(ValueError, match="gain must be a scalar or one value per frame"):
        s.readout(np.stack([e, e]), gain=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="gain"):
        s.readout(e, gain=math.nan)
    with pytest.raises(TypeError, match="gain"):
        s.readout(e, gain="2")


def test_resolve_exposure_and_key():
    assert resolve_exposure("fixed") is None and resolve_exposure(None) is None
    assert resolve_exposure("auto") == AutoExposure()
    ae = AutoExposure(target=0.1)
    assert resolve_exposure(ae) is ae
    assert exposure_key("auto") == exposure_key(AutoExposure()) != exposure_key(ae)
    assert exposure_key("fixed") == exposure_key(None) == "fixed"
    with pytest.raises(ValueError, match="unknown exposure 'manual'; valid: 'auto', 'fixed'"):
        resolve_exposure("manual")
    with pytest.raises(TypeError, match="exposure"):
        resolve_exposure(1.0)
