"""The log-ratio converter's quantisers on torch tensors.

* :func:`ratio_codes`: the hard codes of the numpy/Cython converter, bit for
  bit. As the Cython kernel does, each pair is decided on the ratio of its two
  ``u = x / full_well_e + eps`` values against the threshold ratios
  ``R_n (1 +- band)``: first in float32 (band 4e-6, well above its own error
  of 3e-7), the pairs inside the band again in float64 (band 1e-9), and the
  few pairs inside that band with the float64 log formula of the C library
  (Python's ``math.log``), on the CPU. Every decision is therefore that of
  ``round(clip(ln u_a - ln u_b) s)`` (formula) or of
  ``ln u_a - ln u_b >= t_n`` (explicit thresholds) in float64, whatever the
  device; ``torch.log`` itself (SLEEF or CUDA's ``log``, within an ulp of the
  C library, not equal to it) never decides.
* :func:`soft_quantise`: the temperature-``T`` staircase
  ``sum_n sigmoid((d - t_n) / T) - sigmoid((-d - t_n) / T)``, smooth in ``d``
  and in the thresholds; it tends to the hard codes as ``T -> 0``.
* :func:`quantise`: ``method="hard"`` (int8, no gradient), ``"soft"`` (the
  staircase, for an annealed soft quantiser) or ``"ste"`` (the hard codes
  forward, the staircase's gradient backward: a straight-through estimator
  with a sigmoid surrogate).

References
----------
Y. Bengio, N. Leonard, A. Courville, "Estimating or Propagating Gradients
Through Stochastic Neurons for Conditional Computation", arXiv:1308.3432, 2013.
H. M. So, L. Bose, P. Dudek, G. Wetzstein, "PixelRNN: In-pixel Recurrent
Neural Networks for End-to-end-optimized Perception with Neural Sensors",
CVPR 2024 (in-sensor parameters trained with the network).
E. Agustsson et al., "Soft-to-Hard Vector Quantization for End-to-End Learning
Compressible Representations", NeurIPS 2017 (annealed soft quantisation).
"""
from __future__ import annotations

import math

import numpy as np
import torch

from ._checks import check_tensor, ste

__all__ = ["ratio_bands", "ratio_codes", "soft_quantise", "hard_quantise", "quantise", "METHODS"]

#: Relative half-width of the float64 band (as ``ext/_logratio.pyx``).
BAND64 = 1e-9
#: Relative half-width of the float32 band (as the Cython fast path).
BAND32 = 4e-6
#: Quantiser methods of :func:`quantise`.
METHODS = ("hard", "soft", "ste")


def ratio_bands(thresholds_ln, band=BAND64):
    """``(R (1 + band), R (1 - band))`` with ``R = exp(t)``, float64 numpy, as the
    Cython kernel computes them (``np.exp`` of the same float64 thresholds)."""
    r = np.exp(np.asarray(thresholds_ln, dtype=np.float64))
    return r * (1.0 + band), r * (1.0 - band)


def _decide(hi, lo, r_up, r_down):
    """Signed count of thresholds clearly passed by ``hi / lo``, and the pairs
    within a band (int8 codes, bool).

    On ``max(u) / min(u)``: the count of ``R (1 + band)`` passed, with the sign
    of ``hi - lo`` (the Cython kernel's test on each side, folded into one as
    every ``u`` is positive and every ``R > 1``)."""
    mx = torch.maximum(hi, lo)
    mn = torch.minimum(hi, lo)
    q = torch.zeros(hi.shape, dtype=torch.int8, device=hi.device)
    amb = torch.zeros(hi.shape, dtype=torch.bool, device=hi.device)
    for ru, rd in zip(r_up, r_down):
        up = mx > mn * ru
        q += up
        amb |= (mx >= mn * rd) ^ up
    return torch.where(lo > hi, -q, q), amb


def _c_round(x):
    """C ``round``: half away from zero, exact for every float."""
    a = abs(x)
    r = math.floor(a)
    if a - r >= 0.5:
        r += 1.0
    return math.copysign(r, x)


def _exact(hi, lo, thresholds_ln, clip, formula_scale):
    """The float64 log formula on CPU floats (the Cython kernel's, C ``log``)."""
    out = []
    for a, b in zip(hi, lo):
        d = math.log(a) - math.log(b)
        d = min(max(d, -clip), clip)
        if formula_scale is not None:
            out.append(int(_c_round(d * formula_scale)))
        elif d + 0.0 >= 0.0:
            out.append(sum(1 for t in thresholds_ln if d >= t))
        else:
            out.append(-sum(1 for t in thresholds_ln if -d >= t))
    return out


def ratio_codes(x_hi, x_lo, thresholds_ln, *, full_well_e=10000.0, eps=1e-4,
                clip=math.log(8.0), formula_scale=None):
    """Hard codes of pairs of electrons, equal to the Cython converter's.

    Parameters
    ----------
    x_hi, x_lo : torch.Tensor, same shape, float32 or float64
        Electrons of the two pixels of each pair (``d = ln u_hi - ln u_lo``).
    thresholds_ln : (m,) array_like of float
        Ascending positive decision thresholds, nepers.
    full_well_e : float
        Electrons of intensity 1.0, e-.
    eps : float
        Offset inside the log, intensity units (1e-4).
    clip : float
        Clip of the log ratio, nepers (``ln 8``).
    formula_scale : float, optional
        ``s`` of the formula quantiser ``round(clip(d) s)``; None for the
        threshold quantiser ``#{n : d >= t_n}`` (and its negative mirror).

    Returns
    -------
    codes : torch.Tensor, int8, shape of ``x_hi``
    """
    t = np.asarray(thresholds_ln, dtype=np.float64)
    c = eps * full_well_e
    if x_hi.dtype == torch.float32 and 1e-30 <= c <= 1e30:
        ru, rd = ratio_bands(t, BAND32)
        cf = torch.tensor(c, dtype=torch.float32).item()  # c rounded to float32
        q, amb = _decide(x_hi + cf, x_lo + cf, [float(np.float32(v)) for v in ru],
                         [float(np.float32(v)) for v in rd])
        # float32 scalars: torch keeps the tensor's float32 in these products
        if bool(amb.any()):
            q[amb] = ratio_codes(x_hi[amb].to(torch.float64), x_lo[amb].to(torch.float64), t,
                                 full_well_e=full_well_e, eps=eps, clip=clip,
                                 formula_scale=formula_scale)
        return q
    hi = x_hi.to(torch.float64) / full_well_e + eps
    lo = x_lo.to(torch.float64) / full_well_e + eps
    ru, rd = ratio_bands(t, BAND64)
    q, amb = _decide(hi, lo, ru.tolist(), rd.tolist())
    if bool(amb.any()):
        vals = _exact(hi[amb].cpu().tolist(), lo[amb].cpu().tolist(), t.tolist(), clip,
                      formula_scale)
        q[amb] = torch.tensor(vals, dtype=torch.int8, device=q.device)
    return q


def _thresholds(thresholds_ln, d, name):
    t = thresholds_ln if isinstance(thresholds_ln, torch.Tensor) else torch.as_tensor(
        np.asarray(thresholds_ln, dtype=np.float64))
    if t.ndim < 1:
        raise ValueError(f"{name} must hold at least one threshold, got shape {tuple(t.shape)}")
    return t.to(device=d.device, dtype=d.dtype)


def soft_quantise(d, thresholds_ln, temperature, thresholds_neg_ln=None):
    """The temperature-``T`` staircase of the threshold quantiser.

    Parameters
    ----------
    d : torch.Tensor, float
        Clipped (and perturbed) log ratios, nepers.
    thresholds_ln : (m,) or (..., m) torch.Tensor or array_like
        Positive-side thresholds, nepers, broadcastable to ``d.shape + (m,)``
        (e.g. one set per column, ``(W, m)``).
    temperature : float > 0
        ``T``, nepers; the width of each step (0.05 is about a 5 % ratio).
    thresholds_neg_ln : like ``thresholds_ln``, optional
        Negative-side thresholds (mismatch makes them differ); default the same.

    Returns
    -------
    q : torch.Tensor, shape and dtype of ``d``
        ``sum_n sigmoid((d - t_n) / T) - sigmoid((-d - t'_n) / T)``.

    Raises
    ------
    ValueError
        A temperature that is not positive.
    """
    d = check_tensor(d, "d", ndim=tuple(range(0, 9)))
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    tp = _thresholds(thresholds_ln, d, "thresholds_ln")
    tn = tp if thresholds_neg_ln is None else _thresholds(thresholds_neg_ln, d, "thresholds_neg_ln")
    dd = d.unsqueeze(-1)
    return (torch.sigmoid((dd - tp) / temperature)
            - torch.sigmoid((-dd - tn) / temperature)).sum(-1)


def hard_quantise(d, thresholds_ln, thresholds_neg_ln=None):
    """``#{n : d >= t_n}`` for ``d >= 0``, ``-#{n : -d >= t'_n}`` otherwise (int8);
    the threshold quantiser of the Cython kernel on given differences."""
    tp = _thresholds(thresholds_ln, d, "thresholds_ln")
    tn = tp if thresholds_neg_ln is None else _thresholds(thresholds_neg_ln, d, "thresholds_neg_ln")
    dd = d.detach().unsqueeze(-1)
    pos = (dd >= tp.detach()).sum(-1)
    neg = (-dd >= tn.detach()).sum(-1)
    return torch.where(d.detach() >= 0, pos, -neg).to(torch.int8)


def quantise(d, thresholds_ln, *, method="ste", temperature=0.05, thresholds_neg_ln=None,
             hard=None):
    """Quantise log ratios with a choice of gradient.

    Parameters
    ----------
    d : torch.Tensor, float
        Clipped log ratios, nepers.
    thresholds_ln : torch.Tensor or array_like
        See :func:`soft_quantise`.
    method : {"hard", "soft", "ste"}
        ``"hard"``: int8 codes, no gradient. ``"soft"``: the staircase of
        :func:`soft_quantise` (anneal ``temperature`` towards 0 during
        training). ``"ste"``: the hard codes in the forward pass, the
        staircase's gradient in the backward pass.
    temperature : float > 0
        ``T`` of the staircase, nepers.
    thresholds_neg_ln : optional
        Negative-side thresholds.
    hard : torch.Tensor, optional
        Hard codes already computed (e.g. exactly by :func:`ratio_codes`).

    Returns
    -------
    q : torch.Tensor
        int8 for ``"hard"``, else the dtype of ``d``.

    Raises
    ------
    ValueError
        An unknown ``method`` (the valid ones are listed).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if method == "hard":
        return hard if hard is not None else hard_quantise(d, thresholds_ln, thresholds_neg_ln)
    soft = soft_quantise(d, thresholds_ln, temperature, thresholds_neg_ln)
    if method == "soft":
        return soft
    if hard is None:
        hard = hard_quantise(d, thresholds_ln, thresholds_neg_ln)
    return ste(hard, soft)
