"""Classification windows cut from annotated images: objects and background.

Boxes everywhere in :mod:`analogfe.data` are ``(x0, y0, x1, y1)`` in pixels of
the image they belong to, 0-based and half-open: the box covers columns
``x0 <= x < x1`` and rows ``y0 <= y < y1`` (a 25 x 25 patch pasted at (10, 20)
is ``(10, 20, 35, 45)``). The VOC reader converts VOC's 1-based inclusive
corners to this convention.
"""
from __future__ import annotations

import numpy as np

from .._validation import as_generator, check_float, check_int, check_pair
from ..scene.io import resize_image

__all__ = ["crop_box", "sample_negatives", "make_crops", "check_window"]


def check_window(window, name="window"):
    """A window size: an int (square) or ``(height, width)``, each >= 1."""
    return check_pair(window, name)


def crop_box(image, box, window, *, context=0.0):
    """Cut a box widened to the window's aspect ratio and resize it to ``window``.

    The box keeps its centre; its shorter side grows until the aspect ratio is
    that of ``window``, then both sides grow by ``1 + context``. Parts outside
    the image are filled by repeating the edge pixels.

    Parameters
    ----------
    image : (H, W) or (H, W, C) ndarray
    box : (4,) array_like
        ``(x0, y0, x1, y1)``, half-open pixel coordinates.
    window : int or (int, int)
        Output ``(height, width)``.
    context : float
        Extra margin, as a fraction of the widened box.

    Returns
    -------
    crop : (height, width[, C]) ndarray, same dtype as ``image``.
    """
    wh, ww = check_window(window)
    x0, y0, x1, y1 = (float(v) for v in box)
    bw, bh = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    aspect = ww / wh
    if bw / bh < aspect:
        bw = bh * aspect
    else:
        bh = bw / aspect
    bw *= 1.0 + context
    bh *= 1.0 + context
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    c0, r0 = int(np.floor(cx - bw / 2.0 + 0.5)), int(np.floor(cy - bh / 2.0 + 0.5))
    c1, r1 = c0 + max(int(round(bw)), 1), r0 + max(int(round(bh)), 1)
    H, W = image.shape[:2]
    pad = [(max(0, -r0), max(0, r1 - H)), (max(0, -c0), max(0, c1 - W))]
    if any(p for pair in pad for p in pair):
        pad += [(0, 0)] * (image.ndim - 2)
        image = np.pad(image, pad, mode="edge")
        r0, r1 = r0 + pad[0][0], r1 + pad[0][0]
        c0, c1 = c0 + pad[1][0], c1 + pad[1][0]
    return resize_image(image[r0:r1, c0:c1], (wh, ww))


def _covered_fraction(window_box, boxes):
    """Fraction of each box's area that lies inside ``window_box``."""
    ix = np.clip(np.minimum(window_box[2], boxes[:, 2]) - np.maximum(window_box[0], boxes[:, 0]), 0, None)
    iy = np.clip(np.minimum(window_box[3], boxes[:, 3]) - np.maximum(window_box[1], boxes[:, 1]), 0, None)
    area = np.maximum((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]), 1e-12)
    return ix * iy / area


def sample_negatives(image, boxes, window, n, *, seed=None, max_overlap=0.1,
                     max_scale=None, max_tries=100, where="image"):
    """Background windows: random positions and sizes that overlap no object.

    Window sizes are ``window`` scaled by a factor drawn log-uniformly from
    ``[1, max_scale]`` (``max_scale`` defaults to the largest that fits), then
    resized to ``window``.

    Parameters
    ----------
    image : (H, W) or (H, W, C) ndarray
    boxes : (K, 4) array_like
        Objects to avoid (may be empty).
    window : int or (int, int)
        Output ``(height, width)``; the smallest window cut from the image.
    n : int
        Number of windows wanted. Fewer are returned when a free spot cannot be
        found in ``max_tries * n`` draws (a crowded image).
    seed : None, int or Generator
    max_overlap : float
        Largest fraction of any object's area that a background window may
        hold. (Stricter than an IoU bound, which a large window around a
        small object would pass.)
    where : str
        Name of the image in error messages.

    Returns
    -------
    crops : (n', height, width[, C]) ndarray, ``n' <= n``.

    Raises
    ------
    ValueError
        If ``window`` is larger than the image.
    """
    wh, ww = check_window(window)
    n = check_int(n, "n", low=0)
    max_overlap = check_float(max_overlap, "max_overlap", low=0.0, high=1.0)
    H, W = image.shape[:2]
    if wh > H or ww > W:
        raise ValueError(
            f"window ({wh}, {ww}) is larger than {where} of size ({H}, {W})"
        )
    rng = as_generator(seed)
    fit = min(H / wh, W / ww)
    top = fit if max_scale is None else min(fit, check_float(max_scale, "max_scale", low=1.0))
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    out = []
    for _ in range(max_tries * max(n, 1)):
        if len(out) == n:
            break
        s = float(np.exp(rng.uniform(0.0, np.log(top)))) if top > 1 else 1.0
        h, w = min(H, max(wh, int(round(wh * s)))), min(W, max(ww, int(round(ww * s))))
        r0 = int(rng.integers(0, H - h + 1))
        c0 = int(rng.integers(0, W - w + 1))
        cand = np.array([[c0, r0, c0 + w, r0 + h]], dtype=np.float64)
        if len(boxes) and _covered_fraction(cand[0], boxes).max() > max_overlap:
            continue
        out.append(resize_image(image[r0:r0 + h, c0:c0 + w], (wh, ww)))
    shape = (0, wh, ww) + image.shape[2:]
    return np.stack(out) if out else np.zeros(shape, dtype=image.dtype)


def make_crops(images, boxes, window, *, box_labels=None, negatives_per_image=1,
               context=0.0, max_overlap=0.1, seed=0, ignore_boxes=None, image_names=None,
               return_source=False):
    """Object windows (label of the box) and background windows (label 0).

    Parameters
    ----------
    images : sequence of (H, W) or (H, W, C) ndarray
        One array per image; sizes may differ, dtypes must agree.
    boxes : sequence of (K_i, 4) array_like
        Objects per image, half-open pixel boxes.
    window : int or (int, int)
        Output ``(height, width)`` of every crop.
    box_labels : sequence of (K_i,) int array_like, optional
        Label per box (>= 1); all 1 when omitted.
    negatives_per_image : int
        Background windows per image.
    context : float
        Margin around objects, see :func:`crop_box`.
    max_overlap : float
        Largest fraction of an object's area inside a background window.
    seed : None or int
        Same seed, same crops.
    ignore_boxes : sequence of (J_i, 4) array_like, optional
        Objects per image that background windows avoid but that give no
        crop (e.g. VOC's ``difficult`` objects).
    image_names : sequence of str, optional
        Names of the images (e.g. file paths) for error messages.
    return_source : bool
        Also return the index of the image each crop comes from.

    Returns
    -------
    X : (N, height, width[, C]) ndarray
        Crops, dtype of the images.
    y : (N,) int64 ndarray
        0 for background, else the box label.
    source : (N,) int64 ndarray
        Only with ``return_source``.

    Raises
    ------
    ValueError
        A window larger than an image, or no crop at all.
    """
    window = check_window(window)
    negatives_per_image = check_int(negatives_per_image, "negatives_per_image", low=0)
    context = check_float(context, "context", low=0.0)
    if len(images) != len(boxes):
        raise ValueError(f"images and boxes must have the same length, got {len(images)} and {len(boxes)}")
    rng = as_generator(seed)
    X, y, src = [], [], []
    for i, (image, b) in enumerate(zip(images, boxes)):
        b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
        labels = np.ones(len(b), np.int64) if box_labels is None else np.asarray(box_labels[i], np.int64)
        for box, lab in zip(b, labels):
            X.append(crop_box(image, box, window, context=context))
            y.append(int(lab))
        avoid = b if ignore_boxes is None else np.vstack(
            [b, np.asarray(ignore_boxes[i], dtype=np.float64).reshape(-1, 4)])
        neg = sample_negatives(image, avoid, window, negatives_per_image, seed=rng,
                               max_overlap=max_overlap,
                               where=f"image {i}" if image_names is None else str(image_names[i]))
        X.extend(neg)
        y.extend([0] * len(neg))
        src.extend([i] * (len(X) - len(src)))
    if not X:
        raise ValueError("no crops: the images hold no boxes and negatives_per_image is 0")
    X, y = np.stack(X), np.asarray(y, dtype=np.int64)
    if return_source:
        return X, y, np.asarray(src, dtype=np.int64)
    return X, y
