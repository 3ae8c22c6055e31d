"""Built-in, offline datasets: the LFW face / non-face subset and wake-up scenes.

Both come from files that scikit-image installs with itself
(``skimage.data``), so nothing is downloaded.

* :func:`load_lfw` -- the smallest real wake-up task: 100 faces and 100
  non-faces of 25 x 25 pixels (``skimage.data.lfw_subset``).
* :func:`make_wakeup_scenes` -- wake-up scenes: faces composited onto
  scikit-image's natural photographs and textures at random position, size and
  illumination (1 to 10,000 lux), with their boxes, seeded.
* :func:`scene_signal_e` -- the illuminance carried by a scene turned into the
  ``signal_e`` that :meth:`analogfe.Sensor.expose` and
  :func:`analogfe.frontend.emulate` take.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from .._validation import check_array, check_choice, check_float, check_int
from ..scene.color import linear_to_srgb, srgb_to_linear
from ..scene.io import resize_image
from .boxes import box_iou
from .crops import check_window, make_crops

__all__ = [
    "Split",
    "load_lfw",
    "lfw_faces",
    "LFW_CLASSES",
    "WakeupScenes",
    "make_wakeup_scenes",
    "BACKGROUNDS",
    "scene_signal_e",
    "DEFAULT_OPTICS",
]

#: Class names of the binary wake-up tasks: label 0 is the negative class.
LFW_CLASSES = ("non-face", "face")

#: Optics and exposure of the default wake-up camera, after the QVGA
#: log-gradient sensor of Young et al., JSSC 54(11), 2019 (5 um pixels, 30 fps);
#: f/2.0 and QE 0.6 are typical of a small always-on module (assumptions, not
#: from the paper).
DEFAULT_OPTICS = {
    "f_number": 2.0,
    "pixel_pitch_um": 5.0,
    "quantum_efficiency": 0.6,
    "exposure_s": 0.033,
    "reflectance": 1.0,
}


@dataclass(frozen=True)
class Split:
    """A train / test split of a labelled image set.

    Attributes
    ----------
    X_train, X_test : (N, H, W) or (N, H, W, 3) ndarray of uint8
        sRGB images.
    y_train, y_test : (N,) ndarray of int64
        Labels, indices into ``classes``.
    classes : tuple of str
        Class names; label 0 is the negative / background class.
    X_val, y_val : ndarray or None
        A validation side given with the data (a pre-split folder's
        ``val/``), which model selection uses instead of holding out part of
        the training images; None for most datasets.

    A Split unpacks like scikit-learn's ``train_test_split``:
    ``X_train, X_test, y_train, y_test = split``.
    """

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    classes: tuple
    X_val: np.ndarray | None = None
    y_val: np.ndarray | None = None

    def __iter__(self):
        return iter((self.X_train, self.X_test, self.y_train, self.y_test))


@functools.lru_cache(maxsize=1)
def _lfw_arrays():
    """All 200 LFW-subset images as uint8 sRGB and their labels (1 = face)."""
    import skimage.data

    faces = skimage.data.lfw_subset()  # (200, 25, 25) float64 in [0, 1]
    images = np.clip(np.rint(faces * 255.0), 0, 255).astype(np.uint8)
    # skimage documents (and a look confirms) 100 faces first, then 100 non-faces.
    labels = np.r_[np.ones(100, np.int64), np.zeros(100, np.int64)]
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def lfw_faces():
    """The 100 face crops of the LFW subset, (100, 25, 25) uint8 sRGB
    (read-only): the default targets of :func:`make_wakeup_scenes`. The
    subset carries no identity labels."""
    images, labels = _lfw_arrays()
    return images[labels == 1]


def load_lfw(seed=0, test_size=0.25, *, size=None):
    """The face / non-face subset of Labeled Faces in the Wild, split.

    200 grey 25 x 25 crops shipped with scikit-image
    (``skimage.data.lfw_subset``): 100 faces, then 100 non-faces (crops of other
    photographs). Stratified train / test split with a fixed seed.

    Parameters
    ----------
    seed : int
        Seed of the split; same seed, same split.
    test_size : float or int
        Fraction in (0, 1) or number of test images.
    size : int or (int, int), optional
        Resize every image to this ``(height, width)`` (bilinear, anti-aliased
        when shrinking), e.g. 32 for HOG with 8 x 8 cells or 64 for the CNN.
        Default: the native 25 x 25.

    Returns
    -------
    split : Split
        uint8 sRGB images ``(N, H, W)`` (grey; the values are the file's
        [0, 1] floats times 255, rounded), labels 1 = face, 0 = non-face,
        ``classes = ("non-face", "face")``. With ``test_size=0.25``: 150 train,
        50 test images, half of them faces.

    References
    ----------
    G. B. Huang, M. Ramesh, T. Berg, E. Learned-Miller, "Labeled Faces in the
    Wild", UMass Amherst TR 07-49, 2007.

    Examples
    --------
    >>> from analogfe.data import load_lfw
    >>> split = load_lfw(seed=0)
    >>> split.X_train.shape, split.X_test.shape
    ((150, 25, 25), (50, 25, 25))
    """
    from sklearn.model_selection import train_test_split

    seed = check_int(seed, "seed", low=0)
    if isinstance(test_size, (int, np.integer)) and not isinstance(test_size, bool):
        test_size = check_int(test_size, "test_size", low=2, high=198)
    else:
        test_size = check_float(test_size, "test_size", low=0.0, high=1.0, low_open=True)
        if test_size >= 1.0:
            raise ValueError(f"test_size must be < 1 as a fraction, got {test_size}")
    images, labels = _lfw_arrays()
    if size is not None:
        shape = check_window(size, "size")
        images = np.stack([resize_image(im, shape) for im in images])
    X_train, X_test, y_train, y_test = train_test_split(
        np.array(images), np.array(labels), test_size=test_size,
        random_state=seed, stratify=labels,
    )
    return Split(X_train, X_test, y_train, y_test, LFW_CLASSES)


# ---------------------------------------------------------------------------
# Wake-up scenes

#: Backgrounds: scikit-image's bundled photographs and textures without human
#: faces (``astronaut`` and ``camera`` show people, so a background window
#: could hold an unlabelled face).
BACKGROUNDS = (
    "brick", "chelsea", "clock", "coffee", "coins", "grass", "gravel",
    "hubble_deep_field", "moon", "page", "rocket", "text",
)


@functools.lru_cache(maxsize=None)
def _background(name, color):
    """Linear float32 of one skimage.data image: (H, W, 3), or (H, W) luminance."""
    import skimage.data

    from ..scene.color import rgb_to_gray

    image = np.asarray(getattr(skimage.data, name)())
    if image.dtype == bool:
        image = image.astype(np.uint8) * 255
    linear = srgb_to_linear(image[..., :3] if image.ndim == 3 else image)
    if color and linear.ndim == 2:
        linear = np.repeat(linear[..., None], 3, axis=2)
    elif not color and linear.ndim == 3:
        linear = rgb_to_gray(linear).astype(np.float32)
    linear.setflags(write=False)
    return linear


@dataclass
class WakeupScenes:
    """Wake-up scenes with their targets' boxes and illuminance.

    Attributes
    ----------
    images : (N, H, W) or (N, H, W, 3) ndarray of uint8
        sRGB scenes (the content: reflectances, gamma-encoded).
    boxes : list of (K_i, 4) ndarray of float64
        Target boxes per scene, ``(x0, y0, x1, y1)`` half-open pixels (the
        square the face crop was pasted into).
    lux : (N,) ndarray of float64
        Scene illuminance; :meth:`signal_e` turns it into electrons.
    labels : (N,) ndarray of int64
        1 if the scene holds at least one target, else 0.
    backgrounds : tuple of str
        The ``skimage.data`` image each scene was cut from.
    classes : tuple of str
        ``("non-face", "face")``.
    """

    images: np.ndarray
    boxes: list
    lux: np.ndarray
    labels: np.ndarray
    backgrounds: tuple
    classes: tuple = field(default=LFW_CLASSES)

    def __len__(self):
        return len(self.images)

    def signal_e(self, **optics):
        """Electrons per unit scene value for every scene, see :func:`scene_signal_e`."""
        return scene_signal_e(self.lux, **optics)

    def crops(self, window=32, *, negatives_per_image=2, context=0.0, max_overlap=0.1, seed=0):
        """Classification windows: every target, plus background windows.

        Returns ``(X, y, lux)``: crops ``(M, h, w[, 3])`` uint8, labels (1 face,
        0 background) and the lux of the scene each crop comes from. See
        :func:`analogfe.data.crops.make_crops` for the parameters.
        """
        X, y, src = make_crops(list(self.images), self.boxes, window,
                               negatives_per_image=negatives_per_image, context=context,
                               max_overlap=max_overlap, seed=seed, return_source=True)
        return X, y, self.lux[src]

    def split(self, test_size=0.25, seed=0, *, window=32, negatives_per_image=2, **crop_kw):
        """Classification crops split by scene into a train / test :class:`Split`.

        Scenes (not crops) are split, stratified by whether they hold a
        target, so no background is cut on both sides.

        Parameters
        ----------
        test_size : float or int
            Fraction or number of test scenes.
        seed : int
        window : int or (int, int)
        negatives_per_image : int
        **crop_kw
            Passed to :meth:`crops` (``context``, ``max_overlap``).

        Returns
        -------
        split : Split
            ``classes = ("non-face", "face")``.
        """
        from sklearn.model_selection import train_test_split

        stratify = self.labels if 0 < self.labels.sum() < len(self) else None
        idx_tr, idx_te = train_test_split(np.arange(len(self)), test_size=test_size,
                                          random_state=seed, stratify=stratify)
        parts = []
        for idx in (np.sort(idx_tr), np.sort(idx_te)):
            sub = WakeupScenes(self.images[idx], [self.boxes[i] for i in idx], self.lux[idx],
                               self.labels[idx], tuple(self.backgrounds[i] for i in idx))
            parts.append(sub.crops(window, negatives_per_image=negatives_per_image, seed=seed, **crop_kw))
        (X_tr, y_tr, _), (X_te, y_te, _) = parts
        return Split(X_tr, X_te, y_tr, y_te, self.classes)


def _ellipse_alpha(s):
    """(s, s) soft elliptical mask that hides the LFW crop's corners."""
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32) + 0.5
    r = np.sqrt(((xx - s / 2) / (0.42 * s)) ** 2 + ((yy - s / 2) / (0.5 * s)) ** 2)
    return np.clip((1.0 - r) / 0.15, 0.0, 1.0).astype(np.float32)


def _background_patch(rng, names, shape, color):
    """A random crop of a random background, resized to ``shape``, linear."""
    name = names[int(rng.integers(len(names)))]
    bg = _background(name, color)
    H, W = shape
    bh, bw = bg.shape[:2]
    ch_max = min(bh, bw * H / W)
    ch = rng.uniform(max(min(H, ch_max), 0.3 * ch_max), ch_max)
    cw = ch * W / H
    ch, cw = max(1, int(ch)), max(1, min(bw, int(round(cw))))
    r0 = int(rng.integers(0, bh - ch + 1))
    c0 = int(rng.integers(0, bw - cw + 1))
    patch = resize_image(bg[r0:r0 + ch, c0:c0 + cw], shape)
    if rng.random() < 0.5:
        patch = patch[:, ::-1]
    return name, np.ascontiguousarray(patch, dtype=np.float32)


def make_wakeup_scenes(n, *, size=(120, 160), seed=0, lux_range=(1.0, 1e4),
                       target_size=(24, 64), p_empty=0.5, max_targets=2,
                       targets=None, backgrounds=None, target_gain=(0.6, 1.4),
                       shading=0.5, color=False):
    """Wake-up scenes: faces on natural backgrounds under 1 to 10,000 lux.

    Each scene is a random crop of one of scikit-image's photographs or
    textures (:data:`BACKGROUNDS`), resized to ``size`` and randomly mirrored,
    lit by a smooth illumination ramp. With probability ``1 - p_empty`` it
    receives 1 to ``max_targets`` faces (LFW crops by default) pasted at random
    non-overlapping positions, with side drawn log-uniformly from
    ``target_size``, a random reflectance gain from ``target_gain`` and a soft
    elliptical edge (so the square crop boundary is no cue). Compositing is done
    on linear values; the result is encoded back to sRGB uint8.

    The illuminance is metadata: a lux value is drawn log-uniformly from
    ``lux_range`` per scene; :meth:`WakeupScenes.signal_e` (or
    :func:`scene_signal_e`) turns it into the ``signal_e`` of
    :func:`analogfe.frontend.emulate`, so dim scenes become shot-noise limited
    in the emulated sensor.

    Scene ``i`` depends only on ``(seed, i)`` and the other arguments: the first
    ``m`` scenes of ``make_wakeup_scenes(n, seed=s)`` equal
    ``make_wakeup_scenes(m, seed=s)``.

    Parameters
    ----------
    n : int
        Number of scenes.
    size : (int, int)
        ``(height, width)`` in pixels; default a quarter-QVGA 120 x 160.
    seed : int
        Same seed, identical scenes.
    lux_range : (float, float)
        Illuminance range in lux, ``0 < low <= high``.
    target_size : (int, int)
        Smallest and largest target side in pixels, at most ``min(size)``.
    p_empty : float
        Probability that a scene holds no target.
    max_targets : int
        Most targets in one scene.
    targets : (M, h, w) ndarray of uint8, optional
        Target images (grey sRGB), e.g. the faces of a held-out LFW split.
        Default: the 100 faces of :func:`load_lfw`'s source.
    backgrounds : sequence of str, optional
        Names from :data:`BACKGROUNDS`; default all.
    target_gain : (float, float)
        Range of the factor on the target's linear values (its reflectance
        relative to the original photograph).
    shading : float
        Peak-to-peak relative depth of the illumination ramp across the scene.
    color : bool
        Return RGB scenes ``(N, H, W, 3)`` (targets stay grey); else grey.

    Returns
    -------
    scenes : WakeupScenes

    Raises
    ------
    ValueError
        Bad ranges, unknown background names, or a target larger than the scene.

    Examples
    --------
    >>> from analogfe.data import make_wakeup_scenes
    >>> scenes = make_wakeup_scenes(4, seed=1)
    >>> scenes.images.shape, scenes.images.dtype
    ((4, 120, 160), dtype('uint8'))
    """
    n, seed, spec = _check_scene_args(n, size, seed, lux_range, target_size, p_empty,
                                      max_targets, targets, backgrounds, target_gain,
                                      shading, color)
    H, W = spec.shape
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    out = np.empty((n, H, W, 3) if color else (n, H, W), np.uint8)
    boxes, lux, bg_names = [], np.empty(n), []
    for i in range(n):
        rng = np.random.default_rng(np.random.SeedSequence([seed, i]))
        name, out[i], placed, lux[i] = _render_scene(rng, spec, yy, xx)
        boxes.append(placed)
        bg_names.append(name)
    labels = np.array([len(b) > 0 for b in boxes], dtype=np.int64)
    return WakeupScenes(out, boxes, lux, labels, tuple(bg_names))


@dataclass(frozen=True)
class _SceneSpec:
    """The checked arguments of :func:`make_wakeup_scenes` that every scene uses."""

    shape: tuple          # (H, W)
    lux_range: tuple      # (low, high) lux
    target_size: tuple    # (low, high) target side in pixels
    p_empty: float
    max_targets: int
    target_gain: tuple    # (low, high) factor on the target's linear values
    shading: float
    names: tuple          # background names
    pool_linear: np.ndarray  # (M, h, w) linear target images
    color: bool


def _check_scene_args(n, size, seed, lux_range, target_size, p_empty, max_targets, targets,
                      backgrounds, target_gain, shading, color):
    """Validate :func:`make_wakeup_scenes`' arguments: ``(n, seed, _SceneSpec)``."""
    n = check_int(n, "n", low=1)
    H, W = check_window(size, "size")
    seed = check_int(seed, "seed", low=0)
    lux_lo, lux_hi = _check_range(lux_range, "lux_range", low=0.0, low_open=True)
    t_lo, t_hi = _check_range(target_size, "target_size", low=1.0)
    if t_hi > min(H, W):
        raise ValueError(
            f"target_size {tuple(target_size)} is larger than the scene size ({H}, {W})"
        )
    p_empty = check_float(p_empty, "p_empty", low=0.0, high=1.0)
    max_targets = check_int(max_targets, "max_targets", low=1)
    g_lo, g_hi = _check_range(target_gain, "target_gain", low=0.0, low_open=True)
    shading = check_float(shading, "shading", low=0.0, high=1.0)
    names = BACKGROUNDS if backgrounds is None else tuple(backgrounds)
    if not names:
        raise ValueError("backgrounds must name at least one image")
    for name in names:
        check_choice(name, "background", BACKGROUNDS)
    if targets is None:
        images, labels = _lfw_arrays()
        pool = images[labels == 1]
    else:
        pool = check_array(targets, "targets", ndim=3, dtype=np.uint8, kinds="u")
    spec = _SceneSpec((H, W), (lux_lo, lux_hi), (t_lo, t_hi), p_empty, max_targets,
                      (g_lo, g_hi), shading, names, srgb_to_linear(pool), bool(color))
    return n, seed, spec


def _render_scene(rng, spec, yy, xx):
    """One scene from its own generator: ``(background name, sRGB uint8 image,
    target boxes (K, 4), lux)``. ``yy, xx`` are the pixel coordinate grids."""
    name, scene = _background_patch(rng, spec.names, spec.shape, spec.color)
    light = _light_ramp(rng, spec, yy, xx)
    placed = _paste_targets(rng, scene, spec)
    scene = np.clip(scene * (light[..., None] if spec.color else light), 0.0, 1.0)
    image = np.clip(np.rint(linear_to_srgb(scene) * 255.0), 0, 255).astype(np.uint8)
    lux_lo, lux_hi = spec.lux_range
    lux = np.exp(rng.uniform(np.log(lux_lo), np.log(lux_hi)))
    return name, image, placed, lux


def _light_ramp(rng, spec, yy, xx):
    """(H, W) illumination: 1 plus a linear ramp of random direction and depth."""
    H, W = spec.shape
    theta = rng.uniform(0, 2 * np.pi)
    ramp = (xx * np.cos(theta) / W + yy * np.sin(theta) / H)
    ramp = (ramp - ramp.mean()) / max(float(np.ptp(ramp)), 1e-6)
    return 1.0 + rng.uniform(0.0, spec.shading) * ramp


def _paste_targets(rng, scene, spec):
    """Paste 0 to ``max_targets`` targets into ``scene`` (in place) at
    non-overlapping squares; return their boxes (K, 4)."""
    k = 0 if rng.random() < spec.p_empty else int(rng.integers(1, spec.max_targets + 1))
    placed = np.zeros((0, 4))
    for _ in range(k):
        square = _free_square(rng, placed, spec)
        if square is None:
            continue
        _paste_target(rng, scene, *square, spec)
        placed = np.vstack([placed, _square_box(*square)])
    return placed


def _square_box(x0, y0, s):
    """(1, 4) float64 box of the square of side ``s`` at ``(x0, y0)``."""
    return np.array([[x0, y0, x0 + s, y0 + s]], dtype=np.float64)


def _free_square(rng, placed, spec):
    """``(x0, y0, s)`` of a random square (side log-uniform in ``target_size``)
    that overlaps none of ``placed``, or None after 50 tries."""
    H, W = spec.shape
    t_lo, t_hi = spec.target_size
    for _try in range(50):
        s = int(round(np.exp(rng.uniform(np.log(t_lo), np.log(t_hi)))))
        x0 = int(rng.integers(0, W - s + 1))
        y0 = int(rng.integers(0, H - s + 1))
        if not len(placed) or box_iou(_square_box(x0, y0, s), placed).max() == 0.0:
            return x0, y0, s
    return None


def _paste_target(rng, scene, x0, y0, s, spec):
    """Composite a random target, randomly mirrored and scaled by a random gain,
    into the square ``(x0, y0, s)`` of ``scene`` through a soft elliptical mask."""
    pool = spec.pool_linear
    face = resize_image(pool[int(rng.integers(len(pool)))], (s, s))
    if rng.random() < 0.5:
        face = face[:, ::-1]
    g_lo, g_hi = spec.target_gain
    face = np.clip(face * rng.uniform(g_lo, g_hi), 0.0, 1.0)
    alpha = _ellipse_alpha(s)
    if spec.color:  # grey target on a colour scene
        alpha, face = alpha[..., None], face[..., None]
    region = scene[y0:y0 + s, x0:x0 + s]
    scene[y0:y0 + s, x0:x0 + s] = alpha * face + (1 - alpha) * region


def _check_range(value, name, *, low=None, low_open=False):
    try:
        lo, hi = value
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a (low, high) pair, got {value!r}") from None
    lo = check_float(lo, f"{name}[0]", low=low, low_open=low_open)
    hi = check_float(hi, f"{name}[1]", low=low, low_open=low_open)
    if hi < lo:
        raise ValueError(f"{name} must have low <= high, got {value!r}")
    return lo, hi


def scene_signal_e(lux, *, f_number=DEFAULT_OPTICS["f_number"],
                   pixel_pitch_um=DEFAULT_OPTICS["pixel_pitch_um"],
                   quantum_efficiency=DEFAULT_OPTICS["quantum_efficiency"],
                   exposure_s=DEFAULT_OPTICS["exposure_s"],
                   reflectance=DEFAULT_OPTICS["reflectance"], max_signal_e=None):
    """Photo-electrons per unit linear scene value, from the illuminance.

    The scene's linear values are taken as reflectances, so ``signal_e`` is the
    mean charge that a white (reflectance 1) Lambertian surface lit by ``lux``
    collects in one pixel during one exposure; the physics is
    :func:`analogfe.sensor.electrons_from_lux` (sensor-plane illuminance
    ``E R / (4 N^2)``, 4.09e15 photons / (s m^2) per lux at 555 nm, EMVA 1288).
    With the defaults (:data:`DEFAULT_OPTICS`: f/2.0, 5 um pixel of the JSSC
    2019 sensor, QE 0.6, 33 ms) 1 lux gives about 127 e- and 10,000 lux about
    1.3e6 e-, far above a 10,000 e- full well; pass ``max_signal_e`` to model an
    auto-exposure that shortens the exposure so a white surface just fills it.

    Parameters
    ----------
    lux : float or (N,) array_like
        Scene illuminance ``E`` in lux, > 0.
    f_number : float
        Lens f-number ``N``.
    pixel_pitch_um : float
        Pixel pitch in micrometres (fill factor 1).
    quantum_efficiency : float
        QE in (0, 1] at 555 nm.
    exposure_s : float
        Longest exposure time in seconds.
    reflectance : float
        Reflectance that a scene value of 1.0 stands for.
    max_signal_e : float, optional
        Auto-exposure cap on the result (e.g. the full well, 10,000 e-).

    Returns
    -------
    signal_e : float or (N,) ndarray of float64

    References
    ----------
    EMVA Standard 1288, release 4.0, 2021.
    C. Young et al., IEEE JSSC 54(11):2932-2946, 2019 (5 um pixels).
    """
    from ..sensor import model as _sensor

    arr = check_array(lux, "lux", ndim=(0, 1), dtype=np.float64, nonnegative=True)
    if arr.size and arr.min() <= 0:
        raise ValueError(f"lux must be > 0, minimum is {arr.min()}")
    if max_signal_e is not None:
        max_signal_e = check_float(max_signal_e, "max_signal_e", low=0.0, low_open=True)
    values = np.array([
        float(_sensor.electrons_from_lux(float(v), f_number, pixel_pitch_um,
                                         quantum_efficiency, exposure_s, reflectance))
        for v in arr.ravel()
    ], dtype=np.float64).reshape(arr.shape)
    if max_signal_e is not None:
        values = np.minimum(values, max_signal_e)
    return float(values) if values.ndim == 0 else values
