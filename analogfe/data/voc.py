"""PASCAL VOC / PASCALRAW layout: XML annotations, splits, raw or JPEG images.

Layout (PASCAL VOC; PASCALRAW uses the same annotation format)::

    root/
      Annotations/<id>.xml          one VOC XML per image
      ImageSets/Main/train.txt      image ids, one per line (val.txt, ...)
      JPEGImages/<id>.jpg           8-bit sRGB images, or
      <raw dir>/<id>.png|tiff|nef|dng   12-bit raw mosaics / camera raw files

Boxes are returned as ``(x0, y0, x1, y1)`` half-open 0-based pixels: VOC's
1-based inclusive corners ``xmin..xmax`` become ``x0 = xmin - 1, x1 = xmax``.
When the image file's resolution differs from the annotation's ``<size>``
(PASCALRAW annotates 600 x 400 while its NEF files are 6034 x 4012), boxes are
scaled by ``image_width / annotation_width`` horizontally and
``image_height / annotation_height`` vertically.

References
----------
M. Everingham et al., "The PASCAL Visual Object Classes (VOC) Challenge",
IJCV 88(2):303-338, 2010.
A. Omid-Zohoor et al., IEEE TCSVT 28(5):1102-1115, 2018 (PASCALRAW: Nikon
D3200 12-bit RGGB, classes person, car, bicycle; Stanford Digital Repository
purl hq050zr7488).
"""
from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._io import inside
from .._validation import check_choice, check_int
from ..scene.io import IMAGE_SUFFIXES, read_image
from ..scene.raw import RAW_SUFFIXES
from .crops import make_crops

__all__ = [
    "VOC_CLASSES",
    "PASCALRAW_CLASSES",
    "VOCObject",
    "VOCRecord",
    "VOCDataset",
    "parse_voc_xml",
    "load_voc",
]

#: The 20 PASCAL VOC classes.
VOC_CLASSES = (
    "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat",
    "chair", "cow", "diningtable", "dog", "horse", "motorbike", "person",
    "pottedplant", "sheep", "sofa", "train", "tvmonitor",
)
#: The three PASCALRAW classes (Omid-Zohoor et al. 2018).
PASCALRAW_CLASSES = ("person", "car", "bicycle")
#: Image folders tried, in order, when ``image_dir`` is not given.
IMAGE_DIRS = ("JPEGImages", "RawImages", "raw", "PNGImages", "images")
_SUFFIX_ORDER = RAW_SUFFIXES + IMAGE_SUFFIXES


@dataclass(frozen=True)
class VOCObject:
    """One annotated object.

    Attributes
    ----------
    name : str
        Class name.
    box : (4,) ndarray of float64
        ``(x0, y0, x1, y1)`` half-open, in annotation pixels.
    difficult, truncated : bool
    """

    name: str
    box: np.ndarray
    difficult: bool
    truncated: bool


@dataclass(frozen=True)
class VOCRecord:
    """One annotation file: the image it describes and its objects."""

    image_id: str
    annotation_path: Path
    filename: str | None
    width: int
    height: int
    objects: tuple


def _text(node, tag, path, field):
    child = node.find(tag)
    if child is None or child.text is None or not child.text.strip():
        raise ValueError(f"annotation {path} lacks the required field {field!r}")
    return child.text.strip()


def _number(node, tag, path, field):
    text = _text(node, tag, path, field)
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"annotation {path}: field {field!r} is not a number: {text!r}") from None


def parse_voc_xml(path):
    """Parse one PASCAL VOC annotation file.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    record : VOCRecord
        Boxes in annotation pixels, half-open 0-based.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    ValueError
        Malformed XML, or a required field (``size/width``, ``size/height``,
        ``object/name``, ``object/bndbox/xmin`` ...) missing or invalid; the
        message names the file and the field.
    """
    path = Path(os.fspath(path))
    if not path.is_file():
        raise FileNotFoundError(f"annotation file not found: {path}")
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise ValueError(f"annotation {path} is not valid XML: {exc}") from None
    size = root.find("size")
    if size is None:
        raise ValueError(f"annotation {path} lacks the required field 'size'")
    width = int(_number(size, "width", path, "size/width"))
    height = int(_number(size, "height", path, "size/height"))
    if width < 1 or height < 1:
        raise ValueError(f"annotation {path}: size {width} x {height} is not positive")
    objects = []
    for k, obj in enumerate(root.findall("object")):
        name = _text(obj, "name", path, f"object[{k}]/name")
        bnd = obj.find("bndbox")
        if bnd is None:
            raise ValueError(f"annotation {path} lacks the required field 'object[{k}]/bndbox'")
        xmin, ymin, xmax, ymax = (
            _number(bnd, t, path, f"object[{k}]/bndbox/{t}") for t in ("xmin", "ymin", "xmax", "ymax")
        )
        if xmax < xmin or ymax < ymin:
            raise ValueError(
                f"annotation {path}: object[{k}] box has xmax < xmin or ymax < ymin "
                f"({xmin}, {ymin}, {xmax}, {ymax})"
            )
        box = np.array([max(xmin - 1.0, 0.0), max(ymin - 1.0, 0.0),
                        min(xmax, float(width)), min(ymax, float(height))], dtype=np.float64)
        flags = {}
        for flag in ("difficult", "truncated"):
            node = obj.find(flag)
            flags[flag] = bool(node is not None and node.text and node.text.strip() not in ("0", ""))
        objects.append(VOCObject(name.lower(), box, flags["difficult"], flags["truncated"]))
    fname = root.find("filename")
    filename = fname.text.strip() if fname is not None and fname.text and fname.text.strip() else None
    if filename is not None:
        _bare_name(filename, "<filename>", path)
    return VOCRecord(path.stem, path, filename, width, height, tuple(objects))


def _bare_name(name, what, source):
    """``name`` if it is a plain file name inside its folder; a name that is
    absolute, holds a path separator or ``..`` would let a dataset read files
    outside itself, and is refused."""
    if (not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name
            or Path(name).is_absolute() or ".." in Path(name).parts):
        raise ValueError(f"{source}: {what} {name!r} is not a plain file name inside the dataset "
                         "folder (absolute paths, separators and '..' are refused)")
    return name


def _checked(path, root, what):
    """``path`` itself, once it is known to resolve inside ``root``."""
    inside(path, root, what)
    return path


class VOCDataset:
    """A dataset in the PASCAL VOC / PASCALRAW layout.

    Parameters
    ----------
    root : str or path-like
        Dataset folder (the one holding ``Annotations/``).
    split : str, optional
        Name of an ``ImageSets/Main/<split>.txt`` list (``"train"``, ``"val"``,
        ``"trainval"``, ``"test"``); None takes every annotation file.
    classes : sequence of str, optional
        Keep only objects of these classes (e.g. :data:`PASCALRAW_CLASSES`);
        default: every class found. Labels are ``1 + classes.index(name)``;
        0 is the background.
    include_difficult : bool
        Keep objects flagged ``difficult``.
    image_dir : str, optional
        Image folder under ``root``; default the first of :data:`IMAGE_DIRS`
        that exists.
    image_suffix : str, optional
        Take ``<id><suffix>`` as the image (e.g. ``".png"`` for the raw PNGs
        when JPEGs sit in the same folder). Default: the XML ``filename`` if
        that file exists, else the first file named ``<id>.*`` in the order
        raw (NEF, DNG ...), then PNG, JPEG, TIFF.
    raw_bits : int
        Significant bits of 16-bit PNG / TIFF raw files (12 for PASCALRAW).
    black_level : int
        Black level of 16-bit PNG / TIFF raw files, DN; camera raw files carry
        their own.
    cfa : str, optional
        Bayer pattern of 16-bit raw files (``"RGGB"`` for PASCALRAW), used by
        :meth:`load_linear`; camera raw files carry their own.

    Raises
    ------
    FileNotFoundError
        Missing root, annotation folder, split file, annotation or image file
        (the message names it).
    ValueError
        Malformed annotations, an empty split, class names that the
        dataset does not hold (the message lists the valid ones), or a split
        file, annotation or image file that resolves outside ``root`` (a
        link out of the dataset is not followed).
    """

    def __init__(self, root, *, split=None, classes=None, include_difficult=True,
                 image_dir=None, image_suffix=None, raw_bits=12, black_level=0, cfa=None):
        self.root = Path(os.fspath(root))
        if not self.root.is_dir():
            raise FileNotFoundError(f"dataset folder not found: {self.root}")
        ann_dir = self.root / "Annotations"
        if not ann_dir.is_dir():
            raise FileNotFoundError(f"annotation folder not found: {ann_dir}")
        self.image_set = split
        if split is None:
            ids = sorted(p.stem for p in ann_dir.glob("*.xml"))
        else:
            list_path = self.root / "ImageSets" / "Main" / f"{split}.txt"
            if not list_path.is_file():
                found = sorted(p.stem for p in (self.root / "ImageSets" / "Main").glob("*.txt"))
                raise FileNotFoundError(
                    f"split file not found: {list_path}; splits present: {', '.join(found) or 'none'}"
                )
            inside(list_path, self.root, "split file")
            ids = [_bare_name(line.split()[0], "image id", list_path)
                   for line in list_path.read_text().splitlines() if line.strip()]
        if not ids:
            raise ValueError(f"no images in {self.image_set or 'Annotations'} of {self.root}")
        records = [parse_voc_xml(_checked(ann_dir / f"{i}.xml", self.root, "annotation"))
                   for i in ids]
        found = sorted({o.name for r in records for o in r.objects})
        if classes is None:
            self.classes = tuple(found)
        else:
            if isinstance(classes, str):
                classes = (classes,)
            valid = tuple(sorted(set(VOC_CLASSES) | set(found)))
            self.classes = tuple(check_choice(str(c).lower(), "class", valid) for c in classes)
            if not self.classes:
                raise ValueError("classes must name at least one class")
        keep = set(self.classes)
        self.records = [
            VOCRecord(r.image_id, r.annotation_path, r.filename, r.width, r.height,
                      tuple(o for o in r.objects if o.name in keep and (include_difficult or not o.difficult)))
            for r in records
        ]
        self.raw_bits = check_int(raw_bits, "raw_bits", low=1, high=16)
        self.black_level = check_int(black_level, "black_level", low=0, high=2**self.raw_bits - 2)
        if cfa is not None:
            from ..scene.cfa import CFA_PATTERNS

            check_choice(cfa, "cfa", CFA_PATTERNS)
        self.cfa = cfa
        self.image_dir = self._find_image_dir(image_dir)
        self.image_paths = [_checked(self._find_image(r, image_suffix), self.root, "image file")
                            for r in self.records]

    # -- files ------------------------------------------------------------
    def _find_image_dir(self, image_dir):
        if image_dir is not None:
            path = self.root / image_dir
            if not path.is_dir():
                raise FileNotFoundError(f"image folder not found: {path}")
            return path
        for name in IMAGE_DIRS:
            if (self.root / name).is_dir():
                return self.root / name
        raise FileNotFoundError(
            f"no image folder in {self.root}; looked for {', '.join(IMAGE_DIRS)} (pass image_dir=)"
        )

    def _find_image(self, record, suffix):
        d = self.image_dir
        if suffix is not None:
            path = d / f"{record.image_id}{suffix}"
            if not path.is_file():
                raise FileNotFoundError(f"image file not found: {path} (annotation {record.annotation_path})")
            return path
        if record.filename and (d / record.filename).is_file():
            return d / record.filename
        if not hasattr(self, "_by_stem"):
            self._by_stem = {}
            for p in d.iterdir():
                self._by_stem.setdefault(p.stem, []).append(p)
        candidates = [p for p in self._by_stem.get(record.image_id, []) if p.suffix.lower() in _SUFFIX_ORDER]
        if not candidates:
            raise FileNotFoundError(
                f"image file not found for {record.image_id!r} in {d} (annotation {record.annotation_path})"
            )
        return min(candidates, key=lambda p: _SUFFIX_ORDER.index(p.suffix.lower()))

    # -- access -------------------------------------------------------------
    def __len__(self):
        return len(self.records)

    def load_image(self, index):
        """The image file as stored: uint8 sRGB, or float32 linear raw in [0, 1]."""
        return read_image(self.image_paths[self._index(index)], raw_bits=self.raw_bits,
                          black_level=self.black_level)

    def load_linear(self, index):
        """Linear float32 in [0, 1]: raw files demosaicked (if ``cfa``), 8-bit files linearised.

        Returns ``(H, W)`` for monochrome raw, else ``(H, W, 3)``.
        """
        from ..scene.cfa import demosaic
        from ..scene.color import srgb_to_linear

        i = self._index(index)
        path = self.image_paths[i]
        if path.suffix.lower() in RAW_SUFFIXES:
            from ..scene import raw as _raw

            raw = _raw.load_raw(path)  # its own Bayer pattern, black and white levels
            image, cfa = np.ascontiguousarray(raw.data, dtype=np.float32), raw.cfa
        else:
            image, cfa = self.load_image(i), self.cfa
        if image.dtype == np.uint8:
            return srgb_to_linear(image)
        return demosaic(image, cfa) if cfa else image

    def annotations(self, index, image_shape=None):
        """Boxes, labels and difficult flags of one image.

        Parameters
        ----------
        index : int
        image_shape : (int, int), optional
            ``(H, W)`` of the loaded image; boxes are scaled from the
            annotation's size to it. Default: annotation pixels.

        Returns
        -------
        boxes : (K, 4) ndarray of float64
            Half-open ``(x0, y0, x1, y1)``.
        labels : (K,) ndarray of int64
            ``1 + classes.index(name)``.
        difficult : (K,) ndarray of bool
        """
        r = self.records[self._index(index)]
        boxes = np.array([o.box for o in r.objects], dtype=np.float64).reshape(-1, 4)
        if image_shape is not None:
            sy, sx = image_shape[0] / r.height, image_shape[1] / r.width
            boxes = boxes * np.array([sx, sy, sx, sy])
        labels = np.array([1 + self.classes.index(o.name) for o in r.objects], dtype=np.int64)
        difficult = np.array([o.difficult for o in r.objects], dtype=bool)
        return boxes, labels, difficult

    def crops(self, window=64, *, negatives_per_image=1, context=0.1, include_difficult=False,
              output="srgb", max_overlap=0.1, seed=0, indices=None):
        """Classification crops: every object, plus background windows.

        Parameters
        ----------
        window : int or (int, int)
            Output ``(height, width)``.
        negatives_per_image : int
            Background windows per image; at most ``max_overlap`` of any
            object's area lies inside one.
        context : float
            Margin around each object box (fraction).
        include_difficult : bool
            Also crop objects flagged difficult (background windows avoid
            them either way).
        output : {"srgb", "linear"}
            uint8 sRGB crops (the input of :func:`analogfe.frontend.emulate`)
            or float32 linear crops. Raw files are demosaicked first.
        max_overlap : float
            Largest fraction of an object's area inside a background window.
        seed : int
        indices : sequence of int, optional
            Crop only these images (default all).

        Returns
        -------
        X : (N, h, w[, 3]) ndarray
        y : (N,) ndarray of int64
            0 background, else ``1 + classes.index(name)``.
        classes : tuple of str
            ``("background", *self.classes)``.
        """
        from ..scene.color import linear_to_srgb

        check_choice(output, "output", ("srgb", "linear"))
        images, boxes, labels, ignored = [], [], [], []
        indices = range(len(self)) if indices is None else [self._index(i) for i in indices]
        for i in indices:
            image = self.load_linear(i)
            b, lab, diff = self.annotations(i, image.shape[:2])
            keep = np.ones(len(b), bool) if include_difficult else ~diff
            ignored.append(b[~keep])
            b, lab = b[keep], lab[keep]
            if output == "srgb":
                image = np.clip(np.rint(linear_to_srgb(image) * 255.0), 0, 255).astype(np.uint8)
            images.append(image)
            boxes.append(b)
            labels.append(lab)
        kinds = {im.ndim for im in images}
        if len(kinds) > 1:
            raise ValueError(f"images of {self.root} mix grey and colour; cannot stack their crops")
        X, y = make_crops(images, boxes, window, box_labels=labels,
                          negatives_per_image=negatives_per_image, context=context,
                          max_overlap=max_overlap, seed=seed, ignore_boxes=ignored,
                          image_names=[str(self.image_paths[i]) for i in indices])
        return X, y, ("background",) + self.classes

    def split(self, test_size=0.25, seed=0, *, window=64, **crop_kw):
        """Classification crops split by image into a train / test :class:`Split`.

        Images (not crops) are shuffled with ``seed`` and ``test_size`` of
        them (a fraction, at least one) go to the test side, so crops of one
        image never land on both sides. For the dataset's own train / val
        lists, open each with ``split="train"`` / ``split="val"`` and call
        :meth:`crops` instead.

        Parameters
        ----------
        test_size : float
            Fraction of the images in (0, 1).
        seed : int
        window : int or (int, int)
            Crop size, see :meth:`crops`.
        **crop_kw
            Passed to :meth:`crops` (``negatives_per_image``, ``output`` ...).

        Returns
        -------
        split : Split
            ``classes = ("background", *self.classes)``.
        """
        from .._validation import check_float
        from .builtin import Split

        test_size = check_float(test_size, "test_size", low=0.0, high=1.0, low_open=True)
        if len(self) < 2:
            raise ValueError(f"split needs at least 2 images, {self.root} has {len(self)}")
        order = np.random.default_rng(seed).permutation(len(self))
        n_test = min(len(self) - 1, max(1, int(round(test_size * len(self)))))
        X_tr, y_tr, classes = self.crops(window, seed=seed, indices=np.sort(order[n_test:]), **crop_kw)
        X_te, y_te, _ = self.crops(window, seed=seed, indices=np.sort(order[:n_test]), **crop_kw)
        return Split(X_tr, X_te, y_tr, y_te, classes)

    def _index(self, index):
        index = check_int(index, "index", low=-len(self), high=len(self) - 1)
        return index % len(self)

    def __repr__(self):
        n_obj = sum(len(r.objects) for r in self.records)
        return (f"VOCDataset({str(self.root)!r}, split={self.image_set!r}, images={len(self)}, "
                f"objects={n_obj}, classes={self.classes})")


def load_voc(root, **kwargs):
    """Open a PASCAL VOC / PASCALRAW folder; see :class:`VOCDataset` for the arguments.

    Examples
    --------
    >>> ds = load_voc("PASCALRAW", split="train", classes=PASCALRAW_CLASSES,
    ...               image_suffix=".png", cfa="RGGB")         # doctest: +SKIP
    >>> X, y, classes = ds.crops(64, negatives_per_image=2)      # doctest: +SKIP
    """
    return VOCDataset(root, **kwargs)
