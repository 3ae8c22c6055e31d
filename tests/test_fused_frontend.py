"""The log-gradient front end's fused pass (binning and conversion of every
scale over row blocks, ``ext/_pyramid.pyx``) against its unfused reference:
each scale binned into a plane of its own (``_binning.bin_mean``), each plane
converted afterwards (``_logratio.codes_batch``), and against the plain-numpy
formula of ``tests/reference_frontend.py``."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_frontend import frontend_reference, libm_log

from analogfe.frontend import LogGradientFrontEnd
from analogfe.frontend import log_gradient as lg
from analogfe.frontend.converter import LN8, formula_thresholds_ln, quantiser_scale

FW = 10000.0

SCALES = [(1, 2, 4), (4, 2, 1), (1,), (2,), (3,), (4,), (1, 3), (2, 3, 4), (1, 2, 4, 8), (5, 1)]
CONVERTERS = [{"bits": 2}, {"bits": 3}, {"thresholds": [2.0]}, {"thresholds": [1.3, 2.0, 4.0]}]


def _unfused(fe, electrons, n_threads=1):
    """The same front end's codes with the fused pass turned off."""
    saved = lg._pyramid_takes
    lg._pyramid_takes = lambda *a: False
    try:
        return fe(electrons, n_threads=n_threads)
    finally:
        lg._pyramid_takes = saved


def _near_thresholds(rng, shape, converter):
    """Pixels whose neighbours sit within about 1e-6 of a decision ratio (the
    float32 path's band), mixed with a random scene and flat patches."""
    t_ln = (np.log(converter["thresholds"]) if "thresholds" in converter
            else formula_thresholds_ln(converter["bits"]))
    x = (rng.random(shape) ** 2.2 * FW).astype(np.float64)
    c = 1e-4 * FW
    step = np.exp(rng.choice(t_ln, shape)) * (1 + rng.uniform(-2e-6, 2e-6, shape))
    chain = rng.random(shape) < 0.4  # a pixel on a threshold ratio of its left neighbour
    for col in range(2, shape[-1]):
        x[..., col] = np.where(chain[..., col], (x[..., col - 2] + c) * step[..., col] - c,
                               x[..., col])
    x[..., : shape[-2] // 3, : shape[-1] // 4] = 1234.5  # a flat patch (ratio 1)
    return np.clip(x, 0, 2 * FW).astype(np.float32)


def _assert_same(a, b):
    assert len(a.dx) == len(b.dx)
    for p, q in zip(a.dx + a.dy, b.dx + b.dy):
        assert p.dtype == np.int8 and p.shape == q.shape
        np.testing.assert_array_equal(p, q)


@settings(max_examples=120, deadline=None)
@given(st.integers(0, 3), st.integers(0, 60), st.integers(0, 60), st.sampled_from(SCALES),
       st.sampled_from(CONVERTERS), st.sampled_from(["centred", "adjacent"]),
       st.sampled_from([None, "RGGB"]), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_fused_pass_equals_unfused_reference(n, dh, dw, scales, converter, pairs, cfa,
                                             n_threads, seed):
    # odd sizes, tails of the last row block, every scale's plane, stacks,
    # 1 to 3 threads (several units per frame), pairs near every threshold
    unit = 2 if cfa else 1
    need = 3 if pairs == "centred" else 2
    h = unit * max(scales) * need + dh
    w = unit * max(scales) * need + dw
    rng = np.random.default_rng(seed)
    e = _near_thresholds(rng, (max(n, 1), h, w), converter)
    e = e[0] if n == 0 else e
    fe = LogGradientFrontEnd(scales=scales, pairs=pairs, cfa=cfa, full_well_e=FW, **converter)
    assert lg._pyramid_takes(fe.scales, fe._t_ln, None if fe.thresholds else 1.0, FW, fe.eps)
    _assert_same(fe(e, n_threads=n_threads), _unfused(fe, e))


@pytest.mark.parametrize("bits", [2, 3])
@pytest.mark.parametrize("cfa", [None, "RGGB"])
def test_fused_pass_equals_the_released_formula_on_long_rows(bits, cfa):
    # rows longer than one run of the float32 path (256 pairs), pairs near
    # every threshold: the runs redone in float64 are those holding them
    rng = np.random.default_rng(bits)
    e = _near_thresholds(rng, (2, 2 * 37 + 1, 2 * 531 + 1), {"bits": bits})
    fe = LogGradientFrontEnd(bits=bits, scales=(1, 2, 4), cfa=cfa)
    out = fe(e, n_threads=2)
    _assert_same(out, _unfused(fe, e, 2))
    if cfa is None:
        dxs, dys = frontend_reference(e, bits, (1, 2, 4), FW, log=libm_log)
        for i in range(e.shape[0]):
            for p, q in zip(out.dx + out.dy, dxs + dys):
                np.testing.assert_array_equal(p[i], q[i])


@pytest.mark.parametrize("n_threads", [1, 2, 3])
@pytest.mark.parametrize("cfa", [None, "RGGB"])
def test_read_noise_path_equals_unfused_reference(n_threads, cfa):
    # the pixel read noise (per frame and 32-row block streams) is drawn
    # before the fused pass: two front ends of one seed draw the same charge
    e = _near_thresholds(np.random.default_rng(5), (3, 70, 45), {"bits": 3})
    kw = {"bits": 3, "scales": (1, 2, 4), "read_noise_e": 25.0, "cfa": cfa}
    a = LogGradientFrontEnd(seed=7, **kw)
    b = LogGradientFrontEnd(seed=7, **kw)
    for _ in range(2):  # fresh noise on the second call, alike on both
        _assert_same(a(e, n_threads=n_threads), _unfused(b, e, 1))


def test_units_split_the_frame_anywhere():
    # one frame on more threads than it has steps of rows, and on fewer
    e = _near_thresholds(np.random.default_rng(1), (1, 13, 40), {"bits": 2})
    fe = LogGradientFrontEnd(bits=2, scales=(1, 2, 4))
    want = _unfused(fe, e)
    for t in (1, 2, 3, 4, 8):
        _assert_same(fe(e, n_threads=t), want)


@pytest.mark.parametrize("scales", [(1,), (3,), (1, 2, 4)])
@pytest.mark.parametrize("cfa", [None, "RGGB"])
@pytest.mark.parametrize("value, match", [(np.nan, "NaN"), (np.inf, "NaN or infinity"),
                                          (-1.0, "negative")])
def test_fused_pass_finds_bad_values_anywhere(scales, cfa, value, match):
    # the fused pass tests every value, the rows and columns that binning
    # drops included (an odd last row of a Bayer frame, columns beyond k W_s)
    fe = LogGradientFrontEnd(bits=2, scales=scales, cfa=cfa)
    h, w = 2 * 3 * 4 + 3, 2 * 3 * 4 + 3
    for where in [(0, 0), (h - 1, w - 1), (h - 1, 0), (0, w - 1), (h // 2, w // 3)]:
        e = np.full((2, h, w), 100.0, np.float32)
        e[1][where] = value
        for t in (1, 2):
            with pytest.raises(ValueError, match=match):
                fe(e, n_threads=t)


def test_converters_the_fused_pass_does_not_take_stay_unfused():
    # two thresholds per side, a threshold ratio beyond the clip, an lcm of
    # scales above the kernel's step, non-idealities: the binned planes
    t = [1.5, 3.0]
    assert not lg._pyramid_takes((1,), np.log(t), None, FW, 1e-4)
    assert not lg._pyramid_takes((1,), np.log([8.0 + 1e-9]) + 1e-9, None, FW, 1e-4)
    assert not lg._pyramid_takes((5, 7, 9), formula_thresholds_ln(2), 1.0, FW, 1e-4)
    assert not lg._pyramid_takes((1,), formula_thresholds_ln(2), 1.0, 1e-40, 1e-4)
    assert lg._pyramid_takes((1, 2, 4), formula_thresholds_ln(3), 1.0, FW, 1e-4)
    e = _near_thresholds(np.random.default_rng(2), (1, 40, 50), {"bits": 2})
    for fe in (LogGradientFrontEnd(thresholds=t), LogGradientFrontEnd(scales=(5, 7, 9)),
               LogGradientFrontEnd(comparator_offset_ln=0.01, seed=3)):
        if fe.scales == (5, 7, 9):
            e = np.tile(e, (1, 7, 7))
        _assert_same(fe(e), _unfused(fe, e))


def test_kernel_rejects_what_it_does_not_take():
    from analogfe._ext import _pyramid
    x = np.ones((1, 16, 16), np.float32)
    s = quantiser_scale(2)

    def out(ks, n=1):
        return [np.empty((n, 16 // k, 16 // k), np.int8) for k in ks]

    _pyramid.codes_pyramid(x, [1, 2], False, FW, 1e-4, LN8, s, 1, True, out((1, 2)),
                           out((1, 2)))
    with pytest.raises(ValueError, match="must be"):
        _pyramid.codes_pyramid(x, [1, 2], False, FW, 1e-4, LN8, s, 1, True, out((1, 4)),
                               out((1, 2)))
    with pytest.raises(ValueError, match="fast path"):
        _pyramid.codes_pyramid(x, [1], False, FW, 1e-4, LN8, s, 2, True, out((1,)), out((1,)))
    with pytest.raises(ValueError, match="least common multiple"):
        _pyramid.codes_pyramid(x, [5, 7, 9], False, FW, 1e-4, LN8, s, 1, True, out((1,) * 3),
                               out((1,) * 3))
    with pytest.raises(ValueError, match="1 to 8 scales"):
        _pyramid.codes_pyramid(x, [], False, FW, 1e-4, LN8, s, 1, True, [], [])
    assert _pyramid.step_of((1, 2, 4)) == 4 and _pyramid.step_of((2, 3)) == 6
    assert math.lcm(4, 6) == _pyramid.step_of((4, 6))


def test_outputs_are_separate_contiguous_arrays():
    # the fused pass allocates every output at once: each is still its own
    # C-contiguous (N, H_s, W_s) int8 array, writing one leaves the others
    e = _near_thresholds(np.random.default_rng(3), (2, 33, 41), {"bits": 3})
    fe = LogGradientFrontEnd(bits=3, scales=(1, 2, 4))
    out = fe(e)
    want = [a.copy() for a in out.dx + out.dy]
    for a in out.dx + out.dy:
        assert a.dtype == np.int8 and a.flags.c_contiguous and a.flags.writeable
    out.dx[0][:] = 100
    for a, b in zip(out.dx[1:] + out.dy, want[1:]):
        np.testing.assert_array_equal(a, b)
    assert [a.shape for a in out.dx] == [(2, 33, 41), (2, 16, 20), (2, 8, 10)]


@pytest.mark.parametrize("cfa", [None, "RGGB"])
def test_negative_zero_and_the_largest_float32_are_accepted(cfa):
    e = np.full((27, 31), -0.0, np.float32)
    e[3, 4] = np.finfo(np.float32).max
    fe = LogGradientFrontEnd(bits=2, scales=(1, 2), cfa=cfa)
    _assert_same(fe(e), _unfused(fe, e))
