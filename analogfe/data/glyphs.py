"""A many-class, offline few-shot set: glyphs of many scripts on natural textures.

Meta-learning needs hundreds of classes and nothing may be downloaded, so the
set is generated the way Omniglot was collected (many alphabets, 20 drawings
per character, Lake et al. 2015): every class is one character of one of the
scripts that the DejaVu fonts installed with matplotlib cover (Latin, Greek,
Cyrillic, Armenian, Georgian, Hebrew, Arabic, Cherokee, Canadian syllabics,
arrows, mathematical and miscellaneous symbols, dingbats ...), and every
drawing of it is rendered in a randomly chosen DejaVu style (Sans, Serif,
Mono; regular, bold, oblique) with its own random affine warp, elastic
distortion (Simard et al. 2003) and stroke weight (grey-scale dilation or
erosion), then pasted in a random ink colour on a crop of one of
scikit-image's photographs under a random illumination ramp. Compositing is
done on linear values; the images are returned as 8-bit sRGB, which is what
:func:`analogfe.frontend.emulate` takes.

Characters whose glyph a font lacks, renders blank, or that look like a class
already kept (e.g. Latin ``o``, Greek omicron and Cyrillic ``o``; ``a`` and
``a`` with an accent) are dropped: two classes are kept only when their
size-normalised reference bitmaps differ (:data:`DISTINCT_MAX_CORRELATION`).

* :func:`glyph_pool` -- every usable character, in a fixed order.
* :func:`make_glyphs` -- ``n_classes`` x ``n_drawings`` images, seeded.
* :meth:`GlyphSet.split_classes` -- meta-train / meta-val / meta-test by class.

References
----------
B. M. Lake, R. Salakhutdinov, J. B. Tenenbaum, "Human-level concept learning
through probabilistic program induction", Science 350(6266):1332-1338, 2015,
doi:10.1126/science.aab3050.
P. Y. Simard, D. Steinkraus, J. C. Platt, "Best practices for convolutional
neural networks applied to visual document analysis", ICDAR 2003,
doi:10.1109/ICDAR.2003.1227801.
"""
from __future__ import annotations

import functools
import os
import unicodedata
from dataclasses import dataclass

import numpy as np

from .._validation import check_float, check_int
from ..scene.color import linear_to_srgb
from ..scene.io import resize_image
from .builtin import _background

__all__ = ["GLYPH_FONTS", "GLYPH_BLOCKS", "GLYPH_BACKGROUNDS", "DISTINCT_MAX_CORRELATION",
           "GlyphSet", "glyph_pool", "make_glyphs"]

#: The font styles a drawing is rendered in (matplotlib's bundled DejaVu).
GLYPH_FONTS = (
    "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf",
    "DejaVuSans-BoldOblique.ttf", "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf",
    "DejaVuSerif-Italic.ttf", "DejaVuSerif-BoldItalic.ttf", "DejaVuSansMono.ttf",
    "DejaVuSansMono-Bold.ttf", "DejaVuSansMono-Oblique.ttf", "DejaVuSansMono-BoldOblique.ttf",
)

#: Unicode blocks the classes are drawn from: (first, last) code points.
GLYPH_BLOCKS = (
    (0x0021, 0x007E),  # Basic Latin (letters, digits, punctuation)
    (0x00C0, 0x024F),  # Latin-1 letters, Latin Extended-A and -B
    (0x0370, 0x03FF),  # Greek and Coptic
    (0x0400, 0x052F),  # Cyrillic and its supplement
    (0x0531, 0x058A),  # Armenian
    (0x05D0, 0x05EA),  # Hebrew letters
    (0x0621, 0x064A),  # Arabic letters
    (0x10A0, 0x10FF),  # Georgian
    (0x13A0, 0x13F4),  # Cherokee
    (0x1401, 0x167F),  # Unified Canadian Aboriginal Syllabics
    (0x2190, 0x21FF),  # Arrows
    (0x2200, 0x22FF),  # Mathematical operators
    (0x2300, 0x23FF),  # Miscellaneous technical
    (0x25A0, 0x25FF),  # Geometric shapes
    (0x2600, 0x26FF),  # Miscellaneous symbols
    (0x2700, 0x27BF),  # Dingbats
    (0x2C80, 0x2CFF),  # Coptic
    (0x2D30, 0x2D7F),  # Tifinagh
    (0xA4D0, 0xA4FF),  # Lisu
)

#: Backgrounds: scikit-image photographs and textures without printed text
#: (``page`` and ``text`` would put glyphs of other classes behind a glyph).
GLYPH_BACKGROUNDS = ("brick", "chelsea", "clock", "coffee", "coins", "grass", "gravel",
                     "moon", "rocket", "hubble_deep_field")

#: Two characters are distinct classes when the correlation of their
#: size-normalised 16 x 16 reference bitmaps (DejaVu Sans) is at most this.
DISTINCT_MAX_CORRELATION = 0.85

_REF = 16        # side of the reference bitmap used to compare classes
_RENDER_PX = 48  # glyph rendering size in pixels (before the warp and the downsampling)


def _font_path(name):
    import matplotlib

    return os.path.join(matplotlib.get_data_path(), "fonts", "ttf", name)


@functools.lru_cache(maxsize=None)
def _font(name):
    from matplotlib.ft2font import FT2Font

    return FT2Font(_font_path(name))


@functools.lru_cache(maxsize=None)
def _charmap(name):
    return frozenset(_font(name).get_charmap())


@functools.lru_cache(maxsize=65536)
def _bitmap(font_name, code):
    """The glyph of ``code`` in ``font_name`` cropped to its ink, float32 in [0, 1],
    or None when the font lacks it or it renders blank."""
    from matplotlib.ft2font import LoadFlags

    if code not in _charmap(font_name):
        return None
    font = _font(font_name)
    font.set_size(_RENDER_PX, 72)
    font.set_text(chr(code), 0.0, flags=LoadFlags.NO_HINTING)
    font.draw_glyphs_to_bitmap(antialiased=True)
    img = np.asarray(font.get_image(), dtype=np.float32) / 255.0
    rows, cols = np.nonzero(img > 0.2)
    if len(rows) < 8:
        return None
    img = img[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    img.setflags(write=False)
    return img


def _fit(bitmap, side, fill=0.8):
    """``bitmap`` scaled (aspect kept) to fill ``fill`` of a ``side`` square, centred."""
    from scipy import ndimage

    h, w = bitmap.shape
    s = fill * side / max(h, w)
    out_h, out_w = max(1, int(round(h * s))), max(1, int(round(w * s)))
    zoomed = ndimage.zoom(bitmap, (out_h / h, out_w / w), order=1, grid_mode=True,
                          mode="grid-constant")
    canvas = np.zeros((side, side), np.float32)
    r0, c0 = (side - out_h) // 2, (side - out_w) // 2
    canvas[r0:r0 + out_h, c0:c0 + out_w] = np.clip(zoomed, 0.0, 1.0)
    return canvas


def _reference(code):
    ref = _fit(_bitmap(GLYPH_FONTS[0], code), _REF).ravel()
    ref = ref - ref.mean()
    return ref / max(float(np.linalg.norm(ref)), 1e-6)


@functools.lru_cache(maxsize=4)
def glyph_pool(min_fonts=6, max_correlation=DISTINCT_MAX_CORRELATION):
    """Every usable character, in a fixed order, as distinct classes.

    A character is usable when DejaVu Sans and at least ``min_fonts`` of
    :data:`GLYPH_FONTS` draw it (not blank); it is kept when its reference
    bitmap correlates at most ``max_correlation`` with every character kept
    before it (code-point order within :data:`GLYPH_BLOCKS`).

    Parameters
    ----------
    min_fonts : int
        Fonts (styles) that must draw the character.
    max_correlation : float
        Largest correlation of two classes' reference bitmaps.

    Returns
    -------
    codes : tuple of (int, tuple of str)
        Code point and the fonts that draw it, per class.
    """
    check_int(min_fonts, "min_fonts", low=1, high=len(GLYPH_FONTS))
    check_float(max_correlation, "max_correlation", low=0.0, high=1.0)
    kept, refs = [], np.zeros((0, _REF * _REF), np.float32)
    for lo, hi in GLYPH_BLOCKS:
        for code in range(lo, hi + 1):
            cat = unicodedata.category(chr(code))
            if cat[0] in "CZM" or _bitmap(GLYPH_FONTS[0], code) is None:
                continue
            fonts = tuple(f for f in GLYPH_FONTS if _bitmap(f, code) is not None)
            if len(fonts) < min_fonts:
                continue
            ref = _reference(code)
            if len(refs) and float((refs @ ref).max()) > max_correlation:
                continue
            kept.append((code, fonts))
            refs = np.vstack([refs, ref[None]])
    return tuple(kept)


@dataclass(frozen=True)
class GlyphSet:
    """Drawings of many character classes.

    Attributes
    ----------
    images : (N, H, W, 3) ndarray of uint8
        sRGB drawings, class by class (``n_drawings`` consecutive per class).
    labels : (N,) ndarray of int64
        Class index of each drawing, 0 .. n_classes - 1.
    classes : tuple of str
        Class names: code point, character and its Unicode name.
    seed : int
        The seed the set was generated with.
    """

    images: np.ndarray
    labels: np.ndarray
    classes: tuple
    seed: int

    @property
    def n_classes(self):
        return len(self.classes)

    def split_classes(self, fractions=(0.6, 0.1, 0.3), seed=0):
        """Classes split into meta-train / meta-val / meta-test, disjoint.

        Parameters
        ----------
        fractions : (float, float, float)
            Fractions of the classes; they must sum to 1 and each side gets
            at least one class.
        seed : int
            Seed of the class permutation.

        Returns
        -------
        dict
            ``"train"``, ``"val"``, ``"test"``: sorted int64 arrays of class
            indices.
        """
        if len(fractions) != 3:
            raise ValueError(f"fractions must hold three numbers, got {fractions!r}")
        f = [check_float(x, f"fractions[{i}]", low=0.0, high=1.0) for i, x in enumerate(fractions)]
        if abs(sum(f) - 1.0) > 1e-6:
            raise ValueError(f"fractions must sum to 1, got {fractions!r}")
        n = self.n_classes
        n_val, n_test = int(round(f[1] * n)), int(round(f[2] * n))
        n_train = n - n_val - n_test
        if min(n_train, n_val, n_test) < 1:
            raise ValueError(f"fractions={fractions!r} leave a side without classes "
                             f"({n} classes: {n_train} / {n_val} / {n_test})")
        perm = np.random.default_rng([int(seed), 7]).permutation(n)
        return {"train": np.sort(perm[:n_train]), "val": np.sort(perm[n_train:n_train + n_val]),
                "test": np.sort(perm[n_train + n_val:])}


def _class_name(code):
    return f"U+{code:04X} {chr(code)} {unicodedata.name(chr(code), '?')}"


def make_glyphs(n_classes=600, n_drawings=20, *, size=28, seed=0, contrast=(0.35, 0.9),
                shading=0.6):
    """Generate ``n_classes`` characters x ``n_drawings`` drawings on textures.

    Drawing ``j`` of class ``i`` depends only on ``(seed, i, j)``; the classes
    are the first ``n_classes`` of a seeded permutation of :func:`glyph_pool`.

    Parameters
    ----------
    n_classes : int
        Classes (at most ``len(glyph_pool())``, about 1,400).
    n_drawings : int
        Drawings per class (Omniglot: 20).
    size : int
        Side of each image, pixels (8 to 128).
    seed : int
    contrast : (float, float)
        Range of the ink's opacity.
    shading : float
        Depth of the illumination ramp across the image (0: uniform light).

    Returns
    -------
    GlyphSet

    Raises
    ------
    ValueError
        ``n_classes`` beyond the pool, a size or count out of range.
    """
    pool = glyph_pool()
    n_classes = check_int(n_classes, "n_classes", low=1, high=len(pool))
    n_drawings = check_int(n_drawings, "n_drawings", low=1, high=10_000)
    size = check_int(size, "size", low=8, high=128)
    seed = check_int(seed, "seed", low=0)
    lo, hi = (check_float(c, "contrast", low=0.0, high=1.0) for c in contrast)
    shading = check_float(shading, "shading", low=0.0, high=1.0)
    chosen = np.random.default_rng([seed, 1]).permutation(len(pool))[:n_classes]
    images = np.empty((n_classes * n_drawings, size, size, 3), np.uint8)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    for i, p in enumerate(chosen):
        code, fonts = pool[int(p)]
        for j in range(n_drawings):
            rng = np.random.default_rng([seed, int(i), int(j), 2])
            images[i * n_drawings + j] = _draw(rng, code, fonts, size, (lo, hi), shading, yy, xx)
    labels = np.repeat(np.arange(n_classes, dtype=np.int64), n_drawings)
    classes = tuple(_class_name(pool[int(p)][0]) for p in chosen)
    return GlyphSet(images, labels, classes, seed)


def _draw(rng, code, fonts, size, contrast, shading, yy, xx):
    """One drawing: (size, size, 3) sRGB uint8."""
    font = fonts[int(rng.integers(len(fonts)))]
    big = 2 * size  # warp at twice the size, then average 2 x 2 (anti-aliasing)
    mask = _warp(rng, _stroke(rng, _fit(_bitmap(font, code), big, rng.uniform(0.6, 0.85))))
    mask = mask.reshape(size, 2, size, 2).mean(axis=(1, 3))
    bg = _texture(rng, size)
    bg = bg.mean() + rng.uniform(0.3, 0.8) * (bg - bg.mean())  # textures below the glyph
    if rng.random() < 0.7:
        ink = rng.uniform(0.0, 0.12, 3)                     # dark ink
    else:
        ink = rng.uniform(0.55, 1.0, 3)                     # light ink
    alpha = rng.uniform(*contrast) * mask[..., None]
    scene = bg * (1 - alpha) + ink * alpha
    theta = rng.uniform(0, 2 * np.pi)
    ramp = xx * np.cos(theta) + yy * np.sin(theta)
    ramp = (ramp - ramp.mean()) / max(float(np.ptp(ramp)), 1e-6)
    scene = np.clip(scene * (1.0 + rng.uniform(0.0, shading) * ramp)[..., None], 0.0, 1.0)
    return np.clip(np.rint(linear_to_srgb(scene) * 255.0), 0, 255).astype(np.uint8)


@functools.lru_cache(maxsize=64)
def _small_background(name, side):
    """Background ``name`` (linear RGB) resized once so its shorter side is ``side``."""
    bg = _background(name, True)
    f = side / min(bg.shape[:2])
    out = resize_image(bg, (max(side, int(round(bg.shape[0] * f))),
                            max(side, int(round(bg.shape[1] * f)))))
    out = np.ascontiguousarray(out, dtype=np.float32)
    out.setflags(write=False)
    return out


def _texture(rng, size):
    """A random square crop of a random background (1 to 3 image sides of the
    background's shorter side / 4), resized to ``size``, randomly mirrored."""
    from scipy import ndimage

    bg = _small_background(GLYPH_BACKGROUNDS[int(rng.integers(len(GLYPH_BACKGROUNDS)))], 4 * size)
    side = int(rng.integers(size, 3 * size + 1))
    r0 = int(rng.integers(0, bg.shape[0] - side + 1))
    c0 = int(rng.integers(0, bg.shape[1] - side + 1))
    crop = bg[r0:r0 + side, c0:c0 + side]
    if side != size:
        crop = ndimage.zoom(crop, (size / side, size / side, 1), order=1, grid_mode=True,
                            mode="nearest")[:size, :size]
    return crop[:, ::-1] if rng.random() < 0.5 else crop


def _stroke(rng, glyph):
    """Random stroke weight: grey-scale erosion, nothing, or dilation."""
    from scipy import ndimage

    r = int(rng.integers(-1, 3))  # -1 thinner, 0 as drawn, 1 or 2 bolder
    if r < 0:
        return ndimage.grey_erosion(glyph, size=(2, 2))
    if r > 0:
        return ndimage.grey_dilation(glyph, size=(r + 1, r + 1))
    return glyph


def _warp(rng, glyph, alpha=3.0, sigma=4.0):
    """Random affine warp (rotation, shear, anisotropic scale, shift) plus an
    elastic displacement field of ``alpha`` pixels smoothed by ``sigma``."""
    from scipy import ndimage

    n = glyph.shape[0]
    c = (n - 1) / 2.0
    rot, shear = rng.uniform(-0.26, 0.26), rng.uniform(-0.3, 0.3)
    sy, sx = rng.uniform(0.85, 1.15, 2)
    A = np.array([[np.cos(rot), -np.sin(rot)], [np.sin(rot), np.cos(rot)]]) @ \
        np.array([[1.0, shear], [0.0, 1.0]]) @ np.diag([1 / sy, 1 / sx])
    shift = rng.uniform(-0.08, 0.08, 2) * n
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float64)
    pts = np.stack([yy.ravel() - c - shift[0], xx.ravel() - c - shift[1]])
    src = A @ pts + c
    disp = [ndimage.gaussian_filter(rng.uniform(-1, 1, (n, n)), sigma) for _ in range(2)]
    disp = [alpha * d / max(float(np.abs(d).max()), 1e-9) for d in disp]
    coords = src.reshape(2, n, n) + np.stack(disp)
    return ndimage.map_coordinates(glyph, coords, order=1, mode="constant").astype(np.float32)
