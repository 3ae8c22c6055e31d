"""The minimal ISP of the digital baseline: black level, white balance,
demosaic, colour matrix, sRGB gamma, 8 bits.

:func:`process` validates its input, builds the gamma table once, and calls
the fused Cython kernel ``analogfe._ext._isp`` (one pass over each frame, in
row blocks shared among threads).
"""
from __future__ import annotations

import functools

import numpy as np

from .._ext import _isp
from .._threads import resolve_threads
from .._validation import check_array, check_choice, check_float, check_out
from ..scene.camera import DEFAULT_RGB_TO_CAM, DEFAULT_WB_GAINS
from ..scene.cfa import cfa_index
from ..scene.color import REC709_LUMA, linear_to_srgb

__all__ = ['process']


# --------------------------------------------------------------------------- #
# the minimal ISP of the digital baseline
# --------------------------------------------------------------------------- #
OUTPUTS = ("rgb", "gray")
#: Rows of one frame per task of the kernel (each task also computes the 2
#: halo rows of the demosaic's 3x3 window: 1/16 more mosaic rows).
_BLOCK_ROWS = 32
#: Cells of the gamma table over linear [0, 1]: a power of two, so the cell of
#: a value is exact. One 8-bit sRGB code spans at least 1 / (12.92 * 255) =
#: 3.0e-4 of linear light (the steepest part of the curve, near black), more
#: than one cell (1 / 4096 = 2.4e-4): a cell holds at most one switching point.
GAMMA_CELLS = 1 << 12
#: The kernel's float32 fast path (AVX2 builds), whose codes are checked and,
#: where its error bound leaves them open, recomputed exactly; False sends
#: every pixel through the exact path (the tests compare the two).
_FAST = True


def process(dn, config, *, output="rgb", white_balance=None, ccm=None,
            white_level_dn=None, digital_gain=1.0, n_threads=None, out=None):
    """Minimal ISP: sensor DN -> 8-bit sRGB (or gray).

    Steps: subtract the black level, normalise by the white level, white
    balance (Bayer sensors), bilinear demosaic, camera -> sRGB colour matrix,
    optional digital gain, sRGB gamma, rounding to 8 bits. A monochrome sensor
    gives gray directly; ``output="rgb"`` then repeats it in three channels.
    There is no auto exposure: a dark scene stays dark, as in the sensor.

    The steps run fused, one pass per row block: normalise and white balance
    in float32, the bilinear demosaic of :func:`analogfe.scene.demosaic`
    (same sums, mirrored edges), the colour matrix in float64, and the gamma
    and rounding through a table of the exact switching points of
    ``floor(255 * linear_to_srgb(v) + 0.5)``. The result equals the
    step-by-step numpy computation (``tests/reference_isp.py``) but for an
    ulp of the colour matrix's sums: at most 1 DN, and almost never. Where
    the build has AVX2 the kernel first computes 8 pixels at a time in
    float32 with the sRGB curve as a polynomial, and recomputes exactly
    every code that its error bound does not settle: the same bytes (the
    bound is derived in ``ext/_isp.pyx``).

    Parameters
    ----------
    dn : (H, W) or (N, H, W) ndarray, unsigned int
        Raw digital numbers from :meth:`analogfe.sensor.Sensor.readout`.
    config : SensorConfig
        Gives black level, ADC bits, gain, full well and the CFA.
    output : {"rgb", "gray"}
    white_balance : None or sequence of 3 float
        R, G, B gains; default the gains of the default camera of
        :func:`unprocess` (2.15, 1, 1.7).
    ccm : None or (3, 3) array_like
        Camera RGB -> linear sRGB; default the inverse of the default camera's
        sRGB -> camera matrix. Ignored on a monochrome sensor.
    white_level_dn : None or float
        DN that maps to 1.0; default the saturation level
        ``min(2**adc_bits - 1, black_level_dn + gain_dn_per_e * full_well_e)``.
    digital_gain : float
        Multiplies the linear image before the gamma.
    n_threads : int >= 1, optional
        Threads sharing the row blocks (of all frames of a stack); default
        every core that other work leaves free (``OMP_NUM_THREADS`` when set),
        one per 65,536 pixels at most. The result is the same for any
        number. In a process forked from another (multiprocessing's
        ``"fork"`` start method) one thread is used whatever is asked: the
        OpenMP runtime of GCC would hang there.
    out : uint8 ndarray, optional
        Where to write the image (C-contiguous, writeable, of the shape
        returned, not sharing memory with ``dn``), as OpenCV's ``dst``: a
        caller that processes frame after frame reuses one buffer instead
        of a new array per call (at 12 MP, 36 MB of fresh pages to fault
        in).

    Returns
    -------
    image : uint8 ndarray
        (H, W, 3) / (N, H, W, 3) for ``"rgb"``, (H, W) / (N, H, W) for
        ``"gray"``; ``out`` itself when given.

    Raises
    ------
    ValueError
        An unknown ``output``; ``dn`` not (H, W) or (N, H, W) of the config's
        size, or smaller than 2x2 on a Bayer sensor; ``white_balance`` not 3
        positive gains; ``ccm`` not (3, 3); ``white_level_dn`` not above the
        black level; a negative ``digital_gain``; ``n_threads`` below 1;
        ``out`` of another shape, not C-contiguous, read-only or sharing
        memory with ``dn``.
    TypeError
        ``config`` not a SensorConfig; ``dn`` not of an integer dtype; a
        non-integer ``n_threads``; ``out`` not a uint8 ndarray.

    Examples
    --------
    >>> import numpy as np
    >>> from analogfe import SensorConfig
    >>> cfg = SensorConfig(height=4, width=6, cfa="RGGB")
    >>> process(np.full((4, 6), 300, np.uint16), cfg).shape
    (4, 6, 3)
    """
    check_choice(output, "output", OUTPUTS)
    if not hasattr(config, "black_level_dn") or not hasattr(config, "cfa"):
        raise TypeError(f"config must be a SensorConfig, got {type(config).__name__}")
    dn = check_array(dn, "dn", ndim=(2, 3), kinds="ui")
    if dn.shape[-2:] != (config.height, config.width):
        raise ValueError(
            f"dn must be (..., {config.height}, {config.width}) for this config, "
            f"got shape {dn.shape}"
        )
    digital_gain = check_float(digital_gain, "digital_gain", low=0.0)
    black = float(config.black_level_dn)
    if white_level_dn is None:
        white = min(2 ** config.adc_bits - 1,
                    black + config.gain_dn_per_e * config.full_well_e)
    else:
        white = check_float(white_level_dn, "white_level_dn")
    if white <= black:
        raise ValueError(f"white_level_dn ({white}) must exceed the black level ({black})")
    if config.cfa is not None:
        if white_balance is None:
            wb = np.array(DEFAULT_WB_GAINS)
        else:
            wb = check_array(white_balance, "white_balance", ndim=1, kinds="iuf",
                             dtype=np.float64)
            if wb.shape != (3,) or (wb <= 0).any():
                raise ValueError(f"white_balance must be 3 positive gains, got {wb.tolist()}")
        if ccm is None:
            ccm = _default_ccm()
        else:
            ccm = check_array(ccm, "ccm", ndim=2, kinds="iuf", dtype=np.float64)
            if ccm.shape != (3, 3):
                raise ValueError(f"ccm must be (3, 3), got {ccm.shape}")
        if config.height < 2 or config.width < 2:
            raise ValueError(f"dn must be at least 2x2 to demosaic (cfa {config.cfa!r}), "
                             f"got shape {dn.shape}")
        wb = np.asarray(wb, np.float32)
    n_threads = resolve_threads(n_threads, work=dn.size)
    frames = dn.reshape((-1,) + dn.shape[-2:])
    n, h, w = frames.shape
    channels = 3 if output == "rgb" else 1
    shape = dn.shape + ((3,) if output == "rgb" else ())
    if out is None:
        out = np.empty(shape, dtype=np.uint8)
    else:
        check_out(out, shape, dn, "dn")
    raw = _kernel_input(frames)
    base, thr = _gamma_table()
    black32, span32 = np.float32(black), np.float32(white - black)
    out3 = out.reshape(n, h, w * channels)
    if config.cfa is None:
        _isp.process_mono(raw, black32, span32, np.float32(digital_gain), base, thr, out3,
                          channels, min(n_threads, n * h))
    else:
        cfa = np.ascontiguousarray(cfa_index(config.cfa), dtype=np.int32)
        tasks = n * -(-h // _BLOCK_ROWS)
        _isp.process_bayer(raw, cfa, wb, black32, span32, np.ascontiguousarray(ccm, np.float64),
                           float(digital_gain), REC709_LUMA, base, thr, out3, output == "gray",
                           _BLOCK_ROWS, min(n_threads, tasks), _FAST)
    return out


@functools.lru_cache(maxsize=None)
def _default_ccm():
    """The inverse of the default camera's sRGB -> camera matrix (computed once:
    a LAPACK call per frame would cost more than a VGA frame's colour matrix)."""
    ccm = np.linalg.inv(DEFAULT_RGB_TO_CAM)
    ccm.flags.writeable = False
    return ccm


def _kernel_input(frames):
    """(N, H, W) integer DN -> what the kernel reads: uint16 as it is (uint8
    widened), any other integer dtype as float32 (the numpy ISP's first step)."""
    if frames.dtype == np.uint16:
        return frames
    if frames.dtype == np.uint8:
        return frames.astype(np.uint16)
    return frames.astype(np.float32)


def _to_uint8(lin):
    """Linear values -> 8-bit sRGB codes: clip to [0, 1], :func:`linear_to_srgb`
    (float64, stored as float32), ``floor(255 * s + 0.5)`` in float32."""
    s = linear_to_srgb(np.clip(lin, 0.0, 1.0))
    return np.ascontiguousarray(np.floor(s * 255.0 + 0.5).astype(np.uint8))


@functools.lru_cache(maxsize=None)
def _gamma_table(n_cells=GAMMA_CELLS):
    """The kernel's gamma table: ``(base, thr)``, each of ``n_cells + 1`` entries.

    The threshold of code k (1..255) is the smallest float64 ``t`` in [0, 1]
    with ``_to_uint8(t) >= k``, found by bisection on the bit patterns of the
    doubles (ordered like their values for non-negative numbers). For ``v``
    in cell ``i = floor(v * n_cells)``, ``base[i]`` counts the thresholds at
    or below the cell's start and ``thr[i]`` is the one threshold inside the
    cell (2.0 if none), so ``base[i] + (v >= thr[i])`` is ``_to_uint8(v)``
    wherever the code is monotone in ``v`` (tests/test_isp.py checks it).
    """
    k = np.arange(1, 256)
    lo = np.zeros(255, np.int64)                                 # code(0.0) = 0 < k
    hi = np.full(255, np.array(1.0).view(np.int64), np.int64)   # code(1.0) = 255 >= k
    while (hi - lo > 1).any():
        mid = lo + (hi - lo) // 2
        up = _to_uint8(mid.view(np.float64)) >= k
        hi, lo = np.where(up, mid, hi), np.where(up, lo, mid)
    t = hi.view(np.float64)
    edges = np.arange(n_cells + 1) / n_cells
    base = np.searchsorted(t, edges, side="right").astype(np.uint8)
    thr = np.full(n_cells + 1, 2.0)
    inside = t > np.floor(t * n_cells) / n_cells
    cells = np.floor(t[inside] * n_cells).astype(np.intp)
    if np.unique(cells).size != cells.size or not (np.diff(t) > 0).all():
        raise RuntimeError(f"{n_cells} gamma cells are too coarse for the 8-bit codes")
    thr[cells] = t[inside]
    base.flags.writeable = False
    thr.flags.writeable = False
    return base, thr
