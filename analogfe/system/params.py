"""The constants of the cost model (:class:`CostParams`) and their checks.

Re-exported by :mod:`analogfe.system`; every field is a keyword of
:func:`analogfe.system.cost` and a key of its TOML configuration. The sources
of the default values are in :mod:`analogfe.system.energy`.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, fields

from .._validation import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_ints,
    check_keys,
    check_pair,
)
from ..system import energy as E

__all__ = ["CostParams", "HOG_DESCRIPTORS", "ISP_LOCATIONS", "RANGES"]

#: Where the ISP of an 8-bit front end runs: on the application processor (``"soc"``,
#: after the link) or on the sensor die (``"sensor"``, before it).
ISP_LOCATIONS = ("soc", "sensor")
#: What the cost model takes a cell's descriptor to be (:attr:`CostParams.hog_descriptor`).
HOG_DESCRIPTORS = ("fhog", "reachable-bins")

#: Largest energy of one operation, access, bit or conversion step accepted
#: (pJ, or fJ for ``adc_fom_fj``): 1 uJ, far above any circuit in the tables
#: (the largest default, a 64-bit DRAM access, is 2 nJ).
MAX_ENERGY_PJ = 1e6
#: Largest count accepted in a CNN profile (params, MACs, bits per inference).
MAX_COUNT = 1e18
#: Largest word length in bits (operands, buffers, features, weights).
MAX_WORD_BITS = 64
#: Largest HOG cell, window and stride, in pixels or cells.
MAX_CELLS = 4096

_ENERGIES = ("pixel_readout_pj", "adc_fom_fj", "rdc_pj_per_comparison", "link_pj_per_bit",
             "dram_pj_per_64bit", "add8_pj", "mult8_pj", "sram_8kb_pj", "sram_32kb_pj",
             "sram_1mb_pj")

#: The accepted range ``(low, high)`` of each numeric :class:`CostParams`
#: field (inclusive); ``None`` is also accepted where the default is None.
#: Energies in pJ (FoM in fJ/step), the node in nm, the supply in V.
RANGES = {
    "node_nm": (1.0, 1000.0),
    "vdd_v": (0.1, 5.0),
    **{k: (0.0, MAX_ENERGY_PJ) for k in _ENERGIES},
    "binned_read_pj": (0.0, MAX_ENERGY_PJ),
    "adc_enob": (1.0, 24.0),
    "enob_loss_bits": (0.0, 23.0),
    "isp_adds_per_pixel": (0, 10_000),
    "isp_mults_per_pixel": (0, 10_000),
    "isp_word_bits": (1, MAX_WORD_BITS),
    "isp_line_rows": (0, 64),
    "cell_size": (1, MAX_CELLS),
    "hog_orientations": (2, 180),
    "hog_bin_bits": (1, MAX_WORD_BITS),
    "feature_bits": (1, MAX_WORD_BITS),
    "weight_bits": (1, MAX_WORD_BITS),
    "window_cells": (1, MAX_CELLS),
    "window_stride_cells": (1, MAX_CELLS),
    "pyramid_scales": (1, 1024),
    "pyramid_macs_per_pixel": (0, 10_000),
    "cnn_input_shape": (1, 1_000_000),
    "cnn_activation_word_bits": (1, MAX_WORD_BITS),
}

#: Keys of a CNN profile mapping (:func:`analogfe.system.network.model_profile`).
CNN_REQUIRED = ("params", "macs", "activation_bits")
CNN_OPTIONAL = ("weight_bits", "activation_values", "layers")


@dataclass(frozen=True)
class CostParams:
    """Every constant of the cost model; each is a keyword of :func:`analogfe.system.cost`.

    Energies in pJ, FoM in fJ/conversion-step. The sources are in
    :mod:`analogfe.system.energy`; the operation counts are estimates stated here.

    Attributes
    ----------
    node_nm, vdd_v : float
        Process node (nm) and supply (V) of the digital back end; digital
        energies are scaled from 45 nm / 0.9 V by ``(node/45) (V/0.9)^2``.
    pixel_readout_pj : float
        One pixel read onto the column line (estimate, 10 pJ).
    binned_read_pj : float or None
        One binned super-pixel read at a scale > 1 (None: ``pixel_readout_pj``;
        the analog row buffer moves one charge packet per binned read).
    adc_fom_fj : float
        Walden FoM of the linear ADC, fJ/step: by default the column ADCs of
        the commercial sensor of Omid-Zohoor et al., TCSVT 2018 (1.15 pJ/step,
        :data:`analogfe.system.energy.CONVENTIONAL_ADC_FOM_FJ`), calibrated
        to silicon like the log-ratio converter's energy, so both front ends
        stand on the same footing. The survey median of standalone ADCs,
        30 fJ/step (:data:`analogfe.system.energy.ADC_FOM_FJ`), is the
        ``survey-adc`` baseline's (:mod:`analogfe.system.baseline`).
    adc_enob : float or None
        ENOB of the linear ADC (None: nominal bits - 1).
    rdc_pj_per_comparison : float
        One ratio-to-digital converter decision (12.25 pJ, calibrated to the
        99 pJ/pixel of [1]).
    link_pj_per_bit : float
        Off-chip link energy (10 pJ/bit, Horowitz's optimised DRAM I/O).
    dram_pj_per_64bit : float
        DRAM access (2.0 nJ per 64 bits, middle of Horowitz's 1.3-2.6 nJ).
    enob_loss_bits : float
        Default ENOB = nominal bits - this (1 bit).
    add8_pj, mult8_pj : float
        8-bit add (0.03 pJ) and multiply (0.2 pJ) at 45 nm (Horowitz); other
        widths scale linearly (add) or with the operand product (multiply).
    sram_8kb_pj, sram_32kb_pj, sram_1mb_pj : float
        64-bit read of an 8 KB, 32 KB, 1 MB SRAM at 45 nm (10, 20, 100 pJ,
        Horowitz); a buffer uses the smallest array that holds it, DRAM above.
    isp_location : {"soc", "sensor"}
        Where the ISP of a digital front end runs. "soc" (mobile practice):
        the link carries the raw ADC words; "sensor": the link carries the
        front end's own output (``bits_off_chip``).
    isp_adds_per_pixel, isp_mults_per_pixel, isp_word_bits : int
        Operations of the minimal ISP per pixel (black level 1 add, white
        balance 1 mult, bilinear demosaic about 6 adds, gamma LUT 3 lookups
        counted as adds, scaling to 8 bits 3 mults: the steps of
        :func:`analogfe.frontend.process`; an estimate) at 16 bits.
    isp_line_rows : int
        Raw rows the demosaic keeps (3 for a 3 x 3 neighbourhood).
    frame_buffer : bool
        Whether the ISP output is written to a frame buffer and read back.
    cell_size, hog_orientations : int
        HOG cell (8 pixels) and unsigned orientation bins (9).
    hog_bin_bits : int or None
        Word length of a histogram bin of a log-gradient descriptor (None:
        derived, the narrowest word that holds a cell's largest vote sum,
        :func:`analogfe.features.bits.bin_word_bits`: 8 bits at 1.5 b, 9 at
        2.75 b with 8-pixel cells; 5 and 6 reproduce the paper's 25x / 9.5x).
    hog_descriptor : {"fhog", "reachable-bins"}
        What each cell's descriptor holds, and so the detector's weights and
        MACs per cell. ``"fhog"`` (default): the 31 FHOG features the wake-up
        SVM is trained on (Felzenszwalb et al.: 2 x ``hog_orientations``
        signed, ``hog_orientations`` unsigned, 4 texture), ``feature_bits``
        each, for every front end. ``"reachable-bins"``: the compressed
        descriptor of Young et al. (JSSC 2019), the orientation bins a
        log-gradient code can reach (4 of 9 at 1.5 bits) of ``hog_bin_bits``
        each (the 8-bit front ends: ``hog_orientations`` bins of
        ``feature_bits``); a labelled alternative, not what is trained.
    feature_bits : int
        Word length of an FHOG feature, and of a digital (8-bit image) HOG
        bin (8).
    weight_bits : int
        Word length of the detector's filter weights (8).
    window_cells : tuple of int
        Detection window in cells, (rows, columns); (16, 8) is the 128 x 64
        pixel Dalal-Triggs person window. An int n is the square (n, n).
    window_stride_cells : int
        Window step in cells (1).
    pyramid_scales : tuple of int
        Levels of the image pyramid a digital (8-bit) front end's detector
        searches, as down-sampling factors ((1, 2, 4): the scales the
        log-gradient front end reads out, and the factor-2 Gaussian pyramid
        of :class:`analogfe.learn.SlidingWindowDetector`); a log-gradient
        front end searches the scales it reads out, binned on the sensor.
    pyramid_macs_per_pixel : int
        Multiply-adds per output pixel (and channel) of one pyramid level at
        16 bits: a separable 5-tap Gaussian on the 2x-decimated grid, two
        rows of 5 plus a column of 5 (an estimate); 5 source rows are
        buffered.
    weight_stationary : bool
        True: the filter stays in registers and its weights are read once per
        frame; False (default): they are read from SRAM for every window.
    cnn : mapping, torch.nn.Module or None
        The CNN back end: a model passed to
        :func:`analogfe.system.network.model_profile`, or its result (``params``,
        ``macs``, ``activation_bits`` = peak working memory in bits; optional
        ``weight_bits`` = all weights in bits, ``activation_values``).
    cnn_input_shape : tuple or None
        Input shape for :func:`analogfe.system.network.model_profile` (C, H, W).
    cnn_activation_word_bits : int
        Activation word length used by a CNN MAC (8).

    Notes
    -----
    Every field is checked when a CostParams is made (so by :func:`cost`,
    before any work), against the physical ranges of :data:`RANGES`:
    energies 0 to 1e6 pJ per operation, access or bit (FoM 0 to 1e6
    fJ/step), node 1 to 1000 nm, supply 0.1 to 5 V, ADC ENOB 1 to 24 bits,
    ENOB loss 0 to 23 bits (and below the ADC's bits, checked by
    :func:`cost` against the front end), word lengths 1 to 64 bits, cells,
    windows and strides 1 to 4096, orientations 2 to 180, ISP operations 0
    to 10000 per pixel, CNN profile counts 0 to 1e18. Integers must be ints,
    flags real booleans (``"no"`` or ``2`` are rejected), ``window_cells`` an
    int (square) or a pair. Out of range: ValueError; wrong type: TypeError;
    both name the field. Within these ranges every cost is finite.
    """

    node_nm: float = E.REFERENCE_NODE_NM
    vdd_v: float = E.REFERENCE_VDD_V
    pixel_readout_pj: float = E.PIXEL_READOUT_PJ
    binned_read_pj: float | None = None
    adc_fom_fj: float = E.CONVENTIONAL_ADC_FOM_FJ
    adc_enob: float | None = None
    rdc_pj_per_comparison: float = E.RDC_PJ_PER_COMPARISON
    link_pj_per_bit: float = E.LINK_PJ_PER_BIT
    dram_pj_per_64bit: float = E.DRAM_ACCESS64_PJ
    enob_loss_bits: float = E.ENOB_LOSS_BITS
    add8_pj: float = E.ADD8_PJ
    mult8_pj: float = E.MULT8_PJ
    sram_8kb_pj: float = E.SRAM_READ64_PJ[8 * 1024]
    sram_32kb_pj: float = E.SRAM_READ64_PJ[32 * 1024]
    sram_1mb_pj: float = E.SRAM_READ64_PJ[1024 * 1024]
    isp_location: str = "soc"
    isp_adds_per_pixel: int = 10
    isp_mults_per_pixel: int = 4
    isp_word_bits: int = 16
    isp_line_rows: int = 3
    frame_buffer: bool = True
    cell_size: int = 8
    hog_orientations: int = 9
    hog_bin_bits: int | None = None
    hog_descriptor: str = "fhog"
    feature_bits: int = 8
    weight_bits: int = 8
    window_cells: tuple = (16, 8)
    window_stride_cells: int = 1
    pyramid_scales: tuple = (1, 2, 4)
    pyramid_macs_per_pixel: int = 15
    weight_stationary: bool = False
    cnn: object = None
    cnn_input_shape: tuple | None = None
    cnn_activation_word_bits: int = 8

    @classmethod
    def keys(cls):
        return tuple(f.name for f in fields(cls))

    def __post_init__(self):
        _validated(self)

    def replace(self, **kw):
        """A copy with some constants changed (unknown key -> ValueError)."""
        check_keys(kw, self.keys(), "CostParams key")
        return dataclasses.replace(self, **kw)

    def to_dict(self):
        d = {}
        for f in fields(self):
            v = getattr(self, f.name)
            d[f.name] = v if v is None or isinstance(v, (int, float, str, bool, tuple)) \
                else type(v).__name__
        return d


def _check_cnn(cnn):
    """``cnn``: None, a profile mapping (its entries checked here) or a model
    (an object with ``parameters()``, profiled by :func:`cost`)."""
    if cnn is None:
        return
    if not isinstance(cnn, Mapping):
        if not callable(getattr(cnn, "parameters", None)):
            raise TypeError("cnn must be None, a profile mapping or a torch.nn.Module, "
                            f"got {type(cnn).__name__}")
        return
    check_keys(cnn, CNN_REQUIRED + CNN_OPTIONAL, "cnn profile key", prefix="cnn.")
    missing = [k for k in CNN_REQUIRED if k not in cnn]
    if missing:
        raise ValueError(f"cnn profile lacks {', '.join(missing)}; required: "
                         f"{', '.join(CNN_REQUIRED)} (optional: weight_bits, activation_values)")
    for k in CNN_REQUIRED + CNN_OPTIONAL[:2]:
        if k in cnn:
            check_float(cnn[k], f"cnn[{k!r}]", low=0.0, high=MAX_COUNT)


def _validated(p):
    """Check every field of ``p`` (see :data:`RANGES`) and normalise the
    tuples and flags in place; returns ``p``. Called once, by ``__post_init__``."""
    def rng(name):
        return dict(zip(("low", "high"), RANGES[name]))

    for name in ("node_nm", "vdd_v", "enob_loss_bits") + _ENERGIES:
        check_float(getattr(p, name), name, **rng(name))
    for name in ("binned_read_pj", "adc_enob"):
        if getattr(p, name) is not None:
            check_float(getattr(p, name), name, **rng(name))
    for name in ("isp_adds_per_pixel", "isp_mults_per_pixel", "isp_line_rows", "isp_word_bits",
                 "cell_size", "hog_orientations", "feature_bits", "weight_bits",
                 "window_stride_cells", "cnn_activation_word_bits", "pyramid_macs_per_pixel"):
        check_int(getattr(p, name), name, **rng(name))
    if p.hog_bin_bits is not None:
        check_int(p.hog_bin_bits, "hog_bin_bits", **rng("hog_bin_bits"))
    if not isinstance(p.isp_location, str):
        raise TypeError(f"isp_location must be a string, got {p.isp_location!r}")
    check_choice(p.isp_location, "isp_location", ISP_LOCATIONS)
    if not isinstance(p.hog_descriptor, str):
        raise TypeError(f"hog_descriptor must be a string, got {p.hog_descriptor!r}")
    check_choice(p.hog_descriptor, "hog_descriptor", HOG_DESCRIPTORS)
    norm = {name: check_bool(getattr(p, name), name)
            for name in ("frame_buffer", "weight_stationary")}
    wc = p.window_cells  # an int (a square window), a tuple or a list (a TOML array)
    if isinstance(wc, (tuple, list)) and len(wc) != 2:
        raise ValueError(f"window_cells must be (rows, columns), got {wc!r}")
    norm["window_cells"] = check_pair(wc, "window_cells", high=RANGES["window_cells"][1])
    norm["pyramid_scales"] = check_ints(p.pyramid_scales, "pyramid_scales",
                                        **rng("pyramid_scales"), distinct=True)
    if p.cnn_input_shape is not None:
        shape = check_ints(p.cnn_input_shape, "cnn_input_shape", **rng("cnn_input_shape"))
        if len(shape) not in (3, 4):
            raise ValueError(f"cnn_input_shape must be (C, H, W) or (N, C, H, W), got {shape}")
        norm["cnn_input_shape"] = shape
    _check_cnn(p.cnn)
    for name, v in norm.items():
        if v != getattr(p, name) or type(v) is not type(getattr(p, name)):
            object.__setattr__(p, name, v)
    return p
