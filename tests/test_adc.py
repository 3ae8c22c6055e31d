"""The log-ratio converter and the packing of its codes (analogfe.frontend.converter)."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_frontend import (
    LN8,
    libm_log,
    pack_codes_bitwise,
    quantise_reference,
    quantise_thresholds_reference,
    unpack_codes_bitwise,
)

from analogfe import frontend as adc


def _ref_pairs(a, b, bits, eps=1e-4):
    d = libm_log(np.asarray(a, np.float64) + eps) - libm_log(np.asarray(b, np.float64) + eps)
    return quantise_reference(d, bits)


# ------------------------------------------------------------ formula ----
def test_scale_and_levels():
    assert adc.levels_for_bits(2) == 3 and adc.levels_for_bits(3) == 7
    assert adc.quantiser_scale(2) == (1.5 - 1e-4) / math.log(8)


def test_one_point_five_bit_threshold_is_two_to_one():
    r = adc.formula_ratio_thresholds(2)
    assert r.shape == (1,) and abs(r[0] - 2.0) < 1e-3 and r[0] > 2.0
    eps = 1e-12
    b = np.full(4, 0.1)
    a = b * np.array([2.0, 2.0005, 1 / 2.0005, 1.99])
    q = adc.log_ratio_codes(a, b, bits=2, eps=eps)
    # exactly 2:1 stays 0 because of the 1e-4 guard; just above 2:1 is a full level
    assert q.tolist() == [0, 1, -1, 0]


def test_two_point_seven_five_bit_thresholds():
    np.testing.assert_allclose(adc.formula_ratio_thresholds(3), [1.346, 2.438, 4.416], atol=2e-3)


def test_reachable_levels_and_clipping():
    ratios = np.geomspace(1 / 100, 100, 401)
    b = np.full(ratios.size, 0.01)
    for bits, levels in ((2, 3), (3, 7)):
        q = adc.log_ratio_codes(b * ratios, b, bits=bits, eps=1e-12)
        half = (levels - 1) // 2
        assert sorted(set(q.tolist())) == list(range(-half, half + 1))
        assert q[0] == -half and q[-1] == half  # clipped at ln 8, never one level too far
        assert (np.diff(q) >= 0).all()


def test_clip_guard_keeps_top_level():
    # a difference clipped to exactly ln 8 rounds to the top level, not beyond
    for bits in (2, 3):
        assert quantise_reference(np.array([LN8, -LN8]), bits).tolist() == [
            2 ** (bits - 1) - 1, -(2 ** (bits - 1) - 1)]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=50),
       st.sampled_from([2, 3]))
def test_pair_codes_equal_released_formula(pairs, bits):
    a, b = np.array(pairs).T
    np.testing.assert_array_equal(adc.log_ratio_codes(a, b, bits=bits), _ref_pairs(a, b, bits))


@settings(max_examples=60, deadline=None)
@given(st.floats(1e-3, 0.1), st.sampled_from([0, 1, 2]),
       st.sampled_from([-1e-9, -1e-12, 0.0, 1e-12, 1e-9]), st.sampled_from([2, 3]))
def test_pair_codes_near_thresholds(b, level, rel, bits):
    t = adc.formula_thresholds_ln(bits)
    level = min(level, t.size - 1)
    r = math.exp(t[level]) * (1 + rel)
    eps = 1e-4
    a = np.array([(b + eps) * r - eps, b])
    bb = np.array([b, (b + eps) * r - eps])
    np.testing.assert_array_equal(adc.log_ratio_codes(a, bb, bits=bits), _ref_pairs(a, bb, bits))


def test_explicit_thresholds():
    b = np.full(6, 0.2)
    ratios = np.array([1.1, 1.3, 1.6, 3.5, 1 / 1.3, 1 / 7.0])
    q = adc.log_ratio_codes(b * ratios, b, thresholds=[1.25, 1.5, 3.0], eps=1e-12)
    assert q.tolist() == [0, 1, 2, 3, -1, -3]
    d = np.log(ratios)
    t = np.log([1.25, 1.5, 3.0])
    np.testing.assert_array_equal(q, quantise_thresholds_reference(d, t, t))


def test_offset_and_noise_are_seeded_and_off_by_default():
    rng = np.random.default_rng(1)
    a, b = rng.random(2000), rng.random(2000)
    base = adc.log_ratio_codes(a, b)
    np.testing.assert_array_equal(base, adc.log_ratio_codes(a, b, offset_ln=0.0, noise_ln=0.0))
    n1 = adc.log_ratio_codes(a, b, noise_ln=0.2, seed=3)
    n2 = adc.log_ratio_codes(a, b, noise_ln=0.2, seed=3)
    n3 = adc.log_ratio_codes(a, b, noise_ln=0.2, seed=4)
    np.testing.assert_array_equal(n1, n2)
    assert (n1 != n3).any() and (n1 != base).any()
    shifted = adc.log_ratio_codes(a, b, offset_ln=0.3)
    assert (shifted >= base).all() and (shifted > base).any()


@pytest.mark.parametrize("kw, match", [
    ({"bits": 4}, "bits"), ({"bits": 2.0}, "bits"), ({"thresholds": [2.0, 1.5]}, "thresholds"),
    ({"thresholds": [0.5]}, "thresholds"), ({"thresholds": [9.0]}, "thresholds"),
    ({"eps": 0.0}, "eps"), ({"noise_ln": -1.0}, "noise_ln"), ({"offset_ln": [1.0, 2.0]}, "offset_ln"),
])
def test_bad_arguments(kw, match):
    with pytest.raises((ValueError, TypeError), match=match):
        adc.log_ratio_codes(np.ones(3), np.ones(3), **kw)


def test_bad_intensities():
    with pytest.raises(ValueError, match="a"):
        adc.log_ratio_codes([np.nan], [1.0])
    with pytest.raises(ValueError, match="b"):
        adc.log_ratio_codes([1.0], [-1.0])
    with pytest.raises(ValueError, match="b must have the shape"):
        adc.log_ratio_codes([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="a"):
        adc.log_ratio_codes([], [])


# ------------------------------------------------------------ packing ----
@pytest.mark.parametrize("packing, levels, bits_per_code", [
    ("2bit", 3, 2), ("3bit", 7, 3), ("3bit", 3, 3), ("4bit", 7, 4), ("8bit", 3, 8),
    ("base3-5in8", 3, 1.6), ("base7-6in17", 7, 17 / 6),
])
def test_packing_bits(packing, levels, bits_per_code):
    assert adc.PACKINGS[packing].bits_per_code == bits_per_code
    for count in (0, 1, 5, 6, 7, 31, 1000):
        n = adc.packed_bits(count, packing, levels)
        g = adc.PACKINGS[packing].codes_per_group
        assert n == math.ceil(count / g) * adc.PACKINGS[packing].bits_per_group


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([("2bit", 3), ("3bit", 7), ("3bit", 3), ("4bit", 7), ("8bit", 7),
                        ("base3-5in8", 3), ("base7-6in17", 7)]),
       st.integers(0, 200), st.integers(0, 2**32 - 1))
def test_pack_round_trip(spec, count, seed):
    packing, levels = spec
    half = (levels - 1) // 2
    codes = np.random.default_rng(seed).integers(-half, half + 1, count).astype(np.int8)
    data = adc.pack_codes(codes, packing, levels)
    assert data.dtype == np.uint8
    assert data.size == math.ceil(adc.packed_bits(count, packing, levels) / 8)
    np.testing.assert_array_equal(adc.unpack_codes(data, packing, levels, count), codes)


_PACK_SPECS = [("2bit", 3), ("3bit", 7), ("3bit", 3), ("4bit", 7), ("4bit", 15), ("8bit", 7),
               ("8bit", 255), ("base3-5in8", 3), ("base7-6in17", 7)]


@pytest.mark.parametrize("chunk", [1, 100, 1 << 18])
def test_pack_same_bytes_as_bitwise_packing(monkeypatch, chunk):
    # the chunked packing gives the bytes of the one-byte-per-bit packing, for
    # every packing, ragged groups and chunk boundaries (chunk=1: one chunk of
    # 8 groups at a time)
    from analogfe.frontend import packing as packing_module

    monkeypatch.setattr(packing_module, "_PACK_CHUNK_CODES", chunk)
    rng = np.random.default_rng(chunk)
    for packing, levels in _PACK_SPECS:
        half = (levels - 1) // 2
        for count in (0, 1, 2, 5, 7, 8, 9, 41, 48, 97, 240, 1001):
            codes = rng.integers(-half, half + 1, count).astype(np.int8)
            want = pack_codes_bitwise(codes, packing, levels)
            got = adc.pack_codes(codes, packing, levels)
            assert got.dtype == np.uint8
            np.testing.assert_array_equal(got, want, err_msg=f"{packing} {levels} {count}")
        # other integer dtypes and 2-D input (packed in C order)
        codes = rng.integers(-half, half + 1, (13, 17))
        np.testing.assert_array_equal(adc.pack_codes(codes, packing, levels),
                                      pack_codes_bitwise(codes, packing, levels))


_ALL_SPECS = _PACK_SPECS + [("2bit", 3), ("3bit", 5), ("4bit", 3), ("8bit", 3), ("8bit", 127)]


def test_pack_unpack_kernel_same_as_numpy_references():
    # the kernel: the bytes of the bitwise packing and the codes of the bitwise
    # unpacking, for every packing, lengths around every block size (groups,
    # bytes, the kernel's 7 to 48-code blocks) and random bytes (digits a
    # packing of valid codes never produces, e.g. base-3 bytes above 242)
    rng = np.random.default_rng(1)
    counts = sorted(set(range(100)) | {143, 144, 145, 239, 240, 241, 1001, 4099})
    for packing, levels in _ALL_SPECS:
        half = (levels - 1) // 2
        for count in counts:
            codes = rng.integers(-half, half + 1, count).astype(np.int8)
            data = adc.pack_codes(codes, packing, levels)
            np.testing.assert_array_equal(data, pack_codes_bitwise(codes, packing, levels),
                                          err_msg=f"{packing} {levels} {count}")
            np.testing.assert_array_equal(adc.unpack_codes(data, packing, levels, count), codes)
            junk = rng.integers(0, 256, data.size + 3).astype(np.uint8)
            np.testing.assert_array_equal(adc.unpack_codes(junk, packing, levels, count),
                                          unpack_codes_bitwise(junk, packing, levels, count),
                                          err_msg=f"{packing} {levels} {count}")


def test_pack_parts_same_bytes_as_joined():
    # a stream fed in pieces (2-D views with strided rows, ragged lengths,
    # empty parts, other dtypes) packs as the joined codes
    from analogfe.frontend.packing import pack_parts

    rng = np.random.default_rng(2)
    for packing, levels in _PACK_SPECS:
        half = (levels - 1) // 2
        for _ in range(5):
            planes = [rng.integers(-half, half + 1, (int(rng.integers(1, 9)),
                                                      int(rng.integers(2, 40)))).astype(np.int8)
                      for _ in range(4)]
            parts = [planes[0][:, 1:-1], planes[1][1:-1, :], np.zeros(0, np.int8),
                     planes[2][:, :1], planes[3].astype(np.int32)[::-1]]
            joined = np.concatenate([p.ravel() for p in parts])
            got = pack_parts(parts, adc.PACKINGS[packing], levels)
            np.testing.assert_array_equal(got, pack_codes_bitwise(joined, packing, levels))


def test_pack_out_of_range_in_any_piece(monkeypatch):
    from analogfe.frontend import packing as packing_module

    monkeypatch.setattr(packing_module, "_PACK_CHUNK_CODES", 7)
    for packing, levels in (("2bit", 3), ("3bit", 7), ("4bit", 9), ("8bit", 255), ("8bit", 127),
                            ("8bit", 3), ("base3-5in8", 3), ("base7-6in17", 7)):
        half = (levels - 1) // 2
        for pos in (0, 6, 7, 30, 99):
            for bad in {half + 1, -half - 1, 127, -128} & set(range(-128, 128)) - set(
                    range(-half, half + 1)):
                codes = np.zeros(100, np.int8)
                codes[pos] = bad
                with pytest.raises(ValueError, match="lie in"):
                    adc.pack_codes(codes, packing, levels)


def test_ternary_2bit_words_any_byte_any_alignment():
    # the 2-bit ternary loop packs four codes per 32-bit word: every int8
    # value in every byte of a word is caught when out of range, and valid
    # words give the bitwise bytes after a piece of 0 to 3 codes (a stream
    # not on a byte boundary)
    from analogfe.frontend.packing import pack_parts

    p = adc.PACKINGS["2bit"]
    rng = np.random.default_rng(4)
    for v in range(-128, 128):
        for pos in (8, 9, 10, 11, 40, 42):  # every byte of a word, and the tail
            codes = rng.integers(-1, 2, 43).astype(np.int8)
            codes[pos] = v
            if -1 <= v <= 1:
                np.testing.assert_array_equal(adc.pack_codes(codes, "2bit", 3),
                                              pack_codes_bitwise(codes, "2bit", 3))
            else:
                with pytest.raises(ValueError, match="lie in"):
                    adc.pack_codes(codes, "2bit", 3)
    for lead in range(4):
        for count in (0, 3, 4, 5, 31, 32, 33, 1000):
            parts = [rng.integers(-1, 2, (1, lead)).astype(np.int8),
                     rng.integers(-1, 2, (1, count)).astype(np.int8),
                     rng.integers(-1, 2, (1, 7)).astype(np.int8)]
            joined = np.concatenate([q.ravel() for q in parts])
            np.testing.assert_array_equal(pack_parts(parts, p, 3),
                                          pack_codes_bitwise(joined, "2bit", 3))


def test_ternary_2bit_vector_blocks_every_position():
    # the vector loop packs 128 codes per step: an out-of-range code is caught
    # in every position of a block and of the scalar rest after it; valid
    # codes give the bitwise bytes for lengths around the block size, any
    # shape, and after 0 to 3 leading codes (a stream not on a byte boundary)
    from analogfe.frontend.packing import pack_parts

    rng = np.random.default_rng(9)
    base = rng.integers(-1, 2, 300).astype(np.int8)
    for pos in range(300):
        for v in (2, -2, 3, 127, -128, 64):
            codes = base.copy()
            codes[pos] = v
            with pytest.raises(ValueError, match=r"lie in \[-1, 1\]"):
                adc.pack_codes(codes, "2bit", 3)
    p = adc.PACKINGS["2bit"]
    for count in (127, 128, 129, 255, 256, 257, 511, 512, 513, 1000, 4099, 70001):
        codes = rng.integers(-1, 2, count).astype(np.int8)
        want = pack_codes_bitwise(codes, "2bit", 3)
        np.testing.assert_array_equal(adc.pack_codes(codes, "2bit", 3), want)
        for lead in range(4):
            parts = [rng.integers(-1, 2, (1, lead)).astype(np.int8), codes.reshape(1, -1)]
            np.testing.assert_array_equal(
                pack_parts(parts, p, 3),
                pack_codes_bitwise(np.concatenate([q.ravel() for q in parts]), "2bit", 3))
    frame = rng.integers(-1, 2, (3, 61, 67)).astype(np.int8)
    want = pack_codes_bitwise(frame.ravel(), "2bit", 3)
    np.testing.assert_array_equal(adc.pack_codes(frame, "2bit", 3), want)
    np.testing.assert_array_equal(adc.pack_codes(np.asfortranarray(frame[0]), "2bit", 3),
                                  pack_codes_bitwise(frame[0].ravel(), "2bit", 3))
    np.testing.assert_array_equal(adc.pack_codes(frame[:, ::2], "2bit", 3),
                                  pack_codes_bitwise(frame[:, ::2].ravel(), "2bit", 3))
    assert adc.pack_codes(np.zeros(0, np.int8), "2bit", 3).shape == (0,)
    assert adc.pack_codes(np.int8(1) * np.ones((), np.int8), "2bit", 3).tolist() == [0b10000000]


@pytest.mark.parametrize("packing, levels", [("2bit", 3), ("3bit", 7), ("base3-5in8", 3)])
def test_pack_into_out(packing, levels):
    # out= gives the bytes of a new array, written in place and returned, on
    # the 1.5-bit path and the general one (non-int8 and strided codes too)
    rng = np.random.default_rng(11)
    half = (levels - 1) // 2
    for codes in (rng.integers(-half, half + 1, 1001).astype(np.int8),
                  rng.integers(-half, half + 1, (40, 30)).astype(np.int8)[:, ::3],
                  rng.integers(-half, half + 1, 77).astype(np.int32)):
        want = adc.pack_codes(codes, packing, levels)
        buf = np.full(want.shape, 0xA5, np.uint8)
        assert adc.pack_codes(codes, packing, levels, out=buf) is buf
        np.testing.assert_array_equal(buf, want)


def test_pack_bad_out():
    codes = np.zeros(10, np.int8)
    for packing, levels in (("2bit", 3), ("3bit", 7)):
        n = -(-adc.packed_bits(10, packing, levels) // 8)
        with pytest.raises(TypeError, match="out must be a uint8"):
            adc.pack_codes(codes, packing, levels, out=np.zeros(n, np.int8))
        with pytest.raises(TypeError, match="out must be a uint8"):
            adc.pack_codes(codes, packing, levels, out=[0] * n)
        with pytest.raises(ValueError, match=rf"out must have shape \({n},\)"):
            adc.pack_codes(codes, packing, levels, out=np.zeros(n + 1, np.uint8))
        with pytest.raises(ValueError, match="out must have shape"):
            adc.pack_codes(codes, packing, levels, out=np.zeros((1, n), np.uint8))
        with pytest.raises(ValueError, match="C-contiguous"):
            adc.pack_codes(codes, packing, levels, out=np.zeros(2 * n, np.uint8)[::2])
        ro = np.zeros(n, np.uint8)
        ro.flags.writeable = False
        with pytest.raises(ValueError, match="writeable"):
            adc.pack_codes(codes, packing, levels, out=ro)
        mem = np.zeros(16, np.uint8)
        with pytest.raises(ValueError, match="share memory with codes"):
            adc.pack_codes(mem[:10].view(np.int8), packing, levels, out=mem[8:8 + n])
        with pytest.raises(ValueError, match="lie in"):
            adc.pack_codes(np.full(10, 5, np.int8), packing if levels == 3 else "2bit", 3,
                           out=np.zeros(3, np.uint8))


def test_unpack_memory():
    # decoded straight into the int8 output: no byte per bit, no 64-bit values
    import tracemalloc

    rng = np.random.default_rng(0)
    for packing, levels in _PACK_SPECS:
        half = (levels - 1) // 2
        codes = rng.integers(-half, half + 1, 1_000_003).astype(np.int8)
        data = adc.pack_codes(codes, packing, levels)
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            got = adc.unpack_codes(data, packing, levels, codes.size)
            peak = tracemalloc.get_traced_memory()[1] - base
        finally:
            tracemalloc.stop()
        np.testing.assert_array_equal(got, codes)
        assert peak < 1.1 * codes.nbytes + 4096, (packing, peak)


def test_pack_memory():
    # no 64-bit digit and no byte per bit for the whole stream: the peak stays
    # below 4x the codes plus the bytes (about 27x before)
    import tracemalloc

    rng = np.random.default_rng(0)
    for packing, levels in (("2bit", 3), ("3bit", 7), ("base3-5in8", 3), ("base7-6in17", 7)):
        half = (levels - 1) // 2
        codes = rng.integers(-half, half + 1, 2_000_000).astype(np.int8)
        adc.pack_codes(codes[:64], packing, levels)
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            data = adc.pack_codes(codes, packing, levels)
            peak = tracemalloc.get_traced_memory()[1] - base
        finally:
            tracemalloc.stop()
        assert peak < 4 * (codes.nbytes + data.nbytes), (packing, peak)


def test_pack_known_bytes():
    # 2bit: codes -1, 0, 1, 1 -> digits 0, 1, 2, 2 -> 00 01 10 10
    assert adc.pack_codes(np.array([-1, 0, 1, 1], np.int8), "2bit", 3).tolist() == [0b00011010]
    # base3: digits 2, 0, 0, 0, 1 -> 2 + 1 * 81 = 83
    assert adc.pack_codes(np.array([1, -1, -1, -1, 0], np.int8), "base3-5in8", 3).tolist() == [83]


def test_packing_errors():
    with pytest.raises(ValueError, match="packing"):
        adc.pack_codes(np.zeros(3, np.int8), "zip", 3)
    with pytest.raises(ValueError, match="packing"):
        adc.pack_codes(np.zeros(3, np.int8), "2bit", 7)
    with pytest.raises(ValueError, match="packing"):
        adc.pack_codes(np.zeros(3, np.int8), "base3-5in8", 7)
    with pytest.raises(ValueError, match="codes"):
        adc.pack_codes(np.array([2], np.int8), "2bit", 3)
    with pytest.raises(TypeError, match="codes"):
        adc.pack_codes(np.array([0.5]), "2bit", 3)
    with pytest.raises(ValueError, match="levels"):
        adc.pack_codes(np.zeros(3, np.int8), "2bit", 4)
    with pytest.raises(ValueError, match="data"):
        adc.unpack_codes(np.zeros(1, np.uint8), "2bit", 3, 5)
    with pytest.raises(TypeError, match="data"):
        adc.unpack_codes(np.zeros(1, np.uint16), "2bit", 3, 1)
