"""The resources of a (front end, network) pair, and the per-layer latency table.

:class:`ResourceModel` gives every resource the search can budget, from
models a reader can follow:

* ``energy_uj``: energy per frame of the whole system -- the front end's
  sensor, converter and link (from :func:`analogfe.system.cost`, computed by
  the caller per front end) plus the network's energy by data movement on
  the frame (:func:`analogfe.system.dataflow.network_cost`);
* ``network_uj``: the network's part alone;
* ``macs``: MACs per frame; ``weight_bits``: weight memory;
  ``activation_bits``: peak activation memory;
* ``offchip_bits``: bits per frame that leave a chip -- the front end's link
  bits plus the network's DRAM traffic;
* ``latency_ms``: only with a :class:`LatencyTable` -- the network's latency
  on the frame from the table, so the search can budget it without timing a
  candidate (the table's entries are measured once, on first use, in the
  process that runs the search; a second run measures its own, so a family
  under a latency budget depends on the machine's timing).

The network runs on the whole frame (``frame_hw``, the deployed sensor), as
the CNN path of :func:`analogfe.system.cost` does, with the spatial size of
every layer traced once per input channel count (pruning changes channels,
never the spatial sizes), so a candidate is costed without a forward pass.

:class:`LatencyTable` is NetAdapt's look-up table: the latency of one layer
shape (batch 1, a stated number of torch threads, float32 on this CPU),
measured once as the median of several runs and then looked up; a network's
latency is the sum over its convolution and linear layers, each timed with
the batch norm and ReLU that follow it in the ResNet (residual additions and
pooling are not counted).

References
----------
T.-J. Yang, A. Howard, B. Chen, X. Zhang, A. Go, M. Sandler, V. Sze, H. Adam,
"NetAdapt: Platform-Aware Neural Network Adaptation for Mobile Applications",
ECCV 2018, arXiv:1804.03230.
"""
from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn

from ..._validation import check_int
from ...system.dataflow import DataflowParams, layer_shapes, network_cost
from ..models import ResNet
from . import RESOURCES

__all__ = ["RESOURCES", "ResourceModel", "LatencyTable", "measure_network"]



class ResourceModel:
    """Resources of a quantised network on a front end (see the module docstring).

    Parameters
    ----------
    frontend_costs : dict
        ``{front end name: {"energy_pj": ..., "link_bits": ...}}``: the sensor,
        converter and link per frame of each front end.
    frame_hw : (int, int)
        The frame the network runs on, pixels.
    dataflow : DataflowParams, optional
    latency : LatencyTable, optional
        Adds ``latency_ms`` to the resources.
    """

    def __init__(self, frontend_costs, frame_hw, dataflow=None, latency=None):
        self.frontend_costs = dict(frontend_costs)
        self.frame_hw = tuple(check_int(s, "frame_hw", low=8) for s in frame_hw)
        self.dataflow = dataflow or DataflowParams()
        self.latency = latency
        self._spatial = {}

    def _spatial_of(self, config):
        key = repr(sorted(config.items()))
        if key not in self._spatial:
            fresh = ResNet(**config)
            shape = (config["in_channels"],) + self.frame_hw
            self._spatial[key] = {r["name"]: r for r in layer_shapes(fresh, shape)}
        return self._spatial[key]

    def layers(self, net):
        """The layer records of :func:`analogfe.system.dataflow.layer_shapes`
        of ``net`` on the frame, from its modules and the traced spatial sizes."""
        spatial = self._spatial_of(net.config)
        out = []
        for name, rec in spatial.items():
            m = net.get_submodule(name)
            cin, cout = ((m.in_channels, m.out_channels) if isinstance(m, nn.Conv2d)
                         else (m.in_features, m.out_features))
            kh, kw = rec["kernel"]
            (hi, wi), (ho, wo) = rec["in_hw"], rec["out_hw"]
            if rec["kind"] == "conv":
                macs, iv, ov = ho * wo * cout * cin * kh * kw, cin * hi * wi, cout * ho * wo
            else:
                macs, iv, ov = cin * cout, cin, cout
            out.append(dict(rec, cin=cin, cout=cout, weights=int(m.weight.numel()), macs=int(macs),
                            in_values=int(iv), out_values=int(ov)))
        return out

    def network(self, qnet):
        """:class:`~analogfe.system.dataflow.NetworkCost` of a QuantizedNet on the frame."""
        return network_cost(self.layers(qnet.net), qnet.bits, self.dataflow)

    def __call__(self, qnet, frontend):
        """The resources of ``qnet`` on ``frontend`` (:data:`RESOURCES`;
        ``latency_ms`` only with a latency table)."""
        if frontend not in self.frontend_costs:
            raise ValueError(f"no front end cost for {frontend!r}; known: {sorted(self.frontend_costs)}")
        fe = self.frontend_costs[frontend]
        layers = self.layers(qnet.net)
        nc = network_cost(layers, qnet.bits, self.dataflow)
        out = {"energy_uj": (fe["energy_pj"] + nc.energy_pj) * 1e-6,
               "network_uj": nc.energy_pj * 1e-6, "macs": nc.macs, "weight_bits": nc.weight_bits,
               "activation_bits": nc.activation_bits,
               "offchip_bits": int(round(fe["link_bits"])) + nc.dram_bits}
        if self.latency is not None:
            out["latency_ms"] = self.latency.network_ms(layers)
        return out


def _layer_key(rec, batch):
    # "+bn-relu": what one entry times (a convolution with its batch norm and ReLU)
    return "|".join(str(v) for v in (rec["kind"] + "+bn-relu", rec["cin"], rec["cout"],
                                     *rec["kernel"], rec["stride"], rec["groups"], *rec["in_hw"],
                                     batch))


class LatencyTable:
    """NetAdapt's per-layer latency look-up table, measured on this machine.

    Parameters
    ----------
    threads : int
        torch threads while measuring (stated with every figure).
    repeats : int
        Timed runs per layer shape; the table keeps the median.
    batch : int
        Batch size of the measurement.
    table : dict, optional
        Entries measured before (``{key: milliseconds}``), e.g. from a resumed run.
    """

    def __init__(self, threads=1, repeats=5, batch=1, table=None):
        self.threads = check_int(threads, "threads", low=1)
        self.repeats = check_int(repeats, "repeats", low=1)
        self.batch = check_int(batch, "batch", low=1)
        self.table = dict(table or {})

    def _measure(self, rec):
        if rec["kind"] == "conv":
            layer = nn.Sequential(
                nn.Conv2d(rec["cin"], rec["cout"], tuple(rec["kernel"]), stride=rec["stride"],
                          padding=rec["kernel"][0] // 2, groups=rec["groups"], bias=False),
                nn.BatchNorm2d(rec["cout"]), nn.ReLU())
            x = torch.randn(self.batch, rec["cin"], *rec["in_hw"])
        else:
            layer = nn.Linear(rec["cin"], rec["cout"])
            x = torch.randn(self.batch, rec["cin"])
        layer.eval()
        old = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            times = []
            with torch.no_grad():
                layer(x)  # warm-up
                for _ in range(self.repeats):
                    t0 = time.perf_counter()
                    layer(x)
                    times.append(time.perf_counter() - t0)
        finally:
            torch.set_num_threads(old)
        return float(np.median(times) * 1e3)

    def layer_ms(self, rec):
        """Latency of one layer shape, ms (measured on first use)."""
        key = _layer_key(rec, self.batch)
        if key not in self.table:
            self.table[key] = self._measure(rec)
        return self.table[key]

    def network_ms(self, layers):
        """Latency of a network, ms: the sum of its layers' entries."""
        return float(sum(self.layer_ms(r) for r in layers))


def measure_network(net, input_shape, *, batch=1, threads=1, repeats=5, device="cpu"):
    """Measured latency of a whole network: the median of ``repeats`` timed
    forward passes of a ``batch`` of ``input_shape`` (after one warm-up), in
    evaluation mode, float32, on ``threads`` torch threads (CPU) or on a GPU.

    Returns
    -------
    dict
        ``latency_ms`` (per batch), ``throughput_fps`` (images per second),
        ``batch``, ``threads``, ``device``.
    """
    import copy

    batch = check_int(batch, "batch", low=1)
    threads = check_int(threads, "threads", low=1)
    repeats = check_int(repeats, "repeats", low=1)
    dev = torch.device(device)
    net = copy.deepcopy(net).to(dev).eval()
    x = torch.randn((batch,) + tuple(input_shape), device=dev)
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        times = []
        with torch.no_grad():
            net(x)
            for _ in range(repeats):
                if dev.type == "cuda":
                    torch.cuda.synchronize(dev)
                t0 = time.perf_counter()
                net(x)
                if dev.type == "cuda":
                    torch.cuda.synchronize(dev)
                times.append(time.perf_counter() - t0)
    finally:
        torch.set_num_threads(old)
    ms = float(np.median(times) * 1e3)
    return {"latency_ms": ms, "throughput_fps": batch / ms * 1e3, "batch": batch,
            "threads": threads if dev.type == "cpu" else None, "device": str(dev)}
