"""The runs: ``compare`` (the main job), ``sweep``, ``simulate``, ``fewshot``, their
configuration, shared helpers (:mod:`.tasks`), reports and the command line."""
import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=["cli", "compare", "compare_report", "compare_tasks", "config", "detection", "energy_ranges",
                "fewshot", "fewshot_report", "outputs", "report", "simulate", "sweep", "tasks",
                "validation", "verdict"],
)
