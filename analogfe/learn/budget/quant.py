"""Per-layer quantisation of weights and activations with fake quantisation.

:class:`QuantizedNet` wraps a network and quantises, for every convolution and
linear layer, its weights and its input activations to that layer's own bit
width (8 or 4 bits by default; any width from 2 to 8) with
:class:`torch.ao.quantization.FakeQuantize`: the forward pass rounds to the
integer grid, the backward pass is the straight-through estimator, so a
fine-tuning of the wrapped network is quantisation-aware training (QAT).

* weights: symmetric, per tensor, ``[-2^(b-1), 2^(b-1) - 1]``, range from the
  current weights (:class:`~torch.ao.quantization.MinMaxObserver`);
* activations: affine, per tensor, ``[0, 2^b - 1]`` with a zero point (so
  signed inputs such as log-gradient codes quantise too), range from a moving
  average of the batches seen in training
  (:class:`~torch.ao.quantization.MovingAverageMinMaxObserver`).

The observers learn in training mode only: :meth:`QuantizedNet.train` turns
them on, :meth:`QuantizedNet.eval` freezes the scales. The wrapped network
itself stays a plain ``nn.Module`` (its weights in float), so channel pruning
(:mod:`.prune`) sees ordinary convolutions; :func:`quantizers_off` turns the
quantisers off while a dependency graph is traced.

``torch.ao.quantization`` ships with torch, so this needs no other package;
it supports any bit width per layer through ``quant_min`` / ``quant_max``.
Real integer kernels are not used: the network computes in float32 on the
quantisation grid, and the cost model (:mod:`analogfe.system.dataflow`)
prices the bit widths.

References
----------
B. Jacob et al., "Quantization and Training of Neural Networks for Efficient
Integer-Arithmetic-Only Inference", CVPR 2018, doi:10.1109/CVPR.2018.00286.
"""
from __future__ import annotations

import contextlib

import torch
from torch import nn
from torch.ao.quantization import FakeQuantize, MinMaxObserver, MovingAverageMinMaxObserver
from torch.func import functional_call

from ..._validation import check_int

__all__ = ["BIT_WIDTHS", "QuantizedNet", "quant_layers", "quantizers_off"]

#: Bit widths a layer may take in the search (weights and activations alike).
BIT_WIDTHS = (8, 4)


def quant_layers(net):
    """Names of the convolution and linear layers of ``net``, in module order."""
    return [n for n, m in net.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def _key(name):
    return name.replace(".", "__")


def _weight_fq(bits):
    return FakeQuantize(observer=MinMaxObserver, quant_min=-(2 ** (bits - 1)),
                        quant_max=2 ** (bits - 1) - 1, dtype=torch.qint8,
                        qscheme=torch.per_tensor_symmetric)


def _activation_fq(bits):
    return FakeQuantize(observer=MovingAverageMinMaxObserver, quant_min=0, quant_max=2 ** bits - 1,
                        dtype=torch.quint8, qscheme=torch.per_tensor_affine)


def _quantize_input(module, args):
    """Forward pre-hook: the layer's input through its activation quantiser."""
    fq = module.__dict__.get("_afe_input_fq")
    if fq is None:
        return None
    return (fq(args[0]),) + tuple(args[1:])


class QuantizedNet(nn.Module):
    """A network whose every convolution and linear layer computes on
    ``(weight bits, activation bits)`` of its own.

    Parameters
    ----------
    net : nn.Module
        The float network (e.g. :class:`analogfe.learn.models.ResNet`); kept
        as :attr:`net`, its parameters stay float (the shadow weights of QAT).
    bits : dict, optional
        ``{layer name: (weight bits, activation bits)}``; 8 and 8 for a layer
        it does not name.

    Raises
    ------
    ValueError
        A bit width outside 2..8, or a name that is not a layer of ``net``.

    Examples
    --------
    >>> from analogfe.learn.models import resnet10
    >>> q = QuantizedNet(resnet10(3), {"fc": (4, 4)})
    >>> q.bits["fc"], q.bits["stem.0"]
    ([4, 4], [8, 8])
    """

    def __init__(self, net, bits=None):
        super().__init__()
        self.net = net
        self.wq = nn.ModuleDict()
        self.aq = nn.ModuleDict()
        self.bits = {}
        names = quant_layers(net)
        bits = dict(bits or {})
        unknown = sorted(set(bits) - set(names))
        if unknown:
            raise ValueError(f"bits names layers the network does not have: {unknown}")
        for name in names:
            self.set_bits(name, *bits.get(name, (8, 8)))

    @property
    def in_channels(self):
        return self.net.in_channels

    def set_bits(self, name, weight_bits, activation_bits):
        """Give layer ``name`` new widths (new quantisers: their ranges are
        learnt again by the next training pass)."""
        wb = check_int(weight_bits, "weight_bits", low=2, high=8)
        ab = check_int(activation_bits, "activation_bits", low=2, high=8)
        if self.bits.get(name) == [wb, ab]:
            return
        self.wq[_key(name)] = _weight_fq(wb)
        self.aq[_key(name)] = _activation_fq(ab)
        self.bits[name] = [wb, ab]
        self.relink()
        self.train(self.training)

    def train(self, mode=True):
        super().train(mode)
        for fq in list(self.wq.values()) + list(self.aq.values()):
            (fq.enable_observer if mode else fq.disable_observer)()
        return self

    def forward(self, x):
        weights = {f"{n}.weight": self.wq[_key(n)](self.net.get_submodule(n).weight)
                   for n in self.bits}
        return functional_call(self.net, weights, (x,))

    def float_net(self):
        """A copy of :attr:`net` without the quantisers: the float network
        (its shadow weights), e.g. to time the network without the cost of
        fake quantisation."""
        import copy

        net = copy.deepcopy(self.net)
        for name in self.bits:
            net.get_submodule(name).__dict__.pop("_afe_input_fq", None)
        return net

    def relink(self):
        """Attach the activation quantisers to the layers (again after a layer
        of :attr:`net` was replaced): each layer holds a reference to its
        quantiser, not registered as a child module, and a forward pre-hook."""
        for name in self.bits:
            layer = self.net.get_submodule(name)
            layer.__dict__["_afe_input_fq"] = self.aq[_key(name)]
            if not layer.__dict__.get("_afe_hooked"):
                layer.register_forward_pre_hook(_quantize_input)
                layer.__dict__["_afe_hooked"] = True
        return self


@contextlib.contextmanager
def quantizers_off(qnet):
    """Inside the block ``qnet.net`` runs as the plain float network in
    evaluation mode (for tracing: batch-norm statistics are left alone); the
    quantisers and the training mode are restored afterwards."""
    mode = qnet.training
    for m in [qnet.net.get_submodule(n) for n in qnet.bits]:
        m.__dict__.pop("_afe_input_fq", None)
    qnet.net.eval()
    try:
        yield qnet.net
    finally:
        qnet.train(mode)
        qnet.relink()
