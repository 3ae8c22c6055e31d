"""Auto-exposure: exposure time and analog gain of a converged AE loop.

A camera's auto-exposure (AE) meters each frame and sets the exposure time
and the analog gain for the next one until the metered level reaches a
target. On a static scene the loop converges to the setting that meters on
target, and :class:`AutoExposure` computes that converged setting directly:

1. **Meter.** ``m`` = the mean photo-electrons per pixel of the frame at the
   nominal exposure (``mean(scene) * signal_e``): average metering of the
   whole frame. The mean is used rather than a percentile because a wake-up
   camera sees whole frames of unknown content with no subject to spot-meter,
   because "18 % grey" is defined for the mean (reflected-light meters are
   calibrated to the mean of an average scene, ISO 2720), and because the mean
   of a noisy frame is the statistic least disturbed by the noise it meters
   (a high percentile of a dark frame measures its read noise).
2. **Target.** ``target`` x the saturation signal at unity gain,
   :func:`saturation_e` = ``min(full_well_e, (2**adc_bits - 1 -
   black_level_dn) / gain_dn_per_e)`` electrons (the charge that reaches the
   top ADC code, or the full well if that comes first). With ``target = 0.18``
   a frame's mean lands at 18 % of the linear range, mid-grey after the sRGB
   gamma (sRGB 118 of 255).
3. **Exposure first.** The needed factor ``F = target_e / m``; the exposure
   time is ``t = clip(F, min_exposure_s / nominal_exposure_s,
   max_exposure_s / nominal_exposure_s)`` times the nominal exposure (longer
   exposure first: it collects more photons, the only way to raise the
   signal-to-noise ratio).
4. **Then gain.** ``g = clip(F / t, 1, max_gain)``: the analog gain makes up
   what the longest exposure cannot. A frame brighter than the target at the
   shortest exposure stays over-exposed (``g = 1``).

The noise this implies is that of the sensor model, not a rescaled image:
:meth:`AutoExposure.expose` exposes for ``t`` times the nominal time (``t``
times the photo-electrons and dark charge, their Poisson noise, clipping at
the full well), and :meth:`Sensor.readout(electrons, gain=g)
<analogfe.sensor.Sensor.readout>` multiplies the conversion gain by ``g``:
signal, DSNU and the pixel's read noise are amplified together (the
input-referred read noise stays ``read_noise_e``, a conservative choice: in a
real sensor the input-referred noise of the stages after the gain falls with
it), and only the ADC's quantisation step shrinks relative to the signal.

A log-gradient front end converts ratios of neighbouring pixels, and a gain
before the log-ratio converter multiplies both members of every ratio, so it
changes nothing but the weight of the converter's ``eps`` (1e-4 of the full
well) inside the log: such a front end takes the exposure time of the AE and
no gain (see :func:`analogfe.frontend.emulate`).

References
----------
.. [1] ISO 2720:1974, "General purpose photographic exposure meters
   (photoelectric type) - Guide to product specification" (reflected-light
   meter calibration, about 12-18 % grey for an average scene).
.. [2] ON Semiconductor, "AR0330: 1/3-Inch CMOS Digital Image Sensor",
   datasheet AR0330/D rev. U (2015), Figure 30 "Gain Stages": analog coarse
   gain 1x to 15.992x (the default ``max_gain`` of 16).
.. [3] EMVA Standard 1288, release 4.0 (2021), section 2: the linear camera
   model and its noise (shot noise, read noise, quantisation 1/12 DN^2).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .._validation import check_array, check_choice, check_float
from .model import Sensor, SensorConfig

__all__ = [
    "DEFAULT_AE_TARGET",
    "DEFAULT_MAX_EXPOSURE_S",
    "DEFAULT_MAX_GAIN",
    "DEFAULT_MIN_EXPOSURE_S",
    "EXPOSURE_MODES",
    "NOMINAL_EXPOSURE_S",
    "AutoExposure",
    "ExposureSetting",
    "exposure_key",
    "resolve_exposure",
    "saturation_e",
]

#: Nominal exposure, seconds: the default ``exposure_s`` of
#: :meth:`Sensor.expose <analogfe.sensor.Sensor.expose>` (one frame of 30 fps
#: video), the exposure for which ``signal_e`` is given.
NOMINAL_EXPOSURE_S = 0.033
#: Metered mean as a fraction of the unity-gain saturation signal: 18 % grey
#: (the mid-grey of reflected-light meter calibration, ISO 2720 [1]).
DEFAULT_AE_TARGET = 0.18
#: Largest analog gain: typical CMOS image sensors offer 1x to 16x analog
#: gain (AR0330 datasheet, Fig. 30: coarse gain up to 15.992x [2]).
DEFAULT_MAX_GAIN = 16.0
#: Longest exposure, seconds. Assumption: the frame time at 10 frames per
#: second (an exposure cannot outlast its frame; always-on cameras run at 1
#: to 10 fps, and longer exposures blur a walking person by tens of pixels).
#: Three times the nominal exposure.
DEFAULT_MAX_EXPOSURE_S = 0.1
#: Shortest exposure, seconds: one row time of a QVGA rolling-shutter sensor
#: read out in a 30 fps frame, (1/30 s) / 240 rows = 139 us (a rolling shutter
#: sets the exposure in whole rows). A factor 1/238 of the nominal exposure.
DEFAULT_MIN_EXPOSURE_S = (1.0 / 30.0) / 240.0

#: Values of the ``exposure=`` argument of the emulation besides an
#: :class:`AutoExposure` object: ``"auto"`` (``AutoExposure()``) and
#: ``"fixed"`` (the nominal exposure at unity gain, no AE).
EXPOSURE_MODES = ("auto", "fixed")


def saturation_e(config):
    """Electrons at which the unity-gain readout saturates.

    ``min(full_well_e, (2**adc_bits - 1 - black_level_dn) / gain_dn_per_e)``:
    the full well, or the charge that reaches the ADC's top code if that
    comes first (the default sensor: min(10000, 959 / 0.1) = 9590 e-).

    Parameters
    ----------
    config : SensorConfig

    Returns
    -------
    float
        Electrons.
    """
    if not isinstance(config, SensorConfig):
        raise TypeError(f"config must be a SensorConfig, got {type(config).__name__}")
    adc_e = (config.max_dn - config.black_level_dn) / config.gain_dn_per_e
    return float(min(config.full_well_e, adc_e))


@dataclass(frozen=True)
class ExposureSetting:
    """The converged AE setting of each frame.

    Attributes
    ----------
    exposure : ndarray, float64
        Exposure time as a factor of the nominal exposure, one per frame
        (shape of the scene without its last two axes: 0-d for one frame).
    gain : ndarray, float64
        Analog gain in ``[1, max_gain]``, same shape.
    exposure_s : ndarray, float64
        Exposure time, seconds (``exposure * nominal_exposure_s``).
    metered_e : ndarray, float64
        Metered mean electrons per pixel at the nominal exposure.
    """

    exposure: np.ndarray
    gain: np.ndarray
    exposure_s: np.ndarray
    metered_e: np.ndarray


@dataclass(frozen=True)
class AutoExposure:
    """A converged auto-exposure: meter the mean, expose longer, then gain.

    See the module docstring for the algorithm and its noise.

    Parameters
    ----------
    target : float
        Metered mean as a fraction of the unity-gain saturation signal
        (:func:`saturation_e`), in (0, 1]; default 0.18 (18 % grey, ISO 2720).
    max_gain : float
        Largest analog gain, >= 1 (1: exposure time only); default 16
        (typical CMOS image sensors: 1x to 16x, e.g. the AR0330).
    max_exposure_s : float
        Longest exposure, seconds; default 0.1 (the frame time at 10 fps, an
        assumption).
    min_exposure_s : float
        Shortest exposure, seconds, ``<= max_exposure_s``; default 139 us (one
        row time of QVGA at 30 fps).
    nominal_exposure_s : float
        The exposure of the emulation's ``signal_e`` (the sensor's default
        exposure, 33 ms), within ``[min_exposure_s, max_exposure_s]``.

    Raises
    ------
    ValueError
        A parameter out of its range, or inconsistent exposure limits.

    Examples
    --------
    >>> import numpy as np
    >>> from analogfe.sensor import SensorConfig
    >>> ae = AutoExposure()
    >>> dark = np.full((4, 4), 0.01, np.float32)   # 100 e- at the nominal exposure
    >>> s = ae.settings(dark, 10000.0, SensorConfig(height=4, width=4))
    >>> round(float(s.exposure), 2), round(float(s.gain), 2)
    (3.03, 5.7)
    """

    target: float = DEFAULT_AE_TARGET
    max_gain: float = DEFAULT_MAX_GAIN
    max_exposure_s: float = DEFAULT_MAX_EXPOSURE_S
    min_exposure_s: float = DEFAULT_MIN_EXPOSURE_S
    nominal_exposure_s: float = NOMINAL_EXPOSURE_S

    def __post_init__(self):
        check_float(self.target, "target", low=0.0, high=1.0, low_open=True)
        check_float(self.max_gain, "max_gain", low=1.0, high=1024.0)
        check_float(self.max_exposure_s, "max_exposure_s", low=0.0, high=3600.0, low_open=True)
        check_float(self.min_exposure_s, "min_exposure_s", low=0.0, low_open=True)
        check_float(self.nominal_exposure_s, "nominal_exposure_s", low=0.0, low_open=True)
        if self.min_exposure_s > self.max_exposure_s:
            raise ValueError(f"min_exposure_s ({self.min_exposure_s:g}) must not exceed "
                             f"max_exposure_s ({self.max_exposure_s:g})")
        if not self.min_exposure_s <= self.nominal_exposure_s <= self.max_exposure_s:
            raise ValueError(
                f"nominal_exposure_s ({self.nominal_exposure_s:g}) must lie in "
                f"[min_exposure_s, max_exposure_s] = [{self.min_exposure_s:g}, "
                f"{self.max_exposure_s:g}]")

    def settings(self, scene, signal_e, config):
        """The converged exposure factor and gain of each frame.

        Parameters
        ----------
        scene : (H, W) or (N, H, W) array_like, float
            Linear relative irradiance >= 0, as given to :meth:`Sensor.expose`.
        signal_e : float
            Mean photo-electrons of a scene value of 1.0 at the nominal
            exposure (brightness included).
        config : SensorConfig
            Gives the saturation signal (:func:`saturation_e`).

        Returns
        -------
        ExposureSetting
            One exposure factor and gain per frame. A black frame (mean 0)
            gets the longest exposure and the largest gain.

        Raises
        ------
        ValueError
            A scene that is not 2-D or 3-D, negative or not finite; a
            negative ``signal_e``.
        TypeError
            A non-float scene, ``config`` not a SensorConfig.
        """
        target_e = self.target * saturation_e(config)
        scene = check_array(scene, "scene", ndim=(2, 3), kinds="f", nonnegative=True)
        signal_e = check_float(signal_e, "signal_e", low=0.0)
        # metered mean, accumulated in float64 (long sums of float32 values)
        metered = scene.mean(axis=(-2, -1), dtype=np.float64) * signal_e
        with np.errstate(divide="ignore"):
            need = np.where(metered > 0.0, target_e / np.maximum(metered, 1e-300), np.inf)
        t = np.clip(need, self.min_exposure_s / self.nominal_exposure_s,
                    self.max_exposure_s / self.nominal_exposure_s)
        g = np.clip(need / t, 1.0, self.max_gain)
        return ExposureSetting(exposure=t, gain=g, exposure_s=t * self.nominal_exposure_s,
                               metered_e=metered)

    def expose(self, sensor, scene, signal_e=2000.0, *, n_threads=None):
        """Meter, then :meth:`Sensor.expose` each frame at its own exposure.

        Frame ``i`` gets ``signal_e * exposure[i]`` photo-electrons for a
        scene value of 1.0 and ``exposure_s[i]`` of dark current, all frames
        in one :meth:`Sensor.expose` call on the stack (the same bits as
        exposing them one by one, in order).

        Parameters
        ----------
        sensor : Sensor
        scene : (H, W) or (N, H, W) ndarray, float32
            As :meth:`Sensor.expose`.
        signal_e : float
            Photo-electrons of a scene value of 1.0 at the nominal exposure.
        n_threads : int >= 1, optional
            As for :meth:`Sensor.expose`.

        Returns
        -------
        electrons : ndarray, float32, shape of ``scene``
        setting : ExposureSetting
            Pass ``setting.gain`` to :meth:`Sensor.readout` for the linear
            readout.
        """
        if not isinstance(sensor, Sensor):
            raise TypeError(f"sensor must be a Sensor, got {type(sensor).__name__}")
        setting = self.settings(scene, signal_e, sensor.config)
        frames = np.asarray(scene).reshape((-1,) + np.shape(scene)[-2:])
        out = sensor.expose(frames, signal_e=float(signal_e) * setting.exposure.reshape(-1),
                            exposure_s=setting.exposure_s.reshape(-1), n_threads=n_threads)
        return out.reshape(np.shape(scene)), setting


def resolve_exposure(exposure, argname="exposure"):
    """``"auto"`` -> ``AutoExposure()``, ``"fixed"`` or None -> None, an
    :class:`AutoExposure` -> itself; anything else is an error listing the
    valid values."""
    if exposure is None or isinstance(exposure, AutoExposure):
        return exposure
    if not isinstance(exposure, str):
        raise TypeError(f"{argname} must be one of {EXPOSURE_MODES}, an AutoExposure or None, "
                        f"got {type(exposure).__name__}")
    return AutoExposure() if check_choice(exposure, argname, EXPOSURE_MODES) == "auto" else None


def exposure_key(exposure, argname="exposure"):
    """A JSON-serialisable description of an ``exposure=`` value, for cache
    keys and checkpoints: ``"fixed"``, or the dict of every
    :class:`AutoExposure` parameter (so ``"auto"`` and ``AutoExposure()``
    give the same key)."""
    ae = resolve_exposure(exposure, argname)
    return "fixed" if ae is None else asdict(ae)
