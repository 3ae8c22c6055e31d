"""Output folders that never clobber each other.

Every run (``compare``, ``sweep``, ``budget``, ``fewshot``) claims its output
folder with :func:`claim_output` before it writes anything: the folder gets a
``run.json`` naming the command and a hash of the configuration. A later run
with the same command and configuration resumes there; a run of another
command or configuration is refused (:class:`OutputInUse`, one line naming the
folder, what it holds and the way out) unless it is forced, so a report and
its stored results are never silently replaced by another run's.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from .._io import atomic_write_json

__all__ = ["MANIFEST", "OutputInUse", "claim_output", "default_output"]

#: The file in an output folder that says which run it belongs to.
MANIFEST = "run.json"


class OutputInUse(ValueError):
    """The output folder holds another run's results (a :class:`ValueError`, so
    the command line prints it as one line and exits with status 2)."""


def claim_output(out_dir, command, fingerprint, *, describe="", force=False, adopt=None):
    """Make ``out_dir`` this run's folder, or refuse when another run's results are there.

    Parameters
    ----------
    out_dir : path
        The output folder; created when missing.
    command : str
        The command that writes it (``compare``, ``sweep``, ...).
    fingerprint : str
        A hash of everything that changes the run's results (its configuration
        and seeds): the same fingerprint resumes, another one is refused.
    describe : str
        A few words on the run (e.g. ``"dataset lfw, seeds 0"``), stored beside
        the hash and quoted when a later run is refused.
    force : bool
        Take the folder over whatever it holds (the earlier run's report is
        replaced; its stored per-item results stay and are reused where they
        match).
    adopt : callable, optional
        ``adopt(out) -> bool``: for a folder written before run folders were
        claimed (no manifest), whether it holds this very run (e.g. its
        ``results.json`` has the same configuration); it is then claimed.

    Returns
    -------
    out : pathlib.Path

    Raises
    ------
    OutputInUse
        ``out_dir`` holds files of another command or configuration, or files
        of no analogfe run, and ``force`` is false.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"output {out} is a file, not a folder")
    path = out / MANIFEST
    mine = {"command": command, "config_hash": fingerprint, "describe": describe}
    if not force and out.is_dir() and any(out.iterdir()):
        try:
            theirs = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            theirs = None
        if not isinstance(theirs, dict) and not path.exists() and adopt is not None and adopt(out):
            theirs = mine
        if not isinstance(theirs, dict):
            raise OutputInUse(f"output folder {out} is not empty and holds no {MANIFEST} of an "
                              f"analogfe run; choose another -o, or pass --force to write into it")
        if (theirs.get("command"), theirs.get("config_hash")) != (command, fingerprint):
            what = " ".join(str(theirs.get(k) or "") for k in ("command", "describe")).strip()
            raise OutputInUse(f"output folder {out} holds the results of another run "
                              f"({what or 'unknown'}; this one: {command} {describe}".rstrip()
                              + "); choose another -o, or pass --force to replace its report")
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, mine)
    return out


#: What a folder name may not hold: anything but letters, digits, ``_``, ``.``, ``-``.
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def folder_name(text):
    """``text`` as a folder name: each run of other characters becomes ``_``."""
    return _UNSAFE.sub("_", str(text))


def default_output(command, dataset=None, config_file=None, seeds=None, frontends=None):
    """The default output folder of a command: ``analogfe-<command>``, plus the
    dataset's name (when not the default), the configuration file's stem, the
    front ends chosen on the command line and the seeds (when not just seed 0),
    so that runs of different settings land in different folders.

    Parameters
    ----------
    command : str
        ``out`` for ``compare`` gives ``analogfe-out``, the folder the README names.
    dataset, config_file : str, optional
    seeds : sequence of int, optional
    frontends : sequence of str, optional

    Returns
    -------
    str

    Examples
    --------
    >>> default_output("out")
    'analogfe-out'
    >>> default_output("out", dataset="lfw", seeds=[0, 1, 2])
    'analogfe-out-lfw-seeds0-1-2'
    >>> default_output("out", frontends=["rgb8", "lg1.5"])
    'analogfe-out-rgb8_lg1.5'
    >>> default_output("fewshot", config_file="examples/fewshot_small.toml")
    'analogfe-fewshot-fewshot_small'
    """
    parts = [f"analogfe-{command}"]
    if dataset:
        parts.append(Path(str(dataset).rstrip("/\\")).name or "dataset")
    if config_file:
        parts.append(Path(str(config_file)).stem)
    if frontends:
        parts.append("_".join(str(f) for f in frontends))
    if seeds and list(seeds) != [0]:
        parts.append("seeds" + "-".join(str(int(s)) for s in seeds))
    return "-".join(folder_name(p) for p in parts)
