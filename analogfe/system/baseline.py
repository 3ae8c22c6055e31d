"""The digital baseline that every saving is a ratio to: one named object.

A ratio ("0.55x the energy", "1.9x fewer bits") means nothing until its
denominator is stated. :class:`Baseline` is that denominator: the full digital
pipeline of a mobile camera (linear readout, column ADC, raw words over the
link, ISP and 8-bit RGB on the application processor, the same HOG + linear
detector or CNN after it), with every choice that moves its cost written down
and used by ``analogfe compare``, ``cost``, ``simulate`` and ``sweep`` alike.

Two baselines are useful and both are reported, labelled with their
technology footing against the log-gradient front end, whose converter
energy is calibrated to its measured chip [1]:

``commercial-adc``
    The ADC figure of merit calibrated to the commercial mobile sensor that
    Omid-Zohoor et al. [2] compare the log-gradient sensor with (0.70
    nJ/pixel, :data:`analogfe.system.energy.CONVENTIONAL_ADC_FOM_FJ`, 1.15
    pJ/step): both converters from silicon, an even footing, and the
    default denominator of every ratio. The ``conventional`` cost preset is
    this baseline at 640x480 and 30 frames/s.
``survey-adc``
    The same pipeline with a state-of-the-art column ADC: the Walden figure of
    merit is the median of recent designs in Murmann's ADC survey
    (:data:`analogfe.system.energy.ADC_FOM_FJ`, 30 fJ/step). An uneven
    footing that favours the baseline: a survey-median ADC against a
    converter calibrated to a 0.13 um research chip.

What both share (and every front end with them): the frame size and rate of
the run (``[cost] height, width, fps``; 320x240 at 1 frame/s by default),
the link energy per bit and the digital energy table of
:class:`~analogfe.system.params.CostParams`. What crosses the link is the
10-bit raw mosaic (the ISP runs on the application processor, as in phones),
so the baseline's bits per frame are height x width x 10, not the 24-bit RGB
the ISP makes from them.

References
----------
.. [1] C. Young, A. Omid-Zohoor, P. Lajevardi, B. Murmann, IEEE JSSC
   54(11):2932-2946, 2019. doi:10.1109/JSSC.2019.2937437
.. [2] A. Omid-Zohoor et al., IEEE TCSVT 28(5):1102-1115, 2018.
.. [3] B. Murmann, "ADC Performance Survey 1997-2025",
   https://github.com/bmurmann/ADC-survey
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from .._validation import check_bool, check_choice, check_float, check_int
from . import energy as E
from .params import ISP_LOCATIONS

__all__ = ["BASELINES", "DEFAULT_BASELINE", "Baseline", "get_baseline"]


@dataclass(frozen=True)
class Baseline:
    """A digital camera pipeline that front ends are compared with.

    Attributes
    ----------
    name : str
        Key in :data:`BASELINES`.
    label : str
        What a table header says about it.
    adc_fom_fj : float
        Walden figure of merit of the column ADC, fJ/conversion-step.
    source : str
        Where ``adc_fom_fj`` comes from.
    footing : str
        Its technology footing against the log-gradient converter.
    frontend : str
        The front end it runs (``"rgb8"``: Bayer sensor, 8-bit RGB after the ISP).
    adc_bits : int
        Linear ADC word, bits (10).
    isp_location : {"soc", "sensor"}
        Where the ISP runs; ``"soc"``: the link carries the raw ADC words.
    frame_buffer : bool
        Whether the ISP output is written to a frame buffer and read back.
    """

    name: str
    label: str
    adc_fom_fj: float
    source: str
    footing: str = ""
    frontend: str = "rgb8"
    adc_bits: int = 10
    isp_location: str = "soc"
    frame_buffer: bool = True

    def __post_init__(self):
        check_float(self.adc_fom_fj, "adc_fom_fj", low=0.0, low_open=True, high=1e6)
        check_int(self.adc_bits, "adc_bits", low=1, high=16)
        check_choice(self.isp_location, "isp_location", ISP_LOCATIONS)
        check_bool(self.frame_buffer, "frame_buffer")

    def overrides(self):
        """The :class:`~analogfe.system.params.CostParams` fields this baseline fixes."""
        return {"adc_fom_fj": self.adc_fom_fj, "isp_location": self.isp_location,
                "frame_buffer": self.frame_buffer}

    def cost(self, height, width, fps, backend="hog-svm", **params):
        """:func:`analogfe.system.cost` of this baseline.

        ``params`` (any :class:`CostParams` field, e.g. the run's
        ``[cost.options]``) apply to everything but the fields the baseline
        fixes (:meth:`overrides`), which win.
        """
        from .model import cost

        return cost(self.frontend, height, width, fps, backend, adc_bits=self.adc_bits,
                    name=self.name, **{**params, **self.overrides()})

    def describe(self):
        """A dict of every field, for reports and ``results.json``."""
        return asdict(self)


#: The named baselines; see the module docstring.
BASELINES = {
    "commercial-adc": Baseline(
        "commercial-adc", "rgb8, commercial-sensor ADC", E.CONVENTIONAL_ADC_FOM_FJ,
        "calibrated to the 0.70 nJ/pixel commercial sensor of Omid-Zohoor et al. 2018 "
        "(energy.CONVENTIONAL_ADC_FOM_FJ)",
        "even: both converters calibrated to silicon"),
    "survey-adc": Baseline(
        "survey-adc", "rgb8, survey-median ADC", E.ADC_FOM_FJ,
        "median of 2020-2025 designs in Murmann's ADC survey (energy.ADC_FOM_FJ)",
        "uneven: a survey-median ADC against the silicon-calibrated log converter "
        "(favours the baseline)"),
}

#: The denominator of a ratio when none is named.
DEFAULT_BASELINE = "commercial-adc"


def get_baseline(name):
    """The :class:`Baseline` called ``name``; an unknown name is a ValueError
    listing the valid ones."""
    return BASELINES[check_choice(name, "baseline", tuple(BASELINES))]
