"""Tests of analogfe.learn.metrics: IoU, NMS and PASCAL VOC average precision."""
import numpy as np
import pytest
from sklearn.metrics import average_precision_score, precision_recall_curve

from analogfe.learn.metrics import (
    ap_bootstrap,
    box_iou,
    classification_metrics,
    evaluate_detections,
    match_detections,
    nms,
    operating_point,
    voc_ap,
)


# ---------------------------------------------------------------- IoU
@pytest.mark.parametrize("a, b, expected", [
    ([0, 0, 2, 2], [1, 1, 3, 3], 1 / 7),          # overlap 1, union 7
    ([0, 0, 4, 4], [1, 1, 3, 3], 4 / 16),         # contained
    ([0, 0, 2, 2], [0, 0, 2, 2], 1.0),            # identical
    ([0, 0, 2, 2], [2, 0, 4, 2], 0.0),            # touching edge
    ([0, 0, 2, 2], [5, 5, 6, 6], 0.0),            # disjoint
    ([0, 0, 10, 10], [5, 0, 15, 10], 50 / 150),   # half shifted
    ([0.5, 0.5, 1.5, 2.5], [0, 0, 1, 1], 0.25 / 2.75),
])
def test_box_iou_hand_values(a, b, expected):
    assert box_iou([a], [b])[0, 0] == pytest.approx(expected, abs=1e-12)
    assert box_iou([b], [a])[0, 0] == pytest.approx(expected, abs=1e-12)


def test_box_iou_matrix_shape_and_empty():
    a = np.array([[0, 0, 2, 2], [1, 1, 3, 3], [0, 0, 0, 0]], float)
    b = np.array([[0, 0, 2, 2], [10, 10, 12, 12]], float)
    m = box_iou(a, b)
    assert m.shape == (3, 2)
    assert m[0, 0] == 1.0 and m[1, 0] == pytest.approx(1 / 7) and m[2].tolist() == [0, 0]
    assert box_iou(np.zeros((0, 4)), b).shape == (0, 2)


def test_box_iou_bad_input():
    with pytest.raises(ValueError, match="boxes_a"):
        box_iou([[0, 0, 1]], [[0, 0, 1, 1]])
    with pytest.raises(ValueError, match="boxes_b"):
        box_iou([[0, 0, 1, 1]], [[2, 0, 1, 1]])  # x1 < x0


# ---------------------------------------------------------------- NMS
def test_nms_hand_case():
    boxes = [[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 5]]
    scores = [0.8, 0.9, 0.7, 0.95]
    # box 3 (0.95) first; IoU(3, 1) = 36/(50+100-36) < 0.3? 36/114 = 0.316 -> dropped;
    # IoU(3, 0) = 50/100 -> dropped; box 2 survives.
    assert nms(boxes, scores, 0.3).tolist() == [3, 2]
    assert nms(boxes, scores, 0.5).tolist() == [3, 1, 2]  # 0.316 <= 0.5 keeps box 1; IoU(1,0)=0.68
    assert nms(boxes, scores, 1.0).tolist() == [3, 1, 0, 2]
    assert nms(np.zeros((0, 4)), np.zeros(0)).tolist() == []


def _nms_reference(boxes, scores, thr):
    # O(n^2) transcription of the greedy rule, independent of analogfe.learn.metrics.
    def iou(a, b):
        iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
        ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
        inter = iw * ih
        u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
        return inter / u if u > 0 else 0.0
    remaining = sorted(range(len(scores)), key=lambda i: -scores[i])
    keep = []
    while remaining:
        i = remaining.pop(0)
        keep.append(i)
        remaining = [j for j in remaining if iou(boxes[i], boxes[j]) <= thr]
    return keep


@pytest.mark.parametrize("seed", range(4))
def test_nms_matches_reference_and_opencv(seed):
    rng = np.random.default_rng(seed)
    n = 60
    xy = rng.uniform(0, 50, (n, 2))
    wh = rng.uniform(5, 20, (n, 2))
    boxes = np.hstack([xy, xy + wh])
    scores = rng.permutation(n) / n + 0.01  # distinct
    keep = nms(boxes, scores, 0.3)
    assert keep.tolist() == _nms_reference(boxes.tolist(), scores.tolist(), 0.3)
    cv2 = pytest.importorskip("cv2")
    rects = [[float(x0), float(y0), float(x1 - x0), float(y1 - y0)] for x0, y0, x1, y1 in boxes]
    ref = np.asarray(cv2.dnn.NMSBoxes(rects, scores.tolist(), 0.0, 0.3)).reshape(-1)
    assert sorted(keep.tolist()) == sorted(ref.tolist())


def _nms_numpy(boxes, scores, thr):
    # The vectorised numpy loop the kernel replaced: box_iou of the kept box
    # against every box still alive.
    order = np.argsort(-np.asarray(scores, float), kind="stable")
    keep, alive = [], np.ones(len(order), dtype=bool)
    for i in range(len(order)):
        if not alive[i]:
            continue
        keep.append(int(order[i]))
        rest = np.nonzero(alive[i + 1:])[0] + i + 1
        if rest.size:
            alive[rest[box_iou(boxes[order[i]][None], boxes[order[rest]])[0] > thr]] = False
    return keep


@pytest.mark.parametrize("thr", [0.0, 0.2, 1 / 3, 0.3, 0.6, 1.0])
@pytest.mark.parametrize("seed", range(3))
def test_nms_kernel_matches_numpy_on_sliding_windows(seed, thr):
    # A detector's input: windows on a grid at two sizes (so IoUs fall exactly
    # on thresholds such as 1/3 and 0.6), quantised scores (many ties), and a
    # few empty and sub-pixel boxes.
    rng = np.random.default_rng(seed)
    g = np.arange(0, 40, 4.0)
    x, y = np.meshgrid(g, g)
    small = np.stack([x.ravel(), y.ravel(), x.ravel() + 8, y.ravel() + 8], 1)
    large = small[::3] * 1.5 + np.array([0, 0, 4, 4])
    odd = np.array([[5, 5, 5, 5], [5, 5, 5, 5], [3.25, 1.5, 3.75, 2.0]])
    boxes = np.concatenate([small, large, odd])
    scores = np.round(rng.normal(size=len(boxes)), 1)
    assert nms(boxes, scores, thr).tolist() == _nms_numpy(boxes, scores, thr)


def test_nms_bad_input():
    with pytest.raises(ValueError, match="scores"):
        nms([[0, 0, 1, 1]], [0.1, 0.2])
    with pytest.raises(ValueError, match="iou_threshold"):
        nms([[0, 0, 1, 1]], [0.1], iou_threshold=1.5)


# ---------------------------------------------------------------- AP
def test_voc_ap_hand_cases():
    # ranking TP, FP, TP of 2 positives: recall .5 .5 1, precision 1 .5 2/3
    r, p = [0.5, 0.5, 1.0], [1.0, 0.5, 2 / 3]
    assert voc_ap(r, p, "area") == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    # 11 points: t = 0..0.5 -> 1 (6 points), t = 0.6..1 -> 2/3 (5 points)
    assert voc_ap(r, p, "11point") == pytest.approx((6 + 5 * 2 / 3) / 11)
    # FP, TP, TP: the envelope lifts precision at recall .5 to 2/3
    r, p = [0.0, 0.5, 1.0], [0.0, 0.5, 2 / 3]
    assert voc_ap(r, p, "area") == pytest.approx(2 / 3)
    assert voc_ap(r, p, "11point") == pytest.approx(2 / 3)
    # one TP of two positives (one object never found)
    assert voc_ap([0.5], [1.0], "area") == pytest.approx(0.5)
    assert voc_ap([0.5], [1.0], "11point") == pytest.approx(6 / 11)
    # recall 0.45: the 11-point rule sees t = 0..0.4 only
    assert voc_ap([0.45], [1.0], "11point") == pytest.approx(5 / 11)
    assert voc_ap([], [], "area") == 0.0


def test_voc_ap_bad_input():
    with pytest.raises(ValueError, match="rule"):
        voc_ap([1.0], [1.0], "12point")
    with pytest.raises(ValueError, match="precision"):
        voc_ap([0.5, 1.0], [1.0])
    with pytest.raises(ValueError, match="recall"):
        voc_ap([1.0, 0.5], [1.0, 1.0])
    with pytest.raises(ValueError, match="precision"):
        voc_ap([0.5], [1.5])


def _voc_ranking(y, s):
    order = np.argsort(-s, kind="stable")
    ctp = np.cumsum(y[order])
    return ctp / y.sum(), ctp / np.arange(1, len(y) + 1)


@pytest.mark.parametrize("seed", range(6))
def test_voc_area_against_sklearn(seed):
    rng = np.random.default_rng(seed)
    n = 40
    y = rng.random(n) < 0.4
    y[:2] = [True, False]
    s = rng.normal(size=n) + 1.2 * y  # distinct scores, every positive ranked
    rec, prec = _voc_ranking(y, s)
    ap_area = voc_ap(rec, prec, "area")
    ap_sk = average_precision_score(y, s)
    # sklearn's AP is the step sum of precision at each recall step; the VOC
    # area uses the non-increasing envelope instead. Apply the envelope to the
    # sklearn curve and integrate: the two must then agree exactly.
    p_sk, r_sk, _ = precision_recall_curve(y, s)
    p_sk, r_sk = p_sk[::-1], r_sk[::-1]  # increasing recall
    env = np.maximum.accumulate(p_sk[::-1])[::-1]
    ap_env = np.sum(np.diff(r_sk) * env[1:])
    assert ap_area == pytest.approx(ap_env, abs=1e-12)
    assert ap_area >= ap_sk - 1e-12
    # where precision at each true positive does not increase along the
    # ranking, the envelope changes nothing and the plain AP values coincide
    order = np.argsort(-s, kind="stable")
    p_at_tp = prec[y[order]]
    if np.all(np.diff(p_at_tp) <= 0):
        assert ap_area == pytest.approx(ap_sk, abs=1e-12)
    else:
        assert ap_area > ap_sk


def test_voc_area_equals_sklearn_when_monotone():
    # TP TP FP TP FP FP TP: precision at the TPs 1, 1, 3/4, 4/7 is non-increasing
    y = np.array([1, 1, 0, 1, 0, 0, 1], bool)
    s = np.linspace(1, 0, len(y))
    rec, prec = _voc_ranking(y, s)
    expected = 0.25 * (1 + 1 + 0.75 + 4 / 7)
    assert voc_ap(rec, prec, "area") == pytest.approx(expected)
    assert average_precision_score(y, s) == pytest.approx(expected)


# ---------------------------------------------------------------- matching
def test_match_detections_voc_rules():
    gt = [np.array([[0, 0, 10, 10], [20, 0, 30, 10], [40, 0, 50, 10]], float),
          np.zeros((0, 4))]
    difficult = [np.array([False, False, True]), np.zeros(0, bool)]
    dets = [np.array([
        [0, 0, 10, 10],    # 0.9 TP on gt0
        [1, 0, 11, 10],    # 0.8 duplicate of gt0 -> FP
        [40, 0, 50, 10],   # 0.7 on a difficult object -> ignored
        [20, 0, 25, 10],   # 0.6 IoU exactly 0.5 with gt1 -> TP (>=)
        [60, 0, 70, 10],   # 0.5 no overlap -> FP
    ], float), np.array([[0, 0, 5, 5]], float)]  # 0.65 image without objects -> FP
    scores = [np.array([0.9, 0.8, 0.7, 0.6, 0.5]), np.array([0.65])]
    s, tp, npos = match_detections(dets, scores, gt, difficult)
    assert npos == 2
    assert s.tolist() == [0.9, 0.8, 0.65, 0.6, 0.5]
    assert tp.tolist() == [True, False, False, True, False]
    ev = evaluate_detections(dets, scores, gt, difficult, rule="area")
    # precision 1, 1/2, 1/3, 2/4, 2/5 at recall .5 .5 .5 1 1 -> envelope 1 then 1/2
    assert ev.ap == pytest.approx(0.5 * 1 + 0.5 * 0.5)
    ev11 = evaluate_detections(dets, scores, gt, difficult, rule="11point")
    assert ev11.ap == pytest.approx((6 * 1 + 5 * 0.5) / 11)
    # without the difficult flag, the third object counts: recall tops at 3/3
    ev_nd = evaluate_detections(dets, scores, gt)
    assert ev_nd.n_positives == 3 and ev_nd.tp.sum() == 3


def test_match_uses_best_overlap_only():
    # the second detection overlaps the already matched gt0 best (IoU 9/11)
    # and gt1 less (8/12): VOC counts it as a duplicate, it does not fall back.
    gt = [np.array([[0, 0, 10, 10], [3, 0, 13, 10]], float)]
    dets = [np.array([[0, 0, 10, 10], [1, 0, 11, 10]], float)]
    s, tp, npos = match_detections(dets, [np.array([0.9, 0.8])], gt)
    iou = box_iou(dets[0][1:], gt[0])[0]
    assert iou[0] > iou[1] >= 0.5
    assert tp.tolist() == [True, False] and npos == 2


def test_match_detections_bad_input():
    gt = [np.array([[0, 0, 1, 1]], float)]
    with pytest.raises(ValueError, match="gt_boxes"):
        match_detections([np.zeros((0, 4)), np.zeros((0, 4))], [np.zeros(0)] * 2, gt)
    with pytest.raises(ValueError, match=r"det_scores\[0\]"):
        match_detections([np.array([[0, 0, 1, 1]], float)], [np.zeros(2)], gt)
    with pytest.raises(ValueError, match=r"difficult\[0\]"):
        match_detections([np.zeros((0, 4))], [np.zeros(0)], gt, [np.zeros(2, bool)])


def test_evaluate_no_positives_is_nan():
    ev = evaluate_detections([np.array([[0, 0, 1, 1]], float)], [np.array([0.5])],
                             [np.zeros((0, 4))])
    assert np.isnan(ev.ap) and ev.tp.tolist() == [False]


# ---------------------------------------------------------------- classification
def test_classification_metrics_hand_case():
    y = np.array([0, 0, 1, 1, 1])
    s = np.array([-2.0, 0.5, 1.0, -0.5, 2.0])
    m = classification_metrics(y, s)
    assert m["accuracy"] == pytest.approx(3 / 5)  # predictions 0 1 1 0 1
    # pairs (pos, neg) ranked right: pos 1.0 > both; -0.5 > -2 only; 2.0 > both -> 5/6
    assert m["roc_auc"] == pytest.approx(5 / 6)
    # ranking: TP(2.0) TP(1.0) FP(0.5) TP(-0.5) FP(-2.0)
    assert m["average_precision"] == pytest.approx((1 + 1 + 0.75) / 3)
    assert m["ap_voc_area"] == pytest.approx((1 + 1 + 0.75) / 3)
    assert len(m["precision"]) == len(m["recall"]) == len(m["thresholds"]) + 1
    with pytest.raises(ValueError, match="y_true"):
        classification_metrics([1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="scores"):
        classification_metrics([0, 1], [0.1, 0.2, 0.3])


# ---------------------------------------------------------------------------
# Bootstrap of AP over scenes
# ---------------------------------------------------------------------------
def _random_detections(rng, gts, n_det=6, hit=0.5):
    boxes, scores = [], []
    for g in gts:
        b = rng.uniform(0, 80, (n_det, 2))
        d = np.c_[b, b + 20]
        for k in range(min(len(g), n_det)):
            if rng.random() < hit:
                d[k] = g[k] + rng.uniform(-2, 2, 4)
        boxes.append(d)
        scores.append(rng.normal(size=n_det).round(1))   # ties on purpose
    return boxes, scores


def test_ap_bootstrap_point_estimate_and_paired_samples():
    rng = np.random.default_rng(0)
    gts = []
    for _ in range(15):
        xy = rng.uniform(0, 80, (rng.integers(0, 3), 2))
        gts.append(np.c_[xy, xy + 20])
    a = _random_detections(rng, gts, hit=0.8)
    b = _random_detections(rng, gts, hit=0.3)
    ap, samples = ap_bootstrap([a, b, a], gts, n_boot=200, seed=1)
    for (boxes, scores), v in zip([a, b], ap):
        assert abs(evaluate_detections(boxes, scores, gts).ap - v) < 0.05   # tie order only
    assert samples.shape == (200, 3)
    np.testing.assert_array_equal(samples[:, 0], samples[:, 2])   # same resamples
    lo, hi = np.nanpercentile(samples[:, 0] - samples[:, 1], [2.5, 97.5])
    assert lo < ap[0] - ap[1] < hi
    again = ap_bootstrap([a, b, a], gts, n_boot=200, seed=1)[1]
    np.testing.assert_array_equal(again, samples)
    with pytest.raises(ValueError, match="scenes"):
        ap_bootstrap([(a[0][:3], a[1][:3])], gts)


def _ap_bootstrap_expanded(systems, gts, n_boot, seed):
    # Each resample as a list of scenes, a scene drawn twice pooled twice, and
    # AP recomputed from scratch (the form the weighted kernel replaced).
    from analogfe.learn.metrics import _ap_of, match_detections

    n = len(gts)
    matched = [[match_detections([b], [s], [g]) for b, s, g in zip(*sysm, gts)]
               for sysm in systems]
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_boot):
        idx = rng.integers(0, n, n)
        out.append([_ap_of(np.concatenate([m[i][0] for i in idx]),
                           np.concatenate([m[i][1] for i in idx]),
                           sum(m[i][2] for i in idx), "area") for m in matched])
    return np.array(out)


@pytest.mark.parametrize("seed", range(3))
def test_ap_bootstrap_weights_equal_pooled_copies(seed):
    # Distinct scores across scenes (no tie whose order the two forms break
    # differently): every resample's AP as with each drawn copy pooled.
    rng = np.random.default_rng(seed)
    boxes, scores, gts = _separated_scenes(rng, n_img=30)
    other = [s + rng.normal(0, 0.5, len(s)) for s in scores]
    systems = [(boxes, scores), (boxes, other)]
    ap, samples = ap_bootstrap(systems, gts, n_boot=300, seed=seed)
    ref = _ap_bootstrap_expanded(systems, gts, 300, seed)
    np.testing.assert_allclose(samples, ref, rtol=0, atol=1e-12)
    for (b, s), v in zip(systems, ap):
        assert v == evaluate_detections(b, s, gts).ap


def test_ap_bootstrap_equals_evaluate_without_ties():
    rng = np.random.default_rng(3)
    gts = [np.array([[10.0, 10, 30, 30]]), np.zeros((0, 4)), np.array([[50.0, 50, 70, 70]])]
    boxes, _ = _random_detections(rng, gts, hit=1.0)
    scores = [rng.permutation(6) + 6.0 * i for i in range(3)]
    ap, _ = ap_bootstrap([(boxes, scores)], gts, n_boot=5)
    assert ap[0] == evaluate_detections(boxes, scores, gts).ap


# ---------------------------------------------------------------- independent AP
def _separated_scenes(rng, n_img=40):
    """Scenes with up to 3 well-separated objects and noisy detections with
    distinct scores (so no tie order and no detection near two objects)."""
    gts, boxes, scores = [], [], []
    for _ in range(n_img):
        cells = rng.permutation(4)[: rng.integers(0, 4)]
        g = np.array([[100.0 * (c % 2) + 10, 100.0 * (c // 2) + 10, 0, 0] for c in cells])
        g = g.reshape(-1, 4)
        g[:, 2:] = g[:, :2] + rng.uniform(20, 40, (len(g), 2))
        d = [gg + rng.normal(0, 4, 4) for gg in g for _ in range(rng.integers(0, 3))]
        xy = rng.uniform(0, 170, (rng.integers(0, 5), 2))
        d += list(np.c_[xy, xy + rng.uniform(10, 30, (len(xy), 2))])
        d = np.array(d).reshape(-1, 4)
        d[:, 2:] = np.maximum(d[:, 2:], d[:, :2] + 1.0)
        gts.append(g)
        boxes.append(d)
        scores.append(rng.normal(size=len(d)))
    return boxes, scores, gts


def _coco_eval(boxes, scores, gts):
    """pycocotools' COCOeval at IoU 0.5, one category, every detection kept."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    def xywh(b):
        return [float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])]

    objects = [(i, b) for i, g in enumerate(gts) for b in g]
    anns = [{"id": k + 1, "image_id": i + 1, "category_id": 1, "bbox": xywh(b),
             "area": float((b[2] - b[0]) * (b[3] - b[1])), "iscrowd": 0}
            for k, (i, b) in enumerate(objects)]
    gt = COCO()
    gt.dataset = {"images": [{"id": i + 1} for i in range(len(gts))], "annotations": anns,
                  "categories": [{"id": 1}]}
    gt.createIndex()
    res = [{"image_id": i + 1, "category_id": 1, "bbox": xywh(b), "score": float(s)}
           for i, (bb, ss) in enumerate(zip(boxes, scores)) for b, s in zip(bb, ss)]
    E = COCOeval(gt, gt.loadRes(res), "bbox")
    E.params.iouThrs = np.array([0.5])
    E.params.areaRng, E.params.areaRngLbl = [[0.0, 1e10]], ["all"]
    E.params.maxDets = [10_000]
    E.evaluate()
    E.accumulate()
    return E


def _devkit_all_point_ap(rec, prec):
    """The VOC devkit's all-point AP (VOCevaldet.m / py-faster-rcnn voc_ap,
    use_07_metric=False), as published."""
    mrec = np.concatenate(([0.0], rec, [1.0]))
    mpre = np.concatenate(([0.0], prec, [0.0]))
    for i in range(mpre.size - 1, 0, -1):
        mpre[i - 1] = max(mpre[i - 1], mpre[i])
    i = np.where(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1]))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ap_equals_pycocotools_matching_with_the_devkit_formula(seed):
    # pycocotools decides which detection is a true positive (its own matching
    # at IoU 0.5); the devkit's all-point formula turns its precision and
    # recall into AP; analogfe's AP on the same detections must agree to 1e-6.
    # COCO's own 101-point interpolated precision is compared with the same
    # interpolation of analogfe's curve.
    boxes, scores, gts = _separated_scenes(np.random.default_rng(seed))
    E = _coco_eval(boxes, scores, gts)
    imgs = [e for e in E.evalImgs if e is not None]
    dt_scores = np.concatenate([e["dtScores"] for e in imgs])
    order = np.argsort(-dt_scores, kind="mergesort")
    tp = np.concatenate([e["dtMatches"][0] > 0 for e in imgs])[order]
    n_pos = sum(int(np.sum(~np.asarray(e["gtIgnore"], bool))) for e in imgs)
    assert n_pos == sum(len(g) for g in gts) > 0
    ctp = np.cumsum(tp)
    rec, prec = ctp / n_pos, ctp / np.arange(1, len(tp) + 1)
    ev = evaluate_detections(boxes, scores, gts)
    assert abs(ev.ap - _devkit_all_point_ap(rec, prec)) < 1e-6
    np.testing.assert_array_equal(ev.tp, tp)
    ap, _ = ap_bootstrap([(boxes, scores)], gts, n_boot=2)
    assert abs(ap[0] - ev.ap) < 1e-6
    # COCO's 101-point precision (its accumulate) against analogfe's curve
    env = np.maximum.accumulate(ev.precision[::-1])[::-1]
    pts = np.linspace(0, 1, 101)
    idx = np.searchsorted(ev.recall, pts, side="left")
    mine = np.array([env[i] if i < len(env) else 0.0 for i in idx])
    np.testing.assert_allclose(E.eval["precision"][0, :, 0, 0, 0], mine, atol=1e-9)


def test_operating_point_hand_case_and_chosen_threshold():
    gts = [np.array([[0.0, 0, 10, 10]]), np.zeros((0, 4)), np.array([[20.0, 20, 30, 30]])]
    boxes = [np.array([[0.0, 0, 10, 10], [40, 40, 50, 50]]), np.array([[0.0, 0, 5, 5]]),
             np.array([[20.0, 20, 30, 30]])]
    scores = [np.array([0.9, 0.1]), np.array([0.5]), np.array([0.3])]
    op = operating_point(boxes, scores, gts, threshold=0.4)
    # at >= 0.4: 0.9 (TP) and 0.5 (FP on the empty frame)
    assert op["precision"] == 0.5 and op["recall"] == 0.5
    assert op["wakeups_per_frame"] == 2 / 3 and op["wakeups_per_empty_frame"] == 1.0
    assert op["wakeups_per_target_frame"] == 0.5 and op["detections_per_frame"] == 2 / 3
    best = operating_point(boxes, scores, gts)
    # F1 at 0.9: 2/3; at 0.5: 1/2; at 0.3: 2*2/(3+2) = 0.8; at 0.1: 2*2/(4+2)
    assert best["threshold"] == 0.3 and best["f1"] == pytest.approx(0.8)
    assert best["recall"] == 1.0 and best["precision"] == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="no detection"):
        operating_point([np.zeros((0, 4))], [np.zeros(0)], [np.zeros((0, 4))])
    with pytest.raises(ValueError, match="threshold"):
        operating_point(boxes, scores, gts, threshold=float("nan"))
