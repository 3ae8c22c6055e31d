"""Plain references for the sensor kernels (``ext/_sensor.pyx``).

Two kinds:

* ``expose_numpy`` / ``readout_numpy`` / ``capture_numpy``: the linear camera
  model as a user would write it with numpy's Generator (separate shot and
  dark Poisson draws, float64 temporaries). Statistical reference and the
  benchmark's peer.
* ``XoshiroRef`` and ``expose_exact`` / ``readout_exact``: a scalar, plain
  Python transcription of the kernel's generator (xoshiro256** seeded by
  splitmix64), its streams (one per block of ``BLOCK_ROWS`` rows of a frame,
  seeded by ``block_seed``) and samplers (tabulated + thinned / Ahrens-Dieter
  PD Poisson, ziggurat normal), which consumes exactly the same random
  numbers: the kernel must match it bit for bit, whatever its thread count.
  The ziggurat tables are the kernel's (tested against
  ``ziggurat_tables_reference``, computed here), and so are the small-mean
  Poisson tables (tested against ``poisson_tables_reference``).
"""
from __future__ import annotations

import math

import numpy as np
from analogfe._ext._sensor import poisson_tables, ziggurat_tables, ziggurat_tables32

ZIGGURAT = tuple(t.tolist() for t in ziggurat_tables())
ZIGGURAT32 = tuple(t.tolist() for t in ziggurat_tables32())  # (ki, wi), fi shared
# the kernel's small-mean tables: CDF of Poisson(j / 16), j < 160, and guides
PCDF, PGUIDE = (t.tolist() for t in poisson_tables())

MASK = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15  # splitmix64's increment
#: Rows of one random stream of the kernels (each block of rows of a frame has its own).
BLOCK_ROWS = 32

ZIG_R = 3.6541528853610088
ZIG_INV_R = 1.0 / 3.6541528853610088
ZIG_V = 0.00492867323399
FACT = [1.0, 1.0, 2.0, 6.0, 24.0, 120.0, 720.0, 5040.0, 40320.0, 362880.0]
A = [-0.5, 0.3333333, -0.2500068, 0.2000118, -0.1661269, 0.1421878, -0.1384794,
     0.1250060]
ONE_7 = 0.1428571428571428571
ONE_12 = 0.0833333333333333333
ONE_24 = 0.0416666666666666667
INV_SQRT_2PI = 0.398942280401432677939946059934


def _rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


def _splitmix(x):
    """splitmix64: ``(new state, output)``."""
    x = (x + GAMMA) & MASK
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return x, z ^ (z >> 31)


def block_seed(frame_seed, block):
    """Seed of the stream of row block ``block`` of a frame seeded ``frame_seed``:
    splitmix64 of ``frame_seed + block * GAMMA``."""
    return _splitmix((frame_seed + block * GAMMA) & MASK)[1]


def block_streams(h, seed):
    """``(rows, generator)`` per block of ``BLOCK_ROWS`` rows of an ``h``-row frame."""
    for y0 in range(0, h, BLOCK_ROWS):
        yield range(y0, min(y0 + BLOCK_ROWS, h)), XoshiroRef(block_seed(seed, y0 // BLOCK_ROWS))


class XoshiroRef:
    """xoshiro256** (Blackman & Vigna), state from splitmix64(seed)."""

    def __init__(self, seed):
        x = seed & MASK
        s = []
        for _ in range(4):
            x, z = _splitmix(x)
            s.append(z)
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

    def _zig_tail(self, neg):
        """The ziggurat's base strip beyond R (Marsaglia's tail method)."""
        while True:
            xx = -ZIG_INV_R * math.log(1.0 - self.uniform())
            yy = -math.log(1.0 - self.uniform())
            if yy + yy > xx * xx:
                return -(ZIG_R + xx) if neg else ZIG_R + xx

    def normal(self):
        """Ziggurat (Marsaglia & Tsang 2000), 256 layers, the kernel's tables."""
        ki, wi, fi = ZIGGURAT
        while True:
            u = self.next64()
            idx = u & 0xFF
            neg = (u >> 8) & 1
            rabs = u >> 12
            x = rabs * wi[idx]
            if neg:
                x = -x
            if rabs < ki[idx]:
                return x
            if idx == 0:
                return self._zig_tail(neg)
            elif (fi[idx - 1] - fi[idx]) * self.uniform() + fi[idx] < math.exp(-0.5 * x * x):
                return x

    def normal32(self, u):
        """Ziggurat on the 32-bit word ``u`` (8 layer bits, sign, 23-bit
        abscissa), the read noise's; a rejected word is replaced by the low
        half of a new draw."""
        ki, wi = ZIGGURAT32
        fi = ZIGGURAT[2]
        while True:
            idx = u & 0xFF
            neg = (u >> 8) & 1
            rabs = u >> 9
            x = rabs * wi[idx]
            if neg:
                x = -x
            if rabs < ki[idx]:
                return x
            if idx == 0:
                return self._zig_tail(neg)
            elif (fi[idx - 1] - fi[idx]) * self.uniform() + fi[idx] < math.exp(-0.5 * x * x):
                return x
            u = self.next64() & 0xFFFFFFFF

    def normal_pairs(self, n):
        """``n`` normals as the readout draws them: two per 64-bit word."""
        out = []
        word = 0
        for i in range(n):
            if i % 2 == 0:
                word = self.next64()
                out.append(self.normal32(word & 0xFFFFFFFF))
            else:
                out.append(self.normal32(word >> 32))
        return out

    def poisson(self, lam):
        if lam <= 0.0:
            return 0.0
        if lam < 10.0:
            # Poisson(j / 16) from the table + Poisson(lam - j / 16) by thinning
            # Poisson(1 / 16), each event kept with probability 16 (lam - j / 16)
            j = int(lam * 16)
            pkeep = (lam - j * (1.0 / 16)) * 16
            k = self._table_search(j, self.uniform())
            u2 = self.uniform()
            if u2 > PCDF[1][0]:
                for _ in range(self._table_search(1, u2)):
                    if self.uniform() < pkeep:
                        k += 1
            return float(k)
        return self._poisson_pd(lam)

    @staticmethod
    def _table_search(j, u):
        """Inversion of the tabulated CDF of Poisson(j / 16), from the guide."""
        k = PGUIDE[j][int(u * 32)]
        while u > PCDF[j][k]:
            k += 1
        return k

    def _poisson_pd(self, mu):
        """Ahrens & Dieter (1982) algorithm PD, mu >= 10."""
        s = math.sqrt(mu)
        d = 6.0 * mu * mu
        big_l = float(math.floor(mu - 1.1484))
        pois = fk = difmuk = u = e = 0.0
        g = mu + s * self.normal()
        if g >= 0.0:
            pois = float(math.floor(g))
            fk = pois
            difmuk = mu - fk
            u = self.uniform()  # drawn even when step I accepts, as the kernel does
            if pois >= big_l or d * u >= difmuk * difmuk * difmuk:
                return pois
        omega = INV_SQRT_2PI / s
        b1 = ONE_24 / mu
        b2 = 0.3 * b1 * b1
        c3 = ONE_7 * b1 * b2
        c2 = b2 - 15.0 * c3
        c1 = b1 - 6.0 * b2 + 45.0 * c3
        c0 = 1.0 - b1 + 3.0 * b2 - 15.0 * c3
        c = 0.1069 / mu
        kflag = 0 if g >= 0.0 else 1
        while True:
            if kflag == 1:
                e = -math.log(1.0 - self.uniform())
                u = 2.0 * self.uniform() - 1.0
                t = 1.8 + (e if u >= 0.0 else -e)
                if t <= -0.6744:
                    continue
                pois = float(math.floor(mu + s * t))
                fk = pois
                difmuk = mu - fk
            if pois < 10.0:
                px = -mu
                py = math.pow(mu, pois) / FACT[int(pois)]
            else:
                dl = ONE_12 / fk
                dl = dl * (1.0 - 4.8 * dl * dl)
                v = difmuk / fk
                if abs(v) <= 0.25:
                    px = fk * v * v * (((((((A[7] * v + A[6]) * v + A[5]) * v + A[4]) * v
                                         + A[3]) * v + A[2]) * v + A[1]) * v + A[0]) - dl
                else:
                    px = fk * math.log(1.0 + v) - difmuk - dl
                py = INV_SQRT_2PI / math.sqrt(fk)
            x = (0.5 - difmuk) / s
            xx = x * x
            fx = -0.5 * xx
            fy = omega * (((c3 * xx + c2) * xx + c1) * xx + c0)
            if kflag == 0:
                if fy - u * fy <= py * math.exp(px - fx):
                    return pois
                kflag = 1
            elif c * abs(u) <= py * math.exp(px + e) - fy * math.exp(fx + e):
                return pois


def ziggurat_tables_reference(n=256, r=None, v=None, bits=52):
    """The ziggurat tables computed here, independently of the kernel
    (``bits``: 52 for the 64-bit words' abscissae, 23 for the 32-bit ones)."""
    r = ZIG_R if r is None else r
    v = ZIG_V if v is None else v
    m = 2.0**bits
    dn = tn = r
    q = v / math.exp(-0.5 * dn * dn)
    ki, wi, fi = [0] * n, [0.0] * n, [0.0] * n
    ki[0] = int((dn / q) * m)
    wi[0], wi[n - 1] = q / m, dn / m
    fi[0], fi[n - 1] = 1.0, math.exp(-0.5 * dn * dn)
    for i in range(n - 2, 0, -1):
        dn = math.sqrt(-2.0 * math.log(v / dn + math.exp(-0.5 * dn * dn)))
        ki[i + 1] = int((dn / tn) * m)
        tn = dn
        fi[i] = math.exp(-0.5 * dn * dn)
        wi[i] = dn / m
    return ki, wi, fi


def poisson_tables_reference(rows=160, k_max=64, guide=32):
    """The small-mean Poisson CDF and guide tables, computed here with
    scipy (CDF of Poisson(j / 16)), independently of the kernel."""
    from scipy import stats

    a = np.arange(rows) / 16.0
    cdf = stats.poisson.cdf(np.arange(k_max)[None, :], a[:, None])
    cdf[:, -1] = 1.0
    g = np.array([[np.searchsorted(row, i / guide, side="left") for i in range(guide)]
                  for row in cdf])
    return cdf, g


def expose_exact(scene, prnu_gain, signal_e, dark_mean_e, full_well_e, seed):
    """Scalar transcription of the expose kernel for one (H, W) frame of seed
    ``seed`` (same draws: one stream per row block, row-major within it)."""
    h, w = scene.shape
    out = np.empty((h, w), np.float32)
    for rows, r in block_streams(h, seed):
        for y in rows:
            for x in range(w):
                lam = float(scene[y, x]) * signal_e * float(prnu_gain[y, x]) + dark_mean_e
                out[y, x] = min(r.poisson(lam), full_well_e)
    return out


def readout_exact(electrons, dsnu_e, read_noise_e, gain_dn_per_e, black_level_dn,
                  thresholds, max_code, seed):
    """Scalar transcription of the readout kernel for one (H, W) frame of seed
    ``seed`` (same draws: the normals of each row block from its own stream,
    paired from the block's first pixel); ``dsnu_e`` is the fixed offset per
    pixel of the readout chain, electrons."""
    h, w = electrons.shape
    flat = electrons.ravel()
    offset = dsnu_e.ravel()
    noise = None
    if read_noise_e > 0.0:
        noise = []
        for rows, r in block_streams(h, seed):
            noise += r.normal_pairs(len(rows) * w)
    out = np.empty(flat.size, np.uint16)
    for i in range(flat.size):
        v = float(flat[i]) + float(offset[i])
        if noise is not None:
            v = v + read_noise_e * noise[i]
        v = v * gain_dn_per_e + black_level_dn
        if len(thresholds) == 0:
            out[i] = min(max(math.floor(v + 0.5), 0), max_code)
        else:
            out[i] = min(int(np.searchsorted(thresholds, v, side="right")), max_code)
    return out.reshape(h, w)


def expose_numpy(scene, prnu_gain, signal_e, dark_mean_e, full_well_e, rng):
    """The exposure as a user would write it in numpy (the charge: no DSNU)."""
    mean = scene.astype(np.float64) * signal_e * prnu_gain
    e = rng.poisson(mean).astype(np.float64)
    e += rng.poisson(dark_mean_e, size=e.shape)
    return np.minimum(e, full_well_e).astype(np.float32)


def readout_numpy(electrons, dsnu_e, read_noise_e, gain_dn_per_e, black_level_dn,
                  thresholds, max_code, rng):
    """The readout as a user would write it in numpy: the DSNU offset
    ``dsnu_e`` (electrons, per pixel) and the read noise, gain, black level, ADC."""
    v = (electrons.astype(np.float64) + dsnu_e) + read_noise_e * rng.standard_normal(
        electrons.shape)
    v = v * gain_dn_per_e + black_level_dn
    if len(thresholds):
        dn = np.searchsorted(thresholds, v, side="right")
    else:
        dn = np.floor(v + 0.5)
    return np.clip(dn, 0, max_code).astype(np.uint16)


def capture_numpy(sensor, scene, signal_e, exposure_s, rng):
    """expose + readout of a ``Sensor``'s model (its fixed pattern) in numpy."""
    c = sensor.config
    e = expose_numpy(scene, sensor.prnu_gain, signal_e,
                     c.dark_current_e_per_s * exposure_s, c.full_well_e, rng)
    return readout_numpy(e, sensor.dsnu_offset_e, c.read_noise_e, c.gain_dn_per_e,
                         c.black_level_dn, sensor.adc_thresholds_dn, c.max_dn, rng)


# ------------------------------------------------------------------ peers --
# The same linear camera model in other packages, at a Sensor's settings: the
# benchmark's peers and the statistics check that the chains agree.

def emva1288_camera(sensor, exposure_s, seed=0):
    """``emva1288.camera.Camera`` at ``sensor``'s settings and fixed pattern.

    QE folded into the signal (one wavelength, QE 1: the radiance is chosen
    for the electrons, see :func:`emva1288_grab`), dark current
    ``dark_current_e_per_s`` (at the reference temperature), read noise
    ``read_noise_e`` (its ``sigma2_dark_0``, no electronic offset), the
    sensor's PRNU gain and DSNU offset (electrons), full well, gain K, black
    level and ADC bits. What differs is the package's: it clips the charge
    with the read noise and DSNU at 0 and at the full well (we clip the
    charge alone), and it adds a uniform dither of 1 DN before rounding, so
    its quantisation noise is 1/6 DN^2 where ours is 1/12.
    """
    from emva1288.camera import Camera, routines

    c = sensor.config
    h, w = c.shape
    qe = routines.Qe(qe=np.ones((h, w, 1)), wavelength=np.array([550.0]), width=w, height=h)
    return Camera(width=w, height=h, bit_depth=c.adc_bits, qe=qe,
                  exposure=exposure_s * 1e9, exposure_min=0.0, exposure_max=1e13,
                  temperature=30.0, temperature_ref=30.0,
                  dark_current_ref=c.dark_current_e_per_s,
                  K=c.gain_dn_per_e, K_min=c.gain_dn_per_e, K_max=c.gain_dn_per_e, K_steps=1,
                  blackoffset=c.black_level_dn, blackoffset_min=0,
                  blackoffset_max=c.max_dn, blackoffset_steps=c.max_dn + 1,
                  dark_signal_0=0.0, sigma2_dark_0=c.read_noise_e**2, u_esat=c.full_well_e,
                  dsnu=sensor.dsnu_offset_e.astype(np.float64),
                  prnu=sensor.prnu_gain.astype(np.float64), seed=seed)


def emva1288_radiance(camera, mean_e):
    """The radiance (H, W, 1) at which ``camera`` collects ``mean_e`` photo-electrons
    per pixel (before its PRNU)."""
    per_unit = camera.get_photons(1.0)  # photons of radiance 1 (QE is 1)
    return (np.asarray(mean_e, np.float64) / per_unit)[..., None]


def temporal_stats(frames):
    """Mean DN and mean temporal variance (over frames, per pixel, then averaged)
    of an (N, H, W) stack."""
    f = np.asarray(frames, np.float64)
    return float(f.mean()), float(f.var(axis=0, ddof=1).mean())
