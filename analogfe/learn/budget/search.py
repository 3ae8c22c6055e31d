"""The NetAdapt loop over the network and the front end, under several budgets.

The problem (Yang et al., NetAdapt, ECCV 2018): maximise accuracy subject to
``Res_j(Net) <= Budget_j`` for every budgeted resource ``j``, solved step by
step. Step ``i`` starts from ``Net_{i-1}`` and asks every resource still over
its budget to fall by ``dR_ij = r_i Res_j(Net_0)``, with ``r_i =
initial_reduction * decay**(i-1)`` (a resource already within its budget gets
``dR_ij = 0``: it may not grow). Each *move* proposes one network that meets
``Res_j <= Res_j(Net_{i-1}) - dR_ij`` for every ``j``:

* ``prune``: for each channel group (:mod:`.prune`), remove the fewest
  channels (by L1-norm ranking) that achieve it;
* ``bits``: for each layer group (the stem, each stage, the classifier), drop
  the weights and activations of its 8-bit layers to 4 bits;
* ``frontend``: switch to another front end (a new stem convolution for its
  input; the rest of the network is kept) when that alone meets the targets.

Every proposal is fine-tuned for a short time (``short_term_iters`` batches),
its accuracy measured on the validation split, and the most accurate becomes
``Net_i``. The architecture of a proposal is found here, without training;
the fine-tunings are independent tasks, run through ``map_fn`` (serially by
default; :mod:`analogfe.app.budget` runs them on Dask), each with a seed
derived from the run's seed, the step and the move, so the family does not
depend on the worker. The loop stops when every budget is met, when no move
can achieve the reduction, or after ``max_steps``. The members of the family
are then fine-tuned for ``long_term_epochs`` on the whole training split and
tested.

The state (every member's architecture, weights and figures) is written
after each step (atomically), and a search started again on the same folder
carries on from the last step.

References
----------
T.-J. Yang et al., "NetAdapt: Platform-Aware Neural Network Adaptation for
Mobile Applications", ECCV 2018, arXiv:1804.03230 (defaults of the public
reimplementation: initial reduction 0.025 of the initial resource, decay
0.96 per step, budget ratio 0.25).
"""
from __future__ import annotations

import copy
import io
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from ..._io import (
    atomic_write_bytes,
    atomic_write_json,
    checksum,
    inside,
    read_json_object,
    strict_json,
    warn_recompute,
)
from ..._threads import MAX_THREADS
from ..._validation import check_float, check_int
from ..encodings import InputEncoder
from ..models import ResNet
from . import MOVES
from .prune import channel_groups, describe, prune_group, rebuild, switch_input
from .quant import QuantizedNet, quantizers_off

__all__ = ["SearchParams", "MOVES", "bit_groups", "load_member", "member_seed", "finetune",
           "serial_map", "train_initial", "netadapt", "long_term"]

STATE_NAME = "state.json"
_STATE_VERSION = 1


@dataclass(frozen=True)
class SearchParams:
    """Parameters of :func:`netadapt`.

    Parameters
    ----------
    initial_reduction : float
        ``r_1``: the first step's reduction, a fraction of the initial resource.
    decay : float
        ``r_i = initial_reduction * decay**(i-1)``.
    max_steps : int
    short_term_iters : int
        Batches of the short-term fine-tuning of each proposal.
    long_term_epochs : int
        Epochs of the long-term fine-tuning of each member (0: none).
    batch_size, lr, weight_decay : training (Adam).
    channel_step : int
        Channels are removed in multiples of this.
    min_channels : int
        A channel group keeps at least this many.
    low_bits : int
        The width a ``bits`` move drops 8-bit layers to.
    moves : tuple of str
        Which of :data:`MOVES` the loop proposes.
    threads : int
        torch threads of each fine-tuning task (1 to 1024).
    """

    initial_reduction: float = 0.025
    decay: float = 0.96
    max_steps: int = 50
    short_term_iters: int = 40
    long_term_epochs: int = 10
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 1e-4
    channel_step: int = 1
    min_channels: int = 2
    low_bits: int = 4
    moves: tuple = MOVES
    threads: int = 1

    def __post_init__(self):
        check_float(self.initial_reduction, "initial_reduction", low=0.0, high=1.0, low_open=True)
        check_float(self.decay, "decay", low=0.0, high=1.0, low_open=True)
        for k in ("max_steps", "short_term_iters", "batch_size", "channel_step", "min_channels"):
            check_int(getattr(self, k), k, low=1)
        check_int(self.threads, "threads", low=1, high=MAX_THREADS)
        check_float(self.lr, "lr", low=0.0, low_open=True)
        check_float(self.weight_decay, "weight_decay", low=0.0)
        check_int(self.long_term_epochs, "long_term_epochs", low=0)
        check_int(self.low_bits, "low_bits", low=2, high=7)
        bad = [m for m in self.moves if m not in MOVES]
        if bad or not self.moves:
            raise ValueError(f"moves must be among {MOVES}, got {list(self.moves)}")


def member_seed(seed, *keys):
    """A seed below 2**31 that depends only on ``seed`` and ``keys`` (the
    first 32 bits of their ``analogfe._io.checksum``, as the runs'
    ``task_seed`` derives them)."""
    return int.from_bytes(bytes.fromhex(checksum([seed, *keys])[:8]), "little") % 2**31


def bit_groups(qnet):
    """The layer groups of the ``bits`` move: ``{"stem": [...], "stage1": [...], ..., "fc": [...]}``."""
    out = {}
    for name in qnet.bits:
        head = name.split(".")[0]
        group = f"stage{int(name.split('.')[1]) + 1}" if head == "stages" else head
        out.setdefault(group, []).append(name)
    return out


# --------------------------------------------------------------------------- members
def _state_bytes(qnet):
    buf = io.BytesIO()
    torch.save(qnet.state_dict(), buf)
    return buf.getvalue()


def load_member(arch, state=None):
    """The QuantizedNet of an architecture description (``describe`` +
    ``bits``), with ``state`` (a state_dict, bytes or a path) loaded with
    ``weights_only=True``."""
    qnet = QuantizedNet(rebuild(arch), {k: tuple(v) for k, v in arch["bits"].items()})
    if state is not None:
        if isinstance(state, (bytes, bytearray)):
            state = io.BytesIO(state)
        if not isinstance(state, dict):
            state = torch.load(state, map_location="cpu", weights_only=True)
        qnet.load_state_dict(state)
    return qnet


def _arch(qnet, frontend):
    return {**describe(qnet.net), "bits": {k: list(v) for k, v in qnet.bits.items()},
            "frontend": frontend}


def finetune(payload):
    """One fine-tuning task: rebuild the member, train, measure accuracy.

    ``payload`` holds ``arch``, ``state`` (bytes), ``data`` (``train``,
    ``eval`` pairs, ``encoding``, ``levels``), ``seed``, ``params``
    (:class:`SearchParams` as a dict) and either ``iters`` (a random subset
    of that many batches, one pass) or ``epochs``. Returns ``state`` (bytes),
    ``accuracy`` on ``data["eval"]`` and ``y_pred``.
    """
    from ..train import _predict, fit

    p = SearchParams(**payload["params"])
    old = torch.get_num_threads()
    torch.set_num_threads(p.threads)
    try:
        qnet = load_member(payload["arch"], payload["state"])
        d = payload["data"]
        X, y = d["train"]
        epochs = 1
        if payload.get("iters"):
            rng = np.random.default_rng(payload["seed"])
            n = min(len(y), payload["iters"] * p.batch_size)
            idx = np.sort(rng.permutation(len(y))[:n])
            X, y = X[idx], y[idx]
        else:
            epochs = payload["epochs"]
        enc = InputEncoder(d["encoding"], d["levels"])
        fit(qnet, (X, y), encoder=enc, epochs=epochs, batch_size=p.batch_size, lr=p.lr,
            weight_decay=p.weight_decay, seed=payload["seed"], progress=False, device="cpu")
        Xe, ye = d["eval"]
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(Xe, ye), batch_size=256)
        y_true, y_pred, _ = _predict(qnet, loader, enc, torch.device("cpu"))
        return {"state": _state_bytes(qnet), "accuracy": float(np.mean(y_true == y_pred)),
                "y_pred": y_pred.tolist()}
    finally:
        torch.set_num_threads(old)


def train_initial(frontend, data, *, width=16, epochs=15, params=None, seed=0, map_fn=None):
    """The initial network: a ResNet-10 trained with 8-bit QAT from scratch.

    Returns
    -------
    arch : dict
    result : dict
        What :func:`finetune` returns (accuracy on ``data["eval"]``).
    """
    p = params or SearchParams()
    torch.manual_seed(seed)
    C = data["train"][0].shape[1]
    qnet = QuantizedNet(ResNet((1, 1, 1, 1), width, C, int(data["train"][1].max()) + 1))
    arch = _arch(qnet, frontend)
    payload = dict(arch=arch, state=_state_bytes(qnet), data=data, seed=seed, params=asdict(p),
                   epochs=epochs)
    res = (map_fn or serial_map)(finetune, [payload], "initial")[0]
    return arch, res


def serial_map(fn, payloads, desc, progress=True):
    """``[fn(p) for p in payloads]`` with a tqdm bar named ``desc``: the
    default ``map_fn`` of the search."""
    from tqdm.auto import tqdm

    return [fn(p) for p in tqdm(payloads, desc=desc, disable=not progress, leave=False)]


# --------------------------------------------------------------------------- proposals
def _meets(res, targets):
    return all(res[j] <= t for j, t in targets.items())


def _prune_proposal(qnet, frontend, group, targets, resources, example_shape, p):
    """The network with the fewest channels of ``group`` removed that meets
    ``targets``, or None.

    A binary search over the number removed: it assumes the resources fall as
    channels go (exact for the counted ones; a measured latency may not), and
    the network it returns is checked to meet every target."""
    ch = int(qnet.net.get_submodule(group).out_channels)
    counts = list(range(p.channel_step, ch - p.min_channels + 1, p.channel_step))

    def attempt(n):
        q = copy.deepcopy(qnet)
        with quantizers_off(q) as net:
            prune_group(net, group, n, example_shape)
        return q, resources(q, frontend)

    if not counts or not _meets(attempt(counts[-1])[1], targets):
        return None
    lo, hi = 0, len(counts) - 1  # the answer lies in counts[lo..hi]; counts[hi] meets
    while lo < hi:
        mid = (lo + hi) // 2
        if _meets(attempt(counts[mid])[1], targets):
            hi = mid
        else:
            lo = mid + 1
    q, _ = attempt(counts[hi])
    return q, f"prune {group} -{counts[hi]} ({ch}->{ch - counts[hi]})"


def _proposals(qnet, frontend, targets, resources, data, p, seed, step):
    """Every move's candidate network that meets ``targets``: ``[(label, qnet, frontend)]``."""
    out = []
    shape = tuple(data[frontend]["train"][0].shape[1:])
    if "prune" in p.moves:
        with quantizers_off(qnet) as net:
            groups = list(channel_groups(net, shape))
        for g in groups:
            r = _prune_proposal(qnet, frontend, g, targets, resources, shape, p)
            if r is not None:
                out.append((r[1], r[0], frontend))
    if "bits" in p.moves:
        for g, names in bit_groups(qnet).items():
            if all(qnet.bits[n] == [p.low_bits, p.low_bits] for n in names):
                continue
            q = copy.deepcopy(qnet)
            for n in names:
                q.set_bits(n, min(q.bits[n][0], p.low_bits), min(q.bits[n][1], p.low_bits))
            if _meets(resources(q, frontend), targets):
                out.append((f"bits {g} -> {p.low_bits}", q, frontend))
    if "frontend" in p.moves:
        for fe in data:
            if fe == frontend:
                continue
            q = copy.deepcopy(qnet)
            switch_input(q.net, data[fe]["train"][0].shape[1],
                         seed=member_seed(seed, step, "frontend", fe))
            q.relink()
            if _meets(resources(q, fe), targets):
                out.append((f"frontend {frontend} -> {fe}", q, fe))
    return out


# --------------------------------------------------------------------------- the loop
def _data_for(data, fe, split):
    d = data[fe]
    return {"train": d["train"], "eval": d[split], "encoding": d["encoding"], "levels": d["levels"]}


def _save_state(out, state):
    # in the order of its dicts: a resumed run orders budgets, layers and columns as before
    atomic_write_json(Path(out) / STATE_NAME, strict_json(state), sort_keys=False)


def _write_member(out, name, state_bytes, arch=None):
    """``members/<name>`` (the state_dict) and, with ``arch``, ``members/<stem>.json``
    (the architecture :func:`load_member` rebuilds)."""
    atomic_write_bytes(Path(out) / "members" / name, state_bytes)
    if arch is not None:
        atomic_write_json(Path(out) / "members" / (Path(name).stem + ".json"), strict_json(arch))
    return name


def _load_state(out, key):
    """The stored state of the search ``key``, or None to start afresh.

    A state that is no JSON object, or whose family is not a list of members,
    is recomputed with a warning naming the file; a member whose checkpoint
    does not load (truncated, foreign) is recomputed from the step before
    it, and its long-term results with it. A state of another search is
    refused (it is not ours to overwrite), and so is one that names a
    checkpoint outside ``members/``.
    """
    out = Path(out)
    path = out / STATE_NAME
    state = read_json_object(path)
    if state is None:
        return None
    if state.get("key") != key or state.get("version") != _STATE_VERSION:
        raise ValueError(f"{path} is from another search (configuration or seed differ); "
                         "use another output folder or start afresh (--fresh)")
    fam = state.get("family")
    if not (isinstance(fam, list) and fam and all(isinstance(m, dict) for m in fam)
            and isinstance(state.get("budgets"), dict) and state["budgets"]):
        warn_recompute(path, "not a search state (no family of members)")
        return None
    for m in fam:
        for field in ("checkpoint", "long_checkpoint"):
            name = m.get(field)
            if field in m and not (isinstance(name, str) and name and Path(name).name == name
                                   and name not in (".", "..")):
                raise ValueError(f"{path}: {field} {name!r} of step {m.get('step')} is not a "
                                 "file name inside members/; refused (start afresh with --fresh)")
            if isinstance(name, str):
                inside(out / "members" / name, out / "members", f"{field} of {path}")
    return _drop_unreadable(out, path, state)


def _loads(arch, path):
    try:
        load_member(arch, path)
        return True
    except Exception:  # a truncated or foreign file fails in torch in many ways
        return False


def _drop_unreadable(out, path, state):
    """``state`` less the members (and long-term results) whose files do not load."""
    fam = state["family"]
    for k, m in enumerate(fam):
        ck = out / "members" / str(m.get("checkpoint"))
        if not isinstance(m.get("arch"), dict) or not _loads(m["arch"], ck):
            warn_recompute(ck if isinstance(m.get("arch"), dict) else path,
                           f"step {m.get('step', k)} does not load")
            if k == 0:
                return None
            del fam[k:]
            state["stopped"] = None
            break
    for m in fam:
        if "long_checkpoint" in m and not _loads(m["arch"], out / "members" / m["long_checkpoint"]):
            warn_recompute(out / "members" / m["long_checkpoint"], "does not load")
            for field in ("long_checkpoint", "test", "val_long"):
                m.pop(field, None)
    return state


def netadapt(initial, data, resources, budgets, out_dir, *, relative=False, key="", params=None,
             seed=0, map_fn=None, progress=True, on_step=None, fresh=False):
    """Run the budgeted NetAdapt loop and write the family to ``out_dir``.

    Parameters
    ----------
    initial : (dict, dict) or callable
        ``(arch, result)`` of the initial network (:func:`train_initial`), or
        a function of no arguments that returns it (called only when the
        search does not resume).
    data : dict
        ``{front end: {"train": (X, y), "val": (X, y), "test": (X, y),
        "encoding": str, "levels": int}}``: every front end the ``frontend``
        move may switch to (the packed tensors of
        :func:`analogfe.learn.experiments.emulate_dataset`).
    resources : callable
        ``resources(qnet, frontend) -> {name: value}``
        (:class:`~analogfe.learn.budget.resources.ResourceModel`).
    budgets : dict
        ``{resource: largest allowed value}``; every key must be a resource.
    relative : bool
        ``budgets`` are fractions of the initial network's resources.
    out_dir : path
        ``state.json`` and ``members/step_NNN.pt``; an existing state with
        the same ``key`` is resumed.
    key : str
        What identifies the search (e.g. a hash of its configuration and seed).
    params : SearchParams, optional
    seed : int
    map_fn : callable, optional
        ``map_fn(fn, payloads, desc) -> results in order``; serial by default.
    progress : bool
        A tqdm bar over the steps.
    on_step : callable, optional
        ``on_step(state)`` after each step's state is written (e.g. to keep a
        latency table beside it).
    fresh : bool
        Ignore a stored state (start afresh and overwrite it).

    Returns
    -------
    dict
        The state: ``family`` (one entry per member: ``step``, ``move``,
        ``frontend``, ``arch``, ``resources``, ``delta``, ``targets``,
        ``val_accuracy``, ``checkpoint``, ``proposals``), ``budgets``,
        ``primary`` (the first budgeted resource: it breaks ties between
        equally accurate proposals), ``stopped`` (why the loop ended).
    """
    from tqdm.auto import tqdm

    p = params or SearchParams()
    map_fn = map_fn or serial_map
    out = Path(out_dir)
    state = None if fresh else _load_state(out, key)
    if state is None:
        arch0, res0 = initial() if callable(initial) else initial
        first = resources(load_member(arch0, res0["state"]), arch0["frontend"])
        bad = sorted(set(budgets) - set(first))
        if bad:
            raise ValueError(f"budgets name unknown resources {bad}; valid: {sorted(first)}")
        if relative:
            budgets = {j: b * first[j] for j, b in budgets.items()}
        state = {"version": _STATE_VERSION, "key": key, "budgets": dict(budgets), "family": [],
                 "stopped": None, "initial_resources": first, "primary": next(iter(budgets))}
        m0 = dict(step=0, move="initial", frontend=arch0["frontend"], arch=arch0, resources=first,
                  delta={j: 0.0 for j in budgets}, targets={}, val_accuracy=res0["accuracy"],
                  checkpoint=_write_member(out, "step_000.pt", res0["state"], arch0), proposals=[])
        state["family"].append(m0)
        _save_state(out, state)
    budgets = state["budgets"]
    bar = tqdm(total=p.max_steps, initial=len(state["family"]) - 1, desc="budget search",
               disable=not progress)
    while state["stopped"] is None:
        prev = state["family"][-1]
        i = prev["step"] + 1
        if all(prev["resources"][j] <= b for j, b in budgets.items()):
            state["stopped"] = "every budget met"
            break
        if i > p.max_steps:
            state["stopped"] = f"max_steps ({p.max_steps}) reached"
            break
        r = p.initial_reduction * p.decay ** (i - 1)
        delta = {j: (r * state["initial_resources"][j] if prev["resources"][j] > b else 0.0)
                 for j, b in budgets.items()}
        targets = {j: prev["resources"][j] - delta[j] for j in budgets}
        qprev = load_member(prev["arch"], out / "members" / prev["checkpoint"])
        props = _proposals(qprev, prev["frontend"], targets, resources, data, p, seed, i)
        if not props:
            state["stopped"] = f"step {i}: no move achieves the reduction"
            break
        payloads = [dict(arch=_arch(q, fe), state=_state_bytes(q), data=_data_for(data, fe, "val"),
                         seed=member_seed(seed, i, label), params=asdict(p), iters=p.short_term_iters)
                    for label, q, fe in props]
        results = map_fn(finetune, payloads, f"step {i}")
        rows = []
        for (label, q, fe), pl, res in zip(props, payloads, results):
            rows.append(dict(move=label, frontend=fe, val_accuracy=res["accuracy"],
                             resources=resources(q, fe), arch=pl["arch"], seed=pl["seed"]))
        first_j = state["primary"]  # state.json sorts keys: the order of budgets is not kept
        best = max(range(len(rows)), key=lambda k: (rows[k]["val_accuracy"],
                                                   -rows[k]["resources"][first_j], -k))
        b = rows[best]
        member = dict(step=i, move=b["move"], frontend=b["frontend"], arch=b["arch"],
                      resources=b["resources"], delta=delta, targets=targets,
                      val_accuracy=b["val_accuracy"], seed=b["seed"],
                      checkpoint=_write_member(out, f"step_{i:03d}.pt", results[best]["state"],
                                                 b["arch"]),
                      proposals=[{k: r[k] for k in ("move", "frontend", "val_accuracy", "resources")}
                                 for r in rows])
        state["family"].append(member)
        _save_state(out, state)
        if on_step is not None:
            on_step(state)
        bar.update()
    bar.close()
    _save_state(out, state)
    return state


def long_term(state, data, out_dir, *, params=None, seed=0, map_fn=None, steps=None):
    """Fine-tune members for ``long_term_epochs`` on the whole training split
    and test them; the results go into ``state`` (``test``: accuracy,
    ``y_pred``; ``val_long``: the fine-tuned member's accuracy on the
    validation split, by which a member is chosen; ``long_checkpoint``) and
    ``state.json``.

    ``steps`` picks the members (default: every one but the initial network,
    which is already fully trained and is only tested). Members already done
    are skipped, so this resumes too.
    """
    p = params or SearchParams()
    map_fn = map_fn or serial_map
    out = Path(out_dir)
    fam = state["family"]
    steps = [m["step"] for m in fam] if steps is None else list(steps)
    todo, payloads = [], []
    for m in fam:
        if m["step"] not in steps or ("test" in m and "val_long" in m):
            continue
        epochs = 0 if m["step"] == 0 else p.long_term_epochs
        pl = dict(arch=m["arch"], state=(out / "members" / m["checkpoint"]).read_bytes(),
                  data=_data_for(data, m["frontend"], "test"), seed=member_seed(seed, "long", m["step"]),
                  params=asdict(p))
        if epochs:
            pl["epochs"] = epochs
            todo.append(m)
            payloads.append(pl)
        else:
            m["test"] = _test_only(pl)
            m["long_checkpoint"] = m["checkpoint"]
    if payloads:
        for m, res in zip(todo, map_fn(finetune, payloads, "long-term fine-tune")):
            m["long_checkpoint"] = _write_member(out, f"step_{m['step']:03d}_long.pt", res["state"],
                                                 m["arch"])
            m["test"] = {"accuracy": res["accuracy"], "y_pred": res["y_pred"]}
    for m in fam:  # the validation accuracy of each fine-tuned member: the choice uses it
        if m["step"] in steps and "val_long" not in m and "long_checkpoint" in m:
            m["val_long"] = _test_only(dict(
                arch=m["arch"], state=(out / "members" / m["long_checkpoint"]).read_bytes(),
                data=_data_for(data, m["frontend"], "val")))["accuracy"]
    _save_state(out, state)
    return state


def _test_only(payload):
    from ..train import _predict

    qnet = load_member(payload["arch"], payload["state"])
    d = payload["data"]
    enc = InputEncoder(d["encoding"], d["levels"])
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(*d["eval"]), batch_size=256)
    y_true, y_pred, _ = _predict(qnet, loader, enc, torch.device("cpu"))
    return {"accuracy": float(np.mean(y_true == y_pred)), "y_pred": y_pred.tolist()}
