"""Image sensor physics: the EMVA 1288 linear camera model.

(Skeleton in plain numpy; noise injection moves to ``ext/``.)
"""
from __future__ import annotations

from dataclasses import dataclass, asdict, fields

import numpy as np

from ._validation import as_generator, check_array, check_float, check_int


@dataclass(frozen=True)
class SensorConfig:
    """Configuration of the linear camera model (EMVA 1288)."""

    height: int = 240
    width: int = 320
    full_well_e: float = 10000.0
    read_noise_e: float = 2.0
    dark_current_e_per_s: float = 5.0
    prnu: float = 0.01
    dsnu_e: float = 1.0
    gain_dn_per_e: float = 0.1
    adc_bits: int = 10
    black_level_dn: int = 64
    cfa: str | None = None

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, d):
        valid = [f.name for f in fields(cls)]
        for k in d:
            if k not in valid:
                raise ValueError(f"unknown SensorConfig key {k!r}; valid: {', '.join(valid)}")
        return cls(**d)


class Sensor:
    """One sensor instance: its fixed pattern is drawn once from ``seed``."""

    def __init__(self, config=None, seed=None):
        self.config = config if config is not None else SensorConfig()
        self.seed = seed
        rng = as_generator(seed)
        c = self.config
        shape = (c.height, c.width)
        self.prnu_gain = (1.0 + c.prnu * rng.standard_normal(shape)).astype(np.float32)
        self.dsnu_offset_e = (c.dsnu_e * rng.standard_normal(shape)).astype(np.float32)
        self._rng = np.random.default_rng(rng.integers(2**63))

    def expose(self, scene, signal_e=2000.0, exposure_s=0.033):
        c = self.config
        scene = check_array(scene, "scene", ndim=(2, 3), dtype=np.float32, nonnegative=True)
        if scene.shape[-2:] != (c.height, c.width):
            raise ValueError(f"scene must be {(c.height, c.width)}, got {scene.shape[-2:]}")
        mean = scene * np.float32(signal_e) * self.prnu_gain
        e = self._rng.poisson(mean).astype(np.float32)
        e += self._rng.poisson(c.dark_current_e_per_s * exposure_s, size=e.shape)
        e += self.dsnu_offset_e
        return np.clip(e, 0.0, c.full_well_e).astype(np.float32)

    def readout(self, electrons):
        c = self.config
        e = check_array(electrons, "electrons", ndim=(2, 3), dtype=np.float32)
        v = e + c.read_noise_e * self._rng.standard_normal(e.shape)
        dn = np.round(v * c.gain_dn_per_e + c.black_level_dn)
        return np.clip(dn, 0, 2**c.adc_bits - 1).astype(np.uint16)
