"""System cost: I/O bandwidth, memory and energy of a front end + back end.

:func:`cost` adds up, per frame, what a front end (the digital RGB baseline
or the analog log-gradient front end) and a back end (a HOG + linear-SVM
sliding-window detector, a small CNN, or nothing) cost:

========================  ===================================================
component                 model
========================  ===================================================
pixel readout             pixels x ``pixel_readout_pj`` + binned super-pixel
                          reads x ``binned_read_pj`` (multi-scale readout)
linear ADC                conversions x ``FoM_W 2^ENOB`` (Walden)
log-ratio converter       comparator decisions x ``rdc_pj_per_comparison``
                          (a ternary code needs 2, a 7-level code 3)
link                      bits off chip x ``link_pj_per_bit``
ISP compute / line buf.   adds and multiplies per pixel; 3 raw rows buffered
frame buffer              the ISP output written once and read once
HOG compute               FHOG operations per pixel, normalisation per cell
HOG line buffer           2 rows of an 8-bit image (codes need none)
HOG histograms            one cell row of accumulators, a read-modify-write
                          per pixel
detector features         the sliding window's cell rows; every window reads
                          its cells' descriptors
detector weights / MACs   one linear filter per window position
CNN MACs / weights / act  from :func:`analogfe.system.network.model_profile`
========================  ===================================================

Both detect at three scales by default: a digital front end on an image
pyramid (``pyramid_scales``, resampled digitally: filter MACs and a line
buffer are costed), a log-gradient front end at each of the scales it reads
out (binned on the sensor, costed as binned reads).

Every constant is a keyword default (see :class:`CostParams` and
:mod:`analogfe.system.energy`, which gives each one its source) and can be
overridden from Python (``cost(..., link_pj_per_bit=4.0)``) or from a TOML
file (:func:`load_cost_config`). Digital energies come from the 45 nm table of
Horowitz and are moved to another node with :func:`analogfe.system.energy.node_scale`.

HOG descriptor compression (Young et al., JSSC 2019; :func:`hog_compression`):
one 8 x 8 cell of 8-bit pixels is 512 bits. A log-gradient code pair can only
point in a few directions: at 1.5 bits (codes in {-1, 0, 1}) the FHOG
nearest-orientation rule reaches 4 of the 9 unsigned bins (0, 40, 80, 140
degrees), at 2.75 bits all 9. A bin must hold the votes of all 64 pixels of
a cell, each at most the largest L1 magnitude of a code pair (2 at 1.5 b, 6 at
2.75 b), so its word is derived, not chosen: 8 bits at 1.5 b and 9 at 2.75 b
(:func:`analogfe.features.bits.bin_word_bits`). A cell's descriptor is then
4 x 8 = 32 bits (512 / 32 = 16x) or 9 x 9 = 81 bits (6.3x). The paper reports
25x and 9.5x, which need 5- and 6-bit bins (a bin that saturates or drops low
bits; the paper does not say); ``hog_bin_bits=5`` / ``6`` reproduces them.

What the presets reproduce (tests/test_system.py checks each):

- ``jssc2019-1.5b``: sensor + link 98.4 pJ/pixel (paper: 99 pJ/pixel [1];
  the converter's energy per decision is calibrated to it, see
  :data:`analogfe.system.energy.RDC_PJ_PER_COMPARISON`).
- ``conventional``: sensor + link 700 pJ/pixel, of which the ADCs take 84 %
  and the I/O 14 % (published: 0.70 nJ/pixel, 70-85 % and 10-15 % [2]; the
  column ADC FoM is calibrated to it).
- Back-end detection energy (HOG + detector) 3.0x lower with 1.5-bit codes
  than with an 8-bit gray image at QVGA with the paper's compressed
  descriptor (``hog_descriptor="reachable-bins"``) and the derived 8-bit bins
  (paper: an estimated 3.3x [1, 2]; 3.6x with the 5-bit bins its compression
  figure implies). With the 31 FHOG features per cell that the wake-up SVM
  is trained on (the default, ``"fhog"``) the detector's weights and MACs
  are the same for every front end and the back end is 1.1x lower. Assumed: the same streaming FHOG and 16 x 8-cell linear
  detector on both, memories costed by size from the 45 nm table. The
  savings come from what the codes remove: no pixel rows to buffer,
  narrower histogram accumulators, 4 reachable bins instead of 9 (feature
  reads per window, weights, MACs), and no per-pixel orientation
  arithmetic (a table lookup).

References
----------
.. [1] C. Young, A. Omid-Zohoor, P. Lajevardi, B. Murmann, IEEE JSSC
   54(11):2932-2946, 2019. doi:10.1109/JSSC.2019.2937437
.. [2] A. Omid-Zohoor et al., IEEE TCSVT 28(5):1102-1115, 2018.
.. [3] M. Horowitz, ISSCC 2014. doi:10.1109/ISSCC.2014.6757323
.. [4] P. Felzenszwalb et al., "Object detection with discriminatively
   trained part-based models", IEEE TPAMI 32(9), 2010 (FHOG, features.cc).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from .._validation import check_choice, check_float, check_int, check_ints, check_keys
from ..features.bits import bin_word_bits, reachable_bins
from ..frontend.registry import frontend_spec, make_frontend
from ..sensor.model import SensorConfig
from ..system import energy as E
from .params import MAX_COUNT, CostParams
from .result import Component, CostResult

__all__ = ["BACKENDS", "PRESETS", "cost", "cost_preset", "preset_scales", "presets_help"]

COUNT_KEYS = ("pixels", "linear_adc_conversions", "linear_adc_bits", "log_comparisons",
              "binned_pixels", "codes", "bits_off_chip")


# --------------------------------------------------------------------------
# Front ends
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class _FrontEndInfo:
    name: str
    counts: dict
    levels: int | None  # None for a linear (digital) front end
    scales: tuple
    out_bits_per_pixel: float  # digital: bits of the front end's output image per pixel
    own_bits: bool = False  # the link carries bits_off_chip whatever the ISP's place


#: Keys a front end given as a mapping may have besides :data:`COUNT_KEYS`.
MAPPING_KEYS = ("name", "levels", "scales", "channels")
#: Largest per-frame count accepted from a front end (pixels, conversions,
#: bits, comparisons, codes).
MAX_FRAME_COUNT = 1e18
#: Largest frame side, pixels.
MAX_SIDE = 1_000_000
#: Largest frame rate, frames/s.
MAX_FPS = 1e7
#: Largest number of code levels (int8 codes in [-127, 127]).
MAX_LEVELS = 255
#: Linear ADC word length accepted from a front end's counts, bits.
ADC_WORD_BITS = (1, 24)


def _check_levels(levels, name):
    """None, or an odd int in [3, MAX_LEVELS]."""
    if levels is None:
        return None
    levels = check_int(levels, name, low=3, high=MAX_LEVELS)
    if levels % 2 == 0:
        raise ValueError(f"{name} must be odd (codes symmetric about 0), got {levels}")
    return levels


def _frontend_info(frontend, height, width, adc_bits, frontend_kwargs):
    if isinstance(frontend, str):
        cfa = frontend_spec(frontend, "frontend").cfa
        cfg = SensorConfig(height=height, width=width, adc_bits=adc_bits, cfa=cfa)
        frontend = make_frontend(frontend, sensor_config=cfg, **frontend_kwargs)
    else:
        if not isinstance(frontend, Mapping) and not hasattr(frontend, "operation_counts"):
            raise TypeError("frontend must be a front-end name, an object with operation_counts()"
                            f" and bits_per_frame(), or a mapping of counts; got {frontend!r}")
        if frontend_kwargs:
            raise ValueError("frontend_kwargs is only used with a front end given by name")
    if isinstance(frontend, Mapping):
        check_keys(frontend, COUNT_KEYS + MAPPING_KEYS, "frontend key")
        counts = dict(frontend)
        name = counts.pop("name", "custom")
        if not isinstance(name, str):
            raise TypeError(f"frontend['name'] must be a string, got {name!r}")
        levels = _check_levels(counts.pop("levels", None), "frontend['levels']")
        scales = check_ints(counts.pop("scales", (1,)), "frontend['scales']", low=1,
                            high=min(height, width), distinct=True)
        channels = check_int(counts.pop("channels", 1), "frontend['channels']", low=1, high=64)
        where = "frontend"
    else:
        counts = dict(frontend.operation_counts(height, width))
        counts.setdefault("bits_off_chip", frontend.bits_per_frame(height, width))
        name = str(getattr(frontend, "name", type(frontend).__name__))
        levels = _check_levels(getattr(frontend, "levels", None), "frontend.levels")
        scales = check_ints(getattr(frontend, "scales", (1,)), "frontend.scales", low=1,
                            high=min(height, width), distinct=True)
        channels = getattr(frontend, "channels", None)
        if channels is None:
            channels = 3 if getattr(frontend, "output", "gray") == "rgb" else 1
        channels = check_int(channels, "frontend.channels", low=1, high=64)
        where = "operation_counts()"
    missing = [k for k in COUNT_KEYS if k not in counts]
    if missing:
        raise ValueError(f"frontend operation counts lack {', '.join(missing)}; "
                         f"required: {', '.join(COUNT_KEYS)}")
    for k in COUNT_KEYS:
        check_float(counts[k], f"{where}[{k!r}]", low=0.0, high=MAX_FRAME_COUNT)
    conv, adc = counts["linear_adc_conversions"], counts["linear_adc_bits"]
    if conv:
        lo, hi = ADC_WORD_BITS
        if not lo <= adc / conv <= hi:
            raise ValueError(
                f"{where}: linear_adc_bits / linear_adc_conversions is the ADC word, "
                f"{lo} to {hi} bits; got {adc:g} / {conv:g} = {adc / conv:g}")
    elif adc:
        raise ValueError(f"{where}: linear_adc_bits is {adc:g} with no linear_adc_conversions")
    if counts["log_comparisons"] > 0:
        levels = levels if levels is not None else 3
    else:
        levels = None
    return _FrontEndInfo(name, counts, levels, scales, 8.0 * channels,
                         own_bits=_reports_own_bits(frontend))


def _reports_own_bits(frontend):
    """A front-end object other than the standard digital pipeline, or a
    subclass of it that overrides ``bits_per_frame``: its link carries what it
    reports (the standard pipeline with the ISP on the SoC sends raw words)."""
    from ..frontend.digital import DigitalFrontEnd

    if isinstance(frontend, Mapping):
        return False
    if not isinstance(frontend, DigitalFrontEnd):
        return True
    return type(frontend).bits_per_frame is not DigitalFrontEnd.bits_per_frame


def _check_adc(fe, p):
    """The ENOB parameters against the front end's linear ADC word: a
    converter has at most as many effective bits as it has bits."""
    if not fe.counts["linear_adc_conversions"]:
        return
    bits = _adc_word_bits(fe.counts)
    if p.adc_enob is not None:
        if p.adc_enob > bits:
            raise ValueError(f"adc_enob={p.adc_enob:g} exceeds the linear ADC's {bits:g} bits")
    elif bits - p.enob_loss_bits < 1:
        raise ValueError(f"enob_loss_bits={p.enob_loss_bits:g} leaves the {bits:g}-bit linear ADC "
                         f"an ENOB below 1; it must be at most {bits - 1:g}")


def _adc_word_bits(counts):
    """Bits of one linear ADC word (``linear_adc_bits`` is the frame's total)."""
    n = counts["linear_adc_conversions"]
    return counts["linear_adc_bits"] / n if n else 0.0


# --------------------------------------------------------------------------
# The model, one stage at a time; each returns a list of Components.
# --------------------------------------------------------------------------
def _sensor(fe, p):
    c = fe.counts
    out = []
    binned = p.pixel_readout_pj if p.binned_read_pj is None else p.binned_read_pj
    out.append(Component("pixel readout", "sensor",
                         c["pixels"] * p.pixel_readout_pj + c["binned_pixels"] * binned))
    if c["linear_adc_conversions"]:
        enob = p.adc_enob if p.adc_enob is not None else _adc_word_bits(c) - p.enob_loss_bits
        out.append(Component("linear ADC", "sensor",
                             c["linear_adc_conversions"] * E.walden_pj(enob, p.adc_fom_fj),
                             bits=c["linear_adc_bits"]))
    if c["log_comparisons"]:
        out.append(Component("log-ratio converter", "sensor",
                             c["log_comparisons"] * p.rdc_pj_per_comparison, bits=c["log_comparisons"]))
    return out


def _link_bits(fe, p):
    """What crosses the link: the front end's own bits, except that the
    standard 8-bit pipeline with its ISP on the SoC sends its raw ADC words
    (a front end that reports a bit count of its own is costed with it)."""
    c = fe.counts
    if fe.levels is None and p.isp_location == "soc" and not fe.own_bits:
        return c["linear_adc_bits"]
    return c["bits_off_chip"]


class _Tech:
    """The digital energies of one parameter set, scaled to its node."""

    def __init__(self, p):
        self.p = p
        self.scale = E.node_scale(p.node_nm, p.vdd_v)
        self.table = {8 * 1024: p.sram_8kb_pj, 32 * 1024: p.sram_32kb_pj,
                      1024 * 1024: p.sram_1mb_pj}

    def add(self, bits):
        return E.add_pj(bits, self.scale, self.p.add8_pj)

    def mult(self, a, b):
        return E.mult_pj(a, b, self.scale, self.p.mult8_pj)

    def mac(self, a, b):
        return E.mac_pj(a, b, self.scale, self.p.add8_pj, self.p.mult8_pj)

    def mem(self, size_bits):
        return E.memory_pj_per_bit(size_bits, self.scale, self.p.dram_pj_per_64bit, self.table)


def _mem(name, stage, size_bits, traffic_bits, p, t):
    return Component(name, stage, traffic_bits * t.mem(size_bits),
                     bits=traffic_bits, memory_bits=size_bits)


def _isp(fe, height, width, p, t):
    c = fe.counts
    pix = height * width
    ops = pix * (p.isp_adds_per_pixel * t.add(p.isp_word_bits)
                 + p.isp_mults_per_pixel * t.mult(p.isp_word_bits, p.isp_word_bits))
    out = [Component("ISP compute", "ISP", ops)]
    line = p.isp_line_rows * width * _adc_word_bits(c)
    raw = c["linear_adc_bits"]
    out.append(_mem("ISP line buffer", "ISP", line, raw * (1 + p.isp_line_rows), p, t))
    if p.frame_buffer:
        frame = pix * fe.out_bits_per_pixel
        out.append(_mem("frame buffer", "ISP", frame, 2 * frame, p, t))
    return out


@dataclass(frozen=True)
class _HogDesign:
    """What the streaming HOG + linear detector handles per pixel and cell."""

    digital: bool       # 8-bit image (True) or log-gradient codes
    bins: int           # orientation bins in a cell's descriptor
    fbits: int          # bits of one bin (feature word)
    mults: int          # multiplies per pixel
    adds: int           # adds per pixel
    op_bits: int        # word width of the per-pixel operations
    desc_bits: int      # bits of one cell's descriptor
    acc_bits: int       # width of one histogram accumulator
    features: int       # descriptor values per cell (the detector's weights per cell)
    feature_bits: int   # bits of one descriptor value (a MAC operand)


def _hog_design(fe, p):
    """The :class:`_HogDesign` of front end ``fe`` under parameters ``p``."""
    digital = fe.levels is None
    if digital:
        bins, fbits = p.hog_orientations, p.feature_bits
        ch = int(round(fe.out_bits_per_pixel / 8))
        # FHOG (features.cc): per channel 2 differences, |g|^2 (2 mult, 1 add);
        # channel max; 9 dot products (18 mult, 9 add), 8 compares, 1 vote.
        mults, adds, op_bits = 2 * ch + 18, 3 * ch + (ch - 1) + 9 + 8 + 1, 9
    else:
        bins = reachable_bins(fe.levels, p.hog_orientations)
        fbits = p.hog_bin_bits if p.hog_bin_bits is not None \
            else bin_word_bits(fe.levels, p.cell_size)
        # The code pair indexes a levels^2-entry table (bin, L1 magnitude): one
        # lookup and one histogram vote, counted as two adds.
        mults, adds, op_bits = 0, 2, fbits
    if p.hog_descriptor == "fhog":  # what the SVM trains on: 31 FHOG features per cell
        features, feature_bits = 3 * p.hog_orientations + 4, p.feature_bits
    else:                           # the compressed descriptor: one word per reachable bin
        features, feature_bits = bins, fbits
    desc_bits = features * feature_bits
    # Histogram accumulator width: a cell's largest possible vote sum. Digital:
    # L2 magnitude of two 9-bit differences (<= 255 * 2 * sqrt 2); log-gradient:
    # L1 magnitude of a code pair (<= 2 * (levels - 1) / 2).
    max_mag = 255 * 2 * math.sqrt(2.0) if digital else float(fe.levels - 1)
    acc_bits = math.ceil(math.log2(p.cell_size ** 2 * max_mag + 1))
    return _HogDesign(digital, bins, fbits, mults, adds, op_bits, desc_bits, acc_bits, features,
                      feature_bits)


@dataclass
class _Memory:
    """One memory summed over the processed scales: energy (pJ), traffic
    (bits) and size (bits, the largest any scale needs)."""

    energy: float = 0.0
    traffic: float = 0.0
    size: float = 0.0

    def access(self, size_bits, traffic_bits, t):
        """Move ``traffic_bits`` through a memory of ``size_bits``."""
        self.size = max(self.size, size_bits)
        self.traffic += traffic_bits
        self.energy += traffic_bits * t.mem(size_bits)


@dataclass
class _HogSvmCost:
    """Accumulators of :func:`_hog_svm` over the processed scales."""

    hog_compute: float = 0.0  # pJ: per-pixel operations and cell normalisation
    line_buffer: _Memory = field(default_factory=_Memory)  # rows of a digital image
    histograms: _Memory = field(default_factory=_Memory)   # a cell row of accumulators
    features: _Memory = field(default_factory=_Memory)     # the window's cell rows
    weights: _Memory = field(default_factory=_Memory)      # the linear filter
    mac_energy: float = 0.0   # pJ of the detector's MACs
    macs: float = 0.0         # number of detector MACs


def _pyramid(fe, height, width, p, t):
    """The digital image pyramid: every level k > 1 filtered and decimated
    from the image (a separable Gaussian, ``pyramid_macs_per_pixel`` 16-bit
    MACs per output pixel and channel; 5 source rows buffered)."""
    ch = int(round(fe.out_bits_per_pixel / 8))
    levels = [k for k in p.pyramid_scales if k > 1 and height // k and width // k]
    if not levels:
        return []
    px = sum((height // k) * (width // k) for k in levels) * ch
    buf = _Memory()
    for k in levels:
        src_w = width // max(1, k // 2)
        rows = 5 * src_w * fe.out_bits_per_pixel
        buf.access(rows, (height // k) * (width // k) * 2 * 5 * fe.out_bits_per_pixel, t)
    return [Component("pyramid compute", "HOG", px * p.pyramid_macs_per_pixel * t.mac(16, 16),
                      ops=px * p.pyramid_macs_per_pixel),
            Component("pyramid line buffer", "HOG", buf.energy, bits=buf.traffic,
                      memory_bits=buf.size)]


def _hog_svm(fe, height, width, p, t):
    """HOG + one linear filter per window position, per processed scale:
    the pyramid levels of a digital front end (``pyramid_scales``, resampled
    digitally), the readout scales of a log-gradient one."""
    d = _hog_design(fe, p)
    acc = _HogSvmCost()
    scales = [k for k in p.pyramid_scales if height // k and width // k] if d.digital else fe.scales
    for k in scales:
        _hog_svm_scale(acc, height // k, width // k, d, fe, p, t)
    return [*(_pyramid(fe, height, width, p, t) if d.digital else []),
        Component("HOG compute", "HOG", acc.hog_compute),
        *([Component("HOG line buffer", "HOG", acc.line_buffer.energy,
                     bits=acc.line_buffer.traffic, memory_bits=acc.line_buffer.size)]
          if d.digital else []),
        Component("HOG histograms", "HOG", acc.histograms.energy,
                  bits=acc.histograms.traffic, memory_bits=acc.histograms.size),
        Component("detector features", "detector", acc.features.energy,
                  bits=acc.features.traffic, memory_bits=acc.features.size),
        Component("detector weights", "detector", acc.weights.energy,
                  bits=acc.weights.traffic, memory_bits=acc.weights.size),
        Component("detector MACs", "detector", acc.mac_energy, bits=0.0, ops=acc.macs),
    ]


def _hog_svm_scale(acc, h, w, d, fe, p, t):
    """Add the HOG and detector cost of one ``h x w`` scale to ``acc``."""
    wy, wx = p.window_cells
    cy, cx = h // p.cell_size, w // p.cell_size
    pix = h * w
    # HOG: per-pixel operations plus FHOG normalisation per cell
    # (|h|^2: bins mult + bins-1 adds; 4 block norms: 12 adds + 4 mults;
    # 4 normalised copies: 4*bins mults) at 16 bits.
    cells = cy * cx
    acc.hog_compute += pix * (d.mults * t.mult(d.op_bits, d.op_bits)
                              + d.adds * t.add(2 * d.op_bits))
    acc.hog_compute += cells * ((5 * d.bins + 4) * t.mult(16, 16) + (d.bins + 11) * t.add(16))
    # Streaming HOG: a digital image keeps 2 rows for the centred
    # differences (each pixel written once, read twice); log-gradient codes
    # arrive already differenced and vote at once (no pixel rows).
    if d.digital:
        acc.line_buffer.access(2 * w * fe.out_bits_per_pixel, 3 * pix * fe.out_bits_per_pixel, t)
    # One cell row of histograms; every pixel's vote is a read-modify-write.
    acc.histograms.access(cx * d.bins * d.acc_bits, 2 * pix * d.acc_bits, t)
    ny = (cy - wy) // p.window_stride_cells + 1 if cy >= wy else 0
    nx = (cx - wx) // p.window_stride_cells + 1 if cx >= wx else 0
    windows = ny * nx
    acc.features.access(wy * cx * d.desc_bits,
                        cells * d.desc_bits + windows * wy * wx * d.desc_bits, t)
    wbits = wy * wx * d.features * p.weight_bits
    acc.weights.access(wbits, wbits if p.weight_stationary else windows * wbits, t)
    n_mac = windows * wy * wx * d.features
    acc.macs += n_mac
    acc.mac_energy += n_mac * t.mac(d.feature_bits, p.weight_bits)


def _cnn_profile(p):
    """The CNN's profile, in the keys of :func:`analogfe.system.network.model_profile`:
    ``params``, ``macs`` and ``activation_bits`` (peak working memory, bits)
    required; ``weight_bits`` (all weights, bits; default params x
    :attr:`CostParams.weight_bits`) and ``activation_values`` (outputs of all
    layers per inference; default activation_bits / activation word) optional."""
    if p.cnn is None:
        raise ValueError("backend='cnn' needs cnn= (a profile mapping or a model)")
    if isinstance(p.cnn, Mapping):
        prof = dict(p.cnn)
    else:
        from .network import model_profile
        if p.cnn_input_shape is None:
            raise ValueError("cnn_input_shape is needed to profile a CNN model")
        prof = dict(model_profile(p.cnn, tuple(p.cnn_input_shape), weight_bits=p.weight_bits,
                                  activation_bits=p.cnn_activation_word_bits))
    need = ("params", "macs", "activation_bits")
    missing = [k for k in need if k not in prof]
    if missing:
        raise ValueError(f"cnn profile lacks {', '.join(missing)}; required: {', '.join(need)}"
                         " (optional: weight_bits, activation_values)")
    for k in need + ("weight_bits", "activation_values"):
        if k in prof:
            prof[k] = check_float(prof[k], f"cnn[{k!r}]", low=0.0, high=MAX_COUNT)
    prof.setdefault("weight_bits", prof["params"] * p.weight_bits)
    prof.setdefault("activation_values", prof["activation_bits"] / p.cnn_activation_word_bits)
    return prof


def _cnn(fe, link_bits, p, t):
    """Weights read once per inference; every layer output written once and
    read once; the peak working memory sizes the activation SRAM."""
    prof = _cnn_profile(p)
    weights = prof["weight_bits"]
    wword = weights / prof["params"] if prof["params"] else p.weight_bits
    aword = p.cnn_activation_word_bits
    out = []
    if fe.levels is not None:  # the codes arrive over the link and wait for the CNN
        out.append(_mem("CNN input buffer", "CNN", link_bits, 2 * link_bits, p, t))
    out.append(_mem("CNN weights", "CNN", weights, weights, p, t))
    acts = prof["activation_bits"]
    traffic = 2 * prof["activation_values"] * aword
    out.append(Component("CNN activations", "CNN",
                         traffic * t.mem(acts),
                         bits=traffic, memory_bits=acts))
    macs = prof["macs"]
    out.append(Component("CNN MACs", "CNN", macs * t.mac(wword, aword), ops=macs))
    return out


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------
def _backend_none(fe, height, width, link_bits, p, t):
    return []


def _backend_hog_svm(fe, height, width, link_bits, p, t):
    return _hog_svm(fe, height, width, p, t)


def _backend_cnn(fe, height, width, link_bits, p, t):
    return _cnn(fe, link_bits, p, t)


#: Back ends by name: what runs on the frames the link delivers.
BACKENDS = {"none": _backend_none, "hog-svm": _backend_hog_svm, "cnn": _backend_cnn}


def cost(frontend, height, width, fps, backend="hog-svm", *, adc_bits=10,
         frontend_kwargs=None, name=None, **overrides):
    """Bits, memory and energy per frame and per second of a pipeline.

    Parameters
    ----------
    frontend : str, front-end object or mapping
        A name of :data:`analogfe.frontend.FRONTENDS` (``"rgb8"``, ``"gray8"``,
        ``"lg1.5"``, ``"lg2.75"``), an object with ``operation_counts(h, w)``
        and ``bits_per_frame(h, w)``, or a mapping with those counts
        (``pixels, linear_adc_conversions, linear_adc_bits, log_comparisons,
        binned_pixels, codes, bits_off_chip``, all per frame, so
        ``linear_adc_bits`` is conversions x ADC bits; optional ``name``,
        ``levels`` (3 if absent and the counts have log comparisons),
        ``scales``, ``channels`` of a digital output image).
    height, width : int
        Frame size in pixels.
    fps : float
        Frame rate, 1/s.
    backend : {"hog-svm", "cnn", "none"}
        What runs after the front end.
    adc_bits : int
        Linear ADC bits of a digital front end built by name (10).
    frontend_kwargs : dict, optional
        Passed to :func:`analogfe.frontend.make_frontend` with a name
        (e.g. ``{"scales": (1, 2, 4)}``).
    name : str, optional
        Label of the result (default: the front end's name).
    **overrides
        Any field of :class:`CostParams`.

    Returns
    -------
    CostResult

    Raises
    ------
    ValueError
        Unknown front end, back end or override key (the message lists the
        valid ones); a size outside 1 to 10**6 pixels, a frame rate outside
        (0, 1e7]; a parameter outside its range (:data:`analogfe.system.params.RANGES`);
        ``adc_bits`` outside 1 to 16; a counts mapping with an unknown key,
        a count outside 0 to 1e18, ``levels`` not an odd int in 3..255,
        ``scales`` not distinct ints in 1..min(height, width), ``channels``
        outside 1..64, an ADC word (``linear_adc_bits / linear_adc_conversions``)
        outside 1..24 bits; ``adc_enob`` above the ADC word, or
        ``enob_loss_bits`` above the ADC word - 1 (an ENOB below 1 bit).
        Every message names the argument.
    TypeError
        A value of the wrong type (a non-bool flag, a float where an int is
        needed, a non-mapping ``frontend_kwargs``), naming the argument.

    Examples
    --------
    >>> r = cost({"pixels": 100, "linear_adc_conversions": 0, "linear_adc_bits": 0,
    ...           "log_comparisons": 400, "binned_pixels": 0, "codes": 200,
    ...           "bits_off_chip": 400, "levels": 3}, 10, 10, 30.0, backend="none")
    >>> round(r.energy_per_pixel_pj, 2)
    99.0
    """
    height = check_int(height, "height", low=1, high=MAX_SIDE)
    width = check_int(width, "width", low=1, high=MAX_SIDE)
    fps = check_float(fps, "fps", low=0.0, low_open=True, high=MAX_FPS)
    check_choice(backend, "backend", tuple(BACKENDS))
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a string, got {name!r}")
    if frontend_kwargs is not None and not isinstance(frontend_kwargs, Mapping):
        raise TypeError(f"frontend_kwargs must be a mapping, got {frontend_kwargs!r}")
    check_keys(overrides, CostParams.keys(), "cost parameter")
    p = CostParams(**overrides)  # checks every field
    fe = _frontend_info(frontend, height, width,
                        check_int(adc_bits, "adc_bits", low=1, high=16),
                        dict(frontend_kwargs or {}))
    _check_adc(fe, p)
    t = _Tech(p)
    comps = _sensor(fe, p)
    link_bits = _link_bits(fe, p)
    comps.append(Component("link", "link", link_bits * p.link_pj_per_bit, bits=link_bits))
    if fe.levels is None and backend != "none":
        comps += _isp(fe, height, width, p, t)
    comps += BACKENDS[backend](fe, height, width, link_bits, p, t)
    return CostResult(name=name or fe.name, frontend=fe.name, backend=backend, height=height,
                      width=width, fps=fps, components=tuple(comps), link_bits=float(link_bits),
                      params=p.to_dict())


# --------------------------------------------------------------------------
# Presets, TOML configuration and the command-line entry
# --------------------------------------------------------------------------
#: Scenario keys a preset or a TOML file may set besides the CostParams fields.
SCENARIO_KEYS = ("frontend", "height", "width", "fps", "backend", "adc_bits", "scales")

#: Published systems. "conventional": a mobile VGA sensor (10-bit raw over
#: the link, ISP on the application processor, 8-bit RGB, digital FHOG and a
#: linear detector), its ADC FoM calibrated to the 0.70 nJ/pixel commercial
#: sensor of [2]. ``"jssc2019-*"``: the log-gradient QVGA sensor of [1], single
#: scale (the paper's 99 pJ/pixel and compression figures are single scale);
#: the "-ms" variants read the 1/2 and 1/4 binned scales too. 30 fps is an
#: assumption: energy per pixel does not depend on it.
PRESETS = {
    "conventional": dict(frontend="rgb8", height=480, width=640, fps=30.0, backend="hog-svm",
                         adc_bits=10, adc_fom_fj=E.CONVENTIONAL_ADC_FOM_FJ, pyramid_scales=(1,)),
    "jssc2019-1.5b": dict(frontend="lg1.5", height=240, width=320, fps=30.0, backend="hog-svm",
                          scales=(1,)),
    "jssc2019-2.75b": dict(frontend="lg2.75", height=240, width=320, fps=30.0, backend="hog-svm",
                           scales=(1,)),
    "jssc2019-1.5b-ms": dict(frontend="lg1.5", height=240, width=320, fps=30.0,
                             backend="hog-svm", scales=(1, 2, 4)),
    "jssc2019-2.75b-ms": dict(frontend="lg2.75", height=240, width=320, fps=30.0,
                              backend="hog-svm", scales=(1, 2, 4)),
}


def _valid_keys():
    return SCENARIO_KEYS + CostParams.keys()


def cost_preset(preset, **overrides):
    """:func:`cost` of a named preset, with any scenario key or constant changed.

    Parameters
    ----------
    preset : str
        A name of :data:`PRESETS`.
    **overrides
        ``frontend, height, width, fps, backend, adc_bits, scales`` or any
        :class:`CostParams` field.

    Raises
    ------
    ValueError
        Unknown preset or key; the message lists the valid ones.
    """
    check_choice(preset, "preset", tuple(PRESETS))
    check_keys(overrides, _valid_keys(), "preset key")
    cfg = {**PRESETS[preset], **overrides}
    if "frontend" in overrides and "scales" not in overrides:
        cfg.pop("scales", None)  # the preset's readout scales belong to its own front end
    scenario = {k: cfg.pop(k) for k in SCENARIO_KEYS if k in cfg}
    scales = scenario.pop("scales", None)
    kw = {"scales": check_ints(scales, "scales")} if scales is not None else None
    single = kw is not None and tuple(kw["scales"]) == (1,)
    return cost(scenario["frontend"], scenario["height"], scenario["width"], scenario["fps"],
                scenario.get("backend", "hog-svm"), adc_bits=scenario.get("adc_bits", 10),
                frontend_kwargs=kw, name=preset + (" (single scale)" if single else ""), **cfg)


def preset_scales(preset):
    """The readout scales a preset's front end searches, as words: ``"single
    scale (1)"`` or ``"scales 1, 2, 4"`` (the digital preset: its image pyramid).

    Examples
    --------
    >>> preset_scales("jssc2019-1.5b"), preset_scales("jssc2019-1.5b-ms")
    ('single scale (1)', 'scales 1, 2, 4')
    """
    check_choice(preset, "preset", tuple(PRESETS))
    p = PRESETS[preset]
    scales = tuple(p.get("scales", p.get("pyramid_scales", (1, 2, 4))))
    return "single scale (1)" if scales == (1,) else "scales " + ", ".join(map(str, scales))


def presets_help():
    """One line per preset (front end, frame, rate, scales): the list that
    ``analogfe cost --help`` prints."""
    return "\n".join(f"  {name:<19}{p['frontend']:<7}{p['width']}x{p['height']} at {p['fps']:g} "
                     f"fps, {preset_scales(name)}" for name, p in PRESETS.items())
