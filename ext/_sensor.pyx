"""Sensor noise kernels: one fused pass for exposure and one for readout.

Random numbers come from a xoshiro256** generator (Blackman & Vigna 2018)
seeded through splitmix64 with one 64-bit seed per frame, which the Python
side draws from the Sensor's ``numpy.random.Generator``. Samplers:

* uniform on [0, 1): the top 53 bits of a xoshiro256** output;
* Poisson: sequential-search inversion for a mean below 10, PTRS (transformed
  rejection with squeeze, W. Hormann, "The transformed rejection method for
  generating Poisson random variables", Insurance: Mathematics and Economics
  12:39-45, 1993) above, with numpy's ``loggam`` for log k!;
* normal: Marsaglia's polar method, both values of a pair used.

The Python wrappers in ``analogfe.sensor`` validate everything; these kernels
trust their input and write into caller-allocated outputs. A plain-Python
transcription of the generator and samplers in tests/ reproduces every draw.
"""
from libc.math cimport sqrt, log, exp, floor, fabs
from libc.stdint cimport uint64_t, uint16_t
cimport cython


cdef struct Rng:
    uint64_t s0
    uint64_t s1
    uint64_t s2
    uint64_t s3
    int has_spare
    double spare


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
    r.has_spare = 0
    r.spare = 0.0


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
    return <double>(_next(r) >> 11) * (1.0 / 9007199254740992.0)


cdef inline double _normal(Rng* r) noexcept nogil:
    cdef double u, v, s, f
    if r.has_spare:
        r.has_spare = 0
        return r.spare
    while True:
        u = 2.0 * _uniform(r) - 1.0
        v = 2.0 * _uniform(r) - 1.0
        s = u * u + v * v
        if s < 1.0 and s > 0.0:
            break
    f = sqrt(-2.0 * log(s) / s)
    r.spare = v * f
    r.has_spare = 1
    return u * f


cdef double _LOGGAM_A[10]
_LOGGAM_A[:] = [8.333333333333333e-02, -2.777777777777778e-03,
                7.936507936507937e-04, -5.952380952380952e-04,
                8.417508417508418e-04, -1.917526917526918e-03,
                6.410256410256410e-03, -2.955065359477124e-02,
                1.796443723688307e-01, -1.39243221690590e+00]


cdef inline double _loggam(double x) noexcept nogil:
    # log Gamma(x), as numpy's random_loggam
    cdef double x0, x2, gl, gl0
    cdef int k, n
    if x == 1.0 or x == 2.0:
        return 0.0
    n = <int>(7.0 - x) if x < 7.0 else 0
    x0 = x + n
    x2 = (1.0 / x0) * (1.0 / x0)
    gl0 = _LOGGAM_A[9]
    for k in range(8, -1, -1):
        gl0 *= x2
        gl0 += _LOGGAM_A[k]
    gl = gl0 / x0 + 0.5 * 1.8378770664093453 + (x0 - 0.5) * log(x0) - x0
    if x < 7.0:
        for k in range(1, n + 1):
            gl -= log(x0 - 1.0)
            x0 -= 1.0
    return gl


cdef inline double _poisson_small(Rng* r, double lam) noexcept nogil:
    # sequential-search inversion, one uniform per draw
    cdef double u = _uniform(r)
    cdef double p = exp(-lam)
    cdef double f = p
    cdef double k = 0.0
    while u > f:
        k += 1.0
        p *= lam / k
        f += p
        if p == 0.0:
            break
    return k


cdef inline double _poisson_ptrs(Rng* r, double lam) noexcept nogil:
    cdef double slam = sqrt(lam)
    cdef double b = 0.931 + 2.53 * slam
    cdef double a = -0.059 + 0.02483 * b
    cdef double vr = 0.9277 - 3.6224 / (b - 2.0)
    cdef double u, v, us, k
    while True:
        u = _uniform(r) - 0.5
        v = _uniform(r)
        us = 0.5 - fabs(u)
        k = floor((2.0 * a / us + b) * u + lam + 0.43)
        if us >= 0.07 and v <= vr:
            return k
        if k < 0.0 or (us < 0.013 and v > us):
            continue
        if (log(v) + log(1.1239 + 1.1328 / (b - 3.4)) - log(a / (us * us) + b)
                <= -lam + k * log(lam) - _loggam(k + 1.0)):
            return k


cdef inline double _poisson(Rng* r, double lam) noexcept nogil:
    if lam <= 0.0:
        return 0.0
    if lam < 10.0:
        return _poisson_small(r, lam)
    return _poisson_ptrs(r, lam)


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
    variables is Poisson) + DSNU offset, clipped to [0, full_well_e]."""
    cdef Rng r
    cdef Py_ssize_t h = scene.shape[0], w = scene.shape[1], y, x
    cdef double lam, e
    _seed(&r, seed)
    with nogil:
        for y in range(h):
            for x in range(w):
                lam = <double>scene[y, x] * signal_e * <double>prnu_gain[y, x] + dark_mean_e
                e = _poisson(&r, lam) + <double>dsnu_e[y, x]
                if e < 0.0:
                    e = 0.0
                elif e > full_well_e:
                    e = full_well_e
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
    cdef double v, q
    _seed(&r, seed)
    with nogil:
        for y in range(h):
            for x in range(w):
                v = <double>electrons[y, x]
                if read_noise_e > 0.0:
                    v = v + read_noise_e * _normal(&r)
                v = v * gain_dn_per_e + black_level_dn
                if nt == 0:
                    q = floor(v + 0.5)
                    if q < 0.0:
                        q = 0.0
                    elif q > max_code:
                        q = max_code
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
