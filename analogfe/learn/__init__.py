"""Learning on what the front end sends out: the wake-up classifier and
detector (scikit-learn), their metrics and the statistics reported with them
(intervals, chance levels, paired comparisons), the small networks and their
input encodings, training, and the experiments built on them (torch); saved
models that reload (:func:`load_model`); lightweight networks under budgets
(:mod:`.budget`: pruning, quantisation, the NetAdapt search); few-shot
enrollment without stored samples (:mod:`analogfe.learn.fewshot`).

Submodules load on first use, so ``import analogfe.learn`` imports neither
torch nor scikit-learn.
"""
import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=["budget", "classifier", "dataset", "detector", "encodings", "experiments", "fewshot",
                "in_the_loop", "metrics", "models", "saved", "selection", "stats", "train", "wakeup"],
    submod_attrs={
        "classifier": ["WakeUpClassifier", "check_images"],
        "in_the_loop": ["SensorInTheLoop", "train_in_the_loop"],
        "detector": ["Detections", "DETECTOR_MODES", "SlidingWindowDetector", "train_detector"],
        "saved": ["SavedModel", "load_model", "save_model"],
        "stats": ["accuracy_interval", "balanced_accuracy", "bootstrap_interval", "chance_level",
                  "format_interval", "paired_difference_interval", "summarize_seeds",
                  "wilson_interval"],
        "wakeup": ["LFW_CELL_SIZE", "compare_frontends_lfw", "format_comparison"],
    },
)
