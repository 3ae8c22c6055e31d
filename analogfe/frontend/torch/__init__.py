"""The front ends on torch tensors: batched, differentiable, on CPU or GPU.

Kornia style: each op is a function plus a thin ``nn.Module`` that calls it.

* :mod:`.sensor`: :func:`expose`, :func:`readout`, :class:`TorchSensor` (the
  fixed pattern of a numpy :class:`~analogfe.sensor.Sensor`, temporal noise
  from a ``torch.Generator``).
* :mod:`.log_gradient`: :func:`bin_image`, :func:`log_gradient`,
  :func:`codes_to_input`, :class:`TorchLogGradientFrontEnd` (codes equal the
  Cython front end's with every non-ideality off, and on a CPU computed by
  its kernels; learnable thresholds and per-scale gains).
* :mod:`.quantise`: the exact ratio quantiser, the soft staircase, STE.
* :mod:`.isp`: :func:`process`, :class:`TorchISP` (the minimal ISP).

Importing this package imports torch; ``import analogfe.frontend`` does not.
"""
from .isp import TorchISP, process
from .log_gradient import TorchLogGradientFrontEnd, bin_image, codes_to_input, log_gradient
from .quantise import METHODS, hard_quantise, quantise, ratio_codes, soft_quantise
from .sensor import TorchSensor, expose, readout

__all__ = ["expose", "readout", "TorchSensor", "bin_image", "log_gradient", "codes_to_input",
           "TorchLogGradientFrontEnd", "quantise", "soft_quantise", "hard_quantise",
           "ratio_codes", "METHODS", "process", "TorchISP"]
