"""Packing of int8 codes into a bit stream and back.

Kernels behind :func:`analogfe.frontend.pack_codes` / ``unpack_codes`` and
``LogGradientFrontEnd.pack``. The format is the one documented on
``analogfe.frontend.packing.Packing``: codes become digits
``u = q + half``; ``g`` digits make one group, either one fixed-width field
(``g = 1``) or the base-``base`` number ``sum u_i * base**i`` (first digit
least significant); groups of ``width`` bits are written MSB first into one
stream; the last group is padded with zero digits and the stream with zero
bits to a whole byte. The numpy references in ``tests/`` (and the numpy
peers in ``benchmarks/bench_packing.py``) give the same bytes.

``Packer`` keeps the state of a stream (pending bits, a partial group), so a
stream can be fed in pieces (the parts of a frame, chunks of a non-int8
input) without joining them first. Each piece is a 2-D array with contiguous
rows; codes out of ``[-half, half]`` are reported (the caller raises), not
clipped. Inputs are otherwise trusted: the caller sizes ``out``.

Ternary codes in 2-bit fields (1.5-bit codes, the default packing) take a
loop of their own: four codes are loaded as one little-endian 32-bit word,
the digit ``u = q + 1`` is added to every byte at once (without carries
between bytes), and one multiplication by ``2**30 + 2**20 + 2**10 + 1``
gathers the four 2-bit digits into bits 24..31 (the shifted copies do not
overlap, so no carry reaches them); the compiler vectorises the loop. Where
the stream is not on a byte boundary the bytes are then shifted into it.

Bits go through a 64-bit accumulator holding fewer than 8 pending bits; the
fixed widths and the two radix packings in use have loops with the width and
base as constants (the compiler unrolls them and divides by 3 or 7 with a
multiplication); other widths and bases, and the ends of pieces, take the
general loop.
"""
import sys

cimport numpy as cnp
from libc.stdint cimport uint8_t, uint32_t, uint64_t
from libc.string cimport memcpy

from _types cimport code_t

cnp.import_array()


cdef struct State:
    uint64_t acc       # pending bits in the low ``nbits`` (higher bits are stale)
    int nbits          # 0..7 between groups
    uint32_t gval      # partial radix group: value so far
    uint32_t mult      # base ** gcount
    int gcount         # digits in the partial group
    Py_ssize_t pos     # bytes written


cdef inline void _emit(State *s, uint8_t *out, uint32_t v, int width) noexcept nogil:
    """Append the low ``width`` (<= 32) bits of v, MSB first."""
    s.acc = (s.acc << width) | v
    s.nbits += width
    while s.nbits >= 8:
        s.nbits -= 8
        out[s.pos] = <uint8_t>(s.acc >> s.nbits)
        s.pos += 1


cdef inline int _fixed_blocks(State *s, uint8_t *out, const code_t *p, Py_ssize_t n,
                              int half, unsigned int maxu,
                              int w, int k, Py_ssize_t *done) noexcept nogil:
    """Whole blocks of k codes of w bits (k * w a multiple of 8, <= 56): returns
    the out-of-range flag; ``done`` = codes consumed."""
    cdef Py_ssize_t i = 0
    cdef int j, nb = k * w // 8
    cdef uint64_t blk, acc
    cdef unsigned int u, bad = 0
    cdef int sh0 = s.nbits + k * w
    while i + k <= n:
        blk = 0
        for j in range(k):
            u = <unsigned int>(p[i + j] + half)
            bad |= u > maxu
            blk = (blk << w) | u
        acc = (s.acc << (k * w)) | blk
        for j in range(nb):
            out[s.pos + j] = <uint8_t>(acc >> (sh0 - 8 * (j + 1)))
        s.acc = acc
        s.pos += nb
        i += k
    done[0] = i
    return bad


cdef bint _LITTLE_ENDIAN = sys.byteorder == "little"


cdef extern from *:
    """
    /* 128 codes at a time with AVX2: the digits u = q + 1 as bytes (a code
       out of [-1, 1] gives a digit above 2, caught by a running unsigned
       maximum), pairs of digits weighted 4 and 1 (maddubs: 4 u0 + u1 in
       16 bits), pairs of those weighted 16 and 1 (madd: the byte's value in
       32 bits), and the 32-bit values of four vectors narrowed to 32 bytes
       (two saturating packs: they clip only the values of out-of-range
       codes, which are reported anyway). Returns
       the bytes written (a multiple of 32); *bad set if a digit exceeds 2. */
    #if defined(__AVX2__)
    #include <immintrin.h>
    static long afe_pack_ternary_avx2(unsigned char *o, const signed char *p, long nbytes,
                                      int *bad) {
        const __m256i one = _mm256_set1_epi8(1), two = _mm256_set1_epi8(2);
        const __m256i w41 = _mm256_set1_epi16(0x0104);      /* bytes 4, 1 */
        const __m256i w161 = _mm256_set1_epi32(0x00010010); /* int16 16, 1 */
        const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
        __m256i top = _mm256_setzero_si256(), v[4];
        long i, k;
        for (i = 0; i + 32 <= nbytes; i += 32) {
            for (k = 0; k < 4; k++) {
                __m256i u = _mm256_add_epi8(
                    _mm256_loadu_si256((const __m256i *)(p + 4 * i + 32 * k)), one);
                top = _mm256_max_epu8(top, u);
                v[k] = _mm256_madd_epi16(_mm256_maddubs_epi16(u, w41), w161);
            }
            __m256i b = _mm256_packus_epi16(_mm256_packus_epi32(v[0], v[1]),
                                            _mm256_packus_epi32(v[2], v[3]));
            _mm256_storeu_si256((__m256i *)(o + i), _mm256_permutevar8x32_epi32(b, order));
        }
        *bad = _mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_max_epu8(top, two), two)) != -1;
        return i;
    }
    #define AFE_PACK_TERNARY_AVX2 1
    #else
    static long afe_pack_ternary_avx2(unsigned char *o, const signed char *p, long nbytes,
                                      int *bad) {
        *bad = 0;
        return 0;
    }
    #endif
    """
    long _ternary_avx2 "afe_pack_ternary_avx2"(uint8_t *o, const code_t *p, long nbytes,
                                                int *bad) noexcept nogil


cdef int _ternary_2bit(uint8_t *o, const code_t *p, Py_ssize_t nbytes) noexcept nogil:
    """4 * nbytes codes in [-1, 1] -> nbytes bytes of four 2-bit digits
    (little-endian hosts); returns the out-of-range flag. AVX2 blocks of 32
    bytes first (where the build has AVX2), then 4 codes per step."""
    cdef int vbad = 0
    cdef Py_ssize_t i = _ternary_avx2(o, p, nbytes, &vbad)
    cdef uint32_t x, u, bad = vbad
    for i in range(i, nbytes):
        memcpy(&x, p + 4 * i, 4)
        u = ((x & 0x7F7F7F7Fu) + 0x01010101u) ^ (x & 0x80808080u)  # + 1 per byte
        bad |= (u & 0xFCFCFCFCu) | (u & (u >> 1) & 0x01010101u)     # a digit > 2
        o[i] = <uint8_t>((u * 0x40100401u) >> 24)
    return bad != 0


cdef int _ternary_stream(uint8_t *out, const code_t *codes, Py_ssize_t n) noexcept nogil:
    """One whole stream of n ternary codes -> ceil(n / 4) bytes (the last one
    padded with zero digits); returns the out-of-range flag."""
    cdef Py_ssize_t full = n // 4, i
    cdef int bad = _ternary_2bit(out, codes, full)
    cdef unsigned int u
    cdef uint8_t last = 0
    for i in range(4 * full, n):
        u = <unsigned int>(codes[i] + 1)
        bad |= u > 2
        last |= <uint8_t>((u & 3) << (6 - 2 * (i - 4 * full)))
    if n > 4 * full:
        out[full] = last
    return bad


#: Codes below which the 1.5-bit packing keeps the GIL (a few microseconds:
#: releasing and taking it back would cost more than another thread gains).
cdef Py_ssize_t _NOGIL_CODES = 1 << 18


def pack_ternary(cnp.ndarray codes, object out=None):
    """The bytes of an int8 array of ternary codes (any shape, C order) in
    2-bit fields, written into ``out`` (uint8, 1-D, C-contiguous, writeable,
    of ceil(n / 4) bytes, apart from ``codes``) or a new array, and
    returned; None where this path does not apply (``codes`` not
    C-contiguous, an ``out`` that does not qualify, a big-endian host): the
    caller then takes the general path, which explains what is wrong. The
    caller checks the dtype of ``codes``. ValueError if a code lies outside
    [-1, 1]. One call from Python: the checks here are C macros, not the
    acquisition of typed memoryviews."""
    cdef Py_ssize_t n, nbytes
    cdef cnp.npy_intp dim
    cdef int bad
    cdef char *a
    cdef char *b
    if not _LITTLE_ENDIAN or not cnp.PyArray_IS_C_CONTIGUOUS(codes):
        return None
    n = cnp.PyArray_SIZE(codes)
    dim = (n + 3) // 4
    cdef cnp.ndarray dst
    if out is None:
        dst = cnp.PyArray_EMPTY(1, &dim, cnp.NPY_UINT8, 0)
    else:
        if not cnp.PyArray_Check(out):
            return None
        dst = <cnp.ndarray>out
        a = <char *>cnp.PyArray_DATA(codes)
        b = <char *>cnp.PyArray_DATA(dst)
        if (cnp.PyArray_TYPE(dst) != cnp.NPY_UINT8 or cnp.PyArray_NDIM(dst) != 1
                or cnp.PyArray_DIM(dst, 0) != dim or not cnp.PyArray_IS_C_CONTIGUOUS(dst)
                or not cnp.PyArray_ISWRITEABLE(dst) or (b < a + n and a < b + dim)):
            return None
    cdef uint8_t *o = <uint8_t *>cnp.PyArray_DATA(dst)
    cdef const code_t *p = <const code_t *>cnp.PyArray_DATA(codes)
    if n < _NOGIL_CODES:
        bad = _ternary_stream(o, p, n)
    else:
        with nogil:
            bad = _ternary_stream(o, p, n)
    if bad:
        raise ValueError("codes must lie in [-1, 1] for 3 levels")
    return dst


LITTLE_ENDIAN = bool(_LITTLE_ENDIAN)


cdef int _bytes(uint8_t *o, const code_t *p, Py_ssize_t n, int half,
               unsigned int maxu) noexcept nogil:
    """8-bit fields: one byte per code (a loop the compiler vectorises)."""
    cdef Py_ssize_t i
    cdef uint8_t u, h = <uint8_t>half, m = <uint8_t>maxu, bad = 0
    for i in range(n):
        u = <uint8_t>p[i] + h  # the digit, mod 256; codes in range never wrap
        bad |= u > m
        o[i] = u
    return bad


cdef inline int _radix_groups(State *s, uint8_t *out, const code_t *p, Py_ssize_t n,
                              int half, unsigned int maxu,
                              int g, uint32_t base, int width, Py_ssize_t *done) noexcept nogil:
    """Whole groups (the stream between groups): returns the out-of-range flag."""
    cdef Py_ssize_t i = 0
    cdef int j
    cdef uint32_t v
    cdef unsigned int u, bad = 0
    while i + g <= n:
        v = 0
        for j in range(g - 1, -1, -1):  # Horner, first digit least significant
            u = <unsigned int>(p[i + j] + half)
            bad |= u > maxu
            v = v * base + u
        _emit(s, out, v, width)
        i += g
    done[0] = i
    return bad


cdef class Packer:
    """Packs codes fed in pieces into ``out`` (see the module docstring)."""

    cdef uint8_t[::1] out
    cdef State s
    cdef int width, g, half
    cdef uint32_t base
    cdef unsigned int maxu

    def __init__(self, uint8_t[::1] out, int width, int g, int base, int half):
        self.out = out
        self.width = width
        self.g = g
        self.base = base
        self.half = half
        self.maxu = 2 * half
        self.s.acc = 0
        self.s.nbits = 0
        self.s.gval = 0
        self.s.mult = 1
        self.s.gcount = 0
        self.s.pos = 0

    def feed(self, const code_t[:, :] codes):
        """Append the codes (rows in order, each row contiguous); True if all
        lie in [-half, half]."""
        cdef Py_ssize_t r
        cdef int bad = 0
        if codes.shape[0] == 0 or codes.shape[1] == 0:
            return True
        if codes.shape[1] > 1 and codes.strides[1] != 1:
            raise ValueError("rows of codes must be contiguous")
        with nogil:
            for r in range(codes.shape[0]):
                bad |= self._run(&codes[r, 0], codes.shape[1])
        return not bad

    cdef int _run(self, const code_t *p, Py_ssize_t n) noexcept nogil:
        cdef State *s = &self.s
        cdef uint8_t *out = &self.out[0]
        cdef int half = self.half, w = self.width, g = self.g
        cdef unsigned int maxu = self.maxu, u, bad = 0
        cdef Py_ssize_t i = 0, done = 0
        cdef uint32_t base = self.base
        cdef Py_ssize_t j, nbytes
        cdef int sh
        cdef uint8_t cur, carry
        if g == 1:
            if w == 2 and half == 1 and _LITTLE_ENDIAN:
                nbytes = n // 4
                bad |= _ternary_2bit(out + s.pos, p, nbytes)
                if s.nbits:  # shift the new bytes behind the pending bits
                    sh = s.nbits
                    carry = <uint8_t>(s.acc & ((1u << sh) - 1))
                    for j in range(s.pos, s.pos + nbytes):
                        cur = out[j]
                        out[j] = <uint8_t>((carry << (8 - sh)) | (cur >> sh))
                        carry = cur & <uint8_t>((1u << sh) - 1)
                    s.acc = carry
                s.pos += nbytes
                done = 4 * nbytes
            elif w == 2:
                bad |= _fixed_blocks(s, out, p, n, half, maxu, 2, 24, &done)
            elif w == 3:
                bad |= _fixed_blocks(s, out, p, n, half, maxu, 3, 16, &done)
            elif w == 4:
                bad |= _fixed_blocks(s, out, p, n, half, maxu, 4, 12, &done)
            elif w == 8:
                bad |= _bytes(out + s.pos, p, n, half, maxu)
                s.pos += n
                done = n
            i = done
            while i < n:
                u = <unsigned int>(p[i] + half)
                bad |= u > maxu
                _emit(s, out, u, w)
                i += 1
            return bad
        # radix: finish a partial group, whole groups, start the next one
        while s.gcount and i < n:
            u = <unsigned int>(p[i] + half)
            bad |= u > maxu
            s.gval += u * s.mult
            s.mult *= base
            s.gcount += 1
            i += 1
            if s.gcount == g:
                _emit(s, out, s.gval, w)
                s.gval = 0
                s.mult = 1
                s.gcount = 0
        if s.gcount == 0:
            if g == 5 and base == 3 and w == 8:
                bad |= _radix_groups(s, out, p + i, n - i, half, maxu, 5, 3, 8, &done)
            elif g == 6 and base == 7 and w == 17:
                bad |= _radix_groups(s, out, p + i, n - i, half, maxu, 6, 7, 17, &done)
            else:
                bad |= _radix_groups(s, out, p + i, n - i, half, maxu, g, base, w, &done)
            i += done
        while i < n:
            u = <unsigned int>(p[i] + half)
            bad |= u > maxu
            s.gval += u * s.mult
            s.mult *= base
            s.gcount += 1
            i += 1
        return bad

    def finish(self):
        """Flush the partial group and the last byte; returns the bytes written."""
        cdef State *s = &self.s
        cdef uint8_t *out = &self.out[0] if self.out.shape[0] else NULL
        if s.gcount:
            _emit(s, out, s.gval, self.width)
            s.gval = 0
            s.mult = 1
            s.gcount = 0
        if s.nbits:
            out[s.pos] = <uint8_t>(s.acc << (8 - s.nbits))
            s.pos += 1
            s.nbits = 0
        return s.pos


cdef inline void _digits(uint32_t v, code_t *o, int m, uint32_t base, int half) noexcept nogil:
    """The first m base-``base`` digits of v (least significant first), minus half."""
    cdef int j
    for j in range(m):
        o[j] = <code_t>(<int>(v % base) - half)
        v = v // base


cdef inline Py_ssize_t _unpack_stream(const uint8_t *d, Py_ssize_t pos, code_t *o,
                                      Py_ssize_t n, int w, int g, uint32_t base,
                                      int half) noexcept nogil:
    """Decode n codes from byte ``pos`` (a group boundary on a byte boundary);
    reads only the bytes holding their groups. Returns the next byte."""
    cdef uint64_t acc = 0
    cdef int nbits = 0, m
    cdef uint32_t v, mask = (<uint32_t>1 << w) - 1 if w < 32 else 0xFFFFFFFFu
    cdef Py_ssize_t i = 0
    while i < n:
        while nbits < w:
            acc = (acc << 8) | d[pos]
            pos += 1
            nbits += 8
        nbits -= w
        v = <uint32_t>(acc >> nbits) & mask
        if g == 1:
            o[i] = <code_t>(<int>v - half)
            i += 1
        else:
            m = g if n - i >= g else <int>(n - i)
            _digits(v, o + i, m, base, half)
            i += m
    return pos


def unpack(const uint8_t[::1] data, code_t[::1] out, int width, int g, int base, int half):
    """Decode ``out.shape[0]`` codes from ``data`` (which holds their bits) into ``out``."""
    cdef Py_ssize_t n = out.shape[0], i = 0, j = 0, k
    cdef const uint8_t *d
    cdef code_t *o
    cdef uint32_t v
    cdef unsigned int b
    if n == 0:
        return
    d = &data[0]
    o = &out[0]
    with nogil:
        if g == 1 and width == 8:
            for i in range(n):
                o[i] = <code_t>(<int>d[i] - half)
            i = n
        elif g == 1 and width == 4:
            while i + 2 <= n:
                b = d[j]
                o[i] = <code_t>(<int>(b >> 4) - half)
                o[i + 1] = <code_t>(<int>(b & 15) - half)
                i += 2
                j += 1
        elif g == 1 and width == 2:
            while i + 4 <= n:
                b = d[j]
                o[i] = <code_t>(<int>(b >> 6) - half)
                o[i + 1] = <code_t>(<int>((b >> 4) & 3) - half)
                o[i + 2] = <code_t>(<int>((b >> 2) & 3) - half)
                o[i + 3] = <code_t>(<int>(b & 3) - half)
                i += 4
                j += 1
        elif g == 1 and width == 3:
            while i + 8 <= n:
                v = (<uint32_t>d[j] << 16) | (<uint32_t>d[j + 1] << 8) | d[j + 2]
                for k in range(8):
                    o[i + k] = <code_t>(<int>((v >> (21 - 3 * k)) & 7) - half)
                i += 8
                j += 3
        elif g == 5 and base == 3 and width == 8:
            while i + 5 <= n:
                _digits(d[j], o + i, 5, 3, half)
                i += 5
                j += 1
        elif g == 6 and base == 7 and width == 17:
            # 8 groups = 17 bytes, each block from a byte boundary
            while i + 48 <= n:
                j = _unpack_stream(d, j, o + i, 48, 17, 6, 7, half)
                i += 48
        if i < n:
            _unpack_stream(d, j, o + i, n - i, width, g, base, half)
