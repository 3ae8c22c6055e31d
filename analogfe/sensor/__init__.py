"""The image sensor: photons -> electrons -> DN (EMVA 1288 model), and its
characterisation by the EMVA 1288 measurements, and the auto-exposure that
sets exposure time and analog gain."""
from .emva import EMVAResult, characterize, photon_transfer_pair
from .exposure import EXPOSURE_MODES, AutoExposure, ExposureSetting, saturation_e
from .model import (
    MAX_ANALOG_GAIN,
    MAX_EXPOSURE_S,
    PHOTONS_PER_LUX_S_M2,
    SENSOR_PRESETS,
    Sensor,
    SensorConfig,
    electrons_from_lux,
)

__all__ = ["SensorConfig", "SENSOR_PRESETS", "Sensor", "electrons_from_lux", "PHOTONS_PER_LUX_S_M2",
           "MAX_EXPOSURE_S", "MAX_ANALOG_GAIN",
           "AutoExposure", "ExposureSetting", "EXPOSURE_MODES", "saturation_e",
           "characterize", "EMVAResult", "photon_transfer_pair"]
