"""Plain references for the sensor kernels (``ext/_sensor.pyx``).

Two kinds:

* ``expose_numpy`` / ``readout_numpy`` / ``capture_numpy``: the linear camera
  model as a user would write it with numpy's Generator (separate shot and
  dark Poisson draws, float64 temporaries). Statistical reference and the
  benchmark's peer.
* ``XoshiroRef`` and ``expose_exact`` / ``readout_exact``: a scalar, plain
  Python transcription of the kernel's generator (xoshiro256** seeded by
  splitmix64) and samplers (inversion / PTRS Poisson, polar normal), which
  consumes exactly the same uniforms: the kernel must match it bit for bit.
"""
from __future__ import annotations

import math

import numpy as np

MASK = (1 << 64) - 1

LOGGAM_A = [8.333333333333333e-02, -2.777777777777778e-03,
            7.936507936507937e-04, -5.952380952380952e-04,
            8.417508417508418e-04, -1.917526917526918e-03,
            6.410256410256410e-03, -2.955065359477124e-02,
            1.796443723688307e-01, -1.39243221690590e+00]


def _rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


class XoshiroRef:
    """xoshiro256** (Blackman & Vigna), state from splitmix64(seed)."""

    def __init__(self, seed):
        x = seed & MASK
        s = []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & MASK
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
            s.append(z ^ (z >> 31))
        self.s = s
        self.spare = None

    def next64(self):
        s0, s1, s2, s3 = self.s
        result = (_rotl((s1 * 5) & MASK, 7) * 9) & MASK
        t = (s1 << 17) & MASK
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 45)
        self.s = [s0, s1, s2, s3]
        return result

    def uniform(self):
        return (self.next64() >> 11) * (1.0 / 9007199254740992.0)

    def normal(self):
        if self.spare is not None:
            z, self.spare = self.spare, None
            return z
        while True:
            u = 2.0 * self.uniform() - 1.0
            v = 2.0 * self.uniform() - 1.0
            s = u * u + v * v
            if 0.0 < s < 1.0:
                break
        f = math.sqrt(-2.0 * math.log(s) / s)
        self.spare = v * f
        return u * f

    def poisson(self, lam):
        if lam <= 0.0:
            return 0.0
        if lam < 10.0:
            u = self.uniform()
            p = math.exp(-lam)
            f = p
            k = 0.0
            while u > f:
                k += 1.0
                p *= lam / k
                f += p
                if p == 0.0:
                    break
            return k
        slam = math.sqrt(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        vr = 0.9277 - 3.6224 / (b - 2.0)
        while True:
            u = self.uniform() - 0.5
            v = self.uniform()
            us = 0.5 - abs(u)
            k = float(math.floor((2.0 * a / us + b) * u + lam + 0.43))
            if us >= 0.07 and v <= vr:
                return k
            if k < 0.0 or (us < 0.013 and v > us):
                continue
            logv = math.log(v) if v > 0.0 else -math.inf
            if (logv + math.log(1.1239 + 1.1328 / (b - 3.4)) - math.log(a / (us * us) + b)
                    <= -lam + k * math.log(lam) - loggam(k + 1.0)):
                return k


def loggam(x):
    """log Gamma(x) as numpy's random_loggam."""
    if x == 1.0 or x == 2.0:
        return 0.0
    n = int(7.0 - x) if x < 7.0 else 0
    x0 = x + n
    x2 = (1.0 / x0) * (1.0 / x0)
    gl0 = LOGGAM_A[9]
    for k in range(8, -1, -1):
        gl0 *= x2
        gl0 += LOGGAM_A[k]
    gl = gl0 / x0 + 0.5 * 1.8378770664093453 + (x0 - 0.5) * math.log(x0) - x0
    if x < 7.0:
        for _ in range(1, n + 1):
            gl -= math.log(x0 - 1.0)
            x0 -= 1.0
    return gl


def expose_exact(scene, prnu_gain, dsnu_e, signal_e, dark_mean_e, full_well_e, seed):
    """Scalar transcription of the expose kernel (same draws)."""
    r = XoshiroRef(seed)
    h, w = scene.shape
    out = np.empty((h, w), np.float32)
    for y in range(h):
        for x in range(w):
            lam = float(scene[y, x]) * signal_e * float(prnu_gain[y, x]) + dark_mean_e
            e = r.poisson(lam) + float(dsnu_e[y, x])
            out[y, x] = min(max(e, 0.0), full_well_e)
    return out


def readout_exact(electrons, read_noise_e, gain_dn_per_e, black_level_dn, thresholds,
                  max_code, seed):
    """Scalar transcription of the readout kernel (same draws)."""
    r = XoshiroRef(seed)
    h, w = electrons.shape
    out = np.empty((h, w), np.uint16)
    for y in range(h):
        for x in range(w):
            v = float(electrons[y, x])
            if read_noise_e > 0.0:
                v = v + read_noise_e * r.normal()
            v = v * gain_dn_per_e + black_level_dn
            if len(thresholds) == 0:
                out[y, x] = min(max(math.floor(v + 0.5), 0), max_code)
            else:
                out[y, x] = min(int(np.searchsorted(thresholds, v, side="right")), max_code)
    return out


def expose_numpy(scene, prnu_gain, dsnu_e, signal_e, dark_mean_e, full_well_e, rng):
    """The exposure as a user would write it in numpy."""
    mean = scene.astype(np.float64) * signal_e * prnu_gain
    e = rng.poisson(mean).astype(np.float64)
    e += rng.poisson(dark_mean_e, size=e.shape)
    e += dsnu_e
    return np.clip(e, 0.0, full_well_e).astype(np.float32)


def readout_numpy(electrons, read_noise_e, gain_dn_per_e, black_level_dn, thresholds,
                  max_code, rng):
    """The readout as a user would write it in numpy."""
    v = electrons + read_noise_e * rng.standard_normal(electrons.shape)
    v = v * gain_dn_per_e + black_level_dn
    if len(thresholds):
        dn = np.searchsorted(thresholds, v, side="right")
    else:
        dn = np.floor(v + 0.5)
    return np.clip(dn, 0, max_code).astype(np.uint16)


def capture_numpy(sensor, scene, signal_e, exposure_s, rng):
    """expose + readout of a ``Sensor``'s model (its fixed pattern) in numpy."""
    c = sensor.config
    e = expose_numpy(scene, sensor.prnu_gain, sensor.dsnu_offset_e, signal_e,
                     c.dark_current_e_per_s * exposure_s, c.full_well_e, rng)
    return readout_numpy(e, c.read_noise_e, c.gain_dn_per_e, c.black_level_dn,
                         sensor.adc_thresholds_dn, c.max_dn, rng)
