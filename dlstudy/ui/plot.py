"""A small score-over-time bar chart drawn with text (block characters, or ASCII on terminals that
cannot show them).

A value of 0 is drawn as a mark on the axis ("·", or "_" in ASCII), so a session that scored 0 % is
visible; ``None`` (nothing to draw) leaves a gap.
"""

from __future__ import annotations

from collections.abc import Sequence

_BLOCKS = " ▁▂▃▄▅▆▇█"
ZERO_MARK = {True: "·", False: "_"}


def bar_chart(
    values: Sequence[float | None],
    *,
    height: int = 5,
    unicode: bool = True,
    first: str = "",
    last: str = "",
) -> list[str]:
    """Lines of a bar chart of ``values`` in [0, 1], one column (two characters) per value, with a
    percentage axis on the left and the first and last labels underneath."""
    if not values:
        return []
    vals = [None if v is None else min(1.0, max(0.0, float(v))) for v in values]
    lines: list[str] = []
    for row in range(height - 1, -1, -1):
        if row == height - 1:
            axis = "100% "
        elif row == 0:
            axis = "  0% "
        elif row == (height - 1) // 2 and height >= 3:
            axis = f"{round(100 * (row + 0.5) / height):3d}% "
        else:
            axis = "     "
        cells = []
        for v in vals:
            if v is None:
                cells.append(" ")
                continue
            fill = min(1.0, max(0.0, v * height - row))
            if unicode:
                cell = _BLOCKS[round(fill * 8)]
            else:
                cell = "#" if fill >= 0.5 else ("." if fill > 0 else " ")
            if row == 0 and cell == " ":  # nothing to draw in the bottom band: a 0 is still drawn
                cell = ZERO_MARK[unicode]
            cells.append(cell)
        lines.append(axis + ("│" if unicode else "|") + " ".join(cells).rstrip())
    width = 2 * len(vals) - 1
    lines.append("     " + ("└" if unicode else "+") + ("─" if unicode else "-") * max(width, 1))
    if first or last:
        labels = first
        if last and last != first:
            gap = max(1, width + 1 - len(first) - len(last))
            labels = f"{first}{' ' * gap}{last}"
        lines.append("      " + labels)
    return lines
