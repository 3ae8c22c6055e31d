"""Front ends: what leaves the pixel array.

* :class:`LogGradientFrontEnd` (:mod:`.log_gradient`): charge binning per
  scale and the log-ratio converter (:mod:`.converter`) on neighbour pairs:
  int8 :class:`GradientCodes` (:mod:`.codes`), packed off chip by
  :mod:`.packing`.
* :class:`DigitalFrontEnd` (:mod:`.digital`): readout, linear ADC and the
  minimal ISP (:mod:`.isp`): 8-bit RGB or gray.
* :mod:`.registry`: the standard front ends by name (:data:`FRONTENDS`,
  :func:`make_frontend`) and :func:`emulate`.
"""
from .codes import PAIRS, GradientCodes, code_levels, is_codes
from .converter import (
                        EPS,
                        GUARD,
                        LN8,
                        check_ratio_thresholds,
                        formula_ratio_thresholds,
                        formula_thresholds_ln,
                        levels_for_bits,
                        log_ratio_codes,
                        quantiser_scale,
)
from .digital import DigitalFrontEnd
from .isp import process
from .log_gradient import LogGradientFrontEnd, bin_image
from .packing import (
                        PACKINGS,
                        Packing,
                        default_packing,
                        pack_codes,
                        packed_bits,
                        unpack_codes,
)
from .protocol import FrontEnd
from .registry import FRONTENDS, FrontEndSpec, emulate, frontend_spec, make_frontend

__all__ = [
    "GradientCodes", "PAIRS", "is_codes", "code_levels",
    "LN8", "EPS", "GUARD", "levels_for_bits", "quantiser_scale", "formula_thresholds_ln",
    "formula_ratio_thresholds", "check_ratio_thresholds", "log_ratio_codes",
    "Packing", "PACKINGS", "default_packing", "packed_bits", "pack_codes", "unpack_codes",
    "bin_image", "LogGradientFrontEnd", "DigitalFrontEnd", "process",
    "FRONTENDS", "FrontEndSpec", "frontend_spec", "make_frontend", "emulate", "FrontEnd",
]
