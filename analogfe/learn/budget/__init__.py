"""Lightweight networks under budgets: resources of a (front end, network)
pair, structured pruning, per-layer quantisation and the NetAdapt search.

* :mod:`.resources`: energy per frame of the whole system (front end + the
  network's data movement, :mod:`analogfe.system.dataflow`), memory, MACs,
  off-chip bits, and the per-layer latency table;
* :mod:`.prune`: channel pruning through residual connections (torch-pruning);
* :mod:`.quant`: 8- and 4-bit fake quantisation per layer (torch.ao);
* :mod:`.search`: the NetAdapt loop with front-end moves, short- and
  long-term fine-tuning, resumable state.

The run with its configuration, report and plots is :mod:`analogfe.app.budget`
(``analogfe budget CONFIG.toml``). Submodules load on first use.
"""
import lazy_loader as _lazy

#: Resources a budget may name, with their units (see :mod:`.resources`).
RESOURCES = {"energy_uj": "uJ/frame", "network_uj": "uJ/frame", "macs": "MACs/frame",
             "weight_bits": "bits", "activation_bits": "bits", "offchip_bits": "bits/frame",
             "latency_ms": "ms/frame (look-up table)"}
#: The moves of the search (see :mod:`.search`).
MOVES = ("prune", "bits", "frontend")

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=["prune", "quant", "resources", "search"],
    submod_attrs={
        "prune": ["channel_groups", "describe", "prune_group", "rebuild", "switch_input"],
        "quant": ["QuantizedNet", "quant_layers"],
        "resources": ["LatencyTable", "ResourceModel", "measure_network"],
        "search": ["SearchParams", "load_member", "long_term", "netadapt", "train_initial"],
    },
)
__all__ = sorted(set(__all__) | {"RESOURCES", "MOVES"})
