"""Datasets: built-in and offline, PASCAL VOC / PASCALRAW, image folders, raw files,
and a torch ``Dataset`` that emulates the sensor and front end with a disk cache.

* :func:`load_lfw` -- the LFW face / non-face subset shipped with scikit-image.
* :func:`make_wakeup_scenes` -- faces on natural backgrounds, 1 to 10,000 lux.
* :func:`load_textures` -- fine, low-contrast detail on generated surfaces
  (three classes; train and test from independent streams).
* :func:`load_voc` -- PASCAL VOC / PASCALRAW layout (XML, splits, raw images).
* :func:`load_image_folder` -- ``root/<class>/<image>`` (or
  ``root/<class>/<group>/<image>``, split by group);
  :func:`load_presplit_folder` -- ``root/{train,val,test}/<class>/<image>``.
* :func:`make_glyphs` -- a many-class few-shot set: characters of many
  scripts drawn on natural textures (:mod:`analogfe.data.glyphs`).
* :func:`fetch` -- LFW (one folder per identity) and PASCALRAW into a local
  cache, for users with internet (:mod:`analogfe.data.remote`).
* :func:`load_dataset` -- any of the above by name or path;
  :func:`load_split` -- any of them as a train / test split of
  classification images.

Boxes are ``(x0, y0, x1, y1)``, 0-based, half-open, in pixels of their image.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..scene.io import read_image, resize_image
from .builtin import (
    BACKGROUNDS,
    DEFAULT_OPTICS,
    LFW_CLASSES,
    Split,
    WakeupScenes,
    lfw_faces,
    load_lfw,
    make_wakeup_scenes,
    scene_signal_e,
)
from .crops import crop_box, make_crops, sample_negatives
from .textures import TEXTURE_CLASSES, load_textures, make_textures
from .remote import REMOTE_DATASETS, fetch, held_out_identities, load_lfw_identities
from .folder import (
    SPLIT_FOLDERS,
    ImageSet,
    count_images,
    is_presplit_folder,
    load_image_folder,
    load_presplit_folder,
)
from .glyphs import GlyphSet, glyph_pool, make_glyphs
from .voc import PASCALRAW_CLASSES, VOC_CLASSES, VOCDataset, load_voc, parse_voc_xml

__all__ = [
    "BACKGROUNDS", "DEFAULT_OPTICS", "LFW_CLASSES", "PASCALRAW_CLASSES", "VOC_CLASSES",
    "Split", "WakeupScenes", "ImageSet", "VOCDataset", "GlyphSet", "glyph_pool", "make_glyphs",
    "load_lfw", "lfw_faces", "make_wakeup_scenes", "scene_signal_e", "load_voc", "parse_voc_xml",
    "load_image_folder", "load_presplit_folder", "is_presplit_folder", "SPLIT_FOLDERS",
    "count_images", "TEXTURE_CLASSES", "load_textures", "make_textures", "REMOTE_DATASETS", "fetch", "load_lfw_identities", "held_out_identities",
    "read_image", "resize_image", "crop_box", "make_crops", "sample_negatives",
    "DATASETS", "load_dataset", "load_split",
]

def _wakeup_scenes(n=200, **kwargs):
    return make_wakeup_scenes(n, **kwargs)


#: Built-in datasets by name. A path to a folder is also accepted by
#: :func:`load_dataset`: a VOC layout (holding ``Annotations/``) or an image
#: folder (one sub-folder per class).
DATASETS = {
    "lfw": load_lfw,
    "wakeup-scenes": _wakeup_scenes,
    "textures": load_textures,
}


def load_dataset(name_or_path, **kwargs):
    """Load a dataset by name or folder.

    Parameters
    ----------
    name_or_path : str or path-like
        ``"lfw"`` (:func:`load_lfw`), ``"wakeup-scenes"``
        (:func:`make_wakeup_scenes`, ``n=200`` unless given), or a folder: a
        PASCAL VOC / PASCALRAW layout when it holds ``Annotations/``
        (:func:`load_voc`), else an image-folder layout
        (:func:`load_image_folder`), or a pre-split image folder holding
        ``train/`` and ``test/`` (:func:`load_presplit_folder`).
    **kwargs
        Passed to the loader.

    Returns
    -------
    Split, WakeupScenes, VOCDataset or ImageSet

    Raises
    ------
    ValueError
        Neither a known name nor an existing folder; the message lists the
        valid names.
    """
    if isinstance(name_or_path, str) and name_or_path in DATASETS:
        return DATASETS[name_or_path](**kwargs)
    try:
        path = Path(os.fspath(name_or_path))
    except TypeError:
        raise TypeError(f"name_or_path must be a name or a path, got {name_or_path!r}") from None
    if path.is_dir():
        if (path / "Annotations").is_dir():
            return load_voc(path, **kwargs)
        if is_presplit_folder(path):
            return load_presplit_folder(path, **kwargs)
        return load_image_folder(path, **kwargs)
    valid = ", ".join(repr(k) for k in DATASETS)
    raise ValueError(
        f"unknown dataset {str(name_or_path)!r}; valid: {valid}, or the path of an "
        "existing VOC / PASCALRAW folder or image folder"
    )


def load_split(name_or_path, *, test_size=0.25, seed=0, window=None, **kwargs):
    """Any dataset as a train / test :class:`Split` of classification images.

    One call for every dataset that :func:`load_dataset` knows:

    * ``"lfw"``: :func:`load_lfw` (``window`` resizes, as its ``size``);
    * an image folder: :func:`load_image_folder` then
      :meth:`ImageSet.split` (``window`` resizes; ``group_by="folder"``
      keeps each ``<class>/<group>/`` sub-folder on one side);
    * a pre-split image folder (``train/``, ``test/``, optional ``val/``):
      :func:`load_presplit_folder`, its own split (``test_size`` and
      ``seed`` unused);
    * ``"wakeup-scenes"``: :meth:`WakeupScenes.split`, crops of ``window``
      pixels (default 32), split by scene;
    * a VOC / PASCALRAW folder: :meth:`VOCDataset.split`, crops of ``window``
      pixels (default 64), split by image.

    Parameters
    ----------
    name_or_path : str or path-like
    test_size : float
        Fraction for the test side.
    seed : int
        Seed of the split (and of the crops).
    window : int or (int, int), optional
        Size of every classification image.
    **kwargs
        Passed to the loader (e.g. ``n`` and ``lux_range`` for the scenes,
        ``classes`` for VOC, ``mode`` for an image folder).

    Returns
    -------
    split : Split
    """
    if isinstance(name_or_path, str) and name_or_path == "lfw":
        return load_lfw(seed=seed, test_size=test_size, size=window, **kwargs)
    if isinstance(name_or_path, str) and name_or_path == "textures":
        return load_textures(seed=seed, test_size=test_size, size=window or 32, **kwargs)
    is_folder = not (isinstance(name_or_path, str) and name_or_path in DATASETS)
    if is_folder and window is not None and not _is_voc(name_or_path):
        kwargs.setdefault("size", window)
    if is_folder and is_presplit_folder(name_or_path):
        return load_presplit_folder(name_or_path, **kwargs)
    dataset = load_dataset(name_or_path, **kwargs)
    if isinstance(dataset, ImageSet):
        return dataset.split(test_size=test_size, seed=seed)
    crop_kw = {} if window is None else {"window": window}
    return dataset.split(test_size=test_size, seed=seed, **crop_kw)


def _is_voc(path):
    try:
        return (Path(os.fspath(path)) / "Annotations").is_dir()
    except TypeError:
        return False
