"""Reading image files with errors that name the file.

Shared by the VOC / PASCALRAW reader and the image-folder reader.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .._validation import check_int
from .raw import RAW_SUFFIXES, load_raw

__all__ = ["IMAGE_SUFFIXES", "read_image", "resize_image"]

#: Suffixes read as ordinary image files (8-bit sRGB, or 16-bit linear raw).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".pgm", ".ppm")


def read_image(path, *, raw_bits=12, black_level=0):
    """Read one image file.

    Parameters
    ----------
    path : str or path-like
        An 8-bit image (PNG, JPEG, TIFF, ...), a 16-bit PNG/TIFF holding a
        linear raw mosaic of ``raw_bits`` significant bits, or a camera raw file
        (NEF, DNG, ...).
    raw_bits : int
        Significant bits of 16-bit files (12 for PASCALRAW).
    black_level : int
        DN of no light in 16-bit files. Their values map to
        ``(dn - black_level) / (2**raw_bits - 1 - black_level)``, clipped to
        [0, 1].

    Returns
    -------
    image : ndarray
        ``uint8`` sRGB ``(H, W)`` or ``(H, W, 3)`` for 8-bit files (an alpha
        channel is dropped); ``float32`` linear raw in [0, 1] for 16-bit files
        (``(H, W)``, or ``(H, W, 3)`` for 16-bit RGB) and camera raw files
        (``(H, W)``, the mosaic).

    Raises
    ------
    FileNotFoundError
        The file does not exist (the message names it).
    ValueError
        The file cannot be decoded, or a 16-bit file holds values above
        ``2**raw_bits - 1`` (the message names the file).
    """
    raw_bits = check_int(raw_bits, "raw_bits", low=1, high=16)
    black_level = check_int(black_level, "black_level", low=0, high=2 ** raw_bits - 2)
    path = Path(os.fspath(path))
    if not path.is_file():
        raise FileNotFoundError(f"image file not found: {path}")
    suffix = path.suffix.lower()
    if suffix in RAW_SUFFIXES:
        try:
            return np.ascontiguousarray(load_raw(path).data, dtype=np.float32)
        except (FileNotFoundError, ValueError):
            raise
        except Exception as exc:
            raise ValueError(f"cannot read raw file {path}: {exc}") from exc
    import imageio.v3 as iio

    plugin = "tifffile" if suffix in (".tif", ".tiff") else "pillow"
    try:
        image = np.asarray(iio.imread(path, plugin=plugin))
    except Exception as exc:
        raise ValueError(f"cannot read image file {path}: {exc}") from exc
    if image.ndim == 3 and image.shape[-1] in (2, 4):  # drop alpha
        image = image[..., :-1] if image.shape[-1] == 4 else image[..., 0]
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[-1] != 3):
        raise ValueError(f"image file {path} has unsupported shape {image.shape}")
    if image.dtype == np.uint8:
        return np.ascontiguousarray(image)
    if image.dtype == np.uint16:
        white = 2 ** int(raw_bits) - 1
        peak = int(image.max()) if image.size else 0
        if peak > white:
            raise ValueError(
                f"image file {path} holds values up to {peak}, above the "
                f"{raw_bits}-bit white level {white}; pass raw_bits=16"
            )
        scaled = (image.astype(np.float32) - np.float32(black_level)) / np.float32(white - black_level)
        return np.clip(scaled, 0.0, 1.0).astype(np.float32)
    if image.dtype == bool:
        return (image.astype(np.uint8) * 255).astype(np.uint8)
    raise ValueError(f"image file {path} has unsupported dtype {image.dtype}")


def resize_image(image, shape):
    """Resize to ``shape`` (H, W), keeping the dtype (uint8 rounds, floats stay).

    Anti-aliasing is used when shrinking (skimage's Gaussian pre-filter),
    bilinear interpolation otherwise.
    """
    from skimage.transform import resize

    shape = (int(shape[0]), int(shape[1]))
    if image.shape[:2] == shape:
        return image.copy()
    shrink = shape[0] < image.shape[0] or shape[1] < image.shape[1]
    out = resize(
        image.astype(np.float32),
        shape + image.shape[2:],
        order=1,
        mode="edge",
        anti_aliasing=shrink,
        preserve_range=True,
    )
    if image.dtype == np.uint8:
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return out.astype(image.dtype if image.dtype.kind == "f" else np.float32)
