"""Detection references against torchvision-style formulas written independently here
(continuous coordinates: width x2 - x1)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlstudy.errors import DlstudyError
from dlstudy.grading import grade
from dlstudy.reference.registry import call


def iou_oracle(a, b):
    """torchvision.ops.box_iou for one pair."""
    inter_w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    inter_h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = inter_w * inter_h
    area = lambda r: (r[2] - r[0]) * (r[3] - r[1])  # noqa: E731
    return inter / (area(a) + area(b) - inter)


def nms_oracle(boxes, scores, thr):
    """The classic 'while order' loop (torchvision.ops.nms semantics: drop IoU > thr)."""
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    keep = []
    while order:
        i = order.pop(0)
        keep.append(i)
        order = [j for j in order if iou_oracle(boxes[i], boxes[j]) <= thr]
    return keep


def box(draw_x, draw_y, draw_w, draw_h):
    return [draw_x, draw_y, draw_x + draw_w, draw_y + draw_h]


boxes_st = st.builds(
    box,
    st.integers(0, 10).map(float),
    st.integers(0, 10).map(float),
    st.integers(1, 8).map(float),
    st.integers(1, 8).map(float),
)


@settings(max_examples=150, deadline=None)
@given(boxes_st, boxes_st)
def test_iou_matches_the_formula(a, b):
    sol = call("iou", {"box_a": a, "box_b": b})
    assert sol.result == pytest.approx(iou_oracle(a, b))
    assert 0.0 <= sol.result <= 1.0


def test_iou_hand_example_and_mistakes():
    sol = call("iou", {"box_a": [0, 0, 2, 2], "box_b": [1, 1, 3, 3]})
    assert sol.result == pytest.approx(1 / 7)  # I = 1, U = 4 + 4 - 1
    mistakes = {m.name: m.value for m in sol.mistakes}
    # +1 pixel: widths 3, overlap 2×2 = 4, union 9 + 9 - 4 = 14
    assert mistakes["plus-one-pixel"] == pytest.approx(4 / 14)
    assert mistakes["union-not-subtracted"] == pytest.approx(1 / 8)
    assert grade(sol, 4 / 14).mistake.name == "plus-one-pixel"
    assert grade(sol, 0.1429).correct


@settings(max_examples=100, deadline=None)
@given(
    st.lists(boxes_st, min_size=1, max_size=7),
    st.data(),
    st.sampled_from([0.0, 0.3, 0.5, 0.7]),
)
def test_nms_matches_the_while_loop(boxes, data, thr):
    scores = data.draw(
        st.lists(st.integers(1, 99), min_size=len(boxes), max_size=len(boxes), unique=True)
    )
    scores = [s / 100 for s in scores]
    sol = call("nms", {"boxes": boxes, "scores": scores, "threshold": thr})
    assert sol.result == nms_oracle(boxes, scores, thr)


def test_nms_mistakes():
    boxes = [[0, 0, 2, 2], [1, 1, 3, 3], [0.1, 0.1, 2, 2], [5, 5, 6, 6]]
    scores = [0.9, 0.8, 0.95, 0.3]
    sol = call("nms", {"boxes": boxes, "scores": scores, "threshold": 0.5})
    assert sol.result == [2, 1, 3]
    mistakes = {m.name: m.value for m in sol.mistakes}
    assert mistakes["not-sorted-by-score"] == [0, 1, 3]
    assert grade(sol, [1, 2, 3]).mistake.name == "kept-in-index-order"
    # a suppressed box must not suppress: A > B > C with A~B, B~C, A not ~ C keeps A and C
    chain = [[0, 0, 4, 2], [2, 0, 6, 2], [4, 0, 8, 2]]
    sol = call("nms", {"boxes": chain, "scores": [0.9, 0.8, 0.7], "threshold": 0.3})
    assert sol.result == [0, 2]
    assert {m.name: m.value for m in sol.mistakes}["suppressed-boxes-suppress"] == [0]


def targets_oracle(p, g):
    pw, ph = p[2] - p[0], p[3] - p[1]
    gw, gh = g[2] - g[0], g[3] - g[1]
    px, py = p[0] + pw / 2, p[1] + ph / 2
    gx, gy = g[0] + gw / 2, g[1] + gh / 2
    return [(gx - px) / pw, (gy - py) / ph, math.log(gw / pw), math.log(gh / ph)]


@settings(max_examples=100, deadline=None)
@given(boxes_st, boxes_st)
def test_box_targets_match_the_formula_and_decode_back(p, g):
    sol = call("box-regression-targets", {"proposal": p, "gt": g})
    np.testing.assert_allclose(sol.result, targets_oracle(p, g), atol=1e-12)
    back = call("box-decode", {"proposal": p, "deltas": sol.result})
    np.testing.assert_allclose(back.result, g, atol=1e-9)


def test_box_targets_batch_and_plus_one_mistake():
    p = [[0, 0, 4, 2], [1, 1, 3, 5]]
    g = [[1, 0, 5, 4], [0, 0, 4, 4]]
    sol = call("box-regression-targets", {"proposal": p, "gt": g})
    np.testing.assert_allclose(
        sol.result, [targets_oracle(a, b) for a, b in zip(p, g, strict=True)]
    )
    single = call("box-regression-targets", {"proposal": p[0], "gt": g[0]})
    mistakes = {m.name: m.value for m in single.mistakes}
    # py-faster-rcnn's pixel convention: w = x2 - x1 + 1, centre x1 + w/2
    pw, ph, gw, gh = 5, 3, 5, 5
    expected = [(3.5 - 2.5) / pw, (2.5 - 1.5) / ph, math.log(gw / pw), math.log(gh / ph)]
    np.testing.assert_allclose(mistakes["plus-one-pixel"], expected)
    assert grade(single, expected).mistake.name == "plus-one-pixel"


@pytest.mark.parametrize(
    ("name", "args", "fragment"),
    [
        ("iou", {"box_a": [0, 0, 1], "box_b": [0, 0, 1, 1]}, "box_a"),
        ("iou", {"box_a": [2, 0, 1, 1], "box_b": [0, 0, 1, 1]}, "x2 < x1"),
        ("iou", {"box_a": [0, 0, 0, 0], "box_b": [1, 1, 1, 1]}, "zero area"),
        ("nms", {"boxes": [[0, 0, 1, 1]], "scores": [0.5, 0.4]}, "one per box"),
        ("nms", {"boxes": [[0, 0, 1, 1]], "scores": [0.5], "threshold": 2}, r"\[0, 1\]"),
        ("box-regression-targets", {"proposal": [0, 0, 0, 1], "gt": [0, 0, 1, 1]}, "positive"),
        ("box-decode", {"proposal": [0, 0, 1, 1], "deltas": [1, 2]}, "deltas"),
    ],
)
def test_bad_input(name, args, fragment):
    with pytest.raises(DlstudyError, match=fragment):
        call(name, args)
