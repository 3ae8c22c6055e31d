"""What a network costs: parameters, MACs and activation memory, counted on the
model with forward hooks.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .._validation import check_int

__all__ = ['count_params', 'count_macs', 'model_profile']


# --------------------------------------------------------------------------
# Counters (taken from the model with forward hooks)
# --------------------------------------------------------------------------


def count_params(model, trainable_only=False):
    """Number of parameters (all, or only those with ``requires_grad``)."""
    return int(sum(p.numel() for p in model.parameters()
                   if p.requires_grad or not trainable_only))


def _trace(model, input_shape):
    """Run one forward pass of zeros, recording every leaf layer's shapes."""
    input_shape = tuple(check_int(s, "input_shape", low=1) for s in input_shape)
    if len(input_shape) == 3:
        input_shape = (1,) + input_shape
    if len(input_shape) != 4:
        raise ValueError(f"input_shape must be (C, H, W) or (N, C, H, W), got {input_shape}")
    records = []

    def hook(module, inputs, output):
        if isinstance(output, torch.Tensor) and inputs and isinstance(inputs[0], torch.Tensor):
            records.append((module, tuple(inputs[0].shape), tuple(output.shape)))

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if len(list(m.children())) == 0]
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    dtype = param.dtype if param is not None else torch.float32
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(input_shape, device=device, dtype=dtype))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return input_shape[0], records


def _layer_macs(module, in_shape, out_shape):
    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        return int(np.prod(out_shape)) * (module.in_channels // module.groups) * kh * kw
    if isinstance(module, nn.Linear):
        return int(np.prod(out_shape[:-1])) * module.in_features * module.out_features
    return 0


def count_macs(model, input_shape):
    """Multiply-accumulates of one inference (convolutions and linear layers).

    Parameters
    ----------
    model : nn.Module
    input_shape : tuple of int
        ``(C, H, W)`` or ``(N, C, H, W)``; the count is per sample.

    Returns
    -------
    int
        MACs per sample. A convolution counts ``H_out W_out C_out (C_in /
        groups) k_h k_w``, a linear layer ``in x out``; batch norm, ReLU,
        pooling and additions are not counted (batch norm folds into the
        convolution at inference).
    """
    n, records = _trace(model, input_shape)
    return int(sum(_layer_macs(m, i, o) for m, i, o in records) // n)


def model_profile(model, input_shape, weight_bits=8, activation_bits=8):
    """Parameters, weight memory, MACs and activation memory of one inference.

    Parameters
    ----------
    model : nn.Module
    input_shape : tuple of int
        ``(C, H, W)`` or ``(N, C, H, W)``; figures are per sample.
    weight_bits : int
        Bits per stored weight (8 for int8 inference, 32 for float32).
    activation_bits : int
        Bits per stored activation value.

    Returns
    -------
    dict
        ``params`` (all parameters, batch norm included), ``weight_bits``
        (``params * weight_bits``), ``macs`` (per sample, see
        :func:`count_macs`), ``activation_bits`` (peak working memory of a
        layer-by-layer inference: the largest input + output of any
        convolution or linear layer, times ``activation_bits``),
        ``activation_values`` (the sum of the outputs of every convolution and
        linear layer, values per sample), ``layers`` (number of convolution and
        linear layers).
    """
    weight_bits = check_int(weight_bits, "weight_bits", low=1)
    activation_bits = check_int(activation_bits, "activation_bits", low=1)
    n, records = _trace(model, input_shape)
    compute = [(m, i, o) for m, i, o in records if isinstance(m, (nn.Conv2d, nn.Linear))]
    macs = sum(_layer_macs(m, i, o) for m, i, o in compute) // n
    peak = max((int(np.prod(i)) + int(np.prod(o))) // n for _, i, o in compute) if compute else 0
    total = sum(int(np.prod(o)) for _, _, o in compute) // n
    params = count_params(model)
    return dict(
        params=params,
        weight_bits=params * weight_bits,
        macs=int(macs),
        activation_bits=int(peak) * activation_bits,
        activation_values=int(total),
        layers=len(compute),
    )
