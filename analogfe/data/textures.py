"""A built-in texture task: fine, low-contrast detail on generated surfaces.

The wake-up task asks whether a face is in a window: large, high-contrast
structure. This task asks what the fine detail of a surface is, at a contrast
of a few percent, which is where few-bit log-ratio codes and 8-bit images
differ most. Every image is generated from its own random stream (no
photograph, no face), so the training and test images share no pixel and no
source: the test side is drawn from a stream that training never sees.

Each image is a smooth 1/f^2 surface (a "cloudy" natural-image spectrum, up to
0.15 cycles per pixel) under
a random mean level (linear 0.1 to 0.6) and a random illumination ramp
(+-20 % across the window), and, by class:

* ``plain``: nothing more;
* ``grain``: isotropic fine grain (band-limited noise, periods of 2 to 4
  pixels) at a random contrast of 4 to 15 % of the local level;
* ``weave``: a fine grating (period 3 to 5 pixels, any orientation) at the
  same contrasts.

Images are stored as 8-bit sRGB, grey, as every built-in dataset is.
"""
from __future__ import annotations

import numpy as np

from .._validation import check_float, check_int
from ..scene.color import linear_to_srgb
from .builtin import Split

__all__ = ["TEXTURE_CLASSES", "make_textures", "load_textures"]

#: Class names of the texture task; label 0 (``plain``) is the negative class.
TEXTURE_CLASSES = ("plain", "grain", "weave")

#: Range of the fine component's contrast (standard deviation / local level).
CONTRAST_RANGE = (0.04, 0.15)


def _spectral_noise(rng, size, lo, hi, slope):
    """Zero-mean, unit-std noise with a power spectrum ~ f**-slope between
    frequencies ``lo`` and ``hi`` (cycles per pixel)."""
    fy = np.fft.fftfreq(size)[:, None]
    fx = np.fft.rfftfreq(size)[None, :]
    f = np.hypot(fy, fx)
    amp = np.where((f >= lo) & (f <= hi), np.maximum(f, 1e-6) ** (-slope / 2.0), 0.0)
    spec = amp * (rng.standard_normal(amp.shape) + 1j * rng.standard_normal(amp.shape))
    x = np.fft.irfft2(spec, s=(size, size))
    return (x - x.mean()) / max(x.std(), 1e-12)


def _one(rng, label, size):
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1) - 0.5
    level = rng.uniform(0.1, 0.6)
    theta = rng.uniform(0.0, 2 * np.pi)
    ramp = 1.0 + 0.4 * (np.cos(theta) * xx + np.sin(theta) * yy)
    surface = 1.0 + 0.25 * _spectral_noise(rng, size, 1.0 / size, 0.15, 2.0)
    fine = np.zeros((size, size))
    contrast = np.exp(rng.uniform(*np.log(CONTRAST_RANGE)))
    if label == 1:
        fine = _spectral_noise(rng, size, 0.25, 0.5, 0.0)
    elif label == 2:
        period, phi = rng.uniform(3.0, 5.0), rng.uniform(0.0, np.pi)
        u = (np.cos(phi) * xx + np.sin(phi) * yy) * (size - 1)
        fine = np.sqrt(2.0) * np.sin(2 * np.pi * u / period + rng.uniform(0, 2 * np.pi))
    linear = level * ramp * np.clip(surface, 0.2, None) * (1.0 + contrast * fine)
    return np.clip(linear, 0.0, 1.0)


def make_textures(n_per_class, *, size=32, seed=0, stream="train"):
    """Generate ``n_per_class`` images of each texture class.

    Parameters
    ----------
    n_per_class : int
    size : int
        Side of every image, pixels.
    seed : int
        Seed of the task.
    stream : str
        Name of the random stream (``"train"``, ``"test"``, ...): images of
        different streams come from independent generators.

    Returns
    -------
    images : (N, size, size) ndarray of uint8
        sRGB, class by class.
    labels : (N,) ndarray of int64
    """
    n_per_class = check_int(n_per_class, "n_per_class", low=1, high=1_000_000)
    size = check_int(size, "size", low=8, high=1024)
    seed = check_int(seed, "seed", low=0)
    key = [seed] + [ord(c) for c in str(stream)]
    rng = np.random.default_rng(np.random.SeedSequence(key))
    labels = np.repeat(np.arange(len(TEXTURE_CLASSES), dtype=np.int64), n_per_class)
    linear = np.stack([_one(rng, int(k), size) for k in labels])
    images = np.clip(np.rint(linear_to_srgb(linear) * 255.0), 0, 255).astype(np.uint8)
    return images, labels


def load_textures(n=1200, *, test_size=0.25, seed=0, size=32):
    """The texture task as a train / test :class:`Split`.

    Parameters
    ----------
    n : int
        Images in all, shared equally among the three classes.
    test_size : float
        Fraction of them on the test side.
    seed : int
        Seed of the task: training and test images come from two independent
        streams of it, so they share no pixel and no source.
    size : int
        Side of every image (default 32, as the wake-up task's crops).

    Returns
    -------
    split : Split
        ``classes = ("plain", "grain", "weave")``.

    Examples
    --------
    >>> from analogfe.data import load_textures
    >>> split = load_textures(300, seed=0)
    >>> split.X_train.shape, split.X_test.shape
    ((225, 32, 32), (75, 32, 32))
    """
    n = check_int(n, "n", low=2 * len(TEXTURE_CLASSES) * 2)
    test_size = check_float(test_size, "test_size", low=0.0, high=0.9, low_open=True)
    k = len(TEXTURE_CLASSES)
    n_test = max(1, int(round(n * test_size / k)))
    n_train = max(1, n // k - n_test)
    X_train, y_train = make_textures(n_train, size=size, seed=seed, stream="train")
    X_test, y_test = make_textures(n_test, size=size, seed=seed, stream="test")
    return Split(X_train, X_test, y_train, y_test, TEXTURE_CLASSES)
