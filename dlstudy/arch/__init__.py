"""Layer specs → output shapes, parameter counts and receptive fields (``dlstudy rf``/``params``).

Pure Python (no numpy, sympy or torch) so the commands start fast. The layer language is documented
in ``LANGUAGE.md`` next to this file.

>>> a = analyze("input(c=3,h=32,w=32), conv(c=16,k=3,p=1), maxpool(k=2)")
>>> a.total_params, a.receptive_field, a.output_shape.as_list()
(448, 4, [16, 16, 16])
"""

from __future__ import annotations

from dlstudy.arch.analysis import Analysis, AxisRF, LayerResult, Shape
from dlstudy.arch.engine import analyze, analyze_nodes
from dlstudy.arch.parser import Node, parse
from dlstudy.arch.presets import PRESETS, preset_path, preset_text
from dlstudy.arch.sizes import (
    convt_output_size,
    divides_exactly,
    output_size,
    pool_output_size,
    recurrent_params,
)

__all__ = [
    "PRESETS",
    "Analysis",
    "AxisRF",
    "LayerResult",
    "Node",
    "Shape",
    "analyze",
    "analyze_nodes",
    "convt_output_size",
    "divides_exactly",
    "output_size",
    "parse",
    "pool_output_size",
    "preset_path",
    "preset_text",
    "recurrent_params",
]
