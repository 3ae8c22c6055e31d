"""Atomic file writes and JSON, shared by every stage that writes a file.

A file is written to a temporary file in the same folder, flushed to disk and
moved into place with :func:`os.replace` (atomic on POSIX and Windows): an
interrupted run leaves either the old file or the new one, never half of one.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["atomic_write", "atomic_write_bytes", "atomic_write_text", "atomic_write_json",
           "json_default", "is_jsonable", "strict_json", "checksum", "write_cached",
           "read_cached", "warn_recompute", "read_json_object", "inside"]


def _read_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def atomic_write(path, write):
    """Write ``path`` atomically through ``write(binary file object)``.

    The temporary file is ``.<name>.<random>.tmp`` in the same folder, gets
    the permissions a plain ``open`` would give (``mkstemp`` makes 0600), and
    is removed if ``write`` fails. Returns ``path`` as a :class:`~pathlib.Path`.
    """
    path = Path(os.fspath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_write_bytes(path, data):
    """Write ``data`` (bytes) to ``path`` atomically; return the path."""
    return atomic_write(path, lambda fh: fh.write(data))


def atomic_write_text(path, text):
    """Write ``text`` (UTF-8) to ``path`` atomically; return the path."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def json_default(o):
    """``json.dumps`` hook: numpy scalars and arrays, tuples and sets."""
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (tuple, set)):
        return list(o)
    raise TypeError(f"cannot write {type(o).__name__} as JSON")


def strict_json(obj):
    """``obj`` with every NaN float replaced by None (strict JSON has no NaN)."""
    if isinstance(obj, float) and obj != obj:
        return None
    if isinstance(obj, dict):
        return {k: strict_json(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [strict_json(v) for v in obj]
    return obj


def is_jsonable(value):
    """Whether ``value`` can be written as JSON (with :func:`json_default`)."""
    try:
        json.dumps(value, default=json_default)
        return True
    except (TypeError, ValueError):
        return False


def atomic_write_json(path, obj, *, sort_keys=True):
    """Write ``obj`` as indented JSON to ``path`` atomically, its keys sorted
    unless ``sort_keys`` is False (then in the order of the dicts, which a
    run reading the file back keeps: a resumed run must order its rows and
    plots as an uninterrupted one)."""
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=sort_keys,
                                              default=json_default) + "\n")


def checksum(obj):
    """SHA-256 of ``obj`` as canonical JSON (sorted keys), hex.

    ``obj`` goes through JSON once first, so an object and what JSON gives
    back for it have the same checksum (int keys become strings, and sort as
    strings: ``{-5: .., 0: ..}`` and its loaded copy agree)."""
    plain = json.loads(json.dumps(obj, default=json_default))
    blob = json.dumps(plain, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()


def write_cached(path, key, result, **extra):
    """Store ``result`` atomically with the key of what produced it and a
    checksum, so that :func:`read_cached` recognises a foreign or edited file.
    The order of every dict of ``result`` is kept."""
    return atomic_write_json(path, {**extra, "key": key, "checksum": checksum(result),
                                    "result": result}, sort_keys=False)


def warn_recompute(path, why):
    """One line on stderr: the stored file ``path`` is not used (``why``)."""
    print(f"analogfe: {path}: {why}; recomputing", file=sys.stderr)


def read_json_object(path):
    """The JSON object (dict) stored in ``path``; None when the file is missing,
    and None with a warning (:func:`warn_recompute`) when it is unreadable or
    holds something else than an object."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        warn_recompute(path, f"unreadable ({type(exc).__name__})")
        return None
    if not isinstance(d, dict):
        warn_recompute(path, f"holds a JSON {type(d).__name__}, not an object")
        return None
    return d


def inside(path, root, what):
    """``path`` resolved (links followed); ValueError naming ``what`` when it
    lies outside the folder ``root`` (resolved too): a file named by a
    dataset or a state file may not make analogfe read outside its folder."""
    real, base = Path(path).resolve(), Path(root).resolve()
    if real != base and base not in real.parents:
        raise ValueError(f"{path}: {what} resolves to {real}, outside {base}; refused "
                         "(links and paths that leave the folder are not followed)")
    return real


def read_cached(path, key, required=()):
    """The ``result`` stored by :func:`write_cached` under ``key``, or None.

    None when the file is missing; also, with one line on stderr, when it is
    unreadable, not such a file, stored for another key (configuration), edited
    since (checksum), or when its result lacks one of the ``required`` keys.
    """
    path = Path(path)
    if not path.is_file():
        return None
    why = None
    try:
        d = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        d, why = None, f"unreadable ({type(exc).__name__})"
    if why is None and not (isinstance(d, dict) and isinstance(d.get("result"), dict)):
        why = "not a stored result"
    elif why is None and d.get("key") != key:
        why = "stored for another configuration"
    elif why is None and d.get("checksum") != checksum(d["result"]):
        why = "checksum does not match (edited or foreign)"
    elif why is None and any(k not in d["result"] for k in required):
        why = "incomplete"
    if why is not None:
        warn_recompute(path, why)
        return None
    return d
