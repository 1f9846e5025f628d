"""The sections of the notes (``../shared/notes/lecture-notes.txt``), in their order.

Every reference function, claim and question template names one of these ids, so that the quiz,
``dlstudy topics`` and ``--section`` filters speak the same language. Pure data: no imports.
"""

from __future__ import annotations

#: (id, title as in the notes, chapter)
SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("perceptron", "Perceptron Learning", "Foundations"),
    ("activations", "Activation Functions", "Foundations"),
    ("mle", "MLE: least squares and cross-entropy", "Foundations"),
    ("uat", "Universal approximation theorem", "Foundations"),
    ("backprop", "Backpropagation", "Foundations"),
    ("hmax", "HMAX Model and transforms", "CNN"),
    ("convolution", "Convolution and Correlation", "CNN"),
    ("rf-params", "CNN receptive field and parameter number", "CNN"),
    ("cnn-backward", "CNN backward pass and parameter update", "CNN"),
    ("pooling", "Max Pooling", "CNN"),
    ("architectures", "Image Classification Models Comparison", "CNN"),
    ("detection", "Object Detection", "CNN"),
    ("transposed-conv", "Upsampling: Transposed Convolution", "CNN"),
    ("dilated-conv", "Dilated Convolution", "CNN"),
    ("rnn", "RNN", "Sequence models"),
    ("lstm", "LSTM and GRU", "Sequence models"),
    ("generative", "Generative models: taxonomy", "Generative models"),
    ("autoencoders", "Auto Encoders", "Generative models"),
    ("divergences", "KL and JS divergence", "Generative models"),
    ("vae", "Variational autoencoders and beta-VAE", "Generative models"),
    ("gan", "GAN", "Generative models"),
    ("gan-variants", "GAN variations: cGAN, pix2pix, CycleGAN", "Generative models"),
    ("autoregressive", "Autoregressive models: NADE, MADE, PixelCNN, WaveNet", "Generative models"),
    ("mdp", "RL: MDPs, returns and the Bellman equation", "Reinforcement learning"),
    ("dp", "Value iteration, policy evaluation and policy iteration", "Reinforcement learning"),
    ("td", "Temporal difference learning: TD(0), SARSA, Q-learning", "Reinforcement learning"),
    ("dqn", "Deep Q-learning and replay buffers", "Reinforcement learning"),
    ("policy-gradient", "Policy gradients and REINFORCE", "Reinforcement learning"),
    ("actor-critic", "Actor-critic: TRPO, PPO, DDPG", "Reinforcement learning"),
)

SECTION_IDS: tuple[str, ...] = tuple(s[0] for s in SECTIONS)
TITLES: dict[str, str] = {s[0]: s[1] for s in SECTIONS}


def check_section(section: str) -> str:
    """Return ``section`` if it is a known id, else raise the domain error with a suggestion."""
    from dlstudy.errors import DlstudyError, did_you_mean

    if section not in TITLES:
        raise DlstudyError(
            f"unknown section '{section}'{did_you_mean(section, SECTION_IDS)}; "
            f"known sections: {', '.join(SECTION_IDS)}"
        )
    return section
