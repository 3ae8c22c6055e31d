from . import app, data, features, frontend, learn, scene, sensor, system
from .frontend import (
                       FRONTENDS,
                       DigitalFrontEnd,
                       GradientCodes,
                       LogGradientFrontEnd,
                       emulate,
                       make_frontend,
)
from .learn.classifier import WakeUpClassifier
from .learn.detector import SlidingWindowDetector, train_detector
from .sensor import AutoExposure, Sensor, SensorConfig, electrons_from_lux
from .system.model import cost
from .system.result import CostResult

__all__ = [
    "scene", "sensor", "frontend", "features", "data", "learn", "system", "app",
    "Sensor", "SensorConfig", "electrons_from_lux", "AutoExposure",
    "LogGradientFrontEnd", "DigitalFrontEnd", "GradientCodes", "FRONTENDS", "make_frontend",
    "emulate", "cost", "CostResult", "WakeUpClassifier", "SlidingWindowDetector",
    "train_detector",
]
