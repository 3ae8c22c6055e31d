"""What a front end must provide to go through every analogfe command.

A front end turns the electrons of one exposure into what the sensor sends
off chip, and says what that costs. The standard front ends
(:class:`~analogfe.frontend.DigitalFrontEnd`,
:class:`~analogfe.frontend.LogGradientFrontEnd`) follow this protocol; a
front end of your own does too when it has these methods, and
``compare``, ``train``, ``sweep`` and ``cost`` then take it by import path
(``--frontend mypkg.module:MyFrontEnd`` or ``frontends.names`` in a
configuration file).
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["FrontEnd", "COUNT_KEYS"]

#: The keys of :meth:`FrontEnd.operation_counts`, all per frame.
COUNT_KEYS = ("pixels", "binned_pixels", "linear_adc_conversions", "linear_adc_bits", "codes",
              "log_comparisons", "bits_off_chip")


@runtime_checkable
class FrontEnd(Protocol):
    """The front-end protocol.

    A plug-in class is built as ``cls(sensor_config=..., seed=..., **options)``
    (``options`` from ``[frontends.options."mypkg.module:MyFrontEnd"]``).

    Attributes
    ----------
    name : str
        A short name for tables and plots.
    levels : int or None, optional
        Code levels of a log-ratio (gradient) output, e.g. 3 for 1.5-bit
        codes; ``None`` for an image output (8-bit gray or RGB). It selects
        the emulation path and the HOG input.
    channels : int, optional
        Values per pixel of an image output (1 gray, 3 RGB).

    Notes
    -----
    The cost model (:func:`analogfe.system.cost`) never guesses: its link
    carries :meth:`bits_per_frame` of the front end. The one exception is the
    standard digital pipeline with its ISP on the application processor,
    whose link carries the raw ADC words; a subclass that reports its own
    ``bits_per_frame`` is costed with that number.
    """

    name: str

    def __call__(self, electrons):
        """The output of one frame (or a stack) of electrons, ``(H, W)`` or ``(N, H, W)``."""

    def bits_per_frame(self, height, width):
        """Bits this front end sends off chip for a ``height`` x ``width`` frame."""

    def operation_counts(self, height, width):
        """Per-frame work as a dict with the keys of :data:`COUNT_KEYS`."""
