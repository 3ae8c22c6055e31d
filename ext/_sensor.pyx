"""Sensor noise kernels: one fused pass for exposure and one for readout.

Random numbers come from xoshiro256** generators (Blackman & Vigna 2018)
seeded through splitmix64. The Python side draws one 64-bit seed per frame
from the Sensor's ``numpy.random.Generator``; each block of ``BLOCK_ROWS``
rows of a frame has its own stream, seeded with ``block_seed(frame_seed, b)``
(splitmix64 of the frame seed and the block index), so the blocks of all
frames of a stack are shared out among threads (``prange``, static schedule)
and the output is the same bits whatever the thread count. Samplers:

* uniform on [0, 1): the top 53 bits of a xoshiro256** output;
* Poisson: for a mean below 10, a tabulated Poisson on a 1/16 grid of means
  (inversion with a guide table) plus a thinned Poisson(1/16) for the rest of
  the mean (exact: a sum of independent Poisson variables); above, algorithm
  PD of J. H. Ahrens and U. Dieter, "Computer generation of Poisson deviates
  from modified normal distributions", ACM TOMS 8(2):163-179, 1982 (as in R's
  ``rpois``): a normal deviate accepted at once in most cases;
* normal: the ziggurat method, G. Marsaglia and W. W. Tsang, "The Ziggurat
  Method for Generating Random Variables", J. Stat. Softw. 5(8), 2000
  (256 layers, 52-bit abscissae; exponential tail by inversion); the read
  noise uses the same layers on 32-bit words (23-bit abscissae), two normals
  per 64-bit draw.

The Python wrappers in ``analogfe.sensor`` validate everything; these kernels
trust their input and write into caller-allocated outputs. A plain-Python
transcription of the generator and samplers in tests/ reproduces every draw.
"""
from cython.parallel cimport prange
from libc.math cimport sqrt, log, exp, fabs, pow
from libc.stdint cimport uint64_t, int64_t, uint32_t, int32_t

from _types cimport dn_t, float32_t, float64_t


# The generator state is a small struct handled by value by the rare-path
# helpers (``_normal_slow``, ``_pd_slow``): its address never escapes the
# kernels' loops, so the compiler keeps the state in registers on the hot path.
cdef struct Rng:
    uint64_t s0
    uint64_t s1
    uint64_t s2
    uint64_t s3
    double value      # result slot of the by-value helpers


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


#: Rows of one random stream: a frame's rows are cut into blocks of this many
#: (the last one shorter), each with its own generator, the unit of work of
#: the threads. 32 rows of a 640-pixel row are 20k draws: the seeding (a few
#: nanoseconds) is noise, and a 12 MP frame still has 94 blocks to share out.
cdef enum:
    _BLOCK_ROWS = 32
BLOCK_ROWS = _BLOCK_ROWS

# splitmix64's increment (the golden ratio, 2**64 / phi)
cdef uint64_t _GAMMA = <uint64_t>0x9E3779B97F4A7C15ULL


cdef inline uint64_t _block_seed(uint64_t frame_seed, uint64_t block) noexcept nogil:
    # splitmix64 of (frame seed + block * gamma): the (block + 1)-th output of
    # the splitmix64 sequence started at the frame seed. The block's xoshiro
    # state is four further splitmix64 outputs from this hashed value, so
    # neighbouring blocks do not share state words.
    cdef uint64_t x = frame_seed + block * _GAMMA
    return _splitmix(&x)


def block_seed(uint64_t frame_seed, uint64_t block):
    """The seed of the stream of row block ``block`` of a frame seeded ``frame_seed``."""
    return _block_seed(frame_seed, block)


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
# _wi with the sign folded in: _wis[i] = _wi[i], _wis[i + 256] = -_wi[i], so a
# 9-bit index (layer, sign) gives the signed scale in one load (x * -w is
# exactly -(x * w): the same values as a multiply by -1)
cdef double _wis[2 * ZIG_N]
# the same layers on 32-bit words (8 layer bits, 1 sign bit, 23-bit abscissae):
# the read noise takes two normals from one 64-bit draw
cdef uint32_t _ki32[ZIG_N]
cdef double _wis32[2 * ZIG_N]


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
    for i in range(ZIG_N):
        _wis[i] = _wi[i]
        _wis[i + ZIG_N] = -_wi[i]
    # the 32-bit variant: the same recursion, abscissae scaled by 2**23
    cdef double m32 = 8388608.0
    dn = ZIG_R
    tn = ZIG_R
    _ki32[0] = <uint32_t>((dn / q) * m32)
    _ki32[1] = 0
    _wis32[0] = q / m32
    _wis32[ZIG_N - 1] = dn / m32
    for i in range(ZIG_N - 2, 0, -1):
        dn = sqrt(-2.0 * log(ZIG_V / dn + exp(-0.5 * dn * dn)))
        _ki32[i + 1] = <uint32_t>((dn / tn) * m32)
        tn = dn
        _wis32[i] = dn / m32
    for i in range(ZIG_N):
        _wis32[i + ZIG_N] = -_wis32[i]


_zig_setup()


def ziggurat_tables32():
    """Copies of the 32-bit ziggurat tables ``(ki, wi)`` (``fi`` is shared)."""
    import numpy as np
    ki = np.array([_ki32[i] for i in range(ZIG_N)], dtype=np.uint32)
    wi = np.array([_wis32[i] for i in range(ZIG_N)])
    return ki, wi


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


cdef inline double _zig_tail(Rng* r, int neg) noexcept nogil:
    # ziggurat base strip beyond R (Marsaglia's tail method), shared by the
    # 52-bit and 32-bit normal samplers
    cdef double xx, yy
    while True:
        xx = -ZIG_INV_R * log(1.0 - _uniform(r))
        yy = -log(1.0 - _uniform(r))
        if yy + yy > xx * xx:
            return -(ZIG_R + xx) if neg else ZIG_R + xx


cdef Rng _normal_slow(Rng r, uint64_t u) noexcept nogil:
    # the ziggurat's rare cases for the draw u (wedge or tail), then new draws
    # until one is accepted; the result goes to r.value
    cdef int idx, neg
    cdef uint64_t rabs
    cdef double x
    while True:
        idx = <int>(u & 0xff)
        neg = <int>((u >> 8) & 1)
        rabs = (u >> 12)
        x = <double>(<int64_t>rabs) * _wi[idx] * (1.0 - 2.0 * neg)
        if rabs < _ki[idx]:
            r.value = x
            return r
        if idx == 0:
            r.value = _zig_tail(&r, neg)
            return r
        elif (_fi[idx - 1] - _fi[idx]) * _uniform(&r) + _fi[idx] < exp(-0.5 * x * x):
            r.value = x
            return r
        u = _next(&r)


cdef inline double _normal(Rng* r) noexcept nogil:
    # ziggurat: one 64-bit draw gives layer (8 bits), sign (1) and abscissa (52);
    # about 99 % of draws are accepted here
    cdef uint64_t u = _next(r)
    cdef uint64_t rabs = u >> 12
    # the signed scale (no branch on the random sign bit)
    cdef double x = <double>(<int64_t>rabs) * _wis[u & 0x1ff]
    if rabs < _ki[u & 0xff]:
        return x
    r[0] = _normal_slow(r[0], u)
    return r.value


cdef Rng _normal32_slow(Rng r, uint32_t u) noexcept nogil:
    # rare cases of the 32-bit ziggurat for the word u (wedge or tail); a
    # rejected word is replaced by the low half of a new draw; result in r.value
    cdef int idx, neg
    cdef uint32_t rabs
    cdef double x
    while True:
        idx = <int>(u & 0xff)
        neg = <int>((u >> 8) & 1)
        rabs = u >> 9
        x = <double>(<int32_t>rabs) * _wis32[u & 0x1ff]
        if rabs < _ki32[idx]:
            r.value = x
            return r
        if idx == 0:
            r.value = _zig_tail(&r, neg)
            return r
        elif (_fi[idx - 1] - _fi[idx]) * _uniform(&r) + _fi[idx] < exp(-0.5 * x * x):
            r.value = x
            return r
        u = <uint32_t>_next(&r)


cdef inline double _normal32(Rng* r, uint32_t u) noexcept nogil:
    # ziggurat on a 32-bit word: layer (8 bits), sign (1), abscissa (23)
    cdef uint32_t rabs = u >> 9
    cdef double x = <double>(<int32_t>rabs) * _wis32[u & 0x1ff]
    if rabs < _ki32[u & 0xff]:
        return x
    r[0] = _normal32_slow(r[0], u)
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


# Poisson means below 10: Poisson(lam) = Poisson(a) + Poisson(b) with a = j / 16
# the grid point below lam and b = lam - a < 1/16 (a sum of independent Poisson
# variables is Poisson). Poisson(a) by inversion on a table of its CDF, started
# from a guide table (Chen & Asau 1974); Poisson(b) by thinning Poisson(1/16)
# (row 1 of the same table), keeping each event with probability 16 b. No exp
# and no search loop on the common path. Rows end at k = 63 (cdf set to 1):
# P(X > 63) < 1e-28 for every a < 10, far below the uniforms' 2**-53 grid.
DEF PT_G = 16            # grid points per unit mean
DEF PT_ROWS = 160        # a = 0, 1/16, ..., 10 - 1/16
DEF PT_K = 64            # CDF entries per row
DEF PT_M = 32            # guide entries per row
cdef double _pcdf[PT_ROWS][PT_K]
cdef unsigned char _pguide[PT_ROWS][PT_M]


cdef void _poisson_table_setup() noexcept:
    cdef int j, k, i
    cdef double a, p, f
    for j in range(PT_ROWS):
        a = j * (1.0 / PT_G)
        p = exp(-a)
        f = p
        _pcdf[j][0] = f
        for k in range(1, PT_K):
            p = p * a / k
            f += p
            _pcdf[j][k] = f if f < 1.0 else 1.0  # (rounding may pass 1)
        _pcdf[j][PT_K - 1] = 1.0
        # guide: the smallest k with cdf[k] >= i / M (a start at or below the
        # inversion's answer for any u in [i / M, (i + 1) / M))
        k = 0
        for i in range(PT_M):
            while _pcdf[j][k] < i * (1.0 / PT_M):
                k += 1
            _pguide[j][i] = <unsigned char>k


_poisson_table_setup()


def poisson_tables():
    """Copies of the small-mean Poisson tables ``(cdf, guide)`` (for the reference):
    ``cdf`` (160, 64) float64, row j the CDF of Poisson(j / 16); ``guide``
    (160, 32) uint8."""
    import numpy as np
    cdf = np.array([[_pcdf[j][k] for k in range(PT_K)] for j in range(PT_ROWS)])
    guide = np.array([[_pguide[j][i] for i in range(PT_M)] for j in range(PT_ROWS)],
                     dtype=np.uint8)
    return cdf, guide


cdef inline int _table_search(int j, double u) noexcept nogil:
    cdef int k = _pguide[j][<int>(u * PT_M)]
    while u > _pcdf[j][k]:
        k += 1
    return k


cdef inline double _poisson_small(Rng* r, double lam) noexcept nogil:
    # 0 < lam < 10: two uniforms; lam * 16 and a = j / 16 are exact, and so is
    # b = lam - a (Sterbenz), so the thinning probability 16 b is exact
    cdef int j = <int>(lam * PT_G)
    cdef double pkeep = (lam - j * (1.0 / PT_G)) * PT_G
    cdef int k = _table_search(j, _uniform(r))
    cdef double u2 = _uniform(r)
    cdef int n, i
    if u2 > _pcdf[1][0]:
        # rare (6 %): n >= 1 events of Poisson(1/16), each kept with pkeep
        n = _table_search(1, u2)
        for i in range(n):
            if _uniform(r) < pkeep:
                k += 1
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
        pois = <double>(<long long>g)  # the floor, as g >= 0 (and < 2**63)
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


cdef inline int _check_shapes(tuple want, tuple got, str name) except -1:
    # O(1) guard of the kernels that index several arrays with one shape
    if got != want:
        raise ValueError(f"{name} must have the shape {want}, got {got}")
    return 0


#: Largest Poisson mean the kernels accept (the caller checks): far above any
#: full well, and small enough for the floor above.
MAX_MEAN_E = 1e15


cdef void _expose_block(const float32_t* scene, const float32_t* prnu, float32_t* out,
                        Py_ssize_t n, double signal_e, double dark_mean_e,
                        double full_well_e, uint64_t seed) noexcept nogil:
    # n pixels of one row block (contiguous, row-major), one stream; the
    # generator state is a local of this function, kept in registers
    cdef Rng r
    cdef Py_ssize_t i
    cdef double lam, e
    _seed(&r, seed)
    for i in range(n):
        lam = <double>scene[i] * signal_e * <double>prnu[i] + dark_mean_e
        e = _poisson(&r, lam)
        # a count is >= 0: only the full well clips (a conditional move)
        e = e if e < full_well_e else full_well_e
        out[i] = <float32_t>e


def expose(const float32_t[:, :, ::1] scene,   # IN  (N, H, W) relative irradiance >= 0
           const float32_t[:, ::1] prnu_gain,  # IN  (H, W) fixed relative gain >= 0
           const float64_t[::1] signal_e,      # IN  (N,) mean e- for a scene value of 1
           const float64_t[::1] dark_mean_e,   # IN  (N,) dark current x exposure time, e-
           double full_well_e,
           const uint64_t[::1] seeds,          # IN  (N,) one seed per frame
           float32_t[:, :, ::1] out,           # OUT (N, H, W) electrons
           int n_threads):
    """Per pixel: Poisson(scene * signal_e * prnu_gain + dark_mean_e) (photon
    shot noise and dark shot noise in one draw: a sum of independent Poisson
    variables is Poisson), clipped to full_well_e; ``signal_e`` and
    ``dark_mean_e`` are per frame. The charge has no offset:
    the DSNU is an offset of the readout chain (``readout``). Every mean must
    be below MAX_MEAN_E. Row block b of frame f (rows ``b * BLOCK_ROWS`` on)
    draws from the stream of ``block_seed(seeds[f], b)``, in row-major order;
    the blocks of all frames go to ``n_threads`` threads (>= 1). Every array
    must have the scene's shape (checked: the loop indexes all of them with
    it)."""
    cdef Py_ssize_t nf = scene.shape[0], h = scene.shape[1], w = scene.shape[2]
    cdef Py_ssize_t nb = (h + _BLOCK_ROWS - 1) // _BLOCK_ROWS, t, f, b, y0, rows
    _check_shapes((h, w), (prnu_gain.shape[0], prnu_gain.shape[1]), "prnu_gain")
    _check_shapes((nf, h, w), (out.shape[0], out.shape[1], out.shape[2]), "out")
    _check_shapes((nf,), (seeds.shape[0],), "seeds")
    _check_shapes((nf,), (signal_e.shape[0],), "signal_e")
    _check_shapes((nf,), (dark_mean_e.shape[0],), "dark_mean_e")
    if nf == 0 or h == 0 or w == 0:
        return
    n_threads = <int>min(max(n_threads, 1), nf * nb)
    with nogil:
        # static round-robin over (frame, block): neighbouring blocks, alike in
        # content and so in cost, go to different threads
        for t in prange(nf * nb, schedule="static", chunksize=1, num_threads=n_threads):
            f = t // nb
            b = t - f * nb
            y0 = b * _BLOCK_ROWS
            rows = min(<Py_ssize_t>_BLOCK_ROWS, h - y0)
            _expose_block(&scene[f, y0, 0], &prnu_gain[y0, 0], &out[f, y0, 0], rows * w,
                          signal_e[f], dark_mean_e[f], full_well_e, _block_seed(seeds[f], b))


cdef inline dn_t _quantise(double v, double gain, double black, double top) noexcept nogil:
    # the ideal ADC: clamp, then round half up (same as clipping the rounded
    # value); q >= 0, so the truncating cast is the floor
    cdef double q = (v * gain + black) + 0.5
    q = q if q > 0.0 else 0.0
    q = q if q < top else top
    return <dn_t>q


cdef void _readout_block(const float32_t* src, const float32_t* off, dn_t* dst,
                         Py_ssize_t n, double read_noise_e, double gain, double black,
                         const float64_t* thresholds, Py_ssize_t nt, int max_code,
                         uint64_t seed) noexcept nogil:
    # n pixels of one row block, one stream: pixels 2m and 2m + 1 (counted
    # from the block's first) take the normals of the low and high halves of
    # one 64-bit draw (32-bit ziggurat)
    cdef Rng r
    cdef Py_ssize_t i, lo, hi, mid
    cdef double v, v2, top = max_code
    cdef uint64_t word = 0
    _seed(&r, seed)
    if read_noise_e > 0.0 and nt == 0:
        # the common case (read noise, ideal ADC) in its own loop
        for i in range(0, n - 1, 2):
            word = _next(&r)
            v = ((<double>src[i] + <double>off[i])
                 + read_noise_e * _normal32(&r, <uint32_t>word))
            v2 = ((<double>src[i + 1] + <double>off[i + 1])
                  + read_noise_e * _normal32(&r, <uint32_t>(word >> 32)))
            dst[i] = _quantise(v, gain, black, top)
            dst[i + 1] = _quantise(v2, gain, black, top)
        if n & 1:
            v = ((<double>src[n - 1] + <double>off[n - 1])
                 + read_noise_e * _normal32(&r, <uint32_t>_next(&r)))
            dst[n - 1] = _quantise(v, gain, black, top)
        return
    for i in range(n):
        v = <double>src[i] + <double>off[i]
        if read_noise_e > 0.0:
            # the same pairing as above
            if (i & 1) == 0:
                word = _next(&r)
                v = v + read_noise_e * _normal32(&r, <uint32_t>word)
            else:
                v = v + read_noise_e * _normal32(&r, <uint32_t>(word >> 32))
        if nt == 0:
            dst[i] = _quantise(v, gain, black, top)
        else:
            v = v * gain + black
            lo = 0
            hi = nt
            while lo < hi:
                mid = (lo + hi) >> 1
                if thresholds[mid] <= v:
                    lo = mid + 1
                else:
                    hi = mid
            dst[i] = <dn_t>(lo if lo <= max_code else max_code)


def readout(const float32_t[:, :, ::1] electrons,  # IN  (N, H, W) e-
            const float32_t[:, ::1] dsnu_e,        # IN  (H, W) fixed offset of the readout, e-
            double read_noise_e,
            const float64_t[::1] gain_dn_per_e,    # IN  (N,) conversion gain per frame
            double black_level_dn,
            const float64_t[::1] thresholds,       # IN  ADC transition levels (DN) or empty
            int max_code,
            const uint64_t[::1] seeds,             # IN  (N,) one seed per frame
            dn_t[:, :, ::1] out,                   # OUT (N, H, W) DN
            int n_threads):
    """Per pixel: v = ((e + dsnu_e) + read_noise_e * N(0, 1)) * gain + black (in
    DN): the DSNU is a fixed offset of the readout chain (EMVA 1288: an offset
    of the output), added with the read noise, so a negative one is kept (the
    black level holds the output above 0 DN);
    the normals from the 32-bit ziggurat, two per 64-bit draw, from the stream
    of the pixel's row block as in ``expose`` (pixel 2m of a block: low half,
    2m + 1: high half);
    the ideal ADC gives floor(v + 0.5); with transition levels, the code is the
    number of levels <= v (INL/DNL). Clipped to [0, max_code]. ``dsnu_e``,
    ``gain_dn_per_e``, ``seeds`` and ``out`` must fit ``electrons`` (checked)."""
    cdef Py_ssize_t nf = electrons.shape[0], h = electrons.shape[1], w = electrons.shape[2]
    cdef Py_ssize_t nb = (h + _BLOCK_ROWS - 1) // _BLOCK_ROWS, t, f, b, y0, rows
    cdef Py_ssize_t nt = thresholds.shape[0]
    cdef const float64_t* thr = NULL
    _check_shapes((nf, h, w), (out.shape[0], out.shape[1], out.shape[2]), "out")
    _check_shapes((h, w), (dsnu_e.shape[0], dsnu_e.shape[1]), "dsnu_e")
    _check_shapes((nf,), (seeds.shape[0],), "seeds")
    _check_shapes((nf,), (gain_dn_per_e.shape[0],), "gain_dn_per_e")
    if nf == 0 or h == 0 or w == 0:
        return
    if nt:
        thr = &thresholds[0]
    n_threads = <int>min(max(n_threads, 1), nf * nb)
    with nogil:
        for t in prange(nf * nb, schedule="static", chunksize=1, num_threads=n_threads):
            f = t // nb
            b = t - f * nb
            y0 = b * _BLOCK_ROWS
            rows = min(<Py_ssize_t>_BLOCK_ROWS, h - y0)
            _readout_block(&electrons[f, y0, 0], &dsnu_e[y0, 0], &out[f, y0, 0], rows * w,
                           read_noise_e, gain_dn_per_e[f], black_level_dn, thr, nt,
                           max_code, _block_seed(seeds[f], b))

# --------------------------------------------------------------------------- #
# the generator and samplers on their own, for tests and reproducibility
# --------------------------------------------------------------------------- #
def uniforms(uint64_t seed, float64_t[::1] out):
    """Fill ``out`` with the uniform stream of ``seed``."""
    cdef Rng r
    cdef Py_ssize_t i
    _seed(&r, seed)
    with nogil:
        for i in range(out.shape[0]):
            out[i] = _uniform(&r)


def poisson(const float64_t[::1] lam, uint64_t seed, float64_t[::1] out):
    """One Poisson draw per mean, sharing one stream."""
    cdef Rng r
    cdef Py_ssize_t i
    _seed(&r, seed)
    with nogil:
        for i in range(lam.shape[0]):
            out[i] = _poisson(&r, lam[i])


def normal_pairs(uint64_t seed, float64_t[::1] out):
    """Standard normal draws of ``seed`` as the readout makes them: the 32-bit
    ziggurat, two per 64-bit draw (low half first)."""
    cdef Rng r
    cdef Py_ssize_t i
    cdef uint64_t word = 0
    _seed(&r, seed)
    with nogil:
        for i in range(out.shape[0]):
            if (i & 1) == 0:
                word = _next(&r)
                out[i] = _normal32(&r, <uint32_t>word)
            else:
                out[i] = _normal32(&r, <uint32_t>(word >> 32))


def normal(uint64_t seed, float64_t[::1] out):
    """Standard normal draws of ``seed``."""
    cdef Rng r
    cdef Py_ssize_t i
    _seed(&r, seed)
    with nogil:
        for i in range(out.shape[0]):
            out[i] = _normal(&r)


# --------------------------------------------------------------------------- #
# pixel read noise of the analog front ends (no ADC)
# --------------------------------------------------------------------------- #
cdef void _noise_block(const float32_t* src, float32_t* dst, Py_ssize_t n, double sigma_e,
                       uint64_t seed) noexcept nogil:
    # n pixels of one row block, one stream, the normals paired as in readout
    cdef Rng r
    cdef Py_ssize_t i
    cdef uint64_t word = 0
    cdef float32_t v
    _seed(&r, seed)
    for i in range(n):
        if (i & 1) == 0:
            word = _next(&r)
            v = <float32_t>(<double>src[i] + sigma_e * _normal32(&r, <uint32_t>word))
        else:
            v = <float32_t>(<double>src[i] + sigma_e * _normal32(&r, <uint32_t>(word >> 32)))
        dst[i] = v if v > 0.0 else 0.0


def pixel_noise(const float32_t[:, :, ::1] electrons,  # IN  (N, H, W) e-
                double sigma_e,
                const uint64_t[::1] seeds,             # IN  (N,) one seed per frame
                float32_t[:, :, ::1] out,              # OUT (N, H, W) e-
                int n_threads):
    """Per pixel: ``max(float32(e + sigma_e * N(0, 1)), 0)``, the read noise of
    a pixel before an analog front end (it reads charge, never below zero);
    the normals of each (frame, row block) from its own stream, paired as in
    ``readout``, so the result does not depend on ``n_threads``."""
    cdef Py_ssize_t nf = electrons.shape[0], h = electrons.shape[1], w = electrons.shape[2]
    cdef Py_ssize_t nb = (h + _BLOCK_ROWS - 1) // _BLOCK_ROWS, t, f, b, y0, rows
    _check_shapes((nf, h, w), (out.shape[0], out.shape[1], out.shape[2]), "out")
    _check_shapes((nf,), (seeds.shape[0],), "seeds")
    if nf == 0 or h == 0 or w == 0:
        return
    n_threads = <int>min(max(n_threads, 1), nf * nb)
    with nogil:
        for t in prange(nf * nb, schedule="static", chunksize=1, num_threads=n_threads):
            f = t // nb
            b = t - f * nb
            y0 = b * _BLOCK_ROWS
            rows = min(<Py_ssize_t>_BLOCK_ROWS, h - y0)
            _noise_block(&electrons[f, y0, 0], &out[f, y0, 0], rows * w, sigma_e,
                         _block_seed(seeds[f], b))
