"""The analog log-gradient front end.

:class:`LogGradientFrontEnd` takes the electrons of
:meth:`analogfe.sensor.Sensor.expose` (the analog domain): k x k charge
binning per scale (:func:`bin_image`, the analog cyclic row buffers of the
log-gradient sensor), then the log-ratio converter of
:mod:`analogfe.frontend.converter` on neighbour pairs: int8 codes ``dx``,
``dy`` per scale (:class:`~analogfe.frontend.GradientCodes`). It knows what
it sends off chip (:meth:`~LogGradientFrontEnd.bits_per_frame`) and what the
conversion costs (:meth:`~LogGradientFrontEnd.operation_counts`), so the
cost model never guesses.

References
----------
C. Young, A. Omid-Zohoor, P. Lajevardi, B. Murmann, "A Data-Compressive
1.5/2.75-bit Log-Gradient QVGA Image Sensor With Multi-Scale Readout for
Always-On Object Detection", IEEE JSSC 54(11):2932-2946, 2019.
doi:10.1109/JSSC.2019.2937437
"""
from __future__ import annotations

import copy
import math

import numpy as np

from .._ext import _binning, _logratio, _pyramid, _sensor
from .._threads import resolve_threads
from .._validation import (
    as_generator,
    check_array,
    check_choice,
    check_float,
    check_int,
    check_ints,
    finite_peak,
)
from ..scene.cfa import CFA_PATTERNS
from ._frozen import Frozen
from .codes import PAIRS, GradientCodes
from .converter import (
    EPS,
    LN8,
    check_ratio_thresholds,
    formula_thresholds_ln,
    levels_for_bits,
    quantiser_scale,
)
from .packing import default_packing, get_packing, pack_parts, packed_bits, unpack_codes

__all__ = ['bin_image', 'LogGradientFrontEnd']

#: Largest pixel read noise accepted, electrons (real pixels: about 1 to 100).
MAX_READ_NOISE_E = 1e6
#: Largest standard deviation of a converter offset, noise or threshold error,
#: nepers: far beyond the +-ln 8 (2.08) range of the converter, where every
#: code is already random.
MAX_CONVERTER_ERROR_LN = 10.0


#: Binning costs 0.2-0.3 ns a pixel on one thread (VGA, 12 MP), a fifth or
#: less of the front end's or the ISP's cost, for which
#: :data:`analogfe._threads.MIN_PIXELS_PER_THREAD` was set: its default
#: thread count counts a pixel as an eighth. A VGA frame then bins on one
#: thread; on two idle cores two threads took 1.75x one thread's 0.06 ms
#: there, the wake-up of the second outweighing its share of the work.
_BINNING_WORK_PER_PIXEL = 8


def bin_image(image, k, *, n_threads=None):
    """k x k charge binning: the mean of each k x k block (the analog row buffers).

    Parameters
    ----------
    image : (H, W) or (N, H, W) array_like, float
        Electrons (or any linear quantity).
    k : int >= 1
        Bin size; rows and columns beyond a multiple of ``k`` are dropped.
    n_threads : int >= 1, optional
        Threads sharing the output rows (of all frames of a stack); default
        every core that other work leaves free (``OMP_NUM_THREADS`` when set).
        The result is the same for any number. In a process forked from
        another (multiprocessing's ``"fork"`` start method) one thread is
        used whatever is asked: the OpenMP runtime of GCC would hang there.

    Returns
    -------
    binned : (H // k, W // k) or (N, H // k, W // k) ndarray, float32
        Summed in float64 (in row-major order within each block) and stored
        in float32.

    Raises
    ------
    ValueError
        NaN, infinity or values beyond the float32 range in ``image`` (the
        dropped rows and columns included); ``k`` below 1 or larger than the
        image; ``n_threads`` below 1.
    TypeError
        A non-numeric or boolean ``image``, a non-integer ``k`` or ``n_threads``.
    """
    # The NaN / infinity check is left to the kernel, which sees every value
    # anyway (one pass over the image instead of three); errors still come in
    # the order image, k, n_threads.
    x = check_array(image, "image", ndim=(2, 3), kinds="iuf", dtype=np.float32, finite=False)
    try:
        k = check_int(k, "k", low=1)
        if x.shape[-1] < k or x.shape[-2] < k:
            raise ValueError(f"k={k} is larger than the image {x.shape[-2:]}")
        n_threads = resolve_threads(n_threads, work=x.size // _BINNING_WORK_PER_PIXEL)
    except (TypeError, ValueError):
        _check_finite(x, image)
        raise
    x3 = x[None] if x.ndim == 2 else x
    if k == 1:
        _check_finite(x, image)
        out = x3
    else:
        out = np.empty((x3.shape[0], x3.shape[1] // k, x3.shape[2] // k), dtype=np.float32)
        if _binning.bin_mean(x3, k, out, min(n_threads, out.shape[0] * out.shape[1])):
            _check_finite(x, image)  # raises, naming the cause
    return out[0] if x.ndim == 2 else out


def _seeds(seed):
    """The seeds of the fixed pattern (offsets, mismatch) and the temporal
    noise generator of a front end built with ``seed``."""
    ss = np.random.SeedSequence(as_generator(seed).integers(2**63))
    fixed = ss.spawn(2)
    return fixed, np.random.default_rng(ss.spawn(1)[0])


def _check_finite(x, image):
    """Raise check_array's error if the float32 ``x`` (converted from ``image``)
    holds NaN or infinity: "contains NaN or infinity", or "values beyond the
    float32 range" when ``image`` itself is finite."""
    finite_peak(x, "image", source=np.asarray(image))


def _check_electrons(electrons, values=True):
    """``electrons`` as float32 (H, W) or (N, H, W); with ``values`` also
    free of NaN, infinity and negative charge (else ValueError naming it)."""
    return check_array(electrons, "electrons", ndim=(2, 3), kinds="iuf", dtype=np.float32,
                       finite=values, nonnegative=values)


def _empty_plane(x, k):
    """An empty (N, H//k, W//k) float32 plane for ``x`` binned k x k."""
    return np.empty((x.shape[0], x.shape[1] // k, x.shape[2] // k), dtype=np.float32)


def _bin(x, k, n_threads=1):
    """(N, H, W) float32 contiguous -> (N, H//k, W//k) float32 (trusted input)."""
    if k == 1:
        return x
    out = _empty_plane(x, k)
    _binning.bin_mean(x, k, out, min(n_threads, out.shape[0] * out.shape[1]))
    return out


def _scale_planes(x, scales, cfa, n_threads=1):
    """The binned planes of a trusted stack, one per scale.

    Parameters
    ----------
    x : (N, H, W) ndarray, float32, C-contiguous
        Electrons, valid (not checked here).
    scales : sequence of int
        Bin factors; each must leave a plane of at least one super-pixel.
    cfa : bool
        Bin each 2x2 quad first (the base of a Bayer stack).
    n_threads : int >= 1

    Returns
    -------
    planes : list of (N, H_s, W_s) ndarray, float32
        In the order of ``scales``.
    base_width : int
        Width of the base (quads on a Bayer stack), which the fixed pattern
        of the converters is drawn for.
    clean : bool
        False when the one pass that bins k = 2 and 4 together (used without
        ``cfa``) met a NaN, infinite or negative value.
    """
    planes, clean = {}, True
    if not cfa and 2 in scales and 4 in scales:
        planes[2], planes[4] = _empty_plane(x, 2), _empty_plane(x, 4)
        clean = not _binning.bin_mean_2_4(x, planes[2], planes[4],
                                          min(n_threads, x.shape[0] * (x.shape[1] // 4 + 1)))
    base = _bin(x, 2, n_threads) if cfa else x
    for k in scales:
        if k not in planes:
            planes[k] = _bin(base, k, n_threads)
    return [planes[k] for k in scales], base.shape[2], clean


def _ideal_codes(plane, t_ln, formula_scale, *, full_well_e, eps, centred, n_threads=1):
    """Codes of an ideal converter (no offset, noise or mismatch) on a trusted plane.

    Parameters
    ----------
    plane : (N, H, W) ndarray, float32, C-contiguous
        Binned electrons.
    t_ln : (m,) ndarray, float64, C-contiguous
        Ascending decision thresholds, nepers.
    formula_scale : float or None
        ``s`` of the formula quantiser (its thresholds are ``t_ln``); None
        for the threshold quantiser on ``t_ln``.
    full_well_e, eps : float
    centred : bool
    n_threads : int >= 1

    Returns
    -------
    dx, dy : (N, H, W) ndarray, int8
    """
    dx = np.empty(plane.shape, dtype=np.int8)
    dy = np.empty(plane.shape, dtype=np.int8)
    if formula_scale is not None:
        _logratio.codes_batch(plane, full_well_e, eps, LN8, formula_scale, t_ln.size, centred,
                              dx, dy, n_threads)
    elif t_ln.max() <= LN8:
        # decided on ratios as the formula (a threshold above the clip is
        # never reached by a clipped difference, but would be by a ratio)
        _logratio.codes_batch(plane, full_well_e, eps, LN8, 0.0, t_ln.size, centred, dx, dy,
                              n_threads, thresholds_ln=t_ln)
    else:
        n, h, w = plane.shape
        thr = np.ascontiguousarray(np.broadcast_to(t_ln, (4, w, t_ln.size)))
        _logratio.codes_thresholds_batch(plane, full_well_e, eps, LN8, centred,
                                         np.zeros((n, 2, h, w)), thr, dx, dy, n_threads)
    return dx, dy


def _pyramid_takes(scales, t_ln, formula_scale, full_well_e, eps):
    """True when :func:`_pyramid_codes` takes this ideal converter: 1 or 3
    levels per side (the formula, or thresholds up to the clip), at most
    ``MAX_SCALES_`` scales stepping by at most ``MAX_STEP_`` rows."""
    return (len(scales) <= _pyramid.MAX_SCALES_ and _pyramid.step_of(scales) <= _pyramid.MAX_STEP_
            and (formula_scale is not None or t_ln.max() <= LN8)
            and _pyramid.takes(full_well_e, eps, t_ln.size))


def _pyramid_codes(x, scales, cfa, t_ln, formula_scale, *, full_well_e, eps, centred,
                   check, n_threads=1):
    """Codes of every scale of an ideal converter in one pass over a trusted
    stack (``ext/_pyramid.pyx``: binning and conversion fused over row blocks),
    for a converter that :func:`_pyramid_takes`.

    Parameters are those of :func:`_scale_planes` and :func:`_ideal_codes`;
    ``check`` tests every value of ``x`` on the way.

    Returns
    -------
    dxs, dys : lists of (N, H_s, W_s) ndarray, int8
        In the order of ``scales``.
    bad : bool
        ``check`` and a value of ``x`` is NaN, infinite or negative.
    """
    n, h, w = x.shape
    hb, wb = (h // 2, w // 2) if cfa else (h, w)
    # one allocation for every output: after the first call of a size, glibc
    # keeps it in its heap instead of returning it to the system and faulting
    # fresh pages in on the next call (a quarter of the time at 12 MP)
    shapes = [(n, hb // k, wb // k) for k in scales] * 2
    buf = np.empty(sum(a * b * c for a, b, c in shapes), dtype=np.int8)
    views, start = [], 0
    for shape in shapes:
        size = shape[0] * shape[1] * shape[2]
        views.append(buf[start:start + size].reshape(shape))
        start += size
    dxs, dys = views[:len(scales)], views[len(scales):]
    bad = _pyramid.codes_pyramid(x, list(scales), cfa, full_well_e, eps, LN8,
                                 0.0 if formula_scale is None else formula_scale, t_ln.size,
                                 centred, dxs, dys, n_threads,
                                 thresholds_ln=None if formula_scale is not None else t_ln,
                                 check=check)
    return dxs, dys, bad


class LogGradientFrontEnd(Frozen):
    """The analog log-gradient front end: binning + log-ratio converter.

    Electrons are binned k x k per scale (the mean, as the sensor's analog
    cyclic row buffers average charge), turned into linear intensity
    ``I = electrons / full_well_e`` and converted on neighbour pairs by the
    log-ratio converter (:mod:`analogfe.frontend.converter`)::

        L = ln(I + eps);  dx = L[y, x+1] - L[y, x-1];  dy = L[y+1, x] - L[y-1, x]
        q = round(clip(d, -ln 8, ln 8) * (2**(b-1) - 0.5 - 1e-4) / ln 8)

    With every non-ideality off, the codes equal this formula of the released
    log-HOG code exactly (float64, C library ``log``, ``round`` half away
    from zero). The kernel decides on pixel ratios, as the sensor's
    ratio-to-digital converter does (in float32, redone in float64 near a
    threshold), and evaluates the log only within 1e-9 of a decision
    threshold (see ``ext/_logratio.pyx``). With an ideal converter of 1 or
    3 levels per side (1.5 and 2.75 bit, or such thresholds) it bins and
    converts every scale in one pass over the frame, a few rows at a time,
    so a large frame is read from memory once (``ext/_pyramid.pyx``); the
    codes are those of binning each scale first, bit for bit.

    **Colour.** On a Bayer sensor (``cfa`` set) each 2x2 quad (R, G, G, B) is
    first binned to one value: colour is discarded and the quad is the unit
    pixel (an odd last row/column is dropped). ``scales`` then count quads:
    scale 1 is (H // 2, W // 2), scale 2 bins 2x2 quads, and so on.

    **Borders.** Every scale's ``dx`` and ``dy`` have the binned shape
    (H_s, W_s) = (H // k, W // k). A code whose pair leaves the image is 0 and
    is not converted or sent off chip: centred pairs leave the first and last
    column of ``dx`` and the first and last row of ``dy`` at 0; adjacent pairs
    (``dx = L[y, x+1] - L[y, x]``) leave the last column / row at 0.

    Parameters
    ----------
    bits : {2, 3}
        ``b`` of the formula: 2 -> 3 levels (1.5 bit), 3 -> 7 levels (2.75 bit).
        Ignored when ``thresholds`` is given.
    scales : sequence of int
        Distinct bin factors >= 1, e.g. (1, 2, 4); one scale is ``(k,)``.
    thresholds : sequence of float, optional
        Ascending ratio thresholds in (1, 8] instead of the formula; ``m``
        thresholds give ``2m + 1`` levels.
    pairs : {"centred", "adjacent"}
    packing : str, optional
        How codes leave the chip, a name in :data:`analogfe.PACKINGS`
        (e.g. ``"2bit"``, ``"base3-5in8"``); default the narrowest fixed width.
    full_well_e : float
        Electrons that map to intensity 1.0 (the sensor's full well).
    cfa : None or {"RGGB", "BGGR", "GRBG", "GBRG"}
    eps : float
        Offset inside the log, intensity units (1e-4 in the released code).
    read_noise_e : float
        Std of temporal Gaussian pixel read noise (source follower, after
        correlated double sampling), electrons, added to every pixel before
        binning and clipped at 0; 0 to 1e6. 0 by default;
        :func:`make_frontend` sets it to the sensor's ``read_noise_e``.
    comparator_offset_ln : float
        Std of a fixed offset per column converter (one for dx, one for dy),
        natural-log units (nepers; 0.01 is about a 1 % ratio error); 0 to 10.
    comparator_noise_ln : float
        Std of temporal Gaussian noise added to each decision, new every
        frame; 0 to 10.
    threshold_mismatch_ln : float
        Std of a fixed error of each threshold of each column converter; 0 to 10.
    seed : None, int or numpy.random.Generator
        Draws the fixed pattern (offsets, mismatch) and the temporal noise.

    Notes
    -----
    A super-pixel at scale k, column x, uses the converter of its first
    sensor column (x * k, counted in quads on a Bayer sensor); the fixed
    offsets and mismatch of a column do not depend on the image width.
    With any non-ideality on, the formula's decision thresholds
    (:func:`analogfe.formula_thresholds_ln`) are compared against
    ``clip(d) + offset + noise``. Converter decisions per code are counted as
    ``ceil(log2(levels))`` (a successive-approximation search over the levels).

    Examples
    --------
    >>> import numpy as np
    >>> fe = LogGradientFrontEnd(bits=2, scales=(1, 2))
    >>> e = np.full((8, 8), 1000.0, np.float32); e[:, 4:] = 4000.0
    >>> out = fe(e)
    >>> out.dx[0][0]
    array([0, 0, 0, 1, 1, 0, 0, 0], dtype=int8)
    """

    def __init__(self, bits=2, scales=(1, 2, 4), thresholds=None, pairs="centred",
                 packing=None, full_well_e=10000.0, cfa=None, *, eps=EPS,
                 read_noise_e=0.0, comparator_offset_ln=0.0, comparator_noise_ln=0.0,
                 threshold_mismatch_ln=0.0, seed=None):
        if thresholds is None:
            self.levels = levels_for_bits(bits)
            self.bits = int(bits)
            self._t_ln = formula_thresholds_ln(bits)
        else:
            self._t_ln = check_ratio_thresholds(thresholds)
            self.levels = 2 * self._t_ln.size + 1
            self.bits = math.ceil(math.log2(self.levels))
        self.thresholds = None if thresholds is None else tuple(np.exp(self._t_ln).tolist())
        self.scales = check_ints(scales, "scales", low=1, distinct=True)
        self.pairs = check_choice(pairs, "pairs", PAIRS)
        self.packing = default_packing(self.levels) if packing is None else packing
        get_packing(self.packing, self.levels)
        self.full_well_e = check_float(full_well_e, "full_well_e", low=0.0, low_open=True)
        self.cfa = None if cfa is None else check_choice(cfa, "cfa", CFA_PATTERNS)
        self.eps = check_float(eps, "eps", low=0.0, low_open=True)
        self.read_noise_e = check_float(read_noise_e, "read_noise_e", low=0.0,
                                        high=MAX_READ_NOISE_E)
        self.comparator_offset_ln = check_float(comparator_offset_ln, "comparator_offset_ln",
                                                low=0.0, high=MAX_CONVERTER_ERROR_LN)
        self.comparator_noise_ln = check_float(comparator_noise_ln, "comparator_noise_ln",
                                               low=0.0, high=MAX_CONVERTER_ERROR_LN)
        self.threshold_mismatch_ln = check_float(threshold_mismatch_ln, "threshold_mismatch_ln",
                                                 low=0.0, high=MAX_CONVERTER_ERROR_LN)
        self._fixed_seeds, self._noise_rng = _seeds(seed)
        self._freeze()

    # ------------------------------------------------------------ naming --
    @property
    def name(self):
        """``"lg1.5"``, ``"lg2.75"`` or ``"lg<levels>L"`` for explicit thresholds."""
        if self.thresholds is None:
            return {3: "lg1.5", 7: "lg2.75"}[self.levels]
        return f"lg{self.levels}L"

    @property
    def ideal(self):
        """True when no non-ideality is on (the exact formula path)."""
        return not (self.comparator_offset_ln or self.comparator_noise_ln
                    or self.threshold_mismatch_ln)

    @property
    def noiseless(self):
        """True when neither the pixels nor the converter add any noise or error."""
        return self.ideal and not self.read_noise_e

    def __repr__(self):
        return (f"LogGradientFrontEnd(name={self.name!r}, scales={self.scales}, "
                f"pairs={self.pairs!r}, packing={self.packing!r}, cfa={self.cfa!r})")

    # ------------------------------------------------------------ shapes --
    def code_shapes(self, height, width):
        """(H_s, W_s) of the codes of each scale for a (height, width) sensor.

        Raises
        ------
        ValueError
            If a scale bins the image to fewer than 3 (centred) or 2 (adjacent)
            super-pixels along an axis.
        """
        height = check_int(height, "height", low=1)
        width = check_int(width, "width", low=1)
        hb, wb = (height // 2, width // 2) if self.cfa else (height, width)
        need = 3 if self.pairs == "centred" else 2
        shapes = []
        for k in self.scales:
            hs, ws = hb // k, wb // k
            if hs < need or ws < need:
                unit = "quads" if self.cfa else "pixels"
                raise ValueError(
                    f"scales: scale {k} bins the {(hb, wb)} {unit} of a {(height, width)} "
                    f"image to {(hs, ws)}; {self.pairs} pairs need at least {need} per axis"
                )
            shapes.append((hs, ws))
        return shapes

    def _interior(self):
        return (slice(1, -1), slice(None)) if self.pairs == "centred" else (slice(0, -1), slice(None))

    def codes_per_frame(self, height, width):
        """Codes the converter produces per frame (border codes excluded)."""
        o = 2 if self.pairs == "centred" else 1
        return sum(hs * (ws - o) + (hs - o) * ws for hs, ws in self.code_shapes(height, width))

    @property
    def comparisons_per_code(self):
        """Converter decisions per code, ``ceil(log2(levels))``."""
        return math.ceil(math.log2(self.levels))

    def bits_per_frame(self, height, width):
        """Bits sent off chip per frame: every converted code in :attr:`packing`
        (one stream per frame, before padding to a whole byte)."""
        return packed_bits(self.codes_per_frame(height, width), self.packing, self.levels)

    def operation_counts(self, height, width):
        """Per-frame work of the front end.

        Returns
        -------
        counts : dict of int
            ``pixels`` (pixels read), ``binned_pixels`` (super-pixels read at
            bin factors > 1, including the Bayer quads), ``linear_adc_conversions``
            and ``linear_adc_bits`` (0: no linear ADC), ``codes``,
            ``log_comparisons`` (codes x decisions per code), ``bits_off_chip``.
        """
        shapes = self.code_shapes(height, width)
        binned = sum(hs * ws for (hs, ws), k in zip(shapes, self.scales) if k > 1 or self.cfa)
        codes = self.codes_per_frame(height, width)
        return {
            "pixels": int(height) * int(width),
            "binned_pixels": binned,
            "linear_adc_conversions": 0,
            "linear_adc_bits": 0,
            "codes": codes,
            "log_comparisons": codes * self.comparisons_per_code,
            "bits_off_chip": self.bits_per_frame(height, width),
        }

    # ----------------------------------------------------- fixed pattern --
    def _fixed(self, index, n_cols, per_col):
        """Fixed standard-normal draws of the first ``n_cols`` columns, (n_cols, per_col);
        column c gets the same values whatever the width asked for."""
        z = np.random.default_rng(self._fixed_seeds[index]).standard_normal(n_cols * per_col)
        return z.reshape(n_cols, per_col)

    def _converter(self, k, w_base, w_s):
        """Per-column thresholds (4, W_s, m) and offsets (2, W_s) at scale k."""
        m = self._t_ln.size
        cols = np.arange(w_s) * k
        thr = np.broadcast_to(self._t_ln, (4, w_s, m)).copy()
        if self.threshold_mismatch_ln:
            mis = self._fixed(1, w_base, 4 * m).reshape(w_base, 4, m)[cols]
            thr += self.threshold_mismatch_ln * mis.transpose(1, 0, 2)
        off = np.zeros((2, w_s))
        if self.comparator_offset_ln:
            off += self.comparator_offset_ln * self._fixed(0, w_base, 2)[cols].T
        return np.ascontiguousarray(thr), off

    # -------------------------------------------------------------- call --
    def with_noise_seed(self, seed):
        """A copy with this front end's fixed pattern and fresh temporal noise.

        The copy's read noise and comparator noise are those that the same
        front end built with ``seed`` would draw, so a front end object and
        its name emulate alike (see :func:`analogfe.frontend.emulate`); the
        offsets and threshold mismatch stay this front end's.
        """
        new = copy.copy(self)
        new._noise_rng = _seeds(seed)[1]
        return new

    def __call__(self, electrons, *, n_threads=None):
        """Convert electrons to codes.

        Parameters
        ----------
        electrons : (H, W) or (N, H, W) array_like, float, >= 0
            From :meth:`analogfe.sensor.Sensor.expose`.
        n_threads : int >= 1, optional
            Threads of the binning and converter kernels (the rows of all
            frames are shared among them); default every core, as for
            :func:`bin_image`. The codes are the same for any number.

        Returns
        -------
        codes : GradientCodes
            ``dx``/``dy`` of shape (H_s, W_s) or (N, H_s, W_s) per scale.
        """
        # One pass (binning and conversion fused, or the binning of k = 2
        # and 4) tests every value (NaN, infinity, negative): then the check
        # below need not scan the frame.
        centred = self.pairs == "centred"
        s = quantiser_scale(self.bits) if self.thresholds is None else None
        pyramid = self.ideal and _pyramid_takes(self.scales, self._t_ln, s, self.full_well_e,
                                                self.eps)
        fused = pyramid or (not self.cfa and 2 in self.scales and 4 in self.scales)
        scan = fused and not self.read_noise_e  # the binning pass tests the input itself
        e = _check_electrons(electrons, values=not scan)
        try:
            n_threads = resolve_threads(n_threads, work=e.size)
            shapes = self.code_shapes(*e.shape[-2:])
        except (TypeError, ValueError):
            if scan:  # the values' own error comes first
                _check_electrons(electrons)
            raise
        x = e[None] if e.ndim == 2 else e
        if self.read_noise_e:
            # the pixel's read noise, from the sensor kernels' streams (one
            # per frame and block of rows, seeded from this front end's noise
            # generator): the same charge whatever the thread count
            noisy = np.empty(x.shape, np.float32)
            seeds = self._noise_rng.integers(0, 2**64, size=x.shape[0], dtype=np.uint64)
            _sensor.pixel_noise(x, float(self.read_noise_e), seeds, noisy, n_threads)
            x = noisy
        if pyramid:
            dxs, dys, bad = _pyramid_codes(
                x, self.scales, self.cfa is not None, self._t_ln, s,
                full_well_e=self.full_well_e, eps=self.eps, centred=centred,
                check=scan, n_threads=n_threads)
        else:
            dxs, dys, bad = self._binned_codes(x, shapes, s, centred, n_threads)
        if bad:
            _check_electrons(electrons)  # raises, naming the cause
        if e.ndim == 2:
            dxs, dys = [dx[0] for dx in dxs], [dy[0] for dy in dys]
        return GradientCodes(dxs, dys, self.scales, self.levels, self.bits, self.pairs)

    def _binned_codes(self, x, shapes, s, centred, n_threads):
        """The codes of a trusted stack from its binned planes (the converters
        that :func:`_pyramid_codes` does not take): lists of (N, H_s, W_s)
        int8 dx and dy, and whether the binning met a NaN, infinite or
        negative value (see :func:`_scale_planes`)."""
        planes, w_base, clean = _scale_planes(x, self.scales, self.cfa is not None, n_threads)
        dxs, dys = [], []
        for k, (hs, ws), plane in zip(self.scales, shapes, planes):
            if self.ideal:
                dx, dy = _ideal_codes(plane, self._t_ln, s, full_well_e=self.full_well_e,
                                     eps=self.eps, centred=centred, n_threads=n_threads)
            else:
                dx = np.empty(plane.shape, dtype=np.int8)
                dy = np.empty(plane.shape, dtype=np.int8)
                thr, off = self._converter(k, w_base, ws)
                pert = np.empty((plane.shape[0], 2, hs, ws))
                pert[:] = off[None, :, None, :]
                if self.comparator_noise_ln:
                    pert += self.comparator_noise_ln * self._noise_rng.standard_normal(pert.shape)
                _logratio.codes_thresholds_batch(plane, self.full_well_e, self.eps, LN8,
                                                 centred, pert, thr, dx, dy, n_threads)
            dxs.append(dx)
            dys.append(dy)
        return dxs, dys, not clean

    # ----------------------------------------------------------- packing --
    def pack(self, codes):
        """Pack the converted codes of one frame (border codes dropped) into bytes.

        Order: for each scale, the interior of ``dx`` then of ``dy``, row-major.

        Returns
        -------
        data : (ceil(bits_per_frame / 8),) uint8
        """
        if not isinstance(codes, GradientCodes):
            raise TypeError(f"codes must be GradientCodes, got {type(codes).__name__}")
        if codes.stacked:
            raise ValueError("codes must hold one frame; pack each of codes.frame(i)")
        if codes.levels != self.levels or codes.pairs != self.pairs:
            raise ValueError("codes were not produced by a front end of this configuration")
        inner, full = self._interior()
        parts = []
        for dx, dy in zip(codes.dx, codes.dy):
            parts.append(dx[full, inner])
            parts.append(dy[inner, full])
        # one stream fed part by part (the same bytes as packing the joined
        # parts, without the copy): the interiors are row-contiguous views
        return pack_parts(parts, get_packing(self.packing, self.levels), self.levels)

    def unpack(self, data, height, width):
        """Inverse of :meth:`pack` for a (height, width) sensor: GradientCodes of one frame."""
        shapes = self.code_shapes(height, width)
        flat = unpack_codes(data, self.packing, self.levels,
                                self.codes_per_frame(height, width))
        inner, full = self._interior()
        dxs, dys, pos = [], [], 0
        for hs, ws in shapes:
            for lst, sl in ((dxs, (full, inner)), (dys, (inner, full))):
                c = np.zeros((hs, ws), dtype=np.int8)
                n = c[sl].size
                c[sl] = flat[pos:pos + n].reshape(c[sl].shape)
                pos += n
                lst.append(c)
        return GradientCodes(dxs, dys, self.scales, self.levels, self.bits, self.pairs)
