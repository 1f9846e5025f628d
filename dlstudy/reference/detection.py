"""Object detection: IoU, greedy non-maximum suppression and R-CNN box regression (notes: CNN ›
Object Detection).

Boxes are ``[x1, y1, x2, y2]`` in continuous coordinates (torchvision's convention): the width is
``x2 - x1`` (no ``+1`` pixel), the centre ``x1 + w/2``.

.. math::

    \\mathrm{IoU}(A, B) = \\frac{|A ∩ B|}{|A| + |B| - |A ∩ B|}, \\qquad
    t_x = \\frac{g_x - p_x}{p_w},\\; t_y = \\frac{g_y - p_y}{p_h},\\;
    t_w = \\log\\frac{g_w}{p_w},\\; t_h = \\log\\frac{g_h}{p_h}.
"""

from __future__ import annotations

import numpy as np

from dlstudy.errors import DlstudyError
from dlstudy.output import format_number
from dlstudy.reference.conv_core import same_value
from dlstudy.reference.registry import Mistake, Solution, Step, as_array, as_float, reference

#: Boxes NMS takes (n² IoUs; hand work has a handful).
MAX_NMS_BOXES = 2000

CONVENTION = (
    "boxes [x1, y1, x2, y2] in continuous coordinates (torchvision): width x2 - x1, no +1 pixel"
)


def _f(v: float) -> str:
    return format_number(float(v), 6)


def as_boxes(value: np.ndarray, label: str, single: bool = False) -> np.ndarray:
    """An (n, 4) float array of valid boxes (x1 <= x2, y1 <= y2); a single box is (1, 4)."""
    arr = as_array(value, label)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != 4 or (single and arr.shape[0] != 1):
        what = "a box [x1, y1, x2, y2]" if single else "boxes, one [x1, y1, x2, y2] per row"
        raise DlstudyError(f"{label}: expected {what}, got shape {np.shape(value)}")
    bad = np.nonzero((arr[:, 2] < arr[:, 0]) | (arr[:, 3] < arr[:, 1]))[0]
    if bad.size:
        raise DlstudyError(
            f"{label}: box {int(bad[0])} {arr[bad[0]].tolist()} has x2 < x1 or y2 < y1 "
            "(expected [x1, y1, x2, y2])"
        )
    return arr


def iou_matrix(a: np.ndarray, b: np.ndarray, plus_one: bool = False) -> np.ndarray:
    """Pairwise IoU of (n, 4) and (m, 4) boxes → (n, m); ``plus_one`` uses the old pixel
    convention (width x2 - x1 + 1), a wrong method for continuous coordinates."""
    e = 1.0 if plus_one else 0.0
    area_a = (a[:, 2] - a[:, 0] + e) * (a[:, 3] - a[:, 1] + e)
    area_b = (b[:, 2] - b[:, 0] + e) * (b[:, 3] - b[:, 1] + e)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.clip(rb - lt + e, 0.0, None)
    inter = wh[..., 0] * wh[..., 1]
    union = area_a[:, None] + area_b[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


@reference(
    "iou",
    section="detection",
    summary="intersection over union of two boxes [x1, y1, x2, y2]",
    params_help={
        "box_a": "[x1, y1, x2, y2] (continuous coordinates)",
        "box_b": "[x1, y1, x2, y2]",
    },
)
def iou(box_a: np.ndarray, box_b: np.ndarray) -> Solution:
    """IoU of two axis-aligned boxes.

    .. math:: \\mathrm{IoU} = \\frac{I}{|A| + |B| - I},\\quad
              I = \\max(0, \\min(x_2) - \\max(x_1)) \\cdot \\max(0, \\min(y_2) - \\max(y_1))

    Parameters
    ----------
    box_a, box_b : (4,) arrays [x1, y1, x2, y2].

    Returns
    -------
    Solution with the IoU, a number in [0, 1].
    """
    a = [float(v) for v in as_boxes(box_a, "box_a", single=True)[0]]
    b = [float(v) for v in as_boxes(box_b, "box_b", single=True)[0]]
    area_a = (a[2] - a[0]) * (a[3] - a[1])
    area_b = (b[2] - b[0]) * (b[3] - b[1])
    ix1, iy1, ix2, iy2 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    iw, ih = max(0.0, ix2 - ix1), max(0.0, iy2 - iy1)
    inter = iw * ih
    union = area_a + area_b - inter
    if union <= 0:
        raise DlstudyError("box_a, box_b: both boxes have zero area, IoU is undefined")
    value = float(inter / union)
    steps = [
        Step(
            "intersection corners",
            [ix1, iy1, ix2, iy2],
            f"x1 = max({_f(a[0])}, {_f(b[0])}) = {_f(ix1)}, y1 = max({_f(a[1])}, {_f(b[1])}) = "
            f"{_f(iy1)}, x2 = min({_f(a[2])}, {_f(b[2])}) = {_f(ix2)}, y2 = min({_f(a[3])}, "
            f"{_f(b[3])}) = {_f(iy2)}",
        ),
        Step(
            "intersection area I",
            inter,
            f"max(0, {_f(ix2)} - {_f(ix1)})·max(0, {_f(iy2)} - {_f(iy1)}) = {_f(iw)}·{_f(ih)} = "
            f"{_f(inter)}",
        ),
        Step(
            "area A", area_a, f"({_f(a[2])} - {_f(a[0])})·({_f(a[3])} - {_f(a[1])}) = {_f(area_a)}"
        ),
        Step(
            "area B", area_b, f"({_f(b[2])} - {_f(b[0])})·({_f(b[3])} - {_f(b[1])}) = {_f(area_b)}"
        ),
        Step("union", union, f"{_f(area_a)} + {_f(area_b)} - {_f(inter)} = {_f(union)}"),
        Step("IoU", value, f"{_f(inter)}/{_f(union)} = {_f(value)}"),
    ]
    candidates = [
        (
            "plus-one-pixel",
            "you used the +1 pixel convention (w = x2 - x1 + 1): in continuous coordinates the "
            "width is x2 - x1",
            float(iou_matrix(np.array([a]), np.array([b]), plus_one=True)[0, 0]),
        ),
        (
            "union-not-subtracted",
            "the union counts the overlap once: |A| + |B| - I, not |A| + |B|",
            float(inter / (area_a + area_b)),
        ),
    ]
    mistakes = [Mistake(n, m, v) for n, m, v in candidates if not same_value(v, value)]
    return Solution(value, steps, mistakes, convention=CONVENTION)


def nms_keep(
    boxes: np.ndarray,
    scores: np.ndarray,
    threshold: float,
    plus_one: bool = False,
    sort: bool = True,
    suppressed_suppress: bool = False,
) -> list[int]:
    """Greedy NMS: visit boxes by decreasing score (ties: lower index first), keep a box unless a
    kept box overlaps it with IoU > ``threshold``. The flags give wrong methods (the +1 pixel
    convention, no sorting, suppressed boxes still suppressing)."""
    order = np.argsort(-scores, kind="stable") if sort else np.arange(len(scores))
    ious = iou_matrix(boxes, boxes, plus_one)
    keep: list[int] = []
    visited: list[int] = []
    for i in order:
        against = visited if suppressed_suppress else keep
        if all(ious[i, j] <= threshold for j in against):
            keep.append(int(i))
        visited.append(int(i))
    return keep


@reference(
    "nms",
    section="detection",
    summary="greedy non-maximum suppression: kept box indices by decreasing score",
    params_help={
        "boxes": "n×4 matrix, one [x1, y1, x2, y2] per row",
        "scores": "n scores",
        "threshold": "suppress a box whose IoU with a kept box is above this",
    },
)
def nms(boxes: np.ndarray, scores: np.ndarray, threshold: float = 0.5) -> Solution:
    """Greedy non-maximum suppression (as ``torchvision.ops.nms``).

    Repeat: take the highest-scoring remaining box, keep it, drop every remaining box whose IoU
    with it is greater than ``threshold``.

    Parameters
    ----------
    boxes : (n, 4) array of [x1, y1, x2, y2].
    scores : (n,) array.
    threshold : float in [0, 1].

    Returns
    -------
    Solution with the kept indices (from 0) in the order they are kept (decreasing score).
    """
    b = as_boxes(boxes, "boxes")
    if b.shape[0] > MAX_NMS_BOXES:  # the IoU matrix of n boxes has n² entries
        raise DlstudyError(
            f"boxes: {b.shape[0]:,} boxes; NMS compares every pair, at most {MAX_NMS_BOXES:,} boxes"
        )
    s = as_array(scores, "scores")
    if s.ndim == 0:
        s = s[None]
    if s.ndim != 1 or s.shape[0] != b.shape[0]:
        raise DlstudyError(
            f"scores: expected {b.shape[0]} scores (one per box), got shape {s.shape}"
        )
    t = as_float(threshold, "threshold")
    if not 0.0 <= t <= 1.0:
        raise DlstudyError(f"threshold: expected a number in [0, 1], got {_f(t)}")
    order = [int(i) for i in np.argsort(-s, kind="stable")]
    ious = iou_matrix(b, b)
    steps = [Step("boxes by decreasing score", order, ", ".join(f"{i}: {_f(s[i])}" for i in order))]
    keep: list[int] = []
    suppressed: set[int] = set()
    for i in order:
        if i in suppressed:
            continue
        keep.append(i)
        rest = [j for j in order if j not in suppressed and j not in keep]
        parts = []
        for j in rest:
            verdict = "suppress" if ious[i, j] > t else "keep"
            if ious[i, j] > t:
                suppressed.add(j)
            parts.append(f"IoU({i}, {j}) = {_f(ious[i, j])} → {verdict}")
        steps.append(
            Step(f"keep box {i} (score {_f(s[i])})", None, "; ".join(parts) or "no boxes left")
        )
    steps.append(Step("kept", keep))
    candidates = [
        (
            "plus-one-pixel",
            "you used the +1 pixel convention in the IoU: widths are x2 - x1",
            nms_keep(b, s, t, plus_one=True),
        ),
        (
            "not-sorted-by-score",
            "NMS visits the boxes by decreasing score, not in the given order",
            nms_keep(b, s, t, sort=False),
        ),
        (
            "suppressed-boxes-suppress",
            "a box that was already suppressed does not suppress others: compare only with kept "
            "boxes",
            nms_keep(b, s, t, suppressed_suppress=True),
        ),
        (
            "kept-in-index-order",
            "the right boxes, but list them in the order NMS keeps them (decreasing score)",
            sorted(keep),
        ),
        (
            "no-suppression",
            "that is every box by decreasing score: NMS drops a box whose IoU with a kept box is "
            "above the threshold",
            order,
        ),
        (
            "top-box-only",
            "NMS keeps more than the top box: every box not suppressed by a kept one stays",
            order[:1],
        ),
    ]
    mistakes = [
        Mistake(n, m, v) for n, m, v in candidates if not (len(v) == len(keep) and list(v) == keep)
    ]
    return Solution(keep, steps, mistakes, convention=CONVENTION + "; indices from 0")


def _centre_size(box: np.ndarray, plus_one: bool = False) -> np.ndarray:
    """(n, 4) corners → (n, 4) [cx, cy, w, h]."""
    e = 1.0 if plus_one else 0.0
    w = box[:, 2] - box[:, 0] + e
    h = box[:, 3] - box[:, 1] + e
    return np.stack([box[:, 0] + 0.5 * w, box[:, 1] + 0.5 * h, w, h], axis=1)


def encode_boxes(
    proposals: np.ndarray,
    gt: np.ndarray,
    plus_one: bool = False,
    log_scale: bool = True,
    by_gt: bool = False,
) -> np.ndarray:
    """R-CNN regression targets (n, 4) [tx, ty, tw, th]; the flags give wrong methods."""
    p, g = _centre_size(proposals, plus_one), _centre_size(gt, plus_one)
    norm = g if by_gt else p
    tx = (g[:, 0] - p[:, 0]) / norm[:, 2]
    ty = (g[:, 1] - p[:, 1]) / norm[:, 3]
    tw = np.log(g[:, 2] / p[:, 2]) if log_scale else g[:, 2] / p[:, 2]
    th = np.log(g[:, 3] / p[:, 3]) if log_scale else g[:, 3] / p[:, 3]
    return np.stack([tx, ty, tw, th], axis=1)


def _positive_sizes(boxes: np.ndarray, label: str) -> None:
    if np.any(boxes[:, 2] <= boxes[:, 0]) or np.any(boxes[:, 3] <= boxes[:, 1]):
        raise DlstudyError(
            f"{label}: every box needs a positive width and height (x2 > x1, y2 > y1)"
        )


@reference(
    "box-regression-targets",
    section="detection",
    summary="R-CNN box regression targets (tx, ty, tw, th) of a ground-truth box w.r.t. a proposal",
    params_help={
        "proposal": "anchor / proposal box [x1, y1, x2, y2] (or n×4)",
        "gt": "ground-truth box [x1, y1, x2, y2] (or n×4)",
    },
)
def box_regression_targets(proposal: np.ndarray, gt: np.ndarray) -> Solution:
    """R-CNN parameterisation of a ground-truth box G relative to a proposal P.

    .. math:: t_x = (g_x - p_x)/p_w,\\; t_y = (g_y - p_y)/p_h,\\; t_w = \\log(g_w/p_w),\\;
              t_h = \\log(g_h/p_h)

    with centres ``x1 + w/2`` and sizes ``w = x2 - x1``.

    Parameters
    ----------
    proposal, gt : (4,) or (n, 4) arrays of [x1, y1, x2, y2].

    Returns
    -------
    Solution with [tx, ty, tw, th] (or an (n, 4) matrix).
    """
    p = as_boxes(proposal, "proposal")
    g = as_boxes(gt, "gt")
    if p.shape != g.shape:
        raise DlstudyError(
            f"gt: expected as many boxes as proposal ({p.shape[0]}), got {g.shape[0]}"
        )
    _positive_sizes(p, "proposal")
    _positive_sizes(g, "gt")
    single = np.ndim(proposal) == 1
    t = encode_boxes(p, g)
    result = t[0] if single else t
    steps = []
    pc, gc = _centre_size(p), _centre_size(g)
    for n in range(p.shape[0]):
        tag = "" if single else f" {n}"
        px, py, pw, ph = pc[n]
        gx, gy, gw, gh = gc[n]
        steps += [
            Step(
                f"proposal{tag}: centre, size",
                [px, py, pw, ph],
                f"width {_f(p[n, 2])} - {_f(p[n, 0])} = {_f(pw)}, height {_f(p[n, 3])} - "
                f"{_f(p[n, 1])} = {_f(ph)}, "
                f"centre ({_f(px)}, {_f(py)})",
            ),
            Step(
                f"ground truth{tag}: centre, size",
                [gx, gy, gw, gh],
                f"width {_f(g[n, 2])} - {_f(g[n, 0])} = {_f(gw)}, height {_f(g[n, 3])} - "
                f"{_f(g[n, 1])} = {_f(gh)}, "
                f"centre ({_f(gx)}, {_f(gy)})",
            ),
            Step(f"tx{tag}", t[n, 0], f"({_f(gx)} - {_f(px)})/{_f(pw)} = {_f(t[n, 0])}"),
            Step(f"ty{tag}", t[n, 1], f"({_f(gy)} - {_f(py)})/{_f(ph)} = {_f(t[n, 1])}"),
            Step(f"tw{tag}", t[n, 2], f"log({_f(gw)}/{_f(pw)}) = {_f(t[n, 2])}"),
            Step(f"th{tag}", t[n, 3], f"log({_f(gh)}/{_f(ph)}) = {_f(t[n, 3])}"),
        ]

    def pick(a: np.ndarray) -> np.ndarray:
        return a[0] if single else a

    candidates = [
        (
            "plus-one-pixel",
            "you used the +1 pixel convention (w = x2 - x1 + 1): in continuous coordinates the "
            "width is x2 - x1",
            pick(encode_boxes(p, g, plus_one=True)),
        ),
        (
            "no-log",
            "tw and th are logarithms: tw = log(g_w/p_w)",
            pick(encode_boxes(p, g, log_scale=False)),
        ),
        (
            "divided-by-gt",
            "the offsets are divided by the proposal's size (p_w, p_h), not the ground truth's",
            pick(encode_boxes(p, g, by_gt=True)),
        ),
    ]
    mistakes = [Mistake(n, m, v) for n, m, v in candidates if not same_value(v, result)]
    return Solution(result, steps, mistakes, convention=CONVENTION + "; natural log")


@reference(
    "box-decode",
    section="detection",
    summary="apply regression deltas (tx, ty, tw, th) to a proposal: the predicted box",
    params_help={
        "proposal": "anchor / proposal box [x1, y1, x2, y2]",
        "deltas": "[tx, ty, tw, th]",
    },
)
def box_decode(proposal: np.ndarray, deltas: np.ndarray) -> Solution:
    """Invert the R-CNN parameterisation.

    .. math:: \\hat g_x = p_x + p_w t_x,\\; \\hat g_y = p_y + p_h t_y,\\;
              \\hat g_w = p_w e^{t_w},\\; \\hat g_h = p_h e^{t_h}

    Parameters
    ----------
    proposal : (4,) [x1, y1, x2, y2]; deltas : (4,) [tx, ty, tw, th].

    Returns
    -------
    Solution with the predicted box [x1, y1, x2, y2].
    """
    p = as_boxes(proposal, "proposal", single=True)
    _positive_sizes(p, "proposal")
    d = as_array(deltas, "deltas")
    if d.shape != (4,):
        raise DlstudyError(f"deltas: expected [tx, ty, tw, th], got shape {d.shape}")
    px, py, pw, ph = _centre_size(p)[0]
    gx, gy = px + pw * d[0], py + ph * d[1]
    gw, gh = pw * np.exp(d[2]), ph * np.exp(d[3])
    box = np.array([gx - gw / 2, gy - gh / 2, gx + gw / 2, gy + gh / 2])
    steps = [
        Step("proposal centre, size", [px, py, pw, ph]),
        Step(
            "centre", [gx, gy], f"({_f(px)} + {_f(pw)}·{_f(d[0])}, {_f(py)} + {_f(ph)}·{_f(d[1])})"
        ),
        Step("size", [gw, gh], f"({_f(pw)}·exp({_f(d[2])}), {_f(ph)}·exp({_f(d[3])}))"),
        Step("box", box, "centre ∓ size/2"),
    ]
    nw, nh = pw * d[2], ph * d[3]
    no_exp = np.array([gx - nw / 2, gy - nh / 2, gx + nw / 2, gy + nh / 2])
    mistakes = []
    if not same_value(no_exp, box):
        mistakes.append(Mistake("no-exp", "the size is p_w·exp(tw): tw is a log-ratio", no_exp))
    return Solution(box, steps, mistakes, convention=CONVENTION + "; natural log")
