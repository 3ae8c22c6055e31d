"""Box kernels: greedy non-maximum suppression.

The Python wrapper ``analogfe.learn.metrics.nms`` validates the boxes and
scores and sorts them; this kernel trusts its input (contiguous float64
boxes ``(n, 4)`` with ``x1 >= x0``, ``y1 >= y0``, an ``order`` that is a
permutation of ``range(n)``) and computes every IoU with the same float64
operations, in the same order, as ``analogfe.data.boxes.box_iou``, so its
choices are those of the numpy loop it replaced.
"""
import numpy as np

from _types cimport float64_t


def greedy_nms(const float64_t[:, ::1] boxes,   # IN  (n, 4) boxes (x0, y0, x1, y1)
               const Py_ssize_t[::1] order,     # IN  (n,) indices by descending score
               float64_t iou_threshold):        # IN  drop IoU strictly above this
    """Indices of the kept boxes, in ``order``'s order (an intp array)."""
    cdef Py_ssize_t n = order.shape[0], i, j, oi, oj, k = 0
    cdef float64_t ax0, ay0, ax1, ay1, area_a, iw, ih, inter, union, iou
    keep = np.empty(n, dtype=np.intp)
    alive_arr = np.ones(n, dtype=np.uint8)
    cdef Py_ssize_t[::1] kept = keep
    cdef unsigned char[::1] alive = alive_arr
    with nogil:
        for i in range(n):
            if not alive[i]:
                continue
            oi = order[i]
            kept[k] = oi
            k += 1
            ax0 = boxes[oi, 0]
            ay0 = boxes[oi, 1]
            ax1 = boxes[oi, 2]
            ay1 = boxes[oi, 3]
            area_a = (ax1 - ax0) * (ay1 - ay0)
            for j in range(i + 1, n):
                if not alive[j]:
                    continue
                oj = order[j]
                iw = (ax1 if ax1 < boxes[oj, 2] else boxes[oj, 2]) \
                    - (ax0 if ax0 > boxes[oj, 0] else boxes[oj, 0])
                ih = (ay1 if ay1 < boxes[oj, 3] else boxes[oj, 3]) \
                    - (ay0 if ay0 > boxes[oj, 1] else boxes[oj, 1])
                inter = (iw if iw > 0 else 0.0) * (ih if ih > 0 else 0.0)
                union = area_a + (boxes[oj, 2] - boxes[oj, 0]) * (boxes[oj, 3] - boxes[oj, 1]) - inter
                iou = inter / union if union > 0 else 0.0
                if iou > iou_threshold:
                    alive[j] = 0
    return keep[:k]
