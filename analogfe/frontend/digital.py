"""The digital baseline front end: readout, linear ADC and the minimal ISP.
"""
from __future__ import annotations

from .._validation import check_choice, check_int
from ..sensor.model import Sensor
from ._frozen import Frozen
from .isp import OUTPUTS, process

__all__ = ['DigitalFrontEnd']


class DigitalFrontEnd(Frozen):
    """The digital baseline: linear readout + minimal ISP -> 8-bit image.

    ``fe(electrons)`` = ``process(sensor.readout(electrons), sensor.config,
    output=output)``: read noise, gain, black level and the sensor's N-bit
    linear ADC, then black level, white balance, demosaic, colour matrix,
    sRGB gamma and 8-bit rounding.

    Parameters
    ----------
    sensor : Sensor
        Gives the readout (its temporal noise and ADC) and the ISP's config.
    output : {"rgb", "gray"}
        8-bit RGB (24 bits per pixel off chip) or gray (8 bits per pixel).
    """

    def __init__(self, sensor, output="rgb"):
        if not isinstance(sensor, Sensor):
            raise TypeError(f"sensor must be a Sensor, got {type(sensor).__name__}")
        self.sensor = sensor
        self.output = check_choice(output, "output", OUTPUTS)
        self._freeze()

    @property
    def name(self):
        """``"rgb8"`` or ``"gray8"``."""
        return f"{self.output}8"

    @property
    def channels(self):
        return 3 if self.output == "rgb" else 1

    def __repr__(self):
        return f"DigitalFrontEnd(name={self.name!r}, sensor={self.sensor!r})"

    def __call__(self, electrons, gain=1.0):
        """Electrons (H, W) or (N, H, W) -> uint8 (H, W[, 3]) or (N, H, W[, 3]).

        ``gain`` (a float or one per frame) is the analog gain of the readout
        (:meth:`Sensor.readout <analogfe.sensor.Sensor.readout>`), e.g. set by
        :class:`analogfe.sensor.AutoExposure`; the ISP's white level stays the
        unity-gain saturation level, so a gain brightens the image.
        """
        dn = self.sensor.readout(electrons, gain=gain)
        return process(dn, self.sensor.config, output=self.output)

    def bits_per_frame(self, height, width):
        """8 bits per channel per pixel."""
        return check_int(height, "height", low=1) * check_int(width, "width", low=1) \
            * 8 * self.channels

    def operation_counts(self, height, width):
        """Per-frame work: every pixel read and converted by the linear ADC.

        Returns
        -------
        counts : dict of int
            Keys as :meth:`LogGradientFrontEnd.operation_counts`; ``codes`` are
            the 8-bit values sent (pixels x channels).
        """
        n = check_int(height, "height", low=1) * check_int(width, "width", low=1)
        return {
            "pixels": n,
            "binned_pixels": 0,
            "linear_adc_conversions": n,
            "linear_adc_bits": n * int(self.sensor.config.adc_bits),
            "codes": n * self.channels,
            "log_comparisons": 0,
            "bits_off_chip": self.bits_per_frame(height, width),
        }


#: Standard front ends: name -> (kind, keyword arguments, default sensor CFA).
