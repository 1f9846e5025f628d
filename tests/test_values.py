"""The CLI value language of `dlstudy solve key=value` (dlstudy/values.py)."""

import json
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlstudy.errors import DlstudyError
from dlstudy.values import parse_assignment, parse_value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3", 3),
        ("-0.5", -0.5),
        ("1e-3", Fraction(1, 1000)),
        ("log(4)", pytest.approx(1.3862943611198906)),
        ("sqrt(3)/2 −1/2", [pytest.approx(0.8660254037844386), Fraction(-1, 2)]),
        ("7/4", Fraction(7, 4)),
        ("-7/4", Fraction(-7, 4)),
        ("[[1,2],[3,4]]", [[1, 2], [3, 4]]),
        ("1 2; 3 4", [[1, 2], [3, 4]]),
        ("1, 2; 3, 4", [[1, 2], [3, 4]]),
        ("1 2 3", [1, 2, 3]),
        ("[1 2; 3 4]", [[1, 2], [3, 4]]),
        ("[1/2, 1/4, 1/4]", [Fraction(1, 2), Fraction(1, 4), Fraction(1, 4)]),
        ("1/2 1/2", [Fraction(1, 2), Fraction(1, 2)]),
        ('{"s0": {"left": 1.5}}', {"s0": {"left": 1.5}}),
        ("uniform", "uniform"),
        ("true", True),
        ("convolution", "convolution"),
    ],
)
def test_forms(text, expected):
    assert parse_value(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("1 2; 3", "ragged"),
        ("[[1,2],[3", "missing ']'"),
        ('{"a": 1', "invalid JSON at line 1"),
        ("__import__('os')", "could not read"),
        ("1e999", "could not read"),
        ("[NaN]", "could not read"),
        ("1/0", "division by zero"),
        ("", "empty value"),
        ("@/nonexistent/file.json", "file not found"),
        ("a\x00b", "NUL"),
    ],
)
def test_rejects_with_message(text, fragment):
    with pytest.raises(DlstudyError, match=fragment):
        parse_value(text)


def test_file_values(tmp_path):
    (tmp_path / "m.json").write_text(json.dumps({"gamma": 0.9, "states": ["a"]}))
    (tmp_path / "m.toml").write_text('gamma = 0.5\nstates = ["a", "b"]\n')
    (tmp_path / "k.txt").write_text("1 0\n0 -1\n")
    (tmp_path / "bad.toml").write_text("gamma = = 1")
    assert parse_value(f"@{tmp_path / 'm.json'}") == {"gamma": 0.9, "states": ["a"]}
    assert parse_value(f"@{tmp_path / 'm.toml'}") == {"gamma": 0.5, "states": ["a", "b"]}
    assert parse_value(f"@{tmp_path / 'k.txt'}") == [[1, 0], [0, -1]]
    with pytest.raises(DlstudyError, match="invalid TOML"):
        parse_value(f"@{tmp_path / 'bad.toml'}")


def test_assignment():
    assert parse_assignment("output-padding=1") == ("output_padding", 1)
    with pytest.raises(DlstudyError, match="expected key=value"):
        parse_assignment("stride")
    with pytest.raises(DlstudyError, match="stride"):
        parse_assignment("stride=1 2; 3")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_only_raises_domain_error(text):
    try:
        parse_value(text, allow_file=False)
    except DlstudyError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(-1000, 1000), min_size=3, max_size=3), min_size=1, max_size=5))
def test_matlab_matrix_round_trip(rows):
    text = "; ".join(" ".join(str(x) for x in r) for r in rows)
    parsed = parse_value(text)
    if len(rows) == 1:
        assert parsed == rows[0]
    else:
        assert parsed == rows
    assert parse_value(json.dumps(rows)) == rows
