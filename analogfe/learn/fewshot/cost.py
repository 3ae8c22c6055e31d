"""What enrollment and recognition cost on the device: energy and memory.

Per frame, recognition runs the front end (sensor, converter, link:
:func:`analogfe.system.cost` with no back end), the Conv-4 embedding (its
MACs at 8 x 8 bits, every weight read once and every activation written and
read once, from memories sized to hold them, as Eyeriss-style accounting
does) and one squared distance to every stored prototype (a subtraction and
a multiply-accumulate per dimension, plus reading the prototype memory).
Enrolling one shot runs the same front end and embedding, then adds the
shot to its class's exact sum (a quantising multiply and one add of the
sum's width per dimension; the sum read and written). The memory per class is
what :class:`~analogfe.learn.fewshot.enroll.RunningPrototypes` keeps:
``dim`` sums of ``bits + count_bits`` bits (up to ``2**count_bits - 1``
shots; float64 at 32 bits) and a ``count_bits`` shot counter; a prototype is
read from its sum by one multiply per dimension (by ``1 / count``, at the
sum's width) before each distance. Constants and their sources:
:mod:`analogfe.system.energy`.
"""
from __future__ import annotations

from ..._validation import check_int
from ...system import energy as E
from ...system.model import cost as system_cost
from ...system.network import model_profile
from .enroll import accumulator_bits, prototype_memory_bits

__all__ = ["enrollment_cost"]


def enrollment_cost(model, input_shape, frontend, *, n_classes=100, bits=8, fps=1.0,
                    count_bits=8, memory_kib=(8, 32), **cost_overrides):
    """Energy per frame of recognition and enrollment, memory per class.

    Parameters
    ----------
    model : Conv4
        The embedding.
    input_shape : (C, H, W)
        Its input (H x W is also the frame the front end is costed at).
    frontend : str or front end
        As :func:`analogfe.system.cost` takes it.
    n_classes : int
        Enrolled classes (the distance computations and the memory).
    bits : int
        Bits per prototype dimension (32: float32).
    fps : float
    count_bits : int
        Bits of each class's shot counter: up to ``2**count_bits - 1`` shots
        per class, which sizes the sums
        (:func:`~analogfe.learn.fewshot.enroll.accumulator_bits`).
    memory_kib : sequence of int
        Memories for which the number of classes that fit is reported.
    **cost_overrides
        :class:`analogfe.system.CostParams` fields.

    Returns
    -------
    dict
        ``frontend_pj``, ``embedding_macs``, ``embedding_pj``,
        ``distance_pj`` (all classes), ``recognition_pj_per_frame``,
        ``enrollment_pj_per_shot``, ``dim``, ``bits``,
        ``accumulator_bits`` (one sum), ``bits_per_class`` (sums +
        counter), ``memory_kib`` (for
        ``n_classes``), ``classes_in_kib`` (KiB -> classes that fit).
    """
    n_classes = check_int(n_classes, "n_classes", low=1)
    bits = check_int(bits, "bits", low=1, high=32)
    C, H, W = (check_int(v, "input_shape", low=1) for v in input_shape)
    prof = model_profile(model, (C, H, W))
    dim = model.embedding_dim(H, W)
    fe_pj = float(system_cost(frontend, H, W, fps, "none", **cost_overrides).energy_pj)
    emb_pj = (prof["macs"] * E.mac_pj(8, 8)
              + prof["weight_bits"] * E.memory_pj_per_bit(prof["weight_bits"])
              + 2 * prof["activation_values"] * 8 * E.memory_pj_per_bit(prof["activation_bits"]))
    count_bits = check_int(count_bits, "count_bits", low=1, high=31)
    max_shots = 2 ** count_bits - 1
    acc = accumulator_bits(bits, max_shots)
    op = max(8, bits)  # arithmetic width on the prototypes as read
    per_class = prototype_memory_bits(1, dim, bits, max_shots)
    mem_bits = n_classes * per_class
    per_bit = E.memory_pj_per_bit(mem_bits)
    read_pj = E.mult_pj(acc, count_bits)  # sum x (1 / count), one dimension
    distance_pj = (n_classes * dim * (read_pj + E.add_pj(op) + E.mac_pj(op, op))
                   + mem_bits * per_bit)
    update_pj = dim * (E.mult_pj(op, op) + E.add_pj(acc)) + 2 * dim * acc * per_bit
    return dict(frontend_pj=fe_pj, embedding_macs=int(prof["macs"]), embedding_pj=float(emb_pj),
                distance_pj=float(distance_pj),
                recognition_pj_per_frame=float(fe_pj + emb_pj + distance_pj),
                enrollment_pj_per_shot=float(fe_pj + emb_pj + update_pj),
                dim=int(dim), bits=bits, n_classes=n_classes, accumulator_bits=int(acc),
                bits_per_class=int(per_class),
                memory_kib=n_classes * per_class / 8192.0,
                classes_in_kib={int(k): int(k * 8192 // per_class) for k in memory_kib})
