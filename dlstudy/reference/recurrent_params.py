"""Parameter counts of torch's recurrent layers (``nn.RNN``, and the helpers ``nn.LSTM``/``nn.GRU``
use): per layer and direction, gates·(H·I_l + H·H + biases·H), with torch's two bias vectors per gate
(``b_ih``, ``b_hh``) by default and the textbook's one on request.
"""

from __future__ import annotations

from dlstudy.errors import DlstudyError
from dlstudy.reference.registry import Mistake, Solution, Step, plural, reference


def recurrent_param_count(
    gates: int,
    input_size: int,
    hidden_size: int,
    *,
    num_layers: int = 1,
    bidirectional: bool = False,
    biases: int = 2,
) -> int:
    """Σ over layers and directions of gates·(H·I_l + H·H + biases·H), with I_l = I for the first
    layer and H·directions after it (torch's layout): the layer language's formula
    (:func:`dlstudy.arch.sizes.recurrent_params`), so ``rnn-params`` and ``dlstudy params`` agree."""
    from dlstudy.arch.sizes import recurrent_params

    directions = 2 if bidirectional else 1
    weights, bias = recurrent_params(
        gates, input_size, hidden_size, layers=num_layers, directions=directions, biases=biases
    )
    return weights + bias


def check_sizes(input_size: int, hidden_size: int, num_layers: int, biases: int) -> None:
    """Domain errors for non-positive sizes and a bias count other than 0, 1, 2."""
    for label, value in (
        ("input_size", input_size),
        ("hidden_size", hidden_size),
        ("num_layers", num_layers),
    ):
        if value < 1:
            raise DlstudyError(f"{label}: expected a positive integer, got {value}")
    if biases not in (0, 1, 2):
        raise DlstudyError(
            f"biases: expected 2 (torch: b_ih and b_hh), 1 (textbook) or 0, got {biases}"
        )


def param_count_solution(
    cell: str,
    gates: int,
    input_size: int,
    hidden_size: int,
    num_layers: int,
    bidirectional: bool,
    biases: int,
) -> Solution:
    """The parameter count of torch's ``nn.RNN`` / ``nn.GRU`` / ``nn.LSTM`` with the working."""
    check_sizes(input_size, hidden_size, num_layers, biases)
    H, n_in = hidden_size, input_size
    per_gate = H * n_in + H * H + biases * H
    total = recurrent_param_count(
        gates, n_in, H, num_layers=num_layers, bidirectional=bidirectional, biases=biases
    )
    steps = [
        Step(
            f"one {'gate' if gates > 1 else 'block'} of the first layer: H·I + H·H + {biases}·H"
            if biases != 1
            else f"one {'gate' if gates > 1 else 'block'} of the first layer: H·I + H·H + H",
            per_gate,
            f"{H}·{n_in} + {H}·{H} + {biases}·{H} = {per_gate}",
        ),
        Step(
            f"{cell}: {plural(gates, 'gate block')}" if gates > 1 else f"{cell}: one block",
            gates * per_gate,
            f"{gates}·{per_gate} = {gates * per_gate}",
        ),
    ]
    if num_layers > 1 or bidirectional:
        directions = 2 if bidirectional else 1
        first = gates * (H * n_in + H * H + biases * H) * directions
        later = gates * (H * directions * H + H * H + biases * H) * directions
        detail = f"{first} + {num_layers - 1}·{later} = {total}" if num_layers > 1 else ""
        steps.append(
            Step(
                "all layers and directions"
                + (" (later layers read the H·directions outputs)" if num_layers > 1 else ""),
                total,
                detail,
            )
        )

    def count(n_gates: int = gates, n_biases: int = biases) -> int:
        return recurrent_param_count(
            n_gates, n_in, H, num_layers=num_layers, bidirectional=bidirectional, biases=n_biases
        )

    mistakes = []
    if biases == 2:
        mistakes.append(
            Mistake(
                "one-bias",
                "torch keeps two bias vectors per gate (b_ih and b_hh), not one",
                count(n_biases=1),
            )
        )
    elif biases == 1:
        mistakes.append(
            Mistake(
                "two-biases",
                "the textbook cell has one bias per gate, not torch's two",
                count(n_biases=2),
            )
        )
    if biases > 0:
        mistakes.append(Mistake("no-bias", "you forgot the biases", count(n_biases=0)))
    if gates > 1:
        mistakes.append(
            Mistake(
                "one-gate",
                f"an {cell} has {gates} gate blocks, each with its own weights: multiply by {gates}",
                count(n_gates=1),
            )
        )
    convention = (
        f"torch layout: {biases} bias vector(s) per gate"
        + ("; torch uses two (b_ih, b_hh), the textbook one" if biases != 2 else " (b_ih, b_hh)")
        + "; no output layer W_hy"
    )
    return Solution(total, steps, mistakes, convention=convention)


COUNT_HELP = {
    "input_size": "input size I",
    "hidden_size": "hidden size H",
    "num_layers": "stacked layers (default 1)",
    "bidirectional": "two directions (default false)",
    "biases": "bias vectors per gate: 2 (torch, default) or 1 (textbook)",
}


@reference(
    "rnn-params",
    section="rnn",
    summary="parameters of nn.RNN: H·I + H·H + 2H per layer and direction (torch's two biases)",
    params_help=COUNT_HELP,
)
def rnn_params(
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    bidirectional: bool = False,
    biases: int = 2,
) -> Solution:
    """Parameter count of a vanilla (tanh) RNN layer, as ``torch.nn.RNN`` counts it.

    .. math:: N = H I + H^2 + 2H \\quad\\text{(one layer, one direction, torch's two biases)}

    Parameters
    ----------
    input_size, hidden_size : int
        I and H.
    num_layers : int
        Stacked layers; layers after the first take H·directions inputs.
    bidirectional : bool
    biases : {2, 1, 0}
        Bias vectors per gate: torch has two (``bias_ih``, ``bias_hh``), the textbook one.

    Returns
    -------
    Solution
        ``result``: the number of parameters.
    """
    return param_count_solution(
        "RNN", 1, input_size, hidden_size, num_layers, bidirectional, biases
    )
