"""Scene loading: an image file, a camera raw file, a scikit-image sample or an
array -> a linear scene for the sensor.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .camera import unprocess
from .io import read_image
from .raw import RAW_SUFFIXES, load_raw

__all__ = ["SAMPLES", "load_scene"]


#: scikit-image samples usable by name (all ship with scikit-image, no download).
SAMPLES = ("astronaut", "camera", "coffee", "chelsea", "rocket", "page", "moon",
           "coins", "text", "brick", "grass", "gravel", "immunohistochemistry")


def _fit_image(image, max_side):
    """Resize an sRGB image (keeping its aspect) so its longer side is <= max_side."""
    h, w = image.shape[:2]
    if max(h, w) <= max_side:
        return image
    from skimage.transform import resize

    f = max_side / max(h, w)
    shape = (max(8, int(round(h * f))), max(8, int(round(w * f))))
    out = resize(image, shape + image.shape[2:], anti_aliasing=True, preserve_range=True)
    return np.clip(np.round(out), 0, np.iinfo(image.dtype).max).astype(image.dtype)


def _fit_mosaic(raw, max_side, cfa):
    """Subsample a raw frame by whole 2x2 quads so its Bayer pattern survives."""
    h, w = raw.shape
    k = int(np.ceil(max(h, w) / max_side))
    if k <= 1:
        return raw
    if cfa is None:
        return np.ascontiguousarray(raw[::k, ::k])
    q = raw[: h // 2 * 2, : w // 2 * 2].reshape(h // 2, 2, w // 2, 2)[::k, :, ::k, :]
    return np.ascontiguousarray(q.reshape(q.shape[0] * 2, q.shape[2] * 2))


def load_scene(source, *, cfa=None, max_side=1024, seed=None):
    """Turn an input into a linear scene in [0, 1] for the sensor.

    Parameters
    ----------
    source : str, path or ndarray
        A camera raw file (DNG, NEF, ...; read with rawpy, black and white
        levels applied, CFA from the file), an image file, a scikit-image
        sample name (see :data:`SAMPLES`), or an sRGB array.
    cfa : None or str
        Bayer pattern to unprocess an sRGB image into (``None``: monochrome).
        Raw files keep their own pattern. :func:`simulate` passes the
        configured ``sensor.cfa``, RGGB when not set (a colour camera: every
        front end then reads the same Bayer electrons, and the log-gradient
        front end bins each 2x2 quad to one value).
    max_side : int
        Larger inputs are subsampled (raw: by whole Bayer quads).
    seed : None or int
        Seed of the unprocessing camera (``None``: the default camera).

    Returns
    -------
    scene : (H, W) float32
        Linear camera raw in [0, 1].
    cfa : str or None
        The Bayer pattern of ``scene``.
    label : str
        What was read.
    """

    if max_side < 8:
        raise ValueError(f"max_side must be >= 8, got {max_side}")
    if isinstance(source, np.ndarray):
        img, label = source, "array"
    else:
        s = str(source)
        path = Path(s)
        if path.suffix.lower() in RAW_SUFFIXES:
            if not path.is_file():
                raise FileNotFoundError(f"raw file not found: {path}")
            raw = load_raw(path)
            data = np.asarray(raw.data, dtype=np.float32)
            return _fit_mosaic(data, max_side, raw.cfa), raw.cfa, str(path)
        if path.is_dir():
            raise ValueError(f"{path} is a folder; give one image or camera raw file")
        if path.is_file():
            img, label = read_image(path), str(path)
            if img.dtype == np.float32:  # a 16-bit linear raw mosaic file
                return _fit_mosaic(img, max_side, cfa), cfa, label
        elif s in SAMPLES:
            import skimage.data

            img, label = getattr(skimage.data, s)(), f"skimage.data.{s}"
        elif path.suffix or "/" in s or "\\" in s:
            raise FileNotFoundError(f"input file not found: {path}")
        else:
            raise ValueError(f"{s!r} is neither a file nor a built-in sample; "
                             f"valid samples: {', '.join(SAMPLES)}")
    img = np.asarray(img)
    if img.ndim == 3 and img.shape[-1] == 4:
        img = img[..., :3]
    if img.dtype != np.uint8:
        if img.dtype.kind == "f":
            img = np.round(np.clip(img, 0, 1) * 255).astype(np.uint8)
        elif img.dtype == np.bool_:
            img = img.astype(np.uint8) * 255
        elif img.dtype != np.uint16:
            raise TypeError(f"image must be uint8, uint16 or float, got {img.dtype}")
    img = _fit_image(img, max_side)
    return unprocess(img, cfa=cfa, seed=seed), cfa, label
