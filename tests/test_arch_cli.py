"""The real ``dlstudy rf`` / ``dlstudy params`` commands, run as subprocesses: --json, tables,
--answer exit codes 0/1/2 with named mistakes and per-layer answers, every error path (exit 2, one
line on stderr, no traceback), files, stdin, and no numpy/sympy/torch at start-up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ENV = {**os.environ, "NO_COLOR": "1", "COLUMNS": "80", "DLSTUDY_DEBUG": ""}
ENV.pop("DLSTUDY_DEBUG")


def dl(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dlstudy", *args],
        capture_output=True,
        text=True,
        input=stdin,
        env=ENV,
        timeout=60,
    )


def dl_json(*args: str) -> tuple[int, dict]:
    res = dl(*args, "--json")
    assert res.stdout.count("\n") == 1, res.stdout  # exactly one JSON object
    return res.returncode, json.loads(res.stdout)


def test_params_vgg16_json_has_the_contract_keys() -> None:
    code, out = dl_json("params", "vgg16")
    assert code == 0
    assert out["total_params"] == 138_357_544
    assert out["receptive_field"] == 212 and out["effective_stride"] == 32
    assert out["effective_padding"] == 90
    first = out["layers"][1]
    for key in ("layer", "output_shape", "params", "receptive_field", "effective_stride"):
        assert key in first
    assert first["layer"] == "conv1" and first["output_shape"] == [64, 224, 224]
    assert first["params"] == 3 * 9 * 64 + 64
    assert sum(layer["params"] or 0 for layer in out["layers"]) == out["total_params"]


def test_rf_resnet50_json() -> None:
    code, out = dl_json("rf", "resnet50")
    assert code == 0
    assert out["total_params"] == 25_557_032
    assert (out["receptive_field"], out["effective_stride"], out["effective_padding"]) == (
        427,
        32,
        213,
    )


def test_non_square_receptive_field_is_a_pair() -> None:
    _, out = dl_json("rf", "conv(k=3x5), conv(k=3, s=2)")
    assert out["receptive_field"] == [5, 7]


def test_tables_fit_80_columns_and_show_totals() -> None:
    res = dl("params", "alexnet")
    assert res.returncode == 0 and res.stderr == ""
    assert "Total parameters: 61,100,840" in res.stdout
    assert "217/4 is not an integer" in " ".join(res.stdout.split())  # conv1
    assert max(len(line) for line in res.stdout.splitlines()) <= 80
    res = dl("rf", "resnet18")
    assert "Receptive field: 435 px" in " ".join(res.stdout.split())
    assert max(len(line) for line in res.stdout.splitlines()) <= 80
    assert "\x1b[" not in res.stdout


def test_help_documents_the_language_with_an_example() -> None:
    for command in ("rf", "params"):
        res = dl(command, "--help")
        assert res.returncode == 0
        assert "residual(" in res.stdout and "concat(" in res.stdout and "dlstudy" in res.stdout


ALEXNET_CONV1 = "input(c=3,h=227,w=227), conv(c=96,k=11,s=4)"


@pytest.mark.parametrize(
    ("args", "answer", "code", "mistake"),
    [
        (("params", ALEXNET_CONV1), "34944", 0, None),
        (("params", ALEXNET_CONV1), "34_944", 0, None),
        (("params", ALEXNET_CONV1), "34848", 1, "bias-forgotten"),
        (("params", ALEXNET_CONV1), "11712", 1, "cin-dropped"),
        (("params", ALEXNET_CONV1), "35000", 1, None),
        (("params", "input(c=3,h=8,w=8), conv(c=4,k=3), maxpool(k=2)"), "180", 1, "pooling-params"),
        (("params", "input(t=5,f=10), lstm(h=20)"), "2480", 1, "rnn-bias-convention"),
        (("params", "input(t=5,f=10), lstm(h=20)"), "640", 1, "lstm-one-gate"),
        (("params", "input(t=5,f=10), lstm(h=20)", "--single-bias"), "2480", 0, None),
        (("rf", "conv(k=7,s=2), conv(k=3,s=2), conv(k=3), conv(k=3)"), "27", 0, None),
        (("rf", "conv(k=7,s=2), conv(k=3,s=2), conv(k=3), conv(k=3)"), "21", 1, "stride-not-jump"),
        (
            ("rf", "conv(k=7,s=2), conv(k=3,s=2), conv(k=3), conv(k=3)"),
            "17",
            1,
            "previous-stride-not-jump",
        ),
        (
            ("rf", "conv(k=7,s=2), conv(k=3,s=2), conv(k=3), conv(k=3)"),
            "38",
            1,
            "plus-k-not-k-minus-1",
        ),
        (("rf", "conv(k=3), maxpool(k=2), conv(k=3)"), "5", 1, "pooling-skipped"),
        (("rf", "conv(k=3), conv(k=3,d=2), conv(k=3,d=4)"), "7", 1, "dilation-skipped"),
        (("rf", "conv(k=3), conv(k=3,d=2), conv(k=3,d=4)"), "15", 0, None),
    ],
)
def test_answer_exit_codes_and_named_mistakes(args, answer, code, mistake) -> None:
    res = dl(*args, "--answer", answer, "--json")
    assert res.returncode == code, res.stderr
    check = json.loads(res.stdout)["check"]
    assert check["correct"] is (code == 0)
    assert (check.get("mistake") or {}).get("name") == mistake
    # the same verdict for people, on stdout
    res = dl(*args, "--answer", answer)
    assert res.returncode == code
    assert ("Your answer: correct" in res.stdout) is (code == 0)


def test_per_layer_answers_name_the_first_divergent_layer() -> None:
    spec = "conv(k=3), conv(k=3,s=2), conv(k=3)"  # r = 3, 5, 9
    assert dl("rf", spec, "--answer", "3,5,9").returncode == 0
    res = dl("rf", spec, "--answer", "3,5,7", "--json")
    assert res.returncode == 1
    check = json.loads(res.stdout)["check"]
    assert check["first_wrong_layer"] == "layer 3 (conv3)" and "mistake" not in check
    res = dl("rf", spec, "--answer", "4,7,11", "--json")
    check = json.loads(res.stdout)["check"]
    assert check["first_wrong_layer"] == "layer 1 (conv1)"
    assert check["mistake"]["name"] == "plus-k-not-k-minus-1"
    res = dl(
        "params", "input(c=3,h=8,w=8), conv(c=4,k=3), relu, conv(c=2,k=1)", "--answer", "112,8"
    )
    assert res.returncode == 1 and "layer 3 (conv2)" in res.stdout and "bias" in res.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("rf", "conv(k=3), conv(k=3)", "--answer", "1,2,3"), "expected one total or 2"),
        (("rf", "conv(k=3)", "--answer", "three"), "'three' is not a whole number"),
        (("params", "conv(k=3)", "--answer", "9"), "parameter count unknown"),
    ],
)
def test_invalid_answers_exit_2(args, words: str) -> None:
    res = dl(*args)
    assert res.returncode == 2 and words in res.stderr and res.stdout == ""


@pytest.mark.parametrize(
    ("spec", "lines"),
    [
        ("conv(c=16 k=3)", ["malformed spec at 1:11", "^", "expected form: conv("]),
        ("convv(k=3)", ["unknown layer 'convv' (did you mean 'conv'?)", "^"]),
        ("conv(k=3,strid=2)", ["unknown key 'strid' for conv", "keys: c, k, s"]),
        ("input(c=3,h=4,w=4), conv(c=2,k=7)", ["layer 1 conv(c=2,k=7): kernel 7 is larger"]),
        ("input(c=3,h=-4,w=4)", ["'h' must not be negative"]),
        ("input(c=3,h=0,w=4)", ["h must be a positive integer"]),
        ("vgg61", ["unknown preset, layer or file 'vgg61' (did you mean 'vgg16'?)"]),
        ("nets/missing.txt", ["file not found: nets/missing.txt"]),
        ("missing.txt", ["file not found: missing.txt"]),
        ("", ["empty spec"]),
        # names the file system refuses (too long) are not files: no internal OSError
        ("x" * 5000, ["unknown preset, layer or file 'xxx"]),
        ("ab " * 100, ["unknown layer 'ab'"]),
        ("d/" * 3000 + "net.txt", ["file not found: d/d/"]),
    ],
)
def test_bad_specs_exit_2_with_one_message_and_no_traceback(spec: str, lines: list[str]) -> None:
    for command in ("rf", "params"):
        res = dl(command, spec)
        assert res.returncode == 2
        assert res.stdout == ""
        assert res.stderr.startswith("dlstudy: error: ")
        assert "Traceback" not in res.stderr
        for words in lines:
            assert words in res.stderr


def test_spec_from_a_file_and_from_stdin(tmp_path: Path) -> None:
    path = tmp_path / "net.txt"
    path.write_text(
        "# my net\ninput(c=1, h=28, w=28)\nconv(c=8, k=5)\nmaxpool(k=2)\nflatten\nfc(n=10)\n"
    )
    expected = (25 + 1) * 8 + (8 * 12 * 12 + 1) * 10
    _, out = dl_json("params", str(path))
    assert out["total_params"] == expected
    res = dl("params", "-", "--json", stdin=path.read_text())
    assert res.returncode == 0 and json.loads(res.stdout)["total_params"] == expected
    bad = tmp_path / "bad.txt"
    bad.write_text("input(c=1,h=28,w=28)\nconv(c=8 k=5)\n")
    res = dl("params", str(bad))
    assert res.returncode == 2 and f"malformed spec at {bad}:2:10" in res.stderr


def test_single_bias_flag_is_stated_in_the_output() -> None:
    _, two = dl_json("params", "input(t=5,f=10), gru(h=20)")
    _, one = dl_json("params", "input(t=5,f=10), gru(h=20)", "--single-bias")
    assert two["total_params"] - one["total_params"] == 3 * 20
    assert "two bias" in two["convention"] and "one bias" in one["convention"]
    assert "Convention:" in dl("params", "input(t=5,f=10), gru(h=20)").stdout


_PROBE = """
import sys
from dlstudy.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("HEAVY=" + ",".join(m for m in ("numpy", "sympy", "torch") if m in sys.modules),
      file=sys.stderr)
"""


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["rf", "resnet50"],
        ["params", "vgg16", "--json"],
        ["params", "input(c=3,h=227,w=227), conv(c=96,k=11,s=4)", "--answer", "34848"],
        ["rf", "convv(k=3)"],
    ],
)
def test_help_rf_and_params_import_neither_numpy_sympy_nor_torch(args: list[str]) -> None:
    res = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, env=ENV, timeout=60
    )
    assert "HEAVY=\n" in res.stderr, res.stderr
