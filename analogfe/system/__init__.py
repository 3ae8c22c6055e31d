"""The system cost model: bits off chip, memory and energy per frame of a
front end and a back end (:func:`cost`), its constants with their sources
(:mod:`.energy`), its parameters (:mod:`.params`), results (:mod:`.result`),
the ``analogfe cost`` command (:mod:`.command`),
what a network costs (:mod:`.network`, torch) and its energy by data movement
(:mod:`.dataflow`, torch).

Submodules load on first use (the network counters import torch).
"""
import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=["baseline", "command", "dataflow", "energy", "model", "network", "params",
                "result"],
    submod_attrs={
        "model": ["BACKENDS", "PRESETS", "cost", "cost_preset", "preset_scales", "presets_help"],
        "command": ["COST_SECTION_KEYS", "cost_cli", "load_cost_config"],
        "params": ["CostParams", "ISP_LOCATIONS"],
        "baseline": ["BASELINES", "DEFAULT_BASELINE", "Baseline", "get_baseline"],
        "result": ["STAGES", "Component", "CostResult", "DutyCycle", "compare_costs",
                   "plot_breakdown", "always_on"],
        "network": ["count_params", "count_macs", "model_profile"],
        "dataflow": ["DataflowParams", "NetworkCost", "layer_shapes", "network_cost"],
    },
)
