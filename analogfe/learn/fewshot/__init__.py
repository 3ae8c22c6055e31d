"""Few-shot enrollment on what the front end sends out, without stored samples.

A Conv-4 embedding meta-trained on many classes (:mod:`.meta`: prototypical
networks, first-order MAML), class prototypes kept as an exact sum of
few-bit quantised shots and a count, which a new shot updates without any
stored image and which is quantised again only when read (:mod:`.enroll`),
episodic N-way K-shot evaluation with 95 % intervals and its floors (raw
front-end output, an untrained Conv-4), the enroll / query brightness table
and class-incremental enrollment (:mod:`.evaluate`), and what enrollment and
recognition cost (:mod:`.cost`).

Submodules load on first use (they import torch).

References
----------
J. Snell, K. Swersky, R. Zemel, "Prototypical networks for few-shot
learning", NeurIPS 2017, arXiv:1703.05175.
C. Finn, P. Abbeel, S. Levine, "Model-agnostic meta-learning for fast
adaptation of deep networks", ICML 2017, arXiv:1703.03400.
"""
import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=["cost", "episodes", "evaluate", "meta", "enroll"],
    submod_attrs={
        "episodes": ["Episode", "EpisodeSampler", "episode_interval"],
        "enroll": ["Conv4", "RunningPrototypes", "embed", "prototypes", "prototype_logits",
                       "quantize", "accumulator_bits", "counter_bits",
                       "prototype_memory_bits", "DEFAULT_MAX_SHOTS"],
        "meta": ["MetaTrained", "meta_train"],
        "evaluate": ["evaluate_episodes", "evaluate_maml", "brightness_table", "incremental"],
        "cost": ["enrollment_cost"],
    },
)
