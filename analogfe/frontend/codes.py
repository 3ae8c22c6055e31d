"""What the log-gradient front end sends out: int8 codes per scale.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

__all__ = ['PAIRS', 'GradientCodes', 'is_codes', 'code_levels']


#: Neighbour pairs of the converter: ``centred`` (x+1 vs x-1, REFERENCES sec. 1)
#: or ``adjacent`` (x+1 vs x).
PAIRS = ("centred", "adjacent")


@dataclass
class GradientCodes:
    """Output of a log-gradient front end: int8 codes per scale.

    Attributes
    ----------
    dx, dy : list of ndarray, int8
        One per scale, (H_s, W_s) or (N, H_s, W_s): the quantised log ratio of
        the right/left (``dx``) and lower/upper (``dy``) neighbours. Border
        codes that have no pair are 0 (see :class:`LogGradientFrontEnd`).
    scales : tuple of int
        Binning factor of each entry (in pixels, or in 2x2 quads on a Bayer sensor).
    levels : int
        Number of code levels (3 for the 1.5-bit code, 7 for the 2.75-bit code).
    bits : int
        ``ceil(log2(levels))``, the converter's resolution ``b``.
    pairs : {"centred", "adjacent"}
    """

    dx: list
    dy: list
    scales: tuple
    levels: int
    bits: int
    pairs: str = "centred"

    @property
    def stacked(self):
        """True when the codes hold a stack of frames, (N, H_s, W_s)."""
        return self.dx[0].ndim == 3

    def __len__(self):
        return self.dx[0].shape[0] if self.stacked else 1

    def frame(self, i):
        """The codes of frame ``i`` of a stack."""
        if not self.stacked:
            raise ValueError("frame() needs stacked codes (N, H_s, W_s)")
        return dataclasses.replace(self, dx=[d[i] for d in self.dx], dy=[d[i] for d in self.dy])


def is_codes(output):
    """Whether ``output`` is log-gradient codes (:class:`GradientCodes` or any
    object with ``dx``, ``dy`` and ``scales``) rather than an image."""
    return all(hasattr(output, a) for a in ("dx", "dy", "scales"))


def code_levels(output, name="output"):
    """Code levels L of codes or of a front end: its ``levels`` attribute.

    Never recomputed from ``bits``: ``2**bits - 1`` holds for the formula
    quantiser but not for explicit thresholds (``2m + 1`` levels).

    Raises
    ------
    ValueError
        If ``output`` carries no ``levels``.
    """
    levels = getattr(output, "levels", None)
    if levels is None:
        raise ValueError(f"{name}: {type(output).__name__} has no 'levels' (code levels L)")
    return int(levels)
