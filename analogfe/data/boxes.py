"""Boxes ``(x0, y0, x1, y1)`` in continuous image coordinates and their IoU.
"""
from __future__ import annotations

import numpy as np

from .._validation import check_array

__all__ = ['box_iou']


def _check_boxes(boxes, name):
    b = check_array(boxes, name, ndim=(1, 2), dtype=np.float64, kinds="iuf",
                    allow_empty=True)
    if b.ndim == 1:
        if b.size == 0:
            b = b.reshape(0, 4)
        elif b.size == 4:
            b = b.reshape(1, 4)
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"{name} must have shape (n, 4) as (x0, y0, x1, y1), got {b.shape}")
    if b.size and ((b[:, 2] < b[:, 0]).any() or (b[:, 3] < b[:, 1]).any()):
        raise ValueError(f"{name} must have x1 >= x0 and y1 >= y0")
    return b


def box_iou(boxes_a, boxes_b):
    """Intersection over union of every pair of boxes.

    Parameters
    ----------
    boxes_a : (n, 4) array_like
        Boxes ``(x0, y0, x1, y1)`` in pixels (continuous coordinates).
    boxes_b : (m, 4) array_like
        Boxes in the same format.

    Returns
    -------
    iou : (n, m) ndarray of float64
        IoU in ``[0, 1]``; a pair with zero union (two empty boxes) has IoU 0.

    Raises
    ------
    ValueError
        If a box array is not ``(n, 4)`` or has ``x1 < x0`` or ``y1 < y0``.

    Examples
    --------
    >>> box_iou([[0, 0, 2, 2]], [[1, 1, 3, 3]])
    array([[0.14285714]])
    """
    a = _check_boxes(boxes_a, "boxes_a")
    b = _check_boxes(boxes_b, "boxes_b")
    iw = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    ih = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    inter = np.clip(iw, 0, None) * np.clip(ih, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
    return iou
