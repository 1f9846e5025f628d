"""GANs and their variants (notes: "GAN", "Training in practice", "GAN Variations").

Conventions: natural logarithms; discrete distributions p_data and p_g over the same finite support;
minibatch losses are means (the notes' 1/(2N) over all 2N points) unless ``reduction = "sum"``; L1 terms
are means over the entries, as torch's ``l1_loss`` (``reduction = "sum"`` for the sum).
"""

from __future__ import annotations

import math

import numpy as np

from dlstudy.errors import DlstudyError
from dlstudy.output import format_factor, format_number
from dlstudy.reference.divergences import as_distribution, js_divergence, same_length
from dlstudy.reference.registry import (
    ASIDE,
    Mistake,
    Solution,
    Step,
    as_array,
    as_vector,
    reference,
)


def _expectation(p: np.ndarray, f: np.ndarray) -> str:
    """``0.25·(−1.386) + 0.75·(−0.2877)``: an expectation over a discrete distribution."""
    return " + ".join(
        f"{format_number(a, 4)}·{format_factor(b)}" for a, b in zip(p, f, strict=True)
    )


def optimal_discriminator(p_data: np.ndarray, p_g: np.ndarray) -> np.ndarray:
    r"""D*(x) = p_data(x) / (p_data(x) + p_g(x)) for every x; shapes (K,)."""
    return p_data / (p_data + p_g)


def _densities(p_data: np.ndarray, p_g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pd = as_vector(p_data, "p_data")
    pg = as_vector(p_g, "p_g")
    if pd.shape != pg.shape:
        raise DlstudyError(f"p_g has shape {pg.shape} but p_data has shape {pd.shape}")
    if np.any(pd < 0) or np.any(pg < 0):
        raise DlstudyError("p_data and p_g must be >= 0 (densities or probabilities)")
    if np.any(pd + pg == 0):
        i = int(np.argmax(pd + pg == 0))
        raise DlstudyError(f"D*(x) is undefined where p_data = p_g = 0 (entry {i})")
    return pd, pg


@reference(
    "gan-optimal-d",
    section="gan",
    summary="the optimal discriminator D*(x) = p_data(x) / (p_data(x) + p_g(x)) for a fixed G",
    params_help={"p_data": "p_data(x) at each point", "p_g": "p_g(x) at the same points"},
)
def gan_optimal_d(p_data: np.ndarray, p_g: np.ndarray) -> Solution:
    r"""Pointwise maximiser of a log y + b log(1 − y) with a = p_data(x), b = p_g(x).

    .. math:: D^*(x) = \frac{p_{data}(x)}{p_{data}(x) + p_g(x)}

    Holds for every fixed G (not only when p_data = p_g, where it equals ½). Shapes: (K,) → (K,).
    """
    pd, pg = _densities(p_data, p_g)
    d = optimal_discriminator(pd, pg)
    steps = [
        Step(f"D*(x{i}) = {a:.4g}/({a:.4g} + {b:.4g})", float(v))
        for i, (a, b, v) in enumerate(zip(pd, pg, d, strict=True))
    ]
    mistakes = [
        Mistake(
            "inverted", "D* puts p_data in the numerator: p_data/(p_data + p_g)", pg / (pd + pg)
        ),
        Mistake(
            "always-half",
            "D* = ½ only when p_data = p_g; in general p_data/(p_data + p_g)",
            np.full_like(d, 0.5),
        ),
    ]
    return Solution(d, steps, mistakes)


@reference(
    "gan-value",
    section="gan",
    summary="V(G, D*) = E_pdata log D* + E_pg log(1 − D*) = 2·JSD(p_data ‖ p_g) − log 4",
    params_help={"p_data": "probability vector p_data", "p_g": "probability vector p_g"},
)
def gan_value(p_data: np.ndarray, p_g: np.ndarray) -> Solution:
    r"""The minimax value at the optimal discriminator, computed both ways.

    .. math:: V(G, D^*) = \sum_x p_d \log D^* + \sum_x p_g \log(1 - D^*) = 2\,D_{JS}(p_d \| p_g) - \log 4

    ``p_data``, ``p_g``: probability vectors (K,). Result: V in nats (minimum −log 4 iff p_data = p_g).
    """
    pd = as_distribution(p_data, "p_data")
    pg = as_distribution(p_g, "p_g")
    same_length(pd, pg, ("p_data", "p_g"))
    d = optimal_discriminator(pd, pg)
    # 0·log 0 = 0: terms with zero probability are skipped
    e_real = float(np.sum(pd[pd > 0] * np.log(d[pd > 0])))
    e_fake = float(np.sum(pg[pg > 0] * np.log(1 - d[pg > 0])))
    value = e_real + e_fake
    jsd = js_divergence(pd, pg)
    steps = [
        Step("D* = p_data/(p_data + p_g)", d),
        Step("E_pdata[log D*]", e_real, _expectation(pd, np.log(d))),
        Step("E_pg[log(1 − D*)]", e_fake, _expectation(pg, np.log(1 - d))),
        Step(
            "V(G, D*) = E_pdata[log D*] + E_pg[log(1 − D*)]",
            value,
            f"{format_number(e_real, 6)} + {format_factor(e_fake)} = {format_number(value, 6)}",
        ),
        Step("JSD(p_data ‖ p_g)", jsd, part=ASIDE),
        Step("2·JSD − log 4 (equal to V)", 2 * jsd - math.log(4), part=ASIDE),
    ]
    mistakes = [
        Mistake(
            "minus-log-2",
            "V(G, D*) = 2·JSD − log 4 (each expectation contributes −log 2)",
            2 * jsd - math.log(2),
        ),
        Mistake(
            "jsd-not-doubled", "V(G, D*) = 2·JSD − log 4: the JSD is doubled", jsd - math.log(4)
        ),
    ]
    return Solution(value, steps, mistakes, convention="nats")


def _probabilities(value: np.ndarray, label: str) -> np.ndarray:
    d = as_vector(value, label)
    if np.any((d <= 0) | (d >= 1)):
        raise DlstudyError(f"{label}: discriminator outputs must lie strictly between 0 and 1")
    return d


def _reduce(terms: np.ndarray, reduction: str, n: int) -> float:
    if reduction == "mean":
        return float(terms.sum() / n)
    if reduction == "sum":
        return float(terms.sum())
    raise DlstudyError(f"reduction must be 'mean' or 'sum', got '{reduction}'")


@reference(
    "gan-d-loss",
    section="gan",
    summary="the discriminator's minibatch BCE loss −1/(2N)(Σ log D(x) + Σ log(1 − D(G(z))))",
    params_help={
        "d_real": "D(x) on the N real samples (label 1)",
        "d_fake": "D(G(z)) on the N generated samples (label 0)",
        "reduction": "mean (over all 2N points, as the notes) or sum",
    },
)
def gan_d_loss(d_real: np.ndarray, d_fake: np.ndarray, reduction: str = "mean") -> Solution:
    r"""Binary cross-entropy of D on real (y = 1) and generated (y = 0) samples.

    .. math:: \mathcal L(D) = -\frac{1}{2N}\Big(\sum_i \log D(x^i) + \sum_i \log(1 - D(G(z^i)))\Big)

    ``d_real``: (N,), ``d_fake``: (M,). Result: a number (nats).
    """
    dr = _probabilities(d_real, "d_real")
    df = _probabilities(d_fake, "d_fake")
    n = dr.size + df.size
    real_terms, fake_terms = -np.log(dr), -np.log(1 - df)
    loss = _reduce(np.concatenate([real_terms, fake_terms]), reduction, n)
    steps = [
        Step("−log D(x) for each real sample", real_terms),
        Step("−log(1 − D(G(z))) for each fake sample", fake_terms),
        Step(f"loss ({reduction} over {n} points)", loss),
    ]
    swapped = _reduce(np.concatenate([-np.log(1 - dr), -np.log(df)]), reduction, n)
    other = "sum" if reduction == "mean" else "mean"
    mistakes = [
        Mistake(
            "labels-swapped",
            "real samples have label 1 (log D(x)), generated ones label 0 (log(1 − D(G(z))))",
            swapped,
        ),
        Mistake(
            f"{other}-not-{reduction}",
            f"the loss is a {reduction} here, not a {other}",
            _reduce(np.concatenate([real_terms, fake_terms]), other, n),
        ),
    ]
    return Solution(loss, steps, mistakes, convention=f"nats; {reduction} over all {n} points")


@reference(
    "gan-g-gradient",
    section="gan",
    summary="generator loss gradients w.r.t. the discriminator logit a: saturating −σ(a) vs non-saturating σ(a) − 1",
    params_help={"a": "discriminator logit(s) on generated samples, D(G(z)) = σ(a)"},
)
def gan_g_gradient(a: np.ndarray) -> Solution:
    r"""Why the notes switch the generator to gradient ascent on log D(G(z)).

    .. math::
        \frac{d}{da}\log(1 - \sigma(a)) = -\sigma(a) \quad\text{(saturating: → 0 as } a \to -\infty)

        \frac{d}{da}\big(-\log \sigma(a)\big) = \sigma(a) - 1 \quad\text{(non-saturating: → −1)}

    Both are gradients of a loss the generator *minimises*. ``a``: number or (N,). Result:
    ``{"d": σ(a), "saturating": ..., "non_saturating": ...}``.
    """
    av = as_array(a, "a")
    d = 1 / (1 + np.exp(-av))
    sat, nonsat = -d, d - 1
    steps = [
        Step("D(G(z)) = σ(a)", d),
        Step("saturating loss log(1 − D(G(z))) = log(1 − σ(a))", np.log1p(-d), part=ASIDE),
        Step("saturating: d/da log(1 − σ(a)) = −σ(a)", sat, part="saturating"),
        Step("non-saturating loss −log D(G(z)) = −log σ(a)", -np.log(d), part=ASIDE),
        Step("non-saturating: d/da (−log σ(a)) = σ(a) − 1", nonsat, part="non_saturating"),
        Step(
            "the notes' “1 − log D” has the same derivative σ(a) − 1 as −log D: the constant 1 "
            "changes nothing",
            part=ASIDE,
        ),
    ]
    result = {"d": d, "saturating": sat, "non_saturating": nonsat}
    mistakes = [
        Mistake(
            "swapped",
            "the saturating loss log(1 − D) has gradient −σ(a); −log D has σ(a) − 1",
            {"d": d, "saturating": nonsat, "non_saturating": sat},
        ),
    ]
    return Solution(result, steps, mistakes)


def _l1(a: np.ndarray, b: np.ndarray, reduction: str, labels: tuple[str, str]) -> float:
    if a.shape != b.shape:
        raise DlstudyError(f"{labels[0]} has shape {a.shape} but {labels[1]} has shape {b.shape}")
    return _reduce(np.abs(a - b), reduction, a.size)


@reference(
    "pix2pix-loss",
    section="gan-variants",
    summary="pix2pix: L_cGAN(G, D) + λ·‖y − G(x, z)‖₁ on small arrays",
    params_help={
        "d_real": "D(x, y) on the real pairs",
        "d_fake": "D(x, G(x, z)) on the generated pairs",
        "y": "target image",
        "g_out": "generated image G(x, z)",
        "lambda": "weight λ of the L1 term",
        "reduction": "mean (as torch l1_loss) or sum for the L1 term",
    },
)
def pix2pix_loss(
    d_real: np.ndarray,
    d_fake: np.ndarray,
    y: np.ndarray,
    g_out: np.ndarray,
    lambda_: float = 100.0,
    reduction: str = "mean",
) -> Solution:
    r"""The pix2pix objective the generator minimises and the discriminator maximises.

    .. math:: \mathcal L = \mathbb E[\log D(x,y)] + \mathbb E[\log(1 - D(x, G(x,z)))] + \lambda\,\mathbb E\|y - G(x,z)\|_1

    (The notes write ``1 − log D`` in the second term: it is log(1 − D).) ``d_real``, ``d_fake``: (N,);
    ``y``, ``g_out``: any equal shapes. Result: ``{"gan", "l1", "total"}``.
    """
    dr = _probabilities(d_real, "d_real")
    df = _probabilities(d_fake, "d_fake")
    yv, gv = as_array(y, "y"), as_array(g_out, "g_out")
    gan = float(np.mean(np.log(dr)) + np.mean(np.log(1 - df)))
    l1 = _l1(yv, gv, reduction, ("y", "g_out"))
    total = gan + lambda_ * l1
    steps = [
        Step("E log D(x, y)", float(np.mean(np.log(dr)))),
        Step("E log(1 − D(x, G(x, z)))", float(np.mean(np.log(1 - df)))),
        Step(
            "the adversarial part E log D(x, y) + E log(1 − D(x, G(x, z)))",
            gan,
            part=("gan", "total"),
        ),
        Step(f"‖y − G(x, z)‖₁ ({reduction} over the entries)", l1, part=("l1", "total")),
        Step(
            "L = adversarial part + λ·‖y − G(x, z)‖₁",
            total,
            f"{format_number(gan, 6)} + {format_number(lambda_)}·{format_number(l1, 6)} = "
            f"{format_number(total, 6)}",
            part="total",
        ),
    ]
    notes_gan = float(np.mean(np.log(dr)) + np.mean(1 - np.log(df)))
    mistakes = [
        Mistake(
            "notes-one-minus-log",
            "the notes' '1 − log D(x, G(x,z))' is a typo: the term is log(1 − D(x, G(x,z)))",
            {"gan": notes_gan, "l1": l1, "total": notes_gan + lambda_ * l1},
        )
    ]
    return Solution(
        {"gan": gan, "l1": l1, "total": total}, steps, mistakes, convention=f"nats; L1 {reduction}"
    )


@reference(
    "cyclegan-cycle-loss",
    section="gan-variants",
    summary="CycleGAN cycle loss ‖F(G(x)) − x‖₁ + ‖G(F(y)) − y‖₁ (times λ)",
    params_help={
        "x": "image from domain X",
        "y": "image from domain Y",
        "f_g_x": "F(G(x)), the reconstruction of x",
        "g_f_y": "G(F(y)), the reconstruction of y",
        "lambda": "weight λ of the cycle loss",
        "reduction": "mean (as torch l1_loss) or sum",
    },
)
def cyclegan_cycle_loss(
    x: np.ndarray,
    y: np.ndarray,
    f_g_x: np.ndarray,
    g_f_y: np.ndarray,
    lambda_: float = 1.0,
    reduction: str = "mean",
) -> Solution:
    r"""The cycle-consistency term of CycleGAN.

    .. math:: \mathcal L_{cyc} = \mathbb E_x\|F(G(x)) - x\|_1 + \mathbb E_y\|G(F(y)) - y\|_1

    (The notes compare G(F(y)) with x: it is compared with y.) Arrays of matching shapes.
    Result: λ·L_cyc, a number.
    """
    xv, yv = as_array(x, "x"), as_array(y, "y")
    fgx, gfy = as_array(f_g_x, "f_g_x"), as_array(g_f_y, "g_f_y")
    forward = _l1(fgx, xv, reduction, ("f_g_x", "x"))
    backward = _l1(gfy, yv, reduction, ("g_f_y", "y"))
    total = lambda_ * (forward + backward)
    steps = [
        Step(f"‖F(G(x)) − x‖₁ ({reduction})", forward),
        Step(f"‖G(F(y)) − y‖₁ ({reduction})", backward),
        Step(
            "cycle loss = the sum of the two terms"
            if lambda_ == 1
            else f"cycle loss = λ·(the sum of the two terms), λ = {lambda_:g}",
            total,
            f"{format_number(forward, 6)} + {format_number(backward, 6)} = {format_number(total, 6)}"
            if lambda_ == 1
            else f"{lambda_:g}·({format_number(forward, 6)} + {format_number(backward, 6)}) = "
            f"{format_number(total, 6)}",
        ),
    ]
    mistakes = []
    if gfy.shape == xv.shape:
        mistakes.append(
            Mistake(
                "against-x",
                "the second cycle term compares G(F(y)) with y, not x (a typo in the notes)",
                lambda_ * (forward + _l1(gfy, xv, reduction, ("g_f_y", "x"))),
            )
        )
    return Solution(total, steps, mistakes, convention=f"L1 {reduction} over entries")
