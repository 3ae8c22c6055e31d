"""Image sensor physics: the EMVA 1288 linear camera model.

``Sensor.expose`` turns a scene (relative irradiance) into electrons: photon
shot noise and dark-current shot noise (Poisson), fixed-pattern PRNU (relative
gain), full-well clipping. ``Sensor.readout`` adds the fixed-pattern DSNU
(an offset per pixel, electrons) and the read noise, and converts with the
system gain K, the black level and an N-bit ADC (with optional INL/DNL) to
digital numbers. Both run as single-pass Cython kernels (``ext/_sensor.pyx``)
on all cores: a stack of frames is one kernel call, its frames cut into
blocks of rows, each with its own random stream (seeded from the frame's
seed and the block's index), shared out among the threads; so a frame is the
same bits whatever the number of threads.

The DSNU sits in the readout chain, as in the standard's model [1], where the
dark signal non-uniformity is an offset of the output: in a real sensor it is,
at short exposures, mostly the offsets of the pixel source followers and the
column amplifiers. Put on the charge instead, its negative half would be
clipped at 0 electrons in a dark frame and the EMVA 1288 measurement would
see a smaller DSNU. The dark
current is charge and stays in ``expose``; it is uniform here (its own
non-uniformity is not modelled, and would belong on the charge). A front end
that takes the charge from ``expose`` through its own analog chain (the
log-gradient converter) models that chain's offsets itself.

References
----------
.. [1] EMVA Standard 1288, "Standard for Characterization of Image Sensors
   and Cameras", release 4.0 (2021), section 2 (the linear camera model).
.. [2] J. H. Ahrens, U. Dieter, "Computer generation of Poisson deviates from
   modified normal distributions", ACM TOMS 8(2):163-179, 1982 (the kernel's
   Poisson sampler for means >= 10; below, a tabulated Poisson on a 1/16 grid
   of means plus a thinned Poisson(1/16), exact by the Poisson sum property).
.. [3] G. Marsaglia, W. W. Tsang, "The Ziggurat Method for Generating Random
   Variables", J. Stat. Softw. 5(8), 2000 (the kernel's normal sampler).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from dataclasses import replace as _dc_replace

import numpy as np

from .._threads import resolve_threads
from .._validation import (
    as_generator,
    check_array,
    check_choice,
    check_float,
    check_int,
    check_keys,
)

__all__ = ["SensorConfig", "SENSOR_PRESETS", "Sensor", "electrons_from_lux",
           "PHOTONS_PER_LUX_S_M2",
           "MAX_EXPOSURE_S", "MAX_ANALOG_GAIN"]

from ..scene.cfa import CFA_PATTERNS  # noqa: E402  (one list of Bayer names)

# Photon flux of 1 lux at 555 nm: 1 lx = 1/683 W/m^2 (definition of the candela);
# one photon carries h c / lambda = 3.579e-19 J, so 1 lx = 4.09e15 photons/(s m^2).
_PLANCK_J_S = 6.62607015e-34
_LIGHT_M_PER_S = 299792458.0
#: Photons per second and square metre in one lux of 555 nm light (about 4.09e15).
PHOTONS_PER_LUX_S_M2 = (1.0 / 683.0) / (_PLANCK_J_S * _LIGHT_M_PER_S / 555e-9)

#: Longest exposure ``Sensor.expose`` accepts, seconds (one hour: beyond any
#: frame exposure; the dark current of longer ones is no longer modelled).
MAX_EXPOSURE_S = 3600.0


@dataclass(frozen=True)
class SensorConfig:
    """Configuration of the linear camera model (EMVA 1288 [1]).

    Parameters
    ----------
    height, width : int
        Pixels (rows, columns); QVGA 240 x 320 by default.
    full_well_e : float
        Full-well capacity, electrons (clipping level), typ. 1e4.
    read_noise_e : float
        Temporal read noise sigma, electrons rms, typ. 2.
    dark_current_e_per_s : float
        Mean dark current, electrons per second, typ. 5.
    prnu : float
        Photo-response non-uniformity: relative std of the fixed pixel gain,
        in [0, 1), typ. 0.01.
    dsnu_e : float
        Dark-signal non-uniformity: std of the fixed pixel offset, electrons
        (input-referred), typ. 1. The offset belongs to the readout chain: it
        is added with the read noise, after the full-well clipping of the
        charge, and the black level keeps it above 0 DN, so it is recovered
        whole by the EMVA 1288 DSNU measurement (DSNU_1288 [1]) even in a dark
        frame without dark current.
    gain_dn_per_e : float
        System gain K, DN per electron; 0.4 by default, so that one DN is
        2.5 e- and the read noise spans 0.8 DN (see Notes).
    adc_bits : int
        ADC resolution, 1..16 bits; 12 by default.
    black_level_dn : int
        Offset added before the ADC, DN, in [0, 2**adc_bits - 1).
    cfa : None or {"RGGB", "BGGR", "GRBG", "GBRG"}
        Bayer pattern; ``None`` for a monochrome sensor.
    adc_inl_lsb : float
        Peak integral non-linearity of the ADC, LSB (a bow, largest mid-scale).
    adc_dnl_lsb : float
        RMS differential non-linearity of the ADC, LSB, in [0, 1]; the code
        widths are fixed per Sensor instance.

    Notes
    -----
    The defaults are one consistent operating point, chosen so that the
    EMVA 1288 measurements of :func:`analogfe.sensor.characterize` recover
    every configured quantity (K, read noise, DSNU, PRNU, dark current and
    full well within 1 % on a QVGA frame; tested within 5 %):

    * the electron-domain values (10,000 e- full well, 2 e- read noise, 1 e-
      DSNU, 1 % PRNU, 5 e-/s dark current) are typical round figures of a
      small-pixel CMOS image sensor, not the figures of one datasheet;
    * K = 0.4 DN/e- puts the read noise at 0.8 DN and the DSNU at 0.4 DN:
      the temporal noise dithers the quantiser, so the standard's
      ``1/12`` DN^2 quantisation correction holds and averaged dark frames
      resolve the offsets; with 1 DN = 10 e- (the ``"quantisation-limited"``
      preset) both sit below one step and EMVA 1288 reports no read noise and
      a DSNU 69 % low;
    * 12 bits with a black level of 64 DN reach the ADC's top code (4095 DN)
      above the full well (64 + 0.4 x 10,000 = 4064 DN), so the charge
      clips, not the converter.

    :data:`SENSOR_PRESETS` names the earlier default (0.1 DN/e-, 10 bits) as
    ``"quantisation-limited"``; ``SensorConfig.from_dict({"preset": name,
    ...})`` and a ``preset`` key in a configuration's ``[sensor]`` table start
    from a preset.
    """

    height: int = 240
    width: int = 320
    full_well_e: float = 10000.0
    read_noise_e: float = 2.0
    dark_current_e_per_s: float = 5.0
    prnu: float = 0.01
    dsnu_e: float = 1.0
    gain_dn_per_e: float = 0.4
    adc_bits: int = 12
    black_level_dn: int = 64
    cfa: str | None = None
    adc_inl_lsb: float = 0.0
    adc_dnl_lsb: float = 0.0

    def __post_init__(self):
        check_int(self.height, "height", low=1, high=1 << 16)
        check_int(self.width, "width", low=1, high=1 << 16)
        check_float(self.full_well_e, "full_well_e", low=0.0, low_open=True)
        check_float(self.read_noise_e, "read_noise_e", low=0.0)
        check_float(self.dark_current_e_per_s, "dark_current_e_per_s", low=0.0)
        check_float(self.prnu, "prnu", low=0.0, high=0.999)
        check_float(self.dsnu_e, "dsnu_e", low=0.0)
        check_float(self.gain_dn_per_e, "gain_dn_per_e", low=0.0, low_open=True)
        bits = check_int(self.adc_bits, "adc_bits", low=1, high=16)
        black = check_int(self.black_level_dn, "black_level_dn", low=0, high=2**16 - 2)
        if black > 2**bits - 2:
            # the black level must leave at least one code above it: name both
            # fields, and what each would need
            need = (black + 1).bit_length()  # smallest b with 2**b - 2 >= black
            raise ValueError(
                f"adc_bits={bits} gives codes 0..{2**bits - 1}, too few for "
                f"black_level_dn={black} (it must be <= 2**adc_bits - 2 = {2**bits - 2}): "
                f"use adc_bits >= {need} or black_level_dn <= {2**bits - 2}")
        if self.cfa is not None:
            check_choice(self.cfa, "cfa", CFA_PATTERNS)
        check_float(self.adc_inl_lsb, "adc_inl_lsb", low=0.0)
        check_float(self.adc_dnl_lsb, "adc_dnl_lsb", low=0.0, high=1.0)

    @property
    def shape(self):
        """``(height, width)``."""
        return (self.height, self.width)

    @property
    def max_dn(self):
        """Largest ADC code, ``2**adc_bits - 1``."""
        return 2**self.adc_bits - 1

    @property
    def saturation_dn(self):
        """DN of a pixel at full well (or the ADC's top code if lower)."""
        return min(self.max_dn, self.black_level_dn + self.gain_dn_per_e * self.full_well_e)

    def to_dict(self):
        """Plain dict of the fields (JSON-serialisable)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d):
        """Build from a dict; an unknown key raises ValueError listing the valid ones.

        A ``"preset"`` key names a base in :data:`SENSOR_PRESETS`; the
        other keys change its fields.
        """
        if not isinstance(d, dict):
            raise TypeError(f"d must be a dict, got {type(d).__name__}")
        check_keys(d, [f.name for f in fields(cls)] + ["preset"], "SensorConfig key")
        if "preset" in d:
            d = dict(d)
            name = check_choice(d.pop("preset"), "preset", tuple(SENSOR_PRESETS))
            return SENSOR_PRESETS[name].replace(**d)
        return cls(**d)

    def replace(self, **changes):
        """A copy with some fields changed (validated)."""
        check_keys(changes, [f.name for f in fields(self)], "SensorConfig key")
        return _dc_replace(self, **changes)


#: Named sensor configurations: ``"default"`` (:class:`SensorConfig`'s
#: defaults, an operating point that EMVA 1288 characterisation resolves) and
#: ``"quantisation-limited"``, the default before it (K = 0.1 DN/e-, 10-bit
#: ADC: 1 DN = 10 e-, read noise and DSNU below one step, the ADC's top code
#: at 9,590 e- below the full well), kept to compare with results made on it.
SENSOR_PRESETS = {
    "default": SensorConfig(),
    "quantisation-limited": SensorConfig(gain_dn_per_e=0.1, adc_bits=10),
}


def _adc_thresholds(config, z):
    """Transition levels (DN) of an ADC with INL/DNL, or an empty array if ideal.

    Code k (1..M) starts at ``k - 0.5 + INL(k) + e_k``: a bow
    ``INL(k) = adc_inl_lsb * 4 x (1 - x)``, ``x = (k - 0.5) / M``, plus a
    random offset per transition of std ``adc_dnl_lsb / sqrt(2)`` (so each code
    width, a difference of two such offsets, has DNL std ``adc_dnl_lsb``); the
    levels are kept monotonic.
    """
    if config.adc_inl_lsb == 0.0 and config.adc_dnl_lsb == 0.0:
        return np.empty(0, dtype=np.float64)
    m = config.max_dn
    k = np.arange(1, m + 1, dtype=np.float64)
    x = (k - 0.5) / m
    t = k - 0.5 + config.adc_inl_lsb * 4.0 * x * (1.0 - x)
    t += config.adc_dnl_lsb / math.sqrt(2.0) * z[:m]
    return np.ascontiguousarray(np.maximum.accumulate(t))


#: Fixed-pattern rows drawn per block: the float64 normals of one block are
#: the only float64 temporaries (about 8 MB at 4000 columns).
_PATTERN_BLOCK_PIXELS = 1 << 18


def _fixed_pattern(rng, shape, mean, std, low):
    """``float32(max(mean + std * z, low))`` of an (H, W) frame of standard normals
    ``z`` from ``rng``, drawn in row blocks (``mean`` or ``low`` None: not added,
    not clipped).

    The normals are drawn block by block in row-major order, which consumes
    ``rng`` exactly as one ``rng.standard_normal(shape)`` call and gives the same
    numbers; each block is computed in float64 and rounded to float32 as the
    whole frame would be. Only one block of float64 temporaries exists at a time.
    """
    h, w = shape
    out = np.empty(shape, dtype=np.float32)
    rows = max(1, _PATTERN_BLOCK_PIXELS // w)
    for r0 in range(0, h, rows):
        z = rng.standard_normal((min(rows, h - r0), w))
        z *= std
        if mean is not None:
            z += mean
        if low is not None:
            np.maximum(z, low, out=z)
        out[r0:r0 + z.shape[0]] = z
    return out


class Sensor:
    """One sensor instance: fixed pattern drawn once, temporal noise per frame.

    Parameters
    ----------
    config : SensorConfig, optional
        Default ``SensorConfig()``.
    seed : None, int or numpy.random.Generator
        The fixed pattern (PRNU, DSNU, ADC transfer curve) is drawn from it
        first; every later frame draws its own 64-bit seed for the kernel's
        generators from it (one stream per block of 32 rows, seeded from the
        frame seed and the block index). Same seed -> same pattern and same
        frames, whatever the number of threads.

    Attributes
    ----------
    config : SensorConfig
    seed : None, int or numpy.random.Generator
    prnu_gain : (H, W) ndarray, float32
        Fixed relative pixel gain, mean 1, std ``config.prnu`` (clipped >= 0).
    dsnu_offset_e : (H, W) ndarray, float32
        Fixed offset of the readout chain (the DSNU), electrons, std
        ``config.dsnu_e``; added by :meth:`readout`.
    adc_thresholds_dn : (M,) ndarray, float64
        ADC transition levels; empty for an ideal ADC.

    All five are read-only (the arrays are not writeable): the kernels index
    the pattern arrays with the config's shape. Build a new Sensor to change
    one.

    Examples
    --------
    >>> import numpy as np
    >>> s = Sensor(SensorConfig(height=4, width=6), seed=0)
    >>> dn = s.readout(s.expose(np.full((4, 6), 0.5, np.float32)))
    >>> dn.dtype, dn.shape
    (dtype('uint16'), (4, 6))
    """

    def __init__(self, config=None, seed=0):
        if config is None:
            config = SensorConfig()
        if not isinstance(config, SensorConfig):
            raise TypeError(f"config must be a SensorConfig, got {type(config).__name__}")
        rng = as_generator(seed)
        self._config = config
        self._seed = seed
        # Draw order is fixed (gain, offset, ADC) so one setting never shifts another.
        self._prnu_gain = _fixed_pattern(rng, config.shape, 1.0, config.prnu, 0.0)
        self._dsnu_offset_e = _fixed_pattern(rng, config.shape, None, config.dsnu_e, None)
        z_adc = rng.standard_normal(2**config.adc_bits - 1)
        self._adc_thresholds_dn = _adc_thresholds(config, z_adc)
        self._lock()
        self._prnu_max = float(self._prnu_gain.max())
        self._rng = rng

    # The config and the fixed pattern are read-only: the kernels index the
    # pattern arrays with the config's shape, so a replaced config or array
    # (or an array resized in place) would make them read out of bounds.
    # A changed sensor is a new Sensor.
    @property
    def config(self):
        """The :class:`SensorConfig` (read-only; build a new Sensor to change it)."""
        return self._config

    @property
    def seed(self):
        """The ``seed`` the sensor was built with (read-only)."""
        return self._seed

    @property
    def prnu_gain(self):
        """(H, W) float32 fixed relative pixel gain (read-only array)."""
        return self._prnu_gain

    @property
    def dsnu_offset_e(self):
        """(H, W) float32 fixed readout offset (DSNU), electrons (read-only array)."""
        return self._dsnu_offset_e

    @property
    def adc_thresholds_dn(self):
        """(M,) float64 ADC transition levels, empty for an ideal ADC (read-only array)."""
        return self._adc_thresholds_dn

    def _lock(self):
        for a in (self._prnu_gain, self._dsnu_offset_e, self._adc_thresholds_dn):
            a.flags.writeable = False

    def with_noise_seed(self, seed):
        """A sensor with this one's fixed pattern and fresh temporal noise.

        The copy's frames are those that ``Sensor(self.config, seed)`` would
        give, so a front end object and its name emulate alike (see
        :func:`analogfe.frontend.emulate`); the fixed pattern (PRNU, DSNU,
        ADC levels) stays this sensor's.

        Parameters
        ----------
        seed : None, int or numpy.random.Generator

        Returns
        -------
        Sensor
        """
        new = Sensor(self._config, seed=seed)
        new._prnu_gain, new._dsnu_offset_e = self._prnu_gain, self._dsnu_offset_e
        new._adc_thresholds_dn, new._prnu_max = self._adc_thresholds_dn, self._prnu_max
        return new

    def __setstate__(self, state):
        # pickle and deepcopy rebuild the arrays writeable: lock them again
        self.__dict__.update(state)
        self._lock()

    def __repr__(self):
        return f"Sensor({self.config!r}, seed={self.seed!r})"

    def _check_pattern(self):
        """The fixed pattern still matches the config (the kernels trust it)."""
        c = self._config
        for name, a in (("prnu_gain", self._prnu_gain), ("dsnu_offset_e", self._dsnu_offset_e)):
            if a.shape != c.shape or a.dtype != np.float32 or not a.flags.c_contiguous:
                raise ValueError(
                    f"{name} must be a C-contiguous float32 {c.shape} array for this "
                    f"sensor's config, got {a.dtype} {a.shape}")

    def _frame_seeds(self, n):
        """(n,) uint64 frame seeds: the same numbers as n draws of one seed each."""
        return self._rng.integers(0, 2**64, size=n, dtype=np.uint64)

    def _check_frames(self, arr, name):
        """float32 C-contiguous frames of this sensor's shape, finite and >= 0.

        Returns ``(frames, maximum)``. The value checks are one min and one max
        reduction (NaN propagates through both, an infinity shows in one),
        instead of a separate finiteness pass.
        """
        c = self.config
        a = check_array(arr, name, ndim=(2, 3), kinds="f", dtype=np.float32,
                        finite=False, nonnegative=False)
        if a.shape[-2:] != c.shape:
            raise ValueError(
                f"{name} must be ({c.height}, {c.width}) or (N, {c.height}, {c.width}) "
                f"for this sensor, got shape {a.shape}"
            )
        lo, hi = float(a.min()), float(a.max())
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise ValueError(f"{name} contains NaN or infinity")
        if lo < 0.0:
            raise ValueError(f"{name} must be non-negative, minimum is {lo}")
        return a, hi

    def expose(self, scene, signal_e=2000.0, exposure_s=0.033, *, n_threads=None):
        """Photons -> electrons for one frame or a stack.

        Parameters
        ----------
        scene : (H, W) or (N, H, W) ndarray, float
            Linear relative irradiance >= 0 (e.g. :func:`analogfe.scene.unprocess`
            output); 1.0 gives ``signal_e`` electrons on average.
        signal_e : float or (N,) array_like
            Mean photo-electrons of a scene value of 1.0 in this exposure
            (see :func:`electrons_from_lux`), one for all frames or one per
            frame (e.g. chosen by :class:`analogfe.sensor.AutoExposure`).
        exposure_s : float or (N,) array_like
            Exposure (integration) time, seconds, in ``[0, MAX_EXPOSURE_S]``
            (one hour); scales the dark current. One for all frames or one
            per frame.
        n_threads : int >= 1, optional
            Threads sharing the blocks of rows of all frames; default every
            free core (``OMP_NUM_THREADS`` when set). The
            result is the same bits for any number (each block of 32 rows of
            a frame has its own random stream). In a process forked from
            another (multiprocessing's ``"fork"`` start method) one thread is
            used whatever is asked: the OpenMP runtime of GCC would hang there.

        Returns
        -------
        electrons : ndarray, float32, shape of ``scene``
            ``min(Poisson(scene * signal_e * prnu_gain + dark_current * t),
            full_well_e)``: the charge, without the DSNU (an offset of the
            readout, added by :meth:`readout`).

        Raises
        ------
        ValueError
            Shape not (H, W) of the config, empty, NaN/inf or negative scene,
            negative ``signal_e``, ``exposure_s`` outside ``[0, MAX_EXPOSURE_S]``,
            either not one per frame, or a mean above 1e15 electrons per
            pixel; ``n_threads`` below 1.
        TypeError
            Non-float scene; a non-integer ``n_threads``.
        """
        from .._ext import _sensor

        c = self.config
        scene, scene_max = self._check_frames(scene, "scene")
        n = 1 if scene.ndim == 2 else scene.shape[0]
        signal_e = _per_frame(signal_e, "signal_e", n, 0.0, math.inf)
        # a physical range first, so an absurd exposure is blamed, not signal_e
        exposure_s = _per_frame(exposure_s, "exposure_s", n, 0.0, MAX_EXPOSURE_S)
        self._check_pattern()
        dark = c.dark_current_e_per_s * exposure_s
        peak = scene_max * (signal_e.max() if n else 0.0) * self._prnu_max + (
            dark.max() if n else 0.0)
        if peak >= _sensor.MAX_MEAN_E:
            raise ValueError(
                f"scene * signal_e (+ dark current) reaches {peak:.3g} electrons per pixel; "
                f"the model accepts means below {_sensor.MAX_MEAN_E:.0e}: lower signal_e "
                "or scale the scene")
        n_threads = resolve_threads(n_threads, work=scene.size)
        frames = scene.reshape((-1,) + c.shape)
        out = np.empty(frames.shape, dtype=np.float32)
        # the whole stack in one call: one seed per frame, in frame order
        _sensor.expose(frames, self.prnu_gain, signal_e, dark, float(c.full_well_e),
                       self._frame_seeds(frames.shape[0]), out, n_threads)
        return out.reshape(scene.shape)

    def readout(self, electrons, gain=1.0, *, n_threads=None):
        """Electrons -> digital numbers: DSNU, read noise, gain K, black level, ADC.

        Parameters
        ----------
        electrons : (H, W) or (N, H, W) ndarray, float
            From :meth:`expose` (>= 0).
        gain : float or (N,) array_like
            Analog gain ``g`` in ``[1, MAX_ANALOG_GAIN]`` in front of the ADC
            (e.g. chosen by :class:`analogfe.sensor.AutoExposure`), one for
            all frames or one per frame: it multiplies the conversion gain,
            ``K = g * gain_dn_per_e``, so the charge, the DSNU offset and the read
            noise are amplified together (the input-referred read noise
            stays ``read_noise_e``) and only the ADC step shrinks relative to
            the signal. The black level is not amplified.
        n_threads : int >= 1, optional
            As for :meth:`expose`: default every core, the same bits for any
            number.

        Returns
        -------
        dn : ndarray, uint16, same shape
            ``ADC((e + dsnu_offset_e + read_noise_e * N(0, 1)) * g * gain_dn_per_e
            + black_level_dn)`` in ``[0, 2**adc_bits - 1]``; the ideal ADC
            rounds half up. The DSNU offset is per pixel and fixed, the read
            noise new on every frame.

        Raises
        ------
        ValueError
            As :meth:`expose` for ``electrons`` and ``n_threads``; a ``gain``
            outside ``[1, MAX_ANALOG_GAIN]`` or not one per frame.
        TypeError
            A non-float ``electrons``; a non-integer ``n_threads``.
        """
        from .._ext import _sensor

        c = self.config
        e, _ = self._check_frames(electrons, "electrons")
        self._check_pattern()
        frames = e.reshape((-1,) + c.shape)
        k = float(c.gain_dn_per_e) * _check_gain(gain, frames.shape[0])
        n_threads = resolve_threads(n_threads, work=frames.size)
        out = np.empty(frames.shape, dtype=np.uint16)
        _sensor.readout(frames, self.dsnu_offset_e, float(c.read_noise_e), k,
                        float(c.black_level_dn), self.adc_thresholds_dn, c.max_dn,
                        self._frame_seeds(frames.shape[0]), out, n_threads)
        return out.reshape(e.shape)

    def capture(self, scene, signal_e=2000.0, exposure_s=0.033, gain=1.0, *, n_threads=None):
        """``readout(expose(scene, signal_e, exposure_s), gain)``: scene -> uint16 DN
        (``n_threads`` for both)."""
        return self.readout(self.expose(scene, signal_e=signal_e, exposure_s=exposure_s,
                                        n_threads=n_threads),
                            gain=gain, n_threads=n_threads)


#: Largest analog gain :meth:`Sensor.readout` accepts (60 dB, beyond any
#: image sensor's programmable gain amplifier).
MAX_ANALOG_GAIN = 1024.0


def _per_frame(value, name, n, low, high):
    """(n,) float64 values in ``[low, high]`` from a scalar or an (n,) array."""
    if np.ndim(value) == 0:
        v = np.full(n, check_float(value, name))
    else:
        v = check_array(value, name, ndim=1, kinds="iuf", dtype=np.float64)
    if v.shape[0] != n:
        raise ValueError(f"{name} must be a scalar or one value per frame ({n}), "
                         f"got {v.shape[0]} values")
    if v.size and not (low <= v.min() and v.max() <= high):
        raise ValueError(f"{name} must lie in [{low:g}, {high:g}], got "
                         f"{v.min():g} .. {v.max():g}")
    return np.ascontiguousarray(v)


def _check_gain(gain, n):
    """(n,) float64 gains in ``[1, MAX_ANALOG_GAIN]`` from a scalar or an (n,) array."""
    return _per_frame(gain, "gain", n, 1.0, MAX_ANALOG_GAIN)


def electrons_from_lux(lux, f_number, pixel_pitch_um, quantum_efficiency, exposure_s,
                       reflectance=1.0):
    """Mean photo-electrons per pixel from scene illuminance (the ``signal_e``).

    A Lambertian scene of illuminance E and reflectance R seen through an f/N
    lens gives a sensor-plane illuminance of about ``E R / (4 N^2)``; at 555 nm
    1 lux is 1/683 W/m^2, about 4.09e15 photons/(s m^2). Electrons =
    photons/(s m^2) x pixel area x QE x exposure time.

    Parameters
    ----------
    lux : float
        Scene illuminance E, lux (office ~500, overcast day ~1e4).
    f_number : float
        Lens f-number N (> 0).
    pixel_pitch_um : float
        Pixel pitch, micrometres (the log-gradient imager: 5 um).
    quantum_efficiency : float
        QE in (0, 1].
    exposure_s : float
        Exposure time, seconds.
    reflectance : float
        Scene reflectance R in [0, 1]; 1.0 makes ``signal_e`` the electrons of
        a white (R = 1) surface.

    Returns
    -------
    signal_e : float
        Mean electrons per pixel.

    Examples
    --------
    >>> round(electrons_from_lux(100.0, 2.0, 5.0, 0.5, 0.01))
    3196
    """
    lux = check_float(lux, "lux", low=0.0)
    f_number = check_float(f_number, "f_number", low=0.0, low_open=True)
    pitch = check_float(pixel_pitch_um, "pixel_pitch_um", low=0.0, low_open=True)
    qe = check_float(quantum_efficiency, "quantum_efficiency", low=0.0, high=1.0)
    exposure_s = check_float(exposure_s, "exposure_s", low=0.0)
    reflectance = check_float(reflectance, "reflectance", low=0.0, high=1.0)
    plane_lux = lux * reflectance / (4.0 * f_number**2)
    area_m2 = (pitch * 1e-6) ** 2
    return plane_lux * PHOTONS_PER_LUX_S_M2 * area_m2 * qe * exposure_s
