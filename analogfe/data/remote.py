"""Fetch the anchors' datasets into a local cache, for users with internet.

Nothing here runs at import time or in the tests' default path: a dataset is
downloaded only when :func:`fetch` is called (``analogfe fetch NAME``), through
`pooch <https://www.fatiando.org/pooch>`_ into a cache folder
(``$ANALOGFE_DATA``, else the user cache, ``~/.cache/analogfe`` on Linux).
Where the host publishes a checksum, the download is verified against it;
otherwise the SHA-256 of the first download is recorded in the cache
(``checksums.json``) and every later call verifies the file against it.
Archives are unpacked once, refusing any member that would land outside the
cache folder.

* ``lfw``: Labeled Faces in the Wild, deep-funneled images, one folder per
  identity (13,233 images of 5,749 people), for tasks that hold out
  identities (:func:`load_lfw_identities`, :func:`held_out_identities`).
* ``pascalraw``: PASCALRAW (Omid-Zohoor et al. 2018), 12-bit raw images with
  PASCAL VOC boxes, read by :func:`analogfe.data.load_voc`.
"""
from __future__ import annotations

import json
import os
import tarfile
import zipfile
from pathlib import Path

import numpy as np

from .._io import atomic_write_json, atomic_write_text
from .._validation import check_choice, check_float, check_int
from .folder import ImageSet, load_image_folder

__all__ = ["REMOTE_DATASETS", "data_home", "fetch", "load_lfw_identities", "held_out_identities"]

#: Remote datasets: archive URL, file name, published SHA-256 (None: recorded at
#: the first download), the folder the archive unpacks to, and the source.
#: LFW's URL and checksum are those scikit-learn's ``fetch_lfw_people`` uses
#: (the deep-funneled archive; Huang et al., UMass Amherst TR 07-49, 2007).
#: PASCALRAW is the Stanford Digital Repository item hq050zr7488, whose host
#: publishes no checksum.
REMOTE_DATASETS = {
    "lfw": {
        "url": "https://ndownloader.figshare.com/files/5976015",
        "filename": "lfw-funneled.tgz",
        "sha256": "b47c8422c8cded889dc5a13418c4bc2abbda121092b3533a83306f90d900100a",
        "folder": "lfw_funneled",
        "source": "Labeled Faces in the Wild, http://vis-www.cs.umass.edu/lfw/",
    },
    "pascalraw": {
        "url": "https://stacks.stanford.edu/file/druid:hq050zr7488/PASCALRAW.zip",
        "filename": "PASCALRAW.zip",
        "sha256": None,
        "folder": "PASCALRAW",
        "source": "PASCALRAW, Stanford Digital Repository, https://purl.stanford.edu/hq050zr7488",
    },
}


def data_home(path=None):
    """The cache folder: ``path``, else ``$ANALOGFE_DATA``, else the user cache."""
    if path is None:
        path = os.environ.get("ANALOGFE_DATA")
    if path is None:
        import pooch

        path = pooch.os_cache("analogfe")
    return Path(os.fspath(path))


def _recorded(home):
    path = home / "checksums.json"
    try:
        got = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return got if isinstance(got, dict) else {}


def _unpack(archive, dest):
    """Unpack a .tgz / .zip into ``dest``, refusing members that leave it."""
    dest = dest.resolve()

    def inside(name):
        target = (dest / name).resolve()
        if target != dest and dest not in target.parents:
            raise ValueError(f"archive {archive} holds a member outside its folder: {name!r}")

    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            for name in z.namelist():
                inside(name)
            z.extractall(dest)
        return
    with tarfile.open(archive) as t:
        members = t.getmembers()
        for m in members:
            inside(m.name)
            if m.issym() or m.islnk():
                raise ValueError(f"archive {archive} holds a link: {m.name!r}")
        t.extractall(dest, members=members)


def fetch(name, *, data_home_path=None, url=None, progress=False):
    """Download (once) and unpack a dataset; the path of its folder.

    Parameters
    ----------
    name : {"lfw", "pascalraw"}
        See :data:`REMOTE_DATASETS`.
    data_home_path : path, optional
        The cache folder (:func:`data_home`).
    url : str, optional
        Another URL of the same archive (a mirror).
    progress : bool
        A download progress bar.

    Returns
    -------
    pathlib.Path
        The unpacked folder (LFW: ``<identity>/<identity>_NNNN.jpg``;
        PASCALRAW: its VOC layout).

    Raises
    ------
    ValueError
        An unknown name (the valid ones listed), a download whose checksum
        differs from the published or recorded one, or an archive member that
        would land outside the cache.
    """
    import pooch

    check_choice(name, "name", tuple(REMOTE_DATASETS))
    spec = REMOTE_DATASETS[name]
    home = data_home(data_home_path)
    home.mkdir(parents=True, exist_ok=True)
    folder = home / name / spec["folder"]
    recorded = _recorded(home)
    known = spec["sha256"] or recorded.get(name)
    try:
        archive = pooch.retrieve(url or spec["url"], known_hash=known and f"sha256:{known}",
                                 fname=spec["filename"], path=home / "downloads",
                                 progressbar=progress)
    except ValueError as e:  # pooch: the file's hash is not the known one
        raise ValueError(f"download of {name} from {url or spec['url']} does not match its "
                         f"{'published' if spec['sha256'] else 'recorded'} SHA-256 {known}: {e}") from None
    if known is None:
        recorded[name] = pooch.file_hash(archive, alg="sha256")
        atomic_write_json(home / "checksums.json", recorded)
    done = home / name / ".unpacked"
    if not (folder.is_dir() and done.is_file() and done.read_text() == (known or recorded[name])):
        _unpack(archive, home / name)
        atomic_write_text(done, known or recorded[name])
    if not folder.is_dir():
        raise ValueError(f"archive {archive} did not unpack to {folder}")
    return folder


def load_lfw_identities(root, *, min_faces_per_person=20, size=64, mode="gray"):
    """The LFW identities with enough images, as a labelled, grouped image set.

    Parameters
    ----------
    root : path
        The folder :func:`fetch` gave for ``"lfw"`` (``<identity>/<image>``).
    min_faces_per_person : int
        Keep the identities with at least this many images (20: 62 people,
        3,023 images).
    size : int or (int, int)
        Resize every image (LFW's are 250 x 250).
    mode : {"gray", "rgb"}

    Returns
    -------
    ImageSet
        ``classes`` the identities, ``groups`` the identity of each image.
    """
    check_int(min_faces_per_person, "min_faces_per_person", low=1)
    root = Path(os.fspath(root))
    if not root.is_dir():
        raise FileNotFoundError(f"LFW folder not found: {root}")
    keep = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")
                  and sum(1 for _ in p.glob("*.jpg")) >= min_faces_per_person)
    if not keep:
        raise ValueError(f"no identity in {root} has {min_faces_per_person} images or more")
    s = load_image_folder(root, size=size, mode=mode, classes=keep)
    return ImageSet(s.images, s.labels, s.classes, s.paths, np.asarray(s.classes)[s.labels])


def held_out_identities(image_set, test_size=0.25, seed=0):
    """Split an image set by identity: ``(seen, held_out)``, no person on both sides.

    The held-out identities are new classes (for few-shot enrollment, or
    verification); labels of each side index its own ``classes``.
    """
    check_float(test_size, "test_size", low=0.0, high=0.99, low_open=True)
    n = len(image_set.classes)
    if n < 2:
        raise ValueError("held_out_identities needs at least two identities")
    n_out = min(n - 1, max(1, int(round(test_size * n))))
    out = np.sort(np.random.default_rng(seed).permutation(n)[:n_out])

    def side(ids):
        mask = np.isin(image_set.labels, ids)
        remap = {int(c): j for j, c in enumerate(ids)}
        labels = np.asarray([remap[int(v)] for v in image_set.labels[mask]], dtype=np.int64)
        groups = None if image_set.groups is None else image_set.groups[mask]
        return ImageSet(image_set.images[mask], labels,
                        tuple(image_set.classes[i] for i in ids),
                        tuple(p for p, m in zip(image_set.paths, mask) if m), groups)

    return side(np.setdiff1d(np.arange(n), out)), side(out)
