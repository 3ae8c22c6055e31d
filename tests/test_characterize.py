"""EMVA 1288 measurements recover the configured sensor."""
import numpy as np
import pytest

from analogfe.sensor import (
    EMVAResult,
    Sensor,
    SensorConfig,
    characterize,
    photon_transfer_pair,
)

CFG = SensorConfig(height=128, width=128, full_well_e=3000.0, read_noise_e=3.0,
                   dark_current_e_per_s=100.0, prnu=0.02, dsnu_e=3.0, gain_dn_per_e=1.0,
                   adc_bits=12, black_level_dn=100)


@pytest.fixture(scope="module")
def result():
    return characterize(Sensor(CFG, seed=0), levels=40, n_frames=32, exposure_s=0.2,
                        dark_exposures_s=(0.1, 0.2, 0.3, 0.4))


def test_recovers_configured_values_within_3_percent(result):
    assert isinstance(result, EMVAResult)
    for got, want in [(result.system_gain_dn_per_e, CFG.gain_dn_per_e),
                      (result.read_noise_e, CFG.read_noise_e),
                      (result.dark_current_e_per_s, CFG.dark_current_e_per_s),
                      (result.dsnu_e, CFG.dsnu_e),
                      (result.prnu, CFG.prnu),
                      (result.full_well_e, CFG.full_well_e)]:
        assert got == pytest.approx(want, rel=0.03)


def test_derived_quantities(result):
    # sigma_d at 0.2 s: read noise and the dark-current shot noise
    assert result.temporal_dark_noise_e == pytest.approx(np.sqrt(9.0 + 100 * 0.2), rel=0.03)
    # EMVA saturation capacity: the maximum of the photon transfer curve, just
    # below the full well (pixels with the largest gain clip first)
    assert 0.85 * CFG.full_well_e < result.saturation_capacity_e < CFG.full_well_e
    assert result.snr_max == pytest.approx(np.sqrt(result.saturation_capacity_e), rel=0.05)
    # SNR curve: shot-noise limited in the middle of the range
    mid = (result.signal_e > 500) & (result.signal_e < 2000)
    model = result.signal_e[mid] / np.sqrt(result.signal_e[mid] + 9 + 20 + 1 / 12)
    np.testing.assert_allclose(result.snr[mid], model, rtol=0.05)
    thr = (1 + np.sqrt(1 + 4 * result.temporal_dark_noise_e ** 2)) / 2
    assert result.sensitivity_threshold_e == pytest.approx(thr)
    assert result.dynamic_range_db == pytest.approx(
        20 * np.log10(result.saturation_capacity_e / thr))
    assert set(result.to_dict()) >= {"system_gain_dn_per_e", "snr", "prnu"}


def test_gain_and_adc_limit():
    # K = 0.4 DN/e-: 50 + 0.4 * 3000 > 1023, the ADC clips before the full well
    cfg = CFG.replace(height=64, width=64, gain_dn_per_e=0.4, adc_bits=10,
                      read_noise_e=8.0, black_level_dn=50)
    r = characterize(Sensor(cfg, seed=0), levels=30, n_frames=8, exposure_s=0.2)
    assert r.system_gain_dn_per_e == pytest.approx(0.4, rel=0.03)
    k = r.system_gain_dn_per_e
    assert r.full_well_e == pytest.approx((1023 - r.dark_mean_dn) / k, rel=1e-3)
    assert r.full_well_e < 0.85 * cfg.full_well_e


def test_linearity_error_sees_adc_inl():
    cfg = CFG.replace(height=32, width=32, adc_bits=10, gain_dn_per_e=0.3,
                      black_level_dn=20)
    ideal = characterize(Sensor(cfg, seed=2), levels=30, n_frames=4, exposure_s=0.2)
    bowed = characterize(Sensor(cfg.replace(adc_inl_lsb=12.0), seed=2), levels=30,
                         n_frames=4, exposure_s=0.2)
    assert ideal.linearity_error_pct < 0.3
    assert bowed.linearity_error_pct > 3 * ideal.linearity_error_pct


def test_photon_transfer_pair():
    a = np.array([[1.0, 3.0], [5.0, 7.0]])
    b = a + np.array([[1.0, -1.0], [1.0, -1.0]])
    mu, var = photon_transfer_pair(a, b)
    assert mu == 4.0 and var == 0.5
    mu, var = photon_transfer_pair(a, a + 10)  # fixed pattern and offsets cancel
    assert var == 0.0
    with pytest.raises(ValueError, match="frame_a"):
        photon_transfer_pair(a, np.zeros((3, 3)))


def test_bad_arguments():
    s = Sensor(SensorConfig(height=16, width=16), seed=0)
    with pytest.raises(TypeError, match="sensor"):
        characterize(CFG)
    with pytest.raises(ValueError, match="levels"):
        characterize(s, levels=2)
    with pytest.raises(ValueError, match="n_frames"):
        characterize(s, n_frames=1)
    with pytest.raises(ValueError, match="dark_exposures_s"):
        characterize(s, dark_exposures_s=(0.1, 0.1))
    with pytest.raises(ValueError, match="exposure_s"):
        characterize(s, exposure_s=-1.0)


def test_exposures_beyond_the_physical_range_name_the_argument():
    s = Sensor(SensorConfig(height=16, width=16), seed=0)
    with pytest.raises(ValueError, match="dark_exposures_s"):
        characterize(s, dark_exposures_s=(0.1, 1e9))
    with pytest.raises(ValueError, match="exposure_s"):
        characterize(s, exposure_s=1e300)


# --------------------------------------------------------------------- DSNU --
@pytest.mark.parametrize("dark_current_e_per_s", [0.0, 100.0])
def test_recovers_dsnu_with_and_without_dark_current(dark_current_e_per_s):
    # The DSNU is an offset of the readout: a dark frame without dark current
    # (no charge) keeps its negative half, so DSNU_1288 recovers it whole (with
    # the offset on the charge, clipped at 0 e-, it read 1.17 for 2.0).
    # Statistical error (1 sigma) of the recovered value against the configured
    # one, 128 x 128 pixels, L = 32 frames: the pattern's own std over N = 16384
    # draws, 1 / sqrt(2 N) = 0.55 %; the temporal variance left in the average,
    # sigma_t^2 / L = (9 + 20) / 32 DN^2 against dsnu^2 = 4 DN^2, widens that by
    # about a quarter; K from the photon transfer curve, about 0.3 %: together
    # under 0.8 %, so 3 % is about 4 sigma.
    cfg = CFG.replace(dsnu_e=2.0, dark_current_e_per_s=dark_current_e_per_s)
    s = Sensor(cfg, seed=0)
    r = characterize(s, levels=40, n_frames=32, exposure_s=0.2,
                     dark_exposures_s=(0.1, 0.2, 0.3, 0.4))
    assert r.dsnu_e == pytest.approx(cfg.dsnu_e, rel=0.03)
    # against the pattern actually drawn (no pattern-sampling error): about 0.5 %
    assert r.dsnu_e == pytest.approx(float(s.dsnu_offset_e.std()), rel=0.02)
