"""The preset networks, shipped as spec files users can copy and edit (``dlstudy/arch/presets/*.txt``).
Each file's header says which definition it follows and its published parameter count."""

from __future__ import annotations

from pathlib import Path

DIRECTORY = Path(__file__).parent

#: Preset names in the order they are listed.
PRESETS: tuple[str, ...] = ("alexnet", "vgg16", "googlenet", "resnet18", "resnet50")


def preset_path(name: str) -> Path | None:
    """The spec file of preset ``name`` (case-insensitive; ``vgg-16`` and ``resnet_50`` work too)."""
    key = name.strip().lower().replace("-", "").replace("_", "")
    return DIRECTORY / f"{key}.txt" if key in PRESETS else None


def preset_text(name: str) -> str | None:
    """The spec text of preset ``name``, or ``None`` if it is not a preset."""
    path = preset_path(name)
    return path.read_text(encoding="utf-8") if path is not None else None
