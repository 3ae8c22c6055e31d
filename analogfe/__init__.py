"""analogfe: the mixed-signal front end of an always-on camera."""
from .sensor import Sensor, SensorConfig, electrons_from_lux
from . import isp, sensor, characterize
from .frontend import (LogGradientFrontEnd, GradientCodes, DigitalFrontEnd, FRONTENDS,
                       make_frontend, emulate)
from . import adc, frontend
from . import energy, system
from . import features
from . import data
from .system import CostResult, cost
from . import metrics, wakeup
from .wakeup import WakeUpClassifier, SlidingWindowDetector, train_detector
from . import config, report, simulate, compare, sweep

__version__ = "0.1.0"
