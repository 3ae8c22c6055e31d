"""The image sensor: photons -> electrons -> DN (EMVA 1288 model), and its
characterisation by the EMVA 1288 measurements."""
from .emva import EMVAResult, characterize, photon_transfer_pair
from .model import (
    MAX_EXPOSURE_S,
    PHOTONS_PER_LUX_S_M2,
    Sensor,
    SensorConfig,
    electrons_from_lux,
)

__all__ = ["SensorConfig", "Sensor", "electrons_from_lux", "PHOTONS_PER_LUX_S_M2",
           "MAX_EXPOSURE_S",
           "characterize", "EMVAResult", "photon_transfer_pair"]
