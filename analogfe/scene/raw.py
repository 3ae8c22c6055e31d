"""Real camera raw files (DNG, NEF and the other formats LibRaw reads).

:func:`load_raw` reads a raw file through rawpy (LibRaw): the visible sensor
area, per-site black levels, the white level and the Bayer pattern from the
file's own metadata, normalised to linear [0, 1] float32, ready to be a
``scene`` of :class:`analogfe.sensor.Sensor` (a Bayer mosaic) or the input of
a front end. :func:`write_dng` saves a raw mosaic (e.g. a sensor readout) as a
DNG file (needs the optional ``pidng`` package).

The image is returned as stored on the sensor: no orientation flip, no
demosaic, no colour processing.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._io import atomic_write_bytes
from .._validation import check_array, check_choice, check_int

__all__ = ["RAW_SUFFIXES", "RawImage", "load_raw", "write_dng"]

#: Camera raw suffixes, read with rawpy (LibRaw reads every one of them).
RAW_SUFFIXES = (".nef", ".dng", ".cr2", ".arw", ".raw", ".cr3", ".raf", ".orf", ".rw2",
                ".pef", ".srw", ".nrw", ".3fr", ".erf", ".kdc", ".mrw")

from .cfa import CFA_PATTERNS


@dataclass
class RawImage:
    """A raw frame normalised to [0, 1].

    Attributes
    ----------
    data : (H, W) ndarray, float32
        ``(raw - black) / (white - black)`` clipped to [0, 1], linear.
    cfa : str or None
        Bayer pattern of the top-left 2x2 tile (e.g. ``"RGGB"``); ``None``
        for a monochrome sensor.
    black_level : float
        Mean black level, DN (``black_level_per_site`` has each site's).
    white_level : float
        Saturation level, DN.
    path : str
        The file it came from.
    black_level_per_site : tuple of float
        Black level of each site of the 2x2 tile in row-major order, DN.
    raw_dn : (H, W) ndarray, uint16 or None
        The stored integer values (kept when ``keep_dn=True``).
    """

    data: np.ndarray
    cfa: str | None
    black_level: float
    white_level: float
    path: str
    black_level_per_site: tuple = ()
    raw_dn: np.ndarray | None = None

    @property
    def shape(self):
        return self.data.shape


def _pattern_name(raw_pattern, color_desc, num_colors):
    """LibRaw's (2, 2) colour indices + colour description -> "RGGB" etc.;
    None for a monochrome sensor; "unsupported" for anything else."""
    if raw_pattern is None or num_colors == 1:
        return None
    pat = np.asarray(raw_pattern)
    if pat.shape != (2, 2):
        return "unsupported"
    desc = color_desc.decode("ascii", "replace") if isinstance(color_desc, bytes) else str(color_desc)
    try:
        name = "".join(desc[int(i)] for i in pat.ravel())
    except IndexError:
        return "unsupported"
    return name if name in CFA_PATTERNS else "unsupported"


def load_raw(path, *, keep_dn=False):
    """Read a raw file (DNG, NEF, CR2, ARW, ...) into a normalised :class:`RawImage`.

    Parameters
    ----------
    path : str or os.PathLike
        The raw file.
    keep_dn : bool
        Also keep the integer values in ``raw_dn``.

    Returns
    -------
    RawImage

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        ``path`` is a directory, is not a raw file LibRaw can read, is
        corrupt, or has a colour filter other than a 2x2 RGB Bayer pattern
        (e.g. X-Trans, CYGM); the message names the path.
    TypeError
        ``path`` is not a str or path.

    Examples
    --------
    >>> img = load_raw("photo.NEF")  # doctest: +SKIP
    >>> img.cfa, img.data.dtype
    ('RGGB', dtype('float32'))
    """
    import rawpy

    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"path {str(p)!r} does not exist")
    if p.is_dir():
        raise ValueError(f"path {str(p)!r} is a directory, not a raw file")
    try:
        with rawpy.imread(str(p)) as raw:
            dn = np.array(raw.raw_image_visible, copy=True)
            colors = np.array(raw.raw_colors_visible, copy=True)
            blacks = np.asarray(raw.black_level_per_channel, dtype=np.float64)
            per_channel = raw.camera_white_level_per_channel
            white = float(raw.white_level)
            if per_channel and max(per_channel) > 0:
                white = float(max(per_channel))
            cfa = _pattern_name(raw.raw_pattern, raw.color_desc, raw.num_colors)
    except (rawpy.LibRawError, OSError) as exc:
        raise ValueError(f"path {str(p)!r} is not a readable raw file: "
                         f"{type(exc).__name__}: {exc}") from None
    if cfa == "unsupported" or dn.ndim != 2:
        raise ValueError(f"path {str(p)!r}: only 2x2 RGB Bayer and monochrome raw "
                         "files are supported")
    if dn.size == 0:
        raise ValueError(f"path {str(p)!r} holds an empty image")
    black_map = blacks[np.clip(colors, 0, len(blacks) - 1)]
    site_black = tuple(float(black_map[i, j]) for i in range(min(2, dn.shape[0]))
                       for j in range(min(2, dn.shape[1])))
    if white <= black_map.max():
        raise ValueError(f"path {str(p)!r}: white level {white} is not above the "
                         f"black level {black_map.max()}")
    data = (dn.astype(np.float64) - black_map) / (white - black_map)
    data = np.ascontiguousarray(np.clip(data, 0.0, 1.0), dtype=np.float32)
    return RawImage(data=data, cfa=cfa, black_level=float(np.mean(site_black)),
                    white_level=white, path=str(p), black_level_per_site=site_black,
                    raw_dn=dn if keep_dn else None)


def write_dng(path, dn, cfa="RGGB", *, black_level=0, white_level=None, bits=16):
    """Save a raw mosaic as an uncompressed DNG (atomically).

    Parameters
    ----------
    path : str or os.PathLike
        Output file; ``.dng`` is the usual suffix.
    dn : (H, W) ndarray, unsigned int
        Raw digital numbers, e.g. :meth:`analogfe.sensor.Sensor.readout`.
    cfa : {"RGGB", "BGGR", "GRBG", "GBRG"}
        Bayer pattern of the top-left tile.
    black_level : int
        DN of no light.
    white_level : int, optional
        Saturation DN; default ``2**bits - 1``.
    bits : int
        Bits per sample, 8..16.

    Returns
    -------
    path : pathlib.Path

    Notes
    -----
    LibRaw (hence rawpy and :func:`load_raw`) refuses images smaller than 22
    pixels on a side; other DNG readers may accept them.

    Raises
    ------
    ImportError
        The optional package ``pidng`` is not installed.
    """
    try:
        from pidng.core import RAW2DNG, DNGTags, Tag
        from pidng.defs import (
            CalibrationIlluminant,
            CFAPattern,
            DNGVersion,
            Orientation,
            PhotometricInterpretation,
        )
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("write_dng needs the optional package 'pidng' "
                          "(pip install pidng)") from None
    check_choice(cfa, "cfa", CFA_PATTERNS)
    bits = check_int(bits, "bits", low=8, high=16)
    dn = check_array(dn, "dn", ndim=2, kinds="u")
    if dn.max() > 2**bits - 1:
        raise ValueError(f"dn has values above 2**bits - 1 = {2**bits - 1}")
    black_level = check_int(black_level, "black_level", low=0, high=2**bits - 2)
    white_level = 2**bits - 1 if white_level is None else check_int(
        white_level, "white_level", low=black_level + 1, high=2**bits - 1)
    h, w = dn.shape
    t = DNGTags()
    t.set(Tag.ImageWidth, w)
    t.set(Tag.ImageLength, h)
    t.set(Tag.TileWidth, w)
    t.set(Tag.TileLength, h)
    t.set(Tag.Orientation, Orientation.Horizontal)
    t.set(Tag.PhotometricInterpretation, PhotometricInterpretation.Color_Filter_Array)
    t.set(Tag.SamplesPerPixel, 1)
    t.set(Tag.BitsPerSample, bits)
    t.set(Tag.CFARepeatPatternDim, [2, 2])
    t.set(Tag.CFAPattern, getattr(CFAPattern, cfa))
    t.set(Tag.BlackLevel, black_level)
    t.set(Tag.WhiteLevel, white_level)
    t.set(Tag.ColorMatrix1, [[1, 1], [0, 1], [0, 1], [0, 1], [1, 1], [0, 1],
                             [0, 1], [0, 1], [1, 1]])
    t.set(Tag.CalibrationIlluminant1, CalibrationIlluminant.D65)
    t.set(Tag.AsShotNeutral, [[1, 1], [1, 1], [1, 1]])
    t.set(Tag.Make, "analogfe")
    t.set(Tag.Model, "emulated sensor")
    t.set(Tag.DNGVersion, DNGVersion.V1_4)
    t.set(Tag.DNGBackwardVersion, DNGVersion.V1_2)
    r = RAW2DNG()
    r.options(t, path="", compress=False)
    buf = r.convert(dn.astype(np.uint16), filename="")  # bytes, written below
    return atomic_write_bytes(path, buf)
