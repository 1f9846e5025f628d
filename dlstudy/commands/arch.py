"""``dlstudy rf`` and ``dlstudy params``: receptive fields and parameter counts of a layer spec.

Thin commands over :mod:`dlstudy.arch` (pure Python: neither numpy, sympy nor torch is imported).
"""

from __future__ import annotations

import typer

from dlstudy.app import app

_SPEC_HELP = (
    "A preset (alexnet, vgg16, googlenet, resnet18, resnet50), a file holding a spec, '-' for "
    "stdin, or an inline spec."
)
_LANGUAGE = (
    "The layer language (dlstudy/arch/LANGUAGE.md): layers separated by , ; or newlines.\n\n"
    "  input(c=3,h=224,w=224) · conv(c=OUT,k=K,s=1,p=0,d=1,groups=1,bias=true)\n\n"
    "  convT(c=OUT,k=K,s=1,p=0,op=0,d=1) · maxpool(k=K,s=K,p=0,ceil=false)\n\n"
    "  avgpool(k=K,s=K,p=0) · adaptiveavgpool(h=H,w=W) · bn · relu · sigmoid\n\n"
    "  tanh · dropout · flatten · fc(n=OUT,bias=true)\n\n"
    "  input(t=T,f=F), then rnn(h=H) · lstm(h=H) · gru(h=H)\n\n"
    "  k=3x5 for non-square values · N*[...] repeats · # starts a comment\n\n"
    "Blocks: residual(MAIN PATH | SHORTCUT), an empty shortcut being the identity;\n\n"
    "concat(BRANCH | BRANCH | ...) joins parallel branches on channels (inception):\n\n"
    "  residual(conv(c=64,k=3,p=1), bn, relu, conv(c=64,k=3,p=1), bn), relu\n\n"
    "  concat(conv(c=8,k=1) | conv(c=4,k=1), conv(c=8,k=3,p=1))\n\n"
)
_ANSWER_HELP = (
    "Check your answer: one number (the total) or one per layer (3,5,9) to find where your "
    "working first goes wrong. Exit 0 right, 1 wrong, 2 invalid input."
)


@app.command(
    epilog=_LANGUAGE + "Examples:\n\n"
    '  dlstudy rf "conv(k=7,s=2), conv(k=3,s=2), conv(k=3), conv(k=3)" --answer 27\n\n'
    '  dlstudy rf "input(c=1,h=64,w=64), conv(k=3,d=2), maxpool(k=2)" --json\n\n'
    "  dlstudy rf resnet50"
)
def rf(
    spec: str = typer.Argument(..., help=_SPEC_HELP, show_default=False),
    answer: str = typer.Option(None, "--answer", "-a", help=_ANSWER_HELP),
    json_: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Receptive field r, jump j (cumulative stride) and start of every layer, with shapes and
    parameters: r_out = r_in + (k-1)·d·j_in, j_out = j_in·s."""
    from dlstudy.arch.report import run

    raise typer.Exit(run(spec, "rf", answer=answer, as_json=json_))


@app.command(
    epilog=_LANGUAGE + "Examples:\n\n"
    "  dlstudy params vgg16\n\n"
    '  dlstudy params "input(c=3,h=227,w=227), conv(c=96,k=11,s=4)" --answer 34944\n\n'
    '  dlstudy params "input(t=20,f=32), lstm(h=64)" --single-bias --json'
)
def params(
    spec: str = typer.Argument(..., help=_SPEC_HELP, show_default=False),
    answer: str = typer.Option(None, "--answer", "-a", help=_ANSWER_HELP),
    single_bias: bool = typer.Option(
        False,
        "--single-bias",
        help="Recurrent layers with one bias vector per gate (textbook) instead of torch's two.",
    ),
    json_: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Output shape and parameters (weights + biases) of every layer, and the total:
    a conv has (k_h·k_w·C_in/groups + 1)·C_out parameters."""
    from dlstudy.arch.report import run

    raise typer.Exit(run(spec, "params", answer=answer, as_json=json_, single_bias=single_bias))
