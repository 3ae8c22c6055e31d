"""EMVA 1288 measurements on an emulated sensor.

Runs the standard's own measurements (release 4.0) on flat fields and dark
frames from a :class:`analogfe.sensor.Sensor`, as a camera test bench would:

* photon transfer: mean and temporal variance of pairs of flat fields at a
  series of exposures from dark to saturation (variance from the difference of
  the two frames, so the fixed pattern cancels);
* system gain K: slope of ``sigma_y^2 - sigma_y.dark^2`` against
  ``mu_y - mu_y.dark`` up to 70 % of saturation;
* temporal dark noise ``sigma_d = sqrt(sigma_y.dark^2 - 1/12) / K``, the dark
  current and the read noise from dark frames at several exposure times
  (``sigma_d^2(t) = sigma_read^2 + dark_current * t``);
* DSNU and PRNU from averages of many dark / 50 %-saturation frames, with the
  remaining temporal variance subtracted;
* saturation capacity (the mean at the maximum of the photon transfer curve)
  and the full-scale plateau, the SNR curve, maximum SNR, absolute
  sensitivity threshold and dynamic range.

The emulated sensor's input is already electrons (``signal_e``), so quantum
efficiency is 1 by construction and "photons" in the standard read as
"photo-electrons" here.

References
----------
.. [1] EMVA Standard 1288, "Standard for Characterization of Image Sensors
   and Cameras", release 4.0 Linear (2021), sections 2 and 6-8.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._validation import check_float, check_int

__all__ = ["EMVAResult", "characterize", "photon_transfer_pair"]

QUANTIZATION_VAR_DN2 = 1.0 / 12.0  # variance of a uniform 1-DN quantiser


@dataclass
class EMVAResult:
    """Result of :func:`characterize` (units in the names).

    Attributes
    ----------
    system_gain_dn_per_e : float
        K.
    temporal_dark_noise_e : float
        sigma_d at ``exposure_s`` (read noise and dark-current shot noise).
    read_noise_e : float
        sigma_d extrapolated to zero exposure time.
    dark_current_e_per_s : float
        From the slope of the dark mean against exposure time.
    dsnu_e : float
        Spatial std of the dark signal (DSNU_1288), electrons.
    prnu : float
        Spatial std of the photo response relative to the signal (PRNU_1288 / 100).
    saturation_capacity_e : float
        Mean signal at the maximum of the photon transfer curve (EMVA definition).
    full_well_e : float
        Mean signal of the saturated plateau (all pixels clipped).
    snr_max : float
        The largest measured SNR up to the saturation point (about
        ``sqrt(saturation_capacity_e)`` for a shot-noise-limited sensor).
    sensitivity_threshold_e : float
        Signal with SNR = 1: ``(1 + sqrt(1 + 4 sigma_d^2)) / 2``.
    dynamic_range_db : float
        ``20 log10(saturation_capacity_e / sensitivity_threshold_e)``.
    signal_e, mean_dn, variance_dn2, snr : (L,) ndarray
        The photon transfer / SNR curve: nominal electrons per level, mean DN,
        temporal variance DN^2 and measured SNR.
    dark_mean_dn : float
        Mean of the dark frames at ``exposure_s``.
    linearity_error_pct : float
        EMVA 1288 linearity error: half the spread of the relative deviations
        of ``mean_dn`` from a straight line fitted between 5 % and 95 % of
        saturation, in percent (shows e.g. the ADC's INL).
    """

    system_gain_dn_per_e: float
    temporal_dark_noise_e: float
    read_noise_e: float
    dark_current_e_per_s: float
    dsnu_e: float
    prnu: float
    saturation_capacity_e: float
    full_well_e: float
    snr_max: float
    sensitivity_threshold_e: float
    dynamic_range_db: float
    dark_mean_dn: float
    linearity_error_pct: float
    signal_e: np.ndarray = field(repr=False)
    mean_dn: np.ndarray = field(repr=False)
    variance_dn2: np.ndarray = field(repr=False)
    snr: np.ndarray = field(repr=False)

    def to_dict(self):
        """Scalars as a dict, curves as lists."""
        return {k: (v.tolist() if isinstance(v, np.ndarray) else v)
                for k, v in self.__dict__.items()}


def photon_transfer_pair(frame_a, frame_b):
    """Mean and temporal variance of one pair of flat fields (EMVA 1288 eq. 6.x).

    ``mu = mean(A + B) / 2``; ``sigma^2 = mean(((A - mu_A) - (B - mu_B))^2) / 2``:
    the difference removes the fixed pattern.

    Parameters
    ----------
    frame_a, frame_b : (H, W) ndarray
        Two frames at the same exposure, DN.

    Returns
    -------
    mean_dn, variance_dn2 : float
    """
    a = np.asarray(frame_a, dtype=np.float64)  # float64: long sums of DN^2
    b = np.asarray(frame_b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"frame_a and frame_b must be equal 2-D shapes, got {a.shape}, {b.shape}")
    d = (a - a.mean()) - (b - b.mean())
    return 0.5 * (a.mean() + b.mean()), 0.5 * float(np.mean(d * d))


def _flat(sensor, signal_e, exposure_s, n):
    """n frames of a uniform scene producing ``signal_e`` electrons."""
    scene = np.ones((n,) + sensor.config.shape, dtype=np.float32)
    return sensor.capture(scene, signal_e=signal_e, exposure_s=exposure_s)


def _find_saturation_e(sensor, exposure_s, dark_mean):
    """Signal (electrons) at which the mean output stops growing: doubling search."""
    s, prev = 16.0, None
    while s < 1e9:
        m = float(_flat(sensor, s, exposure_s, 1).mean()) - dark_mean
        if prev is not None and m < 1.02 * prev:
            return s / 2.0
        prev = m
        s *= 2.0
    raise ValueError("the sensor did not saturate below 1e9 electrons")


def _mean_and_temporal_var(frames):
    """Mean and temporal variance averaged over the pairs (0, 1), (2, 3), ..."""
    pairs = [photon_transfer_pair(frames[i], frames[i + 1])
             for i in range(0, frames.shape[0] - 1, 2)]
    return float(np.mean([p[0] for p in pairs])), float(np.mean([p[1] for p in pairs]))


def _spatial_var(frames, temporal_var):
    """Spatial variance of the frame average, temporal part removed (EMVA 1288)."""
    avg = frames.astype(np.float64).mean(axis=0)
    return float(avg.var(ddof=1) - temporal_var / frames.shape[0])


def _linearity_error_pct(signal, dmu, range_dn, i_sat):
    """EMVA 1288 linearity error over 5-95 % of the saturation range."""
    sel = (dmu >= 0.05 * range_dn) & (dmu <= 0.95 * range_dn) & (np.arange(len(dmu)) <= i_sat)
    if sel.sum() < 3:
        return float("nan")
    b, a = np.polyfit(signal[sel], dmu[sel], 1)
    fit = a + b * signal[sel]
    dev = 100.0 * (dmu[sel] - fit) / fit
    return float((dev.max() - dev.min()) / 2.0)


def characterize(sensor, *, levels=40, n_frames=32, exposure_s=0.01,
                 dark_exposures_s=(0.01, 0.05, 0.1, 0.2)):
    """Run the EMVA 1288 measurements on ``sensor``.

    Parameters
    ----------
    sensor : Sensor
        The device under test; its frames are drawn from its own generator.
    levels : int
        Photon transfer points from dark to 1.3 x the saturation found by a
        doubling search (EMVA asks for at least 50 on real cameras).
    n_frames : int
        Frames averaged for DSNU and PRNU (the standard's L; >= 2); the dark
        series uses as many, in pairs, for its temporal variance.
    exposure_s : float
        Exposure time of the photon transfer and non-uniformity measurements.
    dark_exposures_s : sequence of float
        Exposure times of the dark series (dark current, read noise); at least two.

    Returns
    -------
    EMVAResult

    Examples
    --------
    >>> from analogfe.sensor import Sensor, SensorConfig
    >>> cfg = SensorConfig(height=64, width=64, gain_dn_per_e=1.0, adc_bits=12,
    ...                    full_well_e=3000.0, read_noise_e=3.0)
    >>> r = characterize(Sensor(cfg, seed=0), levels=20, n_frames=8)
    >>> round(r.system_gain_dn_per_e, 1)
    1.0
    """
    levels, n_frames, exposure_s, ts = _check_characterize_args(
        sensor, levels, n_frames, exposure_s, dark_exposures_s)

    # dark series: mean and temporal variance against exposure time
    dark_mu, dark_var = _dark_series(sensor, ts, n_frames)
    dark_frames = _flat(sensor, 0.0, exposure_s, n_frames)
    mu_dark, var_dark = _mean_and_temporal_var(dark_frames)

    # photon transfer from dark to beyond saturation
    sat_guess = _find_saturation_e(sensor, exposure_s, mu_dark)
    signal = np.linspace(0.0, 1.3 * sat_guess, levels)
    mean, var = _photon_transfer(sensor, signal, exposure_s)
    i_sat = int(np.argmax(var))
    mu_sat = mean[i_sat]
    dmu, dvar = mean - mu_dark, var - var_dark
    k = _system_gain(dmu, dvar, mu_sat - mu_dark, i_sat)
    sigma_d, read_noise_e, dark_current = _dark_noise(ts, dark_mu, dark_var, var_dark, k)

    # non-uniformity: averages of n_frames frames, temporal variance removed
    s_dark2 = _spatial_var(dark_frames, var_dark)
    prnu = _prnu(sensor, signal, mean, mu_dark, mu_sat, s_dark2, exposure_s, n_frames)

    sat_e = float((mu_sat - mu_dark) / k)
    plateau = float((mean[-1] - mu_dark) / k)
    with np.errstate(divide="ignore", invalid="ignore"):
        snr = np.where(var > 0, dmu / np.sqrt(var), 0.0)
    threshold = float((1.0 + np.sqrt(1.0 + 4.0 * sigma_d**2)) / 2.0)
    lin = _linearity_error_pct(signal, dmu, mu_sat - mu_dark, i_sat)
    return EMVAResult(
        system_gain_dn_per_e=k,
        temporal_dark_noise_e=sigma_d,
        read_noise_e=read_noise_e,
        dark_current_e_per_s=dark_current,
        dsnu_e=float(np.sqrt(max(s_dark2, 0.0)) / k),
        prnu=prnu,
        saturation_capacity_e=sat_e,
        full_well_e=plateau,
        snr_max=float(snr[:i_sat + 1].max()),
        sensitivity_threshold_e=threshold,
        dynamic_range_db=float(20.0 * np.log10(sat_e / threshold)),
        dark_mean_dn=float(mu_dark),
        linearity_error_pct=lin,
        signal_e=signal,
        mean_dn=mean,
        variance_dn2=var,
        snr=snr,
    )


def _check_characterize_args(sensor, levels, n_frames, exposure_s, dark_exposures_s):
    """Validate :func:`characterize`'s arguments: ``(levels, n_frames,
    exposure_s, dark exposure times as an array)``."""
    from .model import MAX_EXPOSURE_S, Sensor

    if not isinstance(sensor, Sensor):
        raise TypeError(f"sensor must be a Sensor, got {type(sensor).__name__}")
    levels = check_int(levels, "levels", low=8, high=10000)
    n_frames = check_int(n_frames, "n_frames", low=2, high=100000)
    exposure_s = check_float(exposure_s, "exposure_s", low=0.0, high=MAX_EXPOSURE_S)
    ts = np.asarray([check_float(t, "dark_exposures_s", low=0.0, high=MAX_EXPOSURE_S)
                     for t in dark_exposures_s])
    if len(np.unique(ts)) < 2:
        raise ValueError("dark_exposures_s needs at least two different exposure times")
    return levels, n_frames, exposure_s, ts


def _dark_series(sensor, ts, n_frames):
    """Mean and temporal variance (lists, DN) of ``n_frames`` dark frames at
    each exposure time of ``ts``."""
    dark_mu, dark_var = [], []
    for t in ts:
        mu, var = _mean_and_temporal_var(_flat(sensor, 0.0, float(t), n_frames))
        dark_mu.append(mu)
        dark_var.append(var)
    return dark_mu, dark_var


def _photon_transfer(sensor, signal, exposure_s):
    """Mean and temporal variance (DN) of a pair of flat fields at every
    ``signal`` (electrons): the photon transfer curve."""
    mean = np.empty(len(signal))
    var = np.empty(len(signal))
    for i, s in enumerate(signal):
        a, b = _flat(sensor, float(s), exposure_s, 2)
        mean[i], var[i] = photon_transfer_pair(a, b)
    return mean, var


def _system_gain(dmu, dvar, range_dn, i_sat):
    """System gain K (DN/e-): slope through the origin of the dark-corrected
    variance ``dvar`` against the mean ``dmu``, up to 70 % of ``range_dn``
    (saturation minus dark) and below the saturation point ``i_sat``."""
    fit = (dmu > 0) & (dmu <= 0.7 * range_dn) & (np.arange(len(dmu)) < i_sat)
    if fit.sum() < 3:
        raise ValueError("too few photon transfer points below 70 % of saturation; "
                         "increase levels")
    # regression through the origin, as the linear model has no offset
    return float((dmu[fit] * dvar[fit]).sum() / (dmu[fit] ** 2).sum())


def _dark_noise(ts, dark_mu, dark_var, var_dark, k):
    """``(temporal dark noise, read noise, dark current)`` in e- and e-/s from
    the dark series (``sigma_d^2(t) = sigma_read^2 + dark_current * t``) and
    the dark variance ``var_dark`` at the measurement exposure, gain ``k``."""
    K_q = QUANTIZATION_VAR_DN2
    sigma_d2_e = (np.asarray(dark_var) - K_q) / k**2
    icpt_var = np.polyfit(ts, sigma_d2_e, 1)[1]
    slope_mu = np.polyfit(ts, np.asarray(dark_mu), 1)[0]
    sigma_d = float(np.sqrt(max(var_dark - K_q, 0.0)) / k)
    return sigma_d, float(np.sqrt(max(icpt_var, 0.0))), float(slope_mu / k)


def _prnu(sensor, signal, mean, mu_dark, mu_sat, s_dark2, exposure_s, n_frames):
    """PRNU from ``n_frames`` flat fields at the transfer-curve point nearest
    50 % of saturation, temporal variance and DSNU (``s_dark2``) removed."""
    half = float(signal[np.argmin(np.abs(mean - (mu_dark + 0.5 * (mu_sat - mu_dark))))])
    bright = _flat(sensor, half, exposure_s, n_frames)
    mu50, var50 = _mean_and_temporal_var(bright)
    s_50 = _spatial_var(bright, var50)
    return float(np.sqrt(max(s_50 - s_dark2, 0.0)) / (mu50 - mu_dark))
