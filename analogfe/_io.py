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
           "read_cached"]


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


def atomic_write_json(path, obj):
    """Write ``obj`` as indented, key-sorted JSON to ``path`` atomically."""
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True,
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
    checksum, so that :func:`read_cached` recognises a foreign or edited file."""
    return atomic_write_json(path, {**extra, "key": key, "checksum": checksum(result),
                                    "result": result})


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
        print(f"analogfe: {path}: {why}; recomputing", file=sys.stderr)
        return None
    return d
