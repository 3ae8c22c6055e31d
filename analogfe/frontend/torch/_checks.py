"""Argument checks of the torch front end: every error names its argument."""
from __future__ import annotations

import math
import numbers

import torch

from ..converter import LN8

__all__ = ["check_tensor", "check_values", "check_thresholds_ln", "as_torch_generator",
           "per_sample", "ste"]


def check_tensor(x, name, *, ndim=(2, 3, 4), floating=True, shape_hw=None):
    """``x`` as given, after checking it is a tensor of an allowed rank and kind.

    Raises
    ------
    TypeError
        Not a ``torch.Tensor``, or not floating point when ``floating``.
    ValueError
        A rank outside ``ndim``, or last two dimensions other than ``shape_hw``.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim not in ndim:
        want = " or ".join(f"{d}-D" for d in ndim)
        raise ValueError(f"{name} must be {want}, got shape {tuple(x.shape)}")
    if floating and not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {x.dtype}")
    if shape_hw is not None and tuple(x.shape[-2:]) != tuple(shape_hw):
        raise ValueError(f"{name} must end in (H, W) = {tuple(shape_hw)} for this sensor, "
                         f"got shape {tuple(x.shape)}")
    return x


def check_values(x, name, *, nonnegative=False):
    """``x`` as given, after checking its values are finite (and >= 0).

    One reduction over the tensor (a device synchronisation on a GPU): the
    functions that call it take ``check=False`` to skip it inside a training
    loop whose inputs are known to be valid.

    Raises
    ------
    ValueError
        A NaN or infinite value, or with ``nonnegative`` a negative one.
    """
    xd = x.detach()
    if not xd.numel():
        return x
    if not xd.is_floating_point():
        if nonnegative and bool((xd < 0).any()):
            raise ValueError(f"{name} must be non-negative, minimum is {float(xd.min()):g}")
        return x
    # one pass, no mask: an extreme is NaN when any value is, infinite when
    # any value is
    low, high = torch.aminmax(xd)
    if not bool(torch.isfinite(low) & torch.isfinite(high)):
        raise ValueError(f"{name} must be finite, got NaN or infinite values")
    if nonnegative and bool(low < 0):
        raise ValueError(f"{name} must be non-negative, minimum is {float(low):g}")
    return x


def check_thresholds_ln(t, name="thresholds_ln"):
    """``t`` as given, after checking it holds ascending thresholds in (0, ln 8]
    nepers, finite, at most 63 (the ratios ``(1, 8]`` of
    :func:`analogfe.frontend.check_ratio_thresholds`).

    Raises
    ------
    ValueError
        Not a non-empty 1-D sequence, or a value outside the rules above.
    """
    if t.ndim != 1 or t.numel() == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence, got shape {tuple(t.shape)}")
    v = t.detach().to("cpu", torch.float64)
    if v.numel() > 63:
        raise ValueError(f"{name} may hold at most 63 thresholds (127 int8 levels), got {v.numel()}")
    if not bool(torch.isfinite(v).all()) or bool((v <= 0).any()) or bool((v > LN8 + 1e-12).any()):
        raise ValueError(f"{name} must be finite and in (0, ln 8 = {LN8:.4f}] nepers, "
                         f"got {v.tolist()}")
    if v.numel() > 1 and bool((torch.diff(v) <= 0).any()):
        raise ValueError(f"{name} must be strictly ascending, got {v.tolist()}")
    return t


def as_torch_generator(generator, device, name="generator"):
    """``None`` (torch's default generator), a ``torch.Generator`` on ``device``'s
    kind, or one seeded with an int."""
    device = torch.device(device)
    if generator is None:
        return None
    if isinstance(generator, bool) or not isinstance(generator, (numbers.Integral, torch.Generator)):
        raise TypeError(f"{name} must be None, an int seed or a torch.Generator, "
                        f"got {type(generator).__name__}")
    if isinstance(generator, numbers.Integral):
        return torch.Generator(device=device).manual_seed(int(generator))
    if generator.device.type != device.type:
        raise ValueError(f"{name} is on {generator.device.type} but the data is on "
                         f"{device.type}: make the generator with torch.Generator(device=...)")
    return generator


def per_sample(value, x, name, *, low=0.0):
    """A float, or an (N,) tensor shaped to broadcast over ``x``'s first axis.

    Raises
    ------
    ValueError
        A value below ``low`` or not finite, or a tensor that is not one value
        per sample.
    """
    if isinstance(value, torch.Tensor):
        if value.ndim == 0:
            value = value.reshape(1)
        if value.ndim != 1 or x.ndim < 3 or value.shape[0] != x.shape[0]:
            raise ValueError(f"{name} must be a number or one value per sample "
                             f"({x.shape[0] if x.ndim >= 3 else 1}), got shape {tuple(value.shape)}")
        if value.device != x.device:
            raise ValueError(f"{name} is on {value.device} but the data is on {x.device}")
        if not bool(torch.isfinite(value.detach()).all()):
            raise ValueError(f"{name} must be finite, got NaN or infinite values")
        if bool((value < low).any()):
            raise ValueError(f"{name} must be >= {low}, got minimum {float(value.min())}")
        return value.to(x.dtype).reshape((-1,) + (1,) * (x.ndim - 1))
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number or a tensor, got {type(value).__name__}")
    if not (value >= low and math.isfinite(value)):
        raise ValueError(f"{name} must be finite and >= {low}, got {value}")
    return float(value)


def ste(hard, soft):
    """``hard`` in the forward pass, the gradient of ``soft`` in the backward pass
    (the straight-through estimator, Bengio, Leonard & Courville 2013,
    arXiv:1308.3432)."""
    if not (isinstance(soft, torch.Tensor) and soft.requires_grad):
        return hard.to(soft.dtype) if isinstance(soft, torch.Tensor) else hard
    return soft + (hard.to(soft.dtype) - soft).detach()
