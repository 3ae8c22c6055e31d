"""Energy constants, the small formulas built on them, and HOG descriptor sizes.

Every number here is a module-level, typed constant with its source next to
it. :mod:`analogfe.system` uses them as keyword defaults, so a caller can
override each one from Python or from a TOML file.

Units: energies in picojoules (``_pj``) or femtojoules (``_fj``), sizes in
bits (``_bits``) or bytes (``_bytes``), process nodes in nanometres
(``_nm``), supply voltages in volts (``_v``).

References
----------
.. [1] M. Horowitz, "Computing's energy problem (and what we can do about
   it)", ISSCC 2014, pp. 10-14. doi:10.1109/ISSCC.2014.6757323
.. [2] B. Murmann, "ADC Performance Survey 1997-2025", ISSCC and VLSI
   entries. https://github.com/bmurmann/ADC-survey
.. [3] R. H. Walden, "Analog-to-digital converter survey and analysis",
   IEEE JSAC 17(4):539-550, 1999. doi:10.1109/49.761034
.. [4] C. Young, A. Omid-Zohoor, P. Lajevardi, B. Murmann, "A
   Data-Compressive 1.5/2.75-bit Log-Gradient QVGA Image Sensor With
   Multi-Scale Readout for Always-On Object Detection", IEEE JSSC
   54(11):2932-2946, 2019. doi:10.1109/JSSC.2019.2937437
.. [5] A. Omid-Zohoor, C. Young, D. Ta, B. Murmann, "Toward Always-On Mobile
   Object Detection: Energy Versus Performance Tradeoffs for Embedded HOG
   Feature Extraction", IEEE TCSVT 28(5):1102-1115, 2018.
   doi:10.1109/TCSVT.2017.2653187
"""
from __future__ import annotations

import math
from typing import Final

__all__ = [
    "REFERENCE_NODE_NM",
    "REFERENCE_VDD_V",
    "ADD8_PJ",
    "ADD32_PJ",
    "MULT8_PJ",
    "MULT32_PJ",
    "SRAM_READ64_PJ",
    "DRAM_ACCESS64_PJ",
    "LINK_PJ_PER_BIT",
    "ADC_FOM_FJ",
    "ENOB_LOSS_BITS",
    "PIXEL_READOUT_PJ",
    "RDC_PJ_PER_COMPARISON",
    "CONVENTIONAL_ADC_FOM_FJ",
    "node_scale",
    "add_pj",
    "mult_pj",
    "mac_pj",
    "sram_pj_per_bit",
    "memory_pj_per_bit",
    "memory_level",
    "walden_pj",
    "SOURCES",
    "JSSC_PJ_PER_PIXEL",
    "COMMERCIAL_PJ_PER_PIXEL",
    "rdc_pj_calibrated",
    "conventional_adc_fom_calibrated",
]

# --------------------------------------------------------------------------
# Digital operations at 45 nm, 0.9 V (Horowitz, ISSCC 2014 [1], Fig. 1.1.9).
# --------------------------------------------------------------------------
#: Process node of the Horowitz table [1], in nm.
REFERENCE_NODE_NM: Final[float] = 45.0
#: Supply voltage of the Horowitz table [1], in V.
REFERENCE_VDD_V: Final[float] = 0.9
#: 8-bit integer add, pJ [1].
ADD8_PJ: Final[float] = 0.03
#: 32-bit integer add, pJ [1].
ADD32_PJ: Final[float] = 0.1
#: 8-bit integer multiply, pJ [1].
MULT8_PJ: Final[float] = 0.2
#: 32-bit integer multiply, pJ [1].
MULT32_PJ: Final[float] = 3.1

#: 64-bit SRAM read by array size in bytes, pJ [1]: 8 KB 10 pJ, 32 KB 20 pJ,
#: 1 MB 100 pJ. A write is costed like a read (an assumption; [1] gives reads).
SRAM_READ64_PJ: Final[dict] = {8 * 1024: 10.0, 32 * 1024: 20.0, 1024 * 1024: 100.0}
#: 64-bit DRAM access, pJ: [1] gives 1.3-2.6 nJ (about 20-40 pJ/bit); 2.0 nJ is
#: the middle of that range (31 pJ/bit).
DRAM_ACCESS64_PJ: Final[float] = 2000.0

# --------------------------------------------------------------------------
# Off-chip link.
# --------------------------------------------------------------------------
#: Chip-to-chip link energy, pJ/bit. Horowitz [1] puts DRAM I/O above
#: 20 pJ/bit and about 10 pJ/bit when optimised; HBM2 is about 4 pJ/bit and
#: GDDR5 about 14 pJ/bit (O'Connor et al., MICRO 2017). No citable MIPI CSI-2
#: energy figure was found, so the sensor link defaults to the optimised
#: DRAM I/O figure of [1]; override it with a measured value when you have one.
LINK_PJ_PER_BIT: Final[float] = 10.0

# --------------------------------------------------------------------------
# Converters.
# --------------------------------------------------------------------------
#: Walden figure of merit ``FoM_W = P / (f_s 2^ENOB)`` [3], fJ/conversion-step:
#: 30 fJ is the middle of the 22-40 fJ median of recent (2020-2025) designs in
#: the survey [2]. Column ADCs of commercial image sensors are far worse; see
#: :data:`CONVENTIONAL_ADC_FOM_FJ`.
ADC_FOM_FJ: Final[float] = 30.0
#: Default ENOB = nominal bits - ENOB_LOSS_BITS. One bit lost to noise and
#: distortion is a common rule of thumb for well-designed converters (an
#: assumption; give ``adc_enob`` explicitly for a measured converter).
ENOB_LOSS_BITS: Final[float] = 1.0

#: Column ADC FoM of a commercial mobile sensor, fJ/conversion-step,
#: calibrated (not measured) from [5]: the lowest-power comparable commercial
#: sensor uses 0.70 nJ/pixel, and its ADCs take 70-85 % of it. With a 10-bit
#: ADC (ENOB 9, 512 steps), a 10-bit raw word over a 10 pJ/bit link (100 pJ)
#: and :data:`PIXEL_READOUT_PJ` (10 pJ), the ADCs take the remainder:
#: (700 - 100 - 10) / 512 = 1.152 pJ/step, i.e. 84 % of the sensor energy and
#: 14 % for the I/O (inside the published 10-15 %).
CONVENTIONAL_ADC_FOM_FJ: Final[float] = 1152.0

# --------------------------------------------------------------------------
# Pixel readout and the log-ratio converter (0.13 um CIS, Young et al. [4]).
# --------------------------------------------------------------------------
#: Energy to read one pixel (or one binned super-pixel) onto the column line,
#: pJ. An estimate, not a measured figure: a column line of about 2 pF charged
#: through a 1.5 V swing from a 3.3 V supply is C V_dd dV = 9.9 pJ; 10 pJ is
#: used for every 4T pixel in this package.
PIXEL_READOUT_PJ: Final[float] = 10.0
#: Energy of one comparator decision of the ratio-to-digital converter (one
#: successive capacitive division plus comparison), pJ, calibrated from [4]:
#: the chip uses 99 pJ/pixel. In the 1.5-bit single-scale mode each pixel is
#: read once (10 pJ), sends 2 codes x 2 bits over the link (40 pJ) and needs
#: 2 codes x 2 comparisons; the comparisons take the remainder:
#: (99 - 10 - 40) / 4 = 12.25 pJ. The converter makes no codes on the frame
#: border, so a 320 x 240 frame comes to 98.4 pJ/pixel. (A 1 pF capacitor
#: charged to 3.3 V stores C V^2 = 10.9 pJ, so the figure is plausible for a
#: capacitive divider.)
RDC_PJ_PER_COMPARISON: Final[float] = 12.25


def node_scale(node_nm=REFERENCE_NODE_NM, vdd_v=REFERENCE_VDD_V):
    """Factor that moves a 45 nm digital energy to another process node.

    Dynamic energy is ``E = C V^2``; to first order the switched capacitance
    scales with the feature size, so ``E(node) = E(45 nm) * (node / 45) *
    (V_dd / 0.9 V)^2``. This classic (Dennard-era) rule is optimistic below
    about 28 nm, where wire capacitance stops shrinking; use measured numbers
    for a real design. Off-chip energies (DRAM, the link) and the analog
    sensor constants are not scaled.

    Parameters
    ----------
    node_nm : float
        Process node, nm (45 for the Horowitz table).
    vdd_v : float
        Supply voltage, V (0.9 for the Horowitz table).

    Returns
    -------
    float
        Multiplier for 45 nm energies.

    Examples
    --------
    >>> round(node_scale(90.0, 1.2), 3)
    3.556
    """
    return (node_nm / REFERENCE_NODE_NM) * (vdd_v / REFERENCE_VDD_V) ** 2


def add_pj(bits, scale=1.0, add8_pj=ADD8_PJ):
    """Energy of one integer add of ``bits`` bits, pJ.

    A ripple-carry adder's energy grows linearly with its width:
    ``add8_pj * bits / 8`` (0.03 pJ at 8 bits) fits the 8-bit entry of [1]
    exactly and its 32-bit entry (0.1 pJ) within 20 %.
    """
    return add8_pj * bits / 8.0 * scale


def mult_pj(bits_a, bits_b=None, scale=1.0, mult8_pj=MULT8_PJ):
    """Energy of one ``bits_a`` x ``bits_b`` integer multiply, pJ.

    An array multiplier's energy grows with the product of its operand
    widths: ``mult8_pj * a * b / 64`` (0.2 pJ at 8 x 8 bits) fits the 8-bit
    entry of [1] exactly and its 32-bit entry (3.1 pJ) within 4 %.
    """
    bits_b = bits_a if bits_b is None else bits_b
    return mult8_pj * bits_a * bits_b / 64.0 * scale


def mac_pj(bits_a, bits_b, scale=1.0, add8_pj=ADD8_PJ, mult8_pj=MULT8_PJ):
    """One multiply-accumulate: a ``bits_a x bits_b`` multiply plus an add as
    wide as the product, pJ."""
    return mult_pj(bits_a, bits_b, scale, mult8_pj) + add_pj(bits_a + bits_b, scale, add8_pj)


def _sram_level(size_bits, table):
    """The smallest array size (bytes) of ``table`` that holds the buffer, or None."""
    fits = [cap for cap in table if size_bits / 8.0 <= cap]
    return min(fits) if fits else None


def memory_level(size_bits, table=None):
    """Name of the memory level a buffer of ``size_bits`` lives in: the
    smallest SRAM of the table of [1] that holds it ("8KB", "32KB", "1MB"),
    else "DRAM"."""
    cap = _sram_level(size_bits, SRAM_READ64_PJ if table is None else table)
    if cap is None:
        return "DRAM"
    return f"{cap // 1024}KB" if cap < 1024 * 1024 else f"{cap // (1024 * 1024)}MB"


def sram_pj_per_bit(size_bits, scale=1.0, table=None):
    """Access energy per bit of an on-chip SRAM of ``size_bits``, pJ/bit.

    The 64-bit read energy of the smallest array of [1] (8 KB, 32 KB, 1 MB)
    that holds the buffer, divided by 64 (a step rule, so a hand check is
    easy). ``table`` maps array bytes to 64-bit read pJ (default
    :data:`SRAM_READ64_PJ`). A buffer larger than every array raises
    ``ValueError``: :func:`memory_pj_per_bit` sends it to DRAM.
    """
    table = SRAM_READ64_PJ if table is None else table
    cap = _sram_level(size_bits, table)
    if cap is None:
        raise ValueError(f"size_bits={size_bits} exceeds the largest SRAM of the table "
                         f"({max(table)} bytes)")
    return table[cap] / 64.0 * scale


def memory_pj_per_bit(size_bits, scale=1.0, dram_pj_per_64bit=DRAM_ACCESS64_PJ, table=None):
    """Access energy per bit of a buffer of ``size_bits``: SRAM by size up to
    the largest array of ``table`` (1 MB; scaled by ``scale``), DRAM above
    (not scaled), pJ/bit."""
    table = SRAM_READ64_PJ if table is None else table
    if _sram_level(size_bits, table) is not None:
        return sram_pj_per_bit(size_bits, scale, table)
    return dram_pj_per_64bit / 64.0


def walden_pj(enob, fom_fj=ADC_FOM_FJ):
    """Energy of one conversion from the Walden figure of merit [3], pJ.

    ``E = FoM_W * 2^ENOB``, with ``FoM_W`` in fJ/conversion-step.

    Examples
    --------
    >>> walden_pj(9.0, 30.0)
    15.36
    """
    return fom_fj * 1e-3 * math.pow(2.0, enob)


#: The measured energy of the log-gradient chip in its 1.5-bit single-scale
#: mode [4], pJ/pixel, and of the commercial sensor it is compared with [5].
JSSC_PJ_PER_PIXEL: Final[float] = 99.0
COMMERCIAL_PJ_PER_PIXEL: Final[float] = 700.0


def rdc_pj_calibrated(link_pj_per_bit=LINK_PJ_PER_BIT, pixel_readout_pj=PIXEL_READOUT_PJ):
    """The comparator energy that :data:`RDC_PJ_PER_COMPARISON` would be with
    another assumed link or pixel read, pJ per decision.

    The calibration of [4]: each pixel is read once, sends 2 codes x 2 bits
    over the link and needs 4 decisions, and the whole costs 99 pJ:
    ``(99 - pixel_readout_pj - 4 link_pj_per_bit) / 4``. 12.25 pJ at 10 pJ/bit;
    18.25, 8.25 and 2.25 pJ at 4, 14 and 20 pJ/bit. Raises ValueError where
    the assumed link and read alone exceed 99 pJ.

    Examples
    --------
    >>> rdc_pj_calibrated(10.0), rdc_pj_calibrated(4.0), rdc_pj_calibrated(20.0)
    (12.25, 18.25, 2.25)
    """
    rest = JSSC_PJ_PER_PIXEL - pixel_readout_pj - 4.0 * link_pj_per_bit
    if rest < 0:
        raise ValueError(f"link_pj_per_bit={link_pj_per_bit:g} and pixel_readout_pj="
                         f"{pixel_readout_pj:g} alone exceed the chip's 99 pJ/pixel")
    return rest / 4.0


def conventional_adc_fom_calibrated(link_pj_per_bit=LINK_PJ_PER_BIT,
                                    pixel_readout_pj=PIXEL_READOUT_PJ, adc_bits=10,
                                    enob_loss_bits=ENOB_LOSS_BITS):
    """The column-ADC FoM that :data:`CONVENTIONAL_ADC_FOM_FJ` would be with
    another assumed link or pixel read, fJ/step: the 0.70 nJ/pixel of the
    commercial sensor [5] less the raw word over the link and the pixel read,
    over ``2^ENOB`` steps.

    Examples
    --------
    >>> round(conventional_adc_fom_calibrated(10.0), 1)
    1152.3
    """
    rest = COMMERCIAL_PJ_PER_PIXEL - pixel_readout_pj - adc_bits * link_pj_per_bit
    if rest < 0:
        raise ValueError(f"link_pj_per_bit={link_pj_per_bit:g} alone exceeds the sensor's "
                         "700 pJ/pixel")
    return rest / 2.0 ** (adc_bits - enob_loss_bits) * 1e3


#: Where the default of each :class:`~analogfe.system.params.CostParams`
#: constant comes from, in a few words (the comments above give the detail);
#: the reports print it beside the value.
SOURCES: Final[dict] = {
    "node_nm": "Horowitz ISSCC 2014 table (45 nm)",
    "vdd_v": "Horowitz ISSCC 2014 table (0.9 V)",
    "pixel_readout_pj": "estimate: 2 pF column line, 1.5 V swing, 3.3 V supply",
    "adc_fom_fj": "calibrated to the 0.70 nJ/pixel commercial sensor of Omid-Zohoor et al. "
                  "2018 (the survey median, 30 fJ/step, is the survey-adc baseline's)",
    "rdc_pj_per_comparison": "calibrated to the 99 pJ/pixel of Young et al. JSSC 2019, "
                             "given pixel_readout_pj and link_pj_per_bit",
    "link_pj_per_bit": "optimised DRAM I/O, Horowitz ISSCC 2014",
    "dram_pj_per_64bit": "middle of 1.3-2.6 nJ, Horowitz ISSCC 2014",
    "enob_loss_bits": "rule of thumb (assumption)",
    "add8_pj": "Horowitz ISSCC 2014",
    "mult8_pj": "Horowitz ISSCC 2014",
    "sram_8kb_pj": "Horowitz ISSCC 2014",
    "sram_32kb_pj": "Horowitz ISSCC 2014",
    "sram_1mb_pj": "Horowitz ISSCC 2014",
}
