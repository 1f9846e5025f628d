"""Reading answer lines from a pipe: bounded lines, control characters, timers that keep the text typed
so far, and the deadline that hands it over."""

from __future__ import annotations

import io
import os
import threading

import pytest

from dlstudy.ui.terminal import (
    MAX_LINE_BYTES,
    MAX_SKIP_BYTES,
    LineReader,
    LineTooLong,
    TimeExpired,
    clean,
)


def _pipe_reader(data: bytes, close: bool = True) -> tuple[LineReader, io.StringIO, int]:
    r, w = os.pipe()

    def feed() -> None:
        try:
            _write_all(w, data)
        except BrokenPipeError:  # the reader gave up on an endless line: as it should
            pass
        if close:
            os.close(w)

    threading.Thread(target=feed, daemon=True).start()
    out = io.StringIO()
    stdin = os.fdopen(r, "r")
    return LineReader(stdin=stdin, stdout=out, interactive=False), out, w


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def test_lines_are_read_and_echoed_cleaned():
    reader, out, _ = _pipe_reader(b"42\r\n1\x1b[2J2\nlast")
    assert reader.read("answer> ") == "42"
    assert reader.read("answer> ") == "1\ufffd[2J2"  # no escape reaches the terminal
    assert reader.read("answer> ") == "last"  # a last line without its newline
    assert reader.read("answer> ") is None
    assert "\x1b" not in out.getvalue()
    assert out.getvalue().startswith("answer> 42\nanswer> 1\ufffd[2J2\n")


def test_an_over_long_line_is_refused_and_the_next_one_read():
    reader, _, _ = _pipe_reader(b"x" * (MAX_LINE_BYTES + 10) + b"\n7\n")
    with pytest.raises(LineTooLong) as info:
        reader.read("answer> ")
    assert not info.value.stop
    assert reader.read("answer> ") == "7"
    assert len(reader._buf) <= MAX_LINE_BYTES


def test_a_line_without_end_stops_the_input_after_a_bounded_skip():
    reader, _, _ = _pipe_reader(b"y" * (MAX_LINE_BYTES + MAX_SKIP_BYTES + 200_000), close=True)
    with pytest.raises(LineTooLong) as info:
        reader.read("answer> ")
    assert info.value.stop
    assert reader._buf == b""


def test_a_stream_without_a_descriptor_is_bounded_too():
    data = "z" * (MAX_LINE_BYTES + 5) + "\n3\n"
    reader = LineReader(stdin=io.StringIO(data), stdout=io.StringIO(), interactive=False)
    with pytest.raises(LineTooLong):
        reader.read("> ")
    assert reader.read("> ") == "3"


def test_the_deadline_hands_over_the_text_typed_so_far():
    reader, _, w = _pipe_reader(b"12", close=False)  # typed, no Enter yet
    warned: list[str] = []
    prompts = iter(["[00:02 left] > ", "[00:01 left] > "])
    try:
        with pytest.raises(TimeExpired) as info:
            reader.read(
                lambda: next(prompts), timeout=0.6, alerts=[(0.2, lambda: warned.append("w"))]
            )
    finally:
        os.close(w)
    assert info.value.partial == "12"
    assert warned == ["w"]


def test_clean():
    assert clean("a\tb\x00c\x7f\u0085d") == "a b\ufffdc\ufffd\ufffdd"
