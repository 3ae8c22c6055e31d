"""The analog log-gradient front end on torch tensors: binning, log-ratio converter.

:func:`bin_image` (charge averaging, summed in float64 in the order of the
Cython kernel, so the binned planes are the same floats), :func:`log_gradient`
(the function: electrons -> codes per scale) and
:class:`TorchLogGradientFrontEnd` (the module, built from a numpy
:class:`~analogfe.frontend.LogGradientFrontEnd` whose fixed pattern of
comparator offsets and threshold mismatch it reuses). With every
non-ideality off, the hard codes equal the numpy/Cython front end's on the same
float32 electrons, bit for bit (see :mod:`.quantise`).

Gradients (``method="ste"``, the default): the forward pass gives the exact
hard codes, the backward pass the gradient of a temperature-``T`` sigmoid
staircase (:func:`~.quantise.soft_quantise`) in the log ratio, the thresholds
and the per-scale gain. A straight-through estimator [1] is the default
because the network then trains on exactly the codes the chip sends (no
train/test mismatch to anneal away), while the surrogate still gives the
thresholds a gradient, which a plain identity STE would not. ``method="soft"``
gives the staircase itself (anneal ``temperature`` towards 0; ``gradcheck``
runs on it) and ``"hard"`` int8 codes without gradient.

On the CPU (float32 electrons, an ideal converter, ``"hard"`` or ``"ste"``)
the codes come from the Cython kernels of the numpy front end, one call per
scale on the whole batch, and ``"ste"`` builds the staircase in the backward
pass only (a ``torch.autograd.Function``): the same codes and gradients as
the tensor ops, at about the cost of the numpy front end
(``benchmarks/bench_torch_frontend.py``).
``cpu_kernel=False`` keeps the tensor ops, which a GPU always runs.

References
----------
.. [1] Y. Bengio, N. Leonard, A. Courville, arXiv:1308.3432, 2013.
.. [2] C. Young, A. Omid-Zohoor, P. Lajevardi, B. Murmann, "A Data-Compressive
   1.5/2.75-bit Log-Gradient QVGA Image Sensor With Multi-Scale Readout for
   Always-On Object Detection", IEEE JSSC 54(11):2932-2946, 2019.
   doi:10.1109/JSSC.2019.2937437
.. [3] H. M. So, L. Bose, P. Dudek, G. Wetzstein, "PixelRNN: In-pixel
   Recurrent Neural Networks for End-to-end-optimized Perception with Neural
   Sensors", CVPR 2024.
"""
from __future__ import annotations

import copy

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.function import once_differentiable

from ..._threads import resolve_threads
from ..._validation import check_choice, check_float, check_int, check_ints
from ..codes import PAIRS, GradientCodes
from ..converter import EPS, LN8, check_ratio_thresholds, formula_thresholds_ln, quantiser_scale
from ..log_gradient import LogGradientFrontEnd, _ideal_codes, _scale_planes
from ._checks import (
    as_torch_generator,
    check_tensor,
    check_thresholds_ln,
    check_values,
    per_sample,
)
from .quantise import METHODS, quantise, ratio_codes

__all__ = ["bin_image", "log_gradient", "codes_to_input", "TorchLogGradientFrontEnd"]

#: Smallest step between learned thresholds, nepers (keeps them strictly ascending).
MIN_STEP_LN = 1e-3


def bin_image(x, k):
    """k x k charge binning: the mean of each block, as :func:`analogfe.frontend.bin_image`.

    Parameters
    ----------
    x : (..., H, W) torch.Tensor, float
        Electrons (or any linear quantity).
    k : int >= 1
        Bin size; rows and columns beyond a multiple of ``k`` are dropped.

    Returns
    -------
    binned : (..., H // k, W // k) torch.Tensor, dtype of ``x``
        Summed in float64 in row-major order within each block and divided
        by ``k * k`` (the Cython kernel's order, so float32 results are the
        same floats); differentiable.

    Raises
    ------
    ValueError
        ``k`` below 1 or larger than the image.
    """
    x = check_tensor(x, "x", ndim=tuple(range(2, 9)))
    k = check_int(k, "k", low=1)
    if k > x.shape[-1] or k > x.shape[-2]:
        raise ValueError(f"k={k} is larger than the image {tuple(x.shape[-2:])}")
    if k == 1:
        return x
    h, w = x.shape[-2] // k * k, x.shape[-1] // k * k
    acc = None
    for i in range(k):
        for j in range(k):
            v = x[..., i:h:k, j:w:k].to(torch.float64)
            acc = v if acc is None else acc + v
    return (acc / float(k * k)).to(x.dtype)


def _pairs(u, centred):
    """(dx_hi, dx_lo, dy_hi, dy_lo) views of a plane (..., H, W)."""
    if centred:
        return u[..., :, 2:], u[..., :, :-2], u[..., 2:, :], u[..., :-2, :]
    return u[..., :, 1:], u[..., :, :-1], u[..., 1:, :], u[..., :-1, :]


def _place(inner, axis, centred):
    """Zero border around the converted codes: back to the binned shape."""
    pad = (1, 1) if centred else (0, 1)
    return F.pad(inner, pad if axis == "x" else (0, 0) + pad)


def _columns(a, axis, centred, w):
    """Per-column values (..., W, ...) of the columns the inner codes use."""
    if axis == "y":
        return a
    return a[..., 1:w - 1, :] if centred else a[..., :w - 1, :]


def log_gradient(electrons, thresholds_ln=None, *, bits=2, scales=(1, 2, 4), pairs="centred",
                 full_well_e=10000.0, eps=EPS, cfa=False, gain=None, read_noise_e=0.0,
                 offsets=None, mismatch=None, comparator_noise_ln=0.0, method="hard",
                 temperature=0.05, generator=None, check=True, cpu_kernel=True):
    """Electrons -> log-gradient codes per scale (binning + log-ratio converter).

    Parameters
    ----------
    electrons : (H, W), (N, H, W) or (N, C, H, W) torch.Tensor, float, >= 0
        Charge, e-, e.g. from :func:`analogfe.frontend.torch.expose`.
    thresholds_ln : (m,) torch.Tensor or array_like, optional
        Ascending positive thresholds of the log ratio, nepers (a learnable
        tensor is allowed); None for the formula quantiser of ``bits``.
    bits : {2, 3}
        Formula resolution when ``thresholds_ln`` is None.
    scales : sequence of int
        Distinct bin factors.
    pairs : {"centred", "adjacent"}
    full_well_e : float
        Electrons of intensity 1.0, e-; typ. 1e4.
    eps : float
        Offset inside the log, intensity units (1e-4).
    cfa : bool
        Bin each 2x2 Bayer quad to one value first.
    gain : (S,) torch.Tensor, optional
        Per-scale gain on the log ratio before clipping (learnable).
    read_noise_e : float or (N,) torch.Tensor
        Pixel read noise, e- rms (one per frame allowed), added before binning
        and clipped at 0.
    offsets : sequence of (2, W_s) tensors, optional
        Fixed comparator offsets per scale (dx, dy converters), nepers.
    mismatch : sequence of (4, W_s, m) tensors, optional
        Fixed threshold errors per scale (dx+, dx-, dy+, dy-), nepers.
    comparator_noise_ln : float
        Temporal comparator noise, nepers rms.
    method : {"hard", "soft", "ste"}
        See :func:`analogfe.frontend.torch.quantise`.
    temperature : float > 0
        ``T`` of the soft staircase, nepers.
    generator : None, int or torch.Generator
        Source of the read and comparator noise.
    check : bool
        Check that ``electrons`` are finite and >= 0 and ``thresholds_ln``
        ascending, finite, in (0, ln 8] (default); False skips these checks
        (one reduction over the batch) inside a loop whose inputs are valid.
    cpu_kernel : bool
        For float32 electrons on the CPU, an ideal converter (no offsets,
        mismatch, comparator noise or gain) and ``method`` ``"hard"`` or
        ``"ste"``, compute the codes with the Cython kernels of
        :class:`~analogfe.frontend.LogGradientFrontEnd` (default): the same
        codes and, for ``"ste"``, the same gradients (the staircase is built
        in the backward pass), many times faster; its gradient cannot be
        differentiated again. False: tensor ops throughout.

    Returns
    -------
    dxs, dys : list of torch.Tensor
        Per scale, ``(..., H_s, W_s)``; int8 for ``"hard"``, else the dtype of
        ``electrons``. Pairs leaving the image give 0.

    Raises
    ------
    TypeError
        ``electrons`` not a floating tensor.
    ValueError
        A bad rank, scale, pairs, method or temperature; a scale that bins the
        image below 3 (centred) or 2 (adjacent) super-pixels; with ``check``,
        NaN, infinite or negative electrons or bad thresholds.
    """
    x = check_tensor(electrons, "electrons")
    if check:
        check_values(x, "electrons", nonnegative=True)
    scales = check_ints(scales, "scales", low=1, distinct=True)
    centred = check_choice(pairs, "pairs", PAIRS) == "centred"
    check_choice(method, "method", METHODS)
    full_well_e = check_float(full_well_e, "full_well_e", low=0.0, low_open=True)
    eps = check_float(eps, "eps", low=0.0, low_open=True)
    read_noise_e = per_sample(read_noise_e, x, "read_noise_e")
    comparator_noise_ln = check_float(comparator_noise_ln, "comparator_noise_ln", low=0.0)
    if method != "hard" and not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    if thresholds_ln is None:
        formula_scale = quantiser_scale(bits)
        t = torch.as_tensor(formula_thresholds_ln(bits))
    else:
        formula_scale = None
        t = thresholds_ln if isinstance(thresholds_ln, torch.Tensor) else torch.as_tensor(
            np.asarray(thresholds_ln, dtype=np.float64))
        if check:
            check_thresholds_ln(t)
        elif t.ndim != 1 or t.numel() == 0:
            raise ValueError(f"thresholds_ln must be a non-empty 1-D sequence, got shape {tuple(t.shape)}")
    if gain is not None and (not isinstance(gain, torch.Tensor) or gain.shape != (len(scales),)):
        raise ValueError(f"gain must be a tensor of one value per scale ({len(scales)})")
    need = 3 if centred else 2
    hb, wb = (x.shape[-2] // 2, x.shape[-1] // 2) if cfa else tuple(x.shape[-2:])
    for k in scales:
        if wb // k < need or hb // k < need:
            raise ValueError(f"scales: scale {k} bins the {(hb, wb)} image below "
                             f"{need} super-pixels per axis")
    gen = as_torch_generator(generator, x.device)
    if isinstance(read_noise_e, torch.Tensor) or read_noise_e:
        z = torch.randn(x.shape, generator=gen, device=x.device, dtype=x.dtype)
        x = torch.clamp(x + read_noise_e * z, min=0.0)
    exact = offsets is None and mismatch is None and not comparator_noise_ln and gain is None
    conf = dict(t_np=t.detach().cpu().numpy().astype(np.float64), formula_scale=formula_scale,
                scales=scales, cfa=cfa, centred=centred, full_well_e=full_well_e, eps=eps,
                temperature=temperature)
    if (cpu_kernel and exact and method != "soft" and x.device.type == "cpu"
            and x.dtype == torch.float32 and x.numel() and conf["t_np"].max() <= LN8):
        # the forward of the Cython front end (the same codes, much faster
        # than the tensor ops on a CPU); for "ste" the staircase's gradient
        # is computed in the backward pass only
        if method == "hard":
            return _kernel_codes(x, conf)
        out = _KernelSTE.apply(x, t, conf)
        return list(out[:len(scales)]), list(out[len(scales):])
    return _tensor_codes(x, t, conf, method=method, exact=exact, gain=gain, offsets=offsets,
                         mismatch=mismatch, comparator_noise_ln=comparator_noise_ln, gen=gen)


def _kernel_codes(x, conf):
    """Hard codes of an ideal converter from the Cython kernels: a float32 CPU
    tensor ``(..., H, W)`` -> lists ``dxs, dys`` of int8 tensors ``(..., H_s, W_s)``
    (one call on the whole stack per scale; equal to :func:`_tensor_codes`)."""
    lead = tuple(x.shape[:-2])
    a = x.detach().reshape((-1,) + tuple(x.shape[-2:])).contiguous().numpy()
    n_threads = min(torch.get_num_threads(), resolve_threads(None, work=a.size))
    planes, _, _ = _scale_planes(a, conf["scales"], conf["cfa"], n_threads)
    dxs, dys = [], []
    for plane in planes:
        dx, dy = _ideal_codes(plane, conf["t_np"], conf["formula_scale"],
                              full_well_e=conf["full_well_e"], eps=conf["eps"],
                              centred=conf["centred"], n_threads=n_threads)
        dxs.append(torch.from_numpy(dx).reshape(lead + dx.shape[1:]))
        dys.append(torch.from_numpy(dy).reshape(lead + dy.shape[1:]))
    return dxs, dys


class _KernelSTE(torch.autograd.Function):
    """``method="ste"`` of an ideal converter on a CPU: the hard codes of the
    Cython kernels forward (as floats), the gradient of the soft staircase of
    :func:`_tensor_codes` backward (recomputed there, so the forward builds
    no graph); the same values and gradients as the tensor path. Its backward
    is not itself differentiable (a second derivative raises an error; the
    tensor ops, ``cpu_kernel=False``, give one)."""

    @staticmethod
    def forward(ctx, x, t, conf):
        ctx.conf = conf
        ctx.save_for_backward(x, t)
        dxs, dys = _kernel_codes(x, conf)
        return tuple(c.to(x.dtype) for c in dxs + dys)

    @staticmethod
    @once_differentiable
    def backward(ctx, *grads):
        x, t = ctx.saved_tensors
        need = ctx.needs_input_grad[:2]
        with torch.enable_grad():
            xs = x.detach().requires_grad_(need[0])
            ts = t.detach().requires_grad_(need[1])
            dxs, dys = _tensor_codes(xs, ts, ctx.conf, method="soft", exact=False)
            wanted = [v for v, n in zip((xs, ts), need) if n]
            got = iter(torch.autograd.grad(dxs + dys, wanted, grads, allow_unused=True))
        return tuple(next(got) if n else None for n in need) + (None,)


def _tensor_codes(x, t, conf, *, method, exact, gain=None, offsets=None, mismatch=None,
                  comparator_noise_ln=0.0, gen=None):
    """Codes per scale from tensor ops (any device), read noise already added:
    binning, log ratio, quantiser of ``method``; with ``exact`` the hard codes
    come from :func:`~.quantise.ratio_codes`."""
    scales, centred, dev = conf["scales"], conf["centred"], x.device
    base = bin_image(x, 2) if conf["cfa"] else x
    full_well_e, eps = conf["full_well_e"], conf["eps"]
    dxs, dys = [], []
    for si, k in enumerate(scales):
        plane = bin_image(base, k)
        ws = plane.shape[-1]
        views = _pairs(plane, centred)
        out = []
        for axis, (hi, lo) in (("x", views[:2]), ("y", views[2:])):
            hard = None
            if exact:
                hard = ratio_codes(hi.detach(), lo.detach(), conf["t_np"],
                                   full_well_e=full_well_e, eps=eps,
                                   formula_scale=conf["formula_scale"])
                if method == "hard":
                    out.append(_place(hard, axis, centred))
                    continue
            dt = plane.dtype if method != "hard" else torch.float64
            d = (torch.log(hi.to(dt) / full_well_e + eps) - torch.log(lo.to(dt) / full_well_e + eps))
            if gain is not None:
                d = d * gain[si].to(dt)
            d = torch.clamp(d, -LN8, LN8)
            tp = tn = t.to(device=dev, dtype=dt)
            j = 0 if axis == "x" else 1
            if offsets is not None:
                off = _columns(offsets[si][j].to(dev, dt)[:, None], axis, centred, ws)[:, 0]
                d = d + off
            if comparator_noise_ln:
                d = d + comparator_noise_ln * torch.randn(d.shape, generator=gen, device=d.device,
                                                          dtype=dt)
            if mismatch is not None:
                mis = mismatch[si].to(dev, dt)
                tp = tp + _columns(mis[2 * j], axis, centred, ws)
                tn = tn + _columns(mis[2 * j + 1], axis, centred, ws)
            q = quantise(d, tp, method=method, temperature=conf["temperature"],
                         thresholds_neg_ln=tn, hard=hard)
            out.append(_place(q, axis, centred))
        dxs.append(out[0])
        dys.append(out[1])
    return dxs, dys


def codes_to_input(dxs, dys, scales, levels):
    """Codes per scale -> the network input of the ``"lg-signed"`` encoding.

    The same tensor as ``analogfe.learn.encodings.encode(codes, "lg-signed")``:
    channels dx, dy per scale, each code divided by ``(levels - 1) / 2``,
    coarser scales upsampled (nearest) onto the finest grid, the border they do
    not cover 0. Differentiable.

    Parameters
    ----------
    dxs, dys : sequences of (N, H_s, W_s) torch.Tensor
    scales : sequence of int
    levels : int
        Code levels L.

    Returns
    -------
    x : (N, 2 S, H, W) torch.Tensor, float
    """
    scales = check_ints(scales, "scales", low=1, distinct=True)
    levels = check_int(levels, "levels", low=2)
    if len(dxs) != len(scales) or len(dys) != len(scales):
        raise ValueError(f"dxs and dys must hold one plane per scale ({len(scales)})")
    f = int(np.argmin(scales))
    k0 = scales[f]
    h, w = dxs[f].shape[-2:]
    dtype = dxs[f].dtype if dxs[f].is_floating_point() else torch.float32
    planes = []
    for k, dx, dy in zip(scales, dxs, dys):
        if k % k0:
            raise ValueError(f"scales: scale {k} is not a multiple of the finest {k0}")
        for p in (dx, dy):
            p = p.to(dtype) / ((levels - 1) / 2.0)
            r = k // k0
            if r > 1:
                p = p.repeat_interleave(r, dim=-2).repeat_interleave(r, dim=-1)
            p = p[..., :h, :w]
            p = F.pad(p, (0, w - p.shape[-1], 0, h - p.shape[-2]))
            planes.append(p)
    return torch.stack(planes, dim=-3)


def _inv_softplus(y):
    return y + torch.log(-torch.expm1(-y))


class TorchLogGradientFrontEnd(nn.Module):
    """:class:`~analogfe.frontend.LogGradientFrontEnd` as a batched, differentiable module.

    Parameters
    ----------
    frontend : LogGradientFrontEnd, optional
        Configuration and fixed pattern (comparator offsets, threshold
        mismatch) to reuse; built from ``**kwargs`` when None.
    method : {"ste", "soft", "hard"}
        Quantiser gradient (see the module's notes); ``"ste"`` by default.
    temperature : float > 0
        ``T`` of the soft staircase, nepers; set :attr:`temperature` during
        training to anneal it.
    learn_thresholds : bool
        The ratio thresholds become an ``nn.Parameter`` (kept ascending in
        ``(1, 8]``: positive steps through a softplus), initialised from the
        front end's thresholds.
    learn_gain : bool
        A per-scale gain on the log ratio becomes an ``nn.Parameter`` (init 1).
    check : bool
        Check every batch of electrons (finite, >= 0) as the numpy front end
        does (default); set :attr:`check` to False inside a training loop
        whose inputs are known to be valid.
    cpu_kernel : bool
        On the CPU, the codes of an ideal converter come from the Cython
        kernels (see :func:`log_gradient`; default); set :attr:`cpu_kernel`
        to False for tensor ops throughout.
    **kwargs
        Passed to ``LogGradientFrontEnd`` when ``frontend`` is None.

    Examples
    --------
    >>> import torch
    >>> fe = TorchLogGradientFrontEnd(bits=2, scales=(1, 2), method="hard")
    >>> e = torch.full((1, 8, 8), 1000.0); e[..., 4:] = 4000.0
    >>> fe(e)[0][0][0, 0]
    tensor([0, 0, 0, 1, 1, 0, 0, 0], dtype=torch.int8)
    """

    def __init__(self, frontend=None, *, method="ste", temperature=0.05, learn_thresholds=False,
                 learn_gain=False, check=True, cpu_kernel=True, **kwargs):
        super().__init__()
        if frontend is None:
            frontend = LogGradientFrontEnd(**kwargs)
        elif kwargs:
            raise TypeError(f"give either frontend or its keyword arguments, not both: {sorted(kwargs)}")
        if not isinstance(frontend, LogGradientFrontEnd):
            raise TypeError(f"frontend must be a LogGradientFrontEnd, got {type(frontend).__name__}")
        self.frontend = frontend
        self.method = check_choice(method, "method", METHODS)
        self.temperature = check_float(temperature, "temperature", low=0.0, low_open=True)
        t0 = torch.as_tensor(np.array(frontend._t_ln, dtype=np.float64))
        self.learn_thresholds = bool(learn_thresholds)
        if self.learn_thresholds:
            steps = torch.diff(t0, prepend=t0.new_zeros(1)) - MIN_STEP_LN
            self.threshold_steps = nn.Parameter(_inv_softplus(steps.clamp(min=1e-6)).float())
        else:
            self.register_buffer("fixed_thresholds_ln", t0)
        self.gain = nn.Parameter(torch.ones(len(frontend.scales))) if learn_gain else None
        self.check = bool(check)
        self.cpu_kernel = bool(cpu_kernel)
        self._patterns = {}

    # ------------------------------------------------------------ thresholds --
    @property
    def levels(self):
        return self.frontend.levels

    @property
    def scales(self):
        return self.frontend.scales

    @property
    def thresholds_ln(self):
        """(m,) thresholds in nepers (differentiable when learned)."""
        if not self.learn_thresholds:
            return self.fixed_thresholds_ln
        t = torch.cumsum(F.softplus(self.threshold_steps.double()) + MIN_STEP_LN, 0)
        return torch.clamp(t, max=LN8)

    def ratio_thresholds(self):
        """The thresholds as pixel ratios, a tuple for ``LogGradientFrontEnd(thresholds=...)``."""
        r = np.exp(self.thresholds_ln.detach().cpu().numpy())
        return tuple(float(v) for v in r)

    def to_frontend(self):
        """A numpy/Cython ``LogGradientFrontEnd`` with the current thresholds and
        this front end's fixed pattern (same seeds), e.g. for
        :func:`analogfe.system.cost` or :func:`analogfe.frontend.emulate`.

        Learned gains are not part of it: they must be 1 (a gain g on the log
        ratio is the thresholds divided by g, see :meth:`folded_thresholds`).
        """
        fe = self.frontend
        if self.gain is not None and not torch.allclose(self.gain.detach(),
                                                        torch.ones_like(self.gain)):
            raise ValueError("the learned per-scale gains differ from 1: the numpy front end has "
                             "one threshold set; fold them with folded_thresholds(scale)")
        r = self.ratio_thresholds()
        check_ratio_thresholds(r)
        new = LogGradientFrontEnd(thresholds=r, scales=fe.scales, pairs=fe.pairs,
                                  full_well_e=fe.full_well_e, cfa=fe.cfa, eps=fe.eps,
                                  read_noise_e=fe.read_noise_e,
                                  comparator_offset_ln=fe.comparator_offset_ln,
                                  comparator_noise_ln=fe.comparator_noise_ln,
                                  threshold_mismatch_ln=fe.threshold_mismatch_ln)
        new._fixed_seeds, new._noise_rng = fe._fixed_seeds, copy.deepcopy(fe._noise_rng)
        return new

    def folded_thresholds(self, scale_index):
        """Ratio thresholds of one scale with its gain folded in (``exp(t / g)``)."""
        g = 1.0 if self.gain is None else float(self.gain[scale_index])
        return tuple(float(v) for v in np.exp(self.thresholds_ln.detach().cpu().numpy() / g))

    # ---------------------------------------------------------- fixed pattern --
    def _pattern(self, x):
        """Per-scale offsets (2, W_s) and mismatch (4, W_s, m) of the numpy front
        end, as tensors on ``x``'s device; None when they are 0."""
        fe = self.frontend
        if not (fe.comparator_offset_ln or fe.threshold_mismatch_ln):
            return None, None
        w_base = x.shape[-1] // 2 if fe.cfa else x.shape[-1]
        key = (w_base, x.device)
        if key not in self._patterns:
            offs, mis = [], []
            for k in fe.scales:
                thr, off = fe._converter(k, w_base, w_base // k)
                offs.append(torch.as_tensor(off, device=x.device))
                mis.append(torch.as_tensor(thr - fe._t_ln, device=x.device))
            self._patterns[key] = (offs if fe.comparator_offset_ln else None,
                                   mis if fe.threshold_mismatch_ln else None)
        return self._patterns[key]

    # ------------------------------------------------------------------ call --
    def forward(self, electrons, generator=None, method=None, read_noise_e=None):
        """Electrons ``(..., H, W)`` -> ``(dxs, dys)``, one tensor per scale
        (see :func:`log_gradient`); ``method`` overrides :attr:`method`,
        ``read_noise_e`` (float or (N,) tensor, e-) the front end's."""
        fe = self.frontend
        offsets, mismatch = self._pattern(check_tensor(electrons, "electrons"))
        if self.check:
            check_values(electrons, "electrons", nonnegative=True)
        learned = self.learn_thresholds or fe.thresholds is not None
        return log_gradient(electrons, self.thresholds_ln if learned else None, bits=fe.bits,
                            scales=fe.scales, pairs=fe.pairs, full_well_e=fe.full_well_e,
                            eps=fe.eps, cfa=fe.cfa is not None, gain=self.gain,
                            read_noise_e=fe.read_noise_e if read_noise_e is None else read_noise_e,
                            offsets=offsets, mismatch=mismatch,
                            comparator_noise_ln=fe.comparator_noise_ln,
                            method=method or self.method, temperature=self.temperature,
                            generator=generator, check=False,  # thresholds valid by construction
                            cpu_kernel=self.cpu_kernel)

    def codes(self, electrons, generator=None):
        """Hard codes as numpy :class:`~analogfe.frontend.GradientCodes` (stacked
        when ``electrons`` is (N, H, W))."""
        with torch.no_grad():
            dxs, dys = self.forward(electrons, generator, method="hard")
        fe = self.frontend
        return GradientCodes([d.cpu().numpy() for d in dxs], [d.cpu().numpy() for d in dys],
                             fe.scales, fe.levels, fe.bits, fe.pairs)

    def network_input(self, electrons, generator=None, read_noise_e=None):
        """Codes -> ``"lg-signed"`` network input ``(N, 2 S, H, W)`` (:func:`codes_to_input`)."""
        dxs, dys = self.forward(electrons, generator, read_noise_e=read_noise_e)
        return codes_to_input(dxs, dys, self.scales, self.levels)

    def extra_repr(self):
        return (f"name={self.frontend.name!r}, scales={self.scales}, method={self.method!r}, "
                f"temperature={self.temperature}, learn_thresholds={self.learn_thresholds}, "
                f"learn_gain={self.gain is not None}")


