"""Image-folder classification layouts (torchvision's ``ImageFolder``).

Three layouts::

    flat                      grouped (group_by="folder")     pre-split
    root/                     root/                           root/
      <class_a>/*.png           <class_a>/<group>/*.png         train/<class>/*.png
      <class_b>/*.png           <class_b>/<group>/*.png         val/<class>/*.png   (optional)
                                                                test/<class>/*.png

A flat folder is split at random (stratified by class); a grouped folder by
group, so that every image of one source photograph or one identity lands on
the same side; a pre-split folder keeps its own split. Classes are the class
folder names in sorted order; label ``k`` is ``classes[k]``. Hidden files and
folders (starting with ``.``) are ignored.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._io import inside
from .._validation import check_choice, check_float
from ..scene.io import IMAGE_SUFFIXES, read_image, resize_image
from .builtin import Split
from .crops import check_window

__all__ = ["ImageSet", "load_image_folder", "load_presplit_folder", "is_presplit_folder",
           "count_images", "SPLIT_FOLDERS"]

#: Folder names of a pre-split image folder: ``train`` and ``test`` required,
#: ``val`` optional (the torchvision / ImageNet convention).
SPLIT_FOLDERS = ("train", "val", "test")

#: Ways of grouping a flat image folder (:func:`load_image_folder`'s
#: ``group_by``): ``None``, every image its own group; ``"folder"``, one
#: sub-folder of a class folder per group (a source image or an identity).
GROUP_BY = (None, "folder")


@dataclass(frozen=True)
class ImageSet:
    """Labelled images.

    Attributes
    ----------
    images : (N, H, W) or (N, H, W, 3) ndarray of uint8
        sRGB images.
    labels : (N,) ndarray of int64
    classes : tuple of str
    paths : tuple of pathlib.Path
        Source file of each image.
    groups : (N,) ndarray of str or None
        Group of each image (``group_by="folder"``: its class and sub-folder,
        ``"<class>/<group>"``); None when every image is its own group.

    Unpacks as ``images, labels = image_set``.
    """

    images: np.ndarray
    labels: np.ndarray
    classes: tuple
    paths: tuple
    groups: np.ndarray | None = None

    def __iter__(self):
        return iter((self.images, self.labels))

    def __len__(self):
        return len(self.images)

    def split(self, test_size=0.25, seed=0):
        """Train / test :class:`Split`, stratified by class.

        Without groups, scikit-learn's ``train_test_split``. With groups,
        ``test_size`` of each class's groups (at least one, and at least one
        left for training) go to the test side whole, chosen at random with
        ``seed``: no group has images on both sides.

        Raises
        ------
        ValueError
            A class with fewer than two groups.
        """
        from sklearn.model_selection import train_test_split

        if self.groups is None:
            X_train, X_test, y_train, y_test = train_test_split(
                self.images, self.labels, test_size=test_size, random_state=seed,
                stratify=self.labels,
            )
            return Split(X_train, X_test, y_train, y_test, self.classes)
        check_float(test_size, "test_size", low=0.0, high=0.99, low_open=True)
        test = _grouped_test_mask(self.labels, self.groups, self.classes, test_size, seed)
        return Split(self.images[~test], self.images[test], self.labels[~test], self.labels[test],
                     self.classes)


def _grouped_test_mask(labels, groups, classes, test_size, seed):
    """Boolean test mask: whole groups, ``test_size`` of each class's groups."""
    rng = np.random.default_rng(seed)
    test = np.zeros(len(labels), dtype=bool)
    for k, name in enumerate(classes):
        names = np.unique(groups[labels == k])
        if len(names) < 2:
            raise ValueError(f"class {name!r} has {len(names)} group(s); a grouped split needs "
                             "at least two per class (one for each side)")
        n_test = min(len(names) - 1, max(1, int(round(test_size * len(names)))))
        chosen = rng.permutation(names)[:n_test]
        test |= (labels == k) & np.isin(groups, chosen)
    return test


def _to_mode(image, mode, path):
    from ..scene.color import linear_to_srgb, rgb_to_gray, srgb_to_linear

    if mode == "rgb" and image.ndim == 2:
        return np.repeat(image[..., None], 3, axis=2)
    if mode == "gray" and image.ndim == 3:
        gray = linear_to_srgb(rgb_to_gray(srgb_to_linear(image)))
        return np.clip(np.rint(gray * 255.0), 0, 255).astype(np.uint8)
    return image


def _visible(entries):
    return [p for p in entries if not p.name.startswith(".")]


def _image_files(folder, suffixes):
    return sorted(p for p in _visible(folder.iterdir())
                  if p.is_file() and p.suffix.lower() in suffixes)


def _class_names(root, classes):
    present = sorted(p.name for p in _visible(root.iterdir()) if p.is_dir())
    if classes is None:
        classes = present
    else:
        classes = [check_choice(c, "class", present) for c in classes]
    if not classes:
        raise ValueError(f"no class folders in {root}")
    return list(classes)


def _read_one(path, mode, shape):
    image = read_image(path)
    if image.dtype != np.uint8:
        raise ValueError(f"image file {path} is not an 8-bit image (got {image.dtype})")
    image = _to_mode(image, mode, path)
    return resize_image(image, shape) if shape is not None else image


def _stack(images, root):
    if len({im.ndim for im in images}) > 1:
        raise ValueError(f"images in {root} mix grey and colour; pass mode='gray' or mode='rgb'")
    shapes = {im.shape for im in images}
    if len(shapes) > 1:
        raise ValueError(f"images in {root} differ in size ({sorted(shapes)[:3]} ...); pass size=")
    return np.stack(images)


def count_images(root, *, extensions=IMAGE_SUFFIXES):
    """Images per class folder of ``root/<class>/<image>``, without reading them.

    Returns
    -------
    dict
        Class name -> number of image files, classes in sorted order.
    """
    root = Path(os.fspath(root))
    if not root.is_dir():
        raise FileNotFoundError(f"image folder not found: {root}")
    suffixes = tuple(s.lower() for s in extensions)
    return {c: len(_image_files(root / c, suffixes)) for c in _class_names(root, None)}


def load_image_folder(root, *, size=None, mode=None, classes=None, extensions=IMAGE_SUFFIXES,
                      group_by=None):
    """Read an image-folder dataset (``root/<class>/<image>``).

    Parameters
    ----------
    root : str or path-like
    size : int or (int, int), optional
        Resize every image to ``(height, width)``; required when sizes differ.
    mode : {None, "gray", "rgb"}
        Convert every image to grey (Rec. 709 luminance on linear values) or
        RGB; None keeps them as stored and needs them all alike.
    classes : sequence of str, optional
        Read only these class folders, in this order.
    extensions : tuple of str
        File suffixes read (case-insensitive).
    group_by : {None, "folder"}
        None: images directly in each class folder, each its own group.
        ``"folder"``: ``root/<class>/<group>/<image>``, one sub-folder per
        source image or identity; :meth:`ImageSet.split` then keeps every
        group on one side.

    Returns
    -------
    data : ImageSet

    Raises
    ------
    FileNotFoundError
        ``root`` or a requested class folder is missing.
    ValueError
        No class folder, an empty class folder (named), an unreadable or
        non-8-bit image file (named), an image file that resolves outside
        ``root`` (a link out of the folder is not followed), mixed sizes
        without ``size``, or mixed grey / colour without ``mode``.

    Examples
    --------
    >>> from analogfe.data import load_image_folder  # doctest: +SKIP
    >>> split = load_image_folder("photos", size=32, group_by="folder").split(0.25)  # doctest: +SKIP
    """
    root = Path(os.fspath(root))
    if not root.is_dir():
        raise FileNotFoundError(f"image folder not found: {root}")
    if mode is not None:
        check_choice(mode, "mode", ("gray", "rgb"))
    check_choice(group_by, "group_by", GROUP_BY)
    classes = _class_names(root, classes)
    shape = check_window(size, "size") if size is not None else None
    suffixes = tuple(s.lower() for s in extensions)
    images, labels, paths, groups = [], [], [], []
    for k, name in enumerate(classes):
        if group_by == "folder":
            sub = sorted(p for p in _visible((root / name).iterdir()) if p.is_dir())
            files = [(f, f"{name}/{g.name}") for g in sub for f in _image_files(g, suffixes)]
        else:
            files = [(f, None) for f in _image_files(root / name, suffixes)]
        if not files:
            where = "in its group sub-folders " if group_by == "folder" else ""
            raise ValueError(f"class folder {root / name} holds no images {where}"
                             f"({', '.join(suffixes)})")
        for path, group in files:
            inside(path, root, "image file")
            images.append(_read_one(path, mode, shape))
            labels.append(k)
            paths.append(path)
            groups.append(group)
    return ImageSet(_stack(images, root), np.asarray(labels, dtype=np.int64), tuple(classes),
                    tuple(paths), np.asarray(groups) if group_by is not None else None)


def is_presplit_folder(root):
    """True when ``root`` holds ``train/`` and ``test/`` folders (a pre-split layout)."""
    try:
        root = Path(os.fspath(root))
    except TypeError:
        return False
    return (root / "train").is_dir() and (root / "test").is_dir()


def load_presplit_folder(root, *, size=None, mode=None, classes=None, extensions=IMAGE_SUFFIXES):
    """Read a pre-split image folder (``root/{train,val,test}/<class>/<image>``).

    The classes are those of ``train/`` (sorted, or ``classes``); ``test/``
    and ``val/`` may lack a class but hold no other. ``val/``, when present,
    becomes the split's validation side (``X_val``, ``y_val``), which model
    selection uses instead of a hold-out of the training images.

    Parameters
    ----------
    root : str or path-like
    size, mode, classes, extensions
        As :func:`load_image_folder`.

    Returns
    -------
    split : Split

    Raises
    ------
    FileNotFoundError
        ``root``, ``root/train`` or ``root/test`` is missing.
    ValueError
        A class in ``test/`` or ``val/`` that ``train/`` lacks, or as
        :func:`load_image_folder`.
    """
    root = Path(os.fspath(root))
    if not is_presplit_folder(root):
        raise FileNotFoundError(f"pre-split image folder needs {root / 'train'} and {root / 'test'}")
    classes = _class_names(root / "train", classes)
    parts = {}
    for part in SPLIT_FOLDERS:
        folder = root / part
        if not folder.is_dir():
            continue
        inside(folder, root, "split folder")
        extra = sorted(set(_class_names(folder, None)) - set(classes))
        if extra:
            raise ValueError(f"{folder} holds class folder(s) {extra} that {root / 'train'} "
                             f"does not (classes: {classes})")
        present = [c for c in classes if (folder / c).is_dir()]
        got = load_image_folder(folder, size=size, mode=mode, classes=present,
                                extensions=extensions)
        # labels index the training classes, whatever this part lacks
        parts[part] = (got.images, np.asarray([classes.index(present[j]) for j in got.labels],
                                              dtype=np.int64))
    shapes = {x.shape[1:] for x, _ in parts.values()}
    if len(shapes) > 1:
        raise ValueError(f"images of {root} differ in size across {', '.join(parts)} "
                         f"({sorted(shapes)}); pass size=")
    val = parts.get("val", (None, None))
    return Split(parts["train"][0], parts["test"][0], parts["train"][1], parts["test"][1],
                 tuple(classes), X_val=val[0], y_val=val[1])
