"""What the arch engine finds for a layer spec: the shapes, the per-axis receptive fields, one row
per layer and the totals that ``dlstudy rf`` and ``dlstudy params`` show. Pure Python (data
classes).

Along each spatial axis, a unit of a layer's output sees a window of the input (Araujo et al.,
"Computing Receptive Fields of CNNs", Distill 2019); :class:`AxisRF` holds, after layer l:

    r_l = r_{l-1} + (k_l - 1)·d_l·j_{l-1}    receptive field, in input pixels (r_0 = 1)
    j_l = j_{l-1}·s_l                        jump (effective stride; j_0 = 1)
    P_l = P_{l-1} + p_l·j_{l-1}              effective padding (P_0 = 0)
    start = (r - 1)/2 - P                    centre of the first output unit (0-based input pixel)

A row's parameters are its weights + biases (``None`` when a size the count needs is left open by a
spec without ``input``). The totals add the layer rows, not the block rows: a residual or concat
header repeats the sum of the layers inside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

KERNEL_KINDS = frozenset({"conv", "maxpool", "avgpool"})


@dataclass(frozen=True)
class Shape:
    """``spatial``: C × dims (dims = (H, W) or (L,)); ``seq``: T × F (c = F, dims = (T,));
    ``vector``: N (c = N). ``None`` marks a size the spec leaves open (no ``input`` layer)."""

    kind: str
    c: int | None
    dims: tuple[int | None, ...] = ()

    def as_list(self) -> list[int | None]:
        if self.kind == "spatial":
            return [self.c, *self.dims]
        if self.kind == "seq":
            return [self.dims[0], self.c]
        return [self.c]

    def text(self) -> str:
        return "×".join("?" if v is None else str(v) for v in self.as_list())


@dataclass(frozen=True)
class AxisRF:
    """Receptive field ``r``, jump ``j`` and effective padding ``P`` along one axis."""

    r: int
    j: int
    P: int

    @property
    def start(self) -> Fraction:
        return Fraction(self.r - 1, 2) - self.P


@dataclass
class LayerResult:
    """One row of the per-layer table."""

    index: str
    name: str
    kind: str
    text: str
    summary: str
    depth: int
    output_shape: list[int | None]
    weights: int | None = 0
    biases: int | None = 0
    rf: tuple[AxisRF, ...] | None = None
    spatial: bool = False
    block: bool = False
    note: str = ""

    @property
    def params(self) -> int | None:
        if self.weights is None or self.biases is None:
            return None
        return self.weights + self.biases

    @property
    def rf_checkpoint(self) -> bool:
        """A layer whose r a student writes down (conv, pooling, a whole block)."""
        return self.depth == 0 and (self.kind in KERNEL_KINDS or self.block)

    def to_json(self) -> dict[str, Any]:
        rf = self.rf
        return {
            "index": self.index,
            "layer": self.name,
            "kind": self.kind,
            "spec": self.text,
            "depth": self.depth,
            "output_shape": self.output_shape,
            "weights": self.weights,
            "biases": self.biases,
            "params": self.params,
            "receptive_field": squash([a.r for a in rf]) if rf else None,
            "effective_stride": squash([a.j for a in rf]) if rf else None,
            "effective_padding": squash([a.P for a in rf]) if rf else None,
            "start": squash([_num(a.start) for a in rf]) if rf else None,
            "note": self.note,
        }


@dataclass
class Analysis:
    """Everything ``dlstudy rf`` and ``dlstudy params`` show."""

    layers: list[LayerResult]
    input_shape: Shape
    output_shape: Shape
    rf: tuple[AxisRF, ...] | None
    rf_layer: str | None
    rf_index: str | None = None
    convention: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def leaves(self) -> list[LayerResult]:
        return [layer for layer in self.layers if not layer.block]

    def _sum(self, attr: str) -> int | None:
        values = [getattr(layer, attr) for layer in self.leaves]
        return None if any(v is None for v in values) else sum(values)

    @property
    def total_params(self) -> int | None:
        return self._sum("params")

    @property
    def total_weights(self) -> int | None:
        return self._sum("weights")

    @property
    def total_biases(self) -> int | None:
        return self._sum("biases")

    @property
    def receptive_field(self) -> int | list[int] | None:
        return squash([a.r for a in self.rf]) if self.rf else None

    @property
    def effective_stride(self) -> int | list[int] | None:
        return squash([a.j for a in self.rf]) if self.rf else None

    @property
    def effective_padding(self) -> int | list[int] | None:
        return squash([a.P for a in self.rf]) if self.rf else None

    def param_checkpoints(self) -> list[LayerResult]:
        """Layers with parameters, in table order (what a per-layer params answer lists)."""
        return [layer for layer in self.leaves if layer.params]

    def rf_checkpoints(self) -> list[LayerResult]:
        """Top-level conv and pooling layers and blocks (what a per-layer rf answer lists)."""
        return [layer for layer in self.layers if layer.rf_checkpoint]

    def to_json(self) -> dict[str, Any]:
        return {
            "total_params": self.total_params,
            "total_weights": self.total_weights,
            "total_biases": self.total_biases,
            "receptive_field": self.receptive_field,
            "effective_stride": self.effective_stride,
            "effective_padding": self.effective_padding,
            "start": squash([_num(a.start) for a in self.rf]) if self.rf else None,
            "receptive_field_layer": self.rf_layer,
            "input_shape": self.input_shape.as_list(),
            "output_shape": self.output_shape.as_list(),
            "convention": self.convention,
            "notes": self.notes,
            "layers": [layer.to_json() for layer in self.layers],
        }


def squash(values: list[Any]) -> Any:
    """One value when every axis agrees, else the list (``[h, w]``)."""
    return values[0] if len(set(values)) == 1 else list(values)


def _num(x: Fraction) -> int | float:
    return int(x) if x.denominator == 1 else float(x)


__all__ = ["KERNEL_KINDS", "Analysis", "AxisRF", "LayerResult", "Shape", "squash"]
