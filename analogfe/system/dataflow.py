"""What a network costs by data movement: MACs and every access at each
memory level, counted layer by layer, with the bit widths of each layer.

The model follows the energy-evaluation methodology of Eyeriss (Chen, Emer,
Sze, ISCA 2016; Sze et al., Proc. IEEE 2017): count the MACs and the bits
read and written at every level of the memory hierarchy -- register file
(RF) in the processing element, on-chip global buffer (GLB) and off-chip
DRAM -- and price each with an energy per bit for that level. The dataflow
is a deliberately simple, readable one:

* **weight stationary, one layer at a time**, batch 1, one inference per
  frame, 100 % utilisation of the MAC array (no idle cycles are costed);
* **MACs**: every MAC of a layer multiplies a ``w``-bit weight by an
  ``a``-bit activation (``w``, ``a``: the layer's bit widths) and adds into
  a ``w + a``-bit partial sum (:func:`analogfe.system.energy.mac_pj`);
* **register file**: per MAC, the weight and the activation are read from
  the RF and the partial sum is read and written there: ``w + a + 2 (w +
  a)`` bits per MAC;
* **weights**: all weights of the network stay in the weight buffer when
  they fit it, else in DRAM; every weight is read once per frame from its
  level (it then stays in its processing element). Batch norm is folded
  into the convolution: each output channel carries a bias at the
  accumulator width ``w + a`` (it is added into the partial sum);
* **activations**: every convolution or linear layer reads its input once
  and writes its output once, both at the layer's activation width ``a``
  (the next layer re-quantises); a tensor stays in the activation buffer
  when it fits half of it (double buffering: one half holds the input, the
  other the output), else it goes to DRAM. Pooling, ReLU and the residual
  additions move no extra data (fused into the layer that produces them);
* the network input arrives over the sensor link into the buffer; the link
  itself is costed by the front end's model (:func:`analogfe.system.cost`),
  not here.

Totals are the sum of the parts: :attr:`NetworkCost.energy_pj` adds the
components of :attr:`NetworkCost.components_pj`, each of which adds the
per-layer figures.

References
----------
Y.-H. Chen, J. Emer, V. Sze, "Eyeriss: A Spatial Architecture for
Energy-Efficient Dataflow for Convolutional Neural Networks", ISCA 2016,
doi:10.1109/ISCA.2016.40.

V. Sze, Y.-H. Chen, T.-J. Yang, J. Emer, "Efficient Processing of Deep
Neural Networks: A Tutorial and Survey", Proc. IEEE 105(12):2295-2329,
2017, doi:10.1109/JPROC.2017.2761740.

M. Horowitz, "Computing's energy problem (and what we can do about it)",
ISSCC 2014, doi:10.1109/ISSCC.2014.6757323.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
from torch import nn

from .._validation import check_float, check_int
from .energy import DRAM_ACCESS64_PJ, mac_pj, node_scale, sram_pj_per_bit
from .network import _trace

__all__ = [
    "RF_PJ_PER_BIT",
    "WEIGHT_BUFFER_BYTES",
    "ACTIVATION_BUFFER_BYTES",
    "DataflowParams",
    "NetworkCost",
    "layer_shapes",
    "energy_table",
    "network_cost",
]

#: Register-file access energy per bit at 45 nm, pJ: Eyeriss puts one RF access
#: at about the energy of one MAC of the same width (normalised cost 1x, Sze et
#: al. 2017, Fig. 21; Chen et al. 2016); one 16 x 16-bit MAC of the Horowitz
#: table (:func:`~analogfe.system.energy.mac_pj`, 0.92 pJ) over 16 bits.
RF_PJ_PER_BIT: Final[float] = mac_pj(16, 16) / 16.0
#: Weight buffer (on-chip SRAM) in bytes: an assumption, 32 KiB, so its access
#: energy is the 32 KB SRAM of the Horowitz table (20 pJ per 64 bits); with
#: :data:`ACTIVATION_BUFFER_BYTES` 64 KiB in all, below the 108 KB global
#: buffer of Eyeriss (Chen et al. 2016).
WEIGHT_BUFFER_BYTES: Final[int] = 32 * 1024
#: Activation buffer (on-chip SRAM) in bytes: an assumption, 32 KiB (see above).
ACTIVATION_BUFFER_BYTES: Final[int] = 32 * 1024


@dataclass(frozen=True)
class DataflowParams:
    """Buffer sizes, process node and DRAM energy of the dataflow model.

    Parameters
    ----------
    weight_buffer_bytes, activation_buffer_bytes : int
        On-chip SRAM for the weights and for the activations, bytes.
    node_nm, vdd_v : float
        Process node and supply (on-chip energies scale by
        :func:`~analogfe.system.energy.node_scale`; DRAM does not).
    dram_pj_per_64bit : float
        One 64-bit DRAM access, pJ (Horowitz: 1.3-2.6 nJ).
    rf_pj_per_bit : float
        Register-file access, pJ/bit at 45 nm.
    """

    weight_buffer_bytes: int = WEIGHT_BUFFER_BYTES
    activation_buffer_bytes: int = ACTIVATION_BUFFER_BYTES
    node_nm: float = 45.0
    vdd_v: float = 0.9
    dram_pj_per_64bit: float = DRAM_ACCESS64_PJ
    rf_pj_per_bit: float = RF_PJ_PER_BIT

    def __post_init__(self):
        check_int(self.weight_buffer_bytes, "weight_buffer_bytes", low=64)
        check_int(self.activation_buffer_bytes, "activation_buffer_bytes", low=64)
        check_float(self.node_nm, "node_nm", low=1.0)
        check_float(self.vdd_v, "vdd_v", low=0.1)
        check_float(self.dram_pj_per_64bit, "dram_pj_per_64bit", low=0.0)
        check_float(self.rf_pj_per_bit, "rf_pj_per_bit", low=0.0)


def energy_table(params=None, bits=(8, 4)):
    """The energy per access (per bit) at each level and per MAC at each bit
    width, pJ: what :func:`network_cost` prices with.

    Returns
    -------
    dict
        ``rf_pj_per_bit``, ``weight_buffer_pj_per_bit``,
        ``activation_buffer_pj_per_bit``, ``dram_pj_per_bit`` and
        ``mac_pj`` (``{(w, a): pJ}`` for every pair of ``bits``).

    Examples
    --------
    >>> t = energy_table()
    >>> t["mac_pj"][(8, 8)], t["dram_pj_per_bit"]
    (0.26, 31.25)
    """
    p = params or DataflowParams()
    s = node_scale(p.node_nm, p.vdd_v)
    return {
        "rf_pj_per_bit": p.rf_pj_per_bit * s,
        "weight_buffer_pj_per_bit": sram_pj_per_bit(8 * p.weight_buffer_bytes, s),
        "activation_buffer_pj_per_bit": sram_pj_per_bit(8 * p.activation_buffer_bytes, s),
        "dram_pj_per_bit": p.dram_pj_per_64bit / 64.0,
        "mac_pj": {(w, a): round(mac_pj(w, a, s), 12) for w in bits for a in bits},
    }


def layer_shapes(model, input_shape):
    """The convolution and linear layers of ``model`` in execution order, with
    the shapes of one inference on ``input_shape``.

    Parameters
    ----------
    model : nn.Module
    input_shape : (C, H, W) tuple of int

    Returns
    -------
    list of dict
        ``name``, ``kind`` (``"conv"`` or ``"linear"``), ``cin``, ``cout``,
        ``kernel`` (``[kh, kw]``), ``stride``, ``groups``, ``in_hw``,
        ``out_hw``, ``weights`` (weight elements), ``macs``, ``in_values``,
        ``out_values`` (per sample).
    """
    names = {m: n for n, m in model.named_modules()}
    n, records = _trace(model, input_shape)
    out = []
    for m, i, o in records:
        if isinstance(m, nn.Conv2d):
            kh, kw = m.kernel_size
            rec = dict(kind="conv", cin=m.in_channels, cout=m.out_channels, kernel=[kh, kw],
                       stride=int(m.stride[0]), groups=m.groups, in_hw=[i[2], i[3]],
                       out_hw=[o[2], o[3]])
            macs = o[1] * o[2] * o[3] * (m.in_channels // m.groups) * kh * kw
        elif isinstance(m, nn.Linear):
            rec = dict(kind="linear", cin=m.in_features, cout=m.out_features, kernel=[1, 1],
                       stride=1, groups=1, in_hw=[1, 1], out_hw=[1, 1])
            macs = m.in_features * m.out_features
        else:
            continue
        rec.update(name=names[m], weights=int(m.weight.numel()), macs=int(macs),
                   in_values=int(np.prod(i)) // n, out_values=int(np.prod(o)) // n)
        out.append(rec)
    return out


@dataclass
class NetworkCost:
    """The counts and energies of one inference (see the module docstring).

    Attributes
    ----------
    macs : int
    weight_bits : int
        Weight memory: weights at their widths plus one bias per output channel
        at the accumulator width (weight + activation bits).
    activation_bits : int
        Peak activation memory: the largest input + output of any layer at its width.
    dram_bits : int
        Bits read from and written to DRAM per inference.
    components_pj : dict
        ``mac``, ``rf``, ``weight_buffer``, ``activation_buffer``,
        ``dram_weights``, ``dram_activations``: pJ per inference.
    layers : list of dict
        Per layer: its shape (:func:`layer_shapes`), ``weight_bits``,
        ``activation_bits`` (its widths), the levels of its weights and
        tensors and its own ``components_pj``.
    """

    macs: int
    weight_bits: int
    activation_bits: int
    dram_bits: int
    components_pj: dict
    layers: list = field(default_factory=list)

    @property
    def energy_pj(self):
        """Total energy per inference, pJ: the sum of :attr:`components_pj`."""
        return float(sum(self.components_pj.values()))

    @property
    def memory_traffic_pj(self):
        """Energy of the memory accesses alone (every component but the MACs), pJ."""
        return float(sum(v for k, v in self.components_pj.items() if k != "mac"))


def _bits_of(bits, name):
    wb, ab = bits.get(name, (8, 8)) if bits is not None else (8, 8)
    return check_int(wb, f"bits[{name!r}]", low=1), check_int(ab, f"bits[{name!r}]", low=1)


def network_cost(layers, bits=None, params=None):
    """MACs, memory and energy per inference of a network by data movement.

    Parameters
    ----------
    layers : list of dict
        From :func:`layer_shapes` (or the same keys by hand).
    bits : dict, optional
        ``{layer name: (weight bits, activation bits)}``; 8 and 8 for a layer
        it does not name.
    params : DataflowParams, optional

    Returns
    -------
    NetworkCost

    Examples
    --------
    One 3x3 convolution, 1 -> 1 channel on a 4 x 4 input, 8-bit:

    >>> layer = dict(name="c", kind="conv", cin=1, cout=1, kernel=[3, 3], stride=1, groups=1,
    ...              in_hw=[4, 4], out_hw=[4, 4], weights=9, macs=144, in_values=16,
    ...              out_values=16)
    >>> c = network_cost([layer])
    >>> c.macs, c.weight_bits, c.activation_bits, c.dram_bits
    (144, 88, 256, 0)
    """
    p = params or DataflowParams()
    t = energy_table(p)
    w_cap, a_half = 8 * p.weight_buffer_bytes, 8 * p.activation_buffer_bytes // 2
    per_layer, total_w = [], 0
    for rec in layers:
        wb, ab = _bits_of(bits, rec["name"])
        total_w += rec["weights"] * wb + rec["cout"] * (wb + ab)
        per_layer.append((rec, wb, ab))
    weights_in_dram = total_w > w_cap
    comps = dict.fromkeys(("mac", "rf", "weight_buffer", "activation_buffer", "dram_weights",
                           "dram_activations"), 0.0)
    out, peak, dram_bits, macs = [], 0, 0, 0
    for rec, wb, ab in per_layer:
        c = dict.fromkeys(comps, 0.0)
        c["mac"] = rec["macs"] * mac_pj(wb, ab, node_scale(p.node_nm, p.vdd_v))
        c["rf"] = rec["macs"] * 3 * (wb + ab) * t["rf_pj_per_bit"]
        wbits = rec["weights"] * wb + rec["cout"] * (wb + ab)
        if weights_in_dram:
            c["dram_weights"] = wbits * t["dram_pj_per_bit"]
            dram_bits += wbits
        else:
            c["weight_buffer"] = wbits * t["weight_buffer_pj_per_bit"]
        levels = {}
        for key in ("in_values", "out_values"):
            tbits = rec[key] * ab
            if tbits <= a_half:
                c["activation_buffer"] += tbits * t["activation_buffer_pj_per_bit"]
                levels[key] = "buffer"
            else:
                c["dram_activations"] += tbits * t["dram_pj_per_bit"]
                dram_bits += tbits
                levels[key] = "DRAM"
        peak = max(peak, (rec["in_values"] + rec["out_values"]) * ab)
        macs += rec["macs"]
        for k in comps:
            comps[k] += c[k]
        out.append(dict(rec, weight_bits=wb, activation_bits=ab, weight_memory_bits=wbits,
                        weight_level="DRAM" if weights_in_dram else "buffer",
                        input_level=levels["in_values"], output_level=levels["out_values"],
                        components_pj=c))
    return NetworkCost(macs=int(macs), weight_bits=int(total_w), activation_bits=int(peak),
                       dram_bits=int(dram_bits), components_pj=comps, layers=out)
