"""The linear camera model of :class:`analogfe.sensor.Sensor` on torch tensors.

:func:`expose` (photon and dark shot noise, PRNU, full well) and
:func:`readout` (DSNU, read noise, gain, black level, linear ADC with optional
INL/DNL) on batches of frames on any device, and :class:`TorchSensor`, the
module that carries the fixed pattern of a given numpy ``Sensor`` (the same
arrays, so the same seed gives the same pattern on both paths) and draws the
temporal noise from a ``torch.Generator``.

The temporal noise is not the numpy path's draws (another generator), only
its distribution: Poisson charge of mean ``scene * signal_e * prnu_gain +
dark``, Gaussian read noise of standard deviation ``read_noise_e``.

Gradients: the Poisson draw passes the gradient of its mean (a
straight-through estimator [3]: ``d e / d lambda = 1``, the derivative of
the expectation), the full well clips it, and the ADC's rounding passes it
straight through.

References
----------
.. [1] EMVA Standard 1288, release 4.0 (2021), section 2 (the linear camera model).
.. [2] K. Monakhova et al., "Dancing under the Stars: Video Denoising in Starlight",
   CVPR 2022, and X. Jin et al., "Lighting Every Darkness in Two Pairs: A
   Calibration-Free Pipeline for RAW Denoising" (LED), ICCV 2023: physics-based
   noise synthesis on the fly, the "virtual camera" idea of drawing sensor
   parameters per sample.
.. [3] Y. Bengio, N. Leonard, A. Courville, "Estimating or Propagating Gradients
   Through Stochastic Neurons for Conditional Computation", arXiv:1308.3432, 2013.
"""
from __future__ import annotations

import torch
from torch import nn

from ..._validation import check_int
from ...sensor.model import MAX_ANALOG_GAIN, MAX_EXPOSURE_S, Sensor
from ._checks import as_torch_generator, check_tensor, check_values, per_sample, ste

__all__ = ["expose", "readout", "TorchSensor"]


def _pattern(p, x, name):
    p = check_tensor(p, name, ndim=(2,), shape_hw=x.shape[-2:])
    if p.device != x.device:
        raise ValueError(f"{name} is on {p.device} but the frames are on {x.device}")
    return p.to(x.dtype)


def expose(scene, prnu_gain, signal_e, *, dark_e=0.0, full_well_e=10000.0, generator=None):
    """Photons -> electrons: Poisson charge, PRNU and the full well.

    Parameters
    ----------
    scene : (H, W), (N, H, W) or (N, C, H, W) torch.Tensor, float
        Linear relative irradiance >= 0; 1.0 gives ``signal_e`` electrons on average.
    prnu_gain : (H, W) torch.Tensor
        Fixed relative pixel gain (``Sensor.prnu_gain``), same device.
    signal_e : float or (N,) torch.Tensor
        Mean photo-electrons of a scene value of 1.0, e-, one for all frames or
        one per frame (a brightness or exposure per sample); typ. 1e4.
    dark_e : float or (N,) torch.Tensor
        Mean dark charge, e- (dark current x exposure time); typ. 0.17.
    full_well_e : float
        Full-well capacity, e- (clipping level); typ. 1e4.
    generator : None, int or torch.Generator
        Source of the shot noise (on the scene's device); an int seeds a new one.

    Returns
    -------
    electrons : torch.Tensor, shape and dtype of ``scene``
        ``min(Poisson(scene * signal_e * prnu_gain + dark_e), full_well_e)``.
        Differentiable in ``scene``, ``signal_e`` and ``prnu_gain`` through the
        mean of the draw (straight-through).

    Raises
    ------
    TypeError
        ``scene`` not a floating tensor; a bad ``generator``.
    ValueError
        A rank other than 2-4, ``prnu_gain`` not (H, W) or on another device,
        negative ``signal_e``, ``dark_e`` or ``full_well_e``.
    """
    x = check_tensor(scene, "scene")
    gain = _pattern(prnu_gain, x, "prnu_gain")
    s = per_sample(signal_e, x, "signal_e")
    d = per_sample(dark_e, x, "dark_e")
    fw = per_sample(full_well_e, x, "full_well_e")
    gen = as_torch_generator(generator, x.device)
    lam = x * s * gain + d
    # the rate must be >= 0 and finite for torch.poisson
    lam_d = lam.detach()
    if bool((lam_d < 0).any()) or not bool(torch.isfinite(lam_d).all()):
        raise ValueError("scene must be finite and >= 0 (the mean charge is negative or not finite)")
    draw = torch.poisson(lam_d, generator=gen)
    e = ste(draw, lam) if lam.requires_grad else draw
    return torch.clamp(e, max=fw)


def readout(electrons, dsnu_offset_e, *, read_noise_e=2.0, gain_dn_per_e=0.1, black_level_dn=64,
            max_dn=1023, adc_thresholds_dn=None, gain=1.0, generator=None, check=True):
    """Electrons -> digital numbers: DSNU, read noise, conversion gain, black level, ADC.

    Parameters
    ----------
    electrons : (H, W), (N, H, W) or (N, C, H, W) torch.Tensor, float
        Charge from :func:`expose`, e-.
    dsnu_offset_e : (H, W) torch.Tensor
        Fixed offset of the readout chain (``Sensor.dsnu_offset_e``), e-.
    read_noise_e : float or (N,) torch.Tensor
        Temporal read noise sigma, e- rms; typ. 2.
    gain_dn_per_e : float
        System gain K, DN per electron; typ. 0.1.
    black_level_dn : float
        Offset added before the ADC, DN; typ. 64.
    max_dn : int
        Largest ADC code, ``2**adc_bits - 1``.
    adc_thresholds_dn : (M,) torch.Tensor, optional
        Transition levels of an ADC with INL/DNL (``Sensor.adc_thresholds_dn``);
        None or empty for the ideal ADC.
    gain : float or (N,) torch.Tensor
        Analog gain in ``[1, MAX_ANALOG_GAIN]`` (multiplies K).
    generator : None, int or torch.Generator
        Source of the read noise.
    check : bool
        Check that ``electrons`` are finite and >= 0 (default; False skips the
        reduction inside a loop whose inputs are valid).

    Returns
    -------
    dn : torch.Tensor, shape and dtype of ``electrons``
        Integer-valued DN in ``[0, max_dn]``: ``floor(v + 0.5)`` (ideal ADC) or
        the number of transition levels ``<= v``, with
        ``v = (e + dsnu + read_noise_e z) K g + black_level_dn``. The rounding
        passes gradients straight through.

    Raises
    ------
    TypeError, ValueError
        As :func:`expose`; a ``gain`` outside ``[1, MAX_ANALOG_GAIN]``, a
        ``max_dn`` below 1 or above ``2**24 - 1``; with ``check``, NaN,
        infinite or negative electrons.
    """
    e = check_tensor(electrons, "electrons")
    max_dn = check_int(max_dn, "max_dn", low=1, high=2 ** 24 - 1)
    if check:
        check_values(e, "electrons", nonnegative=True)
    off = _pattern(dsnu_offset_e, e, "dsnu_offset_e")
    rn = per_sample(read_noise_e, e, "read_noise_e")
    g = per_sample(gain, e, "gain", low=1.0)
    if (isinstance(g, float) and g > MAX_ANALOG_GAIN) or (
            isinstance(g, torch.Tensor) and bool((g > MAX_ANALOG_GAIN).any())):
        raise ValueError(f"gain must lie in [1, {MAX_ANALOG_GAIN:g}]")
    k = per_sample(gain_dn_per_e, e, "gain_dn_per_e")
    black = per_sample(black_level_dn, e, "black_level_dn")
    gen = as_torch_generator(generator, e.device)
    z = torch.randn(e.shape, generator=gen, device=e.device, dtype=e.dtype)
    v = ((e + off) + rn * z) * (k * g) + black
    with torch.no_grad():
        if adc_thresholds_dn is not None and adc_thresholds_dn.numel():
            t = adc_thresholds_dn.to(device=e.device, dtype=torch.float64)
            hard = torch.searchsorted(t, v.detach().to(torch.float64).contiguous(), right=True)
            hard = hard.clamp(max=int(max_dn)).to(e.dtype)
        else:
            hard = torch.clamp(torch.floor(v + 0.5), 0.0, float(max_dn))
    return ste(hard, v) if v.requires_grad else hard


class TorchSensor(nn.Module):
    """A numpy :class:`~analogfe.sensor.Sensor` on torch: same fixed pattern, torch noise.

    ``prnu_gain``, ``dsnu_offset_e`` and ``adc_thresholds_dn`` are buffers copied
    from ``sensor`` (they move with ``.to(device)``); the temporal noise comes
    from the generator passed to each call (or torch's default one).

    Parameters
    ----------
    sensor : Sensor
        Its configuration and fixed pattern.

    Examples
    --------
    >>> import torch
    >>> from analogfe.sensor import Sensor, SensorConfig
    >>> ts = TorchSensor(Sensor(SensorConfig(height=4, width=6), seed=0))
    >>> e = ts.expose(torch.full((2, 4, 6), 0.5), signal_e=1000.0, generator=0)
    >>> ts.readout(e, generator=1).shape
    torch.Size([2, 4, 6])
    """

    def __init__(self, sensor):
        super().__init__()
        if not isinstance(sensor, Sensor):
            raise TypeError(f"sensor must be a Sensor, got {type(sensor).__name__}")
        self.config = sensor.config
        self.register_buffer("prnu_gain", torch.tensor(sensor.prnu_gain))
        self.register_buffer("dsnu_offset_e", torch.tensor(sensor.dsnu_offset_e))
        self.register_buffer("adc_thresholds_dn", torch.tensor(sensor.adc_thresholds_dn))

    def _check(self, x, name):
        c = self.config
        return check_tensor(x, name, shape_hw=(c.height, c.width))

    def expose(self, scene, signal_e=2000.0, exposure_s=0.033, generator=None):
        """:func:`expose` with this sensor's PRNU, dark current and full well.

        ``exposure_s`` (float or (N,) tensor, seconds, in ``[0, MAX_EXPOSURE_S]``)
        scales the dark current; ``signal_e`` is the charge of a scene value of
        1.0 in this exposure, as in :meth:`Sensor.expose`.
        """
        x = self._check(scene, "scene")
        t = per_sample(exposure_s, x, "exposure_s")
        if (isinstance(t, float) and t > MAX_EXPOSURE_S) or (
                isinstance(t, torch.Tensor) and bool((t > MAX_EXPOSURE_S).any())):
            raise ValueError(f"exposure_s must lie in [0, {MAX_EXPOSURE_S:g}]")
        c = self.config
        # the dark charge per sample, in the form expose() checks: a float or an (N,) tensor
        dark = c.dark_current_e_per_s * (t.reshape(-1) if isinstance(t, torch.Tensor) else t)
        return expose(x, self.prnu_gain, signal_e, dark_e=dark, full_well_e=c.full_well_e,
                      generator=generator)

    def readout(self, electrons, gain=1.0, generator=None, read_noise_e=None, check=True):
        """:func:`readout` with this sensor's DSNU, read noise, gain, black level
        and ADC; ``read_noise_e`` (float or (N,) tensor) overrides the config's;
        ``check`` as :func:`readout`."""
        e = self._check(electrons, "electrons")
        c = self.config
        return readout(e, self.dsnu_offset_e,
                       read_noise_e=c.read_noise_e if read_noise_e is None else read_noise_e,
                       gain_dn_per_e=c.gain_dn_per_e, black_level_dn=c.black_level_dn,
                       max_dn=c.max_dn, adc_thresholds_dn=self.adc_thresholds_dn, gain=gain,
                       generator=generator, check=check)

    def forward(self, scene, signal_e=2000.0, exposure_s=0.033, generator=None):
        """Electrons of ``scene`` (:meth:`expose`)."""
        return self.expose(scene, signal_e, exposure_s, generator)

    def extra_repr(self):
        c = self.config
        return f"height={c.height}, width={c.width}, cfa={c.cfa!r}, adc_bits={c.adc_bits}"
