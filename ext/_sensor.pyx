"""Sensor noise kernels: one fused pass for exposure and one for readout.

Random numbers come from a xoshiro256** generator (Blackman & Vigna 2018)
seeded through splitmix64 with one 64-bit seed per frame, which the Python
side draws from the Sensor's ``numpy.random.Generator``. Samplers:

* uniform on [0, 1): the top 53 bits of a xoshiro256** output;
* Poisson: sequential-search inversion for a mean below 10; above, algorithm
  PD of J. H. Ahrens and U. Dieter, "Computer generation of Poisson deviates
  from modified normal distributions", ACM TOMS 8(2):163-179, 1982 (as in R's
  ``rpois``): a normal deviate accepted at once in most cases;
* normal: the ziggurat method, G. Marsaglia and W. W. Tsang, "The Ziggurat
  Method for Generating Random Variables", J. Stat. Softw. 5(8), 2000
  (256 layers, 52-bit abscissae; exponential tail by inversion).

The Python wrappers in ``analogfe.sensor`` validate everything; these kernels
trust their input and write into caller-allocated outputs. A plain-Python
transcription of the generator and samplers in tests/ reproduces every draw.
"""
from libc.math cimport sqrt, log, exp, fabs, pow
from libc.stdint cimport uint64_t, int64_t, uint16_t
cimport cython


# The generator state is a small struct handled by value by the rare-path
# helpers (``_normal_slow``, ``_pd_slow``): its address never escapes the
# kernels' loops, so the compiler keeps the state in registers on the hot path.
cdef struct Rng:
    uint64_t s0
    uint64_t s1
    uint64_t s2
    uint64_t s3
    double value      # result slot of the by-value helpers
    double last_lam   # exp(-lam) of the previous small mean (dark pixels repeat it)
    double last_exp


cdef inline uint64_t _splitmix(uint64_t* x) noexcept nogil:
    x[0] += <uint64_t>0x9E3779B97F4A7C15ULL
    cdef uint64_t z = x[0]
    z = (z ^ (z >> 30)) * <uint64_t>0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * <uint64_t>0x94D049BB133111EBULL
    return z ^ (z >> 31)


cdef inline void _seed(Rng* r, uint64_t seed) noexcept nogil:
    cdef uint64_t x = seed
    r.s0 = _splitmix(&x)
    r.s1 = _splitmix(&x)
    r.s2 = _splitmix(&x)
    r.s3 = _splitmix(&x)
    r.value = 0.0
    r.last_lam = 0.0
    r.last_exp = 1.0


cdef inline uint64_t _rotl(uint64_t x, int k) noexcept nogil:
    return (x << k) | (x >> (64 - k))


cdef inline uint64_t _next(Rng* r) noexcept nogil:
    cdef uint64_t result = _rotl(r.s1 * 5, 7) * 9
    cdef uint64_t t = r.s1 << 17
    r.s2 ^= r.s0
    r.s3 ^= r.s1
    r.s1 ^= r.s2
    r.s0 ^= r.s3
    r.s2 ^= t
    r.s3 = _rotl(r.s3, 45)
    return result


cdef inline double _uniform(Rng* r) noexcept nogil:
    # (signed conversion: one instruction; the value is below 2**53)
    return <double>(<int64_t>(_next(r) >> 11)) * (1.0 / 9007199254740992.0)


# Ziggurat tables (Marsaglia & Tsang 2000), 256 layers, 52-bit mantissas.
DEF ZIG_N = 256
cdef double ZIG_R = 3.6541528853610088       # start of the tail
cdef double ZIG_INV_R = 1.0 / 3.6541528853610088
cdef double ZIG_V = 0.00492867323399         # area of each layer
cdef uint64_t _ki[ZIG_N]
cdef double _wi[ZIG_N]
cdef double _fi[ZIG_N]


cdef void _zig_setup() noexcept:
    cdef double m = 4503599627370496.0  # 2**52
    cdef double dn = ZIG_R, tn = ZIG_R
    cdef double q = ZIG_V / exp(-0.5 * dn * dn)
    cdef int i
    _ki[0] = <uint64_t>((dn / q) * m)
    _ki[1] = 0
    _wi[0] = q / m
    _wi[ZIG_N - 1] = dn / m
    _fi[0] = 1.0
    _fi[ZIG_N - 1] = exp(-0.5 * dn * dn)
    for i in range(ZIG_N - 2, 0, -1):
        dn = sqrt(-2.0 * log(ZIG_V / dn + exp(-0.5 * dn * dn)))
        _ki[i + 1] = <uint64_t>((dn / tn) * m)
        tn = dn
        _fi[i] = exp(-0.5 * dn * dn)
        _wi[i] = dn / m


_zig_setup()


def ziggurat_tables():
    """Copies of the ziggurat tables ``(ki, wi, fi)`` (for the reference)."""
    import numpy as np
    ki = np.array([_ki[i] for i in range(ZIG_N)], dtype=np.uint64)
    wi = np.array([_wi[i] for i in range(ZIG_N)])
    fi = np.array([_fi[i] for i in range(ZIG_N)])
    return ki, wi, fi


cdef inline double _floor(double x) noexcept nogil:
    # floor without a libm call (baseline x86-64 has no SSE4.1 round); valid
    # for |x| < 2**63: callers keep their arguments in range (means below
    # MAX_MEAN_E)
    cdef double t = <double>(<long long>x)
    return t - 1.0 if t > x else t


cdef Rng _normal_slow(Rng r, uint64_t u) noexcept nogil:
    # the ziggurat's rare cases for the draw u (wedge or tail), then new draws
    # until one is accepted; the result goes to r.value
    cdef int idx, neg
    cdef uint64_t rabs
    cdef double x, xx, yy
    while True:
        idx = <int>(u & 0xff)
        neg = <int>((u >> 8) & 1)
        rabs = (u >> 12)
        x = <double>(<int64_t>rabs) * _wi[idx] * (1.0 - 2.0 * neg)
        if rabs < _ki[idx]:
            r.value = x
            return r
        if idx == 0:
            while True:
                xx = -ZIG_INV_R * log(1.0 - _uniform(&r))
                yy = -log(1.0 - _uniform(&r))
                if yy + yy > xx * xx:
                    r.value = -(ZIG_R + xx) if neg else ZIG_R + xx
                    return r
        elif (_fi[idx - 1] - _fi[idx]) * _uniform(&r) + _fi[idx] < exp(-0.5 * x * x):
            r.value = x
            return r
        u = _next(&r)


cdef inline double _normal(Rng* r) noexcept nogil:
    # ziggurat: one 64-bit draw gives layer (8 bits), sign (1) and abscissa (52);
    # about 99 % of draws are accepted here
    cdef uint64_t u = _next(r)
    cdef int idx = <int>(u & 0xff)
    cdef uint64_t rabs = u >> 12
    # times +-1 (exact) instead of a branch on a random bit
    cdef double x = <double>(<int64_t>rabs) * _wi[idx] * (1.0 - 2.0 * <int>((u >> 8) & 1))
    if rabs < _ki[idx]:
        return x
    r[0] = _normal_slow(r[0], u)
    return r.value


cdef double _FACT[10]
_FACT[:] = [1.0, 1.0, 2.0, 6.0, 24.0, 120.0, 720.0, 5040.0, 40320.0, 362880.0]
DEF A0 = -0.5
DEF A1 = 0.3333333
DEF A2 = -0.2500068
DEF A3 = 0.2000118
DEF A4 = -0.1661269
DEF A5 = 0.1421878
DEF A6 = -0.1384794
DEF A7 = 0.1250060
DEF ONE_7 = 0.1428571428571428571
DEF ONE_12 = 0.0833333333333333333
DEF ONE_24 = 0.0416666666666666667
DEF INV_SQRT_2PI = 0.398942280401432677939946059934


# 1 / k for the inversion search (a multiply instead of a divide per step)
DEF N_INV = 128
cdef double _INV[N_INV]
for _k in range(1, N_INV):
    _INV[_k] = 1.0 / _k
_INV[0] = 0.0


def inverse_table():
    """Copy of the 1/k table of the inversion sampler (for the reference)."""
    import numpy as np
    return np.array([_INV[i] for i in range(N_INV)])


cdef inline double _poisson_small(Rng* r, double lam) noexcept nogil:
    # sequential-search inversion, one uniform per draw; lam < 10, so the
    # search ends long before k = N_INV - 1 (P(X > 127) < 1e-80)
    cdef double u = _uniform(r)
    cdef double p
    if lam != r.last_lam:
        r.last_lam = lam
        r.last_exp = exp(-lam)
    p = r.last_exp
    cdef double f = p
    cdef int k = 0
    while u > f and k < N_INV - 1:
        k += 1
        # lam / k off the dependency chain: one multiply per step on it
        p = p * (lam * _INV[k])
        f += p
    return <double>k


cdef Rng _pd_slow(Rng r, double mu, double s, double g, double pois, double difmuk,
                 double u) noexcept nogil:
    # algorithm PD after steps N, I, S failed: steps P, Q, E, H; result in r.value
    cdef double omega, b1, b2, c3, c2, c1, c0, c
    cdef double fk = pois, e = 0.0, t, px, py, fx, fy, x, xx, dl, v
    cdef int kflag
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
            # step E: a double-exponential (Laplace) sample
            e = -log(1.0 - _uniform(&r))
            u = 2.0 * _uniform(&r) - 1.0
            t = 1.8 + (e if u >= 0.0 else -e)
            if t <= -0.6744:
                continue
            pois = _floor(mu + s * t)
            fk = pois
            difmuk = mu - fk
        # procedure F: px, py (Poisson) and fx, fy (discrete normal)
        if pois < 10.0:
            px = -mu
            py = pow(mu, pois) / _FACT[<int>pois]
        else:
            dl = ONE_12 / fk
            dl = dl * (1.0 - 4.8 * dl * dl)
            v = difmuk / fk
            if fabs(v) <= 0.25:
                px = fk * v * v * (((((((A7 * v + A6) * v + A5) * v + A4) * v + A3) * v
                                     + A2) * v + A1) * v + A0) - dl
            else:
                px = fk * log(1.0 + v) - difmuk - dl
            py = INV_SQRT_2PI / sqrt(fk)
        x = (0.5 - difmuk) / s
        xx = x * x
        fx = -0.5 * xx
        fy = omega * (((c3 * xx + c2) * xx + c1) * xx + c0)
        if kflag == 0:
            # step Q: quotient acceptance
            if fy - u * fy <= py * exp(px - fx):
                r.value = pois
                return r
            kflag = 1
        else:
            # step H: hat acceptance
            if c * fabs(u) <= py * exp(px + e) - fy * exp(fx + e):
                r.value = pois
                return r


cdef inline double _poisson_pd(Rng* r, double mu) noexcept nogil:
    # Ahrens & Dieter (1982) algorithm PD, mu >= 10: a normal sample accepted
    # at once in most cases (steps N, I, S); otherwise the exact quotient (Q)
    # or Laplace-hat (E, H) acceptance in _pd_slow.
    cdef double s = sqrt(mu)
    cdef double g = mu + s * _normal(r)
    cdef double pois = 0.0, difmuk = 0.0, u = 0.0
    if g >= 0.0:
        # steps I and S as one test: u is drawn even when step I accepts (it is
        # independent of the sample), so the branch is predictable
        pois = _floor(g)
        difmuk = mu - pois
        u = _uniform(r)
        # step I, pois >= floor(mu - 1.1484), written without a floor: for an
        # integer pois it is the same as mu - 1.1484 < pois + 1
        if (mu - 1.1484 < pois + 1.0) | (6.0 * mu * mu * u >= difmuk * difmuk * difmuk):
            return pois
    r[0] = _pd_slow(r[0], mu, s, g, pois, difmuk, u)
    return r.value


cdef inline double _poisson(Rng* r, double lam) noexcept nogil:
    if lam <= 0.0:
        return 0.0
    if lam < 10.0:
        return _poisson_small(r, lam)
    return _poisson_pd(r, lam)


#: Largest Poisson mean the kernels accept (the caller checks): far above any
#: full well, and small enough for the floor above.
MAX_MEAN_E = 1e15


def expose(const float[:, ::1] scene,      # IN  (H, W) relative irradiance >= 0
           const float[:, ::1] prnu_gain,  # IN  (H, W) fixed relative gain >= 0
           const float[:, ::1] dsnu_e,     # IN  (H, W) fixed dark offset, e-
           double signal_e,                # mean e- for a scene value of 1
           double dark_mean_e,             # dark current x exposure time, e-
           double full_well_e,
           uint64_t seed,
           float[:, ::1] out):             # OUT (H, W) electrons
    """Per pixel: Poisson(scene * signal_e * prnu_gain + dark_mean_e) (photon
    shot noise and dark shot noise in one draw: a sum of independent Poisson
    variables is Poisson) + DSNU offset, clipped to [0, full_well_e]. Every
    mean must be below MAX_MEAN_E."""
    cdef Rng r
    cdef Py_ssize_t h = scene.shape[0], w = scene.shape[1], y, x
    cdef double lam, e
    _seed(&r, seed)
    with nogil:
        for y in range(h):
            for x in range(w):
                lam = <double>scene[y, x] * signal_e * <double>prnu_gain[y, x] + dark_mean_e
                e = _poisson(&r, lam) + <double>dsnu_e[y, x]
                # clip as conditional moves (no branch on a random sign)
                e = e if e > 0.0 else 0.0
                e = e if e < full_well_e else full_well_e
                out[y, x] = <float>e


def readout(const float[:, ::1] electrons,   # IN  (H, W) e-
            double read_noise_e,
            double gain_dn_per_e,
            double black_level_dn,
            const double[::1] thresholds,     # IN  ADC transition levels (DN) or empty
            int max_code,
            uint64_t seed,
            uint16_t[:, ::1] out):            # OUT (H, W) DN
    """Per pixel: v = (e + read_noise_e * N(0, 1)) * gain + black (in DN);
    the ideal ADC gives floor(v + 0.5); with transition levels, the code is the
    number of levels <= v (INL/DNL). Clipped to [0, max_code]."""
    cdef Rng r
    cdef Py_ssize_t h = electrons.shape[0], w = electrons.shape[1], y, x
    cdef Py_ssize_t nt = thresholds.shape[0], lo, hi, mid
    cdef double v, q, top = max_code
    _seed(&r, seed)
    with nogil:
        for y in range(h):
            for x in range(w):
                v = <double>electrons[y, x]
                if read_noise_e > 0.0:
                    v = v + read_noise_e * _normal(&r)
                v = v * gain_dn_per_e + black_level_dn
                if nt == 0:
                    # clamp, then round half up (same as clipping the rounded
                    # value); q >= 0, so the truncating cast is the floor
                    q = v + 0.5
                    q = q if q > 0.0 else 0.0
                    q = q if q < top else top
                    out[y, x] = <uint16_t>q
                else:
                    lo = 0
                    hi = nt
                    while lo < hi:
                        mid = (lo + hi) >> 1
                        if thresholds[mid] <= v:
                            lo = mid + 1
                        else:
                            hi = mid
                    out[y, x] = <uint16_t>(lo if lo <= max_code else max_code)


# --------------------------------------------------------------------------- #
# the generator and samplers on their own, for tests and reproducibility
# --------------------------------------------------------------------------- #
def uniforms(uint64_t seed, double[::1] out):
    """Fill ``out`` with the uniform stream of ``seed``."""
    cdef Rng r
    cdef Py_ssize_t i
    _seed(&r, seed)
    with nogil:
        for i in range(out.shape[0]):
            out[i] = _uniform(&r)


def poisson(const double[::1] lam, uint64_t seed, double[::1] out):
    """One Poisson draw per mean, sharing one stream."""
    cdef Rng r
    cdef Py_ssize_t i
    _seed(&r, seed)
    with nogil:
        for i in range(lam.shape[0]):
            out[i] = _poisson(&r, lam[i])


def normal(uint64_t seed, double[::1] out):
    """Standard normal draws of ``seed``."""
    cdef Rng r
    cdef Py_ssize_t i
    _seed(&r, seed)
    with nogil:
        for i in range(out.shape[0]):
            out[i] = _normal(&r)
