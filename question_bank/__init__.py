"""The built-in question bank: one TOML file of templates per chapter of the notes.

Shipped as package data so that a plain ``pip install .`` finds it
(``importlib.resources.files("question_bank")``).
"""
