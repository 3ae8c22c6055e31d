"""Hand-crafted features: HOG of what the sensor sends off chip.

Every front end goes through the same HOG: the int8 log-gradient codes of
:class:`analogfe.frontend.GradientCodes` and the 8-bit images of the digital
baseline (through their centred differences). Two HOG variants are registered
in :data:`HOG_METHODS`:

``"fhog"``
    The simplified Felzenszwalb HOG of the log-gradient detector's released
    code [2]_: 8x8-pixel cells, each pixel votes into its own cell only (no
    bilinear interpolation), orientation snapped to the nearest of
    ``2 * orientations`` signed directions (bin centres ``k * 180 / n`` deg,
    the dot-product search of ``features.cc`` [1]_), L1 magnitude
    ``|dx| + |dy|``, normalisation over the four 2x2-cell blocks that contain
    a cell, no 0.2 truncation. Per cell ``3 n + 4`` features (31 for n = 9),
    in the ``features.cc`` order: ``2n`` contrast-sensitive bins,
    ``n`` contrast-insensitive bins, 4 texture features (the cell's signed
    histogram summed and scaled by ``round(1/sqrt(2n), 4)`` = 0.2357, under
    each of the four block gains). ``features.cc``'s 32nd, constant-zero
    "truncation" feature (used only for DPM padding) is not output.
``"dalal-triggs"``
    Classic HOG [3]_: ``orientations`` unsigned bins ``[k, k + 1) * 180 / n``
    deg, L2 magnitude, hard assignment to the pixel's own cell and bin (no
    spatial or orientation interpolation, no Gaussian window), L2-Hys block
    normalisation (clip 0.2) of the four 2x2-cell blocks that contain a cell.
    Per cell ``4 n`` features (36 for n = 9), grouped by block.
``"dpm-log"``
    The released log-HOG detector's features exactly (:mod:`.dpm`): FHOG's
    bins and hard votes with ``features.cc``'s pixel walk and rounded cell
    grid, the contrast-sensitive features set to 0, 32 per cell (with the
    zero truncation feature), the outer ring of cells dropped, float32
    arithmetic as the released code.

"fhog" and "dalal-triggs" return one feature vector per cell on the full
``floor(H / cell_size) x floor(W / cell_size)`` grid; blocks that stick out of
the grid use the edge-replicated border cells, so border cells get features
too.
``features.cc`` instead drops the outer ring of cells: its layout is
``hog(...)[1:-1, 1:-1]`` (interior cells never see the border convention).
:func:`image_hog` is a separate, exact re-implementation of
:func:`skimage.feature.hog`.

For integer codes the orientation bin and the vote of each ``(dx, dy)`` pair
come from a lookup table built once per (method, orientations, levels); no
trigonometry runs per pixel.

References
----------
.. [1] P. F. Felzenszwalb, R. B. Girshick, D. McAllester, D. Ramanan, "Object
   Detection with Discriminatively Trained Part-Based Models", IEEE TPAMI
   32(9):1627-1645, 2010, :DOI:`10.1109/TPAMI.2009.167` (voc-release5
   ``features.cc``).
.. [2] A. Omid-Zohoor, C. Young, D. Ta, B. Murmann, "Toward Always-On Mobile
   Object Detection: Energy Versus Performance Tradeoffs for Embedded HOG
   Feature Extraction", IEEE TCSVT 28(5):1102-1115, 2018.
.. [3] N. Dalal, B. Triggs, "Histograms of Oriented Gradients for Human
   Detection", CVPR 2005, :DOI:`10.1109/CVPR.2005.177`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .._ext import _hog
from .._threads import resolve_threads
from .._validation import (
    _cast,
    check_array,
    check_choice,
    check_float,
    check_int,
    finite_peak,
)
from .dpm import check_dpm_grid, dpm_cell_map

__all__ = ["HogMethod", "HOG_METHODS", "BLOCK_NORMS", "hog_lut", "hog"]


FHOG_EPS = 1e-4
#: eps of the Dalal-Triggs L2 norms (as scikit-image).
DT_EPS = 1e-5
#: L2-Hys clipping value (Dalal & Triggs 2005, section 6.4).
DT_CLIP = 0.2
#: Largest cell, block or window side accepted (in pixels or cells).
_MAX_PAIR = 1 << 20
#: Largest eps accepted: a regulariser, far below any histogram it divides
#: (eps**2 of the Dalal-Triggs norm stays finite).
MAX_EPS = 1e6
#: Float gradients whose largest magnitude is above this are scaled down by a
#: power of two first (exact), so no square or sum of squares in the kernels
#: can overflow: 2**300 squared, times the votes of a 4096 x 4096-pixel cell,
#: its bins and its blocks, stays far below the float64 maximum (2**1024).
SAFE_PEAK = 2.0 ** 300


def _scale_to_safe(arrays, peak, safe):
    """The arrays times ``2**-k``, the smallest power of two that brings
    ``peak`` to at most ``safe`` (exact: only the exponents change), or the
    arrays as they are when ``peak <= safe``."""
    if not peak > safe:
        return arrays
    shift = math.frexp(safe)[1] - math.frexp(peak)[1] - 1
    return tuple(np.ldexp(a, shift) for a in arrays)


#: scikit-image's block normalisations and their kernel codes.
BLOCK_NORMS = {"L1": 0, "L1-sqrt": 1, "L2": 2, "L2-Hys": 3}


@lru_cache(maxsize=None)
def _fhog_directions(orientations):
    """Unit vectors of the bin centres, rounded to 4 decimals as features.cc."""
    theta = np.arange(orientations) * np.pi / orientations
    uu = np.round(np.cos(theta), 4)
    vv = np.round(np.sin(theta), 4)
    uu.flags.writeable = False
    vv.flags.writeable = False
    return uu, vv


@lru_cache(maxsize=None)
def _dt_boundaries(orientations):
    """cos and sin of the bin limits ``k * 180 / n`` deg, k = 0 .. n-1."""
    theta = np.arange(orientations) * np.pi / orientations
    ck, sk = np.cos(theta), np.sin(theta)
    ck.flags.writeable = False
    sk.flags.writeable = False
    return ck, sk


def _fhog_bin(gx, gy, uu, vv):
    """Signed bin of one gradient: features.cc's search, ties to the first."""
    best_dot, best_o, n = 0.0, 0, len(uu)
    for o in range(n):
        dot = uu[o] * gx + vv[o] * gy
        if dot > best_dot:
            best_dot, best_o = dot, o
        elif -dot > best_dot:
            best_dot, best_o = -dot, o + n
    return best_o


def _dt_bin(gx, gy, ck, sk):
    """Unsigned bin k: theta in [k, k+1) * 180 / n deg, by sign tests (as the kernel)."""
    if gy < 0.0 or (gy == 0.0 and gx < 0.0):
        gx, gy = -gx, -gy
    return sum(int(gy * ck[k] - gx * sk[k] >= 0.0) for k in range(1, len(ck)))


# ---------------------------------------------------------------------------
# Method registry: each HOG variant's bins, lookup-table entry, float
# histogram kernel and normalisation, chosen by ``method=``
# ---------------------------------------------------------------------------
def _fhog_entry(gx, gy, orientations):
    uu, vv = _fhog_directions(orientations)
    return _fhog_bin(gx, gy, uu, vv), abs(gx) + abs(gy)


def _dt_entry(gx, gy, orientations):
    ck, sk = _dt_boundaries(orientations)
    return _dt_bin(gx, gy, ck, sk), np.hypot(gx, gy)


def _fhog_float_histograms(dx, dy, orientations, cell, hist):
    uu, vv = _fhog_directions(orientations)
    _hog.fhog_cell_histograms(dx, dy, uu, vv, cell, hist)


def _dt_float_histograms(dx, dy, orientations, cell, hist):
    ck, sk = _dt_boundaries(orientations)
    _hog.dt_cell_histograms(dx, dy, ck, sk, cell, hist)


def _fhog_normalize(hist, orientations, eps, out):
    _hog.fhog_normalize(hist, eps, round(1.0 / np.sqrt(2 * orientations), 4), out)


def _dt_normalize(hist, orientations, eps, out):
    _hog.dt_normalize(hist, eps, DT_CLIP, out)


@dataclass(frozen=True)
class HogMethod:
    """One HOG variant of :data:`HOG_METHODS`.

    Attributes
    ----------
    bins_per_orientation : int
        Histogram bins per orientation (2 for FHOG's signed bins, 1 unsigned).
    features : callable
        ``features(orientations)`` -> features per cell.
    default_eps : float
        Normalisation epsilon when ``eps`` is not given.
    lut_entry : callable
        ``lut_entry(gx, gy, orientations)`` -> (bin, vote) of one code pair.
    float_histograms : callable
        ``float_histograms(dx, dy, orientations, cell, hist)``: cell
        histograms of float gradients into ``hist``.
    normalize : callable
        ``normalize(hist, orientations, eps, out)``: per-cell features.
    cell_map : callable, optional
        ``cell_map(dx, dy, orientations, cell, eps)`` -> (ny, nx, F) float32
        features of one 2-D pair of float gradient maps (codes as exact
        floats), when the variant has its own cell grid and pixel walk;
        ``float_histograms`` and ``normalize`` are then unused (None).
    border_cells : int
        Cells of the grid dropped on each side: output cell ``(i, j)`` covers
        pixels from ``((i + b) c, (j + b) c)``. A window of ``w`` cells has
        ``w - 2 b`` cells of features, at the window's own top-left index.
    """

    bins_per_orientation: int
    features: object
    default_eps: float
    lut_entry: object
    float_histograms: object
    normalize: object
    cell_map: object = None
    border_cells: int = 0

    def n_bins(self, orientations):
        return self.bins_per_orientation * orientations

    def n_features(self, orientations):
        return self.features(orientations)


def _fhog_features(n):
    return 3 * n + 4


def _dt_features(n):
    return 4 * n


def _dpm_features(n):
    return 3 * n + 5


#: The HOG variants by name (see the module documentation).
HOG_METHODS = {
    "fhog": HogMethod(2, _fhog_features, FHOG_EPS, _fhog_entry, _fhog_float_histograms,
                      _fhog_normalize),
    "dalal-triggs": HogMethod(1, _dt_features, DT_EPS, _dt_entry, _dt_float_histograms,
                              _dt_normalize),
    "dpm-log": HogMethod(2, _dpm_features, FHOG_EPS, _fhog_entry, None, None,
                         cell_map=dpm_cell_map, border_cells=1),
}


@lru_cache(maxsize=None)
def hog_lut(method, orientations, levels):
    """Lookup table of orientation bin and vote for every pair of codes.

    Parameters
    ----------
    method : {"fhog", "dalal-triggs", "dpm-log"}
    orientations : int
        Unsigned orientation bins.
    levels : int
        Odd number of code levels, codes in ``[-(levels // 2), levels // 2]``
        (3 at 1.5 bit, 7 at 2.75 bit).

    Returns
    -------
    lut_bin : (levels**2,) int32 ndarray
        Histogram bin of the pair ``(dx, dy)`` at index
        ``(dx + h) * levels + (dy + h)``, ``h = levels // 2``.
    lut_mag : (levels**2,) float64 ndarray
        Its vote: ``|dx| + |dy|`` (fhog, dpm-log) or ``hypot(dx, dy)`` (dalal-triggs),
        in code units.
    """
    check_choice(method, "method", tuple(HOG_METHODS))
    check_int(orientations, "orientations", low=2, high=180)
    check_int(levels, "levels", low=3, high=255)
    if levels % 2 == 0:
        raise ValueError(f"levels must be odd, got {levels}")
    half = levels // 2
    codes = np.arange(-half, half + 1)
    lut_bin = np.empty((levels, levels), dtype=np.int32)
    lut_mag = np.empty((levels, levels), dtype=np.float64)
    entry = HOG_METHODS[method].lut_entry
    for i, gx in enumerate(codes):
        for j, gy in enumerate(codes):
            lut_bin[i, j], lut_mag[i, j] = entry(float(gx), float(gy), orientations)
    lut_bin, lut_mag = lut_bin.ravel(), lut_mag.ravel()
    lut_bin.flags.writeable = False
    lut_mag.flags.writeable = False
    return lut_bin, lut_mag


# ---------------------------------------------------------------------------
# HOG of gradient maps
# ---------------------------------------------------------------------------
def _check_gradients(dx, dy, levels):
    """Validate a pair of gradient maps; return (dx, dy, half or None)."""
    dx = check_array(dx, "dx", ndim=(2, 3), kinds="iuf", finite=False)
    dy = check_array(dy, "dy", ndim=(2, 3), kinds="iuf", finite=False)
    if dx.shape != dy.shape:
        raise ValueError(
            f"dx and dy must have the same shape, got {dx.shape} and {dy.shape}"
        )
    is_int = dx.dtype.kind in "iu"
    if is_int != (dy.dtype.kind in "iu"):
        raise TypeError(
            "dx and dy must both be integer codes or both float gradients, "
            f"got {dx.dtype} and {dy.dtype}"
        )
    if not is_int:
        dtype = np.float32 if (dx.dtype == np.float32 and dy.dtype == np.float32) else np.float64
        fx, fy = _cast(dx, dtype), _cast(dy, dtype)
        # finite after the cast (a longdouble may not fit float64); one min
        # and one max pass each
        peak = max(finite_peak(fx, "dx", source=dx), finite_peak(fy, "dy", source=dy))
        fx, fy = _scale_to_safe((fx, fy), peak, SAFE_PEAK)
        return fx, fy, None
    # min/max in the input's own dtype: a cheap vectorised pass each
    peaks = {name: max(-int(a.min()), int(a.max())) for name, a in (("dx", dx), ("dy", dy))}
    if levels is None:
        half = max(peaks["dx"], peaks["dy"], 1)
        if half > 127:
            raise ValueError(f"dx, dy integer codes must lie in [-127, 127], peak {half}")
    else:
        levels = check_int(levels, "levels", low=3, high=255)
        if levels % 2 == 0:
            raise ValueError(f"levels must be odd, got {levels}")
        half = levels // 2
        for name, peak in peaks.items():
            if peak > half:
                raise ValueError(
                    f"{name} has codes outside [-{half}, {half}] for levels={levels}"
                )
    return dx.astype(np.int8, copy=False), dy.astype(np.int8, copy=False), half


def _float_hists(dx, dy, method, orientations, cell):
    """Cell histograms (ny, nx, n_bins) float64 of one 2-D pair of float gradients."""
    ny, nx = dx.shape[0] // cell, dx.shape[1] // cell
    hist = np.empty((ny, nx, HOG_METHODS[method].n_bins(orientations)), np.float64)
    HOG_METHODS[method].float_histograms(dx, dy, orientations, cell, hist)
    return hist


#: Histogram bytes of one chunk of frames of a stack of codes (one kernel
#: call): small enough to be normalised from cache, large enough to share
#: among threads.
_CHUNK_BYTES = 1 << 21


def _code_hists(dx, dy, method, orientations, cell, half, n_threads):
    """Cell histograms (N, ny, nx, n_bins) float64 of (N, H, W) codes, one
    kernel call on ``n_threads`` threads."""
    ny, nx = dx.shape[1] // cell, dx.shape[2] // cell
    hist = np.empty((dx.shape[0], ny, nx, HOG_METHODS[method].n_bins(orientations)), np.float64)
    lut_bin, lut_mag = hog_lut(method, orientations, 2 * half + 1)
    _hog.code_cell_histograms(np.ascontiguousarray(dx), np.ascontiguousarray(dy), half,
                              lut_bin, lut_mag, cell, hist, n_threads)
    return hist


def _normalize(hist, method, orientations, eps, out=None):
    """Per-cell features (ny, nx, F) float32 from cell histograms (into ``out``)."""
    ny, nx = hist.shape[:2]
    if out is None:
        out = np.empty((ny, nx, HOG_METHODS[method].n_features(orientations)), np.float32)
    HOG_METHODS[method].normalize(hist, orientations, eps, out)
    return out


def _own_grid(dx, dy, method, orientations, cell, eps):
    """Features of a method with its own grid (``cell_map``), 2-D or stacked;
    integer codes go to it as exact float32."""
    check_dpm_grid(dx.shape, cell, "dx")
    if dx.dtype.kind in "iu":
        dx, dy = dx.astype(np.float32), dy.astype(np.float32)
    cell_map = HOG_METHODS[method].cell_map
    if dx.ndim == 2:
        return cell_map(np.ascontiguousarray(dx), np.ascontiguousarray(dy), orientations,
                        cell, eps)
    return np.stack([cell_map(np.ascontiguousarray(a), np.ascontiguousarray(b), orientations,
                              cell, eps) for a, b in zip(dx, dy)])


def hog(dx, dy, *, method="fhog", cell_size=8, orientations=9, levels=None, eps=None,
        n_threads=None):
    """HOG of gradient maps: log-gradient codes or float gradients.

    Parameters
    ----------
    dx, dy : (H, W) or (N, H, W) ndarray
        Horizontal ``I[y, x+1] - I[y, x-1]`` and vertical
        ``I[y+1, x] - I[y-1, x]`` gradients (y down). Integer dtype: the codes
        of a log-gradient front end (any integer dtype with values in
        ``[-127, 127]``), binned through :func:`hog_lut`. Float dtype: real
        gradients. Both must have the same shape and kind.
    method : {"fhog", "dalal-triggs", "dpm-log"}
        HOG variant, see the module documentation and :data:`HOG_METHODS`.
        ``"dpm-log"`` votes float gradients as they are and integer codes
        as the released code votes its quantised log gradients.
    cell_size : int
        Cell side in pixels (8 in the papers).
    orientations : int
        Unsigned orientation bins (9).
    levels : int, optional
        Number of code levels of integer input (3 at 1.5 bit, 7 at 2.75 bit);
        codes outside ``[-(levels // 2), levels // 2]`` raise. Default: the
        smallest table that holds the codes.
    eps : float, optional
        Regulariser of the block norms (``1e-4`` for fhog as features.cc,
        ``1e-5`` for dalal-triggs), in ``(0, 1e6]``.
    n_threads : int >= 1, optional
        Threads of the histogram kernel of integer codes (the cell rows of
        every frame of a stack are shared among them; a stack is one kernel
        call); default every core that other work leaves free
        (``OMP_NUM_THREADS`` when set). The features do not depend on it.

    Returns
    -------
    features : (ny, nx, F) or (N, ny, nx, F) float32 ndarray
        ``ny = H // cell_size``, ``nx = W // cell_size``; ``F = 3n + 4``
        (fhog) or ``4n`` (dalal-triggs). Pixels beyond the last whole cell
        are ignored. dpm-log: ``ny = round(H / cell_size) - 2`` (likewise
        ``nx``) and ``F = 3n + 5`` (32), see :mod:`analogfe.features.dpm`.

    Notes
    -----
    Float gradients of any finite size are accepted. When their largest
    magnitude is above ``2**300`` (:data:`SAFE_PEAK`) they are first scaled
    by a power of two that brings it below (exact), so the squares in the
    block norms cannot overflow to infinity (NaN or all-zero features).
    HOG is invariant to the scale of the gradients up to ``eps``, so this
    changes only cells whose gradients are smaller than about ``1e-90``
    times the largest, which would otherwise be normalised against ``eps``.

    Raises
    ------
    ValueError
        Different shapes of ``dx`` and ``dy``, a map smaller than one cell
        (dpm-log: fewer than 3 x 3 cells of its rounded grid),
        codes out of range, NaN or infinity, ``eps`` out of range, unknown
        ``method``.
    TypeError
        Non-numeric ``dx``/``dy``, or one integer and one float.

    Examples
    --------
    >>> import numpy as np
    >>> from analogfe.features import hog
    >>> dx = np.zeros((32, 48), np.int8); dx[:, 20] = 1
    >>> hog(dx, np.zeros_like(dx)).shape
    (4, 6, 31)
    """
    check_choice(method, "method", tuple(HOG_METHODS))
    cell = check_int(cell_size, "cell_size", low=1, high=4096)
    n = check_int(orientations, "orientations", low=2, high=180)
    eps = HOG_METHODS[method].default_eps if eps is None else check_float(
        eps, "eps", low=0.0, low_open=True, high=MAX_EPS)
    dx, dy, half = _check_gradients(dx, dy, levels)
    n_threads = resolve_threads(n_threads, work=dx.size)
    if HOG_METHODS[method].cell_map is not None:
        return _own_grid(dx, dy, method, n, cell, eps)
    if dx.shape[-2] < cell or dx.shape[-1] < cell:
        raise ValueError(
            f"dx of shape {dx.shape} is smaller than one cell (cell_size={cell})"
        )
    if half is not None:
        # a 2-D pair is a stack of one; frames go in chunks whose histograms
        # stay in cache for their normalisation
        xs, ys = dx.reshape((-1,) + dx.shape[-2:]), dy.reshape((-1,) + dy.shape[-2:])
        ny, nx = xs.shape[1] // cell, xs.shape[2] // cell
        step = max(1, _CHUNK_BYTES // max(ny * nx * HOG_METHODS[method].n_bins(n) * 8, 1))
        out = np.empty((xs.shape[0], ny, nx, HOG_METHODS[method].n_features(n)), np.float32)
        for i in range(0, xs.shape[0], step):
            hists = _code_hists(xs[i:i + step], ys[i:i + step], method, n, cell, half, n_threads)
            for j, h in enumerate(hists):
                _normalize(h, method, n, eps, out[i + j])
        return out[0] if dx.ndim == 2 else out
    if dx.ndim == 2:
        return _normalize(_float_hists(dx, dy, method, n, cell), method, n, eps)
    return np.stack([
        _normalize(_float_hists(a, b, method, n, cell), method, n, eps)
        for a, b in zip(dx, dy)
    ])
