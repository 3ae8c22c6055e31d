"""analogfe: the mixed-signal front end of an always-on camera."""
from .sensor import Sensor, SensorConfig
from .frontend import LogGradientFrontEnd, GradientCodes

__version__ = "0.1.0"
