"""Image-folder classification layout: one sub-folder per class.

Layout::

    root/
      <class_a>/*.png|jpg|...
      <class_b>/*.png|jpg|...

Classes are the sub-folder names in sorted order; label ``k`` is
``classes[k]``. Hidden files and folders (starting with ``.``) are ignored.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._io import inside
from .._validation import check_choice
from ..scene.io import IMAGE_SUFFIXES, read_image, resize_image
from .builtin import Split
from .crops import check_window

__all__ = ["ImageSet", "load_image_folder"]


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

    Unpacks as ``images, labels = image_set``.
    """

    images: np.ndarray
    labels: np.ndarray
    classes: tuple
    paths: tuple

    def __iter__(self):
        return iter((self.images, self.labels))

    def __len__(self):
        return len(self.images)

    def split(self, test_size=0.25, seed=0):
        """Stratified train / test :class:`Split` (scikit-learn's ``train_test_split``)."""
        from sklearn.model_selection import train_test_split

        X_train, X_test, y_train, y_test = train_test_split(
            self.images, self.labels, test_size=test_size, random_state=seed,
            stratify=self.labels,
        )
        return Split(X_train, X_test, y_train, y_test, self.classes)


def _to_mode(image, mode, path):
    from ..scene.color import linear_to_srgb, rgb_to_gray, srgb_to_linear

    if mode == "rgb" and image.ndim == 2:
        return np.repeat(image[..., None], 3, axis=2)
    if mode == "gray" and image.ndim == 3:
        gray = linear_to_srgb(rgb_to_gray(srgb_to_linear(image)))
        return np.clip(np.rint(gray * 255.0), 0, 255).astype(np.uint8)
    return image


def load_image_folder(root, *, size=None, mode=None, classes=None, extensions=IMAGE_SUFFIXES):
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
    """
    root = Path(os.fspath(root))
    if not root.is_dir():
        raise FileNotFoundError(f"image folder not found: {root}")
    if mode is not None:
        check_choice(mode, "mode", ("gray", "rgb"))
    present = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if classes is None:
        classes = present
    else:
        classes = [check_choice(c, "class", present) for c in classes]
    if not classes:
        raise ValueError(f"no class folders in {root}")
    shape = check_window(size, "size") if size is not None else None
    suffixes = tuple(s.lower() for s in extensions)
    images, labels, paths = [], [], []
    for k, name in enumerate(classes):
        files = sorted(p for p in (root / name).iterdir()
                       if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in suffixes)
        if not files:
            raise ValueError(f"class folder {root / name} holds no images ({', '.join(suffixes)})")
        for path in files:
            inside(path, root, "image file")
            image = read_image(path)
            if image.dtype != np.uint8:
                raise ValueError(f"image file {path} is not an 8-bit image (got {image.dtype})")
            image = _to_mode(image, mode, path)
            if shape is not None:
                image = resize_image(image, shape)
            images.append(image)
            labels.append(k)
            paths.append(path)
    if len({im.ndim for im in images}) > 1:
        raise ValueError(f"images in {root} mix grey and colour; pass mode='gray' or mode='rgb'")
    shapes = {im.shape for im in images}
    if len(shapes) > 1:
        raise ValueError(f"images in {root} differ in size ({sorted(shapes)[:3]} ...); pass size=")
    return ImageSet(np.stack(images), np.asarray(labels, dtype=np.int64), tuple(classes), tuple(paths))
