"""dlstudy: a terminal study companion for a deep learning exam."""

__version__ = "0.1.0"
